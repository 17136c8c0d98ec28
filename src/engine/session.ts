import {statSync} from 'node:fs';
import {resolve} from 'node:path';
import {CHECKS} from '../checks/index.js';
import {builtinPackFiles, resolvePackRef} from '../pack/builtin.js';
import {detectPacks} from '../pack/detect.js';
import {parseInputArgs, resolveInputs, type ResolvedInputs} from '../pack/inputs.js';
import {loadPackFile, PackLoadError} from '../pack/load.js';
import type {Pack} from '../pack/schema.js';
import {Context} from './context.js';
import {runPack, type ItemOutcome, type RunOptions} from './run.js';

/** A mistake in how Shipshape was called: exit 2 with this message. */
export class UsageError extends Error {}

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
    ({pack, file: packFile} = await loadPackFile(file, CHECKS));
    chosenBy = '--pack';
  } else {
    const packs = await loadBuiltins();
    const found = await detectPacks(root, packs.map((p) => p.pack));
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

export async function loadBuiltins(): Promise<{pack: Pack; file: string}[]> {
  return Promise.all(builtinPackFiles().map((f) => loadPackFile(f, CHECKS)));
}

export function evaluate(s: Session, o: RunOptions = {}): Promise<ItemOutcome[]> {
  return runPack(s.pack, s.ctx, CHECKS, o);
}

export {PackLoadError};
