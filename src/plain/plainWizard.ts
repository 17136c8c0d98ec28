import {isCalendarDate, today} from '../deploy/dates.js';
import {resolvePackRef} from '../pack/builtin.js';
import {AnswersError} from '../store/answers.js';
import {AnswerError, type GeneratePlan, type ItemView, type Snapshot, type Wizard} from '../wizard/controller.js';
import {InputEnded, isJump, type Option, PlainIO, ScriptError} from './plainIO.js';

/**
 * The same walk as the TUI, one line at a time, for dumb terminals, screen readers, SSH
 * sessions without a TTY and scripted input. Ink is never loaded here.
 *
 * On a terminal, inquirer asks each question and asks again when an answer is refused.
 *
 * SCRIPT FORMAT (stdin is a pipe or a file: `shipshape --plain --as NAME < answers.txt`)
 * One line per answer, read in order. Leading and trailing spaces are ignored.
 *
 *   1. A number for each input the deployment does not settle itself (e.g. `mode`), in the
 *      pack's order, only if it is asked (the transcript shows `? mode 1) … 2) …`).
 *   2. Then, at each item, an action line:
 *        c  confirm    (only items a person must confirm)   next lines: [date,] note
 *        d  decline    (only items a person must confirm)   next line:  note
 *        w  waive                                           next lines: reason, owner, expiry
 *        a  add a note                                      next line:  note (stays on the item)
 *        r  re-check the item                               (stays on the item)
 *        g  generate (only items with a generator)          next line:  y to write, n to leave
 *           the files; a value that exists and must not be replaced lightly (a masterkey) first
 *           asks for the item id typed, or an empty line to leave it   (stays on the item)
 *        n  leave the item open and go to the next one
 *        q  quit (the summary, then exit 0)
 *        @ITEM-ID  go to that item (its id is shown in brackets after each item's title, and
 *                  `shipshape check --format json` lists them all); its action line follows
 *      Field lines: a note may be empty; the date (items that ask for one: YYYY-MM-DD, a real
 *      day) may be empty; the reason may not be empty; an empty owner means the person
 *      answering; the expiry is YYYY-MM-DD, today or later, or empty for none.
 *   Answers are recorded as the person `--as NAME` names (else git's user.name, else the login
 *   name); no line of the script gives it.
 *
 *   Positional form (no @ lines): each action line answers the item the walk is on, in the
 *   order it offers them (changed items first, then where you left off last time, then the
 *   first open one). Any change in a check's result, or a saved position, moves the items, so
 *   prefer the keyed form, which answers the same items whatever the checks say:
 *
 *     @named-accounts
 *     c
 *     every operator has a named account
 *     @api-key-rotation
 *     w
 *     keys listed in the wiki
 *     alice
 *     2099-06-30
 *     q
 *
 *   When nothing is left open the script may still go to an item with @ITEM-ID, or end.
 *   The end of the script stops the walk like `q` (exit 0). A line that is not what is expected
 *   where it stands (not a choice, an empty action line, an unknown item id, a bad date, an
 *   empty reason, an answer the item refuses) stops the run at once: an error on stderr names the
 *   line number and what was expected, nothing after it is used, and the exit code is 2.
 */
export async function runPlain(
  wizard: Wizard,
  out: NodeJS.WritableStream,
  stdin: NodeJS.ReadStream = process.stdin,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  const io = new PlainIO(stdin, out);
  const say = (line?: string) => io.say(line);
  try {
    let snap = wizard.getSnapshot();
    // Settled before this front end starts (--as, else git's user.name once wizard.ready(), else
    // the login name); never asked, so a script records the same person on every run.
    const who = snap.who;
    say(`shipshape: ${snap.pack.title}`);
    say(`Deployment: ${snap.root}`);
    say(`Pack: ${snap.pack.id} ${snap.pack.version}, ${snap.chosenBy}`);
    say(`Answering as ${who} (change with --as NAME)`);
    if (snap.recovered) say(`The saved progress file could not be read; it was kept as ${snap.recovered}`);
    if (snap.answersProblem) say(`! Answers cannot be saved until this is fixed: ${snap.answersProblem}`);
    if (snap.migrated) say(`Moved ${plural(snap.migrated, 'answer')} from your personal progress into ${snap.answersFile}`);
    for (const i of snap.inputs) {
      if (i.value) {
        say(`${i.id}: ${i.value} (${i.origin})`);
        continue;
      }
      await wizard.setInput(
        i.id,
        await io.pick(
          i.question,
          i.choices.map((c) => ({name: c.label, value: c.value})),
          i.id,
        ),
      );
    }
    say('Checking…');
    await wizard.run();
    snap = wizard.getSnapshot();
    say(`${snap.done} of ${snap.total} done${snap.changed.length ? `, ${snap.changed.length} changed since last time` : ''}.`);

    // Changed items first, then where the person left off, then the first open item.
    let current = snap.resumeAt ?? wizard.nextUnfinished();
    if (snap.hadProgress && current) say(`Resuming at: ${snap.items.find((i) => i.id === current)?.title}`);
    // Set when a script goes to the item it is already on: it is not shown twice.
    let quiet = false;
    for (;;) {
      if (current === undefined) {
        // A person is done; a script may still go to an item, or end.
        if (!io.scripted) break;
        say('');
        say('Nothing else is open.');
        const reply = await io.choose('What now?', [{key: 'q', name: 'quit', value: 'quit' as const}], undefined, {jump: true, about: 'the end of the walk'});
        if (!isJump(reply)) break;
        current = jumpTo(wizard, io, reply.jump);
        continue;
      }
      const item = itemOf(wizard, current);
      if (!quiet) show(item, say);
      quiet = false;
      wizard.setPosition(item.id);
      const options: Option<Action>[] = [
        ...(item.confirm
          ? [
              {key: 'c', name: 'confirm', value: 'confirm' as const},
              {key: 'd', name: 'decline', value: 'decline' as const},
            ]
          : []),
        {key: 'w', name: 'waive (with a reason)', value: 'waive'},
        {key: 'a', name: 'add a note', value: 'note'},
        {key: 'r', name: 're-check', value: 'recheck'},
        ...(item.generator ? [{key: 'g', name: 'generate (preview, then write)', value: 'generate' as const}] : []),
        {key: 'n', name: 'next item (leave this open)', value: 'next'},
        {key: 'q', name: 'quit (everything is saved)', value: 'quit'},
      ];
      const reply = await io.choose('What now?', options, 'next', {jump: true, about: item.id});
      if (isJump(reply)) {
        current = jumpTo(wizard, io, reply.jump);
        quiet = current === item.id;
        continue;
      }
      const action = reply;
      const actionLine = io.line;
      if (action === 'quit') break;
      if (action === 'recheck') {
        await wizard.run([item.id]);
        say(`re-checked: ${item.id} (${itemOf(wizard, item.id).status})`);
        continue;
      }
      if (action === 'generate') {
        await generate(wizard, io, item.id, say);
        continue;
      }
      if (action === 'next') {
        wizard.markSeen(item.id);
        const next = wizard.nextUnfinished(item.id);
        current = next === item.id ? undefined : next;
        continue;
      }
      try {
        if (action === 'confirm') {
          const date = item.confirm?.askDate
            ? await io.text('Date it was last done (YYYY-MM-DD)', {check: dateProblem, expected: 'the date it was last done as YYYY-MM-DD, or an empty line'})
            : undefined;
          wizard.confirm(item.id, {by: who, note: await io.text('Note (optional)', {expected: 'a note, or an empty line'}), date});
        } else if (action === 'decline') {
          wizard.decline(item.id, {by: who, note: await io.text('What is missing? (optional)', {expected: 'what is missing, or an empty line'})});
        } else if (action === 'waive') {
          const reason = await io.text('Reason', {required: 'a waiver needs a reason', expected: "the waiver's reason"});
          const owner = await io.text('Owner of the risk (optional)', {
            fallback: who,
            check: (v) => (/^\d{4}-\d{2}-\d{2}$/.test(v) ? 'looks like a date, not a name (a waiver is reason, owner, then expiry)' : undefined),
            expected: `who owns the risk, or an empty line for ${who}`,
          });
          const expires = await io.text('Expires (YYYY-MM-DD, optional)', {
            check: expiryProblem,
            expected: 'the expiry as YYYY-MM-DD, today or later, or an empty line for none',
          });
          wizard.waive(item.id, {by: who, reason, owner, expires});
        } else {
          wizard.note(item.id, await io.text('Note', {fallback: item.note?.text, expected: 'the note'}), who);
          say(`saved: ${item.id} (note)`);
          continue;
        }
      } catch (e) {
        if (e instanceof AnswerError || e instanceof AnswersError) {
          // A script cannot be asked again: the line after would be taken as the next action.
          if (io.scripted) io.fail(`${item.id} was not saved: ${e.message}`, actionLine);
          say(`! ${e.message}`);
          continue;
        }
        throw e;
      }
      // The answer is on disk before this line is printed.
      say(`saved: ${item.id} (${action})`);
      wizard.markSeen(item.id);
      current = wizard.nextUnfinished(item.id);
    }
    finish(wizard, say);
    return 0;
  } catch (e) {
    // Ctrl+C, or the end of scripted input: what was answered is already saved.
    if (e instanceof InputEnded) {
      say('');
      say('Stopped; every answer given so far is saved.');
      finish(wizard, say);
      return 0;
    }
    if (e instanceof ScriptError) {
      err.write(`shipshape: script line ${e.line}: ${e.message}\n`);
      say('');
      say(`Stopped at line ${e.line} of the script; nothing after it was used. Every answer before it is saved.`);
      finish(wizard, say);
      return 2;
    }
    throw e;
  } finally {
    wizard.close();
    // Let the process exit now, even if whoever feeds stdin keeps it open.
    io.close();
  }
}

type Action = 'confirm' | 'decline' | 'waive' | 'note' | 'recheck' | 'generate' | 'next' | 'quit';

/**
 * The item's generator, as the wizard's `g` does it: the change with every secret masked, write
 * on confirmation (all files or none), the checks run again and the result shown. The value is
 * never printed: it is in the files only.
 */
async function generate(wizard: Wizard, io: PlainIO, id: string, say: (l?: string) => void): Promise<void> {
  let plan: GeneratePlan;
  try {
    plan = await wizard.planGenerate(id);
  } catch (e) {
    if (!(e instanceof AnswerError)) throw e;
    const message = e.message.replace(/\s*To replace it anyway: --replace-existing \S+\s*$/, '');
    say(`! ${message}`);
    if (!/a value already exists/i.test(e.message)) return;
    // Typing the id, not a letter, is the consent: a new masterkey can make data unreadable.
    const typed = await io.text(`Type the item id (${id}) to replace it anyway, or an empty line to leave it`, {
      expected: `the item id ${id}, or an empty line to leave the value as it is`,
    });
    if (typed !== id) {
      say('nothing replaced');
      return;
    }
    // The second plan may be refused too (the files changed meanwhile): said plainly, like the first.
    try {
      plan = await wizard.planGenerate(id, {replaceExisting: true});
    } catch (again) {
      if (!(again instanceof AnswerError)) throw again;
      say(`! ${again.message}`);
      return;
    }
  }
  say('Will write:');
  for (const s of plan.summary.length > 0 ? plan.summary : ['nothing: the files already hold what this generator makes']) say(`  ${s}`);
  for (const n of plan.notes) say(`  note: ${n}`);
  if (plan.preview) {
    say('Preview (secret values masked):');
    for (const l of plan.preview.trimEnd().split('\n')) say(`  ${l}`);
  }
  const reply = await io.choose(
    'Write these files? (each file replaced keeps a 0600 backup)',
    [
      {key: 'y', name: 'yes, write them', value: 'yes' as const},
      {key: 'n', name: 'no, leave them as they are', value: 'no' as const},
    ],
    'no',
  );
  if (reply !== 'yes') {
    say('nothing written');
    return;
  }
  try {
    const done = await wizard.writeGenerate(plan);
    say(`written: ${done.written.length > 0 ? done.written.join(', ') : 'nothing'}`);
    if (done.backups.length > 0) say(`backups (0600, they hold the old values): ${done.backups.join(', ')}`);
  } catch (e) {
    if (!(e instanceof AnswerError)) throw e;
    say(`! nothing was written: ${e.message}`);
    return;
  }
  const after = itemOf(wizard, id);
  say(`checked again: ${id} ${after.status.toUpperCase()}: ${after.message}`);
}

function itemOf(wizard: Wizard, id: string): ItemView {
  return wizard.getSnapshot().items.find((i) => i.id === id)!;
}

/** The item an `@ITEM-ID` line names; an id the pack does not have stops the script. */
function jumpTo(wizard: Wizard, io: PlainIO, id: string): string {
  const snap = wizard.getSnapshot();
  if (snap.items.some((i) => i.id === id)) return id;
  const near = snap.items.map((i) => i.id).filter((i) => distance(i, id) <= Math.min(2, Math.floor(id.length / 4)));
  return io.fail(
    `no item "${id}" in pack ${snap.pack.id}; expected @ITEM-ID with an id of the pack${near.length ? ` (did you mean ${near.slice(0, 3).join(', ')}?)` : ''}; \`shipshape check --format json\` lists them`,
  );
}

/** Edit distance (insertions, deletions, substitutions), for suggesting an id after a typo. */
function distance(a: string, b: string): number {
  let prev = Array.from({length: b.length + 1}, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

function dateProblem(v: string): string | undefined {
  return isCalendarDate(v) ? undefined : 'not a day of the calendar written YYYY-MM-DD';
}

function expiryProblem(v: string): string | undefined {
  return dateProblem(v) ?? (v < today() ? 'that day is already past' : undefined);
}

function show(item: ItemView, say: (l?: string) => void): void {
  say('');
  say(`== ${item.sectionTitle}: ${item.title} [${item.severity}] (${item.id}${item.from ? `, from ${item.from}` : ''})`);
  say(`${item.status.toUpperCase()}: ${item.message}${item.changed ? ' (CHANGED since last time)' : ''}`);
  for (const e of (item.final?.evidence ?? []).slice(0, 10)) {
    say(`  ${e.file ? `${e.file}${e.line ? `:${e.line}` : ''} ` : ''}${e.detail}`);
  }
  say(`Why: ${item.why}`);
  say(`How to fix: ${item.how}`);
  if (item.confirm) say(`Question: ${item.confirm.question}`);
  if (item.answer) say(`Answer so far: ${item.answer.kind} by ${item.answer.by}`);
}

function finish(wizard: Wizard, say: (l?: string) => void): void {
  const s = wizard.summary();
  const snap = wizard.getSnapshot();
  say('');
  say(
    `Summary: ${snap.done} of ${snap.total} done. ${Object.entries(s.byStatus)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  say(`Still open: ${s.openBySeverity.critical} critical, ${s.openBySeverity.high} high, ${s.openBySeverity.medium} medium, ${s.openBySeverity.low} low`);
  for (const w of s.waivers) {
    say(`Waived: ${w.id} by ${w.by}${w.owner && w.owner !== w.by ? `, owned by ${w.owner}` : ''}: ${w.reason}${w.expires ? ` (until ${w.expires})` : ''}`);
  }
  say(
    snap.answersProblem
      ? `Answers were not saved: ${snap.answersProblem}`
      : `Answers are saved in ${snap.answersFile} (commit it; shipshape check honours it).`,
  );
  say(`To go on later: ${resumeCommand(snap)}`);
}

/** The command that opens this deployment again with the same pack and given inputs. */
function resumeCommand(snap: Snapshot): string {
  const words = ['shipshape', '--dir', shellWord(snap.root)];
  // A pack given as a file is not known here by its path: say so rather than name a wrong one.
  if (snap.chosenBy === '--pack')
    words.push('--pack', resolvePackRef(snap.pack.id) && !snap.pack.id.includes('.') ? shellWord(snap.pack.id) : '<the pack file you gave>');
  for (const i of snap.inputs) if (i.origin === 'given' && i.value) words.push('--input', shellWord(`${i.id}=${i.value}`));
  return words.join(' ');
}

function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
