import {z} from 'zod';
import type {Context} from '../engine/context.js';
import {redact} from '../engine/redact.js';
import {result, type CheckResult, type Evidence} from '../model/types.js';
import {defineCheck} from './define.js';
import {manifestLine, parseManifests, type Manifest} from '../sources/manifests.js';

export const WORKLOADS = ['Deployment', 'StatefulSet', 'DaemonSet'];

/** Room for `helm template` (20 s) or kubectl (15 s) when the checks read those instead of files. */
export const SOURCE_TIMEOUT_MS = 30_000;

/** Where objects come from, for checks that can read a live cluster as well as files. */
export const SourceShape = {
  /** `files`: the pack's rendered manifests (or `helm template` of the chart); `cluster`: `kubectl get`, only when asked. */
  source: z.enum(['files', 'cluster']).default('files'),
  /** kubectl context for `source: cluster` (default: the current one). */
  context: z.string().min(1).optional(),
  /** Namespace for `source: cluster`: a name, or `*` for all (default: the context's). */
  namespace: z.string().min(1).optional(),
};

/** A chart directory to render with `helm template` when no rendered manifests exist (default: the one with a Chart.yaml). */
export const ChartShape = {chart: z.string().min(1).optional()};

interface Where {
  source?: 'files' | 'cluster';
  /** Fall back to `helm template` when no rendered manifests exist (default true). */
  render?: boolean;
  chart?: string | undefined;
  context?: string | undefined;
  namespace?: string | undefined;
}

/**
 * Objects that do not come from a file under the root: from a cluster (no file) or rendered by
 * `helm template` (the chart template named in helm's `# Source:` comment). Lines in kubectl's or
 * helm's output mean nothing to a reader, so none are given.
 */
const ORIGIN = new WeakMap<Manifest, {file?: string}>();

export const Regex = z.string().refine((re) => {
  try {
    new RegExp(re, 'i');
    return true;
  } catch {
    return false;
  }
}, 'must be a valid regular expression');

/**
 * Runs `fn` on the deployment's objects: the rendered manifests; failing those, the chart rendered
 * with `helm template`; or, when asked (`source: cluster`), the live cluster through kubectl.
 * `kinds` are what to ask kubectl for.
 */
export async function withManifests(
  ctx: Context,
  fn: (m: Manifest[]) => CheckResult | Promise<CheckResult>,
  where: Where = {},
  kinds: readonly string[] = [],
  signal?: AbortSignal,
): Promise<CheckResult> {
  if (where.source === 'cluster') {
    const live = await fromCluster(ctx, kinds, where, signal);
    return 'objects' in live ? said(`${live.label}: `, await fn(live.objects)) : live;
  }
  const all = await ctx.manifests();
  if (all.length > 0) return fn(all);
  const looked = `no rendered manifests found (looked for ${ctx.pack.files.manifests.join(', ') || 'none configured'})`;
  const chart = where.render === false ? undefined : await chartDir(ctx, where.chart);
  if (typeof chart === 'object') return chart;
  if (chart === undefined) return result('skip', `${looked}; render them with helm template > rendered/all.yaml`);
  const rendered = await ctx.helmTemplate(chart);
  if (rendered === undefined) {
    const values = (await ctx.glob(ctx.pack.files.helmValues)).map((v) => ` -f ${v}`).join('');
    return result(
      'skip',
      `${looked}, and helm is not installed, so the chart in ${chart} could not be rendered: install helm, or render by hand with ` +
        `\`helm template <release> ${chart}${values} > rendered/all.yaml\` and list that file under files.manifests`,
    );
  }
  if (rendered.length === 0) return result('skip', `helm template rendered no objects from the chart in ${chart}`);
  for (const m of rendered) {
    const comment = (m.yaml.doc.contents as {commentBefore?: string | null} | null)?.commentBefore ?? m.yaml.doc.commentBefore ?? '';
    // `# Source: <chart name>/templates/x.yaml`: the path inside the chart directory follows the name.
    const inChart = /^\s*Source: [^/\s]+\/(\S.*)$/m.exec(comment)?.[1];
    ORIGIN.set(m, {file: inChart ? (chart === '.' ? inChart : `${chart}/${inChart}`) : chart});
  }
  return said(`rendered from the chart in ${chart} with helm template: `, await fn(rendered));
}

/** The result, its message saying where the objects came from. */
function said(prefix: string, r: CheckResult): CheckResult {
  return {...r, message: `${prefix}${r.message}`};
}

/** The chart to render: the one named, or (when the pack has values files) the shallowest directory with a Chart.yaml. */
async function chartDir(ctx: Context, named: string | undefined): Promise<string | undefined | CheckResult> {
  if (named !== undefined) {
    const dir = named.replace(/\/+$/, '') || '.';
    if (!ctx.isFile(`${dir}/Chart.yaml`)) return result('error', `chart ${dir} has no Chart.yaml`, [{file: dir, detail: 'not a Helm chart directory'}]);
    return dir;
  }
  if ((await ctx.glob(ctx.pack.files.helmValues)).length === 0) return undefined;
  // Subcharts (under charts/) are rendered by their parent.
  const charts = (await ctx.glob(['**/Chart.yaml'])).filter((f) => !/(^|\/)charts\//.test(f));
  charts.sort((a, b) => a.split('/').length - b.split('/').length);
  const first = charts[0];
  return first === undefined ? undefined : first.includes('/') ? first.slice(0, first.lastIndexOf('/')) : '.';
}

/** `kubectl get <kinds> -o json`, bounded in time; a skip or error that says why when there is no cluster to read. */
async function fromCluster(
  ctx: Context,
  kinds: readonly string[],
  where: Where,
  signal?: AbortSignal,
): Promise<{objects: Manifest[]; label: string} | CheckResult> {
  const resources = [...new Set(kinds.map((k) => `${k.toLowerCase()}s`))].join(',');
  const args = ['get', resources, '-o', 'json', '--request-timeout=10s'];
  if (where.context) args.push('--context', where.context);
  if (where.namespace === '*') args.push('--all-namespaces');
  else if (where.namespace) args.push('--namespace', where.namespace);
  const kubeconfig = process.env.KUBECONFIG;
  const r = await ctx.run('kubectl', args, {signal, timeoutMs: 15_000, ...(kubeconfig ? {env: {KUBECONFIG: kubeconfig}} : {})});
  if (r.missing) return result('skip', 'kubectl is not installed, so the cluster cannot be read (use source: files with rendered manifests)');
  const label = `cluster (context ${where.context ?? 'current'}, namespace ${where.namespace === '*' ? 'all' : (where.namespace ?? 'default for the context')})`;
  if (r.timedOut) return result('error', `kubectl did not answer within 15 s: ${label} is not reachable`);
  if (!r.ok) return result('error', `kubectl could not read the ${label}: ${kubectlReason(r.stderr) ?? r.reason ?? 'unknown reason'}`);
  return {objects: liveObjects(r.stdout, label), label};
}

/** What kubectl said went wrong: its last line that is not a klog trace. */
function kubectlReason(stderr: string): string | undefined {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^[EWI]\d{4} /.test(l));
  const last = lines.at(-1);
  return last === undefined ? undefined : last.length > 300 ? `${last.slice(0, 300)}…` : last;
}

/** The objects in `kubectl get -o json` output (a `kind: List`), as objects from the cluster. */
function liveObjects(json: string, label: string): Manifest[] {
  const all = parseManifests(json, label);
  for (const m of all) ORIGIN.set(m, {});
  return all;
}

export function podTemplate(m: Manifest): {spec: Record<string, unknown>; path: string[]} | undefined {
  const spec = m.data.spec as Record<string, unknown> | undefined;
  if (m.kind === 'Pod') return {spec: m.data, path: []};
  if (m.kind === 'CronJob') {
    const t = ((spec?.jobTemplate as Record<string, unknown>)?.spec as Record<string, unknown>)?.template as Record<string, unknown> | undefined;
    return t ? {spec: t, path: ['spec', 'jobTemplate', 'spec', 'template']} : undefined;
  }
  const t = spec?.template as Record<string, unknown> | undefined;
  return t ? {spec: t, path: ['spec', 'template']} : undefined;
}

export function at(m: Manifest, path: (string | number)[], key?: string): Pick<Evidence, 'file' | 'line' | 'key'> {
  const origin = ORIGIN.get(m);
  if (!origin) return {file: m.file, line: manifestLine(m, path), key: key ?? `${m.kind}/${m.name}`};
  // Without a file:line, the namespace helps tell objects apart.
  return {...(origin.file ? {file: origin.file} : {}), key: key ?? `${m.kind}/${m.namespace ? `${m.namespace}/` : ''}${m.name}`};
}

export const podAnnotation = defineCheck({
  id: 'k8s.pod-annotation',
  timeoutMs: SOURCE_TIMEOUT_MS,
  summary: "Every workload's pod template carries an annotation (e.g. checksum/chart-version, so upgrades roll pods).",
  params: z.strictObject({
    key: z.string().min(1),
    kinds: z.array(z.string()).default(WORKLOADS),
    ...ChartShape,
  }),
  run: (ctx, p) =>
    withManifests(
      ctx,
      (all) => {
        const missing: Evidence[] = [];
        const ok: Evidence[] = [];
        for (const m of all.filter((x) => p.kinds.includes(x.kind))) {
          const t = podTemplate(m);
          const ann = ((t?.spec.metadata as Record<string, unknown>)?.annotations ?? {}) as Record<string, unknown>;
          if (Object.hasOwn(ann, p.key)) ok.push({...at(m, [...(t?.path ?? []), 'metadata', 'annotations', p.key]), detail: `${p.key}: ${String(ann[p.key])}`});
          else missing.push({...at(m, t ? [...t.path, 'metadata'] : []), detail: `${m.kind} ${m.name}: pod template lacks ${p.key}`});
        }
        if (missing.length > 0) return result('fail', `${missing.length} workloads lack the ${p.key} pod annotation`, missing);
        if (ok.length === 0) return result('skip', `no ${p.kinds.join('/')} in the manifests`);
        return result('pass', `${ok.length} workloads carry ${p.key}`, ok);
      },
      p,
    ),
});

export const noSecretData = defineCheck({
  id: 'k8s.no-secret-data',
  summary: 'No Secret with data or stringData sits in a file tracked by git (seal or externalise it instead).',
  params: z.strictObject({}),
  run: (ctx) =>
    withManifests(
      ctx,
      async (all) => {
        const secrets = all.filter((m) => m.kind === 'Secret' && (m.data.data !== undefined || m.data.stringData !== undefined));
        if (secrets.length === 0) return result('pass', 'no Secret with data in the manifests');
        // Whether each file is tracked: a lookup in the run's one `git ls-files` (none when not a repository).
        const r = await (await ctx.git()).lsFiles();
        const tracked = new Set(r.ok ? r.files : []);
        const leaked = secrets.filter((s) => tracked.has(s.file));
        if (leaked.length > 0) {
          return result(
            'fail',
            `${leaked.length} Secrets with plaintext data are committed`,
            leaked.map((s) => ({
              ...at(s, [s.data.data !== undefined ? 'data' : 'stringData']),
              detail: `Secret ${s.name} has ${s.data.data !== undefined ? 'data' : 'stringData'} (base64 is not encryption)`,
            })),
          );
        }
        return result(
          'pass',
          `${secrets.length} Secrets with data, none tracked by git`,
          secrets.map((s) => ({...at(s, []), detail: 'rendered locally, not committed'})),
        );
      },
      {render: false},
    ),
});

export const secretManager = defineCheck({
  id: 'k8s.secret-manager',
  timeoutMs: SOURCE_TIMEOUT_MS,
  summary: 'Secrets are managed: a SealedSecret or ExternalSecret is present among the manifests.',
  params: z.strictObject({kinds: z.array(z.string()).default(['SealedSecret', 'ExternalSecret', 'SecretProviderClass']), ...ChartShape}),
  run: (ctx, p) =>
    withManifests(
      ctx,
      (all) => {
        const found = all.filter((m) => p.kinds.includes(m.kind));
        if (found.length > 0)
          return result(
            'pass',
            `${found.length} managed secrets`,
            found.map((m) => ({...at(m, []), detail: `${m.kind} ${m.name}`})),
          );
        return result('warn', `no ${p.kinds.join(' / ')} among ${all.length} objects; Secrets may be created by hand (confirm how)`);
      },
      p,
    ),
});

export const jobCleanup = defineCheck({
  id: 'k8s.job-cleanup',
  timeoutMs: SOURCE_TIMEOUT_MS,
  summary: 'Jobs set ttlSecondsAfterFinished and CronJobs keep a bounded history, so finished pods are cleaned up.',
  params: z.strictObject({maxHistory: z.number().int().min(0).default(5), ...ChartShape}),
  run: (ctx, p) =>
    withManifests(
      ctx,
      (all) => {
        const bad: Evidence[] = [];
        const ok: Evidence[] = [];
        for (const m of all) {
          const spec = (m.data.spec ?? {}) as Record<string, unknown>;
          if (m.kind === 'Job') {
            if (typeof spec.ttlSecondsAfterFinished === 'number')
              ok.push({...at(m, ['spec', 'ttlSecondsAfterFinished']), detail: `ttl ${spec.ttlSecondsAfterFinished}s`});
            else bad.push({...at(m, ['spec']), detail: `Job ${m.name} has no ttlSecondsAfterFinished`});
          } else if (m.kind === 'CronJob') {
            const s = spec.successfulJobsHistoryLimit;
            const f = spec.failedJobsHistoryLimit;
            const within = (n: unknown) => typeof n === 'number' && n <= p.maxHistory;
            // Kubernetes defaults are 3 and 1, which are bounded; only a large explicit value is a problem.
            if ((s === undefined || within(s)) && (f === undefined || within(f)))
              ok.push({...at(m, ['spec']), detail: `history ${String(s ?? 3)} ok / ${String(f ?? 1)} failed`});
            else
              bad.push({
                ...at(m, ['spec']),
                detail: `CronJob ${m.name} keeps ${String(s ?? 3)} successful / ${String(f ?? 1)} failed jobs (max ${p.maxHistory})`,
              });
          }
        }
        if (bad.length > 0) return result('fail', `${bad.length} jobs leave finished pods behind`, bad);
        if (ok.length === 0) return result('pass', 'no Jobs or CronJobs in the manifests');
        return result('pass', `${ok.length} jobs clean up after themselves`, ok);
      },
      p,
    ),
});

export const resourceLimits = defineCheck({
  id: 'k8s.resource-limits',
  timeoutMs: SOURCE_TIMEOUT_MS,
  summary: 'Every container of every workload sets memory and CPU limits.',
  params: z.strictObject({kinds: z.array(z.string()).default([...WORKLOADS, 'CronJob', 'Job']), ...ChartShape}),
  run: (ctx, p) =>
    withManifests(
      ctx,
      (all) => {
        const bad: Evidence[] = [];
        let count = 0;
        for (const m of all.filter((x) => p.kinds.includes(x.kind))) {
          const t = podTemplate(m);
          const containers = ((t?.spec.spec as Record<string, unknown>)?.containers ?? []) as Record<string, unknown>[];
          containers.forEach((c, i) => {
            count++;
            const limits = ((c.resources as Record<string, unknown>)?.limits ?? {}) as Record<string, unknown>;
            const lacks = ['memory', 'cpu'].filter((k) => limits[k] === undefined);
            if (lacks.length > 0)
              bad.push({
                ...at(m, [...(t?.path ?? []), 'spec', 'containers', i]),
                key: `${m.kind}/${m.name}/${String(c.name)}`,
                detail: `no ${lacks.join(' or ')} limit`,
              });
          });
        }
        if (bad.length > 0) return result('fail', `${bad.length} containers run without limits`, bad);
        return result('pass', `${count} containers have limits`);
      },
      p,
    ),
});

// ---------------------------------------------------------------------------------------------

const DATASTORE_NAMES = 'postgres|pgbouncer|mongo|redis|valkey|nats|minio|mysql|mariadb|elasticsearch|opensearch|rabbitmq|kafka|clickhouse|etcd';
const DATASTORE_PORTS = [5432, 27017, 6379, 4222, 9000, 9001];

export const serviceTypes = defineCheck({
  id: 'k8s.service-types',
  timeoutMs: SOURCE_TIMEOUT_MS,
  summary:
    'Services of datastores (by name, port, or the image of the pods they select: postgres, mongodb, redis, nats, minio…) are ClusterIP, not NodePort or LoadBalancer.',
  params: z.strictObject({
    /** Service names that mark a datastore (a case-insensitive regular expression, matched anywhere in the name); null: by port only. */
    name: Regex.nullable().default(DATASTORE_NAMES),
    /** Service ports (port or targetPort) that mark a datastore; [] for by name only. */
    ports: z.array(z.number().int().min(1).max(65535)).default(DATASTORE_PORTS),
    /** Images (their name without registry or tag) of the selected pods that mark a datastore; null: not by image. */
    images: Regex.nullable().default(DATASTORE_NAMES),
    ...SourceShape,
    ...ChartShape,
  }),
  run: (ctx, p, signal) =>
    withManifests(
      ctx,
      (all) => {
        const re = p.name === null ? undefined : new RegExp(p.name, 'i');
        const imageRe = p.images === null ? undefined : new RegExp(p.images, 'i');
        const bad: Evidence[] = [];
        const ok: Evidence[] = [];
        for (const m of all.filter((x) => x.kind === 'Service')) {
          const spec = (m.data.spec ?? {}) as Record<string, unknown>;
          const ports = Array.isArray(spec.ports) ? (spec.ports as Record<string, unknown>[]) : [];
          const port = ports.flatMap((x) => [x?.port, x?.targetPort]).find((n) => typeof n === 'number' && p.ports.includes(n));
          const image = imageRe ? selectedImage(all, m, imageRe) : undefined;
          const why = re?.test(m.name) ? 'its name' : port !== undefined ? `port ${String(port)}` : image ? `image ${image}` : undefined;
          if (!why) continue;
          const type = typeof spec.type === 'string' ? spec.type : 'ClusterIP';
          const typeAt = at(m, spec.type === undefined ? ['spec'] : ['spec', 'type']);
          if (type === 'NodePort' || type === 'LoadBalancer') {
            bad.push({...typeAt, detail: `${type}: reachable from outside the cluster (a datastore by ${why}); use ClusterIP`});
          } else if (Array.isArray(spec.externalIPs) && spec.externalIPs.length > 0) {
            bad.push({...at(m, ['spec', 'externalIPs']), detail: `${type} with externalIPs: reachable from outside the cluster (a datastore by ${why})`});
          } else {
            ok.push({...typeAt, detail: `${type}${spec.type === undefined ? ' (the default)' : ''}, a datastore by ${why}`});
          }
        }
        if (bad.length > 0) return result('fail', `${bad.length} datastore Services are exposed outside the cluster`, bad);
        if (ok.length === 0) return result('skip', 'no Service looks like a datastore (by name, port or image)');
        return result('pass', `${ok.length} datastore Services stay inside the cluster`, ok);
      },
      p,
      p.images === null ? ['Service'] : ['Service', ...WORKLOADS],
      signal,
    ),
});

/** The first container image, among the workloads a Service selects, whose name (no registry, no tag) matches `re`. */
function selectedImage(all: readonly Manifest[], svc: Manifest, re: RegExp): string | undefined {
  const selector = ((svc.data.spec as Record<string, unknown>)?.selector ?? {}) as Record<string, unknown>;
  const wanted = Object.entries(selector);
  if (wanted.length === 0) return undefined;
  for (const m of all) {
    if ((m.namespace ?? '') !== (svc.namespace ?? '')) continue;
    const t = podTemplate(m);
    const labels = ((t?.spec.metadata as Record<string, unknown>)?.labels ?? {}) as Record<string, unknown>;
    if (!t || !wanted.every(([k, v]) => labels[k] === v)) continue;
    const containers = ((t.spec.spec as Record<string, unknown>)?.containers ?? []) as Record<string, unknown>[];
    for (const c of Array.isArray(containers) ? containers : []) {
      const image = typeof c?.image === 'string' ? c.image : '';
      const name = image.split('@')[0]!.split('/').pop()!.split(':')[0]!;
      if (name !== '' && re.test(name)) return image.split('@')[0]!;
    }
  }
  return undefined;
}

const CREDENTIAL_NAMES = 'PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|(^|_)(API_?|ACCESS_?|PRIVATE_?|ENCRYPTION_?|SIGNING_?|MASTER_?)?KEY(_|$)|DSN$';

export const envSecrets = defineCheck({
  id: 'k8s.env-secrets',
  timeoutMs: SOURCE_TIMEOUT_MS,
  summary:
    'Container env entries named like credentials (PASSWORD, SECRET, TOKEN, KEY…) take their value from a Secret (valueFrom.secretKeyRef), not a literal.',
  params: z.strictObject({
    /** Env names that hold credentials: a case-insensitive regular expression. */
    pattern: Regex.default(CREDENTIAL_NAMES),
    kinds: z.array(z.string()).default([...WORKLOADS, 'CronJob', 'Job']),
    ...SourceShape,
    ...ChartShape,
  }),
  run: (ctx, p, signal) =>
    withManifests(
      ctx,
      (all) => {
        const re = new RegExp(p.pattern, 'i');
        const bad: Evidence[] = [];
        const ok: Evidence[] = [];
        let workloads = 0;
        for (const m of all.filter((x) => p.kinds.includes(x.kind))) {
          const t = podTemplate(m);
          if (!t) continue;
          workloads++;
          const pod = (t.spec.spec ?? {}) as Record<string, unknown>;
          for (const list of ['initContainers', 'containers']) {
            const containers = Array.isArray(pod[list]) ? (pod[list] as Record<string, unknown>[]) : [];
            containers.forEach((c, i) => {
              const env = Array.isArray(c?.env) ? (c.env as Record<string, unknown>[]) : [];
              env.forEach((e, j) => {
                const name = typeof e?.name === 'string' ? e.name : '';
                if (!re.test(name)) return;
                const path = [...t.path, 'spec', list, i, 'env', j];
                const key = `${m.kind}/${m.name}/${String(c.name)}/${name}`;
                const from = (e.valueFrom ?? undefined) as Record<string, unknown> | undefined;
                if (from?.secretKeyRef !== undefined) {
                  const ref = from.secretKeyRef as Record<string, unknown>;
                  ok.push({...at(m, [...path, 'valueFrom'], key), detail: `from Secret ${String(ref?.name)} key ${String(ref?.key)}`});
                } else if (from?.configMapKeyRef !== undefined) {
                  bad.push({...at(m, [...path, 'valueFrom'], key), detail: 'read from a ConfigMap, which is not a Secret'});
                } else if (e.value !== undefined && e.value !== null) {
                  const value = typeof e.value === 'object' ? JSON.stringify(e.value) : String(e.value);
                  // `$(OTHER)` only: built from other env entries, which are judged on their own.
                  if (/^(\$\([A-Za-z_][A-Za-z0-9_]*\))+$/.test(value)) ok.push({...at(m, [...path, 'value'], key), detail: 'built from other env entries'});
                  else bad.push({...at(m, [...path, 'value'], key), detail: `a literal value (${redact(value)}); use valueFrom.secretKeyRef`});
                }
              });
            });
          }
        }
        if (bad.length > 0) return result('fail', `${bad.length} credential env entries are not read from a Secret`, bad);
        if (workloads === 0) return result('skip', `no ${p.kinds.join('/')} in the manifests`);
        if (ok.length === 0) return result('pass', `no env entry of ${workloads} workloads is named like a credential`);
        return result('pass', `${ok.length} credential env entries are read from Secrets`, ok);
      },
      p,
      p.kinds,
      signal,
    ),
});

export const replicas = defineCheck({
  id: 'k8s.replicas',
  timeoutMs: SOURCE_TIMEOUT_MS,
  summary: 'Deployments and StatefulSets (all, or those named) run at least `min` replicas, or an autoscaler keeps at least that many.',
  params: z.strictObject({
    min: z.number().int().min(1).default(2),
    /** Only these workloads (exact names); each must exist. */
    names: z.array(z.string().min(1)).min(1).optional(),
    kinds: z.array(z.string()).default(['Deployment', 'StatefulSet']),
    ...SourceShape,
    ...ChartShape,
  }),
  run: (ctx, p, signal) =>
    withManifests(
      ctx,
      (all) => {
        const hpas = all.filter((m) => m.kind === 'HorizontalPodAutoscaler');
        const bad: Evidence[] = [];
        const ok: Evidence[] = [];
        const seen = new Set<string>();
        for (const m of all.filter((x) => p.kinds.includes(x.kind) && (!p.names || p.names.includes(x.name)))) {
          seen.add(m.name);
          const hpa = hpas.find((h) => {
            const ref = ((h.data.spec as Record<string, unknown>)?.scaleTargetRef ?? {}) as Record<string, unknown>;
            return ref.kind === m.kind && ref.name === m.name && (h.namespace ?? '') === (m.namespace ?? '');
          });
          if (hpa) {
            const n = (hpa.data.spec as Record<string, unknown>).minReplicas;
            const min = typeof n === 'number' ? n : 1;
            const e = {
              ...at(hpa, ['spec', n === undefined ? 'scaleTargetRef' : 'minReplicas'], `${m.kind}/${m.name}`),
              detail: `autoscaled by ${hpa.name} from ${min}${n === undefined ? ' (the default)' : ''} replicas`,
            };
            (min >= p.min ? ok : bad).push(min >= p.min ? e : {...e, detail: `${e.detail}, fewer than ${p.min}`});
            continue;
          }
          const spec = (m.data.spec ?? {}) as Record<string, unknown>;
          const n = typeof spec.replicas === 'number' ? spec.replicas : 1;
          const e = {
            ...at(m, spec.replicas === undefined ? ['spec'] : ['spec', 'replicas']),
            detail: `${n} replica${n === 1 ? '' : 's'}${spec.replicas === undefined ? ' (the default)' : ''}`,
          };
          (n >= p.min ? ok : bad).push(n >= p.min ? e : {...e, detail: `${e.detail}, fewer than ${p.min}`});
        }
        for (const name of p.names ?? []) if (!seen.has(name)) bad.push({key: name, detail: `no ${p.kinds.join(' or ')} named ${name} in the manifests`});
        if (bad.length > 0) return result('fail', `${bad.length} workloads run fewer than ${p.min} replicas or are missing`, bad);
        if (ok.length === 0) return result('skip', `no ${p.kinds.join('/')} in the manifests`);
        return result('pass', `${ok.length} workloads run at least ${p.min} replicas`, ok);
      },
      p,
      [...p.kinds, 'HorizontalPodAutoscaler'],
      signal,
    ),
});
