import {existsSync, readdirSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

/**
 * The folder of built-in packs. The bundle (dist/cli.mjs) and the sources (src/pack/) sit at
 * different depths, so walk up from this file to the package root that holds steps/.
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'steps')) && existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find the shipshape package folder (with steps/ and package.json)');
}

export function stepsDir(): string {
  const override = process.env.SHIPSHAPE_STEPS_DIR;
  if (override) return resolve(override);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'steps')) && existsSync(join(dir, 'package.json'))) return join(dir, 'steps');
    dir = dirname(dir);
  }
  throw new Error('cannot find the built-in packs (steps/) next to the shipshape package');
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
