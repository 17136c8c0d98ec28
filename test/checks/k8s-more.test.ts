// k8s.service-types, k8s.env-secrets and k8s.replicas against real manifest files in temp dirs;
// the `helm template` fallback and `source: cluster` against the real machine (no helm, kubectl
// without a cluster); kubectl's JSON (a `kind: List`) through the same parser the checks use.
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {describe, test} from 'node:test';
import {CHECKS} from '../../src/checks/index.js';
import {redact} from '../../src/engine/redact.js';
import type {CheckResult} from '../../src/model/types.js';
import {parseManifests} from '../../src/sources/manifests.js';
import {dirWith, lines, places, runCheck, tempDir} from '../support/helpers.js';

// Checks run programs with our HOME: an empty one means no kubeconfig and no personal config.
process.env.HOME = tempDir('shipshape-home-');
delete process.env.KUBECONFIG;

const MANIFESTS = {manifests: ['rendered/*.yaml']};

function assertNoLeak(r: CheckResult, values: readonly string[]): void {
  const text = JSON.stringify(r);
  for (const v of values) assert.ok(!text.includes(v), `a secret value (${v.length} chars) appears in the result`);
}

const installed = (program: string) => spawnSync('sh', ['-c', `command -v ${program}`]).status === 0;

// ---------------------------------------------------------------------------------------------

const SERVICES = lines(
  'apiVersion: v1', //                 1
  'kind: Service', //                  2
  'metadata:', //                      3
  '  name: the0-postgresql', //        4
  'spec:', //                          5
  '  type: NodePort', //               6
  '  ports:', //                       7
  '    - port: 5432', //               8
  '      nodePort: 30432', //          9
  '---', //                            10
  'apiVersion: v1', //                 11
  'kind: Service', //                  12
  'metadata:', //                      13
  '  name: cache', //                  14
  'spec:', //                          15
  '  type: LoadBalancer', //           16
  '  ports:', //                       17
  '    - port: 6379', //               18
  '---', //                            19
  'apiVersion: v1', //                 20
  'kind: Service', //                  21
  'metadata:', //                      22
  '  name: the0-mongodb', //           23
  'spec:', //                          24
  '  ports:', //                       25
  '    - port: 27017', //              26
  '---', //                            27
  'apiVersion: v1', //                 28
  'kind: Service', //                  29
  'metadata:', //                      30
  '  name: the0-api', //               31
  'spec:', //                          32
  '  type: LoadBalancer', //           33
  '  ports:', //                       34
  '    - port: 443', //                35
  '      targetPort: 3000', //         36
  '---', //                            37
  'apiVersion: v1', //                 38
  'kind: Service', //                  39
  'metadata:', //                      40
  '  name: the0-nats', //              41
  'spec:', //                          42
  '  type: ClusterIP', //              43
  '  externalIPs: [203.0.113.7]', //   44
  '  ports:', //                       45
  '    - port: 4222', //               46
);

describe('k8s.service-types', () => {
  test('NodePort, LoadBalancer and externalIPs on datastores fail at their lines; the API is not a datastore', async () => {
    const r = await runCheck('k8s.service-types', dirWith({'rendered/svc.yaml': SERVICES}), {}, MANIFESTS);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['rendered/svc.yaml', 6, 'Service/the0-postgresql'],
      ['rendered/svc.yaml', 16, 'Service/cache'],
      ['rendered/svc.yaml', 44, 'Service/the0-nats'],
    ]);
    assert.match(r.evidence[0]!.detail, /^NodePort: reachable from outside the cluster \(a datastore by its name\)/);
    assert.match(r.evidence[1]!.detail, /^LoadBalancer: .*a datastore by port 6379/);
    assert.match(r.evidence[2]!.detail, /^ClusterIP with externalIPs/);
  });

  test('ClusterIP (given or by default) passes', async () => {
    const only = SERVICES.split('---\n')[2]!;
    const r = await runCheck('k8s.service-types', dirWith({'rendered/svc.yaml': only}), {}, MANIFESTS);
    assert.equal(r.status, 'pass');
    assert.deepEqual(places(r), [['rendered/svc.yaml', 6, 'Service/the0-mongodb']]); // spec's first line: there is no type
    assert.equal(r.evidence[0]!.detail, 'ClusterIP (the default), a datastore by its name');
  });

  test('name and ports select; none selected => skip; bad params => error', async () => {
    const d = dirWith({'rendered/svc.yaml': SERVICES});
    const byName = await runCheck('k8s.service-types', d, {name: '^cache$', ports: []}, MANIFESTS);
    assert.deepEqual(places(byName), [['rendered/svc.yaml', 16, 'Service/cache']]);
    const byPort = await runCheck('k8s.service-types', d, {name: null, ports: [3000]}, MANIFESTS);
    assert.deepEqual(places(byPort), [['rendered/svc.yaml', 33, 'Service/the0-api']]);
    assert.equal((await runCheck('k8s.service-types', d, {name: 'nothing', ports: [1]}, MANIFESTS)).status, 'skip');
    assert.equal((await runCheck('k8s.service-types', d, {name: '(['}, MANIFESTS)).status, 'error');
    assert.equal(CHECKS.get('k8s.service-types')!.params.safeParse({ports: [70000]}).success, false);
    assert.equal(CHECKS.get('k8s.service-types')!.params.safeParse({source: 'api'}).success, false);
  });
});

// ---------------------------------------------------------------------------------------------

const JWT = 'super-secret-jwt-value-123';
const PG = 'the0_password';
const ENV = lines(
  'apiVersion: apps/v1', //                        1
  'kind: Deployment', //                           2
  'metadata:', //                                  3
  '  name: the0-api', //                           4
  'spec:', //                                      5
  '  replicas: 3', //                              6
  '  template:', //                                7
  '    spec:', //                                  8
  '      initContainers:', //                      9
  '        - name: migrate', //                    10
  '          env:', //                             11
  '            - name: DATABASE_PASSWORD', //      12
  `              value: ${PG}`, //                 13
  '      containers:', //                          14
  '        - name: api', //                        15
  '          env:', //                             16
  '            - name: NODE_ENV', //               17
  '              value: production', //            18
  '            - name: JWT_SECRET', //             19
  `              value: "${JWT}"`, //              20
  '            - name: DB_PASSWORD', //            21
  '              valueFrom:', //                   22
  '                secretKeyRef:', //              23
  '                  name: the0-secrets', //       24
  '                  key: db-password', //         25
  '            - name: MINIO_ACCESS_KEY', //       26
  '              valueFrom:', //                   27
  '                configMapKeyRef:', //           28
  '                  name: cfg', //                29
  '                  key: ak', //                  30
  '            - name: API_TOKEN', //              31
  '              value: $(BASE_TOKEN)', //         32
  '            - name: KEYCLOAK_URL', //           33
  '              value: https://kc.example.com', // 34
  '            - name: STRIPE_KEY', //             35
  '              value: 98765432', //              36
);

describe('k8s.env-secrets', () => {
  test('literal credentials (init containers too) and ConfigMap refs fail at the value, never showing it', async () => {
    const r = await runCheck('k8s.env-secrets', dirWith({'rendered/api.yaml': ENV}), {}, MANIFESTS);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['rendered/api.yaml', 13, 'Deployment/the0-api/migrate/DATABASE_PASSWORD'],
      ['rendered/api.yaml', 20, 'Deployment/the0-api/api/JWT_SECRET'],
      ['rendered/api.yaml', 28, 'Deployment/the0-api/api/MINIO_ACCESS_KEY'],
      ['rendered/api.yaml', 36, 'Deployment/the0-api/api/STRIPE_KEY'],
    ]);
    assert.equal(r.evidence[0]!.detail, `a literal value (${redact(PG)}); use valueFrom.secretKeyRef`);
    assert.equal(r.evidence[2]!.detail, 'read from a ConfigMap, which is not a Secret');
    assertNoLeak(r, [PG, JWT, '98765432']);
  });

  test('secretKeyRef and $(VAR) references pass; the pattern can be replaced', async () => {
    const ok = ENV.split('\n')
      .filter((_, i) => (i >= 0 && i <= 8) || (i >= 13 && i <= 16) || (i >= 20 && i <= 24) || (i >= 30 && i <= 31))
      .join('\n');
    const r = await runCheck('k8s.env-secrets', dirWith({'rendered/api.yaml': `${ok}\n`}), {}, MANIFESTS);
    assert.equal(r.status, 'pass', JSON.stringify(r));
    assert.deepEqual(
      r.evidence.map((e) => [e.key, e.detail]),
      [
        ['Deployment/the0-api/api/DB_PASSWORD', 'from Secret the0-secrets key db-password'],
        ['Deployment/the0-api/api/API_TOKEN', 'built from other env entries'],
      ],
    );
    const custom = await runCheck('k8s.env-secrets', dirWith({'rendered/api.yaml': ENV}), {pattern: '^NODE_ENV$'}, MANIFESTS);
    assert.deepEqual(places(custom), [['rendered/api.yaml', 18, 'Deployment/the0-api/api/NODE_ENV']]);
  });

  test('CronJobs are read; no workloads => skip; bad params => error', async () => {
    const cron = lines(
      'apiVersion: batch/v1', //          1
      'kind: CronJob', //                 2
      'metadata:', //                     3
      '  name: backup', //                4
      'spec:', //                         5
      '  jobTemplate:', //                6
      '    spec:', //                     7
      '      template:', //               8
      '        spec:', //                 9
      '          containers:', //         10
      '            - name: dump', //      11
      '              env:', //            12
      '                - name: PGPASSWORD', // 13
      `                  value: ${PG}`, // 14
    );
    const r = await runCheck('k8s.env-secrets', dirWith({'rendered/cron.yaml': cron}), {}, MANIFESTS);
    assert.deepEqual(places(r), [['rendered/cron.yaml', 14, 'CronJob/backup/dump/PGPASSWORD']]);
    assertNoLeak(r, [PG]);
    assert.equal((await runCheck('k8s.env-secrets', dirWith({'rendered/svc.yaml': SERVICES}), {}, MANIFESTS)).status, 'skip');
    assert.equal((await runCheck('k8s.env-secrets', dirWith({'rendered/api.yaml': ENV}), {pattern: '*'}, MANIFESTS)).status, 'error');
  });
});

// ---------------------------------------------------------------------------------------------

const WORKLOADS = lines(
  'apiVersion: apps/v1', //            1
  'kind: Deployment', //               2
  'metadata:', //                      3
  '  name: the0-api', //               4
  'spec:', //                          5
  '  replicas: 3', //                  6
  '---', //                            7
  'apiVersion: apps/v1', //            8
  'kind: Deployment', //               9
  'metadata:', //                      10
  '  name: the0-worker', //            11
  'spec:', //                          12
  '  template: {}', //                 13
  '---', //                            14
  'apiVersion: apps/v1', //            15
  'kind: StatefulSet', //              16
  'metadata:', //                      17
  '  name: the0-postgresql', //        18
  'spec:', //                          19
  '  replicas: 1', //                  20
  '---', //                            21
  'apiVersion: apps/v1', //            22
  'kind: Deployment', //               23
  'metadata:', //                      24
  '  name: the0-frontend', //          25
  'spec:', //                          26
  '  replicas: 1', //                  27
  '---', //                            28
  'apiVersion: autoscaling/v2', //     29
  'kind: HorizontalPodAutoscaler', //  30
  'metadata:', //                      31
  '  name: the0-frontend', //          32
  'spec:', //                          33
  '  scaleTargetRef:', //              34
  '    apiVersion: apps/v1', //        35
  '    kind: Deployment', //           36
  '    name: the0-frontend', //        37
  '  minReplicas: 2', //               38
  '  maxReplicas: 6', //               39
);

describe('k8s.replicas', () => {
  test('the default (1) and an explicit 1 fail at their lines; an autoscaler minimum counts', async () => {
    const r = await runCheck('k8s.replicas', dirWith({'rendered/all.yaml': WORKLOADS}), {}, MANIFESTS);
    assert.equal(r.status, 'fail');
    assert.deepEqual(
      r.evidence.map((e) => [e.file, e.line, e.key, e.detail]),
      [
        ['rendered/all.yaml', 13, 'Deployment/the0-worker', '1 replica (the default), fewer than 2'], // spec's first line
        ['rendered/all.yaml', 20, 'StatefulSet/the0-postgresql', '1 replica, fewer than 2'],
      ],
    );
  });

  test('names narrows and must exist; min raises the bar; kinds narrows', async () => {
    const d = dirWith({'rendered/all.yaml': WORKLOADS});
    const ok = await runCheck('k8s.replicas', d, {names: ['the0-api', 'the0-frontend']}, MANIFESTS);
    assert.equal(ok.status, 'pass');
    assert.deepEqual(
      ok.evidence.map((e) => [e.line, e.key, e.detail]),
      [
        [6, 'Deployment/the0-api', '3 replicas'],
        [38, 'Deployment/the0-frontend', 'autoscaled by the0-frontend from 2 replicas'],
      ],
    );
    const missing = await runCheck('k8s.replicas', d, {names: ['the0-api', 'the0-nope']}, MANIFESTS);
    assert.equal(missing.status, 'fail');
    assert.deepEqual(missing.evidence, [{key: 'the0-nope', detail: 'no Deployment or StatefulSet named the0-nope in the manifests'}]);
    const high = await runCheck('k8s.replicas', d, {names: ['the0-api'], min: 4}, MANIFESTS);
    assert.deepEqual(
      high.evidence.map((e) => e.detail),
      ['3 replicas, fewer than 4'],
    );
    assert.equal((await runCheck('k8s.replicas', d, {kinds: ['DaemonSet']}, MANIFESTS)).status, 'skip');
    assert.equal((await runCheck('k8s.replicas', d, {min: 0}, MANIFESTS)).status, 'error');
    assert.equal((await runCheck('k8s.replicas', d, {names: []}, MANIFESTS)).status, 'error');
  });
});

// ---------------------------------------------------------------------------------------------

describe('helm template when no rendered manifests exist', () => {
  const CHART = {
    'values.yaml': 'replicaCount: 2\n',
    'k8s/Chart.yaml': lines('apiVersion: v2', 'name: the0', 'version: 1.4.0'),
    'k8s/values.yaml': 'replicaCount: 1\n',
    'k8s/templates/svc.yaml': lines('apiVersion: v1', 'kind: Service', 'metadata:', '  name: {{ .Release.Name }}-postgresql'),
    'k8s/charts/redis/Chart.yaml': lines('apiVersion: v2', 'name: redis', 'version: 1.0.0'),
  };
  const FILES = {...MANIFESTS, helmValues: ['k8s/values.yaml', 'values.yaml']};

  test('helm is not installed here: skip, saying so and how to render by hand', async (t) => {
    if (installed('helm')) return t.skip('helm is installed on this machine');
    const d = dirWith(CHART);
    for (const id of ['k8s.service-types', 'k8s.env-secrets', 'k8s.replicas', 'k8s.pod-annotation', 'k8s.resource-limits']) {
      const r = await runCheck(id, d, id === 'k8s.pod-annotation' ? {key: 'x'} : {}, FILES);
      assert.equal(r.status, 'skip', id);
      assert.match(r.message, /looked for rendered\/\*\.yaml/);
      assert.match(r.message, /helm is not installed, so the chart in k8s could not be rendered/);
      assert.match(r.message, /`helm template <release> k8s -f k8s\/values\.yaml -f values\.yaml > rendered\/all\.yaml`/);
    }
  });

  test('a chart named by param is used; one without Chart.yaml is an error', async (t) => {
    if (installed('helm')) return t.skip('helm is installed on this machine');
    const d = dirWith({...CHART, 'other/Chart.yaml': lines('apiVersion: v2', 'name: other', 'version: 1.0.0')});
    const r = await runCheck('k8s.replicas', d, {chart: 'other/'}, FILES);
    assert.equal(r.status, 'skip');
    assert.match(r.message, /the chart in other could not be rendered/);
    const bad = await runCheck('k8s.replicas', d, {chart: 'k8s/templates'}, FILES);
    assert.equal(bad.status, 'error');
    assert.match(bad.message, /chart k8s\/templates has no Chart\.yaml/);
  });

  test('no values files, or no chart: the plain skip; k8s.no-secret-data never renders', async () => {
    const plain = /^no rendered manifests found \(looked for rendered\/\*\.yaml\); render them with helm template/;
    const noValues = await runCheck('k8s.replicas', dirWith(CHART), {}, MANIFESTS);
    assert.match(noValues.message, plain);
    const {'k8s/Chart.yaml': _, ...noChart} = CHART;
    const onlySub = await runCheck('k8s.replicas', dirWith(noChart), {}, FILES);
    assert.equal(onlySub.status, 'skip');
    assert.match(onlySub.message, plain);
    assert.match((await runCheck('k8s.no-secret-data', dirWith(CHART), {}, FILES)).message, plain);
  });
});

// ---------------------------------------------------------------------------------------------

/** What `kubectl get services,deployments,horizontalpodautoscalers -o json` prints: a List. */
const KUBECTL_LIST = JSON.stringify(
  {
    apiVersion: 'v1',
    items: [
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: {name: 'the0-postgresql', namespace: 'the0', resourceVersion: '812', uid: '2a1c7d4e-0000-4000-8000-000000000001'},
        spec: {clusterIP: '10.43.12.9', ports: [{nodePort: 30432, port: 5432, protocol: 'TCP', targetPort: 5432}], type: 'NodePort'},
        status: {loadBalancer: {}},
      },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: {name: 'the0-api', namespace: 'the0', generation: 3},
        spec: {
          replicas: 1,
          selector: {matchLabels: {app: 'the0-api'}},
          template: {
            metadata: {labels: {app: 'the0-api'}},
            spec: {
              containers: [
                {
                  name: 'api',
                  image: 'ghcr.io/alexanderwanyoike/the0-api:1.4.0',
                  env: [
                    {name: 'JWT_SECRET', value: JWT},
                    {name: 'DB_PASSWORD', valueFrom: {secretKeyRef: {name: 'the0-secrets', key: 'db-password'}}},
                  ],
                },
              ],
            },
          },
        },
        status: {availableReplicas: 1, readyReplicas: 1, replicas: 1},
      },
    ],
    kind: 'List',
    metadata: {resourceVersion: ''},
  },
  null,
  4,
);

describe('source: cluster', () => {
  test('kubectl is installed but there is no cluster: error naming the reason, quickly', async (t) => {
    if (!installed('kubectl')) return t.skip('kubectl is not installed on this machine');
    const d = dirWith({});
    for (const id of ['k8s.service-types', 'k8s.env-secrets', 'k8s.replicas']) {
      const started = performance.now();
      const r = await runCheck(id, d, {source: 'cluster'});
      const ms = performance.now() - started;
      console.log(`  ${id} with no cluster: ${ms.toFixed(0)} ms`);
      assert.equal(r.status, 'error', id);
      assert.match(
        r.message,
        /^kubectl could not read the cluster \(context current, namespace default for the context\): The connection to the server localhost:8080 was refused/,
      );
      assert.ok(ms < 5_000, `${id} took ${ms.toFixed(0)} ms`);
    }
    const ctx = await runCheck('k8s.replicas', d, {source: 'cluster', context: 'prod', namespace: 'the0'});
    assert.equal(ctx.status, 'error');
    assert.match(ctx.message, /\(context prod, namespace the0\): context "prod" does not exist$/);
  });

  test('kubectl not on PATH: skip that says so', async () => {
    const saved = process.env.PATH;
    process.env.PATH = tempDir('shipshape-empty-path-');
    try {
      const r = await runCheck('k8s.service-types', dirWith({}), {source: 'cluster'});
      assert.equal(r.status, 'skip');
      assert.match(r.message, /^kubectl is not installed/);
    } finally {
      process.env.PATH = saved;
    }
  });

  test('source: cluster is opt-in: rendered files are read otherwise, even when they exist', async () => {
    const r = await runCheck('k8s.service-types', dirWith({'rendered/svc.yaml': SERVICES}), {source: 'files'}, MANIFESTS);
    assert.equal(r.evidence[0]!.file, 'rendered/svc.yaml');
  });

  test('kubectl -o json output (a List) parses into its objects, and the checks judge them', async () => {
    // The checks turn kubectl's stdout into objects with parseManifests, as here.
    const objects = parseManifests(KUBECTL_LIST, 'cluster');
    assert.deepEqual(
      objects.map((m) => [m.kind, m.namespace, m.name, m.at]),
      [
        ['Service', 'the0', 'the0-postgresql', ['items', 0]],
        ['Deployment', 'the0', 'the0-api', ['items', 1]],
      ],
    );
    // The same document through the checks (read as a file, so the parse is the same one).
    const d = dirWith({'live/cluster.json': KUBECTL_LIST});
    const files = {manifests: ['live/*.json']};
    const svc = await runCheck('k8s.service-types', d, {}, files);
    assert.equal(svc.status, 'fail');
    assert.deepEqual(places(svc), [['live/cluster.json', 23, 'Service/the0-postgresql']]);
    const env = await runCheck('k8s.env-secrets', d, {}, files);
    assert.equal(env.status, 'fail');
    assert.deepEqual(
      env.evidence.map((e) => e.key),
      ['Deployment/the0-api/api/JWT_SECRET'],
    );
    assertNoLeak(env, [JWT]);
    const rep = await runCheck('k8s.replicas', d, {}, files);
    assert.deepEqual(
      rep.evidence.map((e) => [e.key, e.detail]),
      [['Deployment/the0-api', '1 replica, fewer than 2']],
    );
  });
});
