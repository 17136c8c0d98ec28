import {applyAnswers} from '../engine/answers.js';
import {evaluate, openSession, UsageError} from '../engine/session.js';
import {SEVERITIES, type Severity} from '../model/types.js';
import {buildReport, failing} from '../report/model.js';
import type {Answer} from '../store/progress.js';

export const FORMATS = ['text', 'json', 'markdown', 'sarif', 'junit'] as const;
export type Format = (typeof FORMATS)[number];

export interface CheckOptions {
  dir?: string;
  pack?: string;
  format: Format;
  failOn: Severity;
  inputs: string[];
  verbose?: boolean;
  color: boolean;
}

export function parseFormat(v: string | undefined): Format {
  if (v === undefined) return 'text';
  if (!(FORMATS as readonly string[]).includes(v)) throw new UsageError(`--format ${v}: choose one of ${FORMATS.join(', ')}`);
  return v as Format;
}

export function parseSeverity(v: string | undefined): Severity {
  if (v === undefined) return 'high';
  if (!(SEVERITIES as readonly string[]).includes(v)) throw new UsageError(`--fail-on ${v}: choose one of ${SEVERITIES.join(', ')}`);
  return v as Severity;
}

/** Runs the pack non-interactively and prints one report; the exit code follows shared/DESIGN.md. */
export async function checkCommand(o: CheckOptions, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const t0 = performance.now();
  const session = await openSession(o);
  const t1 = performance.now();
  for (const id of session.inputs.unresolved) {
    const input = session.pack.inputs.find((i) => i.id === id)!;
    err.write(`shipshape: ${id} could not be inferred; items that depend on it are skipped. Pass --input ${id}=${input.choices.map((c) => c.value).join('|')}\n`);
  }
  const outcomes = await evaluate(session);
  const t2 = performance.now();
  const answers = await savedAnswers(session.root, session.pack);
  const report = buildReport(session.pack, session.root, session.inputs.values, applyAnswers(outcomes, answers));
  out.write(await render(report, o));
  // For `npm run bench`: phase times on stderr, never on stdout.
  if (process.env.SHIPSHAPE_TIMING === '1') {
    err.write(`shipshape-timing ${JSON.stringify({open: t1 - t0, verify: t2 - t1, report: performance.now() - t2, process: performance.now()})}\n`);
  }
  return failing(report, o.failOn).length > 0 ? 1 : 0;
}

async function render(report: ReturnType<typeof buildReport>, o: CheckOptions): Promise<string> {
  switch (o.format) {
    case 'json':
      return `${(await import('../report/json.js')).toJson(report)}\n`;
    case 'markdown':
      return (await import('../report/markdown.js')).toMarkdown(report);
    case 'sarif':
      return `${(await import('../report/sarif.js')).toSarif(report)}\n`;
    case 'junit':
      return (await import('../report/junit.js')).toJunit(report);
    default:
      return (await import('../report/text.js')).toText(report, {color: o.color, verbose: o.verbose});
  }
}

/** Answers a person saved in the wizard count in CI too; conf is loaded only when a file exists. */
async function savedAnswers(root: string, pack: {id: string; version: string}): Promise<Record<string, Answer>> {
  const {hasProgress, ProgressStore} = await import('../store/progress.js');
  if (!hasProgress(root, pack.id)) return {};
  // Read only: CI never moves or rewrites a person's progress file.
  return ProgressStore.read(root, pack).answers;
}
