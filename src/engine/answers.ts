import {createHash} from 'node:crypto';
import type {Answer} from '../store/progress.js';
import type {ItemOutcome} from './run.js';
import type {ItemStatus} from '../model/types.js';

/** An item's state once a person's saved answer is taken into account. */
export interface FinalItem extends ItemOutcome {
  answer?: Answer;
  /** The waiver's date has passed: the item is open again. */
  waiverExpired?: boolean;
  /** Confirmed, but the evidence changed since: ask again. */
  reconfirm?: boolean;
}

/** A digest of what the checks showed (status and redacted evidence), to notice change. */
export function fingerprint(o: Pick<ItemOutcome, 'status' | 'evidence' | 'steps'>): string {
  // Line numbers are left out: adding a comment above a service is not a change in what it does.
  const basis = o.steps.map((s) => [s.check, s.result.status, s.result.evidence.map((e) => [e.file, e.key, e.detail])]);
  return createHash('sha256').update(JSON.stringify(basis)).digest('hex').slice(0, 16);
}

export function today(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}

export function applyAnswer(o: ItemOutcome, answer: Answer | undefined, day: string): FinalItem {
  if (!answer || !o.applicable) return o;
  const who = `${answer.by} on ${answer.at.slice(0, 10)}`;
  const checksObject = o.status === 'fail' || o.status === 'error';
  switch (answer.kind) {
    case 'waived': {
      if (answer.expires !== undefined && answer.expires < day) {
        return {...o, answer, waiverExpired: true, message: `waiver by ${who} expired on ${answer.expires}; ${o.message}`};
      }
      const until = answer.expires ? ` until ${answer.expires}` : '';
      return {...o, answer, status: 'skip', message: `waived by ${who}${until}: ${answer.reason ?? ''}`};
    }
    case 'declined':
      return {...o, answer, status: 'fail', message: `declined by ${who}${answer.note ? `: ${answer.note}` : ''}`};
    case 'confirmed': {
      if (checksObject) return {...o, answer, message: `${o.message} (confirmed by ${who}, but the checks disagree)`};
      if (o.steps.length > 0 && answer.evidence !== undefined && answer.evidence !== fingerprint(o)) {
        return {...o, answer, reconfirm: true, status: 'manual', message: `the evidence changed since ${who} confirmed it: confirm again`};
      }
      const status: ItemStatus = o.needsPerson ? 'pass' : o.status;
      return {...o, answer, status, message: `confirmed by ${who}${answer.note ? `: ${answer.note}` : ''}`};
    }
  }
}

export function applyAnswers(outcomes: readonly ItemOutcome[], answers: Readonly<Record<string, Answer>>, day = today()): FinalItem[] {
  return outcomes.map((o) => applyAnswer(o, answers[o.id], day));
}
