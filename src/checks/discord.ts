// Checks for a Discord bot fleet behind an MCP gateway (the discord-mcp-bot pack): one folder per
// bot under instances/<name>/ (.env, config.toml, personality.txt), each bot a Compose service that
// reads its folder through `env_file:` and a `./instances/<name>:/config` mount, and a gateway
// service that routes to the bots listed in its INSTANCES variable.
//
// How the fleet is read: with a Compose file, a bot is a service (other than the gateway) that
// mounts a folder under `instances/` or reads an env_file there; its settings are what Compose
// gives the container (env_file entries, then `environment:`), each with the file and line it was
// written on. Without a Compose file, every `instances/*/.env` is one bot. The gateway is the
// service whose environment sets INSTANCES. Two checks (restart-policy, log-rotation) judge any
// Compose project; they live here because the Compose model does not carry `restart:` or
// `logging:` and this family reads the Compose YAML itself.
import {createHash} from 'node:crypto';
import {statSync} from 'node:fs';
import {posix} from 'node:path';
import {z} from 'zod';
import type {Context} from '../engine/context.js';
import {display, isPlaceholder, redact, shapeOf} from '../engine/redact.js';
import {count, result, type CheckResult, type Evidence} from '../model/types.js';
import {defineCheck} from './define.js';
import {imageBaseName, isLoopback, type ComposeEnvVar, type ComposeModel, type ComposeService} from '../sources/compose.js';
import {lineOf, type PathKey, type YamlFile} from '../sources/yamlDoc.js';
import {parseToml, tomlGet, tomlLine, type TomlFile} from '../sources/toml.js';
import {collect, EnvKey} from '../deploy/settings.js';
import {dockerLogs} from './host-disk.js';

// ---------------------------------------------------------------------------------------------
// The fleet: bots, their folders and settings, and the gateway.

/** A setting as one bot's container sees it, and where it was written. */
export interface Setting {
  key: string;
  value: string;
  file?: string;
  line?: number;
}

export interface Bot {
  /** The Compose service name, or the folder name without Compose. */
  name: string;
  service?: ComposeService;
  /** `instances/<name>`: the folder mounted as the bot's config directory. */
  dir?: string;
  /** Where that folder is mounted (the volume line), for evidence. */
  dirAt?: {file: string; line?: number};
  /** Every env_file the service reads, relative to the root. */
  envFiles: string[];
  env: Map<string, Setting>;
  /** The service definition, or the bot's .env without Compose. */
  at: {file?: string; line?: number};
}

export interface Fleet {
  model?: ComposeModel;
  bots: Bot[];
  gateways: ComposeService[];
}

const Root = z
  .string()
  .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, 'a folder relative to the deployment, e.g. instances')
  .refine((r) => !r.split('/').includes('..'), 'must not contain ..')
  .default('instances');

const FleetShape = {
  /** The folder holding one sub-folder per bot. */
  root: Root,
  /** The environment variable that marks the gateway service (its list of backends). */
  gatewayKey: EnvKey.default('INSTANCES'),
};

/** Where a Compose setting was written: its env_file line, the .env line it was drawn from, or the Compose line. */
function located(model: ComposeModel, v: ComposeEnvVar): {file: string; line?: number; key: string} {
  if (v.envFile) return {file: v.envFile, line: v.line, key: v.key};
  const ref = v.interpolation?.soleRef ?? (v.raw === undefined ? v.key : undefined);
  const src = ref !== undefined && !v.interpolation?.usedDefault ? model.dotenv?.entries.get(ref) : undefined;
  // Drawn from the root .env: that line is where it is set, under the name written there.
  if (src && model.dotenv) return {file: model.dotenv.file, line: src.line, key: src.key};
  return {file: v.file, line: v.line, key: v.key};
}

function settingsOf(model: ComposeModel, svc: ComposeService): Map<string, Setting> {
  const out = new Map<string, Setting>();
  for (const v of svc.environment.values()) out.set(v.key, {value: v.value ?? '', ...located(model, v)});
  return out;
}

/** A bind mount's source as a path relative to the root (`./instances/a` -> `instances/a`); undefined for named volumes and absolute paths. */
function bindSource(composeFile: string, source: string | undefined): string | undefined {
  if (!source || !(source.startsWith('./') || source.startsWith('../') || source === '.')) return undefined;
  const rel = posix.normalize(posix.join(posix.dirname(composeFile), source)).replace(/\/+$/, '');
  return rel.startsWith('..') ? undefined : rel;
}

/** `instances/alpha/x/.env` -> `instances/alpha` when under root, else undefined. */
function instanceDirOf(path: string, root: string): string | undefined {
  if (!path.startsWith(`${root}/`)) return undefined;
  const name = path.slice(root.length + 1).split('/')[0];
  return name ? `${root}/${name}` : undefined;
}

export async function readFleet(ctx: Context, p: {root: string; gatewayKey: string}): Promise<Fleet> {
  const model = await ctx.compose();
  if (!model) {
    const files = await ctx.glob([`${p.root}/*/.env`]);
    const bots: Bot[] = [];
    for (const file of files) {
      const env = await ctx.envFile(file);
      if (!env) continue;
      const dir = posix.dirname(file);
      const settings = new Map<string, Setting>();
      for (const e of env.entries.values()) settings.set(e.key, {key: e.key, value: e.value, file, line: e.line});
      bots.push({name: posix.basename(dir), dir, envFiles: [file], env: settings, at: {file}});
    }
    return {bots, gateways: []};
  }
  const gateways: ComposeService[] = [];
  const bots: Bot[] = [];
  for (const svc of model.services.values()) {
    if (svc.environment.has(p.gatewayKey)) {
      gateways.push(svc);
      continue;
    }
    const mounts = svc.volumes.map((v) => ({v, src: bindSource(v.file, v.source)})).filter((m) => m.src !== undefined && instanceDirOf(`${m.src}/`, p.root));
    const envUnder = svc.envFiles.filter((f) => instanceDirOf(f, p.root));
    if (mounts.length === 0 && envUnder.length === 0) continue;
    const mount = mounts[0];
    bots.push({
      name: svc.name,
      service: svc,
      dir: mount ? instanceDirOf(`${mount.src}/`, p.root) : instanceDirOf(envUnder[0]!, p.root),
      dirAt: mount ? {file: mount.v.file, line: mount.v.line} : undefined,
      envFiles: svc.envFiles,
      env: settingsOf(model, svc),
      at: {file: svc.file, line: svc.line},
    });
  }
  return {model, bots, gateways};
}

/** The bot's own .env (in its folder), for evidence about a key it lacks. */
function ownEnv(b: Bot): string | undefined {
  return b.envFiles.find((f) => b.dir && f.startsWith(`${b.dir}/`)) ?? b.envFiles[0] ?? (b.dir ? `${b.dir}/.env` : undefined);
}

function noBots(root: string): CheckResult {
  return result('skip', `no bot found: no Compose service mounts a folder under ${root}/, and no ${root}/*/.env exists`);
}

/** The Compose YAML files of the project, parsed (cached by the context). */
async function yamls(ctx: Context, model: ComposeModel): Promise<YamlFile[]> {
  return Promise.all(model.files.map((f) => ctx.yaml(f)));
}

/** A service's raw field from the last Compose file that sets it, with its line. */
function fieldOf(files: YamlFile[], service: string, field: string): {value: unknown; file: string; line?: number} | undefined {
  for (let i = files.length - 1; i >= 0; i--) {
    const y = files[i]!;
    const svc = (y.data as {services?: Record<string, unknown>} | null)?.services?.[service];
    if (svc && typeof svc === 'object' && Object.hasOwn(svc, field)) {
      return {value: (svc as Record<string, unknown>)[field], file: y.file, line: lineOf(y, ['services', service, field])};
    }
  }
  return undefined;
}

/** The line of one entry of a service's list or mapping field (env_file, depends_on), in the last file that has it. */
function entryLine(
  files: YamlFile[],
  service: string,
  field: string,
  match: (entry: unknown, key: PathKey) => boolean,
): {file: string; line?: number} | undefined {
  for (let i = files.length - 1; i >= 0; i--) {
    const y = files[i]!;
    const value = ((y.data as {services?: Record<string, unknown>} | null)?.services?.[service] as Record<string, unknown> | undefined)?.[field];
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      const n = value.findIndex((e, k) => match(e, k));
      if (n >= 0) return {file: y.file, line: lineOf(y, ['services', service, field, n])};
    } else if (value && typeof value === 'object') {
      const k = Object.keys(value).find((key) => match((value as Record<string, unknown>)[key], key));
      if (k !== undefined) return {file: y.file, line: lineOf(y, ['services', service, field, k])};
    } else if (match(value, 0)) return {file: y.file, line: lineOf(y, ['services', service, field])};
    return {file: y.file, line: lineOf(y, ['services', service, field])};
  }
  return undefined;
}

/** Where a service reads `rel` as an env_file. */
async function envFileLine(ctx: Context, model: ComposeModel, svc: ComposeService, rel: string): Promise<{file: string; line?: number}> {
  const files = await yamls(ctx, model);
  const found = entryLine(files, svc.name, 'env_file', (e) => {
    const path = typeof e === 'string' ? e : (e as {path?: unknown} | null)?.path;
    return typeof path === 'string' && posix.normalize(posix.join(posix.dirname(svc.file), path)) === rel;
  });
  return found ?? {file: svc.file, line: svc.line};
}

/** The bot's config.toml, parsed; undefined when it has no folder or the file is absent. SourceError (located) when it does not parse. */
async function configOf(ctx: Context, b: Bot): Promise<TomlFile | undefined> {
  if (!b.dir) return undefined;
  const rel = `${b.dir}/config.toml`;
  if (!ctx.isFile(rel)) return undefined;
  return parseToml(await ctx.readText(rel), rel);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

// ---------------------------------------------------------------------------------------------
// discord.instances

export const instances = defineCheck({
  id: 'discord.instances',
  summary:
    'Every bot service has its own folder under instances/ (mounted as its config directory) holding .env and config.toml; no two bots share a folder, an env_file, or a file through a link.',
  params: z.strictObject({
    ...FleetShape,
    /** Files every bot folder must hold. */
    files: z.array(z.string().regex(/^[^/]+$/, 'a file name inside the folder')).default(['.env', 'config.toml']),
  }),
  async run(ctx, p) {
    const fleet = await readFleet(ctx, p);
    if (fleet.bots.length === 0) return noBots(p.root);
    const bad: Evidence[] = [];
    const good: Evidence[] = [];
    const warn: Evidence[] = [];
    const model = fleet.model;

    // A folder per bot, and the bot's env_file inside that same folder.
    for (const b of fleet.bots) {
      if (!b.dir) {
        bad.push({
          ...b.at,
          key: b.name,
          detail: `service ${b.name} mounts no folder under ${p.root}/: its config.toml and personality.txt come from nowhere this deployment shows`,
        });
        continue;
      }
      if (model && b.service) {
        for (const f of b.envFiles) {
          const other = instanceDirOf(f, p.root);
          if (other && other !== b.dir) {
            const at = await envFileLine(ctx, model, b.service, f);
            bad.push({
              ...at,
              key: `${b.name}.env_file`,
              detail: `service ${b.name} reads ${f} but mounts ${b.dir}: its secrets and its config.toml belong to different bots`,
            });
          }
        }
        if (!b.dirAt)
          bad.push({
            ...b.at,
            key: b.name,
            detail: `service ${b.name} reads ${b.dir} through env_file but does not mount it: the bot cannot read its config.toml`,
          });
      }
    }

    // Nothing shared: a folder, an env_file, or (through links) a file.
    const byDir = new Map<string, Bot[]>();
    for (const b of fleet.bots) if (b.dir) byDir.set(b.dir, [...(byDir.get(b.dir) ?? []), b]);
    for (const [dir, bots] of byDir) {
      if (bots.length < 2) continue;
      for (const b of bots)
        bad.push({
          ...(b.dirAt ?? b.at),
          key: b.name,
          detail: `${dir} is the config folder of ${bots.length} bots (${bots.map((x) => x.name).join(', ')}): they share config.toml and its prefix`,
        });
    }
    if (model) {
      const byEnv = new Map<string, Bot[]>();
      for (const b of fleet.bots) for (const f of b.envFiles) byEnv.set(f, [...(byEnv.get(f) ?? []), b]);
      for (const [file, bots] of byEnv) {
        if (bots.length < 2) continue;
        for (const b of bots) {
          const at = await envFileLine(ctx, model, b.service!, file);
          bad.push({
            ...at,
            key: `${b.name}.env_file`,
            detail: `${file} is read by ${bots.length} bots (${bots.map((x) => x.name).join(', ')}): each bot keeps its settings and secrets in its own .env`,
          });
        }
      }
    }
    // Required files, and no file that is the same file as another bot's (a symlink or hard link).
    const seen = new Map<string, {bot: string; rel: string}>();
    const dirs = [...byDir.keys()];
    for (const dir of dirs) {
      const owner = byDir.get(dir)!;
      const at = owner[0]!.dirAt ?? owner[0]!.at;
      const present: string[] = [];
      for (const name of p.files) {
        const rel = `${dir}/${name}`;
        const found = ctx.lookup(rel);
        if (found.kind === 'missing') {
          bad.push({...at, key: owner[0]!.name, detail: `${rel} does not exist: each bot folder holds its own ${name}`});
          continue;
        }
        if (found.kind === 'refused') {
          bad.push({file: rel, key: owner[0]!.name, detail: found.error.message});
          continue;
        }
        present.push(name);
        let id = found.real;
        try {
          const s = statSync(found.real);
          id = `${s.dev}:${s.ino}`;
        } catch {
          /* the real path identifies it */
        }
        const before = seen.get(id);
        if (before && before.rel !== rel) {
          bad.push({file: rel, line: 1, key: owner[0]!.name, detail: `${rel} is the same file as ${before.rel} (a link): two bots share one ${name}`});
        } else seen.set(id, {bot: owner[0]!.name, rel});
      }
      if (present.length === p.files.length) good.push({...at, key: owner.map((b) => b.name).join(', '), detail: `${dir}: ${present.join(', ')}`});
    }
    // Folders with a .env that no service runs: a removed bot, or one never added to Compose.
    if (model) {
      const used = new Set(dirs);
      for (const env of await ctx.glob([`${p.root}/*/.env`])) {
        const dir = posix.dirname(env);
        if (!used.has(dir))
          warn.push({
            file: env,
            key: posix.basename(dir),
            detail: `${dir} has a .env but no Compose service mounts it: a bot that was removed, or one that never runs`,
          });
      }
    }
    if (bad.length > 0) return result('fail', `${count(bad.length, 'problem')} with the one-folder-per-bot layout`, [...bad, ...warn]);
    if (warn.length > 0)
      return result('warn', `${count(warn.length, 'folder')} under ${p.root}/ ${warn.length === 1 ? 'is' : 'are'} not run by any service`, [...good, ...warn]);
    return result('pass', `${count(fleet.bots.length, 'bot')}, each with its own folder`, good);
  },
});

// ---------------------------------------------------------------------------------------------
// discord.instance-env and discord.distinct

export const instanceEnv = defineCheck({
  id: 'discord.instance-env',
  summary:
    "Each bot's setting (from its env_file or environment) is set, is none of the rejected values, is no placeholder, matches a pattern, and optionally equals the bot's folder name.",
  params: z.strictObject({
    ...FleetShape,
    key: EnvKey,
    required: z.boolean().default(true),
    /** Values that must not be used (compared without regard to case), e.g. the example's. */
    reject: z.array(z.string()).default([]),
    /** A regular expression the value must match. */
    pattern: z.string().optional(),
    placeholders: z.boolean().default(true),
    /** Compare with the folder name: off, or how a difference counts. */
    matchDir: z.enum(['off', 'warn', 'fail']).default('off'),
    expect: z.string().default('the expected form'),
    secret: z.boolean().default(false),
  }),
  async run(ctx, p) {
    const fleet = await readFleet(ctx, p);
    if (fleet.bots.length === 0) return noBots(p.root);
    const re = p.pattern === undefined ? undefined : new RegExp(p.pattern);
    const rejected = new Set(p.reject.map((r) => r.toLowerCase()));
    const bad: Evidence[] = [];
    const soft: Evidence[] = [];
    const good: Evidence[] = [];
    for (const b of fleet.bots) {
      const s = b.env.get(p.key);
      const shown = display(p.key, s?.value, p.secret);
      if (!s || s.value === '') {
        if (p.required) bad.push({file: s?.file ?? ownEnv(b), line: s?.line, key: p.key, detail: `bot ${b.name}: ${p.key} is not set`});
        continue;
      }
      const e = {file: s.file, line: s.line, key: p.key};
      const why = rejected.has(s.value.toLowerCase())
        ? `${shown} is a value this deployment must not use (the example's or the default)`
        : p.placeholders && isPlaceholder(s.value)
          ? `${shown} is a template placeholder`
          : re && !re.test(s.value)
            ? `${shown} is not ${p.expect}`
            : undefined;
      if (why) {
        bad.push({...e, detail: `bot ${b.name}: ${why}`});
        continue;
      }
      const folder = b.dir ? posix.basename(b.dir) : undefined;
      if (p.matchDir !== 'off' && folder !== undefined && s.value !== folder) {
        (p.matchDir === 'fail' ? bad : soft).push({
          ...e,
          detail: `bot ${b.name}: ${shown} differs from its folder name "${folder}"; naming it after the folder keeps them apart at a glance`,
        });
        continue;
      }
      good.push({...e, detail: `bot ${b.name}: ${shown}`});
    }
    if (bad.length > 0) return result('fail', `${p.key}: ${count(bad.length, 'bot')} of ${fleet.bots.length} not set or not ${p.expect}`, [...bad, ...soft]);
    if (soft.length > 0) return result('warn', `${p.key} differs from the folder name for ${count(soft.length, 'bot')}`, [...good, ...soft]);
    return result('pass', good.length > 0 ? `${p.key} is ${p.expect} for ${count(good.length, 'bot')}` : `no bot sets ${p.key}`, good);
  },
});

export const distinct = defineCheck({
  id: 'discord.distinct',
  summary: 'No two bots share the value of a setting (DB_SCHEMA, DISCORD_TOKEN); an unset value counts as its default when one is given.',
  params: z.strictObject({
    ...FleetShape,
    key: EnvKey,
    /** What the bot uses when the key is unset (DB_SCHEMA falls back to `public`). */
    unset: z.string().optional(),
    secret: z.boolean().default(false),
  }),
  async run(ctx, p) {
    const fleet = await readFleet(ctx, p);
    if (fleet.bots.length === 0) return noBots(p.root);
    const groups = new Map<string, {b: Bot; s?: Setting}[]>();
    for (const b of fleet.bots) {
      const s = b.env.get(p.key);
      const value = s?.value ? s.value : p.unset;
      if (value === undefined || value === '') continue;
      groups.set(value, [...(groups.get(value) ?? []), {b, s}]);
    }
    const bad: Evidence[] = [];
    const good: Evidence[] = [];
    for (const [value, members] of groups) {
      const shown = display(p.key, value, p.secret);
      for (const {b, s} of members) {
        const e = {file: s?.file ?? ownEnv(b), line: s?.line, key: p.key};
        if (members.length > 1) {
          const others = members.filter((m) => m.b !== b).map((m) => m.b.name);
          bad.push({...e, detail: `bot ${b.name} has the same ${p.key} as ${others.join(', ')} (${s?.value ? shown : `unset, so ${shown}`})`});
        } else good.push({...e, detail: `bot ${b.name}: ${shown}`});
      }
    }
    if (bad.length > 0) {
      const shared = [...groups.values()].filter((g) => g.length > 1).length;
      return result('fail', `${count(bad.length, 'bot')} share ${count(shared, 'value')} of ${p.key}`, bad);
    }
    if (fleet.bots.length < 2) return result('pass', `a single bot: nothing to share ${p.key} with`, good);
    return result('pass', `every bot has its own ${p.key}`, good);
  },
});

// ---------------------------------------------------------------------------------------------
// discord.placeholders

export const placeholders = defineCheck({
  id: 'discord.placeholders',
  summary: "No value in the .env files (or a bot's environment) starts with the template prefix `your-`, and every required key is set for every bot.",
  params: z.strictObject({
    ...FleetShape,
    /** The .env files to read line by line (globs). */
    files: z.array(z.string().min(1)).default(['.env', 'instances/*/.env']),
    /** Compared without regard to case. */
    prefix: z.string().min(1).default('your-'),
    /** Keys every bot must have set (not empty). */
    required: z.array(EnvKey).default([]),
  }),
  async run(ctx, p) {
    const prefix = p.prefix.toLowerCase();
    const bad: Evidence[] = [];
    const seen = new Set<string>();
    let values = 0;
    const flag = (file: string | undefined, line: number | undefined, key: string, value: string, who: string) => {
      const at = `${file}:${line}:${key}`;
      if (seen.has(at)) return;
      seen.add(at);
      bad.push({
        file,
        line,
        key,
        detail: `${who}${key} still holds the template's placeholder (${display(key, value)}); the bot refuses to start on required keys, and optional ones silently misbehave`,
      });
    };
    for (const file of await ctx.glob(p.files)) {
      const env = await ctx.envFile(file);
      for (const e of env?.entries.values() ?? []) {
        values++;
        if (e.value.toLowerCase().startsWith(prefix)) flag(file, e.line, e.key, e.value, '');
      }
    }
    const fleet = await readFleet(ctx, p);
    for (const b of fleet.bots) {
      for (const s of b.env.values()) {
        values++;
        if (s.value.toLowerCase().startsWith(prefix)) flag(s.file, s.line, s.key, s.value, `bot ${b.name}: `);
      }
      for (const key of p.required) {
        const s = b.env.get(key);
        if (!s || s.value === '') bad.push({file: s?.file ?? ownEnv(b), line: s?.line, key, detail: `bot ${b.name}: required ${key} is not set`});
      }
    }
    if (values === 0 && fleet.bots.length === 0) return result('skip', 'no .env file and no bot to read');
    if (bad.length > 0)
      return result(
        'fail',
        `${count(bad.length, 'setting')} still ${bad.length === 1 ? 'holds a placeholder or is' : 'hold placeholders or are'} missing`,
        bad,
      );
    return result('pass', `no value starts with "${p.prefix}"${p.required.length > 0 ? `, and every bot sets ${p.required.join(', ')}` : ''}`);
  },
});

// ---------------------------------------------------------------------------------------------
// discord.mcp-auth and discord.gateway-token

export const mcpAuth = defineCheck({
  id: 'discord.mcp-auth',
  summary: 'Every bot whose MCP server binds beyond loopback (MCP_BIND_ADDR) has a non-empty MCP_AUTH_TOKEN that is no placeholder.',
  params: z.strictObject({
    ...FleetShape,
    bindKey: EnvKey.default('MCP_BIND_ADDR'),
    tokenKey: EnvKey.default('MCP_AUTH_TOKEN'),
    /** What the bot binds when the key is unset. */
    defaultBind: z.string().default('127.0.0.1'),
  }),
  async run(ctx, p) {
    const fleet = await readFleet(ctx, p);
    if (fleet.bots.length === 0) return noBots(p.root);
    const bad: Evidence[] = [];
    const good: Evidence[] = [];
    for (const b of fleet.bots) {
      const bind = b.env.get(p.bindKey);
      const addr = bind?.value || p.defaultBind;
      const token = b.env.get(p.tokenKey);
      const v = token?.value ?? '';
      if (isLoopback(addr)) {
        good.push({
          file: bind?.file ?? ownEnv(b),
          line: bind?.line,
          key: p.bindKey,
          detail: `bot ${b.name} binds ${addr}: loopback, reachable only inside its own container`,
        });
        continue;
      }
      if (v === '' || isPlaceholder(v)) {
        const at = token && token.value !== '' ? token : bind;
        bad.push({
          file: at?.file ?? ownEnv(b),
          line: at?.line,
          key: at === token ? p.tokenKey : p.bindKey,
          detail: `bot ${b.name} binds its MCP server to ${addr} with ${v === '' ? `no ${p.tokenKey}` : `a placeholder ${p.tokenKey}`}: the bot refuses to start, and an older one would answer anyone on the network`,
        });
      } else good.push({file: token!.file, line: token!.line, key: p.tokenKey, detail: `bot ${b.name} binds ${addr} and requires a token (${redact(v)})`});
    }
    if (bad.length > 0)
      return result('fail', `${count(bad.length, 'bot')} ${bad.length === 1 ? 'exposes' : 'expose'} MCP beyond loopback without a token`, bad);
    return result('pass', `every bot that binds beyond loopback requires a token (${count(fleet.bots.length, 'bot')})`, good);
  },
});

/** The gateway's token: the first of `keys` in its environment, and where it was written. */
function gatewayToken(model: ComposeModel, gw: ComposeService, keys: readonly string[]): Setting | undefined {
  for (const key of keys) {
    const v = gw.environment.get(key);
    if (v) return {value: v.value ?? '', ...located(model, v)};
  }
  return undefined;
}

export const gatewayTokenCheck = defineCheck({
  id: 'discord.gateway-token',
  summary:
    "The gateway has a token (MCP_GATEWAY_AUTH_TOKEN, or its MCP_AUTH_TOKEN), at least minBits random; with match, equal to every bot's MCP_AUTH_TOKEN (the gateway forwards it to them).",
  params: z.strictObject({
    ...FleetShape,
    /** The gateway's environment keys that hold its token, first found wins. */
    keys: z.array(EnvKey).min(1).default(['MCP_GATEWAY_AUTH_TOKEN', 'MCP_AUTH_TOKEN']),
    botKey: EnvKey.default('MCP_AUTH_TOKEN'),
    match: z.boolean().default(true),
    /** 256 bits is 32 random bytes (64 hex characters); 0 only asks for a non-empty value. */
    minBits: z.number().int().min(0).max(4096).default(0),
  }),
  async run(ctx, p) {
    const fleet = await readFleet(ctx, p);
    if (!fleet.model || fleet.gateways.length === 0) return result('skip', `no gateway: no Compose service sets ${p.gatewayKey}`);
    const bad: Evidence[] = [];
    const good: Evidence[] = [];
    const notes: Evidence[] = [];
    for (const gw of fleet.gateways) {
      const t = gatewayToken(fleet.model, gw, p.keys);
      if (!t || t.value === '') {
        bad.push({
          file: t?.file ?? gw.file,
          line: t?.line ?? gw.line,
          key: t?.key ?? p.keys[0],
          detail: `gateway ${gw.name} has no token: it refuses to start`,
        });
        continue;
      }
      const shape = shapeOf(t.value);
      if (isPlaceholder(t.value))
        bad.push({file: t.file, line: t.line, key: t.key, detail: `gateway ${gw.name}: the token is a template placeholder (${redact(t.value)})`});
      else if (p.minBits > 0 && shape.bits < p.minBits)
        bad.push({file: t.file, line: t.line, key: t.key, detail: `gateway ${gw.name}: the token is weaker than ${p.minBits} bits (${redact(t.value)})`});
      else good.push({file: t.file, line: t.line, key: t.key, detail: `gateway ${gw.name}: ${redact(t.value)}`});
      if (!p.match) continue;
      for (const b of fleet.bots) {
        const s = b.env.get(p.botKey);
        if (!s || s.value === '') {
          notes.push({
            file: s?.file ?? ownEnv(b),
            line: s?.line,
            key: p.botKey,
            detail: `bot ${b.name} sets no ${p.botKey} (judged by the item on bot tokens)`,
          });
          continue;
        }
        if (s.value === t.value) good.push({file: s.file, line: s.line, key: p.botKey, detail: `bot ${b.name}: the same value as the gateway's`});
        else
          bad.push({
            file: s.file,
            line: s.line,
            key: p.botKey,
            detail: `bot ${b.name}: differs from gateway ${gw.name}'s token (${redact(s.value)} vs ${redact(t.value)}), so the gateway's calls to it are refused with 401`,
          });
      }
    }
    if (bad.length > 0) return result('fail', `${count(bad.length, 'problem')} with the gateway token`, [...bad, ...notes]);
    return result('pass', p.match ? `the gateway's token is set and every bot with a token shares it` : `the gateway's token is at least ${p.minBits} bits`, [
      ...good,
      ...notes,
    ]);
  },
});

// ---------------------------------------------------------------------------------------------
// discord.gateway-backends

interface Route {
  name: string;
  url: string;
  host?: string;
  port?: string;
}

function parseRoutes(text: string): {routes: Route[]; broken: string[]} {
  const routes: Route[] = [];
  const broken: string[] = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    if (eq <= 0) {
      broken.push(entry);
      continue;
    }
    const url = entry.slice(eq + 1);
    let host: string | undefined;
    let port: string | undefined;
    try {
      const u = new URL(url);
      host = u.hostname;
      port = u.port || (u.protocol === 'https:' ? '443' : '80');
    } catch {
      broken.push(entry);
      continue;
    }
    routes.push({name: entry.slice(0, eq), url, host, port});
  }
  return {routes, broken};
}

export const gatewayBackends = defineCheck({
  id: 'discord.gateway-backends',
  summary:
    "The gateway lists every bot service: in its INSTANCES (name=http://host:port, each host a real service, each port the bot's MCP_PORT), or in its depends_on.",
  params: z.strictObject({
    ...FleetShape,
    list: z.enum(['instances', 'depends_on']),
    portKey: EnvKey.default('MCP_PORT'),
    defaultPort: z.string().regex(/^\d+$/).default('9090'),
  }),
  async run(ctx, p) {
    const fleet = await readFleet(ctx, p);
    if (!fleet.model || fleet.gateways.length === 0) return result('skip', `no gateway: no Compose service sets ${p.gatewayKey}`);
    if (fleet.bots.length === 0) return noBots(p.root);
    const model = fleet.model;
    const bad: Evidence[] = [];
    const good: Evidence[] = [];
    for (const gw of fleet.gateways) {
      if (p.list === 'instances') {
        const v = gw.environment.get(p.gatewayKey)!;
        const at = located(model, v);
        const {routes, broken} = parseRoutes(v.value ?? '');
        for (const b of broken) bad.push({...at, detail: `gateway ${gw.name}: "${b}" is not name=http://host:port, and the gateway refuses to start`});
        for (const r of routes) {
          const target = r.host ? model.services.get(r.host) : undefined;
          if (!target) {
            bad.push({...at, detail: `gateway ${gw.name}: ${r.name} points at ${r.url}, and no service is called ${r.host}`});
            continue;
          }
          const bot = fleet.bots.find((b) => b.name === target.name);
          if (!bot) {
            bad.push({
              ...at,
              detail: `gateway ${gw.name}: ${r.name} points at service ${target.name}, which is not a bot (it mounts no folder under ${p.root}/)`,
            });
            continue;
          }
          const port = bot.env.get(p.portKey)?.value || p.defaultPort;
          if (r.port !== port)
            bad.push({...at, detail: `gateway ${gw.name}: ${r.name} calls port ${r.port}, but bot ${bot.name} listens on ${port} (${p.portKey})`});
        }
        for (const b of fleet.bots) {
          const routed = routes.some((r) => r.host === b.name);
          if (routed) good.push({...at, detail: `gateway ${gw.name} routes to ${b.name}`});
          else bad.push({...at, detail: `gateway ${gw.name} does not list bot ${b.name}: MCP clients cannot reach it`});
        }
      } else {
        const files = await yamls(ctx, model);
        const dep = fieldOf(files, gw.name, 'depends_on');
        const names = Array.isArray(dep?.value) ? dep.value.map(String) : dep?.value && typeof dep.value === 'object' ? Object.keys(dep.value) : [];
        for (const n of names) {
          if (!model.services.has(n))
            bad.push({
              ...(entryLine(files, gw.name, 'depends_on', (e, k) => e === n || k === n) ?? dep!),
              key: `${gw.name}.depends_on`,
              detail: `gateway ${gw.name} depends on ${n}, which is not a service: Compose refuses the file`,
            });
        }
        for (const b of fleet.bots) {
          if (names.includes(b.name)) {
            good.push({
              ...(entryLine(files, gw.name, 'depends_on', (e, k) => e === b.name || k === b.name) ?? dep!),
              key: `${gw.name}.depends_on`,
              detail: `gateway ${gw.name} waits for ${b.name}`,
            });
          } else {
            bad.push({
              file: dep?.file ?? gw.file,
              line: dep?.line ?? gw.line,
              key: `${gw.name}.depends_on`,
              detail: `gateway ${gw.name} does not depend on bot ${b.name}: it may start before that bot answers`,
            });
          }
        }
      }
    }
    const what = p.list === 'instances' ? p.gatewayKey : 'depends_on';
    if (bad.length > 0) return result('fail', `the gateway's ${what} misses or misnames ${count(bad.length, 'backend')}`, bad);
    return result('pass', `the gateway's ${what} names all ${count(fleet.bots.length, 'bot')}`, good);
  },
});

// ---------------------------------------------------------------------------------------------
// discord.published

export const published = defineCheck({
  id: 'discord.published',
  summary: 'The gateway publishes its port on loopback only (role gateway); bot services publish no port at all and do not use the host network (role bots).',
  params: z.strictObject({
    ...FleetShape,
    role: z.enum(['gateway', 'bots']),
  }),
  async run(ctx, p) {
    const fleet = await readFleet(ctx, p);
    if (!fleet.model) return result('skip', 'no Compose file in this deployment');
    const services = p.role === 'gateway' ? fleet.gateways : fleet.bots.map((b) => b.service!).filter(Boolean);
    if (services.length === 0) return p.role === 'gateway' ? result('skip', `no gateway: no Compose service sets ${p.gatewayKey}`) : noBots(p.root);
    const bad: Evidence[] = [];
    const good: Evidence[] = [];
    for (const s of services) {
      if (s.networkMode?.value === 'host') {
        bad.push({
          file: s.networkMode.file,
          line: s.networkMode.line,
          key: `${s.name}.network_mode`,
          detail: `service ${s.name} uses the host network: every port it opens is on the host's interfaces`,
        });
        continue;
      }
      for (const port of s.ports) {
        const e = {file: port.file, line: port.line, key: `${s.name}.ports`};
        if (p.role === 'bots') {
          bad.push({...e, detail: `${port.raw}: bot ${s.name} publishes a port; only the gateway should, and it reaches the bots over the Compose network`});
        } else if (isLoopback(port.hostIp)) {
          good.push({...e, detail: `${port.raw}: loopback only`});
        } else {
          bad.push({
            ...e,
            detail: `${port.raw}: gateway ${s.name} publishes port ${port.target} on ${port.hostIp ?? 'every interface (0.0.0.0 and ::)'}; bind it to 127.0.0.1 and reach it through a tunnel or TLS proxy`,
          });
        }
      }
    }
    if (bad.length > 0)
      return result('fail', `${count(bad.length, 'published port')} ${bad.length === 1 ? 'reaches' : 'reach'} beyond what the gateway should expose`, bad);
    if (p.role === 'bots') return result('pass', `no bot publishes a port (${count(services.length, 'bot')})`);
    return result('pass', good.length > 0 ? `the gateway publishes on loopback only` : 'the gateway publishes no port', good);
  },
});

// ---------------------------------------------------------------------------------------------
// discord.postgres-password

export const postgresPassword = defineCheck({
  id: 'discord.postgres-password',
  summary:
    'When PostgreSQL is reachable beyond the Compose network (a published port, the host network, or a bot URL pointing at another host), no copy of its password (POSTGRES_PASSWORD, the password inside DATABASE_URL) is a shipped default, a placeholder or short.',
  params: z.strictObject({
    services: z.array(z.string().min(1)).default(['postgres']),
    images: z.array(z.string().min(1)).default(['postgres']),
    keys: z.array(EnvKey).default(['POSTGRES_PASSWORD']),
    urls: z.array(EnvKey).default(['DATABASE_URL']),
    defaults: z.array(z.string()).default(['discord_bot_pass']),
    minLength: z.number().int().min(1).default(16),
  }),
  async run(ctx, p) {
    const model = await ctx.compose();
    const {occurrences} = await collect(ctx, {keys: p.keys, urls: p.urls, helm: []});
    if (occurrences.length === 0) return result('skip', `no copy of ${[...p.keys, ...p.urls].join(', ')} in the files read`);
    // Where PostgreSQL can be reached from beyond its Compose network.
    const reach: Evidence[] = [];
    const images = new Set(p.images.map(imageBaseName));
    const pg = model ? [...model.services.values()].filter((s) => p.services.includes(s.name) || (s.image && images.has(imageBaseName(s.image.value)))) : [];
    for (const s of pg) {
      if (s.networkMode?.value === 'host')
        reach.push({file: s.networkMode.file, line: s.networkMode.line, key: `${s.name}.network_mode`, detail: `service ${s.name} uses the host network`});
      for (const port of s.ports)
        if (port.published)
          reach.push({file: port.file, line: port.line, key: `${s.name}.ports`, detail: `${port.raw}: service ${s.name} is published on the host`});
    }
    const urls = await collect(ctx, {keys: p.urls, urls: [], helm: []});
    for (const o of urls.occurrences) {
      let host: string | undefined;
      try {
        host = new URL(o.value ?? '').hostname;
      } catch {
        continue;
      }
      if (host && !(model?.services.has(host) ?? false)) {
        reach.push({
          file: o.file,
          line: o.line,
          key: o.key,
          detail: `${o.key} connects to ${host}, which is not a service of this Compose project (an external or host-reachable PostgreSQL)`,
        });
      }
    }
    const weak: Evidence[] = [];
    const fine: Evidence[] = [];
    for (const o of occurrences) {
      const v = o.value ?? '';
      const why =
        v === ''
          ? 'empty'
          : p.defaults.includes(v)
            ? `the shipped default (${redact(v)})`
            : isPlaceholder(v)
              ? `a template placeholder (${redact(v)})`
              : [...v].length < p.minLength
                ? `shorter than ${p.minLength} characters (${redact(v)})`
                : undefined;
      const e = {file: o.file, line: o.line, key: o.key};
      if (why) weak.push({...e, detail: `${o.where === o.file ? '' : `${o.where}: `}${why}`});
      else fine.push({...e, detail: `${o.where === o.file ? '' : `${o.where}: `}changed from the default (${redact(v)})`});
    }
    if (weak.length === 0)
      return result('pass', `every copy of the database password differs from the default (${count(occurrences.length, 'copy', 'copies')})`, fine);
    if (reach.length === 0) {
      return result(
        'pass',
        `the database password is weak or the default, which is tolerable only while PostgreSQL stays inside the Compose network, as it does now; change it before publishing it`,
        weak,
      );
    }
    return result(
      'fail',
      `PostgreSQL is reachable beyond the Compose network and ${count(weak.length, 'copy', 'copies')} of its password ${weak.length === 1 ? 'is' : 'are'} weak or the default`,
      [...weak, ...reach],
    );
  },
});

// ---------------------------------------------------------------------------------------------
// config.toml: discord.features, discord.feature-env, discord.config-value, discord.prefixes

/** Each bot with its parsed config.toml; bots without one are listed apart. */
async function configs(ctx: Context, bots: Bot[]): Promise<{withConfig: {b: Bot; t: TomlFile}[]; without: Bot[]}> {
  const withConfig: {b: Bot; t: TomlFile}[] = [];
  const without: Bot[] = [];
  for (const b of bots) {
    const t = await configOf(ctx, b);
    if (t) withConfig.push({b, t});
    else without.push(b);
  }
  return {withConfig, without};
}

function missingConfig(bots: Bot[]): Evidence[] {
  return bots.map((b) => ({
    ...(b.dirAt ?? b.at),
    key: b.name,
    detail: `bot ${b.name} has no config.toml to read${b.dir ? ` in ${b.dir}` : ''} (judged by the item on instance folders)`,
  }));
}

const FeatureRule = z.strictObject({
  /** A dotted path to a boolean flag, e.g. `features.welcome`. */
  flag: z.string().min(1),
  /** The table that must exist when the flag is true, e.g. `welcome`. */
  section: z.string().min(1),
  /** Only when this flag is true too (a sub-feature of a module). */
  when: z.string().min(1).optional(),
});

/** discord-bot-rs's instance config: each feature flag and the table it needs. */
const DEFAULT_FEATURES = [
  {flag: 'features.minecraft', section: 'minecraft'},
  {flag: 'features.auto_role', section: 'auto_role'},
  {flag: 'features.join_role', section: 'join_role'},
  {flag: 'features.welcome', section: 'welcome'},
  {flag: 'minecraft.donator_sync', section: 'minecraft.donator_sync_config', when: 'features.minecraft'},
  {flag: 'minecraft.chargeback', section: 'minecraft.chargeback_config', when: 'features.minecraft'},
];

function isTable(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);
}

export const features = defineCheck({
  id: 'discord.features',
  summary:
    "Every feature flag turned on in a bot's config.toml has the table it needs ([welcome], [auto_role], [minecraft]...); without it the bot turns the feature off with only a warning.",
  params: z.strictObject({
    ...FleetShape,
    rules: z.array(FeatureRule).min(1).default(DEFAULT_FEATURES),
  }),
  async run(ctx, p) {
    const fleet = await readFleet(ctx, p);
    if (fleet.bots.length === 0) return noBots(p.root);
    const {withConfig, without} = await configs(ctx, fleet.bots);
    if (withConfig.length === 0) return result('skip', 'no bot has a config.toml to read', missingConfig(without));
    const bad: Evidence[] = [];
    const good: Evidence[] = [];
    const done = new Set<string>();
    for (const {b, t} of withConfig) {
      if (done.has(t.file)) continue;
      done.add(t.file);
      let on = 0;
      for (const r of p.rules) {
        if (tomlGet(t, r.flag) !== true || (r.when !== undefined && tomlGet(t, r.when) !== true)) continue;
        on++;
        if (isTable(tomlGet(t, r.section)))
          good.push({file: t.file, line: tomlLine(t, r.section), key: r.section, detail: `bot ${b.name}: ${r.flag} is on and [${r.section}] is there`});
        else
          bad.push({
            file: t.file,
            line: tomlLine(t, r.flag),
            key: r.flag,
            detail: `bot ${b.name}: ${r.flag} is on but there is no [${r.section}] table: the bot logs a warning and leaves the feature off`,
          });
      }
      if (on === 0) good.push({file: t.file, key: b.name, detail: `bot ${b.name}: no optional feature is on`});
    }
    if (bad.length > 0)
      return result('fail', `${count(bad.length, 'feature')} turned on without ${bad.length === 1 ? 'its' : 'their'} configuration`, [
        ...bad,
        ...missingConfig(without),
      ]);
    return result('pass', `every feature turned on has its configuration (${count(done.size, 'config.toml')})`, [...good, ...missingConfig(without)]);
  },
});

export const featureEnv = defineCheck({
  id: 'discord.feature-env',
  summary:
    'Bots whose config.toml turns a feature on set the environment keys it needs (features.minecraft needs MC_VERIFY_URL and MC_VERIFY_SECRET); skips when no bot turns it on.',
  params: z.strictObject({
    ...FleetShape,
    flag: z.string().min(1).default('features.minecraft'),
    keys: z.array(EnvKey).min(1).default(['MC_VERIFY_URL', 'MC_VERIFY_SECRET']),
  }),
  async run(ctx, p) {
    const fleet = await readFleet(ctx, p);
    if (fleet.bots.length === 0) return noBots(p.root);
    const {withConfig} = await configs(ctx, fleet.bots);
    const on = withConfig.filter(({t}) => tomlGet(t, p.flag) === true);
    if (on.length === 0) return result('skip', `no bot turns ${p.flag} on`);
    const bad: Evidence[] = [];
    const good: Evidence[] = [];
    for (const {b, t} of on) {
      for (const key of p.keys) {
        const s = b.env.get(key);
        if (!s || s.value === '' || isPlaceholder(s.value)) {
          bad.push({
            file: s?.file ?? ownEnv(b),
            line: s?.line,
            key,
            detail: `bot ${b.name} turns ${p.flag} on (${t.file}:${tomlLine(t, p.flag) ?? '?'}) but ${key} is ${s?.value ? 'a placeholder' : 'not set'}`,
          });
        } else good.push({file: s.file, line: s.line, key, detail: `bot ${b.name}: ${display(key, s.value)}`});
      }
    }
    if (bad.length > 0) return result('fail', `${count(bad.length, 'setting')} needed by ${p.flag} ${bad.length === 1 ? 'is' : 'are'} missing`, bad);
    return result('pass', `every bot with ${p.flag} on sets ${p.keys.join(', ')}`, good);
  },
});

export const configValue = defineCheck({
  id: 'discord.config-value',
  summary: "A value in each bot's config.toml (a dotted path such as command_prefix) is set and matches a pattern.",
  params: z.strictObject({
    ...FleetShape,
    path: z.string().min(1),
    pattern: z.string().optional(),
    required: z.boolean().default(true),
    expect: z.string().default('the expected form'),
  }),
  async run(ctx, p) {
    const fleet = await readFleet(ctx, p);
    if (fleet.bots.length === 0) return noBots(p.root);
    const {withConfig, without} = await configs(ctx, fleet.bots);
    if (withConfig.length === 0) return result('skip', 'no bot has a config.toml to read', missingConfig(without));
    const re = p.pattern === undefined ? undefined : new RegExp(p.pattern);
    const bad: Evidence[] = [];
    const good: Evidence[] = [];
    const done = new Set<string>();
    for (const {b, t} of withConfig) {
      if (done.has(t.file)) continue;
      done.add(t.file);
      const raw = tomlGet(t, p.path);
      const v = str(raw);
      const e = {file: t.file, line: tomlLine(t, p.path), key: p.path};
      if (raw === undefined) {
        if (p.required) bad.push({...e, line: undefined, detail: `bot ${b.name}: ${p.path} is not set`});
      } else if (v === undefined || (re && !re.test(v))) {
        bad.push({...e, detail: `bot ${b.name}: ${p.path} = ${v === undefined ? 'a table or list' : JSON.stringify(v)} is not ${p.expect}`});
      } else good.push({...e, detail: `bot ${b.name}: ${p.path} = ${JSON.stringify(v)}`});
    }
    if (bad.length > 0)
      return result('fail', `${p.path} is missing or not ${p.expect} in ${count(bad.length, 'config.toml')}`, [...bad, ...missingConfig(without)]);
    return result('pass', `${p.path} is ${p.expect} in ${count(good.length, 'config.toml')}`, [...good, ...missingConfig(without)]);
  },
});

export const prefixes = defineCheck({
  id: 'discord.prefixes',
  summary:
    'Bots that share a guild (GUILD_ID) answer to different commands: their command_prefix (with command_root) differ, so one message never triggers two bots.',
  params: z.strictObject({
    ...FleetShape,
    guildKey: EnvKey.default('GUILD_ID'),
    prefixPath: z.string().min(1).default('command_prefix'),
    /** The parent command after the prefix (`!m play`); null to compare prefixes alone. */
    rootPath: z.string().min(1).nullable().default('command_root'),
    defaultRoot: z.string().default('m'),
  }),
  async run(ctx, p) {
    const fleet = await readFleet(ctx, p);
    if (fleet.bots.length === 0) return noBots(p.root);
    const {withConfig, without} = await configs(ctx, fleet.bots);
    const groups = new Map<string, {b: Bot; t: TomlFile; guild: Setting; command: string}[]>();
    const notes: Evidence[] = missingConfig(without);
    for (const {b, t} of withConfig) {
      const guild = b.env.get(p.guildKey);
      const prefix = str(tomlGet(t, p.prefixPath));
      if (!guild?.value || prefix === undefined) {
        notes.push({
          file: guild?.file ?? t.file,
          line: guild?.line,
          key: b.name,
          detail: `bot ${b.name}: no ${guild?.value ? p.prefixPath : p.guildKey} to compare`,
        });
        continue;
      }
      const root = p.rootPath === null ? '' : (str(tomlGet(t, p.rootPath)) ?? p.defaultRoot);
      const command = `${prefix}${root}`;
      const k = `${guild.value}\u0000${command}`;
      groups.set(k, [...(groups.get(k) ?? []), {b, t, guild, command}]);
    }
    const bad: Evidence[] = [];
    const good: Evidence[] = [];
    for (const members of groups.values()) {
      for (const m of members) {
        const e = {file: m.t.file, line: tomlLine(m.t, p.prefixPath), key: p.prefixPath};
        if (members.length > 1) {
          const others = members.filter((x) => x !== m).map((x) => x.b.name);
          bad.push({
            ...e,
            detail: `bot ${m.b.name} answers to "${m.command}" in guild ${m.guild.value}, as ${others.join(', ')} ${others.length === 1 ? 'does' : 'do'}: every such command triggers both`,
          });
        } else good.push({...e, detail: `bot ${m.b.name}: "${m.command}" in guild ${m.guild.value}`});
      }
    }
    if (bad.length > 0) return result('fail', `${count(bad.length, 'bot')} in one guild answer to the same command prefix`, [...bad, ...notes]);
    if (good.length === 0) return result('skip', 'no bot has both a guild and a prefix to compare', notes);
    return result('pass', `no two bots in one guild share a prefix (${count(good.length, 'bot')})`, [...good, ...notes]);
  },
});

// ---------------------------------------------------------------------------------------------
// discord.personality

/** Text as compared: line endings and trailing whitespace do not make a file different. */
function normalized(text: string): string {
  return text
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n')
    .trimEnd();
}

export const personality = defineCheck({
  id: 'discord.personality',
  summary:
    "Each bot's personality file (config.toml personality_file, default personality.txt) exists, is not empty, and is not the shipped example (the example folder's copy, or a known hash of it).",
  params: z.strictObject({
    ...FleetShape,
    /** The example folder's file in this deployment, when the repository ships it. */
    example: z.string().min(1).default('instances/example/personality.txt'),
    /** sha256 (hex) of known shipped examples, after line endings and trailing whitespace are normalised. */
    hashes: z.array(z.string().regex(/^[0-9a-f]{64}$/)).default([]),
    level: z.enum(['fail', 'warn']).default('fail'),
  }),
  async run(ctx, p) {
    const fleet = await readFleet(ctx, p);
    if (fleet.bots.length === 0) return noBots(p.root);
    const known = new Set(p.hashes);
    const example = ctx.isFile(p.example) ? normalized(await ctx.readText(p.example)) : undefined;
    const bad: Evidence[] = [];
    const same: Evidence[] = [];
    const good: Evidence[] = [];
    const done = new Set<string>();
    for (const b of fleet.bots) {
      if (!b.dir) continue;
      const t = await configOf(ctx, b);
      const name = str(t ? tomlGet(t, 'personality_file') : undefined) ?? 'personality.txt';
      const rel = posix.normalize(posix.join(b.dir, name));
      if (done.has(rel)) continue;
      done.add(rel);
      if (!ctx.isFile(rel)) {
        bad.push({
          file: t?.file ?? rel,
          line: t ? tomlLine(t, 'personality_file') : undefined,
          key: b.name,
          detail: `bot ${b.name}: ${rel} does not exist, and the bot stops at startup without it`,
        });
        continue;
      }
      const text = normalized(await ctx.readText(rel));
      if (text === '') {
        bad.push({file: rel, line: 1, key: b.name, detail: `bot ${b.name}: ${rel} is empty, and the bot stops at startup on an empty personality`});
        continue;
      }
      const hash = createHash('sha256').update(text).digest('hex');
      if ((example !== undefined && rel !== p.example && text === example) || known.has(hash)) {
        same.push({
          file: rel,
          line: 1,
          key: b.name,
          detail: `bot ${b.name}: ${rel} is the shipped example word for word: the bot speaks with the template's generic voice`,
        });
      } else good.push({file: rel, line: 1, key: b.name, detail: `bot ${b.name}: written for this bot (${text.split('\n').length} lines)`});
    }
    if (bad.length > 0) return result('fail', `${count(bad.length, 'personality file')} missing or empty`, [...bad, ...same]);
    if (same.length > 0) return result(p.level, `${count(same.length, 'bot')} still ${same.length === 1 ? 'uses' : 'use'} the example personality`, same);
    return result('pass', `every bot has its own personality (${count(good.length, 'file')})`, good);
  },
});

// ---------------------------------------------------------------------------------------------
// discord.restart-policy and discord.log-rotation: any Compose project.

const ServicesShape = {
  /** Only these services (default: every service). */
  services: z.array(z.string().min(1)).optional(),
};

export const restartPolicy = defineCheck({
  id: 'discord.restart-policy',
  summary:
    'Every Compose service (or those named) has a restart policy that brings it back after a crash and a daemon restart: unless-stopped or always (deploy.restart_policy condition any counts too).',
  params: z.strictObject({
    ...ServicesShape,
    allowed: z.array(z.string().min(1)).default(['unless-stopped', 'always']),
  }),
  async run(ctx, p) {
    const model = await ctx.compose();
    if (!model) return result('skip', 'no Compose file in this deployment');
    const files = await yamls(ctx, model);
    const bad: Evidence[] = [];
    const good: Evidence[] = [];
    for (const s of model.services.values()) {
      if (p.services && !p.services.includes(s.name)) continue;
      const r = fieldOf(files, s.name, 'restart');
      const deploy = fieldOf(files, s.name, 'deploy');
      const condition = (deploy?.value as {restart_policy?: {condition?: unknown}} | undefined)?.restart_policy?.condition;
      const value = str(r?.value);
      if (value !== undefined && p.allowed.includes(value))
        good.push({file: r!.file, line: r!.line, key: `${s.name}.restart`, detail: `service ${s.name}: restart ${value}`});
      else if (value === undefined && condition === 'any')
        good.push({file: deploy!.file, line: deploy!.line, key: `${s.name}.deploy`, detail: `service ${s.name}: restart_policy condition any`});
      else if (r)
        bad.push({
          file: r.file,
          line: r.line,
          key: `${s.name}.restart`,
          detail: `service ${s.name}: restart ${value ?? JSON.stringify(r.value)} does not bring it back (${p.allowed.join(' or ')} does)`,
        });
      else
        bad.push({
          file: s.file,
          line: s.line,
          key: `${s.name}.restart`,
          detail: `service ${s.name} has no restart policy: after a crash or a Docker restart it stays down`,
        });
    }
    if (bad.length > 0) return result('fail', `${count(bad.length, 'service')} would stay down after a crash or reboot`, bad);
    return result('pass', `every service restarts by itself (${count(good.length, 'service')})`, good);
  },
});

/** Drivers that keep no unbounded log file on the host (or rotate their own). */
const BOUNDED_DRIVERS = new Set(['local', 'journald', 'syslog', 'fluentd', 'gelf', 'awslogs', 'splunk', 'gcplogs', 'logentries', 'etwlogs', 'none']);

export const logRotation = defineCheck({
  id: 'discord.log-rotation',
  summary:
    "Every Compose service's logs are bounded: a logging driver that rotates (local, journald...) or json-file with options.max-size; with daemonJson, a service without a logging block may rely on Docker's daemon.json instead.",
  params: z.strictObject({
    ...ServicesShape,
    /** The host's daemon.json (absolute), read only when given: a service without `logging:` then inherits it. */
    daemonJson: z.string().min(1).optional(),
  }),
  async run(ctx, p, signal) {
    const model = await ctx.compose();
    if (!model) return result('skip', 'no Compose file in this deployment');
    const files = await yamls(ctx, model);
    const unbounded: Evidence[] = [];
    const inherit: {name: string; e: Evidence}[] = [];
    const good: Evidence[] = [];
    for (const s of model.services.values()) {
      if (p.services && !p.services.includes(s.name)) continue;
      const l = fieldOf(files, s.name, 'logging');
      if (!l || l.value === null) {
        inherit.push({name: s.name, e: {file: s.file, line: s.line, key: `${s.name}.logging`, detail: ''}});
        continue;
      }
      const cfg = (l.value ?? {}) as {driver?: unknown; options?: Record<string, unknown> | null};
      const driver = str(cfg.driver) ?? 'json-file';
      const maxSize = str(cfg.options?.['max-size']);
      const maxFile = str(cfg.options?.['max-file']);
      const e = {file: l.file, line: l.line, key: `${s.name}.logging`};
      if (BOUNDED_DRIVERS.has(driver)) good.push({...e, detail: `service ${s.name}: driver ${driver}`});
      else if (maxSize) good.push({...e, detail: `service ${s.name}: ${driver}, max-size ${maxSize}${maxFile ? `, max-file ${maxFile}` : ''}`});
      else unbounded.push({...e, detail: `service ${s.name}: driver ${driver} without options.max-size keeps its log without a size limit`});
    }
    let daemon: CheckResult | undefined;
    if (inherit.length > 0 && p.daemonJson) daemon = await dockerLogs.run(ctx, {file: p.daemonJson}, signal);
    const inherited = daemon?.status === 'pass';
    const said = (x: {name: string; e: Evidence}, detail: string): Evidence => ({...x.e, detail: `service ${x.name} ${detail}`});
    if (!inherited) {
      for (const x of inherit) unbounded.push(said(x, "sets no logging: Docker's default json-file driver keeps its log without a size limit"));
    }
    if (unbounded.length > 0) {
      const hint = daemon
        ? ` (daemon.json: ${daemon.message})`
        : '; bound them in the Compose file (logging.options.max-size), or in /etc/docker/daemon.json and run with --input host=local so it is read';
      return result('fail', `${count(unbounded.length, 'service')} ${unbounded.length === 1 ? 'logs' : 'log'} without a size limit${hint}`, [
        ...unbounded,
        ...(daemon ? daemon.evidence : []),
      ]);
    }
    const via = inherited ? [...inherit.map((x) => said(x, "sets no logging and inherits daemon.json's bound")), ...daemon!.evidence] : [];
    return result('pass', `every service's log is bounded (${count(good.length + inherit.length, 'service')})`, [...good, ...via]);
  },
});
