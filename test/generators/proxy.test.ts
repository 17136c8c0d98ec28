// The reverse-proxy generator, proven by the real servers: every config it writes passes
// `nginx -t` and `caddy validate`, and the generated nginx, run on loopback in front of a test
// server, keeps a Server-Sent Events stream open past a shortened default read timeout and
// passes each event on as it comes (two controls, each without one of our lines, show the
// stream cut and the events held back), passes the Authorization header on, redirects HTTP to
// HTTPS and sends HSTS. On ZITADEL's weak Compose fixture the pack's own check then passes.
import assert from 'node:assert/strict';
import {type ChildProcess, type SpawnSyncReturns, spawn, spawnSync} from 'node:child_process';
import {appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {createServer, type IncomingMessage, type Server} from 'node:http';
import {request as httpsRequest} from 'node:https';
import {request as httpRequest} from 'node:http';
import {connect} from 'node:net';
import {delimiter, join} from 'node:path';
import {after, describe, test, type TestContext} from 'node:test';
import type {GeneratorOptions} from '../../src/generators/define.js';
import {reverseProxy} from '../../src/generators/reverse-proxy.js';
import {render} from '../../src/generators/template.js';
import {parseCaddyfile, parseNginx} from '../../src/sources/zitadel.js';
import {applyChangeSet} from '../../src/write/apply.js';
import {contextFor, tempDir, writeFiles} from '../support/helpers.js';
import {deployment, generateAndProve} from './config-support.js';
import {freePort, unavailable} from '../support/services.js';

const DOMAIN = 'shipshape.test';

function tool(name: string): string | undefined {
  for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/bin', '/usr/local/sbin', ...(process.env.PATH ?? '').split(delimiter)]) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** One generated file: its path and text. */
async function generate(options: GeneratorOptions, dir = tempDir('shipshape-proxy-'), files: Record<string, string> = {}, into: string[] = []) {
  writeFiles(dir, files);
  const g = await reverseProxy.generate({ctx: contextFor(dir), into, options});
  return {dir, g, file: g.changes.changes[0]};
}

/** A self-signed certificate for DOMAIN (and 127.0.0.1), made by openssl in a temp dir. */
let certs: {cert: string; key: string} | string | undefined;
function certificate(): {cert: string; key: string} | string {
  if (certs) return certs;
  const openssl = tool('openssl');
  if (!openssl) return (certs = 'openssl is not installed: no certificate for the TLS tests');
  const dir = tempDir('shipshape-proxy-cert-');
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const r: SpawnSyncReturns<string> = spawnSync(
    openssl,
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', `/CN=${DOMAIN}`].concat([
      '-addext',
      `subjectAltName=DNS:${DOMAIN},IP:127.0.0.1`,
      '-keyout',
      key,
      '-out',
      cert,
    ]),
    {encoding: 'utf8', timeout: 20_000},
  );
  if (r.status !== 0) return (certs = `openssl could not make a certificate: ${r.stderr.trim().slice(-300)}`);
  return (certs = {cert, key});
}

/** A test-only main config around the generated server file: every path nginx writes is in `dir`. */
function nginxWrapper(dir: string, sites: string[], extraHttp: string[] = []): string {
  mkdirSync(join(dir, 'temp'), {recursive: true});
  const conf = join(dir, 'nginx-test.conf');
  const user = process.getuid?.() === 0 ? 'user root root;' : '';
  writeFileSync(
    conf,
    [
      user,
      // One process: a SIGKILL in after() leaves no worker holding the ports.
      'master_process off;',
      `pid ${join(dir, 'nginx.pid')};`,
      `error_log ${join(dir, 'error.log')} warn;`,
      'worker_processes 1;',
      'events { worker_connections 64; }',
      'http {',
      `  access_log off;`,
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(dir, 'temp', t)};`),
      ...extraHttp.map((l) => `  ${l}`),
      ...sites.map((s) => `  include ${s};`),
      '}',
      '',
    ].join('\n'),
  );
  return conf;
}

describe('templates', () => {
  test('values fill {{name}}; a block stays when its value is set ({{#x}}) or unset ({{^x}}); a missing value or a stray marker is an error', () => {
    const t = ['a {{v}}', '{{#on}}', 'on', '{{/on}}', '{{^on}}', 'off', '{{/on}}', ''].join('\n');
    assert.equal(render(t, {v: 'x', on: true}), 'a x\non\n');
    assert.equal(render(t, {v: 1, on: ''}), 'a 1\noff\n');
    assert.throws(() => render('{{missing}}', {}), /no value for \{\{missing\}\}/);
    assert.throws(() => render('{{#on}}\nx\n', {on: true}), /never closed/);
    assert.throws(() => render('x {{#on}} y', {on: true}), /left over/);
  });
});

describe('reverse-proxy: what it writes', () => {
  test('ZITADEL: h2c for Caddy, grpc_pass for nginx, the Host header kept, and the zitadel.http2 reading of it passes', async () => {
    const caddy = await generate({system: 'zitadel', domain: DOMAIN, variant: 'caddy', upstream: 'zitadel:8080'});
    assert.match(caddy.file!.after, /reverse_proxy h2c:\/\/zitadel:8080/);
    const c = parseCaddyfile(caddy.file!.after, caddy.file!.path);
    assert.deepEqual(
      c.upstreams.map((u) => u.scheme),
      ['h2c'],
    );
    assert.ok(c.sites.every((s) => s.tls && s.h2));

    const nginx = await generate({system: 'zitadel', domain: DOMAIN, variant: 'nginx', upstream: 'zitadel:8080'});
    assert.match(nginx.file!.after, /grpc_pass grpc:\/\/zitadel:8080;/);
    assert.match(nginx.file!.after, /grpc_set_header Host \$host;/);
    assert.doesNotMatch(nginx.file!.after, /^\s*proxy_pass/m);
    const n = parseNginx(nginx.file!.after, nginx.file!.path);
    assert.deepEqual(
      n.upstreams.map((u) => u.scheme),
      ['grpc'],
    );
    assert.ok(n.sites.filter((s) => s.tls).every((s) => s.h2));
  });

  test('MCP: unbuffered, a long read timeout, Authorization passed on; HSTS and the redirect in every variant', async () => {
    const {file} = await generate({system: 'mcp', domain: DOMAIN, variant: 'nginx'});
    for (const line of [
      'proxy_pass http://127.0.0.1:9100;',
      'proxy_buffering off;',
      'proxy_read_timeout 3600s;',
      'proxy_set_header Authorization $http_authorization;',
      'return 301 https://$host$request_uri;',
      'add_header Strict-Transport-Security "max-age=63072000" always;',
    ])
      assert.ok(file!.after.includes(line), line);
    const caddy = await generate({system: 'mcp', domain: DOMAIN});
    assert.match(caddy.file!.after, /flush_interval -1/);
    assert.match(caddy.file!.after, /Strict-Transport-Security/);
  });

  test('the public name comes from the deployment; without one, or with an address, it writes nothing and says what to set', async () => {
    const fromEnv = await generate({system: 'web', upstream: '127.0.0.1:3000'}, undefined, {'.env': `DOMAIN=${DOMAIN}\n`});
    assert.match(fromEnv.file!.after, new RegExp(`^${DOMAIN.replace('.', '\\.')} \\{`, 'm'));
    assert.ok(fromEnv.g.notes.some((n) => n.includes('DOMAIN in .env')));
    const none = await generate({system: 'web', upstream: '127.0.0.1:3000'});
    assert.equal(none.g.changes.changes.length, 0);
    assert.match(none.g.notes.join('\n'), /set DOMAIN=/);
    const ip = await generate({system: 'zitadel'}, undefined, {
      'docker-compose.yml': 'services:\n  zitadel:\n    image: ghcr.io/zitadel/zitadel:v2\n    environment:\n      ZITADEL_EXTERNALDOMAIN: 10.0.9.5\n',
    });
    assert.equal(ip.g.changes.changes.length, 0);
    assert.match(ip.g.notes.join('\n'), /10\.0\.9\.5 .*not a DNS name/);
  });

  test('values that could break out of a directive are refused', async () => {
    for (const options of [
      {domain: 'a.test; include /etc/passwd'},
      {domain: DOMAIN, upstream: '127.0.0.1:80;\n'},
      {domain: DOMAIN, upstream: '127.0.0.1:99999'},
      {domain: DOMAIN, certificate: '/etc/x y.pem', certificateKey: '/etc/k.pem'},
      {domain: DOMAIN, certificate: '/etc/x.pem'},
      {domain: DOMAIN, variant: 'apache'},
    ] as GeneratorOptions[])
      await assert.rejects(generate({system: 'mcp', ...options}), Error, JSON.stringify(options));
    await assert.rejects(generate({system: 'mcp', domain: DOMAIN}, undefined, {}, ['file:../outside/Caddyfile']), /inside the deployment/);
  });

  test("ZITADEL's weak Compose fixture: the proxy's mounted nginx file is rewritten, http2-end-to-end then passes, no other check turns from pass to fail, a second run changes nothing", async () => {
    const dir = deployment('zitadel-compose-weak');
    // The one thing the operator gives: the public name (the fixture's ExternalDomain is an address).
    appendFileSync(join(dir, '.env'), `DOMAIN=${DOMAIN}\n`);
    const {written, notes} = await generateAndProve(dir, 'zitadel', ['http2-end-to-end']);
    assert.deepEqual(written, ['nginx/zitadel.conf']);
    const text = readFileSync(join(dir, 'nginx/zitadel.conf'), 'utf8');
    assert.match(text, /grpc_pass grpc:\/\/zitadel:8080;/, 'the app is reached by its service name on the Compose network');
    assert.match(notes.join('\n'), /docker compose restart proxy/);
    assert.match(notes.join('\n'), /does not publish port 80/);
  });

  test('generating twice over the result changes nothing', async () => {
    const first = await generate({system: 'mcp', domain: DOMAIN, variant: 'nginx'});
    await applyChangeSet(first.dir, first.g.changes);
    const again = await reverseProxy.generate({ctx: contextFor(first.dir), into: [], options: {system: 'mcp', domain: DOMAIN, variant: 'nginx'}});
    assert.deepEqual(again.changes.changes, []);
  });
});

describe('reverse-proxy: the real servers accept it', () => {
  test('nginx -t accepts the server file of every system', async (t) => {
    const nginx = tool('nginx');
    if (!nginx) return unavailable(t, 'nginx is not installed (Debian: nginx-light or nginx)');
    const c = certificate();
    if (typeof c === 'string') return unavailable(t, c);
    for (const system of ['zitadel', 'mcp', 'web']) {
      const {dir, file} = await generate({system, domain: DOMAIN, variant: 'nginx', upstream: '127.0.0.1:9', certificate: c.cert, certificateKey: c.key});
      const site = join(dir, 'site.conf');
      writeFileSync(site, file!.after);
      const r: SpawnSyncReturns<string> = spawnSync(nginx, ['-t', '-q', '-c', nginxWrapper(dir, [site])], {encoding: 'utf8', timeout: 20_000});
      assert.equal(r.status, 0, `nginx -t for ${system}:\n${r.stderr}\n${file!.after}`);
    }
  });

  test('caddy validate accepts the Caddyfile of every system, with automatic HTTPS and with given certificates', async (t) => {
    const caddy = tool('caddy');
    if (!caddy) return unavailable(t, 'caddy is not installed (Debian: caddy)');
    const c = certificate();
    if (typeof c === 'string') return unavailable(t, c);
    for (const system of ['zitadel', 'mcp', 'web']) {
      for (const tls of [{}, {certificate: c.cert, certificateKey: c.key}]) {
        const {dir, file} = await generate({system, domain: DOMAIN, variant: 'caddy', upstream: '127.0.0.1:9', ...tls});
        const conf = join(dir, 'Caddyfile');
        writeFileSync(conf, file!.after);
        // Caddy keeps its state under XDG_DATA_HOME / HOME: a temp dir, never the user's.
        const r: SpawnSyncReturns<string> = spawnSync(caddy, ['validate', '--config', conf, '--adapter', 'caddyfile'], {
          encoding: 'utf8',
          timeout: 30_000,
          env: {PATH: process.env.PATH, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir},
        });
        assert.equal(r.status, 0, `caddy validate for ${system}:\n${r.stderr}\n${file!.after}`);
        assert.match(`${r.stdout}${r.stderr}`, /Valid configuration/);
      }
    }
  });
});

// ---------------------------------------------------------------- nginx live, on loopback

const children: ChildProcess[] = [];
const servers: Server[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const s of servers) s.close();
});

/** Resolves once something accepts TCP connections on the port; polls, never sleeps a fixed time. */
async function listening(port: number, child: ChildProcess, log: () => string, deadlineMs = 60_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`nginx exited (${child.exitCode ?? child.signalCode}):\n${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nginx did not listen on ${port} within ${deadlineMs} ms`);
}

/**
 * Two events with a quiet gap far longer than the shortened default read timeout between them:
 * the timing checks compare against the timeout, with seconds to spare on a busy machine.
 */
const GAP_MS = 5_000;
const READ_TIMEOUT_MS = 1_000;
const DEFAULT_READ_TIMEOUT = `${READ_TIMEOUT_MS / 1000}s`;

interface Stream {
  status: number;
  body: string;
  /** When each event arrived (ms since the request started). */
  arrivals: number[];
  complete: boolean;
  hsts: string | undefined;
}

function getStream(port: number, ca: string, path: string, authorization: string): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        servername: DOMAIN,
        ca,
        headers: {Host: DOMAIN, Authorization: authorization, Accept: 'text/event-stream'},
        timeout: 2 * GAP_MS,
      },
      (res: IncomingMessage) => {
        let body = '';
        const arrivals: number[] = [];
        let complete = false;
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
          while (arrivals.length < body.split('\n\n').length - 1) arrivals.push(Date.now() - start);
        });
        res.on('end', () => (complete = true));
        res.on('error', () => {});
        res.on('close', () =>
          resolve({status: res.statusCode ?? 0, body, arrivals, complete, hsts: res.headers['strict-transport-security'] as string | undefined}),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${(2 * GAP_MS) / 1000} s`)));
    req.on('error', reject);
    req.end();
  });
}

test('the generated nginx keeps an SSE stream open past the default read timeout, unbuffered, passes Authorization on, redirects and sends HSTS', {
  timeout: 180_000,
}, async (t: TestContext) => {
  const nginx = tool('nginx');
  if (!nginx) return unavailable(t, 'nginx is not installed (Debian: nginx-light or nginx)');
  const c = certificate();
  if (typeof c === 'string') return unavailable(t, c);

  // The MCP gateway stand-in: an event at once, a quiet gap, a second event, the end.
  const seen: (string | undefined)[] = [];
  const upstream = createServer((req, res) => {
    seen.push(req.headers.authorization);
    res.writeHead(200, {'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache'});
    res.write('data: first\n\n');
    const timer = setTimeout(() => res.end('data: second\n\n'), GAP_MS);
    res.on('close', () => clearTimeout(timer));
  });
  servers.push(upstream);
  const upPort = await new Promise<number>((resolve) => upstream.listen(0, '127.0.0.1', () => resolve((upstream.address() as {port: number}).port)));

  const {dir, file} = await generate({
    system: 'mcp',
    domain: DOMAIN,
    variant: 'nginx',
    upstream: `127.0.0.1:${upPort}`,
    certificate: c.cert,
    certificateKey: c.key,
  });
  // On loopback and ephemeral ports only: the listen lines are the one thing the test changes.
  const onLoopback = (text: string, httpsPort: number, httpPort: number) =>
    text
      .replace(/^\s*listen \[::\].*$/gm, '')
      .replace('listen 80;', `listen 127.0.0.1:${httpPort};`)
      .replace('listen 443 ssl http2;', `listen 127.0.0.1:${httpsPort} ssl http2;`);
  const site = (name: string, text: string) => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  // Two controls, each the same file less one of our lines: without our read timeout the
  // shortened default applies; without `proxy_buffering off` nginx holds events back.
  const without = (port: number, line: RegExp) => {
    const base = onLoopback(file!.after, port, 0)
      .replace(/^\s*listen 127\.0\.0\.1:0;$/m, '')
      .replace(/^server \{\n[^}]*return 301[^}]*\}\n/m, '');
    const text = base.replace(line, '');
    assert.notEqual(text, base, `the control lacks ${line}`);
    return text;
  };
  const errorLog = join(dir, 'error.log');
  const start = async () => {
    const [https, http, control, buffered] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const ours = site('ours.conf', onLoopback(file!.after, https, http));
    const controlFile = site('control-timeout.conf', without(control, /^\s*proxy_read_timeout .*$/m));
    const bufferedFile = site('control-buffering.conf', without(buffered, /^\s*proxy_buffering off;$/m));
    const conf = nginxWrapper(dir, [ours, controlFile, bufferedFile], [`proxy_read_timeout ${DEFAULT_READ_TIMEOUT};`]);
    writeFileSync(errorLog, '');
    const child = spawn(nginx, ['-c', conf, '-g', 'daemon off;'], {stdio: ['ignore', 'ignore', 'pipe']});
    children.push(child);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d));
    const log = () => `${stderr}${existsSync(errorLog) ? readFileSync(errorLog, 'utf8') : ''}`;
    try {
      for (const port of [https, control, buffered]) await listening(port, child, log);
    } catch (err) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      throw err;
    }
    return {child, https, http, control, buffered};
  };
  // A free port may be taken by someone else before nginx binds it: new ports, once.
  const started = await start().catch((err: Error) => {
    if (!/Address already in use/.test(err.message)) throw err;
    return start();
  });
  const {child, https, http, control, buffered} = started;

  const ca = readFileSync(c.cert, 'utf8');
  const [through, cut, held] = await Promise.all([
    getStream(https, ca, '/mcp', 'Bearer ours-token'),
    getStream(control, ca, '/mcp', 'Bearer control-token'),
    getStream(buffered, ca, '/mcp', 'Bearer buffered-token'),
  ]);

  assert.equal(through.status, 200);
  assert.ok(through.complete, 'our stream ends normally');
  assert.match(through.body, /data: first\n\n[\s\S]*data: second\n\n/, 'both events arrive through our config');
  // Unbuffered: the first event arrives when it is sent, not with the second one at the end.
  const [first, second] = through.arrivals;
  assert.ok(
    first !== undefined && second !== undefined && second - first > READ_TIMEOUT_MS,
    `the first event is not held back (arrivals: ${through.arrivals.join(', ')} ms)`,
  );
  assert.equal(through.hsts, 'max-age=63072000');

  assert.match(cut.body, /data: first/);
  assert.doesNotMatch(cut.body, /data: second/, `without our read timeout, nginx's ${DEFAULT_READ_TIMEOUT} default cuts the stream`);

  const [heldFirst, heldSecond] = held.arrivals;
  assert.ok(
    heldFirst !== undefined && heldSecond !== undefined && heldSecond - heldFirst < GAP_MS - READ_TIMEOUT_MS,
    `with buffering on, nginx holds the first event until the end (arrivals: ${held.arrivals.join(', ')} ms)`,
  );

  assert.ok(seen.includes('Bearer ours-token'), `the Authorization header arrives upstream (seen: ${seen.join(', ')})`);

  const redirect = await new Promise<{status: number; location: string | undefined}>((resolve, reject) => {
    const req = httpRequest({host: '127.0.0.1', port: http, path: '/mcp?x=1', headers: {Host: DOMAIN}, timeout: 5_000}, (res) => {
      res.resume();
      resolve({status: res.statusCode ?? 0, location: res.headers.location});
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', reject);
    req.end();
  });
  assert.deepEqual(redirect, {status: 301, location: `https://${DOMAIN}/mcp?x=1`});

  child.kill('SIGQUIT');
  await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
});
