import {randomBytes} from 'node:crypto';
import type {Stats} from 'node:fs';
import * as fs from 'node:fs/promises';
import {basename, dirname, join, posix, sep, win32} from 'node:path';
import type {ChangeSet, FileChange} from './changeSet.js';

import {TEMP_PREFIX} from './atomicFile.js';

export {TEMP_PREFIX};
/** `<name>.shipshape-backup-<YYYYMMDDTHHMMSSZ>` beside each file replaced. */
export const BACKUP_INFIX = '.shipshape-backup-';
/** A temp file older than this belongs to no running write. */
export const STALE_TEMP_MS = 60_000;

/** A write that was refused or failed; the message names the file and says what to do. */
export class WriteError extends Error {
  override name = 'WriteError';
  constructor(
    message: string,
    /** The file concerned, relative to the deployment root, when there is one. */
    readonly file?: string,
  ) {
    super(message);
  }
}

export interface ApplyOptions {
  /** The time in backup names (tests fix it). */
  now?: Date;
  hooks?: {
    /** Called before each file is moved into place: tests use it to fail or stop a write there. */
    beforeRename?(path: string): void | Promise<void>;
  };
}

export interface ApplyResult {
  /** Files written, relative to the root. */
  written: string[];
  /** Backups made of the files replaced, relative to the root; each 0600. */
  backups: string[];
}

/** One change, checked and resolved, and what has been done for it so far (for undo). */
interface Step {
  change: FileChange;
  rel: string;
  abs: string;
  dir: string;
  /** Folders to create, outermost first. */
  missing: string[];
  existing?: {stats: Stats; bytes: Buffer};
  /** The mode to give the new file; undefined = leave it to open() and the umask (a new non-secret file). */
  mode: number | undefined;
  after: Buffer;
  temp?: string;
  backup?: string;
  replaced?: boolean;
}

/**
 * Writes every file of the change set, or none. Each file goes to a temp file in its own
 * folder (fsync), the file it replaces is copied to a 0600 backup, and only when all of that
 * worked are the temp files renamed into place, the folders synced, and every file read back
 * and verified. Any failure, up to and including the read-back, puts every file back as it
 * was (from its backup) and throws a WriteError saying what failed.
 *
 * Paths stay inside the root: absolute paths, `..` out of the root, symbolic links anywhere
 * between the root and the file (or as the file), and anything but a regular file are
 * refused before a byte is written, and checked again just before each rename.
 */
export async function applyChangeSet(root: string, cs: ChangeSet, o: ApplyOptions = {}): Promise<ApplyResult> {
  const realRoot = await rootOf(root);
  const steps: Step[] = [];
  const seen = new Set<string>();
  for (const change of cs.changes) {
    const step = await planStep(realRoot, change);
    if (seen.has(step.rel))
      throw new WriteError(`${step.rel}: appears twice in one change set; nothing was written (this is a bug in the generator)`, step.rel);
    seen.add(step.rel);
    // A change that changes nothing is not written, backed up or counted.
    if (change.before !== change.after) steps.push(step);
  }
  const stamp = stampOf(o.now ?? new Date());
  const created: string[] = [];
  let doing = '';
  let current: string | undefined;
  try {
    for (const s of steps) {
      current = s.rel;
      if (s.missing.length === 0) await cleanStaleTemps(s.dir).catch(() => undefined);
      doing = `creating the folder of ${s.rel}`;
      for (const d of s.missing) {
        if (created.includes(d)) continue;
        await fs.mkdir(d, {mode: 0o700});
        created.push(d);
        await fs.chmod(d, 0o700);
      }
      doing = `writing a temporary copy of ${s.rel}`;
      await sameFolder(s);
      await writeTemp(s);
      if (s.existing) {
        doing = `backing up ${s.rel}`;
        await writeBackup(s, stamp);
      }
    }
    for (const s of steps) {
      current = s.rel;
      doing = `replacing ${s.rel}`;
      await o.hooks?.beforeRename?.(s.rel);
      await recheck(s);
      await moveIntoPlace(s);
    }
    current = undefined;
    for (const d of new Set([...steps.map((s) => s.dir), ...created.map((d) => dirname(d))])) {
      doing = `syncing the folder ${d}`;
      await syncDir(d);
    }
    for (const s of steps) {
      current = s.rel;
      doing = `reading ${s.rel} back`;
      const back = await fs.readFile(s.abs);
      if (!back.equals(s.after)) throw new Error('what is on disk is not what was written');
      const problem = verifySafely(s.change, back.toString('utf8'));
      if (problem !== undefined) throw new Error(`the written file does not check out: ${problem}`);
    }
  } catch (err) {
    const stuck = await undo(steps, created);
    const cause = err instanceof WriteError ? err.message : `${doing} failed: ${(err as Error).message}`;
    const outcome = stuck.length === 0 ? 'Nothing was changed: every file is as it was.' : `Some files could not be put back: ${stuck.join('; ')}.`;
    throw new WriteError(`${cause}. ${outcome}`, err instanceof WriteError ? err.file : current);
  }
  return {
    written: steps.map((s) => s.rel),
    backups: steps.filter((s) => s.backup).map((s) => posix.join(posix.dirname(s.rel), basename(s.backup!))),
  };
}

async function rootOf(root: string): Promise<string> {
  let real: string;
  try {
    real = await fs.realpath(root);
  } catch (err) {
    throw new WriteError(`${root}: the deployment folder cannot be opened (${(err as Error).message}); nothing was written`);
  }
  if (!(await fs.stat(real)).isDirectory()) throw new WriteError(`${root}: is not a folder; nothing was written`);
  return real;
}

/** The change's path made safe, its folders and file checked, its current bytes compared. */
async function planStep(realRoot: string, change: FileChange): Promise<Step> {
  const rel = safeRelative(change.path);
  const refuse = (why: string) => new WriteError(`${rel}: refused: ${why}; nothing was written`, rel);
  const parts = rel.split('/');
  const missing: string[] = [];
  let dir = realRoot;
  for (const part of parts.slice(0, -1)) {
    dir = join(dir, part);
    if (missing.length > 0) {
      missing.push(dir);
      continue;
    }
    const st = await lstatOrUndefined(dir);
    if (!st) missing.push(dir);
    else if (st.isSymbolicLink())
      throw refuse(
        `${shown(realRoot, dir)} is a symbolic link, and Shipshape writes only inside the deployment's own folders (replace the link with a real folder, or write the file by hand)`,
      );
    else if (!st.isDirectory()) throw refuse(`${shown(realRoot, dir)} is not a folder`);
  }
  if (missing.length === 0) {
    const realDir = await fs.realpath(dir);
    if (realDir !== realRoot && !realDir.startsWith(realRoot + sep)) throw refuse(`its folder is really ${realDir}, outside the deployment ${realRoot}`);
  }
  const abs = join(dir, parts.at(-1)!);
  const st = missing.length === 0 ? await lstatOrUndefined(abs) : undefined;
  if (st?.isSymbolicLink())
    throw refuse(
      'it is a symbolic link; Shipshape does not write through links (replace the link with the file itself, or edit the file it points to by hand)',
    );
  if (st && !st.isFile()) throw refuse('it exists and is not a regular file (move it away, then run Shipshape again)');
  let existing: Step['existing'];
  if (st) {
    const bytes = await fs.readFile(abs);
    existing = {stats: st, bytes};
    if (change.before === undefined)
      throw refuse('it already exists, but the change was made for a new file (run Shipshape again to compute the change afresh)');
    if (!bytes.equals(Buffer.from(change.before, 'utf8')))
      throw refuse('it changed on disk since the change was computed (someone edited it meanwhile); run Shipshape again to compute the change afresh');
  } else if (change.before !== undefined) {
    throw refuse('it no longer exists, but the change was made for the file as it was (run Shipshape again to compute the change afresh)');
  }
  return {change, rel, abs, dir, missing, existing, mode: modeFor(change.secret, existing?.stats), after: Buffer.from(change.after, 'utf8')};
}

/** The path, normalised, if it names a file inside the root; else a WriteError. */
function safeRelative(path: string): string {
  const refuse = (why: string) => new WriteError(`${path}: refused: ${why}; nothing was written`, path);
  if (typeof path !== 'string' || path === '') throw refuse('the path is empty');
  if (path.includes('\0')) throw refuse('the path holds a NUL character');
  if (posix.isAbsolute(path) || win32.isAbsolute(path)) throw refuse('the path is absolute; change sets name files relative to the deployment folder');
  if (path.includes('\\')) throw refuse('the path has a backslash; change sets use forward slashes');
  const rel = posix.normalize(path);
  if (rel === '..' || rel.startsWith('../')) throw refuse('the path leads out of the deployment folder');
  if (rel === '.' || rel.endsWith('/')) throw refuse('the path names a folder, not a file');
  return rel;
}

/**
 * Secret files end up 0600 unless they already are stricter (0400 stays 0400); other files keep
 * their mode; a new non-secret file gets 0644 less the umask, as any new file would.
 */
function modeFor(secret: boolean, st: Stats | undefined): number | undefined {
  if (secret) {
    const mode = (st?.mode ?? 0o600) & 0o7777;
    return (mode & ~0o600) === 0 ? mode : 0o600;
  }
  return st ? st.mode & 0o7777 : undefined;
}

async function writeTemp(s: Step): Promise<void> {
  const temp = join(s.dir, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
  // O_EXCL: never opens something planted under our name, nor follows a link there.
  const fh = await fs.open(temp, 'wx', s.mode === undefined ? 0o644 : 0o600);
  s.temp = temp;
  try {
    await fh.writeFile(s.after);
    if (s.existing) await keepOwner(fh, s.existing.stats);
    if (s.mode !== undefined) await fh.chmod(s.mode);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** A copy of the file being replaced, 0600 always (it may hold the old secret), never overwriting a backup. */
async function writeBackup(s: Step, stamp: string): Promise<void> {
  const base = `${s.abs}${BACKUP_INFIX}${stamp}`;
  for (let n = 0; n < 1000; n++) {
    const name = n === 0 ? base : `${base}-${n}`;
    let fh: fs.FileHandle;
    try {
      fh = await fs.open(name, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw err;
    }
    s.backup = name;
    try {
      // A copy, not a hard link: chmod 0600 on a link would change the live file's mode too.
      await fh.writeFile(s.existing!.bytes);
      await keepOwner(fh, s.existing!.stats);
      await fh.chmod(0o600);
      await fh.sync();
    } finally {
      await fh.close();
    }
    return;
  }
  throw new Error(`there are already 1000 backups named ${basename(base)}*`);
}

/**
 * When root edits someone else's file, the new file is theirs too, or they would lose access
 * to their own (0600) file. Without the right to do so, the file stays ours.
 */
async function keepOwner(fh: fs.FileHandle, st: Stats): Promise<void> {
  if (process.geteuid?.() === st.uid && process.getegid?.() === st.gid) return;
  try {
    await fh.chown(st.uid, st.gid);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
  }
}

/** The folder is still the one planned: no folder on the way was swapped for a link meanwhile. */
async function sameFolder(s: Step): Promise<void> {
  if ((await fs.realpath(s.dir)) !== s.dir)
    throw new WriteError(`${s.rel}: refused: a folder on its path was replaced by a symbolic link while writing`, s.rel);
}

/** The checks of planStep once more, just before the rename, to narrow the window for a swap. */
async function recheck(s: Step): Promise<void> {
  await sameFolder(s);
  const st = await lstatOrUndefined(s.abs);
  if (!s.existing) {
    if (st) throw new WriteError(`${s.rel}: refused: it appeared on disk while writing (run Shipshape again)`, s.rel);
    return;
  }
  if (!st || st.isSymbolicLink() || !st.isFile() || !(await fs.readFile(s.abs)).equals(s.existing.bytes)) {
    throw new WriteError(`${s.rel}: refused: it changed on disk while writing (run Shipshape again)`, s.rel);
  }
}

/** rename over an existing file; link for a new one, which fails rather than overwrite a file that appeared. */
async function moveIntoPlace(s: Step): Promise<void> {
  const temp = s.temp!;
  if (s.existing) {
    await fs.rename(temp, s.abs);
    s.replaced = true;
    s.temp = undefined;
    return;
  }
  try {
    await fs.link(temp, s.abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Filesystems without hard links: the recheck just saw no file there.
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
    await fs.rename(temp, s.abs);
    s.replaced = true;
    s.temp = undefined;
    return;
  }
  s.replaced = true;
  await fs.unlink(temp);
  s.temp = undefined;
}

async function syncDir(dir: string): Promise<void> {
  let fh: fs.FileHandle | undefined;
  try {
    fh = await fs.open(dir, 'r');
    await fh.sync();
  } catch (err) {
    // Some platforms and filesystems cannot fsync a folder; the renames themselves are done.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'ENOTSUP' && code !== 'EBADF' && code !== 'EPERM') throw err;
  } finally {
    await fh?.close();
  }
}

function verifySafely(change: FileChange, written: string): string | undefined {
  try {
    return change.verify?.(written);
  } catch (err) {
    return `its check failed: ${(err as Error).message}`;
  }
}

/**
 * Puts everything back: temp files removed, replaced files restored from their backups (the
 * backup is renamed back, so the bytes are exactly the old ones), new files removed, folders we
 * made removed. Returns what could not be put back, each naming where the old bytes are.
 */
async function undo(steps: readonly Step[], created: readonly string[]): Promise<string[]> {
  const stuck: string[] = [];
  for (const s of [...steps].reverse()) {
    if (s.temp) await fs.unlink(s.temp).catch(() => undefined);
    try {
      if (s.replaced && s.existing) {
        await fs.rename(s.backup!, s.abs);
        await fs.chmod(s.abs, s.existing.stats.mode & 0o7777);
        s.backup = undefined;
      } else if (s.replaced) {
        await fs.unlink(s.abs);
      } else if (s.backup) {
        // Not replaced: the backup is of an unchanged file and only clutter.
        await fs.unlink(s.backup);
      }
    } catch (err) {
      stuck.push(s.backup ? `${s.rel} (${(err as Error).message}; its previous content is in ${basename(s.backup)})` : `${s.rel} (${(err as Error).message})`);
    }
  }
  for (const d of [...created].reverse()) await fs.rmdir(d).catch(() => undefined);
  return stuck;
}

/**
 * Removes our temp files (`.shipshape-tmp-*`) in `dir` older than `maxAgeMs` at `now`: what a
 * killed run leaves behind. Younger ones may belong to a write in progress and stay. Returns the
 * names removed.
 */
export async function cleanStaleTemps(dir: string, now: Date | number = Date.now(), maxAgeMs = STALE_TEMP_MS): Promise<string[]> {
  const at = typeof now === 'number' ? now : now.getTime();
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    const path = join(dir, name);
    const st = await lstatOrUndefined(path);
    if (!st?.isFile() || at - st.mtimeMs <= maxAgeMs) continue;
    try {
      await fs.unlink(path);
      removed.push(name);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return removed;
}

/** `20260721T103329Z`: sorts by time, and safe in a file name everywhere. */
function stampOf(d: Date): string {
  return d
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[-:]/g, '');
}

async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await fs.lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function shown(realRoot: string, abs: string): string {
  return abs
    .slice(realRoot.length + 1)
    .split(sep)
    .join('/');
}
