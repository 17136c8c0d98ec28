// One model of what a ZITADEL deployment sets, from every place ZITADEL reads settings, with the
// file and line each value came from.
//
// How ZITADEL reads its settings (zitadel/zitadel cmd/zitadel.go, cmd/setup/config.go,
// cmd/key/masterkey.go, cmd/tls/tls.go):
// - the runtime configuration: built-in defaults (cmd/defaults.yaml), then every `--config FILE`
//   in order (a later file wins), then `ZITADEL_*` environment variables (the setting's path
//   upper-cased, dots turned into underscores), then `--tlsMode`, which overrides ExternalSecure
//   and TLS.Enabled;
// - the setup steps (FirstInstance.*): built-in steps (cmd/setup/steps.yaml), then every
//   `--steps FILE`, then the same environment variables; a FirstInstance block in a --config
//   file is not read by setup;
// - the masterkey: exactly one of `--masterkey VALUE`, `--masterkeyFile PATH` (the whole file,
//   a trailing newline included) or `--masterkeyFromEnv` (ZITADEL_MASTERKEY);
// - Database.postgres.DSN, when set, replaces Host, Port, User, Admin and Options.
//
// A Compose deployment gives each ZITADEL service (image ghcr.io/zitadel/zitadel) a command
// (its phase: init, setup, start, start-from-init, start-from-setup, and the flags above), an
// environment (environment:, env_file:, values drawn from the .env), and files mounted into the
// container: the --config, --steps and --masterkeyFile paths are found through the service's
// bind mounts and Compose secrets. The Helm chart (zitadel/zitadel-charts) renders the same
// flags from its values: zitadel.configmapConfig and zitadel.secretConfig become --config and
// --steps files of the setup Job and --config files of the Deployment, `env:` entries become
// environment variables, zitadel.masterkey (or an existing Secret named by
// zitadel.masterkeySecretName) becomes ZITADEL_MASTERKEY for every phase, replicaCount the
// Deployment's replicas.
//
// The proxy in front (Caddy, nginx, Traefik) is read when its configuration is in the
// deployment: just enough to tell which protocol it speaks to clients and to ZITADEL.
import {posix} from 'node:path';
import type {Context} from '../engine/context.js';
import {imageBaseName, isLoopback, type ComposeEnvVar, type ComposeModel, type ComposeService} from './compose.js';
import type {HelmValues} from './helm.js';
import {interpolate} from './interpolate.js';
import {lineOf, positionOf, type PathKey, type YamlFile} from './yamlDoc.js';
import {CONFIG_PATHS, DEFAULTS, DOCUMENTED_ONLY, EXTRA_ENV, STEPS_PATHS} from './zitadel-settings.js';
import {ipFamily} from '../deploy/ip.js';

// ---------------------------------------------------------------------------------------------
// Setting names

const CANONICAL = new Map<string, string>();
for (const p of [...CONFIG_PATHS, ...STEPS_PATHS]) CANONICAL.set(p.toLowerCase(), p);
const STEPS_ONLY = new Set(STEPS_PATHS.map((p) => p.toLowerCase()));

/** The environment variable ZITADEL reads for a setting path. */
export function envNameOf(path: string): string {
  return `ZITADEL_${path.toUpperCase().replace(/\./g, '_')}`;
}

const ENV_TO_PATH = new Map<string, string>();
for (const p of [...CONFIG_PATHS, ...STEPS_PATHS]) ENV_TO_PATH.set(envNameOf(p), p);
/** Names without their underscores, to say which known name a misspelt one meant. */
const SQUASHED = new Map<string, string>();
for (const name of [...ENV_TO_PATH.keys(), ...EXTRA_ENV]) SQUASHED.set(name.replace(/_/g, ''), name);
const DOCUMENTED = new Set(DOCUMENTED_ONLY);

/** A setting path as ZITADEL spells it (keys are case-insensitive); unknown paths as written. */
export function canonicalPath(path: string): string {
  return CANONICAL.get(path.toLowerCase()) ?? path;
}

/** Whether the setup steps (not the runtime configuration) own this path. */
export function isStepsPath(path: string): boolean {
  return STEPS_ONLY.has(path.toLowerCase()) || path.toLowerCase().startsWith('firstinstance.');
}

export type EnvNameVerdict = {known: true; path?: string} | {known: false; documented: boolean; suggestion?: string};

/** Whether ZITADEL reads a ZITADEL_* variable; for one it ignores, the known name it probably meant. */
export function judgeEnvName(name: string): EnvNameVerdict {
  const upper = name.toUpperCase();
  if (EXTRA_ENV.includes(upper)) return {known: true};
  const path = ENV_TO_PATH.get(upper);
  if (path) return {known: true, path};
  const suggestion = SQUASHED.get(upper.replace(/_/g, ''));
  return {known: false, documented: DOCUMENTED.has(upper), ...(suggestion ? {suggestion} : {})};
}

// ---------------------------------------------------------------------------------------------
// Settings

export type Origin = 'default' | 'chart' | 'config' | 'steps' | 'env' | 'dsn' | 'flag';

/** One setting as a ZITADEL process sees it, and where that value was written. */
export interface Setting {
  /** The path as ZITADEL spells it: `Database.postgres.User.Password`. */
  path: string;
  /** The value as text; '' when empty; undefined when it is held where Shipshape cannot read (a Secret). */
  value: string | undefined;
  origin: Origin;
  file?: string;
  line?: number;
  /** The name as written there: an environment variable, a YAML key path, a flag. */
  key: string;
  /** Words for the place: `service zitadel (ZITADEL_EXTERNALDOMAIN)`, `zitadel-config.yaml`. */
  where: string;
  /** Written out in a file meant to be shared (Compose file, config YAML, values), not drawn from .env or a Secret. */
  literal: boolean;
  /** Why the value cannot be read here (a Secret, a file outside the deployment). */
  hidden?: string;
}

/** The settings of one process, each path once, the winning value. */
export class Settings {
  private readonly map = new Map<string, Setting>();

  constructor(private readonly anchor: {file?: string; line?: number; where: string}) {}

  /** Words for the process these settings belong to. */
  get label(): string {
    return this.anchor.where;
  }

  set(s: Setting): void {
    this.map.set(s.path.toLowerCase(), s);
  }

  /** The explicit setting, or undefined. */
  explicit(path: string): Setting | undefined {
    return this.map.get(path.toLowerCase());
  }

  /** The explicit setting, else ZITADEL's default (placed at the process definition), else undefined. */
  get(path: string): Setting | undefined {
    const s = this.explicit(path);
    if (s) return s;
    const canonical = canonicalPath(path);
    const d = DEFAULTS[canonical];
    if (d === undefined) return undefined;
    return {
      path: canonical,
      value: d,
      origin: 'default',
      file: this.anchor.file,
      line: this.anchor.line,
      key: canonical,
      where: `${this.anchor.where}: not set, so ZITADEL's default applies`,
      literal: false,
    };
  }

  all(): Setting[] {
    return [...this.map.values()];
  }
}

// ---------------------------------------------------------------------------------------------
// The model

/** What a ZITADEL process runs: the first positional argument of its command. */
export type Phase = 'init' | 'setup' | 'start' | 'start-from-init' | 'start-from-setup' | 'other';

export const SERVING: readonly Phase[] = ['start', 'start-from-init', 'start-from-setup'];
export const RUNS_SETUP: readonly Phase[] = ['setup', 'start-from-init', 'start-from-setup'];
export const RUNS_INIT: readonly Phase[] = ['init', 'start-from-init'];

export interface Place {
  file?: string;
  line?: number;
}

/** Where a process gets its masterkey. */
export interface Masterkey extends Place {
  how: 'flag' | 'file' | 'env' | 'values' | 'secret' | 'none';
  /** The key, when it can be read here. */
  value?: string;
  /** Written out in the Compose file or values themselves. */
  literal: boolean;
  /** For --masterkeyFile: the file in the deployment that is mounted there. */
  keyFile?: string;
  /** What identifies the source, to compare phases: `.env ZITADEL_MASTERKEY`, `file zitadel-masterkey`. */
  source: string;
  /** Words for the source. */
  where: string;
  hidden?: string;
  /** Every masterkey flag given, when there is more than one (ZITADEL refuses to start). */
  conflicting?: (Place & {flag: string})[];
}

export interface FileArg extends Place {
  /** The path as the process sees it. */
  arg: string;
  /** The file in the deployment mounted there, when there is one. */
  rel?: string;
  /** Why it cannot be read here. */
  why?: string;
}

/** An environment variable given to a ZITADEL process. */
export interface EnvEntry extends Place {
  key: string;
  value?: string;
  /** From an env_file rather than `environment:`. */
  envFile?: string;
  where: string;
}

export interface Runtime {
  /** The Compose service, or `Deployment`, `setup Job`, `init Job` for the Helm chart. */
  name: string;
  kind: 'compose' | 'helm';
  phase?: Phase;
  /** The phase word as written (for `other`). */
  phaseWord?: string;
  /** Where the process is defined (service line, values file). */
  at: Place;
  /** Where its command is written. */
  command?: Place & {text: string};
  replicas?: Place & {value: number; from: string};
  configs: FileArg[];
  steps: FileArg[];
  masterkey: Masterkey;
  /** The runtime configuration plus, for phases that run setup, the steps. */
  settings: Settings;
  env: EnvEntry[];
  /** Places that may hold settings Shipshape cannot read (a Secret with config, envFrom). */
  hidden: string[];
  /** Database.postgres.DSN is set: Host, Port, User and Admin are not read. */
  dsn: boolean;
  service?: ComposeService;
  labels: Map<string, Place & {value: string}>;
}

export interface ProxyUpstream extends Place {
  /** `h2c`, `https`, `grpc`, `grpcs` speak HTTP/2 to ZITADEL; `http` speaks HTTP/1.1. */
  scheme: 'h2c' | 'https' | 'grpc' | 'grpcs' | 'http';
  host: string;
  port?: string;
  /** The directive as written, shortened. */
  text: string;
}

export interface ProxySite extends Place {
  tls: boolean;
  /** Whether clients are offered HTTP/2 (undefined: cannot tell). */
  h2: boolean | undefined;
  /** Ports it listens on (inside its container). */
  ports: number[];
  text: string;
}

export interface Proxy {
  kind: 'caddy' | 'nginx' | 'traefik';
  /** The config file, or the Compose file for Traefik labels. */
  file: string;
  /** The Compose service running it, when there is one. */
  service?: string;
  sites: ProxySite[];
  upstreams: ProxyUpstream[];
  /** Host ports its Compose service publishes. */
  published: (Place & {port: number})[];
}

export interface ZitadelModel {
  runtimes: Runtime[];
  /** Compose service names: hosts on the deployment's own network. */
  composeServices: Set<string>;
  /** Compose services running PostgreSQL or CockroachDB. */
  databases: ComposeService[];
  proxies: Proxy[];
  /** Settings or files Shipshape was pointed at but could not read, for evidence. */
  problems: (Place & {detail: string})[];
  compose?: ComposeModel;
  helm?: HelmValues;
}

/** The runtimes serving traffic. */
export function serving(m: ZitadelModel): Runtime[] {
  return m.runtimes.filter((r) => r.phase !== undefined && SERVING.includes(r.phase));
}

// ---------------------------------------------------------------------------------------------
// Reading the model, once per parse of the deployment's files.

const cache = new WeakMap<Context, {compose: unknown; helm: unknown; model: Promise<ZitadelModel>}>();

/**
 * The ZITADEL model of the deployment. Built once per parse of its Compose files and Helm values
 * (a Context forgets those after Shipshape writes files, and this model is then built again).
 */
export function readZitadel(ctx: Context): Promise<ZitadelModel> {
  const compose = ctx.compose();
  const helm = ctx.helm();
  const hit = cache.get(ctx);
  if (hit && hit.compose === compose && hit.helm === helm) return hit.model;
  const model = build(ctx, compose, helm);
  model.catch(() => undefined);
  cache.set(ctx, {compose, helm, model});
  return model;
}

async function build(ctx: Context, composeP: Promise<ComposeModel | undefined>, helmP: Promise<HelmValues | undefined>): Promise<ZitadelModel> {
  const out: ZitadelModel = {runtimes: [], composeServices: new Set(), databases: [], proxies: [], problems: []};
  const compose = await composeP;
  if (compose) {
    out.compose = compose;
    await fromCompose(ctx, compose, out);
  }
  const helm = await helmP;
  if (helm?.files.some((y) => isRecord(y.data) && isRecord(y.data.zitadel))) {
    out.helm = helm;
    fromHelm(helm, out);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Compose

interface RawService {
  /** Where the service's name is written in the first file that defines it. */
  at?: Place;
  command?: {tokens: Token[]; file: string; line?: number; text: string};
  replicas?: Place & {value: number; from: string};
  labels: Map<string, Place & {value: string}>;
  secrets: {source: string; target: string; file: string; line?: number}[];
}

/** A word of a command, interpolated, and whether a `${VAR}` reference made it. */
export interface Token {
  value: string;
  raw: string;
  refs: string[];
  usedDefault: boolean;
  line?: number;
}

const DATABASE_IMAGES = new Set(['postgres', 'postgis', 'cockroach', 'timescaledb']);
const PROXY_IMAGES = new Set(['caddy', 'nginx', 'traefik', 'openresty', 'nginx-unprivileged']);

async function fromCompose(ctx: Context, model: ComposeModel, out: ZitadelModel): Promise<void> {
  const files = await Promise.all(model.files.map((f) => ctx.yaml(f)));
  const lookup = (name: string) => model.dotenv?.entries.get(name)?.value;
  const raw = readRaw(files, lookup);
  const topSecrets = readTopSecrets(files);
  for (const svc of model.services.values()) {
    out.composeServices.add(svc.name);
    const base = svc.image ? imageBaseName(svc.image.value) : '';
    if (DATABASE_IMAGES.has(base)) out.databases.push(svc);
  }
  for (const svc of model.services.values()) {
    if (!svc.image || imageBaseName(svc.image.value) !== 'zitadel') continue;
    out.runtimes.push(await composeRuntime(ctx, model, svc, raw.get(svc.name) ?? {labels: new Map(), secrets: []}, topSecrets, out));
  }
  out.proxies = await readProxies(
    ctx,
    model,
    raw,
    out.runtimes.map((r) => r.name),
  );
}

function readRaw(files: YamlFile[], lookup: (name: string) => string | undefined): Map<string, RawService> {
  const out = new Map<string, RawService>();
  for (const y of files) {
    const services = isRecord(y.data) ? y.data.services : undefined;
    if (!isRecord(services)) continue;
    for (const [name, body] of Object.entries(services)) {
      if (!isRecord(body)) continue;
      const at: PathKey[] = ['services', name];
      const svc: RawService = out.get(name) ?? {labels: new Map(), secrets: []};
      svc.at ??= {file: y.file, line: positionOf(y, at, true).line};
      if (body.command !== undefined && body.command !== null) {
        const line = lineOf(y, [...at, 'command']);
        if (typeof body.command === 'string') {
          svc.command = {tokens: splitWords(body.command).map((w) => token(w, lookup, line)), file: y.file, line, text: body.command};
        } else if (Array.isArray(body.command)) {
          const tokens = body.command.map((w, i) => token(String(w), lookup, lineOf(y, [...at, 'command', i]) ?? line));
          svc.command = {tokens, file: y.file, line, text: body.command.map(String).join(' ')};
        }
      }
      const deploy = isRecord(body.deploy) ? body.deploy : undefined;
      if (deploy?.replicas !== undefined) {
        const n = Number(interpolateText(String(deploy.replicas), lookup));
        if (Number.isFinite(n)) svc.replicas = {value: n, file: y.file, line: lineOf(y, [...at, 'deploy', 'replicas']), from: 'deploy.replicas'};
      } else if (body.scale !== undefined) {
        const n = Number(interpolateText(String(body.scale), lookup));
        if (Number.isFinite(n)) svc.replicas = {value: n, file: y.file, line: lineOf(y, [...at, 'scale']), from: 'scale'};
      }
      if (Array.isArray(body.labels)) {
        body.labels.forEach((l, i) => {
          const text = String(l);
          const eq = text.indexOf('=');
          const key = eq < 0 ? text : text.slice(0, eq);
          svc.labels.set(key.trim(), {value: interpolateText(eq < 0 ? '' : text.slice(eq + 1), lookup), file: y.file, line: lineOf(y, [...at, 'labels', i])});
        });
      } else if (isRecord(body.labels)) {
        for (const [k, v] of Object.entries(body.labels))
          svc.labels.set(k, {value: interpolateText(String(v ?? ''), lookup), file: y.file, line: lineOf(y, [...at, 'labels', k])});
      }
      if (Array.isArray(body.secrets)) {
        body.secrets.forEach((s, i) => {
          const line = lineOf(y, [...at, 'secrets', i]);
          if (typeof s === 'string') svc.secrets.push({source: s, target: s, file: y.file, line});
          else if (isRecord(s) && typeof s.source === 'string')
            svc.secrets.push({source: s.source, target: typeof s.target === 'string' ? s.target : s.source, file: y.file, line});
        });
      }
      out.set(name, svc);
    }
  }
  return out;
}

/** Top-level `secrets:` that name a file. */
function readTopSecrets(files: YamlFile[]): Map<string, {file: string; source: string; line?: number}> {
  const out = new Map<string, {file: string; source: string; line?: number}>();
  for (const y of files) {
    const secrets = isRecord(y.data) ? y.data.secrets : undefined;
    if (!isRecord(secrets)) continue;
    for (const [name, body] of Object.entries(secrets)) {
      if (isRecord(body) && typeof body.file === 'string') out.set(name, {file: y.file, source: body.file, line: lineOf(y, ['secrets', name, 'file'])});
    }
  }
  return out;
}

function interpolateText(text: string, lookup: (name: string) => string | undefined): string {
  try {
    return interpolate(text, lookup).value;
  } catch {
    return text;
  }
}

function token(raw: string, lookup: (name: string) => string | undefined, line: number | undefined): Token {
  try {
    const i = interpolate(raw, lookup);
    return {value: i.value, raw, refs: i.refs, usedDefault: i.usedDefault, line};
  } catch {
    return {value: raw, raw, refs: [], usedDefault: false, line};
  }
}

/**
 * A command string split into words as Compose does (shell rules: blanks separate, quotes group
 * and are removed, a backslash escapes the next character outside single quotes).
 */
export function splitWords(text: string): string[] {
  const out: string[] = [];
  let word = '';
  let started = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < text.length && '"\\$`'.includes(text[i + 1]!)) word += text[++i];
      else word += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      started = true;
    } else if (c === '\\' && i + 1 < text.length) {
      word += text[++i];
      started = true;
    } else if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (started) out.push(word);
      word = '';
      started = false;
    } else {
      word += c;
      started = true;
    }
  }
  if (started) out.push(word);
  return out;
}

const PHASES = new Set(['init', 'setup', 'start', 'start-from-init', 'start-from-setup']);
const VALUED_FLAGS = new Set(['config', 'steps', 'masterkey', 'masterkeyFile', 'm', 'tlsMode']);

export interface ParsedCommand {
  phase?: Phase;
  phaseWord?: string;
  /** Flag name (without dashes) -> every occurrence with its value. */
  flags: Map<string, {value: string; token: Token}[]>;
}

/** The phase and the flags ZITADEL reads from a command's words. */
export function parseCommand(tokens: readonly Token[]): ParsedCommand {
  const flags = new Map<string, {value: string; token: Token}[]>();
  let phaseWord: string | undefined;
  const add = (name: string, value: string, t: Token) => {
    const key = name === 'm' ? 'masterkeyFile' : name;
    const list = flags.get(key) ?? [];
    list.push({value, token: t});
    flags.set(key, list);
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const v = t.value;
    if (v.startsWith('-') && v.length > 1) {
      const body = v.replace(/^--?/, '');
      const eq = body.indexOf('=');
      if (eq >= 0) {
        add(body.slice(0, eq), body.slice(eq + 1), t);
        continue;
      }
      if (VALUED_FLAGS.has(body) && i + 1 < tokens.length) {
        const next = tokens[++i]!;
        add(body, next.value, next);
      } else add(body, 'true', t);
      continue;
    }
    // The binary itself, when the entrypoint is overridden: `zitadel start`, `/app/zitadel start`.
    if (phaseWord === undefined && (v === 'zitadel' || v.endsWith('/zitadel'))) continue;
    phaseWord ??= v;
  }
  const phase = phaseWord === undefined ? undefined : PHASES.has(phaseWord) ? (phaseWord as Phase) : 'other';
  return {phase, phaseWord, flags};
}

async function composeRuntime(
  ctx: Context,
  model: ComposeModel,
  svc: ComposeService,
  raw: RawService,
  topSecrets: Map<string, {file: string; source: string; line?: number}>,
  out: ZitadelModel,
): Promise<Runtime> {
  const at: Place = raw.at ?? {file: svc.file, line: svc.line};
  const settings = new Settings({...at, where: `service ${svc.name}`});
  const cmd = raw.command ? parseCommand(raw.command.tokens) : {flags: new Map<string, {value: string; token: Token}[]>()};
  const place = (t: Token): Place => ({file: raw.command!.file, line: t.line ?? raw.command!.line});
  const mapFile = (arg: string, t: Token): FileArg => ({arg, ...place(t), ...hostPath(ctx, svc, raw, topSecrets, arg)});
  const configs = (cmd.flags.get('config') ?? []).map((f) => mapFile(f.value, f.token));
  const steps = (cmd.flags.get('steps') ?? []).map((f) => mapFile(f.value, f.token));
  const runsSetup = cmd.phase !== undefined && RUNS_SETUP.includes(cmd.phase);

  const hidden: string[] = [];
  for (const c of configs) {
    const why = await applyFile(ctx, c, settings, 'config', out);
    if (why) hidden.push(why);
  }
  if (runsSetup) {
    for (const s of steps) {
      const why = await applyFile(ctx, s, settings, 'steps', out);
      if (why) hidden.push(why);
    }
  }

  const env: EnvEntry[] = [];
  for (const v of svc.environment.values()) {
    if (!v.key.toUpperCase().startsWith('ZITADEL_')) continue;
    const loc = located(model, v, svc.name);
    // The name is written where the entry is (the Compose line, or the env_file line), whatever the value is drawn from.
    env.push({key: v.key, value: v.value, file: v.file, line: v.line, where: loc.where, ...(v.envFile ? {envFile: v.envFile} : {})});
    const path = judgeEnvName(v.key);
    if (!path.known || !path.path) continue;
    if (isStepsPath(path.path) && !runsSetup) continue;
    settings.set({
      path: path.path,
      value: v.value ?? '',
      origin: 'env',
      file: loc.file,
      line: loc.line,
      key: v.key,
      where: loc.where,
      literal: !v.envFile && (v.literal || v.interpolation?.usedDefault === true),
    });
  }

  const tls = cmd.flags.get('tlsMode')?.at(-1);
  if (tls) {
    const mode = tls.value;
    const secure = mode === 'enabled' || mode === 'external' ? 'true' : mode === 'disabled' ? 'false' : undefined;
    const enabled = mode === 'enabled' ? 'true' : mode === 'external' || mode === 'disabled' ? 'false' : undefined;
    const base = {
      origin: 'flag' as const,
      ...place(tls.token),
      key: `--tlsMode ${mode}`,
      where: `service ${svc.name} command (--tlsMode ${mode})`,
      literal: true,
    };
    if (secure !== undefined) settings.set({...base, path: 'ExternalSecure', value: secure});
    if (enabled !== undefined) settings.set({...base, path: 'TLS.Enabled', value: enabled});
  }
  const dsn = applyDsn(settings);

  const masterkey = await composeMasterkey(ctx, model, svc, raw, cmd, topSecrets);
  return {
    name: svc.name,
    kind: 'compose',
    ...(cmd.phase ? {phase: cmd.phase} : {}),
    ...(cmd.phaseWord ? {phaseWord: cmd.phaseWord} : {}),
    at,
    ...(raw.command ? {command: {file: raw.command.file, line: raw.command.line, text: raw.command.text}} : {}),
    replicas: raw.replicas ?? {value: 1, ...at, from: 'no deploy.replicas (one container)'},
    configs,
    steps,
    masterkey,
    settings,
    env,
    hidden,
    dsn,
    service: svc,
    labels: raw.labels,
  };
}

/** Where a Compose environment value is written: its env_file line, the .env line it is drawn from, or the Compose line. */
function located(model: ComposeModel, v: ComposeEnvVar, service: string): Place & {where: string} {
  if (v.envFile) return {file: v.envFile, line: v.line, where: `env_file of service ${service}`};
  const ref = v.interpolation?.soleRef ?? (v.raw === undefined ? v.key : undefined);
  const src = ref !== undefined && !v.interpolation?.usedDefault ? model.dotenv?.entries.get(ref) : undefined;
  if (src && model.dotenv)
    return {file: model.dotenv.file, line: src.line, where: `${ref === v.key ? '' : `${ref} as `}${v.key} of service ${service}, from ${model.dotenv.file}`};
  return {file: v.file, line: v.line, where: `environment of service ${service}`};
}

/** The file in the deployment that a container path is mounted from, or why there is none. */
function hostPath(
  ctx: Context,
  svc: ComposeService,
  raw: RawService,
  topSecrets: Map<string, {file: string; source: string; line?: number}>,
  containerPath: string,
): {rel?: string; why?: string} {
  const p = posix.normalize(containerPath);
  if (!p.startsWith('/')) return {why: `${containerPath} is relative to the container's working directory, which Shipshape does not map`};
  // Compose secrets: /run/secrets/<target>.
  for (const s of raw.secrets) {
    const target = s.target.startsWith('/') ? s.target : `/run/secrets/${s.target}`;
    if (target !== p) continue;
    const top = topSecrets.get(s.source);
    if (!top) return {why: `secret ${s.source} is not a file secret of this project`};
    return inside(ctx, top.file, top.source);
  }
  let best: {target: string; source: string; file: string} | undefined;
  for (const v of svc.volumes) {
    const target = posix.normalize(v.target).replace(/\/+$/, '') || '/';
    if (v.source === undefined) continue;
    if (p !== target && !p.startsWith(`${target}/`)) continue;
    if (!best || target.length > best.target.length) best = {target, source: v.source, file: v.file};
  }
  if (!best) return {why: `no bind mount of service ${svc.name} covers ${containerPath}`};
  const bind = best.source.startsWith('.') || best.source.startsWith('/') || best.source.startsWith('~');
  if (!bind) return {why: `${containerPath} is in the named volume ${best.source}, not a file of the deployment`};
  const rest = p === best.target ? '' : p.slice(best.target.length + 1);
  return inside(ctx, best.file, rest ? posix.join(best.source, rest) : best.source);
}

/** A bind source (relative to the Compose file, or absolute) as a path under the root, or why not. */
function inside(ctx: Context, composeFile: string, source: string): {rel?: string; why?: string} {
  let rel: string;
  if (source.startsWith('~')) return {why: `${source} is in a home directory outside the deployment`};
  if (source.startsWith('/')) {
    const root = ctx.root.replace(/\/+$/, '');
    if (!source.startsWith(`${root}/`)) return {why: `${source} is outside the deployment`};
    rel = source.slice(root.length + 1);
  } else rel = posix.normalize(posix.join(posix.dirname(composeFile), source));
  if (rel === '..' || rel.startsWith('../')) return {why: `${source} is outside the deployment`};
  if (ctx.lookup(rel).kind === 'missing') return {rel, why: `${rel} does not exist`};
  return {rel};
}

/** Reads a --config or --steps file into the settings; says why not when it cannot be read here. */
async function applyFile(ctx: Context, f: FileArg, settings: Settings, origin: 'config' | 'steps', out: ZitadelModel): Promise<string | undefined> {
  if (!f.rel || f.why) {
    // The settings it may hold stay unknown: a default is then no finding.
    const why = `--${origin} ${f.arg}: ${f.why ?? 'not readable here'}`;
    out.problems.push({file: f.file, line: f.line, detail: why});
    return why;
  }
  const y = await ctx.yaml(f.rel);
  for (const leaf of flattenConfig(y.data, [])) {
    // setup reads FirstInstance only from --steps files; the runtime ignores steps files.
    if (origin === 'config' && isStepsPath(leaf.path)) continue;
    if (origin === 'steps' && !isStepsPath(leaf.path)) continue;
    settings.set({
      path: leaf.path,
      value: leaf.value,
      origin,
      file: y.file,
      line: lineOf(y, leaf.yamlPath),
      key: leaf.path,
      where: `--${origin} ${f.arg} of ${settings.label}`,
      literal: true,
    });
  }
  return undefined;
}

/** Every setting in a ZITADEL config or steps document: keys may hold dots (`TLS.Enabled: false`). */
export function flattenConfig(data: unknown, base: PathKey[]): {path: string; value: string; yamlPath: PathKey[]}[] {
  const out: {path: string; value: string; yamlPath: PathKey[]}[] = [];
  const walk = (node: unknown, logical: string[], yamlPath: PathKey[]) => {
    if (isRecord(node)) {
      for (const [k, v] of Object.entries(node)) walk(v, [...logical, ...k.split('.')], [...yamlPath, k]);
      return;
    }
    if (logical.length === 0) return;
    const value = node === null || node === undefined ? '' : Array.isArray(node) ? JSON.stringify(node) : String(node);
    out.push({path: canonicalPath(logical.join('.')), value, yamlPath});
  };
  walk(data, [], base);
  return out;
}

/** Database.postgres.DSN replaces the connection fields: read them out of it. */
function applyDsn(settings: Settings): boolean {
  const s = settings.explicit('Database.postgres.DSN');
  if (!s?.value) return false;
  const d = parseDsn(s.value);
  const from = (path: string, value: string | undefined) => {
    if (value === undefined) return;
    settings.set({...s, path, value, origin: 'dsn', key: `${s.key} (${path.split('.').slice(2).join('.')})`, where: `${s.where}, inside the DSN`});
  };
  from('Database.postgres.Host', d.host);
  from('Database.postgres.Port', d.port);
  from('Database.postgres.User.Username', d.user);
  from('Database.postgres.User.Password', d.password ?? '');
  // libpq's default when a DSN names no sslmode.
  from('Database.postgres.User.SSL.Mode', d.sslmode ?? 'prefer');
  return true;
}

/** A PostgreSQL connection string, URL (`postgresql://u:p@h:5432/db?sslmode=x`) or key=value form. */
export function parseDsn(text: string): {host?: string; port?: string; user?: string; password?: string; sslmode?: string; database?: string} {
  const t = text.trim();
  if (/^postgres(ql)?:\/\//i.test(t)) {
    try {
      const u = new URL(t);
      const dec = (s: string) => {
        try {
          return decodeURIComponent(s);
        } catch {
          return s;
        }
      };
      return {
        ...(u.hostname ? {host: u.hostname.replace(/^\[|\]$/g, '')} : {}),
        ...(u.port ? {port: u.port} : {}),
        ...(u.username ? {user: dec(u.username)} : {}),
        ...(u.password ? {password: dec(u.password)} : {}),
        ...(u.searchParams.get('sslmode') ? {sslmode: u.searchParams.get('sslmode')!} : {}),
        ...(u.pathname.length > 1 ? {database: dec(u.pathname.slice(1))} : {}),
      };
    } catch {
      return {};
    }
  }
  const out: Record<string, string> = {};
  for (const m of t.matchAll(/(\w+)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|(\S*))/g)) out[m[1]!.toLowerCase()] = (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1');
  return {
    ...(out.host ? {host: out.host} : {}),
    ...(out.port ? {port: out.port} : {}),
    ...(out.user ? {user: out.user} : {}),
    ...(out.password !== undefined ? {password: out.password} : {}),
    ...(out.sslmode ? {sslmode: out.sslmode} : {}),
    ...(out.dbname ? {database: out.dbname} : {}),
  };
}

async function composeMasterkey(
  ctx: Context,
  model: ComposeModel,
  svc: ComposeService,
  raw: RawService,
  cmd: ParsedCommand,
  topSecrets: Map<string, {file: string; source: string; line?: number}>,
): Promise<Masterkey> {
  const byFlag = (cmd.flags.get('masterkey') ?? []).map((f) => ({flag: '--masterkey', ...f}));
  const byFile = (cmd.flags.get('masterkeyFile') ?? []).map((f) => ({flag: '--masterkeyFile', ...f}));
  const byEnv = (cmd.flags.get('masterkeyFromEnv') ?? []).filter((f) => f.value !== 'false').map((f) => ({flag: '--masterkeyFromEnv', ...f}));
  const given = [...byFlag, ...byFile, ...byEnv];
  const file = raw.command?.file;
  if (given.length === 0) {
    return {
      how: 'none',
      literal: false,
      source: 'none',
      where: `service ${svc.name} gives no masterkey flag`,
      file: raw.command?.file ?? raw.at?.file ?? svc.file,
      line: raw.command?.line ?? raw.at?.line ?? svc.line,
    };
  }
  if (given.length > 1) {
    const conflicting = given.map((g) => ({flag: g.flag, file, line: g.token.line ?? raw.command?.line}));
    return {
      how: 'none',
      literal: false,
      source: 'several',
      where: `service ${svc.name} gives ${given.map((g) => g.flag).join(' and ')}`,
      conflicting,
      file,
      line: conflicting[0]!.line,
    };
  }
  const g = given[0]!;
  const line = g.token.line ?? raw.command?.line;
  if (g.flag === '--masterkey') {
    const t = g.token;
    const sole = t.refs.length === 1 && /^\$\{?[A-Za-z_][A-Za-z0-9_]*(?::?[-?+][^}]*)?\}?$/.test(t.raw) ? t.refs[0] : undefined;
    const drawn = sole !== undefined && !t.usedDefault ? model.dotenv?.entries.get(sole) : undefined;
    if (drawn && model.dotenv) {
      return {
        how: 'flag',
        value: g.value,
        literal: false,
        file: model.dotenv.file,
        line: drawn.line,
        source: `${model.dotenv.file} ${sole}`,
        where: `--masterkey "\${${sole}}" in service ${svc.name}, from ${model.dotenv.file}`,
      };
    }
    if (t.refs.length > 0 && !t.usedDefault) {
      return {
        how: 'flag',
        literal: false,
        file,
        line,
        source: `variable ${t.refs.join(', ')}`,
        where: `--masterkey from ${t.refs.join(', ')}, which no .env here sets`,
        hidden: `${t.refs.join(', ')} is not set in the .env, so it must come from the shell that runs docker compose`,
      };
    }
    return {
      how: 'flag',
      value: g.value,
      literal: true,
      file,
      line,
      source: `literal in ${file} (service ${svc.name})`,
      where: `--masterkey written in the command of service ${svc.name}`,
    };
  }
  if (g.flag === '--masterkeyFromEnv') {
    const v = svc.environment.get('ZITADEL_MASTERKEY');
    if (!v)
      return {
        how: 'env',
        literal: false,
        file,
        line,
        source: 'unset ZITADEL_MASTERKEY',
        where: `--masterkeyFromEnv, but service ${svc.name} sets no ZITADEL_MASTERKEY`,
        hidden: 'ZITADEL_MASTERKEY is not set',
      };
    const loc = located(model, v, svc.name);
    const literal = !v.envFile && (v.literal || v.interpolation?.usedDefault === true);
    const ref = v.interpolation?.soleRef ?? (v.raw === undefined ? v.key : undefined);
    const inDotenv = ref !== undefined && model.dotenv?.entries.has(ref) === true;
    const known = literal || v.envFile !== undefined || inDotenv;
    const source = v.envFile
      ? `env_file ${v.envFile}`
      : literal
        ? `literal in ${v.file} (service ${svc.name})`
        : inDotenv
          ? `${model.dotenv!.file} ${ref}`
          : `variable ${ref ?? v.key}`;
    return {
      how: 'env',
      ...(known ? {value: v.value ?? ''} : {hidden: `${ref ?? v.key} is not set in the .env, so it must come from the shell that runs docker compose`}),
      literal,
      file: loc.file,
      line: loc.line,
      source,
      where: loc.where.startsWith('ZITADEL_MASTERKEY') ? loc.where : `ZITADEL_MASTERKEY, ${loc.where}`,
    };
  }
  // --masterkeyFile
  const mapped = hostPath(ctx, svc, raw, topSecrets, g.value);
  const base = {
    how: 'file' as const,
    literal: false,
    file,
    line,
    source: `file ${mapped.rel ?? g.value}`,
    where: `--masterkeyFile ${g.value} in service ${svc.name}`,
  };
  if (!mapped.rel || mapped.why) return {...base, hidden: mapped.why ?? 'not readable here'};
  const text = await ctx.readText(mapped.rel);
  return {...base, keyFile: mapped.rel, value: text, where: `${base.where} (${mapped.rel})`};
}

// ---------------------------------------------------------------------------------------------
// Helm (zitadel/zitadel-charts)

/** What the chart's values.yaml sets for the paths the model reads (zitadel-charts 9.34.0). */
export const CHART_DEFAULTS = {
  replicaCount: 1,
  'zitadel.autoscaling.minReplicas': 3,
  'zitadel.configmapConfig.ExternalSecure': 'true',
  'zitadel.configmapConfig.TLS.Enabled': 'false',
  'zitadel.configmapConfig.ExternalDomain': '',
  'postgresql.auth.postgresPassword': 'zitadel',
  'postgresql.auth.password': 'zitadel',
} as const;

function fromHelm(h: HelmValues, out: ZitadelModel): void {
  const first = h.files.find((y) => isRecord(y.data) && isRecord(y.data.zitadel))!;
  const at: Place = {file: first.file, line: lineOf(first, ['zitadel'])};
  const settings = new Settings({...at, where: `values ${first.file}`});
  const chart = (path: string, value: string) =>
    settings.set({
      path,
      value,
      origin: 'chart',
      ...at,
      key: `zitadel.configmapConfig.${path}`,
      where: 'the chart default (no values file sets it)',
      literal: false,
    });
  chart('ExternalSecure', CHART_DEFAULTS['zitadel.configmapConfig.ExternalSecure']);
  chart('TLS.Enabled', CHART_DEFAULTS['zitadel.configmapConfig.TLS.Enabled']);
  chart('ExternalDomain', CHART_DEFAULTS['zitadel.configmapConfig.ExternalDomain']);
  // Lowest precedence first, as `helm -f a -f b` merges maps; configmapConfig, then secretConfig
  // (the later --config file).
  for (const section of ['configmapConfig', 'secretConfig'] as const) {
    for (const y of h.files) {
      const z = isRecord(y.data) && isRecord(y.data.zitadel) ? y.data.zitadel : undefined;
      const node = z?.[section];
      if (!isRecord(node)) continue;
      for (const leaf of flattenConfig(node, ['zitadel', section])) {
        settings.set({
          path: leaf.path,
          value: leaf.value,
          origin: isStepsPath(leaf.path) ? 'steps' : 'config',
          file: y.file,
          line: lineOf(y, leaf.yamlPath),
          key: `zitadel.${section}.${leaf.yamlPath.slice(2).join('.')}`,
          where: `values zitadel.${section}`,
          literal: true,
        });
      }
    }
  }
  const hidden: string[] = [];
  const cfgSecret = h.get('zitadel.configSecretName');
  if (typeof cfgSecret?.value === 'string' && cfgSecret.value !== '') hidden.push(`the config in Secret ${cfgSecret.value}`);
  const envSecret = h.get('envVarsSecret');
  if (typeof envSecret?.value === 'string' && envSecret.value !== '') hidden.push(`the variables in Secret ${envSecret.value}`);

  // The bundled PostgreSQL: the chart writes a DSN for it unless configmapConfig names a host.
  const pg = h.get('postgresql.enabled');
  const bundled = pg?.value === true && !settings.explicit('Database.postgres.Host');
  if (bundled) {
    const pw = h.get('postgresql.auth.postgresPassword');
    const value = pw ? String(pw.value ?? '') : CHART_DEFAULTS['postgresql.auth.postgresPassword'];
    const p = pw && !pw.chartDefault ? {file: pw.file, line: pw.line} : {file: pg.file, line: pg.line};
    const base = {origin: 'chart' as const, ...p, where: 'the DSN the chart writes for its bundled PostgreSQL (postgresql.enabled)', literal: true};
    settings.set({...base, path: 'Database.postgres.Host', value: '<release>-postgresql', key: 'postgresql.enabled'});
    settings.set({...base, path: 'Database.postgres.User.Username', value: 'postgres', key: 'postgresql.enabled'});
    settings.set({
      ...base,
      path: 'Database.postgres.User.Password',
      value,
      key: pw && !pw.chartDefault ? 'postgresql.auth.postgresPassword' : 'postgresql.auth.postgresPassword (chart default)',
    });
    settings.set({...base, path: 'Database.postgres.User.SSL.Mode', value: 'disable', key: 'postgresql.enabled'});
  }

  const env: EnvEntry[] = [];
  const list = h.get('env');
  if (Array.isArray(list?.value)) {
    list.value.forEach((e, i) => {
      if (!isRecord(e) || typeof e.name !== 'string') return;
      const item = h.get(['env', i]);
      const place = {file: list.file, line: item?.line ?? list.line};
      const fromSecret = isRecord(e.valueFrom) && isRecord(e.valueFrom.secretKeyRef) ? e.valueFrom.secretKeyRef : undefined;
      const value = e.value === undefined || e.value === null ? undefined : String(e.value);
      env.push({key: e.name, ...(value !== undefined ? {value} : {}), ...place, where: `values env[${i}]`});
      const verdict = judgeEnvName(e.name);
      if (!verdict.known || !verdict.path) return;
      if (fromSecret) {
        const ref = `Secret ${String(fromSecret.name ?? '?')} key ${String(fromSecret.key ?? '?')}`;
        settings.set({
          path: verdict.path,
          value: undefined,
          origin: 'env',
          ...place,
          key: e.name,
          where: `values env[${i}] from ${ref}`,
          literal: false,
          hidden: ref,
        });
      } else if (e.valueFrom === undefined) {
        settings.set({path: verdict.path, value: value ?? '', origin: 'env', ...place, key: e.name, where: `values env[${i}]`, literal: true});
      }
    });
  }
  // The chart's DSN for its bundled PostgreSQL also means Admin is not used.
  const dsn = applyDsn(settings) || bundled;

  const masterkey = helmMasterkey(h, at);
  const replicaCount = h.get('replicaCount');
  const autoscaling = h.get('zitadel.autoscaling.enabled');
  let replicas: Runtime['replicas'];
  if (autoscaling?.value === true) {
    const min = h.get('zitadel.autoscaling.minReplicas');
    replicas = {
      value: Number(min?.value ?? CHART_DEFAULTS['zitadel.autoscaling.minReplicas']),
      file: min?.file ?? autoscaling.file,
      line: min?.line ?? autoscaling.line,
      from: min ? 'zitadel.autoscaling.minReplicas' : 'zitadel.autoscaling.enabled (chart default minReplicas 3)',
    };
  } else if (replicaCount && !replicaCount.chartDefault) {
    replicas = {value: Number(replicaCount.value), file: replicaCount.file, line: replicaCount.line, from: 'replicaCount'};
  } else replicas = {value: CHART_DEFAULTS.replicaCount, ...at, from: 'replicaCount not set (the chart default is 1)'};

  const common = {kind: 'helm' as const, configs: [], steps: [], masterkey, env, hidden, dsn, labels: new Map<string, Place & {value: string}>()};
  // One set of files for every workload: the setup Job reads them as --config and --steps, the
  // Deployment and the init Job as --config (FirstInstance in them is only read by setup).
  out.runtimes.push({...common, name: 'Deployment (start)', phase: 'start', at, replicas, settings});
  out.runtimes.push({...common, name: 'setup Job', phase: 'setup', at, settings});
  const initJob = h.get('initJob.enabled');
  if (initJob?.value !== false) out.runtimes.push({...common, name: 'init Job', phase: 'init', at, settings});
}

function helmMasterkey(h: HelmValues, at: Place): Masterkey {
  const literal = h.get('zitadel.masterkey');
  const secret = h.get('zitadel.masterkeySecretName');
  const hasLiteral = literal && typeof literal.value === 'string' && literal.value !== '';
  const hasSecret = secret && typeof secret.value === 'string' && secret.value !== '';
  if (hasLiteral && hasSecret) {
    return {
      how: 'none',
      literal: true,
      file: literal.file,
      line: literal.line,
      source: 'several',
      where: 'both zitadel.masterkey and zitadel.masterkeySecretName are set (the chart refuses: one or the other)',
      conflicting: [
        {flag: 'zitadel.masterkey', file: literal.file, line: literal.line},
        {flag: 'zitadel.masterkeySecretName', file: secret.file, line: secret.line},
      ],
    };
  }
  if (hasLiteral) {
    return {
      how: 'values',
      value: String(literal.value),
      literal: true,
      file: literal.file,
      line: literal.line,
      source: 'values zitadel.masterkey',
      where: 'zitadel.masterkey in the values (the chart makes a Secret of it)',
    };
  }
  if (hasSecret) {
    const name = String(secret.value);
    return {
      how: 'secret',
      literal: false,
      file: secret.file,
      line: secret.line,
      source: `Secret ${name}`,
      where: `the existing Secret ${name} (zitadel.masterkeySecretName)`,
      hidden: `kept in the Secret ${name}, which Shipshape does not read`,
    };
  }
  return {
    how: 'none',
    literal: false,
    ...at,
    source: 'none',
    where: 'neither zitadel.masterkey nor zitadel.masterkeySecretName is set (the chart refuses to render)',
  };
}

// ---------------------------------------------------------------------------------------------
// The proxy in front

const PROXY_GLOBS = [
  'Caddyfile',
  '*.Caddyfile',
  '{caddy,proxy}/Caddyfile',
  'nginx.conf',
  '{nginx,proxy}/**/*.conf',
  'conf.d/*.conf',
  'traefik*.{yml,yaml}',
  'traefik/**/*.{yml,yaml}',
];

async function readProxies(ctx: Context, model: ComposeModel, raw: Map<string, RawService>, zitadelServices: string[]): Promise<Proxy[]> {
  const out: Proxy[] = [];
  const seen = new Set<string>();
  const add = async (kind: Proxy['kind'], rel: string, service?: ComposeService) => {
    if (seen.has(rel)) return;
    seen.add(rel);
    const text = await ctx.readText(rel);
    const published = service ? publishedPorts(service) : [];
    let p: Omit<Proxy, 'published' | 'service'> | undefined;
    if (kind === 'caddy') p = parseCaddyfile(text, rel);
    else if (kind === 'nginx') p = parseNginx(text, rel);
    else {
      const y = await ctx.yaml(rel);
      p = parseTraefikFile(y);
    }
    if (p && (p.sites.length > 0 || p.upstreams.length > 0)) out.push({...p, published, ...(service ? {service: service.name} : {})});
  };
  for (const svc of model.services.values()) {
    const base = svc.image ? imageBaseName(svc.image.value) : '';
    const kind: Proxy['kind'] | undefined = base === 'caddy' ? 'caddy' : base === 'traefik' ? 'traefik' : PROXY_IMAGES.has(base) ? 'nginx' : undefined;
    if (!kind) continue;
    for (const v of svc.volumes) {
      if (!v.source || !(v.source.startsWith('.') || v.source.startsWith('/'))) continue;
      const found = inside(ctx, v.file, v.source);
      if (!found.rel || found.why) continue;
      const entry = ctx.lookup(found.rel);
      if (entry.kind === 'file') {
        if (looksLike(kind, found.rel)) await add(kind, found.rel, svc);
      } else {
        for (const f of await ctx.glob([`${found.rel}/**/*`])) if (looksLike(kind, f)) await add(kind, f, svc);
      }
    }
    if (kind === 'traefik') {
      const labels = traefikLabels(model, raw, zitadelServices, svc);
      if (labels) out.push(labels);
    }
  }
  if (out.length === 0) {
    for (const f of await ctx.glob(PROXY_GLOBS)) {
      const kind: Proxy['kind'] = /Caddyfile$/.test(f) ? 'caddy' : /\.conf$/.test(f) ? 'nginx' : 'traefik';
      await add(kind, f);
    }
  }
  return out;
}

function looksLike(kind: Proxy['kind'], rel: string): boolean {
  const name = posix.basename(rel);
  if (kind === 'caddy') return name === 'Caddyfile' || name.endsWith('.Caddyfile') || name.endsWith('.caddy');
  if (kind === 'nginx') return name.endsWith('.conf');
  return /\.ya?ml$/.test(name);
}

function publishedPorts(svc: ComposeService): (Place & {port: number})[] {
  const out: (Place & {port: number})[] = [];
  for (const p of svc.ports) {
    const n = Number(p.published ?? p.target);
    if (Number.isInteger(n)) out.push({port: n, file: p.file, line: p.line});
  }
  return out;
}

/** Strips a `scheme://` and path: `h2c://zitadel:8080/x` -> host zitadel, port 8080. */
function hostPort(target: string): {host: string; port?: string} {
  const noScheme = target.replace(/^[a-z0-9+.-]+:\/\//i, '').replace(/\/.*$/, '');
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(noScheme);
  if (v6) return {host: v6[1]!, ...(v6[2] ? {port: v6[2]} : {})};
  const colon = noScheme.lastIndexOf(':');
  if (colon > 0 && /^\d+$/.test(noScheme.slice(colon + 1))) return {host: noScheme.slice(0, colon), port: noScheme.slice(colon + 1)};
  return {host: noScheme};
}

function schemeOf(target: string, fallback: ProxyUpstream['scheme']): ProxyUpstream['scheme'] {
  const m = /^([a-z0-9+.-]+):\/\//i.exec(target);
  const s = m?.[1]?.toLowerCase();
  if (s === 'h2c' || s === 'https' || s === 'grpc' || s === 'grpcs' || s === 'http') return s;
  return fallback;
}

/** One directive of a brace-structured config: its words, its line, and the directives inside its block. */
interface Directive {
  words: string[];
  line: number;
  block?: Directive[];
}

/**
 * Caddyfile and nginx share a shape: words, `{ ... }` blocks, one directive per line (Caddy) or
 * per `;` (nginx). Comments start with `#` at a word boundary; quotes group words.
 */
function parseBlocks(text: string, nginx: boolean): Directive[] {
  const root: Directive[] = [];
  const stack: Directive[][] = [root];
  let words: string[] = [];
  let wordLine = 0;
  let line = 1;
  let i = 0;
  const flush = (block?: Directive[]) => {
    if (words.length === 0 && !block) return;
    const d: Directive = {words, line: wordLine || line};
    if (block) d.block = block;
    stack.at(-1)!.push(d);
    words = [];
    wordLine = 0;
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') {
      if (!nginx) flush();
      line++;
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (c === ';' && nginx) {
      flush();
      i++;
      continue;
    }
    if (c === '{' && (nginx || text[i + 1] === undefined || /\s/.test(text[i + 1]!))) {
      const block: Directive[] = [];
      if (words.length === 0 && !nginx) {
        // A block on its own line belongs to the directive above (rare, but valid in Caddy).
        const prev = stack.at(-1)!.pop();
        if (prev) {
          words = prev.words;
          wordLine = prev.line;
        }
      }
      flush(block);
      stack.push(block);
      i++;
      continue;
    }
    if (c === '}' && stack.length > 1 && (nginx || words.length === 0)) {
      flush();
      stack.pop();
      i++;
      continue;
    }
    // A word, possibly quoted.
    let w = '';
    if (c === '"' || c === "'") {
      const q = c;
      i++;
      while (i < text.length && text[i] !== q) {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        if (text[i] === '\n') line++;
        w += text[i];
        i++;
      }
      i++;
    } else {
      while (i < text.length && !/[\s;]/.test(text[i]!) && !(nginx && (text[i] === '{' || text[i] === '}'))) {
        w += text[i];
        i++;
      }
    }
    if (words.length === 0) wordLine = line;
    words.push(w);
  }
  flush();
  return root;
}

function walkDirectives(list: Directive[], visit: (d: Directive, parents: Directive[]) => void, parents: Directive[] = []): void {
  for (const d of list) {
    visit(d, parents);
    if (d.block) walkDirectives(d.block, visit, [...parents, d]);
  }
}

/** What a Caddyfile says about its sites and the upstreams of reverse_proxy. */
export function parseCaddyfile(text: string, file: string): Omit<Proxy, 'published' | 'service'> {
  const top = parseBlocks(text, false);
  const sites: ProxySite[] = [];
  const upstreams: ProxyUpstream[] = [];
  let h2Off = false;
  walkDirectives(top, (d) => {
    if (d.words[0] === 'protocols' && !d.words.slice(1).includes('h2')) h2Off = true;
  });
  for (const d of top) {
    if (!d.block) continue;
    // The global options block has no address.
    if (d.words.length === 0) continue;
    for (const address of d.words.flatMap((w) => w.split(',')).filter(Boolean)) {
      const plain = /^http:\/\//i.test(address) || /:80$/.test(address);
      const m = /:(\d+)(?:\/|$)/.exec(address.replace(/^[a-z]+:\/\//i, ''));
      const port = m ? Number(m[1]) : plain ? 80 : 443;
      sites.push({file, line: d.line, tls: !plain, h2: plain ? false : undefined, ports: [port], text: address});
    }
    walkDirectives(d.block, (inner) => {
      if (inner.words[0] !== 'reverse_proxy') return;
      let transport: ProxyUpstream['scheme'] | undefined;
      const targets = inner.words.slice(1).filter((w) => !w.startsWith('/') && !w.startsWith('@') && w !== '*');
      walkDirectives(inner.block ?? [], (x, parents) => {
        if (x.words[0] === 'to') targets.push(...x.words.slice(1));
        const inTransport = parents.some((p) => p.words[0] === 'transport');
        if (inTransport && x.words[0] === 'versions' && x.words.includes('h2c')) transport = 'h2c';
        if (inTransport && x.words[0] === 'tls') transport = 'https';
      });
      for (const t of targets) {
        const scheme = schemeOf(t, transport ?? 'http');
        upstreams.push({file, line: inner.line, scheme: scheme === 'http' && transport ? transport : scheme, ...hostPort(t), text: inner.words.join(' ')});
      }
    });
  }
  for (const s of sites) if (s.h2 === undefined) s.h2 = !h2Off;
  return {kind: 'caddy', file, sites, upstreams};
}

/** What an nginx config says about its servers and the upstreams of grpc_pass / proxy_pass. */
export function parseNginx(text: string, file: string): Omit<Proxy, 'published' | 'service'> {
  const top = parseBlocks(text, true);
  const sites: ProxySite[] = [];
  const upstreams: ProxyUpstream[] = [];
  const groups = new Map<string, string[]>();
  let http2Global = false;
  walkDirectives(top, (d, parents) => {
    if (d.words[0] === 'upstream' && d.words[1] && d.block) {
      groups.set(
        d.words[1],
        d.block.filter((x) => x.words[0] === 'server').map((x) => x.words[1] ?? ''),
      );
    }
    if (d.words[0] === 'http2' && d.words[1] === 'on' && !parents.some((p) => p.words[0] === 'server')) http2Global = true;
  });
  walkDirectives(top, (d) => {
    if (d.words[0] !== 'server' || !d.block) return;
    const listens = d.block.filter((x) => x.words[0] === 'listen');
    const http2On = d.block.some((x) => x.words[0] === 'http2' && x.words[1] === 'on');
    const ports: number[] = [];
    let tls = false;
    let h2 = http2On || http2Global;
    for (const l of listens) {
      const m = /(?:^|:)(\d+)$/.exec(l.words[1] ?? '');
      if (m) ports.push(Number(m[1]));
      if (l.words.includes('ssl')) tls = true;
      if (l.words.includes('http2')) h2 = true;
    }
    if (listens.length === 0) ports.push(80);
    const where = listens.find((l) => l.words.includes('ssl')) ?? listens[0] ?? d;
    sites.push({file, line: where.line, tls, h2: tls && h2, ports, text: listens.map((l) => l.words.join(' ')).join('; ') || 'listen 80 (default)'});
    walkDirectives(d.block, (x) => {
      const directive = x.words[0];
      if (directive !== 'grpc_pass' && directive !== 'proxy_pass') return;
      const target = x.words[1] ?? '';
      const scheme: ProxyUpstream['scheme'] = directive === 'grpc_pass' ? (/^grpcs:\/\//i.test(target) ? 'grpcs' : 'grpc') : 'http'; // nginx proxy_pass speaks HTTP/1.x to upstreams, even over TLS
      const hp = hostPort(target);
      const members = groups.get(hp.host);
      for (const m of members && members.length > 0 ? members : [target]) {
        upstreams.push({file, line: x.line, scheme, ...(members ? hostPort(m) : hp), text: x.words.join(' ')});
      }
    });
  });
  return {kind: 'nginx', file, sites, upstreams};
}

/** A Traefik file-provider document: http.services servers, routers with tls, entry point addresses. */
export function parseTraefikFile(y: YamlFile): Omit<Proxy, 'published' | 'service'> {
  const sites: ProxySite[] = [];
  const upstreams: ProxyUpstream[] = [];
  const data = isRecord(y.data) ? y.data : {};
  const get = (o: Record<string, unknown>, ...keys: string[]): unknown => {
    let node: unknown = o;
    for (const k of keys) {
      if (!isRecord(node)) return undefined;
      const hit = Object.keys(node).find((x) => x.toLowerCase() === k.toLowerCase());
      node = hit === undefined ? undefined : node[hit];
    }
    return node;
  };
  const keyOf = (o: Record<string, unknown>, k: string) => Object.keys(o).find((x) => x.toLowerCase() === k.toLowerCase()) ?? k;
  const entry = get(data, 'entryPoints');
  if (isRecord(entry)) {
    for (const [name, ep] of Object.entries(entry)) {
      const address = isRecord(ep) ? String(get(ep, 'address') ?? '') : '';
      const m = /:(\d+)/.exec(address);
      const tlsOn = isRecord(ep) && get(ep, 'http', 'tls') !== undefined;
      sites.push({
        file: y.file,
        line: lineOf(y, [keyOf(data, 'entryPoints'), name]),
        tls: tlsOn,
        h2: tlsOn ? true : undefined,
        ports: m ? [Number(m[1])] : [],
        text: `entryPoint ${name} ${address}`,
      });
    }
  }
  const http = get(data, 'http');
  if (isRecord(http)) {
    const routers = get(http, 'routers');
    if (isRecord(routers)) {
      for (const [name, r] of Object.entries(routers)) {
        if (!isRecord(r) || get(r, 'tls') === undefined) continue;
        sites.push({
          file: y.file,
          line: lineOf(y, [keyOf(data, 'http'), keyOf(http, 'routers'), name]),
          tls: true,
          h2: true,
          ports: [],
          text: `router ${name} (tls)`,
        });
      }
    }
    const services = get(http, 'services');
    if (isRecord(services)) {
      for (const [name, s] of Object.entries(services)) {
        const servers = isRecord(s) ? get(s, 'loadBalancer', 'servers') : undefined;
        if (!Array.isArray(servers)) continue;
        servers.forEach((srv, i) => {
          const url = isRecord(srv) ? String(get(srv, 'url') ?? '') : '';
          if (!url) return;
          const lb = keyOf(s as Record<string, unknown>, 'loadBalancer');
          const line = lineOf(y, [
            keyOf(data, 'http'),
            keyOf(http, 'services'),
            name,
            lb,
            keyOf((s as Record<string, unknown>)[lb] as Record<string, unknown>, 'servers'),
            i,
          ]);
          upstreams.push({file: y.file, line, scheme: schemeOf(url, 'http'), ...hostPort(url), text: `service ${name} url ${url}`});
        });
      }
    }
  }
  return {kind: 'traefik', file: y.file, sites, upstreams};
}

/** Traefik's Docker provider: labels on the ZITADEL services, TLS from routers or the entry points in its command. */
function traefikLabels(model: ComposeModel, raw: Map<string, RawService>, zitadelServices: string[], traefik: ComposeService): Proxy | undefined {
  const upstreams: ProxyUpstream[] = [];
  const sites: ProxySite[] = [];
  const command = raw.get(traefik.name)?.command;
  const tlsEntryPoints = new Set<string>();
  for (const t of command?.tokens ?? []) {
    const m = /^--entry[pP]oints\.([^.=]+)\.http\.tls(?:\.certresolver)?(?:=(.*))?$/.exec(t.value);
    if (m && m[2] !== 'false') tlsEntryPoints.add(m[1]!);
  }
  for (const name of zitadelServices) {
    const labels = raw.get(name)?.labels;
    if (!labels) continue;
    const traefikOn = [...labels.keys()].some((k) => k.startsWith('traefik.'));
    if (!traefikOn || labels.get('traefik.enable')?.value === 'false') continue;
    const schemes = [...labels].filter(([k]) => /^traefik\.http\.services\.[^.]+\.loadbalancer\.server\.scheme$/i.test(k));
    const svc = model.services.get(name)!;
    if (schemes.length === 0) {
      const place = raw.get(name)?.at ?? {file: svc.file, line: svc.line};
      upstreams.push({...place, scheme: 'http', host: name, text: `labels of service ${name}: no loadbalancer.server.scheme (Traefik then speaks HTTP/1.1)`});
    }
    for (const [k, v] of schemes) {
      const scheme = schemeOf(`${v.value.toLowerCase()}://x`, 'http');
      upstreams.push({file: v.file, line: v.line, scheme, host: name, text: `${k}=${v.value}`});
    }
    for (const [k, v] of labels) {
      const router = /^traefik\.http\.routers\.([^.]+)\.(tls(?:\.certresolver)?|entrypoints)$/i.exec(k);
      if (!router) continue;
      const viaEntry = router[2]!.toLowerCase() === 'entrypoints' && v.value.split(',').some((e) => tlsEntryPoints.has(e.trim()));
      const tls = router[2]!.toLowerCase().startsWith('tls') ? v.value !== 'false' : viaEntry;
      if (tls) sites.push({file: v.file, line: v.line, tls: true, h2: true, ports: [], text: `${k}=${v.value}`});
    }
  }
  if (upstreams.length === 0) return undefined;
  return {kind: 'traefik', file: traefik.file, service: traefik.name, sites, upstreams, published: publishedPorts(traefik)};
}

// ---------------------------------------------------------------------------------------------

/** Whether a database host is on the deployment's own network: a Compose service, loopback, or a cluster-internal Service name. */
export function privateHost(host: string, m: Pick<ZitadelModel, 'composeServices'>, kind: Runtime['kind']): string | undefined {
  const h = host.toLowerCase();
  if (m.composeServices.has(host)) return `${host} is a service of this Compose project, reached on its own network`;
  if (isLoopback(h)) return `${host} is the same host`;
  if (kind === 'helm' && (!h.includes('.') || /\.svc(\.cluster\.local)?$/.test(h) || h === '<release>-postgresql'))
    return `${host} is a Service inside the cluster`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Values ZITADEL's own repositories publish, which no deployment may keep.

/**
 * Masterkeys that ZITADEL's own repositories ship in examples, docs and tests: anyone who read
 * them knows these keys. Found in zitadel/zitadel (docs compose files and their .env, the
 * load-balancing example's key file, the configure page) and zitadel/zitadel-charts (values
 * of every example, the quickstart, the acceptance tests).
 */
export const EXAMPLE_MASTERKEYS: ReadonlyMap<string, string> = new Map([
  ['MasterkeyNeedsToHave32Characters', "ZITADEL's docs compose files, their .env and the chart's quickstart values"],
  ['x123456789012345678901234567891y', "the values of zitadel-charts' examples"],
  ['HlRwzwmUWZzXmDlWygQlfAEDtwQtTheh', "the zitadel-masterkey file of ZITADEL's load-balancing example"],
  ['My_Master_Key_Which_Has_32_Bytes', "ZITADEL's configuration page"],
]);

/** First-admin passwords ZITADEL's files ship: cmd/setup/steps.yaml, the docs .env and examples, the chart quickstart. */
export const EXAMPLE_ADMIN_PASSWORDS: ReadonlyMap<string, string> = new Map([
  ['Password1!', "ZITADEL's built-in setup steps (the default), its docs .env and the chart's quickstart values"],
  ['RootPassword1!', "ZITADEL's configuration example (example-zitadel-init-steps.yaml)"],
]);
/** Database passwords ZITADEL's defaults and examples use (defaults.yaml, docs .env and config examples, chart examples and subchart defaults). */
export const EXAMPLE_DB_PASSWORDS: ReadonlyMap<string, string> = new Map([
  ['postgres', "ZITADEL's default Admin.Password and the docs' PostgreSQL service"],
  ['zitadel', "the docs .env and the chart's bundled PostgreSQL"],
  ['zitadel_pw', "ZITADEL's configuration and reverse-proxy examples"],
  ['xyz', "zitadel-charts' secure PostgreSQL example (user)"],
  ['abc', "zitadel-charts' secure PostgreSQL example (admin)"],
  ['root', 'a common example'],
  ['password', 'a common example'],
]);

const WILDCARD_DNS = /(^|\.)(sslip\.io|nip\.io|xip\.io|traefik\.me|localtest\.me|lvh\.me|vcap\.me)$/i;
const RESERVED = /(^|\.)(localhost|local|test|example|invalid|example\.(com|net|org))$/i;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;

/** Why a name is not a public FQDN for ZITADEL, or undefined when it is one. */
export function domainProblem(domain: string): string | undefined {
  const d = domain.trim().replace(/\.$/, '');
  if (d === '') return 'is empty';
  if (d.toLowerCase() === 'localhost') return 'is localhost: only this machine\'s own browser reaches it, and every other request gets "Instance not found"';
  if (ipFamily(d.replace(/^\[|\]$/g, '')) !== 0)
    return 'is an IP address: certificates, cookies and the issuer are tied to a name, and changing the address later needs a new setup';
  if (WILDCARD_DNS.test(d)) return 'is a wildcard-DNS name that maps to an IP address (for demos): anyone can make one, and it moves with the address';
  if (RESERVED.test(d)) return 'is a reserved or example name that public DNS does not serve';
  if (!d.includes('.')) return 'is not fully qualified (no dot): only a local resolver knows it';
  if (!d.split('.').every((l) => LABEL.test(l))) return 'is not a valid host name';
  return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
