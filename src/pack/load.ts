import {readRegularFile} from '../deploy/read.js';
import type {z} from 'zod';
import type {CheckDef} from '../checks/define.js';
import {SourceError, errorMessage} from '../sources/errors.js';
import {formatPath, parseYaml, positionOf, type PathKey, type YamlFile} from '../sources/yamlDoc.js';
import {PackSchema, type Pack} from './schema.js';

export interface PackProblem {
  file: string;
  line: number;
  col: number;
  /** Where inside the document, e.g. `sections[1].items[0].verify[0].with.keys`. */
  path: string;
  message: string;
}

/** A pack that cannot be used, with every problem found (up to a limit) and where it is. */
export class PackLoadError extends Error {
  constructor(readonly problems: PackProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'PackLoadError';
  }
}

export function formatProblem(p: PackProblem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.path}: ${p.message}`;
}

export interface LoadedPack {
  pack: Pack;
  file: string;
}

const MAX_PROBLEMS = 25;

export async function loadPackFile(file: string, checks: ReadonlyMap<string, CheckDef>): Promise<LoadedPack> {
  let text: string;
  try {
    // Bounded, regular files only: a pack given as a FIFO or /dev/zero is refused, never read.
    text = (await readRegularFile(file)).toString('utf8');
  } catch (err) {
    throw new PackLoadError([{file, line: 1, col: 1, path: '(file)', message: `cannot read pack: ${errorMessage(err)}`}]);
  }
  return {pack: parsePack(text, file, checks), file};
}

/** Parses and validates a pack: YAML syntax, then the schema, then each check's own params. */
export function parsePack(text: string, file: string, checks: ReadonlyMap<string, CheckDef>): Pack {
  let y: YamlFile;
  try {
    y = parseYaml(text, file);
  } catch (err) {
    if (err instanceof SourceError) {
      throw new PackLoadError([{file, line: err.line ?? 1, col: err.col ?? 1, path: '(syntax)', message: err.message}]);
    }
    throw err;
  }
  if (y.data === null || typeof y.data !== 'object' || Array.isArray(y.data)) {
    throw new PackLoadError([{file, line: 1, col: 1, path: '(top level)', message: 'a pack is a mapping with id, title, sections, ...'}]);
  }
  const parsed = validate(y);
  if (!parsed.success) throw new PackLoadError(issuesToProblems(y, parsed.error.issues, []));

  const problems: PackProblem[] = [];
  parsed.data.sections.forEach((section, s) =>
    section.items.forEach((item, i) =>
      item.verify?.forEach((step, v) => {
        const at: PathKey[] = ['sections', s, 'items', i, 'verify', v];
        const def = checks.get(step.check);
        if (!def) {
          problems.push(problemAt(y, [...at, 'check'], `unknown check "${step.check}"${suggest(step.check, checks)}`));
          return;
        }
        const params = def.params.safeParse(step.with);
        if (params.success) step.with = params.data as Record<string, unknown>;
        else problems.push(...issuesToProblems(y, params.error.issues, [...at, 'with'], `${step.check}: `));
      }),
    ),
  );
  if (problems.length > 0) throw new PackLoadError(problems.slice(0, MAX_PROBLEMS));
  return parsed.data;
}

/**
 * The schema over the pack. zod gathers the issues of a list with `push(...issues)`, so tens of
 * thousands of bad entries overflow the stack (a RangeError, which would be an internal error):
 * then the same schema runs over the first entries of every list, which are at the same paths,
 * so the problems shown are real and located.
 */
function validate(y: YamlFile): ReturnType<typeof PackSchema.safeParse> {
  try {
    return PackSchema.safeParse(y.data);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    const head = PackSchema.safeParse(firstEntries(y.data, 1000));
    if (head.success) {
      // The bad entries are all further down: say so rather than use a cut pack.
      throw new PackLoadError([
        {file: y.file, line: 1, col: 1, path: '(top level)', message: 'too many invalid entries to list; the first 1,000 of each list are valid'},
      ]);
    }
    return head;
  }
}

function firstEntries(value: unknown, keep: number): unknown {
  if (Array.isArray(value)) return value.slice(0, keep).map((v) => firstEntries(v, keep));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, firstEntries(v, keep)]));
}

function issuesToProblems(y: YamlFile, issues: readonly z.core.$ZodIssue[], prefix: PathKey[], label = ''): PackProblem[] {
  const out: PackProblem[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...(issue.path as PathKey[])];
    if (issue.code === 'unrecognized_keys') {
      // Only as many as are shown: a mapping of 40,000 stray keys must not locate every one.
      for (const key of issue.keys.slice(0, MAX_PROBLEMS - out.length)) out.push(problemAt(y, [...path, key], `${label}unknown key "${key}"`, true));
    } else {
      out.push(problemAt(y, path, label + describe(issue)));
    }
    if (out.length >= MAX_PROBLEMS) break;
  }
  return out.slice(0, MAX_PROBLEMS);
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) return `required: ${issue.message}`;
  return issue.message;
}

function problemAt(y: YamlFile, path: PathKey[], message: string, preferKey = false): PackProblem {
  const pos = positionOf(y, path, preferKey);
  return {file: y.file, line: pos.line, col: pos.col, path: formatPath(path), message};
}

function suggest(id: string, checks: ReadonlyMap<string, CheckDef>): string {
  const family = id.split('.')[0];
  const near = [...checks.keys()].filter((k) => k.split('.')[0] === family);
  return near.length > 0 ? ` (${family} has: ${near.join(', ')})` : ` (families: ${[...new Set([...checks.keys()].map((k) => k.split('.')[0]))].join(', ')})`;
}
