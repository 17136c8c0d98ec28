import {existsSync, readdirSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {readRegularFileSync} from '../deploy/read.js';

/**
 * The shipshape package folder (the one holding steps/ and package.json). The bundle
 * (dist/shipshape.cjs) and the sources (src/pack/) sit at different depths, so walk up from this file.
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'steps')) && existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find the shipshape package folder (with steps/ and package.json)');
}

/**
 * Built-in packs for a kind of deployment rather than a product. Detection ranks them after any
 * product pack that also recognises the directory: a the0 deployment on Kubernetes is the0's.
 */
export const GENERIC_PACKS: ReadonlySet<string> = new Set(['compose', 'kubernetes', 'linux-host']);

/** The folder of built-in packs: SHIPSHAPE_STEPS_DIR when set, else steps/ in the package folder. */
export function stepsDir(): string {
  const override = process.env.SHIPSHAPE_STEPS_DIR;
  if (override) return resolve(override);
  return join(packageRoot(), 'steps');
}

export function builtinPackFiles(): string[] {
  const dir = stepsDir();
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/** `the0` -> steps/the0.yaml; a path ending in .yaml/.yml is taken as a file. */
export function resolvePackRef(ref: string, cwd = process.cwd()): string | undefined {
  if (/\.ya?ml$/.test(ref)) return resolve(cwd, ref);
  return builtinPackFiles().find((f) => f.endsWith(`/${ref}.yaml`) || f.endsWith(`/${ref}.yml`));
}

/**
 * Where `extends: [id]` in the pack file `from` points: `id.yaml` (or .yml) beside it, else a file
 * beside it whose top-level `id:` says so, else the built-in pack of that id.
 */
export function findExtended(id: string, from: string): string | undefined {
  const dir = dirname(from);
  for (const name of [`${id}.yaml`, `${id}.yml`]) if (existsSync(join(dir, name))) return join(dir, name);
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
  } catch {
    /* no folder: only built-in packs */
  }
  const idLine = new RegExp(`^id:\\s*['"]?${id}['"]?\\s*(#.*)?$`, 'm');
  for (const name of names) {
    const path = join(dir, name);
    if (path === from) continue;
    try {
      if (idLine.test(readRegularFileSync(path).toString('utf8'))) return path;
    } catch {
      /* unreadable: not this one */
    }
  }
  return resolvePackRef(id);
}
