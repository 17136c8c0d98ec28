// What the host checks that read the host's own files (/etc/ssh, /etc/apt, /etc/systemd, ...)
// share: `root`, the folder that stands for the host's `/` (`/` on the host itself; a copy of
// its tree in tests or when checking an image or a backup), and one way to read files under it.
// Evidence always shows a file by its path on the host, never by where the copy sits.
import {lstat, readdir, readlink} from 'node:fs/promises';
import {join, resolve, sep} from 'node:path';
import {z} from 'zod';
import {readRegularFile} from '../deploy/read.js';
import {errorMessage} from '../sources/errors.js';
import {code, isDenied, isMissing, MAX_READ_BYTES} from './host-common.js';

/** The `root` param of every such check. */
export const Root = z.string().min(1).default('/');

/** A path as it is on the host, such as /etc/ssh/sshd_config. */
export const HostPath = z
  .string()
  .min(1)
  .refine((p) => p.startsWith('/'), 'an absolute path as it is on the host, e.g. /etc/ssh/sshd_config');

/** Where a host path is on this machine. */
export function onRoot(root: string, path: string): string {
  return join(resolve(root), path);
}

/** Whether the checks look at this machine itself (root `/`), so that commands about it may run. */
export function isLiveRoot(root: string): boolean {
  return resolve(root) === sep;
}

/** ` (host tree at /tmp/x)` when the root is not `/`, for messages. */
export function underRoot(root: string): string {
  return isLiveRoot(root) ? '' : ` (host tree at ${root})`;
}

export type HostText = {text: string} | {missing: true} | {error: string; denied: boolean};

/** A host file's text (bounded, regular files only), or why not. */
export async function readHostText(root: string, path: string): Promise<HostText> {
  try {
    const b = await readRegularFile(onRoot(root, path), {maxBytes: MAX_READ_BYTES, shown: path});
    return {text: b.toString('utf8').replace(/^\uFEFF/, '')};
  } catch (err) {
    if ((err as {reason?: string}).reason === 'missing' || isMissing(err)) return {missing: true};
    const message = errorMessage(err);
    return {error: message, denied: isDenied(err) || /EACCES|EPERM/.test(message)};
  }
}

/** The names in a host folder, or undefined when there is none (or it cannot be listed: use readHostDir to tell). */
export async function listHostDir(root: string, dir: string): Promise<string[] | undefined> {
  try {
    return await readdir(onRoot(root, dir));
  } catch {
    return undefined;
  }
}

/** The names in a host folder; missing when there is none; an error when it is there but cannot be listed. */
export async function readHostDir(root: string, dir: string): Promise<{names: string[]} | {missing: true} | {error: string; denied: boolean}> {
  try {
    return {names: await readdir(onRoot(root, dir))};
  } catch (err) {
    if (isMissing(err)) return {missing: true};
    return {error: `cannot be listed: ${code(err)}`, denied: isDenied(err)};
  }
}

/** What is at a host path without following a final link: a link (with its target), a file, or nothing. */
export async function hostEntry(
  root: string,
  path: string,
): Promise<{kind: 'link'; target: string} | {kind: 'file' | 'dir' | 'other'} | {kind: 'missing'} | {kind: 'error'; why: string}> {
  try {
    const s = await lstat(onRoot(root, path));
    if (s.isSymbolicLink()) return {kind: 'link', target: await readlink(onRoot(root, path))};
    return {kind: s.isFile() ? 'file' : s.isDirectory() ? 'dir' : 'other'};
  } catch (err) {
    if (isMissing(err)) return {kind: 'missing'};
    return {kind: 'error', why: code(err)};
  }
}

/** The reason a host file cannot be read, with what to do about it. */
export function unreadable(path: string, t: {error: string; denied: boolean}): string {
  const why = /^cannot be (read|listed)/.test(t.error) ? t.error : `cannot be read: ${t.error}`;
  return `${path} ${why}${t.denied ? ' (run Shipshape as root, or with sudo)' : ''}`;
}
