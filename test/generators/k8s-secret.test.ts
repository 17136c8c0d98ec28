// Kubernetes targets: a Secret manifest (0600, kept out of git), a SealedSecret the controller
// can open (decrypted here with the private key the test made, by the controller's own steps),
// and the Helm values pointed at the Secret with comments kept.
import assert from 'node:assert/strict';
import {constants, createDecipheriv, generateKeyPairSync, type KeyObject, privateDecrypt} from 'node:crypto';
import {readFileSync, statSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {after, describe, test} from 'node:test';
import {parse as parseYaml} from 'yaml';
import {Context} from '../../src/engine/context.js';
import type {Made} from '../../src/generators/define.js';
import {hybridEncrypt, sealingKeyFrom, sealingLabel} from '../../src/generators/sealed.js';
import {Edits, KUBESEAL_CERT_ENV, parseTarget, TargetError, writeTargets} from '../../src/generators/targets.js';
import {applyChangeSet} from '../../src/write/apply.js';
import {preview, type ChangeSet} from '../../src/write/changeSet.js';
import {dirWith, git, gitInit, lines, testPack, tempDir} from '../support/helpers.js';

const ctxOf = (dir: string) => new Context(dir, testPack(), {});
const read = (dir: string, rel: string) => readFileSync(join(dir, rel), 'utf8');

async function place(dir: string, into: string[], made: Made): Promise<{changes: ChangeSet; notes: string[]}> {
  const ctx = ctxOf(dir);
  const edits = new Edits(ctx);
  const notes = await writeTargets(ctx, into, made, edits);
  return {changes: edits.changeSet(), notes};
}

/** What the controller does (pkg/crypto singleDecrypt): length prefix, RSA-OAEP SHA-256 with the label, AES-256-GCM with a zero nonce. */
function unseal(privateKey: KeyObject, sealed: string, label: string): string {
  const bytes = Buffer.from(sealed, 'base64');
  const rsaLen = bytes.readUInt16BE(0);
  const sessionKey = privateDecrypt(
    {key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: Buffer.from(label)},
    bytes.subarray(2, 2 + rsaLen),
  );
  const body = bytes.subarray(2 + rsaLen);
  const decipher = createDecipheriv('aes-256-gcm', sessionKey, Buffer.alloc(12));
  decipher.setAuthTag(body.subarray(body.length - 16));
  return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString('utf8');
}

const pair = generateKeyPairSync('rsa', {modulusLength: 2048});
const publicPem = pair.publicKey.export({type: 'spki', format: 'pem'}).toString();

after(() => {
  delete process.env[KUBESEAL_CERT_ENV];
});

describe('Kubernetes target specs', () => {
  test('parse', () => {
    assert.deepEqual(parseTarget('k8s-secret:secrets/a.yaml:the0/the0-root-admin.password'), {
      derived: undefined,
      kind: 'k8s-secret',
      file: 'secrets/a.yaml',
      key: 'password',
      secret: {namespace: 'the0', name: 'the0-root-admin', key: 'password'},
    });
    assert.deepEqual(parseTarget('sealed-secret:s.yaml:app.tls.crt').secret, {namespace: undefined, name: 'app', key: 'tls.crt'});
    assert.deepEqual(parseTarget('helm-env-ref:values*.yaml:the0Api.extraEnv:THE0_ADMIN_PASSWORD=the0-root-admin.password'), {
      kind: 'helm-env-ref',
      file: 'values*.yaml',
      path: 'the0Api.extraEnv',
      key: 'THE0_ADMIN_PASSWORD',
      secret: {namespace: undefined, name: 'the0-root-admin', key: 'password'},
    });
    assert.equal(parseTarget('helm-set:values.yaml:zitadel.masterkeySecretName=zitadel-masterkey').text, 'zitadel-masterkey');
    assert.equal(parseTarget('helm-unset:values.yaml:zitadel.masterkey').path, 'zitadel.masterkey');
    for (const bad of [
      'k8s-secret:a.yaml:Bad_Name.key',
      'k8s-secret:a.yaml:nokey',
      'helm-env-ref:v.yaml:list:ENV=ns/name.key',
      'helm-set:v.yaml:path',
      'publicKey@helm-unset:v.yaml:a',
    ])
      assert.throws(() => parseTarget(bad), TargetError, bad);
  });
});

describe('a Secret manifest', () => {
  test('a new file: stringData, 0600, the value masked in the preview, a note to apply and delete it', async () => {
    const dir = dirWith({'.keep': ''});
    const value = 'pa ss:"word"#1';
    const {changes, notes} = await place(dir, ['k8s-secret:secrets/admin.yaml:the0/the0-root-admin.password'], {value});
    assert.equal(changes.changes.length, 1);
    assert.equal(changes.changes[0]!.secret, true);
    assert.ok(!preview(changes).includes(value));
    assert.match(notes.join('\n'), /plain text: apply it \(kubectl apply -f secrets\/admin\.yaml\), then delete/);
    await applyChangeSet(dir, changes);
    assert.equal(statSync(join(dir, 'secrets/admin.yaml')).mode & 0o777, 0o600);
    const doc = parseYaml(read(dir, 'secrets/admin.yaml'));
    assert.deepEqual(doc, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {name: 'the0-root-admin', namespace: 'the0'},
      type: 'Opaque',
      stringData: {password: value},
    });
  });

  test('an existing Secret keeps its other keys and comments; one using data gets base64 there', async () => {
    const dir = dirWith({
      'a.yaml': lines(
        '# ours',
        'apiVersion: v1',
        'kind: Secret',
        'metadata:',
        '  name: app',
        '  namespace: prod',
        'stringData:',
        '  other: keep   # a comment',
      ),
      'b.yaml': lines('apiVersion: v1', 'kind: Secret', 'metadata:', '  name: app', '  namespace: prod', 'data:', '  other: a2VlcA=='),
    });
    const {changes} = await place(dir, ['k8s-secret:a.yaml:prod/app.jwt', 'k8s-secret:b.yaml:prod/app.jwt'], {value: 's3cret-value'});
    await applyChangeSet(dir, changes);
    assert.equal(
      read(dir, 'a.yaml'),
      lines(
        '# ours',
        'apiVersion: v1',
        'kind: Secret',
        'metadata:',
        '  name: app',
        '  namespace: prod',
        'stringData:',
        '  other: keep   # a comment',
        '  jwt: s3cret-value',
      ),
    );
    assert.equal(parseYaml(read(dir, 'b.yaml')).data.jwt, Buffer.from('s3cret-value').toString('base64'));
    assert.ok(!preview(changes).includes(Buffer.from('s3cret-value').toString('base64')), 'the base64 form is masked too');
  });

  test('the other values of a Secret, and credentials beside it, are masked in the preview context too', async () => {
    const dir = dirWith({
      'secret.yaml': lines(
        'apiVersion: v1',
        'kind: Secret',
        'metadata:',
        '  name: app',
        '  namespace: prod',
        'stringData:',
        '  db-url: postgres://app:Pg-Context-Pw-1@db/app',
        '  api-key: Api-Context-Plain-2',
        '  jwt: Old-Jwt-Value-3',
      ),
      'data.yaml': lines(
        'apiVersion: v1',
        'kind: Secret',
        'metadata:',
        '  name: app',
        '  namespace: dev',
        'data:',
        `  token: ${Buffer.from('Dev-Token-4').toString('base64')}`,
      ),
    });
    const {changes} = await place(dir, ['k8s-secret:secret.yaml:prod/app.jwt', 'k8s-secret:data.yaml:dev/app.jwt'], {value: 'n3w-value-xyz'});
    const shown = preview(changes);
    assert.match(shown, /api-key: \[secret/, 'the context lines are in the preview');
    for (const v of [
      'Pg-Context-Pw-1',
      'Api-Context-Plain-2',
      'Old-Jwt-Value-3',
      'Dev-Token-4',
      Buffer.from('Dev-Token-4').toString('base64'),
      'n3w-value-xyz',
    ])
      assert.ok(!shown.includes(v), `${v} is masked`);
  });

  test('a file holding another object, or several, is refused', async () => {
    const dir = dirWith({'a.yaml': lines('kind: ConfigMap', 'metadata:', '  name: app'), 'b.yaml': lines('kind: Secret', '---', 'kind: Secret')});
    await assert.rejects(place(dir, ['k8s-secret:a.yaml:app.k'], {value: 'v'}), /holds the ConfigMap app, not the Secret app/);
    await assert.rejects(place(dir, ['k8s-secret:b.yaml:app.k'], {value: 'v'}), /holds 2 documents/);
  });

  test('in git: added to .git/info/exclude in the same change set; a tracked file is refused', async () => {
    const dir = dirWith({'values.yaml': 'a: 1\n', 'secrets/tracked.yaml': 'kind: Secret\nmetadata:\n  name: app\n'});
    gitInit(dir);
    git(dir, 'add', '.');
    git(dir, 'commit', '-q', '-m', 'init');
    await assert.rejects(place(dir, ['k8s-secret:secrets/tracked.yaml:app.k'], {value: 'v'}), /tracked by git.*git rm --cached secrets\/tracked\.yaml/);
    const {changes} = await place(dir, ['k8s-secret:secrets/new.yaml:app.k'], {value: 'v-1234567890'});
    assert.deepEqual(changes.changes.map((c) => c.path).sort(), ['.git/info/exclude', 'secrets/new.yaml']);
    await applyChangeSet(dir, changes);
    assert.match(read(dir, '.git/info/exclude'), /^\/secrets\/new\.yaml$/m);
    assert.equal(git(dir, 'status', '--porcelain', '--untracked-files=all').trim(), '', 'git does not see the Secret');
  });
});

describe('a SealedSecret', () => {
  test("the controller's format: 2-byte length, RSA-OAEP SHA-256 with the scope's label, AES-256-GCM", () => {
    const sealed = hybridEncrypt(pair.publicKey, Buffer.from('hello'), sealingLabel('ns', 'name')).toString('base64');
    assert.equal(unseal(pair.privateKey, sealed, 'ns/name'), 'hello');
    assert.throws(() => unseal(pair.privateKey, sealed, 'ns/other'), 'another name cannot open it');
    assert.equal(sealingLabel('ns', 'n', 'namespace-wide').toString(), 'ns');
    assert.equal(sealingLabel('ns', 'n', 'cluster-wide').length, 0);
  });

  test('written when a certificate is given; the test opens it with its private key; other keys stay', async () => {
    const certDir = tempDir('shipshape-cert-');
    writeFileSync(join(certDir, 'cert.pem'), publicPem);
    process.env[KUBESEAL_CERT_ENV] = join(certDir, 'cert.pem');
    try {
      const dir = dirWith({'.keep': ''});
      const value = 'sealed-value-0123456789';
      const first = await place(dir, ['k8s-secret:sealed/admin.yaml:the0/the0-root-admin.password'], {value});
      assert.equal(first.changes.changes[0]!.secret, false, 'a SealedSecret is safe to commit');
      await applyChangeSet(dir, first.changes);
      let doc = parseYaml(read(dir, 'sealed/admin.yaml'));
      assert.equal(doc.kind, 'SealedSecret');
      assert.equal(doc.apiVersion, 'bitnami.com/v1alpha1');
      assert.deepEqual(doc.spec.template.metadata, {name: 'the0-root-admin', namespace: 'the0'});
      assert.equal(unseal(pair.privateKey, doc.spec.encryptedData.password, 'the0/the0-root-admin'), value);
      assert.ok(!read(dir, 'sealed/admin.yaml').includes(value));

      const second = await place(dir, ['sealed-secret:sealed/admin.yaml:the0/the0-root-admin.other'], {value: 'second-value-abcdef'});
      await applyChangeSet(dir, second.changes);
      doc = parseYaml(read(dir, 'sealed/admin.yaml'));
      assert.equal(unseal(pair.privateKey, doc.spec.encryptedData.password, 'the0/the0-root-admin'), value);
      assert.equal(unseal(pair.privateKey, doc.spec.encryptedData.other, 'the0/the0-root-admin'), 'second-value-abcdef');
      await assert.rejects(place(dir, ['sealed-secret:s2.yaml:app.k'], {value: 'v'}), /NAMESPACE\/app\.k/);
    } finally {
      delete process.env[KUBESEAL_CERT_ENV];
    }
    await assert.rejects(place(dirWith({}), ['sealed-secret:s.yaml:ns/app.k'], {value: 'v'}), /kubeseal --fetch-cert/);
  });

  test('a certificate that is not RSA is refused with what to do', () => {
    const ec = generateKeyPairSync('ed25519').publicKey.export({type: 'spki', format: 'pem'}).toString();
    assert.throws(() => sealingKeyFrom(ec, 'cert.pem'), /the Sealed Secrets controller's key is RSA/);
    assert.throws(() => sealingKeyFrom('nonsense', 'cert.pem'), /kubeseal --fetch-cert/);
  });
});

describe('Helm values pointed at the Secret', () => {
  test('the0: extraEnv gets THE0_ADMIN_PASSWORD from the Secret, the literal goes, comments stay', async () => {
    const dir = dirWith({
      'values-prod.yaml': lines(
        '# Operator overrides',
        'the0Api:',
        '  env:',
        '    NODE_ENV: production',
        '    THE0_ADMIN_PASSWORD: hunter2hunter2   # to move',
        '  extraEnv: []  # full EnvVar entries',
      ),
    });
    const {changes} = await place(
      dir,
      [
        'k8s-secret:secrets/admin.yaml:the0/the0-root-admin.password',
        'helm-env-ref:{values,values-*}.yaml:the0Api.extraEnv:THE0_ADMIN_PASSWORD=the0-root-admin.password',
        'helm-unset:{values,values-*}.yaml:the0Api.env.THE0_ADMIN_PASSWORD',
      ],
      {value: 'new-password-0123456789'},
    );
    assert.ok(!preview(changes).includes('hunter2hunter2'), 'the old literal is masked');
    await applyChangeSet(dir, changes);
    const text = read(dir, 'values-prod.yaml');
    assert.match(text, /^# Operator overrides$/m);
    assert.doesNotMatch(text, /hunter2/);
    assert.deepEqual(parseYaml(text).the0Api, {
      env: {NODE_ENV: 'production'},
      extraEnv: [{name: 'THE0_ADMIN_PASSWORD', valueFrom: {secretKeyRef: {name: 'the0-root-admin', key: 'password'}}}],
    });
  });

  test('zitadel: masterkeySecretName set, the masterkey literal removed; an existing entry of the same name is replaced', async () => {
    const dir = dirWith({
      'values.yaml': lines('zitadel:', '  # the key', '  masterkey: x123456789012345678901234567891y', '  configmapConfig:', '    ExternalPort: 443'),
      'other.yaml': lines('api:', '  extraEnv:', '    - name: KEEP', '      value: "1"', '    - name: TOKEN', '      value: literal-token'),
    });
    const {changes} = await place(
      dir,
      [
        'helm-set:values.yaml:zitadel.masterkeySecretName=zitadel-masterkey',
        'helm-unset:values.yaml:zitadel.masterkey',
        'helm-env-ref:other.yaml:api.extraEnv:TOKEN=tok.value',
      ],
      {value: 'unused-here'},
    );
    assert.ok(!preview(changes).includes('x123456789012345678901234567891y'));
    assert.ok(!preview(changes).includes('literal-token'));
    await applyChangeSet(dir, changes);
    assert.deepEqual(parseYaml(read(dir, 'values.yaml')).zitadel, {configmapConfig: {ExternalPort: 443}, masterkeySecretName: 'zitadel-masterkey'});
    assert.deepEqual(parseYaml(read(dir, 'other.yaml')).api.extraEnv, [
      {name: 'KEEP', value: '1'},
      {name: 'TOKEN', valueFrom: {secretKeyRef: {name: 'tok', key: 'value'}}},
    ]);
  });

  test('no values file: a note, nothing written', async () => {
    const {changes, notes} = await place(dirWith({'.keep': ''}), ['helm-set:values.yaml:a.b=c'], {value: 'v'});
    assert.equal(changes.changes.length, 0);
    assert.match(notes[0]!, /no values file matches values\.yaml/);
  });
});
