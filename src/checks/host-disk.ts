// host.disk and host.docker-logs: the two ways a host runs out of disk (a full filesystem, and
// container logs that grow without bound).
import {readFile, realpath, stat, statfs} from 'node:fs/promises';
import {z} from 'zod';
import {result, type Evidence} from '../model/types.js';
import {defineCheck} from './define.js';
import {dockerSize} from '../sources/docker.js';
import {jsonError, keyLine, lineCol} from '../sources/json.js';
import {mountHolding, type Mount} from '../sources/mountinfo.js';
import {code, GIB, gib, isDenied, isMissing, MAX_READ_BYTES, place, size} from './host-common.js';
import {isLiveRoot, onRoot} from './host-root.js';
import {isAbsolute} from 'node:path';

// ---------------------------------------------------------------------------------------------
// host.disk

/** The mount holding `real` (a resolved path), from /proc/self/mountinfo; undefined when unreadable. */
async function mountOf(real: string): Promise<Mount | undefined> {
  let text: string;
  try {
    text = await readFile('/proc/self/mountinfo', 'utf8');
  } catch {
    return undefined;
  }
  return mountHolding(text, real);
}

export const disk = defineCheck({
  id: 'host.disk',
  summary:
    'The filesystem holding a path is used no more than maxPercent (as df counts it: space for unprivileged users), with at least minFreeGb GiB free when given; inode use beyond maxPercent warns.',
  params: z.strictObject({
    path: z.string().min(1).default('.'),
    maxPercent: z.number().min(0).max(100).default(85),
    /** GiB (2^30 bytes) available to unprivileged users. */
    minFreeGb: z.number().min(0).optional(),
  }),
  run: async (ctx, p, signal) => {
    const t = place(ctx, p.path);
    if (signal.aborted) return result('error', 'stopped before the filesystem was read');
    let s: Awaited<ReturnType<typeof statfs>>;
    let real = t.abs;
    try {
      real = await realpath(t.abs);
      s = await statfs(real);
    } catch (err) {
      const why = isMissing(err) ? 'does not exist' : `cannot read: ${code(err)}`;
      return result('error', `${t.shown} ${why}`, [{file: t.shown, detail: why}]);
    }
    // As df: used blocks against what is used plus what unprivileged users may still take.
    const used = s.blocks - s.bfree;
    const pct = used + s.bavail > 0 ? Math.ceil((used * 100) / (used + s.bavail)) : 0;
    const free = s.bavail * s.bsize;
    const inodePct = s.files > 0 ? Math.ceil(((s.files - s.ffree) * 100) / s.files) : undefined;
    const mount = await mountOf(real);
    const on = mount ? `${mount.point} (${mount.source}, ${mount.fstype})` : 'its filesystem';
    const inodes = inodePct === undefined ? '' : `, inodes ${inodePct}% used`;
    const detail = `on ${on}: ${pct}% used, ${gib(free)} free of ${gib(s.blocks * s.bsize)}${inodes}`;
    const evidence: Evidence[] = [{file: t.shown, detail}];
    const problems: string[] = [];
    if (pct > p.maxPercent) problems.push(`${pct}% used, above ${p.maxPercent}%`);
    if (p.minFreeGb !== undefined && free < p.minFreeGb * GIB) problems.push(`${gib(free)} free, below ${p.minFreeGb} GiB`);
    const where = mount ? `the filesystem at ${mount.point} (holding ${t.shown})` : `the filesystem holding ${t.shown}`;
    if (problems.length > 0) return result('fail', `${where}: ${problems.join('; ')}`, evidence);
    if (inodePct !== undefined && inodePct > p.maxPercent) {
      return result('warn', `${where}: inodes ${inodePct}% used, above ${p.maxPercent}% (space is fine: ${pct}% used)`, evidence);
    }
    const extra = p.minFreeGb === undefined ? '' : `, at least ${p.minFreeGb} GiB free`;
    return result('pass', `${where}: ${pct}% used (at most ${p.maxPercent}%${extra}), ${gib(free)} free`, evidence);
  },
});

// ---------------------------------------------------------------------------------------------
// host.docker-logs

const ROTATION_HINT =
  'set "log-opts": {"max-size": "10m", "max-file": "3"} (or "log-driver": "local"), restart dockerd, and recreate the containers: the settings apply only to containers created afterwards';

export const dockerLogs = defineCheck({
  id: 'host.docker-logs',
  summary:
    "Docker's daemon.json bounds container logs: log-driver journald or local, or json-file with log-opts max-size (and max-file). A missing file means json-file without a limit.",
  params: z.strictObject({
    file: z.string().min(1).default('/etc/docker/daemon.json'),
    /** The host's `/` for an absolute file (default `/`): a copy of a host's tree, as the linux-host pack's other checks take it. */
    root: z.string().min(1).optional(),
  }),
  run: async (ctx, p, signal) => {
    const t = isAbsolute(p.file) && p.root !== undefined && !isLiveRoot(p.root) ? {abs: onRoot(p.root, p.file), shown: p.file} : place(ctx, p.file);
    let text: string;
    try {
      const s = await stat(t.abs);
      if (!s.isFile()) return result('error', `${t.shown} is not a regular file`, [{file: t.shown, detail: 'not a regular file'}]);
      if (s.size > MAX_READ_BYTES) return result('error', `${t.shown} is larger than ${MAX_READ_BYTES} bytes`, [{file: t.shown, detail: 'too large'}]);
      text = (await readFile(t.abs, {encoding: 'utf8', signal})).replace(/^\uFEFF/, '');
    } catch (err) {
      if (isMissing(err)) {
        return result('fail', `${t.shown} does not exist: Docker keeps json-file logs unbounded by default; ${ROTATION_HINT}`, [
          {file: t.shown, detail: 'does not exist: json-file logs, no max-size'},
        ]);
      }
      if (signal.aborted) return result('error', 'stopped before the file was read');
      return result('error', `${t.shown}: cannot read: ${code(err)}${isDenied(err) ? ' (run as root)' : ''}`, [
        {file: t.shown, detail: `cannot read: ${code(err)}`},
      ]);
    }

    let cfg: unknown;
    try {
      cfg = JSON.parse(text);
    } catch {
      const bad = jsonError(text);
      if (!bad) return result('error', `${t.shown} is not valid JSON`, [{file: t.shown, detail: 'not valid JSON'}]);
      const {line, col} = lineCol(text, bad.at);
      return result('error', `${t.shown}:${line}:${col}: not valid JSON: ${bad.what} (dockerd will not start with it)`, [
        {file: t.shown, line, detail: `not valid JSON at line ${line}, column ${col}: ${bad.what}`},
      ]);
    }
    if (typeof cfg !== 'object' || cfg === null || Array.isArray(cfg)) {
      return result('error', `${t.shown} is not a JSON object`, [{file: t.shown, line: 1, detail: 'not a JSON object'}]);
    }
    const c = cfg as Record<string, unknown>;
    const rawDriver = c['log-driver'];
    if (rawDriver !== undefined && typeof rawDriver !== 'string') {
      return result('error', `${t.shown}: log-driver is not a string`, [
        {file: t.shown, line: keyLine(text, 'log-driver'), key: 'log-driver', detail: 'not a string'},
      ]);
    }
    const rawOpts = c['log-opts'];
    if (rawOpts !== undefined && (typeof rawOpts !== 'object' || rawOpts === null || Array.isArray(rawOpts))) {
      return result('error', `${t.shown}: log-opts is not an object`, [
        {file: t.shown, line: keyLine(text, 'log-opts'), key: 'log-opts', detail: 'not an object'},
      ]);
    }
    const opts = (rawOpts ?? {}) as Record<string, unknown>;
    const opt = (k: string) => (opts[k] === undefined ? undefined : String(opts[k]));
    const driver = rawDriver ?? 'json-file';
    const driverEv: Evidence = {
      file: t.shown,
      line: keyLine(text, 'log-driver'),
      key: 'log-driver',
      detail: rawDriver === undefined ? 'log-driver not set: json-file (the default)' : `log-driver: ${driver}`,
    };
    const maxSize = opt('max-size');
    const maxFile = opt('max-file');
    const optsEv: Evidence[] = [];
    if (maxSize !== undefined) optsEv.push({file: t.shown, line: keyLine(text, 'max-size'), key: 'log-opts.max-size', detail: `max-size: ${maxSize}`});
    if (maxFile !== undefined) optsEv.push({file: t.shown, line: keyLine(text, 'max-file'), key: 'log-opts.max-file', detail: `max-file: ${maxFile}`});
    const evidence = [driverEv, ...optsEv];

    if (driver === 'journald') return result('pass', `containers log to journald, which rotates by its own limits (SystemMaxUse in journald.conf)`, evidence);
    if (driver === 'local') {
      return result(
        'pass',
        `containers log with the local driver, which rotates by default (max-size ${maxSize ?? '20m'}, max-file ${maxFile ?? '5'})`,
        evidence,
      );
    }
    if (driver === 'none') return result('pass', 'container logs are discarded (log-driver none): nothing grows, and nothing is kept', evidence);
    if (driver !== 'json-file') {
      return result(
        'pass',
        `containers log to ${driver}; Docker keeps only a rotated local cache of them (dual logging): check retention where ${driver} stores them`,
        evidence,
      );
    }
    if (maxSize === undefined || maxSize.trim() === '' || maxSize.trim() === '-1') {
      const why = maxFile !== undefined ? `max-file (${maxFile}) has no effect without max-size` : 'no max-size';
      return result('fail', `json-file logs grow without bound (${why}): ${ROTATION_HINT}`, evidence);
    }
    const bytes = dockerSize(maxSize);
    const files = maxFile === undefined ? 1 : Number(maxFile);
    const total = bytes !== undefined && Number.isInteger(files) && files > 0 ? `, up to ${size(bytes * files)} a container` : '';
    return result('pass', `json-file logs rotate at ${maxSize}, keeping ${maxFile ?? '1 (the default)'} file${files === 1 ? '' : 's'}${total}`, evidence);
  },
});
