import {createHash} from 'node:crypto';
import type {Answer, Note, Seen} from '../model/answer.js';
import {ITEM_STATUSES, type Evidence, type ItemStatus, type Severity} from '../model/types.js';
import type {Pack} from '../pack/schema.js';
import type {ItemOutcome} from './run.js';

/**
 * The item ledger: for each item of the pack, what the checks said, what a person answered,
 * the waiver, the note, and what changed since the person last looked. Built here and only
 * here; `check`'s reports, the wizard, plain mode, export and sign-off all read it.
 */

export type LedgerStatus = ItemStatus | 'pending';

export interface Waiver {
  reason: string;
  by: string;
  at: string;
  owner?: string;
  expires?: string;
  /** The expiry date has passed: the item is open again. */
  expired: boolean;
  /** The item passes on its own now: the waiver can go. */
  unneeded: boolean;
}

export interface LedgerEntry {
  id: string;
  section: string;
  sectionTitle: string;
  /** For an item taken in through `extends`: the pack it comes from (src/pack/compose.ts). */
  from?: string;
  title: string;
  why: string;
  how: string;
  severity: Severity;
  /** The question for a person, when the item has one. */
  confirm?: {question: string; askDate: boolean};
  /** The generator the item offers. */
  generator?: string;
  applicable: boolean;
  /** What the checks said before any answer; undefined until they have run. */
  outcome?: ItemOutcome;
  /** The final status: checks, then the answer. `pending` until the checks have run. */
  status: LedgerStatus;
  message: string;
  evidence: Evidence[];
  answer?: Answer;
  note?: Note;
  waiver?: Waiver;
  /** Confirmed before, but the evidence has changed since: confirm again. */
  reconfirm: boolean;
  /** The checks' result differs from what the person last saw: the old and new status. */
  change?: {from: ItemStatus; to: LedgerStatus};
  /** A person's answer holds (not expired, not to be confirmed again): the walk moves past it. */
  answered: boolean;
  /** Settled: passing, skipped, waived, confirmed, or not applicable. A declined item is answered but not settled. */
  finished: boolean;
}

/** One way of counting, shared by the sections screen, the summary and every report. */
export interface Tally {
  pass: number;
  fail: number;
  warn: number;
  error: number;
  skip: number;
  manual: number;
  pending: number;
  /** Items that apply to this deployment. */
  applicable: number;
  /** Applicable items that are settled. */
  done: number;
}

export interface LedgerSection {
  id: string;
  title: string;
  items: string[];
  tally: Tally;
}

export interface Ledger {
  entries: LedgerEntry[];
  sections: LedgerSection[];
  tally: Tally;
}

export interface LedgerInput {
  answers?: Readonly<Record<string, Answer>>;
  notes?: Readonly<Record<string, Note>>;
  /** What the person saw last time; absent: no drift is reported. */
  seen?: Readonly<Record<string, Seen>>;
  /** Today as YYYY-MM-DD, for waiver expiry. */
  day?: string;
}

/** A digest of what the checks showed (status and redacted evidence), to notice change. */
export function fingerprint(o: Pick<ItemOutcome, 'steps'>): string {
  // Line numbers are left out: adding a comment above a service is not a change in what it does.
  const basis = o.steps.map((s) => [s.check, s.result.status, s.result.evidence.map((e) => [e.file, e.key, e.detail])]);
  return createHash('sha256').update(JSON.stringify(basis)).digest('hex').slice(0, 16);
}

export function today(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** How a passing, failing or person-only item reads once a saved answer is applied. */
export function judge(o: ItemOutcome, answer: Answer | undefined, day: string): Pick<LedgerEntry, 'status' | 'message' | 'waiver' | 'reconfirm'> {
  const plain = {status: o.status, message: o.message, reconfirm: false};
  if (!answer || !o.applicable) return plain;
  const who = `${answer.by} on ${answer.at.slice(0, 10)}`;
  const checksObject = o.status === 'fail' || o.status === 'error';
  switch (answer.kind) {
    case 'waived': {
      const expired = answer.expires !== undefined && answer.expires < day;
      const unneeded = o.status === 'pass';
      const waiver: Waiver = {reason: answer.reason ?? '', by: answer.by, at: answer.at, owner: answer.owner, expires: answer.expires, expired, unneeded};
      if (unneeded) return {...plain, waiver, message: `${o.message} (the waiver by ${who} is no longer needed: remove it)`};
      if (expired) return {...plain, waiver, message: `waiver by ${who} expired on ${answer.expires}; ${o.message}`};
      const until = answer.expires ? ` until ${answer.expires}` : '';
      const owner = answer.owner && answer.owner !== answer.by ? `, owned by ${answer.owner}` : '';
      return {status: 'skip', waiver, reconfirm: false, message: `waived by ${who}${until}${owner}: ${answer.reason ?? ''}`};
    }
    case 'declined':
      return {status: 'fail', reconfirm: false, message: `declined by ${who}${answer.note ? `: ${answer.note}` : ''}`};
    case 'confirmed': {
      if (checksObject) return {...plain, message: `${o.message} (confirmed by ${who}, but the checks disagree)`};
      if (o.steps.length > 0 && answer.evidence !== undefined && answer.evidence !== fingerprint(o)) {
        return {status: 'manual', reconfirm: true, message: `the evidence changed since ${who} confirmed it: confirm again`};
      }
      const status: ItemStatus = o.needsPerson ? 'pass' : o.status;
      return {status, reconfirm: false, message: `confirmed by ${who}${answer.note ? `: ${answer.note}` : ''}`};
    }
  }
}

export function emptyTally(): Tally {
  return {pass: 0, fail: 0, warn: 0, error: 0, skip: 0, manual: 0, pending: 0, applicable: 0, done: 0};
}

/** Counts entries: every item by its status (one that does not apply counts as skip), plus applicable and done. */
export function tally(entries: readonly Pick<LedgerEntry, 'status' | 'applicable' | 'finished'>[]): Tally {
  const t = emptyTally();
  for (const e of entries) {
    t[e.applicable ? e.status : 'skip']++;
    if (e.applicable) {
      t.applicable++;
      if (e.finished) t.done++;
    }
  }
  return t;
}

/** The legend every screen and report shows beside the counts. */
export const TALLY_LEGEND: Record<Exclude<keyof Tally, 'applicable' | 'done'>, string> = {
  pass: 'passes: checked, or confirmed by a person',
  fail: 'fails: a check failed, or a person declined it',
  warn: 'a check warns',
  error: 'could not be decided (a file or endpoint could not be read)',
  skip: 'skipped: waived, or does not apply',
  manual: 'waits for a person to confirm',
  pending: 'not checked yet',
};

/** Builds the ledger for a pack from check outcomes (some may be missing: pending) and saved answers. */
export function buildLedger(pack: Pack, outcomes: Iterable<ItemOutcome> | ReadonlyMap<string, ItemOutcome>, input: LedgerInput = {}): Ledger {
  const byId =
    outcomes instanceof Map ? (outcomes as ReadonlyMap<string, ItemOutcome>) : new Map([...(outcomes as Iterable<ItemOutcome>)].map((o) => [o.id, o]));
  const day = input.day ?? today();
  const entries: LedgerEntry[] = [];
  const sections: LedgerSection[] = [];
  for (const section of pack.sections) {
    const mine: LedgerEntry[] = [];
    for (const item of section.items) {
      const outcome = byId.get(item.id);
      const answer = input.answers?.[item.id];
      const base = {
        id: item.id,
        section: section.id,
        sectionTitle: section.title,
        ...(pack.origin?.[item.id] ? {from: pack.origin[item.id]} : {}),
        title: item.title,
        why: item.why,
        how: item.how,
        severity: item.severity,
        confirm:
          item.confirm === undefined
            ? undefined
            : typeof item.confirm === 'string'
              ? {question: item.confirm, askDate: false}
              : {question: item.confirm.question, askDate: item.confirm.askDate ?? false},
        // One name per generator: an item may offer the same one for Compose and for Kubernetes.
        generator: item.generate ? [...new Set(item.generate.map((g) => g.generator))].join(' + ') : undefined,
        answer,
        note: input.notes?.[item.id],
      };
      if (!outcome) {
        mine.push({...base, applicable: true, status: 'pending', message: 'not checked yet', evidence: [], reconfirm: false, answered: false, finished: false});
        continue;
      }
      const j = judge(outcome, answer, day);
      const seen = input.seen?.[item.id];
      const change = seen && outcome.applicable && seen.fingerprint !== fingerprint(outcome) ? {from: seen.status, to: j.status} : undefined;
      const waiverHolds = j.waiver && !j.waiver.expired && !j.waiver.unneeded;
      const answered = answer !== undefined && !j.reconfirm && !(j.waiver && !waiverHolds);
      const finished =
        !outcome.applicable ||
        j.status === 'pass' ||
        j.status === 'skip' ||
        (answered && answer.kind !== 'declined' && j.status !== 'fail' && j.status !== 'error');
      mine.push({...base, ...j, applicable: outcome.applicable, outcome, evidence: outcome.evidence, change, answered, finished});
    }
    entries.push(...mine);
    sections.push({id: section.id, title: section.title, items: mine.map((e) => e.id), tally: tally(mine)});
  }
  return {entries, sections, tally: tally(entries)};
}

/** True when every applicable entry has a final status (no pending): what reports need. */
export function isComplete(l: Ledger): l is Ledger & {entries: (LedgerEntry & {status: ItemStatus})[]} {
  return l.entries.every((e) => (ITEM_STATUSES as readonly string[]).includes(e.status));
}
