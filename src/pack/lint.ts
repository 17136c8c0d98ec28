import {existsSync, readdirSync, statSync} from 'node:fs';
import {join, resolve} from 'node:path';
import type {CheckDef} from '../checks/define.js';
import {formatPath, positionOf} from '../sources/yamlDoc.js';
import {findExtended, loadOwnPackFile, loadPackFile, PackLoadError, type LoadOptions, type PackProblem} from './load.js';
import type {Pack} from './schema.js';

/**
 * `shipshape packs lint`: everything the loader refuses (YAML, schema, unknown check ids, wrong
 * params, a `when` naming an unknown input, a regular expression that does not compile, an
 * unknown generator, an unknown or cyclic `extends`, one id from two composed packs), each with
 * file:line:col; and, as warnings, what loads but is likely a mistake.
 */
export interface LintResult {
  file: string;
  errors: PackProblem[];
  warnings: PackProblem[];
  /** The composed pack, when it loads. */
  pack?: Pack;
}

export interface LintRegistries {
  checks: ReadonlyMap<string, CheckDef>;
  generators: ReadonlySet<string> | ReadonlyMap<string, unknown>;
}

export async function lintPackFile(file: string, r: LintRegistries): Promise<LintResult> {
  const path = resolve(file);
  const o: LoadOptions = {generators: r.generators};
  try {
    const {pack} = await loadPackFile(path, r.checks, o);
    return {file: path, errors: [], warnings: await warnings(path, pack, r, o), pack};
  } catch (err) {
    if (err instanceof PackLoadError) return {file: path, errors: err.problems, warnings: []};
    throw err;
  }
}

/** The pack files a lint argument names: a file, or every .yaml/.yml in a folder. */
export function lintTargets(arg: string): string[] {
  const path = resolve(arg);
  if (existsSync(path) && statSync(path).isDirectory()) {
    return readdirSync(path)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort()
      .map((f) => join(path, f));
  }
  return [path];
}

async function warnings(file: string, _pack: Pack, r: LintRegistries, o: LoadOptions): Promise<PackProblem[]> {
  const {pack: own, y} = await loadOwnPackFile(file, r.checks, o);
  const out: PackProblem[] = [];
  const at = (path: (string | number)[], message: string, preferKey = false): PackProblem => {
    const pos = positionOf(y, path, preferKey);
    return {file, line: pos.line, col: pos.col, path: formatPath(path), message};
  };
  if (own.detect.length === 0) {
    out.push(at(['id'], 'no detect rules: detection never chooses this pack; it runs only when named with --pack (or alone in a --pack folder)'));
  }
  // An own item with the id of an inherited one replaces it whole; say so, since `override` may be what was meant.
  for (const [n, {pack: ref}] of own.extends.entries()) {
    const baseFile = findExtended(ref, file);
    if (!baseFile) continue;
    const base = (await loadPackFile(baseFile, r.checks, o)).pack;
    const baseIds = new Set(base.sections.flatMap((s) => s.items.map((i) => i.id)));
    own.sections.forEach((section, s) =>
      section.items.forEach((item, i) => {
        if (baseIds.has(item.id)) {
          out.push(
            at(
              ['sections', s, 'items', i, 'id'],
              `item "${item.id}" replaces the one ${ref} has (extends[${n}]); to change only some fields, use override instead`,
            ),
          );
        }
      }),
    );
  }
  return out;
}
