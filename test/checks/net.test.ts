// net.* checks against real sockets on this machine: real listeners on 127.0.0.1, 0.0.0.0,
// ::1 and ::, the real `ss`, the real /proc/net files. Only 127.0.0.1 and ::1 are ever connected to.
import assert from 'node:assert/strict';
import {createSocket, type Socket as UdpSocket} from 'node:dgram';
import {createServer, type Server} from 'node:net';
import {after, describe, test} from 'node:test';
import {Worker} from 'node:worker_threads';
import {listening, reachable} from '../../src/checks/net.js';
import {runStep} from '../../src/engine/run.js';
import type {CheckResult} from '../../src/model/types.js';
import type {CheckDef} from '../../src/checks/define.js';
import {contextFor, tempDir, withEmptyPath} from '../support/helpers.js';

const dir = tempDir();
const run = (def: CheckDef, params: unknown, timeoutMs = 10_000, signal?: AbortSignal): Promise<CheckResult> =>
  runStep(def, contextFor(dir), params, timeoutMs, signal);

const open: (Server | UdpSocket)[] = [];
after(() => {
  for (const s of open) s.close();
});

function tcp(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      open.push(s);
      resolve((s.address() as {port: number}).port);
    });
  });
}

function udp(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    s.once('error', reject);
    s.bind(0, host, () => {
      open.push(s);
      resolve(s.address().port);
    });
  });
}

/** A port nothing listens on: bound, read, released. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const {port} = s.address() as {port: number};
      s.close(() => resolve(port));
    });
  });
}

const ipv6 = await new Promise<boolean>((resolve) => {
  const s = createServer();
  s.once('error', () => resolve(false));
  s.listen(0, '::1', () => s.close(() => resolve(true)));
});
const noV6 = ipv6 ? false : 'no ::1 on this machine';

const lo4 = await tcp('127.0.0.1');
const any4 = await tcp('0.0.0.0');
const lo6 = ipv6 ? await tcp('::1') : 0;
const any6 = ipv6 ? await tcp('::') : 0;
const udpLo = await udp('127.0.0.1');
const udpAny = await udp('0.0.0.0');
const nobody = await freePort();
const me = `node pid ${process.pid}`;

function details(r: CheckResult): string {
  return r.evidence.map((e) => `${e.key} ${e.detail}`).join('\n');
}

for (const via of ['ss', 'proc'] as const) {
  describe(`net.listening via ${via}`, () => {
    test('a socket on 127.0.0.1 passes, with its address and process', async () => {
      const r = await run(listening, {ports: lo4, via});
      assert.equal(r.status, 'pass', r.message);
      assert.equal(r.evidence.length, 1);
      assert.equal(r.evidence[0]!.key, `tcp/${lo4}`);
      assert.equal(r.evidence[0]!.detail, `127.0.0.1:${lo4} (${me}): loopback only`);
      assert.match(r.message, via === 'ss' ? /from ss -H -ltnp/ : /from \/proc\/net\/tcp and \/proc\/net\/tcp6/);
    });

    test('a socket on 0.0.0.0 fails when only loopback is allowed, with the Docker caveat', async () => {
      const r = await run(listening, {ports: [any4], via});
      assert.equal(r.status, 'fail');
      assert.match(r.message, /1 sockets listen beyond loopback/);
      assert.match(r.message, /Docker publishes ports through its own iptables rules.*ufw/);
      assert.match(details(r), new RegExp(`^tcp/${any4} 0\\.0\\.0\\.0:${any4} \\(${me}\\): listens on every interface, beyond loopback$`));
    });

    test('allow: any accepts 0.0.0.0; allow: private still refuses a wildcard', async () => {
      assert.equal((await run(listening, {ports: [any4], allow: 'any', via})).status, 'pass');
      assert.equal((await run(listening, {ports: [any4], allow: 'private', via})).status, 'fail');
      assert.equal((await run(listening, {ports: [lo4], allow: 'private', via})).status, 'pass');
    });

    test('several ports: each is reported, one exposed port fails the check', async () => {
      const r = await run(listening, {ports: [lo4, any4, nobody], via});
      assert.equal(r.status, 'fail');
      const d = details(r);
      assert.match(d, new RegExp(`tcp/${lo4} 127\\.0\\.0\\.1:${lo4}.*loopback only`));
      assert.match(d, new RegExp(`tcp/${any4} 0\\.0\\.0\\.0:${any4}`));
      assert.match(d, new RegExp(`tcp/${nobody} nothing listens on tcp/${nobody}`));
    });

    test('nothing listening passes unless mustListen', async () => {
      const quiet = await run(listening, {ports: [nobody], via});
      assert.equal(quiet.status, 'pass');
      assert.match(quiet.message, new RegExp(`nothing listens on tcp/${nobody}.*userland-proxy`));
      const must = await run(listening, {ports: [nobody], mustListen: true, via});
      assert.equal(must.status, 'fail');
      assert.match(must.message, new RegExp(`nothing listens on tcp/${nobody}`));
      assert.doesNotMatch(must.message, /Docker/);
      assert.equal((await run(listening, {ports: [lo4], mustListen: true, via})).status, 'pass');
    });

    test('::1 is loopback, :: is every interface', {skip: noV6}, async () => {
      const a = await run(listening, {ports: [lo6], via});
      assert.equal(a.status, 'pass', a.message);
      assert.equal(a.evidence[0]!.detail, `[::1]:${lo6} (${me}): loopback only`);
      const b = await run(listening, {ports: [any6], via});
      assert.equal(b.status, 'fail');
      // ss prints a dual-stack [::] socket as *; /proc/net/tcp6 has it as all zeros.
      assert.match(details(b), new RegExp(`(\\*|\\[::\\]):${any6} \\(${me}\\): listens on every interface`));
    });

    test('udp: a socket bound to 127.0.0.1 passes, to 0.0.0.0 fails', async () => {
      const a = await run(listening, {ports: [udpLo], protocol: 'udp', via});
      assert.equal(a.status, 'pass', a.message);
      assert.equal(a.evidence[0]!.key, `udp/${udpLo}`);
      assert.equal(a.evidence[0]!.detail, `127.0.0.1:${udpLo} (${me}): loopback only`);
      const b = await run(listening, {ports: [udpAny], protocol: 'udp', via});
      assert.equal(b.status, 'fail');
      assert.match(details(b), new RegExp(`0\\.0\\.0\\.0:${udpAny}`));
      // A UDP port is not a TCP port.
      assert.match((await run(listening, {ports: [udpAny], via})).message, /nothing listens/);
    });
  });
}

describe('net.listening without ss', () => {
  test('auto falls back to /proc/net and says why', async () => {
    const r = await withEmptyPath(() => run(listening, {ports: [lo4, any4]}));
    assert.equal(r.status, 'fail');
    assert.match(r.message, /from \/proc\/net\/tcp and \/proc\/net\/tcp6; ss is not installed/);
    assert.match(details(r), new RegExp(`127\\.0\\.0\\.1:${lo4} \\(${me}\\): loopback only`));
    assert.match(details(r), new RegExp(`0\\.0\\.0\\.0:${any4} \\(${me}\\): listens on every interface`));
  });

  test('via: ss skips when ss is missing', async () => {
    const r = await withEmptyPath(() => run(listening, {ports: [lo4], via: 'ss'}));
    assert.equal(r.status, 'skip');
    assert.match(r.message, /ss is not installed/);
  });
});

describe('net.listening params and bounds', () => {
  test('bad params are an error, not a throw', async () => {
    assert.match((await run(listening, {ports: [70000]})).message, /bad params/);
    assert.match((await run(listening, {ports: [80], bogus: 1})).message, /bad params/);
    assert.match((await run(listening, {ports: []})).message, /bad params/);
    assert.equal((await run(listening, {ports: [80], protocol: 'sctp'})).status, 'error');
  });

  test('parsing the params twice (pack load, then run) gives the same params', () => {
    const once = listening.params.parse({ports: 80});
    assert.deepEqual(listening.params.parse(once), once);
    assert.deepEqual(once, {ports: [80], protocol: 'tcp', allow: 'loopback', mustListen: false, via: 'auto'});
  });

  test('a caller that gives up gets skip at once', async () => {
    const ac = new AbortController();
    ac.abort();
    const r = await run(listening, {ports: [lo4]}, 10_000, ac.signal);
    assert.equal(r.status, 'skip');
  });
});

/**
 * A TCP listener on 127.0.0.1 whose backlog is full: a worker thread listens with backlog 1 and
 * then blocks, so nothing accepts; once the queue is full the kernel drops further SYNs.
 */
async function blackhole(): Promise<{port: number; close: () => Promise<void>}> {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const w = new Worker(
    `const {workerData, parentPort} = require('node:worker_threads');
     const s = require('node:net').createServer().listen({port: 0, host: '127.0.0.1', backlog: 1}, () => {
       parentPort.postMessage(s.address().port);
       setImmediate(() => Atomics.wait(workerData, 0, 0));
     });`,
    {eval: true, workerData: flag},
  );
  const port = await new Promise<number>((resolve) => w.once('message', resolve));
  return {
    port,
    close: async () => {
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
      await w.terminate();
    },
  };
}

describe('net.reachable', () => {
  test('a listener on 127.0.0.1 is open', async () => {
    const r = await run(reachable, {port: lo4});
    assert.equal(r.status, 'pass');
    assert.deepEqual(r.evidence, [{key: `127.0.0.1:${lo4}`, detail: `connected to 127.0.0.1:${lo4}`}]);
    const c = await run(reachable, {port: lo4, expect: 'closed'});
    assert.equal(c.status, 'fail');
    assert.match(c.message, /should be closed/);
  });

  test('::1 is open', {skip: noV6}, async () => {
    const r = await run(reachable, {host: '::1', port: lo6});
    assert.equal(r.status, 'pass', r.message);
    assert.equal(r.evidence[0]!.key, `[::1]:${lo6}`);
  });

  test('a port nothing listens on is refused: closed', async () => {
    const c = await run(reachable, {port: nobody, expect: 'closed'});
    assert.equal(c.status, 'pass');
    assert.match(c.message, /refuses connections/);
    const o = await run(reachable, {port: nobody});
    assert.equal(o.status, 'fail');
    assert.match(o.message, /refuses connections: nothing listens there/);
  });

  test('no answer: error by default, closed with timeoutMeans: closed, always within the bound', async (t) => {
    const hole = await blackhole();
    t.after(hole.close);
    // Fill the accept queue: connections made by the check stay queued, since nobody accepts.
    let r: CheckResult | undefined;
    for (let i = 0; i < 16 && r?.status !== 'error'; i++) r = await run(reachable, {port: hole.port, connectTimeoutMs: 300});
    assert.equal(r?.status, 'error', 'the backlog never filled');
    assert.match(r!.message, /no answer within 300 ms; a firewall may drop/);

    let started = performance.now();
    const closed = await run(reachable, {port: hole.port, expect: 'closed', connectTimeoutMs: 300, timeoutMeans: 'closed'});
    assert.equal(closed.status, 'pass');
    assert.match(closed.message, /treated as closed/);
    assert.ok(performance.now() - started < 2_000);

    const openWanted = await run(reachable, {port: hole.port, connectTimeoutMs: 300, timeoutMeans: 'closed'});
    assert.equal(openWanted.status, 'fail');

    // The step's own bound cuts a longer connect timeout short.
    started = performance.now();
    const bounded = await run(reachable, {port: hole.port, connectTimeoutMs: 20_000}, 400);
    assert.equal(bounded.status, 'error');
    assert.match(bounded.message, /did not finish within 400 ms/);
    assert.ok(performance.now() - started < 2_000);
  });

  test('bad params are an error', async () => {
    assert.match((await run(reachable, {port: 0})).message, /bad params/);
    assert.match((await run(reachable, {port: 80, expect: 'maybe'})).message, /bad params/);
  });
});
