import {lstatSync, mkdirSync} from 'node:fs';
import {homedir} from 'node:os';
import {dirname, isAbsolute, join} from 'node:path';

/**
 * Shipshape's cache folder, shared by the launcher's code cache (src/launch.ts) and the cache
 * of validated user packs (src/pack/userCache.ts): `$XDG_CACHE_HOME/shipshape`, else
 * `~/.cache/shipshape`; none when SHIPSHAPE_CACHE=0 or no absolute place is known. Node's
 * modules only: the launcher bundles it and must stay small.
 */
export function cacheDir(): string | undefined {
  if (process.env.SHIPSHAPE_CACHE === '0') return undefined;
  const xdg = process.env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'shipshape');
  try {
    const home = homedir();
    return isAbsolute(home) ? join(home, '.cache', 'shipshape') : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a file or folder belongs to whoever runs this (always true where there are no uids). */
export function mine(uid: number): boolean {
  const me = process.geteuid?.();
  return me === undefined || uid === me;
}

/**
 * Whether a cache folder may be trusted: a real folder (not a link), owned by whoever runs this,
 * that nobody else may write. What is cached there is code that runs and packs that choose
 * checks: under `sudo -E`, root must never take what the user, or anyone, could have written.
 */
export function trustedDir(dir: string): boolean {
  try {
    const s = lstatSync(dir);
    return s.isDirectory() && mine(s.uid) && (s.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/**
 * Makes `dir` (0700) and each folder between `from` and it, each only where its parent exists:
 * a home directory that does not exist is never made. Then says whether `dir` can be trusted.
 */
export function makeTrustedDir(from: string, dir: string): boolean {
  const chain: string[] = [];
  for (let d = dir; d !== from && d !== dirname(d); d = dirname(d)) chain.unshift(d);
  for (const d of [from, ...chain]) {
    try {
      mkdirSync(d, {mode: 0o700});
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return false;
    }
  }
  return trustedDir(dir);
}
