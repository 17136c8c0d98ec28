import {z} from 'zod';
import type {Context} from '../engine/context.js';
import {defineCheck, result, type CheckResult, type Evidence} from '../engine/types.js';
import {manifestLine, type Manifest} from '../sources/manifests.js';

const WORKLOADS = ['Deployment', 'StatefulSet', 'DaemonSet'];

async function withManifests(ctx: Context, fn: (m: Manifest[]) => CheckResult | Promise<CheckResult>): Promise<CheckResult> {
  const all = await ctx.manifests();
  if (all.length === 0) {
    return result('skip', `no rendered manifests found (looked for ${ctx.pack.files.manifests.join(', ') || 'none configured'}); render them with helm template > rendered/all.yaml`);
  }
  return fn(all);
}

function podTemplate(m: Manifest): {spec: Record<string, unknown>; path: string[]} | undefined {
  const spec = m.data.spec as Record<string, unknown> | undefined;
  if (m.kind === 'CronJob') {
    const t = ((spec?.jobTemplate as Record<string, unknown>)?.spec as Record<string, unknown>)?.template as Record<string, unknown> | undefined;
    return t ? {spec: t, path: ['spec', 'jobTemplate', 'spec', 'template']} : undefined;
  }
  const t = spec?.template as Record<string, unknown> | undefined;
  return t ? {spec: t, path: ['spec', 'template']} : undefined;
}

const at = (m: Manifest, path: (string | number)[], key?: string): Pick<Evidence, 'file' | 'line' | 'key'> => ({file: m.file, line: manifestLine(m, path), key: key ?? `${m.kind}/${m.name}`});

export const podAnnotation = defineCheck({
  id: 'k8s.pod-annotation',
  summary: "Every workload's pod template carries an annotation (e.g. checksum/chart-version, so upgrades roll pods).",
  params: z.strictObject({
    key: z.string().min(1),
    kinds: z.array(z.string()).default(WORKLOADS),
  }),
  run: (ctx, p) =>
    withManifests(ctx, (all) => {
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
    }),
});

export const noSecretData = defineCheck({
  id: 'k8s.no-secret-data',
  summary: 'No Secret with data or stringData sits in a file tracked by git (seal or externalise it instead).',
  params: z.strictObject({}),
  run: (ctx, _p, signal) =>
    withManifests(ctx, async (all) => {
      const secrets = all.filter((m) => m.kind === 'Secret' && (m.data.data !== undefined || m.data.stringData !== undefined));
      if (secrets.length === 0) return result('pass', 'no Secret with data in the manifests');
      const files = [...new Set(secrets.map((s) => s.file))];
      const r = await ctx.run('git', ['ls-files', '-z', '--', ...files], {signal});
      const tracked = new Set(r.ok ? r.stdout.split('\0').filter(Boolean) : []);
      const leaked = secrets.filter((s) => tracked.has(s.file));
      if (leaked.length > 0) {
        return result('fail', `${leaked.length} Secrets with plaintext data are committed`, leaked.map((s) => ({...at(s, [s.data.data !== undefined ? 'data' : 'stringData']), detail: `Secret ${s.name} has ${s.data.data !== undefined ? 'data' : 'stringData'} (base64 is not encryption)`})));
      }
      return result('pass', `${secrets.length} Secrets with data, none tracked by git`, secrets.map((s) => ({...at(s, []), detail: 'rendered locally, not committed'})));
    }),
});

export const secretManager = defineCheck({
  id: 'k8s.secret-manager',
  summary: 'Secrets are managed: a SealedSecret or ExternalSecret is present among the manifests.',
  params: z.strictObject({kinds: z.array(z.string()).default(['SealedSecret', 'ExternalSecret', 'SecretProviderClass'])}),
  run: (ctx, p) =>
    withManifests(ctx, (all) => {
      const found = all.filter((m) => p.kinds.includes(m.kind));
      if (found.length > 0) return result('pass', `${found.length} managed secrets`, found.map((m) => ({...at(m, []), detail: `${m.kind} ${m.name}`})));
      return result('warn', `no ${p.kinds.join(' / ')} among ${all.length} objects; Secrets may be created by hand (confirm how)`);
    }),
});

export const jobCleanup = defineCheck({
  id: 'k8s.job-cleanup',
  summary: 'Jobs set ttlSecondsAfterFinished and CronJobs keep a bounded history, so finished pods are cleaned up.',
  params: z.strictObject({maxHistory: z.number().int().min(0).default(5)}),
  run: (ctx, p) =>
    withManifests(ctx, (all) => {
      const bad: Evidence[] = [];
      const ok: Evidence[] = [];
      for (const m of all) {
        const spec = (m.data.spec ?? {}) as Record<string, unknown>;
        if (m.kind === 'Job') {
          if (typeof spec.ttlSecondsAfterFinished === 'number') ok.push({...at(m, ['spec', 'ttlSecondsAfterFinished']), detail: `ttl ${spec.ttlSecondsAfterFinished}s`});
          else bad.push({...at(m, ['spec']), detail: `Job ${m.name} has no ttlSecondsAfterFinished`});
        } else if (m.kind === 'CronJob') {
          const s = spec.successfulJobsHistoryLimit;
          const f = spec.failedJobsHistoryLimit;
          const within = (n: unknown) => typeof n === 'number' && n <= p.maxHistory;
          // Kubernetes defaults are 3 and 1, which are bounded; only a large explicit value is a problem.
          if ((s === undefined || within(s)) && (f === undefined || within(f))) ok.push({...at(m, ['spec']), detail: `history ${String(s ?? 3)} ok / ${String(f ?? 1)} failed`});
          else bad.push({...at(m, ['spec']), detail: `CronJob ${m.name} keeps ${String(s ?? 3)} successful / ${String(f ?? 1)} failed jobs (max ${p.maxHistory})`});
        }
      }
      if (bad.length > 0) return result('fail', `${bad.length} jobs leave finished pods behind`, bad);
      if (ok.length === 0) return result('pass', 'no Jobs or CronJobs in the manifests');
      return result('pass', `${ok.length} jobs clean up after themselves`, ok);
    }),
});

export const resourceLimits = defineCheck({
  id: 'k8s.resource-limits',
  summary: 'Every container of every workload sets memory and CPU limits.',
  params: z.strictObject({kinds: z.array(z.string()).default([...WORKLOADS, 'CronJob', 'Job'])}),
  run: (ctx, p) =>
    withManifests(ctx, (all) => {
      const bad: Evidence[] = [];
      let count = 0;
      for (const m of all.filter((x) => p.kinds.includes(x.kind))) {
        const t = podTemplate(m);
        const containers = (((t?.spec.spec as Record<string, unknown>)?.containers ?? []) as Record<string, unknown>[]);
        containers.forEach((c, i) => {
          count++;
          const limits = ((c.resources as Record<string, unknown>)?.limits ?? {}) as Record<string, unknown>;
          const lacks = ['memory', 'cpu'].filter((k) => limits[k] === undefined);
          if (lacks.length > 0) bad.push({...at(m, [...(t?.path ?? []), 'spec', 'containers', i]), key: `${m.kind}/${m.name}/${String(c.name)}`, detail: `no ${lacks.join(' or ')} limit`});
        });
      }
      if (bad.length > 0) return result('fail', `${bad.length} containers run without limits`, bad);
      return result('pass', `${count} containers have limits`);
    }),
});
