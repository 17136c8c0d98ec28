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
    const results = sarif.runs[0].results as {ruleId: string; level: string; locations: {physicalLocation: {artifactLocation: {uri: string}; region?: {startLine: number}}}[]}[];
    const ds = results.find((x) => x.ruleId === 'the0/datastores-private');
    assert.equal(ds?.level, 'error');
    assert.equal(ds?.locations[0]?.physicalLocation.region?.startLine, 15);

    const junit = (await runCli(['check', '--dir', DEMO, '--format', 'junit'])).stdout;
    assert.match(junit, /^<\?xml version="1.0"/);
    assert.match(junit, /<testcase classname="the0.network" name="datastores-private: [^"]+">\n\s+<failure /);
    assert.equal((junit.match(/<testsuite /g) ?? []).length, 7);

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
    assert.deepEqual(failures.map((i) => `${i.id}: ${i.message}`), []);
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
    // Every published datastore port is named, on its line.
    const ports = item(report, 'datastores-private').evidence.map((e) => e.detail.split(':')[0]);
    assert.deepEqual(ports, ['5432', '27017', '4222', '8222', '9000', '9001']);
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
    // Compose reads the same .env for interpolation, so its items cannot decide either...
    assert.equal(item(report, 'datastores-private').status, 'error');
    assert.match(item(report, 'datastores-private').message, /^\.env:3:1: /);
    // ...while items that do not read it still run.
    assert.equal(item(report, 'env-file-private').status, 'pass');
    assert.equal(item(report, 'named-accounts').status, 'manual');
    assert.equal(code, 0, 'an undecided check is reported, not counted as a failure');
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

  test('answers saved by a person count: confirmed manual items pass', async () => {
    const dir = repoCopy('the0-hardened');
    const progress = tempDir('shipshape-progress-');
    const {ProgressStore} = await import('../../src/store/progress.js');
    process.env.SHIPSHAPE_PROGRESS_DIR = progress;
    try {
      const store = await ProgressStore.open(dir, {id: 'the0', version: '1.0.0'});
      store.setAnswer('named-accounts', {kind: 'confirmed', by: 'alice', at: '2026-11-20T10:00:00.000Z', note: 'three named admins'});
      store.setAnswer('restore-tested', {kind: 'waived', by: 'bob', at: '2026-11-20T10:00:00.000Z', reason: 'first drill booked', expires: '2099-01-01'});
    } finally {
      delete process.env.SHIPSHAPE_PROGRESS_DIR;
    }
    const {report} = await checkJson(['--dir', dir], {SHIPSHAPE_PROGRESS_DIR: progress});
    assert.equal(item(report, 'named-accounts').status, 'pass');
    assert.match(item(report, 'named-accounts').message, /confirmed by alice on 2026-11-20: three named admins/);
    assert.equal(item(report, 'restore-tested').status, 'skip');
    assert.match(item(report, 'restore-tested').message, /waived by bob .* until 2099-01-01: first drill booked/);
    assert.equal(item(report, 'backup-postgres').status, 'manual');
  });
});

describe('usage and pack errors exit 2 with nothing on stdout', () => {
  const cases: [string, string[], RegExp][] = [
    ['unknown format', ['check', '--dir', DEMO, '--format', 'yaml'], /--format yaml: choose one of text, json/],
    ['unknown threshold', ['check', '--dir', DEMO, '--fail-on', 'severe'], /--fail-on severe/],
    ['unknown pack', ['check', '--dir', DEMO, '--pack', 'nope'], /--pack nope: no built-in pack/],
    ['bad input', ['check', '--dir', DEMO, '--input', 'mode=swarm'], /--input mode=swarm: choose one of compose, kubernetes/],
    ['unknown input', ['check', '--dir', DEMO, '--input', 'flavour=x'], /pack the0 has no such input/],
    ['not a directory', ['check', '--dir', join(DEMO, 'docker-compose.yml')], /not a directory/],
    ['unknown flag', ['check', '--colour'], /Unknown option '--colour'/],
    ['unknown command', ['frobnicate'], /unknown command frobnicate/],
  ];
  for (const [name, args, message] of cases) {
    test(name, async () => {
      const r = await runCli(args);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    });
  }

  test('nothing recognisable in the directory', async () => {
    const r = await runCli(['check', '--dir', tempDir()]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no pack recognises .*--pack/);
  });

  test('a malformed pack file names file, line and column', async () => {
    const dir = tempDir();
    writeFiles(dir, {
      'bad.yaml': 'schema: 1\nid: bad\ntitle: Bad\nversion: 1.0.0\ndescription: d\nsections:\n  - id: s\n    title: S\n    items:\n      - id: x\n        title: X\n        why: w\n        how: h\n        severity: urgent\n        source: {system: a, section: b}\n        confirm: ok?\n',
    });
    const r = await runCli(['check', '--dir', DEMO, '--pack', join(dir, 'bad.yaml')]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /bad\.yaml:14:19: sections\[0\]\.items\[0\]\.severity: /);
  });
});

describe('small commands', () => {
  test('--version matches package.json and loads no UI', async () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {version: string};
    assert.equal(VERSION, pkg.version);
    const r = await runCli(['--version']);
    assert.equal(r.stdout, `${pkg.version}\n`);
    assert.equal(r.code, 0);
  });

  test('packs lists the built-in the0 pack', async () => {
    const r = await runCli(['packs']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^the0 +1\.0\.0 +\d+ items +the0 production readiness/m);
  });

  test('progress --reset clears saved answers', async () => {
    const dir = repoCopy('the0-hardened');
    const progress = tempDir('shipshape-progress-');
    process.env.SHIPSHAPE_PROGRESS_DIR = progress;
    const {ProgressStore} = await import('../../src/store/progress.js');
    try {
      const store = await ProgressStore.open(dir, {id: 'the0', version: '1.0.0'});
      store.setAnswer('named-accounts', {kind: 'confirmed', by: 'alice', at: new Date().toISOString()});
    } finally {
      delete process.env.SHIPSHAPE_PROGRESS_DIR;
    }
    const env = {SHIPSHAPE_PROGRESS_DIR: progress};
    assert.match((await runCli(['progress', '--dir', dir], {env})).stdout, /1 answers, last saved/);
    assert.match((await runCli(['progress', '--dir', dir, '--reset'], {env})).stdout, /cleared saved progress/);
    const after = await runCli(['check', '--dir', dir, '--format', 'json'], {env});
    assert.equal((JSON.parse(after.stdout) as JsonReport).items.find((i) => i.id === 'named-accounts')?.status, 'manual');
  });
});
