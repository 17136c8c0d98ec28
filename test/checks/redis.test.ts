// redis.* against real redis-server processes from the machine's packages, each on loopback in its
// own temp directory: one with requirepass (protected mode off), one with no password at all
// (protected mode off), one whose ACL turns the default user off and names a user of its own.
// Plus a server that accepts and never answers, and a closed port.
import assert from 'node:assert/strict';
import {describe, test, type TestContext} from 'node:test';
import {CHECKS} from '../../src/checks/index.js';
import {encodeCommand, parseReply} from '../../src/checks/redis.js';
import {Context} from '../../src/engine/context.js';
import {runStep} from '../../src/engine/run.js';
import type {CheckResult} from '../../src/model/types.js';
import {lines, testPack, tempDir, writeFiles} from '../support/helpers.js';
import {freePort, secret, silentServer, startRedis, unavailable, type Redis} from '../support/services.js';

const passPw = secret();
const appPw = secret();
const [withPass, open, acl] = await Promise.all([
  startRedis([`requirepass ${passPw}`, 'protected-mode no']),
  startRedis(['protected-mode no']),
  startRedis(['protected-mode yes', 'user default off', `user app on >${appPw} ~* &* +@all`]),
]);

function need(t: TestContext, r: Redis | string): r is Redis {
  if (typeof r !== 'string') return true;
  unavailable(t, r);
  return false;
}

/** Runs a check as a pack step would; probe '' means the input is not set at all. */
function run(id: string, env: Record<string, string>, params: Record<string, unknown> = {}, probe = 'local'): Promise<CheckResult> {
  const def = CHECKS.get(id);
  assert.ok(def, `no check ${id}`);
  const dir = tempDir('shipshape-redis-deploy-');
  writeFiles(dir, {'.env': lines(...Object.entries(env).map(([k, v]) => `${k}=${v}`))});
  return runStep(def, new Context(dir, testPack(), probe === '' ? {} : {probe}), params, 20_000);
}

function clean(r: CheckResult, ...more: string[]): CheckResult {
  const text = JSON.stringify(r);
  for (const s of [passPw, appPw, ...more]) assert.ok(!text.includes(s), `a password leaked into ${text}`);
  return r;
}

const at = (r: Redis, auth = '') => `redis://${auth}127.0.0.1:${r.port}`;

describe('redis.requires-password', () => {
  test('refused with NOAUTH passes, for requirepass and for an ACL whose default user is off; PONG fails', async (t) => {
    if (!need(t, withPass) || !need(t, open) || !need(t, acl)) return;
    for (const server of [withPass, acl]) {
      const r = clean(await run('redis.requires-password', {REDIS_URL: at(server)}));
      assert.equal(r.status, 'pass', r.message);
      assert.equal(r.message, `Redis at 127.0.0.1:${server.port} refuses an unauthenticated PING (NOAUTH)`);
    }
    const bad = clean(await run('redis.requires-password', {REDIS_URL: at(open)}));
    assert.equal(bad.status, 'fail');
    assert.match(bad.message, /answers PING without a password: set requirepass/);
    assert.equal(bad.evidence.find((e) => e.key === 'REDIS_URL')?.line, 1);
  });
});

describe('redis.protected-mode', () => {
  test('on passes; off with a password warns; off without one fails', async (t) => {
    if (!need(t, withPass) || !need(t, open) || !need(t, acl)) return;
    const on = clean(await run('redis.protected-mode', {REDIS_URL: at(acl, `app:${appPw}@`)}));
    assert.equal(on.status, 'pass', on.message);
    const warn = clean(await run('redis.protected-mode', {REDIS_HOST: '127.0.0.1', REDIS_PORT: String(withPass.port), REDIS_PASSWORD: passPw}));
    assert.equal(warn.status, 'warn', warn.message);
    assert.match(warn.message, /protected-mode is off; it only guards a server without a password/);
    assert.ok(warn.evidence.some((e) => e.key === 'REDIS_PASSWORD' && e.line === 3 && /^the password \(36 chars/.test(e.detail)));
    const fail = clean(await run('redis.protected-mode', {REDIS_URL: at(open)}));
    assert.equal(fail.status, 'fail');
    assert.match(fail.message, /anyone who reaches the port gets in/);
  });

  test("the deployment's password refused is an error that names only the refusal", async (t) => {
    if (!need(t, withPass)) return;
    const wrong = secret();
    const r = clean(await run('redis.protected-mode', {REDIS_URL: at(withPass, `:${wrong}@`)}), wrong);
    assert.equal(r.status, 'error');
    assert.equal(r.message, `Redis at 127.0.0.1:${withPass.port} refused the deployment's credentials (WRONGPASS), so protected-mode cannot be read`);
  });
});

describe('redis.default-user', () => {
  test('off passes, passworded passes, nopass fails', async (t) => {
    if (!need(t, withPass) || !need(t, open) || !need(t, acl)) return;
    const off = clean(await run('redis.default-user', {REDIS_URL: at(acl, `app:${appPw}@`)}));
    assert.equal(off.status, 'pass', off.message);
    assert.equal(off.message, `Redis at 127.0.0.1:${acl.port}: the default user is off`);
    const pw = clean(await run('redis.default-user', {REDIS_URL: at(withPass, `:${passPw}@`)}));
    assert.equal(pw.status, 'pass', pw.message);
    assert.match(pw.message, /the default user is on with 1 password$/);
    const nopass = clean(await run('redis.default-user', {REDIS_URL: at(open)}));
    assert.equal(nopass.status, 'fail');
    assert.match(nopass.message, /needs no password \(nopass\)/);
    // Without credentials for ACL, the anonymous PING still decides.
    const anon = clean(await run('redis.default-user', {REDIS_URL: at(acl)}));
    assert.equal(anon.status, 'pass', anon.message);
  });
});

describe('redis: what cannot be decided, and what is never done', () => {
  test('a server that accepts and never answers is an error within the timeout', async () => {
    const silent = await silentServer();
    const started = performance.now();
    const r = clean(await run('redis.requires-password', {REDIS_URL: `redis://:${passPw}@127.0.0.1:${silent.port}`}, {timeoutMs: 300}));
    const ms = performance.now() - started;
    assert.equal(r.status, 'error');
    assert.match(r.message, /no answer within 300 ms/);
    assert.ok(ms < 3_000, `took ${ms} ms`);
    assert.equal(silent.accepted(), 1);
  });

  test('a closed port is an error: connection refused', async () => {
    const port = await freePort();
    const r = clean(await run('redis.default-user', {REDIS_URL: `redis://:${passPw}@127.0.0.1:${port}`}));
    assert.equal(r.status, 'error');
    assert.equal(r.message, `Redis at 127.0.0.1:${port}: cannot connect: connection refused: nothing listens there, or a firewall rejects`);
  });

  test('with probe off nothing connects, and the message says what connecting would check', async () => {
    const silent = await silentServer();
    for (const id of ['redis.requires-password', 'redis.protected-mode', 'redis.default-user']) {
      for (const probe of ['', 'no']) {
        const r = clean(await run(id, {REDIS_URL: `redis://:${passPw}@127.0.0.1:${silent.port}`}, {}, probe));
        assert.equal(r.status, 'skip');
        assert.match(
          r.message,
          new RegExp(
            `^not probed \\(probe is ${probe || 'not set'}\\): connecting to Redis at 127\\.0\\.0\\.1:${silent.port} would check this against the running server`,
          ),
        );
      }
    }
    assert.equal(silent.accepted(), 0);
  });

  test('no Redis settings: skip, nothing to connect to', async () => {
    const r = await run('redis.requires-password', {OTHER: 'x'});
    assert.equal(r.status, 'skip');
    assert.match(r.message, /^no Redis settings to connect with/);
  });
});

describe('RESP', () => {
  test('replies split anywhere parse once complete; commands encode as arrays of bulk strings', () => {
    const whole = Buffer.from('*4\r\n$5\r\nflags\r\n*2\r\n$2\r\non\r\n$6\r\nnopass\r\n$9\r\npasswords\r\n*0\r\n');
    for (let cut = 0; cut < whole.length; cut++) assert.equal(parseReply(whole.subarray(0, cut)), undefined, `cut at ${cut}`);
    assert.deepEqual(parseReply(whole)?.reply, {
      kind: 'array',
      items: [
        {kind: 'bulk', text: 'flags'},
        {
          kind: 'array',
          items: [
            {kind: 'bulk', text: 'on'},
            {kind: 'bulk', text: 'nopass'},
          ],
        },
        {kind: 'bulk', text: 'passwords'},
        {kind: 'array', items: []},
      ],
    });
    assert.equal(encodeCommand(['CONFIG', 'GET', 'protected-mode']).toString(), '*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$14\r\nprotected-mode\r\n');
    assert.throws(() => parseReply(Buffer.from('HTTP/1.1 400 Bad Request\r\n')), /does not speak RESP/);
  });
});
