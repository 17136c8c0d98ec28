import {AnswerError, type ItemView, type Wizard} from '../wizard/controller.js';
import {InputEnded, PlainIO} from './plainIO.js';

/**
 * The same walk as the TUI, one line at a time, for dumb terminals, screen readers, SSH
 * sessions without a TTY and scripted input. Every prompt takes a typed letter or line, so a
 * file of answers can drive it. Ink is never loaded here.
 */
export async function runPlain(wizard: Wizard, out: NodeJS.WritableStream, stdin: NodeJS.ReadStream = process.stdin): Promise<void> {
  const io = new PlainIO(stdin, out);
  const say = (line?: string) => io.say(line);
  try {
    let snap = wizard.getSnapshot();
    say(`shipshape: ${snap.pack.title}`);
    say(`Deployment: ${snap.root}`);
    say(`Pack: ${snap.pack.id} ${snap.pack.version}, ${snap.chosenBy}`);
    if (snap.recovered) say(`The saved progress file could not be read; it was kept as ${snap.recovered}`);
    for (const i of snap.inputs) {
      if (i.value) {
        say(`${i.id}: ${i.value} (${i.origin})`);
        continue;
      }
      await wizard.setInput(i.id, await io.pick(i.question, i.choices.map((c) => ({name: c.label, value: c.value}))));
    }
    const who = (await io.text('Answering as', snap.who)).trim() || snap.who;
    wizard.setWho(who);
    say('Checking…');
    await wizard.run();
    snap = wizard.getSnapshot();
    say(`${snap.done} of ${snap.total} done${snap.changed.length ? `, ${snap.changed.length} changed since last time` : ''}.`);

    // Changed items first, then where the person left off, then the first open item.
    let current = snap.resumeAt ?? wizard.nextUnfinished();
    if (snap.hadProgress && current) say(`Resuming at: ${snap.items.find((i) => i.id === current)?.title}`);
    while (current) {
      const item = wizard.getSnapshot().items.find((i) => i.id === current)!;
      show(item, say);
      wizard.setPosition(item.id);
      const action = await io.choose<Action>(
        'What now?',
        [
          ...(item.confirm ? [{key: 'c', name: 'confirm', value: 'confirm' as const}, {key: 'd', name: 'decline', value: 'decline' as const}] : []),
          {key: 'w', name: 'waive (with a reason)', value: 'waive'},
          {key: 'a', name: 'add a note', value: 'note'},
          {key: 'r', name: 're-check', value: 'recheck'},
          {key: 'n', name: 'next item (leave this open)', value: 'next'},
          {key: 'q', name: 'quit (everything is saved)', value: 'quit'},
        ],
        'next',
      );
      if (action === 'quit') break;
      if (action === 'recheck') {
        await wizard.run([item.id]);
        continue;
      }
      if (action === 'next') {
        wizard.markSeen(item.id);
        const next = wizard.nextUnfinished(item.id);
        if (next === undefined || next === item.id) break;
        current = next;
        continue;
      }
      try {
        if (action === 'confirm') {
          const date = item.confirm?.askDate ? await io.text('Date it was last done (YYYY-MM-DD)') : undefined;
          wizard.confirm(item.id, {by: who, note: await io.text('Note (optional)'), date});
        } else if (action === 'decline') {
          wizard.decline(item.id, {by: who, note: await io.text('What is missing? (optional)')});
        } else if (action === 'waive') {
          const reason = await io.text('Reason', undefined, 'a waiver needs a reason');
          wizard.waive(item.id, {by: who, reason, expires: await io.text('Expires (YYYY-MM-DD, optional)')});
        } else {
          wizard.note(item.id, await io.text('Note', item.note?.text), who);
          say(`saved: ${item.id} (note)`);
          continue;
        }
      } catch (err) {
        if (err instanceof AnswerError) {
          say(`! ${err.message}`);
          continue;
        }
        throw err;
      }
      // The answer is on disk before this line is printed.
      say(`saved: ${item.id} (${action})`);
      wizard.markSeen(item.id);
      current = wizard.nextUnfinished(item.id);
    }
    summary(wizard, say);
  } catch (err) {
    // Ctrl+C, or the end of scripted input: what was answered is already saved.
    if (err instanceof InputEnded) {
      say('');
      say('Stopped; every answer given so far is saved.');
      summary(wizard, say);
      return;
    }
    throw err;
  } finally {
    wizard.close();
  }
}

type Action = 'confirm' | 'decline' | 'waive' | 'note' | 'recheck' | 'next' | 'quit';

function show(item: ItemView, say: (l?: string) => void): void {
  say('');
  say(`== ${item.sectionTitle}: ${item.title} [${item.severity}]`);
  say(`${item.status.toUpperCase()}: ${item.message}${item.changed ? ' (CHANGED since last time)' : ''}`);
  for (const e of (item.final?.evidence ?? []).slice(0, 10)) {
    say(`  ${e.file ? `${e.file}${e.line ? `:${e.line}` : ''} ` : ''}${e.detail}`);
  }
  say(`Why: ${item.why}`);
  say(`How to fix: ${item.how}`);
  if (item.confirm) say(`Question: ${item.confirm.question}`);
  if (item.answer) say(`Answer so far: ${item.answer.kind} by ${item.answer.by}`);
}

function summary(wizard: Wizard, say: (l?: string) => void): void {
  const s = wizard.summary();
  const snap = wizard.getSnapshot();
  say('');
  say(`Summary: ${snap.done} of ${snap.total} done. ${Object.entries(s.byStatus).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  say(`Still open: ${s.openBySeverity.critical} critical, ${s.openBySeverity.high} high, ${s.openBySeverity.medium} medium, ${s.openBySeverity.low} low`);
  for (const w of s.waivers) say(`Waived: ${w.id} by ${w.by}: ${w.reason}${w.expires ? ` (until ${w.expires})` : ''}`);
}
