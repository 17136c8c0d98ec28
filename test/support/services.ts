// Real servers for the live-service checks: PostgreSQL, Redis and nats-server from the machine's
// packages, each on loopback, in its own temp directory and on a free port, stopped when the test
// file ends. Nothing here fakes a server, except `silentServer`, which is meant to be one that
// accepts and never answers. A server whose binary is missing is reported as a reason to skip,
// and `unavailable` turns that reason into a failure when CI sets SHIPSHAPE_REQUIRE_SERVICES=1,
// so CI can never pass by skipping.
import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs';
import {createServer, type Server, type Socket} from 'node:net';
import {tmpdir} from 'node:os';
import {delimiter, join} from 'node:path';
import {after, type TestContext} from 'node:test';

/** Each server gets this long to start; a test never waits a fixed time. */
const START_MS = 60_000;
const STOP_MS = 10_000;

export const REQUIRE_SERVICES = process.env.SHIPSHAPE_REQUIRE_SERVICES === '1';

/** Skips the test with the reason, or fails it when CI requires the services. */
export function unavailable(t: TestContext, reason: string): void {
  if (REQUIRE_SERVICES) throw new Error(`SHIPSHAPE_REQUIRE_SERVICES=1 but ${reason}`);
  t.skip(reason);
}

/** Random letters and digits: a password no default list holds and no URL needs to escape. */
export function secret(bytes = 18): string {
  return randomBytes(bytes).toString('hex');
}

/** A port nothing listens on: bound, read, released. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const {port} = s.address() as {port: number};
      s.close(() => resolve(port));
    });
  });
}

/** An executable on PATH (or one of the extra directories), or undefined. */
function which(name: string, extra: string[] = []): string | undefined {
  for (const dir of [...extra, ...(process.env.PATH ?? '').split(delimiter)]) {
    if (!dir) continue;
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

const cleanups: (() => void | Promise<void>)[] = [];
// Registered when this module loads, so it belongs to the file, not to whichever test first
// starts a server: every server still running stops when the file ends.
after(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Stops a server when the file ends; the synchronous stop also runs if the process exits early. */
function onEnd(stop: () => void | Promise<void>, stopSync: () => void): void {
  process.once('exit', stopSync);
  cleanups.push(async () => {
    await stop();
    process.removeListener('exit', stopSync);
  });
}

function tempDirFor(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Spawns a server and resolves when a line matching `ready` appears on its stdout or stderr. */
function startProcess(cmd: string, args: string[], ready: RegExp, opts: {cwd: string; env?: NodeJS.ProcessEnv}): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {cwd: opts.cwd, env: opts.env ?? {PATH: process.env.PATH}, stdio: ['ignore', 'pipe', 'pipe']});
    let seen = '';
    const timer = setTimeout(() => finish(new Error(`${cmd} did not say it was ready within ${START_MS} ms:\n${seen.slice(-2000)}`)), START_MS);
    const finish = (err?: Error) => {
      clearTimeout(timer);
      child.stdout?.removeListener('data', onData);
      child.stderr?.removeListener('data', onData);
      child.removeListener('exit', onExit);
      child.removeListener('error', onError);
      // Keep draining its output so the server never blocks on a full pipe.
      child.stdout?.resume();
      child.stderr?.resume();
      if (err) {
        child.kill('SIGKILL');
        reject(err);
      } else resolve(child);
    };
    const onData = (d: Buffer) => {
      seen += d.toString();
      if (ready.test(seen)) finish();
    };
    const onExit = (code: number | null) => finish(new Error(`${cmd} exited (${code}) before it was ready:\n${seen.slice(-2000)}`));
    const onError = (err: Error) => finish(err);
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

/** SIGTERM, then SIGKILL if it has not gone within STOP_MS. */
function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

// ---------------------------------------------------------------- PostgreSQL

export interface Postgres {
  host: '127.0.0.1';
  port: number;
  /** The superuser `postgres` and its password, for setting things up. */
  superPassword: string;
  /** Whether the server was given a certificate (openssl was there to make one). */
  tls: boolean;
  /** Runs SQL as the superuser in `database` (default postgres). */
  admin(sql: string, database?: string): Promise<unknown[]>;
  version: string;
}

/** The newest PostgreSQL's bin directory: Debian's /usr/lib/postgresql/N/bin, or initdb on PATH. */
function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(root, versions[0], 'bin');
  }
  const initdb = which('initdb');
  return initdb ? join(initdb, '..') : undefined;
}

/**
 * PostgreSQL refuses to run as root, and the tests usually do: as root, its programs run as
 * `nobody` through runuser, in a directory handed to nobody. No password is ever on a command
 * line: initdb reads the superuser's from a 0600 file.
 */
export async function startPostgres(conf: string[] = []): Promise<Postgres | string> {
  const bin = postgresBin();
  if (!bin) return 'PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb, no initdb on PATH)';
  const asRoot = process.getuid?.() === 0;
  const runuser = asRoot ? which('runuser', ['/usr/sbin', '/sbin']) : undefined;
  if (asRoot && !runuser) return 'running as root and runuser is missing: PostgreSQL cannot be started as another user';
  const uid = 65534;
  const gid = 65534;
  const run = (prog: string, args: string[]) => {
    const [cmd, argv] = asRoot ? [runuser!, ['-u', 'nobody', '--', join(bin, prog), ...args]] : [join(bin, prog), args];
    return spawnSync(cmd, argv, {encoding: 'utf8', env: {PATH: process.env.PATH, LANG: 'C', LC_ALL: 'C'}, timeout: START_MS});
  };

  const dir = tempDirFor('shipshape-pg-');
  const data = join(dir, 'data');
  const superPassword = secret();
  const pwfile = join(dir, 'superuser-password');
  writeFileSync(pwfile, `${superPassword}\n`, {mode: 0o600});
  if (asRoot) {
    chownSync(dir, uid, gid);
    chownSync(pwfile, uid, gid);
  }
  const init = run('initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    `--pwfile=${pwfile}`,
    '--auth-host=scram-sha-256',
    '--auth-local=scram-sha-256',
    '-E',
    'UTF8',
    '--locale=C',
    '--no-sync',
  ]);
  rmSync(pwfile, {force: true});
  if (init.status !== 0) {
    rmSync(dir, {recursive: true, force: true});
    return `initdb failed (${init.status ?? init.signal}): ${(init.stderr || init.stdout || String(init.error)).trim().slice(-800)}`;
  }

  let tls = false;
  const openssl = which('openssl');
  if (openssl) {
    const made = spawnSync(
      openssl,
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout',
        join(data, 'server.key'),
        '-out',
        join(data, 'server.crt'),
      ],
      {encoding: 'utf8', timeout: START_MS},
    );
    if (made.status === 0) {
      tls = true;
      chmodSync(join(data, 'server.key'), 0o600);
      if (asRoot) for (const f of ['server.key', 'server.crt']) chownSync(join(data, f), uid, gid);
    }
  }

  const port = await freePort();
  const settings = [
    `listen_addresses = '127.0.0.1'`,
    `port = ${port}`,
    `unix_socket_directories = '${dir}'`,
    `fsync = off`,
    `max_connections = 20`,
    `superuser_reserved_connections = 3`,
    `shared_preload_libraries = 'pg_stat_statements'`,
    `log_min_duration_statement = 500`,
    tls ? `ssl = on` : `ssl = off`,
    ...conf,
  ];
  writeFileSync(join(data, 'postgresql.conf'), `\n${settings.join('\n')}\n`, {flag: 'a'});
  writeFileSync(
    join(data, 'pg_hba.conf'),
    ['local all all scram-sha-256', 'host all all 127.0.0.1/32 scram-sha-256', 'host all all ::1/128 scram-sha-256', ''].join('\n'),
  );
  const log = join(dir, 'postgres.log');
  const start = run('pg_ctl', ['-D', data, '-l', log, '-w', '-t', String(START_MS / 1000), 'start']);
  const stopSync = () => {
    run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', String(STOP_MS / 1000), 'stop']);
    rmSync(dir, {recursive: true, force: true});
  };
  if (start.status !== 0) {
    stopSync();
    return `pg_ctl start failed (${start.status ?? start.signal}): ${(start.stderr || start.stdout).trim().slice(-800)}`;
  }
  onEnd(stopSync, stopSync);

  const {default: pg} = await import('pg');
  const admin = async (sql: string, database = 'postgres'): Promise<unknown[]> => {
    const c = new pg.Client({host: '127.0.0.1', port, user: 'postgres', password: superPassword, database, connectionTimeoutMillis: 10_000});
    await c.connect();
    try {
      return (await c.query(sql)).rows;
    } finally {
      await c.end();
    }
  };
  const [row] = (await admin('SHOW server_version')) as {server_version: string}[];
  return {host: '127.0.0.1', port, superPassword, tls, admin, version: row?.server_version ?? '?'};
}

// ---------------------------------------------------------------- Redis

export interface Redis {
  host: '127.0.0.1';
  port: number;
}

/** redis-server with these config lines, on loopback, no persistence. The config file holds any password, never argv. */
export async function startRedis(lines: string[] = []): Promise<Redis | string> {
  const bin = which('redis-server', ['/usr/sbin', '/usr/local/bin']);
  if (!bin) return 'redis-server is not installed';
  const dir = tempDirFor('shipshape-redis-');
  const port = await freePort();
  const conf = join(dir, 'redis.conf');
  writeFileSync(conf, [`bind 127.0.0.1`, `port ${port}`, `dir ${dir}`, `save ""`, `appendonly no`, `daemonize no`, `logfile ""`, ...lines, ''].join('\n'), {
    mode: 0o600,
  });
  let child: ChildProcess;
  try {
    child = await startProcess(bin, [conf], /Ready to accept connections/, {cwd: dir});
  } catch (err) {
    rmSync(dir, {recursive: true, force: true});
    return `redis-server did not start: ${(err as Error).message}`;
  }
  onEnd(
    async () => {
      await stopProcess(child);
      rmSync(dir, {recursive: true, force: true});
    },
    () => {
      child.kill('SIGKILL');
      rmSync(dir, {recursive: true, force: true});
    },
  );
  return {host: '127.0.0.1', port};
}

// ---------------------------------------------------------------- NATS

export interface Nats {
  host: '127.0.0.1';
  port: number;
}

/** nats-server with JetStream (its store in the temp dir) and these extra config lines. */
export async function startNats(lines: string[] = []): Promise<Nats | string> {
  const bin = which('nats-server', ['/usr/sbin', '/usr/local/bin']);
  if (!bin) return 'nats-server is not installed';
  const dir = tempDirFor('shipshape-nats-');
  const port = await freePort();
  const conf = join(dir, 'nats.conf');
  writeFileSync(
    conf,
    [
      `listen: 127.0.0.1:${port}`,
      `jetstream {`,
      `  store_dir: ${JSON.stringify(join(dir, 'js'))}`,
      `  max_memory_store: 64MB`,
      `  max_file_store: 256MB`,
      `}`,
      ...lines,
      '',
    ].join('\n'),
    {mode: 0o600},
  );
  let child: ChildProcess;
  try {
    child = await startProcess(bin, ['-c', conf], /Server is ready/, {cwd: dir});
  } catch (err) {
    rmSync(dir, {recursive: true, force: true});
    return `nats-server did not start: ${(err as Error).message}`;
  }
  onEnd(
    async () => {
      await stopProcess(child);
      rmSync(dir, {recursive: true, force: true});
    },
    () => {
      child.kill('SIGKILL');
      rmSync(dir, {recursive: true, force: true});
    },
  );
  return {host: '127.0.0.1', port};
}

// ---------------------------------------------------------------- stand-ins

export interface Silent {
  port: number;
  /** Connections accepted so far. */
  accepted(): number;
}

/**
 * A TCP server that accepts every connection and never sends a byte: what a hung service or a
 * black-holing proxy looks like. It also counts connections, to prove that nothing connected.
 */
export async function silentServer(): Promise<Silent> {
  const sockets = new Set<Socket>();
  let count = 0;
  const server: Server = createServer((s) => {
    count++;
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as {port: number}).port));
  });
  const stop = () => {
    for (const s of sockets) s.destroy();
    server.close();
  };
  onEnd(stop, stop);
  return {port, accepted: () => count};
}
