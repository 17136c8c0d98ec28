// nats.* against real nats-server processes from the machine's packages, each on loopback with
// JetStream storing in its own temp directory: one with an account whose user has a password, one
// with no authentication; a stream with R=1 on each. Plus a server that accepts and never answers,
// and a closed port.
import assert from 'node:assert/strict';
import {before, describe, test, type TestContext} from 'node:test';
import {CHECKS} from '../../src/checks/index.js';
import {Context} from '../../src/engine/context.js';
import {runStep} from '../../src/engine/run.js';
import type {CheckResult} from '../../src/model/types.js';
import {lines, testPack, tempDir, writeFiles} from '../support/helpers.js';
import {freePort, secret, silentServer, startNats, unavailable, type Nats} from '../support/services.js';

const appPw = secret();
const [secured, open] = await Promise.all([
  startNats(['accounts {', '  APP {', '    jetstream: enabled', `    users: [{user: app, password: "${appPw}"}]`, '  }', '}']),
  startNats([]),
]);

/** The server's version, as the test's own client saw it. */
let serverVersion = '';

before(async () => {
  const {connect} = await import('@nats-io/transport-node');
  const {jetstreamManager} = await import('@nats-io/jetstream');
  for (const [server, creds] of [
    [secured, {user: 'app', pass: appPw}],
    [open, {}],
  ] as const) {
    if (typeof server === 'string') continue;
    const nc = await connect({servers: `127.0.0.1:${server.port}`, reconnect: false, ...creds});
    serverVersion = nc.info?.version ?? '';
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({name: 'EVENTS', subjects: ['events.>'], num_replicas: 1});
    await nc.close();
  }
});

function need(t: TestContext, s: Nats | string): s is Nats {
  if (typeof s !== 'string') return true;
  unavailable(t, s);
  return false;
}

/** Runs a check as a pack step would; probe '' means the input is not set at all. */
function run(id: string, env: Record<string, string>, params: Record<string, unknown> = {}, probe = 'local'): Promise<CheckResult> {
  const def = CHECKS.get(id);
  assert.ok(def, `no check ${id}`);
  const dir = tempDir('shipshape-nats-deploy-');
  writeFiles(dir, {'.env': lines(...Object.entries(env).map(([k, v]) => `${k}=${v}`))});
  return runStep(def, new Context(dir, testPack(), probe === '' ? {} : {probe}), params, 20_000);
}

function clean(r: CheckResult, ...more: string[]): CheckResult {
  const text = JSON.stringify(r);
  for (const s of [appPw, ...more]) assert.ok(!text.includes(s), `a password leaked into ${text}`);
  return r;
}

const url = (s: Nats, auth = '') => `nats://${auth}127.0.0.1:${s.port}`;

describe('nats.auth-required', () => {
  test('a server with accounts refuses an anonymous client; one without auth lets it in', async (t) => {
    if (!need(t, secured) || !need(t, open)) return;
    const ok = clean(await run('nats.auth-required', {NATS_URL: url(secured, `app:${appPw}@`)}));
    assert.equal(ok.status, 'pass', ok.message);
    assert.equal(ok.message, `NATS at 127.0.0.1:${secured.port} refuses a connection without credentials (Authorization Violation)`);
    const bad = clean(await run('nats.auth-required', {NATS_URL: url(open)}));
    assert.equal(bad.status, 'fail', bad.message);
    assert.match(bad.message, /accepts a connection without credentials: turn on accounts or JWT auth/);
    assert.match(bad.evidence[0]?.detail ?? '', /^NATS 2\.\d+\.\d+, no authentication required$/);
  });

  test('with enabledBy, it asks only when a setting turns auth on', async (t) => {
    if (!need(t, open)) return;
    const off = clean(
      await run('nats.auth-required', {NATS_URL: url(open), NATS_ACCOUNTS_ENABLED: 'false'}, {enabledBy: ['NATS_ACCOUNTS_ENABLED', 'NATS_JWT_ENABLED']}),
    );
    assert.equal(off.status, 'skip');
    assert.deepEqual(
      off.evidence.map((e) => [e.file, e.line, e.detail]),
      [['.env', 2, 'NATS_ACCOUNTS_ENABLED=false']],
    );
    const on = clean(
      await run('nats.auth-required', {NATS_URL: url(open), NATS_JWT_ENABLED: 'true'}, {enabledBy: ['NATS_ACCOUNTS_ENABLED', 'NATS_JWT_ENABLED']}),
    );
    assert.equal(on.status, 'fail', 'turned on in the settings, yet the server lets anyone in');
  });
});

describe('nats.stream-replicas', () => {
  test('R=1 equals 1; against 3, from a number or from NATS_STREAM_REPLICAS, it fails; a missing stream fails', async (t) => {
    if (!need(t, secured)) return;
    const env = {NATS_URL: url(secured), NATS_USER: 'app', NATS_PASSWORD: appPw};
    const one = clean(await run('nats.stream-replicas', env, {streams: 'EVENTS', replicas: 1}));
    assert.equal(one.status, 'pass', one.message);
    assert.equal(one.message, 'stream EVENTS has R=1');
    const three = clean(
      await run('nats.stream-replicas', {...env, NATS_STREAM_REPLICAS: '3'}, {streams: ['EVENTS', 'METRICS'], replicasKey: 'NATS_STREAM_REPLICAS'}),
    );
    assert.equal(three.status, 'fail');
    assert.equal(three.message, '2 streams of 2 are not at R=3: EVENTS (R=1, expected 3), METRICS (no such stream)');
    assert.ok(three.evidence.some((e) => e.key === 'NATS_STREAM_REPLICAS' && e.line === 4 && e.detail === 'expects R=3'));
    assert.ok(three.evidence.some((e) => e.key === 'NATS_PASSWORD' && /^a credential \(36 chars/.test(e.detail)));
  });

  test("the deployment's credentials refused fail, naming only the refusal", async (t) => {
    if (!need(t, secured)) return;
    const wrong = secret();
    const r = clean(await run('nats.stream-replicas', {NATS_URL: url(secured, `app:${wrong}@`)}, {streams: 'EVENTS', replicas: 1}), wrong);
    assert.equal(r.status, 'fail');
    assert.equal(r.message, `NATS at 127.0.0.1:${secured.port} refused the deployment's credentials (Authorization Violation)`);
  });

  test('a stream on a server without auth is read without credentials', async (t) => {
    if (!need(t, open)) return;
    const r = clean(await run('nats.stream-replicas', {NATS_URL: url(open)}, {streams: 'EVENTS', replicas: 1}));
    assert.equal(r.status, 'pass', r.message);
  });
});

describe('nats.version', () => {
  test('reads the version from INFO without logging in; min above it fails', async (t) => {
    if (!need(t, secured)) return;
    const ok = clean(await run('nats.version', {NATS_URL: url(secured)}, {min: '2.2'}));
    assert.equal(ok.status, 'pass', ok.message);
    assert.equal(ok.message, `NATS at 127.0.0.1:${secured.port} answers: NATS ${serverVersion}, at least 2.2; JetStream on, auth required, TLS not required`);
    const old = clean(await run('nats.version', {NATS_URL: url(secured)}, {min: '99.0.0'}));
    assert.equal(old.status, 'fail');
    assert.match(old.message, /older than 99\.0\.0: upgrade it$/);
  });
});

describe('nats: what cannot be decided, and what is never done', () => {
  test('a server that accepts and never answers is an error within the timeout, for INFO and for nats.js', async () => {
    const silent = await silentServer();
    for (const id of ['nats.version', 'nats.auth-required', 'nats.stream-replicas']) {
      const started = performance.now();
      const r = clean(
        await run(
          id,
          {NATS_URL: `nats://app:${appPw}@127.0.0.1:${silent.port}`},
          {timeoutMs: 400, ...(id === 'nats.stream-replicas' ? {streams: 'EVENTS', replicas: 1} : {})},
        ),
      );
      const ms = performance.now() - started;
      assert.equal(r.status, 'error', `${id}: ${r.message}`);
      assert.ok(ms < 3_000, `${id} took ${ms} ms`);
    }
    assert.equal(silent.accepted(), 3);
  });

  test('a closed port is an error: connection refused', async () => {
    const port = await freePort();
    for (const id of ['nats.version', 'nats.auth-required']) {
      const r = clean(await run(id, {NATS_URL: `nats://app:${appPw}@127.0.0.1:${port}`}));
      assert.equal(r.status, 'error', r.message);
      assert.match(r.message, /connection refused: nothing listens there, or a firewall rejects$/);
    }
  });

  test('with probe off nothing connects, and the message says what connecting would check', async () => {
    const silent = await silentServer();
    for (const id of ['nats.version', 'nats.auth-required', 'nats.stream-replicas']) {
      for (const probe of ['', 'no']) {
        const r = clean(
          await run(
            id,
            {NATS_URL: `nats://app:${appPw}@127.0.0.1:${silent.port}`},
            id === 'nats.stream-replicas' ? {streams: 'EVENTS', replicas: 1} : {},
            probe,
          ),
        );
        assert.equal(r.status, 'skip', r.message);
        assert.match(
          r.message,
          new RegExp(
            `^not probed \\(probe is ${probe || 'not set'}\\): connecting to NATS at 127\\.0\\.0\\.1:${silent.port} would check this against the running server`,
          ),
        );
      }
    }
    assert.equal(silent.accepted(), 0);
  });
});
