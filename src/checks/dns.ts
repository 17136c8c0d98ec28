import {promises as dns} from 'node:dns';
import {z} from 'zod';
import {errorMessage} from '../sources/errors.js';
import {result, type Evidence} from '../model/types.js';
import {defineCheck} from './define.js';
import {withDeadline} from '../deploy/deadline.js';
import {ipFamily} from '../deploy/ip.js';

/** `1.2.3.4`, `1.2.3.4:5353`, `::1`, `[::1]:5353`: a server address as Resolver.setServers takes it. */
const Server = z.string().refine((s) => parseServer(s) !== undefined, 'server must be an IP address, optionally with :port (IPv6 in brackets)');

function parseServer(s: string): string | undefined {
  const v6 = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(s);
  if (v6) return ipFamily(v6[1]!) === 6 && portOk(v6[2]) ? s : undefined;
  if (ipFamily(s) !== 0) return s;
  const v4 = /^([\d.]+):(\d{1,5})$/.exec(s);
  return v4 && ipFamily(v4[1]!) === 4 && portOk(v4[2]) ? s : undefined;
}

function portOk(p: string | undefined): boolean {
  return p === undefined || (Number(p) >= 1 && Number(p) <= 65535);
}

/** One canonical spelling per address, so `0:0::1` and `::1` compare equal. */
function canon(addr: string): string {
  return ipFamily(addr) === 6 ? new URL(`http://[${addr}]/`).hostname.slice(1, -1) : addr;
}

/** What a name resolved to; `missing` means the name (or that record type) does not exist. */
type Answer = {addresses: string[]} | {missing: string} | {error: string};

const NOT_THERE = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN', 'NODATA']);

async function viaSystem(name: string, ms: number, signal: AbortSignal): Promise<Answer> {
  // getaddrinfo runs on libuv's thread pool and cannot be cancelled; past the bound we stop waiting.
  return withDeadline<Answer>(
    () =>
      dns.lookup(name, {all: true}).then(
        (list): Answer => ({addresses: list.map((a) => canon(a.address))}),
        (err: NodeJS.ErrnoException): Answer => (NOT_THERE.has(err.code ?? '') ? {missing: `${err.code}`} : {error: `${err.code ?? errorMessage(err)}`}),
      ),
    ms,
    () => ({error: `no answer within ${ms} ms`}),
    signal,
    () => ({error: 'stopped before the lookup finished'}),
  );
}

async function viaServer(name: string, server: string, ms: number, signal: AbortSignal): Promise<Answer> {
  // Two tries (UDP can lose a packet), each half the bound; the outer bound covers c-ares' backoff too.
  const resolver = new dns.Resolver({timeout: Math.max(1, Math.floor(ms / 2)), tries: 2});
  resolver.setServers([server]);
  const ask = (rr: 'A' | 'AAAA') =>
    (rr === 'A' ? resolver.resolve4(name) : resolver.resolve6(name)).then(
      (list): Answer => ({addresses: list.map(canon)}),
      (err: NodeJS.ErrnoException): Answer =>
        NOT_THERE.has(err.code ?? '') ? {missing: `${rr}: ${err.code}`} : {error: `${rr} query: ${err.code ?? errorMessage(err)}`},
    );
  return withDeadline<Answer>(
    (stop) => {
      // Past the bound, or when the caller gives up, the queries still in flight are cancelled.
      stop.addEventListener('abort', () => resolver.cancel(), {once: true});
      return Promise.all([ask('A'), ask('AAAA')]).then(([a, aaaa]): Answer => {
        if ('error' in a) return a;
        if ('error' in aaaa) return aaaa;
        const addresses = [...('addresses' in a ? a.addresses : []), ...('addresses' in aaaa ? aaaa.addresses : [])];
        return addresses.length > 0 ? {addresses} : {missing: 'NXDOMAIN or no A/AAAA record'};
      });
    },
    ms,
    () => ({error: `no answer within ${ms} ms`}),
    signal,
    () => ({error: 'stopped before the lookup finished'}),
  ).catch((err: unknown): Answer => ({error: errorMessage(err)}));
}

export const resolves = defineCheck({
  id: 'dns.resolves',
  summary:
    'A name resolves (system resolver, or a given DNS server), to every address in `expect` (only those with exact), with an AAAA record when aaaa is set. No answer in time is an error.',
  params: z.strictObject({
    name: z
      .string()
      .max(253)
      .regex(/^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/, 'name must be a DNS name'),
    /** Ask this server (A and AAAA queries) instead of the system resolver (getaddrinfo: /etc/hosts, then DNS). */
    server: Server.optional(),
    /** Every one of these addresses must be among the answers. */
    expect: z
      .array(z.string().refine((a) => ipFamily(a) !== 0, 'expect holds IP addresses'))
      .min(1)
      .optional(),
    /** With expect: any other address fails too. */
    exact: z.boolean().default(false),
    /** An IPv6 address (AAAA record) must be among the answers. */
    aaaa: z.boolean().default(false),
    timeoutMs: z.number().int().min(100).max(30_000).default(3_000),
  }),
  run: async (_ctx, p, signal) => {
    const via = p.server ? `server ${p.server}` : 'the system resolver';
    const answer = p.server ? await viaServer(p.name, p.server, p.timeoutMs, signal) : await viaSystem(p.name, p.timeoutMs, signal);
    const key = p.name;
    if ('error' in answer) return result('error', `${p.name}: cannot resolve via ${via}: ${answer.error}`, [{key, detail: answer.error}]);
    if ('missing' in answer) return result('fail', `${p.name} does not resolve via ${via}`, [{key, detail: answer.missing}]);

    const got = [...new Set(answer.addresses)];
    const evidence: Evidence[] = [{key, detail: `resolves to ${got.join(', ')} via ${via}`}];
    const problems: string[] = [];
    if (p.expect) {
      const want = p.expect.map(canon);
      const missing = want.filter((a) => !got.includes(a));
      if (missing.length > 0) problems.push(`missing ${missing.join(', ')}`);
      const extra = got.filter((a) => !want.includes(a));
      if (p.exact && extra.length > 0) problems.push(`unexpected ${extra.join(', ')}`);
    }
    if (p.aaaa && !got.some((a) => ipFamily(a) === 6)) problems.push('no AAAA record');
    for (const detail of problems) evidence.push({key, detail});
    if (problems.length > 0) return result('fail', `${p.name} resolves to ${got.join(', ')} via ${via}: ${problems.join('; ')}`, evidence);
    return result('pass', `${p.name} resolves to ${got.join(', ')} via ${via}`, evidence);
  },
});
