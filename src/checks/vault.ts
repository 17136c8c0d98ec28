// vault.*: HashiCorp Vault, asked over its HTTP API (sys/health, KV version 2, token lookup,
// ACL policies, AppRole roles). Read-only: every request is a GET, a LIST, or a token lookup.
//
// Where Vault is: the deployment's VAULT_ADDR. Which CA to trust: the file named by
// VAULT_TLS_CA_FILE, looked up on the control-plane host's tree (the `host` params, as for the
// hoodcloud.* host checks), else the file in the standard VAULT_CACERT variable, else Node's root
// store; certificate checks are never turned off, whatever VAULT_TLS_SKIP_VERIFY says.
//
// The token: only from an environment variable named by the pack (VAULT_TOKEN by default), given
// for this run; never from argv, the pack or a file. Without it every vault.* check skips, saying
// so, and its item waits for a person. The token is sent only in the X-Vault-Token header, over
// https or to a loopback address; it never appears in a message, evidence, progress or report,
// and neither does any secret read from Vault: values are judged and shown only as redactions
// (or, for public keys and settings, as the derived public facts).
import * as http from 'node:http';
import * as https from 'node:https';
import {readFile} from 'node:fs/promises';
import {isAbsolute} from 'node:path';
import {z} from 'zod';
import {withDeadline} from '../deploy/deadline.js';
import {
  decodeBase64,
  decodeNkey,
  encodeNkeyPublic,
  NKEY_ROLES,
  nkeyRawPublic,
  parseRsaPrivate,
  parseRsaPublic,
  rawPublicKey,
  spkiFingerprint,
} from '../deploy/keys.js';
import {collect, EnvKey, evidenceOf, type Occurrence} from '../deploy/settings.js';
import type {Context} from '../engine/context.js';
import {isPlaceholder, redact} from '../engine/redact.js';
import {count, result, type CheckResult, type Evidence} from '../model/types.js';
import {defineCheck, type CheckDef} from './define.js';
import {HostShape, onHost} from './hoodcloud.js';
import {describeSocketError} from './socketError.js';

/** Vault's answers are small JSON documents; a larger body is refused. */
const MAX_BODY = 1024 * 1024;

const ConnShape = {
  host: HostShape,
  /** The setting holding Vault's address. */
  addrKey: EnvKey.default('VAULT_ADDR'),
  /** The setting naming Vault's CA file (a path on the control-plane host). */
  caFileKey: EnvKey.default('VAULT_TLS_CA_FILE'),
  /** The environment variable (of Shipshape's own process) that holds the token for this run. */
  tokenEnv: EnvKey.default('VAULT_TOKEN'),
  /** Bounds each request: connect, TLS, headers and body. */
  timeoutMs: z.number().int().min(50).max(60_000).default(5_000),
};
type ConnParams = z.output<z.ZodObject<typeof ConnShape>>;

/** A KV version 2 secret: the mount (secret) and the path under it (hoodcloud/app-credentials). */
const KvShape = {
  mount: z.string().min(1).default('secret'),
  path: z.string().min(1),
};

interface Conn {
  base: URL;
  ca?: string;
  token: string;
  timeoutMs: number;
  signal: AbortSignal;
  /** Where the address and CA came from, for every result. */
  evidence: Evidence[];
}

type Answer = {status: number; json: unknown} | {why: string};

function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::1';
}

/** Everything needed to talk to Vault, or the result to give instead (skip without a token). */
async function connect(ctx: Context, p: ConnParams, signal: AbortSignal): Promise<Conn | CheckResult> {
  const token = process.env[p.tokenEnv];
  if (token === undefined || token === '') {
    return result(
      'skip',
      `no Vault token for this run: set ${p.tokenEnv} in Shipshape's environment to let it read Vault (the token is read from there only, and never stored or printed)`,
    );
  }
  const {occurrences} = await collect(ctx, {keys: [p.addrKey], urls: [], helm: []});
  const addr = occurrences.find((o) => o.value);
  if (!addr)
    return result('error', `${p.addrKey} is not set in any file read: no Vault to ask`, [
      {file: ctx.pack.files.env[0] ?? '.env', key: p.addrKey, detail: 'not set'},
    ]);
  let base: URL;
  try {
    base = new URL(addr.value!);
  } catch {
    return result('error', `${p.addrKey} is not a URL`, [evidenceOf(addr, 'not a URL')]);
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:')
    return result('error', `${p.addrKey} is ${base.protocol}//, not https://`, [evidenceOf(addr, 'not http(s)')]);
  if (base.username || base.password)
    return result('error', `${p.addrKey} holds credentials; Vault's address is scheme://host:port`, [evidenceOf(addr, 'holds credentials')]);
  if (base.protocol === 'http:' && !isLoopback(base.hostname)) {
    return result('error', `${p.addrKey} is plain http:// to ${base.hostname}: the token would cross the network unencrypted, so it is not sent`, [
      evidenceOf(addr, base.origin),
    ]);
  }
  const evidence: Evidence[] = [evidenceOf(addr, base.origin)];
  let ca: string | undefined;
  if (base.protocol === 'https:') {
    const caSetting = (await collect(ctx, {keys: [p.caFileKey], urls: [], helm: []})).occurrences.find((o) => o.value);
    const loaded = await loadCa(ctx, p, caSetting);
    if ('error' in loaded) return result('error', loaded.error, [...evidence, ...loaded.evidence]);
    ca = loaded.ca;
    evidence.push(...loaded.evidence);
  }
  return {base, ca, token, timeoutMs: p.timeoutMs, signal, evidence};
}

/** The CA to trust: the configured file on the host, else VAULT_CACERT, else the root store. */
async function loadCa(
  ctx: Context,
  p: ConnParams,
  setting: Occurrence | undefined,
): Promise<{ca?: string; evidence: Evidence[]} | {error: string; evidence: Evidence[]}> {
  const evidence: Evidence[] = [];
  if (setting) {
    const path = setting.value!;
    const abs = isAbsolute(path) ? onHost(p.host, path) : ctx.abs(path);
    try {
      const ca = await readFile(abs, 'utf8');
      if (!ca.includes('-----BEGIN CERTIFICATE-----'))
        return {error: `${path} (${p.caFileKey}) holds no PEM certificate`, evidence: [evidenceOf(setting, 'no PEM certificate in it')]};
      return {ca, evidence: [evidenceOf(setting, `${path}: the CA trusted for Vault`)]};
    } catch {
      evidence.push(evidenceOf(setting, `${path} is not on this machine`));
    }
  }
  const cacert = process.env.VAULT_CACERT;
  if (cacert) {
    try {
      const ca = await readFile(cacert, 'utf8');
      return {ca, evidence: [...evidence, {key: 'VAULT_CACERT', detail: `${cacert}: the CA trusted for Vault`}]};
    } catch {
      return {error: `VAULT_CACERT names ${cacert}, which cannot be read`, evidence: [...evidence, {key: 'VAULT_CACERT', detail: `${cacert} cannot be read`}]};
    }
  }
  evidence.push({key: p.caFileKey, detail: "no CA file here: Vault's certificate is checked against Node's root store"});
  return {evidence};
}

/** One request to Vault under the deadline and the check's signal; never rejects, never shows the token. */
function call(c: Conn, method: 'GET' | 'POST', path: string, body?: unknown, token = c.token): Promise<Answer> {
  const url = new URL(`/v1/${path}`, c.base);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return withDeadline<Answer>(
    (signal) =>
      new Promise<Answer>((resolve) => {
        let req: http.ClientRequest | undefined;
        let settled = false;
        const finish = (a: Answer) => {
          if (settled) return;
          settled = true;
          signal.removeEventListener('abort', stop);
          req?.destroy();
          resolve(a);
        };
        const stop = () => finish({why: 'stopped'});
        signal.addEventListener('abort', stop, {once: true});
        const headers: Record<string, string> = {'X-Vault-Token': token, Accept: 'application/json'};
        if (payload) {
          headers['Content-Type'] = 'application/json';
          headers['Content-Length'] = String(payload.length);
        }
        const options = {method, headers, agent: false as const, ...(url.protocol === 'https:' ? {ca: c.ca, rejectUnauthorized: true} : {})};
        try {
          req = (url.protocol === 'https:' ? https : http).request(url, options);
        } catch (err) {
          return finish({why: describeSocketError(err)});
        }
        req.on('error', (err) => finish({why: describeSocketError(err)}));
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_BODY) return finish({why: `Vault's answer is larger than ${MAX_BODY} bytes`});
            chunks.push(chunk);
          });
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = text === '' ? undefined : JSON.parse(text);
            } catch {
              json = undefined;
            }
            finish({status: res.statusCode ?? 0, json});
          });
          res.on('error', (err) => finish({why: describeSocketError(err)}));
          res.on('aborted', () => finish({why: 'Vault closed the connection mid-answer'}));
        });
        req.end(payload);
      }),
    c.timeoutMs,
    () => ({why: `no answer from ${c.base.origin} within ${c.timeoutMs} ms`}),
    c.signal,
    () => ({why: 'stopped before Vault answered'}),
  );
}

function rec(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** Vault's own error words (never secrets: "permission denied", "bad token"), short. */
function vaultErrors(json: unknown): string {
  const errs = rec(json).errors;
  if (!Array.isArray(errs) || errs.length === 0) return '';
  return `: ${errs
    .map((e) =>
      String(e)
        .replace(/\s+/g, ' ')
        .replace(/^\d+ errors? occurred: \* /, '')
        .trim(),
    )
    .join('; ')
    .slice(0, 160)}`;
}

function pathOf(mount: string, path: string): string {
  return `${mount.replace(/^\/+|\/+$/g, '')}/${path.replace(/^\/+|\/+$/g, '')}`;
}

function encodePath(path: string): string {
  return path
    .split('/')
    .filter(Boolean)
    .map((s) => encodeURIComponent(s))
    .join('/');
}

type Kv = {fields: Record<string, unknown>; version?: number} | {result: CheckResult};

/** A KV version 2 secret's fields, or the result that explains why there are none. */
async function readKv(c: Conn, mount: string, path: string): Promise<Kv> {
  const shown = pathOf(mount, path);
  const a = await call(c, 'GET', `${encodePath(mount)}/data/${encodePath(path)}`);
  if ('why' in a) return {result: result('error', `${shown}: ${a.why}`, c.evidence)};
  if (a.status === 404)
    return {
      result: result('fail', `${shown} does not exist in Vault (KV version 2 at mount ${mount})`, [{key: shown, detail: 'no such secret'}, ...c.evidence]),
    };
  if (a.status === 403)
    return {result: result('error', `the token may not read ${shown}${vaultErrors(a.json)}`, [{key: shown, detail: 'permission denied'}, ...c.evidence])};
  if (a.status !== 200) return {result: result('error', `Vault answered ${a.status} for ${shown}${vaultErrors(a.json)}`, c.evidence)};
  const data = rec(rec(a.json).data);
  const fields = data.data;
  const version = rec(data.metadata).version;
  if (fields === null || fields === undefined)
    return {result: result('fail', `${shown} has no current version (deleted or destroyed)`, [{key: shown, detail: 'deleted'}, ...c.evidence])};
  return {fields: rec(fields), version: typeof version === 'number' ? version : undefined};
}

/** A field's string value, or why it is not one. */
function fieldText(fields: Record<string, unknown>, name: string): {value: string} | {why: string} {
  const v = fields[name];
  if (v === undefined || v === null) return {why: 'missing'};
  if (typeof v !== 'string') return {why: `is a ${Array.isArray(v) ? 'list' : typeof v}, not a string`};
  if (v.trim() === '') return {why: 'empty'};
  if (isPlaceholder(v)) return {why: `a template placeholder (${redact(v)})`};
  return {value: v};
}

// ---------------------------------------------------------------------------------------------
// Field formats

const FORMATS = ['any', 'https-url', 'slack-webhook', 'base64-32', 'hex-32', 'key-32', 'clerk-live', 'whsec', 'telegram-token', 'email', 'number'] as const;
type Format = (typeof FORMATS)[number];

const FORMAT_WORDS: Record<Format, string> = {
  any: 'set',
  'https-url': 'an https URL',
  'slack-webhook': 'a Slack incoming-webhook URL (https://hooks.slack.com/...)',
  'base64-32': 'base64 of 32 bytes',
  'hex-32': 'hex of 32 bytes',
  'key-32': '32 bytes, in base64 or hex',
  'clerk-live': 'a Clerk live secret key (sk_live_...)',
  whsec: 'a webhook signing secret (whsec_ + base64)',
  'telegram-token': 'a Telegram bot token (digits:35 characters)',
  email: 'an email address',
  number: 'a number (a chat id)',
};

/** Why a value is not of the format, or undefined when it is. Never quotes the value. */
function formatProblem(format: Format, v: string): string | undefined {
  switch (format) {
    case 'any':
      return undefined;
    case 'https-url':
    case 'slack-webhook': {
      let u: URL;
      try {
        u = new URL(v);
      } catch {
        return 'is not a URL';
      }
      if (u.protocol !== 'https:') return `is ${u.protocol.replace(/:$/, '')}://, not https://`;
      if (format === 'slack-webhook' && (u.hostname !== 'hooks.slack.com' || !u.pathname.startsWith('/services/')))
        return 'is not on https://hooks.slack.com/services/';
      return undefined;
    }
    case 'base64-32': {
      const d = decodeBase64(v);
      return !d.ok ? d.why : d.value.length !== 32 ? `decodes to ${d.value.length} bytes, not 32` : undefined;
    }
    case 'hex-32':
      return /^[0-9a-fA-F]{64}$/.test(v) ? undefined : 'is not 64 hex digits';
    case 'key-32': {
      if (/^[0-9a-fA-F]{64}$/.test(v)) return undefined;
      const d = decodeBase64(v);
      return d.ok && d.value.length === 32 ? undefined : 'is neither 64 hex digits nor base64 of 32 bytes';
    }
    case 'clerk-live':
      if (v.startsWith('sk_test_')) return 'is a development key (sk_test_), not sk_live_';
      return /^sk_live_[A-Za-z0-9]{20,}$/.test(v) ? undefined : 'does not look like sk_live_ followed by the key';
    case 'whsec': {
      if (!v.startsWith('whsec_')) return 'does not start with whsec_';
      const d = decodeBase64(v.slice(6), 'standard');
      return !d.ok ? `after whsec_: ${d.why}` : d.value.length < 24 ? `has only ${d.value.length} bytes after whsec_` : undefined;
    }
    case 'telegram-token':
      return /^\d+:[A-Za-z0-9_-]{35}$/.test(v) ? undefined : 'is not digits:35 characters';
    case 'email':
      return /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v) ? undefined : 'is not an email address';
    case 'number':
      return /^-?\d+$/.test(v) ? undefined : 'is not a number';
  }
}

/** A field by name, or by name with the format its value must have. */
const Field = z
  .union([z.string().min(1), z.strictObject({name: z.string().min(1), format: z.enum(FORMATS).default('any')})])
  .transform((f) => (typeof f === 'string' ? {name: f, format: 'any' as Format} : f));

function judgeField(shown: string, fields: Record<string, unknown>, f: {name: string; format: Format}): {ok: boolean; evidence: Evidence} {
  const key = `${shown}#${f.name}`;
  const t = fieldText(fields, f.name);
  if ('why' in t) return {ok: false, evidence: {key, detail: t.why}};
  const why = formatProblem(f.format, t.value);
  if (why) return {ok: false, evidence: {key, detail: `${why} (${redact(t.value)})`}};
  return {ok: true, evidence: {key, detail: `${f.format === 'any' ? 'set' : FORMAT_WORDS[f.format]} (${redact(t.value)})`}};
}

// ---------------------------------------------------------------------------------------------
// Checks

export const health = defineCheck({
  id: 'vault.health',
  summary:
    'Vault (at VAULT_ADDR, over the CA in VAULT_TLS_CA_FILE) answers sys/health as initialized and unsealed: active, or a standby when standbyOk. Runs only with a token for this run (from the environment variable tokenEnv).',
  params: z.strictObject({
    ...ConnShape,
    standbyOk: z.boolean().default(true),
  }),
  async run(ctx, p, signal) {
    const c = await connect(ctx, p, signal);
    if (!('base' in c)) return c;
    const a = await call(c, 'GET', 'sys/health');
    if ('why' in a) return result('error', `Vault at ${c.base.origin}: ${a.why}`, c.evidence);
    const b = rec(a.json);
    const facts = [
      b.initialized === true ? 'initialized' : b.initialized === false ? 'NOT initialized' : undefined,
      b.sealed === false ? 'unsealed' : b.sealed === true ? 'SEALED' : undefined,
      b.standby === true ? 'standby' : b.standby === false ? 'active' : undefined,
      typeof b.version === 'string' ? `version ${b.version}` : undefined,
    ].filter(Boolean);
    const ev: Evidence[] = [{key: 'sys/health', detail: `HTTP ${a.status}: ${facts.join(', ') || 'no health document'}`}, ...c.evidence];
    if (a.status === 501 || b.initialized === false) return result('fail', 'Vault is not initialized: run vault operator init', ev);
    if (a.status === 503 || b.sealed === true) return result('fail', 'Vault is sealed: no service can read its secrets until it is unsealed', ev);
    if (a.status === 200) return result('pass', `Vault is initialized, unsealed and active${typeof b.version === 'string' ? ` (${b.version})` : ''}`, ev);
    if (a.status === 429 || a.status === 473)
      return result(p.standbyOk ? 'pass' : 'warn', `Vault is initialized and unsealed (a ${a.status === 473 ? 'performance ' : ''}standby node)`, ev);
    if (a.status === 472) return result('warn', 'Vault answers as a disaster-recovery secondary: it serves no secrets', ev);
    return result('error', `Vault's sys/health answered HTTP ${a.status}${vaultErrors(a.json)}`, ev);
  },
});

export const kvFields = defineCheck({
  id: 'vault.kv-fields',
  summary:
    'A KV version 2 secret (mount + path) holds every listed field, non-empty, no placeholder, each in its format (https-url, base64-32, clerk-live, whsec...). Values are shown only redacted. Runs only with a token for this run.',
  params: z.strictObject({
    ...ConnShape,
    ...KvShape,
    fields: z.array(Field).min(1),
  }),
  async run(ctx, p, signal) {
    const c = await connect(ctx, p, signal);
    if (!('base' in c)) return c;
    const kv = await readKv(c, p.mount, p.path);
    if ('result' in kv) return kv.result;
    const shown = pathOf(p.mount, p.path);
    const judged = p.fields.map((f) => judgeField(shown, kv.fields, f));
    const bad = judged.filter((j) => !j.ok).map((j) => j.evidence);
    const good = judged.filter((j) => j.ok).map((j) => j.evidence);
    const version = kv.version === undefined ? '' : ` (version ${kv.version})`;
    if (bad.length > 0)
      return result(
        'fail',
        `${shown}${version}: ${count(bad.length, 'field')} of ${p.fields.length} missing or malformed: ${bad.map((e) => e.key!.split('#')[1]).join(', ')}`,
        [...bad, ...good, ...c.evidence],
      );
    return result('pass', `${shown}${version} holds all ${count(p.fields.length, 'field')}`, [...good, ...c.evidence]);
  },
});

export const kvGroups = defineCheck({
  id: 'vault.kv-groups',
  summary:
    'A KV version 2 secret holds at least `min` complete groups of fields (e.g. one incident channel: Slack, Telegram, email or webhook); a group only partly filled fails; none complete gives `none`. Runs only with a token for this run.',
  params: z.strictObject({
    ...ConnShape,
    ...KvShape,
    groups: z.array(z.strictObject({name: z.string().min(1), fields: z.array(Field).min(1)})).min(1),
    min: z.number().int().min(1).default(1),
    none: z.enum(['fail', 'warn']).default('warn'),
  }),
  async run(ctx, p, signal) {
    const c = await connect(ctx, p, signal);
    if (!('base' in c)) return c;
    const kv = await readKv(c, p.mount, p.path);
    if ('result' in kv) return kv.result;
    const shown = pathOf(p.mount, p.path);
    const complete: string[] = [];
    const partial: string[] = [];
    const ev: Evidence[] = [];
    for (const g of p.groups) {
      const judged = g.fields.map((f) => judgeField(shown, kv.fields, f));
      const present = g.fields.filter((f) => kv.fields[f.name] !== undefined && kv.fields[f.name] !== null && kv.fields[f.name] !== '');
      if (judged.every((j) => j.ok)) {
        complete.push(g.name);
        ev.push(...judged.map((j) => ({...j.evidence, detail: `${g.name}: ${j.evidence.detail}`})));
      } else if (present.length > 0) {
        partial.push(g.name);
        ev.push(...judged.map((j) => ({...j.evidence, detail: `${g.name}: ${j.evidence.detail}`})));
      }
    }
    ev.push(...c.evidence);
    if (partial.length > 0)
      return result('fail', `${shown}: ${partial.join(', ')} ${partial.length === 1 ? 'is' : 'are'} only partly configured (or malformed)`, ev);
    if (complete.length < p.min) {
      return result(
        p.none,
        `${shown}: ${complete.length === 0 ? 'no' : `only ${complete.length}`} complete group (of ${p.groups.map((g) => g.name).join(', ')})`,
        ev,
      );
    }
    return result('pass', `${shown}: ${complete.join(', ')} configured`, ev);
  },
});

export const x25519Pair = defineCheck({
  id: 'vault.x25519-pair',
  summary:
    'A KV version 2 secret holds an X25519 pair (NaCl sealed box): the private and public fields are base64 of 32 bytes each, and the public key is the one derived from the private key. Runs only with a token for this run.',
  params: z.strictObject({
    ...ConnShape,
    ...KvShape,
    privateField: z.string().min(1),
    publicField: z.string().min(1),
  }),
  async run(ctx, p, signal) {
    const c = await connect(ctx, p, signal);
    if (!('base' in c)) return c;
    const kv = await readKv(c, p.mount, p.path);
    if ('result' in kv) return kv.result;
    const shown = pathOf(p.mount, p.path);
    const ev: Evidence[] = [];
    const fails: string[] = [];
    const key32 = (field: string): Buffer | undefined => {
      const t = fieldText(kv.fields, field);
      if ('why' in t) {
        fails.push(`${field} ${t.why}`);
        ev.push({key: `${shown}#${field}`, detail: t.why});
        return undefined;
      }
      const d = decodeBase64(t.value);
      const why = !d.ok ? d.why : d.value.length !== 32 ? `decodes to ${d.value.length} bytes, not 32` : undefined;
      if (why || !d.ok) {
        fails.push(`${field} ${why}`);
        ev.push({key: `${shown}#${field}`, detail: `${why} (${redact(t.value)})`});
        return undefined;
      }
      ev.push({key: `${shown}#${field}`, detail: `base64 of 32 bytes (${redact(t.value)})`});
      return d.value;
    };
    const priv = key32(p.privateField);
    const pub = key32(p.publicField);
    if (priv && pub) {
      const derived = rawPublicKey(priv, 'x25519');
      if (!derived) fails.push(`${p.privateField} is not a usable X25519 private key`);
      else if (!derived.equals(pub)) {
        fails.push(`${p.publicField} is not the public key of ${p.privateField}`);
        ev.push({
          key: `${shown}#${p.publicField}`,
          detail: `the private key gives ${derived.toString('base64')}; the stored public key differs, so sealed boxes made with it cannot be opened`,
        });
      } else ev.push({key: `${shown}#${p.publicField}`, detail: `derived from ${p.privateField}: ${derived.toString('base64')}`});
    }
    if (fails.length > 0) return result('fail', `${shown}: ${fails.join('; ')}`, [...ev, ...c.evidence]);
    return result('pass', `${shown}: ${p.privateField} and ${p.publicField} are a matching X25519 pair`, [...ev, ...c.evidence]);
  },
});

export const rsaPair = defineCheck({
  id: 'vault.rsa-pair',
  summary:
    'A KV version 2 secret holds a PEM RSA private key of at least minBits and the PEM public key that belongs to it. Runs only with a token for this run.',
  params: z.strictObject({
    ...ConnShape,
    ...KvShape,
    privateField: z.string().min(1),
    publicField: z.string().min(1),
    minBits: z.number().int().min(512).max(16384).default(2048),
  }),
  async run(ctx, p, signal) {
    const c = await connect(ctx, p, signal);
    if (!('base' in c)) return c;
    const kv = await readKv(c, p.mount, p.path);
    if ('result' in kv) return kv.result;
    const shown = pathOf(p.mount, p.path);
    const ev: Evidence[] = [];
    const fails: string[] = [];
    const parse = (field: string, fn: typeof parseRsaPrivate) => {
      const t = fieldText(kv.fields, field);
      if ('why' in t) {
        fails.push(`${field} ${t.why}`);
        ev.push({key: `${shown}#${field}`, detail: t.why});
        return undefined;
      }
      const r = fn(t.value, p.minBits);
      if (!r.ok) {
        fails.push(`${field} ${r.why}`);
        ev.push({key: `${shown}#${field}`, detail: `${r.why} (${redact(t.value)})`});
        return undefined;
      }
      ev.push({key: `${shown}#${field}`, detail: `RSA ${r.value.bits}-bit, ${spkiFingerprint(r.value.spki)}`});
      return r.value;
    };
    const priv = parse(p.privateField, parseRsaPrivate);
    const pub = parse(p.publicField, parseRsaPublic);
    if (priv && pub && !priv.spki.equals(pub.spki)) {
      fails.push(`${p.publicField} is not the public half of ${p.privateField}`);
      ev.push({key: `${shown}#${p.publicField}`, detail: `the private key gives ${spkiFingerprint(priv.spki)}: tokens it signs fail verification`});
    }
    if (fails.length > 0) return result('fail', `${shown}: ${fails.join('; ')}`, [...ev, ...c.evidence]);
    return result('pass', `${shown}: ${p.privateField} and ${p.publicField} are a matching RSA pair`, [...ev, ...c.evidence]);
  },
});

const Role = z.enum(['operator', 'account', 'user', 'server', 'cluster', 'curve']);

export const nkeys = defineCheck({
  id: 'vault.nkeys',
  summary:
    'A KV version 2 secret holds NATS NKEYs: seeds and public keys of the given roles (valid checksums); a public key can be required to derive from a seed, to equal a setting in the .env, and to equal a field of another secret. Runs only with a token for this run.',
  params: z.strictObject({
    ...ConnShape,
    ...KvShape,
    seeds: z.array(z.strictObject({field: z.string().min(1), role: Role})).default([]),
    publics: z
      .array(
        z.strictObject({
          field: z.string().min(1),
          role: Role,
          /** A seed field (in this secret) whose public key this must be. */
          fromSeed: z.string().min(1).optional(),
          /** A setting in the .env that must hold this same public key. */
          env: EnvKey.optional(),
          /** The same field in another secret under the same mount (e.g. hoodcloud/app-credentials). */
          sameAs: z.strictObject({path: z.string().min(1), field: z.string().min(1)}).optional(),
        }),
      )
      .default([]),
  }),
  async run(ctx, p, signal) {
    const c = await connect(ctx, p, signal);
    if (!('base' in c)) return c;
    const kv = await readKv(c, p.mount, p.path);
    if ('result' in kv) return kv.result;
    const shown = pathOf(p.mount, p.path);
    const ev: Evidence[] = [];
    const fails: string[] = [];
    const derived = new Map<string, string>();
    for (const s of p.seeds) {
      const key = `${shown}#${s.field}`;
      const t = fieldText(kv.fields, s.field);
      if ('why' in t) {
        fails.push(`${s.field} ${t.why}`);
        ev.push({key, detail: t.why});
        continue;
      }
      const d = decodeNkey(t.value, 'seed');
      if (!d.ok) {
        fails.push(`${s.field} ${d.why}`);
        ev.push({key, detail: `${d.why} (${redact(t.value)})`});
        continue;
      }
      if (d.value.letter !== NKEY_ROLES[s.role]) {
        fails.push(`${s.field} is a seed for the ${d.value.role} role, not ${s.role}`);
        ev.push({key, detail: `a seed for the ${d.value.role} role (S${d.value.letter}...), not ${s.role} (S${NKEY_ROLES[s.role]}...) (${redact(t.value)})`});
        continue;
      }
      const raw = nkeyRawPublic(d.value);
      if (!raw) {
        fails.push(`${s.field} gives no usable key`);
        continue;
      }
      const pub = encodeNkeyPublic(d.value.role, raw);
      derived.set(s.field, pub);
      ev.push({key, detail: `${s.role} seed (${redact(t.value)}), public key ${pub}`});
    }
    for (const pk of p.publics) {
      const key = `${shown}#${pk.field}`;
      const t = fieldText(kv.fields, pk.field);
      if ('why' in t) {
        fails.push(`${pk.field} ${t.why}`);
        ev.push({key, detail: t.why});
        continue;
      }
      const d = decodeNkey(t.value, 'public');
      const showPub = /^[OAUNCX][A-Z2-7]{55}$/.test(t.value) ? t.value : redact(t.value);
      if (!d.ok || d.value.letter !== NKEY_ROLES[pk.role]) {
        const why = !d.ok ? d.why : `is a public key for the ${d.value.role} role, not ${pk.role}`;
        fails.push(`${pk.field} ${why}`);
        ev.push({key, detail: `${why} (${showPub})`});
        continue;
      }
      const notes: string[] = [];
      if (pk.fromSeed) {
        const from = derived.get(pk.fromSeed);
        if (from === undefined) notes.push(`cannot be compared with ${pk.fromSeed}, which is not a usable seed`);
        else if (from !== t.value) {
          fails.push(`${pk.field} is not the public key of ${pk.fromSeed}`);
          notes.push(`${pk.fromSeed} gives ${from}`);
        } else notes.push(`derived from ${pk.fromSeed}`);
      }
      if (pk.env) {
        const {occurrences} = await collect(ctx, {keys: [pk.env], urls: [], helm: []});
        const set = occurrences.filter((o) => o.value);
        if (set.length === 0) {
          fails.push(`${pk.env} is not set in the .env`);
          ev.push({file: ctx.pack.files.env[0] ?? '.env', key: pk.env, detail: `not set; Vault's ${pk.field} is ${t.value}`});
        }
        for (const o of set) {
          if (o.value === t.value) ev.push(evidenceOf(o, `${o.value} equals Vault's ${pk.field}`));
          else {
            fails.push(`${pk.env} differs from Vault's ${pk.field}`);
            ev.push(evidenceOf(o, `${/^[OAUNCX][A-Z2-7]{55}$/.test(o.value!) ? o.value : redact(o.value)} differs from Vault's ${pk.field} (${t.value})`));
          }
        }
      }
      if (pk.sameAs) {
        const other = await readKv(c, p.mount, pk.sameAs.path);
        const otherShown = `${pathOf(p.mount, pk.sameAs.path)}#${pk.sameAs.field}`;
        if ('result' in other) {
          fails.push(`${otherShown} cannot be compared: ${other.result.message}`);
        } else {
          const o = fieldText(other.fields, pk.sameAs.field);
          if ('why' in o) {
            fails.push(`${otherShown} ${o.why}`);
          } else if (o.value !== t.value) {
            fails.push(`${pk.field} differs from ${otherShown}`);
            notes.push(`${otherShown} is ${/^[OAUNCX][A-Z2-7]{55}$/.test(o.value) ? o.value : redact(o.value)}`);
          } else notes.push(`equals ${otherShown}`);
        }
      }
      ev.push({key, detail: `${pk.role} public key ${t.value}${notes.length > 0 ? `; ${notes.join('; ')}` : ''}`});
    }
    if (fails.length > 0) return result('fail', `${shown}: ${fails.join('; ')}`, [...ev, ...c.evidence]);
    return result(
      'pass',
      `${shown}: ${count(p.seeds.length + p.publics.length, 'NKEY')} of the right roles${p.publics.some((x) => x.fromSeed || x.env || x.sameAs) ? ', matching' : ''}`,
      [...ev, ...c.evidence],
    );
  },
});

export const rootTokenRevoked = defineCheck({
  id: 'vault.root-token-revoked',
  summary:
    "No root token is alive: the old root token (from the environment variable rootTokenEnv, when given) fails a lookup; the run's own token is no root token; and, where the token may list accessors, none belongs to the root policy. Runs only with a token for this run.",
  params: z.strictObject({
    ...ConnShape,
    /** The environment variable that may hold the root token from `vault operator init`, to prove it revoked. */
    rootTokenEnv: EnvKey.default('VAULT_ROOT_TOKEN'),
    /** Look up at most this many token accessors (LIST auth/token/accessors needs sudo). */
    maxAccessors: z.number().int().min(0).max(5_000).default(200),
  }),
  timeoutMs: 60_000,
  async run(ctx, p, signal) {
    const c = await connect(ctx, p, signal);
    if (!('base' in c)) return c;
    const ev: Evidence[] = [];
    // 1. The run's own token.
    const self = await call(c, 'GET', 'auth/token/lookup-self');
    if ('why' in self) return result('error', `Vault at ${c.base.origin}: ${self.why}`, c.evidence);
    if (self.status !== 200) return result('error', `the token in ${p.tokenEnv} is not accepted (HTTP ${self.status}${vaultErrors(self.json)})`, c.evidence);
    const selfData = rec(rec(self.json).data);
    const selfPolicies = Array.isArray(selfData.policies) ? selfData.policies.map(String) : [];
    if (selfPolicies.includes('root')) {
      return result(
        'fail',
        `the token given in ${p.tokenEnv} is itself a root token: a root token is alive; revoke it (vault token revoke -self) and work with a policy-bound token`,
        [{key: p.tokenEnv, detail: `policies: ${selfPolicies.join(', ')}`}, ...c.evidence],
      );
    }
    ev.push({key: p.tokenEnv, detail: `not a root token (policies: ${selfPolicies.join(', ') || 'none'})`});
    // 2. The old root token, when the operator gives it: a lookup with it must fail.
    const root = process.env[p.rootTokenEnv];
    let decided = false;
    if (root) {
      const r = await call(c, 'GET', 'auth/token/lookup-self', undefined, root);
      if ('why' in r) return result('error', `Vault at ${c.base.origin}: ${r.why}`, [...ev, ...c.evidence]);
      if (r.status === 200) {
        const pol = rec(rec(r.json).data).policies;
        return result('fail', `the root token in ${p.rootTokenEnv} still works: revoke it (vault token revoke <token>)`, [
          {key: p.rootTokenEnv, detail: `lookup succeeded; policies: ${Array.isArray(pol) ? pol.join(', ') : '?'}`},
          ...ev,
          ...c.evidence,
        ]);
      }
      if (r.status !== 403 && r.status !== 400)
        return result('error', `looking up the token in ${p.rootTokenEnv} gave HTTP ${r.status}${vaultErrors(r.json)}`, [...ev, ...c.evidence]);
      ev.push({key: p.rootTokenEnv, detail: `lookup refused (HTTP ${r.status}${vaultErrors(r.json)}): revoked`});
      decided = true;
    }
    // 3. Every token's accessor, where the run's token may list them.
    const list = await call(c, 'GET', 'auth/token/accessors?list=true');
    if ('why' in list) return result('error', `Vault at ${c.base.origin}: ${list.why}`, [...ev, ...c.evidence]);
    if (list.status === 200) {
      const keys = rec(rec(list.json).data).keys;
      const accessors = Array.isArray(keys) ? keys.map(String) : [];
      const roots: string[] = [];
      for (const accessor of accessors.slice(0, p.maxAccessors)) {
        if (signal.aborted) break;
        const a = await call(c, 'POST', 'auth/token/lookup-accessor', {accessor});
        if ('why' in a) return result('error', `Vault at ${c.base.origin}: ${a.why}`, [...ev, ...c.evidence]);
        if (a.status !== 200) continue;
        const d = rec(rec(a.json).data);
        if (Array.isArray(d.policies) && d.policies.includes('root'))
          roots.push(`${accessor} (${typeof d.display_name === 'string' ? d.display_name : 'token'})`);
      }
      const looked = Math.min(accessors.length, p.maxAccessors);
      if (roots.length > 0) {
        return result(
          'fail',
          `${count(roots.length, 'root token')} still alive: revoke ${roots.length === 1 ? 'it' : 'them'} (vault token revoke -accessor ACCESSOR)`,
          [...roots.map((r) => ({key: 'auth/token/accessors', detail: `root token, accessor ${r}`})), ...ev, ...c.evidence],
        );
      }
      ev.push({key: 'auth/token/accessors', detail: `${looked} of ${accessors.length} tokens looked up; none has the root policy`});
      if (looked === accessors.length) decided = true;
      else ev.push({key: 'auth/token/accessors', detail: `${accessors.length - looked} not looked up (maxAccessors ${p.maxAccessors})`});
    } else {
      ev.push({key: 'auth/token/accessors', detail: `this token may not list accessors (HTTP ${list.status}); that needs sudo on auth/token/accessors`});
    }
    if (!decided) {
      return result(
        'skip',
        `cannot tell whether the root token was revoked: give it in ${p.rootTokenEnv} for this run, or use a token that may list auth/token/accessors`,
        [...ev, ...c.evidence],
      );
    }
    return result('pass', 'no root token is alive', [...ev, ...c.evidence]);
  },
});

/** The path blocks of an HCL ACL policy: path "x" { capabilities = [...] }. */
function policyBlocks(hcl: string): {path: string; capabilities: string[]}[] {
  const out: {path: string; capabilities: string[]}[] = [];
  const re = /path\s+"([^"]+)"\s*\{([^}]*)\}/g;
  for (let m = re.exec(hcl); m; m = re.exec(hcl)) {
    const caps = /capabilities\s*=\s*\[([^\]]*)\]/.exec(m[2]!)?.[1] ?? '';
    out.push({path: m[1]!, capabilities: [...caps.matchAll(/"([^"]+)"/g)].map((x) => x[1]!)});
  }
  return out;
}

export const policy = defineCheck({
  id: 'vault.policy',
  summary:
    'An ACL policy exists, grants the given capabilities on the given path, and grants nothing beyond them (on that path or any other). Runs only with a token for this run.',
  params: z.strictObject({
    ...ConnShape,
    name: z.string().min(1),
    path: z.string().min(1),
    capabilities: z.array(z.string().min(1)).min(1).default(['read']),
  }),
  async run(ctx, p, signal) {
    const c = await connect(ctx, p, signal);
    if (!('base' in c)) return c;
    const a = await call(c, 'GET', `sys/policies/acl/${encodeURIComponent(p.name)}`);
    if ('why' in a) return result('error', `Vault at ${c.base.origin}: ${a.why}`, c.evidence);
    const key = `sys/policies/acl/${p.name}`;
    if (a.status === 404) return result('fail', `there is no policy ${p.name}`, [{key, detail: 'no such policy'}, ...c.evidence]);
    if (a.status !== 200) return result('error', `reading policy ${p.name} gave HTTP ${a.status}${vaultErrors(a.json)}`, c.evidence);
    const text = rec(rec(a.json).data).policy ?? rec(a.json).policy;
    if (typeof text !== 'string') return result('error', `policy ${p.name} came back without its text`, c.evidence);
    const blocks = policyBlocks(text);
    const ev: Evidence[] = blocks.map((b) => ({key, detail: `path "${b.path}": ${b.capabilities.join(', ')}`}));
    const fails: string[] = [];
    const mine = blocks.find((b) => b.path === p.path);
    if (!mine) fails.push(`no rule for ${p.path}`);
    else {
      const missing = p.capabilities.filter((x) => !mine.capabilities.includes(x));
      const extra = mine.capabilities.filter((x) => !p.capabilities.includes(x));
      if (missing.length > 0) fails.push(`${p.path} lacks ${missing.join(', ')}`);
      if (extra.length > 0) fails.push(`${p.path} also grants ${extra.join(', ')}`);
    }
    for (const b of blocks)
      if (b.path !== p.path && b.capabilities.some((x) => x !== 'deny')) fails.push(`also grants ${b.capabilities.join(', ')} on ${b.path}`);
    if (fails.length > 0) return result('fail', `policy ${p.name}: ${fails.join('; ')}`, [...ev, ...c.evidence]);
    return result('pass', `policy ${p.name} grants only ${p.capabilities.join(', ')} on ${p.path}`, [...ev, ...c.evidence]);
  },
});

export const approle = defineCheck({
  id: 'vault.approle',
  summary:
    "An AppRole role exists with token TTLs no longer than given (0, Vault's system default, counts as longer) and the given policies attached. Runs only with a token for this run.",
  params: z.strictObject({
    ...ConnShape,
    /** The AppRole auth mount (approle). */
    authMount: z.string().min(1).default('approle'),
    role: z.string().min(1),
    /** Seconds. */
    maxTokenTtl: z.number().int().min(1),
    maxTokenMaxTtl: z.number().int().min(1),
    policies: z.array(z.string().min(1)).default([]),
  }),
  async run(ctx, p, signal) {
    const c = await connect(ctx, p, signal);
    if (!('base' in c)) return c;
    const key = `auth/${p.authMount}/role/${p.role}`;
    const a = await call(c, 'GET', `auth/${encodePath(p.authMount)}/role/${encodeURIComponent(p.role)}`);
    if ('why' in a) return result('error', `Vault at ${c.base.origin}: ${a.why}`, c.evidence);
    if (a.status === 404) return result('fail', `there is no AppRole role ${p.role}`, [{key, detail: 'no such role'}, ...c.evidence]);
    if (a.status !== 200) return result('error', `reading ${key} gave HTTP ${a.status}${vaultErrors(a.json)}`, c.evidence);
    const d = rec(rec(a.json).data);
    const ttl = Number(d.token_ttl ?? 0);
    const maxTtl = Number(d.token_max_ttl ?? 0);
    const pols = [...(Array.isArray(d.token_policies) ? d.token_policies : []), ...(Array.isArray(d.policies) ? d.policies : [])].map(String);
    const fails: string[] = [];
    const secs = (n: number) => (n === 0 ? "0 (Vault's system default, 32 days unless tuned)" : `${n}s`);
    if (ttl === 0 || ttl > p.maxTokenTtl) fails.push(`token_ttl is ${secs(ttl)}, above ${p.maxTokenTtl}s`);
    if (maxTtl === 0 || maxTtl > p.maxTokenMaxTtl) fails.push(`token_max_ttl is ${secs(maxTtl)}, above ${p.maxTokenMaxTtl}s`);
    const missing = p.policies.filter((x) => !pols.includes(x));
    if (missing.length > 0) fails.push(`policies lack ${missing.join(', ')}`);
    const ev: Evidence[] = [
      {key, detail: `token_ttl ${secs(ttl)}, token_max_ttl ${secs(maxTtl)}, policies ${[...new Set(pols)].join(', ') || 'none'}`},
      ...c.evidence,
    ];
    if (fails.length > 0) return result('fail', `AppRole ${p.role}: ${fails.join('; ')}`, ev);
    return result('pass', `AppRole ${p.role}: tokens live at most ${p.maxTokenMaxTtl}s with ${p.policies.join(', ') || 'its policies'}`, ev);
  },
});

/** Every check of this family, for the registry. */
export const VAULT_CHECKS: readonly CheckDef[] = [health, kvFields, kvGroups, x25519Pair, rsaPair, nkeys, rootTokenRevoked, policy, approle];
