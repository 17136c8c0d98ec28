import {createHash} from 'node:crypto';
import {readFileSync} from 'node:fs';
import {basename, join} from 'node:path';
import type {Pack} from './schema.js';

/**
 * Built-in packs are validated once, when the bundle is built, into dist/packs.json. At run
 * time a pack whose YAML still has the same hash is taken from there: no YAML parser, no
 * schema and no check registry stand between start-up and the first frame. An edited pack
 * file no longer matches and goes through the full loader. A pack that extends others is kept
 * composed, under the hash of every file it was composed from: editing a base misses too.
 */
export interface PackCacheFile {
  version: string;
  /**
   * `pack` is the validated pack as JSON text: parsing it is each caller's own copy, and half
   * the time of parsing it as part of the file and then cloning it.
   */
  entries: {file: string; sha256: string; pack: string /** Beside file, the built-in packs it extends (names in steps/). */; bases?: string[]}[];
}

/** The hash a cache entry is kept under: the pack's text, then each base's, in order. */
export function packHash(texts: readonly string[]): string {
  return texts.length === 1 ? sha256(texts[0]!) : sha256(texts.map(sha256).join('\n'));
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

type Entry = {sha256: string; pack: string; bases?: string[]};
let cache: Map<string, Entry> | null | undefined;

/** The cache next to the bundle; none when running from sources (tests, tsx), where it could be stale. */
function load(packageRoot: string): Map<string, Entry> | null {
  if (cache !== undefined) return cache;
  cache = null;
  if (!/\.c?js$/.test(import.meta.url)) return cache;
  try {
    const data = JSON.parse(readFileSync(join(packageRoot, 'dist', 'packs.json'), 'utf8')) as PackCacheFile;
    cache = new Map(data.entries.map((e) => [e.file, {sha256: e.sha256, pack: e.pack, bases: e.bases}]));
  } catch {
    cache = null;
  }
  return cache;
}

/**
 * The validated pack for a built-in file, when the cache holds this exact text (and, for a
 * composed pack, its bases' exact texts, read by `readBase` from the same folder).
 */
export function cachedPack(
  packageRoot: string,
  file: string,
  text: string,
  readBase: (name: string) => string | undefined = () => undefined,
): Pack | undefined {
  const hit = load(packageRoot)?.get(basename(file));
  if (!hit) return undefined;
  const texts = [text];
  for (const name of hit.bases ?? []) {
    const t = readBase(name);
    if (t === undefined) return undefined;
    texts.push(t);
  }
  return hit.sha256 === packHash(texts) ? (JSON.parse(hit.pack) as Pack) : undefined;
}
