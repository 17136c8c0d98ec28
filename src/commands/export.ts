import {UsageError} from '../model/errors.js';
import {DIR, INPUT, PACK, defineCommand} from './define.js';

export const exportCommand = defineCommand({
  name: 'export',
  summary: 'Write a report of the answers and a fresh run of the checks: HTML, Markdown, JSON, SARIF or JUnit.',
  usage: 'export [--format html|markdown|json|sarif|junit] [--out FILE] [--dir DIR] [--pack ID|FILE]\n      [--input KEY=VALUE ...]',
  help: `Runs every check again, applies the answers recorded with the deployment, and writes one
report: every item with its final state, evidence, how to fix it, the answers (who, when, note)
and waivers (reason, owner, expiry), with totals per section and severity.

  html      one self-contained page (no network, opens from a file, prints well), with a chart
            per section and the failing items first
  markdown  for a wiki page or a pull request
  json      the document shared/DESIGN.md describes
  sarif     SARIF 2.1.0; items for a person are results of kind "review", waivers suppressions
  junit     JUnit XML; items for a person are skipped

--format defaults to the extension of --out, else html. Without --out the report goes to stdout;
with it, the file is replaced atomically (never through a symbolic link). A secret value never
appears in any format.

Exit codes: 0 written (whatever the findings: use check to gate CI); 2 usage, pack or input error.`,
  options: {...DIR, ...PACK, ...INPUT, format: {type: 'string'}, out: {type: 'string'}},
  async run(v, _pos, io) {
    const [{formatById, FORMATS}, {evaluate, openSession}, {buildLedger}, {buildReport}, {readAnswers}] = await Promise.all([
      import('../report/index.js'),
      import('../engine/session.js'),
      import('../engine/ledger.js'),
      import('../report/model.js'),
      import('../store/answers.js'),
    ]);
    const byExt =
      v.out === undefined ? undefined : FORMATS.find((f) => v.out!.toLowerCase().endsWith(`.${f.ext}`) || (f.id === 'html' && /\.htm$/i.test(v.out!)));
    const id = v.format ?? byExt?.id ?? 'html';
    const format = formatById(id);
    if (!format) throw new UsageError(`--format ${id}: choose one of ${FORMATS.map((f) => f.id).join(', ')}`);
    const session = await openSession({dir: v.dir, pack: v.pack, inputs: v.input ?? []});
    for (const input of session.inputs.unresolved)
      io.err.write(`shipshape: ${input} could not be inferred; items that depend on it are skipped (pass --input ${input}=...)\n`);
    const outcomes = await evaluate(session);
    const answers = readAnswers(session.root, session.pack.id);
    const ledger = buildLedger(session.pack, outcomes, {answers: answers.answers, notes: answers.notes});
    const report = buildReport(session, ledger, {answersFile: answers.file, problems: [...answers.problems, ...session.ctx.problems()]});
    const text = format.render(report, {color: false, verbose: true});
    if (v.out === undefined) {
      io.out.write(text);
      return 0;
    }
    const [{resolve}, {writeFileAtomicSync, AtomicWriteError}] = await Promise.all([import('node:path'), import('../write/atomicFile.js')]);
    const path = resolve(v.out);
    try {
      // A report holds no secret and is meant to be shared: 0644.
      writeFileAtomicSync(path, text, 0o644);
    } catch (err) {
      if (err instanceof AtomicWriteError) throw new UsageError(`--out ${err.message}`);
      throw err;
    }
    const s = report.summary;
    io.err.write(
      `shipshape: wrote ${v.out} (${format.id}): ${s.pass} pass, ${s.fail} fail, ${s.warn} warn, ${s.error} error, ${s.manual} to confirm, ${s.skip} skipped\n`,
    );
    return 0;
  },
});
