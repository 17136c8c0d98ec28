import {statSync} from 'node:fs';
import {resolve} from 'node:path';
import {readRegularFileSync} from '../deploy/read.js';
import type {CheckDef} from '../checks/define.js';
import {UsageError} from '../model/errors.js';
import {builtinPackFiles, packageRoot, resolvePackRef} from '../pack/builtin.js';
import {cachedPack} from '../pack/cache.js';
import {detectPacks} from '../pack/detect.js';
import {parseInputArgs, resolveInputs, type ResolvedInputs} from '../pack/inputs.js';
import type {Pack} from '../pack/schema.js';
import {Context} from './context.js';
import {budgetFor, runPack, type ItemOutcome, type RunOptions} from './run.js';

/** The check registry is loaded when first needed: after the wizard's first frame. */
async function checks(): Promise<ReadonlyMap<string, CheckDef>> {
  return (await import('../checks/index.js')).CHECKS;
}

async function loadPackFile(file: string) {
  const [{loadPackFile: load}, registry] = await Promise.all([import('../pack/load.js'), checks()]);
  return load(file, registry);
}

export interface Session {
  root: string;
  pack: Pack;
  packFile: string;
  /** How the pack was chosen: `--pack`, or the detect rules that matched. */
  chosenBy: string;
  inputs: ResolvedInputs;
  ctx: Context;
}

export interface SessionOptions {
  dir?: string;
  pack?: string;
  inputs?: readonly string[];
}

/** Everything up to running checks: the deployment, its pack and inputs. Front ends share it. */
export async function openSession(o: SessionOptions): Promise<Session> {
  const root = resolve(o.dir ?? '.');
  let isDir = false;
  try {
    isDir = statSync(root).isDirectory();
  } catch {
    /* reported below */
  }
  if (!isDir) throw new UsageError(`--dir ${o.dir ?? '.'}: not a directory`);

  let pack: Pack;
  let packFile: string;
  let chosenBy: string;
  if (o.pack) {
    const file = resolvePackRef(o.pack);
    if (!file) throw new UsageError(`--pack ${o.pack}: no built-in pack of that name (see shipshape packs), and not a .yaml file`);
    ({pack, file: packFile} = await loadBuiltinOrFile(file));
    chosenBy = '--pack';
  } else {
    const packs = await loadBuiltins();
    const found = await detectPacks(
      root,
      packs.map((p) => p.pack),
    );
    const best = found[0];
    if (!best) throw new UsageError(`no pack recognises ${root}; choose one with --pack (built-in: ${packs.map((p) => p.pack.id).join(', ')})`);
    pack = best.pack;
    packFile = packs.find((p) => p.pack === best.pack)!.file;
    chosenBy = `detected from ${best.matched.join(', ')}`;
  }
  let given: Record<string, string>;
  try {
    given = parseInputArgs(o.inputs ?? [], pack);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const inputs = await resolveInputs(pack, root, given);
  return {root, pack, packFile, chosenBy, inputs, ctx: new Context(root, pack, inputs.values)};
}

/** The same deployment and pack with other inputs: a new session with a fresh context, never a changed one. */
export function withInputs(s: Session, inputs: ResolvedInputs): Session {
  return {...s, inputs, ctx: new Context(s.root, s.pack, inputs.values)};
}

export async function loadBuiltins(): Promise<{pack: Pack; file: string}[]> {
  return Promise.all(builtinPackFiles().map((f) => loadBuiltinOrFile(f)));
}

/** A built-in pack from the build-time cache when its text is unchanged; anything else through the full loader. */
async function loadBuiltinOrFile(file: string): Promise<{pack: Pack; file: string}> {
  let text: string | undefined;
  try {
    text = readRegularFileSync(file).toString('utf8');
  } catch {
    /* the loader reports it */
  }
  const cached = text === undefined ? undefined : cachedPack(packageRoot(), file, text);
  return cached ? {pack: cached, file} : loadPackFile(file);
}

/** Runs the session's checks; calls on one session share one budget for process and network checks, unless given one. */
export async function evaluate(s: Session, o: RunOptions = {}): Promise<ItemOutcome[]> {
  return runPack(s.pack, s.ctx, await checks(), {...o, budget: o.budget ?? budgetFor(s.ctx, o.concurrency)});
}
