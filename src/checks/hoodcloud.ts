// hoodcloud.*: the HoodCloud control plane (steps/hoodcloud.yaml). Two kinds of check live here.
//
// Settings: rules on the control plane's .env (and the Compose environment beside it), read through
// the settings model so that every copy is judged at its file and line. Booleans are read the way
// Go's strconv.ParseBool reads them, since HoodCloud is a Go service: `yes` or `on` is no boolean
// there, and the service would refuse it. Secret values only ever appear redacted.
//
// The control-plane host: files under /opt/hoodcloud and /etc that live on the host, outside any
// deployment folder. Every host check takes `host`: the root of the host's tree (`/` on the host;
// a temp folder standing for it in tests), the pack input that says whether this machine is the
// control-plane host (auto, control-plane or workstation), and the marker path whose presence
// means "this is the control-plane host" when the input is auto. On a workstation the host checks
// skip and say why; they never fail for files that are simply elsewhere. Host files are read with
// readRegularFile (bounded, regular files only) at the host root joined with their absolute path,
// and shown in evidence by their path on the host.
import type {Stats} from 'node:fs';
import {lstat, readdir, readlink, stat} from 'node:fs/promises';
import {X509Certificate, createPrivateKey, createPublicKey} from 'node:crypto';
import {dirname, isAbsolute, join, posix, relative, resolve, sep} from 'node:path';
import {z} from 'zod';
import {readRegularFile} from '../deploy/read.js';
import {collect, EnvKey, evidenceOf, type Occurrence} from '../deploy/settings.js';
import type {Context} from '../engine/context.js';
import {display, isPlaceholder, redact} from '../engine/redact.js';
import {count, result, type Evidence} from '../model/types.js';
import {errorMessage} from '../sources/errors.js';
import {lineOf, parseYaml, type YamlFile} from '../sources/yamlDoc.js';
import {defineCheck, type CheckDef} from './define.js';

/** Host files the checks read are small: units, scripts, keys, certificates, rule files. */
const MAX_HOST_BYTES = 1024 * 1024;
const DAY_MS = 86_400_000;

// ---------------------------------------------------------------------------------------------
// The host

const AbsPath = z
  .string()
  .min(1)
  .refine((p) => p.startsWith('/'), 'an absolute path as it is on the control-plane host, e.g. /opt/hoodcloud/...');

/** Where the control-plane host's tree is, and how to tell whether this machine is that host. */
export const HostShape = z
  .strictObject({
    /** The host's `/`: `/` on the control-plane host itself; another folder that holds a copy of its tree. */
    root: z.string().min(1).default('/'),
    /** The pack input that says whether Shipshape runs on the control-plane host: auto, control-plane or workstation. */
    input: z.string().min(1).default('host'),
    /** With the input on auto (or not declared): this path exists exactly on the control-plane host. */
    marker: AbsPath.default('/opt/hoodcloud'),
  })
  .default({root: '/', input: 'host', marker: '/opt/hoodcloud'});
export type Host = z.output<typeof HostShape>;

/** Where a host path is on this machine: the host root joined with its absolute path. */
export function onHost(host: Host, path: string): string {
  return join(resolve(host.root), path);
}

/** ` (host tree at /tmp/x)` when the root is not `/`, for messages; '' on the host itself. */
function underRoot(host: Host): string {
  return resolve(host.root) === sep ? '' : ` (host tree at ${host.root})`;
}

/** Whether this machine is the control-plane host, by the input, else by the marker; the reason when it is not. */
export async function hostState(ctx: Context, host: Host): Promise<{on: true} | {on: false; why: string}> {
  const said = ctx.inputs[host.input];
  if (said === 'workstation') {
    return {
      on: false,
      why: `Shipshape runs on a workstation (input ${host.input}=workstation): this file lives on the control-plane host; run there to check it`,
    };
  }
  if (said === 'control-plane') return {on: true};
  const here = await stat(onHost(host, host.marker)).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (here) return {on: true};
  return {
    on: false,
    why: `${host.marker} is not here${underRoot(host)}, so this machine is not the control-plane host: the item is checked there (or with --input ${host.input}=control-plane)`,
  };
}

function code(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? errorMessage(err);
}

function isMissing(err: unknown): boolean {
  return code(err) === 'ENOENT' || code(err) === 'ENOTDIR';
}

function octal(mode: number): string {
  return `0${(mode & 0o7777).toString(8).padStart(3, '0')}`;
}

const Octal = z.string().regex(/^0?[0-7]{3,4}$/, 'an octal mode such as 0400');

/** The uid of a user name, from the host's /etc/passwd; root is 0 even without one. */
async function uidOf(host: Host, user: string | number): Promise<{uid: number; name: string} | undefined> {
  if (typeof user === 'number') return {uid: user, name: String(user)};
  if (/^\d+$/.test(user)) return {uid: Number(user), name: user};
  const text = await readRegularFile(onHost(host, '/etc/passwd'), {maxBytes: MAX_HOST_BYTES})
    .then((b) => b.toString('utf8'))
    .catch(() => '');
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] === user && f[2] !== undefined && /^\d+$/.test(f[2])) return {uid: Number(f[2]), name: user};
  }
  return user === 'root' ? {uid: 0, name: 'root'} : undefined;
}

/** Reads a host file as text, or says why it cannot be read. */
async function readHost(host: Host, path: string): Promise<{text: string} | {missing: true} | {error: string}> {
  try {
    return {text: (await readRegularFile(onHost(host, path), {maxBytes: MAX_HOST_BYTES, shown: path})).toString('utf8')};
  } catch (err) {
    const why = errorMessage(err);
    if (/does not exist/.test(why) || isMissing(err)) return {missing: true};
    return {error: why};
  }
}

/** The first copy of a setting that holds a value, or undefined. */
async function firstValue(ctx: Context, key: string): Promise<Occurrence | undefined> {
  const {occurrences} = await collect(ctx, {keys: [key], urls: [], helm: []});
  return occurrences.find((o) => o.value !== undefined && o.value !== '');
}

/** Evidence that a setting has no value: its empty line when there is one, else the .env it is missing from. */
async function unsetEvidence(ctx: Context, key: string): Promise<Evidence> {
  const {occurrences} = await collect(ctx, {keys: [key], urls: [], helm: []});
  const empty = occurrences[0];
  return empty ? evidenceOf(empty, 'empty') : {file: ctx.pack.files.env[0] ?? '.env', key, detail: 'not set'};
}

// ---------------------------------------------------------------------------------------------
// Settings

/** strconv.ParseBool: what a Go service accepts as a boolean. */
function goBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

const Unset = z.enum(['fail', 'warn', 'pass', 'skip']);

/** A condition on other settings: it holds when any of `keys` matches. */
const Condition = z.strictObject({
  keys: z.array(EnvKey).min(1),
  /** `true` (a Go boolean true), `set` (any value), or the values that count. */
  is: z.union([z.enum(['true', 'set']), z.array(z.string()).min(1)]),
  /** Whether the condition holds when none of the keys is set (the service's default). */
  ifUnset: z.boolean().default(false),
  /** Words for messages, e.g. "NATS is enabled". */
  means: z.string().optional(),
});
type Cond = z.output<typeof Condition>;

async function judgeCondition(ctx: Context, c: Cond): Promise<{holds: boolean; words: string; evidence: Evidence[]}> {
  const {occurrences} = await collect(ctx, {keys: c.keys, urls: [], helm: []});
  const set = occurrences.filter((o) => o.value !== undefined && o.value !== '');
  const want = c.is === 'true' ? 'true' : c.is === 'set' ? 'set' : c.is.join(' or ');
  const words = c.means ?? `${c.keys.join(' or ')} is ${want}`;
  if (set.length === 0) return {holds: c.ifUnset, words, evidence: []};
  const hit = set.find((o) => (c.is === 'true' ? goBool(o.value!) === true : c.is === 'set' ? true : c.is.includes(o.value!)));
  return {
    holds: hit !== undefined,
    words,
    evidence: hit ? [evidenceOf(hit, `${display(hit.key, hit.value)}: ${words}`)] : set.map((o) => evidenceOf(o, display(o.key, o.value))),
  };
}

const SettingParams = z.strictObject({
  key: EnvKey,
  rule: z.enum(['true', 'not-true', 'one-of', 'not-one-of', 'int', 'set']),
  /** For one-of and not-one-of. */
  values: z.array(z.string()).default([]),
  /** Compare one-of / not-one-of without regard to case (LOG_LEVEL=INFO is info). */
  ignoreCase: z.boolean().default(true),
  min: z.number().int().optional(),
  max: z.number().int().optional(),
  /** What it means when no file sets the key (or sets it empty). */
  unset: Unset.default('fail'),
  /** The rule applies only while every condition holds; otherwise the check skips and says why. */
  onlyIf: z.array(Condition).default([]),
  /** Only these .env files (relative to the deployment), e.g. the payment service's; default: the pack's. */
  files: z.array(z.string().min(1)).optional(),
  /** Force redaction of the value in evidence. */
  secret: z.boolean().default(false),
  /** Words for the rule in messages, e.g. "on (true)". */
  expect: z.string().optional(),
});
type SettingParams = z.output<typeof SettingParams>;

export const setting = defineCheck({
  id: 'hoodcloud.setting',
  summary:
    'A setting holds what a rule asks (a Go boolean true, not true, one of / none of some values, an integer in range, any value), optionally only while other settings hold (ENVIRONMENT=production); unset is its own outcome.',
  params: SettingParams,
  async run(ctx, p) {
    const conditionEvidence: Evidence[] = [];
    for (const c of p.onlyIf) {
      const j = await judgeCondition(ctx, c);
      if (!j.holds) return result('skip', `the rule applies only while ${j.words}, and it does not here`, j.evidence);
      conditionEvidence.push(...j.evidence);
    }
    const occurrences = p.files ? await fromFiles(ctx, p.files, p.key) : (await collect(ctx, {keys: [p.key], urls: [], helm: []})).occurrences;
    if (p.files && occurrences === undefined) return result('skip', `none of ${p.files.join(', ')} is here`);
    const copies = occurrences ?? [];
    const expect = p.expect ?? ruleWords(p);
    // Booleans, numbers and the listed values are settings, not secrets: shown as written, unless the
    // pack says otherwise. Anything else (a password checked against defaults) only as a redaction.
    const plain = !p.secret && ['true', 'not-true', 'one-of', 'int'].includes(p.rule);
    const show = (v: string | undefined) => (plain && v !== undefined && v.length <= 64 ? JSON.stringify(v) : display(p.key, v, p.secret));
    const set = copies.filter((o) => o.value !== undefined && o.value !== '');
    if (set.length === 0) {
      const empties = copies.map((o) => evidenceOf(o, 'empty'));
      const where = p.files ? p.files.join(', ') : 'any file read';
      const words = `${p.key} is not set in ${where}`;
      // Nothing to point at but the condition's lines (ENVIRONMENT=production, line 2), and the .env itself.
      const envFile = p.files?.[0] ?? ctx.pack.files.env[0] ?? '.env';
      const ev = [...empties, ...(empties.length === 0 ? [{file: envFile, key: p.key, detail: `not set (expected ${expect})`}] : []), ...conditionEvidence];
      if (p.unset === 'pass') return result('pass', `${words}; unset is fine (expected ${expect})`, ev);
      return result(p.unset, `${words} (expected ${expect})`, ev);
    }
    const bad: Evidence[] = [];
    const good: Evidence[] = [];
    const whys: string[] = [];
    for (const o of set) {
      const why = judgeRule(p, o.value!);
      if (why) whys.push(why);
      (why ? bad : good).push(evidenceOf(o, why ? `${show(o.value)} ${why}` : `${show(o.value)}: ${expect}`));
    }
    if (bad.length > 0) return result('fail', `${p.key} ${whys[0]} (expected ${expect})`, [...bad, ...conditionEvidence]);
    return result('pass', `${p.key} is ${expect}`, [...good, ...conditionEvidence]);
  },
});

function ruleWords(p: SettingParams): string {
  switch (p.rule) {
    case 'true':
      return 'true';
    case 'not-true':
      return 'false or unset';
    case 'one-of':
      return `one of ${p.values.join(', ')}`;
    case 'not-one-of':
      return `anything but ${p.values.length <= 3 ? p.values.join(', ') : 'a known default'}`;
    case 'int':
      return `an integer${p.min !== undefined ? ` of at least ${p.min}` : ''}${p.max !== undefined ? `${p.min !== undefined ? ' and' : ''} at most ${p.max}` : ''}`;
    case 'set':
      return 'set';
  }
}

/** Why a value breaks the rule, or undefined when it keeps it. */
function judgeRule(p: SettingParams, v: string): string | undefined {
  const same = (a: string, b: string) => (p.ignoreCase ? a.toLowerCase() === b.toLowerCase() : a === b);
  switch (p.rule) {
    case 'true': {
      const b = goBool(v);
      return b === true ? undefined : b === false ? 'is false' : 'is not a boolean Go reads (true/false, 1/0, t/f)';
    }
    case 'not-true': {
      const b = goBool(v);
      return b === false ? undefined : b === true ? 'is true' : 'is not a boolean Go reads (true/false, 1/0, t/f)';
    }
    case 'one-of':
      return p.values.some((x) => same(x, v)) ? undefined : `is not one of ${p.values.join(', ')}`;
    case 'not-one-of':
      return p.values.some((x) => same(x, v))
        ? p.values.length <= 3
          ? `is ${p.values.join(' or ')}`
          : 'is a known default'
        : isPlaceholder(v)
          ? 'is a template placeholder'
          : undefined;
    case 'int': {
      if (!/^[+-]?\d+$/.test(v.trim())) return 'is not an integer';
      const n = Number(v.trim());
      if (p.min !== undefined && n < p.min) return `is below ${p.min}`;
      if (p.max !== undefined && n > p.max) return `is above ${p.max}`;
      return undefined;
    }
    case 'set':
      return isPlaceholder(v) ? 'is a template placeholder' : undefined;
  }
}

/** The key's copies in these .env files only; undefined when none of the files is here. */
async function fromFiles(ctx: Context, files: readonly string[], key: string): Promise<Occurrence[] | undefined> {
  const out: Occurrence[] = [];
  let any = false;
  for (const f of files) {
    const env = await ctx.envFile(f);
    if (!env) continue;
    any = true;
    const e = env.entries.get(key);
    if (e) out.push({key, value: e.value, file: env.file, line: e.line, where: env.file, literal: false});
  }
  return any ? out : undefined;
}

export const settingsPresent = defineCheck({
  id: 'hoodcloud.settings-present',
  summary:
    'Each of the keys is set (not empty, not a placeholder) in the .env or the Compose environment; with allOrNone, either all or none are. Values are shown only when they cannot be secrets.',
  params: z.strictObject({
    keys: z.array(EnvKey).min(1),
    /** What a missing key means: fail, or warn where the name is this pack's guess. */
    missing: z.enum(['fail', 'warn']).default('fail'),
    /** Pass when none is set (an optional feature), fail when only some are. */
    allOrNone: z.boolean().default(false),
    secret: z.boolean().default(false),
  }),
  async run(ctx, p) {
    const {occurrences} = await collect(ctx, {keys: p.keys, urls: [], helm: []});
    const envFile = ctx.pack.files.env[0] ?? '.env';
    const good: Evidence[] = [];
    const bad: Evidence[] = [];
    const absent: string[] = [];
    for (const key of p.keys) {
      const copies = occurrences.filter((o) => o.key === key);
      const set = copies.filter((o) => o.value !== undefined && o.value !== '' && !isPlaceholder(o.value));
      if (set.length > 0) {
        good.push(...set.map((o) => evidenceOf(o, display(key, o.value, p.secret))));
        continue;
      }
      absent.push(key);
      if (copies.length === 0) bad.push({file: envFile, key, detail: 'not set'});
      else bad.push(...copies.map((o) => evidenceOf(o, o.value ? `${display(key, o.value, p.secret)} is a placeholder` : 'empty')));
    }
    if (absent.length === 0) return result('pass', `${count(p.keys.length, 'setting')} set: ${p.keys.join(', ')}`, good);
    if (p.allOrNone && absent.length === p.keys.length) return result('pass', `none of ${p.keys.join(', ')} is set (the feature is not used)`, bad);
    const msg = p.allOrNone
      ? `only some of ${p.keys.join(', ')} are set: ${absent.join(', ')} missing`
      : `${absent.join(', ')} ${absent.length === 1 ? 'is' : 'are'} not set (or still a placeholder)`;
    return result(p.allOrNone ? 'fail' : p.missing, msg, [...bad, ...good]);
  },
});

/** Why a host is local, or undefined. */
function localHost(h: string): string | undefined {
  const x = h.toLowerCase().replace(/^\[|\]$/g, '');
  if (x === 'localhost' || x.endsWith('.localhost')) return 'localhost';
  if (/^127\.\d+\.\d+\.\d+$/.test(x) || x === '::1') return 'a loopback address';
  if (x === '0.0.0.0' || x === '::') return 'the unspecified address';
  return undefined;
}

export const endpoint = defineCheck({
  id: 'hoodcloud.endpoint',
  summary: 'A setting is a network endpoint host:port (optionally scheme://host:port), with a port, on a host other machines can reach (not localhost).',
  params: z.strictObject({
    keys: z.array(EnvKey).min(1),
    /** Schemes accepted before host:port; none means a bare host:port only is also fine. */
    schemes: z.array(z.string()).default(['https', 'grpc', 'grpcs', 'dns', 'tls']),
    required: z.boolean().default(true),
  }),
  async run(ctx, p) {
    const {occurrences} = await collect(ctx, {keys: p.keys, urls: [], helm: []});
    const set = occurrences.filter((o) => o.value !== undefined && o.value !== '');
    if (set.length === 0) {
      return p.required
        ? result('fail', `${p.keys.join(', ')} is not set`, [await unsetEvidence(ctx, p.keys[0]!)])
        : result('skip', `${p.keys.join(', ')} is not set`);
    }
    const bad: Evidence[] = [];
    const good: Evidence[] = [];
    for (const o of set) {
      const v = o.value!;
      const why = endpointProblem(v, p.schemes);
      (why ? bad : good).push(evidenceOf(o, why ? `${JSON.stringify(v)} ${why}` : `${JSON.stringify(v)}: host and port`));
    }
    if (bad.length > 0) return result('fail', `${p.keys.join(', ')} is not a reachable host:port`, bad);
    return result('pass', `${p.keys.join(', ')} is a host:port other machines can reach`, good);
  },
});

function endpointProblem(v: string, schemes: readonly string[]): string | undefined {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(v);
  let rest = v;
  if (m) {
    if (!schemes.includes(m[1]!.toLowerCase())) return `uses ${m[1]}://, not ${schemes.map((s) => `${s}://`).join(', ')} or a bare host:port`;
    rest = m[2]!;
  }
  rest = rest.replace(/\/+$/, '');
  if (rest.includes('/')) return 'has a path; an endpoint is host:port';
  const hp = /^(\[[0-9a-f:.]+\]|[^:[\]]+):(\d+)$/i.exec(rest);
  if (!hp) return 'has no port (expected host:port)';
  const port = Number(hp[2]);
  if (port < 1 || port > 65535) return `has port ${hp[2]}, outside 1-65535`;
  const local = localHost(hp[1]!);
  if (local) return `points at ${local}, which other machines cannot reach`;
  return undefined;
}

export const memberOf = defineCheck({
  id: 'hoodcloud.member-of',
  summary: 'A setting equals one entry of a comma-separated list held by another setting (e.g. the authorized party is one of the allowed origins).',
  params: z.strictObject({
    key: EnvKey,
    listKey: EnvKey,
  }),
  async run(ctx, p) {
    const item = await firstValue(ctx, p.key);
    const list = await firstValue(ctx, p.listKey);
    if (!item) return result('fail', `${p.key} is not set`, [await unsetEvidence(ctx, p.key)]);
    if (!list)
      return result('fail', `${p.listKey} is not set, so ${p.key} cannot be among it`, [
        evidenceOf(item, JSON.stringify(item.value)),
        await unsetEvidence(ctx, p.listKey),
      ]);
    const entries = list
      .value!.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const v = item.value!.trim();
    if (entries.includes(v))
      return result('pass', `${p.key} is one of ${p.listKey}`, [
        evidenceOf(item, `${JSON.stringify(v)} is listed in ${p.listKey}`),
        evidenceOf(list, `${entries.length} entries`),
      ]);
    const near = entries.find((e) => e.replace(/\/+$/, '').toLowerCase() === v.replace(/\/+$/, '').toLowerCase());
    const why = near
      ? `differs from the listed ${JSON.stringify(near)} only in case or a trailing slash, and the comparison is exact`
      : `is not among ${entries.map((e) => JSON.stringify(e)).join(', ')}`;
    return result('fail', `${p.key} is not one of ${p.listKey}`, [
      evidenceOf(item, `${JSON.stringify(v)} ${why}`),
      evidenceOf(list, `${entries.length} entries`),
    ]);
  },
});

const Shape = z.strictObject({
  /** A regular expression a secret value matches, e.g. ^sk_live_. */
  pattern: z.string().min(1),
  /** What it is, for messages: "a Clerk secret key". */
  what: z.string().min(1),
});

export const notInEnv = defineCheck({
  id: 'hoodcloud.not-in-env',
  summary:
    'Secrets that belong in Vault hold no value in the .env or the Compose environment: the named keys, passwords inside the named URLs, and any value shaped like a known secret (a Clerk key, a private key, an NKEY seed).',
  params: z.strictObject({
    keys: z.array(EnvKey).default([]),
    urls: z.array(EnvKey).default([]),
    shapes: z.array(Shape).default([]),
    /** Where they belong, for messages. */
    home: z.string().default('Vault'),
  }),
  async run(ctx, p) {
    const bad: Evidence[] = [];
    const {occurrences} = await collect(ctx, {keys: p.keys, urls: p.urls, helm: []});
    for (const o of occurrences) {
      if (o.value === undefined || o.value === '') continue;
      bad.push(evidenceOf(o, `holds a value (${redact(o.value)}); it belongs in ${p.home}`));
    }
    const named = new Set([...p.keys, ...p.urls]);
    const shapes = p.shapes.map((s) => ({re: new RegExp(s.pattern), what: s.what}));
    for (const env of await ctx.envFiles()) {
      for (const e of env.entries.values()) {
        if (named.has(e.key) || e.value === '') continue;
        const hit = shapes.find((s) => s.re.test(e.value));
        if (hit) bad.push({file: env.file, line: e.line, key: e.key, detail: `looks like ${hit.what} (${redact(e.value)}); it belongs in ${p.home}`});
      }
    }
    if (bad.length > 0)
      return result(
        'fail',
        `${count(bad.length, 'secret')} that ${bad.length === 1 ? 'belongs' : 'belong'} in ${p.home} ${bad.length === 1 ? 'sits' : 'sit'} in the deployment's files`,
        bad,
      );
    return result(
      'pass',
      `no secret that belongs in ${p.home} is in the .env or Compose environment`,
      (await ctx.envFiles()).map((e) => ({file: e.file, detail: `${e.entries.size} keys, none of them a secret that belongs in ${p.home}`})),
    );
  },
});

export const connectionBudget = defineCheck({
  id: 'hoodcloud.connection-budget',
  summary:
    'The database connections the services may open (each pool size x its instances) stay below max_connections minus the superuser reserve; instances and max_connections are given, pool sizes read from the Compose environment or the .env.',
  params: z.strictObject({
    key: EnvKey.default('DB_MAX_CONNS'),
    /** Instances of each service that opens a pool. */
    instances: z.record(z.string(), z.number().int().min(0)),
    /** PostgreSQL's max_connections (its default is 100). */
    maxConnections: z.number().int().min(1).default(100),
    /** superuser_reserved_connections (default 3), plus any headroom kept for people and migrations. */
    reserved: z.number().int().min(0).default(3),
  }),
  async run(ctx, p) {
    const compose = await ctx.compose();
    const dotenv = await firstValue(ctx, p.key);
    const ev: Evidence[] = [];
    const bad: Evidence[] = [];
    let total = 0;
    for (const [svc, n] of Object.entries(p.instances)) {
      const own = compose?.services.get(svc)?.environment.get(p.key);
      const occ: Occurrence | undefined = own?.value
        ? {key: p.key, value: own.value, file: own.file, line: own.line, where: own.file, literal: own.literal, service: svc}
        : dotenv;
      if (!occ) return result('skip', `${p.key} is not set for ${svc} nor in the .env: the pool size is the library's default and cannot be added up`);
      if (!/^\d+$/.test(occ.value!.trim())) {
        bad.push(evidenceOf(occ, `${JSON.stringify(occ.value)} is not a whole number`));
        continue;
      }
      const size = Number(occ.value!.trim());
      total += size * n;
      ev.push({...evidenceOf(occ, `${svc}: ${size} x ${count(n, 'instance')} = ${size * n}`)});
    }
    if (bad.length > 0) return result('fail', `${p.key} is not a number`, bad);
    const available = p.maxConnections - p.reserved;
    const summary: Evidence = {
      key: 'max_connections',
      detail: `${p.maxConnections} - ${p.reserved} reserved = ${available} (the pack's figures: change maxConnections and instances to yours)`,
    };
    if (total < available) return result('pass', `the pools may open ${total} connections, below the ${available} available`, [...ev, summary]);
    return result('fail', `the pools may open ${total} connections, and only ${available} are available: lower ${p.key} or raise max_connections`, [
      ...ev,
      summary,
    ]);
  },
});

// ---------------------------------------------------------------------------------------------
// Host files

/** One host path from the pack, or from a setting that names it (VAULT_SECRET_ID_PATH). */
interface HostPath {
  path: string;
  /** The .env line that names it, when it came from one. */
  from?: Evidence;
}

async function hostPaths(ctx: Context, paths: readonly string[], keys: readonly string[]): Promise<{list: HostPath[]; notes: Evidence[]}> {
  const list: HostPath[] = paths.map((path) => ({path}));
  const notes: Evidence[] = [];
  for (const key of keys) {
    const o = await firstValue(ctx, key);
    if (!o) continue;
    const v = o.value!;
    if (!v.startsWith('/')) {
      notes.push(evidenceOf(o, `${JSON.stringify(v)} is not an absolute path`));
      continue;
    }
    const seen = list.find((x) => posix.normalize(x.path) === posix.normalize(v));
    const from = evidenceOf(o, `names ${v}`);
    if (seen) seen.from = from;
    else list.push({path: v, from});
  }
  return {list, notes};
}

export const hostFile = defineCheck({
  id: 'hoodcloud.host-file',
  summary:
    'On the control-plane host: each file (given, or named by a setting such as VAULT_SECRET_ID_PATH) is a regular file, not empty, with no mode bits beyond maxMode, owned by owner, executable by its owner when asked, and matching a pattern. Skips on a workstation.',
  params: z.strictObject({
    host: HostShape,
    paths: z.array(AbsPath).default([]),
    /** Settings whose values are host paths; each named file is checked too, and the setting's line shown. */
    pathKeys: z.array(EnvKey).default([]),
    maxMode: Octal.optional(),
    owner: z.union([z.string().min(1), z.number().int().min(0)]).optional(),
    executable: z.boolean().default(false),
    nonEmpty: z.boolean().default(true),
    /** A regular expression the file's text must match (its text is never shown). */
    pattern: z.string().optional(),
    /** Words for the pattern, for messages. */
    patternWhat: z.string().default('the expected content'),
  }),
  async run(ctx, p, signal) {
    const where = await hostState(ctx, p.host);
    if (!where.on) return result('skip', where.why);
    const {list, notes} = await hostPaths(ctx, p.paths, p.pathKeys);
    if (list.length === 0) return result('skip', `no path to check (${p.pathKeys.join(', ')} not set)`, notes);
    const want = p.owner === undefined ? undefined : await uidOf(p.host, p.owner);
    if (p.owner !== undefined && !want)
      return result('error', `user ${p.owner} is not in the host's /etc/passwd`, [{file: '/etc/passwd', detail: `no user ${p.owner}`}]);
    const max = p.maxMode === undefined ? undefined : Number.parseInt(p.maxMode, 8);
    const bad: Evidence[] = [...notes];
    const good: Evidence[] = [];
    const errors: Evidence[] = [];
    for (const hp of list) {
      if (signal.aborted) break;
      const abs = onHost(p.host, hp.path);
      let s: Stats;
      try {
        s = await stat(abs);
      } catch (err) {
        bad.push({file: hp.path, detail: isMissing(err) ? 'does not exist' : `cannot be read: ${code(err)}`}, ...(hp.from ? [hp.from] : []));
        continue;
      }
      const problems: string[] = [];
      const facts: string[] = [`mode ${octal(s.mode)}`, `owner uid ${s.uid}`];
      if (!s.isFile()) problems.push('is not a regular file');
      if (max !== undefined && (s.mode & 0o7777 & ~max) !== 0) problems.push(`mode ${octal(s.mode)} allows more than ${octal(max)}`);
      if (want && s.uid !== want.uid) problems.push(`is owned by uid ${s.uid}, not ${want.name} (${want.uid})`);
      if (p.executable && (s.mode & 0o100) === 0) problems.push('is not executable by its owner');
      if (p.nonEmpty && s.isFile() && s.size === 0) problems.push('is empty');
      if (p.pattern !== undefined && s.isFile() && problems.length === 0) {
        const r = await readHost(p.host, hp.path);
        if ('text' in r) {
          if (!new RegExp(p.pattern, 'm').test(r.text)) problems.push(`does not contain ${p.patternWhat}`);
          else facts.push(`contains ${p.patternWhat}`);
        } else {
          errors.push({file: hp.path, detail: 'error' in r ? r.error : 'vanished while being read'});
          continue;
        }
      }
      if (problems.length > 0) bad.push({file: hp.path, detail: `${problems.join('; ')} (${facts.join(', ')})`}, ...(hp.from ? [hp.from] : []));
      else good.push({file: hp.path, detail: facts.join(', ')}, ...(hp.from ? [hp.from] : []));
    }
    const failing = new Set(bad.filter((e) => e.file?.startsWith('/')).map((e) => e.file));
    if (bad.length > 0)
      return result('fail', `${failing.size > 0 ? [...failing].join(', ') : 'a path setting'}: not as required${underRoot(p.host)}`, [...bad, ...errors]);
    if (errors.length > 0) return result('error', `could not read ${errors[0]!.file}: ${errors[0]!.detail}`, errors);
    return result('pass', `${list.map((x) => x.path).join(', ')}: as required${underRoot(p.host)}`, good);
  },
});

export const hostLink = defineCheck({
  id: 'hoodcloud.host-link',
  summary:
    'On the control-plane host: dir/name is a symbolic link to the given target, and the target is an executable regular file (a certbot deploy hook). Skips on a workstation.',
  params: z.strictObject({
    host: HostShape,
    /** The folder the link is in, and its name there. */
    dir: AbsPath,
    name: z.string().regex(/^[^/]+$/, 'a file name'),
    target: AbsPath,
    executable: z.boolean().default(true),
  }),
  async run(ctx, p) {
    const where = await hostState(ctx, p.host);
    if (!where.on) return result('skip', where.why);
    const link = posix.join(p.dir, p.name);
    const linkAbs = onHost(p.host, link);
    const targetAbs = onHost(p.host, p.target);
    const ev: Evidence[] = [];
    const fails: string[] = [];
    const t = await stat(targetAbs).catch((err: unknown) => err);
    if (!(t instanceof Error) && (t as Stats).isFile?.()) {
      const s = t as Stats;
      const x = (s.mode & 0o111) !== 0;
      if (p.executable && !x) fails.push(`${p.target} is not executable`);
      ev.push({file: p.target, detail: `mode ${octal(s.mode)}${p.executable ? (x ? ', executable' : ', NOT executable') : ''}`});
    } else {
      fails.push(`${p.target} does not exist`);
      ev.push({file: p.target, detail: t instanceof Error && !isMissing(t) ? `cannot be read: ${code(t)}` : 'does not exist'});
    }
    const l = await lstat(linkAbs).catch((err: unknown) => err);
    if (l instanceof Error) {
      fails.push(`${link} does not exist`);
      ev.push({file: link, detail: isMissing(l) ? 'does not exist' : `cannot be read: ${code(l)}`});
    } else if (!(l as Stats).isSymbolicLink()) {
      fails.push(`${link} is a ${(l as Stats).isFile() ? 'regular file' : 'non-link'}, not a link to ${p.target}`);
      ev.push({file: link, detail: `a copy, not a symbolic link: edits to ${p.target} never reach it`});
    } else {
      const to = await readlink(linkAbs);
      // An absolute target is a path on the host: under the host root here.
      const resolved = isAbsolute(to) ? onHost(p.host, to) : resolve(dirname(linkAbs), to);
      if (resolve(resolved) !== resolve(targetAbs)) {
        fails.push(`${link} points at ${to}, not ${p.target}`);
        ev.push({file: link, detail: `links to ${to}`});
      } else ev.push({file: link, detail: `links to ${to}`});
    }
    if (fails.length > 0) return result('fail', fails.join('; '), ev);
    return result('pass', `${link} links to ${p.target}${p.executable ? ', which is executable' : ''}`, ev);
  },
});

export const hostCertificate = defineCheck({
  id: 'hoodcloud.host-certificate',
  summary:
    'On the control-plane host: a PEM certificate (given, or named by a setting) parses and is valid for at least minDays; its private key file matches it and has no mode bits beyond keyMaxMode. Skips on a workstation.',
  params: z.strictObject({
    host: HostShape,
    file: AbsPath.optional(),
    /** A setting naming the certificate file, e.g. VAULT_TLS_CA_FILE (used when file is not given, or checked to name it). */
    fileKey: EnvKey.optional(),
    keyFile: AbsPath.optional(),
    keyMaxMode: Octal.optional(),
    minDays: z.number().int().min(0).default(30),
    expiring: z.enum(['fail', 'warn']).default('fail'),
  }),
  async run(ctx, p) {
    const where = await hostState(ctx, p.host);
    if (!where.on) return result('skip', where.why);
    const {list, notes} = await hostPaths(ctx, p.file ? [p.file] : [], p.fileKey ? [p.fileKey] : []);
    if (list.length === 0) return result('skip', `no certificate to check (${p.fileKey ?? 'file'} not set)`, notes);
    const ev: Evidence[] = [...notes];
    const fails: string[] = [];
    const warns: string[] = [];
    for (const hp of list) {
      if (hp.from) ev.push(hp.from);
      const r = await readHost(p.host, hp.path);
      if ('missing' in r) {
        fails.push(`${hp.path} does not exist`);
        ev.push({file: hp.path, detail: 'does not exist'});
        continue;
      }
      if ('error' in r) return result('error', `${hp.path}: ${r.error}`, [...ev, {file: hp.path, detail: r.error}]);
      let cert: X509Certificate;
      try {
        cert = new X509Certificate(r.text);
      } catch (err) {
        fails.push(`${hp.path} is not a PEM certificate`);
        ev.push({file: hp.path, detail: `does not parse as a certificate (${errorMessage(err).split('\n')[0]})`});
        continue;
      }
      const days = Math.floor((Date.parse(cert.validTo) - Date.now()) / DAY_MS);
      const subject = cert.subject.replace(/\n/g, ', ');
      if (days < 0) fails.push(`${hp.path} expired on ${cert.validTo}`);
      else if (days < p.minDays) (p.expiring === 'fail' ? fails : warns).push(`${hp.path} expires in ${days} days (under ${p.minDays})`);
      ev.push({file: hp.path, detail: `${subject}; valid until ${cert.validTo} (${days} days)`});
      if (p.keyFile) {
        const k = await readHost(p.host, p.keyFile);
        if ('missing' in k) {
          fails.push(`${p.keyFile} does not exist`);
          ev.push({file: p.keyFile, detail: 'does not exist'});
        } else if ('error' in k) {
          return result('error', `${p.keyFile}: ${k.error}`, [...ev, {file: p.keyFile, detail: k.error}]);
        } else {
          let same: boolean | undefined;
          try {
            same = createPublicKey(createPrivateKey(k.text))
              .export({type: 'spki', format: 'der'})
              .equals(cert.publicKey.export({type: 'spki', format: 'der'}));
          } catch {
            same = undefined;
          }
          if (same === undefined) {
            fails.push(`${p.keyFile} is not a readable private key`);
            ev.push({file: p.keyFile, detail: 'not a readable (unencrypted) private key'});
          } else if (!same) {
            fails.push(`${p.keyFile} is not the key of ${hp.path}`);
            ev.push({file: p.keyFile, detail: 'belongs to a different public key than the certificate'});
          } else ev.push({file: p.keyFile, detail: "matches the certificate's public key"});
          if (p.keyMaxMode !== undefined) {
            const s = await stat(onHost(p.host, p.keyFile));
            const max = Number.parseInt(p.keyMaxMode, 8);
            if ((s.mode & 0o7777 & ~max) !== 0) {
              fails.push(`${p.keyFile} has mode ${octal(s.mode)}, more than ${octal(max)}`);
              ev.push({file: p.keyFile, detail: `mode ${octal(s.mode)} lets others read the private key`});
            }
          }
        }
      }
    }
    if (fails.length > 0) return result('fail', fails.join('; '), ev);
    if (warns.length > 0) return result('warn', warns.join('; '), ev);
    return result('pass', `${list.map((x) => x.path).join(', ')}: valid for at least ${p.minDays} more days${p.keyFile ? ', key matches' : ''}`, ev);
  },
});

export const systemdOverride = defineCheck({
  id: 'hoodcloud.systemd-override',
  summary:
    "On the control-plane host: a systemd drop-in clears a directive (an empty ExecStart=) and sets it to exactly the given command, so the unit's own command never runs. Skips on a workstation.",
  params: z.strictObject({
    host: HostShape,
    /** The unit the drop-in belongs to, e.g. certbot.service. */
    unit: z.string().regex(/^[A-Za-z0-9@_.:-]+$/, 'a unit name such as certbot.service'),
    /** The drop-in's file name in UNIT.d/. */
    dropIn: z
      .string()
      .regex(/^[^/]+\.conf$/, 'a file name ending in .conf')
      .default('override.conf'),
    /** Where admins' unit files live. */
    dir: AbsPath.default('/etc/systemd/system'),
    section: z.string().default('Service'),
    directive: z.string().default('ExecStart'),
    /** The program the directive must run (its arguments may follow). */
    command: z.string().min(1),
  }),
  async run(ctx, p) {
    const where = await hostState(ctx, p.host);
    if (!where.on) return result('skip', where.why);
    const file = posix.join(p.dir, `${p.unit}.d`, p.dropIn);
    const r = await readHost(p.host, file);
    if ('missing' in r) return result('fail', `${file} does not exist: ${p.unit} runs its own ${p.directive}`, [{file, detail: 'does not exist'}]);
    if ('error' in r) return result('error', `${file}: ${r.error}`, [{file, detail: r.error}]);
    let section = '';
    let reset: number | undefined;
    let list: {line: number; command: string}[] = [];
    const lines = r.text.split(/\r?\n/);
    lines.forEach((raw, n) => {
      const l = raw.trim();
      const s = /^\[(.+)\]$/.exec(l);
      if (s) {
        section = s[1]!;
        return;
      }
      if (section !== p.section) return;
      const m = new RegExp(`^${p.directive}\\s*=\\s*(.*)$`).exec(l);
      if (!m) return;
      if (m[1] === '') {
        reset = n + 1;
        list = [];
      } else list.push({line: n + 1, command: m[1]!});
    });
    const prog = (c: string) =>
      c
        .replace(/^[-@:+!]+/, '')
        .trim()
        .split(/\s+/)[0] ?? '';
    if (list.length === 0)
      return result('fail', `${file} sets no ${p.directive} in [${p.section}]`, [{file: file, line: reset, detail: `no ${p.directive}=${p.command}`}]);
    const last = list.at(-1)!;
    if (reset === undefined) {
      return result('fail', `${file} adds ${p.directive} without clearing the unit's own first (an empty ${p.directive}= line)`, [
        {file: file, line: last.line, detail: `${p.directive}=${last.command} runs in addition to the unit's own (or systemd refuses two for a oneshot)`},
      ]);
    }
    if (list.length > 1 || prog(last.command) !== p.command) {
      return result(
        'fail',
        `${file} runs ${list.map((x) => prog(x.command)).join(', ')}, not only ${p.command}`,
        list.map((x) => ({file: file, line: x.line, detail: `${p.directive}=${x.command}`})),
      );
    }
    return result('pass', `${file} replaces ${p.directive} with ${p.command}`, [
      {file: file, line: reset, detail: `${p.directive}= clears the unit's command`},
      {file: file, line: last.line, detail: `${p.directive}=${last.command}`},
    ]);
  },
});

export const hostPackages = defineCheck({
  id: 'hoodcloud.host-packages',
  summary: "On the control-plane host: the Debian packages are installed (the host's dpkg status database). Skips on a workstation or a host without dpkg.",
  params: z.strictObject({
    host: HostShape,
    packages: z.array(z.string().min(1)).min(1),
    status: AbsPath.default('/var/lib/dpkg/status'),
  }),
  async run(ctx, p) {
    const where = await hostState(ctx, p.host);
    if (!where.on) return result('skip', where.why);
    const r = await readHost(p.host, p.status);
    if ('missing' in r)
      return result('skip', `${p.status} is not here${underRoot(p.host)}: not a Debian or Ubuntu host; check with the host's package manager`);
    if ('error' in r) return result('error', `${p.status}: ${r.error}`, [{file: p.status, detail: r.error}]);
    const installed = new Map<string, {line: number; version: string}>();
    let pkg: string | undefined;
    let line = 0;
    let ok = false;
    let version = '';
    const flush = () => {
      if (pkg && ok) installed.set(pkg, {line, version});
      pkg = undefined;
      ok = false;
      version = '';
    };
    r.text.split(/\r?\n/).forEach((l, n) => {
      if (l === '') {
        flush();
        return;
      }
      const m = /^(Package|Status|Version):\s*(.*)$/.exec(l);
      if (!m) return;
      if (m[1] === 'Package') {
        pkg = m[2]!.trim();
        line = n + 1;
      } else if (m[1] === 'Status') ok = /\binstalled$/.test(m[2]!.trim()) && !/not-installed|config-files/.test(m[2]!);
      else version = m[2]!.trim();
    });
    flush();
    const missing = p.packages.filter((x) => !installed.has(x));
    const ev: Evidence[] = p.packages.map((x) => {
      const i = installed.get(x);
      return i ? {file: p.status, line: i.line, detail: `${x} ${i.version} installed`} : {file: p.status, detail: `${x} is not installed`};
    });
    if (missing.length > 0) return result('fail', `not installed: ${missing.join(', ')}`, ev);
    return result('pass', `installed: ${p.packages.join(', ')}`, ev);
  },
});

export const opsAgentBinary = defineCheck({
  id: 'hoodcloud.ops-agent-binary',
  summary:
    'The ops-agent binary for the configured version is in the binaries folder (OPS_AGENT_BINARIES_DIR/ops-agent-VERSION-linux-amd64); an absolute folder is looked up on the control-plane host, a relative one in the deployment.',
  params: z.strictObject({
    host: HostShape,
    dirKey: EnvKey.default('OPS_AGENT_BINARIES_DIR'),
    versionKey: EnvKey.default('OPS_AGENT_VERSION'),
    /** The file name; {version} is replaced. */
    name: z.string().default('ops-agent-{version}-linux-amd64'),
  }),
  async run(ctx, p) {
    const dir = await firstValue(ctx, p.dirKey);
    const version = await firstValue(ctx, p.versionKey);
    if (!version)
      return result('fail', `${p.versionKey} is not set: the download name becomes ${p.name.replace('{version}', '')} (a double dash)`, [
        await unsetEvidence(ctx, p.versionKey),
      ]);
    if (!dir)
      return result('fail', `${p.dirKey} is not set: the download endpoint has no folder to serve`, [
        await unsetEvidence(ctx, p.dirKey),
        evidenceOf(version, version.value!),
      ]);
    const name = p.name.replace('{version}', version.value!);
    const ev = [evidenceOf(dir, dir.value!), evidenceOf(version, version.value!)];
    let abs: string;
    let shown: string;
    if (isAbsolute(dir.value!)) {
      const where = await hostState(ctx, p.host);
      if (!where.on) return result('skip', where.why, ev);
      abs = onHost(p.host, posix.join(dir.value!, name));
      shown = posix.join(dir.value!, name);
    } else {
      abs = ctx.abs(posix.join(dir.value!, name));
      shown = ctx.rel(abs);
    }
    const s = await stat(abs).catch(() => undefined);
    if (!s?.isFile()) return result('fail', `${shown} does not exist: /downloads/${name} answers 404`, [{file: shown, detail: 'does not exist'}, ...ev]);
    return result('pass', `${shown} is there (${s.size} bytes)`, [{file: shown, detail: `${s.size} bytes`}, ...ev]);
  },
});

// ---------------------------------------------------------------------------------------------
// Prometheus

/** A rules or config file found in one of the places, with its text. */
interface FoundFile {
  shown: string;
  y?: YamlFile;
  error?: string;
}

const MAX_PROM_FILES = 200;

async function listYaml(abs: string, depth: number, out: string[]): Promise<void> {
  if (out.length >= MAX_PROM_FILES || depth > 3) return;
  let s: Stats;
  try {
    s = await stat(abs);
  } catch {
    return;
  }
  if (s.isFile()) {
    if (/\.ya?ml$/.test(abs)) out.push(abs);
    return;
  }
  if (!s.isDirectory()) return;
  const names = await readdir(abs).catch(() => [] as string[]);
  for (const n of names.sort()) await listYaml(join(abs, n), depth + 1, out);
}

/** YAML files under the places: absolute ones on the host (when this is the host), relative ones in the deployment. */
async function promFiles(ctx: Context, host: Host, places: readonly string[]): Promise<{files: FoundFile[]; skippedHost?: string}> {
  const files: FoundFile[] = [];
  const state = await hostState(ctx, host);
  for (const place of places) {
    const absolute = place.startsWith('/');
    if (absolute && !state.on) continue;
    const base = absolute ? onHost(host, place) : ctx.abs(place);
    const found: string[] = [];
    await listYaml(base, 0, found);
    for (const abs of found) {
      const shown = absolute ? posix.join(place, relative(base, abs).split(sep).join('/')) : ctx.rel(abs);
      if (files.some((f) => f.shown === shown)) continue;
      try {
        const text = (await readRegularFile(abs, {maxBytes: MAX_HOST_BYTES, shown})).toString('utf8');
        files.push({shown, y: parseYaml(text, shown)});
      } catch (err) {
        files.push({shown, error: errorMessage(err)});
      }
    }
  }
  return {files, skippedHost: state.on ? undefined : state.why};
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function asRecord(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

export const prometheus = defineCheck({
  id: 'hoodcloud.prometheus',
  summary:
    'Prometheus files (rule files and prometheus.yml, found under the given folders: absolute ones on the control-plane host, relative ones in the deployment) define every named alert, and/or a scrape job whose name or targets match a pattern.',
  params: z.strictObject({
    host: HostShape,
    places: z.array(z.string().min(1)).min(1),
    alerts: z.array(z.string().min(1)).default([]),
    /** A regular expression matched against scrape job names and static targets. */
    scrape: z.string().optional(),
  }),
  async run(ctx, p) {
    if (p.alerts.length === 0 && p.scrape === undefined) return result('error', 'hoodcloud.prometheus: give alerts, scrape, or both');
    const {files, skippedHost} = await promFiles(ctx, p.host, p.places);
    const parsed = files.filter((f) => f.y);
    if (parsed.length === 0) {
      const broken = files.filter((f) => f.error);
      if (broken.length > 0)
        return result(
          'error',
          `${broken[0]!.shown}: ${broken[0]!.error}`,
          broken.map((f) => ({file: f.shown, detail: f.error!})),
        );
      if (skippedHost) return result('skip', skippedHost);
      return result(
        'fail',
        `no Prometheus files under ${p.places.join(', ')}${underRoot(p.host)}`,
        p.places.map((x) => ({file: x, detail: 'no YAML file here'})),
      );
    }
    const ev: Evidence[] = [];
    const fails: string[] = [];
    if (p.alerts.length > 0) {
      const seen = new Map<string, Evidence>();
      for (const f of parsed) {
        asArray(asRecord(f.y!.data).groups).forEach((g, gi) => {
          asArray(asRecord(g).rules).forEach((rule, ri) => {
            const r = asRecord(rule);
            if (typeof r.alert !== 'string' || !p.alerts.includes(r.alert) || seen.has(r.alert)) return;
            const expr = typeof r.expr === 'string' || typeof r.expr === 'number' ? String(r.expr).replace(/\s+/g, ' ').trim() : '?';
            seen.set(r.alert, {
              file: f.shown,
              line: lineOf(f.y!, ['groups', gi, 'rules', ri, 'alert']),
              key: r.alert,
              detail: `alert ${r.alert}: ${expr}${r.for ? ` for ${String(r.for)}` : ''}`,
            });
          });
        });
      }
      const missing = p.alerts.filter((a) => !seen.has(a));
      ev.push(...seen.values());
      if (missing.length > 0) {
        fails.push(`no alert rule named ${missing.join(', ')}`);
        // Where such a rule belongs: the first rule file (its groups:), else the first file read.
        const home = parsed.find((f) => asArray(asRecord(f.y!.data).groups).length > 0) ?? parsed[0]!;
        const line = lineOf(home.y!, ['groups']) ?? 1;
        ev.push(
          ...missing.map((a) => ({file: home.shown, line, key: a, detail: `not defined here nor in the other ${count(parsed.length - 1, 'file')} read`})),
        );
      }
    }
    if (p.scrape !== undefined) {
      const re = new RegExp(p.scrape, 'i');
      let hit: Evidence | undefined;
      const jobs: string[] = [];
      for (const f of parsed) {
        asArray(asRecord(f.y!.data).scrape_configs).forEach((job, ji) => {
          const j = asRecord(job);
          const name = typeof j.job_name === 'string' ? j.job_name : '';
          jobs.push(`${name} (${f.shown})`);
          const targets = asArray(j.static_configs)
            .flatMap((sc) => asArray(asRecord(sc).targets))
            .map(String);
          const match = re.test(name) ? name : targets.find((t) => re.test(t));
          if (match && !hit)
            hit = {
              file: f.shown,
              line: lineOf(f.y!, ['scrape_configs', ji, 'job_name']),
              key: name,
              detail: `job ${name} scrapes ${targets.join(', ') || '(discovered targets)'}`,
            };
        });
      }
      if (hit) ev.push(hit);
      else {
        fails.push(`no scrape job matches ${p.scrape}`);
        const home = parsed.find((f) => asRecord(f.y!.data).scrape_configs !== undefined);
        ev.push(
          home
            ? {file: home.shown, line: lineOf(home.y!, ['scrape_configs']), detail: `scrape jobs: ${jobs.join(', ') || 'none'}`}
            : {detail: `no scrape_configs in ${parsed.map((f) => f.shown).join(', ')}`},
        );
      }
    }
    if (fails.length > 0) return result('fail', fails.join('; '), ev);
    return result(
      'pass',
      [p.alerts.length > 0 ? `alerts ${p.alerts.join(', ')} are defined` : '', p.scrape ? 'the exporter is scraped' : ''].filter(Boolean).join('; '),
      ev,
    );
  },
});

// ---------------------------------------------------------------------------------------------
// Compose

const ComposePick = {
  /** Service names to look at. */
  services: z.array(z.string()).default([]),
  /** Or services whose image matches this regular expression. */
  image: z.string().optional(),
};

interface RawVolume {
  source?: string;
  target: string;
  readOnly: boolean;
  file: string;
  line?: number;
}

/** The volumes of a service as written in each Compose file (the model keeps no mount options). */
async function rawVolumes(ctx: Context, files: readonly string[], svc: string): Promise<RawVolume[]> {
  const out: RawVolume[] = [];
  for (const file of files) {
    const y = await ctx.yaml(file);
    const vols = asArray(asRecord(asRecord(asRecord(y.data).services)[svc]).volumes);
    vols.forEach((v, n) => {
      const line = lineOf(y, ['services', svc, 'volumes', n]);
      if (typeof v === 'string') {
        const parts = v.split(':');
        const opts = parts.length >= 3 ? parts[2]!.split(',') : [];
        const entry: RawVolume =
          parts.length === 1
            ? {target: parts[0]!, readOnly: false, file, line}
            : {source: parts[0], target: parts[1]!, readOnly: opts.includes('ro'), file, line};
        out.push(entry);
      } else {
        const o = asRecord(v);
        out.push({
          source: o.source === undefined ? undefined : String(o.source),
          target: String(o.target ?? ''),
          readOnly: o.read_only === true || o.read_only === 'true',
          file,
          line,
        });
      }
    });
  }
  // Later files override earlier ones for the same target, as Compose merges them.
  const byTarget = new Map<string, RawVolume>();
  for (const v of out) byTarget.set(v.target.replace(/\/+$/, ''), v);
  return [...byTarget.values()];
}

async function pickServices(ctx: Context, p: {services: string[]; image?: string | undefined}) {
  const compose = await ctx.compose();
  if (!compose) return {compose: undefined, picked: [], none: {detail: ''}};
  const re = p.image ? new RegExp(p.image) : undefined;
  const picked = [...compose.services.values()].filter((s) => p.services.includes(s.name) || (re && s.image && re.test(s.image.value)));
  const what = [p.services.join(', '), p.image ? `image ${p.image}` : ''].filter(Boolean).join(' or ');
  const base = compose.files[0]!;
  // Nothing to point at but the services: mapping, where the missing service belongs.
  const none: Evidence = {
    file: base,
    line: lineOf(await ctx.yaml(base), ['services']),
    detail: `no service ${what} among ${[...compose.services.keys()].join(', ')}`,
  };
  return {compose, picked, none};
}

const samePath = (a: string, b: string) => posix.normalize(a).replace(/\/+$/, '') === posix.normalize(b).replace(/\/+$/, '');

export const composeMount = defineCheck({
  id: 'hoodcloud.compose-mount',
  summary: 'A Compose service (by name or image) mounts a host folder at a container path, read-only when asked. Skips when there is no Compose file.',
  params: z.strictObject({
    ...ComposePick,
    source: z.string().min(1),
    target: z.string().min(1),
    readOnly: z.boolean().default(true),
  }),
  async run(ctx, p) {
    const {compose, picked, none} = await pickServices(ctx, p);
    if (!compose) return result('skip', 'no Compose file beside the .env: check the container by hand (docker inspect, Mounts)');
    const what = [p.services.join(', '), p.image ? `image ${p.image}` : ''].filter(Boolean).join(' or ');
    if (picked.length === 0) return result('fail', `no Compose service ${what}`, [none]);
    const ev: Evidence[] = [];
    const fails: string[] = [];
    for (const svc of picked) {
      const vols = await rawVolumes(ctx, compose.files, svc.name);
      const v = vols.find((x) => samePath(x.target, p.target));
      if (!v) {
        fails.push(`${svc.name} mounts nothing at ${p.target}`);
        ev.push({file: svc.file, line: svc.line, key: svc.name, detail: `no volume at ${p.target}`});
        continue;
      }
      const shown = `${v.source ?? '(anonymous)'}:${v.target}${v.readOnly ? ':ro' : ''}`;
      if (!v.source || !samePath(v.source, p.source)) {
        fails.push(`${svc.name} mounts ${v.source ?? 'an anonymous volume'} at ${p.target}, not ${p.source}`);
        ev.push({file: v.file, line: v.line, key: svc.name, detail: shown});
      } else if (p.readOnly && !v.readOnly) {
        fails.push(`${svc.name} mounts ${p.source} read-write`);
        ev.push({file: v.file, line: v.line, key: svc.name, detail: `${shown} is writable from the container: add :ro`});
      } else ev.push({file: v.file, line: v.line, key: svc.name, detail: shown});
    }
    if (fails.length > 0) return result('fail', fails.join('; '), ev);
    return result(
      'pass',
      `${picked.map((s) => s.name).join(', ')} mount${picked.length === 1 ? 's' : ''} ${p.source} at ${p.target}${p.readOnly ? ' read-only' : ''}`,
      ev,
    );
  },
});

export const composeWatches = defineCheck({
  id: 'hoodcloud.compose-watches',
  summary:
    'A Compose service (by name or image, e.g. x509-certificate-exporter) sees a host file through one of its volumes and names it (or its folder) in its command, so it really watches that file. Skips when there is no Compose file.',
  params: z.strictObject({
    ...ComposePick,
    /** The file on the host, e.g. /opt/hoodcloud/nats-tls/fullchain.pem. */
    path: z.string().min(1),
  }),
  async run(ctx, p) {
    const {compose, picked, none} = await pickServices(ctx, p);
    if (!compose) return result('skip', 'no Compose file beside the .env: check the exporter by hand');
    const what = [p.services.join(', '), p.image ? `image ${p.image}` : ''].filter(Boolean).join(' or ');
    if (picked.length === 0) return result('fail', `no Compose service ${what}: nothing watches ${p.path}`, [none]);
    const ev: Evidence[] = [];
    for (const svc of picked) {
      const vols = await rawVolumes(ctx, compose.files, svc.name);
      // Where the host file appears inside the container, through a volume of it or of a parent folder.
      const inside: {path: string; v: RawVolume}[] = [];
      for (const v of vols) {
        if (!v.source?.startsWith('/')) continue;
        const rel = posix.relative(posix.normalize(v.source), posix.normalize(p.path));
        if (rel.startsWith('..') || posix.isAbsolute(rel)) continue;
        inside.push({path: rel === '' ? v.target : posix.join(v.target, rel), v});
      }
      if (inside.length === 0) {
        ev.push({file: svc.file, line: svc.line, key: svc.name, detail: `no volume brings ${p.path} into the container`});
        continue;
      }
      const args: {text: string; line?: number; file: string}[] = [];
      for (const file of compose.files) {
        const y = await ctx.yaml(file);
        const body = asRecord(asRecord(asRecord(y.data).services)[svc.name]);
        for (const field of ['command', 'entrypoint']) {
          const v = body[field];
          if (typeof v === 'string') args.push({text: v, line: lineOf(y, ['services', svc.name, field]), file});
          else
            asArray(v).forEach((a, n) => {
              args.push({text: String(a), line: lineOf(y, ['services', svc.name, field, n]), file});
            });
        }
      }
      for (const i of inside) {
        const dir = posix.dirname(i.path);
        const named = args.find((a) => a.text.includes(i.path) || new RegExp(`(^|[=\\s])${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/?(\\s|$)`).test(a.text));
        if (named) {
          return result('pass', `${svc.name} watches ${p.path} (as ${i.path} in the container)`, [
            {file: i.v.file, line: i.v.line, key: svc.name, detail: `${i.v.source}:${i.v.target} brings it in`},
            {file: named.file, line: named.line, key: svc.name, detail: `told to watch it: ${named.text}`},
          ]);
        }
      }
      ev.push({
        file: inside[0]!.v.file,
        line: inside[0]!.v.line,
        key: svc.name,
        detail: `sees ${p.path} as ${inside[0]!.path}, but its command never names it (--watch-file or --watch-dir)`,
      });
    }
    return result('fail', `${picked.map((s) => s.name).join(', ')} does not watch ${p.path}`, ev);
  },
});

/** Every check of this family, for the registry. */
export const HOODCLOUD_CHECKS: readonly CheckDef[] = [
  setting,
  settingsPresent,
  endpoint,
  memberOf,
  notInEnv,
  connectionBudget,
  hostFile,
  hostLink,
  hostCertificate,
  systemdOverride,
  hostPackages,
  opsAgentBinary,
  prometheus,
  composeMount,
  composeWatches,
];
