// compose-harden: the hardening a production checklist asks of every Compose service, written
// either as an override file that Docker Compose reads after the base file (the base stays as
// its tool wrote it: `the0 local` rewrites its own) or into the files themselves through the
// yaml Document API (comments, anchors and merge keys kept). Literal credentials leave the
// Compose file through the secret targets (targets.ts), as `${VAR}` with the value in the .env.
import {Document, isAlias, isMap, isScalar, isSeq, type Node, type YAMLMap, type YAMLSeq} from 'yaml';
import type {Context} from '../engine/context.js';
import {looksSecret} from '../engine/redact.js';
import {
  buildComposeModel,
  type ComposeModel,
  type ComposePort,
  type ComposeService,
  imageBaseName,
  imageTag,
  isLoopback,
  parsePort,
} from '../sources/compose.js';
import {globToRegExp} from '../sources/glob.js';
import {interpolate} from '../sources/interpolate.js';
import {type PathKey, parseYaml, type YamlFile} from '../sources/yamlDoc.js';
import {editYaml} from '../write/yamlEdit.js';
import {defineGenerator, type Generation, type GeneratorOptions} from './define.js';
import {Edits, TargetError, writeTargets} from './targets.js';

/** The parts of the hardening; a pack item asks for the ones it is about (`only:`). */
export const COMPOSE_PARTS = ['ports', 'restart', 'logging', 'no-new-privileges', 'limits', 'healthcheck', 'tags', 'credentials'] as const;
export type ComposePart = (typeof COMPOSE_PARTS)[number];

interface Kind {
  /** A database, broker or admin console: its ports stay on loopback. */
  private: boolean;
  /** A test the image can run on itself, with tools the official image ships. */
  healthcheck?: string[];
  /** Memory and CPU limits when the pack gives none. */
  memory: string;
}

const PG = ['CMD-SHELL', 'pg_isready -U "$${POSTGRES_USER:-postgres}" -d "$${POSTGRES_DB:-$${POSTGRES_USER:-postgres}}"'];
const DB: Kind = {private: true, memory: '1G'};
/** Image names (without registry and tag) we know something about. */
const KINDS: Record<string, Kind> = {
  postgres: {...DB, healthcheck: PG},
  postgis: {...DB, healthcheck: PG},
  timescaledb: {...DB, healthcheck: PG},
  // mongosh's ping needs no login.
  mongo: {...DB, healthcheck: ['CMD', 'mongosh', '--quiet', '--eval', "db.adminCommand('ping').ok"]},
  // With requirepass, ping answers NOAUTH: the server is up either way.
  redis: {...DB, memory: '512M', healthcheck: ['CMD-SHELL', "redis-cli ping | grep -Eq 'PONG|NOAUTH'"]},
  valkey: {...DB, memory: '512M', healthcheck: ['CMD-SHELL', "valkey-cli ping | grep -Eq 'PONG|NOAUTH'"]},
  mariadb: {...DB, healthcheck: ['CMD', 'healthcheck.sh', '--connect', '--innodb_initialized']},
  // mysqladmin ping exits 0 whenever the server answers, even with access denied.
  mysql: {...DB, healthcheck: ['CMD', 'mysqladmin', 'ping', '-h', '127.0.0.1']},
  minio: {...DB, healthcheck: ['CMD', 'mc', 'ready', 'local']},
  rabbitmq: {...DB, healthcheck: ['CMD', 'rabbitmq-diagnostics', '-q', 'ping']},
  // The nats image has no shell or HTTP client to probe its /healthz with.
  nats: {...DB, memory: '512M'},
  memcached: {...DB, memory: '512M'},
  elasticsearch: DB,
  opensearch: DB,
  cockroach: DB,
  clickhouse: DB,
  'clickhouse-server': DB,
  kafka: DB,
  etcd: {...DB, memory: '512M'},
  influxdb: DB,
  adminer: {private: true, memory: '256M'},
  pgadmin4: {private: true, memory: '512M'},
  'mongo-express': {private: true, memory: '256M'},
  phpmyadmin: {private: true, memory: '256M'},
  redisinsight: {private: true, memory: '512M'},
};
const OTHER: Kind = {private: false, memory: '512M'};
/** Service names that mean a datastore even when the image is a custom one. */
const PRIVATE_NAMES = new Set([
  'postgres',
  'postgresql',
  'db',
  'database',
  'mongo',
  'mongodb',
  'redis',
  'valkey',
  'nats',
  'minio',
  'mysql',
  'mariadb',
  'rabbitmq',
]);

/** The override files Docker Compose reads after the base without -f, the first found winning. */
const DOCKER_OVERRIDES = ['compose.override.yml', 'compose.override.yaml', 'docker-compose.override.yml', 'docker-compose.override.yaml'];
const HEALTH_TIMING = {interval: '10s', timeout: '5s', retries: 5, start_period: '30s'};
const NNP = 'no-new-privileges:true';
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** What one service gets, worked out from the files as Compose merges them. */
interface ServicePlan {
  name: string;
  /** The ports as they should be (all of them), or undefined to leave them. */
  ports?: {list: ComposePort[]; remove: boolean};
  restart?: string;
  logging?: Record<string, unknown>;
  securityOpt?: unknown[];
  memory?: {value: string; style: 'deploy' | 'top'};
  cpus?: {value: string | number; style: 'deploy' | 'top'};
  healthcheck?: Record<string, unknown>;
  image?: string;
  /** For people: one phrase per change. */
  said: string[];
}

export const composeHarden = defineGenerator({
  id: 'compose-harden',
  summary:
    'Hardens every Compose service: datastore and console ports on 127.0.0.1, restart unless-stopped, log rotation, no-new-privileges, memory and CPU limits, healthchecks for known images, latest tags pinned to the tags given, literal credentials moved to .env; as an override file or in place.',
  config: true,
  async generate(input): Promise<Generation> {
    const {ctx, options} = input;
    const edits = input.edits ?? new Edits(ctx);
    const notes: string[] = [];
    const done = (): Generation => ({
      get changes() {
        return edits.changeSet();
      },
      made: {value: ''},
      notes,
    });
    const model = await ctx.compose();
    if (!model) {
      notes.push('no Compose file in this deployment: nothing to harden');
      return done();
    }
    const parts = partsOf(options);
    const files = await Promise.all(model.files.map((f) => ctx.yaml(f)));
    const plans = planServices(model, files, options, parts, notes);
    const mode = options.mode ?? 'override';
    if (mode !== 'override' && mode !== 'in-place') throw new Error(`mode ${String(mode)}: choose override or in-place`);
    if (plans.some((p) => p.said.length > 0)) {
      if (mode === 'override') await writeOverride(ctx, model, plans, options, edits, notes);
      else await writeInPlace(model, files, plans, edits, notes);
      for (const p of plans) if (p.said.length > 0) edits.summary.push(`service ${p.name}: ${p.said.join('; ')}`);
    }
    if (parts.has('credentials')) notes.push(...(await moveCredentials(ctx, model, options, edits)));
    return done();
  },
});

function partsOf(options: GeneratorOptions): Set<ComposePart> {
  const only = options.only ?? [...COMPOSE_PARTS];
  for (const p of only) {
    if (!(COMPOSE_PARTS as readonly string[]).includes(p)) throw new Error(`only: ${p} is not a part of compose-harden (${COMPOSE_PARTS.join(', ')})`);
  }
  return new Set(only as ComposePart[]);
}

function bodyOf(y: YamlFile, service: string): Record<string, unknown> | undefined {
  const b = (y.data as {services?: Record<string, unknown>} | null)?.services?.[service];
  return b !== null && typeof b === 'object' && !Array.isArray(b) ? (b as Record<string, unknown>) : undefined;
}

/** A service's field as the last file that sets it has it (what the checks read, as Compose's override rule gives). */
function lastOf(files: YamlFile[], service: string, field: string): unknown {
  for (let i = files.length - 1; i >= 0; i--) {
    const b = bodyOf(files[i]!, service);
    if (b && Object.hasOwn(b, field)) return b[field];
  }
  return undefined;
}

/** The last file that sets the field for the service; undefined when none does. */
function fileOf(files: YamlFile[], service: string, field: string): YamlFile | undefined {
  for (let i = files.length - 1; i >= 0; i--) {
    const b = bodyOf(files[i]!, service);
    if (b && Object.hasOwn(b, field)) return files[i];
  }
  return undefined;
}

function kindOf(s: ComposeService): Kind {
  const base = s.image ? imageBaseName(s.image.value).toLowerCase() : undefined;
  if (base && KINDS[base]) return KINDS[base];
  return PRIVATE_NAMES.has(s.name) ? {...DB, memory: '512M'} : OTHER;
}

/** Services others wait for with service_completed_successfully: they run once and exit. */
function oneShots(model: ComposeModel, files: YamlFile[]): Set<string> {
  const out = new Set<string>();
  for (const s of model.services.values()) {
    const deps = lastOf(files, s.name, 'depends_on');
    if (deps === null || typeof deps !== 'object' || Array.isArray(deps)) continue;
    for (const [name, spec] of Object.entries(deps as Record<string, unknown>)) {
      if ((spec as {condition?: unknown} | null)?.condition === 'service_completed_successfully') out.add(name);
    }
  }
  return out;
}

const BOUNDED_DRIVERS = new Set(['local', 'journald', 'syslog', 'fluentd', 'gelf', 'awslogs', 'splunk', 'gcplogs', 'logentries', 'etwlogs', 'none']);

function planServices(model: ComposeModel, files: YamlFile[], o: GeneratorOptions, parts: Set<ComposePart>, notes: string[]): ServicePlan[] {
  const once = oneShots(model, files);
  const plans: ServicePlan[] = [];
  for (const s of model.services.values()) {
    if (o.services && !o.services.includes(s.name)) continue;
    const kind = kindOf(s);
    const plan: ServicePlan = {name: s.name, said: []};
    plans.push(plan);

    if (parts.has('ports') && (kind.private || o.private?.includes(s.name))) {
      const open = s.ports.filter((p) => !isLoopback(p.hostIp));
      if (open.length > 0 || (o.publish === 'remove' && s.ports.length > 0)) {
        const remove = o.publish === 'remove';
        plan.ports = {list: s.ports, remove};
        plan.said.push(remove ? `ports ${s.ports.map((p) => p.raw).join(', ')} removed` : `ports ${open.map((p) => p.raw).join(', ')} bound to 127.0.0.1`);
      }
    }
    if (parts.has('restart') && !once.has(s.name)) {
      const restart = lastOf(files, s.name, 'restart');
      const condition = (lastOf(files, s.name, 'deploy') as {restart_policy?: {condition?: unknown} | null} | null | undefined)?.restart_policy?.condition;
      if (restart !== 'unless-stopped' && restart !== 'always' && !(restart === undefined && condition === 'any')) {
        plan.restart = 'unless-stopped';
        plan.said.push('restart unless-stopped');
      }
    }
    if (parts.has('logging')) {
      const raw = lastOf(files, s.name, 'logging');
      const cfg = (raw && typeof raw === 'object' ? raw : {}) as {driver?: unknown; options?: Record<string, unknown> | null};
      const driver = typeof cfg.driver === 'string' ? cfg.driver : 'json-file';
      const options = cfg.options && typeof cfg.options === 'object' ? cfg.options : {};
      if (!BOUNDED_DRIVERS.has(driver) && (driver === 'json-file' || raw === undefined || raw === null)) {
        if (options['max-size'] === undefined || options['max-file'] === undefined) {
          const size = String(options['max-size'] ?? o.logMaxSize ?? '10m');
          const count = String(options['max-file'] ?? o.logMaxFile ?? 3);
          plan.logging = {driver: 'json-file', options: {...options, 'max-size': size, 'max-file': count}};
          plan.said.push(`json-file logs rotated at ${size}, ${count} files kept`);
        }
      }
    }
    if (parts.has('no-new-privileges')) {
      const raw = lastOf(files, s.name, 'security_opt');
      const list = Array.isArray(raw) ? raw : [];
      const text = list.map((v) => String(v).trim());
      const on = text.some((t) => /^no-new-privileges(?:[:=](?:true|1))?$/i.test(t));
      if (!on) {
        plan.securityOpt = [...list.filter((v) => !/^no-new-privileges[:=](?:false|0)$/i.test(String(v).trim())), NNP];
        plan.said.push('security_opt no-new-privileges:true');
      }
    }
    if (parts.has('limits')) {
      const own = o.limits?.[s.name];
      // mem_limit beside deploy.resources.limits.memory with another value is an error in Compose: keep one style per service.
      const top = lastOf(files, s.name, 'mem_limit') !== undefined || lastOf(files, s.name, 'cpus') !== undefined;
      const style = top ? 'top' : 'deploy';
      if (!s.memLimit) {
        plan.memory = {value: own?.memory ?? o.memory ?? kind.memory, style};
        plan.said.push(`memory limit ${plan.memory.value}`);
      }
      if (!s.cpus) {
        plan.cpus = {value: own?.cpus ?? o.cpus ?? 1, style};
        plan.said.push(`CPU limit ${plan.cpus.value}`);
      }
    }
    if (parts.has('healthcheck') && !once.has(s.name) && lastOf(files, s.name, 'healthcheck') === undefined) {
      if (kind.healthcheck) {
        plan.healthcheck = {test: kind.healthcheck, ...HEALTH_TIMING};
        plan.said.push(`healthcheck ${kind.healthcheck.slice(1).join(' ')}`);
      } else if (!s.build) {
        // A guessed probe that fails would mark a working service unhealthy: say so, write nothing.
        notes.push(
          `service ${s.name}: no healthcheck is known for ${s.image?.value ?? 'its image'}; add one that proves it answers (an HTTP /health request, a CLI ping)`,
        );
      }
    }
    if (parts.has('tags') && s.image) {
      const tag = imageTag(s.image.value);
      if (tag === 'latest' || tag === '') {
        const base = imageBaseName(s.image.value);
        const want = o.tags?.[s.name] ?? o.tags?.[base];
        if (want === undefined) {
          notes.push(`service ${s.name}: ${s.image.value} floats on latest; no tag was given for it, so it is left as it is (add tags: {${s.name}: VERSION})`);
        } else if (!TAG.test(want) && !DIGEST.test(want)) {
          throw new Error(`tags.${s.name}: ${want} is neither an image tag nor a sha256 digest`);
        } else {
          plan.image = withTag(s.image.value, want);
          plan.said.push(`image ${plan.image}`);
        }
      }
    }
  }
  return plans;
}

/** The image reference with its tag replaced (or a digest put in its place). */
function withTag(image: string, tag: string): string {
  const slash = image.lastIndexOf('/');
  const last = image.slice(slash + 1);
  const colon = last.indexOf(':');
  const name = image.slice(0, slash + 1) + (colon < 0 ? last : last.slice(0, colon));
  return DIGEST.test(tag) ? `${name}@${tag}` : `${name}:${tag}`;
}

/** A port in the short syntax, on loopback. */
function loopbackPort(p: ComposePort): string {
  const host = isLoopback(p.hostIp) ? (p.hostIp!.includes(':') ? `[${p.hostIp}]` : p.hostIp!) : '127.0.0.1';
  return `${host}:${p.published ?? ''}:${p.target}${p.protocol === 'tcp' ? '' : `/${p.protocol}`}`;
}

function flowSeq(doc: Document, items: unknown[], tag?: string): YAMLSeq {
  const seq = doc.createNode(items) as YAMLSeq;
  seq.flow = items.every((i) => typeof i === 'string' && i.length < 60) && items.length <= 6;
  if (tag) seq.tag = tag;
  return seq;
}

/** The settings every mode writes the same way, under `services.NAME` of `doc`; `logs`: an anchored logging block to point to. */
function setCommon(doc: Document, name: string, p: ServicePlan, tagLists: boolean, logs?: Node): void {
  const at = (...k: PathKey[]) => ['services', name, ...k];
  if (p.restart) doc.setIn(at('restart'), p.restart);
  if (p.logging) doc.setIn(at('logging'), logs ? doc.createAlias(logs as YAMLMap) : doc.createNode(p.logging));
  if (p.securityOpt) doc.setIn(at('security_opt'), flowSeq(doc, p.securityOpt, tagLists && p.securityOpt.length > 1 ? '!override' : undefined));
  if (p.memory) doc.setIn(p.memory.style === 'top' ? at('mem_limit') : at('deploy', 'resources', 'limits', 'memory'), p.memory.value);
  if (p.cpus) doc.setIn(p.cpus.style === 'top' ? at('cpus') : at('deploy', 'resources', 'limits', 'cpus'), p.cpus.value);
  if (p.healthcheck) {
    const {test, ...rest} = p.healthcheck;
    doc.setIn(at('healthcheck'), doc.createNode({test: flowSeq(doc, test as unknown[]), ...rest}));
  }
  if (p.image) doc.setIn(at('image'), p.image);
}

/**
 * Override mode: one override file that Docker Compose reads after the base by itself (the
 * first of compose.override.yml, compose.override.yaml, docker-compose.override.yml,
 * docker-compose.override.yaml); the one already there is edited, comments kept. Ports are
 * written whole with `!override` (or `!reset []`), since Compose otherwise adds an override's
 * ports to the base's.
 */
async function writeOverride(ctx: Context, model: ComposeModel, plans: ServicePlan[], o: GeneratorOptions, edits: Edits, notes: string[]): Promise<void> {
  const base = model.files[0]!;
  const dir = base.includes('/') ? base.slice(0, base.lastIndexOf('/') + 1) : '';
  const existing = model.files.slice(1).at(-1);
  const target = o.file ?? existing ?? `${dir}${/(^|\/)docker-compose\.ya?ml$/.test(base) ? 'docker-compose.override.yml' : 'compose.override.yaml'}`;
  const name = target.slice(target.lastIndexOf('/') + 1);
  if (!DOCKER_OVERRIDES.includes(name) || target.slice(0, target.length - name.length) !== dir)
    notes.push(
      `${target} is not a file Docker Compose reads by itself: run docker compose -f ${base} -f ${target}, or set COMPOSE_FILE=${base}:${target} in the .env`,
    );
  if (!ctx.pack.files.composeOverrides.some((g) => globToRegExp(g).test(target)))
    notes.push(`the pack ${ctx.pack.id} reads no override file named ${target}, so its checks will not see it: add it to files.composeOverrides`);
  if (plans.some((p) => p.ports || (p.securityOpt && p.securityOpt.length > 1)))
    notes.push('the override file uses !override or !reset, which need Docker Compose 2.24.4 or later; check with: docker compose config');
  const apply = (doc: Document, logs?: Node) => {
    if (!isMap(doc.get('services', true))) doc.set('services', doc.createNode({}));
    for (const p of plans) {
      if (p.said.length === 0) continue;
      setCommon(doc, p.name, p, true, logs);
      if (p.ports) {
        const list = p.ports.remove ? [] : p.ports.list.map(loopbackPort);
        doc.setIn(['services', p.name, 'ports'], flowSeq(doc, list, p.ports.remove ? '!reset' : '!override'));
      }
    }
  };
  const what = `${target}: hardening over ${base}`;
  await edits.edit(
    target,
    false,
    (text) => {
      if (text.trim() === '') {
        const doc = new Document({});
        const sizes = plans.some((p) => p.memory || p.cpus) ? '; the memory and CPU limits are defaults: change them to what each service needs' : '';
        doc.commentBefore = ` Hardening over ${base}, written by shipshape generate (compose-harden).\n Docker Compose reads this file after ${base}${sizes}.`;
        // One logging block, anchored, when every service gets the same one.
        const logging = plans.filter((p) => p.logging).map((p) => JSON.stringify(p.logging));
        let logs: Node | undefined;
        if (logging.length > 1 && new Set(logging).size === 1) {
          logs = doc.createNode(plans.find((p) => p.logging)!.logging) as Node;
          (logs as YAMLMap).anchor = 'rotated-logs';
          doc.set('x-logging', logs);
        }
        doc.set('services', doc.createNode({}));
        apply(doc, logs);
        return checked(doc.toString({lineWidth: 0, flowCollectionPadding: false}), target);
      }
      return checked(
        editYaml(text, (doc) => apply(doc), target),
        target,
      );
    },
    what,
  );
}

/** In-place mode: each setting goes into the file whose value Compose uses for it. */
async function writeInPlace(model: ComposeModel, files: YamlFile[], plans: ServicePlan[], edits: Edits, notes: string[]): Promise<void> {
  const ops = new Map<string, ((doc: Document) => void)[]>();
  const add = (file: string, op: (doc: Document) => void) => {
    const list = ops.get(file) ?? [];
    list.push(op);
    ops.set(file, list);
  };
  const lookup = (name: string) => model.dotenv?.entries.get(name)?.value;
  for (const p of plans) {
    if (p.said.length === 0) continue;
    const svc = model.services.get(p.name)!;
    const home = (field: string) => (fileOf(files, p.name, field) ?? files.find((f) => f.file === svc.file)!).file;
    const byFile = new Map<string, ServicePlan>();
    const part = (file: string) => {
      let q = byFile.get(file);
      if (!q) {
        q = {name: p.name, said: []};
        byFile.set(file, q);
      }
      return q;
    };
    if (p.restart) part(home('restart')).restart = p.restart;
    if (p.logging) part(home('logging')).logging = p.logging;
    if (p.securityOpt) part(home('security_opt')).securityOpt = p.securityOpt;
    if (p.memory) part(home(p.memory.style === 'top' ? 'mem_limit' : 'deploy')).memory = p.memory;
    if (p.cpus) part(home(p.cpus.style === 'top' ? 'cpus' : 'deploy')).cpus = p.cpus;
    if (p.healthcheck) part(home('healthcheck')).healthcheck = p.healthcheck;
    if (p.image) {
      const y = fileOf(files, p.name, 'image')!;
      const raw = bodyOf(y, p.name)?.image;
      if (typeof raw === 'string' && raw.includes('$')) {
        notes.push(`service ${p.name}: the image is read from a variable (${raw}); set the tag where that variable is defined`);
      } else part(y.file).image = p.image;
    }
    for (const [file, q] of byFile) add(file, (doc) => setCommon(doc, p.name, q, false));
    if (p.ports) {
      for (const y of files) {
        if (!Array.isArray(bodyOf(y, p.name)?.ports)) continue;
        add(y.file, (doc) => rewritePorts(doc, y, p.name, p.ports!.remove, lookup, notes));
      }
    }
  }
  for (const [file, list] of ops) {
    await edits.edit(
      file,
      false,
      (text) =>
        checked(
          editYaml(
            text,
            (doc) => {
              for (const op of list) {
                const svc = doc.getIn(['services'], true);
                if (!isMap(svc)) throw new Error('services: is not a mapping');
                op(doc);
              }
            },
            file,
          ),
          file,
        ),
      `${file}: hardened in place`,
    );
  }
}

/** The non-loopback ports of one service in one file, bound to 127.0.0.1 (or removed), entry by entry. */
function rewritePorts(doc: Document, y: YamlFile, name: string, remove: boolean, lookup: (n: string) => string | undefined, notes: string[]): void {
  const node = doc.getIn(['services', name, 'ports'], true) as Node | undefined;
  if (!isSeq(node)) {
    if (isAlias(node)) notes.push(`service ${name}: its ports are an alias to a shared list; bind them to 127.0.0.1 where the anchor is defined`);
    return;
  }
  const str = (v: unknown) => interpolate(String(v), lookup).value;
  const keep: unknown[] = [];
  node.items.forEach((item, n) => {
    const entry = isScalar(item) ? item.value : isMap(item) ? (item as YAMLMap).toJSON() : undefined;
    let port: ComposePort;
    try {
      port = parsePort(entry, y, ['services', name, 'ports', n], str);
    } catch {
      keep.push(item);
      return;
    }
    if (isLoopback(port.hostIp)) {
      keep.push(item);
      return;
    }
    if (remove) return;
    if (isMap(item)) {
      item.set('host_ip', '127.0.0.1');
      keep.push(item);
      return;
    }
    const raw = String((item as {value: unknown}).value);
    let next: string | undefined;
    if (port.hostIp === undefined) next = port.published === undefined ? `127.0.0.1::${raw}` : `127.0.0.1:${raw}`;
    else if (!raw.includes('$')) next = raw.startsWith('[') ? `127.0.0.1${raw.slice(raw.indexOf(']') + 1)}` : `127.0.0.1${raw.slice(raw.indexOf(':'))}`;
    if (next === undefined) {
      notes.push(`service ${name}: port ${raw} takes its host address from a variable; set that variable to 127.0.0.1`);
      keep.push(item);
      return;
    }
    // The node itself changes, so its comment and quoting stay with it.
    (item as {value: unknown}).value = next;
    keep.push(item);
  });
  if (keep.length === 0) doc.deleteIn(['services', name, 'ports']);
  else node.items = keep as typeof node.items;
}

/** The edited text must still be one Compose file our own model reads; else the edit is refused. */
function checked(text: string, file: string): string {
  const y = parseYaml(text, file);
  // env_file contents do not matter here, only that every file reads: each is taken as empty.
  buildComposeModel({files: [y], readEnvFile: (rel) => ({file: rel, entries: new Map(), duplicates: new Map()})});
  return text;
}

/**
 * Literal credentials in `environment:` become `${VAR}` with the value in the .env beside the
 * Compose file, by the secret targets' own code (compose: and url:compose: targets). A key
 * with different literal values in different services, or whose .env value differs, is left
 * with a note: which value is right is the person's call.
 */
async function moveCredentials(ctx: Context, model: ComposeModel, o: GeneratorOptions, edits: Edits): Promise<string[]> {
  const notes: string[] = [];
  const extra = new Set(o.keys ?? []);
  const literals = new Map<string, {service: string; value: string}[]>();
  const urls: {service: string; key: string; password: string}[] = [];
  for (const s of model.services.values()) {
    if (o.services && !o.services.includes(s.name)) continue;
    for (const v of s.environment.values()) {
      if (v.envFile || !v.literal || v.raw === undefined || v.value === undefined || v.value === '') continue;
      const url = /^[a-z][a-z0-9+.-]*:\/\/[^:@/?#]+:([^@/?#]+)@/i.exec(v.raw);
      if (url) {
        let password = url[1]!;
        try {
          password = decodeURIComponent(password);
        } catch {
          /* as written */
        }
        urls.push({service: s.name, key: v.key, password});
      } else if (looksSecret(v.key) || extra.has(v.key)) {
        const list = literals.get(v.key) ?? [];
        list.push({service: s.name, value: v.value});
        literals.set(v.key, list);
      }
    }
  }
  const dotenv = model.dotenv;
  const moved = new Map<string, string>();
  for (const [key, list] of literals) {
    const values = new Set(list.map((l) => l.value));
    if (values.size > 1) {
      notes.push(
        `${key} has ${values.size} different literal values (services ${list.map((l) => l.service).join(', ')}); decide which is right, then run again`,
      );
      continue;
    }
    const value = [...values][0]!;
    const had = dotenv?.entries.get(key)?.value;
    if (had !== undefined && had !== value) {
      notes.push(`${key} is written in the Compose file, and the .env holds a different ${key}; decide which is right, then run again`);
      continue;
    }
    try {
      await writeTargets(
        ctx,
        list.map((l) => `compose:${l.service}.environment.${key}`),
        {value},
        edits,
      );
    } catch (err) {
      // Another item of this run writes a new value there (a secret generator): it moves the literal itself.
      if (!isRunConflict(err)) notes.push(`${key}: ${(err as Error).message}`);
      continue;
    }
    moved.set(value, key);
  }
  for (const u of urls) {
    if (encodeURIComponent(u.password) !== u.password) {
      notes.push(`${u.key} of service ${u.service}: its password has characters a URL must encode, which Compose interpolation would not; move it by hand`);
      continue;
    }
    let ref = moved.get(u.password) ?? dotenvKeyWith(model, u.password);
    if (!ref) {
      ref = `${u.key}_PASSWORD`;
      const had = dotenv?.entries.get(ref)?.value;
      if (had !== undefined && had !== u.password) {
        notes.push(`${u.key} of service ${u.service}: the .env already holds a different ${ref}; move the password by hand`);
        continue;
      }
      moved.set(u.password, ref);
    }
    try {
      await writeTargets(ctx, [`url:compose:${u.service}.environment.${u.key}=${ref}`], {value: u.password}, edits);
    } catch (err) {
      if (!isRunConflict(err)) notes.push(`${u.key} of service ${u.service}: ${(err as Error).message}`);
    }
  }
  if (moved.size > 0) notes.push('the moved values are the ones in use, unchanged: the secret generators of the other items replace shipped ones');
  return notes;
}

/** The error Edits.claim gives when an earlier item of the run already writes another value to the place. */
export function isRunConflict(err: unknown): boolean {
  return err instanceof TargetError && /would get two different generated values in one run/.test(err.message);
}

function dotenvKeyWith(model: ComposeModel, value: string): string | undefined {
  for (const e of model.dotenv?.entries.values() ?? []) if (e.value === value && looksSecret(e.key)) return e.key;
  return undefined;
}
