// The words every layer shares. This file imports nothing: it is the bottom of the graph.

/** What one check invocation concluded. `error` means it could not decide, and says why. */
export const CHECK_STATUSES = ['pass', 'fail', 'warn', 'error', 'skip'] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

/** An item adds `manual`: only a person can settle it and nobody has yet. */
export const ITEM_STATUSES = [...CHECK_STATUSES, 'manual'] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Where a conclusion comes from. `detail` never holds a secret, only its redaction. */
export interface Evidence {
  file?: string;
  line?: number;
  key?: string;
  detail: string;
}

export interface CheckResult {
  status: CheckStatus;
  message: string;
  evidence: Evidence[];
}

export function result(status: CheckStatus, message: string, evidence: Evidence[] = []): CheckResult {
  return {status, message, evidence};
}

/** Worst first: how several check results fold into one item status. */
const RANK: Record<CheckStatus, number> = {fail: 4, error: 3, warn: 2, pass: 1, skip: 0};

export function worst(statuses: readonly CheckStatus[]): CheckStatus {
  let out: CheckStatus = 'skip';
  for (const s of statuses) if (RANK[s] > RANK[out]) out = s;
  return out;
}

export const SEVERITY_RANK: Record<Severity, number> = {critical: 4, high: 3, medium: 2, low: 1};

/** The word for each status, the same on every screen and in every report (colour is only an extra). */
export const STATUS_WORD: Record<ItemStatus | 'pending' | 'running', string> = {
  pass: 'PASS',
  fail: 'FAIL',
  warn: 'WARN',
  error: 'ERROR',
  skip: 'SKIP',
  manual: 'MANUAL',
  pending: 'PENDING',
  running: 'CHECKING',
};

/** `file:line`, or '' when the evidence has no file. */
export function where(e: Pick<Evidence, 'file' | 'line'>): string {
  return e.file ? `${e.file}${e.line ? `:${e.line}` : ''}` : '';
}

/** One evidence line as people read it: where, the key unless the detail names it, the detail. */
export function evidenceLine(e: Evidence): string {
  const at = where(e);
  return `${at ? `${at} ` : ''}${e.key && !e.detail.includes(e.key) ? `${e.key}: ` : ''}${e.detail}`;
}

/** `1 file`, `2 files`, `1 copy`, `3 copies`: counts in messages read as English. */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
