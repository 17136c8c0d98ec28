// dns.resolves against a real DNS server (UDP, on 127.0.0.1) started here, and the real system
// resolver for `localhost`. Nothing leaves this machine.
import assert from 'node:assert/strict';
import {createSocket, type Socket} from 'node:dgram';
import {after, describe, test} from 'node:test';
import {resolves} from '../../src/checks/dns.js';
import {runStep} from '../../src/engine/run.js';
import type {CheckResult} from '../../src/model/types.js';
import {contextFor, tempDir} from '../support/helpers.js';

const dir = tempDir();
const run = (params: unknown, timeoutMs = 10_000, signal?: AbortSignal): Promise<CheckResult> => runStep(resolves, contextFor(dir), params, timeoutMs, signal);

const A = 1;
const AAAA = 28;
/** The zone: name -> records. Any other name is NXDOMAIN; a known name without the type is NODATA. */
const ZONE: Record<string, {[A]?: string[]; [AAAA]?: string[]}> = {
  'app.shipshape.test': {[A]: ['10.1.2.3'], [AAAA]: ['fd00:0:0:0:0:0:0:1']},
  'v4only.shipshape.test': {[A]: ['10.1.2.4']},
  'two.shipshape.test': {[A]: ['10.0.0.1', '10.0.0.2']},
};

function rdata(type: number, addr: string): Buffer {
  if (type === A) return Buffer.from(addr.split('.').map(Number));
  return Buffer.concat(addr.split(':').map((g) => Buffer.from(g.padStart(4, '0'), 'hex')));
}

/** A minimal authoritative DNS server: one question per query, A and AAAA answers. */
function answer(q: Buffer): Buffer | undefined {
  if (q.length < 12 || q.readUInt16BE(4) !== 1) return undefined;
  const labels: string[] = [];
  let at = 12;
  while (at < q.length && q[at] !== 0) {
    const len = q[at]!;
    labels.push(q.subarray(at + 1, at + 1 + len).toString('latin1'));
    at += 1 + len;
  }
  const end = at + 5; // the zero byte, QTYPE, QCLASS
  if (end > q.length) return undefined;
  const type = q.readUInt16BE(at + 1);
  const records = ZONE[labels.join('.').toLowerCase()];
  const addrs = records ? ((records as Record<number, string[] | undefined>)[type] ?? []) : [];
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.readUInt16BE(0), 0); // id
  header.writeUInt16BE(0x8000 | 0x0400 | (q.readUInt16BE(2) & 0x0100) | 0x0080 | (records ? 0 : 3), 2); // QR AA RD RA, NXDOMAIN
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(addrs.length, 6);
  const rrs = addrs.map((addr) => {
    const data = rdata(type, addr);
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0); // pointer to the question's name
    rr.writeUInt16BE(type, 2);
    rr.writeUInt16BE(1, 4); // IN
    rr.writeUInt32BE(60, 6);
    rr.writeUInt16BE(data.length, 10);
    return Buffer.concat([rr, data]);
  });
  return Buffer.concat([header, q.subarray(12, end), ...rrs]);
}

const sockets: Socket[] = [];
after(() => {
  for (const s of sockets) s.close();
});

/** A UDP socket on 127.0.0.1 that answers with `reply`, or stays silent when it returns undefined. */
function server(reply: (q: Buffer) => Buffer | undefined, onQuery?: () => void): Promise<string> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    sockets.push(s);
    s.on('message', (msg, from) => {
      onQuery?.();
      const out = reply(msg);
      if (out) s.send(out, from.port, from.address);
    });
    s.bind(0, '127.0.0.1', () => resolve(`127.0.0.1:${s.address().port}`));
  });
}

const dnsServer = await server(answer);
const silent = await server(() => undefined);

describe('dns.resolves via a given server', () => {
  test('a name with A and AAAA records resolves to both', async () => {
    const r = await run({name: 'app.shipshape.test', server: dnsServer});
    assert.equal(r.status, 'pass', r.message);
    assert.equal(r.message, `app.shipshape.test resolves to 10.1.2.3, fd00::1 via server ${dnsServer}`);
    assert.deepEqual(r.evidence, [{key: 'app.shipshape.test', detail: `resolves to 10.1.2.3, fd00::1 via server ${dnsServer}`}]);
  });

  test('expect: every listed address must be there; exact also refuses others', async () => {
    assert.equal((await run({name: 'two.shipshape.test', server: dnsServer, expect: ['10.0.0.2']})).status, 'pass');
    // IPv6 compares in canonical form.
    assert.equal((await run({name: 'app.shipshape.test', server: dnsServer, expect: ['FD00:0::1', '10.1.2.3'], exact: true})).status, 'pass');
    const missing = await run({name: 'two.shipshape.test', server: dnsServer, expect: ['10.0.0.1', '10.9.9.9']});
    assert.equal(missing.status, 'fail');
    assert.match(missing.message, /missing 10\.9\.9\.9$/);
    const extra = await run({name: 'two.shipshape.test', server: dnsServer, expect: ['10.0.0.1'], exact: true});
    assert.equal(extra.status, 'fail');
    assert.match(extra.message, /unexpected 10\.0\.0\.2$/);
  });

  test('aaaa: true needs an AAAA record', async () => {
    assert.equal((await run({name: 'app.shipshape.test', server: dnsServer, aaaa: true})).status, 'pass');
    const r = await run({name: 'v4only.shipshape.test', server: dnsServer, aaaa: true});
    assert.equal(r.status, 'fail');
    assert.match(r.message, /resolves to 10\.1\.2\.4 .*: no AAAA record/);
    assert.equal((await run({name: 'v4only.shipshape.test', server: dnsServer})).status, 'pass');
  });

  test('NXDOMAIN fails', async () => {
    const r = await run({name: 'nope.shipshape.test', server: dnsServer});
    assert.equal(r.status, 'fail');
    assert.equal(r.message, `nope.shipshape.test does not resolve via server ${dnsServer}`);
  });

  test('a server that never answers is an error within the time bound', async () => {
    const started = performance.now();
    const r = await run({name: 'app.shipshape.test', server: silent, timeoutMs: 300});
    const ms = performance.now() - started;
    assert.equal(r.status, 'error');
    assert.match(r.message, new RegExp(`cannot resolve via server ${silent}: no answer within 300 ms`));
    assert.ok(ms >= 250 && ms < 1_500, `took ${ms} ms`);
  });

  test('the step bound wins over a longer lookup timeout', async () => {
    const started = performance.now();
    const r = await run({name: 'app.shipshape.test', server: silent, timeoutMs: 20_000}, 300);
    assert.equal(r.status, 'error');
    assert.match(r.message, /did not finish within 300 ms/);
    assert.ok(performance.now() - started < 1_500);
  });

  test('the check stops when its signal aborts (here: as the query arrives)', async () => {
    const ac = new AbortController();
    const watched = await server(
      () => undefined,
      () => ac.abort(),
    );
    const params = resolves.params.parse({name: 'app.shipshape.test', server: watched, timeoutMs: 20_000});
    const started = performance.now();
    const r = await resolves.run(contextFor(dir), params, ac.signal);
    assert.equal(r.status, 'error');
    assert.match(r.message, /stopped before the lookup finished/);
    assert.ok(performance.now() - started < 1_500);
  });

  test('bad params are an error', async () => {
    assert.match((await run({name: 'x', server: 'dns.example.com'})).message, /bad params/);
    assert.match((await run({name: 'x', server: '127.0.0.1:99999'})).message, /bad params/);
    assert.match((await run({name: 'has space', server: dnsServer})).message, /bad params/);
    assert.match((await run({name: 'x', expect: ['not-an-ip']})).message, /bad params/);
    assert.match((await run({name: 'x', other: 1})).message, /bad params/);
    assert.equal((await run({name: 'app.shipshape.test', server: `[::1]:${dnsServer.split(':')[1]}`, timeoutMs: 300})).status, 'error');
  });
});

describe('dns.resolves via the system resolver', () => {
  test('localhost resolves to 127.0.0.1', async () => {
    const r = await run({name: 'localhost', expect: ['127.0.0.1']});
    assert.equal(r.status, 'pass', r.message);
    assert.match(r.message, /^localhost resolves to .*127\.0\.0\.1.* via the system resolver$/);
  });

  test('an address localhost does not have fails, naming it', async () => {
    const r = await run({name: 'localhost', expect: ['10.9.9.9']});
    assert.equal(r.status, 'fail');
    assert.match(r.message, /missing 10\.9\.9\.9/);
  });
});
