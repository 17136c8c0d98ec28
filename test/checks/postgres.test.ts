// postgres.* against a real PostgreSQL from the machine's packages: initdb'd in a temp directory,
// run as an unprivileged user, scram password authentication, TLS with a throwaway certificate,
// pg_stat_statements preloaded. Plus a server that accepts and never answers, and a closed port.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {existsSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {before, describe, test, type TestContext} from 'node:test';
import {CHECKS} from '../../src/checks/index.js';
import {Context} from '../../src/engine/context.js';
import {runStep} from '../../src/engine/run.js';
import type {CheckResult} from '../../src/model/types.js';
import {ANSWERS_FILE} from '../../src/store/answers.js';
import {CLI, lines, testPack, tempDir, writeFiles} from '../support/helpers.js';
import {freePort, secret, silentServer, startNats, startPostgres, startRedis, unavailable, type Nats, type Postgres, type Redis} from '../support/services.js';

// The CLI test at the end needs all three services; Redis and nats-server start in well under a
// second, so this file starts one of each beside PostgreSQL.
const redisPw = secret();
const natsPw = secret();
const [started, redisStarted, natsStarted] = await Promise.all([
  startPostgres(),
  startRedis([`requirepass ${redisPw}`]),
  startNats(['accounts {', '  APP {', '    jetstream: enabled', `    users: [{user: app, password: "${natsPw}"}]`, '  }', '}']),
]);
const pg: Postgres | undefined = typeof started === 'string' ? undefined : started;
const why = typeof started === 'string' ? started : '';

const appPw = secret();
const plainPw = secret();

before(async () => {
  if (!pg) return;
  await pg.admin(`CREATE ROLE app LOGIN PASSWORD '${appPw}'; GRANT pg_read_all_settings TO app`);
  await pg.admin(`CREATE ROLE plain LOGIN PASSWORD '${plainPw}'`);
  // A role someone created with a shipped default and forgot.
  await pg.admin(`CREATE ROLE legacy LOGIN PASSWORD 'postgres'`);
  await pg.admin('CREATE DATABASE appdb OWNER app');
  await pg.admin(
    'CREATE SCHEMA bot_alpha AUTHORIZATION app; CREATE SCHEMA bot_beta AUTHORIZATION app; CREATE SCHEMA bot_old AUTHORIZATION app; CREATE EXTENSION pg_stat_statements',
    'appdb',
  );
});

/** Runs a check as a pack step would, with `probe` as given (local unless told). */
function run(
  id: string,
  dir: string,
  params: Record<string, unknown> = {},
  o: {probe?: string; timeoutMs?: number; files?: Record<string, unknown>} = {},
): Promise<CheckResult> {
  const def = CHECKS.get(id);
  assert.ok(def, `no check ${id}`);
  const inputs: Record<string, string> = o.probe === undefined ? {probe: 'local'} : o.probe === '' ? {} : {probe: o.probe};
  return runStep(def, new Context(dir, testPack(o.files ?? {}), inputs), params, o.timeoutMs ?? 20_000);
}

/** A deployment whose .env points at the test server. */
function deployment(env: Record<string, string>, files: Record<string, string> = {}): string {
  const dir = tempDir('shipshape-pg-deploy-');
  writeFiles(dir, {'.env': lines(...Object.entries(env).map(([k, v]) => `${k}=${v}`)), ...files});
  return dir;
}

const url = (user: string, password: string, extra = '?sslmode=disable', port = pg?.port) => `postgresql://${user}:${password}@127.0.0.1:${port}/appdb${extra}`;

/** Nothing a check returns ever holds a password it was given. */
function clean(r: CheckResult, ...secrets: string[]): CheckResult {
  const text = JSON.stringify(r);
  for (const s of [appPw, plainPw, ...secrets]) assert.ok(!text.includes(s), `a password leaked into ${text}`);
  return r;
}

const need = (t: TestContext): boolean => {
  if (pg) return true;
  unavailable(t, why);
  return false;
};

describe('postgres.connect', () => {
  test('logs in with DATABASE_URL, read-only, and says TLS is offered but not used with sslmode=disable', async (t) => {
    if (!need(t)) return;
    const r = clean(await run('postgres.connect', deployment({DATABASE_URL: url('app', appPw)})));
    assert.equal(r.status, 'pass', r.message);
    assert.match(r.message, new RegExp(`^connected to PostgreSQL at 127\\.0\\.0\\.1:${pg!.port} \\(PostgreSQL 1\\d`));
    assert.match(r.message, pg!.tls ? /TLS offered but not used \(sslmode=disable\)/ : /TLS not offered/);
    assert.deepEqual(r.evidence.find((e) => e.key === 'DATABASE_URL')?.file, '.env');
  });

  test('sslmode=require encrypts the connection; tls: used then passes, and fails with sslmode=disable', async (t) => {
    if (!need(t)) return;
    if (!pg!.tls) return unavailable(t, 'openssl was not there to make the server a certificate');
    const tls = clean(await run('postgres.connect', deployment({DATABASE_URL: url('app', appPw, '?sslmode=require')}), {tls: 'used'}));
    assert.equal(tls.status, 'pass', tls.message);
    assert.match(tls.message, /TLS in use \(TLSv1\.[23]\)/);
    const plain = clean(await run('postgres.connect', deployment({DATABASE_URL: url('app', appPw)}), {tls: 'used'}));
    assert.equal(plain.status, 'fail');
    assert.match(plain.message, /should be encrypted: set sslmode=require/);
    // verify-full against a self-signed certificate: the handshake is refused, and said so.
    const verify = clean(await run('postgres.connect', deployment({DATABASE_URL: url('app', appPw, '?sslmode=verify-full')})));
    assert.equal(verify.status, 'fail', verify.message);
    assert.match(verify.message, /TLS handshake failed \(sslmode=verify-full\)/);
  });

  test('POSTGRES_* keys without a URL, the password from POSTGRES_PASSWORD; a wrong password fails without printing it', async (t) => {
    if (!need(t)) return;
    const ok = clean(
      await run(
        'postgres.connect',
        deployment({POSTGRES_HOST: '127.0.0.1', POSTGRES_PORT: String(pg!.port), POSTGRES_USER: 'app', POSTGRES_PASSWORD: appPw, POSTGRES_DB: 'appdb'}),
      ),
    );
    assert.equal(ok.status, 'pass', ok.message);
    assert.ok(
      ok.evidence.some((e) => e.key === 'POSTGRES_PASSWORD' && e.line === 4 && /the password \(36 chars/.test(e.detail)),
      JSON.stringify(ok.evidence),
    );
    const none = clean(await run('postgres.connect', deployment({DATABASE_URL: `postgresql://app@127.0.0.1:${pg!.port}/appdb?sslmode=disable`})));
    assert.equal(none.status, 'fail');
    assert.match(none.message, /refused the deployment's login: the server asks for a password, and the settings give none$/);
    const wrong = secret();
    const bad = clean(await run('postgres.connect', deployment({DATABASE_URL: url('app', wrong)})), wrong);
    assert.equal(bad.status, 'fail');
    assert.match(bad.message, /refused the deployment's login: password authentication failed for user "app"/);
  });

  test('a server that does not offer TLS: sslmode prefer falls back and says so; require and tls: offered fail', async (t) => {
    if (!need(t)) return;
    const ssl = async () => ((await pg!.admin('SHOW ssl')) as {ssl: string}[])[0]?.ssl;
    /** Waits for a reload to reach new sessions: polled, bounded, never a fixed sleep. */
    const until = async (want: string) => {
      const deadline = Date.now() + 10_000;
      while ((await ssl()) !== want) {
        assert.ok(Date.now() < deadline, `ssl never became ${want}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const was = (await ssl()) ?? 'off';
    await pg!.admin('ALTER SYSTEM SET ssl = off');
    await pg!.admin('SELECT pg_reload_conf()');
    t.after(async () => {
      await pg!.admin('ALTER SYSTEM RESET ssl');
      await pg!.admin('SELECT pg_reload_conf()');
      await until(was);
    });
    await until('off');
    const prefer = clean(await run('postgres.connect', deployment({DATABASE_URL: url('app', appPw, '')})));
    assert.equal(prefer.status, 'pass', prefer.message);
    assert.match(prefer.message, /; TLS not offered by the server \(ssl = off\)$/);
    const offered = clean(await run('postgres.connect', deployment({DATABASE_URL: url('app', appPw, '')}), {tls: 'offered'}));
    assert.equal(offered.status, 'fail');
    const require = clean(await run('postgres.connect', deployment({DATABASE_URL: url('app', appPw, '?sslmode=require')})));
    assert.equal(require.status, 'fail');
    assert.equal(require.message, `PostgreSQL at 127.0.0.1:${pg!.port} does not offer TLS, and the settings ask for it (sslmode=require)`);
  });

  test('a URL naming a Compose service is reached through the port it publishes; an unpublished one is not probed', async (t) => {
    if (!need(t)) return;
    const compose = (ports: string) =>
      lines(
        'services:',
        '  db:',
        '    image: postgres:15',
        ...(ports ? ['    ports:', `      - "${ports}"`] : []),
        '  api:',
        '    image: example/api:1',
        '    environment:',
        '      DATABASE_URL: postgresql://app:${APP_DB_PASSWORD}@db:5432/appdb?sslmode=disable',
      );
    const published = deployment({APP_DB_PASSWORD: appPw}, {'docker-compose.yml': compose(`127.0.0.1:${pg!.port}:5432`)});
    const r = clean(await run('postgres.connect', published));
    assert.equal(r.status, 'pass', r.message);
    assert.ok(
      r.evidence.some((e) => e.key === 'reached via' && e.detail.startsWith(`service db publishes 127.0.0.1:${pg!.port}:5432 (docker-compose.yml:5)`)),
      JSON.stringify(r.evidence),
    );
    const hidden = clean(await run('postgres.connect', deployment({APP_DB_PASSWORD: appPw}, {'docker-compose.yml': compose('')})));
    assert.equal(hidden.status, 'skip');
    assert.match(hidden.message, /^db is a Compose service that publishes no port for 5432: it is reachable only inside the Compose network/);
  });
});

describe('postgres.setting', () => {
  test("equals, min and max in the setting's unit or with a unit, and a list that contains an entry", async (t) => {
    if (!need(t)) return;
    const dir = deployment({DATABASE_URL: url('app', appPw)});
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{name: 'max_connections', equals: 20}, 'pass', /^max_connections = 20$/],
      [{name: 'max_connections', min: 100}, 'fail', /^max_connections = 20: should be at least 100$/],
      [{name: 'log_min_duration_statement', min: 0, max: 500}, 'pass', /^log_min_duration_statement = 500 \(unit ms\)$/],
      [{name: 'log_min_duration_statement', max: '250ms'}, 'fail', /should be at most 250ms$/],
      [{name: 'log_min_duration_statement', max: '1s'}, 'pass', /= 500/],
      [{name: 'shared_preload_libraries', contains: 'pg_stat_statements'}, 'pass', /^shared_preload_libraries = pg_stat_statements$/],
      [{name: 'shared_preload_libraries', contains: 'auto_explain'}, 'fail', /should list auto_explain$/],
      [{name: 'ssl', equals: pg!.tls ? 'on' : 'off'}, 'pass', /^ssl = o/],
      [{name: 'ssl', equals: true}, pg!.tls ? 'pass' : 'fail', /^ssl = o/],
    ];
    for (const [params, status, message] of cases) {
      const r = clean(await run('postgres.setting', dir, params));
      assert.equal(r.status, status, `${JSON.stringify(params)}: ${r.message}`);
      assert.match(r.message, message);
    }
  });

  test('a superuser-only setting the role may not read is an error that says what to grant', async (t) => {
    if (!need(t)) return;
    const r = clean(
      await run('postgres.setting', deployment({DATABASE_URL: url('plain', plainPw)}), {name: 'shared_preload_libraries', contains: 'pg_stat_statements'}),
    );
    assert.equal(r.status, 'error');
    assert.match(r.message, /not visible to plain: .*grant pg_read_all_settings/);
  });

  test('bad params are refused before anything connects', async (t) => {
    if (!need(t)) return;
    const r = await run('postgres.setting', deployment({DATABASE_URL: url('app', appPw)}), {name: 'max_connections'});
    assert.equal(r.status, 'error');
    assert.match(r.message, /bad params: give equals, min, max or contains/);
  });
});

describe('postgres.extension', () => {
  test('pg_stat_statements is installed; pgcrypto is only available, which fails with the statement to run', async (t) => {
    if (!need(t)) return;
    const dir = deployment({DATABASE_URL: url('app', appPw)});
    const yes = clean(await run('postgres.extension', dir, {name: 'pg_stat_statements'}));
    assert.equal(yes.status, 'pass', yes.message);
    assert.match(yes.message, /^pg_stat_statements 1\.\d+ is installed in database appdb$/);
    const newer = clean(await run('postgres.extension', dir, {name: 'pg_stat_statements', minVersion: '99'}));
    assert.equal(newer.status, 'fail');
    const no = clean(await run('postgres.extension', dir, {name: 'pgcrypto'}));
    assert.equal(no.status, 'fail');
    assert.match(no.message, /^pgcrypto is not installed in database appdb; it is available \(1\.\d\): run CREATE EXTENSION pgcrypto; in database appdb$/);
  });
});

describe('postgres.schemas', () => {
  const files = {env: ['.env', 'instances/*/.env']};
  const instances = (...names: string[]) => Object.fromEntries(names.map((n) => [`instances/${n}/.env`, lines(`DB_SCHEMA=bot_${n}`)]));

  test('a schema an instance names that does not exist fails at its line; stale ones are listed with the DROP to run', async (t) => {
    if (!need(t)) return;
    const dir = deployment({DATABASE_URL: url('app', appPw)}, instances('alpha', 'beta', 'gamma'));
    const r = clean(await run('postgres.schemas', dir, {}, {files}));
    assert.equal(r.status, 'fail', r.message);
    assert.equal(r.message, '1 named schema missing (bot_gamma); 1 stale schema nothing names (bot_old)');
    const missing = r.evidence.find((e) => e.file === 'instances/gamma/.env');
    assert.equal(missing?.line, 1);
    assert.match(missing?.detail ?? '', /names schema bot_gamma, which does not exist in database appdb/);
    assert.ok(r.evidence.some((e) => e.key === 'bot_old' && e.detail.endsWith('DROP SCHEMA "bot_old" CASCADE;')));
  });

  test('every named schema exists: stale ones warn by default, pass when ignored', async (t) => {
    if (!need(t)) return;
    const dir = deployment({DATABASE_URL: url('app', appPw)}, instances('alpha', 'beta'));
    const warn = clean(await run('postgres.schemas', dir, {}, {files}));
    assert.equal(warn.status, 'warn', warn.message);
    const ok = clean(await run('postgres.schemas', dir, {ignore: ['public', 'bot_old']}, {files}));
    assert.equal(ok.status, 'pass', ok.message);
    assert.equal(ok.message, 'all 2 named schemas exist, and no others');
  });
});

describe('postgres.default-password-refused', () => {
  test('fails when a role still takes a shipped default, without printing it; passes when every try is refused', async (t) => {
    if (!need(t)) return;
    const dir = deployment({DATABASE_URL: url('app', appPw)});
    const bad = clean(
      await run('postgres.default-password-refused', dir, {passwords: ['postgres', 'password'], users: ['postgres', 'legacy']}),
      'postgres:',
      "'postgres'",
    );
    assert.equal(bad.status, 'fail', bad.message);
    const legacy = bad.evidence.find((e) => e.key === 'legacy');
    assert.match(legacy?.detail ?? '', /^default password 1 of 2 \(8 chars, a-z, ~\d+ bits\) was accepted$/);
    const ok = clean(await run('postgres.default-password-refused', dir, {passwords: ['postgres', 'the0_password']}));
    assert.equal(ok.status, 'pass', ok.message);
    assert.match(ok.message, /refused every known default password for app, postgres$/);
  });
});

describe('postgres.connection-budget', () => {
  const compose = (apiReplicas: number, workerPool: number) =>
    lines(
      'services:',
      '  api:',
      '    image: example/api:1',
      `    deploy: {replicas: ${apiReplicas}}`,
      '    environment:',
      '      DB_MAX_CONNS: "5"',
      '  worker:',
      '    image: example/worker:1',
      '    environment:',
      `      DB_MAX_CONNS: "${workerPool}"`,
      '  web:',
      '    image: example/web:1',
    );

  test('pool sizes x replicas below max_connections minus reserved passes, above fails', async (t) => {
    if (!need(t)) return;
    const fits = clean(
      await run('postgres.connection-budget', deployment({DATABASE_URL: url('app', appPw)}, {'docker-compose.yml': compose(2, 4)}), {keys: ['DB_MAX_CONNS']}),
    );
    assert.equal(fits.status, 'pass', fits.message);
    assert.equal(fits.message, 'the pools may open 14 connections, below the 17 available');
    assert.ok(
      fits.evidence.some((e) => e.file === 'docker-compose.yml' && e.line === 6 && e.detail === 'service api DB_MAX_CONNS: 5 x 2 instances = 10'),
      JSON.stringify(fits.evidence),
    );
    assert.ok(fits.evidence.some((e) => e.key === 'max_connections' && e.detail.startsWith('20 - 3 reserved for superusers = 17 for the deployment')));
    const over = clean(
      await run('postgres.connection-budget', deployment({DATABASE_URL: url('app', appPw)}, {'docker-compose.yml': compose(3, 4)}), {keys: ['DB_MAX_CONNS']}),
    );
    assert.equal(over.status, 'fail');
    assert.match(over.message, /^the pools may open 19 connections, and only 17 are available/);
    const headroom = clean(
      await run('postgres.connection-budget', deployment({DATABASE_URL: url('app', appPw)}, {'docker-compose.yml': compose(2, 4)}), {
        keys: ['DB_MAX_CONNS'],
        headroom: 3,
      }),
    );
    assert.equal(headroom.status, 'fail', 'exactly the budget is not below it');
  });
});

describe('postgres: what cannot be decided, and what is never done', () => {
  test('a server that accepts and never answers is an error within the timeout', async () => {
    const silent = await silentServer();
    const started = performance.now();
    const r = await run('postgres.connect', deployment({DATABASE_URL: `postgresql://app:${appPw}@127.0.0.1:${silent.port}/appdb`}), {timeoutMs: 400});
    const ms = performance.now() - started;
    clean(r);
    assert.equal(r.status, 'error', r.message);
    assert.ok(ms < 3_000, `took ${ms} ms`);
    assert.equal(silent.accepted(), 1);
  });

  test('a closed port is an error: connection refused', async () => {
    const port = await freePort();
    const r = clean(await run('postgres.connect', deployment({DATABASE_URL: `postgresql://app:${appPw}@127.0.0.1:${port}/appdb`})));
    assert.equal(r.status, 'error');
    assert.equal(r.message, `PostgreSQL at 127.0.0.1:${port}: cannot connect: connection refused: nothing listens there, or a firewall rejects`);
  });

  test('with probe off, or a host probe=local does not cover, nothing connects and the message says what connecting would check', async () => {
    const silent = await silentServer();
    const dir = deployment({DATABASE_URL: `postgresql://app:${appPw}@127.0.0.1:${silent.port}/appdb`});
    for (const id of ['postgres.connect', 'postgres.setting', 'postgres.extension', 'postgres.default-password-refused']) {
      const params =
        id === 'postgres.setting'
          ? {name: 'ssl', equals: 'on'}
          : id === 'postgres.extension'
            ? {name: 'x'}
            : id === 'postgres.default-password-refused'
              ? {passwords: ['postgres']}
              : {};
      for (const probe of ['', 'no']) {
        const r = clean(await run(id, dir, params, {probe}));
        assert.equal(r.status, 'skip', `${id}: ${r.message}`);
        assert.match(
          r.message,
          new RegExp(
            `^not probed \\(probe is ${probe || 'not set'}\\): connecting to PostgreSQL at 127\\.0\\.0\\.1:${silent.port} would check this against the running server`,
          ),
        );
      }
    }
    const far = clean(await run('postgres.connect', deployment({DATABASE_URL: `postgresql://app:${appPw}@192.0.2.10:5432/appdb`})));
    assert.equal(far.status, 'skip');
    assert.match(far.message, /^not probed: probe=local allows loopback addresses only, and PostgreSQL at 192\.0\.2\.10:5432 is not one/);
    assert.equal(silent.accepted(), 0);
  });

  test('every statement the checks sent was a SET, BEGIN READ ONLY, SELECT or ROLLBACK (pg_stat_statements)', async (t) => {
    if (!need(t)) return;
    const rows = (await pg!.admin(
      `SELECT query FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname IN ('app', 'plain')`,
      'appdb',
    )) as {query: string}[];
    assert.ok(rows.length > 0, 'the checks ran statements');
    for (const {query} of rows) assert.match(query, /^(SET \w+ = |BEGIN READ ONLY|SELECT |ROLLBACK)/, query);
  });
});

// ---------------------------------------------------------------- the CLI, end to end

/**
 * Loaded into the CLI with NODE_OPTIONS=--import: records every child process it starts (program,
 * arguments, environment) to a file, so the test can see what reached a command line or a child's
 * environment. ChildProcess.prototype.spawn is what spawn, exec, execFile, fork and execa all
 * end in; the synchronous ones are replaced and synced into the ESM bindings.
 */
const SPY = `
import cp from 'node:child_process';
import {appendFileSync} from 'node:fs';
import {syncBuiltinESMExports} from 'node:module';
const log = process.env.SHIPSHAPE_TEST_SPAWN_LOG;
const record = (how, file, args, env) => appendFileSync(log, JSON.stringify({how, file, args, env}) + '\\n');
const spawn = cp.ChildProcess.prototype.spawn;
cp.ChildProcess.prototype.spawn = function (options) {
  record('spawn', options.file, options.args, options.envPairs);
  return spawn.call(this, options);
};
for (const name of ['spawnSync', 'execFileSync', 'execSync']) {
  const original = cp[name];
  cp[name] = function (...a) {
    const opts = a.find((x) => x && typeof x === 'object' && !Array.isArray(x));
    record(name, a[0], Array.isArray(a[1]) ? a[1] : [], Object.entries(opts?.env ?? process.env).map(([k, v]) => k + '=' + v));
    return original.apply(this, a);
  };
}
syncBuiltinESMExports();
`;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The built CLI with the spy loaded, a progress dir of its own, and `stdin` as its input. */
function cli(args: string[], env: Record<string, string>, stdin = ''): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {env: {...process.env, NO_COLOR: '1', ...env}, stdio: ['pipe', 'pipe', 'pipe']});
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`shipshape ${args.join(' ')} did not finish in 60 s\n${stderr}`));
    }, 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({code, stdout, stderr});
    });
    child.stdin.on('error', () => {});
    child.stdin.end(stdin);
  });
}

/** Every file under dir (recursively) with its text. */
function filesUnder(dir: string): [string, string][] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, {recursive: true, encoding: 'utf8'})
    .map((rel) => join(dir, rel))
    .filter((p) => statSync(p).isFile())
    .map((p) => [p, readFileSync(p, 'utf8')]);
}

/** A the0 Compose deployment whose PostgreSQL, Redis and NATS are the ones given. */
function the0Deployment(pgPort: number, pgPassword: string, redisUrl: string, natsUrl: string): string {
  const dir = tempDir('shipshape-live-the0-');
  writeFiles(dir, {
    '.env': lines('POSTGRES_USER=app', `POSTGRES_PASSWORD=${pgPassword}`, 'POSTGRES_DB=appdb', `REDIS_URL=${redisUrl}`, `NATS_URL=${natsUrl}`),
    'docker-compose.yml': lines(
      'services:',
      '  postgres:',
      '    image: postgres:15-alpine',
      '    environment:',
      '      POSTGRES_USER: ${POSTGRES_USER}',
      '      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}',
      '    ports:',
      `      - "127.0.0.1:${pgPort}:5432"`,
      '  the0-api:',
      '    image: ghcr.io/alexanderwanyoike/the0/api:1.14.2',
      '    environment:',
      '      DATABASE_URL: postgresql://${POSTGRES_USER}:${POSTGRES_PASSWORD}@postgres:5432/${POSTGRES_DB}?sslmode=disable',
    ),
  });
  return dir;
}

interface JsonItem {
  id: string;
  status: string;
  message: string;
  evidence: {key: string | null; detail: string}[];
}

describe('the CLI with live services', () => {
  test('probe=local: every report format, plain mode, progress, answers and child processes hold no password', async (t) => {
    if (!need(t)) return;
    if (typeof redisStarted === 'string') return unavailable(t, redisStarted);
    if (typeof natsStarted === 'string') return unavailable(t, natsStarted);
    const redis: Redis = redisStarted;
    const nats: Nats = natsStarted;
    const dir = the0Deployment(pg!.port, appPw, `redis://:${redisPw}@127.0.0.1:${redis.port}`, `nats://app:${natsPw}@127.0.0.1:${nats.port}`);
    const work = tempDir('shipshape-live-cli-');
    const spy = join(work, 'spy.mjs');
    writeFileSync(spy, SPY);
    const progress = join(work, 'progress');
    const spawnLog = join(work, 'spawned.jsonl');
    const env = {NODE_OPTIONS: `--import ${spy}`, SHIPSHAPE_TEST_SPAWN_LOG: spawnLog, SHIPSHAPE_PROGRESS_DIR: progress, HOME: work, GIT_CONFIG_NOSYSTEM: '1'};
    const base = ['check', '--dir', dir, '--pack', 'the0', '--input', 'probe=local'];
    const formats: string[][] = [
      ['--format', 'json'],
      ['--format', 'text', '--verbose'],
      ['--format', 'sarif'],
      ['--format', 'junit'],
      ['--format', 'markdown'],
    ];
    const versionQueries = async () =>
      Number(
        (
          (await pg!.admin(
            `SELECT coalesce(sum(calls), 0)::int AS n FROM pg_stat_statements WHERE query LIKE 'SELECT current_setting($1) AS version%'`,
            'appdb',
          )) as {n: number}[]
        )[0]?.n,
      );
    const before = await versionQueries();
    const runs = await Promise.all(formats.map((f) => cli([...base, ...f], env)));
    // Plain mode saves answers with the deployment and progress (with the last results) in the progress dir.
    const walked = await cli(
      ['--plain', '--dir', dir, '--pack', 'the0', '--input', 'probe=local', '--as', 'tester'],
      env,
      lines('@backup-postgres', 'c', 'nightly pg_dump to the NAS', 'q'),
    );
    assert.equal(walked.code, 0, walked.stderr);
    assert.match(walked.stdout, /^saved: backup-postgres \(confirm\)$/m);

    // The checks really logged in: this is not a test of nothing.
    const report = JSON.parse(runs[0]!.stdout) as {items: JsonItem[]};
    const item = (id: string) => report.items.find((i) => i.id === id)!;
    assert.equal(item('postgres-credentials').status, 'pass', item('postgres-credentials').message);
    assert.ok(
      item('postgres-credentials').evidence.some((e) => e.key === 'app' && e.detail === 'refused all 3 default passwords'),
      JSON.stringify(item('postgres-credentials').evidence),
    );
    assert.equal(item('redis-credentials').status, 'pass', item('redis-credentials').message);
    assert.match(item('redis-credentials').message, /refuses an unauthenticated PING \(NOAUTH\)/);
    // The health item shows only its failing steps (the HTTP probes, nothing listens there):
    // postgres.connect and nats.version are not among them, and the server saw each run's login.
    assert.doesNotMatch(item('health-monitoring').message, /PostgreSQL at|NATS at/);
    assert.equal(await versionQueries(), before + runs.length + 1, 'postgres.connect ran once per CLI run');

    const secrets = {postgres: appPw, redis: redisPw, nats: natsPw};
    const places: [string, string][] = [
      ...runs.flatMap((r, n): [string, string][] => [
        [`stdout of check ${formats[n]!.join(' ')}`, r.stdout],
        [`stderr of check ${formats[n]!.join(' ')}`, r.stderr],
      ]),
      ['stdout of plain mode', walked.stdout],
      ['stderr of plain mode', walked.stderr],
      ...filesUnder(progress),
      [ANSWERS_FILE, readFileSync(join(dir, ANSWERS_FILE), 'utf8')],
      ['the child processes started (argv and environment)', existsSync(spawnLog) ? readFileSync(spawnLog, 'utf8') : ''],
    ];
    assert.ok(filesUnder(progress).length > 0, 'plain mode kept progress');
    for (const [where, text] of places) {
      for (const [service, pw] of Object.entries(secrets)) assert.ok(!text.includes(pw), `the ${service} password appears in ${where}`);
    }
    // No check starts a database client: any child is one of the tools other checks use.
    const spawned = existsSync(spawnLog)
      ? readFileSync(spawnLog, 'utf8')
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as {file: string})
      : [];
    assert.ok(spawned.length > 0, 'the spy saw the tools other checks start (git, ss)');
    for (const s of spawned) assert.doesNotMatch(s.file, /psql|pg_isready|pg_dump|redis-cli|nats$/, `a child process ${s.file}`);
  });

  test('probe off (the default): no socket is opened, and the items say what connecting would check', async () => {
    const [pgSilent, redisSilent, natsSilent] = await Promise.all([silentServer(), silentServer(), silentServer()]);
    const dir = the0Deployment(pgSilent.port, appPw, `redis://:${redisPw}@127.0.0.1:${redisSilent.port}`, `nats://app:${natsPw}@127.0.0.1:${natsSilent.port}`);
    const r = await cli(['check', '--dir', dir, '--pack', 'the0', '--format', 'json'], {SHIPSHAPE_PROGRESS_DIR: tempDir('shipshape-live-progress-')});
    const report = JSON.parse(r.stdout) as {items: JsonItem[]};
    const item = (id: string) => report.items.find((i) => i.id === id)!;
    assert.match(
      item('health-monitoring').message,
      new RegExp(
        `^not probed \\(probe is no\\): connecting to PostgreSQL at 127\\.0\\.0\\.1:${pgSilent.port} would check this against the running server; allow it with --input probe=local \\(a person must confirm\\)$`,
      ),
    );
    assert.match(
      item('redis-credentials').message,
      new RegExp(`not probed \\(probe is no\\): connecting to Redis at 127\\.0\\.0\\.1:${redisSilent.port} would check this`),
    );
    assert.deepEqual([pgSilent.accepted(), redisSilent.accepted(), natsSilent.accepted()], [0, 0, 0]);
  });
});
