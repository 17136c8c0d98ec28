// k8s.* checks of how workloads are written: requests, security contexts, images and their pull
// policy, config rollouts, Ingress TLS and RBAC rules worth a second look. They read the same
// objects as the checks in k8s.ts (rendered manifests, else `helm template` of the chart) and
// locate each finding at its file and line.
import {z} from 'zod';
import {count, result, type Evidence} from '../model/types.js';
import type {Manifest} from '../sources/manifests.js';
import {defineCheck} from './define.js';
import {at, ChartShape, podTemplate, SOURCE_TIMEOUT_MS, WORKLOADS, withManifests} from './k8s.js';

type Obj = Record<string, unknown>;
type Path = (string | number)[];

const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Every kind with a pod template (or that is a pod). */
const POD_KINDS = [...WORKLOADS, 'ReplicaSet', 'Job', 'CronJob', 'Pod'];

/** One container of one workload, with where it sits in its document. */
interface Container {
  m: Manifest;
  /** The pod spec (`spec.template.spec`, or the Pod's own spec). */
  pod: Obj;
  podPath: Path;
  /** The pod template's metadata path. */
  metaPath: Path;
  kind: 'containers' | 'initContainers';
  c: Obj;
  path: Path;
  /** `Deployment/api/web`: workload and container, for evidence keys. */
  key: string;
}

/** The containers (and init containers) of the workloads of the given kinds. */
function containersOf(all: readonly Manifest[], kinds: readonly string[], init = true): Container[] {
  const out: Container[] = [];
  for (const m of all) {
    if (!kinds.includes(m.kind)) continue;
    const t = podTemplate(m);
    if (!t) continue;
    const pod = obj(t.spec.spec);
    const podPath = [...t.path, 'spec'];
    for (const kind of init ? (['initContainers', 'containers'] as const) : (['containers'] as const)) {
      list(pod[kind]).forEach((raw, i) => {
        const c = obj(raw);
        out.push({m, pod, podPath, metaPath: [...t.path, 'metadata'], kind, c, path: [...podPath, kind, i], key: `${m.kind}/${m.name}/${str(c.name) ?? i}`});
      });
    }
  }
  return out;
}

const Kinds = (defaults: readonly string[]) =>
  z
    .array(z.string().min(1))
    .min(1)
    .default([...defaults]);

// ---------------------------------------------------------------------------------------------
// k8s.resource-requests

export const resourceRequests = defineCheck({
  id: 'k8s.resource-requests',
  timeoutMs: SOURCE_TIMEOUT_MS,
  summary:
    'Every container (init containers too) requests CPU and memory, so the scheduler places it where it fits; limits alone count, since Kubernetes then requests the limit.',
  params: z.strictObject({
    resources: z
      .array(z.enum(['cpu', 'memory']))
      .min(1)
      .default(['cpu', 'memory']),
    kinds: Kinds(POD_KINDS),
    ...ChartShape,
  }),
  run: (ctx, p) =>
    withManifests(
      ctx,
      (all) => {
        const bad: Evidence[] = [];
        const ok: Evidence[] = [];
        const containers = containersOf(all, p.kinds);
        for (const k of containers) {
          const res = obj(k.c.resources);
          const requests = obj(res.requests);
          const limits = obj(res.limits);
          const lacks = p.resources.filter((r) => requests[r] === undefined && limits[r] === undefined);
          const where = at(
            k.m,
            res.requests !== undefined ? [...k.path, 'resources', 'requests'] : k.c.resources !== undefined ? [...k.path, 'resources'] : k.path,
            k.key,
          );
          if (lacks.length > 0)
            bad.push({...where, detail: `${k.kind === 'initContainers' ? 'init container' : 'container'} requests no ${lacks.join(' or ')}`});
          else
            ok.push({
              ...where,
              detail: p.resources.map((r) => `${r} ${String(requests[r] ?? limits[r])}${requests[r] === undefined ? ' (from its limit)' : ''}`).join(', '),
            });
        }
        if (bad.length > 0) return result('fail', `${count(bad.length, 'container')} without ${p.resources.join('/')} requests`, bad);
        if (containers.length === 0) return result('skip', `no ${p.kinds.join('/')} in the manifests`);
        return result('pass', `${count(ok.length, 'container')} with ${p.resources.join(' and ')} requests`, ok);
      },
      p,
    ),
});

// ---------------------------------------------------------------------------------------------
// k8s.security-context

const HARDENING = ['runAsNonRoot', 'readOnlyRootFilesystem', 'dropAll', 'noPrivilegeEscalation'] as const;
type Hardening = (typeof HARDENING)[number];

export const securityContext = defineCheck({
  id: 'k8s.security-context',
  timeoutMs: SOURCE_TIMEOUT_MS,
  summary:
    'Every container runs as non-root (runAsNonRoot, here or on the pod, and no runAsUser 0), with a read-only root filesystem, capabilities drop ALL, allowPrivilegeEscalation false, and not privileged.',
  params: z.strictObject({
    require: z
      .array(z.enum(HARDENING))
      .min(1)
      .default([...HARDENING]),
    kinds: Kinds(POD_KINDS),
    ...ChartShape,
  }),
  run: (ctx, p) =>
    withManifests(
      ctx,
      (all) => {
        const bad: Evidence[] = [];
        const ok: Evidence[] = [];
        const containers = containersOf(all, p.kinds);
        for (const k of containers) {
          const podSc = obj(k.pod.securityContext);
          const sc = obj(k.c.securityContext);
          const caps = obj(sc.capabilities);
          const problems: string[] = [];
          const want = new Set<Hardening>(p.require);
          if (sc.privileged === true) problems.push('privileged: true (every device and capability of the node)');
          if (want.has('runAsNonRoot')) {
            const user = sc.runAsUser ?? podSc.runAsUser;
            const nonRoot = sc.runAsNonRoot ?? podSc.runAsNonRoot;
            if (user === 0) problems.push('runAsUser 0 (root)');
            else if (nonRoot !== true) problems.push(nonRoot === false ? 'runAsNonRoot: false' : 'runAsNonRoot not set (here or on the pod)');
          }
          if (want.has('readOnlyRootFilesystem') && sc.readOnlyRootFilesystem !== true) problems.push('readOnlyRootFilesystem not true');
          if (want.has('dropAll') && !list(caps.drop).some((c) => String(c).toUpperCase() === 'ALL')) problems.push('capabilities.drop lacks ALL');
          if (want.has('noPrivilegeEscalation') && sc.allowPrivilegeEscalation !== false && sc.privileged !== true)
            problems.push('allowPrivilegeEscalation not false');
          const where = at(k.m, k.c.securityContext !== undefined ? [...k.path, 'securityContext'] : k.path, k.key);
          if (problems.length > 0) bad.push({...where, detail: problems.join('; ')});
          else ok.push({...where, detail: 'hardened'});
        }
        if (bad.length > 0) return result('fail', `${count(bad.length, 'container')} with a weak security context`, bad);
        if (containers.length === 0) return result('skip', `no ${p.kinds.join('/')} in the manifests`);
        return result('pass', `${count(ok.length, 'container')} hardened`, ok);
      },
      p,
    ),
});

// ---------------------------------------------------------------------------------------------
// k8s.image-pinned and k8s.image-pull-policy

/** An image reference's parts: its tag (undefined when untagged) and whether it names a digest. */
export function imageRef(image: string): {tag?: string; digest: boolean} {
  const at = image.indexOf('@');
  const digest = at >= 0 && /^sha256:[0-9a-f]{64}$/.test(image.slice(at + 1));
  const name = at >= 0 ? image.slice(0, at) : image;
  const last = name.slice(name.lastIndexOf('/') + 1);
  const colon = last.indexOf(':');
  return {...(colon >= 0 ? {tag: last.slice(colon + 1)} : {}), digest};
}

/** `latest`, or no tag and no digest: the image moves under the same name. */
function floating(image: string): string | undefined {
  const r = imageRef(image);
  if (r.digest) return undefined;
  if (r.tag === undefined) return 'no tag, so latest';
  if (r.tag === '' || r.tag.toLowerCase() === 'latest') return 'latest';
  return undefined;
}

export const imagePinned = defineCheck({
  id: 'k8s.image-pinned',
  timeoutMs: SOURCE_TIMEOUT_MS,
  summary: 'Every container image names a version: a tag other than latest, or better a digest (@sha256:...); with requireDigest, a tag alone warns.',
  params: z.strictObject({
    requireDigest: z.boolean().default(false),
    kinds: Kinds(POD_KINDS),
    ...ChartShape,
  }),
  run: (ctx, p) =>
    withManifests(
      ctx,
      (all) => {
        const bad: Evidence[] = [];
        const tagged: Evidence[] = [];
        const ok: Evidence[] = [];
        const containers = containersOf(all, p.kinds);
        for (const k of containers) {
          const image = str(k.c.image);
          const where = at(k.m, [...k.path, image === undefined ? 'name' : 'image'], k.key);
          if (image === undefined) {
            bad.push({...where, detail: 'no image'});
            continue;
          }
          const why = floating(image);
          if (why) bad.push({...where, detail: `${image}: ${why}; each pull may bring another version`});
          else if (imageRef(image).digest) ok.push({...where, detail: `${image.slice(0, image.indexOf('@') + 20)}…: pinned by digest`});
          else tagged.push({...where, detail: `${image}: tag ${imageRef(image).tag}${p.requireDigest ? ', no digest: a tag can be pushed again' : ''}`});
        }
        if (bad.length > 0) return result('fail', `${count(bad.length, 'image')} not pinned to a version`, bad);
        if (containers.length === 0) return result('skip', `no ${p.kinds.join('/')} in the manifests`);
        if (p.requireDigest && tagged.length > 0) return result('warn', `${count(tagged.length, 'image')} pinned by tag only, not by digest`, tagged);
        return result('pass', `${count(ok.length + tagged.length, 'image')} pinned (${ok.length} by digest)`, [...ok, ...tagged]);
      },
      p,
    ),
});

export const imagePullPolicy = defineCheck({
  id: 'k8s.image-pull-policy',
  timeoutMs: SOURCE_TIMEOUT_MS,
  summary:
    'imagePullPolicy fits the image: never Never (a new node cannot start the pod), and Always for a moving tag such as latest (IfNotPresent leaves nodes on different builds).',
  params: z.strictObject({
    kinds: Kinds(POD_KINDS),
    ...ChartShape,
  }),
  run: (ctx, p) =>
    withManifests(
      ctx,
      (all) => {
        const bad: Evidence[] = [];
        const ok: Evidence[] = [];
        const containers = containersOf(all, p.kinds);
        for (const k of containers) {
          const image = str(k.c.image) ?? '';
          const set = str(k.c.imagePullPolicy);
          const moving = floating(image);
          const policy = set ?? (moving ? 'Always' : 'IfNotPresent');
          const where = at(k.m, [...k.path, set === undefined ? 'image' : 'imagePullPolicy'], k.key);
          const shown = `${policy}${set === undefined ? ' (the default for this image)' : ''}`;
          if (policy === 'Never') bad.push({...where, detail: 'Never: only nodes that already hold the image can start the pod'});
          else if (moving && policy === 'IfNotPresent')
            bad.push({...where, detail: `IfNotPresent with ${image} (${moving}): each node keeps whichever build it pulled first`});
          else ok.push({...where, detail: shown});
        }
        if (bad.length > 0) return result('fail', `${count(bad.length, 'container')} with a pull policy that lets nodes run different builds`, bad);
        if (containers.length === 0) return result('skip', `no ${p.kinds.join('/')} in the manifests`);
        return result('pass', `${count(ok.length, 'container')} with a pull policy that fits the image`, ok);
      },
      p,
    ),
});

// ---------------------------------------------------------------------------------------------
// k8s.config-checksum

/** Workload annotations that make stakater/Reloader roll pods when their config changes. */
const RELOADER = /^((configmap|secret)\.)?reloader\.stakater\.com\/(auto|reload|search)$/;
/** kustomize's configMapGenerator / secretGenerator suffix: a content hash, so the name itself changes. */
const KUSTOMIZE_HASH = /-[245-9bcdfghkmt]{10}$/;

/** Where a pod spec refers to a ConfigMap or Secret: volumes, projected volumes, envFrom and env valueFrom. */
function configRefs(pod: Obj, podPath: Path): {kind: 'ConfigMap' | 'Secret'; name: string; path: Path}[] {
  const out: {kind: 'ConfigMap' | 'Secret'; name: string; path: Path}[] = [];
  const add = (kind: 'ConfigMap' | 'Secret', name: unknown, path: Path) => {
    if (typeof name === 'string' && name !== '') out.push({kind, name, path});
  };
  list(pod.volumes).forEach((raw, i) => {
    const v = obj(raw);
    const path = [...podPath, 'volumes', i];
    if (v.configMap !== undefined) add('ConfigMap', obj(v.configMap).name, path);
    if (v.secret !== undefined) add('Secret', obj(v.secret).secretName, path);
    list(obj(v.projected).sources).forEach((s, j) => {
      const src = obj(s);
      if (src.configMap !== undefined) add('ConfigMap', obj(src.configMap).name, [...path, 'projected', 'sources', j]);
      if (src.secret !== undefined) add('Secret', obj(src.secret).name, [...path, 'projected', 'sources', j]);
    });
  });
  for (const kind of ['initContainers', 'containers']) {
    list(pod[kind]).forEach((raw, i) => {
      const c = obj(raw);
      list(c.envFrom).forEach((e, j) => {
        const path = [...podPath, kind, i, 'envFrom', j];
        if (obj(e).configMapRef !== undefined) add('ConfigMap', obj(obj(e).configMapRef).name, path);
        if (obj(e).secretRef !== undefined) add('Secret', obj(obj(e).secretRef).name, path);
      });
      list(c.env).forEach((e, j) => {
        const from = obj(obj(e).valueFrom);
        const path = [...podPath, kind, i, 'env', j];
        if (from.configMapKeyRef !== undefined) add('ConfigMap', obj(from.configMapKeyRef).name, path);
        if (from.secretKeyRef !== undefined) add('Secret', obj(from.secretKeyRef).name, path);
      });
    });
  }
  return out;
}

export const configChecksum = defineCheck({
  id: 'k8s.config-checksum',
  timeoutMs: SOURCE_TIMEOUT_MS,
  summary:
    'Workloads that read a ConfigMap or Secret defined beside them carry a checksum/ pod annotation (or a Reloader annotation, or a kustomize hash-suffixed name), so a config change rolls the pods; warns otherwise.',
  params: z.strictObject({
    /** Pod template annotations starting with this count as a config checksum. */
    prefix: z.string().min(1).default('checksum/'),
    kinds: Kinds(WORKLOADS),
    ...ChartShape,
  }),
  run: (ctx, p) =>
    withManifests(
      ctx,
      (all) => {
        const defined = new Set(all.filter((m) => m.kind === 'ConfigMap' || m.kind === 'Secret').map((m) => `${m.kind}/${m.namespace ?? ''}/${m.name}`));
        const stale: Evidence[] = [];
        const ok: Evidence[] = [];
        for (const m of all.filter((x) => p.kinds.includes(x.kind))) {
          const t = podTemplate(m);
          if (!t) continue;
          const refs = configRefs(obj(t.spec.spec), [...t.path, 'spec']).filter(
            (r) => defined.has(`${r.kind}/${m.namespace ?? ''}/${r.name}`) && !KUSTOMIZE_HASH.test(r.name),
          );
          if (refs.length === 0) continue;
          const podAnn = obj(obj(t.spec.metadata).annotations);
          const ownAnn = obj(obj(m.data.metadata).annotations);
          const sum = Object.keys(podAnn).find((k) => k.startsWith(p.prefix));
          const reloader = Object.keys(ownAnn).find((k) => RELOADER.test(k));
          const names = [...new Set(refs.map((r) => `${r.kind} ${r.name}`))].join(', ');
          if (sum) ok.push({...at(m, [...t.path, 'metadata', 'annotations', sum]), detail: `${sum} rolls the pods when ${names} changes`});
          else if (reloader) ok.push({...at(m, ['metadata', 'annotations', reloader]), detail: `${reloader}: Reloader rolls the pods when ${names} changes`});
          else
            stale.push({
              ...at(m, refs[0]!.path),
              detail: `${m.kind} ${m.name} reads ${names} but its pod template has no ${p.prefix} annotation: a config change leaves running pods on the old one`,
            });
        }
        if (stale.length > 0) return result('warn', `${count(stale.length, 'workload')} not rolled when their config changes`, stale);
        if (ok.length === 0) return result('pass', 'no workload reads a ConfigMap or Secret defined among the manifests');
        return result('pass', `${count(ok.length, 'workload')} rolled when their config changes`, ok);
      },
      p,
    ),
});

// ---------------------------------------------------------------------------------------------
// k8s.ingress-tls

/** Whether a TLS host entry covers a rule's host (`*.example.com` covers one label). */
function covers(tlsHost: string, host: string): boolean {
  if (tlsHost === host) return true;
  if (!tlsHost.startsWith('*.')) return false;
  const rest = host.slice(host.indexOf('.') + 1);
  return host.includes('.') && rest === tlsHost.slice(2);
}

export const ingressTls = defineCheck({
  id: 'k8s.ingress-tls',
  timeoutMs: SOURCE_TIMEOUT_MS,
  summary: 'Every Ingress terminates TLS (spec.tls), and each host of its rules is listed under a tls entry.',
  params: z.strictObject({...ChartShape}),
  run: (ctx, p) =>
    withManifests(
      ctx,
      (all) => {
        const bad: Evidence[] = [];
        const ok: Evidence[] = [];
        const ingresses = all.filter((m) => m.kind === 'Ingress');
        for (const m of ingresses) {
          const spec = obj(m.data.spec);
          const tls = list(spec.tls).map(obj);
          const tlsHosts = tls.flatMap((t) => list(t.hosts).filter((h): h is string => typeof h === 'string'));
          const rules = list(spec.rules).map(obj);
          if (tls.length === 0) {
            bad.push({
              ...at(m, spec.rules !== undefined ? ['spec', 'rules'] : ['spec']),
              detail: `Ingress ${m.name} has no spec.tls: its hosts are served over plain HTTP`,
            });
            continue;
          }
          let missing = false;
          rules.forEach((r, i) => {
            const host = str(r.host);
            if (host === undefined || tlsHosts.some((h) => covers(h, host))) return;
            missing = true;
            bad.push({...at(m, ['spec', 'rules', i, 'host']), detail: `${host} is not under spec.tls: served without TLS`});
          });
          if (!missing) {
            const names = tls
              .map((t) => str(t.secretName))
              .filter(Boolean)
              .join(', ');
            ok.push({...at(m, ['spec', 'tls']), detail: `TLS for ${tlsHosts.join(', ') || 'every host'}${names ? ` from ${names}` : ''}`});
          }
        }
        if (bad.length > 0) return result('fail', `${count(bad.length, 'Ingress host')} served without TLS`, bad);
        if (ingresses.length === 0) return result('skip', 'no Ingress in the manifests');
        return result('pass', `TLS for every host of ${count(ok.length, 'Ingress', 'Ingresses')}`, ok);
      },
      p,
    ),
});

// ---------------------------------------------------------------------------------------------
// k8s.rbac-review

/** Resources whose create (or change) runs a pod of the creator's choosing, with any service account in the namespace. */
const RUNS_PODS = new Set([
  'pods',
  'pods/exec',
  'pods/attach',
  'deployments',
  'statefulsets',
  'daemonsets',
  'replicasets',
  'replicationcontrollers',
  'jobs',
  'cronjobs',
]);
const WRITE = ['create', 'update', 'patch', '*'];
const READ = ['get', 'list', 'watch', '*'];

/** What one RBAC rule allows that deserves a review, in words; [] when nothing. */
function risky(rule: Obj): string[] {
  const groups = list(rule.apiGroups).map(String);
  const resources = list(rule.resources).map(String);
  const verbs = list(rule.verbs).map(String);
  const core = groups.includes('') || groups.includes('*');
  const anyResource = resources.includes('*');
  const out: string[] = [];
  if (core && (anyResource || resources.includes('secrets')) && verbs.some((v) => READ.includes(v)))
    out.push(`reads Secrets (${verbs.filter((v) => READ.includes(v)).join(', ')})`);
  const runs = anyResource ? ['*'] : resources.filter((r) => RUNS_PODS.has(r));
  const writes = verbs.filter((v) => WRITE.includes(v));
  if (runs.length > 0 && writes.length > 0 && (core || groups.some((g) => ['apps', 'batch', '*'].includes(g)) || anyResource))
    out.push(`can start pods (${writes.join(', ')} on ${runs.join(', ')})`);
  return out;
}

export const rbacReview = defineCheck({
  id: 'k8s.rbac-review',
  timeoutMs: SOURCE_TIMEOUT_MS,
  summary:
    'Roles and ClusterRoles that can read Secrets or start pods (create pods, exec into them, or create or change workloads) are listed for review (warn): either reaches every Secret the namespace holds.',
  params: z.strictObject({
    /** Roles known to need it (exact names), e.g. a CI deployer: listed as reviewed, not warned about. */
    reviewed: z.array(z.string().min(1)).default([]),
    ...ChartShape,
  }),
  run: (ctx, p) =>
    withManifests(
      ctx,
      (all) => {
        const flagged: Evidence[] = [];
        const reviewed: Evidence[] = [];
        const roles = all.filter((m) => m.kind === 'Role' || m.kind === 'ClusterRole');
        for (const m of roles) {
          list(m.data.rules).forEach((raw, j) => {
            const what = risky(obj(raw));
            if (what.length === 0) return;
            const e = {...at(m, ['rules', j]), detail: `${m.kind} ${m.name} ${what.join('; ')}`};
            (p.reviewed.includes(m.name) ? reviewed : flagged).push(p.reviewed.includes(m.name) ? {...e, detail: `${e.detail} (reviewed)`} : e);
          });
        }
        if (flagged.length > 0)
          return result('warn', `${count(flagged.length, 'RBAC rule')} can read Secrets or start pods: review who is bound to them`, flagged);
        if (roles.length === 0) return result('skip', 'no Role or ClusterRole in the manifests');
        return result('pass', `${count(roles.length, 'role')}: none reads Secrets or starts pods${reviewed.length ? ' beyond those reviewed' : ''}`, reviewed);
      },
      p,
    ),
});
