// node:http/https rather than global fetch: Node 20's fetch cannot be given a CA or told to skip
// verification without undici's Agent (not a dependency), and it hides the raw status of a
// redirect, which http.redirects-to-https exists to look at. node:http never follows redirects.
import * as http from 'node:http';
import * as https from 'node:https';
import {readFile} from 'node:fs/promises';
import {isAbsolute} from 'node:path';
import {z} from 'zod';
import type {Context} from '../engine/context.js';
import {result, type CheckResult, type Evidence} from '../model/types.js';
import {defineCheck} from './define.js';
import {errorMessage} from '../sources/errors.js';
import {EnvKey} from '../deploy/settings.js';
import {withDeadline} from '../deploy/deadline.js';
import {describeSocketError} from './socketError.js';

// Every export of this module is registered as a check by src/checks/index.ts, so helpers stay private.

/** Enough for any health or status document; a larger body is cut and said to be. */
const MAX_BODY = 1024 * 1024;

/** http(s) only, and no user:password@ in it: credentials come from the environment, never the pack. */
const HttpUrl = z.string().refine((s) => {
  if (!URL.canParse(s)) return false;
  const u = new URL(s);
  return (u.protocol === 'http:' || u.protocol === 'https:') && u.username === '' && u.password === '';
}, 'an http:// or https:// URL without user:password (send credentials with auth)');

const Common = {
  url: HttpUrl,
  /** Bounds connect, TLS, headers and body together. */
  timeoutMs: z.number().int().min(50).max(120_000).default(5_000),
  /** PEM bundle of the CA(s) to trust instead of Node's root store (relative to the root, or absolute). */
  caFile: z.string().min(1).optional(),
  /** Skip certificate verification, for a self-signed test endpoint; the evidence says so. */
  insecure: z.boolean().default(false),
};

const notBoth = (p: {caFile?: string | undefined; insecure: boolean}) => !(p.caFile !== undefined && p.insecure);
const NOT_BOTH = {message: 'give caFile or insecure, not both'};

interface Reply {
  status: number;
  statusText: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  truncated: boolean;
}

type Outcome = {ok: true; reply: Reply} | {ok: false; why: string};

interface RequestOptions {
  method: 'GET' | 'HEAD';
  headers?: Record<string, string>;
  ca?: string | undefined;
  insecure?: boolean;
  timeoutMs: number;
  signal: AbortSignal;
  /** False: settle on the status line and headers, and drop the connection. */
  body: boolean;
}

/** `host:port` with the scheme's default port spelled out; IPv6 stays bracketed. */
function endpoint(u: URL): string {
  return `${u.hostname}:${u.port || (u.protocol === 'https:' ? 443 : 80)}`;
}

/** The URL for messages: a query string may carry a token, so only its presence shows. */
function shown(u: URL): string {
  return `${u.origin}${u.pathname}${u.search ? '?…' : ''}`;
}

/** One request, never followed, under a deadline and the caller's signal; never rejects. */
function send(url: URL, o: RequestOptions): Promise<Outcome> {
  return withDeadline<Outcome>(
    (signal) =>
      new Promise<Outcome>((resolve) => {
        let req: http.ClientRequest | undefined;
        let settled = false;
        const finish = (out: Outcome) => {
          if (settled) return;
          settled = true;
          signal.removeEventListener('abort', stop);
          req?.destroy();
          resolve(out);
        };
        // The deadline or the caller won: drop the connection; the outcome is theirs.
        const stop = () => finish({ok: false, why: 'stopped'});
        signal.addEventListener('abort', stop, {once: true});
        const tlsOptions = url.protocol === 'https:' ? {ca: o.ca, rejectUnauthorized: !o.insecure} : {};
        try {
          // agent: false: one connection per check, closed after, so no pool outlives the run.
          req = (url.protocol === 'https:' ? https : http).request(url, {method: o.method, headers: o.headers, agent: false, ...tlsOptions});
        } catch (err) {
          return finish({ok: false, why: describeSocketError(err)});
        }
        req.on('error', (err) => finish({ok: false, why: describeSocketError(err)}));
        req.on('response', (res) => {
          const reply: Reply = {
            status: res.statusCode ?? 0,
            statusText: res.statusMessage ?? '',
            headers: res.headers,
            body: Buffer.alloc(0),
            truncated: false,
          };
          if (!o.body || o.method === 'HEAD') return finish({ok: true, reply});
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            chunks.push(chunk);
            size += chunk.length;
            if (size > MAX_BODY) {
              reply.body = Buffer.concat(chunks).subarray(0, MAX_BODY);
              reply.truncated = true;
              finish({ok: true, reply});
            }
          });
          res.on('end', () => {
            reply.body = Buffer.concat(chunks);
            finish({ok: true, reply});
          });
          res.on('error', (err) => finish({ok: false, why: describeSocketError(err)}));
          res.on('aborted', () => finish({ok: false, why: 'the server closed the connection mid-body'}));
        });
        req.end();
      }),
    o.timeoutMs,
    () => ({ok: false, why: `no complete response within ${o.timeoutMs} ms`}),
    o.signal,
    () => ({ok: false, why: 'stopped before the response arrived'}),
  );
}

async function readCa(ctx: Context, path: string | undefined): Promise<{ca?: string; error?: string; evidence: Evidence[]}> {
  if (path === undefined) return {evidence: []};
  const abs = isAbsolute(path) ? path : ctx.abs(path);
  const rel = ctx.rel(abs);
  const file = isAbsolute(path) && rel.startsWith('..') ? path : rel;
  try {
    return {ca: await readFile(abs, 'utf8'), evidence: [{file, detail: 'CA bundle trusted instead of the root store'}]};
  } catch (err) {
    const why = (err as {code?: unknown}).code === 'ENOENT' ? 'does not exist' : `cannot read: ${describeSocketError(err)}`;
    return {error: `caFile ${file} ${why}`, evidence: [{file, detail: why}]};
  }
}

/** Where to find a credential: the name of a variable, never its value. */
const Auth = z
  .strictObject({
    /** A variable of Shipshape's own environment (e.g. set by CI). */
    env: EnvKey.optional(),
    /** A key of the deployment's .env files (the pack's `files.env`). */
    dotenv: EnvKey.optional(),
    header: z
      .string()
      .regex(/^[A-Za-z0-9-]+$/, 'a header name')
      .default('Authorization'),
    /** Put before the value; '' sends the value as it is (e.g. for X-Vault-Token). */
    scheme: z
      .string()
      .regex(/^[A-Za-z0-9-]*$/)
      .default('Bearer'),
  })
  .refine((a) => (a.env === undefined) !== (a.dotenv === undefined), 'give exactly one of env or dotenv');

type AuthParams = z.output<typeof Auth>;

async function credential(ctx: Context, a: AuthParams): Promise<{value: string; from: string} | {error: string; evidence: Evidence[]}> {
  if (a.env !== undefined) {
    const v = process.env[a.env];
    if (!v) return {error: `the environment variable ${a.env} is ${v === '' ? 'empty' : 'not set'}`, evidence: [{key: a.env, detail: 'not set'}]};
    return {value: v, from: `environment variable ${a.env}`};
  }
  const key = a.dotenv!;
  try {
    for (const env of await ctx.envFiles()) {
      const e = env.entries.get(key);
      if (e && e.value !== '') return {value: e.value, from: `${env.file} key ${key}`};
    }
  } catch (err) {
    return {error: `cannot read the .env files: ${errorMessage(err)}`, evidence: [{key, detail: errorMessage(err)}]};
  }
  return {error: `${key} is not set in ${ctx.pack.files.env.join(', ')}`, evidence: [{key, detail: 'not set'}]};
}

/** Last line of defence: a server that echoes the credential back must not put it in our output. */
function scrub(r: CheckResult, secrets: readonly string[]): CheckResult {
  // Longest first, so `Bearer <token>` goes whole rather than leaving `Bearer ` behind.
  const live = secrets.filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  if (live.length === 0) return r;
  const clean = (t: string) => live.reduce((acc, s) => acc.split(s).join('[credential]'), t);
  return {
    ...r,
    message: clean(r.message),
    evidence: r.evidence.map((e) => ({...e, detail: clean(e.detail), ...(e.key === undefined ? {} : {key: clean(e.key)})})),
  };
}

/** `a.b.0.c` into a parsed JSON document; undefined when any step is missing. */
function at(doc: unknown, path: string): {found: boolean; value?: unknown} {
  let cur: unknown = doc;
  for (const seg of path.split('.')) {
    if (Array.isArray(cur) && /^\d+$/.test(seg) && Number(seg) < cur.length) cur = cur[Number(seg)];
    else if (cur !== null && typeof cur === 'object' && !Array.isArray(cur) && Object.hasOwn(cur, seg)) cur = (cur as Record<string, unknown>)[seg];
    else return {found: false};
  }
  return {found: true, value: cur};
}

function brief(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}…` : s;
}

function statusOk(status: number, want: number | number[] | undefined): boolean {
  if (want === undefined) return status >= 200 && status < 300;
  return (Array.isArray(want) ? want : [want]).includes(status);
}

/** Header values shown as present only: they can carry sessions. */
const PRIVATE_HEADERS = new Set(['set-cookie', 'authorization', 'proxy-authorization', 'cookie']);

const Status = z.number().int().min(100).max(599);

export const request = defineCheck({
  id: 'http.request',
  summary:
    'A GET or HEAD answers with the expected status (default any 2xx), JSON fields, body text and headers; a credential can be sent from the environment.',
  params: z
    .strictObject({
      ...Common,
      method: z.enum(['GET', 'HEAD']).default('GET'),
      status: z.union([Status, z.array(Status).min(1)]).optional(),
      /** Dotted paths into a JSON body, e.g. `{path: sealed, equals: false}`. */
      json: z.array(z.strictObject({path: z.string().min(1), equals: z.union([z.string(), z.number(), z.boolean(), z.null()])})).default([]),
      bodyContains: z.string().min(1).optional(),
      /** Headers that must be present, each optionally matching a regular expression (case-insensitive). */
      headers: z.array(z.strictObject({name: z.string().regex(/^[A-Za-z0-9-]+$/), pattern: z.string().optional()})).default([]),
      auth: Auth.optional(),
    })
    .refine(notBoth, NOT_BOTH)
    .refine((p) => p.method === 'GET' || (p.json.length === 0 && p.bodyContains === undefined), 'a HEAD response has no body: json and bodyContains need GET'),
  timeoutMs: 30_000,
  async run(ctx, p, signal) {
    const url = new URL(p.url);
    const where = endpoint(url);
    const secrets: string[] = [];
    const evidence: Evidence[] = [];
    const headers: Record<string, string> = {};
    if (p.auth) {
      const c = await credential(ctx, p.auth);
      if ('error' in c) return result('error', `${where}: no credential to send: ${c.error}`, c.evidence);
      const value = p.auth.scheme ? `${p.auth.scheme} ${c.value}` : c.value;
      headers[p.auth.header] = value;
      secrets.push(c.value, value);
      evidence.push({key: where, detail: `credential sent in the ${p.auth.header} header${p.auth.scheme ? ` (${p.auth.scheme} scheme)` : ''}, from ${c.from}`});
    }
    const ca = await readCa(ctx, p.caFile);
    if (ca.error) return result('error', `${where}: ${ca.error}`, ca.evidence);
    evidence.unshift(...ca.evidence);
    if (p.insecure && url.protocol === 'https:') evidence.push({key: where, detail: 'certificate not verified (insecure: true)'});

    const out = await send(url, {method: p.method, headers, ca: ca.ca, insecure: p.insecure, timeoutMs: p.timeoutMs, signal, body: p.method === 'GET'});
    if (!out.ok) return scrub(result('error', `${where}: ${p.method} ${shown(url)} failed: ${out.why}`, [...evidence, {key: where, detail: out.why}]), secrets);
    return scrub(judge(p, url, out.reply, evidence), secrets);
  },
});

function judge(
  p: {
    method: string;
    status?: number | number[] | undefined;
    json: {path: string; equals: unknown}[];
    bodyContains?: string | undefined;
    headers: {name: string; pattern?: string | undefined}[];
  },
  url: URL,
  r: Reply,
  evidence: Evidence[],
): CheckResult {
  const where = endpoint(url);
  const what = `${p.method} ${shown(url)}`;
  const problems: string[] = [];
  const ev = (detail: string) => evidence.push({key: where, detail});

  const statusFine = statusOk(r.status, p.status);
  const expected = p.status === undefined ? 'any 2xx' : [p.status].flat().join(' or ');
  ev(`${what} answered ${r.status}${r.statusText ? ` ${r.statusText}` : ''} (expected ${expected})`);
  if (!statusFine) problems.push(`status ${r.status}, expected ${expected}`);

  for (const h of p.headers) {
    const raw = r.headers[h.name.toLowerCase()];
    const value = Array.isArray(raw) ? raw.join(', ') : raw;
    const show = PRIVATE_HEADERS.has(h.name.toLowerCase()) ? 'present' : brief(value);
    if (value === undefined) {
      problems.push(`no ${h.name} header`);
      ev(`header ${h.name} missing`);
      continue;
    }
    let re: RegExp;
    try {
      re = new RegExp(h.pattern ?? '', 'i');
    } catch (err) {
      return result('error', `${where}: header pattern for ${h.name} is not a regular expression: ${errorMessage(err)}`, evidence);
    }
    if (re.test(value)) ev(`header ${h.name}: ${show}${h.pattern ? ` matches /${h.pattern}/` : ''}`);
    else {
      problems.push(`${h.name} does not match /${h.pattern}/`);
      ev(`header ${h.name}: ${show} does not match /${h.pattern}/`);
    }
  }

  const body = r.body.toString('utf8');
  if (p.bodyContains !== undefined) {
    if (body.includes(p.bodyContains)) ev(`body contains ${brief(p.bodyContains)}`);
    else if (r.truncated) return result('error', `${where}: body larger than ${MAX_BODY} bytes; ${brief(p.bodyContains)} not in the part read`, evidence);
    else {
      problems.push(`body does not contain ${brief(p.bodyContains)}`);
      ev(`body (${r.body.length} bytes) does not contain ${brief(p.bodyContains)}`);
    }
  }

  if (p.json.length > 0) {
    let doc: unknown;
    try {
      doc = JSON.parse(body);
    } catch {
      // A wrong status already decides; otherwise the fields cannot be judged.
      if (!statusFine) return result('fail', `${what}: ${problems.join('; ')}`, evidence);
      const why = r.truncated
        ? `body larger than ${MAX_BODY} bytes`
        : `body is not JSON (${r.headers['content-type'] ?? 'no content-type'}, ${r.body.length} bytes)`;
      ev(why);
      return result('error', `${where}: cannot check JSON fields: ${why}`, evidence);
    }
    for (const j of p.json) {
      const got = at(doc, j.path);
      if (!got.found) {
        problems.push(`${j.path} is absent`);
        ev(`${j.path} absent (expected ${brief(j.equals)})`);
      } else if (got.value === j.equals) ev(`${j.path} = ${brief(got.value)}`);
      else {
        problems.push(`${j.path} is ${brief(got.value)}, expected ${brief(j.equals)}`);
        ev(`${j.path} = ${brief(got.value)}, expected ${brief(j.equals)}`);
      }
    }
  }

  if (problems.length > 0) return result('fail', `${what}: ${problems.join('; ')}`, evidence);
  return result('pass', `${what}: ${r.status}, as expected`, evidence);
}

export const redirectsToHttps = defineCheck({
  id: 'http.redirects-to-https',
  summary: 'A plain http:// URL answers 301, 302, 307 or 308 with a Location on https (only 301/308 when permanent).',
  params: z.strictObject({
    url: HttpUrl.refine((s) => s.startsWith('http://'), 'an http:// URL'),
    timeoutMs: Common.timeoutMs,
    /** Require a permanent redirect (301/308), which browsers remember. */
    permanent: z.boolean().default(false),
  }),
  timeoutMs: 30_000,
  async run(_ctx, p, signal) {
    const url = new URL(p.url);
    const where = endpoint(url);
    const out = await send(url, {method: 'GET', timeoutMs: p.timeoutMs, signal, body: false});
    if (!out.ok) return result('error', `${where}: GET ${shown(url)} failed: ${out.why}`, [{key: where, detail: out.why}]);
    const {status} = out.reply;
    const location = out.reply.headers.location;
    const evidence: Evidence[] = [{key: where, detail: `GET ${shown(url)} answered ${status}${location ? ` with Location ${brief(location)}` : ''}`}];
    if (![301, 302, 307, 308].includes(status))
      return result('fail', `${where} serves ${shown(url)} over plain HTTP (status ${status}, no redirect)`, evidence);
    if (!location) return result('fail', `${where} answers ${status} without a Location header`, evidence);
    let target: URL;
    try {
      target = new URL(location, url);
    } catch {
      return result('fail', `${where} redirects to an invalid Location ${brief(location)}`, evidence);
    }
    if (target.protocol !== 'https:') return result('fail', `${where} redirects to ${shown(target)}, not https`, evidence);
    if (p.permanent && status !== 301 && status !== 308)
      return result('fail', `${where} redirects to https with a temporary ${status}; a permanent 301/308 is required`, evidence);
    return result('pass', `${where} redirects to ${shown(target)} (${status})`, evidence);
  },
});

export const requiresAuth = defineCheck({
  id: 'http.requires-auth',
  summary: 'A request without credentials is refused with 401 or 403; a 2xx fails, a redirect (likely to a login page) warns.',
  params: z
    .strictObject({
      ...Common,
      method: z.enum(['GET', 'HEAD']).default('GET'),
    })
    .refine(notBoth, NOT_BOTH),
  timeoutMs: 30_000,
  async run(ctx, p, signal) {
    const url = new URL(p.url);
    const where = endpoint(url);
    const ca = await readCa(ctx, p.caFile);
    if (ca.error) return result('error', `${where}: ${ca.error}`, ca.evidence);
    const out = await send(url, {method: p.method, ca: ca.ca, insecure: p.insecure, timeoutMs: p.timeoutMs, signal, body: false});
    if (!out.ok) return result('error', `${where}: ${p.method} ${shown(url)} failed: ${out.why}`, [...ca.evidence, {key: where, detail: out.why}]);
    const {status, headers} = out.reply;
    const challenge = headers['www-authenticate'];
    const evidence: Evidence[] = [
      ...ca.evidence,
      {key: where, detail: `${p.method} ${shown(url)} without credentials answered ${status}${challenge ? ` (WWW-Authenticate: ${brief(challenge)})` : ''}`},
    ];
    if (p.insecure && url.protocol === 'https:') evidence.push({key: where, detail: 'certificate not verified (insecure: true)'});
    if (status === 401 || status === 403) return result('pass', `${where} refuses ${shown(url)} without credentials (${status})`, evidence);
    if (status >= 200 && status < 300) return result('fail', `${where} serves ${shown(url)} without credentials (${status})`, evidence);
    if (status >= 300 && status < 400) {
      const loc = headers.location;
      return result(
        'warn',
        `${where} redirects ${shown(url)} to ${loc ? brief(loc) : 'nowhere'} (${status}): probably a login page, which this check cannot see behind`,
        evidence,
      );
    }
    return result('error', `${where}: status ${status} says neither yes nor no about authentication`, evidence);
  },
});
