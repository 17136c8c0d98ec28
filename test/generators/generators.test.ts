// Every generator's output: its shape, its entropy, and that it is fresh on every call. The
// values are checked with independent readers (node:crypto, bcryptjs, the NKEY decoder), never
// with the code that made them.
import assert from 'node:assert/strict';
import {createPrivateKey, createPublicKey, sign, verify} from 'node:crypto';
import {describe, test} from 'node:test';
import bcrypt from 'bcryptjs';
import {decodeNkey, NKEY_ROLES, nkeyPublicFromSeed, rawPublicKey, type NkeyRole} from '../../src/deploy/keys.js';
import type {GeneratorOptions, Made} from '../../src/generators/define.js';
import {GENERATORS} from '../../src/generators/index.js';
import {PASSWORD_ALPHABET} from '../../src/generators/random.js';
import {contextFor, tempDir} from '../support/helpers.js';

const ctx = contextFor(tempDir('shipshape-gen-'));

/** One value from a generator, with no target: only what it makes. */
async function make(id: string, options: GeneratorOptions = {}): Promise<Made> {
  const g = GENERATORS.get(id);
  assert.ok(g, `no generator ${id}`);
  const {made, changes} = await g.generate({ctx, into: [], options});
  assert.deepEqual(changes.changes, [], 'with no target, a generator changes no file');
  return made;
}

/** Every text a value carries: the value, its derived values and what is shown once. */
const textsOf = (m: Made) => [m.value, ...Object.values(m.derived ?? {}), ...(m.showOnce ? [m.showOnce.value] : [])];

/** `n` calls give `n` different values, and no text of one call appears in another. */
async function allDifferent(id: string, n: number, options: GeneratorOptions = {}): Promise<void> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const m = await make(id, options);
    for (const t of new Set(textsOf(m))) {
      assert.ok(!seen.has(t), `${id}: call ${i + 1} repeated an earlier value`);
      seen.add(t);
    }
  }
}

const rejects = (id: string, options: GeneratorOptions, message: RegExp) => assert.rejects(make(id, options), message);

describe('the generator registry', () => {
  test('holds every secret and config generator the issues name, each with a summary', () => {
    assert.deepEqual([...GENERATORS.keys()].sort(), [
      'api-key-bcrypt',
      'backups',
      'base64url',
      'compose-harden',
      'docker-daemon-logs',
      'ed25519-keypair',
      'firewall',
      'helm-values-harden',
      'hex32',
      'identifier',
      'jwt-hs256',
      'nkey',
      'password',
      'reverse-proxy',
      'rsa-jwt-keypair',
      'x25519-keypair',
      'zitadel-masterkey',
    ]);
    for (const [id, g] of GENERATORS) {
      assert.equal(g.id, id);
      assert.ok(g.summary.length > 10, `${id} has a summary`);
    }
  });
});

describe('hex32', () => {
  test('is 64 lower-case hex characters: 32 random bytes, as `openssl rand -hex 32`', async () => {
    const {value} = await make('hex32');
    assert.match(value, /^[0-9a-f]{64}$/);
    assert.equal(Buffer.from(value, 'hex').length, 32);
  });

  test('length is a number of bytes; fewer than 16 is refused', async () => {
    assert.match((await make('hex32', {length: 48})).value, /^[0-9a-f]{96}$/);
    assert.match((await make('hex32', {length: 16})).value, /^[0-9a-f]{32}$/);
    await rejects('hex32', {length: 15}, /length 15: choose a whole number from 16 to 1024/);
    await rejects('hex32', {length: 2.5}, /length 2\.5/);
  });

  test('no two calls give the same value', () => allDifferent('hex32', 20));
});

describe('base64url', () => {
  test('is 43 url-safe characters without padding that decode to 32 bytes', async () => {
    const {value} = await make('base64url');
    assert.match(value, /^[A-Za-z0-9_-]{43}$/);
    const bytes = Buffer.from(value, 'base64url');
    assert.equal(bytes.length, 32);
    assert.equal(bytes.toString('base64url'), value, 'the canonical encoding of its bytes');
  });

  test('length is a number of bytes', async () => {
    assert.equal(Buffer.from((await make('base64url', {length: 64})).value, 'base64url').length, 64);
  });

  test('no two calls give the same value', () => allDifferent('base64url', 20));
});

describe('password', () => {
  test('the alphabet: 66 distinct URL-unreserved characters, none that .env, Compose or the0 would read otherwise', () => {
    assert.equal(PASSWORD_ALPHABET.length, 66);
    assert.equal(new Set(PASSWORD_ALPHABET).size, 66);
    assert.equal(encodeURIComponent(PASSWORD_ALPHABET), PASSWORD_ALPHABET, 'nothing to encode inside a URL');
    assert.doesNotMatch(PASSWORD_ALPHABET, /[#=$'"`\\\s]/);
  });

  test('is 32 characters from the alphabet (193 bits); length is a number of characters', async () => {
    const {value} = await make('password');
    assert.equal(value.length, 32);
    for (const c of value) assert.ok(PASSWORD_ALPHABET.includes(c), `${JSON.stringify(c)} is outside the alphabet`);
    assert.ok(32 * Math.log2(66) > 193);
    assert.equal((await make('password', {length: 40})).value.length, 40);
    await rejects('password', {length: 8}, /length 8/);
  });

  test('1,000 draws use every character of the alphabet, each roughly equally often', async () => {
    const draws = 1000;
    const n = draws * 32;
    const p = 1 / PASSWORD_ALPHABET.length;
    const mean = n * p; // 484.8 of each character
    // The bounds below fail by chance with a probability computed here, so small that a failure
    // means the draw is not uniform (or not from the whole alphabet), never bad luck:
    // - some character never drawn: at most 66 (1 - 1/66)^32000 (union bound), about 1e-209;
    // - some character drawn fewer than mean/2 or more than 2 mean times: at most
    //   66 (e^(-mean/8) + e^(-mean/3)) by the Chernoff bounds, about 4e-25.
    const pMissing = PASSWORD_ALPHABET.length * Math.exp(n * Math.log1p(-p));
    const pOutside = PASSWORD_ALPHABET.length * (Math.exp(-mean / 8) + Math.exp(-mean / 3));
    assert.ok(pMissing < 1e-200, `P(a character is missing) = ${pMissing}`);
    assert.ok(pOutside < 1e-20, `P(a count is outside [mean/2, 2 mean]) = ${pOutside}`);

    const counts = new Map<string, number>();
    for (let i = 0; i < draws; i++) {
      const {value} = await make('password');
      assert.equal(value.length, 32);
      for (const c of value) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    assert.deepEqual([...counts.keys()].sort(), [...PASSWORD_ALPHABET].sort(), 'every character, and only those');
    for (const [c, k] of counts) assert.ok(k > mean / 2 && k < 2 * mean, `${c} was drawn ${k} times; about ${Math.round(mean)} expected`);
  });

  test('no two calls give the same value', () => allDifferent('password', 20));
});

describe('identifier', () => {
  test('is the prefix and 12 random lower-case letters and digits', async () => {
    assert.match((await make('identifier', {prefix: 'the0-'})).value, /^the0-[a-z0-9]{12}$/);
    assert.match((await make('identifier')).value, /^[a-z0-9]{12}$/);
    assert.match((await make('identifier', {prefix: 'minio-', length: 20})).value, /^minio-[a-z0-9]{20}$/);
    await rejects('identifier', {length: 4}, /length 4/);
  });

  test('no two calls give the same value', () => allDifferent('identifier', 20, {prefix: 'the0-'}));
});

describe('jwt-hs256', () => {
  test('is base64url of at least 256 bits (64 bytes by default: the SHA-256 block size)', async () => {
    const {value} = await make('jwt-hs256');
    assert.match(value, /^[A-Za-z0-9_-]+$/);
    const bytes = Buffer.from(value, 'base64url');
    assert.equal(bytes.length, 64);
    assert.ok(bytes.length * 8 >= 256);
    assert.equal(Buffer.from((await make('jwt-hs256', {length: 32})).value, 'base64url').length * 8, 256);
    await rejects('jwt-hs256', {length: 31}, /length 31: choose a whole number from 32/);
  });

  test('no two calls give the same value', () => allDifferent('jwt-hs256', 20));
});

describe('zitadel-masterkey', () => {
  test('is exactly 32 letters and digits, and guards an existing key', async () => {
    for (let i = 0; i < 20; i++) {
      const m = await make('zitadel-masterkey');
      assert.match(m.value, /^[A-Za-z0-9]{32}$/);
      assert.equal(Buffer.byteLength(m.value), 32, 'ZITADEL counts bytes: exactly 32');
      assert.match(m.guardExisting ?? '', /cannot|unreadable/);
    }
    // A length option cannot make it anything but 32.
    assert.equal((await make('zitadel-masterkey', {length: 64})).value.length, 32);
  });

  test('no two calls give the same value', () => allDifferent('zitadel-masterkey', 20));
});

describe('rsa-jwt-keypair', () => {
  test('a 2048-bit PKCS#8 private key whose SPKI public key is its own, and that signs RS256', async () => {
    const m = await make('rsa-jwt-keypair');
    const pub = m.derived?.publicKey;
    assert.ok(pub);
    assert.match(m.value, /^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);
    assert.match(pub, /^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/);
    const priv = createPrivateKey(m.value);
    assert.equal(priv.asymmetricKeyType, 'rsa');
    assert.equal(priv.asymmetricKeyDetails?.modulusLength, 2048);
    const pubKey = createPublicKey(pub);
    assert.ok(
      createPublicKey(priv)
        .export({type: 'spki', format: 'der'})
        .equals(pubKey.export({type: 'spki', format: 'der'})),
      'the public key is the private key’s',
    );
    const data = Buffer.from('header.payload');
    const sig = sign('sha256', data, priv);
    assert.ok(verify('sha256', data, pubKey, sig));
    assert.ok(!verify('sha256', Buffer.from('header.other'), pubKey, sig));
    assert.deepEqual(m.alsoSecret ?? [], [], 'the public half is no secret');
  });

  test('bits: 4096 on request; sizes other than 2048, 3072, 4096 are refused', async () => {
    await rejects('rsa-jwt-keypair', {bits: 1024}, /bits 1024: choose 2048, 3072 or 4096/);
    await rejects('rsa-jwt-keypair', {bits: 2047}, /bits 2047/);
  });

  test('no two calls give the same value', () => allDifferent('rsa-jwt-keypair', 2));
});

describe('x25519-keypair', () => {
  test('base64 of 32 raw bytes each; the public key derives from the private one', async () => {
    const m = await make('x25519-keypair');
    const pub = m.derived?.publicKey;
    assert.ok(pub);
    for (const v of [m.value, pub]) {
      assert.match(v, /^[A-Za-z0-9+/]{43}=$/);
      assert.equal(Buffer.from(v, 'base64').length, 32);
    }
    const derived = rawPublicKey(Buffer.from(m.value, 'base64'), 'x25519');
    assert.ok(derived);
    assert.equal(derived.toString('base64'), pub);
    assert.notEqual(m.value, pub);
  });

  test('no two calls give the same value', () => allDifferent('x25519-keypair', 20));
});

describe('ed25519-keypair', () => {
  test('PEM (PKCS#8, SPKI) that signs and verifies; another message does not verify', async () => {
    const m = await make('ed25519-keypair');
    const pub = m.derived?.publicKey;
    assert.ok(pub);
    assert.match(m.value, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.match(pub, /^-----BEGIN PUBLIC KEY-----\n/);
    const priv = createPrivateKey(m.value);
    assert.equal(priv.asymmetricKeyType, 'ed25519');
    const msg = Buffer.from('a statement to sign');
    const sig = sign(null, msg, priv);
    assert.ok(verify(null, msg, createPublicKey(pub), sig));
    assert.ok(!verify(null, Buffer.from('another statement'), createPublicKey(pub), sig));
  });

  test('no two calls give the same value', () => allDifferent('ed25519-keypair', 20));
});

describe('nkey', () => {
  test('a seed and a public key of the default role (account) that decode, check out and belong together', async () => {
    const m = await make('nkey');
    const pub = m.derived?.publicKey;
    assert.ok(pub);
    const seed = decodeNkey(m.value, 'seed');
    const key = decodeNkey(pub, 'public');
    assert.ok(seed.ok && key.ok);
    assert.equal(seed.value.role, 'account');
    assert.equal(key.value.role, 'account');
    assert.match(m.value, /^SA[A-Z2-7]{56}$/);
    assert.match(pub, /^A[A-Z2-7]{55}$/);
    assert.deepEqual(nkeyPublicFromSeed(m.value), {ok: true, value: pub});
  });

  test('every role gives its own letters', async () => {
    for (const [role, letter] of Object.entries(NKEY_ROLES) as [NkeyRole, string][]) {
      const m = await make('nkey', {role});
      const seed = decodeNkey(m.value, 'seed');
      const key = decodeNkey(m.derived!.publicKey!, 'public');
      assert.ok(seed.ok && key.ok, role);
      assert.equal(seed.value.role, role);
      assert.equal(key.value.role, role);
      assert.equal(m.value.slice(0, 2), `S${letter}`);
      assert.equal(m.derived!.publicKey![0], letter);
      assert.deepEqual(nkeyPublicFromSeed(m.value), {ok: true, value: m.derived!.publicKey}, role);
    }
  });

  test('an unknown role is refused, including names every object has', async () => {
    await rejects('nkey', {role: 'admin'}, /role admin: choose one of operator, account, user, server, cluster, curve/);
    await rejects('nkey', {role: 'constructor'}, /role constructor: choose one of/);
    await rejects('nkey', {role: 'toString'}, /role toString: choose one of/);
  });

  test('no two calls give the same value', () => allDifferent('nkey', 20));
});

describe('api-key-bcrypt', () => {
  test('the key is shown once and kept secret; only its bcrypt hash (cost 12) is written, and it verifies the key', async () => {
    const m = await make('api-key-bcrypt');
    const key = m.showOnce?.value;
    assert.ok(key);
    assert.match(key, /^sk_[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(key.slice(3), 'base64url').length, 32);
    assert.equal(m.value, m.derived?.hash, 'the value written is the hash');
    assert.match(m.value, /^\$2[aby]\$12\$[./A-Za-z0-9]{53}$/);
    assert.equal(bcrypt.getRounds(m.value), 12);
    assert.ok(await bcrypt.compare(key, m.value));
    assert.ok(!(await bcrypt.compare(`${key}x`, m.value)));
    assert.ok(!m.value.includes(key.slice(3)), 'the hash does not hold the key');
    assert.deepEqual(m.alsoSecret, [key], 'the key is masked wherever a preview shows text');
  });

  test('no two calls give the same value', () => allDifferent('api-key-bcrypt', 3));
});
