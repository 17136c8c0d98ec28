// helm.* checks against real values files, k8s.* checks against rendered manifests (and a real
// git repository for k8s.no-secret-data), all in temp dirs.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {CHECKS} from '../../src/checks/index.js';
import type {CheckResult} from '../../src/model/types.js';
import {dirWith, git, gitInit, lines, places, runCheck, tempDir, writeFiles} from '../support/helpers.js';

// Checks run git with our HOME: point it at an empty dir so no personal git config takes part.
process.env.HOME = tempDir('shipshape-home-');

function assertNoLeak(r: CheckResult, values: readonly string[]): void {
  const text = JSON.stringify(r);
  for (const v of values) {
    assert.ok(v.length >= 6);
    assert.ok(!text.includes(v), `a secret value (${v.length} chars) appears in the result`);
  }
}

const PG_DEFAULT = 'the0_password';
const JWT_DEFAULT = 'your-super-secret-jwt-key-change-this-in-production';
const HELM = {helmValues: ['values.yaml']};

const VALUES = lines(
  'global:', //                                                  1
  '  existingSecret: ""', //                                     2
  'the0Api:', //                                                 3
  '  image:', //                                                 4
  '    repository: ghcr.io/alexanderwanyoike/the0-api', //       5
  '    tag: "1.4.0"', //                                         6
  '  env:', //                                                   7
  '    NODE_ENV: production', //                                 8
  `    JWT_SECRET: ${JWT_DEFAULT}`, //                           9
  '  extraEnv:', //                                              10
  '    - name: LOG_LEVEL', //                                    11
  '      value: info', //                                        12
  '    - name: DATABASE_PASSWORD', //                            13
  '      valueFrom:', //                                         14
  '        secretKeyRef:', //                                    15
  '          name: the0-secrets', //                             16
  '          key: db-password', //                               17
  'postgresql:', //                                              18
  '  auth:', //                                                  19
  '    username: the0', //                                       20
  `    password: ${PG_DEFAULT}`, //                              21
  '    existingSecret: ""', //                                   22
  'ingress:', //                                                 23
  '  enabled: true', //                                          24
  '  annotations:', //                                           25
  '    cert-manager.io/cluster-issuer: letsencrypt', //          26
  '  hosts:', //                                                 27
  '    - host: the0.example.com', //                             28
  '    - host: the0.acme.io', //                                 29
  'replicaCount: 2', //                                          30
);

// ---------------------------------------------------------------------------------------------

describe('helm.value', () => {
  const d = dirWith({'values.yaml': VALUES});

  test('equals passes with the values line', async () => {
    const r = await runCheck('helm.value', d, {path: 'the0Api.env.NODE_ENV', equals: 'production'}, HELM);
    assert.equal(r.status, 'pass');
    assert.deepEqual(places(r), [['values.yaml', 8, 'the0Api.env.NODE_ENV']]);
    assert.equal(r.evidence[0]!.detail, 'the0Api.env.NODE_ENV = "production" (values.yaml)');
  });

  test('equals fails on another value', async () => {
    const r = await runCheck('helm.value', d, {path: 'the0Api.env.NODE_ENV', equals: 'development'}, HELM);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['values.yaml', 8, 'the0Api.env.NODE_ENV']]);
    assert.match(r.message, /expected development/);
  });

  test('booleans and numbers compare with their YAML values', async () => {
    assert.equal((await runCheck('helm.value', d, {path: 'ingress.enabled', equals: true}, HELM)).status, 'pass');
    assert.equal((await runCheck('helm.value', d, {path: 'replicaCount', equals: 2}, HELM)).status, 'pass');
    const r = await runCheck('helm.value', d, {path: 'replicaCount', equals: 3}, HELM);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['values.yaml', 30, 'replicaCount']]);
  });

  test('notEquals', async () => {
    assert.equal((await runCheck('helm.value', d, {path: 'ingress.enabled', notEquals: false}, HELM)).status, 'pass');
    const r = await runCheck('helm.value', d, {path: 'ingress.enabled', notEquals: true}, HELM);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['values.yaml', 24, 'ingress.enabled']]);
    assert.match(r.message, /expected not true/);
  });

  test('oneOf', async () => {
    assert.equal((await runCheck('helm.value', d, {path: 'the0Api.env.NODE_ENV', oneOf: ['staging', 'production']}, HELM)).status, 'pass');
    const r = await runCheck('helm.value', d, {path: 'the0Api.env.NODE_ENV', oneOf: ['staging', 'development']}, HELM);
    assert.equal(r.status, 'fail');
    assert.match(r.message, /one of staging, development/);
  });

  test('nonEmpty: an empty string fails, a value passes', async () => {
    const r = await runCheck('helm.value', d, {path: 'global.existingSecret', nonEmpty: true}, HELM);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['values.yaml', 2, 'global.existingSecret']]);
    const ok = await runCheck('helm.value', d, {path: 'postgresql.auth.username', nonEmpty: true}, HELM);
    assert.equal(ok.status, 'pass');
    assert.deepEqual(places(ok), [['values.yaml', 20, 'postgresql.auth.username']]);
  });

  // helm.ts bug: with nonEmpty: false the expectation is worded "not undefined".
  test('nonEmpty: false expects an empty value, and says so', async () => {
    const r = await runCheck('helm.value', d, {path: 'postgresql.auth.username', nonEmpty: false}, HELM);
    assert.equal(r.status, 'fail');
    assert.doesNotMatch(r.message, /undefined/);
    assert.match(r.message, /expected empty/);
  });

  test('a bracketed path reads keys with dots and slashes', async () => {
    const r = await runCheck('helm.value', d, {path: 'ingress.annotations["cert-manager.io/cluster-issuer"]', equals: 'letsencrypt'}, HELM);
    assert.equal(r.status, 'pass');
    assert.deepEqual(places(r), [['values.yaml', 26, 'ingress.annotations["cert-manager.io/cluster-issuer"]']]);
  });

  test('ifUnset decides when nothing sets the path', async () => {
    const unset = await runCheck('helm.value', d, {path: 'networkPolicy.enabled', equals: true}, HELM);
    assert.equal(unset.status, 'fail');
    assert.deepEqual(unset.evidence, []);
    assert.equal((await runCheck('helm.value', d, {path: 'networkPolicy.enabled', equals: true, ifUnset: 'skip'}, HELM)).status, 'skip');
    assert.equal((await runCheck('helm.value', d, {path: 'networkPolicy.enabled', equals: true, ifUnset: 'pass'}, HELM)).status, 'pass');
  });

  test('a chart default applies when no values file sets the path', async () => {
    const files = {...HELM, chartDefaults: {'networkPolicy.enabled': false, replicaCount: 1}};
    const r = await runCheck('helm.value', d, {path: 'networkPolicy.enabled', equals: true}, files);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [[undefined, undefined, 'networkPolicy.enabled']]);
    assert.match(r.evidence[0]!.detail, /\(chart default\)/);
    // A values file beats the chart default.
    const set = await runCheck('helm.value', d, {path: 'replicaCount', equals: 2}, files);
    assert.equal(set.status, 'pass');
    assert.deepEqual(places(set), [['values.yaml', 30, 'replicaCount']]);
  });

  test('the later values file wins', async () => {
    const two = dirWith({'values.yaml': VALUES, 'values.prod.yaml': lines('the0Api:', '  env:', '    NODE_ENV: staging')});
    const r = await runCheck('helm.value', two, {path: 'the0Api.env.NODE_ENV', equals: 'production'}, {helmValues: ['values.yaml', 'values.prod.yaml']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['values.prod.yaml', 3, 'the0Api.env.NODE_ENV']]);
  });

  test('no values file => skip; malformed values => error at the line', async () => {
    assert.equal((await runCheck('helm.value', d, {path: 'replicaCount', equals: 2})).status, 'skip');
    assert.equal((await runCheck('helm.value', dirWith({}), {path: 'replicaCount', equals: 2}, HELM)).status, 'skip');
    const bad = dirWith({'values.yaml': lines('a: 1', 'b: [1, 2', 'c: 3')});
    const r = await runCheck('helm.value', bad, {path: 'a', equals: 1}, HELM);
    assert.equal(r.status, 'error');
    assert.equal(r.evidence[0]?.file, 'values.yaml');
    assert.equal(typeof r.evidence[0]?.line, 'number');
  });

  test('params: a comparison is required; the path must parse', async () => {
    assert.equal((await runCheck('helm.value', d, {path: 'replicaCount'}, HELM)).status, 'error');
    assert.equal((await runCheck('helm.value', d, {path: 'a..b', equals: 1}, HELM)).status, 'error');
    assert.equal((await runCheck('helm.value', d, {path: 'replicaCount', equals: {}}, HELM)).status, 'error');
    assert.equal(CHECKS.get('helm.value')!.params.safeParse({path: 'replicaCount'}).success, false);
    assert.equal(CHECKS.get('helm.value')!.params.safeParse({path: 'replicaCount', equals: 2, ifUnset: 'warn'}).success, false);
  });
});

describe('helm.no-plaintext-secrets', () => {
  test('literal credentials fail at their lines; existingSecret and secretKeyRef fields are not flagged', async () => {
    const d = dirWith({'values.yaml': VALUES.replace('  existingSecret: ""', '  existingSecret: the0-global')});
    const r = await runCheck('helm.no-plaintext-secrets', d, {}, HELM);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['values.yaml', 9, 'the0Api.env.JWT_SECRET'],
      ['values.yaml', 21, 'postgresql.auth.password'],
    ]);
    assert.match(r.evidence[1]!.detail, /literal credential \(13 chars/);
    assertNoLeak(r, [PG_DEFAULT, JWT_DEFAULT]);
  });

  test('a pattern matching every key still leaves Secret-name fields alone', async () => {
    const d = dirWith({
      'values.yaml': lines(
        'redis:', //                                   1
        '  auth:', //                                  2
        '    existingSecret: redis-secret', //         3
        '    existingSecretPasswordKey: redis-pw', //  4
        'extraEnv:', //                                5
        '  - name: TOKEN', //                          6
        '    valueFrom:', //                           7
        '      secretKeyRef:', //                      8
        '        name: the0-secrets', //               9
        '        key: token', //                       10
        'tls:', //                                     11
        '  secretName: the0-tls', //                   12
      ),
    });
    const r = await runCheck('helm.no-plaintext-secrets', d, {pattern: '(secret|key|name|token)'}, HELM);
    // Only existingSecretPasswordKey (a key name inside the Secret, not a Secret name) can match the wide pattern.
    assert.deepEqual(places(r), [['values.yaml', 4, 'redis.auth.existingSecretPasswordKey']]);
    const def = await runCheck('helm.no-plaintext-secrets', d, {}, HELM);
    assert.equal(def.status, 'pass');
    assert.deepEqual(def.evidence, []);
  });

  test('externalWhen set + chartManaged excuses the chart-managed path, with a note', async () => {
    const d = dirWith({'values.yaml': VALUES.replace('    existingSecret: ""', '    existingSecret: pg-credentials')});
    const r = await runCheck(
      'helm.no-plaintext-secrets',
      d,
      {externalWhen: 'postgresql.auth.existingSecret', chartManaged: ['postgresql.auth.password']},
      HELM,
    );
    assert.equal(r.status, 'fail'); // JWT_SECRET in the env map is still a literal
    assert.deepEqual(places(r), [
      ['values.yaml', 9, 'the0Api.env.JWT_SECRET'],
      ['values.yaml', 22, 'postgresql.auth.existingSecret'],
    ]);
    assert.match(r.evidence[1]!.detail, /Secret "pg-credentials"/);
    assertNoLeak(r, [PG_DEFAULT, JWT_DEFAULT]);

    const clean = dirWith({'values.yaml': lines('postgresql:', '  auth:', `    password: ${PG_DEFAULT}`, '    existingSecret: pg-credentials')});
    const ok = await runCheck(
      'helm.no-plaintext-secrets',
      clean,
      {externalWhen: 'postgresql.auth.existingSecret', chartManaged: ['postgresql.auth.password']},
      HELM,
    );
    assert.equal(ok.status, 'pass');
    assert.deepEqual(places(ok), [['values.yaml', 4, 'postgresql.auth.existingSecret']]);
    assert.match(ok.message, /pg-credentials/);
  });

  test('chartManaged without an existing Secret is still plaintext', async () => {
    const d = dirWith({'values.yaml': lines('postgresql:', '  auth:', `    password: ${PG_DEFAULT}`, '    existingSecret: ""')});
    const r = await runCheck(
      'helm.no-plaintext-secrets',
      d,
      {externalWhen: 'postgresql.auth.existingSecret', chartManaged: ['postgresql.auth.password']},
      HELM,
    );
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['values.yaml', 3, 'postgresql.auth.password']]);
  });

  test('empty values and ${VAR} placeholders pass', async () => {
    const d = dirWith({'values.yaml': lines('postgresql:', '  auth:', '    password: ""', 'api:', '  token: ${API_TOKEN}')});
    const r = await runCheck('helm.no-plaintext-secrets', d, {}, HELM);
    assert.equal(r.status, 'pass');
  });

  test('a later values file that blanks the password clears it', async () => {
    const d = dirWith({
      'values.yaml': lines('postgresql:', '  auth:', `    password: ${PG_DEFAULT}`),
      'values.prod.yaml': lines('postgresql:', '  auth:', '    password: ""'),
    });
    assert.equal((await runCheck('helm.no-plaintext-secrets', d, {}, {helmValues: ['values.yaml', 'values.prod.yaml']})).status, 'pass');
    const base = await runCheck('helm.no-plaintext-secrets', d, {}, HELM);
    assert.deepEqual(places(base), [['values.yaml', 3, 'postgresql.auth.password']]);
  });

  // helm.ts bug: only string leaves are considered, so an unquoted numeric password is missed.
  test('an unquoted numeric password is a literal credential too', async () => {
    const d = dirWith({'values.yaml': lines('redis:', '  auth:', '    password: 12345678')});
    const r = await runCheck('helm.no-plaintext-secrets', d, {}, HELM);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['values.yaml', 3, 'redis.auth.password']]);
    assertNoLeak(r, ['12345678']);
  });

  // helm.ts bug: only the last key is matched, so `- name: JWT_SECRET / value: <literal>` in an env list is missed.
  test('a literal value in a name/value env list entry with a secret name is flagged', async () => {
    const d = dirWith({
      'values.yaml': lines('the0Api:', '  extraEnv:', '    - name: LOG_LEVEL', '      value: info', '    - name: JWT_SECRET', `      value: ${JWT_DEFAULT}`),
    });
    const r = await runCheck('helm.no-plaintext-secrets', d, {}, HELM);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['values.yaml', 6, 'the0Api.extraEnv[1].value']]);
    assertNoLeak(r, [JWT_DEFAULT]);
  });

  test('no values => skip; bad params => error', async () => {
    assert.equal((await runCheck('helm.no-plaintext-secrets', dirWith({}), {}, HELM)).status, 'skip');
    assert.equal((await runCheck('helm.no-plaintext-secrets', dirWith({'values.yaml': VALUES}), {chartManaged: 'x'}, HELM)).status, 'error');
    assert.equal(CHECKS.get('helm.no-plaintext-secrets')!.params.safeParse({externalWhen: 'a..b'}).success, false);
  });
});

describe('helm.env-secret-ref', () => {
  const d = dirWith({'values.yaml': VALUES});
  const base = {list: 'the0Api.extraEnv', map: 'the0Api.env'};

  test('a literal in the env map fails at its line, redacted', async () => {
    const r = await runCheck('helm.env-secret-ref', d, {...base, name: 'JWT_SECRET'}, HELM);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['values.yaml', 9, 'the0Api.env.JWT_SECRET']]);
    assert.match(r.evidence[0]!.detail, /plaintext \(51 chars/);
    assertNoLeak(r, [JWT_DEFAULT]);
  });

  // helm.ts bug: the evidence line is the list's first line (11), not the matching entry's (13).
  test('a secretKeyRef in extraEnv passes, at the entry line', async () => {
    const r = await runCheck('helm.env-secret-ref', d, {...base, name: 'DATABASE_PASSWORD', secretName: 'the0-secrets', secretKey: 'db-password'}, HELM);
    assert.equal(r.status, 'pass');
    assert.equal(r.evidence[0]?.key, 'the0Api.extraEnv[1]');
    assert.match(r.evidence[0]!.detail, /from Secret the0-secrets key db-password/);
    assert.deepEqual(places(r), [['values.yaml', 13, 'the0Api.extraEnv[1]']]);
  });

  test('a wrong Secret name or key warns', async () => {
    const r = await runCheck('helm.env-secret-ref', d, {...base, name: 'DATABASE_PASSWORD', secretName: 'postgresql'}, HELM);
    assert.equal(r.status, 'warn');
    assert.match(r.message, /expected postgresql\/db-password/);
    assert.equal(r.evidence[0]?.key, 'the0Api.extraEnv[1]');
    assert.equal((await runCheck('helm.env-secret-ref', d, {...base, name: 'DATABASE_PASSWORD', secretKey: 'password'}, HELM)).status, 'warn');
  });

  test('a plain value in extraEnv fails', async () => {
    const r = await runCheck('helm.env-secret-ref', d, {list: 'the0Api.extraEnv', name: 'LOG_LEVEL'}, HELM);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['values.yaml', 11, 'the0Api.extraEnv[0]']]);
    assert.match(r.evidence[0]!.detail, /literal value/);
  });

  test('absent from the list fails, naming the list', async () => {
    const r = await runCheck('helm.env-secret-ref', d, {...base, name: 'MINIO_SECRET_KEY'}, HELM);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['values.yaml', 11, 'the0Api.extraEnv']]);
    assert.match(r.evidence[0]!.detail, /2 entries, none named MINIO_SECRET_KEY/);
    const noList = await runCheck('helm.env-secret-ref', d, {list: 'worker.extraEnv', name: 'X'}, HELM);
    assert.equal(noList.status, 'fail');
    assert.deepEqual(noList.evidence, []);
  });

  test('no values => skip; bad params => error', async () => {
    assert.equal((await runCheck('helm.env-secret-ref', dirWith({}), {list: 'a', name: 'X'}, HELM)).status, 'skip');
    assert.equal((await runCheck('helm.env-secret-ref', d, {list: 'the0Api.extraEnv'}, HELM)).status, 'error');
    assert.equal(CHECKS.get('helm.env-secret-ref')!.params.safeParse({list: 'the0Api.extraEnv', name: ''}).success, false);
  });
});

describe('helm.ingress-hosts', () => {
  test('example.com fails at its entry; the real host is not blamed', async () => {
    const r = await runCheck('helm.ingress-hosts', dirWith({'values.yaml': VALUES}), {}, HELM);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['values.yaml', 28, 'ingress.hosts[0]']]);
    assert.match(r.evidence[0]!.detail, /the0\.example\.com is a placeholder/);
  });

  test('real hosts pass with their lines', async () => {
    const d = dirWith({'values.yaml': lines('ingress:', '  hosts:', '    - host: the0.acme.io', '      paths: [/]', '    - host: api.the0.acme.io')});
    const r = await runCheck('helm.ingress-hosts', d, {}, HELM);
    assert.equal(r.status, 'pass');
    assert.deepEqual(places(r), [
      ['values.yaml', 3, 'ingress.hosts[0]'],
      ['values.yaml', 5, 'ingress.hosts[1]'],
    ]);
  });

  test('.local, chart-example.local and localhost fail (string entries)', async () => {
    const d = dirWith({
      'values.yaml': lines(
        'web:',
        '  ingress:',
        '    hosts:',
        '      - the0.local',
        '      - chart-example.local',
        '      - localhost',
        '      - the0.acme.io',
      ),
    });
    const r = await runCheck('helm.ingress-hosts', d, {path: 'web.ingress.hosts'}, HELM);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['values.yaml', 4, 'web.ingress.hosts[0]'],
      ['values.yaml', 5, 'web.ingress.hosts[1]'],
      ['values.yaml', 6, 'web.ingress.hosts[2]'],
    ]);
  });

  test('no hosts fails; reject can be replaced', async () => {
    const empty = await runCheck('helm.ingress-hosts', dirWith({'values.yaml': lines('ingress:', '  hosts: []')}), {}, HELM);
    assert.equal(empty.status, 'fail');
    assert.deepEqual(places(empty), [['values.yaml', 2, 'ingress.hosts']]);
    const unset = await runCheck('helm.ingress-hosts', dirWith({'values.yaml': 'a: 1\n'}), {}, HELM);
    assert.equal(unset.status, 'fail');
    assert.deepEqual(unset.evidence, []);
    const custom = await runCheck('helm.ingress-hosts', dirWith({'values.yaml': VALUES}), {reject: 'acme\\.io$'}, HELM);
    assert.deepEqual(places(custom), [['values.yaml', 29, 'ingress.hosts[1]']]);
  });

  test('no values => skip; bad params => error', async () => {
    assert.equal((await runCheck('helm.ingress-hosts', dirWith({}), {}, HELM)).status, 'skip');
    assert.equal((await runCheck('helm.ingress-hosts', dirWith({'values.yaml': VALUES}), {path: ''}, HELM)).status, 'error');
    assert.equal(CHECKS.get('helm.ingress-hosts')!.params.safeParse({reject: 1}).success, false);
  });
});

describe('helm.image-pinned', () => {
  const d = dirWith({
    'values.yaml': lines(
      'the0Api:', //                                              1
      '  image:', //                                              2
      '    repository: ghcr.io/alexanderwanyoike/the0-api', //    3
      '    tag: "1.4.0"', //                                      4
      'worker:', //                                               5
      '  image:', //                                              6
      '    repository: ghcr.io/alexanderwanyoike/the0-worker', // 7
      '    tag: latest', //                                       8
      'frontend:', //                                             9
      '  image: ghcr.io/alexanderwanyoike/the0-frontend', //      10
      'docs:', //                                                 11
      '  image:', //                                              12
      '    tag: ""', //                                           13
    ),
  });

  test('latest, untagged image strings and empty tags fail', async () => {
    const r = await runCheck('helm.image-pinned', d, {}, HELM);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['values.yaml', 8, 'worker.image.tag'],
      ['values.yaml', 10, 'frontend.image'],
      ['values.yaml', 13, 'docs.image.tag'],
    ]);
  });

  // helm.ts bug: an image string is only recognised when it contains '/', so official images are skipped.
  test('an official image string without a registry path is checked too', async () => {
    const r = await runCheck('helm.image-pinned', dirWith({'values.yaml': lines('backup:', '  image: postgres:latest', 'cache:', '  image: redis')}), {}, HELM);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['values.yaml', 2, 'backup.image'],
      ['values.yaml', 4, 'cache.image'],
    ]);
  });

  test('allowEmpty accepts an empty tag; pinned tags pass', async () => {
    const ok = dirWith({'values.yaml': lines('the0Api:', '  image:', '    tag: "1.4.0"', 'docs:', '  image:', '    tag: ""')});
    const r = await runCheck('helm.image-pinned', ok, {allowEmpty: true}, HELM);
    assert.equal(r.status, 'pass');
    assert.deepEqual(places(r), [
      ['values.yaml', 3, 'the0Api.image.tag'],
      ['values.yaml', 6, 'docs.image.tag'],
    ]);
    assert.equal((await runCheck('helm.image-pinned', ok, {}, HELM)).status, 'fail');
  });

  test('no tags => skip; bad param => error', async () => {
    assert.equal((await runCheck('helm.image-pinned', dirWith({'values.yaml': 'a: 1\n'}), {}, HELM)).status, 'skip');
    assert.equal((await runCheck('helm.image-pinned', d, {allowEmpty: 'yes'}, HELM)).status, 'error');
    assert.equal(CHECKS.get('helm.image-pinned')!.params.safeParse({allowEmpty: 'yes'}).success, false);
  });
});

// ---------------------------------------------------------------------------------------------

const MANIFESTS = {manifests: ['rendered/*.yaml']};

const DEPLOYMENTS = lines(
  '---', //                                                        1
  'apiVersion: apps/v1', //                                        2
  'kind: Deployment', //                                           3
  'metadata:', //                                                  4
  '  name: the0-api', //                                           5
  'spec:', //                                                      6
  '  template:', //                                                7
  '    metadata:', //                                              8
  '      annotations:', //                                         9
  '        checksum/chart-version: "1.4.0"', //                    10
  '    spec:', //                                                  11
  '      containers:', //                                          12
  '        - name: api', //                                        13
  '          image: ghcr.io/alexanderwanyoike/the0-api:1.4.0', //  14
  '          resources:', //                                       15
  '            limits:', //                                        16
  '              memory: 512Mi', //                                17
  '              cpu: 500m', //                                    18
  '---', //                                                        19
  'apiVersion: apps/v1', //                                        20
  'kind: Deployment', //                                           21
  'metadata:', //                                                  22
  '  name: the0-worker', //                                        23
  'spec:', //                                                      24
  '  template:', //                                                25
  '    metadata:', //                                              26
  '      labels:', //                                              27
  '        app: the0-worker', //                                   28
  '    spec:', //                                                  29
  '      containers:', //                                          30
  '        - name: worker', //                                     31
  '          image: ghcr.io/alexanderwanyoike/the0-worker:1.4.0', // 32
  '          resources:', //                                       33
  '            limits:', //                                        34
  '              memory: 256Mi', //                                35
  '        - name: sidecar', //                                    36
  '          image: busybox:1.36', //                              37
);

const API_ONLY = DEPLOYMENTS.split('\n').slice(0, 18).join('\n') + '\n';

describe('k8s.pod-annotation', () => {
  test('a Deployment without the annotation fails at its pod template metadata', async () => {
    const r = await runCheck('k8s.pod-annotation', dirWith({'rendered/all.yaml': DEPLOYMENTS}), {key: 'checksum/chart-version'}, MANIFESTS);
    assert.equal(r.status, 'fail');
    // The line is where the template's metadata block starts (its first key).
    assert.deepEqual(places(r), [['rendered/all.yaml', 27, 'Deployment/the0-worker']]);
    assert.match(r.evidence[0]!.detail, /lacks checksum\/chart-version/);
  });

  test('a Deployment with the annotation passes at the annotation line', async () => {
    const r = await runCheck('k8s.pod-annotation', dirWith({'rendered/api.yaml': API_ONLY}), {key: 'checksum/chart-version'}, MANIFESTS);
    assert.equal(r.status, 'pass');
    assert.deepEqual(places(r), [['rendered/api.yaml', 10, 'Deployment/the0-api']]);
    assert.equal(r.evidence[0]!.detail, 'checksum/chart-version: 1.4.0');
  });

  test('only files matching the manifests glob are read', async () => {
    const d = dirWith({'rendered/api.yaml': API_ONLY, 'other/all.yaml': DEPLOYMENTS});
    assert.equal((await runCheck('k8s.pod-annotation', d, {key: 'checksum/chart-version'}, MANIFESTS)).status, 'pass');
    assert.equal((await runCheck('k8s.pod-annotation', d, {key: 'checksum/chart-version'}, {manifests: ['**/*.yaml']})).status, 'fail');
  });

  test('kinds narrows: no such workloads => skip', async () => {
    const r = await runCheck(
      'k8s.pod-annotation',
      dirWith({'rendered/all.yaml': DEPLOYMENTS}),
      {key: 'checksum/chart-version', kinds: ['StatefulSet']},
      MANIFESTS,
    );
    assert.equal(r.status, 'skip');
  });

  test('no manifests => skip; malformed => error at the line; bad params => error', async () => {
    const none = await runCheck('k8s.pod-annotation', dirWith({'values.yaml': 'a: 1\n'}), {key: 'checksum/chart-version'}, MANIFESTS);
    assert.equal(none.status, 'skip');
    assert.match(none.message, /rendered\/\*\.yaml/);
    assert.equal((await runCheck('k8s.pod-annotation', dirWith({'rendered/all.yaml': DEPLOYMENTS}), {key: 'x'})).status, 'skip'); // no manifests configured
    const bad = await runCheck(
      'k8s.pod-annotation',
      dirWith({'rendered/all.yaml': lines('kind: Deployment', 'metadata:', '  name: a', ' spec: [')}),
      {key: 'x'},
      MANIFESTS,
    );
    assert.equal(bad.status, 'error');
    assert.equal(bad.evidence[0]?.file, 'rendered/all.yaml');
    assert.equal(typeof bad.evidence[0]?.line, 'number');
    assert.equal((await runCheck('k8s.pod-annotation', dirWith({}), {}, MANIFESTS)).status, 'error');
    assert.equal(CHECKS.get('k8s.pod-annotation')!.params.safeParse({key: ''}).success, false);
  });
});

describe('k8s.resource-limits', () => {
  test('containers without a limit fail at their own entry', async () => {
    const r = await runCheck('k8s.resource-limits', dirWith({'rendered/all.yaml': DEPLOYMENTS}), {}, MANIFESTS);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['rendered/all.yaml', 31, 'Deployment/the0-worker/worker'],
      ['rendered/all.yaml', 36, 'Deployment/the0-worker/sidecar'],
    ]);
    assert.equal(r.evidence[0]!.detail, 'no cpu limit');
    assert.equal(r.evidence[1]!.detail, 'no memory or cpu limit');
  });

  test('CronJob containers are found under jobTemplate', async () => {
    const d = dirWith({
      'rendered/cron.yaml': lines(
        'apiVersion: batch/v1', //          1
        'kind: CronJob', //                 2
        'metadata:', //                     3
        '  name: backup', //                4
        'spec:', //                         5
        '  schedule: "0 3 * * *"', //       6
        '  jobTemplate:', //                7
        '    spec:', //                     8
        '      template:', //               9
        '        spec:', //                 10
        '          containers:', //         11
        '            - name: pg-dump', //   12
        '              image: postgres:16', // 13
      ),
    });
    const r = await runCheck('k8s.resource-limits', d, {}, MANIFESTS);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['rendered/cron.yaml', 12, 'CronJob/backup/pg-dump']]);
  });

  test('all limited passes; no manifests skip; bad params error', async () => {
    const r = await runCheck('k8s.resource-limits', dirWith({'rendered/api.yaml': API_ONLY}), {}, MANIFESTS);
    assert.equal(r.status, 'pass');
    assert.match(r.message, /^1 containers have limits/);
    assert.equal((await runCheck('k8s.resource-limits', dirWith({}), {}, MANIFESTS)).status, 'skip');
    assert.equal((await runCheck('k8s.resource-limits', dirWith({'rendered/api.yaml': API_ONLY}), {kinds: 'Deployment'}, MANIFESTS)).status, 'error');
    assert.equal(CHECKS.get('k8s.resource-limits')!.params.safeParse({kinds: 'Deployment'}).success, false);
  });
});

describe('k8s.job-cleanup', () => {
  const JOBS = lines(
    'apiVersion: batch/v1', //                   1
    'kind: Job', //                              2
    'metadata:', //                              3
    '  name: migrate', //                        4
    'spec:', //                                  5
    '  ttlSecondsAfterFinished: 600', //         6
    '  template: {}', //                         7
    '---', //                                    8
    'apiVersion: batch/v1', //                   9
    'kind: Job', //                              10
    'metadata:', //                              11
    '  name: seed', //                           12
    'spec:', //                                  13
    '  backoffLimit: 2', //                      14
    '---', //                                    15
    'apiVersion: batch/v1', //                   16
    'kind: CronJob', //                          17
    'metadata:', //                              18
    '  name: backup', //                         19
    'spec:', //                                  20
    '  schedule: "0 3 * * *"', //                21
    '  successfulJobsHistoryLimit: 10', //       22
    '---', //                                    23
    'apiVersion: batch/v1', //                   24
    'kind: CronJob', //                          25
    'metadata:', //                              26
    '  name: cleanup', //                        27
    'spec:', //                                  28
    '  schedule: "0 4 * * *"', //                29
  );

  test('a Job without ttl and a CronJob with a long history fail', async () => {
    const r = await runCheck('k8s.job-cleanup', dirWith({'rendered/jobs.yaml': JOBS}), {}, MANIFESTS);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['rendered/jobs.yaml', 14, 'Job/seed'],
      ['rendered/jobs.yaml', 21, 'CronJob/backup'],
    ]);
    assert.match(r.evidence[0]!.detail, /no ttlSecondsAfterFinished/);
    assert.match(r.evidence[1]!.detail, /keeps 10/);
  });

  test('maxHistory raises the bound; a Job with ttl passes at the ttl line', async () => {
    const d = dirWith({
      'rendered/jobs.yaml': JOBS.split('---\n')
        .filter((_, i) => i !== 1)
        .join('---\n'),
    });
    const r = await runCheck('k8s.job-cleanup', d, {maxHistory: 10}, MANIFESTS);
    assert.equal(r.status, 'pass');
    assert.deepEqual(places(r), [
      ['rendered/jobs.yaml', 6, 'Job/migrate'],
      ['rendered/jobs.yaml', 14, 'CronJob/backup'],
      ['rendered/jobs.yaml', 22, 'CronJob/cleanup'],
    ]);
  });

  test('no jobs passes; no manifests skip; bad params error', async () => {
    assert.equal((await runCheck('k8s.job-cleanup', dirWith({'rendered/api.yaml': API_ONLY}), {}, MANIFESTS)).status, 'pass');
    assert.equal((await runCheck('k8s.job-cleanup', dirWith({}), {}, MANIFESTS)).status, 'skip');
    assert.equal((await runCheck('k8s.job-cleanup', dirWith({'rendered/jobs.yaml': JOBS}), {maxHistory: -1}, MANIFESTS)).status, 'error');
    assert.equal(CHECKS.get('k8s.job-cleanup')!.params.safeParse({maxHistory: 1.5}).success, false);
  });
});

describe('k8s.secret-manager', () => {
  test('a SealedSecret passes at its document', async () => {
    const d = dirWith({
      'rendered/all.yaml':
        API_ONLY + lines('---', 'apiVersion: bitnami.com/v1alpha1', 'kind: SealedSecret', 'metadata:', '  name: the0-secrets', 'spec:', '  encryptedData: {}'),
    });
    const r = await runCheck('k8s.secret-manager', d, {}, MANIFESTS);
    assert.equal(r.status, 'pass');
    assert.deepEqual(places(r), [['rendered/all.yaml', 20, 'SealedSecret/the0-secrets']]);
  });

  test('only plain Secrets warn; kinds can be replaced', async () => {
    const d = dirWith({'rendered/all.yaml': lines('apiVersion: v1', 'kind: Secret', 'metadata:', '  name: s', 'type: Opaque')});
    const r = await runCheck('k8s.secret-manager', d, {}, MANIFESTS);
    assert.equal(r.status, 'warn');
    assert.match(r.message, /among 1 objects/);
    assert.equal((await runCheck('k8s.secret-manager', d, {kinds: ['Secret']}, MANIFESTS)).status, 'pass');
  });

  test('no manifests skip; bad params error', async () => {
    assert.equal((await runCheck('k8s.secret-manager', dirWith({}), {}, MANIFESTS)).status, 'skip');
    assert.equal((await runCheck('k8s.secret-manager', dirWith({'rendered/api.yaml': API_ONLY}), {kinds: [1]}, MANIFESTS)).status, 'error');
    assert.equal(CHECKS.get('k8s.secret-manager')!.params.safeParse({kinds: [1]}).success, false);
  });
});

describe('k8s.no-secret-data', () => {
  const SECRET_B64 = 'dGhlMF9wYXNzd29yZA=='; // base64 of the0_password
  const SECRET_YAML = lines(
    'apiVersion: v1', //                   1
    'kind: Secret', //                     2
    'metadata:', //                        3
    '  name: the0-secrets', //             4
    'type: Opaque', //                     5
    'data:', //                            6
    `  db-password: ${SECRET_B64}`, //     7
  );
  const STRING_DATA = lines(
    'apiVersion: v1', //                   1
    'kind: Secret', //                     2
    'metadata:', //                        3
    '  name: jwt', //                      4
    'stringData:', //                      5
    `  JWT_SECRET: ${JWT_DEFAULT}`, //     6
  );

  function repo(files: Record<string, string>, commit: string[]): string {
    const d = tempDir();
    gitInit(d);
    writeFiles(d, files);
    if (commit.length > 0) {
      git(d, 'add', '--', ...commit);
      git(d, 'commit', '-q', '-m', 'manifests');
    }
    return d;
  }

  test('a Secret with data in a tracked file fails at its data', async () => {
    const d = repo({'rendered/secret.yaml': SECRET_YAML, 'rendered/api.yaml': API_ONLY}, ['rendered/secret.yaml', 'rendered/api.yaml']);
    const r = await runCheck('k8s.no-secret-data', d, {}, MANIFESTS);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['rendered/secret.yaml', 7, 'Secret/the0-secrets']]);
    assert.match(r.evidence[0]!.detail, /has data/);
    assertNoLeak(r, [SECRET_B64, PG_DEFAULT]);
  });

  test('stringData in a tracked file fails at its stringData', async () => {
    const d = repo({'rendered/jwt.yaml': STRING_DATA}, ['rendered/jwt.yaml']);
    const r = await runCheck('k8s.no-secret-data', d, {}, MANIFESTS);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['rendered/jwt.yaml', 6, 'Secret/jwt']]);
    assert.match(r.evidence[0]!.detail, /has stringData/);
    assertNoLeak(r, [JWT_DEFAULT]);
  });

  test('the same Secret untracked passes', async () => {
    const d = repo({'rendered/secret.yaml': SECRET_YAML, 'rendered/api.yaml': API_ONLY}, ['rendered/api.yaml']);
    const r = await runCheck('k8s.no-secret-data', d, {}, MANIFESTS);
    assert.equal(r.status, 'pass');
    assert.deepEqual(places(r), [['rendered/secret.yaml', 1, 'Secret/the0-secrets']]);
    assert.match(r.evidence[0]!.detail, /not committed/);
  });

  test('a deployment in a subdirectory of the repository is checked by its own paths', async () => {
    const d = repo({'deploy/k8s/rendered/secret.yaml': SECRET_YAML, 'README.md': 'x\n'}, ['deploy/k8s/rendered/secret.yaml', 'README.md']);
    const r = await runCheck('k8s.no-secret-data', `${d}/deploy/k8s`, {}, MANIFESTS);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['rendered/secret.yaml', 7, 'Secret/the0-secrets']]);
  });

  test('no Secret with data passes; no manifests skip; bad params error', async () => {
    const d = repo({'rendered/api.yaml': API_ONLY}, ['rendered/api.yaml']);
    assert.equal((await runCheck('k8s.no-secret-data', d, {}, MANIFESTS)).status, 'pass');
    assert.equal((await runCheck('k8s.no-secret-data', repo({}, []), {}, MANIFESTS)).status, 'skip');
    assert.equal((await runCheck('k8s.no-secret-data', d, {any: 1}, MANIFESTS)).status, 'error');
    assert.equal(CHECKS.get('k8s.no-secret-data')!.params.safeParse({any: 1}).success, false);
  });
});

// ---------------------------------------------------------------------------------------------
// the0's chart shapes (issue 17): datastores in the cluster or outside, limits removed by null,
// development defaults.

const THE0_VALUES = lines(
  'postgresql:', //                                                                  1
  '  enabled: false', //                                                             2
  '  password: the0_password', //                                                    3
  '  external:', //                                                                  4
  '    password: "CHANGEME"', //                                                     5
  'mongodb:', //                                                                     6
  '  enabled: false', //                                                             7
  '  external:', //                                                                  8
  '    connectionString: "mongodb+srv://desk:CHANGEME@db.trading-desk.dev/app"', //  9
  'nats:', //                                                                        10
  '  enabled: false', //                                                             11
  '  external:', //                                                                  12
  '    host: nats.trading-desk.dev', //                                              13
  'the0Api:', //                                                                     14
  '  replicas: 1', //                                                                15
  '  resources: null', //                                                           16
  '  env:', //                                                                       17
  '    FRONTEND_URL: "http://the0.local:30001"', //                                  18
  'cache:', //                                                                       19
  '  url: "redis://:Zq81vB2mXc4@cache:6379"', //                                     20
);

describe('helm checks on the0 shapes', () => {
  const d = dirWith({'values.yaml': THE0_VALUES});
  const files = {...HELM, chartDefaults: {'the0Api.resources.limits.memory': '1Gi', 'the0Api.resources.limits.cpu': '1', 'nats.enabled': true}};

  test('helm.value: pattern, reject, atLeast and level', async () => {
    const url = await runCheck(
      'helm.value',
      d,
      {path: 'the0Api.env.FRONTEND_URL', pattern: '^https://', reject: '\\.local(:|/|$)', expect: 'an https URL'},
      HELM,
    );
    assert.equal(url.status, 'fail');
    assert.deepEqual(places(url), [['values.yaml', 18, 'the0Api.env.FRONTEND_URL']]);
    assert.match(url.message, /expected an https URL/);
    const replicas = await runCheck('helm.value', d, {path: 'the0Api.replicas', atLeast: 2, level: 'warn'}, HELM);
    assert.equal(replicas.status, 'warn');
    assert.match(replicas.message, /expected at least 2/);
    assert.equal((await runCheck('helm.value', d, {path: 'the0Api.replicas', atLeast: 1}, HELM)).status, 'pass');
  });

  test('helm.resource-limits: resources: null removes the chart default limits; switched-off components are left out', async () => {
    const r = await runCheck('helm.resource-limits', d, {components: ['the0Api', 'postgresql']}, files);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['values.yaml', 16, 'the0Api.resources.limits']]);
    assert.match(r.message, /1 component switched off/);
    const kept = dirWith({'values.yaml': 'the0Api:\n  replicas: 2\n'});
    const ok = await runCheck('helm.resource-limits', kept, {components: ['the0Api']}, files);
    assert.equal(ok.status, 'pass');
    assert.match(ok.evidence[0]!.detail, /chart defaults/);
  });

  test("helm.url-credentials: the in-cluster service gets the pack's words; an external host without a login fails", async () => {
    const params = {enabled: 'nats.enabled', url: 'nats.external.url', host: 'nats.external.host', inCluster: 'no login setting'};
    const r = await runCheck('helm.url-credentials', d, params, files);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['values.yaml', 13, 'nats.external.host'],
      ['values.yaml', 11, 'nats.enabled'],
    ]);
    const inCluster = await runCheck('helm.url-credentials', dirWith({'values.yaml': 'the0Api: {}\n'}), params, files);
    assert.equal(inCluster.status, 'warn');
    assert.match(inCluster.message, /nats\.enabled is true: no login setting/);
    const withLogin = dirWith({'values.yaml': 'nats:\n  enabled: false\n  external:\n    url: "nats://desk:Rb71xQ0pLm@nats.trading-desk.dev:4222"\n'});
    const ok = await runCheck('helm.url-credentials', withLogin, params, files);
    assert.equal(ok.status, 'pass');
    assertNoLeak(ok, ['Rb71xQ0pLm']);
  });

  test('helm.no-plaintext-secrets: a login inside any connection string; placeholders named; unused sides not judged', async () => {
    const inUse = [
      {when: 'postgresql.enabled', inCluster: ['postgresql.password'], external: ['postgresql.external.password']},
      {when: 'mongodb.enabled', inCluster: ['mongodb.rootPassword'], external: ['mongodb.external.connectionString']},
    ];
    const r = await runCheck('helm.no-plaintext-secrets', d, {inUse}, HELM);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['values.yaml', 5, 'postgresql.external.password'],
      ['values.yaml', 9, 'mongodb.external.connectionString'],
      ['values.yaml', 20, 'cache.url'],
    ]);
    assert.match(r.evidence[0]!.detail, /still a template placeholder/);
    assert.match(r.evidence[1]!.detail, /password inside a connection string, still a template placeholder/);
    assert.match(r.evidence[2]!.detail, /password inside a connection string \(/);
    assert.match(r.message, /3 credentials .* \(2 of them still a placeholder\)/);
    assertNoLeak(r, ['Zq81vB2mXc4', 'the0_password']);
    // Without the inUse rules, the unused in-cluster password counts too.
    const all = await runCheck('helm.no-plaintext-secrets', d, {}, HELM);
    assert.ok(places(all).some(([, line]) => line === 3));
  });

  test('secret.not-default with inUse judges the credential in use and says so', async () => {
    const inUse = [{when: 'postgresql.enabled', inCluster: ['postgresql.password'], external: ['postgresql.external.password']}];
    const r = await runCheck('secret.not-default', d, {helm: ['postgresql.password'], inUse, defaults: ['the0_password']}, HELM);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['values.yaml', 5, 'postgresql.external.password'],
      ['values.yaml', 2, 'postgresql.enabled'],
    ]);
    assert.match(r.evidence[0]!.detail, /template placeholder/);
    assert.match(r.message, /postgresql\.enabled is false/);
    const urls = [{when: 'mongodb.enabled', inCluster: ['mongodb.rootPassword'], externalUrls: ['mongodb.external.connectionString']}];
    const m = await runCheck('secret.not-default', d, {helm: ['mongodb.rootPassword'], inUse: urls}, HELM);
    assert.deepEqual(places(m)[0], ['values.yaml', 9, 'mongodb.external.connectionString (password in URL)']);
    // Switched on, the in-cluster password is the one judged.
    const on = dirWith({'values.yaml': THE0_VALUES.replace('postgresql:\n  enabled: false', 'postgresql:\n  enabled: true')});
    const onR = await runCheck('secret.not-default', on, {helm: ['postgresql.password'], inUse, defaults: ['the0_password']}, HELM);
    assert.deepEqual(places(onR), [['values.yaml', 3, 'postgresql.password']]);
    assert.match(onR.evidence[0]!.detail, /shipped default/);
  });

  test('secret.not-default with inUse: a connection string with no password in it leaves the password field to judge', async () => {
    const values = lines(
      'postgresql:',
      '  enabled: false',
      '  password: the0_password',
      '  external:',
      '    connectionString: postgres://app@pg.trading-desk.dev:5432/app',
      '    password: the0_password',
    );
    const inUse = [
      {
        when: 'postgresql.enabled',
        inCluster: ['postgresql.password'],
        external: ['postgresql.external.password'],
        externalUrls: ['postgresql.external.connectionString'],
      },
    ];
    const r = await runCheck('secret.not-default', dirWith({'values.yaml': values}), {helm: ['postgresql.password'], inUse, defaults: ['the0_password']}, HELM);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r)[0], ['values.yaml', 6, 'postgresql.external.password']);
    assert.match(r.evidence[0]!.detail, /shipped default/);
  });

  test('helm.env-secret-ref ifAbsent: pass leaves a missing variable to another item, still failing a literal', async () => {
    const none = await runCheck('helm.env-secret-ref', d, {name: 'THE0_ADMIN_PASSWORD', list: 'the0Api.extraEnv', map: 'the0Api.env', ifAbsent: 'pass'}, HELM);
    assert.equal(none.status, 'pass');
    assert.match(none.message, /judged separately/);
    const lit = dirWith({'values.yaml': 'the0Api:\n  env:\n    THE0_ADMIN_PASSWORD: Vd72kQp0xZ\n'});
    const r = await runCheck('helm.env-secret-ref', lit, {name: 'THE0_ADMIN_PASSWORD', list: 'the0Api.extraEnv', map: 'the0Api.env', ifAbsent: 'pass'}, HELM);
    assert.equal(r.status, 'fail');
    assertNoLeak(r, ['Vd72kQp0xZ']);
  });
});
