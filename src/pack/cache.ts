import {createHash} from 'node:crypto';
import {readFileSync} from 'node:fs';
import {basename, join} from 'node:path';
import type {Pack} from './schema.js';

/**
 * Built-in packs are validated once, when the bundle is built, into dist/packs.json. At run
 * time a pack whose YAML still has the same hash is taken from there: no YAML parser, no
 * schema and no check registry stand between start-up and the first frame. An edited pack
 * file no longer matches and goes through the full loader.
 */
export interface PackCacheFile {
  version: string;
  entries: {file: string; sha256: string; pack: Pack}[];
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

let cache: Map<string, {sha256: string; pack: Pack}> | null | undefined;

/** The cache next to the bundle; none when running from sources (tests, tsx), where it could be stale. */
function load(packageRoot: string): Map<string, {sha256: string; pack: Pack}> | null {
  if (cache !== undefined) return cache;
  cache = null;
  if (!import.meta.url.endsWith('.mjs')) return cache;
  try {
    const data = JSON.parse(readFileSync(join(packageRoot, 'dist', 'packs.json'), 'utf8')) as PackCacheFile;
    cache = new Map(data.entries.map((e) => [e.file, {sha256: e.sha256, pack: e.pack}]));
  } catch {
    cache = null;
  }
  return cache;
}

/** The validated pack for a built-in file, when the cache holds this exact text. */
export function cachedPack(packageRoot: string, file: string, text: string): Pack | undefined {
  const hit = load(packageRoot)?.get(basename(file));
  return hit && hit.sha256 === sha256(text) ? structuredClone(hit.pack) : undefined;
}
