import {createHash} from 'node:crypto';
import {mkdirSync, statSync} from 'node:fs';
import {homedir} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {readRegularFileSync} from '../deploy/read.js';
import {VERSION} from '../version.js';
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

/** This build of Shipshape: the bundle's version, size and time; none when running from sources. */
function build(): string | undefined {
  if (!/\.c?js$/.test(import.meta.url)) return undefined;
  try {
    const s = statSync(fileURLToPath(import.meta.url));
    return `${VERSION}-${s.size}-${Math.trunc(s.mtimeMs)}`;
  } catch {
    return undefined;
  }
}

/** The cache folder's parent (XDG_CACHE_HOME, else ~/.cache), or none when caching is off. */
function cacheHome(): string | undefined {
  if (process.env.SHIPSHAPE_CACHE === '0') return undefined;
  const xdg = process.env.XDG_CACHE_HOME;
  if (xdg?.startsWith('/')) return xdg;
  try {
    return join(homedir(), '.cache');
  } catch {
    return undefined;
  }
}

function entryPath(file: string): string | undefined {
  const home = cacheHome();
  return home ? join(home, 'shipshape', 'packs', `${sha256(file)}.json`) : undefined;
}

/**
 * The pack composed from `file` when the cache holds it for exactly these files and this build;
 * `find` resolves an `extends` as the loader would, to check it still leads where it did.
 */
export function cachedUserPack(file: string, find: (id: string, from: string) => string | undefined): {pack: Pack; files: string[]} | undefined {
  const b = build();
  const path = entryPath(file);
  if (!b || !path) return undefined;
  try {
    const entry = JSON.parse(readRegularFileSync(path).toString('utf8')) as Entry;
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
    // Each folder only where its parent exists: a home directory that does not exist is never made.
    for (const d of [dirname(dirname(dirname(path))), dirname(dirname(path)), dirname(path)]) {
      try {
        mkdirSync(d, {mode: 0o700});
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    writeFileAtomicSync(path, JSON.stringify(entry));
  } catch {
    /* not kept: the next run loads the pack anew */
  }
}
