import {existsSync} from 'node:fs';
import {join} from 'node:path';
import {globToRegExp, hasMagic, listFiles} from '../sources/glob.js';
import type {Pack} from './schema.js';

export class InputError extends Error {}

export interface ResolvedInputs {
  values: Record<string, string>;
  /** How each value was settled: given, inferred from a file, or the pack default. */
  origin: Record<string, string>;
  /** Inputs nobody could settle; items that depend on them are skipped. */
  unresolved: string[];
}

/** `--input KEY=VALUE` pairs, checked against the pack's declared inputs and choices. */
export function parseInputArgs(args: readonly string[], pack: Pack): Record<string, string> {
  const out: Record<string, string> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new InputError(`--input ${arg}: expected KEY=VALUE`);
    const key = arg.slice(0, eq);
    const value = arg.slice(eq + 1);
    const input = pack.inputs.find((i) => i.id === key);
    if (!input) throw new InputError(`--input ${key}: pack ${pack.id} has no such input (it has: ${pack.inputs.map((i) => i.id).join(', ') || 'none'})`);
    if (!input.choices.some((c) => c.value === value)) {
      throw new InputError(`--input ${key}=${value}: choose one of ${input.choices.map((c) => c.value).join(', ')}`);
    }
    out[key] = value;
  }
  return out;
}

/**
 * When a value was chosen by hand (given or picked) though the files its infer rules name are
 * missing, what to tell the person: the items for that choice will have nothing to read.
 */
export async function missingFor(pack: Pack, root: string, inputId: string, value: string): Promise<string | undefined> {
  const input = pack.inputs.find((i) => i.id === inputId);
  const rules = input?.infer.filter((r) => r.value === value) ?? [];
  if (rules.length === 0) return undefined;
  let files: string[] | undefined;
  for (const rule of rules) {
    for (const pattern of rule.files) {
      const hit = hasMagic(pattern) ? (files ??= await listFiles(root, 4)).some((f) => globToRegExp(pattern).test(f)) : existsSync(join(root, pattern));
      if (hit) return undefined;
    }
  }
  const wanted = rules.flatMap((r) => r.files).join(', ');
  return `${inputId}=${value}, but no file matching ${wanted} exists here: the items for ${value} have nothing to read and will not pass`;
}

/** Given values first, then the first infer rule whose files exist, then the default. */
export async function resolveInputs(pack: Pack, root: string, given: Readonly<Record<string, string>>): Promise<ResolvedInputs> {
  const values: Record<string, string> = {};
  const origin: Record<string, string> = {};
  const unresolved: string[] = [];
  let files: string[] | undefined;
  for (const input of pack.inputs) {
    const g = given[input.id];
    if (g !== undefined) {
      values[input.id] = g;
      origin[input.id] = 'given';
      continue;
    }
    let found: string | undefined;
    for (const rule of input.infer) {
      for (const pattern of rule.files) {
        const hit = hasMagic(pattern)
          ? (files ??= await listFiles(root, 4)).find((f) => globToRegExp(pattern).test(f))
          : existsSync(join(root, pattern))
            ? pattern
            : undefined;
        if (hit) {
          found = rule.value;
          origin[input.id] = `inferred from ${hit}`;
          break;
        }
      }
      if (found) break;
    }
    if (found === undefined && input.default !== undefined) {
      found = input.default;
      origin[input.id] = 'pack default';
    }
    if (found === undefined) unresolved.push(input.id);
    else values[input.id] = found;
  }
  return {values, origin, unresolved};
}
