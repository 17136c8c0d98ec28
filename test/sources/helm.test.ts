import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {SourceError} from '../../src/sources/errors.js';
import type {HelmValues} from '../../src/sources/helm.js';
import {manifestLine, parseManifests, type Manifest} from '../../src/sources/manifests.js';
import {getPath, parseValuePath} from '../../src/sources/valuePath.js';
import {contextFor, tempDir, writeFiles} from '../support/helpers.js';

const VALUES = [
  'image:', //                                          1
  '  repository: example/api', //                       2
  '  tag: "1.0.0"', //                                   3
  'replicaCount: 1', //                                  4
  'ingress:', //                                         5
  '  enabled: false', //                                 6
  '  annotations:', //                                   7
  '    "nginx.ingress.kubernetes.io/auth-url": http://auth/check', // 8
  '    kubernetes.io/ingress.class: nginx', //           9
  'extraEnv:', //                                        10
  '  - name: LOG_LEVEL', //                              11
  '    value: info', //                                  12
  '  - name: SECRET', //                                 13
  '    valueFrom:', //                                   14
  '      secretKeyRef: {name: s, key: k}', //            15
  'empty: ""', //                                        16
  'nothing: null', //                                    17
  '',
].join('\n');

const VALUES_PROD = [
  '# production overrides', //  1
  'image:', //                   2
  '  tag: "2.1.0"', //           3
  'replicaCount: 3', //          4
  'ingress:', //                 5
  '  enabled: true', //          6
  '',
].join('\n');

async function helmFor(
  files: Record<string, string>,
  chartDefaults: Record<string, unknown> = {},
  helmValues = ['values.yaml', 'values-prod.yaml'],
): Promise<HelmValues> {
  const dir = tempDir();
  writeFiles(dir, files);
  const h = await contextFor(dir, {helmValues, chartDefaults}).helm();
  assert.ok(h, 'expected Helm values');
  return h;
}

describe('helm values', () => {
  test('a later file wins, with its own file and line', async () => {
    const h = await helmFor({'values.yaml': VALUES, 'values-prod.yaml': VALUES_PROD});
    assert.deepEqual(h.get('image.tag'), {value: '2.1.0', file: 'values-prod.yaml', line: 3, chartDefault: false});
    assert.deepEqual(h.get('replicaCount'), {value: 3, file: 'values-prod.yaml', line: 4, chartDefault: false});
    assert.deepEqual(h.get('ingress.enabled'), {value: true, file: 'values-prod.yaml', line: 6, chartDefault: false});
  });

  test('paths only the first file sets come from it', async () => {
    const h = await helmFor({'values.yaml': VALUES, 'values-prod.yaml': VALUES_PROD});
    assert.deepEqual(h.get('image.repository'), {value: 'example/api', file: 'values.yaml', line: 2, chartDefault: false});
    assert.deepEqual(h.get('empty'), {value: '', file: 'values.yaml', line: 16, chartDefault: false});
    assert.deepEqual(h.get('nothing'), {value: null, file: 'values.yaml', line: 17, chartDefault: false});
  });

  test('the file order is the pack order, not the name order', async () => {
    const h = await helmFor({'values.yaml': VALUES, 'values-prod.yaml': VALUES_PROD}, {}, ['values-prod.yaml', 'values.yaml']);
    assert.deepEqual(h.get('image.tag'), {value: '1.0.0', file: 'values.yaml', line: 3, chartDefault: false});
  });

  test('list indexes and array paths', async () => {
    const h = await helmFor({'values.yaml': VALUES});
    assert.deepEqual(h.get('extraEnv[0].value'), {value: 'info', file: 'values.yaml', line: 12, chartDefault: false});
    assert.deepEqual(h.get('extraEnv[1].name'), {value: 'SECRET', file: 'values.yaml', line: 13, chartDefault: false});
    assert.deepEqual(h.get(['extraEnv', 1, 'valueFrom', 'secretKeyRef', 'key']), {value: 'k', file: 'values.yaml', line: 15, chartDefault: false});
    assert.equal(h.get('extraEnv[2].name'), undefined);
  });

  test('a quoted key holding dots and slashes', async () => {
    const h = await helmFor({'values.yaml': VALUES});
    assert.deepEqual(h.get('ingress.annotations["nginx.ingress.kubernetes.io/auth-url"]'), {
      value: 'http://auth/check',
      file: 'values.yaml',
      line: 8,
      chartDefault: false,
    });
    assert.deepEqual(h.get('ingress.annotations["kubernetes.io/ingress.class"]'), {value: 'nginx', file: 'values.yaml', line: 9, chartDefault: false});
    // Unquoted, the dots split the key into steps that do not exist.
    assert.equal(h.get('ingress.annotations.kubernetes.io/ingress.class'), undefined);
  });

  test('chart defaults apply when no file sets the path', async () => {
    const h = await helmFor(
      {'values.yaml': VALUES, 'values-prod.yaml': VALUES_PROD},
      {'auth.enabled': true, 'image.tag': 'chart-default', 'service.port': 8080},
    );
    assert.deepEqual(h.get('auth.enabled'), {value: true, chartDefault: true});
    assert.deepEqual(h.get('service.port'), {value: 8080, chartDefault: true});
    assert.equal(h.get('auth.enabled')?.file, undefined);
    // A file that sets the path beats the chart default.
    assert.deepEqual(h.get('image.tag'), {value: '2.1.0', file: 'values-prod.yaml', line: 3, chartDefault: false});
    assert.equal(h.get('not.anywhere'), undefined);
  });

  test('chart defaults are found for an array path too', async () => {
    const h = await helmFor({'values.yaml': VALUES}, {'auth.enabled': false});
    assert.deepEqual(h.get(['auth', 'enabled']), {value: false, chartDefault: true});
  });

  test('helm() is undefined when no values file exists; missing files are skipped', async () => {
    const dir = tempDir();
    writeFiles(dir, {'other.yaml': 'a: 1\n'});
    assert.equal(await contextFor(dir, {helmValues: ['values.yaml']}).helm(), undefined);
    const h = await helmFor({'values-prod.yaml': VALUES_PROD});
    assert.deepEqual(
      h.files.map((f) => f.file),
      ['values-prod.yaml'],
    );
  });

  test('helmValues globs', async () => {
    const h = await helmFor({'helm/values.yaml': 'a: 1\n', 'helm/values-prod.yaml': 'a: 2\n', 'helm/notes.txt': 'a: 3\n'}, {}, ['helm/values*.yaml']);
    assert.deepEqual(
      h.files.map((f) => f.file),
      ['helm/values-prod.yaml', 'helm/values.yaml'],
    );
  });

  test('leaves(): every leaf once, highest precedence winning, with lines', async () => {
    const h = await helmFor({'values.yaml': VALUES, 'values-prod.yaml': VALUES_PROD});
    const leaves = new Map(h.leaves().map((l) => [JSON.stringify(l.path), l]));
    assert.deepEqual(leaves.get(JSON.stringify(['image', 'tag'])), {path: ['image', 'tag'], value: '2.1.0', file: 'values-prod.yaml', line: 3});
    assert.deepEqual(leaves.get(JSON.stringify(['image', 'repository'])), {path: ['image', 'repository'], value: 'example/api', file: 'values.yaml', line: 2});
    assert.deepEqual(leaves.get(JSON.stringify(['ingress', 'annotations', 'nginx.ingress.kubernetes.io/auth-url'])), {
      path: ['ingress', 'annotations', 'nginx.ingress.kubernetes.io/auth-url'],
      value: 'http://auth/check',
      file: 'values.yaml',
      line: 8,
    });
    assert.deepEqual(leaves.get(JSON.stringify(['extraEnv', 1, 'valueFrom', 'secretKeyRef', 'name'])), {
      path: ['extraEnv', 1, 'valueFrom', 'secretKeyRef', 'name'],
      value: 's',
      file: 'values.yaml',
      line: 15,
    });
    // Each path once: 13 leaves in values.yaml, none new in values-prod.yaml.
    assert.equal(h.leaves().length, 13);
    assert.equal(leaves.size, 13);
  });

  test('invalid YAML in a values file is a SourceError with its line', async () => {
    const dir = tempDir();
    writeFiles(dir, {'values.yaml': 'a: 1\n', 'values-prod.yaml': 'a: 2\nb:\n  c: 1\n   d: 2\n'});
    await assert.rejects(contextFor(dir, {helmValues: ['values.yaml', 'values-prod.yaml']}).helm(), (err: unknown) => {
      assert.ok(err instanceof SourceError);
      assert.equal(err.file, 'values-prod.yaml');
      assert.equal(err.line, 3);
      return true;
    });
  });
});

describe('valuePath', () => {
  test('parses dotted, indexed and quoted steps', () => {
    assert.deepEqual(parseValuePath('image.tag'), ['image', 'tag']);
    assert.deepEqual(parseValuePath('the0Api.extraEnv[0].name'), ['the0Api', 'extraEnv', 0, 'name']);
    assert.deepEqual(parseValuePath('ingress.annotations["nginx.ingress.kubernetes.io/auth-url"]'), [
      'ingress',
      'annotations',
      'nginx.ingress.kubernetes.io/auth-url',
    ]);
    assert.deepEqual(parseValuePath('["a.b"].c[12]'), ['a.b', 'c', 12]);
    assert.deepEqual(parseValuePath('m[""]'), ['m', '']);
    assert.deepEqual(parseValuePath('list[1][2]'), ['list', 1, 2]);
  });

  test('rejects malformed paths', () => {
    for (const bad of ['', '.a', 'a.', 'a..b', 'a[x]', 'a[0', 'a["b]', 'a["b"', 'a[-1]', 'a.[0]', 'a"b']) {
      assert.throws(() => parseValuePath(bad), /cannot read values path/, bad);
    }
  });

  test('getPath distinguishes a missing key from a null value', () => {
    const data = {a: {b: null, list: [10, 20]}};
    assert.deepEqual(getPath(data, ['a', 'b']), {found: true, value: null});
    assert.deepEqual(getPath(data, ['a', 'c']), {found: false, value: undefined});
    assert.deepEqual(getPath(data, ['a', 'list', 1]), {found: true, value: 20});
    assert.deepEqual(getPath(data, ['a', 'list', 2]), {found: false, value: undefined});
    assert.deepEqual(getPath(data, ['a', 'list', '1']), {found: false, value: undefined});
    assert.deepEqual(getPath(data, ['a', 'b', 'deeper']), {found: false, value: undefined});
    assert.deepEqual(getPath(data, ['toString']), {found: false, value: undefined});
  });
});

describe('manifests', () => {
  const STREAM = [
    'apiVersion: v1', //                 1
    'kind: ConfigMap', //                2
    'metadata:', //                      3
    '  name: settings', //               4
    '  namespace: prod', //              5
    'data:', //                          6
    '  LOG_LEVEL: info', //              7
    '---', //                            8
    '# only a comment', //               9
    '---', //                            10
    'just: data', //                     11
    '---', //                            12
    'apiVersion: apps/v1', //            13
    'kind: Deployment', //               14
    'metadata:', //                      15
    '  name: api', //                    16
    'spec:', //                          17
    '  replicas: 2', //                  18
    '',
  ].join('\n');

  test('multi-document YAML with ---; documents without kind are ignored', () => {
    const ms = parseManifests(STREAM, 'rendered/all.yaml');
    assert.deepEqual(
      ms.map((m) => [m.file, m.kind, m.name, m.namespace]),
      [
        ['rendered/all.yaml', 'ConfigMap', 'settings', 'prod'],
        ['rendered/all.yaml', 'Deployment', 'api', undefined],
      ],
    );
    assert.deepEqual(ms[0]?.data.data, {LOG_LEVEL: 'info'});
  });

  test('manifestLine gives lines within each document', () => {
    const ms = parseManifests(STREAM, 'all.yaml');
    const [cm, deploy] = ms as [Manifest, Manifest];
    assert.equal(manifestLine(cm, ['data', 'LOG_LEVEL']), 7);
    assert.equal(manifestLine(deploy, ['spec', 'replicas']), 18);
    assert.equal(manifestLine(deploy, ['metadata', 'name']), 16);
    // A path that is not there falls back to the start of the document.
    assert.equal(manifestLine(deploy, ['spec', 'template']), 13);
  });

  test('a kind: List is expanded into its items, with lines inside the items', () => {
    const text = [
      'apiVersion: v1', //          1
      'kind: List', //              2
      'metadata: {}', //            3
      'items:', //                  4
      '  - apiVersion: v1', //      5
      '    kind: Service', //       6
      '    metadata:', //           7
      '      name: web', //         8
      '    spec:', //               9
      '      type: NodePort', //    10
      '  - kind: Secret', //        11
      '    metadata:', //           12
      '      name: creds', //       13
      '      namespace: ns', //     14
      '  - not-an-object', //       15
      '  - metadata: {name: x}', // 16
      '',
    ].join('\n');
    const ms = parseManifests(text, 'list.yaml');
    assert.deepEqual(
      ms.map((m) => [m.kind, m.name, m.namespace]),
      [
        ['Service', 'web', undefined],
        ['Secret', 'creds', 'ns'],
      ],
    );
    const [svc, secret] = ms as [Manifest, Manifest];
    assert.equal(manifestLine(svc, ['spec', 'type']), 10);
    assert.equal(manifestLine(svc, ['kind']), 6);
    assert.equal(manifestLine(secret, ['metadata', 'name']), 13);
    // Missing inside an item: the item's own first line, not the List's.
    assert.equal(manifestLine(secret, ['data']), 11);
  });

  test('an unnamed object', () => {
    const ms = parseManifests('kind: Namespace\n', 'a.yaml');
    assert.equal(ms[0]?.name, '(unnamed)');
  });

  test('empty and comment-only files have no objects', () => {
    assert.deepEqual(parseManifests('', 'a.yaml'), []);
    assert.deepEqual(parseManifests('# nothing\n---\n', 'a.yaml'), []);
  });

  test('invalid YAML in the second document gives the line in the file', () => {
    const text = ['kind: ConfigMap', 'metadata:', '  name: a', '---', 'kind: Secret', 'metadata:', '  name: b', '   bad: indent', ''].join('\n');
    assert.throws(
      () => parseManifests(text, 'k8s/all.yaml'),
      (err: unknown) => {
        assert.ok(err instanceof SourceError);
        assert.equal(err.file, 'k8s/all.yaml');
        assert.equal(err.line, 7);
        assert.match(err.message, /invalid YAML/);
        return true;
      },
    );
  });

  test('duplicate keys in a later document are an error at that line', () => {
    assert.throws(
      () => parseManifests('kind: A\n---\nkind: B\nmetadata: {name: b}\nkind: C\n', 'x.yaml'),
      (err: unknown) => err instanceof SourceError && err.line === 5,
    );
  });

  test('Context.manifests() reads every matching file', async () => {
    const dir = tempDir();
    writeFiles(dir, {
      'rendered/a.yaml': 'kind: ConfigMap\nmetadata: {name: a}\n---\nkind: Secret\nmetadata: {name: s}\n',
      'rendered/b.yaml': 'kind: Service\nmetadata: {name: b}\n',
      'rendered/readme.md': 'kind: NotYaml\n',
    });
    const ms = await contextFor(dir, {manifests: ['rendered/*.yaml']}).manifests();
    assert.deepEqual(
      ms.map((m) => [m.file, m.kind, m.name]),
      [
        ['rendered/a.yaml', 'ConfigMap', 'a'],
        ['rendered/a.yaml', 'Secret', 's'],
        ['rendered/b.yaml', 'Service', 'b'],
      ],
    );
  });

  test('Context.manifests() rejects with the broken file', async () => {
    const dir = tempDir();
    writeFiles(dir, {'m/ok.yaml': 'kind: A\n', 'm/broken.yaml': 'kind: A\n---\nkind: [\n'});
    await assert.rejects(contextFor(dir, {manifests: ['m/*.yaml']}).manifests(), (err: unknown) => err instanceof SourceError && err.file === 'm/broken.yaml');
  });
});
