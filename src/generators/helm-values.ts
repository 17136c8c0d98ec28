// helm-values-harden: production settings in a chart's values file, edited through the yaml
// Document API (comments kept): credentials out of the values and into Secrets the chart reads
// (global.existingSecret, secretKeyRef), no NodePorts, an ingress with TLS, resource limits and
// replicas. The facts about the0's chart (its keys, its Secret's key names, its connection
// URLs) come from the0's k8s/values.yaml and templates; ZITADEL's from its chart's documented
// values. Secrets are written by the Kubernetes targets of targets.ts.
import type {Context} from '../engine/context.js';
import type {HelmValues} from '../sources/helm.js';
import {editYaml} from '../write/yamlEdit.js';
import {isRunConflict} from './compose-harden.js';
import {defineGenerator, type Generation, type GeneratorOptions} from './define.js';
import {Edits, writeTargets} from './targets.js';

export const HELM_PARTS = ['credentials', 'external-services', 'ingress', 'resources', 'replicas', 'jobs'] as const;

/** the0's chart: the Secret it reads when global.existingSecret is set, key by key, and where the value is in its values. */
const THE0_SECRET_KEYS: {key: string; path: string}[] = [
  {key: 'postgresql-password', path: 'postgresql.password'},
  {key: 'mongodb-root-password', path: 'mongodb.rootPassword'},
  {key: 'minio-access-key', path: 'minio.accessKey'},
  {key: 'minio-secret-key', path: 'minio.secretKey'},
  {key: 'jwt-secret', path: 'the0Api.env.JWT_SECRET'},
];
/** Literals the chart no longer reads once global.existingSecret is set. */
const THE0_LITERALS = [...THE0_SECRET_KEYS.map((k) => k.path), 'the0Frontend.env.JWT_SECRET'];
/** Workloads with a resources block in the0's chart, and its stateless ones (replicas). */
const THE0_WORKLOADS = ['postgresql', 'mongodb', 'nats', 'minio', 'the0Api', 'the0Frontend', 'the0Docs', 'botController'];
const THE0_STATELESS = ['the0Api', 'the0Frontend', 'the0Docs'];

type Chart = 'the0' | 'zitadel' | 'other';

export const helmValuesHarden = defineGenerator({
  id: 'helm-values-harden',
  summary:
    "Hardens a chart's values: credentials into Secrets the chart reads (existingSecret, secretKeyRef), externalServices off, ingress with TLS, resource limits, replicas; comments kept.",
  config: true,
  async generate({ctx, options, edits: given}): Promise<Generation> {
    const edits = given ?? new Edits(ctx);
    const notes: string[] = [];
    const result = (): Generation => ({
      get changes() {
        return edits.changeSet();
      },
      made: {value: ''},
      notes,
    });
    const helm = await ctx.helm();
    const file = options.file ?? helm?.files.at(-1)?.file;
    if (!helm || !file) {
      notes.push('no Helm values file in this deployment: nothing to change');
      return result();
    }
    const only = options.only ?? [...HELM_PARTS];
    for (const p of only)
      if (!(HELM_PARTS as readonly string[]).includes(p)) throw new Error(`only: ${p} is not a part of helm-values-harden (${HELM_PARTS.join(', ')})`);
    const parts = new Set(only);
    const chart: Chart = helm.get('the0Api') !== undefined ? 'the0' : ctx.pack.id === 'zitadel' || helm.get('zitadel') !== undefined ? 'zitadel' : 'other';
    const sets: {path: string[]; value: unknown; said: string}[] = [];
    const get = (path: string) => helm.get(path)?.value;

    if (chart === 'the0') {
      if (parts.has('credentials')) notes.push(...(await the0Credentials(ctx, helm, file, options, edits)));
      if (parts.has('external-services') && get('externalServices.enabled') !== false)
        sets.push({path: ['externalServices', 'enabled'], value: false, said: 'externalServices.enabled: false (no NodePorts)'});
      if (parts.has('ingress')) sets.push(...the0Ingress(helm, options, notes));
      if (parts.has('resources')) {
        for (const w of THE0_WORKLOADS) {
          if (get(`${w}.enabled`) === false) continue;
          sets.push(...limitsAt(helm, [w, 'resources'], options, w.startsWith('the0') || w === 'botController' ? '1Gi' : '512Mi'));
        }
      }
      if (parts.has('replicas') && options.replicas === undefined) notes.push('replicas: give replicas: N to run the API, frontend and docs N times');
      if (parts.has('replicas') && options.replicas !== undefined) {
        for (const w of THE0_STATELESS) {
          const now = Number(get(`${w}.replicas`) ?? 1);
          if (now < options.replicas) sets.push({path: [w, 'replicas'], value: options.replicas, said: `${w}.replicas: ${options.replicas}`});
        }
      }
      if (parts.has('jobs')) notes.push("the0's chart sets ttlSecondsAfterFinished and history limits on its gc CronJob itself: nothing to set in the values");
    } else {
      if (parts.has('resources')) sets.push(...limitsAt(helm, ['resources'], options, '512Mi'));
      if (parts.has('replicas')) {
        const want = options.replicas ?? 2;
        const now = Number(get('replicaCount') ?? 1);
        if (now < want) sets.push({path: ['replicaCount'], value: want, said: `replicaCount: ${want}`});
      }
      if (parts.has('jobs')) notes.push("jobs: Shipshape knows no values key for this chart's Jobs; set ttlSecondsAfterFinished where the chart allows it");
    }
    if (sets.length > 0) {
      await edits.edit(
        file,
        false,
        (text) =>
          editYaml(
            text,
            (doc) => {
              for (const s of sets) doc.setIn(s.path, doc.createNode(s.value));
            },
            file,
          ),
        `${file}: ${sets.map((s) => s.said).join('; ')}`,
      );
    }
    return result();
  },
});

/** resources.limits (and requests, when none) for one workload, where they are missing. */
function limitsAt(helm: HelmValues, at: string[], o: GeneratorOptions, memory: string): {path: string[]; value: unknown; said: string}[] {
  const limits = helm.get([...at, 'limits'])?.value as Record<string, unknown> | undefined | null;
  const out: {path: string[]; value: unknown; said: string}[] = [];
  const mem = o.memory ?? memory;
  const cpu = String(o.cpus ?? '1');
  if (!limits?.memory) out.push({path: [...at, 'limits', 'memory'], value: mem, said: `${at.join('.')}.limits.memory: ${mem}`});
  if (!limits?.cpu) out.push({path: [...at, 'limits', 'cpu'], value: cpu, said: `${at.join('.')}.limits.cpu: ${cpu}`});
  const requests = helm.get([...at, 'requests'])?.value as Record<string, unknown> | undefined | null;
  if (out.length > 0 && !requests) out.push({path: [...at, 'requests'], value: {memory: '128Mi', cpu: '100m'}, said: `${at.join('.')}.requests`});
  return out;
}

function the0Ingress(helm: HelmValues, o: GeneratorOptions, notes: string[]): {path: string[]; value: unknown; said: string}[] {
  const out: {path: string[]; value: unknown; said: string}[] = [];
  if (helm.get('ingress.enabled')?.value !== true) out.push({path: ['ingress', 'enabled'], value: true, said: 'ingress.enabled: true'});
  const tls = helm.get('ingress.tls')?.value;
  if (!Array.isArray(tls) || tls.length === 0) {
    const listed = helm.get('ingress.hosts')?.value;
    const hosts =
      o.hosts ??
      (Array.isArray(listed)
        ? listed.map((h) => (h && typeof h === 'object' ? (h as {host?: unknown}).host : undefined)).filter((h): h is string => typeof h === 'string')
        : []);
    if (hosts.length === 0) {
      notes.push('ingress.tls: no host is known; give hosts: [...] to name them');
      return out;
    }
    const secretName = o.tlsSecret ?? 'the0-tls';
    out.push({path: ['ingress', 'tls'], value: [{secretName, hosts}], said: `ingress.tls for ${hosts.join(', ')} (Secret ${secretName})`});
    notes.push(
      `the ingress reads its certificate from the Secret ${secretName}: let cert-manager make it (annotation cert-manager.io/cluster-issuer) or create it`,
    );
    const placeholders = hosts.filter((h) => /(^|\.)example\.(com|org|net)$/.test(h));
    if (placeholders.length > 0) notes.push(`${placeholders.join(', ')}: still example names; set ingress.hosts to your real names`);
  }
  return out;
}

/**
 * the0's credentials out of the values: when no global.existingSecret is set, the values in
 * use go into a Secret with the keys the chart reads, the chart is pointed at it, and the
 * literals are removed from the values file.
 */
async function the0Credentials(ctx: Context, helm: HelmValues, file: string, o: GeneratorOptions, edits: Edits): Promise<string[]> {
  const notes: string[] = [];
  const ns = o.namespace ?? 'the0';
  const str = (path: string, fallback = '') => {
    const v = helm.get(path)?.value;
    return v === undefined || v === null ? fallback : String(v);
  };
  const existing = str('global.existingSecret');
  if (existing === '') {
    const name = o.existingSecret ?? 'the0-secrets';
    const secretFile = o.secretFile ?? `secrets/${name}.yaml`;
    const enc = encodeURIComponent;
    const values: Record<string, string> = {};
    for (const k of THE0_SECRET_KEYS) values[k.key] = str(k.path);
    // As the chart builds them (_helpers.tpl the0.databaseUrl, the0.mongoUrl), for a release named the0.
    values['database-url'] =
      `postgresql://${enc(str('postgresql.username', 'the0'))}:${enc(values['postgresql-password']!)}@the0-postgres:${str('postgresql.port', '5432')}/${str('postgresql.database', 'the0_oss')}?sslmode=${str('postgresql.sslmode', 'disable')}`;
    values['mongo-url'] =
      `mongodb://${enc(str('mongodb.rootUsername', 'root'))}:${enc(values['mongodb-root-password']!)}@the0-mongo:${str('mongodb.port', '27017')}`;
    for (const [key, value] of Object.entries(values)) {
      if (value === '') {
        notes.push(`${key}: no value in the values to move; set it in ${secretFile} before applying`);
        continue;
      }
      try {
        notes.push(...(await writeTargets(ctx, [`k8s-secret:${secretFile}:${ns}/${name}.${key}`], {value}, edits)));
      } catch (err) {
        // Another item of this run puts a new value there (a secret generator): that one stands.
        if (!isRunConflict(err)) throw err;
      }
    }
    const into = [`helm-set:${file}:global.existingSecret=${name}`];
    for (const path of THE0_LITERALS) if (helm.get(path)?.file === file) into.push(`helm-unset:${file}:${path}`);
    notes.push(...(await writeTargets(ctx, into, {value: name}, edits)));
    notes.push(
      `database-url and mongo-url in ${secretFile} name the hosts the0-postgres and the0-mongo, as the chart does for a release named the0; change them if your release is named otherwise`,
    );
    const shipped = THE0_SECRET_KEYS.filter((k) => helm.get(k.path)?.chartDefault);
    if (shipped.length > 0)
      notes.push(`${shipped.map((k) => k.path).join(', ')}: the chart's shipped values were moved as they are; replace them with new ones`);
  }
  // The root admin's password has an item of its own (k8s-admin-from-secret), which puts a new
  // one into the the0-root-admin Secret: moving the old one here would claim the same key twice.
  const admin = helm.get('the0Api.env.THE0_ADMIN_PASSWORD');
  if (admin && !admin.chartDefault && typeof admin.value === 'string' && admin.value !== '')
    notes.push(`the0Api.env.THE0_ADMIN_PASSWORD is written in ${admin.file}: generate the item k8s-admin-from-secret to replace it by a secretKeyRef`);
  return notes;
}
