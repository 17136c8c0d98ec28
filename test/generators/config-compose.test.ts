// compose-harden on the weak fixtures, proven by the packs' own checks, the Compose
// Specification's JSON schema and our own Compose model; and on a commented file with anchors
// and merge keys, edited in place.
import assert from 'node:assert/strict';
import {writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {parse} from 'yaml';
import {openSession} from '../../src/engine/session.js';
import {GENERATORS} from '../../src/generators/index.js';
import {planGeneration, writeGeneration} from '../../src/generators/run.js';
import type {GeneratorOptions} from '../../src/generators/define.js';
import {applyChangeSet} from '../../src/write/apply.js';
import {lines, readRel, runCheck} from '../support/helpers.js';
import {assertComposeSpec, deployment, generateAndProve, steps} from './config-support.js';

const harden = GENERATORS.get('compose-harden')!;

/** Runs compose-harden with options straight (no pack item), writes it, and returns the written files and notes. */
async function direct(dir: string, pack: string, options: GeneratorOptions): Promise<{written: string[]; notes: string[]; preview: string}> {
  const session = await openSession({dir, pack});
  const g = await harden.generate({ctx: session.ctx, into: [], options});
  const {preview} = await import('../../src/write/changeSet.js');
  const shown = preview(g.changes);
  const {written} = await applyChangeSet(dir, g.changes);
  return {written, notes: g.notes, preview: shown};
}

function validateWritten(dir: string, written: string[]): void {
  for (const f of written.filter((w) => /\.ya?ml$/.test(w) && /compose/.test(w))) assertComposeSpec(readRel(dir, f), f);
}

describe('compose-harden through the packs', () => {
  test('the0 as shipped: datastores, console and app ports on loopback, credentials into .env', async () => {
    const dir = deployment('the0-shipped');
    const items = ['datastores-private', 'minio-console-restricted', 'https-termination', 'credentials-from-env'];
    const {written} = await generateAndProve(dir, 'the0', items);
    assert.ok(written.includes('docker-compose.override.yml'), `an override file beside the base: ${written.join(', ')}`);
    validateWritten(dir, written);
    const override = parse(readRel(dir, 'docker-compose.override.yml'), {logLevel: 'error'});
    assert.deepEqual(override.services.postgres.ports, ['127.0.0.1:5432:5432']);
    assert.deepEqual(override.services['the0-api'].ports, ['127.0.0.1:3000:3000']);
    assert.match(readRel(dir, 'docker-compose.override.yml'), /ports: !override/);
    const base = readRel(dir, 'docker-compose.yml');
    assert.match(base, /^# Same shape as the compose file/, 'the base keeps its comment');
    assert.match(base, /POSTGRES_PASSWORD: \$\{POSTGRES_PASSWORD\}/);
    assert.match(base, /postgresql:\/\/the0:\$\{POSTGRES_PASSWORD\}@postgres/);
    assert.match(base, /MINIO_ROOT_USER: \$\{MINIO_ROOT_USER\}/);
    assert.doesNotMatch(base, /the0_mongo_password|your-super-secret-jwt-key/, 'no literal credential is left in the Compose file');
    assert.match(readRel(dir, '.env'), /^MINIO_ROOT_USER=the0admin$/m, 'the value in use moved into the .env, unchanged');
  });

  test('discord bots: postgres and the gateway on loopback, restart policies, rotated logs', async () => {
    const dir = deployment('discord-weak');
    const {written} = await generateAndProve(dir, 'discord-mcp-bot', ['postgres-unpublished', 'gateway-loopback', 'restart-policy', 'log-rotation']);
    validateWritten(dir, written);
    const override = parse(readRel(dir, 'docker-compose.override.yml'), {logLevel: 'error'});
    assert.deepEqual(override.services['mcp-gateway'].ports, ['127.0.0.1:9100:9100']);
    assert.equal(override.services.beta.restart, 'unless-stopped');
    assert.equal(override.services.postgres.restart, undefined, 'a service that restarts already is left alone');
  });

  test('ZITADEL on Compose: the database unpublished, limits on every service', async () => {
    const dir = deployment('zitadel-compose-weak');
    const {written} = await generateAndProve(dir, 'zitadel', ['database-private', 'resource-limits'], ['mode=compose']);
    validateWritten(dir, written);
    const override = parse(readRel(dir, 'docker-compose.override.yml'), {logLevel: 'error'});
    assert.deepEqual(override.services.db.deploy.resources.limits, {memory: '1G', cpus: 1});
    assert.equal(override.services.proxy.ports, undefined, 'the proxy keeps its public port');
  });
});

describe('compose-harden beside the secret generators', () => {
  test('generate without --item: new secrets and the hardening in one run, each place written once', async () => {
    const dir = deployment('the0-shipped');
    const before = await steps(dir, 'the0');
    const plan = await planGeneration({dir, pack: 'the0'});
    const ids = plan.items.map((i) => `${i.id}:${i.generator}`);
    for (const id of ['postgres-credentials:password', 'credentials-from-env:compose-harden', 'datastores-private:compose-harden'])
      assert.ok(ids.includes(id), ids.join(' '));
    assert.ok(!plan.items.some((i) => i.notes.some((n) => /two different/.test(n))), 'no item reports a clash');
    const {written} = await writeGeneration(plan);
    validateWritten(dir, written);
    const after = await steps(dir, 'the0');
    for (const [key, s] of after) {
      if (before.get(key)?.status === 'pass') assert.equal(s.status, 'pass', `${key} turned ${s.status}: ${s.message}`);
      if (['credentials-from-env', 'datastores-private', 'postgres-credentials'].includes(s.item)) assert.equal(s.status, 'pass', `${key}: ${s.message}`);
    }
    assert.doesNotMatch(readRel(dir, '.env'), /POSTGRES_PASSWORD=the0_password/, 'the new password, not the moved old one');
  });
});

describe('compose-harden, every part at once', () => {
  for (const mode of ['override', 'in-place'] as const) {
    test(`${mode}: the whole the0 file validates, parses with our model, breaks no check, and a second run changes nothing`, async () => {
      const dir = deployment('the0-shipped');
      const before = await steps(dir, 'the0');
      const options: GeneratorOptions = {mode, keys: ['MINIO_ROOT_USER'], tags: {minio: 'RELEASE.2025-04-22T22-12-26Z'}, memory: '768M', cpus: 2};
      const {written, notes} = await direct(dir, 'the0', options);
      validateWritten(dir, written);
      if (mode === 'in-place') assert.ok(!written.some((w) => w.includes('override')), 'in place: no override file');
      const after = await steps(dir, 'the0');
      for (const [key, s] of after) if (before.get(key)?.status === 'pass') assert.equal(s.status, 'pass', `${key} turned ${s.status}: ${s.message}`);
      for (const id of ['compose.restart-policy', 'compose.log-rotation', 'compose.no-new-privileges', 'compose.resource-limits']) {
        const r = await runCheck(id, dir, {}, {compose: ['docker-compose.yml'], composeOverrides: ['docker-compose.override.yml']});
        assert.equal(r.status, 'pass', `${id}: ${r.message}`);
      }
      const healthy = await runCheck(
        'compose.healthcheck',
        dir,
        {services: ['postgres', 'mongo', 'minio']},
        {compose: ['docker-compose.yml'], composeOverrides: ['docker-compose.override.yml']},
      );
      assert.equal(healthy.status, 'pass', healthy.message);
      const session = await openSession({dir, pack: 'the0'});
      const model = await session.ctx.compose();
      assert.equal(model!.services.get('minio')!.image!.value, 'minio/minio:RELEASE.2025-04-22T22-12-26Z', 'the tag given replaces latest');
      assert.equal(model!.services.get('the0-api')!.image!.value, 'ghcr.io/alexanderwanyoike/the0/api:latest', 'no tag given: left as it is');
      assert.ok(
        notes.some((n) => /the0-api: .* floats on latest; no tag was given/.test(n)),
        'and a note says so',
      );
      assert.equal(model!.services.get('postgres')!.memLimit!.value, '768M');
      const again = await harden.generate({ctx: session.ctx, into: [], options});
      assert.deepEqual(again.changes.changes, [], 'applying twice changes nothing the second time');
    });
  }
});

const COMMENTED = lines(
  '# Production stack: keep these comments.',
  'x-app: &app',
  '  restart: "no" # set by hand during an incident drill',
  '  environment: &app-env',
  '    LOG_LEVEL: info',
  '',
  'services:',
  '  api:',
  '    <<: *app',
  '    image: example/api:1.2.3 # pinned on purpose',
  '    environment:',
  '      LOG_LEVEL: debug',
  '      API_TOKEN: tok-7f3a9c2e1b # rotated monthly',
  '    ports:',
  '      - "8080:8080"',
  '  db:',
  '    image: postgres:16',
  '    environment:',
  '      <<: *app-env',
  '      POSTGRES_PASSWORD: db-pass-4421',
  '    ports:',
  '      - "5432:5432" # the backup job connects here',
  '      - target: 5433',
  '        published: 5433',
  '  cache:',
  '    <<: *app',
  '    image: redis:7.4',
  '',
  'volumes:',
  '  data: {} # kept as it is',
);

describe('compose-harden in place on the discord fixture (services reading env_file)', () => {
  test('the files stay valid Compose and every claimed check passes', async () => {
    const dir = deployment('discord-weak');
    const before = await steps(dir, 'discord-mcp-bot');
    const {written} = await direct(dir, 'discord-mcp-bot', {mode: 'in-place', private: ['mcp-gateway']});
    assert.deepEqual(written, ['docker-compose.yml']);
    validateWritten(dir, written);
    const after = await steps(dir, 'discord-mcp-bot');
    for (const [key, s] of after) {
      if (before.get(key)?.status === 'pass') assert.equal(s.status, 'pass', `${key} turned ${s.status}: ${s.message}`);
      if (['postgres-unpublished', 'gateway-loopback', 'restart-policy', 'log-rotation'].includes(s.item))
        assert.equal(s.status, 'pass', `${key}: ${s.message}`);
    }
    assert.match(readRel(dir, 'docker-compose.yml'), /^# Two Discord bots behind the MCP gateway/);
  });
});

describe('compose-harden in place on a commented file with anchors and merge keys', () => {
  test('comments, anchors, merge keys and unrelated keys survive; the result validates; twice is once', async () => {
    const dir = deployment('the0-hardened');
    writeFileSync(join(dir, 'docker-compose.yml'), COMMENTED);
    writeFileSync(join(dir, '.env'), 'LOG_LEVEL=info\n');
    const {written, notes} = await direct(dir, 'the0', {mode: 'in-place'});
    const out = readRel(dir, 'docker-compose.yml');
    validateWritten(dir, written);
    for (const comment of [
      '# Production stack: keep these comments.',
      '# set by hand during an incident drill',
      '# pinned on purpose',
      '# the backup job connects here',
      '# kept as it is',
    ])
      assert.ok(out.includes(comment), `the comment ${comment} is kept:\n${out}`);
    assert.match(out, /^x-app: &app$/m, 'the anchor stays');
    assert.match(out, /^ {2}restart: "no"/m, 'the shared block is not rewritten');
    assert.match(out, /<<: \*app\n/, 'merge keys stay');
    assert.match(out, /<<: \*app-env/);
    assert.match(out, /image: example\/api:1\.2\.3 # pinned on purpose/);
    assert.match(out, /"127\.0\.0\.1:5432:5432" # the backup job connects here/);
    assert.match(out, /API_TOKEN: \$\{API_TOKEN\} # rotated monthly/);
    assert.match(readRel(dir, '.env'), /^API_TOKEN=tok-7f3a9c2e1b$/m);
    const data = parse(out, {merge: true, logLevel: 'error'});
    assert.equal(data.services.api.restart, 'unless-stopped', 'the service overrides the merged value itself');
    assert.equal(data.services.api.environment.LOG_LEVEL, 'debug');
    assert.deepEqual(data.volumes, {data: {}});
    assert.equal(data.services.db.ports[1].host_ip, '127.0.0.1', 'a long-syntax port gets host_ip');
    assert.deepEqual(data.services.cache.healthcheck.test, ['CMD-SHELL', "redis-cli ping | grep -Eq 'PONG|NOAUTH'"]);
    assert.equal(data.services.api.ports[0], '8080:8080', 'an app port is not a datastore port');
    assert.ok(Array.isArray(notes));
    const session = await openSession({dir, pack: 'the0'});
    const again = await harden.generate({ctx: session.ctx, into: [], options: {mode: 'in-place'}});
    assert.deepEqual(again.changes.changes, [], 'applying twice changes nothing the second time');
  });

  test('publish: remove drops the datastore ports; an existing override file is edited, not replaced', async () => {
    const dir = deployment('the0-hardened');
    writeFileSync(join(dir, 'docker-compose.yml'), COMMENTED);
    writeFileSync(
      join(dir, 'docker-compose.override.yml'),
      lines('# Local tweaks, kept.', 'services:', '  api:', '    environment:', '      LOG_LEVEL: warn # quieter'),
    );
    const {written} = await direct(dir, 'the0', {only: ['ports', 'restart'], publish: 'remove'});
    assert.deepEqual(written, ['docker-compose.override.yml']);
    const text = readRel(dir, 'docker-compose.override.yml');
    assert.match(text, /^# Local tweaks, kept\.$/m);
    assert.match(text, /LOG_LEVEL: warn # quieter/);
    assert.match(text, /ports: !reset \[\]/);
    validateWritten(dir, written);
    const session = await openSession({dir, pack: 'the0'});
    const model = await session.ctx.compose();
    assert.deepEqual(model!.services.get('db')!.ports, [], 'the ports are gone in the merged model');
    assert.equal(model!.services.get('api')!.ports.length, 1);
  });
});
