import {posix} from 'node:path';
import {z} from 'zod';
import type {Context} from '../engine/context.js';
import {display, isPlaceholder, looksSecret, redact} from '../engine/redact.js';
import {count, result, type CheckResult, type Evidence} from '../model/types.js';
import {urlPassword} from '../deploy/settings.js';
import {isLoopback, type ComposeModel, type ComposeService} from '../sources/compose.js';
import type {EnvFile} from '../sources/envFile.js';
import {interpolate} from '../sources/interpolate.js';
import {lineOf, nodeAt, type PathKey, type YamlFile} from '../sources/yamlDoc.js';
import {imagePinned} from './compose.js';
import {defineCheck, type CheckDef} from './define.js';

// Hardening checks for any Compose deployment: what the generic compose pack asks of every
// service. The Compose model (src/sources/compose.ts) carries what several checks share (ports,
// volumes, environment, limits); the fields only these checks read (restart, logging,
// security_opt, cap_add, user, pid, pull_policy, healthcheck, depends_on) are read here from the
// files themselves: mappings (logging, healthcheck, deploy) are merged key by key across the
// files in order, as Compose does, other values are taken from the last file that sets them, and
// lists Compose appends across override files (cap_add, security_opt) are appended here too.

const Services = {
  /** Only these services (default: every service, profile services included). */
  services: z.array(z.string().min(1)).optional(),
  /** Services this rule does not apply to, each named on purpose (a reverse proxy that needs the socket). */
  except: z.array(z.string().min(1)).default([]),
};

interface Field {
  value: unknown;
  file: string;
  line?: number;
}

/** A field merged across the Compose files, with the file and line each part of it came from. */
interface Merged extends Field {
  /** Where the value at `sub` (a path inside the field) was set: the deepest part recorded. */
  origin: (sub: PathKey[]) => {file: string; line?: number};
}

interface Compose {
  model: ComposeModel;
  files: YamlFile[];
  services: ComposeService[];
  /** Compose interpolation against the .env Compose reads. */
  lookup: (name: string) => string | undefined;
}

async function withCompose(
  ctx: Context,
  p: {services?: string[] | undefined; except: string[]},
  fn: (c: Compose) => CheckResult | Promise<CheckResult>,
): Promise<CheckResult> {
  const model = await ctx.compose();
  if (!model) return result('skip', 'no Compose file in this deployment');
  const files = await Promise.all(model.files.map((f) => ctx.yaml(f)));
  const services = [...model.services.values()].filter((s) => (!p.services || p.services.includes(s.name)) && !p.except.includes(s.name));
  if (services.length === 0) return result('skip', 'none of the selected services is defined');
  return fn({model, files, services, lookup: (name) => model.dotenv?.entries.get(name)?.value});
}

function serviceBody(y: YamlFile, service: string): Record<string, unknown> | undefined {
  const body = (y.data as {services?: Record<string, unknown>} | null)?.services?.[service];
  return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * A service's field as Compose merges it over the files in order: a mapping (logging,
 * healthcheck, deploy) key by key, anything else from the last file that sets it. An override
 * tagged `!reset` or `!override` replaces instead of merging, and so does a logging block that
 * names another driver (Compose merges logging options only for the same driver). `build: ./dir`
 * is read as `{context: ./dir}`. The result keeps the file and line of the last file that sets
 * the field, and where each part of the value came from.
 */
function fieldOf(files: YamlFile[], service: string, field: string): Merged | undefined {
  let value: unknown;
  let last: Field | undefined;
  const origins = new Map<string, {file: string; line?: number}>();
  const keyOf = (path: PathKey[]) => path.map(String).join('\0');
  const record = (y: YamlFile, path: PathKey[], v: unknown, depth: number) => {
    origins.set(keyOf(path), {file: y.file, line: lineOf(y, ['services', service, field, ...path]) ?? last?.line});
    if (isMapping(v) && depth < 32) for (const [k, sub] of Object.entries(v)) record(y, [...path, k], sub, depth + 1);
  };
  const forget = (path: PathKey[]) => {
    const prefix = keyOf(path);
    for (const k of [...origins.keys()]) if (path.length === 0 || k === prefix || k.startsWith(`${prefix}\0`)) origins.delete(k);
  };
  const merge = (y: YamlFile, path: PathKey[], base: unknown, over: unknown, depth: number): unknown => {
    const tag = (nodeAt(y.doc, ['services', service, field, ...path]) as {tag?: string} | undefined)?.tag;
    const otherDriver =
      field === 'logging' && path.length === 0 && isMapping(base) && isMapping(over) && 'driver' in base && 'driver' in over && base.driver !== over.driver;
    if (isMapping(base) && isMapping(over) && tag !== '!reset' && tag !== '!override' && !otherDriver && depth < 32) {
      const out: Record<string, unknown> = {...base};
      for (const [k, v] of Object.entries(over)) out[k] = merge(y, [...path, k], base[k], v, depth + 1);
      return out;
    }
    forget(path);
    record(y, path, over, depth);
    return over;
  };
  for (const y of files) {
    const body = serviceBody(y, service);
    if (!body || !Object.hasOwn(body, field)) continue;
    last = {value: undefined, file: y.file, line: lineOf(y, ['services', service, field])};
    const v = field === 'build' && typeof body[field] === 'string' ? {context: body[field]} : body[field];
    value = merge(y, [], value, v, 0);
  }
  if (!last) return undefined;
  const at = last;
  return {
    value,
    file: at.file,
    line: at.line,
    origin: (sub) => {
      for (let n = sub.length; n >= 0; n--) {
        const o = origins.get(keyOf(sub.slice(0, n)));
        if (o) return o;
      }
      return at;
    },
  };
}

/**
 * Each entry of a service's list field (cap_add, security_opt), with its line. Compose appends
 * these lists across override files, unless an override says `!reset` or `!override`.
 */
function entriesOf(files: YamlFile[], service: string, field: string): Field[] {
  let out: Field[] = [];
  for (const y of files) {
    const value = serviceBody(y, service)?.[field];
    if (value === undefined) continue;
    const at = ['services', service, field];
    const tag = (nodeAt(y.doc, at) as {tag?: string} | undefined)?.tag;
    if (tag === '!reset' || tag === '!override') out = [];
    const list = Array.isArray(value) ? value : value === null ? [] : [value];
    list.forEach((v, n) => {
      out.push({value: v, file: y.file, line: lineOf(y, Array.isArray(value) ? [...at, n] : at) ?? lineOf(y, at)});
    });
  }
  return out;
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

function where(s: ComposeService): {file: string; line?: number} {
  return {file: s.file, line: s.line};
}

function profiled(s: ComposeService): string {
  return s.profiles.length > 0 ? ` (only with --profile ${s.profiles.join('/')})` : '';
}

/**
 * Services that run once and exit, with why: another service waits for them with `condition:
 * service_completed_successfully` (a migration, an init step), or they say `restart: "no"` in so
 * many words (Docker's default, so writing it is a decision, not an omission). They need neither
 * a restart policy nor a healthcheck.
 */
function oneShots(c: Compose): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of c.model.services.values()) {
    const r = fieldOf(c.files, s.name, 'restart')?.value;
    if (r === 'no' || r === false) out.set(s.name, 'says restart: "no"');
  }
  for (const s of c.model.services.values()) {
    const deps = fieldOf(c.files, s.name, 'depends_on')?.value;
    if (deps === null || typeof deps !== 'object' || Array.isArray(deps)) continue;
    for (const [name, spec] of Object.entries(deps as Record<string, unknown>)) {
      if ((spec as {condition?: unknown} | null)?.condition === 'service_completed_successfully') out.set(name, `${s.name} waits for it to complete`);
    }
  }
  return out;
}

function safeInterpolate(raw: string, lookup: (name: string) => string | undefined): string | undefined {
  try {
    return interpolate(raw, lookup).value;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Network

/** A port a pack names as public on purpose: `443`, `443/tcp`, `51820/udp`. */
const PublicPort = z.union([z.number().int().min(1).max(65535), z.string().regex(/^\d+(\/(tcp|udp|sctp))?$/, 'a port such as 443 or 51820/udp')]);

export const publicPorts = defineCheck({
  id: 'compose.public-ports',
  summary:
    'Every published port binds to loopback, except the host ports named as public on purpose (by default 80 and 443, for a reverse proxy); no service uses the host network. Profile services count like the rest.',
  params: z.strictObject({
    ...Services,
    /** Host ports that may listen on every interface. */
    public: z.array(PublicPort).default([80, 443]),
  }),
  run: (ctx, p) =>
    withCompose(ctx, p, (c) => {
      const allowed = p.public.map((x) => {
        const [port, proto = 'tcp'] = String(x).split('/') as [string, string?];
        return {port, proto};
      });
      const bad: Evidence[] = [];
      const good: Evidence[] = [];
      for (const s of c.services) {
        if (s.networkMode?.value === 'host') {
          bad.push({
            file: s.networkMode.file,
            line: s.networkMode.line,
            key: `${s.name}.network_mode`,
            detail: `service ${s.name} uses the host network: every port it listens on is open on the host's interfaces${profiled(s)}`,
          });
          continue;
        }
        for (const port of s.ports) {
          const e = {file: port.file, line: port.line, key: `${s.name}.ports`};
          if (isLoopback(port.hostIp)) {
            good.push({...e, detail: `${port.raw}: loopback only`});
            continue;
          }
          const bind = port.hostIp ?? 'every interface';
          if (port.published === undefined) {
            bad.push({...e, detail: `${port.raw}: service ${s.name} publishes container port ${port.target} on a random host port on ${bind}${profiled(s)}`});
          } else if (allowed.some((a) => a.port === port.published && a.proto === port.protocol)) {
            good.push({...e, detail: `${port.raw}: public on purpose (${port.published}/${port.protocol})`});
          } else {
            bad.push({...e, detail: `${port.raw}: service ${s.name} publishes ${port.published}/${port.protocol} on ${bind}${profiled(s)}`});
          }
        }
      }
      const open = allowed.map((a) => (a.proto === 'tcp' ? a.port : `${a.port}/${a.proto}`)).join(', ');
      if (bad.length > 0)
        return result(
          'fail',
          `${count(bad.length, 'published port')} ${bad.length === 1 ? 'reaches' : 'reach'} beyond this host${open ? ` (public on purpose: ${open})` : ''}; Docker's own iptables rules publish them past ufw or firewalld`,
          bad,
        );
      return result('pass', good.length > 0 ? `${count(good.length, 'published port')}, each on loopback or public on purpose` : 'no published ports', good);
    }),
});

// ---------------------------------------------------------------------------------------------
// Reliability

export const restartPolicy = defineCheck({
  id: 'compose.restart-policy',
  summary:
    'Every service comes back after a crash and after the Docker daemon restarts (restart unless-stopped or always, or deploy.restart_policy condition any); one-shot services (others wait for them to complete, or they say restart: "no") are left out.',
  params: z.strictObject({
    ...Services,
    allowed: z.array(z.string().min(1)).default(['unless-stopped', 'always']),
  }),
  run: (ctx, p) =>
    withCompose(ctx, p, (c) => {
      const once = oneShots(c);
      const bad: Evidence[] = [];
      const good: Evidence[] = [];
      for (const s of c.services) {
        const key = `${s.name}.restart`;
        if (once.has(s.name)) {
          good.push({...where(s), key, detail: `service ${s.name} runs once (${once.get(s.name)})`});
          continue;
        }
        const r = fieldOf(c.files, s.name, 'restart');
        const deploy = fieldOf(c.files, s.name, 'deploy');
        const condition = (deploy?.value as {restart_policy?: {condition?: unknown} | null} | null | undefined)?.restart_policy?.condition;
        const value = text(r?.value);
        if (value !== undefined && p.allowed.includes(value)) good.push({file: r!.file, line: r!.line, key, detail: `service ${s.name}: restart ${value}`});
        else if (r === undefined && condition === 'any')
          good.push({
            ...deploy!.origin(['restart_policy']),
            key: `${s.name}.deploy`,
            detail: `service ${s.name}: restart_policy condition any`,
          });
        else if (r)
          bad.push({
            file: r.file,
            line: r.line,
            key,
            detail: `service ${s.name}: restart ${value ?? JSON.stringify(r.value)} leaves it down after a crash or a reboot (${p.allowed.join(' or ')} does not)${profiled(s)}`,
          });
        else bad.push({...where(s), key, detail: `service ${s.name} has no restart policy: after a crash or a reboot it stays down${profiled(s)}`});
      }
      if (bad.length > 0) return result('fail', `${count(bad.length, 'service')} would stay down after a crash or a reboot`, bad);
      return result('pass', `every service restarts by itself (${count(good.length, 'service')})`, good);
    }),
});

/** Logging drivers that keep no unbounded file on the host, or rotate their own by default. */
const BOUNDED_DRIVERS = new Set(['local', 'journald', 'syslog', 'fluentd', 'gelf', 'awslogs', 'splunk', 'gcplogs', 'logentries', 'etwlogs', 'none']);

export const logRotation = defineCheck({
  id: 'compose.log-rotation',
  summary:
    "Every service's log is bounded: a driver that rotates by itself (local, journald, syslog...) or json-file with options max-size (and max-file when asked); a service without `logging:` gets Docker's unbounded json-file default.",
  params: z.strictObject({
    ...Services,
    /** Also require options.max-file with json-file (without it, Docker keeps one file of max-size). */
    requireMaxFile: z.boolean().default(true),
  }),
  run: (ctx, p) =>
    withCompose(ctx, p, (c) => {
      const bad: Evidence[] = [];
      const good: Evidence[] = [];
      for (const s of c.services) {
        const key = `${s.name}.logging`;
        const l = fieldOf(c.files, s.name, 'logging');
        if (!l || l.value === null || typeof l.value !== 'object') {
          bad.push({
            ...where(s),
            key,
            detail: `service ${s.name} sets no logging: Docker's default json-file driver keeps its log without a size limit${profiled(s)}`,
          });
          continue;
        }
        const cfg = l.value as {driver?: unknown; options?: Record<string, unknown> | null};
        const driver = text(cfg.driver) ?? 'json-file';
        const maxSize = text(cfg.options?.['max-size']);
        const maxFile = text(cfg.options?.['max-file']);
        const e = {file: l.file, line: l.line, key};
        if (BOUNDED_DRIVERS.has(driver)) good.push({...e, detail: `service ${s.name}: driver ${driver}`});
        else if (!maxSize)
          bad.push({...e, detail: `service ${s.name}: driver ${driver} without options.max-size keeps its log without a size limit${profiled(s)}`});
        else if (p.requireMaxFile && driver === 'json-file' && !maxFile)
          bad.push({
            ...e,
            detail: `service ${s.name}: max-size ${maxSize} without options.max-file: the file is cut, not rotated, so the recent history is lost`,
          });
        else good.push({...e, detail: `service ${s.name}: ${driver}, max-size ${maxSize}${maxFile ? `, max-file ${maxFile}` : ''}`});
      }
      if (bad.length > 0) return result('fail', `${count(bad.length, 'service')} ${bad.length === 1 ? 'logs' : 'log'} without rotation`, bad);
      return result('pass', `every service's log is rotated (${count(good.length, 'service')})`, good);
    }),
});

export const healthcheck = defineCheck({
  id: 'compose.healthcheck',
  summary:
    'Every long-running service has a healthcheck: in the Compose file, or a HEALTHCHECK in the Dockerfile it is built from; services others wait to complete are exempt. `healthcheck: {disable: true}` and test NONE count as none.',
  params: z.strictObject({...Services}),
  run: (ctx, p) =>
    withCompose(ctx, p, async (c) => {
      const once = oneShots(c);
      const bad: Evidence[] = [];
      const good: Evidence[] = [];
      for (const s of c.services) {
        const key = `${s.name}.healthcheck`;
        if (once.has(s.name)) {
          good.push({...where(s), key, detail: `service ${s.name} runs once (${once.get(s.name)})`});
          continue;
        }
        const h = fieldOf(c.files, s.name, 'healthcheck');
        const cfg = (h?.value ?? undefined) as {test?: unknown; disable?: unknown} | undefined;
        const test = Array.isArray(cfg?.test) ? cfg.test.map(String) : text(cfg?.test) === undefined ? undefined : [text(cfg?.test)!];
        const disabled = cfg?.disable === true || test?.[0] === 'NONE';
        if (h && cfg && typeof cfg === 'object' && !disabled && test !== undefined) {
          good.push({...h.origin(['test']), key, detail: `service ${s.name}: healthcheck runs ${programOf(test)}`});
          continue;
        }
        if (h && disabled) {
          bad.push({file: h.file, line: h.line, key, detail: `service ${s.name} turns its healthcheck off${profiled(s)}`});
          continue;
        }
        const dockerfile = await builtWithHealthcheck(ctx, c, s);
        if (dockerfile) {
          good.push({...dockerfile, key, detail: `service ${s.name}: HEALTHCHECK in ${dockerfile.file}`});
          continue;
        }
        bad.push({
          ...(h ? {file: h.file, line: h.line} : where(s)),
          key,
          detail: `service ${s.name} has no healthcheck: Docker reports it running while it hangs, and depends_on cannot wait for it to be ready${profiled(s)}`,
        });
      }
      if (bad.length > 0) return result('fail', `${count(bad.length, 'service')} without a healthcheck`, bad);
      return result('pass', `every long-running service has a healthcheck (${count(good.length, 'service')})`, good);
    }),
});

/**
 * What a healthcheck runs, without its arguments (they may hold a password): the program and a
 * count of the words. `["CMD", "redis-cli", "-a", "...", "ping"]` is `redis-cli (4 words)`; a
 * shell command is split on spaces, leading `VAR=value` assignments left out.
 */
function programOf(test: string[]): string {
  const shell = test[0] === 'CMD-SHELL' || (test[0] !== 'CMD' && test.length === 1);
  const args = test[0] === 'CMD' || test[0] === 'CMD-SHELL' ? test.slice(1) : test;
  const words = shell
    ? args
        .join(' ')
        .split(/\s+/)
        .filter((w) => w !== '')
    : args;
  const program = words.find((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w));
  if (program === undefined) return `a command of ${count(words.length, 'word')}`;
  const name = program.includes('://') || program.includes('@') ? 'a URL' : program;
  return `${name} (${count(words.length, 'word')})`;
}

interface Instruction {
  /** The instruction in upper case: FROM, HEALTHCHECK. */
  op: string;
  args: string;
  line: number;
}

/** A Dockerfile's instructions, with `\` continuations joined, comments left out, each at its first line. */
function instructions(body: string): Instruction[] {
  const out: Instruction[] = [];
  let open: {text: string; line: number} | undefined;
  body.split(/\r?\n/).forEach((raw, n) => {
    if (/^\s*#/.test(raw)) return; // a comment, also inside a continued instruction
    const continued = /\\\s*$/.test(raw);
    const part = continued ? raw.replace(/\\\s*$/, '') : raw;
    if (open) open.text += ` ${part}`;
    else if (part.trim() !== '') open = {text: part, line: n + 1};
    if (continued || !open) return;
    const m = /^\s*(\S+)\s*(.*)$/s.exec(open.text);
    if (m) out.push({op: m[1]!.toUpperCase(), args: m[2]!.trim(), line: open.line});
    open = undefined;
  });
  if (open) {
    const m = /^\s*(\S+)\s*(.*)$/s.exec(open.text);
    if (m) out.push({op: m[1]!.toUpperCase(), args: m[2]!.trim(), line: open.line});
  }
  return out;
}

interface Stage {
  name?: string;
  /** The image or earlier stage it starts from. */
  from: string;
  /** The line of its last HEALTHCHECK, and whether that one says NONE. */
  healthcheck?: {line: number; none: boolean};
}

/** A Dockerfile's build stages, split on FROM. */
function stagesOf(body: string): Stage[] {
  const stages: Stage[] = [];
  for (const i of instructions(body)) {
    if (i.op === 'FROM') {
      const words = i.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      const as = words.findIndex((w) => w.toLowerCase() === 'as');
      stages.push({from: words[0] ?? '', ...(as > 0 && words[as + 1] ? {name: words[as + 1]} : {})});
    } else if (i.op === 'HEALTHCHECK' && stages.length > 0) {
      stages.at(-1)!.healthcheck = {line: i.line, none: /^NONE\b/i.test(i.args)};
    }
  }
  return stages;
}

/**
 * The line of the HEALTHCHECK in effect in the stage Compose builds (build.target, or the last
 * stage): its own, or the one of the earlier stage it starts FROM. `HEALTHCHECK NONE` is none.
 */
function stageHealthcheck(stages: Stage[], target: string | undefined): number | undefined {
  const find = (name: string, before: number) => stages.slice(0, before).findLastIndex((s) => s.name?.toLowerCase() === name.toLowerCase());
  let n = target === undefined ? stages.length - 1 : find(target, stages.length);
  for (let hops = 0; n >= 0 && hops < stages.length; hops++) {
    const stage = stages[n]!;
    if (stage.healthcheck) return stage.healthcheck.none ? undefined : stage.healthcheck.line;
    n = find(stage.from, n);
  }
  return undefined;
}

/** The Dockerfile line holding HEALTHCHECK, when the service is built from a Dockerfile inside the deployment. */
async function builtWithHealthcheck(ctx: Context, c: Compose, s: ComposeService): Promise<{file: string; line: number} | undefined> {
  const b = fieldOf(c.files, s.name, 'build');
  if (!b) return undefined;
  const cfg = (b.value ?? {}) as {context?: unknown; dockerfile?: unknown; target?: unknown};
  const context = text(cfg.context) ?? '.';
  const dockerfile = text(cfg.dockerfile) ?? 'Dockerfile';
  const target = text(cfg.target);
  if (/^[a-z]+:\/\//i.test(context) || context.includes('{{')) return undefined;
  const rel = posix.normalize(posix.join(posix.dirname(b.origin(['context']).file), context, dockerfile));
  if (rel.startsWith('../') || posix.isAbsolute(rel)) return undefined;
  let body: string;
  try {
    body = await ctx.readText(rel);
  } catch {
    return undefined;
  }
  const line = stageHealthcheck(stagesOf(body), target);
  return line === undefined ? undefined : {file: rel, line};
}

// ---------------------------------------------------------------------------------------------
// Host access

const SOCKET = /(^|\/)(docker|podman|containerd)\.sock$/;

export const noDockerSocket = defineCheck({
  id: 'compose.no-docker-socket',
  summary:
    'No service mounts the Docker (or Podman, containerd) socket: whoever controls a container that holds it can start a privileged container and own the host. Read-only mounts count too.',
  params: z.strictObject({...Services}),
  run: (ctx, p) =>
    withCompose(ctx, p, (c) => {
      const found: Evidence[] = [];
      for (const s of c.services) {
        for (const v of s.volumes) {
          if (v.source && SOCKET.test(v.source))
            found.push({
              file: v.file,
              line: v.line,
              key: `${s.name}.volumes`,
              detail: `service ${s.name} mounts ${v.source}${v.raw.endsWith(':ro') ? ' (read-only still lets it call the API)' : ''}: it is root on the host${profiled(s)}`,
            });
        }
      }
      const named = p.except.length > 0 ? `; ${p.except.join(', ')} left out on purpose` : '';
      if (found.length > 0) return result('fail', `${count(found.length, 'service')} can drive the container engine, which is root on the host${named}`, found);
      return result('pass', `no service mounts a container engine socket${named}`);
    }),
});

export const notPrivileged = defineCheck({
  id: 'compose.not-privileged',
  summary: 'No service runs privileged, or shares the host PID namespace (pid: host): either takes away the isolation between container and host.',
  params: z.strictObject({...Services}),
  run: (ctx, p) =>
    withCompose(ctx, p, (c) => {
      const found: Evidence[] = [];
      for (const s of c.services) {
        if (s.privileged?.value)
          found.push({
            file: s.privileged.file,
            line: s.privileged.line,
            key: `${s.name}.privileged`,
            detail: `service ${s.name} runs privileged: every device and capability of the host${profiled(s)}`,
          });
        const pid = fieldOf(c.files, s.name, 'pid');
        if (text(pid?.value) === 'host')
          found.push({
            file: pid!.file,
            line: pid!.line,
            key: `${s.name}.pid`,
            detail: `service ${s.name} sees and can signal every process on the host${profiled(s)}`,
          });
      }
      if (found.length > 0)
        return result('fail', `${count(found.length, 'setting')} ${found.length === 1 ? 'gives' : 'give'} containers the host's privileges`, found);
      return result('pass', `no service runs privileged or in the host PID namespace (${count(c.services.length, 'service')})`);
    }),
});

/** What Docker grants every container already: adding these changes nothing. */
const DOCKER_DEFAULT_CAPS = new Set([
  'CHOWN',
  'DAC_OVERRIDE',
  'FSETID',
  'FOWNER',
  'MKNOD',
  'NET_RAW',
  'SETGID',
  'SETUID',
  'SETFCAP',
  'SETPCAP',
  'NET_BIND_SERVICE',
  'SYS_CHROOT',
  'KILL',
  'AUDIT_WRITE',
]);

const capName = (c: string) => c.trim().toUpperCase().replace(/^CAP_/, '');

export const capabilities = defineCheck({
  id: 'compose.capabilities',
  summary:
    "No service adds a Linux capability beyond Docker's default set (cap_add SYS_ADMIN, NET_ADMIN, SYS_PTRACE, ALL...), unless the pack allows that capability by name.",
  params: z.strictObject({
    ...Services,
    /** Capabilities that are acceptable here, e.g. [NET_ADMIN] for a VPN container. */
    allow: z.array(z.string().min(1)).default([]),
  }),
  run: (ctx, p) =>
    withCompose(ctx, p, (c) => {
      const allowed = new Set([...DOCKER_DEFAULT_CAPS, ...p.allow.map(capName)]);
      const bad: Evidence[] = [];
      const good: Evidence[] = [];
      for (const s of c.services) {
        for (const e of entriesOf(c.files, s.name, 'cap_add')) {
          const cap = capName(text(e.value) ?? '');
          const at = {file: e.file, line: e.line, key: `${s.name}.cap_add`};
          if (allowed.has(cap))
            good.push({...at, detail: `service ${s.name} adds ${cap}, ${DOCKER_DEFAULT_CAPS.has(cap) ? "already in Docker's default set" : 'allowed here'}`});
          else
            bad.push({
              ...at,
              detail: `service ${s.name} adds ${cap}${cap === 'ALL' ? ': every capability, as good as privileged' : cap === 'SYS_ADMIN' ? ': close to root on the host' : ''}${profiled(s)}`,
            });
        }
      }
      if (bad.length > 0) return result('fail', `${count(bad.length, 'capability', 'capabilities')} added beyond Docker's default set`, bad);
      return result(
        'pass',
        good.length > 0 ? `${count(good.length, 'added capability', 'added capabilities')}, none beyond the defaults` : 'no service adds a capability',
        good,
      );
    }),
});

export const noNewPrivileges = defineCheck({
  id: 'compose.no-new-privileges',
  summary:
    'Every service sets security_opt no-new-privileges:true, so a setuid binary inside the container cannot raise a process above the user it started as.',
  params: z.strictObject({...Services}),
  run: (ctx, p) =>
    withCompose(ctx, p, (c) => {
      const bad: Evidence[] = [];
      const good: Evidence[] = [];
      for (const s of c.services) {
        const key = `${s.name}.security_opt`;
        const opts = entriesOf(c.files, s.name, 'security_opt');
        const nnp = opts.find((o) => /^no-new-privileges(?:[:=](?:true|1))?$/i.test((text(o.value) ?? '').trim()));
        const off = opts.find((o) => /^no-new-privileges[:=](?:false|0)$/i.test((text(o.value) ?? '').trim()));
        if (nnp && !off) good.push({file: nnp.file, line: nnp.line, key, detail: `service ${s.name}: no-new-privileges`});
        else if (off) bad.push({file: off.file, line: off.line, key, detail: `service ${s.name} turns no-new-privileges off${profiled(s)}`});
        else bad.push({...where(s), key, detail: `service ${s.name} does not set no-new-privileges:true${profiled(s)}`});
      }
      if (bad.length > 0) return result('fail', `${count(bad.length, 'service')} can gain privileges through setuid binaries`, bad);
      return result('pass', `every service sets no-new-privileges (${count(good.length, 'service')})`, good);
    }),
});

/** `root`, `0`, `root:x`, `0:x`: the user or group is root. */
function isRootId(v: string | undefined): boolean {
  if (v === undefined) return false;
  const first = v.trim().split(':')[0]!.toLowerCase();
  return first === 'root' || first === '0';
}

/** How a user or group id stands: root now, root when a variable goes missing, or not root. */
function rootness(raw: string, lookup: (name: string) => string | undefined): {now?: string; fallback: boolean} {
  const now = safeInterpolate(raw, lookup);
  const bare = safeInterpolate(raw, () => undefined);
  return {now, fallback: raw.includes('$') && isRootId(bare)};
}

export const nonRootUser = defineCheck({
  id: 'compose.non-root-user',
  summary:
    'No service sets user to root or 0, directly or through a variable that falls back to it (`${PUID:-0}`); with requireUser, every service names its user (otherwise the image decides).',
  params: z.strictObject({
    ...Services,
    /** Fail services without `user:` too (images such as postgres start as root and drop privileges themselves). */
    requireUser: z.boolean().default(false),
  }),
  run: (ctx, p) =>
    withCompose(ctx, p, (c) => {
      const bad: Evidence[] = [];
      const warn: Evidence[] = [];
      const good: Evidence[] = [];
      for (const s of c.services) {
        const key = `${s.name}.user`;
        const u = fieldOf(c.files, s.name, 'user');
        const raw = text(u?.value);
        if (!u || raw === undefined) {
          (p.requireUser ? bad : good).push({
            ...where(s),
            key,
            detail: `service ${s.name} sets no user: the image decides${p.requireUser ? ' (often root)' : ''}`,
          });
          continue;
        }
        const {now, fallback} = rootness(raw, c.lookup);
        const at = {file: u.file, line: u.line, key};
        if (isRootId(now)) bad.push({...at, detail: `service ${s.name} runs as ${raw}${raw === now ? '' : ` (${now})`}: root in the container${profiled(s)}`});
        else if (fallback) warn.push({...at, detail: `service ${s.name} runs as ${raw}: root as soon as the variable is unset`});
        else good.push({...at, detail: `service ${s.name} runs as ${raw}`});
      }
      if (bad.length > 0) return result('fail', `${count(bad.length, 'service')} ${bad.length === 1 ? 'runs' : 'run'} as root`, [...bad, ...warn]);
      if (warn.length > 0)
        return result('warn', `${count(warn.length, 'service')} ${warn.length === 1 ? 'falls' : 'fall'} back to root when a variable is unset`, warn);
      return result('pass', 'no service is told to run as root', good);
    }),
});

// ---------------------------------------------------------------------------------------------
// Images

/** `ghcr.io/x/y`, `localhost:5000/y`: the first path component names a registry host. */
function namesRegistry(image: string): boolean {
  const slash = image.indexOf('/');
  if (slash < 0) return false;
  const first = image.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost';
}

export const pulledImagesPinned = defineCheck({
  id: 'compose.pulled-images-pinned',
  summary:
    'Every image Compose pulls from a registry names a version tag or digest (compose.image-pinned); images built here are left out: build: with a local name (no registry host), or pull_policy build or never.',
  params: z.strictObject({services: Services.services}),
  async run(ctx, p, signal) {
    const model = await ctx.compose();
    if (!model) return result('skip', 'no Compose file in this deployment');
    const files = await Promise.all(model.files.map((f) => ctx.yaml(f)));
    const pulled: string[] = [];
    const local: Evidence[] = [];
    for (const s of model.services.values()) {
      if (p.services && !p.services.includes(s.name)) continue;
      if (!s.image) continue;
      const policy = text(fieldOf(files, s.name, 'pull_policy')?.value);
      const e = {file: s.image.file, line: s.image.line, key: `${s.name}.image`};
      if (policy === 'build' || policy === 'never') local.push({...e, detail: `${s.image.value}: pull_policy ${policy}, built or loaded here, never pulled`});
      else if (s.build && !namesRegistry(s.image.value)) local.push({...e, detail: `${s.image.value}: the name of the image built here from build:`});
      else pulled.push(s.name);
    }
    const r = pulled.length === 0 ? result('pass', 'no image is pulled from a registry') : await imagePinned.run(ctx, {services: pulled}, signal);
    return {...r, evidence: [...r.evidence, ...local]};
  },
});

// ---------------------------------------------------------------------------------------------
// Credentials

/**
 * Passwords inside connection strings in `text`: `scheme://user:password@host`. A linear scan
 * finds each candidate URL (from its scheme to the next space or quote); urlPassword reads its
 * password, percent-decoded (`%3Cpassword%3E` is the placeholder `<password>`). A password may
 * hold a `${VAR}` reference.
 */
export function urlPasswords(text: string): {scheme: string; password: string}[] {
  const out: {scheme: string; password: string}[] = [];
  let from = 0;
  for (;;) {
    const sep = text.indexOf('://', from);
    if (sep < 0) return out;
    from = sep + 3;
    let start = sep;
    while (start > 0 && /[A-Za-z0-9+.-]/.test(text[start - 1]!)) start--;
    const scheme = text.slice(start, sep);
    if (!/^[A-Za-z]/.test(scheme)) continue;
    let end = from;
    while (end < text.length && !'"\' \t\r\n'.includes(text[end]!)) end++;
    const password = urlPassword(text.slice(start, end));
    if (password) out.push({scheme, password});
  }
}

/** `DB_PASSWORD_FILE`, `--token-path`: names whose value says where a secret is, not what it is. */
function namesAPlace(name: string): boolean {
  return /(?:^|[-_.])(?:file|path|dir|stdin)$|fromenv$/i.test(name);
}

/** The last word of a flag's name that says it holds a secret: `--requirepass`, `--api-key`, `--db_password`. */
const SECRET_FLAG_WORD = new Set(['password', 'passwd', 'pass', 'pwd', 'secret', 'token', 'key', 'masterkey', 'requirepass', 'apikey', 'credentials']);

/** `--authenticationDatabase`, `--auth_timeout`, `--session-ttl` are not: the name must end in a secret word. */
function secretFlagName(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .split(/[-_.]/)
    .filter(Boolean);
  return SECRET_FLAG_WORD.has((words.at(-1) ?? '').toLowerCase());
}

/**
 * Flags named like secrets that are given a literal value in a command line: `--requirepass x`,
 * `--masterkey=x`. A value that is a `$` reference, another flag, a path, a number or true/false
 * is not one.
 */
export function secretFlags(command: unknown): {name: string; value: string}[] {
  const words = Array.isArray(command) ? command.map((w) => text(w) ?? '') : (text(command) ?? '').split(/\s+/).filter((w) => w !== '');
  const out: {name: string; value: string}[] = [];
  for (let i = 0; i < words.length; i++) {
    const m = /^--?([A-Za-z][\w.-]*)(?:=(.*))?$/.exec(words[i]!);
    if (!m || !secretFlagName(m[1]!) || namesAPlace(m[1]!)) continue;
    const value = (m[2] ?? words[i + 1] ?? '').replace(/^(["'])(.*)\1$/, '$2');
    if (value === '' || value.includes('$') || value.startsWith('-') || value.startsWith('/')) continue;
    if (/^\d+(\.\d+)?$/.test(value) || /^(true|false)$/i.test(value)) continue;
    out.push({name: words[i]!.split('=')[0]!, value});
  }
  return out;
}

/** Every string inside a value, with its path, for the fields that are not environment. */
function strings(value: unknown, path: PathKey[], out: {path: PathKey[]; text: string}[], depth = 0): void {
  if (depth > 32) return;
  if (typeof value === 'string') out.push({path, text: value});
  else if (Array.isArray(value)) value.forEach((v, n) => strings(v, [...path, n], out, depth + 1));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) strings(v, [...path, k], out, depth + 1);
}

export const literalCredentials = defineCheck({
  id: 'compose.literal-credentials',
  summary:
    'No credential is written into a Compose file: environment keys named like secrets (PASSWORD, SECRET, TOKEN, KEY...; not *_FILE paths) take their value from ${VAR}, no connection string in any key or field (command, healthcheck, labels) holds a literal password, and no secret-named flag in a command line (--requirepass, --masterkey) is given a literal value.',
  params: z.strictObject({...Services}),
  run: (ctx, p) =>
    withCompose(ctx, p, (c) => {
      const bad: Evidence[] = [];
      let fromEnv = 0;
      const placeholder = (v: string) => (isPlaceholder(v) ? ', a template placeholder' : '');
      for (const s of c.services) {
        for (const v of s.environment.values()) {
          if (v.envFile || v.raw === undefined) continue;
          const key = `${s.name}.${v.key}`;
          const at = {file: v.file, line: v.line, key};
          if (looksSecret(v.key) && !namesAPlace(v.key) && v.raw !== '') {
            if (v.literal) {
              bad.push({...at, detail: `service ${s.name} has ${v.key} written in ${v.file} (${redact(v.value)}${placeholder(v.value ?? '')})`});
              continue;
            }
            fromEnv++;
          }
          for (const u of urlPasswords(v.raw)) {
            if (u.password.includes('$')) continue;
            bad.push({
              ...at,
              detail: `service ${s.name}: ${v.key} is a ${u.scheme}:// connection string with its password written in ${v.file} (${redact(u.password)}${placeholder(u.password)})`,
            });
          }
        }
        // Other fields: the password of a connection string in a command line or a healthcheck,
        // and a secret passed as a flag's value (`--requirepass hunter2`, `--masterkey=...`).
        for (const y of c.files) {
          const body = serviceBody(y, s.name);
          if (!body) continue;
          for (const field of ['command', 'entrypoint']) {
            const at = {file: y.file, line: lineOf(y, ['services', s.name, field]), key: `${s.name}.${field}`};
            for (const flag of secretFlags(body[field])) {
              bad.push({...at, detail: `service ${s.name}: ${field} passes ${flag.name} a literal value (${redact(flag.value)}${placeholder(flag.value)})`});
            }
          }
          const found: {path: PathKey[]; text: string}[] = [];
          for (const [field, value] of Object.entries(body)) if (field !== 'environment') strings(value, [field], found);
          for (const f of found) {
            for (const u of urlPasswords(f.text)) {
              if (u.password.includes('$')) continue;
              bad.push({
                file: y.file,
                line: lineOf(y, ['services', s.name, ...f.path]),
                key: `${s.name}.${f.path.join('.')}`,
                detail: `service ${s.name}: a ${u.scheme}:// connection string in ${f.path[0]} holds a literal password (${redact(u.password)}${placeholder(u.password)})`,
              });
            }
          }
        }
      }
      if (bad.length > 0) return result('fail', `${count(bad.length, 'credential')} written into the Compose file`, bad);
      return result(
        'pass',
        fromEnv === 1
          ? 'the one credential comes from the environment'
          : fromEnv > 1
            ? `all ${fromEnv} credentials come from the environment`
            : 'no credential is written into the Compose file',
      );
    }),
});

// ---------------------------------------------------------------------------------------------
// .env hygiene

const EnvFiles = {
  /** Files to read (default: the pack's env files and every env_file a service reads). */
  files: z.array(z.string().min(1)).optional(),
};

/** The .env files a Compose deployment reads: the pack's, and every service's env_file. */
async function envFilesOf(ctx: Context, files: string[] | undefined): Promise<EnvFile[]> {
  const names = new Set(files ?? (await ctx.glob(ctx.pack.files.env)));
  if (!files) {
    const model = await ctx.compose();
    for (const s of model?.services.values() ?? []) for (const f of s.envFiles) names.add(f);
  }
  const out: EnvFile[] = [];
  for (const f of [...names].sort()) {
    const env = await ctx.envFile(f);
    if (env) out.push(env);
  }
  return out;
}

export const envDuplicates = defineCheck({
  id: 'compose.env-duplicates',
  summary: 'No key is defined twice in a .env file: the last copy silently wins, and the one a person edits may be the other.',
  params: z.strictObject({...EnvFiles}),
  async run(ctx, p) {
    const envs = await envFilesOf(ctx, p.files);
    if (envs.length === 0) return result('skip', 'no .env file to read');
    const bad: Evidence[] = [];
    for (const env of envs) {
      for (const [key, lines] of env.duplicates) {
        for (const line of lines.slice(0, -1))
          bad.push({file: env.file, line, key, detail: `${key} is defined again on line ${lines.at(-1)}: this copy is ignored`});
        bad.push({file: env.file, line: lines.at(-1), key, detail: `${key} is defined ${lines.length} times (lines ${lines.join(', ')}); this last one wins`});
      }
    }
    if (bad.length > 0) return result('fail', `${count(new Set(bad.map((e) => `${e.file}:${e.key}`)).size, 'key')} defined more than once`, bad);
    return result(
      'pass',
      `no duplicate keys in ${envs.map((e) => e.file).join(', ')}`,
      envs.map((e) => ({file: e.file, detail: `${count(e.entries.size, 'key')}`})),
    );
  },
});

export const envPlaceholders = defineCheck({
  id: 'compose.env-placeholders',
  summary:
    'No value in the .env files is a template blank (`your-...`, `CHANGEME`, `<...>`, `xxx`), also inside a connection string; credentials left empty are reported as warnings.',
  params: z.strictObject({...EnvFiles}),
  async run(ctx, p) {
    const envs = await envFilesOf(ctx, p.files);
    if (envs.length === 0) return result('skip', 'no .env file to read');
    const bad: Evidence[] = [];
    const empty: Evidence[] = [];
    let n = 0;
    for (const env of envs) {
      for (const e of env.entries.values()) {
        n++;
        const at = {file: env.file, line: e.line, key: e.key};
        const pw = urlPassword(e.value);
        if (e.value === '') {
          if (looksSecret(e.key)) empty.push({...at, detail: `${e.key} is empty`});
        } else if (pw !== undefined && isPlaceholder(pw)) bad.push({...at, detail: `the password inside ${e.key} is a template placeholder (${redact(pw)})`});
        else if (isPlaceholder(e.value)) bad.push({...at, detail: `${e.key} is still a template placeholder (${display(e.key, e.value)})`});
      }
    }
    if (bad.length > 0) return result('fail', `${count(bad.length, 'value')} still ${bad.length === 1 ? 'a placeholder' : 'placeholders'}`, [...bad, ...empty]);
    if (empty.length > 0) return result('warn', `${count(empty.length, 'credential')} left empty`, empty);
    return result('pass', `${count(n, 'value')}, no placeholder`);
  },
});

export const COMPOSE_HARDENING_CHECKS: readonly CheckDef[] = [
  publicPorts,
  restartPolicy,
  logRotation,
  healthcheck,
  noDockerSocket,
  notPrivileged,
  capabilities,
  noNewPrivileges,
  nonRootUser,
  pulledImagesPinned,
  literalCredentials,
  envDuplicates,
  envPlaceholders,
];
