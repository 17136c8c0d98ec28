import {evaluate, openSession, type Session} from '../engine/session.js';
import {buildLedger} from '../engine/ledger.js';
import {UsageError} from '../model/errors.js';
import type {ItemStatus} from '../model/types.js';
import {readAnswers} from '../store/answers.js';
import {applyChangeSet} from '../write/apply.js';
import {preview, type ChangeSet} from '../write/changeSet.js';
import type {Made} from './define.js';
import {GENERATORS} from './index.js';
import {Edits, parseTarget} from './targets.js';

export interface PlannedItem {
  id: string;
  generator: string;
  summary: string[];
  notes: string[];
  made: Made;
  /** What --show prints. */
  shown: {label: string; value: string}[];
}

export interface Plan {
  session: Session;
  items: PlannedItem[];
  changes: ChangeSet;
  /** The unified diff, every secret masked: safe to print. */
  preview: string;
}

export interface PlanOptions {
  dir?: string;
  pack?: string;
  inputs?: readonly string[];
  /** Only these items; default: every item with a generator whose checks fail. */
  items?: readonly string[];
  /** Items whose existing value may be replaced although the generator guards it. */
  replaceExisting?: readonly string[];
  /** An open session to reuse (the wizard's). */
  session?: Session;
}

/** Works out every value and every file change for the chosen items; writes nothing. */
export async function planGeneration(o: PlanOptions): Promise<Plan> {
  const session = o.session ?? (await openSession({dir: o.dir, pack: o.pack, inputs: o.inputs}));
  const all = session.pack.sections.flatMap((s) => s.items);
  const withGen = all.filter((i) => i.generate);
  for (const id of o.items ?? []) {
    const item = all.find((i) => i.id === id);
    if (!item) throw new UsageError(`--item ${id}: no such item in pack ${session.pack.id}`);
    if (!item.generate) throw new UsageError(`--item ${id}: this item offers no generator`);
  }
  for (const i of withGen) {
    for (const g of i.generate!) {
      if (!GENERATORS.has(g.generator)) throw new UsageError(`${i.id}: the pack names generator ${g.generator}, which does not exist (known: ${[...GENERATORS.keys()].join(', ')})`);
    }
  }
  let chosen = withGen.filter((i) => !o.items || o.items.includes(i.id));
  if (!o.items) {
    const outcomes = await evaluate(session, {only: new Set(chosen.map((i) => i.id))});
    const answers = readAnswers(session.root, session.pack.id);
    const ledger = buildLedger(session.pack, outcomes, {answers: answers.answers});
    const failing = new Set(ledger.entries.filter((e) => e.applicable && (e.status === 'fail' || e.status === 'warn')).map((e) => e.id));
    chosen = chosen.filter((i) => failing.has(i.id));
  }
  const edits = new Edits(session.ctx);
  const items: PlannedItem[] = [];
  for (const item of chosen) {
    for (const g of item.generate!) {
      const def = GENERATORS.get(g.generator)!;
      const into = g.into ?? [];
      if (into.length === 0) throw new UsageError(`${item.id}: the pack says nothing about where the ${g.generator} value goes (into:)`);
      const guarded = (await hasExistingValue(session, into)) && !(o.replaceExisting ?? []).includes(item.id);
      const before = edits.summary.length;
      const result = await def.generate({ctx: session.ctx, into, options: {length: g.length, bits: g.bits, role: g.role, prefix: g.prefix}, edits});
      if (result.made.guardExisting && guarded) {
        throw new UsageError(`${item.id}: a value already exists. ${result.made.guardExisting} To replace it anyway: --replace-existing ${item.id}`);
      }
      const shown = [{label: `${item.id} (${g.generator})`, value: result.made.value}];
      for (const [name, value] of Object.entries(result.made.derived ?? {})) if (value !== result.made.value) shown.push({label: `${item.id} ${name}`, value});
      if (result.made.showOnce) shown.push(result.made.showOnce);
      items.push({id: item.id, generator: g.generator, summary: edits.summary.slice(before), notes: result.notes, made: result.made, shown});
    }
  }
  const changes = edits.changeSet();
  return {session, items, changes, preview: preview(changes)};
}

async function hasExistingValue(session: Session, into: readonly string[]): Promise<boolean> {
  for (const spec of into) {
    const t = parseTarget(spec);
    if (t.kind === 'env' && !t.file!.includes('*')) {
      const e = await session.ctx.envFile(t.file!).catch(() => undefined);
      if (e?.entries.get(t.key)?.value) return true;
    }
    if (t.kind === 'file' && session.ctx.isFile(t.file!)) return true;
  }
  return false;
}

export interface Written {
  written: string[];
  backups: string[];
  /** The affected items' status after their checks ran again on the new files. */
  after: {id: string; status: ItemStatus; message: string}[];
}

/** Writes the plan (all files or none), then runs the affected items' checks on the new files. */
export async function writeGeneration(plan: Plan): Promise<Written> {
  const {written, backups} = await applyChangeSet(plan.session.root, plan.changes);
  plan.session.ctx.invalidate();
  const ids = new Set(plan.items.map((i) => i.id));
  const outcomes = await evaluate(plan.session, {only: ids});
  const answers = readAnswers(plan.session.root, plan.session.pack.id);
  const ledger = buildLedger(plan.session.pack, outcomes, {answers: answers.answers});
  const after = ledger.entries.filter((e) => ids.has(e.id)).map((e) => ({id: e.id, status: e.status as ItemStatus, message: e.message}));
  return {written, backups, after};
}
