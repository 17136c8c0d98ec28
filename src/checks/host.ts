import type {Dirent} from 'node:fs';
import {access, open, readdir, readFile, realpath, stat, statfs} from 'node:fs/promises';
import {basename, dirname, isAbsolute, join, resolve} from 'node:path';
import {Script} from 'node:vm';
import {z} from 'zod';
import type {Context} from '../engine/context.js';
import type {CommandResult} from '../engine/exec.js';
import {result, type CheckResult, type Evidence} from '../model/types.js';
import {defineCheck} from './define.js';
import {errorMessage} from '../sources/errors.js';
import {globToRegExp} from '../sources/glob.js';

// Checks on the machine the deployment runs on: disk, systemd units, firewall, Docker's log
// rotation, scheduled backups and their freshness. All read-only. Like net.*, they describe the
// machine (and namespaces) Shipshape runs in: run it on the host, not inside a container.
// Paths are absolute, or relative to the deployment root.

const MAX_READ_BYTES = 1024 * 1024;
const CMD_TIMEOUT_MS = 5_000;
/** How much of a scheduled command evidence may show. */
const SHOWN_COMMAND_CHARS = 120;

/** One path or several; the default shows in the generated docs. */
const paths = (defaults: string[]) =>
  z
    .union([z.string().min(1), z.array(z.string().min(1))])
    .default(defaults)
    .transform((p) => (Array.isArray(p) ? p : [p]));

interface Place {
  abs: string;
  /** Relative paths as the root sees them, absolute ones as given. */
  shown: string;
}

function place(ctx: Context, given: string): Place {
  if (isAbsolute(given)) return {abs: resolve(given), shown: given};
  const abs = resolve(ctx.root, given);
  return {abs, shown: ctx.rel(abs) || '.'};
}

function code(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? errorMessage(err);
}

function isMissing(err: unknown): boolean {
  return code(err) === 'ENOENT' || code(err) === 'ENOTDIR';
}

function isDenied(err: unknown): boolean {
  return code(err) === 'EACCES' || code(err) === 'EPERM';
}

const GIB = 1024 ** 3;

function gib(bytes: number): string {
  return `${(bytes / GIB).toFixed(bytes < 10 * GIB ? 2 : 1)} GiB`;
}

function size(bytes: number): string {
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

function hours(ms: number): string {
  const h = ms / 3_600_000;
  if (h < 48) return `${h.toFixed(1)} hours`;
  return `${(h / 24).toFixed(1)} days`;
}

/** The program's output lines, for parsing. */
function lines(text: string): string[] {
  return text.split('\n').map((l) => l.replace(/\r$/, ''));
}

/** A command that failed, as a short reason without its output (which may hold secrets). */
function failure(file: string, r: CommandResult): string {
  if (r.missing) return `${file} is not installed`;
  if (r.timedOut) return `${file} did not answer within ${CMD_TIMEOUT_MS} ms`;
  return `${file} failed: ${r.reason ?? `exit code ${r.exitCode ?? '?'}`}`;
}

// ---------------------------------------------------------------------------------------------
// host.disk

interface Mount {
  point: string;
  fstype: string;
  source: string;
}

/** The mount holding `real` (a resolved path), from /proc/self/mountinfo; undefined when unreadable. */
async function mountOf(real: string): Promise<Mount | undefined> {
  let text: string;
  try {
    text = await readFile('/proc/self/mountinfo', 'utf8');
  } catch {
    return undefined;
  }
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  let best: Mount | undefined;
  for (const line of lines(text)) {
    // id parent major:minor root mountpoint options [optional fields] - fstype source superoptions
    const [left, right] = line.split(' - ');
    const f = left?.split(' ') ?? [];
    const point = f[4] === undefined ? undefined : unescape(f[4]);
    if (!point || right === undefined) continue;
    const inside = point === '/' || real === point || real.startsWith(`${point}/`);
    // Later entries are mounted over earlier ones at the same place.
    if (inside && (!best || point.length >= best.point.length)) {
      const [fstype = '?', source = '?'] = right.split(' ');
      best = {point, fstype, source: unescape(source)};
    }
  }
  return best;
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
// host.systemd-unit

/** Why systemd cannot be asked about units here, or undefined when it is PID 1. */
async function notSystemd(stderr = ''): Promise<string | undefined> {
  // sd_booted(): this directory exists exactly when systemd is the init system.
  const booted = await access('/run/systemd/system').then(
    () => true,
    () => false,
  );
  const comm = (await readFile('/proc/1/comm', 'utf8').catch(() => undefined))?.trim();
  if (!/has not been booted with systemd/i.test(stderr) && (booted || comm === 'systemd')) return undefined;
  return `systemd is not PID 1 here (PID 1 is ${comm || 'unknown'}), so unit state cannot be read: run Shipshape on the host itself`;
}

const ENABLED = new Set(['enabled', 'enabled-runtime']);
/** Started only through another unit, or made at boot: not enabled itself, not necessarily wrong. */
const INDIRECT = new Set(['static', 'indirect', 'generated', 'transient', 'alias']);

export const systemdUnit = defineCheck({
  id: 'host.systemd-unit',
  summary:
    'A systemd unit is enabled (systemctl is-enabled), and with active: true also running (is-active). Skips when systemctl is missing or systemd is not PID 1.',
  params: z.strictObject({
    /** A unit name; without a suffix systemctl reads it as NAME.service. */
    unit: z.string().regex(/^(?!-)[A-Za-z0-9:_.\\@-]+$/, 'unit is a systemd unit name such as docker.service'),
    active: z.boolean().default(false),
  }),
  run: async (ctx, p, signal) => {
    const r = await ctx.run('systemctl', ['is-enabled', '--', p.unit], {signal, timeoutMs: CMD_TIMEOUT_MS});
    if (r.missing) return result('skip', `systemctl is not installed: cannot tell whether ${p.unit} is enabled`);
    const absent = await notSystemd(r.stderr);
    if (absent) return result('skip', absent);
    if (r.timedOut) return result('error', failure('systemctl', r));
    const state = r.stdout.trim().split('\n')[0]?.trim() ?? '';
    const evidence: Evidence[] = [{key: p.unit, detail: `is-enabled: ${state || 'no answer'}`}];
    if (state === 'not-found' || (!state && /no such file|not found|does not exist/i.test(r.stderr))) {
      return result('fail', `${p.unit} is not installed here (no such unit)`, [{key: p.unit, detail: 'is-enabled: not-found'}]);
    }
    if (!state) return result('error', `cannot tell whether ${p.unit} is enabled: ${failure('systemctl', r)}`, evidence);

    let status: 'pass' | 'warn' | 'fail';
    let said: string;
    if (ENABLED.has(state)) {
      status = 'pass';
      said = `${p.unit} is ${state}`;
    } else if (INDIRECT.has(state)) {
      status = 'warn';
      said = `${p.unit} is ${state}: not enabled itself, it starts only when another unit (or a generator) pulls it in; check that it starts at boot`;
    } else {
      status = 'fail';
      const fix = state.startsWith('masked') ? `systemctl unmask ${p.unit} && systemctl enable ${p.unit}` : `systemctl enable ${p.unit}`;
      said = `${p.unit} is ${state}, so it will not start at boot (${fix})`;
    }
    if (!p.active) return result(status, said, evidence);

    const a = await ctx.run('systemctl', ['is-active', '--', p.unit], {signal, timeoutMs: CMD_TIMEOUT_MS});
    const act = a.stdout.trim().split('\n')[0]?.trim() ?? '';
    if (!act) return result('error', `${said}; cannot tell whether it runs: ${failure('systemctl', a)}`, evidence);
    evidence.push({key: p.unit, detail: `is-active: ${act}`});
    if (act === 'active') return result(status, `${said}, and active`, evidence);
    if (act === 'activating' || act === 'reloading' || act === 'refreshing') {
      return result(status === 'fail' ? 'fail' : 'warn', `${said}; it is ${act}, not yet active`, evidence);
    }
    return result('fail', `${said}; it is ${act}, not running${act === 'failed' ? ` (see journalctl -u ${p.unit})` : ''}`, evidence);
  },
});

// ---------------------------------------------------------------------------------------------
// host.firewall

const DOCKER_CAVEAT =
  'Note: ports Docker publishes bypass these INPUT rules (Docker inserts its own chains, DOCKER and DOCKER-USER, ahead of them), so a firewall is not proof that published ports are private: see compose.ports-private and net.listening';

const PERMISSION = /need to be root|must be root|you must be root|permission denied|operation not permitted|\bEPERM\b|\bEACCES\b/i;

type Probe =
  | {verdict: 'pass' | 'warn' | 'fail'; said: string; evidence: Evidence[]}
  /** Installed, but says nothing about the default (ufw inactive, no nftables input chain). */
  | {silent: string}
  | {missing: string}
  | {denied: string}
  | {broken: string};

/** Firewall tools live in sbin, which a normal user's PATH often lacks. */
function sbinPath(): Record<string, string> {
  const dirs = (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':').filter(Boolean);
  for (const d of ['/usr/local/sbin', '/usr/sbin', '/sbin']) if (!dirs.includes(d)) dirs.push(d);
  return {PATH: dirs.join(':')};
}

async function firewallCommand(ctx: Context, file: string, args: string[], signal: AbortSignal): Promise<{out: string} | Probe> {
  const r = await ctx.run(file, args, {signal, timeoutMs: CMD_TIMEOUT_MS, env: sbinPath()});
  if (r.missing) return {missing: `${file} is not installed`};
  if (!r.ok && PERMISSION.test(`${r.stderr}\n${r.stdout}`)) {
    const root = process.getuid?.() === 0;
    return {
      denied: root
        ? `${file} ${args.join(' ')} was not permitted even as root (no CAP_NET_ADMIN: inside a container?): run it on the host`
        : `${file} ${args.join(' ')} needs root: run Shipshape with sudo`,
    };
  }
  if (!r.ok) return {broken: failure(file, r)};
  return {out: r.stdout};
}

async function ufw(ctx: Context, signal: AbortSignal): Promise<Probe> {
  const r = await firewallCommand(ctx, 'ufw', ['status', 'verbose'], signal);
  if (!('out' in r)) return r;
  const status = /^Status:\s*(\S+)/m.exec(r.out)?.[1];
  if (status === undefined) return {broken: 'ufw status verbose printed no Status line'};
  if (status !== 'active') return {silent: `ufw is ${status}`};
  const line = /^Default:.*$/m.exec(r.out)?.[0];
  const incoming = line ? /(\w+)\s*\(incoming\)/.exec(line)?.[1] : undefined;
  const evidence: Evidence[] = [{key: 'ufw', detail: `Status: active; ${line ?? 'no Default line'}`}];
  if (incoming === 'deny' || incoming === 'reject') return {verdict: 'pass', said: `ufw is active and ${incoming === 'deny' ? 'denies' : 'rejects'} incoming traffic by default`, evidence};
  if (incoming === undefined) return {broken: 'ufw status verbose printed no incoming default'};
  return {verdict: 'fail', said: `ufw is active but its incoming default is ${incoming} (ufw default deny incoming)`, evidence};
}

interface NftChain {
  family: string;
  table: string;
  name: string;
  type?: string;
  hook?: string;
  policy?: string;
  lastRule?: string;
}

/** The chains of `nft list ruleset`, with their hook, policy and last rule. */
function parseNft(text: string): NftChain[] {
  const out: NftChain[] = [];
  let depth = 0;
  let family = '';
  let table = '';
  let chain: NftChain | undefined;
  let chainDepth = 0;
  for (const raw of lines(text)) {
    const line = raw.trim();
    const atTop = depth === 0;
    const t = atTop ? /^table\s+(\S+)\s+(\S+)\s*\{/.exec(line) : null;
    if (t) {
      family = t[1]!;
      table = t[2]!;
    }
    const c = depth === 1 && !chain ? /^chain\s+(\S+)\s*\{/.exec(line) : null;
    if (c) {
      chain = {family, table, name: c[1]!};
      out.push(chain);
      chainDepth = depth + 1;
    } else if (chain && depth === chainDepth && line !== '' && !line.startsWith('#') && line !== '}') {
      const hook = /\btype\s+(\w+)\s+hook\s+(\w+)/.exec(line);
      if (hook) {
        chain.type = hook[1];
        chain.hook = hook[2];
        chain.policy = /\bpolicy\s+(\w+)/.exec(line)?.[1];
      } else if (!/^(?:comment|devices?|flags)\b/.test(line)) chain.lastRule = line;
    }
    for (const ch of line.replace(/"[^"]*"/g, '')) {
      if (ch === '{') depth++;
      else if (ch === '}') depth = Math.max(0, depth - 1);
    }
    if (chain && depth < chainDepth) chain = undefined;
  }
  return out;
}

/** A final rule that drops or rejects whatever reached it, with no match of its own. */
const CATCH_ALL_NFT = /^(?:(?:counter(?:\s+packets\s+\d+\s+bytes\s+\d+)?|log(?:\s+prefix\s+"[^"]*")?(?:\s+level\s+\w+)?)\s+)*(?:drop|reject(?:\s+with\s+.+)?)$/;

async function nftables(ctx: Context, signal: AbortSignal): Promise<Probe> {
  const r = await firewallCommand(ctx, 'nft', ['list', 'ruleset'], signal);
  if (!('out' in r)) return r;
  const input = parseNft(r.out).filter((c) => c.hook === 'input' && c.type === 'filter' && ['ip', 'ip6', 'inet'].includes(c.family));
  if (input.length === 0) return {silent: 'nftables has no input chain'};
  const denies = (c: NftChain) => c.policy === 'drop' || (c.lastRule !== undefined && CATCH_ALL_NFT.test(c.lastRule));
  const evidence: Evidence[] = input.map((c) => ({
    key: `nft ${c.family} ${c.table} ${c.name}`,
    detail: `hook input, policy ${c.policy ?? 'accept'}${c.policy !== 'drop' && denies(c) ? `, ends with ${c.lastRule}` : ''}`,
  }));
  const v4 = input.some((c) => denies(c) && (c.family === 'ip' || c.family === 'inet'));
  const v6 = input.some((c) => denies(c) && (c.family === 'ip6' || c.family === 'inet'));
  if (v4 && v6) return {verdict: 'pass', said: 'nftables drops incoming traffic by default (an input chain with policy drop)', evidence};
  if (v4 || v6) {
    return {
      verdict: 'warn',
      said: `nftables drops incoming ${v4 ? 'IPv4' : 'IPv6'} by default, but not ${v4 ? 'IPv6' : 'IPv4'} (use an inet table, or a ${v4 ? 'ip6' : 'ip'} input chain with policy drop)`,
      evidence,
    };
  }
  return {verdict: 'fail', said: 'nftables accepts incoming traffic by default: no input chain has policy drop', evidence};
}

/** `iptables -S INPUT`: policy DROP, or a final rule that drops or rejects everything. */
function iptablesDenies(out: string): {denies: boolean; policy: string} {
  const all = lines(out).map((l) => l.trim());
  const policy = /^-P INPUT (\S+)/.exec(all.find((l) => l.startsWith('-P INPUT')) ?? '')?.[1] ?? 'unknown';
  const last = all.filter((l) => l.startsWith('-A INPUT')).at(-1) ?? '';
  const catchAll = /^-A INPUT(?: -m comment --comment (?:"[^"]*"|\S+))? -j (?:DROP|REJECT(?: --reject-with \S+)?)$/.test(last);
  return {denies: policy === 'DROP' || catchAll, policy};
}

async function iptables(ctx: Context, signal: AbortSignal): Promise<Probe> {
  const r = await firewallCommand(ctx, 'iptables', ['-S', 'INPUT'], signal);
  if (!('out' in r)) return r;
  const v4 = iptablesDenies(r.out);
  const evidence: Evidence[] = [{key: 'iptables INPUT', detail: `policy ${v4.policy}${v4.denies && v4.policy !== 'DROP' ? ', ends with a catch-all DROP/REJECT' : ''}`}];
  if (!v4.denies) return {verdict: 'fail', said: `iptables accepts incoming traffic by default (-P INPUT ${v4.policy})`, evidence};
  const r6 = await firewallCommand(ctx, 'ip6tables', ['-S', 'INPUT'], signal);
  if (!('out' in r6)) {
    const why = 'missing' in r6 ? r6.missing : 'denied' in r6 ? r6.denied : 'broken' in r6 ? r6.broken : 'no answer';
    return {verdict: 'pass', said: `iptables drops incoming IPv4 by default (-P INPUT ${v4.policy}); IPv6 not checked: ${why}`, evidence};
  }
  const v6 = iptablesDenies(r6.out);
  evidence.push({key: 'ip6tables INPUT', detail: `policy ${v6.policy}`});
  if (!v6.denies) return {verdict: 'warn', said: `iptables drops incoming IPv4 by default, but ip6tables accepts IPv6 (-P INPUT ${v6.policy})`, evidence};
  return {verdict: 'pass', said: 'iptables and ip6tables drop incoming traffic by default (-P INPUT DROP)', evidence};
}

const TOOLS = {ufw, nftables, iptables} as const;

export const firewall = defineCheck({
  id: 'host.firewall',
  summary:
    'Incoming traffic is denied by default: ufw (Default: deny (incoming)), else nftables (an input chain with policy drop), else iptables (-P INPUT DROP). Skips without root or without any of them. Docker-published ports bypass these rules.',
  params: z.strictObject({
    /** auto: ufw when active, else nftables when it has an input chain, else iptables. */
    via: z.enum(['auto', 'ufw', 'nftables', 'iptables']).default('auto'),
  }),
  run: async (ctx, p, signal) => {
    const say = (status: CheckResult['status'], said: string, evidence: Evidence[] = []) => result(status, `${said}. ${DOCKER_CAVEAT}`, evidence);
    const order = p.via === 'auto' ? (['ufw', 'nftables', 'iptables'] as const) : [p.via];
    const notes: string[] = [];
    let installed = false;
    for (const tool of order) {
      if (signal.aborted) return say('error', 'stopped before the firewall was read');
      const r = await TOOLS[tool](ctx, signal);
      if ('verdict' in r) return say(r.verdict, notes.length > 0 ? `${r.said} (${notes.join('; ')})` : r.said, r.evidence);
      if ('denied' in r) return say('skip', r.denied);
      if ('broken' in r) return say('error', r.broken);
      if ('silent' in r) {
        installed = true;
        notes.push(r.silent);
      } else notes.push(r.missing);
    }
    if (!installed) return say('skip', p.via === 'auto' ? `none of ufw, nft, iptables is installed: cannot tell the firewall's default` : notes.join('; '));
    return say('fail', `nothing denies incoming traffic by default: ${notes.join('; ')}`);
  },
});

// ---------------------------------------------------------------------------------------------
// host.docker-logs

/** Where a JSON text stops being JSON, with why; undefined when it is valid. */
function jsonError(text: string): {at: number; what: string} | undefined {
  let i = 0;
  class Bad {
    constructor(
      readonly at: number,
      readonly what: string,
    ) {}
  }
  const fail = (what: string): never => {
    throw new Bad(i, what);
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const str = () => {
    i++;
    for (;;) {
      const c = text[i];
      if (c === undefined || c === '\n') fail('unterminated string');
      if (c === '"') {
        i++;
        return;
      }
      if (c === '\\') {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('bad \\u escape in a string');
          i += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) fail('bad escape in a string');
        i += 2;
        continue;
      }
      if (c!.charCodeAt(0) < 0x20) fail('control character in a string');
      i++;
    }
  };
  const value = (depth: number): void => {
    ws();
    if (depth > 200) fail('nested too deeply');
    const c = text[i];
    if (c === undefined) fail('unexpected end of the file: a value is missing');
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (c === '{') {
          if (text[i] !== '"') fail(text[i] === undefined ? 'unexpected end of the file' : 'expected a double-quoted property name');
          str();
          ws();
          if (text[i] !== ':') fail("expected ':' after the property name");
          i++;
        }
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === close) {
          i++;
          return;
        }
        fail(text[i] === undefined ? `unexpected end of the file: '${close}' is missing` : `expected ',' or '${close}'`);
      }
    }
    if (c === '"') return str();
    const num = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    num.lastIndex = i;
    if (num.test(text)) {
      i = num.lastIndex;
      return;
    }
    for (const w of ['true', 'false', 'null']) {
      if (text.startsWith(w, i)) {
        i += w.length;
        return;
      }
    }
    fail(`unexpected ${JSON.stringify(c)}`);
  };
  try {
    value(0);
    ws();
    if (i < text.length) fail('unexpected text after the JSON value');
    return undefined;
  } catch (err) {
    if (err instanceof Bad) return {at: err.at, what: err.what};
    throw err;
  }
}

function lineCol(text: string, at: number): {line: number; col: number} {
  const before = text.slice(0, at);
  return {line: before.split('\n').length, col: at - before.lastIndexOf('\n')};
}

/** The line of the first `"key":` in the text, for evidence. */
function keyLine(text: string, key: string): number | undefined {
  const at = text.indexOf(`"${key}"`);
  return at < 0 ? undefined : lineCol(text, at).line;
}

/** Docker's size notation (10m, 1g, 500k) in bytes. */
function dockerSize(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)b?$/i.exec(v.trim());
  if (!m) return undefined;
  const mult = {'': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3}[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * mult;
}

const ROTATION_HINT = 'set "log-opts": {"max-size": "10m", "max-file": "3"} (or "log-driver": "local"), restart dockerd, and recreate the containers: the settings apply only to containers created afterwards';

export const dockerLogs = defineCheck({
  id: 'host.docker-logs',
  summary:
    "Docker's daemon.json bounds container logs: log-driver journald or local, or json-file with log-opts max-size (and max-file). A missing file means json-file without a limit.",
  params: z.strictObject({
    file: z.string().min(1).default('/etc/docker/daemon.json'),
  }),
  run: async (ctx, p, signal) => {
    const t = place(ctx, p.file);
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
      return result('error', `${t.shown}: cannot read: ${code(err)}${isDenied(err) ? ' (run as root)' : ''}`, [{file: t.shown, detail: `cannot read: ${code(err)}`}]);
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
      return result('error', `${t.shown}: log-driver is not a string`, [{file: t.shown, line: keyLine(text, 'log-driver'), key: 'log-driver', detail: 'not a string'}]);
    }
    const rawOpts = c['log-opts'];
    if (rawOpts !== undefined && (typeof rawOpts !== 'object' || rawOpts === null || Array.isArray(rawOpts))) {
      return result('error', `${t.shown}: log-opts is not an object`, [{file: t.shown, line: keyLine(text, 'log-opts'), key: 'log-opts', detail: 'not an object'}]);
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
      return result('pass', `containers log with the local driver, which rotates by default (max-size ${maxSize ?? '20m'}, max-file ${maxFile ?? '5'})`, evidence);
    }
    if (driver === 'none') return result('pass', 'container logs are discarded (log-driver none): nothing grows, and nothing is kept', evidence);
    if (driver !== 'json-file') {
      return result('pass', `containers log to ${driver}; Docker keeps only a rotated local cache of them (dual logging): check retention where ${driver} stores them`, evidence);
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

// ---------------------------------------------------------------------------------------------
// host.scheduled

/** What evidence may show of a command: secrets masked, at most 120 characters. */
function showCommand(cmd: string): string {
  const masked = cmd
    .replace(/\b([A-Za-z_]*(?:PASS|PASSWORD|PASSWD|SECRET|TOKEN|KEY|PWD)[A-Za-z0-9_]*)=("[^"]*"|'[^']*'|\S+)/gi, '$1=***')
    .replace(/(--?(?:password|passwd|pass|token|secret|key)(?:=|\s+))("[^"]*"|'[^']*'|\S+)/gi, '$1***')
    .replace(/(\s-p)(\S+)/g, '$1***')
    .replace(/(\/\/[^\s:/@]+:)[^\s@/]+@/g, '$1***@');
  const trimmed = masked.trim();
  return trimmed.length > SHOWN_COMMAND_CHARS ? `${trimmed.slice(0, SHOWN_COMMAND_CHARS)}…` : trimmed;
}

interface CronEntry {
  line: number;
  schedule: string;
  user?: string;
  command: string;
}

const CRON_FIELD = /^[\d*/,\-A-Za-z?LW#]+$/;

/** Entries of a crontab; `system` ones (/etc/crontab, /etc/cron.d) have a user field. */
function parseCrontab(text: string, system: boolean): CronEntry[] {
  const out: CronEntry[] = [];
  lines(text).forEach((raw, i) => {
    const l = raw.trim();
    if (l === '' || l.startsWith('#') || /^[A-Za-z_][A-Za-z0-9_]*\s*=/.test(l)) return;
    let schedule: string;
    let rest: string;
    const at = /^(@\w+)\s+(.*)$/.exec(l);
    if (at) {
      schedule = at[1]!;
      rest = at[2]!;
    } else {
      const m = /^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(.*)$/.exec(l);
      if (!m || !m.slice(1, 6).every((f) => CRON_FIELD.test(f))) return;
      schedule = m.slice(1, 6).join(' ');
      rest = m[6]!;
    }
    let user: string | undefined;
    if (system) {
      const u = /^(\S+)\s+(.*)$/.exec(rest);
      if (!u) return;
      user = u[1];
      rest = u[2]!;
    }
    out.push({line: i + 1, schedule, user, command: rest});
  });
  return out;
}

/** run-parts (Debian's cron.d and cron.daily) skips names with other characters than these. */
const RUN_PARTS_NAME = /^[A-Za-z0-9_-]+$/;

/** Reads a small text file; undefined when it is not one (missing, binary, too large, not a file). */
async function readSmallText(abs: string, signal: AbortSignal): Promise<string | undefined> {
  try {
    const s = await stat(abs);
    if (!s.isFile() || s.size > MAX_READ_BYTES) return undefined;
    const fh = await open(abs, 'r');
    try {
      const text = await fh.readFile({encoding: 'utf8', signal});
      return text.includes('\0') ? undefined : text;
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
}

const INTERPRETERS = /^(?:.*\/)?(?:sh|bash|dash|zsh|ksh|python[\d.]*|perl|ruby|node)$/;

/**
 * Scripts a command runs: absolute paths in it that are executable text files, or that follow an
 * interpreter (sh /x.sh). Redirection targets are not followed: a log naming pg_dump is not a backup.
 */
async function scriptsOf(command: string, signal: AbortSignal): Promise<{path: string; text: string}[]> {
  const out: {path: string; text: string}[] = [];
  const words = command.split(/\s+/);
  for (let i = 0; i < words.length && out.length < 5; i++) {
    const w = words[i]!.replace(/^[-@:+!]+(?=\/)/, '').replace(/^['"(]+|['");]+$/g, '');
    const prev = words[i - 1] ?? '';
    if (!w.startsWith('/') || /[<>]$/.test(prev) || /^\d*[<>]/.test(words[i]!)) continue;
    if (out.some((s) => s.path === w)) continue;
    const s = await stat(w).catch(() => undefined);
    if (!s?.isFile() || ((s.mode & 0o111) === 0 && !INTERPRETERS.test(prev))) continue;
    const text = await readSmallText(w, signal);
    if (text !== undefined) out.push({path: w, text});
  }
  return out;
}

/** The first non-comment line of a script matching re. */
function scriptLine(text: string, re: RegExp): {line: number; text: string} | undefined {
  const all = lines(text).map((l) => (l.trim().startsWith('#') ? '' : l.trim()));
  const i = matching(re, all, true)[0];
  return i === undefined ? undefined : {line: i + 1, text: all[i]!};
}

interface Found {
  /** pass: it runs on a schedule; warn: it would, but something keeps it from running. */
  status: 'pass' | 'warn';
  evidence: Evidence;
}

/** A command matches directly, or through a script it runs. */
async function commandMatch(command: string, re: RegExp, follow: boolean, signal: AbortSignal): Promise<string | undefined> {
  if (matching(re, [command]).length > 0) return `runs: ${showCommand(command)}`;
  if (!follow) return undefined;
  for (const s of await scriptsOf(command, signal)) {
    const hit = scriptLine(s.text, re);
    if (hit) return `runs: ${showCommand(command)} (whose ${s.path}:${hit.line} matches: ${showCommand(hit.text)})`;
  }
  return undefined;
}

const REGEX_BUDGET_MS = 1_000;
/** Longer lines are cut before matching: cron commands and script lines are short. */
const MAX_MATCH_CHARS = 4_096;
const INDICES = new Script('(() => { const out = []; for (let i = 0; i < texts.length; i++) if (re.test(texts[i])) { out.push(i); if (first) break; } return out; })()');

class PatternTooSlow extends Error {}

/** Indices of the texts re matches (only the first with `first`), under a time budget: a pathological pattern cannot hang the run. */
function matching(re: RegExp, texts: readonly string[], first = false): number[] {
  try {
    const out = INDICES.runInNewContext({re, texts: texts.map((t) => t.slice(0, MAX_MATCH_CHARS)), first}, {timeout: REGEX_BUDGET_MS}) as number[];
    return [...out];
  } catch (err) {
    if (/timed out/i.test(errorMessage(err))) throw new PatternTooSlow(`the pattern ran longer than ${REGEX_BUDGET_MS} ms`);
    throw err;
  }
}

function compile(pattern: string, flags: string): RegExp | string {
  try {
    return new RegExp(pattern, flags);
  } catch (err) {
    return errorMessage(err);
  }
}

async function listDir(abs: string): Promise<{names: string[]} | {problem: 'missing' | 'denied' | string}> {
  try {
    const entries: Dirent[] = await readdir(abs, {withFileTypes: true});
    return {names: entries.filter((e) => e.isFile() || e.isSymbolicLink()).map((e) => e.name).sort()};
  } catch (err) {
    if (isMissing(err)) return {problem: 'missing'};
    if (isDenied(err)) return {problem: 'denied'};
    return {problem: code(err)};
  }
}

const ScheduledParams = z
  .strictObject({
    pattern: z.string().min(1),
    /** RegExp flags: i (ignore case), u. */
    flags: z.string().regex(/^(?!.*(.).*\1)[iu]*$/, 'flags are some of i, u').default(''),
    /** Crontabs in the system format (with a user field). */
    cronFiles: paths(['/etc/crontab']),
    /** Directories of system-format crontabs. */
    cronDirs: paths(['/etc/cron.d']),
    /** Directories of per-user crontabs (no user field; the file is named after the user). */
    spoolDirs: paths(['/var/spool/cron/crontabs', '/var/spool/cron']),
    /** Directories run-parts runs (cron.daily and friends): their scripts are searched. */
    scriptDirs: paths(['/etc/cron.hourly', '/etc/cron.daily', '/etc/cron.weekly', '/etc/cron.monthly']),
    /** Also read `crontab -l` (the crontab of the user Shipshape runs as). */
    userCrontab: z.boolean().default(true),
    /** Also read systemd timers (only when systemd is PID 1). */
    timers: z.boolean().default(true),
    /** Also search the scripts a scheduled command runs (an executable file named in it). */
    followScripts: z.boolean().default(true),
  })
  .refine((p) => typeof compile(p.pattern, p.flags) !== 'string', {message: 'pattern is not a valid regular expression', path: ['pattern']});

export const scheduled = defineCheck({
  id: 'host.scheduled',
  summary:
    'A command matching `pattern` (e.g. pg_dump|restic|borg) is scheduled: in crontabs (crontab -l, /etc/crontab, /etc/cron.d, the cron spool, cron.daily and friends, and the scripts they run) or in systemd timers (their service ExecStart).',
  params: ScheduledParams,
  run: (ctx, p, signal) => bounded(p.pattern, () => findScheduled(ctx, p, signal)),
});

/** A pattern that runs too long becomes an error result instead of hanging or throwing. */
async function bounded(pattern: string, fn: () => Promise<CheckResult>): Promise<CheckResult> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof PatternTooSlow) return result('error', `${err.message} (/${pattern}/): simplify it`);
    throw err;
  }
}

async function findScheduled(ctx: Context, p: z.output<typeof ScheduledParams>, signal: AbortSignal): Promise<CheckResult> {
  const re = compile(p.pattern, p.flags) as RegExp;
  const found: Found[] = [];
  const unreadable: string[] = [];
  const notes: string[] = [];
  const searched: string[] = [];
  let entries = 0;

  const crontab = async (text: string, file: string, system: boolean, ignoredWhy?: string) => {
    for (const e of parseCrontab(text, system)) {
      entries++;
      if (signal.aborted) return;
      const hit = await commandMatch(e.command, re, p.followScripts, signal);
      if (!hit) continue;
      const who = e.user ? ` as ${e.user}` : '';
      const detail = `${e.schedule}${who} ${hit}${ignoredWhy ? `; but ${ignoredWhy}` : ''}`;
      found.push({status: ignoredWhy ? 'warn' : 'pass', evidence: {file, line: e.line, detail}});
    }
  };
  const readCron = async (given: string, system: boolean, ignoredWhy?: string) => {
    const t = place(ctx, given);
    try {
      const s = await stat(t.abs);
      if (!s.isFile() || s.size > MAX_READ_BYTES) return;
      const text = await readFile(t.abs, {encoding: 'utf8', signal});
      searched.push(t.shown);
      await crontab(text, t.shown, system, ignoredWhy);
    } catch (err) {
      if (err instanceof PatternTooSlow) throw err;
      if (isDenied(err)) unreadable.push(t.shown);
      else if (!isMissing(err) && !signal.aborted) notes.push(`${t.shown}: ${code(err)}`);
    }
  };

  for (const f of p.cronFiles) await readCron(f, true);
  for (const [dirs, system] of [
    [p.cronDirs, true],
    [p.spoolDirs, false],
  ] as const) {
    for (const d of dirs) {
      const t = place(ctx, d);
      const l = await listDir(t.abs);
      if ('problem' in l) {
        if (l.problem === 'denied') unreadable.push(t.shown);
        else if (l.problem !== 'missing') notes.push(`${t.shown}: ${l.problem}`);
        continue;
      }
      for (const name of l.names) {
        if (signal.aborted) break;
        // Debian's cron ignores cron.d files such as backup.sh or backup.dpkg-old.
        const ignored = system && !RUN_PARTS_NAME.test(name) ? `cron ignores ${name} in ${t.shown}: its name holds characters other than letters, digits, _ and -` : undefined;
        await readCron(join(d, name), system, ignored);
      }
    }
  }
  for (const d of p.scriptDirs) {
    const t = place(ctx, d);
    const l = await listDir(t.abs);
    if ('problem' in l) {
      if (l.problem === 'denied') unreadable.push(t.shown);
      else if (l.problem !== 'missing') notes.push(`${t.shown}: ${l.problem}`);
      continue;
    }
    const period = /cron\.(\w+)$/.exec(t.abs)?.[1];
    for (const name of l.names) {
      if (signal.aborted) break;
      const abs = join(t.abs, name);
      const shown = isAbsolute(d) ? join(d, name) : ctx.rel(abs);
      const s = await stat(abs).catch(() => undefined);
      const text = s?.isFile() ? await readSmallText(abs, signal) : undefined;
      if (!s || text === undefined) continue;
      searched.push(shown);
      entries++;
      const hit = matching(re, [name]).length > 0 ? {line: 1, text: name} : scriptLine(text, re);
      if (!hit) continue;
      const why =
        (s.mode & 0o111) === 0
          ? `it is not executable, so run-parts skips it (chmod +x ${shown})`
          : !RUN_PARTS_NAME.test(name)
            ? `run-parts skips it: its name holds characters other than letters, digits, _ and -`
            : undefined;
      const detail = `run ${period ?? 'by run-parts'} from ${t.shown}: line ${hit.line} matches: ${showCommand(hit.text)}${why ? `; but ${why}` : ''}`;
      found.push({status: why ? 'warn' : 'pass', evidence: {file: shown, line: hit.line, detail}});
    }
  }

  if (p.userCrontab && !signal.aborted) {
    const r = await ctx.run('crontab', ['-l'], {signal, timeoutMs: CMD_TIMEOUT_MS});
    if (r.ok) {
      searched.push('crontab -l');
      await crontab(r.stdout, 'crontab -l', false);
    } else if (r.missing) notes.push('crontab is not installed');
    else if (!/no crontab for/i.test(r.stderr)) notes.push(failure('crontab -l', r));
  }

  if (p.timers && !signal.aborted) {
    const r = await ctx.run('systemctl', ['list-timers', '--all', '--no-legend'], {signal, timeoutMs: CMD_TIMEOUT_MS});
    const absent = r.missing ? undefined : await notSystemd(r.ok ? '' : r.stderr);
    if (r.missing) notes.push('systemd timers not read: systemctl is not installed');
    else if (absent) notes.push(`systemd timers not read: ${absent.replace(/, so unit state.*$/, '')}`);
    else if (!r.ok) notes.push(`systemd timers not read: ${failure('systemctl list-timers', r)}`);
    else {
      const timers: {timer: string; service: string; next: boolean}[] = [];
      for (const l of lines(r.stdout)) {
        const f = l.trim().split(/\s+/);
        const service = f.at(-1);
        const timer = f.at(-2);
        if (!service || !timer?.endsWith('.timer') || !/^[\w:.\\@-]+$/.test(service)) continue;
        timers.push({timer, service, next: !['n/a', '-'].includes(f[0] ?? '-')});
      }
      searched.push(`${timers.length} systemd timers`);
      entries += timers.length;
      if (timers.length > 0) {
        const units = [...new Set(timers.map((t) => t.service))].slice(0, 200);
        const cat = await ctx.run('systemctl', ['cat', '--', ...units], {signal, timeoutMs: CMD_TIMEOUT_MS});
        if (!cat.stdout) notes.push(`systemd units not read: ${failure('systemctl cat', cat)}`);
        let file = '';
        let unit = '';
        let n = 0;
        for (const l of lines(cat.stdout)) {
          const header = /^# (\/\S+)$/.exec(l);
          if (header) {
            file = header[1]!;
            const dir = dirname(file);
            unit = dir.endsWith('.d') ? basename(dir).slice(0, -2) : basename(file);
            n = 0;
            continue;
          }
          n++;
          const exec = /^\s*(ExecStart(?:Pre|Post)?)\s*=\s*(.*)$/.exec(l);
          if (!exec || !file || signal.aborted) continue;
          const hit = await commandMatch(exec[2]!, re, p.followScripts, signal);
          if (!hit) continue;
          for (const t of timers.filter((x) => x.service === unit || x.service.replace(/@[^.]*\./, '@.') === unit)) {
            const detail = `${t.timer} activates ${t.service}, ${exec[1]} ${hit}${t.next ? '' : '; but the timer has no next run (inactive or elapsed)'}`;
            found.push({status: t.next ? 'pass' : 'warn', evidence: {file, line: n, detail}});
          }
        }
      }
    }
  }

  if (signal.aborted) return result('error', 'stopped before every schedule was read', found.map((f) => f.evidence));
  const extra = [...notes, ...(unreadable.length > 0 ? [`not readable: ${unreadable.join(', ')} (run as root)`] : [])];
  const tail = extra.length > 0 ? ` (${extra.join('; ')})` : '';
  const shown = `/${p.pattern}/${p.flags}`;
  const runs = found.filter((f) => f.status === 'pass');
  if (runs.length > 0) return result('pass', `${runs.length} scheduled entr${runs.length === 1 ? 'y runs' : 'ies run'} ${shown}`, found.map((f) => f.evidence));
  if (found.length > 0) return result('warn', `${shown} is scheduled, but would not run: ${found[0]!.evidence.detail.replace(/^.*; but /, '')}`, found.map((f) => f.evidence));
  const where = searched.length > 0 ? `searched ${searched.join(', ')}` : 'no crontab or timer was found';
  if (unreadable.length > 0) return result('warn', `nothing readable schedules ${shown}; ${where}${tail}`);
  return result('fail', `nothing scheduled runs ${shown} (${entries} entries; ${where})${tail}`, searched.map((s) => ({file: s, detail: 'no match'})));
}

// ---------------------------------------------------------------------------------------------
// host.backup-fresh

const MAX_ENTRIES = 20_000;

const BackupParams = z
  .strictObject({
    dir: z.string().min(1),
    /** Matched against the path relative to dir; without a slash, against the file name. */
    glob: z.string().min(1).optional(),
    /** A regular expression on the path relative to dir. */
    pattern: z.string().min(1).optional(),
    maxAgeHours: z.number().positive().default(26),
    /** The newest file must have at least this many bytes: an empty dump is a failed backup. */
    minBytes: z.number().int().min(0).default(1),
    recursive: z.boolean().default(false),
  })
  .refine((p) => p.pattern === undefined || typeof compile(p.pattern, '') !== 'string', {message: 'pattern is not a valid regular expression', path: ['pattern']});

export const backupFresh = defineCheck({
  id: 'host.backup-fresh',
  summary:
    'The newest file in a backup directory (optionally matching a glob or regex; recursive on request) is younger than maxAgeHours and not empty. An empty or missing directory fails.',
  params: BackupParams,
  run: (ctx, p, signal) => bounded(p.pattern ?? '', () => newestBackup(ctx, p, signal)),
});

async function newestBackup(ctx: Context, p: z.output<typeof BackupParams>, signal: AbortSignal): Promise<CheckResult> {
  const t = place(ctx, p.dir);
  const globRe = p.glob === undefined ? undefined : globToRegExp(p.glob);
  const byGlob = (rel: string) => globRe === undefined || globRe.test(p.glob!.includes('/') ? rel : basename(rel));
  try {
    const s = await stat(t.abs);
    if (!s.isDirectory()) return result('fail', `${t.shown} is not a directory`, [{file: t.shown, detail: 'not a directory'}]);
  } catch (err) {
    if (isMissing(err)) return result('fail', `${t.shown} does not exist: no backups`, [{file: t.shown, detail: 'does not exist'}]);
    return result('error', `${t.shown}: cannot read: ${code(err)}`, [{file: t.shown, detail: `cannot read: ${code(err)}`}]);
  }

  const files: {rel: string; mtimeMs: number; size: number}[] = [];
  let seen = 0;
  const problems: string[] = [];
  const walk = async (rel: string, depth: number): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(join(t.abs, rel), {withFileTypes: true});
    } catch (err) {
      problems.push(`${rel || '.'}: ${code(err)}`);
      return;
    }
    for (const e of entries) {
      if (signal.aborted || seen >= MAX_ENTRIES) return;
      seen++;
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      // Symlinks are followed (a `latest` link to the newest dump); FIFOs and devices are not read.
      if (!e.isFile() && !e.isDirectory() && !e.isSymbolicLink()) continue;
      const st = await stat(join(t.abs, r)).catch(() => undefined);
      if (!st) continue;
      if (st.isDirectory()) {
        if (p.recursive && !e.isSymbolicLink() && depth < 8) await walk(r, depth + 1);
        continue;
      }
      if (st.isFile()) files.push({rel: r, mtimeMs: st.mtimeMs, size: st.size});
    }
  };
  await walk('', 0);
  const globbed = files.filter((f) => byGlob(f.rel));
  const picked = p.pattern === undefined ? globbed : matching(new RegExp(p.pattern), globbed.map((f) => f.rel)).map((i) => globbed[i]!);
  const count = picked.length;
  const others = files.length - count;
  const newest = picked.reduce<(typeof picked)[number] | undefined>((a, f) => (!a || f.mtimeMs > a.mtimeMs ? f : a), undefined);
  if (signal.aborted) return result('error', `stopped before ${t.shown} was read`);
  if (problems.length > 0 && count === 0) {
    return result('error', `${t.shown}: cannot read: ${problems[0]}${problems.some((x) => /EACCES|EPERM/.test(x)) ? ' (run as the backup owner or root)' : ''}`, [
      {file: t.shown, detail: `cannot read: ${problems.join('; ')}`},
    ]);
  }
  const filter = [p.glob, p.pattern === undefined ? undefined : `/${p.pattern}/`].filter(Boolean).join(' and ');
  if (!newest) {
    const what = filter ? `no file matching ${filter}${others > 0 ? ` (${others} other files)` : ''}` : 'no files';
    return result('fail', `${t.shown} holds ${what}: no backups`, [{file: t.shown, detail: what}]);
  }
  const age = Date.now() - newest.mtimeMs;
  const shown = t.shown === '.' ? newest.rel : `${t.shown.replace(/\/$/, '')}/${newest.rel}`;
  const when = new Date(newest.mtimeMs).toISOString();
  const ageText = age < 0 ? `${hours(-age)} in the future` : `${hours(age)} old`;
  const capped = seen >= MAX_ENTRIES ? ` (only the first ${MAX_ENTRIES} entries were read)` : '';
  const evidence: Evidence[] = [
    {file: shown, detail: `newest of ${count} file${count === 1 ? '' : 's'}${filter ? ` matching ${filter}` : ''}: modified ${when} (${ageText}), ${size(newest.size)}${capped}`},
  ];
  const limit = `${p.maxAgeHours} hours`;
  if (age > p.maxAgeHours * 3_600_000) return result('fail', `the newest backup, ${shown}, is ${ageText}: older than ${limit}`, evidence);
  if (newest.size < p.minBytes) return result('fail', `the newest backup, ${shown}, has ${size(newest.size)} (at least ${p.minBytes} wanted): a failed dump?`, evidence);
  if (age < -5 * 60_000) return result('warn', `the newest backup, ${shown}, is dated ${ageText}: is the clock right?`, evidence);
  return result('pass', `the newest backup, ${shown}, is ${ageText} (within ${limit})`, evidence);
}
