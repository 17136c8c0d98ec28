import {readRegularFile} from '../deploy/read.js';
import type {z} from 'zod';
import type {CheckDef} from '../checks/define.js';
import {SourceError, errorMessage} from '../sources/errors.js';
import {formatPath, parseYaml, positionOf, type PathKey, type YamlFile} from '../sources/yamlDoc.js';
import {basename, dirname, resolve} from 'node:path';
import {builtinPackFiles, findExtended} from './builtin.js';
import {composePack, type BasePack} from './compose.js';
import {PackSchema, type Pack, type VerifyStep} from './schema.js';

// Where `extends` leads lives with the built-in packs; kept here for the loader's callers.
export {findExtended};

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
  /** Every file the pack was composed from: its own first, then each base once. */
  files: string[];
}

const MAX_PROBLEMS = 25;

/** What the loader checks names against, beyond the check registry. */
export interface LoadOptions {
  /** Generator ids (src/generators): when given, a `generate` naming another is a problem. */
  generators?: ReadonlySet<string> | ReadonlyMap<string, unknown>;
  /** Where a pack id named by `extends` lives; the default is findExtended. */
  find?: (id: string, from: string) => string | undefined;
  /** Told each pack file's text as it is read, before it is parsed (for a cache keyed by content). */
  onRead?: (file: string, text: string) => void;
}

/**
 * A pack file with everything it extends taken in (src/pack/compose.ts). Bases are found by
 * `find`, loaded the same way, and a cycle is a problem at the `extends` entry that closes it.
 */
export async function loadPackFile(file: string, checks: ReadonlyMap<string, CheckDef>, o: LoadOptions = {}): Promise<LoadedPack> {
  const files: string[] = [];
  return {pack: await loadComposed(resolve(file), checks, o, [], files), file, files};
}

/** One pack file on its own: its `extends` is not followed. */
export async function loadOwnPackFile(file: string, checks: ReadonlyMap<string, CheckDef>, o: LoadOptions = {}): Promise<{pack: Pack; y: YamlFile}> {
  const text = await readPackText(file);
  o.onRead?.(file, text);
  return parsePackFile(text, file, checks, o);
}

async function readPackText(file: string): Promise<string> {
  try {
    // Bounded, regular files only: a pack given as a FIFO or /dev/zero is refused, never read.
    return (await readRegularFile(file)).toString('utf8');
  } catch (err) {
    throw new PackLoadError([{file, line: 1, col: 1, path: '(file)', message: `cannot read pack: ${errorMessage(err)}`}]);
  }
}

async function loadComposed(file: string, checks: ReadonlyMap<string, CheckDef>, o: LoadOptions, chain: readonly string[], files: string[]): Promise<Pack> {
  if (!files.includes(file)) files.push(file);
  const {pack: own, y} = await loadOwnPackFile(file, checks, o);
  if (own.extends.length === 0 && own.override.length === 0 && own.drop.length === 0) return own;
  const at = (path: PathKey[], message: string) => problemAt(y, path, message);
  const problems: PackProblem[] = [];
  const bases: BasePack[] = [];
  const find = o.find ?? findExtended;
  for (const [n, {pack: ref}] of own.extends.entries()) {
    if (ref === own.id) {
      problems.push(at(['extends', n], 'a pack cannot extend itself'));
      continue;
    }
    const baseFile = find(ref, file);
    if (!baseFile) {
      problems.push(at(['extends', n], `unknown pack "${ref}": not in ${dirname(file)} and not built in (${builtinIds().join(', ')})`));
      continue;
    }
    if (chain.includes(baseFile) || baseFile === file) {
      const ids = [...chain, file, baseFile].map((f) => basename(f).replace(/\.ya?ml$/, ''));
      problems.push(at(['extends', n], `extends cycle: ${ids.slice(ids.indexOf(basename(baseFile).replace(/\.ya?ml$/, ''))).join(' -> ')}`));
      continue;
    }
    try {
      const pack = await loadComposed(baseFile, checks, o, [...chain, file], files);
      if (pack.id !== ref) problems.push(at(['extends', n], `${baseFile} holds pack "${pack.id}", not "${ref}"`));
      else bases.push({ref, pack});
    } catch (err) {
      if (!(err instanceof PackLoadError)) throw err;
      // A cycle further down is reported once, at the entry that closes it.
      if (err.problems.some((p) => p.message.startsWith('extends cycle:'))) throw err;
      problems.push(
        at(['extends', n], `pack "${ref}" (${baseFile}) does not load: ${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}, listed below`),
      );
      problems.push(...err.problems);
    }
  }
  if (problems.length > 0) throw new PackLoadError(problems.slice(0, MAX_PROBLEMS));
  const composed = composePack(own, bases);
  for (const p of composed.problems) problems.push(at(p.path, p.message));
  if (problems.length > 0) throw new PackLoadError(problems.slice(0, MAX_PROBLEMS));
  return composed.pack;
}

function builtinIds(): string[] {
  try {
    return builtinPackFiles().map((f) => basename(f).replace(/\.ya?ml$/, ''));
  } catch {
    return [];
  }
}

/** Parses and validates one pack file: YAML syntax, then the schema, then each check's own params. */
export function parsePack(text: string, file: string, checks: ReadonlyMap<string, CheckDef>, o: LoadOptions = {}): Pack {
  return parsePackFile(text, file, checks, o).pack;
}

function parsePackFile(text: string, file: string, checks: ReadonlyMap<string, CheckDef>, o: LoadOptions): {pack: Pack; y: YamlFile} {
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
  if (!parsed.success) {
    // The registries' verdicts on the steps that are well formed, too: lint lists everything at once.
    const problems = [...issuesToProblems(y, parsed.error.issues, []), ...registryProblems(y, itemsOf(y.data), checks, o, false)];
    throw new PackLoadError(dedupe(problems).slice(0, MAX_PROBLEMS));
  }
  const problems = registryProblems(y, itemsOf(parsed.data), checks, o, true);
  if (problems.length > 0) throw new PackLoadError(problems.slice(0, MAX_PROBLEMS));
  return {pack: parsed.data, y};
}

/** Each item (and each override) with its path; from parsed data or, when the schema refused it, from the raw document. */
function itemsOf(data: unknown): [PathKey[], Record<string, unknown>][] {
  const out: [PathKey[], Record<string, unknown>][] = [];
  const record = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!record(data)) return out;
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v.slice(0, 1000) : []);
  list(data.sections).forEach((section, s) => {
    if (record(section)) list(section.items).forEach((item, i) => record(item) && out.push([['sections', s, 'items', i], item]));
  });
  list(data.override).forEach((item, n) => record(item) && out.push([['override', n], item]));
  return out;
}

/**
 * What the registries say: each step's check exists and takes its params (which, with `apply`,
 * replace the step's own, defaults filled), its regular expressions compile, and each generator
 * exists. Tolerant of malformed entries, which the schema reports.
 */
function registryProblems(
  y: YamlFile,
  items: [PathKey[], Record<string, unknown>][],
  checks: ReadonlyMap<string, CheckDef>,
  o: LoadOptions,
  apply: boolean,
): PackProblem[] {
  const problems: PackProblem[] = [];
  for (const [path, item] of items) {
    const steps = Array.isArray(item.verify) ? item.verify : [];
    steps.forEach((step: unknown, v) => {
      if (step === null || typeof step !== 'object' || typeof (step as VerifyStep).check !== 'string') return;
      const s = step as VerifyStep;
      // An id not shaped family.name is the schema's to report.
      if (!/^[a-z0-9]+\.[a-z0-9-]+$/.test(s.check)) return;
      const at: PathKey[] = [...path, 'verify', v];
      const def = checks.get(s.check);
      if (!def) {
        problems.push(problemAt(y, [...at, 'check'], `unknown check "${s.check}"${suggest(s.check, checks)}`));
        return;
      }
      const params = def.params.safeParse(s.with ?? {});
      if (!params.success) {
        problems.push(...issuesToProblems(y, params.error.issues, [...at, 'with'], `${s.check}: `));
        return;
      }
      if (apply) s.with = params.data as Record<string, unknown>;
      for (const [key, message] of badPatterns(params.data as Record<string, unknown>))
        problems.push(problemAt(y, [...at, 'with', ...key], `${s.check}: ${message}`));
    });
    if (o.generators) {
      // A single generator is written as a mapping, several as a list: point at the one written.
      const written = nodeValue(y, [...path, 'generate']);
      const gens = Array.isArray(written) ? written : written === undefined ? [] : [written];
      gens.forEach((g: unknown, n) => {
        const id = g !== null && typeof g === 'object' ? (g as {generator?: unknown}).generator : undefined;
        if (typeof id !== 'string' || o.generators!.has(id)) return;
        const at: PathKey[] = Array.isArray(written) ? [...path, 'generate', n] : [...path, 'generate'];
        problems.push(problemAt(y, [...at, 'generator'], `unknown generator "${id}" (known: ${[...o.generators!.keys()].sort().join(', ')})`));
      });
    }
  }
  return problems;
}

function dedupe(problems: PackProblem[]): PackProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = formatProblem(p);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The parsed value at a path of the document, for telling a single mapping from a list. */
function nodeValue(y: YamlFile, path: readonly PathKey[]): unknown {
  let v: unknown = y.data;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<PathKey, unknown>)[k] : undefined;
  return v;
}

/**
 * Check params that hold a regular expression, by their name (`pattern`, `reject`, `scrape`, or a
 * name ending in Pattern or Regex), that do not compile: the check would only fail at run time.
 */
function badPatterns(params: Record<string, unknown>): [PathKey[], string][] {
  const out: [PathKey[], string][] = [];
  const walk = (value: unknown, path: PathKey[], depth: number) => {
    if (depth > 8 || out.length >= MAX_PROBLEMS) return;
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, i], depth + 1));
    else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        if (typeof v === 'string' && /^(pattern|reject|scrape|regex)$|(Pattern|Regex)$/.test(k)) {
          try {
            new RegExp(v);
          } catch (err) {
            out.push([[...path, k], `${k} is not a valid regular expression: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`]);
          }
        } else walk(v, [...path, k], depth + 1);
      }
    }
  };
  walk(params, [], 0);
  return out;
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
