import type {ItemStatus} from './types.js';

// What a person said about an item. Plain data: the stores validate it, the ledger reads it.

export const ANSWER_KINDS = ['confirmed', 'declined', 'waived'] as const;
export type AnswerKind = (typeof ANSWER_KINDS)[number];

export interface Answer {
  kind: AnswerKind;
  by: string;
  /** ISO timestamp. */
  at: string;
  note?: string;
  /** Required for a waiver. */
  reason?: string;
  /** Who owns a waived risk (defaults to who waived it). */
  owner?: string;
  /** A waiver reopens after this date (YYYY-MM-DD). */
  expires?: string;
  /** A date the person gave (e.g. of the last restore drill). */
  date?: string;
  /** Fingerprint of the evidence the person saw; a change asks for a new confirmation. */
  evidence?: string;
}

export interface Note {
  text: string;
  by: string;
  at: string;
}

/** What the person saw last time, for drift: a status and a fingerprint of the redacted evidence. */
export interface Seen {
  status: ItemStatus;
  fingerprint: string;
  at: string;
}

/** The one rule for a waiver's reason, used by every front end and the answer command. */
export function waiverProblem(reason: string | undefined): string | undefined {
  return reason?.trim() ? undefined : 'a waiver needs a reason';
}
