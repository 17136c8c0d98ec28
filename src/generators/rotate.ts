import {existsSync, readFileSync, readdirSync} from 'node:fs';
import {basename, dirname, join} from 'node:path';
import {buildLedger} from '../engine/ledger.js';
import {evaluate, type Session} from '../engine/session.js';
import {UsageError} from '../model/errors.js';
import {readAnswers} from '../store/answers.js';
import type {ProgressStore, Rotation} from '../store/progress.js';
import {ROTATION_STEPS} from '../store/progress.js';
import {BACKUP_INFIX} from '../write/apply.js';
import {GENERATORS} from './index.js';
import {secretKeyValue} from './k8sSecret.js';
import {planGeneration, writeGeneration, type Plan} from './run.js';
import {parseTarget, servicesOf} from './targets.js';

/**
 * Guided rotation of one secret, as steps: write a new value everywhere it lives, restart the
 * consumers, check the item again, retire the old value. The step reached is saved in personal
 * progress after each step, so an interrupted rotation resumes where it stopped. Neither value
 * is ever saved there: the new one is only in the files written (and read back from them on
 * resume), the old one only in the 0600 backups of the write.
 */
export {ROTATION_STEPS};
export type RotationStep = (typeof ROTATION_STEPS)[number];

/** What the rotation asks of a person; each front end answers in its own way. */
export interface RotationIO {
  say(line?: string): void;
  /** A yes-or-no question; undefined when nobody can answer now (the rotation pauses there). */
  confirm(question: string): Promise<boolean | undefined>;
  /** How the consumers were restarted: run the command, done by hand, or not now (pause). */
  restart(command: string | undefined): Promise<'run' | 'done' | undefined>;
  /** The person types the item's id to agree to replace a guarded value; undefined: refused. */
  typed(question: string, expected: string): Promise<boolean | undefined>;
  /** Prints the new values: only with --show. */
  show?: (label: string, value: string) => void;
}

export interface RotationOutcome {
  /** Where it stopped: a step still to do, or `done`. */
  at: RotationStep | 'done';
  /** 0 done or paused, 1 the checks still fail after the rotation. */
  code: number;
}

/** A rotation's record in progress, with the step it stands at (`writing`: the write may or may not have happened). */
type RotationRecord = Rotation & {step: RotationStep | 'writing'};

const stampOf = (d: Date) =>
  d
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[-:]/g, '');

export async function rotate(
  session: Session,
  store: ProgressStore,
  itemId: string,
  io: RotationIO,
  o: {replaceExisting?: boolean} = {},
): Promise<RotationOutcome> {
  const item = session.pack.sections.flatMap((s) => s.items).find((i) => i.id === itemId);
  if (!item) throw new UsageError(`--item ${itemId}: no such item in pack ${session.pack.id}`);
  if (!item.generate) throw new UsageError(`--item ${itemId}: this item offers no generator, so there is nothing to rotate`);
  // A config generator (Compose hardening, a proxy config, backups, ...) makes no secret: writing
  // its files is no rotation, and it has no old value to retire.
  const config = item.generate.find((g) => GENERATORS.get(g.generator)?.config);
  if (config)
    throw new UsageError(
      `--item ${itemId}: its generator ${config.generator} writes configuration, not a secret, so there is nothing to rotate; write it with: shipshape generate --item ${itemId}`,
    );
  const others = Object.entries(store.get().rotations).filter(([id]) => id !== itemId);
  if (others.length > 0) {
    const [id, r] = others[0]!;
    throw new UsageError(
      `the rotation of ${id} is under way (next step: ${r.step}); one secret at a time: finish it (shipshape rotate --item ${id}) or drop it (shipshape rotate --item ${id} --abandon)`,
    );
  }
  const save = (r: RotationRecord | undefined) => store.setRotation(itemId, r);
  let rec = store.get().rotations[itemId] as RotationRecord | undefined;
  if (rec) io.say(`Resuming the rotation of ${itemId} at: ${rec.step === 'writing' ? 'write' : rec.step}`);
  if (rec?.step === 'writing') {
    // Stopped during the write: the files say whether it happened. Never a second new value.
    if (writeHappened(session.root, rec)) {
      io.say('The new value was written before the stop: going on from there.');
      rec = {...rec, step: 'restart'};
      save(rec);
    } else {
      io.say('The write did not happen before the stop: nothing was changed yet.');
      rec = undefined;
      save(undefined);
    }
  }

  let plan: Plan | undefined;
  if (!rec) {
    plan = await prepare(session, itemId, io, o.replaceExisting ?? false);
    if (!plan) return {at: 'write', code: 0};
    if (plan.changes.changes.length === 0) {
      io.say('Nothing to write: the files already hold what this generator makes.');
      return {at: 'write', code: 0};
    }
    const now = new Date();
    const written = {
      step: 'writing' as const,
      startedAt: now.toISOString(),
      stamp: stampOf(now),
      files: plan.changes.changes.map((c) => c.path),
      // A new file (a Secret manifest not there before) has no backup to compare: that it exists says the write happened.
      created: plan.changes.changes.filter((c) => c.before === undefined).map((c) => c.path),
    };
    // Saved before the write: a stop during it is found on resume, and the files then decide.
    save(written);
    // Nothing to resume from: a new value written now could be lost to a stop, and a second made.
    if (store.disabled)
      throw new UsageError(`nothing was written: a rotation needs personal progress to resume from, and it cannot be saved: ${store.disabled}`);
    io.say('Writing…');
    const done = await writeGeneration(plan, {now});
    io.say(`Wrote ${done.written.join(', ')}${done.backups.length > 0 ? `; the old value is kept in ${done.backups.join(', ')} (0600)` : ''}`);
    rec = {...written, step: 'restart'};
    save(rec);
    if (io.show) for (const s of plan.items.flatMap((i) => i.shown)) io.show(s.label, s.value);
  } else if (io.show) {
    // Resumed: the new value is read back from where it was written, never from progress.
    for (const [label, value] of await readBack(
      session,
      item.generate.flatMap((g) => g.into ?? []),
    ))
      io.show(label, value);
  }

  if (rec.step === 'restart') {
    const command = await restartCommand(
      session,
      item.generate.flatMap((g) => g.into ?? []),
    );
    io.say('');
    io.say('Step 2 of 4: restart what reads the value, so it takes the new one.');
    if (command) io.say(`  ${command.join(' ')}`);
    else io.say('  Restart every service that reads it (Shipshape could not tell which).');
    const how = await io.restart(command?.join(' '));
    if (!how) return paused(io, itemId, 'restart');
    if (how === 'run' && command) {
      io.say(`Running: ${command.join(' ')}`);
      const r = await session.ctx.run(command[0]!, command.slice(1), {timeoutMs: 300_000});
      if (!r.ok) {
        io.say(`It failed (${r.reason ?? 'exit status not 0'}); fix that and run the rotation again: it resumes at the restart.`);
        return {at: 'restart', code: 1};
      }
    }
    rec = {...rec, step: 'verify'};
    save(rec);
  }

  if (rec.step === 'verify') {
    io.say('');
    io.say(`Step 3 of 4: checking ${itemId} again on the new files.`);
    session.ctx.invalidate();
    const outcomes = await evaluate(session, {only: new Set([itemId])});
    const ledger = buildLedger(session.pack, outcomes, {answers: readAnswers(session.root, session.pack.id).answers});
    const entry = ledger.entries.find((e) => e.id === itemId);
    io.say(`  ${(entry?.status ?? 'error').toUpperCase()} ${itemId}: ${entry?.message ?? ''}`);
    if (entry && entry.status !== 'pass' && entry.status !== 'skip' && entry.status !== 'manual') {
      io.say('Fix what the check found, then run the rotation again: it resumes at this check.');
      return {at: 'verify', code: 1};
    }
    rec = {...rec, step: 'retire'};
    save(rec);
  }

  io.say('');
  io.say('Step 4 of 4: retire the old value.');
  // A plaintext Secret manifest is only a way to the cluster: the rotation ends once it is gone.
  const plaintext = await plaintextSecrets(
    session,
    item.generate.flatMap((g) => g.into ?? []),
  );
  if (plaintext.length > 0) {
    for (const f of plaintext) io.say(`  ${f} still holds the new value in plain text: apply it (kubectl apply -f ${f}), then delete it.`);
    io.say(
      `Stopped before the retire step; it is saved. Delete the file${plaintext.length === 1 ? '' : 's'}, then run \`shipshape rotate --item ${itemId}\` again.`,
    );
    return {at: 'retire', code: 0};
  }
  const backups = backupsOf(session.root, rec);
  if (backups.length > 0) io.say(`  The old value is only in ${backups.join(', ')} (0600) now.`);
  io.say('  Retire it where it lives outside this deployment (a database user, a provider, a password manager), then delete those backups.');
  const retired = await io.confirm('Is the old value retired?');
  if (!retired) return paused(io, itemId, 'retire');
  save(undefined);
  io.say(`The rotation of ${itemId} is done.`);
  return {at: 'done', code: 0};
}

function paused(io: RotationIO, itemId: string, at: RotationStep): RotationOutcome {
  io.say(`Stopped before the ${at} step; it is saved. Run \`shipshape rotate --item ${itemId}\` again to go on from there.`);
  return {at, code: 0};
}

/** Step 1: the new value's plan, after the warnings and confirmations the item calls for; undefined: not now. */
async function prepare(session: Session, itemId: string, io: RotationIO, replaceExisting: boolean): Promise<Plan | undefined> {
  io.say(`Step 1 of 4: a new value for ${itemId}, written everywhere it lives.`);
  let plan: Plan;
  try {
    plan = await planGeneration({session, items: [itemId], replaceExisting: replaceExisting ? [itemId] : []});
  } catch (err) {
    if (!(err instanceof UsageError) || !/a value already exists/.test(err.message)) throw err;
    // A guarded value (ZITADEL's masterkey): typing the id is the consent, never a key press.
    io.say(err.message.replace(/\s*To replace it anyway: --replace-existing \S+\s*$/, ''));
    const ok = await io.typed(`Type the item id (${itemId}) to replace it anyway`, itemId);
    if (!ok) {
      io.say('Nothing was replaced.');
      return undefined;
    }
    plan = await planGeneration({session, items: [itemId], replaceExisting: [itemId]});
  }
  const into = plan.items.flatMap((i) => i.summary);
  for (const s of into) io.say(`  ${s}`);
  for (const n of plan.items.flatMap((i) => i.notes)) io.say(`  note: ${n}`);
  io.say('');
  io.say(plan.preview.trimEnd());
  if (into.some((s) => /JWT/i.test(s)))
    io.say('Warning: every session and API token signed with the old JWT secret stops working once the consumers restart; everyone signs in again.');
  const ok = await io.confirm('Write the new value?');
  if (!ok) {
    io.say(ok === false ? 'Nothing was written.' : `Stopped before the write; nothing was written. Run \`shipshape rotate --item ${itemId}\` again to start.`);
    return undefined;
  }
  return plan;
}

/** Whether a write recorded as under way happened: a backup with its stamp differs from the file, or a new file is there. */
function writeHappened(root: string, rec: Rotation): boolean {
  if (rec.created.some((file) => existsSync(join(root, file)))) return true;
  return rec.files.some((file) => {
    const abs = join(root, file);
    const backup = backupFile(root, file, rec.stamp);
    if (!backup) return false;
    if (!existsSync(abs)) return false;
    return !readFileSync(abs).equals(readFileSync(backup));
  });
}

/** The backup the rotation's write made of `file` (apply adds -N when the name is taken; the last one is ours). */
function backupFile(root: string, file: string, stamp: string | undefined): string | undefined {
  if (!stamp) return undefined;
  const dir = dirname(join(root, file));
  const base = `${basename(file)}${BACKUP_INFIX}${stamp}`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  const mine = names.filter((n) => n === base || new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-\\d+$`).test(n)).sort();
  return mine.length > 0 ? join(dir, mine.at(-1)!) : undefined;
}

function backupsOf(root: string, rec: Rotation): string[] {
  return rec.files.flatMap((f) => {
    const b = backupFile(root, f, rec.stamp);
    return b ? [join(dirname(f), basename(b)).replace(/^\.\//, '')] : [];
  });
}

/** The command that restarts the consumers: the Compose services that read the value, or the namespace's deployments. */
export async function restartCommand(session: Session, into: readonly string[]): Promise<string[] | undefined> {
  const names = new Set<string>();
  const namespaces = new Set<string>();
  for (const spec of into) {
    const t = parseTarget(spec);
    if (t.kind === 'env' || t.kind === 'url') names.add(t.key);
    if (t.kind === 'compose' || t.kind === 'compose-url') names.add(t.ref ?? t.key);
    if ((t.kind === 'k8s-secret' || t.kind === 'sealed-secret' || t.kind === 'helm-env-ref') && t.secret) namespaces.add(t.secret.namespace ?? 'default');
  }
  if (namespaces.size > 0) return ['kubectl', '-n', [...namespaces][0]!, 'rollout', 'restart', 'deployment'];
  const model = await session.ctx.compose().catch(() => undefined);
  if (!model || names.size === 0) return undefined;
  const services = servicesOf(model, '*').filter((svc) =>
    [...svc.environment.values()].some((v) => names.has(v.key) || [...names].some((n) => v.raw !== undefined && new RegExp(`\\$\\{?${n}\\b`).test(v.raw))),
  );
  if (services.length === 0) return undefined;
  const files = model.files.length === 1 && /^(compose|docker-compose)\.ya?ml$/.test(model.files[0]!) ? [] : model.files.flatMap((f) => ['-f', f]);
  return ['docker', 'compose', ...files, 'up', '-d', '--force-recreate', ...services.map((s) => s.name)];
}

/** The values now in the item's targets (for --show on resume): read from the files, never from progress. */
export async function readBack(session: Session, into: readonly string[]): Promise<[string, string][]> {
  const ctx = session.ctx;
  ctx.invalidate();
  const out: [string, string][] = [];
  for (const spec of into) {
    const t = parseTarget(spec);
    if (t.kind === 'env') {
      const files = t.file!.includes('*') ? await ctx.glob([t.file!]) : [t.file!];
      for (const f of files) {
        const v = (await ctx.envFile(f).catch(() => undefined))?.entries.get(t.key)?.value;
        if (v) out.push([`${f}:${t.key}`, v]);
      }
    } else if (t.kind === 'file' && ctx.isFile(t.file!)) {
      out.push([t.file!, (await ctx.readText(t.file!)).trimEnd()]);
    } else if (t.kind === 'k8s-secret' && ctx.isFile(t.file!)) {
      const v = secretKeyValue(await ctx.readText(t.file!), t.secret!);
      if (v) out.push([`${t.file}:${t.secret!.name}.${t.key}`, v]);
    }
  }
  return out;
}

/** The item's Secret manifests that still hold a value in plain text (a SealedSecret does not). */
async function plaintextSecrets(session: Session, into: readonly string[]): Promise<string[]> {
  const ctx = session.ctx;
  const out: string[] = [];
  for (const spec of into) {
    const t = parseTarget(spec);
    if (t.kind !== 'k8s-secret' || !ctx.isFile(t.file!)) continue;
    const text = await ctx.readText(t.file!).catch(() => '');
    if (secretKeyValue(text, t.secret!) !== undefined && !out.includes(t.file!)) out.push(t.file!);
  }
  return out;
}
