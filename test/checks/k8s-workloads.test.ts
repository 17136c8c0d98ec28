// The k8s.* checks of src/checks/k8s-workloads.ts against real manifest files in temp dirs: what
// each decides, where it points, and the cases that are easy to get wrong (pod-level settings a
// container overrides, limits standing in for requests, wildcard TLS hosts, kustomize's hashed
// names, Reloader, wildcard RBAC rules).
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {imageRef} from '../../src/checks/k8s-workloads.js';
import {dirWith, evidenceAt, lines, runCheck} from '../support/helpers.js';

const MANIFESTS = {manifests: ['*.yaml']};

/** A Deployment named `name` whose pod spec is `pod` (YAML lines indented for spec.template.spec). */
function deployment(name: string, pod: string[], meta: string[] = []): string {
  return lines(
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    `  name: ${name}`,
    ...meta,
    'spec:',
    '  replicas: 2',
    '  template:',
    '    metadata:',
    '      labels: {app: x}',
    '    spec:',
    ...pod.map((l) => `      ${l}`),
  );
}

const check = (id: string, files: Record<string, string>, params: Record<string, unknown> = {}) => runCheck(id, dirWith(files), params, MANIFESTS);

describe('imageRef', () => {
  test('reads tags and digests, with registry ports and paths', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    assert.deepEqual(imageRef('nginx'), {digest: false});
    assert.deepEqual(imageRef('nginx:1.27'), {tag: '1.27', digest: false});
    assert.deepEqual(imageRef('registry.local:5000/team/app'), {digest: false});
    assert.deepEqual(imageRef('registry.local:5000/team/app:2.0'), {tag: '2.0', digest: false});
    assert.deepEqual(imageRef(`ghcr.io/a/b:1.0@${digest}`), {tag: '1.0', digest: true});
    assert.deepEqual(imageRef(`ghcr.io/a/b@${digest}`), {digest: true});
    assert.deepEqual(imageRef('ghcr.io/a/b@sha256:short'), {digest: false});
  });
});

describe('k8s.security-context', () => {
  const hardened = ['runAsNonRoot: true', 'readOnlyRootFilesystem: true', 'allowPrivilegeEscalation: false', 'capabilities: {drop: [ALL]}'];
  const container = (sc: string[]) => ['- name: app', '  image: app:1.0', '  securityContext:', ...sc.map((l) => `    ${l}`)];

  test('passes a hardened container, with runAsNonRoot on the pod', async () => {
    const r = await check('k8s.security-context', {
      'a.yaml': deployment('a', ['securityContext: {runAsNonRoot: true}', 'containers:', ...container(hardened.slice(1))]),
    });
    assert.equal(r.status, 'pass', r.message);
  });

  test('runAsUser 0 on the container beats runAsNonRoot on the pod, and is located at the container', async () => {
    const r = await check('k8s.security-context', {
      'a.yaml': deployment('a', ['securityContext: {runAsNonRoot: true}', 'containers:', ...container(['runAsUser: 0', ...hardened.slice(1)])]),
    });
    assert.equal(r.status, 'fail');
    assert.match(evidenceAt(r, 'a.yaml', 16, 'Deployment/a/app').detail, /runAsUser 0/);
  });

  test('a container runAsUser overrides a root pod user', async () => {
    const r = await check('k8s.security-context', {
      'a.yaml': deployment('a', ['securityContext: {runAsUser: 0}', 'containers:', ...container(['runAsUser: 1000', ...hardened])]),
    });
    assert.equal(r.status, 'pass', r.message);
  });

  test('init containers are judged too, and privileged is always named', async () => {
    const r = await check('k8s.security-context', {
      'a.yaml': deployment('a', [
        'initContainers:',
        '  - name: init',
        '    image: busybox:1.36',
        '    securityContext: {privileged: true}',
        'containers:',
        ...container(hardened),
      ]),
    });
    assert.equal(r.status, 'fail');
    assert.equal(r.evidence.length, 1);
    assert.equal(r.evidence[0]!.key, 'Deployment/a/init');
    assert.match(r.evidence[0]!.detail, /privileged: true/);
  });

  test('require narrows what is asked', async () => {
    const r = await check(
      'k8s.security-context',
      {'a.yaml': deployment('a', ['containers:', ...container(['runAsNonRoot: true'])])},
      {require: ['runAsNonRoot']},
    );
    assert.equal(r.status, 'pass', r.message);
  });

  test('skips without workloads', async () => {
    const r = await check('k8s.security-context', {'a.yaml': lines('apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: c}')});
    assert.equal(r.status, 'skip');
  });
});

describe('k8s.resource-requests', () => {
  test('limits alone stand in for requests; a container with neither fails at its resources', async () => {
    const r = await check('k8s.resource-requests', {
      'a.yaml': deployment('a', [
        'containers:',
        '  - name: limited',
        '    image: app:1.0',
        '    resources: {limits: {cpu: 200m, memory: 64Mi}}',
        '  - name: half',
        '    image: app:1.0',
        '    resources:',
        '      requests: {cpu: 100m}',
      ]),
    });
    assert.equal(r.status, 'fail');
    assert.deepEqual(
      r.evidence.map((e) => [e.key, e.line, e.detail]),
      [['Deployment/a/half', 18, 'container requests no memory']],
    );
  });
});

describe('k8s.image-pinned and k8s.image-pull-policy', () => {
  const digest = `sha256:${'b'.repeat(64)}`;
  const pod = (image: string, policy?: string) => [
    'containers:',
    '  - name: app',
    `    image: ${image}`,
    ...(policy ? [`    imagePullPolicy: ${policy}`] : []),
  ];

  test('latest and untagged fail at the image line; a tag passes; requireDigest warns on a tag', async () => {
    const files = {'a.yaml': deployment('a', pod('app:latest')), 'b.yaml': deployment('b', pod('app')), 'c.yaml': deployment('c', pod('app:1.2.3'))};
    const r = await check('k8s.image-pinned', files);
    assert.equal(r.status, 'fail');
    assert.deepEqual(
      r.evidence.map((e) => [e.file, e.line]),
      [
        ['a.yaml', 13],
        ['b.yaml', 13],
      ],
    );
    assert.equal((await check('k8s.image-pinned', {'c.yaml': files['c.yaml']})).status, 'pass');
    assert.equal((await check('k8s.image-pinned', {'c.yaml': files['c.yaml']}, {requireDigest: true})).status, 'warn');
    assert.equal((await check('k8s.image-pinned', {'d.yaml': deployment('d', pod(`app@${digest}`))}, {requireDigest: true})).status, 'pass');
  });

  test('pull policy: the default fits; Never and IfNotPresent with latest fail', async () => {
    assert.equal((await check('k8s.image-pull-policy', {'a.yaml': deployment('a', pod('app:latest'))})).status, 'pass');
    assert.equal((await check('k8s.image-pull-policy', {'a.yaml': deployment('a', pod('app:1.0', 'Always'))})).status, 'pass');
    const never = await check('k8s.image-pull-policy', {'a.yaml': deployment('a', pod('app:1.0', 'Never'))});
    assert.equal(never.status, 'fail');
    assert.equal(never.evidence[0]!.line, 14);
    assert.equal((await check('k8s.image-pull-policy', {'a.yaml': deployment('a', pod('app', 'IfNotPresent'))})).status, 'fail');
  });
});

describe('k8s.config-checksum', () => {
  const config = lines('apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: app-config', 'data: {A: b}');
  const reads = (name: string) => ['containers:', '  - name: app', '    image: app:1.0', '    envFrom:', `      - configMapRef: {name: ${name}}`];

  test('warns at the reference when the pod template carries no checksum', async () => {
    const r = await check('k8s.config-checksum', {'c.yaml': config, 'd.yaml': deployment('d', reads('app-config'))});
    assert.equal(r.status, 'warn');
    assert.deepEqual(
      r.evidence.map((e) => [e.file, e.line, e.key]),
      [['d.yaml', 15, 'Deployment/d']],
    );
  });

  test('a checksum/ annotation, a Reloader annotation or a config not among the manifests is fine', async () => {
    const withSum = deployment('d', reads('app-config')).replace('      labels: {app: x}', '      labels: {app: x}\n      annotations: {checksum/config: abc}');
    assert.equal((await check('k8s.config-checksum', {'c.yaml': config, 'd.yaml': withSum})).status, 'pass');
    const reloader = deployment('d', reads('app-config'), ['  annotations: {reloader.stakater.com/auto: "true"}']);
    assert.equal((await check('k8s.config-checksum', {'c.yaml': config, 'd.yaml': reloader})).status, 'pass');
    assert.equal((await check('k8s.config-checksum', {'d.yaml': deployment('d', reads('made-elsewhere'))})).status, 'pass');
  });

  test("kustomize's hash-suffixed names change with the content, so they need no checksum", async () => {
    const hashed = config.replace('name: app-config', 'name: app-config-7g4c9m2h5t');
    assert.equal((await check('k8s.config-checksum', {'c.yaml': hashed, 'd.yaml': deployment('d', reads('app-config-7g4c9m2h5t'))})).status, 'pass');
  });
});

describe('k8s.ingress-tls', () => {
  const ingress = (tls: string[], hosts: string[]) =>
    lines('apiVersion: networking.k8s.io/v1', 'kind: Ingress', 'metadata: {name: web}', 'spec:', ...tls, '  rules:', ...hosts.map((h) => `    - host: ${h}`));

  test('a wildcard covers one label; a host outside it fails at its line', async () => {
    const r = await check('k8s.ingress-tls', {
      'i.yaml': ingress(['  tls:', '    - hosts: ["*.example.org"]', '      secretName: wild'], ['a.example.org', 'b.a.example.org']),
    });
    assert.equal(r.status, 'fail');
    assert.deepEqual(
      r.evidence.map((e) => [e.line, e.detail]),
      [[10, 'b.a.example.org is not under spec.tls: served without TLS']],
    );
  });

  test('no tls at all fails at the rules; no Ingress skips', async () => {
    const r = await check('k8s.ingress-tls', {'i.yaml': ingress([], ['a.example.org'])});
    assert.equal(r.status, 'fail');
    assert.equal(r.evidence[0]!.line, 6);
    assert.equal((await check('k8s.ingress-tls', {'a.yaml': lines('apiVersion: v1', 'kind: Service', 'metadata: {name: s}')})).status, 'skip');
  });
});

describe('k8s.rbac-review', () => {
  const role = (kind: string, rules: string[]) => lines('apiVersion: rbac.authorization.k8s.io/v1', `kind: ${kind}`, 'metadata: {name: r}', 'rules:', ...rules);

  test('wildcards, secret reads, exec and workload writes are flagged at the rule; a reviewed role is not', async () => {
    const files = {
      'a.yaml': role('ClusterRole', [
        '  - {apiGroups: ["*"], resources: ["*"], verbs: ["*"]}',
        '  - {apiGroups: [""], resources: [pods/exec], verbs: [create]}',
        '  - {apiGroups: [apps], resources: [deployments], verbs: [patch]}',
        '  - {apiGroups: [""], resources: [pods, services], verbs: [get, list]}',
      ]),
    };
    const r = await check('k8s.rbac-review', files);
    assert.equal(r.status, 'warn');
    assert.deepEqual(
      r.evidence.map((e) => e.line),
      [5, 6, 7],
    );
    assert.match(r.evidence[0]!.detail, /reads Secrets .*can start pods/);
    const reviewed = await check('k8s.rbac-review', files, {reviewed: ['r']});
    assert.equal(reviewed.status, 'pass');
    assert.equal(reviewed.evidence.length, 3);
  });

  test('a rule on another group named secrets is not core Secrets', async () => {
    const r = await check('k8s.rbac-review', {'a.yaml': role('Role', ['  - {apiGroups: [example.com], resources: [secrets], verbs: [get]}'])});
    assert.equal(r.status, 'pass', r.message);
  });
});

describe('k8s.service-types by image', () => {
  test('a Service whose selected pods run a datastore image is a datastore, whatever its name and port', async () => {
    const svc = lines(
      'apiVersion: v1',
      'kind: Service',
      'metadata: {name: db}',
      'spec:',
      '  type: NodePort',
      '  selector: {app: x}',
      '  ports: [{port: 15432}]',
    );
    const pod = deployment('store', ['containers:', '  - name: main', '    image: docker.io/library/postgres:16.2']);
    const r = await check('k8s.service-types', {'s.yaml': svc, 'd.yaml': pod});
    assert.equal(r.status, 'fail');
    assert.deepEqual(
      r.evidence.map((e) => [e.file, e.line, e.detail]),
      [['s.yaml', 5, 'NodePort: reachable from outside the cluster (a datastore by image docker.io/library/postgres:16.2); use ClusterIP']],
    );
    assert.equal((await check('k8s.service-types', {'s.yaml': svc, 'd.yaml': pod}, {images: null})).status, 'skip');
    const other = pod.replace('labels: {app: x}', 'labels: {app: y}');
    assert.equal((await check('k8s.service-types', {'s.yaml': svc, 'd.yaml': other})).status, 'skip');
  });
});
