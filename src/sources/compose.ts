import {dirname, posix} from 'node:path';
import {isMap, isScalar, isSeq, type Node} from 'yaml';
import type {EnvFile} from './envFile.js';
import {SourceError} from './errors.js';
import {interpolate, InterpolationError, type Interpolated} from './interpolate.js';
import {lineOf, nodeAt, type PathKey, type YamlFile} from './yamlDoc.js';

export interface Located<T> {
  value: T;
  file: string;
  line?: number;
}

export interface ComposeEnvVar {
  key: string;
  /** The text as written (before interpolation); undefined for a bare `- KEY` pass-through. */
  raw?: string;
  /** The value after interpolation, as the container would see it. */
  value?: string;
  file: string;
  line?: number;
  /** True when no `$` reference was involved: the value is written in the compose file itself. */
  literal: boolean;
  interpolation?: Interpolated;
  /** Set when the value came from an `env_file:` rather than `environment:`. */
  envFile?: string;
}

export interface ComposePort {
  raw: string;
  /** Host address the port is bound to; undefined means every interface. */
  hostIp?: string;
  published?: string;
  target: string;
  protocol: string;
  file: string;
  line?: number;
}

export interface ComposeVolume {
  source?: string;
  target: string;
  raw: string;
  file: string;
  line?: number;
}

export interface ComposeService {
  name: string;
  file: string;
  line?: number;
  image?: Located<string>;
  build: boolean;
  ports: ComposePort[];
  environment: Map<string, ComposeEnvVar>;
  volumes: ComposeVolume[];
  privileged?: Located<boolean>;
  networkMode?: Located<string>;
  profiles: string[];
  memLimit?: Located<string>;
  cpus?: Located<string>;
  envFiles: string[];
  /** `pull_policy:` as written (`never` with `build:` means the image is built here, never pulled). */
  pullPolicy?: Located<string>;
  /** `command:` as a list of words, interpolated (a string is split on whitespace). */
  command?: Located<string[]>;
  /** `group_add:` entries, interpolated; `usedDefault` when a `${VAR:-x}` fell back to x. */
  groupAdd: ComposeGroup[];
  /**
   * Environment entries an opt-in overlay (one passed with `-f`, such as docker-compose.dev.yml)
   * replaced: they are what runs whenever the project starts without that overlay.
   */
  shadowedEnv: ComposeEnvVar[];
  /** Likewise the image an opt-in overlay replaced. */
  shadowedImages: Located<string>[];
}

export interface ComposeGroup {
  raw: string;
  value: string;
  usedDefault: boolean;
  /** The variables the entry reads, e.g. DOCKER_GID. */
  refs: string[];
  file: string;
  line?: number;
}

export interface ComposeModel {
  /** Base file first, then overrides, relative to the root. */
  files: string[];
  services: Map<string, ComposeService>;
  /** The .env Compose reads for interpolation, when there is one. */
  dotenv?: EnvFile;
  /**
   * Files merged on top that Compose does not read by itself (anything but compose.override.*
   * and docker-compose.override.*): the project also runs without them.
   */
  overlays?: string[];
}

/** compose.override.yaml and docker-compose.override.yml are merged by Compose on its own; other files only with -f. */
export function isAutoOverride(file: string): boolean {
  return /(^|\/)(docker-)?compose\.override\.ya?ml$/.test(file);
}

export interface ComposeInputs {
  files: YamlFile[];
  dotenv?: EnvFile;
  /** Reads an `env_file:` (path relative to the root); throws SourceError when malformed. */
  readEnvFile: (relPath: string) => EnvFile | undefined;
}

/** Builds the effective model of a Compose project: base file plus overrides, interpolated. */
export function buildComposeModel(input: ComposeInputs): ComposeModel {
  const services = new Map<string, ComposeService>();
  const lookup = (name: string) => input.dotenv?.entries.get(name)?.value;
  const overlays: string[] = [];
  for (const [n, y] of input.files.entries()) {
    const optIn = n > 0 && !isAutoOverride(y.file);
    if (optIn) overlays.push(y.file);
    const data = y.data;
    if (data === null || data === undefined) continue;
    if (typeof data !== 'object' || Array.isArray(data)) throw new SourceError('a Compose file is a mapping with a services: key', y.file, 1, 1);
    const svcs = (data as Record<string, unknown>).services;
    if (svcs === undefined || svcs === null) continue;
    if (typeof svcs !== 'object' || Array.isArray(svcs)) {
      throw new SourceError('services: must be a mapping of service names', y.file, lineOf(y, ['services']), 1, 'services');
    }
    for (const [name, body] of Object.entries(svcs as Record<string, unknown>)) {
      const at: PathKey[] = ['services', name];
      if (body !== null && (typeof body !== 'object' || Array.isArray(body))) {
        throw new SourceError(`service ${name} must be a mapping`, y.file, lineOf(y, at), 1, name);
      }
      const svc = services.get(name) ?? emptyService(name, y.file, lineOf(y, at));
      mergeService(svc, (body ?? {}) as Record<string, unknown>, y, at, lookup, input, optIn);
      services.set(name, svc);
    }
  }
  return {files: input.files.map((f) => f.file), services, dotenv: input.dotenv, overlays};
}

function emptyService(name: string, file: string, line: number | undefined): ComposeService {
  return {
    name,
    file,
    line,
    build: false,
    ports: [],
    environment: new Map(),
    volumes: [],
    profiles: [],
    envFiles: [],
    groupAdd: [],
    shadowedEnv: [],
    shadowedImages: [],
  };
}

function mergeService(
  svc: ComposeService,
  body: Record<string, unknown>,
  y: YamlFile,
  at: PathKey[],
  lookup: (name: string) => string | undefined,
  input: ComposeInputs,
  optIn = false,
): void {
  const sub = (...p: PathKey[]) => [...at, ...p];
  const where = (...p: PathKey[]) => ({file: y.file, line: lineOf(y, sub(...p))});
  const str = (value: unknown, ...p: PathKey[]): string => {
    const text = scalarText(value, y, sub(...p));
    try {
      return interpolate(text, lookup).value;
    } catch (err) {
      throw located(err, y, sub(...p));
    }
  };

  if (body.image !== undefined) {
    if (optIn && svc.image && svc.image.file !== y.file) svc.shadowedImages.push(svc.image);
    svc.image = {value: str(body.image, 'image'), ...where('image')};
  }
  if (body.build !== undefined) svc.build = true;
  if (body.privileged !== undefined) svc.privileged = {value: body.privileged === true || body.privileged === 'true', ...where('privileged')};
  if (body.network_mode !== undefined) svc.networkMode = {value: str(body.network_mode, 'network_mode'), ...where('network_mode')};
  if (Array.isArray(body.profiles)) svc.profiles = body.profiles.map(String);
  if (body.pull_policy !== undefined) svc.pullPolicy = {value: str(body.pull_policy, 'pull_policy'), ...where('pull_policy')};
  if (body.command !== undefined && body.command !== null) {
    const words = Array.isArray(body.command)
      ? body.command.map((w, n) => str(w, 'command', n))
      : str(body.command, 'command')
          .split(/\s+/)
          .filter((w) => w !== '');
    svc.command = {value: words, ...where('command')};
  }
  if (body.group_add !== undefined) {
    if (resets(y, sub('group_add'))) svc.groupAdd = [];
    for (const [n, entry] of asList(body.group_add, y, sub('group_add')).entries()) {
      const raw = scalarText(entry, y, sub('group_add', n));
      let done: Interpolated;
      try {
        done = interpolate(raw, lookup);
      } catch (err) {
        throw located(err, y, sub('group_add', n));
      }
      svc.groupAdd.push({
        raw,
        value: done.value,
        usedDefault: done.usedDefault,
        refs: done.refs,
        file: y.file,
        line: lineOf(y, sub('group_add', n)),
      });
    }
  }
  if (body.mem_limit !== undefined) svc.memLimit = {value: String(body.mem_limit), ...where('mem_limit')};
  if (body.cpus !== undefined) svc.cpus = {value: String(body.cpus), ...where('cpus')};
  const limits = (body.deploy as {resources?: {limits?: Record<string, unknown>}} | undefined)?.resources?.limits;
  if (limits?.memory !== undefined) svc.memLimit = {value: String(limits.memory), ...where('deploy', 'resources', 'limits', 'memory')};
  if (limits?.cpus !== undefined) svc.cpus = {value: String(limits.cpus), ...where('deploy', 'resources', 'limits', 'cpus')};

  if (body.ports !== undefined) {
    if (resets(y, sub('ports'))) svc.ports = [];
    for (const [n, entry] of asList(body.ports, y, sub('ports')).entries()) {
      const port = parsePort(entry, y, sub('ports', n), str);
      if (!svc.ports.some((p) => p.raw === port.raw)) svc.ports.push(port);
    }
  }
  if (body.volumes !== undefined) {
    if (resets(y, sub('volumes'))) svc.volumes = [];
    for (const [n, entry] of asList(body.volumes, y, sub('volumes')).entries()) {
      const vol = parseVolume(entry, y, sub('volumes', n), str);
      svc.volumes = svc.volumes.filter((v) => v.target !== vol.target);
      svc.volumes.push(vol);
    }
  }
  if (body.env_file !== undefined) {
    const files = typeof body.env_file === 'string' ? [body.env_file] : asList(body.env_file, y, sub('env_file'));
    for (const [n, entry] of files.entries()) {
      const spec = typeof entry === 'object' && entry !== null ? (entry as {path?: unknown; required?: unknown}) : {path: entry};
      const rel = posix.normalize(posix.join(dirname(y.file), String(spec.path)));
      const env = input.readEnvFile(rel);
      if (!env) {
        if (spec.required === false) continue;
        throw new SourceError(
          `env_file ${String(spec.path)} does not exist`,
          y.file,
          lineOf(y, sub('env_file', n)) ?? lineOf(y, sub('env_file')),
          1,
          'env_file',
        );
      }
      svc.envFiles.push(rel);
      for (const e of env.entries.values()) {
        const current = svc.environment.get(e.key);
        if (current && !current.envFile) continue; // environment: wins over env_file
        svc.environment.set(e.key, {key: e.key, raw: e.value, value: e.value, file: env.file, line: e.line, literal: true, envFile: env.file});
      }
    }
  }
  if (body.environment !== undefined) mergeEnvironment(svc, body.environment, y, sub('environment'), lookup, optIn);
}

function mergeEnvironment(svc: ComposeService, env: unknown, y: YamlFile, at: PathKey[], lookup: (name: string) => string | undefined, optIn: boolean): void {
  const shadow = (v: ComposeEnvVar | undefined) => {
    if (optIn && v && !v.envFile && v.file !== y.file) svc.shadowedEnv.push(v);
  };
  if (resets(y, at)) {
    for (const v of svc.environment.values()) shadow(v);
    svc.environment = new Map([...svc.environment].filter(([, v]) => v.envFile !== undefined));
  }
  const set = (key: string, raw: string | undefined, path: PathKey[]) => {
    shadow(svc.environment.get(key));
    const line = lineOf(y, path);
    if (raw === undefined) {
      const fromDotenv = lookup(key);
      svc.environment.set(key, {key, value: fromDotenv, file: y.file, line, literal: false});
      return;
    }
    let interpolation: Interpolated;
    try {
      interpolation = interpolate(raw, lookup);
    } catch (err) {
      throw located(err, y, path, key);
    }
    svc.environment.set(key, {key, raw, value: interpolation.value, file: y.file, line, literal: interpolation.refs.length === 0, interpolation});
  };
  if (Array.isArray(env)) {
    env.forEach((entry, n) => {
      if (typeof entry !== 'string') throw new SourceError('environment list entries are KEY=value strings', y.file, lineOf(y, [...at, n]), 1);
      const eq = entry.indexOf('=');
      if (eq === 0) throw new SourceError(`environment entry "${entry}" has no name`, y.file, lineOf(y, [...at, n]), 1);
      set(eq < 0 ? entry : entry.slice(0, eq), eq < 0 ? undefined : entry.slice(eq + 1), [...at, n]);
    });
  } else if (env !== null && typeof env === 'object') {
    for (const [key, value] of Object.entries(env as Record<string, unknown>)) {
      if (value !== null && typeof value === 'object') {
        throw new SourceError(`environment.${key} must be a string, number or boolean`, y.file, lineOf(y, [...at, key]), 1, key);
      }
      set(key, value === null ? undefined : scalarText(value, y, [...at, key]), [...at, key]);
    }
  } else if (env !== null) {
    throw new SourceError('environment: must be a mapping or a list of KEY=value', y.file, lineOf(y, at), 1, 'environment');
  }
}

/**
 * The Compose spec's short port syntax: [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL], with
 * IPv6 host addresses in brackets; and the long syntax (target, published, host_ip, protocol).
 */
export function parsePort(entry: unknown, y: YamlFile, at: PathKey[], str: (v: unknown, ...p: PathKey[]) => string): ComposePort {
  const line = lineOf(y, at);
  const base = {file: y.file, line};
  if (entry !== null && typeof entry === 'object' && !Array.isArray(entry)) {
    const o = entry as Record<string, unknown>;
    if (o.target === undefined) throw new SourceError('a long-syntax port needs target:', y.file, line, 1, 'ports');
    const hostIp = o.host_ip === undefined ? undefined : str(o.host_ip, ...at.slice(2), 'host_ip');
    const published = o.published === undefined ? undefined : str(o.published, ...at.slice(2), 'published');
    const target = String(o.target);
    const protocol = String(o.protocol ?? 'tcp');
    // Written as the short syntax would be, so the same port in both syntaxes merges as one.
    const raw = `${hostIp ? `${hostIp}:` : ''}${published ?? ''}${published ? ':' : ''}${target}${protocol === 'tcp' ? '' : `/${protocol}`}`;
    return {...base, raw, hostIp: hostIp || undefined, published, target, protocol};
  }
  if (typeof entry !== 'string' && typeof entry !== 'number') throw new SourceError('a port is a string, number or mapping', y.file, line, 1, 'ports');
  const text = str(entry, ...at.slice(2));
  const [spec, protocol = 'tcp'] = text.split('/') as [string, string?];
  let hostIp: string | undefined;
  let rest = spec;
  const v6 = /^\[([^\]]+)\]:(.*)$/.exec(spec);
  if (v6) {
    hostIp = v6[1];
    rest = v6[2]!;
  }
  const parts = rest.split(':');
  let published: string | undefined;
  let target: string;
  if (v6) {
    if (parts.length !== 2) throw new SourceError(`cannot read port "${text}"`, y.file, line, 1, 'ports');
    [published, target] = parts as [string, string];
  } else if (parts.length === 1) {
    target = parts[0]!;
  } else if (parts.length === 2) {
    [published, target] = parts as [string, string];
  } else if (parts.length === 3) {
    [hostIp, published, target] = parts as [string, string, string];
  } else {
    throw new SourceError(`cannot read port "${text}" (IPv6 host addresses go in brackets)`, y.file, line, 1, 'ports');
  }
  if (!/^\d+(-\d+)?$/.test(target)) throw new SourceError(`port "${text}": container port "${target}" is not a number or range`, y.file, line, 1, 'ports');
  return {...base, raw: text, hostIp: hostIp || undefined, published: published || undefined, target, protocol};
}

function parseVolume(entry: unknown, y: YamlFile, at: PathKey[], str: (v: unknown, ...p: PathKey[]) => string): ComposeVolume {
  const line = lineOf(y, at);
  if (entry !== null && typeof entry === 'object') {
    const o = entry as Record<string, unknown>;
    const target = String(o.target ?? '');
    const source = o.source === undefined ? undefined : String(o.source);
    return {source, target, raw: `${source ?? ''}:${target}`, file: y.file, line};
  }
  const text = str(entry, ...at.slice(2));
  const parts = text.split(':');
  if (parts.length === 1) return {target: parts[0]!, raw: text, file: y.file, line};
  return {source: parts[0], target: parts[1]!, raw: text, file: y.file, line};
}

function asList(value: unknown, y: YamlFile, at: PathKey[]): unknown[] {
  if (value === null) return [];
  if (!Array.isArray(value)) throw new SourceError(`${String(at.at(-1))}: must be a list`, y.file, lineOf(y, at), 1, String(at.at(-1)));
  return value;
}

/** `ports: !reset []` and `!override` in an override file replace what the base had. */
function resets(y: YamlFile, at: PathKey[]): boolean {
  const node = nodeAt(y.doc, at) as Node | undefined;
  const tag = node && (isSeq(node) || isMap(node) || isScalar(node)) ? node.tag : undefined;
  return tag === '!reset' || tag === '!override';
}

function scalarText(value: unknown, y: YamlFile, at: PathKey[]): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new SourceError(`expected a single value, found ${Array.isArray(value) ? 'a list' : typeof value}`, y.file, lineOf(y, at), 1, String(at.at(-1)));
}

function located(err: unknown, y: YamlFile, at: PathKey[], key?: string): unknown {
  if (err instanceof InterpolationError) return new SourceError(`interpolation: ${err.message}`, y.file, lineOf(y, at), 1, key ?? String(at.at(-1)));
  return err;
}

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopback(host: string | undefined): boolean {
  if (host === undefined) return false;
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '0:0:0:0:0:0:0:1';
}

/** The image name without registry host or tag: `ghcr.io/x/the0/api:latest` -> `api`. */
export function imageBaseName(image: string): string {
  const noDigest = image.split('@')[0]!;
  const last = noDigest.split('/').at(-1)!;
  return last.split(':')[0]!;
}

/** The tag, `latest` when none is written, or undefined when pinned by digest. */
export function imageTag(image: string): string | undefined {
  if (image.includes('@sha256:')) return undefined;
  const last = image.split('/').at(-1)!;
  const colon = last.indexOf(':');
  return colon < 0 ? 'latest' : last.slice(colon + 1);
}
