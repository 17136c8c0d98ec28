// helm-values-harden on weak values files, proven by the packs' own checks: credentials into
// the Secret the0's chart reads, no NodePorts, TLS on the ingress; ZITADEL's replicas and limits.
import assert from 'node:assert/strict';
import {writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {parse, parseAllDocuments} from 'yaml';
import {lines, readRel} from '../support/helpers.js';
import {deployment, generateAndProve} from './config-support.js';

const JWT = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';

/** the0 on Kubernetes, a first draft: every credential in the values, NodePorts on, no TLS. */
function weakThe0(): string {
  const dir = deployment('the0-k8s');
  writeFileSync(
    join(dir, 'values-prod.yaml'),
    lines(
      '# Operator overrides for production: a first draft.',
      'the0Api:',
      '  image:',
      '    tag: "1.14.2"',
      '  env:',
      '    NODE_ENV: production',
      '    THE0_ADMIN_EMAIL: root@trading-desk.dev',
      '    THE0_ADMIN_PASSWORD: hunter2hunter2 # from the wiki page',
      `    JWT_SECRET: ${JWT}`,
      'the0Frontend:',
      '  env:',
      `    JWT_SECRET: ${JWT} # must match the API`,
      'postgresql:',
      '  password: pg-prod-Secret-2291',
      'mongodb:',
      '  rootPassword: mongo/prod:Secret@7781',
      'minio:',
      '  accessKey: the0-prod-minio',
      '  secretKey: minio-prod-Secret-5512',
      'ingress:',
      '  enabled: true',
      '  hosts:',
      '    - host: the0.trading-desk.dev',
      '    - host: api.the0.trading-desk.dev',
    ),
  );
  return dir;
}

describe('helm-values-harden on the0', () => {
  test('credentials move into the Secret the chart reads; the values point at it; comments stay', async () => {
    const dir = weakThe0();
    const {written} = await generateAndProve(dir, 'the0', ['k8s-secret-management', 'k8s-admin-from-secret'], ['mode=kubernetes'], ['k8s-secret-management']);
    assert.ok(written.includes('secrets/the0-secrets.yaml'), written.join(', '));
    const values = readRel(dir, 'values-prod.yaml');
    assert.match(values, /^# Operator overrides for production: a first draft\.$/m);
    assert.match(values, /existingSecret: the0-secrets/);
    for (const literal of ['pg-prod-Secret-2291', 'Secret@7781', 'minio-prod-Secret-5512', JWT, 'hunter2hunter2'])
      assert.ok(!values.includes(literal), `${literal} left the values`);
    const secret = parse(readRel(dir, 'secrets/the0-secrets.yaml'));
    assert.equal(secret.kind, 'Secret');
    assert.equal(secret.metadata.name, 'the0-secrets');
    const data: Record<string, string> =
      secret.stringData ?? Object.fromEntries(Object.entries(secret.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
    assert.deepEqual(Object.keys(data).sort(), [
      'database-url',
      'jwt-secret',
      'minio-access-key',
      'minio-secret-key',
      'mongo-url',
      'mongodb-root-password',
      'postgresql-password',
    ]);
    assert.equal(data['postgresql-password'], 'pg-prod-Secret-2291', 'the value in use, moved unchanged');
    assert.equal(data['jwt-secret'], JWT);
    assert.equal(data['database-url'], 'postgresql://the0:pg-prod-Secret-2291@the0-postgres:5432/the0_oss?sslmode=disable');
    assert.equal(data['mongo-url'], 'mongodb://root:mongo%2Fprod%3ASecret%407781@the0-mongo:27017', 'userinfo encoded as the chart encodes it');
  });

  test('no NodePorts, and TLS for the hosts the ingress already names', async () => {
    const dir = weakThe0();
    await generateAndProve(dir, 'the0', ['datastores-private', 'minio-console-restricted', 'https-termination'], ['mode=kubernetes']);
    const values = parseAllDocuments(readRel(dir, 'values-prod.yaml'))[0]!.toJS();
    assert.equal(values.externalServices.enabled, false);
    assert.deepEqual(values.ingress.tls, [{secretName: 'the0-tls', hosts: ['the0.trading-desk.dev', 'api.the0.trading-desk.dev']}]);
  });
});

describe('helm-values-harden on ZITADEL', () => {
  test('two replicas and resource limits, comments kept', async () => {
    const dir = deployment('zitadel-helm-weak');
    await generateAndProve(dir, 'zitadel', ['runtime-replicas', 'resource-limits'], ['mode=kubernetes']);
    const text = readRel(dir, 'values.yaml');
    assert.match(text, /^# Values for the zitadel chart, copied together from examples/m);
    const values = parse(text);
    assert.equal(values.replicaCount, 2);
    assert.deepEqual(values.resources.limits, {memory: '512Mi', cpu: '1'});
  });
});
