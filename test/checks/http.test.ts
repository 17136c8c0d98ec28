// http.* checks against real HTTP and HTTPS servers on loopback.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {readFileSync} from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import {join} from 'node:path';
import {before, describe, test} from 'node:test';
import {redirectsToHttps, request, requiresAuth} from '../../src/checks/http.js';
import {runStep} from '../../src/engine/run.js';
import type {CheckResult} from '../../src/model/types.js';
import type {CheckDef} from '../../src/checks/define.js';
import {contextFor, listen, tempDir, writeFiles} from '../support/helpers.js';

const TOKEN = randomBytes(24).toString('hex');
const DOTENV_TOKEN = randomBytes(24).toString('base64url');
const ENV_NAME = `SHIPSHAPE_TEST_TOKEN_${randomBytes(4).toString('hex').toUpperCase()}`;

const dir = tempDir('shipshape-http-');
writeFiles(dir, {'.env': `VAULT_TOKEN=${DOTENV_TOKEN}\nEMPTY=\n`});

/** Every Authorization (and X-Vault-Token) header the app server received, in order. */
const received: (string | undefined)[] = [];

const json = (res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}) => {
  res.writeHead(status, {'content-type': 'application/json', ...headers});
  res.end(JSON.stringify(body));
};

/** A Vault-like and web-app-like server: each path plays one answer. */
function app(req: http.IncomingMessage, res: http.ServerResponse): void {
  received.push(req.headers.authorization ?? (req.headers['x-vault-token'] as string | undefined));
  const path = (req.url ?? '/').split('?')[0];
  switch (path) {
    case '/v1/sys/health':
      return json(res, 200, {initialized: true, sealed: false, standby: false, version: '1.15.0', cluster: {nodes: [{name: 'vault-0'}]}});
    case '/sealed/v1/sys/health':
      return json(res, 503, {initialized: true, sealed: true, standby: false});
    case '/hsts':
      res.writeHead(200, {'strict-transport-security': 'max-age=63072000; includeSubDomains', 'set-cookie': 'session=abc123secret'});
      return void res.end('<html>welcome to the dashboard</html>');
    case '/private':
      if (req.headers.authorization === `Bearer ${TOKEN}` || req.headers['x-vault-token'] === DOTENV_TOKEN) return json(res, 200, {ok: true});
      return json(res, 401, {errors: ['missing client token']}, {'www-authenticate': 'Bearer realm="api"'});
    case '/forbidden':
      return json(res, 403, {errors: ['permission denied']});
    case '/echo':
      return json(res, 200, {got: req.headers.authorization ?? null});
    case '/login-redirect':
      res.writeHead(302, {location: '/login'});
      return void res.end();
    case '/to-https':
      res.writeHead(301, {location: 'https://localhost/'});
      return void res.end();
    case '/to-https-temporary':
      res.writeHead(307, {location: 'https://localhost/app'});
      return void res.end();
    case '/to-http':
      res.writeHead(302, {location: '/elsewhere'});
      return void res.end();
    case '/no-location':
      res.writeHead(301);
      return void res.end();
    case '/boom':
      return json(res, 500, {error: 'internal'});
    default:
      return json(res, 200, {status: 'ok'});
  }
}

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  const port = await new Promise<number>((r) => srv.listen(0, '127.0.0.1', () => r((srv.address() as net.AddressInfo).port)));
  await new Promise((r) => srv.close(r));
  return port;
}

async function ipv6Available(): Promise<boolean> {
  const srv = net.createServer();
  return new Promise((resolve) => {
    srv.once('error', () => resolve(false));
    srv.listen(0, '::1', () => srv.close(() => resolve(true)));
  });
}

let base = '';
let secure = '';
before(async () => {
  base = `http://127.0.0.1:${await listen(http.createServer(app))}`;
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-days',
      '30',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      'self.key',
      '-out',
      'self.pem',
    ],
    {cwd: dir, stdio: ['ignore', 'pipe', 'pipe']},
  );
  const tlsOptions = {key: readFileSync(join(dir, 'self.key')), cert: readFileSync(join(dir, 'self.pem'))};
  secure = `https://127.0.0.1:${await listen(https.createServer(tlsOptions, app))}`;
});

const ctx = () => contextFor(dir);
const run = (def: CheckDef, params: Record<string, unknown>, timeoutMs = 10_000) => runStep(def, ctx(), params, timeoutMs);
const details = (r: CheckResult) => r.evidence.map((e) => e.detail).join('\n');

describe('http.request', () => {
  test('status: default any 2xx, a number, a list; a mismatch fails naming both', async () => {
    assert.equal((await run(request, {url: `${base}/`})).status, 'pass');
    assert.equal((await run(request, {url: `${base}/private`, status: 401})).status, 'pass');
    assert.equal((await run(request, {url: `${base}/forbidden`, status: [401, 403]})).status, 'pass');
    const r = await run(request, {url: `${base}/boom`});
    assert.equal(r.status, 'fail');
    assert.equal(r.message, `GET ${base}/boom: status 500, expected any 2xx`);
  });

  test('a Vault-like health document passes its JSON fields', async () => {
    const r = await run(request, {
      url: `${base}/v1/sys/health`,
      json: [
        {path: 'initialized', equals: true},
        {path: 'sealed', equals: false},
        {path: 'cluster.nodes.0.name', equals: 'vault-0'},
      ],
    });
    assert.equal(r.status, 'pass', r.message);
    assert.match(details(r), /initialized = true\nsealed = false\ncluster\.nodes\.0\.name = "vault-0"/);
  });

  test('a sealed Vault fails on its JSON field even when its status is allowed', async () => {
    const r = await run(request, {
      url: `${base}/sealed/v1/sys/health`,
      status: [200, 429, 503],
      json: [
        {path: 'initialized', equals: true},
        {path: 'sealed', equals: false},
      ],
    });
    assert.equal(r.status, 'fail');
    assert.equal(r.message, `GET ${base}/sealed/v1/sys/health: sealed is true, expected false`);
  });

  test('a missing JSON path fails; a body that is not JSON cannot be judged: error', async () => {
    const absent = await run(request, {url: `${base}/v1/sys/health`, json: [{path: 'ha.enabled', equals: true}]});
    assert.equal(absent.status, 'fail');
    assert.match(absent.message, /ha\.enabled is absent/);
    const html = await run(request, {url: `${base}/hsts`, json: [{path: 'sealed', equals: false}]});
    assert.equal(html.status, 'error');
    assert.match(html.message, /^127\.0\.0\.1:\d+: cannot check JSON fields: body is not JSON/);
  });

  test('bodyContains', async () => {
    assert.equal((await run(request, {url: `${base}/hsts`, bodyContains: 'dashboard'})).status, 'pass');
    const r = await run(request, {url: `${base}/hsts`, bodyContains: 'Sign in'});
    assert.equal(r.status, 'fail');
    assert.match(r.message, /body does not contain "Sign in"/);
  });

  test('HSTS present and matching passes, with GET or HEAD; missing fails; cookies are not shown', async () => {
    const hsts = [{name: 'Strict-Transport-Security', pattern: 'max-age=\\d{7,}'}];
    const get = await run(request, {url: `${base}/hsts`, headers: [...hsts, {name: 'Set-Cookie'}]});
    assert.equal(get.status, 'pass', get.message);
    assert.match(details(get), /header Strict-Transport-Security: "max-age=63072000; includeSubDomains" matches/);
    assert.match(details(get), /header Set-Cookie: present/);
    assert.ok(!JSON.stringify(get).includes('abc123secret'));
    assert.equal((await run(request, {url: `${base}/hsts`, method: 'HEAD', headers: hsts})).status, 'pass');
    const missing = await run(request, {url: `${base}/`, headers: hsts});
    assert.equal(missing.status, 'fail');
    assert.match(missing.message, /no Strict-Transport-Security header/);
    const weak = await run(request, {url: `${base}/hsts`, headers: [{name: 'Strict-Transport-Security', pattern: 'preload'}]});
    assert.equal(weak.status, 'fail');
  });

  test('HTTPS: a self-signed endpoint is an error without caFile, passes with it or with insecure', async () => {
    const untrusted = await run(request, {url: `${secure}/v1/sys/health`});
    assert.equal(untrusted.status, 'error');
    assert.match(untrusted.message, /^127\.0\.0\.1:\d+: GET https:\/\/127\.0\.0\.1:\d+\/v1\/sys\/health failed: self-signed certificate/);
    const withCa = await run(request, {url: `${secure}/v1/sys/health`, caFile: 'self.pem', json: [{path: 'sealed', equals: false}]});
    assert.equal(withCa.status, 'pass', withCa.message);
    const insecure = await run(request, {url: `${secure}/`, insecure: true});
    assert.equal(insecure.status, 'pass');
    assert.match(details(insecure), /certificate not verified \(insecure: true\)/);
  });

  test('a credential from an environment variable reaches the server and never the result', async () => {
    process.env[ENV_NAME] = TOKEN;
    try {
      const before = received.length;
      const r = await run(request, {url: `${base}/private`, auth: {env: ENV_NAME}});
      assert.equal(r.status, 'pass', r.message);
      assert.deepEqual(received.slice(before), [`Bearer ${TOKEN}`]);
      assert.match(details(r), new RegExp(`credential sent in the Authorization header \\(Bearer scheme\\), from environment variable ${ENV_NAME}`));
      assert.ok(!JSON.stringify(r).includes(TOKEN));
      // A server that echoes the header back: the mismatch is reported without the value.
      const echoed = await run(request, {url: `${base}/echo`, auth: {env: ENV_NAME}, json: [{path: 'got', equals: 'nothing'}]});
      assert.equal(echoed.status, 'fail');
      assert.match(echoed.message, /got is "\[credential\]"/);
      assert.ok(!JSON.stringify(echoed).includes(TOKEN));
      assert.ok(!JSON.stringify(echoed).includes(TOKEN.slice(0, 12)));
    } finally {
      delete process.env[ENV_NAME];
    }
  });

  test('a credential from a .env key, in another header without scheme', async () => {
    const before = received.length;
    const r = await run(request, {url: `${secure}/private`, caFile: join(dir, 'self.pem'), auth: {dotenv: 'VAULT_TOKEN', header: 'X-Vault-Token', scheme: ''}});
    assert.equal(r.status, 'pass', r.message);
    assert.deepEqual(received.slice(before), [DOTENV_TOKEN]);
    assert.match(details(r), /credential sent in the X-Vault-Token header, from \.env key VAULT_TOKEN/);
    assert.ok(!JSON.stringify(r).includes(DOTENV_TOKEN));
  });

  test('a credential that is not set is an error, and nothing is sent', async () => {
    const before = received.length;
    const unset = await run(request, {url: `${base}/private`, auth: {env: ENV_NAME}});
    assert.equal(unset.status, 'error');
    assert.match(unset.message, new RegExp(`no credential to send: the environment variable ${ENV_NAME} is not set`));
    const empty = await run(request, {url: `${base}/private`, auth: {dotenv: 'EMPTY'}});
    assert.equal(empty.status, 'error');
    assert.match(empty.message, /EMPTY is not set in \.env/);
    assert.equal(received.length, before);
  });

  test('params: no credentials in the URL, no JSON with HEAD, not caFile with insecure, one credential source', async () => {
    for (const params of [
      {url: 'http://admin:hunter2@127.0.0.1/'},
      {url: 'ftp://127.0.0.1/'},
      {url: `${base}/`, method: 'HEAD', json: [{path: 'a', equals: 1}]},
      {url: `${secure}/`, caFile: 'self.pem', insecure: true},
      {url: `${base}/`, auth: {env: 'A', dotenv: 'B'}},
      {url: `${base}/`, auth: {env: 'A', value: 'literal'}},
    ]) {
      const r = await run(request, params);
      assert.equal(r.status, 'error', JSON.stringify(params));
      assert.match(r.message, /bad params/);
      assert.ok(!r.message.includes('hunter2'));
    }
  });

  test('works over IPv6 loopback', async (t) => {
    if (!(await ipv6Available())) return t.skip('::1 cannot be bound on this machine');
    const port = await listen(http.createServer(app), '::1');
    const r = await run(request, {url: `http://[::1]:${port}/v1/sys/health`, json: [{path: 'sealed', equals: false}]});
    assert.equal(r.status, 'pass', r.message);
    assert.equal(r.evidence[0]!.key, `[::1]:${port}`);
  });
});

describe('http.redirects-to-https', () => {
  test('301 to https passes; a temporary redirect passes unless permanent is required', async () => {
    const r = await run(redirectsToHttps, {url: `${base}/to-https`});
    assert.equal(r.status, 'pass', r.message);
    assert.match(r.message, /redirects to https:\/\/localhost\/ \(301\)/);
    assert.equal((await run(redirectsToHttps, {url: `${base}/to-https-temporary`})).status, 'pass');
    const strict = await run(redirectsToHttps, {url: `${base}/to-https-temporary`, permanent: true});
    assert.equal(strict.status, 'fail');
    assert.match(strict.message, /temporary 307/);
  });

  test('a redirect to http, one without Location, or no redirect at all fails', async () => {
    const toHttp = await run(redirectsToHttps, {url: `${base}/to-http`});
    assert.equal(toHttp.status, 'fail');
    assert.match(toHttp.message, /redirects to http:\/\/127\.0\.0\.1:\d+\/elsewhere, not https/);
    assert.equal((await run(redirectsToHttps, {url: `${base}/no-location`})).status, 'fail');
    const plain = await run(redirectsToHttps, {url: `${base}/`});
    assert.equal(plain.status, 'fail');
    assert.match(plain.message, /over plain HTTP \(status 200, no redirect\)/);
  });

  test('only http:// URLs', async () => {
    const r = await run(redirectsToHttps, {url: `${secure}/`});
    assert.equal(r.status, 'error');
    assert.match(r.message, /bad params: an http:\/\/ URL/);
  });
});

describe('http.requires-auth', () => {
  test('401 and 403 pass; 200 fails; a login redirect warns; 500 cannot tell', async () => {
    const r401 = await run(requiresAuth, {url: `${base}/private`});
    assert.equal(r401.status, 'pass');
    assert.match(details(r401), /answered 401 \(WWW-Authenticate: "Bearer realm=\\"api\\""\)/);
    assert.equal((await run(requiresAuth, {url: `${base}/forbidden`})).status, 'pass');
    const open = await run(requiresAuth, {url: `${base}/`});
    assert.equal(open.status, 'fail');
    assert.match(open.message, /serves http:\/\/127\.0\.0\.1:\d+\/ without credentials \(200\)/);
    const login = await run(requiresAuth, {url: `${base}/login-redirect`});
    assert.equal(login.status, 'warn');
    assert.match(login.message, /redirects .* to "\/login" \(302\)/);
    assert.equal((await run(requiresAuth, {url: `${base}/boom`})).status, 'error');
  });

  test('over HTTPS with caFile', async () => {
    const r = await run(requiresAuth, {url: `${secure}/private`, caFile: 'self.pem'});
    assert.equal(r.status, 'pass', r.message);
  });
});

describe('http: bounded in time, refused, malformed, aborted', () => {
  const checks: [string, CheckDef][] = [
    ['http.request', request],
    ['http.redirects-to-https', redirectsToHttps],
    ['http.requires-auth', requiresAuth],
  ];

  for (const [id, def] of checks) {
    test(`${id}: a server that never answers is an error within its own timeout`, async () => {
      const port = await listen(net.createServer(() => undefined));
      const started = performance.now();
      const r = await run(def, {url: `http://127.0.0.1:${port}/`, timeoutMs: 300}, 10_000);
      const ms = performance.now() - started;
      assert.equal(r.status, 'error');
      assert.equal(r.message, `127.0.0.1:${port}: GET http://127.0.0.1:${port}/ failed: no complete response within 300 ms`);
      assert.ok(ms < 2_000, `took ${ms} ms`);
    });

    test(`${id}: connection refused is an error at once`, async () => {
      const port = await closedPort();
      const started = performance.now();
      const r = await run(def, {url: `http://127.0.0.1:${port}/`});
      assert.equal(r.status, 'error');
      assert.match(r.message, new RegExp(`^127\\.0\\.0\\.1:${port}: .* failed: connection refused$`));
      assert.ok(performance.now() - started < 2_000);
    });
  }

  test('headers sent but the body never finishes: error within the timeout', async () => {
    const port = await listen(
      http.createServer((_req, res) => {
        res.writeHead(200, {'content-type': 'application/json'});
        res.write('{"sealed":');
      }),
    );
    const started = performance.now();
    const r = await run(request, {url: `http://127.0.0.1:${port}/`, timeoutMs: 300, json: [{path: 'sealed', equals: false}]});
    assert.equal(r.status, 'error');
    assert.match(r.message, /no complete response within 300 ms/);
    assert.ok(performance.now() - started < 2_000);
  });

  test('a response that is not HTTP is an error', async () => {
    const port = await listen(net.createServer((s) => s.once('data', () => s.end('SSH-2.0-OpenSSH_9.6\r\n\r\n'))));
    const r = await run(request, {url: `http://127.0.0.1:${port}/`});
    assert.equal(r.status, 'error');
    assert.match(r.message, new RegExp(`^127\\.0\\.0\\.1:${port}: GET .* failed: malformed HTTP response \\(HPE_`));
  });

  test('HTTPS to a plain HTTP port, and plain HTTP to an HTTPS port, are errors', async () => {
    const tlsToPlain = await run(request, {url: `${base.replace('http:', 'https:')}/`, insecure: true});
    assert.equal(tlsToPlain.status, 'error');
    assert.match(tlsToPlain.message, /failed: wrong version number \(EPROTO\)$/);
    const plainToTls = await run(request, {url: `${secure.replace('https:', 'http:')}/`});
    assert.equal(plainToTls.status, 'error', plainToTls.message);
    assert.match(plainToTls.message, /failed: connection reset by the server$/);
  });

  test('aborting the signal ends the check and closes its socket', {timeout: 5_000}, async () => {
    const ac = new AbortController();
    let closed!: Promise<void>;
    const port = await listen(
      net.createServer((s) => {
        closed = new Promise((r) => s.on('close', () => r()));
        s.once('data', () => ac.abort());
      }),
    );
    const r = await request.run(ctx(), request.params.parse({url: `http://127.0.0.1:${port}/`}), ac.signal);
    assert.equal(r.status, 'error');
    assert.match(r.message, /stopped before the response arrived/);
    await closed;
  });
});
