import {readdirSync, statSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';
import {readRegularFileSync} from '../deploy/read.js';
import type {CheckDef} from '../checks/define.js';
import {UsageError} from '../model/errors.js';
import {builtinPackFiles, findExtended, packageRoot, resolvePackRef} from '../pack/builtin.js';
import {cachedPack} from '../pack/cache.js';
import {choosePack, detectPacks, type DetectionChoice} from '../pack/detect.js';
import {parseInputArgs, resolveInputs, type ResolvedInputs} from '../pack/inputs.js';
import type {Pack} from '../pack/schema.js';
import type {Edge} from '../pack/userCache.js';
import {Context} from './context.js';
import {mark} from '../timing.js';
import {applies, budgetFor, runPack, type ItemOutcome, type RunOptions} from './run.js';
import {checksFor} from '../checks/families.js';

/** The whole check registry, for the full pack loader (a run loads only the families it uses). */
async function checks(): Promise<ReadonlyMap<string, CheckDef>> {
  return (await import('../checks/index.js')).CHECKS;
}

/**
 * A pack file with everything it extends: from the cache of packs already validated when none
 * of its files changed (src/pack/userCache.ts), else through the full loader, then kept.
 */
async function loadPackFile(file: string): Promise<{pack: Pack; file: string}> {
  const {cachedUserPack, keepUserPack} = await import('../pack/userCache.js');
  const path = resolve(file);
  const hit = cachedUserPack(path, findExtended);
  if (hit) {
    mark('user pack from cache');
    return {pack: hit.pack, file};
  }
  const [{loadPackFile: load}, registry, {GENERATORS}] = await Promise.all([import('../pack/load.js'), checks(), import('../generators/index.js')]);
  const texts = new Map<string, string>();
  const edges: Edge[] = [];
  const find = (id: string, from: string) => {
    const to = findExtended(id, from);
    edges.push({id, from, to});
    return to;
  };
  const loaded = await load(path, registry, {generators: GENERATORS, find, onRead: (f, t) => texts.set(f, t)});
  keepUserPack(path, texts, edges, loaded.pack);
  mark('user pack loaded');
  return {pack: loaded.pack, file};
}

export interface Session {
  root: string;
  pack: Pack;
  packFile: string;
  /** How the pack was chosen: `--pack`, or the detect rules that matched. */
  chosenBy: string;
  /** When the pack was detected: every pack that matched, and why the chosen one was. */
  detection?: DetectionChoice;
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
  let detection: DetectionChoice | undefined;
  const folder = o.pack ? packFolder(o.pack) : undefined;
  if (o.pack && !folder) {
    const file = resolvePackRef(o.pack);
    if (!file) throw new UsageError(`--pack ${o.pack}: no built-in pack of that name (see shipshape packs list), and not a .yaml file or a folder of packs`);
    ({pack, file: packFile} = await loadBuiltinOrFile(file));
    chosenBy = '--pack';
  } else {
    // A folder of packs given with --pack: its packs are the candidates; else the built-in ones.
    const packs = folder ? await loadFolder(folder) : await loadBuiltins();
    if (folder && packs.length === 0) throw new UsageError(`--pack ${o.pack}: the folder holds no .yaml pack`);
    mark('packs loaded');
    detection = choosePack(
      await detectPacks(
        root,
        packs.map((p) => p.pack),
      ),
    );
    const only = folder && packs.length === 1 ? packs[0] : undefined;
    const best = detection.chosen;
    if (!best && !only) {
      throw new UsageError(
        `no pack recognises ${root}; choose one with --pack (${folder ? `in ${folder}` : 'built-in'}: ${packs.map((p) => p.pack.id).join(', ')})`,
      );
    }
    pack = best ? best.pack : only!.pack;
    packFile = packs.find((p) => p.pack === pack)!.file;
    chosenBy = best ? `detected from ${best.matched.join(', ')}` : `the only pack in ${folder}`;
  }
  let given: Record<string, string>;
  try {
    given = parseInputArgs(o.inputs ?? [], pack);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  mark('pack chosen');
  const inputs = await resolveInputs(pack, root, given);
  mark('inputs resolved');
  return {root, pack, packFile, chosenBy, detection, inputs, ctx: new Context(root, pack, inputs.values)};
}

/** `--pack DIR`: a folder of the user's own packs. */
function packFolder(ref: string): string | undefined {
  if (/\.ya?ml$/.test(ref)) return undefined;
  const dir = resolve(ref);
  try {
    return statSync(dir).isDirectory() ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** Every pack in a folder of the user's own, composed; one that does not load stops here, with its located problems. */
export async function loadFolder(dir: string): Promise<{pack: Pack; file: string}[]> {
  const files = readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(dir, f));
  const out: {pack: Pack; file: string}[] = [];
  for (const f of files) out.push(await loadPackFile(f));
  return out;
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
  const readBase = (name: string) => {
    try {
      return readRegularFileSync(join(dirname(file), name)).toString('utf8');
    } catch {
      return undefined;
    }
  };
  const cached = text === undefined ? undefined : cachedPack(packageRoot(), file, text, readBase);
  return cached ? {pack: cached, file} : loadPackFile(file);
}

/** Runs the session's checks; calls on one session share one budget for process and network checks, unless given one. */
export async function evaluate(s: Session, o: RunOptions = {}): Promise<ItemOutcome[]> {
  return runPack(s.pack, s.ctx, await checksFor(checkIds(s.pack, s.ctx.inputs, o.only)), {...o, budget: o.budget ?? budgetFor(s.ctx, o.concurrency)});
}

/** The checks a run can reach: steps of the chosen items that apply with these inputs. */
function checkIds(pack: Pack, inputs: Readonly<Record<string, string>>, only: ReadonlySet<string> | undefined): Set<string> {
  const ids = new Set<string>();
  for (const section of pack.sections) {
    for (const item of section.items) {
      if ((only && !only.has(item.id)) || !applies(item, inputs).ok) continue;
      for (const step of item.verify ?? []) if (applies(step, inputs).ok) ids.add(step.check);
    }
  }
  return ids;
}
