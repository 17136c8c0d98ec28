import {readdir, readFile, readlink} from 'node:fs/promises';
import {BlockList, connect} from 'node:net';
import {endianness} from 'node:os';
import {z} from 'zod';
import type {Context} from '../engine/context.js';
import {errorMessage} from '../sources/errors.js';
import {result, type Evidence} from '../model/types.js';
import {defineCheck} from './define.js';
import {withDeadline} from '../deploy/deadline.js';
import {ipFamily} from '../deploy/ip.js';

// Host network checks. They see the network namespace Shipshape runs in: run it on the host,
// not inside a container, or they describe the container instead.

const Port = z.number().int().min(1).max(65535);

const DOCKER_CAVEAT =
  'Docker publishes ports through its own iptables rules, so a host firewall (ufw) does not hide them: a docker-proxy listening on 0.0.0.0 is exposed even with the firewall up';

/** Where a listening socket's address leads. */
type Scope = 'wildcard' | 'loopback' | 'private' | 'public';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Addresses only a local network reaches: RFC 1918, CGNAT/Tailscale, link-local, IPv6 ULA. */
const PRIVATE = new BlockList();
PRIVATE.addSubnet('10.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('172.16.0.0', 12, 'ipv4');
PRIVATE.addSubnet('192.168.0.0', 16, 'ipv4');
PRIVATE.addSubnet('100.64.0.0', 10, 'ipv4');
PRIVATE.addSubnet('169.254.0.0', 16, 'ipv4');
PRIVATE.addSubnet('fc00::', 7, 'ipv6');
PRIVATE.addSubnet('fe80::', 10, 'ipv6');

function scopeOf(addr: string): Scope {
  if (addr === '*' || addr === '0.0.0.0' || addr === '::' || addr === '::ffff:0.0.0.0') return 'wildcard';
  const fam = ipFamily(addr);
  if (fam === 0) return 'public';
  const type = fam === 6 ? 'ipv6' : 'ipv4';
  if (LOOPBACK.check(addr, type)) return 'loopback';
  if (PRIVATE.check(addr, type)) return 'private';
  return 'public';
}

interface Listener {
  port: number;
  /** Without brackets or %interface; `*` for ss's dual-stack wildcard. */
  address: string;
  processes: {name: string; pid: number}[];
  /** Socket owner, known from /proc only. */
  uid?: number;
  inode?: string;
}

function hostPort(l: Listener): string {
  return l.address.includes(':') ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`;
}

/** One line of `ss -H -l{t,u}n[p]`: State Recv-Q Send-Q Local:Port Peer:Port [users:((...))]. */
function parseSsLine(line: string): Listener | undefined {
  const fields = line.trim().split(/\s+/);
  // With several protocols ss prints a Netid column first.
  if (fields[0] === 'tcp' || fields[0] === 'udp') fields.shift();
  const local = fields[3];
  if (!local) return undefined;
  const colon = local.lastIndexOf(':');
  if (colon < 0) return undefined;
  const port = Number(local.slice(colon + 1));
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  const address = local
    .slice(0, colon)
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/%[^%]*$/, '');
  const processes: Listener['processes'] = [];
  const rest = fields.slice(5).join(' ');
  for (const m of rest.matchAll(/\("((?:[^"\\]|\\.)*)",pid=(\d+)/g)) processes.push({name: m[1]!, pid: Number(m[2])});
  return {port, address: address.toLowerCase(), processes};
}

/** Decodes /proc/net/{tcp,udp}{,6} addresses: 32-bit words in host byte order. */
function procAddress(hex: string): string | undefined {
  if (!/^[0-9A-Fa-f]+$/.test(hex) || (hex.length !== 8 && hex.length !== 32)) return undefined;
  const bytes: number[] = [];
  for (let w = 0; w < hex.length; w += 8) {
    const word = Buffer.from(hex.slice(w, w + 8), 'hex');
    if (endianness() === 'LE') word.reverse();
    bytes.push(...word);
  }
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  // The WHATWG URL parser prints IPv6 in its canonical compressed form (RFC 5952).
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

function parseProc(text: string, state: string): Listener[] {
  const out: Listener[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[3]?.toUpperCase() !== state) continue;
    const [addrHex, portHex] = (f[1] ?? '').split(':');
    const address = procAddress(addrHex ?? '');
    const port = parseInt(portHex ?? '', 16);
    if (address === undefined || !(port >= 1 && port <= 65535)) continue;
    out.push({port, address, processes: [], uid: Number(f[7]), inode: f[9]});
  }
  return out;
}

/** Which processes hold these socket inodes, from /proc/<pid>/fd (best effort: what we may read). */
async function processesByInode(inodes: Set<string>, signal: AbortSignal): Promise<Map<string, Listener['processes']>> {
  const out = new Map<string, Listener['processes']>();
  if (inodes.size === 0) return out;
  let pids: string[];
  try {
    pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const pid of pids) {
    if (signal.aborted) break;
    let fds: string[];
    try {
      fds = await readdir(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
      if (!inode || !inodes.has(inode)) continue;
      const name = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '?')).trim();
      const list = out.get(inode) ?? [];
      if (!list.some((p) => p.pid === Number(pid))) list.push({name, pid: Number(pid)});
      out.set(inode, list);
    }
  }
  return out;
}

interface Listing {
  listeners: Listener[];
  /** Where the list came from, for the message. */
  source: string;
}

async function fromSs(ctx: Context, protocol: 'tcp' | 'udp', signal: AbortSignal): Promise<Listing | {failed: string; missing: boolean}> {
  const args = ['-H', protocol === 'tcp' ? '-ltnp' : '-lunp'];
  const r = await ctx.run('ss', args, {signal, timeoutMs: 5_000});
  if (!r.ok) return {failed: r.missing ? 'ss is not installed' : `ss failed: ${r.reason ?? 'unknown error'}`, missing: r.missing};
  const listeners: Listener[] = [];
  for (const line of r.stdout.split('\n')) {
    // Older ss without -H support prints a header; it does not parse as a socket.
    const l = parseSsLine(line);
    if (l) listeners.push(l);
  }
  return {listeners, source: `ss ${args.join(' ')}`};
}

async function fromProc(protocol: 'tcp' | 'udp', signal: AbortSignal): Promise<Listing> {
  // TCP listens in state 0A (LISTEN); an unconnected UDP socket is 07 (CLOSE), as `ss -lu` shows.
  const state = protocol === 'tcp' ? '0A' : '07';
  const files = [`/proc/net/${protocol}`, `/proc/net/${protocol}6`];
  const listeners: Listener[] = [];
  const read: string[] = [];
  const problems: string[] = [];
  for (const file of files) {
    try {
      listeners.push(...parseProc(await readFile(file, {encoding: 'utf8', signal}), state));
      read.push(file);
    } catch (err) {
      // No tcp6 file when IPv6 is disabled: that only means no IPv6 sockets.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || file === files[0]) problems.push(`${file}: ${errorMessage(err)}`);
    }
  }
  if (read.length === 0) throw new Error(`cannot read ${problems.join('; ')}`);
  const owners = await processesByInode(new Set(listeners.flatMap((l) => (l.inode && l.inode !== '0' ? [l.inode] : []))), signal);
  for (const l of listeners) l.processes = owners.get(l.inode ?? '') ?? [];
  return {listeners, source: read.join(' and ')};
}

function describe(l: Listener): string {
  const who = l.processes.length > 0 ? l.processes.map((p) => `${p.name} pid ${p.pid}`).join(', ') : l.uid !== undefined ? `uid ${l.uid}` : 'process not shown';
  return `${hostPort(l)} (${who})`;
}

const isDocker = (l: Listener) => l.processes.some((p) => /^docker-proxy$|^dockerd$/.test(p.name));

export const listening = defineCheck({
  id: 'net.listening',
  summary:
    'Which sockets listen on the ports and on which addresses (ss, or /proc/net when ss is missing or fails); fails on an address beyond `allow`, or, with mustListen, on a port nobody listens on.',
  params: z.strictObject({
    ports: z.union([Port, z.array(Port).min(1)]).transform((p) => (Array.isArray(p) ? p : [p])),
    protocol: z.enum(['tcp', 'udp']).default('tcp'),
    /**
     * loopback: 127.0.0.0/8 and ::1 only. private: also RFC 1918, 100.64/10, link-local, fc00::/7
     * (a wildcard address still fails: it includes every public interface). any: no limit.
     */
    allow: z.enum(['loopback', 'private', 'any']).default('loopback'),
    mustListen: z.boolean().default(false),
    /** auto: ss, falling back to /proc/net when ss is missing or fails. */
    via: z.enum(['auto', 'ss', 'proc']).default('auto'),
  }),
  run: async (ctx, p, signal) => {
    let listing: Listing | {error: string};
    let note = '';
    const proc = () => fromProc(p.protocol, signal).catch((err: unknown) => ({error: errorMessage(err)}));
    if (p.via === 'proc') listing = await proc();
    else {
      const ss = await fromSs(ctx, p.protocol, signal);
      if ('failed' in ss) {
        if (p.via === 'ss') return result(ss.missing ? 'skip' : 'error', ss.failed);
        note = `; ${ss.failed}`;
        listing = await proc();
      } else listing = ss;
    }
    if ('error' in listing)
      return result('error', `cannot list listening sockets: ${listing.error}${note}`, [{file: `/proc/net/${p.protocol}`, detail: listing.error}]);
    if (signal.aborted) return result('error', 'stopped before the sockets were read');

    const from = ` (from ${listing.source}${note})`;
    const bad: Evidence[] = [];
    const ok: Evidence[] = [];
    const silent: number[] = [];
    let docker = false;
    for (const port of [...new Set(p.ports)]) {
      const key = `${p.protocol}/${port}`;
      const here = listing.listeners.filter((l) => l.port === port);
      if (here.length === 0) {
        silent.push(port);
        (p.mustListen ? bad : ok).push({key, detail: `nothing listens on ${key}`});
        continue;
      }
      for (const l of here) {
        const scope = scopeOf(l.address);
        const allowed = p.allow === 'any' || scope === 'loopback' || (p.allow === 'private' && scope === 'private');
        const reach = scope === 'wildcard' ? 'every interface' : scope === 'loopback' ? 'loopback only' : `a ${scope} address`;
        if (allowed) {
          ok.push({key, detail: `${describe(l)}: ${reach}`});
          continue;
        }
        if (isDocker(l)) docker = true;
        const dockerNote = isDocker(l) ? '; published by Docker, whose iptables rules bypass ufw' : '';
        bad.push({key, detail: `${describe(l)}: listens on ${reach}, beyond ${p.allow}${dockerNote}`});
      }
    }

    if (bad.length > 0) {
      const exposed = bad.filter((e) => !e.detail.startsWith('nothing listens'));
      const parts = [
        exposed.length > 0 ? `${exposed.length} sockets listen beyond ${p.allow}` : '',
        p.mustListen && silent.length > 0 ? `nothing listens on ${silent.map((s) => `${p.protocol}/${s}`).join(', ')}` : '',
      ].filter(Boolean);
      const caveat = exposed.length > 0 ? `. ${docker ? DOCKER_CAVEAT : `If Docker publishes any of these, note: ${DOCKER_CAVEAT}`}` : '';
      return result('fail', `${parts.join('; ')}${caveat}${from}`, [...bad, ...ok]);
    }
    const heard = ok.length - silent.length;
    const msg =
      heard > 0
        ? `${heard} sockets on ${p.ports.join(', ')}, all within ${p.allow}`
        : `nothing listens on ${p.protocol}/${p.ports.join(', ')} (Docker with userland-proxy off publishes ports without a listening socket: see compose.ports-private)`;
    return result('pass', `${msg}${from}`, ok);
  },
});

type Probe = {kind: 'open'; remote: string} | {kind: 'refused'} | {kind: 'timeout'} | {kind: 'aborted'} | {kind: 'error'; why: string};

/** One TCP connect, closed as soon as it is made. */
function probe(host: string, port: number, ms: number, signal: AbortSignal): Promise<Probe> {
  return withDeadline<Probe>(
    (stop) =>
      new Promise<Probe>((resolve) => {
        const socket = connect({host, port});
        const done = (p: Probe) => {
          stop.removeEventListener('abort', onStop);
          socket.destroy();
          resolve(p);
        };
        // The deadline or the caller won: close the socket; the outcome is theirs.
        const onStop = () => done({kind: 'aborted'});
        stop.addEventListener('abort', onStop, {once: true});
        socket.once('connect', () => done({kind: 'open', remote: `${socket.remoteAddress ?? host}:${socket.remotePort ?? port}`}));
        socket.once('error', (err: NodeJS.ErrnoException & {errors?: NodeJS.ErrnoException[]}) => {
          // With several addresses (happy eyeballs) Node reports an AggregateError of each attempt.
          const codes = err.code ? [err.code] : (err.errors ?? []).map((e) => e.code ?? 'unknown');
          if (codes.length > 0 && codes.every((c) => c === 'ECONNREFUSED')) done({kind: 'refused'});
          else if (codes.includes('ETIMEDOUT')) done({kind: 'timeout'});
          else done({kind: 'error', why: codes.length > 0 ? [...new Set(codes)].join(', ') : errorMessage(err)});
        });
      }),
    ms,
    () => ({kind: 'timeout'}),
    signal,
    () => ({kind: 'aborted'}),
  );
}

export const reachable = defineCheck({
  id: 'net.reachable',
  summary:
    'A TCP connect to host:port is accepted (expect open) or refused (expect closed). No answer in time is an error, or counts as closed with timeoutMeans: closed (a firewall that drops).',
  params: z.strictObject({
    host: z.string().min(1).default('127.0.0.1'),
    port: Port,
    expect: z.enum(['open', 'closed']).default('open'),
    /** Keep it under the step's time bound (10 s unless the pack says otherwise). */
    connectTimeoutMs: z.number().int().min(50).max(30_000).default(3_000),
    timeoutMeans: z.enum(['error', 'closed']).default('error'),
  }),
  run: async (_ctx, p, signal) => {
    const target = ipFamily(p.host) === 6 ? `[${p.host}]:${p.port}` : `${p.host}:${p.port}`;
    const r = await probe(p.host, p.port, p.connectTimeoutMs, signal);
    const ev = (detail: string): Evidence[] => [{key: target, detail}];
    switch (r.kind) {
      case 'open':
        return p.expect === 'open'
          ? result('pass', `${target} accepts connections`, ev(`connected to ${r.remote}`))
          : result('fail', `${target} accepts connections; it should be closed`, ev(`connected to ${r.remote}`));
      case 'refused':
        return p.expect === 'closed'
          ? result('pass', `${target} refuses connections`, ev('connection refused'))
          : result('fail', `${target} refuses connections: nothing listens there, or a firewall rejects`, ev('connection refused'));
      case 'timeout': {
        const detail = `no answer within ${p.connectTimeoutMs} ms`;
        if (p.timeoutMeans === 'closed') {
          return p.expect === 'closed'
            ? result('pass', `${target} does not answer (dropped): treated as closed`, ev(detail))
            : result('fail', `${target} does not answer within ${p.connectTimeoutMs} ms (treated as closed)`, ev(detail));
        }
        return result(
          'error',
          `${target}: ${detail}; a firewall may drop the packets or the host is down (set timeoutMeans: closed to count that as closed)`,
          ev(detail),
        );
      }
      case 'aborted':
        return result('error', `${target}: stopped before the connection settled`, ev('aborted'));
      case 'error':
        return result('error', `${target}: cannot connect (${r.why})`, ev(r.why));
    }
  },
});
