import {SEVERITIES, type Severity} from '../model/types.js';
import {UsageError} from '../model/errors.js';
import {DIR, INPUT, PACK, defineCommand} from './define.js';

export function parseSeverity(v: string | undefined): Severity {
  if (v === undefined) return 'high';
  if (!(SEVERITIES as readonly string[]).includes(v)) throw new UsageError(`--fail-on ${v}: choose one of ${SEVERITIES.join(', ')}`);
  return v as Severity;
}

export const check = defineCommand({
  name: 'check',
  summary: 'Run every check without asking anything, for CI; answers recorded with the deployment count.',
  usage:
    'check [--dir DIR] [--pack ID|FILE] [--format text|json|markdown|sarif|junit]\n      [--fail-on critical|high|medium|low] [--input KEY=VALUE ...] [--verbose]',
  help: `Runs every check of the pack on the deployment and prints one report on stdout.
Answers recorded with the deployment (the wizard, or shipshape answer) count: a confirmed item
passes, a waived one is skipped with its reason.

Exit codes: 0 nothing fails at or above --fail-on (default high); 1 something does;
2 usage, pack or input error; 3 nothing fails, but an item at or above --fail-on could not be
decided (error).`,
  options: {...DIR, ...PACK, ...INPUT, format: {type: 'string'}, 'fail-on': {type: 'string'}, verbose: {type: 'boolean', short: 'v'}},
  async run(v, _pos, io) {
    const [{formatById, FORMATS}, {evaluate, openSession}, {buildLedger}, {buildReport, exitCode}, {readAnswers}] = await Promise.all([
      import('../report/index.js'),
      import('../engine/session.js'),
      import('../engine/ledger.js'),
      import('../report/model.js'),
      import('../store/answers.js'),
    ]);
    const format = formatById(v.format ?? 'text');
    if (!format) throw new UsageError(`--format ${v.format}: choose one of ${FORMATS.map((f) => f.id).join(', ')}`);
    const failOn = parseSeverity(v['fail-on']);
    const t0 = performance.now();
    const session = await openSession({dir: v.dir, pack: v.pack, inputs: v.input ?? []});
    const t1 = performance.now();
    for (const id of session.inputs.unresolved) {
      const input = session.pack.inputs.find((i) => i.id === id)!;
      io.err.write(
        `shipshape: ${id} could not be inferred; items that depend on it are skipped. Pass --input ${id}=${input.choices.map((c) => c.value).join('|')}\n`,
      );
    }
    const {missingFor} = await import('../pack/inputs.js');
    for (const [id, how] of Object.entries(session.inputs.origin)) {
      const warning = how === 'given' ? await missingFor(session.pack, session.root, id, session.inputs.values[id]!) : undefined;
      if (warning) io.err.write(`shipshape: warning: ${warning}\n`);
    }
    const outcomes = await evaluate(session);
    const t2 = performance.now();
    const answers = readAnswers(session.root, session.pack.id);
    const ledger = buildLedger(session.pack, outcomes, {answers: answers.answers, notes: answers.notes});
    const report = buildReport(session, ledger, {answersFile: answers.file, problems: [...answers.problems, ...session.ctx.problems()]});
    io.out.write(format.render(report, {color: io.color, verbose: v.verbose}));
    // For `npm run bench`: phase times on stderr, never on stdout.
    if (process.env.SHIPSHAPE_TIMING === '1') {
      io.err.write(`shipshape-timing ${JSON.stringify({open: t1 - t0, verify: t2 - t1, report: performance.now() - t2, process: performance.now()})}\n`);
    }
    return exitCode(report, failOn);
  },
});
