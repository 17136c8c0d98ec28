import {applyAnswer, fingerprint, today, type FinalItem} from '../engine/answers.js';
import {Context} from '../engine/context.js';
import {runCommand} from '../engine/exec.js';
import {applies, pLimit, type ItemOutcome} from '../engine/run.js';
import {evaluate, openSession, type Session, type SessionOptions} from '../engine/session.js';
import {SEVERITY_RANK, type ItemStatus, type Severity} from '../model/types.js';
import type {PackItem} from '../pack/schema.js';
import {ProgressStore, type Answer, type Seen} from '../store/progress.js';
import {userInfo} from 'node:os';

/**
 * The wizard's core: one deployment, one pack, its saved progress, and the checks running in
 * the background. Every front end (the Ink TUI, the plain line-by-line mode) reads its
 * snapshot and calls its methods; none of them decides anything. It never imports ink or react.
 */

export type LiveStatus = ItemStatus | 'pending' | 'running';

export interface ItemView {
  id: string;
  section: string;
  sectionTitle: string;
  title: string;
  why: string;
  how: string;
  severity: Severity;
  /** The question for a person, when the item has one. */
  confirm?: {question: string; askDate: boolean};
  /** Name of the generator the item offers (generators are built separately). */
  generator?: string;
  applicable: boolean;
  status: LiveStatus;
  message: string;
  final?: FinalItem;
  answer?: Answer;
  note?: {text: string; by: string; at: string};
  /** The checks' result differs from the last time a person saw this item. */
  changed: boolean;
  /** Confirmed before, but the evidence has changed since: confirm again. */
  reconfirm: boolean;
  waiverExpired: boolean;
  /** Settled: passing, skipped, waived or answered. */
  finished: boolean;
}

export interface SectionView {
  id: string;
  title: string;
  items: string[];
  counts: {pass: number; fail: number; answered: number; pending: number; skip: number; total: number};
}

export interface Snapshot {
  version: number;
  root: string;
  pack: {id: string; title: string; version: string};
  chosenBy: string;
  inputs: {id: string; question: string; value?: string; origin?: string; choices: {value: string; label: string}[]}[];
  items: ItemView[];
  sections: SectionView[];
  done: number;
  total: number;
  changed: string[];
  running: number;
  /** Where the person left off last time, or the first unfinished item. */
  resumeAt?: string;
  hadProgress: boolean;
  /** A damaged progress file that was set aside on open. */
  recovered?: string;
  who: string;
}

export interface AnswerInput {
  by: string;
  note?: string;
  reason?: string;
  expires?: string;
  date?: string;
}

export class AnswerError extends Error {}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A real calendar day written as 2026-12-31 (not 2026-02-30 or 2026-13-01). */
function isDate(s: string): boolean {
  if (!DATE.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

export class Wizard {
  private outcomes = new Map<string, ItemOutcome>();
  private running = new Map<string, AbortController>();
  private changedIds = new Set<string>();
  private baseline: Record<string, Seen> = {};
  /** Items whose last checks were stopped before they finished: their result is no baseline. */
  private stopped = new Set<string>();
  private listeners = new Set<() => void>();
  private snap!: Snapshot;
  private version = 0;
  private readonly itemsById: Map<string, {item: PackItem; section: {id: string; title: string}}>;
  private hadProgress: boolean;
  /** Items whose checks may run at once: enough to overlap slow network checks, few enough for a small host. */
  private readonly limit = pLimit(6);

  private constructor(
    private session: Session,
    readonly store: ProgressStore,
    public who: string,
  ) {
    this.itemsById = new Map(session.pack.sections.flatMap((s) => s.items.map((item) => [item.id, {item, section: s}] as const)));
    this.hadProgress = Object.keys(store.get().answers).length > 0 || Object.keys(store.get().seen).length > 0;
    this.rebuild();
  }

  static async open(o: SessionOptions & {who?: string}): Promise<Wizard> {
    const session = await openSession(o);
    // Writes wait for ready(): conf loads while the first frame is drawn.
    const store = await ProgressStore.open(session.root, session.pack, {deferWrites: true});
    // Inputs a person chose before are kept, unless given again on the command line.
    const saved = store.get().inputs;
    let changedInputs = false;
    for (const input of session.pack.inputs) {
      const value = saved[input.id];
      if (value !== undefined && session.inputs.origin[input.id] !== 'given' && input.choices.some((c) => c.value === value)) {
        session.inputs.values[input.id] = value;
        session.inputs.origin[input.id] = 'chosen earlier';
        session.inputs.unresolved = session.inputs.unresolved.filter((u) => u !== input.id);
        changedInputs = true;
      }
    }
    if (changedInputs) session.ctx = new Context(session.root, session.pack, session.inputs.values);
    const wizard = new Wizard(session, store, o.who ?? loginName());
    // git's user.name is asked for in the background, so the first frame does not wait on a
    // process; it replaces the login name unless the person has typed a name meanwhile.
    if (o.who === undefined) {
      void whoAmI(session.root).then((name) => {
        if (!wizard.whoChosen && name !== wizard.who) wizard.setWho(name, false);
      });
    }
    return wizard;
  }

  // ---- observing -------------------------------------------------------------------------

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getSnapshot = (): Snapshot => this.snap;

  private emit(): void {
    this.rebuild();
    for (const fn of this.listeners) fn();
  }

  // ---- checks ----------------------------------------------------------------------------

  /** Resolves once answers can be saved; the front ends take keys only after it. */
  ready(): Promise<void> {
    return this.store.ready();
  }

  /** Runs the checks of the given items (default: all), in the background; results stream in. */
  async run(ids?: readonly string[]): Promise<void> {
    const only = new Set(ids ?? this.itemsById.keys());
    for (const id of only) {
      this.running.get(id)?.abort();
      const ac = new AbortController();
      this.running.set(id, ac);
    }
    this.emit();
    // Results record a baseline for drift, which is a write.
    await this.ready();
    await Promise.all(
      [...only].map(async (id) => {
        const ac = this.running.get(id)!;
        const [outcome] = await this.limit(() => evaluate(this.session, {only: new Set([id]), signal: ac.signal}));
        if (this.running.get(id) !== ac) return; // superseded by a newer run
        this.running.delete(id);
        // A check the person stopped (or close()) says nothing about the deployment: show it, but it is no drift and no baseline.
        if (outcome) this.settle(outcome, !ac.signal.aborted);
        this.emit();
      }),
    );
    this.flushBaseline();
  }

  /** One write for all first-seen items of a run, instead of one fsync'd write each. */
  private flushBaseline(): void {
    if (Object.keys(this.baseline).length === 0) return;
    const fresh = Object.fromEntries(Object.entries(this.baseline).filter(([id]) => !this.store.get().seen[id]));
    this.baseline = {};
    if (Object.keys(fresh).length > 0) this.store.recordSeen(fresh);
  }

  /** Stops the running checks of an item (a slow network check): they end as `skip`. */
  skip(id: string): void {
    this.running.get(id)?.abort(new Error('skipped by the user'));
  }

  private settle(outcome: ItemOutcome, judge = true): void {
    this.outcomes.set(outcome.id, outcome);
    if (judge) this.stopped.delete(outcome.id);
    else this.stopped.add(outcome.id);
    // An item that does not apply has no result for a person to have seen.
    if (!outcome.applicable) this.changedIds.delete(outcome.id);
    if (!judge || !outcome.applicable) return;
    const seen = this.store.get().seen[outcome.id];
    const fp = fingerprint(outcome);
    // First sight of an item: its baseline for drift, written once when the run ends.
    if (!seen) this.baseline[outcome.id] = {status: outcome.status, fingerprint: fp, at: new Date().toISOString()};
    else if (seen.fingerprint !== fp) this.changedIds.add(outcome.id);
    else this.changedIds.delete(outcome.id);
  }

  /** The person has looked at the item: its current result becomes the baseline for drift. */
  markSeen(id: string): void {
    const outcome = this.outcomes.get(id);
    if (!outcome || this.running.has(id) || this.stopped.has(id) || !outcome.applicable) return;
    this.store.recordSeen({[id]: {status: outcome.status, fingerprint: fingerprint(outcome), at: new Date().toISOString()}});
    if (this.changedIds.delete(id)) this.emit();
  }

  // ---- answers (each one is on disk before the method returns) ----------------------------

  confirm(id: string, a: AnswerInput): void {
    const {item} = this.get(id);
    if (a.date !== undefined && a.date !== '' && !isDate(a.date)) throw new AnswerError('the date must look like 2026-11-30');
    const outcome = this.outcomes.get(id);
    // The evidence a person confirms is recorded with the answer, so it must be in first.
    if (item.verify && (!outcome || this.running.has(id))) throw new AnswerError('its checks are still running: wait for them, or press x to skip them');
    this.answer(id, {
      kind: 'confirmed',
      by: this.by(a),
      at: new Date().toISOString(),
      note: clean(a.note),
      date: clean(a.date),
      evidence: outcome && item.verify ? fingerprint(outcome) : undefined,
    });
  }

  decline(id: string, a: AnswerInput): void {
    this.get(id);
    this.answer(id, {kind: 'declined', by: this.by(a), at: new Date().toISOString(), note: clean(a.note)});
  }

  waive(id: string, a: AnswerInput): void {
    this.get(id);
    if (!a.reason?.trim()) throw new AnswerError('a waiver needs a reason');
    if (a.expires !== undefined && a.expires !== '' && !isDate(a.expires)) throw new AnswerError('the expiry must look like 2026-12-31');
    if (a.expires && a.expires < today()) throw new AnswerError('the expiry date is already past');
    this.answer(id, {kind: 'waived', by: this.by(a), at: new Date().toISOString(), reason: a.reason.trim(), expires: clean(a.expires)});
  }

  /** Takes an answer back. */
  undo(id: string): void {
    this.get(id);
    this.store.clearAnswer(id);
    this.emit();
  }

  note(id: string, text: string, by = this.who): void {
    this.get(id);
    this.store.setNote(id, {text: text.trim(), by, at: new Date().toISOString()});
    this.emit();
  }

  /** Set when the person chose a name; a late git lookup then leaves it alone. */
  whoChosen = false;

  setWho(who: string, chosen = true): void {
    if (!who.trim()) return;
    this.who = who.trim();
    this.whoChosen ||= chosen;
    this.emit();
  }

  setPosition(id: string): void {
    if (this.store.get().position !== id) this.store.setPosition(id);
  }

  /** Changes an input (e.g. compose -> kubernetes): saved, and every check runs again. */
  setInput(id: string, value: string): Promise<void> {
    const input = this.session.pack.inputs.find((i) => i.id === id);
    if (!input?.choices.some((c) => c.value === value)) throw new AnswerError(`${value} is not a choice of ${id}`);
    this.session.inputs.values[id] = value;
    this.session.inputs.origin[id] = 'chosen';
    this.session.inputs.unresolved = this.session.inputs.unresolved.filter((u) => u !== id);
    this.session.ctx = new Context(this.session.root, this.session.pack, this.session.inputs.values);
    this.store.setInputs({...this.session.inputs.values});
    return this.run();
  }

  private answer(id: string, answer: Answer): void {
    this.store.setAnswer(id, answer);
    this.emit();
  }

  private by(a: AnswerInput): string {
    return a.by.trim() || this.who;
  }

  private get(id: string) {
    const found = this.itemsById.get(id);
    if (!found) throw new AnswerError(`no item ${id}`);
    return found;
  }

  // ---- what the front ends show ------------------------------------------------------------

  /** The next item after `after` (in pack order, wrapping) that is not finished; changed items first. */
  nextUnfinished(after?: string): string | undefined {
    const items = this.snap.items;
    const changed = items.find((i) => i.changed && i.id !== after && !(i.finished && !i.reconfirm));
    if (changed && after === undefined) return changed.id;
    const start = after === undefined ? 0 : items.findIndex((i) => i.id === after) + 1;
    for (let n = 0; n < items.length; n++) {
      const i = items[(start + n) % items.length]!;
      if (!i.finished && i.status !== 'running' && i.status !== 'pending' && i.id !== after) return i.id;
    }
    return items.find((i) => !i.finished && i.id !== after)?.id;
  }

  summary() {
    const items = this.snap.items.filter((i) => i.applicable);
    const byStatus: Record<string, number> = {};
    for (const i of items) byStatus[i.status] = (byStatus[i.status] ?? 0) + 1;
    // Declined items are answered but not fine: they stay on the list of what is open.
    const open = items
      .filter((i) => !i.finished || i.status === 'fail' || i.status === 'error')
      .sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]);
    const openBySeverity: Record<Severity, number> = {critical: 0, high: 0, medium: 0, low: 0};
    for (const i of open) openBySeverity[i.severity]++;
    const waivers = items
      .filter((i) => i.answer?.kind === 'waived')
      .map((i) => ({id: i.id, title: i.title, by: i.answer!.by, reason: i.answer!.reason ?? '', expires: i.answer!.expires, expired: i.waiverExpired}));
    return {byStatus, open, openBySeverity, waivers, applicable: items.length};
  }

  /** Stops background checks (on quit). */
  close(): void {
    for (const ac of this.running.values()) ac.abort(new Error('closing'));
  }

  private rebuild(): void {
    const p = this.store.get();
    const day = today();
    const items: ItemView[] = [];
    for (const {item, section} of this.itemsById.values()) {
      const outcome = this.outcomes.get(item.id);
      const answer = p.answers[item.id];
      const isRunning = this.running.has(item.id);
      const when = applies(item, this.session.inputs.values);
      // Once checked, an item whose every check is conditioned away (and has nothing to ask) does not apply either.
      const applicable = when.ok && !(outcome && !outcome.applicable && !isRunning);
      const final = outcome ? applyAnswer(outcome, answer, day) : undefined;
      const status: LiveStatus = isRunning ? 'running' : final ? final.status : 'pending';
      const reconfirm = final?.reconfirm ?? false;
      const waiverExpired = final?.waiverExpired ?? false;
      const answered = answer !== undefined && !reconfirm && !waiverExpired;
      items.push({
        id: item.id,
        section: section.id,
        sectionTitle: section.title,
        title: item.title,
        why: item.why,
        how: item.how,
        severity: item.severity,
        confirm: item.confirm === undefined ? undefined : typeof item.confirm === 'string' ? {question: item.confirm, askDate: false} : {question: item.confirm.question, askDate: item.confirm.askDate ?? false},
        generator: item.generate?.generator,
        applicable,
        status,
        message: isRunning ? 'checking…' : (final?.message ?? (when.ok ? 'not checked yet' : `not applicable: ${when.reason}`)),
        final,
        answer,
        note: p.notes[item.id],
        changed: this.changedIds.has(item.id),
        reconfirm,
        waiverExpired,
        finished: !applicable || status === 'pass' || status === 'skip' || (answered && status !== 'running'),
      });
    }
    const sections: SectionView[] = this.session.pack.sections.map((s) => {
      const mine = items.filter((i) => i.section === s.id);
      const counts = {pass: 0, fail: 0, answered: 0, pending: 0, skip: 0, total: mine.length};
      for (const i of mine) {
        if (i.answer && !i.reconfirm && !i.waiverExpired) counts.answered++;
        else if (i.status === 'pass') counts.pass++;
        else if (i.status === 'fail' || i.status === 'error') counts.fail++;
        else if (i.status === 'skip') counts.skip++;
        else counts.pending++;
      }
      return {id: s.id, title: s.title, items: mine.map((i) => i.id), counts};
    });
    const changed = items.filter((i) => i.changed).map((i) => i.id);
    const position = p.position && items.some((i) => i.id === p.position && !i.finished) ? p.position : undefined;
    this.snap = {
      version: ++this.version,
      root: this.session.root,
      pack: {id: this.session.pack.id, title: this.session.pack.title, version: this.session.pack.version},
      chosenBy: this.session.chosenBy,
      inputs: this.session.pack.inputs.map((i) => ({id: i.id, question: i.question, value: this.session.inputs.values[i.id], origin: this.session.inputs.origin[i.id], choices: i.choices})),
      items,
      sections,
      // Items that do not apply to this deployment are not part of the walk.
      done: items.filter((i) => i.applicable && i.finished).length,
      total: items.filter((i) => i.applicable).length,
      changed,
      running: this.running.size,
      resumeAt: changed[0] ?? position ?? items.find((i) => !i.finished)?.id,
      hadProgress: this.hadProgress,
      recovered: this.store.recovered,
      who: this.who,
    };
  }
}

function clean(s: string | undefined): string | undefined {
  const t = s?.trim();
  return t ? t : undefined;
}

/** Who is answering: git's user.name for this deployment, else the login name. */
export async function whoAmI(root: string): Promise<string> {
  const r = await runCommand('git', ['config', 'user.name'], {cwd: root, timeoutMs: 2_000});
  const name = r.ok ? r.stdout.trim() : '';
  return name || loginName();
}

function loginName(): string {
  try {
    return process.env.USER || userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}
