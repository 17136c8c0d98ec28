// The one reader for deployment files (.env, Compose, Helm values, manifests, keys), used by the
// context every check reads through, by pack detection and (for its skip rule) the glob walk.
//
// THE RULE FOR SYMLINKS AND NON-FILES (the same for every source, check and for detection):
// - A path is looked up under the deployment root. Nothing there (or a parent that is not a
//   directory) is "missing": the checks that need the file say it is absent.
// - A symlink (the path itself, or any folder on the way) is followed when its real target is
//   inside the deployment root (its real path, so `/tmp -> /private/tmp` style roots work).
// - A symlink whose real target is outside the deployment root is an `error` naming the link and
//   where it leads; the file outside is never opened. The same holds for a path that names a
//   place outside the root by itself (`../x`, an absolute path). A file outside the deployment
//   root is never read silently: a check that must look outside (a host file, a CA bundle) names
//   that absolute path itself and reads it through `readRegularFile`.
// - A dangling symlink or a symlink loop is an `error` naming the link, never "absent".
// - A directory, FIFO, socket or device where a file is expected is an `error` naming it,
//   reported at once: it is never opened for reading (a FIFO would block, /dev/zero never ends).
// - Only regular files are read: stat first, then opened with O_NONBLOCK (a FIFO swapped in
//   between the stat and the open cannot block) and O_NOFOLLOW on the resolved path, checked
//   again on the open descriptor (fstat), and read with a byte cap (default 4 MiB) rather than
//   to the end: a file that is or grows larger is an `error`, never an unbounded buffer.
// - The glob walk never opens anything: it lists every entry but directories (so a special file
//   whose name matches a pattern is reported by the reader, not skipped), and it does not descend
//   into symlinked folders.

import {closeSync, constants, fstatSync, lstatSync, openSync, readSync, realpathSync, statSync, type Stats} from 'node:fs';
import {type FileHandle, lstat, open, realpath, stat} from 'node:fs/promises';
import {isAbsolute, relative, resolve, sep} from 'node:path';
import {SourceError} from '../sources/errors.js';

/** Deployment files larger than this are not parsed: a deployment's config files are small. */
export const MAX_DEPLOYMENT_FILE_BYTES = 4 * 1024 * 1024;

const O_NONBLOCK = constants.O_NONBLOCK ?? 0;
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const O_NOCTTY = constants.O_NOCTTY ?? 0;
const CHUNK = 64 * 1024;

/** Why a path under the root is not read. */
export type RefusedReason = 'missing' | 'outside' | 'dangling' | 'loop' | 'not-file' | 'too-large' | 'unreadable';

/** A deployment file that is there but is not read, or could not be; `file` is the path as given. */
export class ReadRefused extends SourceError {
  constructor(
    message: string,
    file: string,
    readonly reason: RefusedReason,
  ) {
    super(message, file);
  }
}

/** What is at a path under the root, by the rule above. */
export type Found = {kind: 'file'; real: string; size: number} | {kind: 'missing'} | {kind: 'refused'; error: ReadRefused};

export interface ReadOptions {
  maxBytes?: number;
}

export interface DeploymentReadOptions extends ReadOptions {
  /** The root's real path, when the caller has it already. */
  realRoot?: string;
}

/** `file`, `directory`, `FIFO (named pipe)`...: what a stat says, for messages. */
export function kindOf(s: Stats): string {
  if (s.isFile()) return 'regular file';
  if (s.isDirectory()) return 'directory';
  if (s.isSymbolicLink()) return 'symbolic link';
  if (s.isFIFO()) return 'FIFO (named pipe)';
  if (s.isSocket()) return 'socket';
  if (s.isCharacterDevice()) return 'character device';
  if (s.isBlockDevice()) return 'block device';
  return 'special file';
}

function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

function isMissing(err: unknown): boolean {
  return code(err) === 'ENOENT' || code(err) === 'ENOTDIR';
}

function inside(realRoot: string, real: string): boolean {
  const r = relative(realRoot, real);
  return r === '' || (r !== '..' && !r.startsWith(`..${sep}`) && !isAbsolute(r));
}

function notFile(rel: string, s: Stats, via?: string): ReadRefused {
  const what = kindOf(s);
  const hint = s.isDirectory() ? 'a file was expected here' : 'only regular files are read (a pipe or device could block or never end)';
  return new ReadRefused(`${via ? `is a symbolic link to ${via}, which is a ${what}` : `is a ${what}, not a regular file`}: ${hint}`, rel, 'not-file');
}

function tooLarge(rel: string, max: number): ReadRefused {
  return new ReadRefused(`is larger than ${max} bytes; deployment files are not read past that size`, rel, 'too-large');
}

function unreadable(rel: string, err: unknown): ReadRefused {
  return new ReadRefused(`cannot be read: ${code(err) ?? (err as Error).message}`, rel, 'unreadable');
}

/**
 * Decides, from what lstat and realpath said, what the path is. Shared by the sync and async
 * lookups so that they cannot disagree.
 */
function judge(
  rel: string,
  abs: string,
  realRoot: string,
  link: Stats | undefined,
  real: string | {error: unknown},
  target: Stats | {error: unknown} | undefined,
): Found {
  const linked = link?.isSymbolicLink() ?? false;
  if (typeof real !== 'string') {
    if (code(real.error) === 'ELOOP') return {kind: 'refused', error: new ReadRefused('is a symbolic link loop', rel, 'loop')};
    if (isMissing(real.error)) {
      if (linked) return {kind: 'refused', error: new ReadRefused('is a dangling symbolic link (its target does not exist)', rel, 'dangling')};
      if (!link) return {kind: 'missing'};
      // The path exists but some folder on the way is a dangling link.
      return {kind: 'refused', error: new ReadRefused('leads through a dangling symbolic link', rel, 'dangling')};
    }
    return {kind: 'refused', error: unreadable(rel, real.error)};
  }
  if (!inside(realRoot, real)) {
    const how = linked
      ? 'is a symbolic link that points outside the deployment'
      : real === abs
        ? 'is outside the deployment'
        : 'leads outside the deployment through a symbolic link';
    return {
      kind: 'refused',
      error: new ReadRefused(
        `${how} (to ${real}); Shipshape never reads files outside the deployment root: copy the file in, or point the link inside`,
        rel,
        'outside',
      ),
    };
  }
  if (!target || 'error' in target) return target && !isMissing(target.error) ? {kind: 'refused', error: unreadable(rel, target.error)} : {kind: 'missing'};
  if (!target.isFile()) return {kind: 'refused', error: notFile(rel, target, linked ? relative(realRoot, real).split(sep).join('/') || '.' : undefined)};
  return {kind: 'file', real, size: target.size};
}

/** A path that names a place outside the root by itself (`../x`, an absolute path): refused whether or not it exists. */
function named(rel: string, abs: string): Found {
  return {
    kind: 'refused',
    error: new ReadRefused(`is outside the deployment (${abs}); Shipshape never reads files outside the deployment root`, rel, 'outside'),
  };
}

/** The real path of a deployment root (itself when it cannot be resolved). */
export function realRootSync(root: string): string {
  try {
    return realpathSync(root);
  } catch {
    return resolve(root);
  }
}

/** What is at `rel` under `root` (see the rule at the top); never opens it. */
export function inspectSync(root: string, rel: string, realRoot = realRootSync(root)): Found {
  const abs = resolve(root, rel);
  if (!inside(resolve(root), abs)) return named(rel, abs);
  let link: Stats | undefined;
  try {
    link = lstatSync(abs);
  } catch (err) {
    if (!isMissing(err)) return {kind: 'refused', error: unreadable(rel, err)};
  }
  let real: string | {error: unknown};
  try {
    real = realpathSync(abs);
  } catch (error) {
    real = {error};
  }
  let target: Stats | {error: unknown} | undefined;
  if (typeof real === 'string') {
    try {
      target = statSync(real);
    } catch (error) {
      target = {error};
    }
  }
  return judge(rel, abs, realRoot, link, real, target);
}

/** What is at `rel` under `root` (see the rule at the top); never opens it. */
export async function inspect(root: string, rel: string, realRoot?: string): Promise<Found> {
  const abs = resolve(root, rel);
  if (!inside(resolve(root), abs)) return named(rel, abs);
  const rr = realRoot ?? (await realpath(root).catch(() => resolve(root)));
  let link: Stats | undefined;
  try {
    link = await lstat(abs);
  } catch (err) {
    if (!isMissing(err)) return {kind: 'refused', error: unreadable(rel, err)};
  }
  const real = await realpath(abs).catch((error: unknown) => ({error}));
  const target = typeof real === 'string' ? await stat(real).catch((error: unknown) => ({error})) : undefined;
  return judge(rel, abs, rr, link, real, target);
}

/**
 * Reads a deployment file by the rule at the top: `rel` relative to `root`. Throws ReadRefused
 * (a SourceError naming `rel`) for anything but a regular file inside the root, and for a
 * missing one (reason `missing`): callers that treat absence as an
 * answer ask `inspect` first.
 */
export async function readDeploymentFile(root: string, rel: string, o: DeploymentReadOptions = {}): Promise<Buffer> {
  const found = await inspect(root, rel, o.realRoot);
  if (found.kind === 'missing') throw new ReadRefused('does not exist', rel, 'missing');
  if (found.kind === 'refused') throw found.error;
  return readRegularFile(found.real, {maxBytes: o.maxBytes, shown: rel, follow: false});
}

export function readDeploymentFileSync(root: string, rel: string, o: DeploymentReadOptions = {}): Buffer {
  const found = inspectSync(root, rel, o.realRoot);
  if (found.kind === 'missing') throw new ReadRefused('does not exist', rel, 'missing');
  if (found.kind === 'refused') throw found.error;
  return readRegularFileSync(found.real, {maxBytes: o.maxBytes, shown: rel, follow: false});
}

export interface RegularReadOptions extends ReadOptions {
  /** The name in error messages (default: the path). */
  shown?: string;
  /** Whether a symlink as the last component is followed (default true; the deployment reader resolves first and opens with O_NOFOLLOW). */
  follow?: boolean;
}

function openFlags(follow: boolean): number {
  return constants.O_RDONLY | O_NONBLOCK | O_NOCTTY | (follow ? 0 : O_NOFOLLOW);
}

/**
 * Reads one regular file, bounded: stat first (a FIFO, socket, device or directory is refused
 * without being opened), open non-blocking, fstat the descriptor (the same answer, whatever was
 * swapped in meanwhile), read at most `maxBytes`. For any path, inside a deployment or not: the
 * caller decides whether the path may be read at all.
 */
export async function readRegularFile(path: string, o: RegularReadOptions = {}): Promise<Buffer> {
  const shown = o.shown ?? path;
  const max = o.maxBytes ?? MAX_DEPLOYMENT_FILE_BYTES;
  const follow = o.follow ?? true;
  let s: Stats;
  try {
    s = follow ? await stat(path) : await lstat(path);
  } catch (err) {
    throw isMissing(err) ? new ReadRefused('does not exist', shown, 'missing') : unreadable(shown, err);
  }
  if (!s.isFile()) throw notFile(shown, s);
  if (s.size > max) throw tooLarge(shown, max);
  let fh: FileHandle;
  try {
    fh = await open(path, openFlags(follow));
  } catch (err) {
    throw code(err) === 'ELOOP' ? new ReadRefused('was replaced by a symbolic link while being read', shown, 'not-file') : unreadable(shown, err);
  }
  try {
    const again = await fh.stat();
    if (!again.isFile()) throw notFile(shown, again);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      // One byte past the cap tells a file at the limit from a larger one.
      const want = Math.min(CHUNK, max + 1 - total);
      const buf = Buffer.allocUnsafe(want);
      const {bytesRead} = await fh.read(buf, 0, want, null);
      if (bytesRead === 0) break;
      chunks.push(bytesRead === want ? buf : buf.subarray(0, bytesRead));
      total += bytesRead;
      if (total > max) throw tooLarge(shown, max);
    }
    return Buffer.concat(chunks, total);
  } catch (err) {
    if (err instanceof ReadRefused) throw err;
    throw unreadable(shown, err);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

export function readRegularFileSync(path: string, o: RegularReadOptions = {}): Buffer {
  const shown = o.shown ?? path;
  const max = o.maxBytes ?? MAX_DEPLOYMENT_FILE_BYTES;
  const follow = o.follow ?? true;
  let s: Stats;
  try {
    s = follow ? statSync(path) : lstatSync(path);
  } catch (err) {
    throw isMissing(err) ? new ReadRefused('does not exist', shown, 'missing') : unreadable(shown, err);
  }
  if (!s.isFile()) throw notFile(shown, s);
  if (s.size > max) throw tooLarge(shown, max);
  let fd: number;
  try {
    fd = openSync(path, openFlags(follow));
  } catch (err) {
    throw code(err) === 'ELOOP' ? new ReadRefused('was replaced by a symbolic link while being read', shown, 'not-file') : unreadable(shown, err);
  }
  try {
    const again = fstatSync(fd);
    if (!again.isFile()) throw notFile(shown, again);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const want = Math.min(CHUNK, max + 1 - total);
      const buf = Buffer.allocUnsafe(want);
      const n = readSync(fd, buf, 0, want, null);
      if (n === 0) break;
      chunks.push(n === want ? buf : buf.subarray(0, n));
      total += n;
      if (total > max) throw tooLarge(shown, max);
    }
    return Buffer.concat(chunks, total);
  } catch (err) {
    if (err instanceof ReadRefused) throw err;
    throw unreadable(shown, err);
  } finally {
    closeSync(fd);
  }
}
