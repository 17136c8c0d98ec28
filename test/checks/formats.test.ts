// format.* checks against real .env, Compose and Helm values files in temp dirs, with real keys
// made by node:crypto. Every result that involves a secret is searched for that secret.
import assert from 'node:assert/strict';
import {createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes} from 'node:crypto';
import {describe, test} from 'node:test';
import * as formats from '../../src/checks/formats.js';
import {runStep} from '../../src/engine/run.js';
import type {CheckResult} from '../../src/model/types.js';
import type {CheckDef} from '../../src/checks/define.js';
import {contextFor, dirWith, evidenceAt, lines, places} from '../support/helpers.js';

function run(def: CheckDef, d: string, params: Record<string, unknown>, files: Record<string, unknown> = {}): Promise<CheckResult> {
  return runStep(def, contextFor(d, files), params, 5000);
}

/** No secret (nor any 8-character slice of one, nor a PEM body line) appears anywhere in the result. */
function assertNoLeak(r: CheckResult, secrets: readonly string[]): void {
  const text = JSON.stringify(r);
  for (const s of secrets) {
    assert.ok(s.length >= 8, 'test secret too short to search for');
    assert.ok(!text.includes(s), `a secret (${s.length} chars) appears in the result`);
    for (const part of s.split('\n').filter((l) => l.length >= 16 && !l.startsWith('-----'))) {
      assert.ok(!text.includes(part), 'a line of a secret appears in the result');
    }
    const flat = s.replace(/-----[A-Z ]+-----|\s/g, '');
    for (let i = 0; i + 8 <= flat.length; i += 4) assert.ok(!text.includes(flat.slice(i, i + 8)), `part of a secret appears in the result: ${text}`);
  }
}

test('the leak detector catches a whole secret and a slice of one', () => {
  const s = randomBytes(32).toString('base64');
  assert.throws(() => assertNoLeak({status: 'pass', message: s, evidence: []}, [s]));
  assert.throws(() => assertNoLeak({status: 'pass', message: 'ok', evidence: [{detail: `x${s.slice(9, 21)}x`}]}, [s]));
  assert.doesNotThrow(() => assertNoLeak({status: 'pass', message: 'ok', evidence: [{detail: '44 chars, a-z A-Z 0-9 symbols'}]}, [s]));
});

test('the module exports only check definitions, all in the format family', () => {
  const defs = Object.values(formats) as CheckDef[];
  assert.ok(defs.length >= 10);
  for (const d of defs) {
    assert.match(d.id, /^format\.[a-z0-9-]+$/);
    assert.equal(typeof d.run, 'function');
  }
  assert.equal(new Set(defs.map((d) => d.id)).size, defs.length);
});

// ---------------------------------------------------------------------------------------------

describe('format.base64', () => {
  const raw = randomBytes(32);
  // Make sure the key uses characters that differ between alphabets, so both spellings are tested.
  raw[0] = 0xfb;
  raw[1] = 0xff;
  const STD = raw.toString('base64'); // with = padding, + and /
  const URLSAFE = raw.toString('base64url'); // no padding, - and _
  const SHORT = randomBytes(31).toString('base64');
  const LONG = randomBytes(33).toString('base64');
  const SECRETS = [STD, URLSAFE, SHORT, LONG];

  test('every copy, in .env and Compose, standard or url-safe, padded or not, passes at its place', async () => {
    const d = dirWith({
      '.env': lines('# keys', `MASTER_KEY=${STD}`),
      'compose.yaml': lines('services:', '  api:', '    image: api:1.0.0', '    environment:', `      MASTER_KEY: "${URLSAFE}"`),
    });
    const r = await run(formats.base64, d, {keys: ['MASTER_KEY']});
    assert.equal(r.status, 'pass', r.message);
    assert.deepEqual(places(r), [
      ['.env', 2, 'MASTER_KEY'],
      ['compose.yaml', 5, 'MASTER_KEY'],
    ]);
    assert.match(r.message, /every copy \(2\)/);
    assertNoLeak(r, SECRETS);
  });

  test('each wrong copy fails at its own line with what is wrong', async () => {
    const d = dirWith({
      '.env': lines(
        `A=${STD}`, //                       1 good
        `B=${SHORT}`, //                     2 31 bytes
        `C=${LONG}`, //                      3 33 bytes
        `D=${STD.slice(0, 20)}!${STD.slice(21)}`, // 4 a stray character
        `E=${URLSAFE.slice(0, 10)}+${URLSAFE.slice(11)}`, // 5 mixed alphabets (URLSAFE has - or _)
        `F=${STD.replace(/=*$/, '')}===`, //  6 too much padding
      ),
    });
    const r = await run(formats.base64, d, {keys: ['A', 'B', 'C', 'D', 'E', 'F']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['.env', 2, 'B'],
      ['.env', 3, 'C'],
      ['.env', 4, 'D'],
      ['.env', 5, 'E'],
      ['.env', 6, 'F'],
    ]);
    assert.match(evidenceAt(r, '.env', 2, 'B').detail, /decodes to 31 bytes, not 32/);
    assert.match(evidenceAt(r, '.env', 3, 'C').detail, /decodes to 33 bytes, not 32/);
    assert.match(evidenceAt(r, '.env', 4, 'D').detail, /character 21 is not a base64 character/);
    assert.match(evidenceAt(r, '.env', 5, 'E').detail, /mixes the standard/);
    assert.match(evidenceAt(r, '.env', 6, 'F').detail, /padding/);
    assert.match(r.message, /5 of 6 copies are wrong/);
    assertNoLeak(r, [...SECRETS, `${STD.slice(0, 20)}!${STD.slice(21)}`]);
  });

  test('bytes sets the length; alphabet can insist on one spelling', async () => {
    const k24 = randomBytes(24).toString('base64url');
    const d = dirWith({'.env': lines(`K=${k24}`, `S=${STD}`, `U=${URLSAFE}`)});
    assert.equal((await run(formats.base64, d, {keys: ['K'], bytes: 24})).status, 'pass');
    assert.equal((await run(formats.base64, d, {keys: ['K']})).status, 'fail');
    const std = await run(formats.base64, d, {keys: ['S', 'U'], alphabet: 'standard'});
    assert.equal(std.status, 'fail');
    assert.deepEqual(places(std), [['.env', 3, 'U']]);
    assert.match(std.evidence[0]!.detail, /url-safe alphabet/);
    assertNoLeak(std, [...SECRETS, k24]);
  });

  test('secret: false shows the value; the default shows only its shape', async () => {
    const d = dirWith({'.env': lines(`K=${SHORT}`)});
    const hidden = await run(formats.base64, d, {keys: ['K']});
    assertNoLeak(hidden, [SHORT]);
    const shown = await run(formats.base64, d, {keys: ['K'], secret: false});
    assert.ok(JSON.stringify(shown).includes(SHORT));
  });

  test('not set: fail when required, else skip; an empty copy counts as not set unless required', async () => {
    const none = dirWith({'.env': lines('OTHER=1')});
    const req = await run(formats.base64, none, {keys: ['MASTER_KEY'], required: true});
    assert.equal(req.status, 'fail');
    assert.match(req.message, /MASTER_KEY is not set anywhere/);
    assert.equal((await run(formats.base64, none, {keys: ['MASTER_KEY']})).status, 'skip');

    const empty = dirWith({'.env': lines('MASTER_KEY=')});
    const skip = await run(formats.base64, empty, {keys: ['MASTER_KEY']});
    assert.equal(skip.status, 'skip');
    assert.deepEqual(places(skip), [['.env', 1, 'MASTER_KEY']]);
    const fail = await run(formats.base64, empty, {keys: ['MASTER_KEY'], required: true});
    assert.equal(fail.status, 'fail');
    assert.match(evidenceAt(fail, '.env', 1, 'MASTER_KEY').detail, /empty/);
  });

  test('a malformed .env is an error naming the file and line', async () => {
    const d = dirWith({'.env': lines(`MASTER_KEY=${STD}`, 'this is not an assignment')});
    const r = await run(formats.base64, d, {keys: ['MASTER_KEY']});
    assert.equal(r.status, 'error');
    assert.deepEqual(places(r), [['.env', 2, undefined]]);
    assertNoLeak(r, [STD]);
  });

  test('a malformed Compose file is an error too', async () => {
    const d = dirWith({'.env': lines(`MASTER_KEY=${STD}`), 'compose.yaml': 'services:\n  api: [unclosed\n'});
    const r = await run(formats.base64, d, {keys: ['MASTER_KEY']});
    assert.equal(r.status, 'error');
    assert.equal(r.evidence[0]?.file, 'compose.yaml');
  });

  test('Helm values copies are checked with their line', async () => {
    const d = dirWith({'values.yaml': lines('app:', '  secrets:', `    masterKey: "${SHORT}"`)});
    const r = await run(formats.base64, d, {helm: ['app.secrets.masterKey']}, {helmValues: ['values.yaml']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['values.yaml', 3, 'app.secrets.masterKey']]);
    assertNoLeak(r, [SHORT]);
  });

  test('bad params are an error', async () => {
    const r = await run(formats.base64, dirWith({}), {keys: ['K'], bytes: 0});
    assert.equal(r.status, 'error');
    assert.match(r.message, /bad params/);
  });
});

// ---------------------------------------------------------------------------------------------

function x25519Pair(): {priv: Buffer; pub: Buffer} {
  const {privateKey} = generateKeyPairSync('x25519');
  const jwk = privateKey.export({format: 'jwk'});
  return {priv: Buffer.from(jwk.d!, 'base64url'), pub: Buffer.from(jwk.x!, 'base64url')};
}

describe('format.x25519-keypair', () => {
  const A = x25519Pair();
  const B = x25519Pair();
  const A_PRIV = A.priv.toString('base64');
  const B_PRIV = B.priv.toString('base64');
  const SECRETS = [A_PRIV, A.priv.toString('base64url'), B_PRIV];
  const params = {keys: ['SEALED_BOX_PRIVATE_KEY'], publicKey: {keys: ['SEALED_BOX_PUBLIC_KEY']}};

  test('the public key node derived passes, written in either alphabet, in .env and Compose', async () => {
    const d = dirWith({
      '.env': lines(`SEALED_BOX_PRIVATE_KEY=${A_PRIV}`, `SEALED_BOX_PUBLIC_KEY=${A.pub.toString('base64')}`),
      'compose.yaml': lines(
        'services:',
        '  orchestrator:',
        '    image: o:1.0.0',
        '    environment:',
        `      SEALED_BOX_PUBLIC_KEY: "${A.pub.toString('base64url')}"`,
      ),
    });
    const r = await run(formats.x25519Keypair, d, params);
    assert.equal(r.status, 'pass', JSON.stringify(r));
    assert.deepEqual(places(r), [
      ['.env', 1, 'SEALED_BOX_PRIVATE_KEY'],
      ['.env', 2, 'SEALED_BOX_PUBLIC_KEY'],
      ['compose.yaml', 5, 'SEALED_BOX_PUBLIC_KEY'],
    ]);
    assertNoLeak(r, SECRETS);
  });

  test('a public key from another pair fails at that copy and shows the key it should be', async () => {
    const d = dirWith({
      '.env': lines(`SEALED_BOX_PRIVATE_KEY=${A_PRIV}`, `SEALED_BOX_PUBLIC_KEY=${A.pub.toString('base64')}`),
      'compose.yaml': lines('services:', '  api:', '    image: a:1.0.0', '    environment:', `      SEALED_BOX_PUBLIC_KEY: "${B.pub.toString('base64')}"`),
    });
    const r = await run(formats.x25519Keypair, d, params);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['compose.yaml', 5, 'SEALED_BOX_PUBLIC_KEY']]);
    const detail = r.evidence[0]!.detail;
    assert.match(detail, /not derived from the private key/);
    assert.ok(detail.includes(A.pub.toString('base64')), 'names the public key the private key gives');
    assert.match(detail, /\.env:1 \(SEALED_BOX_PRIVATE_KEY\)/);
    assertNoLeak(r, SECRETS);
  });

  test('a swapped pair (public where private belongs) fails', async () => {
    const d = dirWith({'.env': lines(`SEALED_BOX_PRIVATE_KEY=${A.pub.toString('base64')}`, `SEALED_BOX_PUBLIC_KEY=${A_PRIV}`)});
    const r = await run(formats.x25519Keypair, d, params);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['.env', 2, 'SEALED_BOX_PUBLIC_KEY']]);
    assertNoLeak(r, SECRETS);
  });

  test('a private key of the wrong length fails; a missing public key fails', async () => {
    const short = randomBytes(16).toString('base64');
    const bad = dirWith({'.env': lines(`SEALED_BOX_PRIVATE_KEY=${short}`, `SEALED_BOX_PUBLIC_KEY=${A.pub.toString('base64')}`)});
    const r1 = await run(formats.x25519Keypair, bad, params);
    assert.equal(r1.status, 'fail');
    assert.deepEqual(places(r1), [['.env', 1, 'SEALED_BOX_PRIVATE_KEY']]);
    assert.match(r1.evidence[0]!.detail, /decodes to 16 bytes, not 32/);
    assertNoLeak(r1, [...SECRETS, short]);

    const lonely = dirWith({'.env': lines(`SEALED_BOX_PRIVATE_KEY=${A_PRIV}`)});
    const r2 = await run(formats.x25519Keypair, lonely, params);
    assert.equal(r2.status, 'fail');
    assert.match(JSON.stringify(r2.evidence), /SEALED_BOX_PUBLIC_KEY \(the public key\) is not set anywhere/);
    assertNoLeak(r2, SECRETS);
  });

  test('two private copies that disagree: the public key fails against the one it does not match', async () => {
    const d = dirWith({
      '.env': lines(`SEALED_BOX_PRIVATE_KEY=${A_PRIV}`, `SEALED_BOX_PUBLIC_KEY=${A.pub.toString('base64')}`),
      'compose.yaml': lines('services:', '  api:', '    image: a:1.0.0', '    environment:', `      SEALED_BOX_PRIVATE_KEY: "${B_PRIV}"`),
    });
    const r = await run(formats.x25519Keypair, d, params);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['.env', 2, 'SEALED_BOX_PUBLIC_KEY']]);
    assert.match(r.evidence[0]!.detail, /compose\.yaml:5 \(SEALED_BOX_PRIVATE_KEY\) gives/);
    assert.ok(r.evidence[0]!.detail.includes(B.pub.toString('base64')));
    assertNoLeak(r, SECRETS);
  });

  test('no private key: skip, or fail when required', async () => {
    const d = dirWith({'.env': lines(`SEALED_BOX_PUBLIC_KEY=${A.pub.toString('base64')}`)});
    assert.equal((await run(formats.x25519Keypair, d, params)).status, 'skip');
    assert.equal((await run(formats.x25519Keypair, d, {...params, required: true})).status, 'fail');
  });
});

// ---------------------------------------------------------------------------------------------

describe('format.rsa-key', () => {
  const rsa = (bits: number, extra: Record<string, string> = {}) =>
    generateKeyPairSync('rsa', {
      modulusLength: bits,
      publicKeyEncoding: {type: 'spki', format: 'pem'},
      privateKeyEncoding: {type: 'pkcs8', format: 'pem', ...extra},
    });
  const K2048 = rsa(2048);
  const OTHER = rsa(2048);
  const K1024 = rsa(1024);
  const ENCRYPTED = rsa(2048, {cipher: 'aes-256-cbc', passphrase: 'correct horse battery'});
  const PKCS1 = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: {type: 'pkcs1', format: 'pem'},
    privateKeyEncoding: {type: 'pkcs1', format: 'pem'},
  });
  const SECRETS = [K2048.privateKey, OTHER.privateKey, K1024.privateKey, ENCRYPTED.privateKey, PKCS1.privateKey];
  /** A PEM on one line, newlines written as \n inside double quotes (dotenv expands them). */
  const oneLine = (pem: string) => `"${pem.trim().replace(/\n/g, '\\n')}"`;
  /** A PEM across lines inside double quotes, as dotenv allows. */
  const multiLine = (pem: string) => `"${pem.trim()}"`;

  test('a 2048-bit key passes, with its public key from another setting and from a file', async () => {
    const d = dirWith({
      '.env': lines(`JWT_PRIVATE_KEY=${oneLine(K2048.privateKey)}`, `JWT_PUBLIC_KEY=${multiLine(K2048.publicKey)}`, 'AFTER=1'),
      'keys/jwt.pub': K2048.publicKey,
    });
    const r = await run(formats.rsaKey, d, {keys: ['JWT_PRIVATE_KEY'], publicKey: {keys: ['JWT_PUBLIC_KEY']}, publicFile: 'keys/jwt.pub'});
    assert.equal(r.status, 'pass', JSON.stringify(r));
    assert.deepEqual(places(r), [
      ['.env', 1, 'JWT_PRIVATE_KEY'],
      ['.env', 2, 'JWT_PUBLIC_KEY'],
      ['keys/jwt.pub', undefined, undefined],
    ]);
    assert.match(r.evidence[0]!.detail, /RSA 2048-bit private key/);
    assertNoLeak(r, SECRETS);
  });

  test('a PKCS#1 key written across lines passes', async () => {
    const d = dirWith({'.env': lines(`JWT_PRIVATE_KEY=${multiLine(PKCS1.privateKey)}`, `JWT_PUBLIC_KEY=${multiLine(PKCS1.publicKey)}`)});
    const r = await run(formats.rsaKey, d, {keys: ['JWT_PRIVATE_KEY'], publicKey: {keys: ['JWT_PUBLIC_KEY']}});
    assert.equal(r.status, 'pass', JSON.stringify(r));
    assertNoLeak(r, SECRETS);
  });

  test('a 1024-bit key fails minBits 2048 and passes minBits 1024', async () => {
    const d = dirWith({'.env': lines(`JWT_PRIVATE_KEY=${oneLine(K1024.privateKey)}`)});
    const r = await run(formats.rsaKey, d, {keys: ['JWT_PRIVATE_KEY']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['.env', 1, 'JWT_PRIVATE_KEY']]);
    assert.match(r.evidence[0]!.detail, /RSA 1024-bit, shorter than 2048/);
    assertNoLeak(r, SECRETS);
    assert.equal((await run(formats.rsaKey, d, {keys: ['JWT_PRIVATE_KEY'], minBits: 1024})).status, 'pass');
  });

  test('a public key that belongs to another private key fails, in the setting and in the file', async () => {
    const d = dirWith({
      '.env': lines(`JWT_PRIVATE_KEY=${oneLine(K2048.privateKey)}`, `JWT_PUBLIC_KEY=${oneLine(OTHER.publicKey)}`),
      'keys/jwt.pub': OTHER.publicKey,
    });
    const r = await run(formats.rsaKey, d, {keys: ['JWT_PRIVATE_KEY'], publicKey: {keys: ['JWT_PUBLIC_KEY']}, publicFile: 'keys/jwt.pub'});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['.env', 2, 'JWT_PUBLIC_KEY'],
      ['keys/jwt.pub', undefined, undefined],
    ]);
    assert.match(r.evidence[0]!.detail, /not derived from the private key/);
    assert.match(r.evidence[1]!.detail, /not the public half of the private key \(\.env:1 \(JWT_PRIVATE_KEY\) gives SHA-256 [0-9a-f]{16}/);
    assert.match(r.message, /2 problems with the public key/);
    assertNoLeak(r, SECRETS);
  });

  test('a missing public key file fails', async () => {
    const d = dirWith({'.env': lines(`JWT_PRIVATE_KEY=${oneLine(K2048.privateKey)}`)});
    const r = await run(formats.rsaKey, d, {keys: ['JWT_PRIVATE_KEY'], publicFile: 'keys/missing.pub'});
    assert.equal(r.status, 'fail');
    assert.deepEqual(r.evidence, [{file: 'keys/missing.pub', detail: 'the public key file keys/missing.pub does not exist'}]);
  });

  test('not PEM, a public key in its place, an encrypted key and a broken body each fail with the reason', async () => {
    const broken = K2048.privateKey.replace(/\n([A-Za-z0-9+/]{20})/, '\n!!!!');
    const d = dirWith({
      '.env': lines(
        'A=not-a-pem-at-all-just-text', //               1
        `B=${oneLine(K2048.publicKey)}`, //               2
        `C=${oneLine(ENCRYPTED.privateKey)}`, //          3
        `D=${oneLine(broken)}`, //                        4
      ),
    });
    const r = await run(formats.rsaKey, d, {keys: ['A', 'B', 'C', 'D']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['.env', 1, 'A'],
      ['.env', 2, 'B'],
      ['.env', 3, 'C'],
      ['.env', 4, 'D'],
    ]);
    assert.match(r.evidence[0]!.detail, /not PEM/);
    assert.match(r.evidence[1]!.detail, /public key, not a private key/);
    assert.match(r.evidence[2]!.detail, /encrypted/);
    assert.match(r.evidence[3]!.detail, /does not parse/);
    assertNoLeak(r, [...SECRETS, broken]);
  });

  test('an Ed25519 key is not RSA', async () => {
    const ed = generateKeyPairSync('ed25519', {privateKeyEncoding: {type: 'pkcs8', format: 'pem'}, publicKeyEncoding: {type: 'spki', format: 'pem'}});
    const r = await run(formats.rsaKey, dirWith({'.env': lines(`K=${oneLine(ed.privateKey)}`)}), {keys: ['K']});
    assert.equal(r.status, 'fail');
    assert.match(r.evidence[0]!.detail, /ed25519 key, not RSA/);
    assertNoLeak(r, [ed.privateKey]);
  });
});

// ---------------------------------------------------------------------------------------------
// NKEYs. The test's own encoder, written from the nkeys spec (strkey.go): prefix byte(s), the 32
// raw bytes, CRC-16/XMODEM little-endian, base32 without padding. It uses the table form of the
// CRC; the module computes it bit by bit, so the two are independent.

const CRC_TABLE = Array.from({length: 256}, (_, n) => {
  let c = n << 8;
  for (let i = 0; i < 8; i++) c = c & 0x8000 ? (c << 1) ^ 0x1021 : c << 1;
  return c & 0xffff;
});
function crc16(data: Uint8Array): number {
  let crc = 0;
  for (const b of data) crc = ((crc << 8) & 0xffff) ^ CRC_TABLE[((crc >> 8) ^ b) & 0xff]!;
  return crc;
}
function b32(data: Uint8Array): string {
  const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const b of data) bits += b.toString(2).padStart(8, '0');
  let out = '';
  for (let i = 0; i < bits.length; i += 5) out += A[parseInt(bits.slice(i, i + 5).padEnd(5, '0'), 2)];
  return out;
}
const PREFIX = {O: 14 << 3, A: 0, U: 20 << 3, N: 13 << 3, C: 2 << 3, X: 23 << 3} as const;
function withCrc(body: Buffer): string {
  const c = crc16(body);
  return b32(Buffer.concat([body, Buffer.from([c & 0xff, c >> 8])]));
}
function encodePublic(role: keyof typeof PREFIX, raw: Buffer): string {
  return withCrc(Buffer.concat([Buffer.from([PREFIX[role]]), raw]));
}
function encodeSeed(role: keyof typeof PREFIX, raw: Buffer): string {
  const p = PREFIX[role];
  return withCrc(Buffer.concat([Buffer.from([(18 << 3) | (p >> 5), (p & 31) << 3]), raw]));
}
/** A real Ed25519 pair from node:crypto, as an NKEY seed and public key. */
function nkeyPair(role: keyof typeof PREFIX): {seed: string; pub: string} {
  const jwk = generateKeyPairSync('ed25519').privateKey.export({format: 'jwk'});
  return {seed: encodeSeed(role, Buffer.from(jwk.d!, 'base64url')), pub: encodePublic(role, Buffer.from(jwk.x!, 'base64url'))};
}
/** Replaces character i by another base32 character. */
function flip(s: string, i: number): string {
  const c = s[i] === 'A' ? 'B' : 'A';
  return s.slice(0, i) + c + s.slice(i + 1);
}

// From the NATS documentation (nats-io/nats.docs, using-nats/nats-tools/nk.md: `nk -gen user
// -pubout` example output). Published, so not a secret; the public key is the seed's.
const DOC_USER_SEED = 'SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY';
const DOC_USER_PUB = 'UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4';

describe('format.nkey', () => {
  const ACC = nkeyPair('A');
  const OP = nkeyPair('O');
  const OTHER_ACC = nkeyPair('A');
  const SEEDS = [ACC.seed, OP.seed, OTHER_ACC.seed];

  test('the test encoder reproduces the NATS documentation key pair', () => {
    const raw = Buffer.from(b32ToBytes(DOC_USER_SEED).subarray(2, 34));
    // Derive with node (PKCS#8 wrapping: Node 20's JWK import wants x as well as d).
    const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), raw]);
    const pub = createPublicKey(createPrivateKey({key: der, format: 'der', type: 'pkcs8'})).export({format: 'jwk'}).x!;
    assert.equal(encodeSeed('U', raw), DOC_USER_SEED);
    assert.equal(encodePublic('U', Buffer.from(pub, 'base64url')), DOC_USER_PUB);
  });

  test('a published public key passes; one flipped character fails the checksum', async () => {
    const flipped = flip(DOC_USER_PUB, 20);
    const d = dirWith({'.env': lines(`NATS_USER_PUB=${DOC_USER_PUB}`, `NATS_OTHER_PUB=${flipped}`)});
    const good = await run(formats.nkey, d, {keys: ['NATS_USER_PUB'], kind: 'public', role: 'user'});
    assert.equal(good.status, 'pass', JSON.stringify(good));
    assert.ok(good.evidence[0]!.detail.includes(DOC_USER_PUB), 'a public key may be shown');
    const bad = await run(formats.nkey, d, {keys: ['NATS_OTHER_PUB'], kind: 'public', role: 'user'});
    assert.equal(bad.status, 'fail');
    assert.deepEqual(places(bad), [['.env', 2, 'NATS_OTHER_PUB']]);
    assert.match(bad.evidence[0]!.detail, /CRC16 checksum/);
  });

  test('the published seed passes, matches its published public key, and is never printed', async () => {
    const d = dirWith({'.env': lines(`NATS_SEED=${DOC_USER_SEED}`, `NATS_PUB=${DOC_USER_PUB}`)});
    const r = await run(formats.nkey, d, {keys: ['NATS_SEED'], kind: 'seed', role: 'user', publicKey: {keys: ['NATS_PUB']}});
    assert.equal(r.status, 'pass', JSON.stringify(r));
    assert.deepEqual(places(r), [
      ['.env', 1, 'NATS_SEED'],
      ['.env', 2, 'NATS_PUB'],
    ]);
    assertNoLeak(r, [DOC_USER_SEED]);
    const flipped = flip(DOC_USER_SEED, 30);
    const bad = await run(formats.nkey, dirWith({'.env': lines(`NATS_SEED=${flipped}`)}), {keys: ['NATS_SEED'], kind: 'seed'});
    assert.equal(bad.status, 'fail');
    assert.match(bad.evidence[0]!.detail, /CRC16 checksum/);
    assertNoLeak(bad, [flipped, DOC_USER_SEED]);
  });

  test('generated account and operator seeds pass with their role, in .env and Compose', async () => {
    const d = dirWith({
      '.env': lines(`NATS_OPERATOR_SIGNING_SEED=${OP.seed}`, `NATS_ACCOUNT_SIGNING_SEED=${ACC.seed}`, `NATS_JWT_AGENT_ACCOUNT_PUB=${ACC.pub}`),
      'compose.yaml': lines('services:', '  api:', '    image: a:1.0.0', '    environment:', `      NATS_JWT_AGENT_ACCOUNT_PUB: ${ACC.pub}`),
    });
    const op = await run(formats.nkey, d, {keys: ['NATS_OPERATOR_SIGNING_SEED'], kind: 'seed', role: 'operator'});
    assert.equal(op.status, 'pass', JSON.stringify(op));
    assertNoLeak(op, SEEDS);
    const acc = await run(formats.nkey, d, {
      keys: ['NATS_ACCOUNT_SIGNING_SEED'],
      kind: 'seed',
      role: 'account',
      publicKey: {keys: ['NATS_JWT_AGENT_ACCOUNT_PUB']},
    });
    assert.equal(acc.status, 'pass', JSON.stringify(acc));
    assert.deepEqual(places(acc), [
      ['.env', 2, 'NATS_ACCOUNT_SIGNING_SEED'],
      ['.env', 3, 'NATS_JWT_AGENT_ACCOUNT_PUB'],
      ['compose.yaml', 5, 'NATS_JWT_AGENT_ACCOUNT_PUB'],
    ]);
    assertNoLeak(acc, SEEDS);
    const pubs = await run(formats.nkey, d, {keys: ['NATS_JWT_AGENT_ACCOUNT_PUB'], kind: 'public', role: 'account'});
    assert.equal(pubs.status, 'pass');
    assert.equal(pubs.evidence.length, 2);
  });

  test('every role letter encodes and passes without a role; the wrong role fails', async () => {
    const roles = ['O', 'A', 'U', 'N', 'C', 'X'] as const;
    const env = roles.flatMap((r) => {
      const raw = randomBytes(32);
      return [`SEED_${r}=${encodeSeed(r, raw)}`, `PUB_${r}=${encodePublic(r, raw)}`];
    });
    const d = dirWith({'.env': lines(...env)});
    const seeds = await run(formats.nkey, d, {keys: roles.map((r) => `SEED_${r}`), kind: 'seed'});
    assert.equal(seeds.status, 'pass', JSON.stringify(seeds));
    const pubs = await run(formats.nkey, d, {keys: roles.map((r) => `PUB_${r}`), kind: 'public'});
    assert.equal(pubs.status, 'pass', JSON.stringify(pubs));
    const wrong = await run(formats.nkey, d, {keys: ['SEED_U', 'SEED_O'], kind: 'seed', role: 'operator'});
    assert.equal(wrong.status, 'fail');
    assert.deepEqual(places(wrong), [['.env', 5, 'SEED_U']]);
    assert.match(wrong.evidence[0]!.detail, /role user \(U\), not operator \(O\)/);
  });

  test('a seed where a public key belongs fails without printing it; a public key is not a seed', async () => {
    const d = dirWith({'.env': lines(`NATS_ACCOUNT_PUB=${ACC.seed}`, `NATS_SEED=${ACC.pub}`)});
    const r1 = await run(formats.nkey, d, {keys: ['NATS_ACCOUNT_PUB'], kind: 'public'});
    assert.equal(r1.status, 'fail');
    assert.match(r1.evidence[0]!.detail, /is a seed \(a private key\), not a public key/);
    assertNoLeak(r1, SEEDS);
    const r2 = await run(formats.nkey, d, {keys: ['NATS_SEED'], kind: 'seed'});
    assert.equal(r2.status, 'fail');
    assert.match(r2.evidence[0]!.detail, /is a public key, not a seed/);
  });

  test('length, case and alphabet mistakes each fail with the reason', async () => {
    const d = dirWith({
      '.env': lines(
        `A=${ACC.seed.slice(0, 57)}`, //      1 one character short
        `B=${ACC.seed.toLowerCase()}`, //     2 lower case
        `C=${ACC.seed.slice(0, 57)}1`, //     3 1 is not base32
        `D=X${ACC.seed.slice(1)}`, //         4 not S
      ),
    });
    const r = await run(formats.nkey, d, {keys: ['A', 'B', 'C', 'D'], kind: 'seed'});
    assert.equal(r.status, 'fail');
    assert.deepEqual(
      places(r).map((p) => p[1]),
      [1, 2, 3, 4],
    );
    assert.match(r.evidence[0]!.detail, /57 characters; a seed has 58/);
    assert.match(r.evidence[1]!.detail, /lower case/);
    assert.match(r.evidence[2]!.detail, /character 58 is not base32/);
    assert.match(r.evidence[3]!.detail, /does not start with S/);
    assertNoLeak(r, [...SEEDS, ACC.seed.toLowerCase()]);
  });

  test('a seed whose public key is another account fails, naming the key the seed gives', async () => {
    const d = dirWith({'.env': lines(`NATS_ACCOUNT_SEED=${ACC.seed}`, `NATS_ACCOUNT_PUB=${OTHER_ACC.pub}`)});
    const r = await run(formats.nkey, d, {keys: ['NATS_ACCOUNT_SEED'], kind: 'seed', role: 'account', publicKey: {keys: ['NATS_ACCOUNT_PUB']}});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['.env', 2, 'NATS_ACCOUNT_PUB']]);
    assert.ok(r.evidence[0]!.detail.includes(`gives ${ACC.pub}`), r.evidence[0]!.detail);
    assertNoLeak(r, SEEDS);
  });

  test('publicKey with kind public is an error', async () => {
    const r = await run(formats.nkey, dirWith({'.env': lines(`P=${ACC.pub}`)}), {keys: ['P'], kind: 'public', publicKey: {keys: ['Q']}});
    assert.equal(r.status, 'error');
  });
});

function b32ToBytes(s: string): Buffer {
  const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bits = [...s].map((c) => A.indexOf(c).toString(2).padStart(5, '0')).join('');
  const out: number[] = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) out.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(out);
}

// ---------------------------------------------------------------------------------------------

describe('format.clerk-secret-key', () => {
  const body = () =>
    randomBytes(30)
      .toString('base64')
      .replace(/[^A-Za-z0-9]/g, 'q')
      .slice(0, 40);
  const LIVE = `sk_live_${body()}`;
  const TEST = `sk_test_${body()}`;
  const PUBLISHABLE = `pk_live_${body()}`;
  /** The prefixes are not secret (messages name them); everything after them is. */
  const SECRETS = [LIVE, TEST, PUBLISHABLE].map((k) => k.slice(8));

  test('a live key passes; a test key fails unless live is false', async () => {
    const d = dirWith({'.env': lines(`AUTH_CLERK_SECRET_KEY=${LIVE}`, `STAGING_CLERK_SECRET_KEY=${TEST}`)});
    const ok = await run(formats.clerkSecretKey, d, {keys: ['AUTH_CLERK_SECRET_KEY']});
    assert.equal(ok.status, 'pass');
    assertNoLeak(ok, SECRETS);
    const testKey = await run(formats.clerkSecretKey, d, {keys: ['STAGING_CLERK_SECRET_KEY']});
    assert.equal(testKey.status, 'fail');
    assert.deepEqual(places(testKey), [['.env', 2, 'STAGING_CLERK_SECRET_KEY']]);
    assert.match(testKey.evidence[0]!.detail, /development key \(sk_test_…\)/);
    assertNoLeak(testKey, SECRETS);
    assert.equal((await run(formats.clerkSecretKey, d, {keys: ['STAGING_CLERK_SECRET_KEY'], live: false})).status, 'pass');
  });

  test('a publishable key, a placeholder and a short key fail, each at its copy', async () => {
    const d = dirWith({
      '.env': lines(`AUTH_CLERK_SECRET_KEY=${PUBLISHABLE}`),
      'compose.yaml': lines(
        'services:',
        '  api:',
        '    image: a:1.0.0',
        '    environment:',
        '      AUTH_CLERK_SECRET_KEY: sk_live_xxxxxxxxxxxxxxxxxxxxxxxx',
        '  worker:',
        '    image: w:1.0.0',
        '    environment:',
        '      AUTH_CLERK_SECRET_KEY: sk_live_abc123',
        '  auth:',
        '    image: auth:1.0.0',
        '    environment:',
        `      AUTH_CLERK_SECRET_KEY: ${LIVE}`,
      ),
    });
    const r = await run(formats.clerkSecretKey, d, {keys: ['AUTH_CLERK_SECRET_KEY']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['.env', 1, 'AUTH_CLERK_SECRET_KEY'],
      ['compose.yaml', 5, 'AUTH_CLERK_SECRET_KEY'],
      ['compose.yaml', 9, 'AUTH_CLERK_SECRET_KEY'],
    ]);
    assert.match(r.evidence[0]!.detail, /does not start with sk_live_ or sk_test_/);
    assert.match(r.evidence[1]!.detail, /placeholder/);
    assert.match(r.evidence[2]!.detail, /too short/);
    assert.match(r.message, /3 of 4 copies are wrong/);
    assertNoLeak(r, SECRETS);
  });
});

describe('format.webhook-secret', () => {
  const GOOD = `whsec_${randomBytes(24).toString('base64')}`;
  const LONG = `whsec_${randomBytes(32).toString('base64')}`;
  const SHORT = `whsec_${randomBytes(12).toString('base64')}`;
  const URLSAFE = `whsec_${Buffer.from(Array.from({length: 24}, (_, i) => (i % 2 ? 0xfb : 0xff))).toString('base64url')}`;
  const NOPREFIX = randomBytes(24).toString('base64');
  const SECRETS = [GOOD, LONG, SHORT, URLSAFE].map((k) => k.slice('whsec_'.length)).concat(NOPREFIX);

  test('whsec_ + base64 of 24 or more bytes passes', async () => {
    const d = dirWith({'.env': lines(`AUTH_CLERK_WEBHOOK_SIGNING_SECRET=${GOOD}`, `OTHER_WEBHOOK_SECRET=${LONG}`)});
    const r = await run(formats.webhookSecret, d, {keys: ['AUTH_CLERK_WEBHOOK_SIGNING_SECRET', 'OTHER_WEBHOOK_SECRET']});
    assert.equal(r.status, 'pass', JSON.stringify(r));
    assert.equal(r.evidence.length, 2);
    assertNoLeak(r, SECRETS);
  });

  test('no prefix, too few bytes, the url-safe alphabet and a bare prefix each fail', async () => {
    const d = dirWith({'.env': lines(`A=${NOPREFIX}`, `B=${SHORT}`, `C=${URLSAFE}`, 'D=whsec_')});
    const r = await run(formats.webhookSecret, d, {keys: ['A', 'B', 'C', 'D']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(
      places(r).map((p) => p[1]),
      [1, 2, 3, 4],
    );
    assert.match(r.evidence[0]!.detail, /does not start with whsec_/);
    assert.match(r.evidence[1]!.detail, /12 bytes after whsec_, fewer than 24/);
    assert.match(r.evidence[2]!.detail, /url-safe alphabet/);
    assert.match(r.evidence[3]!.detail, /only the whsec_ prefix/);
    assertNoLeak(r, SECRETS);
  });
});

// ---------------------------------------------------------------------------------------------

describe('format.url', () => {
  test('https URLs on public hosts pass, in .env and Compose, and are shown', async () => {
    const d = dirWith({
      '.env': lines('SERVER_PUBLIC_URL=https://api.hood.example.net'),
      'compose.yaml': lines('services:', '  api:', '    image: a:1.0.0', '    environment:', '      SERVER_PUBLIC_URL: https://api.hood.example.net:8443/base'),
    });
    const r = await run(formats.url, d, {keys: ['SERVER_PUBLIC_URL']});
    assert.equal(r.status, 'pass', JSON.stringify(r));
    assert.deepEqual(places(r), [
      ['.env', 1, 'SERVER_PUBLIC_URL'],
      ['compose.yaml', 5, 'SERVER_PUBLIC_URL'],
    ]);
    assert.ok(r.evidence[1]!.detail.includes('https://api.hood.example.net:8443/base'));
  });

  test('http, local hosts and unparseable values fail, each with the reason', async () => {
    const d = dirWith({
      '.env': lines(
        'A=http://api.example.net', //          1
        'B=https://localhost:8080', //          2
        'C=https://127.0.0.5/x', //             3
        'D=https://[::1]:443/', //              4
        'E=https://0.0.0.0', //                 5
        'F=api.example.net', //                 6 no scheme
        'G=https://app.localhost', //           7
        'H=https://2130706433/', //             8 127.0.0.1 written as a number
        'I=https://api.example.net', //         9 good
      ),
    });
    const r = await run(formats.url, d, {keys: ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(
      places(r).map((p) => p[1]),
      [1, 2, 3, 4, 5, 6, 7, 8],
    );
    const why = r.evidence.map((e) => e.detail);
    assert.match(why[0]!, /uses http:\/\/, not https:\/\//);
    assert.match(why[1]!, /points at localhost/);
    assert.match(why[2]!, /loopback/);
    assert.match(why[3]!, /::1/);
    assert.match(why[4]!, /0\.0\.0\.0/);
    assert.match(why[5]!, /does not parse as a URL/);
    assert.match(why[6]!, /localhost/);
    assert.match(why[7]!, /loopback/);
  });

  test('allowLocal, schemes and hosts change the rule', async () => {
    const d = dirWith({'.env': lines('LOCAL=https://localhost:8443', 'NATS_JWT_EXTERNAL_URL=tls://nats.hood.example.net:4223', 'API=https://api.other.org')});
    assert.equal((await run(formats.url, d, {keys: ['LOCAL'], allowLocal: true})).status, 'pass');
    assert.equal((await run(formats.url, d, {keys: ['NATS_JWT_EXTERNAL_URL']})).status, 'fail');
    assert.equal((await run(formats.url, d, {keys: ['NATS_JWT_EXTERNAL_URL'], schemes: ['tls']})).status, 'pass');
    assert.equal((await run(formats.url, d, {keys: ['NATS_JWT_EXTERNAL_URL'], schemes: ['tls'], hosts: ['*.hood.example.net']})).status, 'pass');
    const off = await run(formats.url, d, {keys: ['API'], hosts: ['*.hood.example.net', 'hood.example.net']});
    assert.equal(off.status, 'fail');
    assert.match(off.evidence[0]!.detail, /host api\.other\.org, not one of/);
  });

  test('a password inside a URL is masked, never shown', async () => {
    const password = randomBytes(18).toString('hex');
    const d = dirWith({'.env': lines(`DB_URL=http://hood:${password}@db.example.net:5432/hood`, `BROKEN=ht tp://u:${password}@x`)});
    const r = await run(formats.url, d, {keys: ['DB_URL', 'BROKEN']});
    assert.equal(r.status, 'fail');
    assert.match(r.evidence[0]!.detail, /hood:\*\*\*@db\.example\.net/);
    assert.match(r.evidence[1]!.detail, /not shown/);
    assertNoLeak(r, [password]);
  });

  test('Helm values copies are checked too', async () => {
    const d = dirWith({'values.yaml': lines('api:', '  publicUrl: http://localhost:3000')});
    const r = await run(formats.url, d, {helm: ['api.publicUrl']}, {helmValues: ['values.yaml']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['values.yaml', 2, 'api.publicUrl']]);
  });
});

describe('format.origins', () => {
  test('a list of https origins passes', async () => {
    const d = dirWith({'.env': lines('AUTH_ALLOWED_ORIGINS=https://app.hood.example.net, https://admin.hood.example.net:8443')});
    const r = await run(formats.origins, d, {keys: ['AUTH_ALLOWED_ORIGINS']});
    assert.equal(r.status, 'pass', JSON.stringify(r));
    assert.match(r.evidence[0]!.detail, /2 origins/);
  });

  test('each kind of bad entry fails with the reason, at the copy that holds it', async () => {
    const entries = {
      path: 'https://app.example.net/login',
      slash: 'https://app.example.net/',
      wildcard: 'https://*.example.net',
      star: '*',
      http: 'http://app.example.net',
      local: 'https://localhost:3000',
      port443: 'https://app.example.net:443',
      upper: 'https://App.example.net',
      empty: 'https://app.example.net,,https://b.example.net',
    };
    const d = dirWith({'.env': lines(...Object.entries(entries).map(([k, v]) => `O_${k.toUpperCase()}=${v}`))});
    const r = await run(formats.origins, d, {keys: Object.keys(entries).map((k) => `O_${k.toUpperCase()}`)});
    assert.equal(r.status, 'fail');
    assert.deepEqual(
      places(r).map((p) => p[1]),
      [1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    const why = r.evidence.map((e) => e.detail);
    assert.match(why[0]!, /has a path/);
    assert.match(why[1]!, /ends with \//);
    assert.match(why[2]!, /wildcard/);
    assert.match(why[3]!, /wildcard/);
    assert.match(why[4]!, /is http:\/\/, not https:\/\//);
    assert.match(why[5]!, /localhost/);
    assert.match(why[6]!, /not written as browsers send it \("https:\/\/app\.example\.net"\)/);
    assert.match(why[7]!, /not written as browsers send it/);
    assert.match(why[8]!, /empty entry/);
  });

  test('a Compose copy that differs from .env fails alone', async () => {
    const d = dirWith({
      '.env': lines('AUTH_ALLOWED_ORIGINS=https://app.example.net'),
      'compose.yaml': lines(
        'services:',
        '  auth:',
        '    image: a:1.0.0',
        '    environment:',
        '      AUTH_ALLOWED_ORIGINS: "https://app.example.net,http://localhost:3000"',
      ),
    });
    const r = await run(formats.origins, d, {keys: ['AUTH_ALLOWED_ORIGINS']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['compose.yaml', 5, 'AUTH_ALLOWED_ORIGINS']]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('format.duration', () => {
  test("Go's forms pass: ms, h+m, negative fractions, µs/us, a bare 0", async () => {
    const values = ['300ms', '1h30m', '-1.5h', '1\u00b5s', '2us', '0', '.5s', '1h2m3s4ms5us6ns', '+10s'];
    const d = dirWith({'.env': lines(...values.map((v, i) => `D${i}=${v}`))});
    const r = await run(formats.duration, d, {keys: values.map((_, i) => `D${i}`)});
    assert.equal(r.status, 'pass', JSON.stringify(r));
    assert.equal(r.evidence.length, values.length);
  });

  test('what Go rejects fails with the reason', async () => {
    const values = {NOUNIT: '30', DAYS: '1d', SPACE: '1h 30m', DOT: '.s', SIGN: '-', WORD: 'forever'};
    const d = dirWith({'.env': lines(...Object.entries(values).map(([k, v]) => `${k}=${v}`))});
    const r = await run(formats.duration, d, {keys: Object.keys(values)});
    assert.equal(r.status, 'fail');
    assert.equal(r.evidence.length, 6);
    const why = Object.fromEntries(r.evidence.map((e) => [e.key, e.detail]));
    assert.match(why.NOUNIT!, /"30" lacks a unit/);
    assert.match(why.DAYS!, /unknown unit "d"/);
    assert.match(why.SPACE!, /unknown unit "h "/);
    assert.match(why.DOT!, /no number/);
    assert.match(why.SIGN!, /not a duration/);
    assert.match(why.WORD!, /no number/);
  });

  test('min and max bound the value', async () => {
    const d = dirWith({
      '.env': lines('DB_STATEMENT_TIMEOUT=30s'),
      'compose.yaml': lines('services:', '  api:', '    image: a:1.0.0', '    environment:', '      DB_STATEMENT_TIMEOUT: 2m'),
    });
    const both = await run(formats.duration, d, {keys: ['DB_STATEMENT_TIMEOUT'], min: '1s', max: '1m'});
    assert.equal(both.status, 'fail');
    assert.deepEqual(places(both), [['compose.yaml', 5, 'DB_STATEMENT_TIMEOUT']]);
    assert.match(both.evidence[0]!.detail, /"2m" is longer than the maximum 1m/);
    const low = await run(formats.duration, d, {keys: ['DB_STATEMENT_TIMEOUT'], min: '45s'});
    assert.deepEqual(places(low), [['.env', 1, 'DB_STATEMENT_TIMEOUT']]);
    assert.match(low.evidence[0]!.detail, /shorter than the minimum 45s/);
    assert.equal((await run(formats.duration, d, {keys: ['DB_STATEMENT_TIMEOUT'], min: '30s', max: '120s'})).status, 'pass');
  });

  test('a bound that is not a Go duration is a params error', async () => {
    const r = await run(formats.duration, dirWith({}), {keys: ['T'], min: '5 minutes'});
    assert.equal(r.status, 'error');
    assert.match(r.message, /Go duration/);
  });
});

describe('format.semver', () => {
  test('x.y.z with optional pre-release and build passes', async () => {
    const d = dirWith({'.env': lines('OPS_AGENT_VERSION=0.1.0', 'B=1.0.0-rc.1+build.5', 'C=10.20.30')});
    const r = await run(formats.semver, d, {keys: ['OPS_AGENT_VERSION', 'B', 'C']});
    assert.equal(r.status, 'pass', JSON.stringify(r));
    assert.ok(r.evidence[0]!.detail.includes('"0.1.0"'));
  });

  test('an empty OPS_AGENT_VERSION fails when required; malformed versions fail with the reason', async () => {
    const empty = dirWith({'.env': lines('OPS_AGENT_VERSION=')});
    const r0 = await run(formats.semver, empty, {keys: ['OPS_AGENT_VERSION'], required: true});
    assert.equal(r0.status, 'fail');
    assert.deepEqual(places(r0), [['.env', 1, 'OPS_AGENT_VERSION']]);

    const d = dirWith({'.env': lines('A=1.2', 'B=v1.2.3', 'C=01.2.3', 'D=1.2.3-', 'E=latest')});
    const r = await run(formats.semver, d, {keys: ['A', 'B', 'C', 'D', 'E']});
    assert.equal(r.status, 'fail');
    assert.equal(r.evidence.length, 5);
    assert.match(r.evidence[0]!.detail, /has 2 dot-separated numbers/);
    assert.match(r.evidence[1]!.detail, /leading "v"/);
    assert.match(r.evidence[2]!.detail, /leading zero/);
    assert.match(r.evidence[3]!.detail, /not a semantic version/);
    assert.match(r.evidence[4]!.detail, /has 1 dot-separated number;/);
  });

  test('allowV accepts v1.2.3; min compares by semver precedence', async () => {
    const d = dirWith({'.env': lines('V=v1.2.3', 'RC=1.2.3-rc.2', 'RC10=1.2.3-rc.10', 'OLD=1.2.2', 'NEW=1.10.0')});
    assert.equal((await run(formats.semver, d, {keys: ['V'], allowV: true})).status, 'pass');
    const r = await run(formats.semver, d, {keys: ['RC', 'RC10', 'OLD', 'NEW'], min: '1.2.3-rc.3'});
    assert.equal(r.status, 'fail');
    // rc.2 < rc.3 < rc.10 (numeric identifiers compare as numbers); 1.2.2 is older; 1.10.0 is newer.
    assert.deepEqual(
      r.evidence.map((e) => e.key),
      ['RC', 'OLD'],
    );
    assert.match(r.evidence[0]!.detail, /older than the minimum 1\.2\.3-rc\.3/);
    assert.equal((await run(formats.semver, d, {keys: ['RC10', 'NEW'], min: '1.2.3-rc.3'})).status, 'pass');
    assert.equal((await run(formats.semver, d, {keys: ['RC'], min: '1.2.3'})).status, 'fail', 'a pre-release ranks below its release');
  });
});
