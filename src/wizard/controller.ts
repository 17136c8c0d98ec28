import {userInfo} from 'node:os';
import {buildLedger, fingerprint, tally, today, type LedgerEntry, type Tally} from '../engine/ledger.js';
import {runCommand} from '../engine/exec.js';
import {applies, pLimit, type ItemOutcome} from '../engine/run.js';
import {evaluate, openSession, withInputs, type Session, type SessionOptions} from '../engine/session.js';
import {isCalendarDate} from '../deploy/dates.js';
import {waiverProblem, type Answer, type Seen} from '../model/answer.js';
import {SEVERITY_RANK, type Evidence, type ItemStatus, type Severity} from '../model/types.js';
import type {PackItem} from '../pack/schema.js';
import {AnswersStore} from '../store/answers.js';
import {ProgressStore} from '../store/progress.js';

/**
 * The wizard's core: one deployment, one pack, its saved progress, and the checks running in
 * the background. Every front end (the Ink TUI, the plain line-by-line mode) reads its
 * snapshot and calls its methods; none of them decides anything. It never imports ink or react.
 */

export type LiveStatus = ItemStatus | 'pending' | 'running';

/** One item as the front ends show it: its ledger entry, with the live state of its checks. */
export interface ItemView extends Omit<LedgerEntry, 'status'> {
  status: LiveStatus;
  /** The checks' result differs from the last time a person saw this item. */
  changed: boolean;
  waiverExpired: boolean;
  /** The evidence of the last finished run. */
  final?: {evidence: Evidence[]};
}

export interface SectionView {
  id: string;
  title: string;
  items: string[];
  /** The one way of counting (engine/ledger.ts), the same as the summary and `check`. */
  tally: Tally;
}

export interface Snapshot {
  version: number;
  root: string;
  pack: {id: string; title: string; version: string};
  chosenBy: string;
  inputs: {id: string; question: string; value?: string; origin?: string; choices: {value: string; label: string}[]; warning?: string}[];
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
  /** Why personal progress (where you left off) is not kept this run, if so. */
  progressProblem?: string;
  /** Where answers are kept (in the deployment), and why they cannot be, if so. */
  answersFile: string;
  answersProblem?: string;
  /** Answers moved from an older personal progress file into the deployment on this start. */
  migrated: number;
  who: string;
}

export interface AnswerInput {
  by: string;
  note?: string;
  reason?: string;
  owner?: string;
  expires?: string;
  date?: string;
}

export class AnswerError extends Error {}

/** A generator's plan for one item, as the front ends hold it between preview and write. */
export interface GeneratePlan {
  id: string;
  /** Opaque to the front ends: it holds the values. Never print it. */
  plan: import('../generators/run.js').Plan;
  summary: string[];
  notes: string[];
  /** The unified diff, secrets masked: safe to show. */
  preview: string;
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
  /** Items whose next result is a new baseline (an input changed), and those rebased this run. */
  private readonly rebase = new Set<string>();
  private readonly rebased = new Set<string>();
  /** Inputs chosen by hand whose files are missing: what the front ends warn about. */
  private readonly inputWarnings = new Map<string, string>();
  private readonly itemsById: Map<string, {item: PackItem; section: {id: string; title: string}}>;
  private hadProgress: boolean;
  /**
   * Process and network checks that may run at once, one budget for every run of the wizard:
   * enough to overlap slow network checks, few enough for a small host. File checks never wait.
   */
  private readonly budget = pLimit(6);

  private constructor(
    private session: Session,
    readonly store: ProgressStore,
    readonly answers: AnswersStore,
    public who: string,
    private migrated = 0,
  ) {
    this.itemsById = new Map(session.pack.sections.flatMap((s) => s.items.map((item) => [item.id, {item, section: s}] as const)));
    this.hadProgress = Object.keys(answers.answers).length > 0 || Object.keys(store.get().seen).length > 0;
    this.rebuild();
  }

  static async open(o: SessionOptions & {who?: string}): Promise<Wizard> {
    // Who is answering: --as, else git's user.name for the deployment, else the login name.
    // Git is asked by ready(), after the first frame (starting a program is the slowest thing a
    // start would wait on); ready() resolves only once it answered, and the front ends take no
    // key and record no answer before ready(). Until then the snapshot's `who` is empty.
    const session = await openSession(o);
    const who = o.who?.trim() ?? '';
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
    const opened = changedInputs ? withInputs(session, session.inputs) : session;
    const answers = AnswersStore.open(session.root, session.pack.id);
    const wizard = new Wizard(opened, store, answers, who, 0);
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
    return (this.readying ??= Promise.all([this.storeReady(), this.askWho()]).then(() => undefined));
  }

  /** Once progress can be written (checks record their baseline): checks do not wait for git's answer on the name. */
  private storeReady(): Promise<void> {
    return (this.storing ??= this.store.ready().then(() => this.migrate()));
  }

  private storing?: Promise<void>;

  private async askWho(): Promise<void> {
    if (this.who) return;
    const who = await whoAmI(this.session.root);
    // A name set meanwhile (setWho) is the person's own choice: kept.
    if (!this.who) {
      this.who = who;
      this.emit();
    }
  }

  private readying?: Promise<void>;

  /** Answers an older version kept in personal progress move into the deployment, once. */
  private migrate(): void {
    const legacy = this.store.get();
    if (Object.keys(legacy.answers).length + Object.keys(legacy.notes).length === 0) return;
    const moved = this.answers.adopt(legacy.answers as Record<string, Answer>, legacy.notes);
    if (this.answers.problem) return;
    this.store.dropLegacy();
    this.migrated = moved;
    this.emit();
  }

  /** Runs the checks of the given items (default: all), in the background; results stream in. */
  async run(ids?: readonly string[]): Promise<void> {
    const only = new Set(ids ?? this.itemsById.keys());
    // A re-check reads the files again: the person may have just fixed one by hand.
    this.session.ctx.invalidate();
    for (const id of only) {
      this.running.get(id)?.abort();
      const ac = new AbortController();
      this.running.set(id, ac);
    }
    this.emit();
    // Results record a baseline for drift, which is a write.
    await this.storeReady();
    await Promise.all(
      [...only].map(async (id) => {
        const ac = this.running.get(id)!;
        const [outcome] = await evaluate(this.session, {only: new Set([id]), signal: ac.signal, budget: this.budget});
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
    const fresh = Object.fromEntries(Object.entries(this.baseline).filter(([id]) => !this.store.get().seen[id] || this.rebased.has(id)));
    this.baseline = {};
    this.rebased.clear();
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
    // After an input changed, results differ because the question did: a new baseline, not drift.
    if (this.rebase.delete(outcome.id)) {
      this.changedIds.delete(outcome.id);
      this.baseline[outcome.id] = {status: outcome.status, fingerprint: fp, at: new Date().toISOString()};
      this.rebased.add(outcome.id);
      return;
    }
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
    if (item.confirm === undefined) throw new AnswerError('its checks decide it, so there is nothing to confirm (waive it to accept the risk)');
    if (a.date !== undefined && a.date !== '' && !isCalendarDate(a.date)) throw new AnswerError('the date must look like 2026-11-30');
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
    const problem = waiverProblem(a.reason);
    if (problem || !a.reason) throw new AnswerError(problem ?? 'a waiver needs a reason');
    if (a.expires !== undefined && a.expires !== '' && !isCalendarDate(a.expires)) throw new AnswerError('the expiry must look like 2026-12-31');
    if (a.expires && a.expires < today()) throw new AnswerError('the expiry date is already past');
    this.answer(id, {kind: 'waived', by: this.by(a), at: new Date().toISOString(), reason: a.reason.trim(), owner: clean(a.owner), expires: clean(a.expires)});
  }

  /** Takes an answer back. */
  undo(id: string): void {
    this.get(id);
    this.answers.clearAnswer(id);
    this.emit();
  }

  // ---- generators (a preview first; nothing is written until write is called) ------------

  /**
   * What the item's generator would write: the files and keys, and a unified diff with every
   * secret value masked. The values live only in the returned plan, never in the snapshot.
   */
  async planGenerate(id: string, o: {replaceExisting?: boolean} = {}): Promise<GeneratePlan> {
    const {item} = this.get(id);
    if (!item.generate) throw new AnswerError('this item offers no generator');
    const {planGeneration} = await import('../generators/run.js');
    try {
      const plan = await planGeneration({session: this.session, items: [id], replaceExisting: o.replaceExisting ? [id] : []});
      return {id, plan, summary: plan.items.flatMap((i) => i.summary), notes: plan.items.flatMap((i) => i.notes), preview: plan.preview};
    } catch (err) {
      if (err instanceof Error && err.name === 'UsageError') throw new AnswerError(err.message);
      throw err;
    }
  }

  /** Writes a plan (all files or none), then runs the item's checks again on the new files. */
  async writeGenerate(p: GeneratePlan): Promise<{written: string[]; backups: string[]}> {
    const {writeGeneration} = await import('../generators/run.js');
    let done;
    try {
      done = await writeGeneration(p.plan);
    } catch (err) {
      throw new AnswerError(err instanceof Error ? err.message : String(err));
    }
    // Other items read the same files (the API and the frontend share JWT_SECRET): all run again.
    await this.run();
    return {written: done.written, backups: done.backups};
  }

  note(id: string, text: string, by = this.who): void {
    this.get(id);
    this.answers.setNote(id, {text: text.trim(), by, at: new Date().toISOString()});
    this.emit();
  }

  setWho(who: string): void {
    if (!who.trim()) return;
    this.who = who.trim();
    this.emit();
  }

  setPosition(id: string): void {
    if (this.store.get().position !== id) this.store.setPosition(id);
  }

  /**
   * Changes an input (e.g. compose -> kubernetes): saved, and every check runs again. `auto`
   * goes back to what the files say (detection, else the pack default). A choice whose files
   * are missing is kept, with a warning in the snapshot saying what is missing.
   */
  async setInput(id: string, value: string): Promise<void> {
    const input = this.session.pack.inputs.find((i) => i.id === id);
    if (!input) throw new AnswerError(`no input ${id}`);
    if (value === 'auto') {
      const {resolveInputs} = await import('../pack/inputs.js');
      const fresh = await resolveInputs(this.session.pack, this.session.root, {});
      const i = this.session.inputs;
      const values = {...i.values};
      const origin = {...i.origin};
      if (fresh.values[id] === undefined) delete values[id];
      else values[id] = fresh.values[id];
      if (fresh.origin[id] === undefined) delete origin[id];
      else origin[id] = fresh.origin[id];
      this.session = withInputs(this.session, {
        values,
        origin,
        unresolved: fresh.unresolved.includes(id) ? [...new Set([...i.unresolved, id])] : i.unresolved.filter((u) => u !== id),
      });
      this.inputWarnings.delete(id);
      const saved = {...this.store.get().inputs};
      delete saved[id];
      this.store.setInputs(saved);
      for (const id of this.itemsById.keys()) this.rebase.add(id);
      return this.run();
    }
    if (!input.choices.some((c) => c.value === value)) throw new AnswerError(`${value} is not a choice of ${id} (or auto)`);
    const {missingFor} = await import('../pack/inputs.js');
    const warning = await missingFor(this.session.pack, this.session.root, id, value);
    if (warning) this.inputWarnings.set(id, warning);
    else this.inputWarnings.delete(id);
    const i = this.session.inputs;
    // A new session, not a changed one: checks still running keep the context they started with.
    this.session = withInputs(this.session, {
      values: {...i.values, [id]: value},
      origin: {...i.origin, [id]: 'chosen'},
      unresolved: i.unresolved.filter((u) => u !== id),
    });
    this.store.setInputs({...this.session.inputs.values});
    for (const id of this.itemsById.keys()) this.rebase.add(id);
    return this.run();
  }

  private answer(id: string, answer: Answer): void {
    this.answers.setAnswer(id, answer);
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
    // Counted the same way as the sections screen and `check`: every item by its final status,
    // one that does not apply as skip.
    const byStatus: Record<string, number> = {};
    for (const i of this.snap.items) {
      const k = i.applicable ? i.status : 'skip';
      byStatus[k] = (byStatus[k] ?? 0) + 1;
    }
    // Declined items are answered but not fine: they stay on the list of what is open.
    const open = items.filter((i) => !i.finished).sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]);
    const openBySeverity: Record<Severity, number> = {critical: 0, high: 0, medium: 0, low: 0};
    for (const i of open) openBySeverity[i.severity]++;
    const waivers = items
      .filter((i) => i.waiver)
      .map((i) => ({
        id: i.id,
        title: i.title,
        by: i.waiver!.by,
        owner: i.waiver!.owner,
        reason: i.waiver!.reason,
        expires: i.waiver!.expires,
        expired: i.waiver!.expired,
        unneeded: i.waiver!.unneeded,
      }));
    return {byStatus, open, openBySeverity, waivers, applicable: items.length};
  }

  /** Stops background checks (on quit). */
  close(): void {
    for (const ac of this.running.values()) ac.abort(new Error('closing'));
  }

  private rebuild(): void {
    const p = this.store.get();
    const ledger = buildLedger(this.session.pack, this.outcomes, {answers: this.answers.answers, notes: this.answers.notes, day: today()});
    const items: ItemView[] = ledger.entries.map((e) => {
      const isRunning = this.running.has(e.id);
      const {item} = this.itemsById.get(e.id)!;
      // Before its checks have run, an item whose `when` does not hold is known not to apply.
      const when = e.outcome ? undefined : applies(item, this.session.inputs.values);
      const applicable = when ? when.ok : e.applicable || isRunning;
      const status: LiveStatus = isRunning ? 'running' : e.status;
      return {
        ...e,
        applicable,
        status,
        message: isRunning ? 'checking…' : when && !when.ok ? `not applicable: ${when.reason}` : e.message,
        changed: this.changedIds.has(e.id),
        change: this.changedIds.has(e.id) && p.seen[e.id] ? {from: p.seen[e.id]!.status, to: e.status} : undefined,
        waiverExpired: e.waiver?.expired ?? false,
        final: e.outcome ? {evidence: e.evidence} : undefined,
        finished: !applicable || (!isRunning && e.finished),
      };
    });
    const sections: SectionView[] = ledger.sections.map((s) => {
      const mine = items.filter((i) => i.section === s.id);
      return {id: s.id, title: s.title, items: s.items, tally: tally(mine.map((i) => ({...i, status: i.status === 'running' ? 'pending' : i.status})))};
    });
    const changed = items.filter((i) => i.changed).map((i) => i.id);
    const position = p.position && items.some((i) => i.id === p.position && !i.finished) ? p.position : undefined;
    this.snap = {
      version: ++this.version,
      root: this.session.root,
      pack: {id: this.session.pack.id, title: this.session.pack.title, version: this.session.pack.version},
      chosenBy: this.session.chosenBy,
      inputs: this.session.pack.inputs.map((i) => ({
        id: i.id,
        question: i.question,
        value: this.session.inputs.values[i.id],
        origin: this.session.inputs.origin[i.id],
        choices: i.choices,
        warning: this.inputWarnings.get(i.id),
      })),
      items,
      sections,
      // Items that do not apply to this deployment are not part of the walk.
      done: items.filter((i) => i.applicable && i.finished).length,
      total: items.filter((i) => i.applicable).length,
      changed,
      running: this.running.size,
      resumeAt: changed[0] ?? position ?? items.find((i) => !i.finished && !i.answered)?.id,
      hadProgress: this.hadProgress,
      recovered: this.store.recovered,
      progressProblem: this.store.disabled,
      answersFile: this.answers.path,
      answersProblem: this.answers.problem,
      migrated: this.migrated,
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
