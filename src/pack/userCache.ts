import {createHash} from 'node:crypto';
import {readdirSync, rmSync, statSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {cacheDir, makeTrustedDir, trustedDir} from '../deploy/cacheDir.js';
import {readRegularFileSync} from '../deploy/read.js';
import {writeFileAtomicSync} from '../write/atomicFile.js';
import type {Pack} from './schema.js';

/**
 * A pack of the user's own, validated once and kept by content. Loading a pack means parsing its
 * YAML (the yaml package reads about 0.5 MB a second: a 3,000-item pack takes over a second) and
 * validating it against the schema and every check's params. A pack run again unchanged (in CI,
 * in the wizard) is taken from here instead: the entry holds the composed pack, the SHA-256 of
 * every file it was composed from, and where each `extends` led, and is used only when all of
 * them still hold, for this build of Shipshape. Kept in $XDG_CACHE_HOME/shipshape/packs (0600
 * files in 0700 folders), beside the code cache; SHIPSHAPE_CACHE=0 turns both off. Running from
 * sources (tests, tsx) there is no build to key it by, so nothing is kept.
 */
export interface Edge {
  /** `extends: [id]` in the file `from` led to the file `to`. */
  id: string;
  from: string;
  to: string | undefined;
}

interface Entry {
  build: string;
  files: {path: string; sha256: string}[];
  edges: Edge[];
  /** SHA-256 of `pack`, so a damaged entry is a miss, not a broken pack. */
  sha256: string;
  pack: string;
}

const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

declare const SHIPSHAPE_BUILD_ID: string;

/** This build of Shipshape (new at every build); none when running from sources. */
function build(): string | undefined {
  return typeof SHIPSHAPE_BUILD_ID === 'string' ? SHIPSHAPE_BUILD_ID : undefined;
}

/** Entries kept at most; the least recently written beyond it are removed. */
const MAX_ENTRIES = 256;

function entryPath(file: string): string | undefined {
  const dir = cacheDir();
  return dir ? join(dir, 'packs', `${sha256(file)}.json`) : undefined;
}

/**
 * The pack composed from `file` when the cache holds it for exactly these files and this build;
 * `find` resolves an `extends` as the loader would, to check it still leads where it did.
 */
export function cachedUserPack(file: string, find: (id: string, from: string) => string | undefined): {pack: Pack; files: string[]} | undefined {
  const b = build();
  const path = entryPath(file);
  if (!b || !path || !trustedDir(dirname(path)) || !trustedDir(dirname(dirname(path)))) return undefined;
  try {
    const entry = JSON.parse(readRegularFileSync(path, {maxBytes: MAX_ENTRY_BYTES}).toString('utf8')) as Entry;
    if (entry.build !== b || entry.files[0]?.path !== file) return undefined;
    for (const f of entry.files) if (sha256(readRegularFileSync(f.path).toString('utf8')) !== f.sha256) return undefined;
    for (const e of entry.edges) if (find(e.id, e.from) !== e.to) return undefined;
    if (sha256(entry.pack) !== entry.sha256) return undefined;
    return {pack: JSON.parse(entry.pack) as Pack, files: entry.files.map((f) => f.path)};
  } catch {
    return undefined;
  }
}

/**
 * Keeps a pack the full loader accepted: `texts` are the exact texts it read and validated, own
 * file first. A cache that cannot be written is no error: the next run loads anew.
 */
export function keepUserPack(file: string, texts: ReadonlyMap<string, string>, edges: readonly Edge[], pack: Pack): void {
  const b = build();
  const path = entryPath(file);
  if (!b || !path || [...texts.keys()][0] !== file) return;
  try {
    const text = JSON.stringify(pack);
    const entry: Entry = {
      build: b,
      files: [...texts].map(([f, t]) => ({path: f, sha256: sha256(t)})),
      edges: [...edges],
      sha256: sha256(text),
      pack: text,
    };
    const packs = dirname(path);
    if (!makeTrustedDir(dirname(dirname(packs)), packs) || !trustedDir(dirname(packs))) return;
    const json = JSON.stringify(entry);
    if (json.length > MAX_ENTRY_BYTES) return;
    writeFileAtomicSync(path, json);
    prune(dirname(path));
  } catch {
    /* not kept: the next run loads the pack anew */
  }
}

/** Bytes of one entry at most (a pack of many thousands of items); a larger one is not kept. */
const MAX_ENTRY_BYTES = 32 * 1024 * 1024;

/** Keeps the folder to MAX_ENTRIES, removing the entries written longest ago. */
function prune(dir: string): void {
  const names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  if (names.length <= MAX_ENTRIES) return;
  const aged = names.map((n) => ({n, t: statSync(join(dir, n)).mtimeMs})).sort((a, b) => a.t - b.t);
  for (const {n} of aged.slice(0, names.length - MAX_ENTRIES)) rmSync(join(dir, n), {force: true});
}
