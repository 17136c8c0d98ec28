// The backups generator, proven by the real tools: the backup script and the restore test run
// against a real PostgreSQL started here (dump, restore into a throwaway database, query), the
// scripts pass shellcheck and the units `systemd-analyze verify`. No generated file holds a
// credential, and generating twice changes nothing.
import assert from 'node:assert/strict';
import {type SpawnSyncReturns, spawnSync} from 'node:child_process';
import {chmodSync, existsSync, readdirSync, readFileSync, utimesSync, writeFileSync} from 'node:fs';
import {delimiter, join} from 'node:path';
import {describe, test} from 'node:test';
import {backups} from '../../src/generators/backups.js';
import type {GeneratorOptions} from '../../src/generators/define.js';
import {applyChangeSet} from '../../src/write/apply.js';
import {contextFor, tempDir, writeFiles} from '../support/helpers.js';
import {REQUIRE_SERVICES, secret, startPostgres, unavailable} from '../support/services.js';

function tool(name: string, extra: string[] = []): string | undefined {
  for (const dir of [...extra, '/usr/sbin', '/usr/bin', '/usr/local/bin', ...(process.env.PATH ?? '').split(delimiter)]) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** The newest PostgreSQL's client programs, first on PATH for the scripts. */
function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const v = readdirSync(root)
    .filter((x) => existsSync(join(root, x, 'bin', 'pg_dump')))
    .sort((a, b) => Number(b) - Number(a))[0];
  return v ? join(root, v, 'bin') : undefined;
}

/** A deployment written to disk with the generated files, through the real write path. */
async function generated(files: Record<string, string>, options: GeneratorOptions = {}) {
  const dir = tempDir('shipshape-backups-');
  writeFiles(dir, files);
  const g = await backups.generate({ctx: contextFor(dir), into: ['file:backup/'], options});
  await applyChangeSet(dir, g.changes);
  return {dir, g};
}

const COMPOSE = `services:
  db:
    image: postgres:16-alpine
    environment:
      POSTGRES_PASSWORD: \${POSTGRES_PASSWORD}
  mongo:
    image: mongo:7
    environment:
      MONGO_INITDB_ROOT_USERNAME: root
      MONGO_INITDB_ROOT_PASSWORD: \${MONGO_PASSWORD}
`;

describe('backups: what it writes', () => {
  test('a script, a restore test, systemd units, a cron file and an example env file; PostgreSQL and MongoDB found in Compose', async () => {
    const pw = secret();
    const {dir, g} = await generated(
      {'docker-compose.yml': COMPOSE, '.env': `POSTGRES_PASSWORD=${pw}\nMONGO_PASSWORD=${pw}x\n`},
      {retention: 14, schedule: '02:30'},
    );
    const paths = g.changes.changes.map((c) => c.path).sort();
    assert.deepEqual(paths, [
      'backup/backup.env.example',
      'backup/backup.sh',
      'backup/restore-test.sh',
      'backup/shipshape-test-backup-restore-test.service',
      'backup/shipshape-test-backup-restore-test.timer',
      'backup/shipshape-test-backup.cron',
      'backup/shipshape-test-backup.service',
      'backup/shipshape-test-backup.timer',
    ]);
    for (const c of g.changes.changes) {
      assert.equal(c.secret, false);
      assert.ok(!c.after.includes(pw), `${c.path} holds no password`);
    }
    const script = readFileSync(join(dir, 'backup/backup.sh'), 'utf8');
    assert.match(script, /pg_service="\$\{PG_COMPOSE_SERVICE-db\}"/);
    assert.match(script, /mongo_service="\$\{MONGO_COMPOSE_SERVICE-mongo\}"/);
    assert.match(script, /retention_days="\$\{RETENTION_DAYS:-14\}"/);
    assert.match(readFileSync(join(dir, 'backup/shipshape-test-backup.timer'), 'utf8'), /^OnCalendar=\*-\*-\* 02:30:00$/m);
    assert.match(
      readFileSync(join(dir, 'backup/shipshape-test-backup.cron'), 'utf8'),
      new RegExp(`^30 2 \\* \\* \\* root .*/bin/bash ${dir}/backup/backup.sh$`, 'm'),
    );
    assert.match(readFileSync(join(dir, 'backup/shipshape-test-backup.service'), 'utf8'), new RegExp(`^ExecStart=/bin/bash ${dir}/backup/backup.sh$`, 'm'));
  });

  test('without MongoDB there is no mongodump; without a PostgreSQL service the scripts connect directly', async () => {
    const {g} = await generated({});
    const script = g.changes.changes.find((c) => c.path === 'backup/backup.sh')!.after;
    assert.doesNotMatch(script, /mongo/);
    assert.match(script, /pg_service="\$\{PG_COMPOSE_SERVICE-\}"/);
    assert.match(g.notes.join('\n'), /no PostgreSQL service/);
  });

  test('options that would break a script or a unit are refused', async () => {
    for (const options of [
      {directory: 'relative/dir'},
      {directory: '/var/backups/$(id)'},
      {retention: 0},
      {schedule: '3am'},
      {schedule: '24:00'},
    ] as GeneratorOptions[])
      await assert.rejects(backups.generate({ctx: contextFor(tempDir()), into: [], options}), Error, JSON.stringify(options));
  });

  test('generating twice over the result changes nothing', async () => {
    const {dir} = await generated({'docker-compose.yml': COMPOSE});
    const again = await backups.generate({ctx: contextFor(dir), into: ['file:backup/'], options: {}});
    assert.deepEqual(again.changes.changes, []);
  });

  test('shellcheck passes both scripts, with and without MongoDB', async (t) => {
    const shellcheck = tool('shellcheck');
    if (!shellcheck) return unavailable(t, 'shellcheck is not installed (Debian: shellcheck)');
    for (const files of [{'docker-compose.yml': COMPOSE}, {}] as Record<string, string>[]) {
      const {dir} = await generated(files);
      const r: SpawnSyncReturns<string> = spawnSync(shellcheck, [join(dir, 'backup/backup.sh'), join(dir, 'backup/restore-test.sh')], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(r.status, 0, r.stdout + r.stderr);
    }
  });

  test('systemd-analyze verify accepts the services and timers', async (t) => {
    const analyze = tool('systemd-analyze');
    if (!analyze) return unavailable(t, 'systemd-analyze is not installed (Debian: systemd)');
    const {dir} = await generated({'docker-compose.yml': COMPOSE});
    const units = readdirSync(join(dir, 'backup'))
      .filter((f) => /\.(service|timer)$/.test(f))
      .map((f) => join(dir, 'backup', f));
    assert.equal(units.length, 4);
    const r: SpawnSyncReturns<string> = spawnSync(analyze, ['verify', ...units], {
      encoding: 'utf8',
      timeout: 30_000,
      env: {PATH: process.env.PATH, SYSTEMD_LOG_LEVEL: 'warning'},
    });
    const out = `${r.stdout}${r.stderr}`;
    // Verify loads units as the service manager would; where the container lacks what it needs
    // for that, it says so, and that is a reason to skip, not a verdict on the units.
    if (r.status !== 0 && /Failed to (initialize|set up|connect|create)|System has not been booted|Operation not permitted|Read-only file system/.test(out))
      return unavailable(t, `systemd-analyze verify cannot run here: ${out.trim().split('\n')[0]}`);
    assert.equal(r.status, 0, out);
    assert.equal(out.trim(), '', `no warnings:\n${out}`);
  });
});

describe('backups: against a real PostgreSQL', () => {
  test('the script dumps, keeps the newest, prunes old dumps; the restore test restores the newest into a throwaway database and queries it', {
    timeout: 120_000,
  }, async (t) => {
    const bin = postgresBin() ?? (tool('pg_dump') ? undefined : '');
    if (bin === '') return unavailable(t, 'the PostgreSQL client programs (pg_dump, pg_restore, psql, createdb) are not installed');
    if (!tool('bash')) return unavailable(t, 'bash is not installed');
    const pg = await startPostgres();
    if (typeof pg === 'string') return unavailable(t, pg);
    await pg.admin('CREATE DATABASE app');
    await pg.admin("CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items VALUES (1, 'one'), (2, 'two'), (3, 'three')", 'app');

    const store = tempDir('shipshape-backups-store-');
    const {dir} = await generated({}, {directory: store, retention: 30});
    // The credentials file the operator writes: 0600, outside the deployment, never generated.
    const envFile = join(tempDir('shipshape-backups-env-'), 'backup.env');
    writeFileSync(
      envFile,
      [`PG_COMPOSE_SERVICE=`, `PGHOST=${pg.host}`, `PGPORT=${pg.port}`, `PGUSER=postgres`, `PGDATABASE=app`, `PGPASSWORD=${pg.superPassword}`, ''].join('\n'),
      {mode: 0o600},
    );
    const env = {PATH: [bin, process.env.PATH].filter(Boolean).join(delimiter), SHIPSHAPE_BACKUP_ENV: envFile, LANG: 'C'};
    const run = (script: string, extra: Record<string, string> = {}) =>
      spawnSync('bash', [join(dir, 'backup', script)], {encoding: 'utf8', timeout: 60_000, env: {...env, ...extra}});

    // An old dump past the retention goes; the run's own new dump stays.
    const old = join(store, 'pg-20000101T000000Z.dump');
    writeFileSync(old, 'old');
    const longAgo = new Date(Date.now() - 40 * 86_400_000);
    utimesSync(old, longAgo, longAgo);

    const backup = run('backup.sh');
    assert.equal(backup.status, 0, backup.stderr + backup.stdout);
    const dumps = readdirSync(store).filter((f) => /^pg-.*\.dump$/.test(f));
    assert.equal(dumps.length, 1, `one dump left: ${dumps.join(', ')}`);
    assert.ok(!existsSync(old), 'the dump older than the retention was deleted');
    assert.ok(!readdirSync(store).some((f) => f.endsWith('.partial')), 'no partial file left');

    // The restore test: by default it counts the tables it finds; given a query, it runs that.
    const restored = run('restore-test.sh');
    assert.equal(restored.status, 0, restored.stderr + restored.stdout);
    assert.match(restored.stdout, /restored into shipshape_restore_test_\w+; the query returned 1$/m);
    const counted = run('restore-test.sh', {RESTORE_TEST_QUERY: 'SELECT count(*) FROM items'});
    assert.equal(counted.status, 0, counted.stderr);
    assert.match(counted.stdout, /the query returned 3$/m);
    const left = (await pg.admin("SELECT datname FROM pg_database WHERE datname LIKE 'shipshape_restore_test%'")) as unknown[];
    assert.deepEqual(left, [], 'the throwaway databases were dropped');

    // A restore whose query finds nothing fails, and a credentials file others can read is refused.
    const empty = run('restore-test.sh', {RESTORE_TEST_QUERY: 'SELECT count(*) FROM items WHERE id > 100'});
    assert.equal(empty.status, 1);
    assert.match(empty.stderr, /the query found nothing/);
    chmodSync(envFile, 0o644);
    const open = run('backup.sh');
    assert.equal(open.status, 1);
    assert.match(open.stderr, /can be read by others: chmod 600/);
    chmodSync(envFile, 0o600);

    // A failing dump (a database that does not exist) leaves no file that looks like a backup.
    const before = readdirSync(store).sort();
    const badEnv = `${envFile}.missing-db`;
    writeFileSync(badEnv, readFileSync(envFile, 'utf8').replace('PGDATABASE=app', 'PGDATABASE=missing'), {mode: 0o600});
    const failed = run('backup.sh', {SHIPSHAPE_BACKUP_ENV: badEnv});
    assert.notEqual(failed.status, 0);
    assert.deepEqual(readdirSync(store).sort(), before);
    if (REQUIRE_SERVICES) assert.ok(pg.version);
  });
});

describe('backups: the MongoDB config file', () => {
  // Fake tools on PATH: pg_dump and mongodump write a dump; mongodump also keeps a copy of the
  // config it was given (and its path), and with FAKE_MONGO_KILL=1 has its caller killed
  // (SIGTERM) while it runs. docker runs the `sh -c` script it is given here, as the container would.
  function fakeTools(): string {
    const bin = tempDir('shipshape-backups-bin-');
    const write = (name: string, text: string) => {
      writeFileSync(join(bin, name), text);
      chmodSync(join(bin, name), 0o755);
    };
    write('pg_dump', '#!/bin/sh\nfor a in "$@"; do case "$a" in --file=*) echo dump >"${a#--file=}" ;; esac; done\n');
    write(
      'mongodump',
      [
        '#!/bin/sh',
        'out=',
        'for a in "$@"; do case "$a" in --config=*) cp "${a#--config=}" "$CAPTURE"; echo "${a#--config=}" >"$CAPTURE.path" ;; --archive=*) out="${a#--archive=}" ;; esac; done',
        'if [ -n "$out" ]; then echo archive >"$out"; else echo archive; fi',
        '[ "${FAKE_MONGO_KILL:-}" != 1 ] || kill -TERM "$PPID"',
        '',
      ].join('\n'),
    );
    write('docker', '#!/bin/sh\nwhile [ "$#" -gt 0 ] && [ "$1" != sh ]; do shift; done\nexec "$@"\n');
    return bin;
  }

  test('a password or URI with quotes and backslashes reaches mongodump as it is; the config is removed, also when the run is killed', async (t) => {
    if (!tool('bash') || !tool('sed')) return unavailable(t, 'bash and sed are needed');
    const {parse} = await import('yaml');
    const tricky = `mongodb://u:p'a"s\\s'@db:27017/?x='1'`;
    const bin = fakeTools();
    const store = tempDir('shipshape-backups-store-');
    const {dir} = await generated({'docker-compose.yml': COMPOSE}, {directory: store});
    const capture = join(tempDir('shipshape-backups-capture-'), 'conf.yaml');
    const run = (env: Record<string, string>) => {
      const tmp = tempDir('shipshape-backups-tmp-');
      const envFile = join(tempDir('shipshape-backups-env-'), 'backup.env');
      writeFileSync(envFile, '', {mode: 0o600});
      const r = spawnSync('bash', [join(dir, 'backup', 'backup.sh')], {
        encoding: 'utf8',
        timeout: 30_000,
        env: {
          PATH: [bin, process.env.PATH].join(delimiter),
          SHIPSHAPE_BACKUP_ENV: envFile,
          TMPDIR: tmp,
          CAPTURE: capture,
          PG_COMPOSE_SERVICE: '',
          LANG: 'C',
          ...env,
        },
      });
      return {r, tmp};
    };

    // On the host: MONGO_URI.
    const host = run({MONGO_COMPOSE_SERVICE: '', MONGO_URI: tricky});
    assert.equal(host.r.status, 0, host.r.stderr + host.r.stdout);
    assert.deepEqual(parse(readFileSync(capture, 'utf8')), {uri: tricky});
    assert.deepEqual(readdirSync(host.tmp), [], 'the config file is removed');

    // In the container: its own MONGO_INITDB_ROOT_PASSWORD.
    const inside = run({MONGO_INITDB_ROOT_PASSWORD: tricky, MONGO_INITDB_ROOT_USERNAME: 'root'});
    assert.equal(inside.r.status, 0, inside.r.stderr + inside.r.stdout);
    assert.deepEqual(parse(readFileSync(capture, 'utf8')), {password: tricky});
    assert.deepEqual(readdirSync(inside.tmp), [], 'the config file is removed in the container');

    // Killed while mongodump runs: the config file is removed all the same.
    const killed = run({MONGO_COMPOSE_SERVICE: '', MONGO_URI: tricky, FAKE_MONGO_KILL: '1'});
    assert.notEqual(killed.r.status, 0, 'the killed run fails');
    assert.ok(existsSync(readFileSync(`${capture}.path`, 'utf8').trim()) === false, 'the killed run left its config file');
    assert.deepEqual(readdirSync(killed.tmp), []);
  });
});
