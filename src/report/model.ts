import {isComplete, type Ledger, type Waiver} from '../engine/ledger.js';
import type {Session} from '../engine/session.js';
import type {Answer, Note} from '../model/answer.js';
import {ITEM_STATUSES, SEVERITY_RANK, where, type Evidence, type ItemStatus, type Severity} from '../model/types.js';
import {VERSION} from '../version.js';

/** A person's answer as every format reports it: fields, never only words inside a message. */
export interface ReportAnswer {
  status: Answer['kind'];
  by: string;
  at: string;
  note?: string;
  date?: string;
  waiver?: {reason: string; owner?: string; expires?: string; expired: boolean; unneeded: boolean};
}

export interface ReportItem {
  id: string;
  section: string;
  sectionTitle: string;
  /** The pack the item comes from, when it is not the report's own (one it extends). */
  pack?: string;
  title: string;
  severity: Severity;
  status: ItemStatus;
  message: string;
  evidence: Evidence[];
  how: string;
  why: string;
  answer?: ReportAnswer;
  note?: Note;
}

/** A source file that could not be read or parsed, named once at the top of a report. */
export interface Problem {
  file: string;
  line?: number;
  message: string;
}

export interface Report {
  version: string;
  pack: {id: string; title: string; version: string};
  dir: string;
  inputs: Record<string, string>;
  /** Where the deployment's answers live (relative to dir). */
  answersFile?: string;
  problems: Problem[];
  items: ReportItem[];
  summary: Record<ItemStatus, number>;
}

function reportAnswer(a: Answer | undefined, w: Waiver | undefined): ReportAnswer | undefined {
  if (!a) return undefined;
  return {
    status: a.kind,
    by: a.by,
    at: a.at,
    ...(a.note ? {note: a.note} : {}),
    ...(a.date ? {date: a.date} : {}),
    ...(w
      ? {waiver: {reason: w.reason, ...(w.owner ? {owner: w.owner} : {}), ...(w.expires ? {expires: w.expires} : {}), expired: w.expired, unneeded: w.unneeded}}
      : {}),
  };
}

export function buildReport(
  s: Pick<Session, 'pack' | 'root'> & {inputs: {values: Record<string, string>}},
  ledger: Ledger,
  extra: {answersFile?: string; problems?: Problem[]} = {},
): Report {
  if (!isComplete(ledger)) throw new Error('a report needs every item checked');
  const items: ReportItem[] = ledger.entries.map((e) => ({
    status: e.status as ItemStatus,
    id: e.id,
    section: e.section,
    sectionTitle: e.sectionTitle,
    ...(e.from ? {pack: e.from} : {}),
    title: e.title,
    severity: e.severity,
    message: e.message,
    evidence: e.evidence,
    how: e.how,
    why: e.why,
    answer: reportAnswer(e.answer, e.waiver),
    note: e.note,
  }));
  const summary = Object.fromEntries(ITEM_STATUSES.map((st) => [st, 0])) as Record<ItemStatus, number>;
  for (const i of items) summary[i.status]++;
  return {
    version: VERSION,
    pack: {id: s.pack.id, title: s.pack.title, version: s.pack.version},
    dir: s.root,
    inputs: s.inputs.values,
    answersFile: extra.answersFile,
    problems: extra.problems ?? [],
    items,
    summary,
  };
}

const atOrAbove = (i: ReportItem, threshold: Severity) => SEVERITY_RANK[i.severity] >= SEVERITY_RANK[threshold];

/** Items that fail at or above the threshold: what makes `check` exit 1. */
export function failing(report: Report, threshold: Severity): ReportItem[] {
  return report.items.filter((i) => i.status === 'fail' && atOrAbove(i, threshold));
}

/** Items at or above the threshold that could not be decided: exit 3 when nothing fails. */
export function undecided(report: Report, threshold: Severity): ReportItem[] {
  return report.items.filter((i) => i.status === 'error' && atOrAbove(i, threshold));
}

/** shared/DESIGN.md's exit codes: 1 when something fails, else 3 when something could not be decided, else 0. */
export function exitCode(report: Report, threshold: Severity): number {
  if (failing(report, threshold).length > 0) return 1;
  if (undecided(report, threshold).length > 0) return 3;
  return 0;
}

export {where};

/** An answer in one line of words, the same in every human-readable format. */
export function answerLine(a: ReportAnswer | undefined): string | undefined {
  if (!a) return undefined;
  const w = a.waiver;
  const waiver = w
    ? `: ${w.reason}${w.owner ? `; owner ${w.owner}` : ''}${w.expires ? `; ${w.expired ? 'expired' : 'until'} ${w.expires}` : ''}${w.unneeded ? '; no longer needed, remove it' : ''}`
    : '';
  return `${a.status} by ${a.by} on ${a.at.slice(0, 10)}${waiver}${a.note ? ` (note: ${a.note})` : ''}${a.date ? ` (done on ${a.date})` : ''}`;
}

/** ` (from compose)` for an item inherited from another pack; empty for the pack's own. */
export function fromPack(r: Pick<Report, 'pack'>, i: Pick<ReportItem, 'pack'>): string {
  return i.pack === undefined || i.pack === r.pack.id ? '' : ` (from ${i.pack})`;
}

/** A source file that could not be read, in one line. */
export function problemLine(p: Problem): string {
  return `${p.file}${p.line ? `:${p.line}` : ''}: ${p.message}`;
}
