import {DIR, PACK, defineCommand} from './define.js';

export const answers = defineCommand({
  name: 'answers',
  summary: 'List who answered what: confirmations, declines, waivers and notes.',
  usage: 'answers [--dir DIR] [--pack ID|FILE] [--format text|json]',
  help: `Lists the answers recorded in the deployment's answers file for the pack: item, answer,
who, when, the note, and a waiver's reason, owner and expiry. Runs no check.`,
  options: {...DIR, ...PACK, format: {type: 'string'}},
  async run(v, _pos, {out}) {
    const [{openSession}, {readAnswers}, {UsageError}] = await Promise.all([
      import('../engine/session.js'),
      import('../store/answers.js'),
      import('../model/errors.js'),
    ]);
    if (v.format !== undefined && v.format !== 'text' && v.format !== 'json') throw new UsageError(`--format ${v.format}: choose text or json`);
    const s = await openSession({dir: v.dir, pack: v.pack});
    const a = readAnswers(s.root, s.pack.id);
    for (const p of a.problems) throw new UsageError(`${p.file}${p.line ? `:${p.line}` : ''}: ${p.message}`);
    if (v.format === 'json') {
      out.write(`${JSON.stringify({pack: s.pack.id, file: a.file, answers: a.answers, notes: a.notes}, null, 2)}\n`);
      return 0;
    }
    const ids = s.pack.sections.flatMap((sec) => sec.items.map((i) => i.id));
    const shown = ids.filter((id) => a.answers[id] || a.notes[id]);
    const unknown = Object.keys(a.answers).filter((id) => !ids.includes(id));
    if (shown.length === 0) out.write(`no answers recorded for pack ${s.pack.id} in ${a.file}\n`);
    for (const id of shown) {
      const x = a.answers[id];
      const n = a.notes[id];
      if (x) {
        const waiver =
          x.kind === 'waived'
            ? ` because ${JSON.stringify(x.reason ?? '')}${x.owner ? `, owner ${x.owner}` : ''}${x.expires ? `, until ${x.expires}` : ''}`
            : '';
        out.write(`${id}: ${x.kind} by ${x.by} at ${x.at}${waiver}${x.note ? `\n  note: ${x.note}` : ''}\n`);
      }
      if (n) out.write(`${x ? '  ' : `${id}: `}note by ${n.by} at ${n.at}: ${n.text}\n`);
    }
    for (const id of unknown) out.write(`${id}: answered, but the pack has no such item any more\n`);
    return 0;
  },
});
