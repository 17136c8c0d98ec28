// What the host.* checks share. They check the machine the deployment runs on: disk, systemd
// units, firewall, Docker's log rotation, scheduled backups and their freshness. All read-only.
// Like net.*, they describe the machine (and namespaces) Shipshape runs in: run it on the host,
// not inside a container. Paths are absolute, or relative to the deployment root. What they
// parse (mountinfo, systemctl, firewall output, crontabs, daemon.json) is in src/sources/.
import {access, readFile} from 'node:fs/promises';
import {isAbsolute, resolve} from 'node:path';
import {z} from 'zod';
import type {Context} from '../engine/context.js';
import type {CommandResult} from '../engine/exec.js';
import {errorMessage} from '../sources/errors.js';

/** The most any host check reads of one file: config files and crontabs are small. */
export const MAX_READ_BYTES = 1024 * 1024;
/** The time bound of one command (systemctl, ufw, crontab -l). */
export const CMD_TIMEOUT_MS = 5_000;
/** One path or several in a check's params; the default shows in the generated docs. */
export const paths = (defaults: string[]) =>
  z
    .union([z.string().min(1), z.array(z.string().min(1))])
    .default(defaults)
    .transform((p) => (Array.isArray(p) ? p : [p]));

/** A path a check reads, and how to show it. */
export interface Place {
  abs: string;
  /** Relative paths as the root sees them, absolute ones as given. */
  shown: string;
}

/** A path from the pack, resolved against the deployment root when relative, with how evidence shows it. */
export function place(ctx: Context, given: string): Place {
  if (isAbsolute(given)) return {abs: resolve(given), shown: given};
  const abs = resolve(ctx.root, given);
  return {abs, shown: ctx.rel(abs) || '.'};
}

/** The errno code of a failed file operation (ENOENT, EACCES), or its message, for a short reason. */
export function code(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? errorMessage(err);
}

/** A path that does not exist (or has a file where a folder should be). */
export function isMissing(err: unknown): boolean {
  return code(err) === 'ENOENT' || code(err) === 'ENOTDIR';
}

/** A path the user Shipshape runs as may not read: the finding then says to run as root. */
export function isDenied(err: unknown): boolean {
  return code(err) === 'EACCES' || code(err) === 'EPERM';
}

/** 2^30 bytes: disk sizes are given and shown in GiB, as df -h shows them. */
export const GIB = 1024 ** 3;

/** Bytes as GiB for a message. */
export function gib(bytes: number): string {
  return `${(bytes / GIB).toFixed(bytes < 10 * GIB ? 2 : 1)} GiB`;
}

/** Bytes in the largest unit that keeps the number readable, for a message. */
export function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

/** An age in hours, or days past two days, for a message. */
export function hours(ms: number): string {
  const h = ms / 3_600_000;
  if (h < 48) return `${h.toFixed(1)} hours`;
  return `${(h / 24).toFixed(1)} days`;
}

/** A command that failed, as a short reason without its output (which may hold secrets). */
export function failure(file: string, r: CommandResult): string {
  if (r.missing) return `${file} is not installed`;
  if (r.timedOut) return `${file} did not answer within ${CMD_TIMEOUT_MS} ms`;
  return `${file} failed: ${r.reason ?? `exit code ${r.exitCode ?? '?'}`}`;
}

/** Why systemd cannot be asked about units here, or undefined when it is PID 1. */
export async function notSystemd(stderr = ''): Promise<string | undefined> {
  // sd_booted(): this directory exists exactly when systemd is the init system.
  const booted = await access('/run/systemd/system').then(
    () => true,
    () => false,
  );
  const comm = (await readFile('/proc/1/comm', 'utf8').catch(() => undefined))?.trim();
  if (!/has not been booted with systemd/i.test(stderr) && (booted || comm === 'systemd')) return undefined;
  return `systemd is not PID 1 here (PID 1 is ${comm || 'unknown'}), so unit state cannot be read: run Shipshape on the host itself`;
}
