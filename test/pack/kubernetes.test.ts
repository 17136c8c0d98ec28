// The kubernetes pack: it loads, detection picks it for plain manifests and never ahead of a
// product pack, the hardened fixture has no fail, the weak twin fails (or warns on) every rule it
// plants at the file and line, single weaknesses planted into the hardened twin fail exactly their
// item, and no secret value is printed.
import assert from 'node:assert/strict';
import {cpSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {evaluate, loadBuiltins, openSession} from '../../src/engine/session.js';
import type {ItemOutcome} from '../../src/engine/run.js';
import {detectPacks} from '../../src/pack/detect.js';
import {editRel, git, gitInit, lineIn, readRel, REPO, runCli, tempDir} from '../support/helpers.js';

const FIXTURES = join(REPO, 'test', 'fixtures');
const PACK = 'kubernetes';
const PASSWORD = 'Weak-fixture-password-not-real-8317';

/** A copy of a fixture as a deployment: a git repository with every file committed. */
function deployment(fixture: string): string {
  const dir = tempDir('shipshape-k8s-');
  cpSync(join(FIXTURES, fixture), dir, {recursive: true});
  gitInit(dir);
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'manifests');
  return dir;
}

async function outcomes(dir: string): Promise<Map<string, ItemOutcome>> {
  const session = await openSession({dir, pack: PACK});
  return new Map((await evaluate(session)).map((o) => [o.id, o]));
}

const withStatus = (all: Map<string, ItemOutcome>, ...statuses: string[]) =>
  [...all.values()]
    .filter((o) => statuses.includes(o.status))
    .map((o) => o.id)
    .sort();

/** The 1-based line of the last line of a file that contains `needle`. */
function lastLineIn(dir: string, rel: string, needle: string): number {
  const n = readRel(dir, rel)
    .split('\n')
    .findLastIndex((l) => l.includes(needle));
  assert.ok(n >= 0, `${rel} has no line with ${needle}`);
  return n + 1;
}

/** Whether an item has evidence at exactly this file and line. */
function assertAt(o: ItemOutcome | undefined, file: string, line: number): void {
  assert.ok(o, 'no such item');
  assert.ok(
    o.evidence.some((e) => e.file === file && e.line === line),
    `${o.id}: no evidence at ${file}:${line}; got ${JSON.stringify(o.evidence.map((e) => `${e.file}:${e.line}`))}`,
  );
}

describe('the kubernetes pack', () => {
  test('loads, with every item verified by a program and citing the Kubernetes documentation', async () => {
    const found = (await loadBuiltins()).find((p) => p.pack.id === PACK);
    assert.ok(found, 'no built-in pack kubernetes');
    const items = found.pack.sections.flatMap((s) => s.items);
    assert.ok(items.length >= 14);
    for (const i of items) {
      assert.equal(i.source.system, 'Kubernetes');
      assert.match(i.source.url ?? '', /^https:\/\/kubernetes\.io\/docs\//, i.id);
      assert.ok(i.verify && i.verify.length > 0, `${i.id} is not verified by a program`);
    }
  });
});

describe('detection', () => {
  test('picks kubernetes for both fixtures, and only it', async () => {
    const packs = (await loadBuiltins()).map((p) => p.pack);
    for (const fixture of ['k8s-weak', 'k8s-hardened']) {
      const found = await detectPacks(join(FIXTURES, fixture), packs);
      assert.deepEqual(
        found.map((d) => d.pack.id),
        [PACK],
        fixture,
      );
    }
  });

  test('the existing fixtures still detect as themselves, kubernetes after the product pack when it matches at all', async () => {
    const packs = (await loadBuiltins()).map((p) => p.pack);
    const expected: [string, string][] = [
      ['the0-k8s', 'the0'],
      ['the0-hardened', 'the0'],
      ['the0-shipped', 'the0'],
      ['zitadel-helm-weak', 'zitadel'],
      ['zitadel-helm-hardened', 'zitadel'],
      ['zitadel-compose-weak', 'zitadel'],
      ['discord-weak', 'discord-mcp-bot'],
      ['hoodcloud-weak', 'hoodcloud'],
    ];
    for (const [fixture, id] of expected) {
      const found = (await detectPacks(join(FIXTURES, fixture), packs)).map((d) => d.pack.id);
      assert.equal(found[0], id, `${fixture}: ${found.join(', ')}`);
    }
    // the0's chart output is plain manifests too: kubernetes applies, but second.
    const the0 = (await detectPacks(join(FIXTURES, 'the0-k8s'), packs)).map((d) => d.pack.id);
    assert.ok(the0.indexOf(PACK) > the0.indexOf('the0'), the0.join(', '));
  });

  test('a folder of YAML that is not Kubernetes (a values file, a workflow) does not pick it', async () => {
    const dir = tempDir('shipshape-k8s-none-');
    writeFileSync(join(dir, 'values.yaml'), 'replicaCount: 2\nimage:\n  tag: 1.0.0\n');
    writeFileSync(join(dir, 'ci.yml'), 'on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n');
    const packs = (await loadBuiltins()).map((p) => p.pack);
    assert.ok(!(await detectPacks(dir, packs)).some((d) => d.pack.id === PACK));
  });
});

describe('the hardened fixture', () => {
  test('has no fail, warn or error: every item passes', async () => {
    const all = await outcomes(deployment('k8s-hardened'));
    const bad = [...all.values()].filter((o) => o.status !== 'pass');
    assert.deepEqual(
      bad.map((o) => `${o.id}: ${o.status}: ${o.message}`),
      [],
    );
  });
});

describe('the weak fixture', () => {
  test('fails or warns on every rule it plants, each at a file and line, and prints no secret', async () => {
    const dir = deployment('k8s-weak');
    const all = await outcomes(dir);
    assert.deepEqual(withStatus(all, 'fail'), [
      'datastores-internal',
      'env-secret-refs',
      'image-pull-policy',
      'images-pinned',
      'ingress-tls',
      'job-ttl',
      'replicas',
      'resource-limits',
      'resource-requests',
      'secrets-not-committed',
      'security-context',
    ]);
    assert.deepEqual(withStatus(all, 'warn'), ['config-rollout', 'rbac-review', 'secrets-managed']);
    assert.deepEqual(withStatus(all, 'pass', 'skip', 'error', 'manual'), [], 'every item finds something');

    const at = (id: string, file: string, needle: string) => assertAt(all.get(id), file, lineIn(dir, file, needle));
    at('secrets-not-committed', 'secret.yaml', 'DATABASE_PASSWORD:');
    at('env-secret-refs', 'api.yaml', `value: ${PASSWORD}`);
    at('datastores-internal', 'postgres.yaml', 'type: LoadBalancer');
    at('ingress-tls', 'ingress.yaml', '- host: api.example.org');
    at('ingress-tls', 'ingress.yaml', '- host: admin.example.org');
    at('resource-limits', 'api.yaml', '- name: api');
    at('resource-limits', 'worker.yaml', '- name: worker');
    at('resource-requests', 'api.yaml', '- name: api');
    at('resource-requests', 'worker.yaml', 'limits:');
    at('security-context', 'api.yaml', '- name: api');
    at('security-context', 'worker.yaml', 'privileged: true');
    at('security-context', 'postgres.yaml', 'runAsUser: 0');
    at('replicas', 'api.yaml', 'replicas: 1');
    at('job-ttl', 'migrate-job.yaml', 'template:');
    at('images-pinned', 'api.yaml', 'image: ghcr.io/example/api:latest');
    at('images-pinned', 'worker.yaml', 'image: example/worker');
    at('image-pull-policy', 'api.yaml', 'imagePullPolicy: IfNotPresent');
    at('image-pull-policy', 'worker.yaml', 'imagePullPolicy: Never');
    // The volume, not the mount of the same name above it.
    assertAt(all.get('config-rollout'), 'api.yaml', lastLineIn(dir, 'api.yaml', '- name: config'));
    // A rule is located at its first line, the one above its resources.
    assertAt(all.get('rbac-review'), 'rbac.yaml', lineIn(dir, 'rbac.yaml', 'resources: [secrets]') - 1);
    assertAt(all.get('rbac-review'), 'rbac.yaml', lineIn(dir, 'rbac.yaml', 'resources: [pods]') - 1);

    const text = JSON.stringify([...all.values()]);
    assert.ok(!text.includes(PASSWORD), 'a secret value is printed');
  });

  test('check --format json names the pack, exits 1, and prints no secret', async () => {
    const dir = deployment('k8s-weak');
    const r = await runCli(['check', '--dir', dir, '--format', 'json'], {env: {SHIPSHAPE_PROGRESS_DIR: tempDir('shipshape-progress-')}});
    assert.equal(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout) as {pack: string; items: {id: string; status: string}[]};
    assert.equal(report.pack, PACK);
    assert.ok(!r.stdout.includes(PASSWORD), 'a secret value is printed');
  });
});

/** One weakness planted into the hardened twin: the item that must fail (or warn), at which file and line. */
interface Plant {
  name: string;
  file: string;
  from: string;
  to: string;
  item: string;
  status?: 'fail' | 'warn';
  /** The line to find in the planted file (default: the first line of `to`). */
  needle?: string;
}

const PLANTS: Plant[] = [
  {
    name: 'a Secret with data committed beside the sealed one',
    file: 'sealed-secret.yaml',
    from: 'apiVersion: bitnami.com/v1alpha1',
    to: 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: legacy-token\nstringData:\n  API_TOKEN: planted-token-value-4411\n---\napiVersion: bitnami.com/v1alpha1',
    item: 'secrets-not-committed',
    needle: 'API_TOKEN:',
  },
  {
    name: 'a credential as a literal env value',
    file: 'api.yaml',
    from: '              valueFrom:\n                secretKeyRef:\n                  name: api-db\n                  key: DATABASE_PASSWORD',
    to: '              value: hunter2-but-longer-0987',
    item: 'env-secret-refs',
  },
  {
    name: 'the database on a NodePort',
    file: 'postgres.yaml',
    from: '  selector:\n    app: postgres\n  ports:',
    to: '  type: NodePort\n  selector:\n    app: postgres\n  ports:',
    item: 'datastores-internal',
    needle: 'type: NodePort',
  },
  {
    name: 'the database on a LoadBalancer, known by the image of its pods alone',
    file: 'postgres.yaml',
    from: '  selector:\n    app: postgres\n  ports:\n    - port: 5432',
    to: '  type: LoadBalancer\n  selector:\n    app: postgres\n  ports:\n    - port: 15432',
    item: 'datastores-internal',
  },
  {
    name: 'an Ingress without TLS',
    file: 'ingress.yaml',
    from: '  tls:\n    - hosts: [www.example.org, api.example.org]\n      secretName: web-tls\n',
    to: '',
    item: 'ingress-tls',
    needle: '- host: www.example.org',
  },
  {
    name: 'a container without a memory limit',
    file: 'worker.yaml',
    from: '              memory: 256Mi\n          securityContext',
    to: '          securityContext',
    item: 'resource-limits',
    needle: '- name: worker',
  },
  {
    // Limits alone count as requests (Kubernetes copies them), so the planted container has neither.
    name: 'an init container without requests',
    file: 'migrate-job.yaml',
    from: '      containers:',
    to: '      initContainers:\n        - name: wait\n          image: busybox:1.36.1\n          securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}\n      containers:',
    item: 'resource-requests',
    needle: '- name: wait',
  },
  {
    name: 'a writable root filesystem',
    file: 'worker.yaml',
    from: 'readOnlyRootFilesystem: true',
    to: 'readOnlyRootFilesystem: false',
    item: 'security-context',
    needle: 'readOnlyRootFilesystem: false',
  },
  {name: 'capabilities kept', file: 'api.yaml', from: 'drop: [ALL]', to: 'drop: [NET_RAW]', item: 'security-context', needle: 'readOnlyRootFilesystem: true'},
  {
    name: 'privilege escalation allowed',
    file: 'postgres.yaml',
    from: 'allowPrivilegeEscalation: false',
    to: 'allowPrivilegeEscalation: true',
    item: 'security-context',
    needle: 'readOnlyRootFilesystem: true',
  },
  {
    name: 'root allowed on the pod',
    file: 'worker.yaml',
    from: '        runAsNonRoot: true',
    to: '        runAsNonRoot: false',
    item: 'security-context',
    needle: 'readOnlyRootFilesystem: true',
  },
  {name: 'one replica', file: 'worker.yaml', from: 'replicas: 2', to: 'replicas: 1', item: 'replicas'},
  {name: 'a Job without a TTL', file: 'migrate-job.yaml', from: '  ttlSecondsAfterFinished: 3600\n', to: '', item: 'job-ttl', needle: 'template:'},
  {
    name: 'an image on latest',
    file: 'worker.yaml',
    from: 'ghcr.io/example/worker:1.4.2',
    to: 'ghcr.io/example/worker:latest',
    item: 'images-pinned',
    needle: 'image: ghcr.io/example/worker:latest',
  },
  {
    name: 'an untagged init container',
    file: 'migrate-job.yaml',
    from: '      containers:',
    to: '      initContainers:\n        - name: wait\n          image: busybox\n          imagePullPolicy: Always\n          resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {cpu: 10m, memory: 16Mi}}\n          securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}\n      containers:',
    item: 'images-pinned',
    needle: 'image: busybox',
  },
  {name: 'imagePullPolicy Never', file: 'worker.yaml', from: 'imagePullPolicy: Always', to: 'imagePullPolicy: Never', item: 'image-pull-policy'},
  {
    name: 'no checksum annotation',
    file: 'api.yaml',
    from: '      annotations:\n        checksum/config: 5d41402abc4b2a76b9719d911017c592\n',
    to: '',
    item: 'config-rollout',
    status: 'warn',
    needle: 'LAST - name: config',
  },
  {
    name: 'a Role that reads Secrets',
    file: 'rbac.yaml',
    from: 'resources: [configmaps]',
    to: 'resources: [configmaps, secrets]',
    item: 'rbac-review',
    status: 'warn',
    needle: '- apiGroups',
  },
];

describe('single weaknesses planted into the hardened fixture', () => {
  for (const p of PLANTS) {
    test(`${p.name}: ${p.item} ${p.status ?? 'fail'}s at ${p.file}, and nothing else does`, async () => {
      const dir = deployment('k8s-hardened');
      editRel(dir, p.file, p.from, p.to);
      git(dir, 'commit', '-q', '-am', 'plant');
      const all = await outcomes(dir);
      const status = p.status ?? 'fail';
      assert.deepEqual(
        withStatus(all, 'fail', 'warn', 'error'),
        [p.item],
        [...all.values()]
          .filter((o) => o.status !== 'pass')
          .map((o) => `${o.id}: ${o.message}`)
          .join('\n'),
      );
      assert.equal(all.get(p.item)?.status, status);
      const needle = p.needle ?? p.to.split('\n')[0]!.trim();
      const line = needle.startsWith('LAST ') ? lastLineIn(dir, p.file, needle.slice(5)) : lineIn(dir, p.file, needle);
      assertAt(all.get(p.item), p.file, line);
    });
  }
});
