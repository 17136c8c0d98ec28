// PostgreSQL, asked directly with node-postgres (`pg`). Read-only by construction: every session
// first sets default_transaction_read_only, a statement_timeout and a lock_timeout, then opens
// `BEGIN READ ONLY`, runs only SELECT and SHOW, and ends with ROLLBACK; the login check sends no
// query at all. Every check is bounded by its timeout and its signal (a socket that stops
// answering is destroyed), and connects only when the pack's `probe` input allows it.
//
// The connection comes from the deployment's own settings (a DATABASE_URL, POSTGRES_* keys), and
// the password only ever goes to the server: never into a message, evidence, log or command line
// (there is no child process), and pg's fallbacks (PGPASSWORD, ~/.pgpass) are not consulted.
//
// The part above the first check is shared by the live-service families: redis.ts and nats.ts
// import it. It would sit better in src/deploy/; it is here because this change could only add
// the three family files.
import {randomUUID} from 'node:crypto';
import {BlockList} from 'node:net';
import type {Client, ClientConfig} from 'pg';
import {z} from 'zod';
import {withDeadline} from '../deploy/deadline.js';
import {collect, EnvKey, evidenceOf, type Occurrence} from '../deploy/settings.js';
import type {Context} from '../engine/context.js';
import {redact} from '../engine/redact.js';
import {count, result, type CheckResult, type Evidence} from '../model/types.js';
import {errorMessage} from '../sources/errors.js';
import {defineCheck} from './define.js';
import {describeSocketError} from './socketError.js';
import {ipFamily} from '../deploy/ip.js';

// ---------------------------------------------------------------- shared by the live families

export const Port = z.number().int().min(1).max(65535);

/** Where and how long: every live check takes these. */
export const ReachShape = {
  /**
   * Reach the server here instead of the host the settings name (e.g. 127.0.0.1 when the URL
   * names a host only the deployment's network knows). A URL host that is a Compose service is
   * mapped to the port that service publishes without this.
   */
  host: z.string().min(1).optional(),
  port: Port.optional(),
  /** Read the settings only from these Compose services (default: all, .env files first). */
  services: z.array(z.string()).optional(),
  /** The bound for connecting and asking; keep it under the step's timeout (10 s unless the pack says). */
  timeoutMs: z.number().int().min(100).max(60_000).default(5_000),
};

export type Reach = {host?: string | undefined; port?: number | undefined; services?: string[] | undefined; timeoutMs: number};

/** The first copy of each key that has a value, .env files first, then Compose services. */
export async function firstSettings(ctx: Context, keys: readonly string[], services?: string[]): Promise<Map<string, Occurrence>> {
  const wanted = [...new Set(keys.filter((k) => k !== ''))];
  const {occurrences} = await collect(ctx, {keys: wanted, urls: [], helm: [], services});
  const out = new Map<string, Occurrence>();
  for (const o of occurrences) if (o.value !== undefined && o.value !== '' && !out.has(o.key)) out.set(o.key, o);
  return out;
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  const fam = ipFamily(h);
  return fam !== 0 && LOOPBACK.check(h, fam === 6 ? 'ipv6' : 'ipv4');
}

export function hostPort(host: string, port: number): string {
  return ipFamily(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Whether the pack's `probe` input lets this check connect to `host`: `local` allows loopback
 * addresses only, `any` any host; anything else (`no`, or a pack without the input) allows
 * nothing. When the answer is no, it is the skip message: what connecting would check.
 */
export function probeRefusal(ctx: Context, service: string, host: string, port: number): string | undefined {
  const probe = ctx.inputs.probe;
  const at = `${service} at ${hostPort(host, port)}`;
  if (probe === 'any') return undefined;
  if (probe === 'local') {
    if (isLoopback(host)) return undefined;
    return `not probed: probe=local allows loopback addresses only, and ${at} is not one (set host/port in the step to reach it through a loopback port)`;
  }
  const has = ctx.pack.inputs.some((i) => i.id === 'probe');
  const how = has ? 'allow it with --input probe=local' : `pack ${ctx.pack.id} has no probe input, so Shipshape never connects for it`;
  return `not probed (probe is ${probe ?? 'not set'}): connecting to ${at} would check this against the running server; ${how}`;
}

export type Reached = {host: string; port: number; via?: string} | {skip: string; evidence?: Evidence[]};

/**
 * Where to connect from this machine: the step's host/port when it gives them; for a host that is
 * a Compose service, the port that service publishes (on loopback when published on every
 * interface); else the host and port the settings name.
 */
export async function reachFromHere(ctx: Context, host: string, port: number, p: Reach): Promise<Reached> {
  if (p.host !== undefined) return {host: p.host, port: p.port ?? port, via: 'the host the step names'};
  if (p.port !== undefined) return {host, port: p.port, via: 'the port the step names'};
  if (ipFamily(host) !== 0 || host.includes('.') || isLoopback(host)) return {host, port};
  const compose = await ctx.compose().catch(() => undefined);
  const svc = compose?.services.get(host);
  if (!svc) return {host, port};
  const published = svc.ports.find((m) => m.target === String(port) && m.published !== undefined && /^\d+$/.test(m.published));
  if (!published) {
    return {
      skip: `${host} is a Compose service that publishes no port for ${port}: it is reachable only inside the Compose network, so there is nothing to probe from here (give host/port in the step to reach it another way)`,
      evidence: [{file: svc.file, line: svc.line, key: host, detail: `service ${host} publishes no port for ${port}`}],
    };
  }
  const wildcard = published.hostIp === undefined || published.hostIp === '' || published.hostIp === '0.0.0.0' || published.hostIp === '::';
  const at = wildcard ? '127.0.0.1' : published.hostIp!.replace(/^\[(.*)\]$/, '$1');
  return {
    host: at,
    port: Number(published.published),
    via: `service ${host} publishes ${published.raw} (${published.file}${published.line ? `:${published.line}` : ''})`,
  };
}

/** A URL part (user, password, path), percent-decoded; undefined when empty. */
export function decoded(raw: string): string | undefined {
  if (raw === '') return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** Runs `work` under the check's time bound; a timeout or a stop becomes an `error` naming `what`. */
export function bounded(
  what: string,
  ms: number,
  signal: AbortSignal,
  work: (stop: AbortSignal) => Promise<CheckResult>,
  evidence: Evidence[] = [],
): Promise<CheckResult> {
  return withDeadline(
    work,
    ms,
    () => result('error', `${what}: no answer within ${ms} ms (the server accepts the connection but does not answer, or the network drops it)`, evidence),
    signal,
    () => result('error', `${what}: stopped before it answered`, evidence),
  );
}

// ---------------------------------------------------------------- the PostgreSQL connection

const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
type SslMode = (typeof SSL_MODES)[number];

const ConnShape = {
  /** Variables holding a postgres:// URL; the first one set wins. */
  urlKeys: z.array(EnvKey).default(['DATABASE_URL']),
  /** Without a URL (or for the parts it leaves out), these variables give the rest. */
  hostKey: EnvKey.default('POSTGRES_HOST'),
  portKey: EnvKey.default('POSTGRES_PORT'),
  userKey: EnvKey.default('POSTGRES_USER'),
  passwordKey: EnvKey.default('POSTGRES_PASSWORD'),
  databaseKey: EnvKey.default('POSTGRES_DB'),
  /** In place of the URL's sslmode (libpq's default is prefer). */
  sslmode: z.enum(SSL_MODES).optional(),
  ...ReachShape,
};

type Conn = z.output<z.ZodObject<typeof ConnShape>>;

interface Target {
  host: string;
  port: number;
  user: string;
  password: string | undefined;
  database: string;
  sslmode: SslMode;
  /** PEM text of the CA the URL's sslrootcert names, when it is a file in the deployment. */
  ca?: string;
  /** `PostgreSQL at 127.0.0.1:5432`. */
  label: string;
  /** Where each part was read, for the evidence. */
  evidence: Evidence[];
}

type Resolved = {target: Target} | {outcome: CheckResult};

async function resolveTarget(ctx: Context, p: Conn): Promise<Resolved> {
  const keys = [...p.urlKeys, p.hostKey, p.portKey, p.userKey, p.passwordKey, p.databaseKey];
  const s = await firstSettings(ctx, keys, p.services);
  const urlOcc = p.urlKeys.map((k) => s.get(k)).find((o) => o !== undefined);
  const user0 = s.get(p.userKey);
  const pass0 = s.get(p.passwordKey);
  const evidence: Evidence[] = [];

  let host = s.get(p.hostKey)?.value;
  let port = s.get(p.portKey)?.value;
  let user = user0?.value;
  let password: string | undefined;
  let database = s.get(p.databaseKey)?.value;
  let sslmode: SslMode = 'prefer';
  let rootcert: string | undefined;
  let passwordFrom: Occurrence | undefined;

  if (urlOcc) {
    let url: URL;
    try {
      url = new URL(urlOcc.value!);
    } catch {
      // Never the URL itself in the message: it holds the password.
      return {
        outcome: result('error', `${urlOcc.key} is not a URL this check can read (one host, postgres:// or postgresql://)`, [
          evidenceOf(urlOcc, 'not a readable URL'),
        ]),
      };
    }
    if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
      return {
        outcome: result('error', `${urlOcc.key} is a ${url.protocol.replace(/:$/, '')} URL, not postgres://`, [evidenceOf(urlOcc, `scheme ${url.protocol}`)]),
      };
    }
    if (url.hostname) host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (url.port) port = url.port;
    const urlUser = decoded(url.username);
    if (urlUser) user = urlUser;
    const db = decoded(url.pathname.replace(/^\//, ''));
    if (db) database = db;
    password = decoded(url.password);
    if (password !== undefined) passwordFrom = urlOcc;
    const mode = url.searchParams.get('sslmode');
    if (mode && (SSL_MODES as readonly string[]).includes(mode)) sslmode = mode as SslMode;
    else if (mode === 'no-verify') sslmode = 'require';
    else if (url.searchParams.get('ssl') === 'true' || url.searchParams.get('ssl') === '1') sslmode = 'require';
    rootcert = url.searchParams.get('sslrootcert') ?? undefined;
    const socketHost = url.searchParams.get('host');
    if (socketHost?.startsWith('/')) {
      return {
        outcome: result('skip', `${urlOcc.key} names a Unix socket (${socketHost}); this check connects over TCP only`, [evidenceOf(urlOcc, 'a Unix socket')]),
      };
    }
    evidence.push(evidenceOf(urlOcc, 'the connection URL'));
  }
  // The image's POSTGRES_PASSWORD belongs to POSTGRES_USER: used only when the URL names no other user.
  if (password === undefined && pass0 && (user === undefined || user0 === undefined || user === user0.value)) {
    password = pass0.value;
    passwordFrom = pass0;
  }
  if (!urlOcc && !host && !user0 && !pass0) {
    return {
      outcome: result(
        'skip',
        `no PostgreSQL settings to connect with (${[...p.urlKeys, p.hostKey, p.userKey, p.passwordKey].join(', ')} are not set in any file read)`,
      ),
    };
  }
  if (passwordFrom && passwordFrom !== urlOcc) evidence.push(evidenceOf(passwordFrom, `the password (${redact(password)})`));
  if (p.sslmode) sslmode = p.sslmode;

  const portNum = Number(port ?? 5432);
  if (!Number.isInteger(portNum) || portNum < 1 || portNum > 65535)
    return {outcome: result('error', `the PostgreSQL port "${port}" is not a port number`, evidence)};
  const reached = await reachFromHere(ctx, host ?? '127.0.0.1', portNum, p);
  if ('skip' in reached) return {outcome: result('skip', reached.skip, [...evidence, ...(reached.evidence ?? [])])};
  const label = `PostgreSQL at ${hostPort(reached.host, reached.port)}`;
  if (reached.via) evidence.push({key: 'reached via', detail: reached.via});

  let ca: string | undefined;
  if (rootcert && rootcert !== 'system' && (sslmode === 'verify-ca' || sslmode === 'verify-full')) {
    // Only a CA file inside the deployment is read, by the same rule as every other file.
    if (ctx.lookup(rootcert).kind === 'file') ca = await ctx.readText(rootcert).catch(() => undefined);
    if (ca === undefined) evidence.push({key: 'sslrootcert', detail: `${rootcert} is not a file in the deployment: the system's CAs are used`});
  }
  const resolvedUser = user ?? 'postgres';
  return {
    target: {host: reached.host, port: reached.port, user: resolvedUser, password, database: database ?? resolvedUser, sslmode, ca, label, evidence},
  };
}

/** Where, as who, in which database, how: the first line of every check's evidence. */
function targetEvidence(t: Target): Evidence {
  return {
    key: 'target',
    detail: `${t.label}, user ${t.user}, database ${t.database}, sslmode ${t.sslmode}${t.password === undefined ? ', no password in the settings' : ''}`,
  };
}

/** Errors that say the server would not let this login in. */
const AUTH_CODES = new Set(['28P01', '28000']);

interface PgFailure {
  kind: 'refused' | 'auth' | 'no-tls' | 'tls' | 'timeout' | 'server' | 'other';
  text: string;
  code?: string;
}

function pgFailure(err: unknown): PgFailure {
  const code = (err as {code?: unknown}).code;
  const msg = errorMessage(err);
  if (code === 'ECONNREFUSED') return {kind: 'refused', text: 'connection refused: nothing listens there, or a firewall rejects'};
  if (typeof code === 'string' && AUTH_CODES.has(code)) return {kind: 'auth', text: msg, code};
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return {kind: 'server', text: `${msg} (${code})`, code};
  if (/does not support SSL/.test(msg)) return {kind: 'no-tls', text: 'the server does not offer TLS'};
  // pg's own words when the server asks for a SCRAM password and there is none to give.
  if (/client password must be/.test(msg)) return {kind: 'auth', text: 'the server asks for a password, and the settings give none'};
  if (/timeout|timed out/i.test(msg)) return {kind: 'timeout', text: msg};
  if (/certificate|SSL|TLS|self.signed|altnames/i.test(msg)) return {kind: 'tls', text: describeSocketError(err)};
  if (typeof code === 'string') return {kind: 'other', text: describeSocketError(err)};
  return {kind: 'other', text: msg};
}

function tlsOptions(t: Target): ClientConfig['ssl'] {
  switch (t.sslmode) {
    case 'verify-full':
      return {rejectUnauthorized: true, ...(t.ca ? {ca: t.ca} : {}), ...(ipFamily(t.host) === 0 ? {servername: t.host} : {})};
    case 'verify-ca':
      return {rejectUnauthorized: true, ...(t.ca ? {ca: t.ca} : {}), checkServerIdentity: () => undefined};
    default:
      // require, prefer, allow: encrypted, not verified, as libpq does without a root certificate.
      return {rejectUnauthorized: false};
  }
}

/** Closes a client now, whatever state it is in: its socket is destroyed, nothing waits on the server. */
function destroy(client: Client): void {
  client.connection?.stream?.destroy();
  client.end().catch(() => {});
}

/**
 * One login. The password goes in the config object only; an absent one is sent as '' so pg
 * never falls back to PGPASSWORD or ~/.pgpass. TLS per sslmode, with prefer's plain retry.
 */
async function login(t: Target, password: string | undefined, ms: number, stop: AbortSignal): Promise<{client: Client; tls: boolean}> {
  const {default: pg} = await import('pg');
  const attempt = async (tls: boolean): Promise<Client> => {
    const client = new pg.Client({
      host: t.host,
      port: t.port,
      user: t.user,
      password: password ?? '',
      database: t.database,
      ssl: tls ? tlsOptions(t) : false,
      connectionTimeoutMillis: ms,
      query_timeout: ms,
      application_name: 'shipshape',
      keepAlive: false,
    });
    // A server that drops the connection later must not take the process down.
    client.on('error', () => {});
    const kill = () => destroy(client);
    stop.addEventListener('abort', kill, {once: true});
    client.once('end', () => stop.removeEventListener('abort', kill));
    try {
      await client.connect();
    } catch (err) {
      destroy(client);
      throw err;
    }
    return client;
  };
  const wantsTls = t.sslmode !== 'disable' && t.sslmode !== 'allow';
  if (!wantsTls) return {client: await attempt(false), tls: false};
  try {
    return {client: await attempt(true), tls: true};
  } catch (err) {
    if (t.sslmode === 'prefer' && pgFailure(err).kind === 'no-tls' && !stop.aborted) return {client: await attempt(false), tls: false};
    throw err;
  }
}

type Query = <R extends Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<R[]>;

/**
 * A read-only session: default_transaction_read_only, statement and lock timeouts, then one
 * READ ONLY transaction, rolled back at the end. `ask` gets a query function and what the login
 * found; whatever happens, the connection is closed.
 */
async function readOnly(t: Target, ms: number, stop: AbortSignal, ask: (q: Query, info: {tls: boolean}) => Promise<CheckResult>): Promise<CheckResult> {
  let opened: {client: Client; tls: boolean};
  try {
    opened = await login(t, t.password, ms, stop);
  } catch (err) {
    return loginFailed(t, err);
  }
  const {client} = opened;
  try {
    // ms is a validated integer: no value from a file reaches this text.
    await client.query(
      `SET default_transaction_read_only = on; SET statement_timeout = ${ms}; SET lock_timeout = ${ms}; SET idle_in_transaction_session_timeout = ${ms * 2}; BEGIN READ ONLY`,
    );
    const q: Query = async (sql, params) => (await client.query(sql, params)).rows;
    return await ask(q, {tls: opened.tls});
  } catch (err) {
    if (stop.aborted) return result('error', `${t.label}: stopped`, [targetEvidence(t), ...t.evidence]);
    return result('error', `${t.label}: a query failed: ${pgFailure(err).text}`, [targetEvidence(t), ...t.evidence]);
  } finally {
    await client.query('ROLLBACK').catch(() => {});
    destroy(client);
  }
}

function loginFailed(t: Target, err: unknown): CheckResult {
  const f = pgFailure(err);
  const ev = [targetEvidence(t), ...t.evidence];
  switch (f.kind) {
    case 'auth':
      return result('fail', `${t.label} refused the deployment's login: ${f.text}`, ev);
    case 'no-tls':
      return result('fail', `${t.label} does not offer TLS, and the settings ask for it (sslmode=${t.sslmode})`, ev);
    case 'tls':
      return result('fail', `${t.label}: the TLS handshake failed (sslmode=${t.sslmode}): ${f.text}`, ev);
    default:
      return result('error', `${t.label}: cannot connect: ${f.text}`, ev);
  }
}

/** Resolve, gate, bound: what every session-based check does before asking its question. */
async function withTarget(ctx: Context, p: Conn, signal: AbortSignal, ask: (t: Target, stop: AbortSignal) => Promise<CheckResult>): Promise<CheckResult> {
  const r = await resolveTarget(ctx, p);
  if ('outcome' in r) return r.outcome;
  const t = r.target;
  const refusal = probeRefusal(ctx, 'PostgreSQL', t.host, t.port);
  // Not probed: no evidence either, since nothing was asked; the message names what would be.
  if (refusal) return result('skip', refusal);
  return bounded(t.label, p.timeoutMs, signal, (stop) => ask(t, stop), [targetEvidence(t), ...t.evidence]);
}

// ---------------------------------------------------------------- units

const MEMORY: Record<string, number> = {B: 1, kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4};
const TIME: Record<string, number> = {us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000};

/** A pg_settings unit (`8kB`, `ms`, `min`) as a factor to bytes or milliseconds. */
function unitFactor(unit: string | null): {factor: number; kind: 'memory' | 'time' | 'none'} {
  if (!unit) return {factor: 1, kind: 'none'};
  const m = /^(\d*)\s*([a-zA-Z]+)$/.exec(unit);
  const n = m?.[1] ? Number(m[1]) : 1;
  const u = m?.[2] ?? '';
  if (u in MEMORY) return {factor: n * MEMORY[u]!, kind: 'memory'};
  if (u in TIME) return {factor: n * TIME[u]!, kind: 'time'};
  return {factor: 1, kind: 'none'};
}

/** A bound from the pack (`500`, `"500ms"`, `"128MB"`) in the setting's own unit. */
function inSettingUnit(bound: number | string, unit: string | null): number | undefined {
  if (typeof bound === 'number') return bound;
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(bound);
  if (!m) return undefined;
  const n = Number(m[1]);
  if (!m[2]) return n;
  const to = unitFactor(unit);
  const from = m[2] in MEMORY ? {factor: MEMORY[m[2]]!, kind: 'memory'} : m[2] in TIME ? {factor: TIME[m[2]]!, kind: 'time'} : undefined;
  if (!from || from.kind !== to.kind) return undefined;
  return (n * from.factor) / to.factor;
}

const BOOL_TRUE = new Set(['on', 'true', 'yes', '1']);
const BOOL_FALSE = new Set(['off', 'false', 'no', '0']);

/** A list setting (`'pg_stat_statements, auto_explain'`) as its entries, unquoted. */
function listEntries(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim().replace(/^"(.*)"$/, '$1'))
    .filter((s) => s !== '');
}

// ---------------------------------------------------------------- checks

export const connect = defineCheck({
  id: 'postgres.connect',
  summary:
    "Logs in to PostgreSQL with the deployment's settings (DATABASE_URL or POSTGRES_*), in a read-only session, using TLS when the URL's sslmode asks; reports the server version and whether the server offers TLS and this connection uses it.",
  params: z.strictObject({
    ...ConnShape,
    /** any: reachable is enough. offered: the server must offer TLS (ssl = on). used: this connection must be encrypted. */
    tls: z.enum(['any', 'offered', 'used']).default('any'),
  }),
  run: (ctx, p, signal) =>
    withTarget(ctx, p, signal, (t, stop) =>
      readOnly(t, p.timeoutMs, stop, async (q, info) => {
        const [row] = await q<{version: string; ssl: string}>(`SELECT current_setting('server_version') AS version, current_setting('ssl') AS ssl`);
        const [conn] = await q<{ssl: boolean; version: string | null}>('SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
        const offered = row?.ssl === 'on';
        const used = conn?.ssl === true || info.tls;
        const tlsWords = used
          ? `TLS in use (${conn?.version ?? 'TLS'})`
          : offered
            ? `TLS offered but not used (sslmode=${t.sslmode})`
            : 'TLS not offered by the server (ssl = off)';
        const ev: Evidence[] = [targetEvidence(t), {key: 'server_version', detail: row?.version ?? '?'}, {key: 'ssl', detail: tlsWords}, ...t.evidence];
        const base = `connected to ${t.label} (PostgreSQL ${row?.version ?? '?'}) as ${t.user}, read-only; ${tlsWords}`;
        if (p.tls === 'offered' && !offered) return result('fail', `${base}; TLS is required to be offered`, ev);
        if (p.tls === 'used' && !used) return result('fail', `${base}; this connection should be encrypted: set sslmode=require or stricter in the URL`, ev);
        return result('pass', base, ev);
      }),
    ),
});

export const setting = defineCheck({
  id: 'postgres.setting',
  summary:
    'A server setting (pg_settings) equals a value, lies within min/max (numbers in the setting\'s unit, or "500ms", "128MB"), or, for a list setting such as shared_preload_libraries, contains an entry.',
  params: z
    .strictObject({
      ...ConnShape,
      name: z.string().regex(/^[a-z_][a-z0-9_.]*$/, 'a setting name such as max_connections'),
      equals: z.union([z.string(), z.number(), z.boolean()]).optional(),
      min: z.union([z.number(), z.string()]).optional(),
      max: z.union([z.number(), z.string()]).optional(),
      contains: z.string().min(1).optional(),
    })
    .refine((p) => p.equals !== undefined || p.min !== undefined || p.max !== undefined || p.contains !== undefined, {
      message: 'give equals, min, max or contains',
    }),
  run: (ctx, p, signal) =>
    withTarget(ctx, p, signal, (t, stop) =>
      readOnly(t, p.timeoutMs, stop, async (q) => {
        const [row] = await q<{setting: string | null; unit: string | null; vartype: string; source: string; pending_restart: boolean}>(
          'SELECT setting, unit, vartype, source, pending_restart FROM pg_settings WHERE name = $1',
          [p.name],
        );
        const where = [targetEvidence(t), ...t.evidence];
        if (!row) {
          // pg_settings hides superuser-only settings (shared_preload_libraries among them) from other roles.
          return result(
            'error',
            `${p.name} is not visible to ${t.user}: it does not exist, or it is superuser-only (grant pg_read_all_settings to the role, or check as a superuser)`,
            where,
          );
        }
        const value = row.setting ?? '';
        const shown = `${p.name} = ${value === '' ? "''" : value}${row.unit ? ` (unit ${row.unit})` : ''}`;
        const ev: Evidence[] = [
          {key: p.name, detail: `${shown}, from ${row.source}${row.pending_restart ? '; a changed value waits for a restart' : ''}`},
          ...where,
        ];
        const problems: string[] = [];
        if (p.equals !== undefined) {
          const want = String(p.equals);
          const ok =
            row.vartype === 'bool'
              ? (BOOL_TRUE.has(want.toLowerCase()) && BOOL_TRUE.has(value.toLowerCase())) ||
                (BOOL_FALSE.has(want.toLowerCase()) && BOOL_FALSE.has(value.toLowerCase()))
              : row.vartype === 'integer' || row.vartype === 'real'
                ? inSettingUnit(p.equals as number | string, row.unit) === Number(value)
                : value.toLowerCase() === want.toLowerCase();
          if (!ok) problems.push(`should be ${want}`);
        }
        if (p.min !== undefined || p.max !== undefined) {
          if (row.vartype !== 'integer' && row.vartype !== 'real')
            return result('error', `${p.name} is a ${row.vartype} setting: min/max apply to numbers only`, ev);
          const n = Number(value);
          for (const [bound, cmp, word] of [
            [p.min, (a: number, b: number) => a >= b, 'at least'],
            [p.max, (a: number, b: number) => a <= b, 'at most'],
          ] as const) {
            if (bound === undefined) continue;
            const b = inSettingUnit(bound, row.unit);
            if (b === undefined) return result('error', `${p.name}: cannot compare with "${bound}" (its unit is ${row.unit ?? 'none'})`, ev);
            if (!cmp(n, b)) problems.push(`should be ${word} ${bound}${typeof bound === 'number' && row.unit ? ` ${row.unit}` : ''}`);
          }
          if (n === -1 && problems.length > 0) problems.push('-1 turns it off');
        }
        if (p.contains !== undefined && !listEntries(value).includes(p.contains)) problems.push(`should list ${p.contains}`);
        if (problems.length > 0) return result('fail', `${shown}: ${problems.join(', ')}`, ev);
        return result('pass', shown, ev);
      }),
    ),
});

export const extension = defineCheck({
  id: 'postgres.extension',
  summary: "An extension is installed (CREATE EXTENSION was run) in the deployment's database, optionally at a minimum version.",
  params: z.strictObject({
    ...ConnShape,
    name: z.string().regex(/^[a-z0-9_-]+$/, 'an extension name such as pg_stat_statements'),
    minVersion: z
      .string()
      .regex(/^\d+(\.\d+)*$/)
      .optional(),
  }),
  run: (ctx, p, signal) =>
    withTarget(ctx, p, signal, (t, stop) =>
      readOnly(t, p.timeoutMs, stop, async (q) => {
        const where = [targetEvidence(t), ...t.evidence];
        const [installed] = await q<{extversion: string}>('SELECT extversion FROM pg_extension WHERE extname = $1', [p.name]);
        if (!installed) {
          const [avail] = await q<{default_version: string | null}>('SELECT default_version FROM pg_available_extensions WHERE name = $1', [p.name]);
          const hint = avail
            ? `it is available (${avail.default_version ?? '?'}): run CREATE EXTENSION ${p.name}; in database ${t.database}`
            : 'the server does not ship it either: install its package first';
          return result('fail', `${p.name} is not installed in database ${t.database}; ${hint}`, [{key: p.name, detail: 'not installed'}, ...where]);
        }
        const ev = [{key: p.name, detail: `version ${installed.extversion}`}, ...where];
        if (p.minVersion && compareVersions(installed.extversion, p.minVersion) < 0) {
          return result('fail', `${p.name} ${installed.extversion} is installed; at least ${p.minVersion} is wanted (ALTER EXTENSION ${p.name} UPDATE)`, ev);
        }
        return result('pass', `${p.name} ${installed.extversion} is installed in database ${t.database}`, ev);
      }),
    ),
});

export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export const schemas = defineCheck({
  id: 'postgres.schemas',
  summary:
    "The schemas that exist in the database against the schemas the deployment names (e.g. each instance's DB_SCHEMA): a named schema that does not exist fails; one nobody names is stale (warn by default). Never drops anything: it prints the statement for a person to run.",
  params: z.strictObject({
    ...ConnShape,
    /** Variables naming a schema; every copy in every .env and service counts (one per instance). */
    keys: z.array(EnvKey).default(['DB_SCHEMA']),
    /** Schemas that must exist whatever the settings say. */
    expected: z.array(z.string().min(1)).default([]),
    /** Schemas nobody needs to name (pg_* and information_schema are always left out). */
    ignore: z.array(z.string().min(1)).default(['public']),
    stale: z.enum(['warn', 'fail', 'ignore']).default('warn'),
  }),
  run: async (ctx, p, signal) => {
    const {occurrences} = await collect(ctx, {keys: p.keys, urls: [], helm: [], services: p.services});
    const named = new Map<string, Evidence[]>();
    for (const o of occurrences) {
      if (!o.value) continue;
      named.set(o.value, [...(named.get(o.value) ?? []), evidenceOf(o, `names schema ${o.value}`)]);
    }
    for (const s of p.expected) named.set(s, [...(named.get(s) ?? []), {key: 'expected', detail: `the step expects schema ${s}`}]);
    if (named.size === 0) return result('skip', `no schema is named (${p.keys.join(', ')} not set in any file read, and no expected list)`);
    return withTarget(ctx, p, signal, (t, stop) =>
      readOnly(t, p.timeoutMs, stop, async (q) => {
        const rows = await q<{nspname: string}>(
          `SELECT nspname FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema' ORDER BY nspname`,
        );
        const exist = rows.map((r) => r.nspname);
        const existSet = new Set(exist);
        // Unquoted identifiers fold to lower case: DB_SCHEMA=Bot_A makes schema bot_a.
        const found = (name: string) => existSet.has(name) || existSet.has(name.toLowerCase());
        const missing = [...named.keys()].filter((n) => !found(n));
        const namedFolded = new Set([...named.keys()].flatMap((n) => [n, n.toLowerCase()]));
        const stale = exist.filter((s) => !namedFolded.has(s) && !p.ignore.includes(s));
        const ev: Evidence[] = [];
        for (const m of missing) for (const e of named.get(m)!) ev.push({...e, detail: `${e.detail}, which does not exist in database ${t.database}`});
        if (p.stale !== 'ignore') {
          for (const s of stale)
            ev.push({key: s, detail: `schema ${s} exists but nothing names it; after checking it holds nothing needed: DROP SCHEMA ${quoteIdent(s)} CASCADE;`});
        }
        for (const [n, es] of named) if (found(n)) for (const e of es) ev.push({...e, detail: `${e.detail}: exists`});
        ev.push(targetEvidence(t), ...t.evidence);
        const parts = [
          missing.length > 0 ? `${count(missing.length, 'named schema')} missing (${missing.join(', ')})` : '',
          stale.length > 0 && p.stale !== 'ignore' ? `${count(stale.length, 'stale schema')} nothing names (${stale.join(', ')})` : '',
        ].filter(Boolean);
        if (missing.length > 0 || (stale.length > 0 && p.stale === 'fail')) return result('fail', parts.join('; '), ev);
        if (stale.length > 0 && p.stale === 'warn') return result('warn', parts.join('; '), ev);
        return result('pass', `all ${count(named.size, 'named schema')} exist${stale.length > 0 ? `, ${stale.length} others ignored` : ', and no others'}`, ev);
      }),
    );
  },
});

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export const defaultPasswordRefused = defineCheck({
  id: 'postgres.default-password-refused',
  summary:
    'A login with each known default password is refused, for the deployment\'s user and the given users (no query is sent; a login that gets in is closed at once). A server that lets in any password (trust) is named as such. Each refused try is one "password authentication failed" line in the server log.',
  params: z.strictObject({
    ...ConnShape,
    /** The shipped defaults to try (compared by the server only; never printed). */
    passwords: z.array(z.string().min(1)).min(1).max(10),
    /** Users to try besides the deployment's own. */
    users: z.array(z.string().min(1)).default(['postgres']),
  }),
  timeoutMs: 30_000,
  run: (ctx, p, signal) =>
    withTarget(ctx, p, signal, async (t, stop) => {
      const users = [...new Set([t.user, ...p.users])];
      const bad: Evidence[] = [];
      const good: Evidence[] = [];
      const undecided: Evidence[] = [];
      const tries = async (user: string, password: string): Promise<'in' | 'refused' | PgFailure> => {
        try {
          const {client} = await login({...t, user}, password, p.timeoutMs, stop);
          destroy(client);
          return 'in';
        } catch (err) {
          const f = pgFailure(err);
          if (f.kind === 'auth') return 'refused';
          // The server checks the password before it looks for the database.
          if (f.code === '3D000') return 'in';
          return f;
        }
      };
      for (const user of users) {
        let refused = 0;
        for (const [n, password] of p.passwords.entries()) {
          const r = await tries(user, password);
          if (stop.aborted) return result('error', `${t.label}: stopped`);
          const which = `default password ${n + 1} of ${p.passwords.length} (${redact(password)})`;
          if (r === 'refused') refused++;
          else if (r === 'in') {
            // Does it check passwords at all? A random one tells.
            const any = await tries(user, `shipshape-${randomUUID()}`);
            bad.push({
              key: user,
              detail:
                any === 'in'
                  ? `${which} was accepted, and so is any password: the server does not check passwords for this user (trust in pg_hba.conf)`
                  : `${which} was accepted`,
            });
          } else if (r.kind === 'server') undecided.push({key: user, detail: `${which}: ${r.text}`});
          // Not reached, or no TLS where the settings ask for it: nothing was tried.
          else return result('error', `${t.label}: cannot try a login: ${r.text}`, [targetEvidence(t), ...t.evidence]);
        }
        if (refused === p.passwords.length) good.push({key: user, detail: `refused all ${count(p.passwords.length, 'default password')}`});
      }
      const ev = [...bad, ...undecided, ...good, targetEvidence(t), ...t.evidence];
      if (bad.length > 0)
        return result(
          'fail',
          `${t.label} lets in ${count(bad.length, 'login')} with a known default password: change it (ALTER ROLE ... PASSWORD) and in every setting that carries it`,
          ev,
        );
      if (undecided.length > 0) return result('error', `${t.label}: ${count(undecided.length, 'try', 'tries')} ended neither in a refusal nor a login`, ev);
      return result('pass', `${t.label} refused every known default password for ${users.join(', ')}`, ev);
    }),
});

export const connectionBudget = defineCheck({
  id: 'postgres.connection-budget',
  summary:
    'The connections the deployment may open (each pool size x its instances: Compose replicas or `instances`) stay below max_connections minus the connections reserved for superusers (and reserved_connections on PostgreSQL 16+), minus `headroom`.',
  params: z.strictObject({
    ...ConnShape,
    /** Variables holding a pool size (DB_MAX_CONNS, DATABASE_POOL_SIZE, ...). */
    keys: z.array(EnvKey).min(1),
    /** Instances per Compose service or per .env file, when the files cannot say (default: Compose deploy.replicas or scale, else 1). */
    instances: z.record(z.string(), z.number().int().min(0)).default({}),
    /** Pool size of a listed service that sets none of the keys (the client library's default). */
    defaultPool: z.number().int().min(0).optional(),
    /** Connections to keep free for people, migrations and backups. */
    headroom: z.number().int().min(0).default(0),
  }),
  run: async (ctx, p, signal) => {
    const pools = await poolSizes(ctx, p);
    if ('outcome' in pools) return pools.outcome;
    if (pools.entries.length === 0) return result('skip', `no pool size is set (${p.keys.join(', ')} not set in any file read)`);
    const total = pools.entries.reduce((n, e) => n + e.size * e.instances, 0);
    const poolEv: Evidence[] = pools.entries.map((e) => ({
      ...e.evidence,
      detail: `${e.evidence.detail}: ${e.size} x ${count(e.instances, 'instance')} = ${e.size * e.instances}`,
    }));
    return withTarget(ctx, p, signal, (t, stop) =>
      readOnly(t, p.timeoutMs, stop, async (q) => {
        const [row] = await q<{max: string; su: string; reserved: string | null; used: number}>(
          `SELECT current_setting('max_connections') AS max, current_setting('superuser_reserved_connections') AS su, current_setting('reserved_connections', true) AS reserved, (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend') AS used`,
        );
        const max = Number(row?.max);
        const su = Number(row?.su);
        const reserved = Number(row?.reserved ?? 0) || 0;
        const available = max - su - reserved - p.headroom;
        const serverEv: Evidence = {
          key: 'max_connections',
          detail: `${max} - ${su} reserved for superusers${reserved ? ` - ${reserved} reserved_connections` : ''}${p.headroom ? ` - ${p.headroom} headroom` : ''} = ${available} for the deployment; ${row?.used ?? '?'} client connections open now`,
        };
        const ev = [...poolEv, serverEv, targetEvidence(t), ...t.evidence];
        if (total < available) return result('pass', `the pools may open ${total} connections, below the ${available} available`, ev);
        return result(
          'fail',
          `the pools may open ${total} connections, and only ${available} are available: lower the pool sizes or raise max_connections`,
          ev,
        );
      }),
    );
  },
});

interface Pool {
  size: number;
  instances: number;
  evidence: Evidence;
}

/** Each pool: a Compose service setting a key (x its replicas), or a .env file no service reads (x instances). */
async function poolSizes(
  ctx: Context,
  p: {keys: string[]; services?: string[] | undefined; instances: Record<string, number>; defaultPool?: number | undefined},
): Promise<{entries: Pool[]} | {outcome: CheckResult}> {
  const entries: Pool[] = [];
  const parse = (v: string | undefined, where: Evidence): number | CheckResult => {
    const n = Number(v);
    return v !== undefined && /^\s*\d+\s*$/.test(v) ? n : result('error', `${where.key} is "${v ?? ''}", not a whole number`, [where]);
  };
  const compose = await ctx.compose();
  const services = compose ? [...compose.services.values()].filter((s) => !p.services || p.services.includes(s.name)) : [];
  const usesKey = services.filter((s) => p.keys.some((k) => s.environment.has(k)) || (p.defaultPool !== undefined && p.services?.includes(s.name)));
  if (usesKey.length > 0) {
    for (const svc of usesKey) {
      const key = p.keys.find((k) => svc.environment.has(k));
      const v = key ? svc.environment.get(key)! : undefined;
      const where: Evidence = {
        file: v?.file ?? svc.file,
        line: v?.line ?? svc.line,
        key: key ?? svc.name,
        detail: key ? `service ${svc.name} ${key}` : `service ${svc.name} (no pool size set: the default ${p.defaultPool})`,
      };
      const size = v ? parse(v.value, where) : p.defaultPool!;
      if (typeof size !== 'number') return {outcome: size};
      const instances = p.instances[svc.name] ?? (await replicas(ctx, compose!.files, svc.name)) ?? 1;
      entries.push({size, instances, evidence: where});
    }
    return {entries};
  }
  const {occurrences} = await collect(ctx, {keys: p.keys, urls: [], helm: [], services: p.services});
  for (const o of occurrences) {
    const where = evidenceOf(o, `${o.key}`);
    const size = parse(o.value, where);
    if (typeof size !== 'number') return {outcome: size};
    entries.push({size, instances: p.instances[o.file ?? ''] ?? p.instances[o.service ?? ''] ?? 1, evidence: where});
  }
  return {entries};
}

/** `deploy.replicas` or `scale` of a Compose service, the last file that sets it winning. */
async function replicas(ctx: Context, files: string[], service: string): Promise<number | undefined> {
  let n: number | undefined;
  for (const f of files) {
    const y = await ctx.yaml(f).catch(() => undefined);
    const svc = (y?.data as {services?: Record<string, {deploy?: {replicas?: unknown}; scale?: unknown}>} | undefined)?.services?.[service];
    const v = svc?.deploy?.replicas ?? svc?.scale;
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) n = v;
    else if (typeof v === 'string' && /^\d+$/.test(v)) n = Number(v);
  }
  return n;
}
