import {randomBytes} from 'node:crypto';
import {closeSync, fsyncSync, lstatSync, openSync, renameSync, unlinkSync, writeSync} from 'node:fs';
import {basename, dirname, join} from 'node:path';

/** Our temp files start with this, so a later start can clean up after a killed process. */
export const TEMP_PREFIX = '.shipshape-tmp-';

/** A write that was refused or failed; the message names the file and says what to do. */
export class AtomicWriteError extends Error {
  override name = 'AtomicWriteError';
}

/**
 * Replaces one file atomically and synchronously (the caller's answer is on disk when this
 * returns): a temp file in the same folder, fsync, rename, fsync of the folder. Never writes
 * through a symlink and never onto anything but a regular file. For small state files (answers,
 * progress); change sets to a deployment go through apply.ts, which adds backups and undo.
 */
export function writeFileAtomicSync(path: string, text: string, mode = 0o600): void {
  let st;
  try {
    st = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new AtomicWriteError(`${path}: cannot be checked before writing: ${(err as Error).message}`);
  }
  if (st?.isSymbolicLink()) throw new AtomicWriteError(`${path} is a symbolic link; Shipshape does not write through links. Replace it with a regular file.`);
  if (st && !st.isFile()) throw new AtomicWriteError(`${path} is not a regular file; move it away so Shipshape can write there.`);
  const dir = dirname(path);
  const tmp = join(dir, `${TEMP_PREFIX}${basename(path)}-${randomBytes(6).toString('hex')}`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', mode);
    writeSync(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* never created, or already renamed */
    }
    throw new AtomicWriteError(`${path}: could not be written: ${(err as Error).message}`);
  }
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    /* some filesystems cannot fsync a directory; the rename itself is done */
  }
}
