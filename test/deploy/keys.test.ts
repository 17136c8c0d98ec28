// deploy/keys: what generators will write must pass the checks that read it. Every generated key
// is run through the format.* check that judges it in a real deployment directory.
import assert from 'node:assert/strict';
import {createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify} from 'node:crypto';
import {describe, test} from 'node:test';
import {nkey, rsaKey, x25519Keypair} from '../../src/checks/formats.js';
import type {CheckDef} from '../../src/checks/define.js';
import {
  base32Decode,
  base32Encode,
  crc16xmodem,
  decodeBase64,
  decodeNkey,
  encodeNkeyPublic,
  encodeNkeySeed,
  generateEd25519Pair,
  generateNkey,
  generateRsaPair,
  generateX25519Pair,
  NKEY_ROLES,
  nkeyPublicFromSeed,
  nkeyRoleOf,
  parseRsaPrivate,
  parseRsaPublic,
  rawPublicKey,
  spkiFingerprint,
  type NkeyRole,
} from '../../src/deploy/keys.js';
import {runStep} from '../../src/engine/run.js';
import type {CheckResult} from '../../src/model/types.js';
import {contextFor, dirWith, lines} from '../support/helpers.js';

function run(def: CheckDef, d: string, params: Record<string, unknown>): Promise<CheckResult> {
  return runStep(def, contextFor(d), params, 10_000);
}

const ROLES = Object.keys(NKEY_ROLES) as NkeyRole[];

describe('base32 (RFC 4648 section 10, without padding)', () => {
  const vectors: [string, string][] = [
    ['', ''],
    ['f', 'MY'],
    ['fo', 'MZXQ'],
    ['foo', 'MZXW6'],
    ['foob', 'MZXW6YQ'],
    ['fooba', 'MZXW6YTB'],
    ['foobar', 'MZXW6YTBOI'],
  ];
  test('encodes and decodes the RFC test vectors', () => {
    for (const [plain, encoded] of vectors) {
      assert.equal(base32Encode(Buffer.from(plain)), encoded);
      assert.equal(base32Decode(encoded).toString(), plain);
    }
  });
  test('reads the padded form too, and round-trips random bytes of every length', () => {
    assert.equal(base32Decode('MZXW6YQ=').toString(), 'foob');
    assert.equal(base32Decode('MY======').toString(), 'f');
    for (let n = 0; n < 40; n++) {
      const bytes = Buffer.from(Array.from({length: n}, (_, i) => (i * 37 + n) & 0xff));
      assert.deepEqual(base32Decode(base32Encode(bytes)), bytes);
    }
  });
  test('refuses characters outside the alphabet and impossible lengths, naming the place', () => {
    assert.throws(() => base32Decode('MZXW1'), /character 5 is not base32/);
    assert.throws(() => base32Decode('mzxw6'), /character 1 is not base32/);
    assert.throws(() => base32Decode('MZX'), /not a base32 length/);
  });
});

describe('decodeBase64', () => {
  test('takes either alphabet, padding optional, and says what is wrong', () => {
    const raw = Buffer.from([0xfb, 0xff, 0x01, 0x02]);
    assert.deepEqual(decodeBase64(raw.toString('base64')), {ok: true, value: raw});
    assert.deepEqual(decodeBase64(raw.toString('base64url')), {ok: true, value: raw});
    assert.deepEqual(decodeBase64(raw.toString('base64url'), 'standard'), {
      ok: false,
      why: 'uses the url-safe alphabet (- _); the standard one (+ /) is expected',
    });
    assert.deepEqual(decodeBase64('+_AA'), {ok: false, why: 'mixes the standard (+ /) and url-safe (- _) base64 alphabets'});
    assert.deepEqual(decodeBase64('AAA', 'any', true), {ok: false, why: 'lacks the "=" padding its decoders require'});
    assert.deepEqual(decodeBase64('AA!A'), {ok: false, why: 'character 3 is not a base64 character'});
  });
});

describe('X25519', () => {
  test('derives the RFC 7748 section 6.1 public keys from their private keys', () => {
    const alice = Buffer.from('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', 'hex');
    const bob = Buffer.from('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb', 'hex');
    assert.equal(rawPublicKey(alice, 'x25519')?.toString('hex'), '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    assert.equal(rawPublicKey(bob, 'x25519')?.toString('hex'), 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    assert.equal(rawPublicKey(alice.subarray(0, 31), 'x25519'), undefined);
  });

  test('a generated pair is base64 of 32 bytes each, the public half matches node, and format.x25519-keypair passes it', async () => {
    const pair = generateX25519Pair();
    const priv = Buffer.from(pair.privateKey, 'base64');
    const pub = Buffer.from(pair.publicKey, 'base64');
    assert.equal(priv.length, 32);
    assert.equal(pub.length, 32);
    assert.equal(priv.toString('base64'), pair.privateKey, 'standard alphabet, padded');
    assert.deepEqual(rawPublicKey(priv, 'x25519'), pub);
    const d = dirWith({'.env': lines(`BOX_PRIVATE_KEY=${pair.privateKey}`, `BOX_PUBLIC_KEY=${pair.publicKey}`)});
    const r = await run(x25519Keypair, d, {keys: ['BOX_PRIVATE_KEY'], publicKey: {keys: ['BOX_PUBLIC_KEY']}, required: true});
    assert.equal(r.status, 'pass', JSON.stringify(r));
    const other = generateX25519Pair();
    const wrong = dirWith({'.env': lines(`BOX_PRIVATE_KEY=${pair.privateKey}`, `BOX_PUBLIC_KEY=${other.publicKey}`)});
    assert.equal((await run(x25519Keypair, wrong, {keys: ['BOX_PRIVATE_KEY'], publicKey: {keys: ['BOX_PUBLIC_KEY']}})).status, 'fail');
  });

  test('the same derivation as node for keys node made', () => {
    const {privateKey, publicKey} = generateKeyPairSync('x25519');
    const d = Buffer.from(privateKey.export({format: 'jwk'}).d!, 'base64url');
    const x = Buffer.from(publicKey.export({format: 'jwk'}).x!, 'base64url');
    assert.deepEqual(rawPublicKey(d, 'x25519'), x);
  });
});

describe('Ed25519', () => {
  test('a generated pair is PKCS#8 / SPKI PEM, and what the private key signs the public key verifies', () => {
    const pair = generateEd25519Pair();
    assert.match(pair.privateKey, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.match(pair.publicKey, /^-----BEGIN PUBLIC KEY-----\n/);
    const priv = createPrivateKey(pair.privateKey);
    const pub = createPublicKey(pair.publicKey);
    assert.equal(priv.asymmetricKeyType, 'ed25519');
    const message = Buffer.from('statement');
    assert.ok(verify(null, message, pub, sign(null, message, priv)));
    const raw = Buffer.from(priv.export({format: 'jwk'}).d!, 'base64url');
    assert.equal(rawPublicKey(raw, 'ed25519')?.toString('base64url'), pub.export({format: 'jwk'}).x);
  });
});

describe('RSA', () => {
  test('a generated 2048-bit pair parses, matches, and passes format.rsa-key (one-line \\n form and a public key file)', async () => {
    const pair = await generateRsaPair(2048);
    assert.match(pair.privateKey, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.match(pair.publicKey, /^-----BEGIN PUBLIC KEY-----\n/);
    const priv = parseRsaPrivate(pair.privateKey, 2048);
    const pub = parseRsaPublic(pair.publicKey, 2048);
    assert.ok(priv.ok && pub.ok);
    assert.equal(priv.value.bits, 2048);
    assert.deepEqual(priv.value.spki, pub.value.spki);
    assert.match(spkiFingerprint(pub.value.spki), /^SHA-256 [0-9a-f]{16}…$/);
    const oneLine = `"${pair.privateKey.trim().replace(/\n/g, '\\n')}"`;
    const d = dirWith({'.env': lines(`JWT_PRIVATE_KEY=${oneLine}`), 'keys/jwt.pub': pair.publicKey});
    const r = await run(rsaKey, d, {keys: ['JWT_PRIVATE_KEY'], publicFile: 'keys/jwt.pub', required: true});
    assert.equal(r.status, 'pass', JSON.stringify(r));
  });

  test('a generated 4096-bit pair has 4096 bits', async () => {
    const pair = await generateRsaPair(4096);
    const priv = parseRsaPrivate(pair.privateKey, 4096);
    assert.ok(priv.ok);
    assert.equal(priv.value.bits, 4096);
  });

  test('says why a key is unusable', async () => {
    const pair = await generateRsaPair(2048);
    assert.deepEqual(parseRsaPrivate(pair.privateKey, 4096), {ok: false, why: 'is RSA 2048-bit, shorter than 4096'});
    assert.deepEqual(parseRsaPrivate(pair.publicKey), {ok: false, why: 'is a public key, not a private key'});
    assert.deepEqual(parseRsaPublic(pair.privateKey), {ok: false, why: 'is a private key where the public key belongs'});
    assert.deepEqual(parseRsaPrivate(generateEd25519Pair().privateKey), {ok: false, why: 'is a ed25519 key, not RSA'});
    assert.deepEqual(parseRsaPrivate('not a key'), {ok: false, why: 'is not PEM (no -----BEGIN ...----- line)'});
  });
});

describe('NKEYs', () => {
  test('CRC-16/XMODEM gives the catalogue check value', () => {
    assert.equal(crc16xmodem(Buffer.from('123456789')), 0x31c3);
  });

  for (const role of ROLES) {
    test(`a generated ${role} seed decodes with its role, prefix and CRC, and gives its public key`, () => {
      const letter = NKEY_ROLES[role];
      const k = generateNkey(role);
      assert.equal(k.seed.length, 58);
      assert.equal(k.publicKey.length, 56);
      assert.equal(k.seed.slice(0, 2), `S${letter}`);
      assert.equal(k.publicKey[0], letter);
      assert.match(k.seed, /^[A-Z2-7]+$/, 'base32 without padding');

      // The CRC by hand: the last two bytes, little-endian, over everything before them.
      for (const text of [k.seed, k.publicKey]) {
        const bytes = base32Decode(text);
        const body = bytes.subarray(0, -2);
        assert.equal(bytes.readUInt16LE(bytes.length - 2), crc16xmodem(body));
      }

      const seed = decodeNkey(k.seed, 'seed');
      const pub = decodeNkey(k.publicKey, 'public');
      assert.ok(seed.ok && pub.ok);
      assert.equal(seed.value.role, role);
      assert.equal(seed.value.letter, letter);
      assert.equal(pub.value.role, role);
      assert.equal(nkeyRoleOf(letter), role);
      assert.deepEqual(nkeyPublicFromSeed(k.seed), {ok: true, value: k.publicKey});
      assert.equal(encodeNkeySeed(role, seed.value.raw), k.seed);
      assert.equal(encodeNkeyPublic(role, pub.value.raw), k.publicKey);
      const curve = role === 'curve' ? 'x25519' : 'ed25519';
      assert.deepEqual(rawPublicKey(seed.value.raw, curve), pub.value.raw);
    });
  }

  test('a generated seed and public key pass format.nkey with the role, and fail with another', async () => {
    const k = generateNkey('account');
    const d = dirWith({'.env': lines(`NATS_SEED=${k.seed}`, `NATS_PUB=${k.publicKey}`)});
    const r = await run(nkey, d, {keys: ['NATS_SEED'], kind: 'seed', role: 'account', publicKey: {keys: ['NATS_PUB']}, required: true});
    assert.equal(r.status, 'pass', JSON.stringify(r));
    const pub = await run(nkey, d, {keys: ['NATS_PUB'], kind: 'public', role: 'account'});
    assert.equal(pub.status, 'pass', JSON.stringify(pub));
    const wrong = await run(nkey, d, {keys: ['NATS_SEED'], kind: 'seed', role: 'user'});
    assert.equal(wrong.status, 'fail');
    assert.match(wrong.evidence[0]!.detail, /is for the role account \(A\), not user \(U\)/);
  });

  test('a changed character fails the CRC; a seed is not a public key, nor the other way round', () => {
    const k = generateNkey('user');
    const i = 30;
    const flipped = `${k.seed.slice(0, i)}${k.seed[i] === 'A' ? 'B' : 'A'}${k.seed.slice(i + 1)}`;
    assert.deepEqual(decodeNkey(flipped, 'seed'), {ok: false, why: 'fails its CRC16 checksum (a character is wrong or missing)'});
    assert.deepEqual(decodeNkey(k.seed, 'public'), {ok: false, why: 'is a seed (a private key), not a public key'});
    assert.deepEqual(decodeNkey(k.publicKey, 'seed'), {ok: false, why: 'is a public key, not a seed'});
    assert.deepEqual(decodeNkey(k.seed.toLowerCase(), 'seed'), {ok: false, why: 'is lower case; NKEYs are upper-case base32'});
    assert.deepEqual(nkeyPublicFromSeed(flipped), {ok: false, why: 'fails its CRC16 checksum (a character is wrong or missing)'});
  });
});
