// `shipshape check` end to end: the built CLI spawned as a process, its JSON parsed, its exit
// code asserted, on the bundled demo and on fixtures copied into real temp directories.
import assert from 'node:assert/strict';
import {chmodSync, cpSync, readFileSync, renameSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {parse as parseEnv} from 'dotenv';
import {VERSION} from '../../src/version.js';
import {git, gitInit, REPO, runCli, tempDir, writeFiles} from '../support/helpers.js';

interface JsonItem {
  id: string;
  section: string;
  title: string;
  severity: string;
  status: string;
  message: string;
  evidence: {file: string | null; line: number | null; key: string | null; detail: string}[];
}
interface JsonReport {
  tool: string;
  version: string;
  pack: string;
  dir: string;
  items: JsonItem[];
  summary: Record<string, number>;
}

const DEMO = join(REPO, 'examples', 'the0-compose');
const FIXTURES = join(REPO, 'test', 'fixtures');

function item(r: JsonReport, id: string): JsonItem {
  const found = r.items.find((i) => i.id === id);
  assert.ok(found, `no item ${id} in the report`);
  return found;
}

/** Every value of every .env under dir, so a test can prove none is printed. */
function secretsOf(dir: string): string[] {
  const env = parseEnv(readFileSync(join(dir, '.env')));
  return Object.entries(env)
    .filter(([k, v]) => /PASSWORD|SECRET|KEY|TOKEN/.test(k) && v.length >= 8)
    .map(([, v]) => v);
}

/** A copy of a fixture in its own git repository, .env ignored, everything else committed. */
function repoCopy(fixture: string): string {
  const dir = tempDir('shipshape-cli-');
  cpSync(join(FIXTURES, fixture), dir, {recursive: true});
  try {
    renameSync(join(dir, 'gitignore.fixture'), join(dir, '.gitignore'));
  } catch {
    writeFileSync(join(dir, '.gitignore'), '.env\n');
  }
  // As `the0 local` writes it; git does not keep modes beyond the executable bit.
  chmodSync(join(dir, '.env'), 0o600);
  gitInit(dir);
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'deployment');
  return dir;
}

async function checkJson(args: string[], env: Record<string, string> = {}): Promise<{code: number | null; report: JsonReport; stderr: string}> {
  const r = await runCli(['check', '--format', 'json', ...args], {env: {SHIPSHAPE_PROGRESS_DIR: tempDir('shipshape-progress-'), ...env}});
  assert.ok(r.stdout.trim().startsWith('{'), `stdout is not JSON:\n${r.stdout}\n${r.stderr}`);
  return {code: r.code, report: JSON.parse(r.stdout) as JsonReport, stderr: r.stderr};
}

describe('shipshape check on the bundled demo', () => {
  test('reports the demo weaknesses as fail with file and line, exit 1', async () => {
    const {code, report} = await checkJson(['--dir', DEMO]);
    assert.equal(code, 1);
    assert.equal(report.tool, 'shipshape');
    assert.equal(report.version, VERSION);
    assert.equal(report.pack, 'the0');
    assert.equal(report.dir, DEMO);

    const datastores = item(report, 'datastores-private');
    assert.equal(datastores.status, 'fail');
    assert.deepEqual(
      datastores.evidence.map((e) => `${e.file}:${e.line}`),
      ['docker-compose.yml:15', 'docker-compose.yml:42'],
    );

    const jwt = item(report, 'jwt-secret-strong');
    assert.equal(jwt.status, 'fail');
    assert.ok(jwt.evidence.some((e) => e.file === '.env' && e.line === 9 && e.key === 'JWT_SECRET'));

    const minio = item(report, 'minio-credentials');
    assert.equal(minio.status, 'fail');
    const minioPlaces = minio.evidence.map((e) => `${e.file}:${e.line}:${e.key}`);
    for (const place of ['.env:8:MINIO_ROOT_PASSWORD', 'docker-compose.yml:39:MINIO_ROOT_PASSWORD', 'docker-compose.yml:55:MINIO_SECRET_KEY']) {
      assert.ok(minioPlaces.includes(place), `${place} missing from ${minioPlaces.join(', ')}`);
    }
    assert.equal(item(report, 'rollback-path').status, 'fail');
    assert.equal(item(report, 'https-termination').evidence[0]?.line, 91);

    // What the demo already does right.
    assert.equal(item(report, 'postgres-credentials').status, 'pass');
    assert.equal(item(report, 'bot-limits').status, 'pass');
    assert.equal(item(report, 'jwt-secret-shared').status, 'pass');
    // Kubernetes-only items do not apply to a Compose deployment.
    assert.equal(item(report, 'job-cleanup').status, 'skip');
    assert.match(item(report, 'job-cleanup').message, /mode is kubernetes/);
    // Only a person can settle these.
    assert.equal(item(report, 'restore-tested').status, 'manual');

    const total = Object.values(report.summary).reduce((a, b) => a + b, 0);
    assert.equal(total, report.items.length);
    assert.equal(report.summary.fail, report.items.filter((i) => i.status === 'fail').length);
  });

  // Failing and passing deployments both: a passing item shows every step's evidence.
  for (const [name, where, extra] of [
    ['the demo', () => DEMO, []],
    ['a hardened deployment', () => repoCopy('the0-hardened'), []],
    ["the0's shipped defaults", () => repoCopy('the0-shipped'), []],
    ['a Kubernetes deployment', () => join(FIXTURES, 'the0-k8s'), ['--input', 'mode=kubernetes']],
  ] as const) {
    test(`never prints a secret value, in any format: ${name}`, async () => {
      const dir = where();
      const secrets = name === 'a Kubernetes deployment' ? ['hunter2hunter2'] : secretsOf(dir);
      assert.ok(secrets.length >= 1);
      for (const format of ['json', 'text', 'markdown', 'sarif', 'junit']) {
        const r = await runCli(['check', '--dir', dir, '--format', format, '--verbose', ...extra]);
        for (const s of secrets) assert.ok(!r.stdout.includes(s) && !r.stderr.includes(s), `${format} output contains a secret`);
      }
    });
  }

  test('text is the default format and names statuses in words', async () => {
    const r = await runCli(['check', '--dir', DEMO]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^ {2}FAIL {3}critical PostgreSQL, MongoDB, NATS/m);
    assert.match(r.stdout, /docker-compose\.yml:15 /);
    assert.match(r.stdout, /\d+ pass, \d+ fail, \d+ warn, \d+ error, \d+ to confirm, \d+ skipped \(\d+ items\)/);
    assert.doesNotMatch(r.stdout, /\u001b\[/, 'NO_COLOR output has no escape codes');
  });

  test('sarif, junit and markdown are well-formed', async () => {
    const sarif = JSON.parse((await runCli(['check', '--dir', DEMO, '--format', 'sarif'])).stdout);
    assert.equal(sarif.version, '2.1.0');
    const results = sarif.runs[0].results as {
      ruleId: string;
      level: string;
      locations: {physicalLocation: {artifactLocation: {uri: string}; region?: {startLine: number}}}[];
    }[];
    const ds = results.find((x) => x.ruleId === 'the0/datastores-private');
    assert.equal(ds?.level, 'error');
    assert.equal(ds?.locations[0]?.physicalLocation.region?.startLine, 15);

    const junit = (await runCli(['check', '--dir', DEMO, '--format', 'junit'])).stdout;
    assert.match(junit, /^<\?xml version="1.0"/);
    assert.match(junit, /<testcase classname="the0.network" name="datastores-private: [^"]+">\n\s+<failure /);
    assert.equal((junit.match(/<testsuite /g) ?? []).length, 10, "a testsuite per section, the compose pack's three included");

    const md = (await runCli(['check', '--dir', DEMO, '--format', 'markdown'])).stdout;
    assert.match(md, /^# the0 production readiness/);
    assert.match(md, /\| FAIL \| critical \| PostgreSQL, MongoDB/);
  });

  test('probes of the running services are opt-in (--input probe=local)', async () => {
    const off = await checkJson(['--dir', DEMO]);
    assert.equal(item(off.report, 'health-monitoring').status, 'manual');
    assert.deepEqual(item(off.report, 'health-monitoring').evidence, []);
    const on = await checkJson(['--dir', DEMO, '--input', 'probe=local']);
    const health = item(on.report, 'health-monitoring');
    // Whatever answers on this machine, the three endpoints were asked.
    for (const port of ['3000', '9000', '8222']) assert.ok(JSON.stringify(health).includes(`127.0.0.1:${port}`), `port ${port} was not probed`);
  });

  test('--input mode=kubernetes turns the Compose items off', async () => {
    const {report} = await checkJson(['--dir', DEMO, '--input', 'mode=kubernetes']);
    assert.equal(item(report, 'credentials-from-env').status, 'skip');
    assert.equal(item(report, 'job-cleanup').status, 'skip', 'no manifests: nothing to check');
    assert.match(item(report, 'job-cleanup').message, /no rendered manifests/);
  });
});

describe('shipshape check on fixtures', () => {
  test('a hardened copy of the demo reports no fail and exits 0', async () => {
    const dir = repoCopy('the0-hardened');
    const {code, report} = await checkJson(['--dir', dir]);
    const failures = report.items.filter((i) => i.status === 'fail' || i.status === 'error');
    assert.deepEqual(
      failures.map((i) => `${i.id}: ${i.message}`),
      [],
    );
    assert.equal(code, 0);
    assert.equal(item(report, 'env-file-private').status, 'pass');
    assert.ok((report.summary.pass ?? 0) >= 10);
  });

  test("the0's shipped compose and .env fail on every default they ship", async () => {
    const dir = repoCopy('the0-shipped');
    const {code, report} = await checkJson(['--dir', dir]);
    assert.equal(code, 1);
    for (const id of [
      'root-admin-configured',
      'jwt-secret-strong',
      'postgres-credentials',
      'mongo-credentials',
      'minio-credentials',
      'credentials-from-env',
      'https-termination',
      'datastores-private',
      'minio-console-restricted',
      'rollback-path',
    ]) {
      assert.equal(item(report, id).status, 'fail', `${id}: ${item(report, id).message}`);
    }
    // Every published datastore port is named, on its line, and adminer's (the dev profile's database browser).
    const ports = item(report, 'datastores-private').evidence.map((e) => e.detail.split(':')[0]);
    assert.deepEqual(ports, ['5432', '27017', '4222', '8222', '9000', '9001', '8081']);
    // Every copy of the MongoDB password is found: .env, and the URI in five services.
    const mongo = item(report, 'mongo-credentials').evidence;
    assert.equal(mongo.filter((e) => e.key === 'MONGO_URI (password in URL)').length, 5);
    // The empty admin settings the CLI template ships are caught.
    assert.ok(item(report, 'root-admin-configured').evidence.some((e) => e.key === 'THE0_ADMIN_PASSWORD' && /empty/.test(e.detail)));
    for (const s of ['the0_password', 'the0_mongo_password', 'the0password', 'your-super-secret-jwt-key-change-this-in-production']) {
      assert.ok(!JSON.stringify(report).includes(s), 'a shipped default leaked into the report');
    }
  });

  test('Kubernetes mode reads values precedence, chart defaults and rendered manifests', async () => {
    const {code, report} = await checkJson(['--dir', join(FIXTURES, 'the0-k8s')]);
    assert.equal(code, 1);
    const admin = item(report, 'root-admin-not-plaintext');
    assert.equal(admin.status, 'fail');
    assert.ok(admin.evidence.some((e) => e.file === 'values-prod.yaml' && e.line === 10 && e.key === 'the0Api.env.THE0_ADMIN_PASSWORD'));
    // global.existingSecret in the override moves chart credentials out of values.
    assert.equal(item(report, 'postgres-credentials').status, 'pass');
    assert.equal(item(report, 'datastores-private').status, 'pass');
    assert.equal(item(report, 'dns-before-certs').status, 'fail');
    assert.equal(item(report, 'chart-checksum-annotation').status, 'fail');
    assert.equal(item(report, 'chart-checksum-annotation').evidence[0]?.key, 'Deployment/the0-bot-controller');
    assert.equal(item(report, 'job-cleanup').status, 'fail');
    assert.equal(item(report, 'bot-limits').status, 'fail');
    assert.equal(item(report, 'credentials-from-env').status, 'skip');
  });

  test('without global.existingSecret, chart defaults count as shipped credentials', async () => {
    const dir = tempDir();
    cpSync(join(FIXTURES, 'the0-k8s'), dir, {recursive: true});
    writeFileSync(join(dir, 'values-prod.yaml'), 'the0Api:\n  env:\n    NODE_ENV: production\n');
    const {report} = await checkJson(['--dir', dir]);
    const jwt = item(report, 'jwt-secret-strong');
    assert.equal(jwt.status, 'fail');
    assert.ok(jwt.evidence.some((e) => e.file === 'k8s/values.yaml' && e.line === 25));
    assert.equal(item(report, 'datastores-private').status, 'fail', 'externalServices.enabled defaults to true');
  });

  test('a malformed .env errors with its location; other items still run', async () => {
    const dir = repoCopy('the0-hardened');
    const env = readFileSync(join(dir, '.env'), 'utf8').split('\n');
    env.splice(2, 0, 'THIS LINE IS NOT AN ASSIGNMENT');
    writeFileSync(join(dir, '.env'), env.join('\n'));
    const {code, report} = await checkJson(['--dir', dir]);
    const jwt = item(report, 'jwt-secret-strong');
    assert.equal(jwt.status, 'error');
    assert.match(jwt.message, /^\.env:3:1: expected KEY=value/);
    assert.deepEqual([jwt.evidence[0]?.file, jwt.evidence[0]?.line], ['.env', 3]);
    // Compose interpolates from the lines of the .env that do parse: its items still decide.
    assert.equal(item(report, 'datastores-private').status, 'pass');
    assert.equal(item(report, 'env-file-private').status, 'pass');
    assert.equal(item(report, 'named-accounts').status, 'manual');
    // The broken file is named once, at the top, with its location.
    const problems = (report as unknown as {problems: {file: string; line: number; message: string}[]}).problems;
    assert.deepEqual(
      problems.map((p) => [p.file, p.line]),
      [['.env', 3]],
    );
    assert.equal(code, 3, 'nothing fails, but a high item could not be decided: exit 3, never a silent 0');
    const text = await runCli(['check', '--dir', dir]);
    assert.match(text.stdout, /Files that could not be read[^\n]*\n {2}\.env:3: expected KEY=value/);
  });

  test('a malformed .env on a failing deployment still exits 1: failures win over undecided items', async () => {
    const dir = tempDir('shipshape-cli-');
    cpSync(DEMO, dir, {recursive: true});
    writeFileSync(join(dir, '.env'), `${readFileSync(join(dir, '.env'), 'utf8')}\nthis line is not key value\n`);
    const {code, report} = await checkJson(['--dir', dir]);
    assert.equal(code, 1);
    assert.ok((report.summary.fail ?? 0) >= 5, `compose failures stay visible (${report.summary.fail})`);
    assert.equal(item(report, 'datastores-private').status, 'fail');
  });

  test('a malformed compose file errors with line and column for the items that read it', async () => {
    const dir = repoCopy('the0-hardened');
    writeFiles(dir, {'docker-compose.yml': 'services:\n  postgres:\n    image: postgres:15\n    ports: [\n'});
    const {report} = await checkJson(['--dir', dir]);
    const ds = item(report, 'datastores-private');
    assert.equal(ds.status, 'error');
    assert.match(ds.message, /^docker-compose\.yml:\d+:\d+: invalid YAML/);
    assert.equal(item(report, 'env-file-private').status, 'pass');
  });

  test('--fail-on sets the threshold', async () => {
    const dir = repoCopy('the0-hardened');
    const compose = readFileSync(join(dir, 'docker-compose.yml'), 'utf8').replace('MINIO_ROOT_USER: ${MINIO_ROOT_USER}', 'MINIO_ROOT_USER: opsminio7');
    writeFileSync(join(dir, 'docker-compose.yml'), compose);
    const high = await checkJson(['--dir', dir]);
    assert.equal(item(high.report, 'credentials-from-env').status, 'fail');
    assert.equal(item(high.report, 'credentials-from-env').severity, 'medium');
    assert.equal(high.code, 0);
    assert.equal((await checkJson(['--dir', dir, '--fail-on', 'medium'])).code, 1);
    assert.equal((await checkJson(['--dir', dir, '--fail-on', 'low'])).code, 1);
  });

  test('answers travel with the deployment: a copy at another path, as in CI, honours them', async () => {
    const dir = repoCopy('the0-hardened');
    const personal = {SHIPSHAPE_PROGRESS_DIR: tempDir('shipshape-progress-')};
    const a = await runCli(['answer', 'named-accounts', '--confirm', '--note', 'three named admins', '--as', 'alice', '--dir', dir], {env: personal});
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout, /confirmed by alice/);
    const w = await runCli(
      ['answer', 'restore-tested', '--waive', '--reason', 'first drill booked', '--owner', 'ops', '--expires', '2099-01-01', '--as', 'bob', '--dir', dir],
      {env: personal},
    );
    assert.equal(w.code, 0, w.stderr);
    // Another checkout: another path, another machine's (empty) personal config.
    const ci = tempDir('shipshape-ci-checkout-');
    cpSync(dir, ci, {recursive: true});
    const {report} = await checkJson(['--dir', ci], {SHIPSHAPE_PROGRESS_DIR: tempDir('shipshape-progress-')});
    const confirmed = item(report, 'named-accounts') as JsonItem & {answer: {status: string; by: string; at: string; note?: string} | null};
    assert.equal(confirmed.status, 'pass');
    assert.deepEqual([confirmed.answer?.status, confirmed.answer?.by, confirmed.answer?.note], ['confirmed', 'alice', 'three named admins']);
    const waived = item(report, 'restore-tested') as JsonItem & {answer: {waiver?: {reason: string; owner?: string; expires?: string}} | null};
    assert.equal(waived.status, 'skip');
    assert.deepEqual(waived.answer?.waiver, {reason: 'first drill booked', owner: 'ops', expires: '2099-01-01', expired: false, unneeded: false});
    assert.match(waived.message, /first drill booked/);
  });

  test('answer refuses what it cannot record: unknown item, bad date, no reason, an item the checks decide', async () => {
    const dir = repoCopy('the0-hardened');
    const env = {SHIPSHAPE_PROGRESS_DIR: tempDir('shipshape-progress-')};
    const cases: [string[], RegExp][] = [
      [['no-such-item', '--confirm'], /no item no-such-item/],
      [['restore-tested', '--waive', '--reason', 'r', '--expires', '2026-13-40'], /expiry/],
      [['restore-tested', '--waive'], /needs a reason/],
      [['restore-tested', '--confirm', '--decline'], /exactly one/],
      [['datastores-private', '--confirm'], /checks decide|nothing to confirm/],
    ];
    for (const [args, why] of cases) {
      const r = await runCli(['answer', ...args, '--dir', dir], {env});
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, why, args.join(' '));
      assert.equal(r.stdout, '');
    }
  });

  test('progress --reset clears personal state and keeps the answers in the deployment', async () => {
    const dir = repoCopy('the0-hardened');
    const env = {SHIPSHAPE_PROGRESS_DIR: tempDir('shipshape-progress-')};
    assert.equal((await runCli(['answer', 'named-accounts', '--confirm', '--as', 'alice', '--dir', dir], {env})).code, 0);
    assert.match((await runCli(['progress', '--dir', dir], {env})).stdout, /1 answers/);
    assert.match((await runCli(['progress', '--dir', dir, '--reset'], {env})).stdout, /answers in the deployment are kept/);
    const after = await runCli(['check', '--dir', dir, '--format', 'json'], {env});
    assert.equal((JSON.parse(after.stdout) as JsonReport).items.find((i) => i.id === 'named-accounts')?.status, 'pass');
    const listed = await runCli(['answers', '--dir', dir], {env});
    assert.match(listed.stdout, /named-accounts: confirmed by alice/);
  });
});
