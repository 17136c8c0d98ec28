// tls.* checks against real TLS servers on loopback, with certificates made by openssl in a temp dir.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {readFileSync} from 'node:fs';
import * as net from 'node:net';
import {join} from 'node:path';
import * as tls from 'node:tls';
import {before, describe, test} from 'node:test';
import {alpn, certificate, pemFile, protocols} from '../../src/checks/tls.js';
import {runStep} from '../../src/engine/run.js';
import type {CheckResult} from '../../src/model/types.js';
import type {CheckDef} from '../../src/checks/define.js';
import {contextFor, listen, tempDir, writeFiles} from '../support/helpers.js';

const dir = tempDir('shipshape-tls-');
const ssl = (...args: string[]) => execFileSync('openssl', args, {cwd: dir, stdio: ['ignore', 'pipe', 'pipe']});
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const LEAF_EXT = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n';

/** A key and a certificate for `name`, signed by the test CA, valid `days` from now. */
function leaf(name: string, sans: string, days: number): void {
  ssl('req', '-new', ...EC, '-config', 'req.cnf', '-subj', `/CN=${sans.split(',')[0]!.replace(/^\w+:/, '')}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
  writeFiles(dir, {[`${name}.ext`]: `${LEAF_EXT}subjectAltName=${sans}\n`});
  ssl(
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-set_serial',
    String(Math.floor(Math.random() * 1e9)),
    '-days',
    String(days),
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.pem`,
  );
}

const GOOD_SANS = 'DNS:localhost,IP:127.0.0.1,IP:::1';

before(() => {
  writeFiles(dir, {
    // Our own config, so the system openssl.cnf cannot change what gets made.
    'req.cnf':
      '[req]\ndistinguished_name=dn\nprompt=no\n[dn]\nCN=x\n[v3_ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n' +
      `[v3_self]\nbasicConstraints=CA:FALSE\nsubjectAltName=${GOOD_SANS}\n`,
    // `openssl ca` is the way OpenSSL 3.0 (no x509 -not_before) sets a notAfter in the past.
    'ca.cnf':
      '[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\ndefault_md=sha256\npolicy=p\ncopy_extensions=none\nunique_subject=no\n[p]\ncommonName=supplied\n',
    'index.txt': '',
    serial: '1000\n',
  });
  ssl(
    'req',
    '-x509',
    ...EC,
    '-config',
    'req.cnf',
    '-extensions',
    'v3_ca',
    '-subj',
    '/CN=Shipshape Test CA',
    '-days',
    '3650',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
  );
  leaf('good', GOOD_SANS, 90);
  leaf('soon', GOOD_SANS, 5);
  leaf('wrong', 'DNS:wrong.example', 90);
  ssl('req', '-new', ...EC, '-config', 'req.cnf', '-subj', '/CN=localhost', '-keyout', 'expired.key', '-out', 'expired.csr');
  writeFiles(dir, {'expired.ext': `${LEAF_EXT}subjectAltName=${GOOD_SANS}\n`});
  ssl(
    'ca',
    '-batch',
    '-config',
    'ca.cnf',
    '-cert',
    'ca.pem',
    '-keyfile',
    'ca.key',
    '-in',
    'expired.csr',
    '-out',
    'expired.pem',
    '-notext',
    '-startdate',
    '20200101000000Z',
    '-enddate',
    '20200201000000Z',
    '-extfile',
    'expired.ext',
  );
  ssl(
    'req',
    '-x509',
    ...EC,
    '-config',
    'req.cnf',
    '-extensions',
    'v3_self',
    '-subj',
    '/CN=localhost',
    '-days',
    '90',
    '-keyout',
    'self.key',
    '-out',
    'self.pem',
  );
  writeFiles(dir, {
    'chain.pem': readFileSync(join(dir, 'good.pem'), 'utf8') + readFileSync(join(dir, 'ca.pem'), 'utf8'),
    'broken.pem': '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n',
  });
});

/** A TLS server with one of the certificates above; records each SNI name a client sent. */
function tlsServer(name: string, extra: tls.TlsOptions = {}, host = '127.0.0.1'): Promise<number> & {sni: string[]} {
  const sni: string[] = [];
  const options: tls.TlsOptions = {
    key: readFileSync(join(dir, `${name}.key`)),
    cert: readFileSync(join(dir, `${name}.pem`)),
    // Runs on the ClientHello, so it sees the name even when the client hangs up right after its handshake.
    SNICallback: (servername, cb) => {
      sni.push(servername);
      cb(null, undefined);
    },
    ...extra,
  };
  const srv = tls.createServer(options, (s) => s.on('error', () => undefined));
  srv.on('tlsClientError', () => undefined);
  return Object.assign(listen(srv, host), {sni});
}

/** Accepts connections and never says a word. */
const silent = () => listen(net.createServer(() => undefined));

/** A port that was just open and is now closed: connecting is refused. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  const port = await new Promise<number>((r) => srv.listen(0, '127.0.0.1', () => r((srv.address() as net.AddressInfo).port)));
  await new Promise((r) => srv.close(r));
  return port;
}

const ctx = () => contextFor(dir);
const run = (def: CheckDef, params: Record<string, unknown>, timeoutMs = 10_000) => runStep(def, ctx(), params, timeoutMs);
const details = (r: CheckResult) => r.evidence.map((e) => e.detail).join('\n');

async function ipv6Available(): Promise<boolean> {
  const srv = net.createServer();
  return new Promise((resolve) => {
    srv.once('error', () => resolve(false));
    srv.listen(0, '::1', () => srv.close(() => resolve(true)));
  });
}

describe('tls.certificate', () => {
  test('a leaf signed by the given CA, for the host, valid 90 days passes with its details', async () => {
    const srv = tlsServer('good', {ALPNProtocols: ['h2', 'http/1.1']});
    const port = await srv;
    const r = await run(certificate, {host: 'localhost', port, caFile: 'ca.pem'});
    assert.equal(r.status, 'pass', r.message);
    assert.match(r.message, new RegExp(`^localhost:${port}: trusted certificate for localhost, 8\\d days left`));
    const d = details(r);
    assert.match(d, /subject CN=localhost; issuer CN=Shipshape Test CA/);
    assert.match(d, /names DNS:localhost, IP Address:127\.0\.0\.1/);
    assert.match(d, /notAfter \d{4}-\d\d-\d\d: 8\d days left \(minimum 14\)/);
    assert.match(d, /TLSv1\.3, ALPN h2, SNI localhost/);
    assert.match(d, /chain trusted by caFile ca\.pem/);
    assert.ok(r.evidence.some((e) => e.file === 'ca.pem'));
    assert.deepEqual(srv.sni, ['localhost']);
  });

  test('servername is sent as SNI and checked, while connecting to an IP; an IP host sends no SNI', async () => {
    const srv = tlsServer('good');
    const port = await srv;
    const byName = await run(certificate, {host: '127.0.0.1', port, servername: 'localhost', caFile: join(dir, 'ca.pem')});
    assert.equal(byName.status, 'pass', byName.message);
    const byIp = await run(certificate, {host: '127.0.0.1', port, caFile: 'ca.pem'});
    assert.equal(byIp.status, 'pass', byIp.message);
    assert.match(details(byIp), /no SNI \(IP address\)/);
    assert.deepEqual(srv.sni, ['localhost'], 'only the first connection sent SNI');
  });

  test('an expired certificate fails and says when it expired', async () => {
    const port = await tlsServer('expired');
    const r = await run(certificate, {host: '127.0.0.1', port, caFile: 'ca.pem'});
    assert.equal(r.status, 'fail');
    assert.match(r.message, /certificate expired on 2020-02-01/);
    assert.match(details(r), /notAfter 2020-02-01: expired \d+ days ago/);
  });

  test('a certificate for another name fails, naming the name it lacks', async () => {
    const port = await tlsServer('wrong');
    const r = await run(certificate, {host: 'localhost', port, caFile: 'ca.pem'});
    assert.equal(r.status, 'fail');
    assert.match(r.message, /does not cover localhost/);
    assert.match(details(r), /names DNS:wrong\.example/);
  });

  test('a self-signed certificate fails against the root store and passes with itself as caFile', async () => {
    const port = await tlsServer('self');
    const untrusted = await run(certificate, {host: 'localhost', port});
    assert.equal(untrusted.status, 'fail');
    assert.match(untrusted.message, /not trusted by Node's root store: the certificate is self-signed/);
    assert.match(details(untrusted), /DEPTH_ZERO_SELF_SIGNED_CERT/);
    const trusted = await run(certificate, {host: 'localhost', port, caFile: 'self.pem'});
    assert.equal(trusted.status, 'pass', trusted.message);
  });

  test('a CA-signed leaf without caFile is not trusted: the test CA is in no root store', async () => {
    const port = await tlsServer('good');
    const r = await run(certificate, {host: 'localhost', port});
    assert.equal(r.status, 'fail');
    assert.match(r.message, /no trusted issuer for the certificate/);
    assert.match(details(r), /UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
  });

  test('expiring inside minDays warns by default, fails when the pack says so, passes under a lower minimum', async () => {
    const port = await tlsServer('soon');
    const warn = await run(certificate, {host: 'localhost', port, caFile: 'ca.pem'});
    assert.equal(warn.status, 'warn');
    assert.match(warn.message, /expires in [45] days .* under the 14-day minimum/);
    const fail = await run(certificate, {host: 'localhost', port, caFile: 'ca.pem', expiring: 'fail'});
    assert.equal(fail.status, 'fail');
    const pass = await run(certificate, {host: 'localhost', port, caFile: 'ca.pem', minDays: 3});
    assert.equal(pass.status, 'pass', pass.message);
  });

  test('a missing caFile is an error naming it; unknown params are refused', async () => {
    const r = await run(certificate, {host: '127.0.0.1', port: 1, caFile: 'nope.pem'});
    assert.equal(r.status, 'error');
    assert.match(r.message, /caFile nope\.pem does not exist/);
    const bad = await run(certificate, {host: '127.0.0.1', port: 1, requireH3: true});
    assert.equal(bad.status, 'error');
    assert.match(bad.message, /bad params/);
  });

  test('works over IPv6 loopback', async (t) => {
    if (!(await ipv6Available())) return t.skip('::1 cannot be bound on this machine');
    const port = await tlsServer('good', {}, '::1');
    const r = await run(certificate, {host: '::1', port, caFile: 'ca.pem'});
    assert.equal(r.status, 'pass', r.message);
    assert.match(r.message, new RegExp(`^\\[::1\\]:${port}: trusted certificate for ::1`));
  });

  test('something that is not TLS is an error with host:port', async () => {
    const srv = net.createServer((s) => s.on('data', () => s.end('HTTP/1.1 400 Bad Request\r\n\r\n')));
    const port = await listen(srv);
    const r = await run(certificate, {host: '127.0.0.1', port});
    assert.equal(r.status, 'error');
    assert.match(r.message, new RegExp(`^127\\.0\\.0\\.1:${port}: TLS handshake failed`));
  });
});

describe('tls.protocols', () => {
  test('a default Node server (TLS 1.2+) refuses the legacy probe: pass', async () => {
    const port = await tlsServer('good');
    const r = await run(protocols, {host: '127.0.0.1', port});
    assert.equal(r.status, 'pass', r.message);
    assert.match(details(r), /negotiates TLSv1\.3/);
    assert.match(details(r), /offering only TLS 1\.0-1\.1 was refused/);
  });

  test('a TLS 1.1-only server fails', async () => {
    const port = await tlsServer('good', {minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0'});
    const r = await run(protocols, {host: '127.0.0.1', port});
    assert.equal(r.status, 'fail', r.message);
    assert.match(r.message, /accepts TLSv1\.1, and no current version/);
    assert.match(details(r), /a current client \(TLS 1\.2\+\) failed: .*protocol version/);
  });

  test('a current server that still allows TLS 1.0 and 1.1 fails', async () => {
    const port = await tlsServer('good', {minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0'});
    const r = await run(protocols, {host: '127.0.0.1', port});
    assert.equal(r.status, 'fail', r.message);
    assert.equal(r.message, `127.0.0.1:${port} accepts TLSv1.1`);
    assert.match(details(r), /a current client negotiates TLSv1\.3/);
  });

  test('a TLS 1.0-only server fails', async () => {
    const port = await tlsServer('good', {minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0'});
    const r = await run(protocols, {host: '127.0.0.1', port});
    assert.equal(r.status, 'fail', r.message);
    assert.equal(r.message, `127.0.0.1:${port} accepts TLSv1, and no current version`);
  });
});

describe('tls.alpn', () => {
  test('h2 selected passes; http/1.1 only or no ALPN fails', async () => {
    const h2 = await tlsServer('good', {ALPNProtocols: ['h2', 'http/1.1']});
    const h1 = await tlsServer('good', {ALPNProtocols: ['http/1.1']});
    const none = await tlsServer('good');
    const ok = await run(alpn, {host: '127.0.0.1', port: h2});
    assert.equal(ok.status, 'pass', ok.message);
    assert.match(details(ok), /offered h2, http\/1\.1; server selected h2 over TLSv1\.3/);
    const only1 = await run(alpn, {host: '127.0.0.1', port: h1});
    assert.equal(only1.status, 'fail');
    assert.match(only1.message, /does not select h2 \(got http\/1\.1\)/);
    const no = await run(alpn, {host: '127.0.0.1', port: none});
    assert.equal(no.status, 'fail');
    assert.match(no.message, /got no ALPN/);
  });
});

describe('tls: bounded in time, refused, aborted', () => {
  const network: [string, CheckDef][] = [
    ['tls.certificate', certificate],
    ['tls.protocols', protocols],
    ['tls.alpn', alpn],
  ];

  for (const [id, def] of network) {
    test(`${id}: a server that never answers is an error within its own timeout`, async () => {
      const port = await silent();
      const started = performance.now();
      const r = await run(def, {host: '127.0.0.1', port, timeoutMs: 300}, 10_000);
      const ms = performance.now() - started;
      assert.equal(r.status, 'error');
      assert.match(r.message, new RegExp(`^127\\.0\\.0\\.1:${port}: TLS handshake failed: no TLS handshake within the time limit`));
      assert.ok(ms < 2_000, `took ${ms} ms`);
    });

    test(`${id}: connection refused is an error at once`, async () => {
      const port = await closedPort();
      const started = performance.now();
      const r = await run(def, {host: '127.0.0.1', port});
      assert.equal(r.status, 'error');
      assert.equal(r.message, `127.0.0.1:${port}: TLS handshake failed: connection refused`);
      assert.ok(performance.now() - started < 2_000);
    });
  }

  test('aborting the signal ends the check and closes its socket', {timeout: 5_000}, async () => {
    const ac = new AbortController();
    let closed!: Promise<void>;
    const port = await listen(
      net.createServer((s) => {
        closed = new Promise((r) => s.on('close', () => r()));
        ac.abort();
      }),
    );
    const r = await certificate.run(ctx(), certificate.params.parse({host: '127.0.0.1', port}), ac.signal);
    assert.equal(r.status, 'error');
    assert.match(r.message, /stopped before the handshake finished/);
    await closed; // the server sees the client's socket go away; otherwise this test times out
  });
});

describe('tls.pem-file', () => {
  test('a valid certificate with its key, covering the hosts, passes', async () => {
    const r = await run(pemFile, {file: 'good.pem', keyFile: 'good.key', hosts: ['localhost', '127.0.0.1', '::1']});
    assert.equal(r.status, 'pass', r.message);
    assert.match(r.message, /^good\.pem: certificate valid for 8\d more days, key matches$/);
    assert.match(details(r), /private key matches/);
    assert.match(details(r), /covers ::1/);
  });

  test('the private key never appears in the result', async () => {
    const key = readFileSync(join(dir, 'good.key'), 'utf8');
    const body = key
      .split('\n')
      .filter((l) => l && !l.startsWith('-----'))
      .join('');
    for (const keyFile of ['good.key', 'wrong.key']) {
      const text = JSON.stringify(await run(pemFile, {file: 'good.pem', keyFile}));
      assert.ok(!text.includes('PRIVATE KEY'));
      for (let i = 0; i + 12 <= body.length; i += 6) assert.ok(!text.includes(body.slice(i, i + 12)), 'part of the key appears');
    }
  });

  test('a key of another certificate fails', async () => {
    const r = await run(pemFile, {file: 'good.pem', keyFile: 'wrong.key'});
    assert.equal(r.status, 'fail');
    assert.match(r.message, /wrong\.key is not the key of this certificate/);
  });

  test('a host the certificate does not cover fails', async () => {
    const r = await run(pemFile, {file: 'wrong.pem', hosts: ['wrong.example', 'auth.example.com']});
    assert.equal(r.status, 'fail');
    assert.equal(r.message, 'wrong.pem: does not cover auth.example.com');
  });

  test('expired fails; expiring soon warns', async () => {
    const expired = await run(pemFile, {file: 'expired.pem'});
    assert.equal(expired.status, 'fail');
    assert.match(expired.message, /expired on 2020-02-01/);
    const soon = await run(pemFile, {file: 'soon.pem', minDays: 30});
    assert.equal(soon.status, 'warn');
  });

  test('a chain file is read by its first certificate', async () => {
    const r = await run(pemFile, {file: join(dir, 'chain.pem'), keyFile: 'good.key'});
    assert.equal(r.status, 'pass', r.message);
    assert.match(details(r), /2 certificates; the first is judged/);
  });

  test('malformed PEM, a file with no certificate, a missing file, an encrypted key and a non-key are errors', async () => {
    const broken = await run(pemFile, {file: 'broken.pem'});
    assert.equal(broken.status, 'error');
    assert.match(broken.message, /^broken\.pem: the certificate does not parse/);
    const keyOnly = await run(pemFile, {file: 'good.key'});
    assert.equal(keyOnly.status, 'error');
    assert.match(keyOnly.message, /holds no PEM certificate/);
    assert.ok(!JSON.stringify(keyOnly).includes('PRIVATE KEY'));
    const missing = await run(pemFile, {file: 'missing.pem'});
    assert.equal(missing.status, 'error');
    assert.equal(missing.message, 'missing.pem does not exist');
    ssl('pkey', '-in', 'good.key', '-aes256', '-passout', 'pass:test-only', '-out', 'encrypted.key');
    const encrypted = await run(pemFile, {file: 'good.pem', keyFile: 'encrypted.key'});
    assert.equal(encrypted.status, 'error');
    assert.equal(encrypted.message, 'encrypted.key: the key is encrypted; cannot compare without its passphrase');
    const notKey = await run(pemFile, {file: 'good.pem', keyFile: 'ca.pem'});
    assert.equal(notKey.status, 'error');
    assert.match(notKey.message, /^ca\.pem: not a readable private key/);
  });
});
