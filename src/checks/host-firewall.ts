// host.firewall: incoming traffic is denied by default (ufw, nftables or iptables).
import {z} from 'zod';
import type {Context} from '../engine/context.js';
import {result, type CheckResult, type Evidence} from '../model/types.js';
import {defineCheck} from './define.js';
import {iptablesDenies, nftChainDenies, parseNft, parseUfwStatus} from '../sources/firewall.js';
import {CMD_TIMEOUT_MS, failure} from './host-common.js';

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
  const {status, defaultLine: line, incoming} = parseUfwStatus(r.out);
  if (status === undefined) return {broken: 'ufw status verbose printed no Status line'};
  if (status !== 'active') return {silent: `ufw is ${status}`};
  const evidence: Evidence[] = [{key: 'ufw', detail: `Status: active; ${line ?? 'no Default line'}`}];
  if (incoming === 'deny' || incoming === 'reject')
    return {verdict: 'pass', said: `ufw is active and ${incoming === 'deny' ? 'denies' : 'rejects'} incoming traffic by default`, evidence};
  if (incoming === undefined) return {broken: 'ufw status verbose printed no incoming default'};
  return {verdict: 'fail', said: `ufw is active but its incoming default is ${incoming} (ufw default deny incoming)`, evidence};
}

async function nftables(ctx: Context, signal: AbortSignal): Promise<Probe> {
  const r = await firewallCommand(ctx, 'nft', ['list', 'ruleset'], signal);
  if (!('out' in r)) return r;
  const input = parseNft(r.out).filter((c) => c.hook === 'input' && c.type === 'filter' && ['ip', 'ip6', 'inet'].includes(c.family));
  if (input.length === 0) return {silent: 'nftables has no input chain'};
  const evidence: Evidence[] = input.map((c) => ({
    key: `nft ${c.family} ${c.table} ${c.name}`,
    detail: `hook input, policy ${c.policy ?? 'accept'}${c.policy !== 'drop' && nftChainDenies(c) ? `, ends with ${c.lastRule}` : ''}`,
  }));
  const v4 = input.some((c) => nftChainDenies(c) && (c.family === 'ip' || c.family === 'inet'));
  const v6 = input.some((c) => nftChainDenies(c) && (c.family === 'ip6' || c.family === 'inet'));
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

async function iptables(ctx: Context, signal: AbortSignal): Promise<Probe> {
  const r = await firewallCommand(ctx, 'iptables', ['-S', 'INPUT'], signal);
  if (!('out' in r)) return r;
  const v4 = iptablesDenies(r.out);
  const evidence: Evidence[] = [
    {key: 'iptables INPUT', detail: `policy ${v4.policy}${v4.denies && v4.policy !== 'DROP' ? ', ends with a catch-all DROP/REJECT' : ''}`},
  ];
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
