// Redis, asked directly. These checks need four commands (PING, AUTH, CONFIG GET, ACL GETUSER)
// and their replies, so they speak RESP over a socket themselves rather than add a client: a
// client brings reconnection, command queues, cluster and pub/sub machinery and its own logging,
// all of which would have to be turned off to keep a probe bounded and quiet, while the part of
// the protocol used here is about a hundred lines that can be read whole. Nothing sent writes:
// the commands are read-only, and the connection is closed as soon as the answer is in.
//
// Connection details come from the deployment's settings (REDIS_URL, or REDIS_HOST/PORT/PASSWORD);
// the password goes only into AUTH on the socket. A server's error text after AUTH is never
// passed on (only its first word), so nothing a proxy might echo can reach a report.
import {connect as netConnect, type Socket} from 'node:net';
import {connect as tlsConnect} from 'node:tls';
import {z} from 'zod';
import {EnvKey, evidenceOf} from '../deploy/settings.js';
import type {Context} from '../engine/context.js';
import {redact} from '../engine/redact.js';
import {count, result, type CheckResult, type Evidence} from '../model/types.js';
import {defineCheck} from './define.js';
import {bounded, decoded, firstSettings, hostPort, probeRefusal, reachFromHere, ReachShape} from './postgres.js';
import {describeSocketError} from './socketError.js';
import {ipFamily} from '../deploy/ip.js';

// ---------------------------------------------------------------- RESP

export type Reply =
  | {kind: 'simple'; text: string}
  | {kind: 'error'; text: string}
  | {kind: 'int'; n: number}
  | {kind: 'bulk'; text: string | null}
  | {kind: 'array'; items: Reply[] | null};

/** A reply larger than this is refused: the answers asked for here are small. */
const MAX_REPLY_BYTES = 1024 * 1024;

/** One RESP2 value from `buf` at `at`: the value and where the next begins, or undefined when more bytes are needed. */
export function parseReply(buf: Buffer, at = 0, depth = 0): {reply: Reply; next: number} | undefined {
  if (depth > 8) throw new Error('the reply nests too deeply');
  const eol = buf.indexOf('\r\n', at);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[at]!);
  const line = buf.toString('utf8', at + 1, eol);
  const next = eol + 2;
  switch (type) {
    case '+':
      return {reply: {kind: 'simple', text: line}, next};
    case '-':
      return {reply: {kind: 'error', text: line}, next};
    case ':':
      return {reply: {kind: 'int', n: Number(line)}, next};
    case '$': {
      const len = Number(line);
      if (len === -1) return {reply: {kind: 'bulk', text: null}, next};
      if (!Number.isInteger(len) || len < 0 || len > MAX_REPLY_BYTES) throw new Error(`a bulk reply of length ${line}`);
      if (buf.length < next + len + 2) return undefined;
      return {reply: {kind: 'bulk', text: buf.toString('utf8', next, next + len)}, next: next + len + 2};
    }
    case '*': {
      const n = Number(line);
      if (n === -1) return {reply: {kind: 'array', items: null}, next};
      if (!Number.isInteger(n) || n < 0 || n > 10_000) throw new Error(`an array reply of ${line} items`);
      const items: Reply[] = [];
      let pos = next;
      for (let i = 0; i < n; i++) {
        const r = parseReply(buf, pos, depth + 1);
        if (!r) return undefined;
        items.push(r.reply);
        pos = r.next;
      }
      return {reply: {kind: 'array', items}, next: pos};
    }
    default:
      throw new Error('the server does not speak RESP (is this Redis?)');
  }
}

export function encodeCommand(args: readonly string[]): Buffer {
  const parts = [`*${args.length}\r\n`];
  for (const a of args) parts.push(`$${Buffer.byteLength(a)}\r\n${a}\r\n`);
  return Buffer.from(parts.join(''));
}

/** One socket, one command at a time, closed when the check's signal aborts. */
class Resp {
  private buf = Buffer.alloc(0);
  private waiting: {resolve: (r: Reply) => void; reject: (e: Error) => void} | undefined;
  private failed: Error | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      if (this.buf.length > MAX_REPLY_BYTES + 64) this.fail(new Error('the reply is too large'));
      else this.drain();
    });
    socket.on('error', (err) => this.fail(new Error(describeSocketError(err))));
    socket.on('close', () => this.fail(new Error('the server closed the connection')));
  }

  static open(host: string, port: number, tls: boolean, stop: AbortSignal): Promise<Resp> {
    return new Promise((resolve, reject) => {
      const socket = tls ? tlsConnect({host, port, ...(ipFamily(host) === 0 ? {servername: host} : {})}) : netConnect({host, port});
      const onStop = () => {
        socket.destroy();
        reject(new Error('stopped'));
      };
      stop.addEventListener('abort', onStop, {once: true});
      socket.once('close', () => stop.removeEventListener('abort', onStop));
      socket.once('error', (err) => {
        socket.destroy();
        reject(Object.assign(new Error(describeSocketError(err)), {code: (err as NodeJS.ErrnoException).code}));
      });
      socket.once(tls ? 'secureConnect' : 'connect', () => resolve(new Resp(socket)));
    });
  }

  send(args: readonly string[]): Promise<Reply> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.waiting = {resolve, reject};
      this.socket.write(encodeCommand(args));
      this.drain();
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private drain(): void {
    if (!this.waiting || this.buf.length === 0) return;
    let parsed: ReturnType<typeof parseReply>;
    try {
      parsed = parseReply(this.buf);
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    if (!parsed) return;
    this.buf = this.buf.subarray(parsed.next);
    const w = this.waiting;
    this.waiting = undefined;
    w.resolve(parsed.reply);
  }

  private fail(err: Error): void {
    this.failed ??= err;
    this.socket.destroy();
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(err);
  }
}

// ---------------------------------------------------------------- the deployment's Redis

const ConnShape = {
  /** Variables holding a redis:// or rediss:// URL; the first one set wins. */
  urlKeys: z.array(EnvKey).default(['REDIS_URL']),
  hostKey: EnvKey.default('REDIS_HOST'),
  portKey: EnvKey.default('REDIS_PORT'),
  userKey: EnvKey.default('REDIS_USERNAME'),
  passwordKey: EnvKey.default('REDIS_PASSWORD'),
  ...ReachShape,
};
type Conn = z.output<z.ZodObject<typeof ConnShape>>;

interface Target {
  host: string;
  port: number;
  tls: boolean;
  user?: string | undefined;
  password?: string | undefined;
  label: string;
  evidence: Evidence[];
}

async function resolveTarget(ctx: Context, p: Conn): Promise<{target: Target} | {outcome: CheckResult}> {
  const s = await firstSettings(ctx, [...p.urlKeys, p.hostKey, p.portKey, p.userKey, p.passwordKey], p.services);
  const urlOcc = p.urlKeys.map((k) => s.get(k)).find((o) => o !== undefined);
  const evidence: Evidence[] = [];
  let host = s.get(p.hostKey)?.value;
  let port = s.get(p.portKey)?.value;
  let user = s.get(p.userKey)?.value;
  let password: string | undefined;
  let tls = false;
  if (urlOcc) {
    let url: URL;
    try {
      url = new URL(urlOcc.value!);
    } catch {
      return {outcome: result('error', `${urlOcc.key} is not a URL this check can read`, [evidenceOf(urlOcc, 'not a readable URL')])};
    }
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
      return {
        outcome: result('error', `${urlOcc.key} is a ${url.protocol.replace(/:$/, '')} URL, not redis://`, [evidenceOf(urlOcc, `scheme ${url.protocol}`)]),
      };
    tls = url.protocol === 'rediss:';
    if (url.hostname) host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (url.port) port = url.port;
    user = decoded(url.username) ?? user;
    password = decoded(url.password);
    evidence.push(evidenceOf(urlOcc, 'the connection URL'));
  }
  const pass0 = s.get(p.passwordKey);
  if (password === undefined && pass0) {
    password = pass0.value;
    evidence.push(evidenceOf(pass0, `the password (${redact(password)})`));
  }
  if (!urlOcc && host === undefined)
    return {outcome: result('skip', `no Redis settings to connect with (${[...p.urlKeys, p.hostKey].join(', ')} are not set in any file read)`)};
  const portNum = Number(port ?? 6379);
  if (!Number.isInteger(portNum) || portNum < 1 || portNum > 65535)
    return {outcome: result('error', `the Redis port "${port}" is not a port number`, evidence)};
  const reached = await reachFromHere(ctx, host ?? '127.0.0.1', portNum, p);
  if ('skip' in reached) return {outcome: result('skip', reached.skip, [...evidence, ...(reached.evidence ?? [])])};
  if (reached.via) evidence.push({key: 'reached via', detail: reached.via});
  return {target: {host: reached.host, port: reached.port, tls, user, password, label: `Redis at ${hostPort(reached.host, reached.port)}`, evidence}};
}

function targetEvidence(t: Target): Evidence {
  const who = t.password === undefined ? 'no password in the settings' : `user ${t.user ?? 'default'}, password ${redact(t.password)}`;
  return {key: 'target', detail: `${t.label}${t.tls ? ' over TLS' : ''}, ${who}`};
}

/** What a session learned before the check's own question. */
interface Session {
  r: Resp;
  /** The unauthenticated PING's answer: PONG, NOAUTH, DENIED... */
  anonymous: Reply;
  /** After AUTH with the deployment's credentials: true, or the first word of the refusal; undefined when there are none. */
  auth: true | string | undefined;
}

/** The first word of a server error (`NOAUTH`, `WRONGPASS`, `ERR`), never the rest. */
const firstWord = (r: Reply): string => (r.kind === 'error' ? (r.text.split(/\s/)[0] ?? 'ERR') : r.kind);

/** Connects, PINGs without credentials, then AUTHs with the deployment's when it has them. */
async function withSession(
  ctx: Context,
  p: Conn,
  signal: AbortSignal,
  authenticate: boolean,
  ask: (s: Session, t: Target, ev: Evidence[]) => Promise<CheckResult>,
): Promise<CheckResult> {
  const resolved = await resolveTarget(ctx, p);
  if ('outcome' in resolved) return resolved.outcome;
  const t = resolved.target;
  const ev = [targetEvidence(t), ...t.evidence];
  const refusal = probeRefusal(ctx, 'Redis', t.host, t.port);
  if (refusal) return result('skip', refusal);
  return bounded(
    t.label,
    p.timeoutMs,
    signal,
    async (stop) => {
      let r: Resp;
      try {
        r = await Resp.open(t.host, t.port, t.tls, stop);
      } catch (err) {
        const refused = (err as {code?: string}).code === 'ECONNREFUSED';
        return result(
          'error',
          `${t.label}: cannot connect: ${refused ? 'connection refused: nothing listens there, or a firewall rejects' : (err as Error).message}`,
          ev,
        );
      }
      try {
        const anonymous = await r.send(['PING']);
        let auth: Session['auth'];
        // Only a server that refused the anonymous PING needs the credentials.
        if (authenticate && t.password !== undefined && firstWord(anonymous) === 'NOAUTH') {
          const a = await r.send(t.user && t.user !== 'default' ? ['AUTH', t.user, t.password] : ['AUTH', t.password]);
          auth = a.kind === 'simple' ? true : firstWord(a);
        }
        return await ask({r, anonymous, auth}, t, ev);
      } catch (err) {
        return result('error', `${t.label}: ${(err as Error).message}`, ev);
      } finally {
        r.close();
      }
    },
    ev,
  );
}

/** What the unauthenticated PING says about passwords, in words. */
function anonymousWords(a: Reply): {refused: boolean; words: string} {
  if (a.kind === 'simple' && a.text === 'PONG') return {refused: false, words: 'answers PING without a password'};
  const w = firstWord(a);
  if (w === 'NOAUTH') return {refused: true, words: 'refuses an unauthenticated PING (NOAUTH)'};
  if (w === 'DENIED') return {refused: false, words: 'has no password: only protected mode turns away clients from other hosts (DENIED)'};
  return {refused: false, words: `answered an unauthenticated PING with ${w}`};
}

function authProblem(t: Target, s: Session, ev: Evidence[], what: string): CheckResult | undefined {
  if (s.auth === undefined || s.auth === true) return undefined;
  return result('error', `${t.label} refused the deployment's credentials (${s.auth}), so ${what} cannot be read`, ev);
}

// ---------------------------------------------------------------- checks

export const requiresPassword = defineCheck({
  id: 'redis.requires-password',
  summary:
    'An unauthenticated PING is refused with NOAUTH: the server asks every client for a password (requirepass, or an ACL default user that is off or passworded).',
  params: z.strictObject({...ConnShape}),
  run: (ctx, p, signal) =>
    withSession(ctx, p, signal, false, async (s, t, ev) => {
      const a = anonymousWords(s.anonymous);
      if (a.refused) return result('pass', `${t.label} ${a.words}`, ev);
      const w = firstWord(s.anonymous);
      if (s.anonymous.kind === 'error' && w !== 'DENIED') return result('error', `${t.label} ${a.words}`, ev);
      return result('fail', `${t.label} ${a.words}: set requirepass, or give the default user a password or turn it off (ACL SETUSER default off)`, ev);
    }),
});

export const protectedMode = defineCheck({
  id: 'redis.protected-mode',
  summary:
    "protected-mode is on (CONFIG GET, logged in with the deployment's credentials). Off with a password required is a warning: protected mode only guards a server without one.",
  params: z.strictObject({...ConnShape}),
  run: (ctx, p, signal) =>
    withSession(ctx, p, signal, true, async (s, t, ev) => {
      const bad = authProblem(t, s, ev, 'protected-mode');
      if (bad) return bad;
      const reply = await s.r.send(['CONFIG', 'GET', 'protected-mode']);
      if (reply.kind === 'error') {
        const w = firstWord(reply);
        if (w === 'ERR' && /unknown command/i.test(reply.text))
          return result('skip', `${t.label}: CONFIG is renamed or disabled (rename-command), so protected-mode cannot be read; that is itself a hardening`, ev);
        if (w === 'NOPERM') return result('error', `${t.label}: the deployment's user may not run CONFIG GET (NOPERM)`, ev);
        if (w === 'NOAUTH') return result('error', `${t.label} requires a password and the settings give none, so protected-mode cannot be read`, ev);
        return result('error', `${t.label}: CONFIG GET protected-mode was refused (${w})`, ev);
      }
      const items = reply.kind === 'array' ? (reply.items ?? []) : [];
      const value = items[1]?.kind === 'bulk' ? items[1].text : undefined;
      const here = [{key: 'protected-mode', detail: value ?? 'not reported'}, ...ev];
      if (value === 'yes') return result('pass', `${t.label}: protected-mode is on`, here);
      if (value !== 'no') return result('error', `${t.label}: CONFIG GET protected-mode gave no value`, here);
      const a = anonymousWords(s.anonymous);
      if (a.refused) return result('warn', `${t.label}: protected-mode is off; it only guards a server without a password, and this one ${a.words}`, here);
      return result('fail', `${t.label}: protected-mode is off and the server ${a.words}: anyone who reaches the port gets in`, here);
    }),
});

export const defaultUser = defineCheck({
  id: 'redis.default-user',
  summary:
    "The ACL default user is off or has a password (ACL GETUSER default, logged in with the deployment's credentials); on Redis before 6, or where ACL may not be read, an unauthenticated PING's NOAUTH decides.",
  params: z.strictObject({...ConnShape}),
  run: (ctx, p, signal) =>
    withSession(ctx, p, signal, true, async (s, t, ev) => {
      const a = anonymousWords(s.anonymous);
      const fallback = (why: string): CheckResult =>
        a.refused
          ? result('pass', `${t.label} ${a.words}: the default user is off or passworded (${why})`, ev)
          : result('fail', `${t.label} ${a.words}: the default user needs no password (${why})`, ev);
      if (s.auth !== undefined && s.auth !== true) return fallback(`the deployment's credentials were refused (${s.auth}), so ACL could not be read`);
      const reply = await s.r.send(['ACL', 'GETUSER', 'default']);
      if (reply.kind === 'error') {
        const w = firstWord(reply);
        if (w === 'ERR' && /unknown command/i.test(reply.text)) return fallback('this Redis has no ACL: before 6.0');
        return fallback(`ACL GETUSER was refused: ${w}`);
      }
      if (reply.kind !== 'array' || !reply.items) return fallback('ACL GETUSER gave no user');
      const fields = new Map<string, Reply>();
      for (let i = 0; i + 1 < reply.items.length; i += 2) {
        const k = reply.items[i]!;
        if (k.kind === 'bulk' || k.kind === 'simple') fields.set(k.text ?? '', reply.items[i + 1]!);
      }
      const words = (r: Reply | undefined): string[] =>
        r?.kind === 'array' ? (r.items ?? []).flatMap((x) => ((x.kind === 'bulk' || x.kind === 'simple') && x.text !== null ? [x.text] : [])) : [];
      const flags = words(fields.get('flags'));
      // Password hashes: counted, never shown (a hash of a weak password is as good as the password).
      const passwords = words(fields.get('passwords')).length;
      const here = [{key: 'ACL default', detail: `flags ${flags.join(' ') || 'none'}; ${count(passwords, 'password')}`}, ...ev];
      if (flags.includes('off')) return result('pass', `${t.label}: the default user is off`, here);
      if (flags.includes('nopass'))
        return result('fail', `${t.label}: the default user is on and needs no password (nopass): ACL SETUSER default off, or resetpass and a password`, here);
      if (passwords > 0) return result('pass', `${t.label}: the default user is on with ${count(passwords, 'password')}`, here);
      return result('pass', `${t.label}: the default user is on but has no password it would accept, so nobody can log in as it`, here);
    }),
});
