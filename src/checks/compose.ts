import {z} from 'zod';
import type {Context} from '../engine/context.js';
import {display, redact} from '../engine/redact.js';
import {result, type CheckResult, type Evidence, count} from '../model/types.js';
import {defineCheck} from './define.js';
import {imageBaseName, imageTag, isLoopback, type ComposeModel, type ComposeService} from '../sources/compose.js';
import {EnvKey} from '../deploy/settings.js';

/** Which services a check looks at: by name, by image name, or all. */
const Pick = {
  services: z.array(z.string().min(1)).optional(),
  /** Image names without registry or tag: `postgres` matches `postgres:15-alpine` and `docker.io/library/postgres`. */
  images: z.array(z.string().min(1)).optional(),
};

function pick(model: ComposeModel, p: {services?: string[] | undefined; images?: string[] | undefined}): ComposeService[] {
  const all = [...model.services.values()];
  if (!p.services && !p.images) return all;
  const names = new Set(p.services);
  const images = new Set(p.images?.map(imageBaseName));
  return all.filter((s) => names.has(s.name) || (s.image !== undefined && images.has(imageBaseName(s.image.value))));
}

async function withCompose(ctx: Context, fn: (model: ComposeModel) => CheckResult): Promise<CheckResult> {
  const model = await ctx.compose();
  if (!model) return result('skip', 'no Compose file in this deployment');
  return fn(model);
}

function profiled(s: ComposeService): string {
  return s.profiles.length > 0 ? ` (only with --profile ${s.profiles.join('/')})` : '';
}

const DOCKER_CAVEAT = 'Docker publishes ports through its own iptables rules, so a host firewall (ufw) does not hide them';

export const portsPrivate = defineCheck({
  id: 'compose.ports-private',
  summary: 'Selected services publish no port beyond loopback (host IP 127.0.0.1 or ::1), and do not use the host network.',
  params: z.strictObject({
    ...Pick,
    /** Only these container ports (e.g. the MinIO console, 9001). */
    ports: z.array(z.union([z.number().int().min(1).max(65535), z.string().regex(/^\d+$/)])).optional(),
  }),
  run: (ctx, p) =>
    withCompose(ctx, (model) => {
      const services = pick(model, p);
      if (services.length === 0) return result('pass', 'none of the selected services is defined');
      const wanted = p.ports?.map(String);
      const open: Evidence[] = [];
      const fine: Evidence[] = [];
      for (const s of services) {
        if (s.networkMode?.value === 'host') {
          open.push({
            file: s.networkMode.file,
            line: s.networkMode.line,
            key: `${s.name}.network_mode`,
            detail: `service ${s.name} uses the host network: every port it listens on is on the host's interfaces${profiled(s)}`,
          });
          continue;
        }
        for (const port of s.ports) {
          if (wanted && !wanted.some((w) => portCovers(port.target, w))) continue;
          const key = `${s.name}.ports`;
          if (isLoopback(port.hostIp)) {
            fine.push({file: port.file, line: port.line, key, detail: `${port.raw}: loopback only`});
          } else {
            const bind = port.hostIp ?? 'every interface (0.0.0.0 and ::)';
            open.push({
              file: port.file,
              line: port.line,
              key,
              detail: `${port.raw}: service ${s.name} publishes container port ${port.target} on ${bind}${profiled(s)}`,
            });
          }
        }
      }
      if (open.length > 0) {
        const onlyProfiled = open.every((e) => e.detail.includes('only with --profile'));
        return result(onlyProfiled ? 'warn' : 'fail', `${open.length} published ports reach beyond this host. ${DOCKER_CAVEAT}`, open);
      }
      return result('pass', fine.length > 0 ? `${fine.length} published ports, all on loopback` : 'no published ports', fine);
    }),
});

function portCovers(target: string, port: string): boolean {
  const [lo, hi = lo] = target.split('-').map(Number) as [number, number?];
  return Number(port) >= lo && Number(port) <= (hi ?? lo);
}

export const imagePinned = defineCheck({
  id: 'compose.image-pinned',
  summary: 'Every image names a version tag or digest, not `latest` or no tag.',
  params: z.strictObject({...Pick}),
  run: (ctx, p) =>
    withCompose(ctx, (model) => {
      const floating: Evidence[] = [];
      const pinned: Evidence[] = [];
      for (const s of pick(model, p)) {
        // The image an opt-in overlay replaced still runs whenever the project starts without it.
        for (const image of [...s.shadowedImages, ...(s.image ? [s.image] : [])]) {
          const e = {file: image.file, line: image.line, key: `${s.name}.image`};
          const when = image === s.image ? profiled(s) : withoutOverlay(model, s);
          if (builtHere(s)) {
            pinned.push({
              ...e,
              detail: `${image.value}: built here from build: and never pulled (pull_policy ${s.pullPolicy!.value}), so the tag names the local build`,
            });
            continue;
          }
          const tag = imageTag(image.value);
          if (tag === 'latest' || tag === '')
            floating.push({
              ...e,
              detail: `${image.value}: ${image.value.split('/').at(-1)!.includes(':') ? 'the latest tag moves' : 'no tag means latest'}, so a restart can change the version${when}`,
            });
          else pinned.push({...e, detail: `${image.value}: ${tag === undefined ? 'pinned by digest' : `tag ${tag}`}${when}`});
        }
      }
      if (floating.length > 0) return result('fail', `${floating.length} images float on latest`, floating);
      return result('pass', `${pinned.length} images pinned`, pinned);
    }),
});

/** ` (when the project runs without docker-compose.dev.yml)`: for a value an opt-in overlay replaces. */
function withoutOverlay(model: ComposeModel, s: ComposeService): string {
  const overlays = model.overlays ?? [];
  return ` (when the project runs without ${overlays.length > 0 ? overlays.join(', ') : 'its overlays'})${profiled(s)}`;
}

/** `build:` with `pull_policy: never` (or `build`): the image is made here and never fetched from a registry. */
function builtHere(s: ComposeService): boolean {
  return s.build && s.pullPolicy !== undefined && ['never', 'build'].includes(s.pullPolicy.value.toLowerCase());
}

export const dockerSocket = defineCheck({
  id: 'compose.docker-socket',
  summary: 'Lists services that mount the Docker socket or run privileged (each is root on the host); warns when any does.',
  params: z.strictObject({...Pick}),
  run: (ctx, p) =>
    withCompose(ctx, (model) => {
      const found: Evidence[] = [];
      for (const s of pick(model, p)) {
        for (const v of s.volumes) {
          if (v.source && /(^|\/)docker\.sock$/.test(v.source)) {
            found.push({
              file: v.file,
              line: v.line,
              key: `${s.name}.volumes`,
              detail: `service ${s.name} mounts ${v.source}: it can start containers as root on the host${profiled(s)}`,
            });
          }
        }
        if (s.privileged?.value)
          found.push({
            file: s.privileged.file,
            line: s.privileged.line,
            key: `${s.name}.privileged`,
            detail: `service ${s.name} runs privileged${profiled(s)}`,
          });
      }
      if (found.length > 0) return result('warn', `${found.length} services hold root-equivalent access to the host`, found);
      return result('pass', 'no service mounts the Docker socket or runs privileged');
    }),
});

export const resourceLimits = defineCheck({
  id: 'compose.resource-limits',
  summary: 'Selected services set a memory and a CPU limit (mem_limit/cpus or deploy.resources.limits).',
  params: z.strictObject({
    ...Pick,
    /** `warn` where limits are advice rather than a requirement. */
    level: z.enum(['fail', 'warn']).default('fail'),
  }),
  run: (ctx, p) =>
    withCompose(ctx, (model) => {
      const missing: Evidence[] = [];
      const ok: Evidence[] = [];
      const services = pick(model, p);
      if (services.length === 0) return result('pass', 'none of the selected services is defined');
      for (const s of services) {
        const lacks = [s.memLimit ? undefined : 'memory', s.cpus ? undefined : 'CPU'].filter(Boolean);
        if (lacks.length > 0)
          missing.push({
            file: s.file,
            line: s.line,
            key: s.name,
            detail: `service ${s.name} has no ${lacks.join(' or ')} limit: it may take the whole host${profiled(s)}`,
          });
        else ok.push({file: s.memLimit!.file, line: s.memLimit!.line, key: s.name, detail: `memory ${s.memLimit!.value}, cpus ${s.cpus!.value}`});
      }
      if (missing.length > 0) return result(p.level, `${count(missing.length, 'service')} ${missing.length === 1 ? 'runs' : 'run'} without limits`, missing);
      return result('pass', `${count(ok.length, 'service')} ${ok.length === 1 ? 'has' : 'have'} memory and CPU limits`, ok);
    }),
});

export const commandFlags = defineCheck({
  id: 'compose.command-flags',
  summary:
    "Selected services' command lines carry one of the given flags (e.g. NATS's --user or --auth); a config-file flag only warns, since the file decides.",
  params: z.strictObject({
    ...Pick,
    /** Flags that settle it, e.g. `--user`, `--auth`; `--flag=value` counts too. */
    anyOf: z.array(z.string().regex(/^-/, 'a flag such as --user')).min(1),
    /** Flags that hand the question to a config file (e.g. `-c`, `--config`): warn, naming the file. */
    deferTo: z.array(z.string().regex(/^-/, 'a flag such as --config')).default([]),
    /** Words for what the flags give, used in messages: "authentication". */
    expect: z.string().default('the required flag'),
  }),
  run: (ctx, p) =>
    withCompose(ctx, (model) => {
      const services = pick(model, p);
      if (services.length === 0) return result('skip', 'none of the selected services is defined');
      const has = (words: string[], flags: string[]) => words.find((w) => flags.some((f) => w === f || w.startsWith(`${f}=`)));
      const bad: Evidence[] = [];
      const deferred: Evidence[] = [];
      const good: Evidence[] = [];
      for (const s of services) {
        const words = s.command?.value ?? [];
        const at = s.command ? {file: s.command.file, line: s.command.line} : {file: s.file, line: s.line};
        const e = {...at, key: `${s.name}.command`};
        const found = has(words, p.anyOf);
        if (found) {
          good.push({...e, detail: `service ${s.name} runs with ${found.split('=')[0]}`});
          continue;
        }
        const config = words.findIndex((w) => p.deferTo.some((f) => w === f || w.startsWith(`${f}=`)));
        if (config >= 0) {
          const file = words[config]!.includes('=') ? words[config]!.split('=').slice(1).join('=') : (words[config + 1] ?? '?');
          deferred.push({...e, detail: `service ${s.name} reads its settings from ${file}: make sure it sets ${p.expect}${profiled(s)}`});
          continue;
        }
        bad.push({
          ...e,
          detail: s.command
            ? `service ${s.name} runs without ${p.anyOf.join(', ')}: no ${p.expect}${profiled(s)}`
            : `service ${s.name} runs its image's default command: no ${p.expect} is set here${profiled(s)}`,
        });
      }
      if (bad.length > 0)
        return result('fail', `${count(bad.length, 'service')} ${bad.length === 1 ? 'runs' : 'run'} without ${p.expect}`, [...bad, ...deferred]);
      if (deferred.length > 0) return result('warn', `${p.expect} is left to a config file Shipshape does not read`, [...deferred, ...good]);
      return result('pass', `${count(good.length, 'service')} ${good.length === 1 ? 'runs' : 'run'} with ${p.expect}`, good);
    }),
});

export const noRootGroup = defineCheck({
  id: 'compose.no-root-group',
  summary: 'No service is added to group 0 (root) through group_add, including by a ${VAR:-0} fallback when the variable is unset.',
  params: z.strictObject({...Pick}),
  run: (ctx, p) =>
    withCompose(ctx, (model) => {
      const bad: Evidence[] = [];
      const good: Evidence[] = [];
      for (const s of pick(model, p)) {
        for (const g of s.groupAdd) {
          const e = {file: g.file, line: g.line, key: `${s.name}.group_add`};
          const root = g.value === '0' || g.value.toLowerCase() === 'root';
          if (!root) {
            good.push({...e, detail: `service ${s.name} joins group ${g.value}`});
            continue;
          }
          const unset = g.refs.filter((r) => model.dotenv?.entries.get(r)?.value === undefined || model.dotenv.entries.get(r)!.value === '');
          bad.push({
            ...e,
            detail:
              g.usedDefault && unset.length > 0
                ? `service ${s.name}: ${g.raw} falls back to group 0 (root) because ${unset.join(', ')} is not set in ${model.dotenv?.file ?? '.env'}${profiled(s)}`
                : `service ${s.name} joins group 0 (root)${g.refs.length > 0 ? ` (${g.refs.join(', ')} is 0)` : ''}${profiled(s)}`,
          });
        }
      }
      if (bad.length > 0)
        return result(
          'fail',
          `${count(bad.length, 'service')} ${bad.length === 1 ? 'runs' : 'run'} with the root group: root-owned files on its mounts are writable`,
          bad,
        );
      return result(
        'pass',
        good.length > 0 ? `no service joins the root group (${count(good.length, 'group_add entry', 'group_add entries')})` : 'no service adds groups',
        good,
      );
    }),
});

export const envSet = defineCheck({
  id: 'compose.env',
  summary: "Each selected service's environment sets the keys, optionally matching a pattern.",
  params: z.strictObject({
    ...Pick,
    keys: z.array(EnvKey).min(1),
    pattern: z.string().optional(),
    expect: z.string().default('set'),
    /** Force redaction; names that look like credentials are always redacted. */
    secret: z.boolean().default(false),
    /**
     * Judge the wiring, not the value: a `${VAR}` reference (or a bare `- KEY` pass-through)
     * counts as passing the key to the service, whatever .env holds; the value is other steps' work.
     */
    reference: z.boolean().default(false),
  }),
  run: (ctx, p) =>
    withCompose(ctx, (model) => {
      const re = p.pattern === undefined ? undefined : new RegExp(p.pattern);
      const services = pick(model, p);
      if (services.length === 0) return result('skip', 'none of the selected services is defined');
      const bad: Evidence[] = [];
      const good: Evidence[] = [];
      for (const s of services) {
        for (const key of p.keys) {
          const v = s.environment.get(key);
          const value = v?.value;
          const e = {file: v?.file ?? s.file, line: v?.line ?? s.line, key: `${s.name}.${key}`};
          const refs = v?.interpolation?.refs ?? [];
          if (p.reference && v && !v.envFile && (v.raw === undefined || refs.length > 0)) {
            good.push({
              ...e,
              detail: v.raw === undefined ? `${key} is passed through from the environment` : `${key} is passed from \${${refs.join('}, ${')}}`,
            });
            continue;
          }
          const ok = value !== undefined && value !== '' && (!re || re.test(value));
          if (ok) good.push({...e, detail: `${key} = ${display(key, value, p.secret)}`});
          else
            bad.push({
              ...e,
              detail:
                value === undefined || value === '' ? `service ${s.name} does not set ${key}` : `${key} = ${display(key, value, p.secret)} is not ${p.expect}`,
            });
        }
      }
      if (bad.length > 0) return result('fail', `${count(bad.length, 'setting')} missing or not ${p.expect}`, bad);
      return result('pass', `${count(good.length, 'setting')} ${good.length === 1 ? 'is' : 'are'} ${p.expect}`, good);
    }),
});

export const noLiteral = defineCheck({
  id: 'compose.no-literal',
  summary: 'Credentials are drawn from .env (${VAR}) instead of being written into the Compose file.',
  params: z.strictObject({
    ...Pick,
    keys: z.array(EnvKey).min(1),
    /** `warn` for copies that are a hygiene problem rather than an exposure. */
    level: z.enum(['fail', 'warn']).default('fail'),
  }),
  run: (ctx, p) =>
    withCompose(ctx, (model) => {
      const literal: Evidence[] = [];
      let seen = 0;
      for (const s of pick(model, p)) {
        for (const key of p.keys) {
          // The effective entry, and any an opt-in overlay replaced (still used without the overlay).
          for (const v of [...s.shadowedEnv.filter((x) => x.key === key), s.environment.get(key)]) {
            if (!v || v.envFile) continue;
            seen++;
            if (v.literal && v.value !== '') {
              const when = v === s.environment.get(key) ? '' : withoutOverlay(model, s);
              literal.push({
                file: v.file,
                line: v.line,
                key: `${s.name}.${key}`,
                detail: `service ${s.name} has ${key} written in ${v.file} (${redact(v.value)})${when}; editing .env will not change it`,
              });
            }
          }
        }
      }
      if (literal.length > 0) return result(p.level, `${literal.length} credentials are written into the Compose file`, literal);
      return result(
        'pass',
        seen > 0 ? `${seen === 1 ? 'the setting comes' : `${seen} settings all come`} from the environment` : 'none of these keys is set in the Compose file',
      );
    }),
});
