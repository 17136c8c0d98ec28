import {evaluate, openSession, type Session} from '../engine/session.js';
import {applies} from '../engine/run.js';
import {buildLedger} from '../engine/ledger.js';
import {UsageError} from '../model/errors.js';
import type {ItemStatus} from '../model/types.js';
import {readAnswers} from '../store/answers.js';
import {type ApplyOptions, applyChangeSet} from '../write/apply.js';
import {preview, type ChangeSet} from '../write/changeSet.js';
import type {Made} from './define.js';
import {GENERATORS} from './index.js';
import {Edits, parseTarget, servicesOf, targetHoldsValue} from './targets.js';

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
  // A generator may apply in one mode only (`when: {mode: kubernetes}`: a Secret, not a .env).
  const generatorsOf = (i: (typeof all)[number]) => (i.generate ?? []).filter((g) => applies(g, session.inputs.values).ok);
  const withGen = all.filter((i) => generatorsOf(i).length > 0);
  for (const id of o.items ?? []) {
    const item = all.find((i) => i.id === id);
    if (!item) throw new UsageError(`--item ${id}: no such item in pack ${session.pack.id}`);
    if (!item.generate) throw new UsageError(`--item ${id}: this item offers no generator`);
    if (generatorsOf(item).length === 0) throw new UsageError(`--item ${id}: its generator ${applies(item.generate[0]!, session.inputs.values).reason}`);
  }
  for (const i of withGen) {
    for (const g of i.generate!) {
      if (!GENERATORS.has(g.generator))
        throw new UsageError(`${i.id}: the pack names generator ${g.generator}, which does not exist (known: ${[...GENERATORS.keys()].join(', ')})`);
    }
  }
  for (const id of o.replaceExisting ?? []) {
    if (!all.some((i) => i.id === id)) throw new UsageError(`--replace-existing ${id}: no such item in pack ${session.pack.id}`);
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
  // Two items may name the same generator for the same places (the0's root-admin-configured and
  // rotate-local-admin): one value serves both, or the second would overwrite the first's.
  const done = new Map<string, PlannedItem>();
  for (const item of chosen) {
    for (const g of generatorsOf(item)) {
      const def = GENERATORS.get(g.generator)!;
      const into = g.into ?? [];
      if (into.length === 0 && !def.config) throw new UsageError(`${item.id}: the pack says nothing about where the ${g.generator} value goes (into:)`);
      // Every option the pack gives reaches the generator (config generators take many).
      const {generator: _generator, into: _into, note: _note, when: _when, ...options} = g;
      const same = JSON.stringify([g.generator, options, [...into].sort()]);
      const first = done.get(same);
      if (first) {
        items.push({...first, id: item.id, notes: [`the same value as ${first.id} (the same generator for the same places)`], shown: []});
        continue;
      }
      const guarded = (await hasExistingValue(session, into)) && !(o.replaceExisting ?? []).includes(item.id);
      const before = edits.summary.length;
      let result: Awaited<ReturnType<typeof def.generate>>;
      try {
        result = await def.generate({ctx: session.ctx, into, options, edits});
      } catch (err) {
        // A target the files do not allow (a value no quoting keeps, a line to fix by hand, a
        // place two values fight over) is the person's to fix, with the item named; never a
        // crash. Programming errors stay what they are.
        if (err instanceof TypeError || err instanceof ReferenceError) throw err;
        throw new UsageError(`${item.id} (${g.generator}): ${(err as Error).message}`);
      }
      if (result.made.guardExisting && guarded) {
        throw new UsageError(`${item.id}: a value already exists. ${result.made.guardExisting} To replace it anyway: --replace-existing ${item.id}`);
      }
      // A config generator makes no value (made.value is empty): nothing of it to show.
      const shown = result.made.value === '' ? [] : [{label: `${item.id} (${g.generator})`, value: result.made.value}];
      for (const [name, value] of Object.entries(result.made.derived ?? {})) if (value !== result.made.value) shown.push({label: `${item.id} ${name}`, value});
      if (result.made.showOnce) shown.push(result.made.showOnce);
      const planned = {id: item.id, generator: g.generator, summary: [...new Set(edits.summary.slice(before))], notes: result.notes, made: result.made, shown};
      done.set(same, planned);
      items.push(planned);
    }
  }
  let changes: ChangeSet;
  try {
    // The Compose edits of the whole run are made here, each file in one YAML edit.
    changes = edits.changeSet();
  } catch (err) {
    if (err instanceof TypeError || err instanceof ReferenceError) throw err;
    throw new UsageError((err as Error).message);
  }
  return {session, items, changes, preview: preview(changes)};
}

/** Whether any place the value goes already holds one (a guarded generator then needs --replace-existing). */
async function hasExistingValue(session: Session, into: readonly string[]): Promise<boolean> {
  const ctx = session.ctx;
  for (const spec of into) {
    const t = parseTarget(spec);
    if (t.derived) continue;
    if (await targetHoldsValue(ctx, t)) return true;
    if (t.kind === 'file' && ctx.isFile(t.file!)) return true;
    if (t.kind === 'env' || t.kind === 'url') {
      const files = t.file!.includes('*') ? await ctx.glob([t.file!]) : [t.file!];
      for (const file of files) {
        const e = await ctx.envFile(file).catch(() => undefined);
        if (e?.entries.get(t.key)?.value) return true;
      }
    }
    if (t.kind === 'compose' || t.kind === 'compose-url') {
      const model = await ctx.compose().catch(() => undefined);
      for (const svc of servicesOf(model, t.service!)) if (svc.environment.get(t.key)?.value) return true;
    }
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
export async function writeGeneration(plan: Plan, o: ApplyOptions = {}): Promise<Written> {
  const {written, backups} = await applyChangeSet(plan.session.root, plan.changes, o);
  if (backups.length > 0) await keepBackupsOutOfGit(plan.session);
  plan.session.ctx.invalidate();
  const ids = new Set(plan.items.map((i) => i.id));
  const outcomes = await evaluate(plan.session, {only: ids});
  const answers = readAnswers(plan.session.root, plan.session.pack.id);
  const ledger = buildLedger(plan.session.pack, outcomes, {answers: answers.answers});
  const after = ledger.entries.filter((e) => ids.has(e.id)).map((e) => ({id: e.id, status: e.status as ItemStatus, message: e.message}));
  return {written, backups, after};
}

/** What git must never pick up: a backup of a .env holds every secret the file held. */
export const BACKUP_PATTERN = '*.shipshape-backup-*';

/**
 * Adds the backup pattern to the repository's own exclude file (.git/info/exclude: local, never
 * committed), so `git add -A` cannot commit a backup. Outside a git work tree it does nothing.
 */
async function keepBackupsOutOfGit(session: Session): Promise<void> {
  const r = await session.ctx.run('git', ['rev-parse', '--path-format=absolute', '--git-path', 'info/exclude'], {timeoutMs: 5_000});
  if (!r.ok) return;
  const file = r.stdout.trim();
  const {mkdirSync, readFileSync} = await import('node:fs');
  const {dirname} = await import('node:path');
  const {writeFileAtomicSync} = await import('../write/atomicFile.js');
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    /* no exclude file yet */
  }
  if (text.split(/\r?\n/).includes(BACKUP_PATTERN)) return;
  try {
    mkdirSync(dirname(file), {recursive: true});
    // Atomically and never through a symbolic link, like every file Shipshape writes.
    writeFileAtomicSync(
      file,
      `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}# Shipshape's backups hold old secrets: never commit them.\n${BACKUP_PATTERN}\n`,
      0o644,
    );
  } catch {
    /* a read-only repository: the README says to keep backups out of commits */
  }
}
