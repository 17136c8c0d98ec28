// The the0 pack against the shapes of the0's own upstream files (issue 17): the compose file the
// CLI writes from prebuilt images, with its profiles and the dev overlay; the source-mode compose
// that builds the runtime here; and the chart's values with each production example as the
// operator's values. Each weakness fails or warns at its file and line, the hardened twins fail
// nothing, and no item blames a value the deployment does not use (the in-cluster password when
// the chart connects to an external database).
//
// Fixtures are copied into temp folders: .env modes are set here, since git keeps none of them.
import assert from 'node:assert/strict';
import {chmodSync, cpSync, existsSync, readFileSync, renameSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {evaluate, loadBuiltins, openSession} from '../../src/engine/session.js';
import type {ItemOutcome} from '../../src/engine/run.js';
import {detectPacks} from '../../src/pack/detect.js';
import {REPO, tempDir} from '../support/helpers.js';

const FIXTURES = join(REPO, 'test', 'fixtures');

function copy(fixture: string, change?: (dir: string) => void): string {
  const dir = tempDir('shipshape-the0-');
  cpSync(join(FIXTURES, fixture), dir, {recursive: true});
  if (existsSync(join(dir, 'gitignore.fixture'))) renameSync(join(dir, 'gitignore.fixture'), join(dir, '.gitignore'));
  if (existsSync(join(dir, '.env'))) chmodSync(join(dir, '.env'), 0o600);
  change?.(dir);
  return dir;
}

async function outcomes(dir: string, inputs: string[] = [], pack: string | undefined = 'the0'): Promise<Map<string, ItemOutcome>> {
  const session = await openSession({dir, pack, inputs});
  return new Map((await evaluate(session)).map((o) => [o.id, o]));
}

const get = (all: Map<string, ItemOutcome>, id: string): ItemOutcome => {
  const o = all.get(id);
  assert.ok(o, `no item ${id}`);
  return o;
};

/** The 1-based line of the first line of a fixture file containing `text` (after line `after`). */
function lineIn(fixture: string, file: string, text: string, after = 0): number {
  const lines = readFileSync(join(FIXTURES, fixture, file), 'utf8').split('\n');
  const n = lines.findIndex((l, i) => i >= after && l.includes(text));
  assert.ok(n >= 0, `${text} not in ${fixture}/${file}`);
  return n + 1;
}

/** The line of `key` inside service `svc` of a fixture compose file. */
const svcLine = (fixture: string, file: string, svc: string, key: string) => lineIn(fixture, file, key, lineIn(fixture, file, `  ${svc}:`));

const places = (o: ItemOutcome) => o.evidence.map((e) => `${e.file}:${e.line}:${e.key}`);
const fails = (all: Map<string, ItemOutcome>) =>
  [...all.values()].filter((o) => o.status === 'fail' || o.status === 'error').map((o) => `${o.id}: ${o.message}`);

const SHIPPED = ['the0_password', 'the0_mongo_password', 'the0password', 'your-super-secret-jwt-key-change-this-in-production', 'CHANGEME'];

function assertNoSecrets(all: Map<string, ItemOutcome>, extra: string[] = []): void {
  const text = JSON.stringify([...all.values()].map((o) => ({m: o.message, e: o.evidence, s: o.steps.map((s) => s.result)})));
  for (const s of [...SHIPPED, ...extra]) assert.ok(!text.includes(s), `a secret value (${s.slice(0, 3)}...) appears in the results`);
}

describe('the0 pack on the prebuilt compose shape (profiles and the dev overlay)', () => {
  const F = 'the0-prebuilt-weak';
  const ready = (async () => outcomes(copy(F)))();

  test('every service runs without limits: service-limits fails on each service line', async () => {
    const o = get(await ready, 'service-limits');
    assert.equal(o.status, 'fail');
    for (const svc of ['postgres', 'mongo', 'nats', 'minio', 'the0-api', 'bot-runner', 'bot-scheduler', 'gc', 'query-server', 'the0-frontend']) {
      // A service is located at the first line of its body, as every Compose finding is.
      assert.ok(places(o).includes(`docker-compose.yml:${lineIn(F, 'docker-compose.yml', `  ${svc}:`) + 1}:${svc}`), `${svc} missing: ${places(o).join(', ')}`);
    }
  });

  test('adminer, under the dev profile and on every interface, is in the datastore list', async () => {
    const o = get(await ready, 'datastores-private');
    assert.equal(o.status, 'fail');
    const adminer = o.evidence.find((e) => e.key === 'adminer.ports');
    assert.ok(adminer, places(o).join(', '));
    assert.equal(adminer.file, 'docker-compose.yml');
    assert.equal(adminer.line, svcLine(F, 'docker-compose.yml', 'adminer', '"8081:8080"'));
    assert.match(adminer.detail, /every interface.*only with --profile dev/);
  });

  test('docker-compose.dev.yml is read as an overlay: its JWT and database literals are blamed at their lines', async () => {
    const all = await ready;
    const jwt = get(all, 'jwt-secret-strong');
    assert.equal(jwt.status, 'fail');
    const devJwt = svcLine(F, 'docker-compose.dev.yml', 'the0-api', 'JWT_SECRET');
    assert.ok(places(jwt).includes(`docker-compose.dev.yml:${devJwt}:JWT_SECRET`), places(jwt).join(', '));
    const literals = get(all, 'credentials-from-env');
    assert.equal(literals.status, 'fail');
    assert.ok(
      places(literals).includes(`docker-compose.dev.yml:${svcLine(F, 'docker-compose.dev.yml', 'the0-api', 'DATABASE_URL')}:the0-api.DATABASE_URL`),
      places(literals).join(', '),
    );
    const pg = get(all, 'postgres-credentials');
    assert.ok(pg.evidence.some((e) => e.file === 'docker-compose.dev.yml' && e.key === 'DATABASE_URL (password in URL)'));
  });

  test('what the dev overlay replaces still counts: the project also starts without it', async () => {
    const all = await ready;
    const jwt = get(all, 'jwt-secret-strong');
    const base = jwt.evidence.find((e) => e.file === 'docker-compose.yml' && e.line === svcLine(F, 'docker-compose.yml', 'the0-api', 'JWT_SECRET'));
    assert.match(base?.detail ?? '', /service the0-api \(without docker-compose\.dev\.yml\)/);
    const images = get(all, 'rollback-path').evidence.filter((e) => e.key === 'the0-api.image');
    assert.deepEqual(
      images.map((e) => `${e.file}:${e.line}`),
      [`docker-compose.yml:${svcLine(F, 'docker-compose.yml', 'the0-api', 'image:')}`],
    );
    assert.match(images[0]!.detail, /latest.*without docker-compose\.dev\.yml/);
  });

  test('NATS without a login fails at its command line', async () => {
    const o = get(await ready, 'nats-auth');
    assert.equal(o.status, 'fail');
    assert.deepEqual(places(o), [`docker-compose.yml:${svcLine(F, 'docker-compose.yml', 'nats', 'command:')}:nats.command`]);
    assert.match(o.evidence[0]!.detail, /no authentication/);
  });

  test('group_add "${DOCKER_GID:-0}" with DOCKER_GID unset falls back to the root group, on each worker', async () => {
    const o = get(await ready, 'runtime-isolation');
    assert.equal(o.status, 'fail');
    const groups = o.evidence.filter((e) => e.key?.endsWith('.group_add'));
    assert.deepEqual(
      groups.map((e) => `${e.file}:${e.line}:${e.key}`),
      ['bot-runner', 'bot-scheduler', 'query-server'].map(
        (s) => `docker-compose.yml:${svcLine(F, 'docker-compose.yml', s, '${DOCKER_GID:-0}')}:${s}.group_add`,
      ),
    );
    assert.match(groups[0]!.detail, /falls back to group 0 \(root\) because DOCKER_GID is not set in \.env/);
  });

  test('an empty admin password is called empty, and ${THE0_ADMIN_PASSWORD:-} counts as passed to the API', async () => {
    const o = get(await ready, 'root-admin-configured');
    assert.equal(o.status, 'fail');
    assert.doesNotMatch(o.message, /free of|not passed|missing or not/);
    const passed = o.steps.find((s) => s.check === 'compose.env');
    assert.equal(passed?.result.status, 'pass', passed?.result.message);
    assert.ok(passed.result.evidence.some((e) => e.detail === 'THE0_ADMIN_PASSWORD is passed from ${THE0_ADMIN_PASSWORD}'));
    const envPw = o.evidence.filter((e) => e.file === '.env' && e.key === 'THE0_ADMIN_PASSWORD');
    assert.ok(envPw.length >= 1);
    for (const e of envPw) assert.match(e.detail, /empty/);
  });

  test('images are blamed for floating tags, including the dev tools (named as such)', async () => {
    const o = get(await ready, 'rollback-path');
    assert.equal(o.status, 'fail');
    const box = o.evidence.find((e) => e.key === 'nats-healthcheck.image');
    assert.match(box?.detail ?? '', /only with --profile dev/);
  });

  test('no secret value appears in messages or evidence', async () => {
    assertNoSecrets(await ready);
  });

  test('DOCKER_GID=0 in .env is named as such; the socket group set in .env passes', async () => {
    const zero = await outcomes(copy(F, (d) => writeFileSync(join(d, '.env'), `${readFileSync(join(d, '.env'), 'utf8')}DOCKER_GID=0\n`)));
    const z = get(zero, 'runtime-isolation');
    assert.equal(z.status, 'fail');
    assert.match(z.evidence.find((e) => e.key === 'bot-runner.group_add')!.detail, /joins group 0 \(root\) \(DOCKER_GID is 0\)/);
    const set = await outcomes(copy(F, (d) => writeFileSync(join(d, '.env'), `${readFileSync(join(d, '.env'), 'utf8')}DOCKER_GID=998\n`)));
    const step = get(set, 'runtime-isolation').steps.find((s) => s.check === 'compose.no-root-group');
    assert.equal(step?.result.status, 'pass', step?.result.message);
  });
});

describe('the0 pack on the source-mode compose shape', () => {
  const F = 'the0-source-weak';
  test('runtime images built here with pull_policy never are not floating tags; pulled ones still are', async () => {
    const all = await outcomes(copy(F));
    const o = get(all, 'rollback-path');
    assert.equal(o.status, 'fail');
    const floating = o.steps.find((s) => s.check === 'compose.image-pinned')!.result;
    assert.deepEqual(floating.evidence.map((e) => e.key).sort(), ['minio.image', 'nats-healthcheck.image']);
    assert.ok(!JSON.stringify(floating).includes('bot-runner'));
    // The same weaknesses as the prebuilt shape, the overlay included.
    for (const id of ['service-limits', 'nats-auth', 'datastores-private', 'jwt-secret-strong', 'credentials-from-env', 'runtime-isolation']) {
      assert.equal(get(all, id).status, 'fail', id);
    }
    assertNoSecrets(all);
  });
});

describe('the0 pack on chart values shaped like the production examples', () => {
  test('a directory with only minimal-external-shaped values is recognised as the0', async () => {
    const dir = copy('the0-values-minimal');
    const {pack} =
      (
        await detectPacks(
          dir,
          (await loadBuiltins()).map((p) => p.pack),
        )
      )[0] ?? {};
    assert.equal(pack?.id, 'the0');
    const session = await openSession({dir});
    assert.equal(session.pack.id, 'the0');
    assert.equal(session.inputs.values.mode, 'kubernetes');
  });

  test('minimal external: the credentials in use are the external ones, judged as placeholders at their lines', async () => {
    const F = 'the0-values-minimal';
    const all = await outcomes(copy(F), ['mode=kubernetes']);
    for (const [id, path, sw] of [
      ['postgres-credentials', 'postgresql.external.password', 'postgresql.enabled'],
      ['mongo-credentials', 'mongodb.external.password', 'mongodb.enabled'],
      ['minio-credentials', 'minio.external.secretKey', 'minio.enabled'],
    ] as const) {
      const o = get(all, id);
      assert.equal(o.status, 'fail', id);
      const leaf = path.split('.').at(-1)!;
      const hit = o.evidence.find((e) => e.key === path);
      assert.ok(hit, `${id}: ${places(o).join(', ')}`);
      assert.equal(hit.file, 'values-prod.yaml');
      assert.equal(hit.line, lineIn(F, 'values-prod.yaml', `${leaf}:`, lineIn(F, 'values-prod.yaml', `${sw.split('.')[0]}:`)));
      assert.match(hit.detail, /template placeholder/);
      // It says which value it judged and why, and never blames the unused in-cluster default.
      assert.match(o.message, new RegExp(`${sw.replace('.', '\\.')} is false`));
      assert.ok(o.evidence.some((e) => e.key === sw && /is not used/.test(e.detail)));
      assert.ok(!o.evidence.some((e) => ['postgresql.password', 'mongodb.rootPassword', 'minio.secretKey', 'minio.accessKey'].includes(e.key ?? '')));
    }
    const plain = get(all, 'k8s-secret-management');
    assert.equal(plain.status, 'fail');
    assert.match(plain.message, /4 of them still a placeholder/);
    const nats = get(all, 'nats-auth');
    assert.equal(nats.status, 'fail');
    assert.ok(places(nats).includes(`values-prod.yaml:${lineIn(F, 'values-prod.yaml', 'nats.ops')}:nats.external.host`));
    // The chart's development defaults apply when no values file replaces them.
    const dev = get(all, 'chart-production-settings');
    assert.equal(dev.status, 'fail');
    assert.match(dev.message, /NODE_ENV is "development"/);
    assert.match(dev.message, /runtimeImagePullPolicy is "Never"/);
    assert.match(dev.message, /FRONTEND_URL is "http:\/\/the0\.local:30001"/);
    assert.doesNotMatch(dev.message, /minikube|global\.imagePullPolicy/, 'the values file fixes these two');
    assert.equal(get(all, 'api-replicas').status, 'warn');
    assertNoSecrets(all);
  });

  test('AWS shape: JWT placeholders at their lines; the admin password missing is one finding, not two', async () => {
    const F = 'the0-values-aws';
    const all = await outcomes(copy(F), ['mode=kubernetes']);
    const jwt = get(all, 'jwt-secret-strong');
    assert.equal(jwt.status, 'fail');
    assert.ok(places(jwt).includes(`values-prod.yaml:${lineIn(F, 'values-prod.yaml', 'JWT_SECRET')}:the0Api.env.JWT_SECRET`));
    assert.match(jwt.evidence[0]!.detail, /template placeholder/);
    assert.equal(get(all, 'root-admin-not-plaintext').status, 'pass');
    const delivered = get(all, 'k8s-admin-from-secret');
    assert.equal(delivered.status, 'fail');
    assert.ok(places(delivered).includes(`k8s/values.yaml:${lineIn(F, 'k8s/values.yaml', 'extraEnv')}:the0Api.extraEnv`));
    // The chart drops the0Frontend.env.JWT_SECRET (the frontend gets the API's Secret key): not judged.
    for (const id of ['jwt-secret-strong', 'jwt-secret-shared', 'k8s-secret-management']) {
      assert.ok(!get(all, id).evidence.some((e) => e.key === 'the0Frontend.env.JWT_SECRET'), id);
    }
    // The chart's own passwords are unused with every datastore external: not blamed anywhere.
    for (const id of ['postgres-credentials', 'mongo-credentials', 'minio-credentials', 'k8s-secret-management']) {
      const o = get(all, id);
      assert.ok(!o.evidence.some((e) => e.file === 'k8s/values.yaml'), `${id} blames an unused chart value: ${places(o).join(', ')}`);
    }
    for (const id of ['nats-auth', 'https-termination', 'dns-before-certs']) assert.equal(get(all, id).status, 'fail', id);
    // What the example does set right.
    assert.equal(get(all, 'chart-production-settings').status, 'pass', get(all, 'chart-production-settings').message);
    assert.equal(get(all, 'api-replicas').status, 'pass');
    assert.equal(get(all, 'service-limits').status, 'pass');
    assertNoSecrets(all);
  });

  test('GCP shape: the login inside mongodb.external.connectionString is found and judged', async () => {
    const F = 'the0-values-gcp';
    const all = await outcomes(copy(F), ['mode=kubernetes']);
    const line = lineIn(F, 'values-prod.yaml', 'connectionString');
    const mongo = get(all, 'mongo-credentials');
    assert.equal(mongo.status, 'fail');
    assert.ok(places(mongo).includes(`values-prod.yaml:${line}:mongodb.external.connectionString (password in URL)`), places(mongo).join(', '));
    assert.match(mongo.evidence.find((e) => e.line === line)!.detail, /template placeholder/);
    const plain = get(all, 'k8s-secret-management');
    const hit = plain.evidence.find((e) => e.key === 'mongodb.external.connectionString');
    assert.equal(hit?.line, line);
    assert.match(hit?.detail ?? '', /password inside a connection string, still a template placeholder/);
    assertNoSecrets(all, ['deskadmin:']);
  });

  test('with the in-cluster datastore on, its own password is the one judged', async () => {
    const dir = copy('the0-values-aws', (d) => {
      const f = join(d, 'values-prod.yaml');
      writeFileSync(f, readFileSync(f, 'utf8').replace('postgresql:\n  enabled: false', 'postgresql:\n  enabled: true'));
    });
    const pg = get(await outcomes(dir, ['mode=kubernetes']), 'postgres-credentials');
    assert.equal(pg.status, 'fail');
    assert.deepEqual(
      pg.evidence.map((e) => e.key),
      ['postgresql.password'],
    );
    assert.match(pg.evidence[0]!.detail, /shipped default/);
  });

  test("a values file that removes a component's limits (resources: null) fails service-limits at that line", async () => {
    const dir = copy('the0-values-aws', (d) => {
      const f = join(d, 'values-prod.yaml');
      writeFileSync(f, readFileSync(f, 'utf8').replace('the0Api:\n  replicas: 2\n', 'the0Api:\n  replicas: 2\n  resources: null\n'));
    });
    const o = get(await outcomes(dir, ['mode=kubernetes']), 'service-limits');
    assert.equal(o.status, 'fail');
    assert.deepEqual(places(o), [`values-prod.yaml:${lineIn('the0-values-aws', 'values-prod.yaml', 'the0Api:') + 2}:the0Api.resources.limits`]);
  });
});

describe('the0 hardened twins fail nothing', () => {
  for (const [fixture, inputs] of [
    ['the0-hardened', []],
    ['the0-prebuilt-hardened', []],
    ['the0-values-hardened', ['mode=kubernetes']],
  ] as const) {
    test(fixture, async () => {
      const all = await outcomes(copy(fixture), [...inputs]);
      assert.deepEqual(fails(all), []);
      assert.ok([...all.values()].filter((o) => o.status === 'pass').length >= 10);
    });
  }

  test('the prebuilt twin passes what the weak one fails, the overlay and dev profile included', async () => {
    const all = await outcomes(copy('the0-prebuilt-hardened'));
    for (const id of ['service-limits', 'nats-auth', 'datastores-private', 'jwt-secret-strong', 'credentials-from-env']) {
      assert.equal(get(all, id).status, 'pass', `${id}: ${get(all, id).message}`);
    }
    const pinned = get(all, 'rollback-path').steps.find((s) => s.check === 'compose.image-pinned')!.result;
    assert.equal(pinned.status, 'pass');
    assert.match(pinned.evidence.find((e) => e.key === 'bot-runner.image')!.detail, /built here/);
  });

  test("the values twin only warns that the chart's own NATS has no login setting", async () => {
    const all = await outcomes(copy('the0-values-hardened'), ['mode=kubernetes']);
    const nats = get(all, 'nats-auth');
    assert.equal(nats.status, 'warn');
    assert.match(nats.message, /no authentication setting/);
    assert.equal(get(all, 'postgres-credentials').status, 'pass');
    assert.match(get(all, 'postgres-credentials').message, /existing Secret/);
  });
});
