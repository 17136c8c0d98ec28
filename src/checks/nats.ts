// NATS, asked directly. nats.version reads the INFO line every server sends before a client says
// anything, so the version is known without logging in at all; nats.auth-required and
// nats.stream-replicas use nats.js (@nats-io/transport-node, @nats-io/jetstream). Nothing is
// published and nothing subscribes: the only requests are JetStream's read-only $JS.API.INFO and
// STREAM.INFO. Connections never reconnect and are closed as soon as the answer is in.
//
// Connection details come from the deployment's settings (NATS_URL, or NATS_USER/PASSWORD/TOKEN);
// credentials go only into nats.js's CONNECT on the socket, never into a server URL it could print.
import {connect as netConnect, type Socket} from 'node:net';
import type {NatsConnection} from '@nats-io/transport-node';
import {z} from 'zod';
import {EnvKey, evidenceOf} from '../deploy/settings.js';
import type {Context} from '../engine/context.js';
import {redact} from '../engine/redact.js';
import {count, result, type CheckResult, type Evidence} from '../model/types.js';
import {errorMessage} from '../sources/errors.js';
import {defineCheck} from './define.js';
import {bounded, compareVersions, decoded, firstSettings, hostPort, probeRefusal, reachFromHere, ReachShape} from './postgres.js';
import {describeSocketError} from './socketError.js';

const ConnShape = {
  /** Variables holding a nats:// or tls:// URL (a comma list: the first server); the first one set wins. */
  urlKeys: z.array(EnvKey).default(['NATS_URL']),
  userKey: EnvKey.default('NATS_USER'),
  passwordKey: EnvKey.default('NATS_PASSWORD'),
  tokenKey: EnvKey.default('NATS_TOKEN'),
  ...ReachShape,
};
type Conn = z.output<z.ZodObject<typeof ConnShape>>;

interface Target {
  host: string;
  port: number;
  tls: boolean;
  user?: string | undefined;
  password?: string | undefined;
  token?: string | undefined;
  label: string;
  evidence: Evidence[];
}

async function resolveTarget(ctx: Context, p: Conn): Promise<{target: Target} | {outcome: CheckResult}> {
  const s = await firstSettings(ctx, [...p.urlKeys, p.userKey, p.passwordKey, p.tokenKey], p.services);
  const urlOcc = p.urlKeys.map((k) => s.get(k)).find((o) => o !== undefined);
  if (!urlOcc) return {outcome: result('skip', `no NATS settings to connect with (${p.urlKeys.join(', ')} not set in any file read)`)};
  const evidence: Evidence[] = [evidenceOf(urlOcc, 'the server URL')];
  const first = (urlOcc.value ?? '').split(',')[0]!.trim();
  let url: URL;
  try {
    // A bare host:port is what nats.js accepts too.
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(first) ? first : `nats://${first}`);
  } catch {
    return {outcome: result('error', `${urlOcc.key} is not a URL this check can read`, [evidenceOf(urlOcc, 'not a readable URL')])};
  }
  if (url.protocol !== 'nats:' && url.protocol !== 'tls:')
    return {outcome: result('error', `${urlOcc.key} is a ${url.protocol.replace(/:$/, '')} URL; this check speaks nats:// and tls:// only`, evidence)};
  let user = decoded(url.username);
  let password = decoded(url.password);
  let token: string | undefined;
  for (const [key, set] of [
    [p.userKey, (v: string) => (user ??= v)],
    [p.passwordKey, (v: string) => (password ??= v)],
    [p.tokenKey, (v: string) => (token ??= v)],
  ] as const) {
    const o = s.get(key);
    if (!o?.value) continue;
    set(o.value);
    evidence.push(evidenceOf(o, key === p.userKey ? `user ${o.value}` : `a credential (${redact(o.value)})`));
  }
  // nats://TOKEN@host: a user with no password anywhere is a token.
  if (user !== undefined && password === undefined && token === undefined) {
    token = user;
    user = undefined;
  }
  const port = Number(url.port || 4222);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  const reached = await reachFromHere(ctx, host, port, p);
  if ('skip' in reached) return {outcome: result('skip', reached.skip, [...evidence, ...(reached.evidence ?? [])])};
  if (reached.via) evidence.push({key: 'reached via', detail: reached.via});
  return {
    target: {
      host: reached.host,
      port: reached.port,
      tls: url.protocol === 'tls:',
      user,
      password,
      token,
      label: `NATS at ${hostPort(reached.host, reached.port)}`,
      evidence,
    },
  };
}

function targetEvidence(t: Target): Evidence {
  const who =
    t.token !== undefined
      ? `a token (${redact(t.token)})`
      : t.user !== undefined
        ? `user ${t.user}, password ${redact(t.password)}`
        : 'no credentials in the settings';
  return {key: 'target', detail: `${t.label}${t.tls ? ' over TLS' : ''}, ${who}`};
}

async function gate(
  ctx: Context,
  p: Conn,
  signal: AbortSignal,
  ask: (t: Target, ev: Evidence[], stop: AbortSignal) => Promise<CheckResult>,
): Promise<CheckResult> {
  const resolved = await resolveTarget(ctx, p);
  if ('outcome' in resolved) return resolved.outcome;
  const t = resolved.target;
  const ev = [targetEvidence(t), ...t.evidence];
  const refusal = probeRefusal(ctx, 'NATS', t.host, t.port);
  if (refusal) return result('skip', refusal);
  return bounded(t.label, p.timeoutMs, signal, (stop) => ask(t, ev, stop), ev);
}

type Failure = {kind: 'auth' | 'refused' | 'other'; text: string};

function natsFailure(err: unknown): Failure {
  const msg = errorMessage(err);
  const name = (err as {name?: string}).name;
  const cause = (err as {cause?: unknown}).cause;
  const code = (err as {code?: unknown}).code ?? (cause as {code?: unknown} | undefined)?.code;
  if (name === 'AuthorizationError' || /authorization violation|authentication/i.test(msg)) return {kind: 'auth', text: 'Authorization Violation'};
  if (code === 'ECONNREFUSED' || /ECONNREFUSED|connection refused/i.test(msg))
    return {kind: 'refused', text: 'connection refused: nothing listens there, or a firewall rejects'};
  return {kind: 'other', text: cause ? `${msg}: ${describeSocketError(cause)}` : msg};
}

/**
 * One nats.js connection: no reconnects, its own timeout inside ours, and closed when the check
 * stops (a connect still pending then is closed the moment it settles).
 */
async function open(t: Target, creds: boolean, ms: number, stop: AbortSignal): Promise<NatsConnection> {
  const {connect} = await import('@nats-io/transport-node');
  const pending = connect({
    servers: [hostPort(t.host, t.port)],
    name: 'shipshape',
    timeout: ms,
    reconnect: false,
    maxReconnectAttempts: 0,
    noEcho: true,
    pingInterval: 60 * 60 * 1000,
    ...(t.tls ? {tls: {}} : {}),
    ...(creds && t.token !== undefined ? {token: t.token} : {}),
    ...(creds && t.user !== undefined ? {user: t.user, pass: t.password ?? ''} : {}),
  });
  const late = () => void pending.then((nc) => nc.close()).catch(() => {});
  stop.addEventListener('abort', late, {once: true});
  try {
    const nc = await pending;
    if (stop.aborted) await nc.close().catch(() => {});
    return nc;
  } finally {
    stop.removeEventListener('abort', late);
  }
}

const TRUE = new Set(['true', '1', 'yes', 'on']);

export const authRequired = defineCheck({
  id: 'nats.auth-required',
  summary:
    'A connection without credentials is refused (Authorization Violation). With `enabledBy` (e.g. NATS_ACCOUNTS_ENABLED, NATS_JWT_ENABLED), it is asked only when one of those settings is true.',
  params: z.strictObject({
    ...ConnShape,
    /** Settings that turn accounts or JWT auth on; when given and none is true, the check skips. */
    enabledBy: z.array(EnvKey).default([]),
  }),
  run: async (ctx, p, signal) => {
    if (p.enabledBy.length > 0) {
      const s = await firstSettings(ctx, p.enabledBy, p.services);
      const on = p.enabledBy.map((k) => s.get(k)).filter((o) => o !== undefined && TRUE.has((o.value ?? '').trim().toLowerCase()));
      if (on.length === 0) {
        const seen = [...s.values()].map((o) => evidenceOf(o, `${o.key}=${o.value}`));
        return result('skip', `accounts and JWT auth are not turned on (${p.enabledBy.join(', ')}): nothing here asks NATS for credentials`, seen);
      }
    }
    return gate(ctx, p, signal, async (t, ev, stop) => {
      let nc: NatsConnection;
      try {
        nc = await open(t, false, p.timeoutMs, stop);
      } catch (err) {
        const f = natsFailure(err);
        if (f.kind === 'auth') return result('pass', `${t.label} refuses a connection without credentials (${f.text})`, ev);
        return result('error', `${t.label}: cannot connect: ${f.text}`, ev);
      }
      const server = nc.info;
      await nc.close().catch(() => {});
      return result('fail', `${t.label} accepts a connection without credentials: turn on accounts or JWT auth, and remove any no_auth_user`, [
        {
          key: 'server',
          detail: `NATS ${server?.version ?? '?'}${server?.auth_required ? ', auth_required, yet an anonymous client got in (no_auth_user?)' : ', no authentication required'}`,
        },
        ...ev,
      ]);
    });
  },
});

export const streamReplicas = defineCheck({
  id: 'nats.stream-replicas',
  summary:
    "Each JetStream stream's replica count (STREAM.INFO config.num_replicas) equals the expected R: a number, or a setting such as NATS_STREAM_REPLICAS.",
  params: z
    .strictObject({
      ...ConnShape,
      streams: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).transform((s) => (Array.isArray(s) ? s : [s])),
      replicas: z.number().int().min(1).max(5).optional(),
      /** A setting holding the expected R (read like any other setting). */
      replicasKey: EnvKey.optional(),
    })
    .refine((p) => p.replicas !== undefined || p.replicasKey !== undefined, {message: 'give replicas or replicasKey'}),
  run: async (ctx, p, signal) => {
    let want = p.replicas;
    const wantEv: Evidence[] = [];
    if (want === undefined) {
      const o = (await firstSettings(ctx, [p.replicasKey!], p.services)).get(p.replicasKey!);
      if (!o) return result('skip', `${p.replicasKey} is not set in any file read: no expected replica count`);
      want = Number(o.value);
      if (!Number.isInteger(want) || want < 1 || want > 5)
        return result('error', `${p.replicasKey} is "${o.value}", not a replica count from 1 to 5`, [evidenceOf(o, 'not a replica count')]);
      wantEv.push(evidenceOf(o, `expects R=${want}`));
    }
    const expected = want;
    return gate(ctx, p, signal, async (t, ev0, stop) => {
      const ev = [...wantEv, ...ev0];
      let nc: NatsConnection;
      try {
        nc = await open(t, true, p.timeoutMs, stop);
      } catch (err) {
        const f = natsFailure(err);
        if (f.kind === 'auth') return result('fail', `${t.label} refused the deployment's credentials (${f.text})`, ev);
        return result('error', `${t.label}: cannot connect: ${f.text}`, ev);
      }
      try {
        const {jetstreamManager} = await import('@nats-io/jetstream');
        let jsm: Awaited<ReturnType<typeof jetstreamManager>>;
        try {
          jsm = await jetstreamManager(nc, {timeout: p.timeoutMs});
        } catch (err) {
          return result('fail', `${t.label}: JetStream is not enabled for this account (${errorMessage(err)})`, ev);
        }
        const bad: Evidence[] = [];
        const good: Evidence[] = [];
        for (const name of p.streams) {
          try {
            const info = await jsm.streams.info(name);
            const r = info.config.num_replicas ?? 1;
            const peers = info.cluster
              ? `; cluster ${info.cluster.name ?? '?'}, leader ${info.cluster.leader ?? '?'}, ${count((info.cluster.replicas ?? []).length, 'follower')}`
              : '';
            (r === expected ? good : bad).push({key: name, detail: `R=${r}${r === expected ? '' : `, expected ${expected}`}${peers}`});
          } catch (err) {
            const code = (err as {code?: number}).code;
            if (code === 10059 || /stream not found/i.test(errorMessage(err))) bad.push({key: name, detail: 'no such stream'});
            else return result('error', `${t.label}: STREAM.INFO ${name} failed: ${errorMessage(err)}`, ev);
          }
        }
        if (bad.length > 0) {
          return result(
            'fail',
            `${count(bad.length, 'stream')} of ${p.streams.length} ${bad.length === 1 ? 'is' : 'are'} not at R=${expected}: ${bad.map((e) => `${e.key} (${e.detail.split(';')[0]})`).join(', ')}`,
            [...bad, ...good, ...ev],
          );
        }
        return result('pass', `${p.streams.length === 1 ? `stream ${p.streams[0]} has` : `all ${p.streams.length} streams have`} R=${expected}`, [
          ...good,
          ...ev,
        ]);
      } finally {
        await nc.close().catch(() => {});
      }
    });
  },
});

interface ServerInfo {
  version?: string;
  server_name?: string;
  jetstream?: boolean;
  auth_required?: boolean;
  tls_required?: boolean;
  go?: string;
}

/** The INFO line a NATS server sends on accept, before any credentials: read, then the socket is closed. */
function readInfo(host: string, port: number, stop: AbortSignal): Promise<ServerInfo> {
  return new Promise((resolve, reject) => {
    const socket: Socket = netConnect({host, port});
    let buf = '';
    const done = (err?: Error, info?: ServerInfo) => {
      stop.removeEventListener('abort', onStop);
      socket.destroy();
      if (err) reject(err);
      else resolve(info!);
    };
    const onStop = () => done(new Error('stopped'));
    stop.addEventListener('abort', onStop, {once: true});
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      buf += d;
      const eol = buf.indexOf('\r\n');
      if (eol < 0) {
        if (buf.length > 64 * 1024) done(new Error('no INFO line in the first 64 KiB: is this NATS?'));
        return;
      }
      const line = buf.slice(0, eol);
      if (!line.startsWith('INFO ')) return done(new Error('the server did not start with INFO: is this NATS?'));
      try {
        done(undefined, JSON.parse(line.slice(5)) as ServerInfo);
      } catch {
        done(new Error('the INFO line is not JSON'));
      }
    });
    socket.on('error', (err) => done(Object.assign(new Error(describeSocketError(err)), {code: (err as NodeJS.ErrnoException).code})));
    socket.on('end', () => done(new Error('the server closed the connection before INFO')));
  });
}

export const version = defineCheck({
  id: 'nats.version',
  summary:
    'The server answers and its version (from the INFO it sends before any login) is at least `min`; also reports JetStream, auth_required and tls_required.',
  params: z.strictObject({
    ...ConnShape,
    min: z
      .string()
      .regex(/^\d+(\.\d+){0,2}$/, 'a version such as 2.10.0')
      .optional(),
  }),
  run: (ctx, p, signal) =>
    gate(ctx, p, signal, async (t, ev, stop) => {
      let info: ServerInfo;
      try {
        info = await readInfo(t.host, t.port, stop);
      } catch (err) {
        const refused = (err as {code?: string}).code === 'ECONNREFUSED';
        return result(
          'error',
          `${t.label}: cannot read its INFO: ${refused ? 'connection refused: nothing listens there, or a firewall rejects' : errorMessage(err)}`,
          ev,
        );
      }
      const v = info.version ?? '?';
      const flags = [
        info.jetstream ? 'JetStream on' : 'JetStream off',
        info.auth_required ? 'auth required' : 'no auth required',
        info.tls_required ? 'TLS required' : 'TLS not required',
      ];
      const here = [
        {key: 'version', detail: `NATS ${v}${info.server_name ? ` (${info.server_name})` : ''}${info.go ? `, ${info.go}` : ''}; ${flags.join(', ')}`},
        ...ev,
      ];
      if (p.min && (info.version === undefined || compareVersions(info.version, p.min) < 0))
        return result('fail', `${t.label} runs NATS ${v}, older than ${p.min}: upgrade it`, here);
      return result('pass', `${t.label} answers: NATS ${v}${p.min ? `, at least ${p.min}` : ''}; ${flags.join(', ')}`, here);
    }),
});
