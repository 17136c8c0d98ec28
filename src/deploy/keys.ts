// Key and encoding helpers that checks, generators and signing share: base64 and base32 as the
// services read them, X25519 / Ed25519 / RSA keys, and NATS NKEYs. Only node:crypto.
//
// Nothing here ever puts a secret in an error: every `why` says what is wrong with a value,
// never what the value is.
import {createHash, createPrivateKey, createPublicKey, generateKeyPair, generateKeyPairSync, type KeyObject} from 'node:crypto';
import {promisify} from 'node:util';

/** A decoded value, or why it could not be decoded (never quoting the value). */
export type Decoded<T> = {ok: true; value: T} | {ok: false; why: string};

const ok = <T>(value: T): Decoded<T> => ({ok: true, value});
const bad = <T>(why: string): Decoded<T> => ({ok: false, why});

/** A key pair as text, ready to be written to a file or a setting. */
export interface KeyPairText {
  privateKey: string;
  publicKey: string;
}

// ---------------------------------------------------------------------------------------------
// base64

/** Which base64 alphabet a value must use: either, the standard one (+ /) or the url-safe one (- _). */
export type Base64Alphabet = 'any' | 'standard' | 'url';

/**
 * Decodes base64 as the services read it, so a check can say exactly what is wrong: standard
 * (+/) or url-safe (-_) alphabet, padding optional unless `paddingRequired`.
 */
export function decodeBase64(v: string, alphabet: Base64Alphabet = 'any', paddingRequired = false): Decoded<Buffer> {
  const stray = [...v].findIndex((c) => !/[A-Za-z0-9+/_=-]/.test(c));
  if (stray >= 0) return bad(`character ${stray + 1} is not a base64 character`);
  const body = v.replace(/=+$/, '');
  const pads = v.length - body.length;
  if (body.includes('=')) return bad('has "=" before the end (padding goes only at the end)');
  const std = /[+/]/.test(body);
  const url = /[-_]/.test(body);
  if (std && url) return bad('mixes the standard (+ /) and url-safe (- _) base64 alphabets');
  if (alphabet === 'standard' && url) return bad('uses the url-safe alphabet (- _); the standard one (+ /) is expected');
  if (alphabet === 'url' && std) return bad('uses the standard alphabet (+ /); the url-safe one (- _) is expected');
  if (body.length % 4 === 1) return bad(`has an impossible base64 length (${body.length} characters)`);
  if (pads > 0 && (pads > 2 || (body.length + pads) % 4 !== 0)) return bad('has the wrong number of "=" padding characters');
  if (paddingRequired && v.length % 4 !== 0) return bad('lacks the "=" padding its decoders require');
  return ok(Buffer.from(body, url ? 'base64url' : 'base64'));
}

// ---------------------------------------------------------------------------------------------
// base32 (RFC 4648 alphabet, as NATS uses it: upper case, no padding)

/** The RFC 4648 base32 alphabet, the one NKEYs are written in. */
export const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding, as NKEYs are written. */
export function base32Encode(data: Uint8Array): string {
  let out = '';
  let bits = 0;
  let acc = 0;
  for (const b of data) {
    acc = ((acc << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32_ALPHABET[(acc >> bits) & 31];
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(acc << (5 - bits)) & 31];
  return out;
}

/**
 * Reads RFC 4648 base32 (upper case; trailing `=` padding allowed), the inverse of
 * base32Encode; throws, naming the position, on a character outside the alphabet or a length
 * no encoder produces.
 */
export function base32Decode(s: string): Buffer {
  const body = s.replace(/=+$/, '');
  const stray = [...body].findIndex((c) => !BASE32_ALPHABET.includes(c));
  if (stray >= 0) throw new Error(`character ${stray + 1} is not base32 (A-Z, 2-7)`);
  if ([1, 3, 6].includes(body.length % 8)) throw new Error(`${body.length} characters is not a base32 length`);
  const out: number[] = [];
  let bits = 0;
  let acc = 0;
  for (const c of body) {
    acc = ((acc << 5) | BASE32_ALPHABET.indexOf(c)) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

// ---------------------------------------------------------------------------------------------
// X25519 and Ed25519 (raw 32-byte keys)

/** The curves whose private keys are 32 raw bytes: X25519 (NaCl box) and Ed25519 (signatures). */
export type Curve = 'x25519' | 'ed25519';

const PKCS8_PREFIX: Record<Curve, Buffer> = {
  x25519: Buffer.from('302e020100300506032b656e04220420', 'hex'),
  ed25519: Buffer.from('302e020100300506032b657004220420', 'hex'),
};

/** A raw 32-byte private key as a KeyObject, for signing or deriving; undefined when it is not one. */
export function privateKeyFromRaw(raw: Uint8Array, curve: Curve): KeyObject | undefined {
  // Node 20's JWK import insists on `x` as well as `d`, so the key is wrapped as PKCS#8 instead.
  if (raw.length !== 32) return undefined;
  try {
    return createPrivateKey({key: Buffer.concat([PKCS8_PREFIX[curve], raw]), format: 'der', type: 'pkcs8'});
  } catch {
    return undefined;
  }
}

/** The raw 32-byte public key of a raw 32-byte private key, so a stored public key can be compared with it. */
export function rawPublicKey(raw: Uint8Array, curve: Curve): Buffer | undefined {
  const key = privateKeyFromRaw(raw, curve);
  if (!key) return undefined;
  try {
    const x = createPublicKey(key).export({format: 'jwk'}).x;
    return x === undefined ? undefined : Buffer.from(x, 'base64url');
  } catch {
    return undefined;
  }
}

/** The raw 32 bytes of each half of a new pair, from which every text form is made. */
function rawPair(curve: Curve): {privateKey: Buffer; publicKey: Buffer} {
  const {privateKey, publicKey} = generateKeyPairSync(curve as 'x25519');
  const d = privateKey.export({format: 'jwk'}).d;
  const x = publicKey.export({format: 'jwk'}).x;
  if (d === undefined || x === undefined) throw new Error(`node:crypto gave a ${curve} key without its raw bytes`);
  return {privateKey: Buffer.from(d, 'base64url'), publicKey: Buffer.from(x, 'base64url')};
}

/** A new X25519 pair as NaCl box / sealed-box services take it: standard base64 of 32 raw bytes each. */
export function generateX25519Pair(): KeyPairText {
  const {privateKey, publicKey} = rawPair('x25519');
  return {privateKey: privateKey.toString('base64'), publicKey: publicKey.toString('base64')};
}

/** A new Ed25519 pair as PEM (PKCS#8 private, SPKI public): the form signing keys are stored in. */
export function generateEd25519Pair(): KeyPairText {
  const {privateKey, publicKey} = generateKeyPairSync('ed25519', {
    privateKeyEncoding: {type: 'pkcs8', format: 'pem'},
    publicKeyEncoding: {type: 'spki', format: 'pem'},
  });
  return {privateKey, publicKey};
}

// ---------------------------------------------------------------------------------------------
// RSA (PEM)

const generateKeyPairAsync = promisify(generateKeyPair);

/**
 * A new RSA pair as PEM (PKCS#8 private, SPKI public), e.g. for RS256 JWT signing. Asynchronous:
 * a 4096-bit key takes seconds, and the wizard must keep drawing meanwhile.
 */
export async function generateRsaPair(bits: 2048 | 3072 | 4096 = 2048): Promise<KeyPairText> {
  const {privateKey, publicKey} = await generateKeyPairAsync('rsa', {
    modulusLength: bits,
    privateKeyEncoding: {type: 'pkcs8', format: 'pem'},
    publicKeyEncoding: {type: 'spki', format: 'pem'},
  });
  return {privateKey, publicKey};
}

/** A PEM written on one line with literal \n (common in .env files) as real lines, the way services read it. */
export function pemText(v: string): string {
  return !v.includes('\n') && v.includes('\\n') ? v.replace(/\\n/g, '\n') : v;
}

/** An RSA key reduced to what comparisons need: the public half as SPKI DER, and its size. */
export interface RsaKeyFacts {
  /** The public key, SPKI DER: equal bytes mean the same key. */
  spki: Buffer;
  bits: number;
}

function rsaBits(k: KeyObject): number | undefined {
  return k.asymmetricKeyType === 'rsa' || k.asymmetricKeyType === 'rsa-pss' ? k.asymmetricKeyDetails?.modulusLength : undefined;
}

/** Parses a PEM RSA private key (one-line \n form too) and says why it is unusable: not PEM, encrypted, not RSA, too short. */
export function parseRsaPrivate(v: string, minBits = 0): Decoded<RsaKeyFacts> {
  const pem = pemText(v);
  const begin = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(pem)?.[1];
  if (!begin) return bad('is not PEM (no -----BEGIN ...----- line)');
  if (/PUBLIC KEY|CERTIFICATE/.test(begin)) return bad(`is a ${begin.toLowerCase()}, not a private key`);
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    const code = (err as {code?: string}).code;
    if (code === 'ERR_MISSING_PASSPHRASE' || /ENCRYPTED/.test(begin)) return bad('is encrypted and needs a passphrase the service does not have');
    return bad(`does not parse as a PEM private key (${begin})`);
  }
  const bits = rsaBits(key);
  if (bits === undefined) return bad(`is a ${key.asymmetricKeyType ?? 'non-RSA'} key, not RSA`);
  if (bits < minBits) return bad(`is RSA ${bits}-bit, shorter than ${minBits}`);
  return ok({spki: createPublicKey(key).export({format: 'der', type: 'spki'}), bits});
}

/** Parses a PEM RSA public key and says why it is unusable, so it can be matched with its private key. */
export function parseRsaPublic(v: string, minBits = 0): Decoded<RsaKeyFacts> {
  const pem = pemText(v);
  const begin = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(pem)?.[1];
  if (!begin) return bad('is not PEM (no -----BEGIN ...----- line)');
  if (/PRIVATE KEY/.test(begin)) return bad('is a private key where the public key belongs');
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    return bad(`does not parse as a PEM public key (${begin})`);
  }
  const bits = rsaBits(key);
  if (bits === undefined) return bad(`is a ${key.asymmetricKeyType ?? 'non-RSA'} key, not RSA`);
  if (bits < minBits) return bad(`is RSA ${bits}-bit, shorter than ${minBits}`);
  return ok({spki: key.export({format: 'der', type: 'spki'}), bits});
}

/** A short fingerprint of a public key, safe to print: the start of the SHA-256 of its SPKI DER. */
export function spkiFingerprint(spki: Uint8Array): string {
  return `SHA-256 ${createHash('sha256').update(spki).digest('hex').slice(0, 16)}…`;
}

// ---------------------------------------------------------------------------------------------
// NATS NKEYs (github.com/nats-io/nkeys strkey.go, crc16.go)

/** The NKEY roles and the letter each public key (and seed, after its S) starts with. */
export const NKEY_ROLES = {operator: 'O', account: 'A', user: 'U', server: 'N', cluster: 'C', curve: 'X'} as const;
export type NkeyRole = keyof typeof NKEY_ROLES;
export type NkeyLetter = (typeof NKEY_ROLES)[NkeyRole];

/** Prefix byte of each role letter, as nkeys defines them. */
const PREFIX: Record<NkeyLetter, number> = {O: 14 << 3, A: 0, U: 20 << 3, N: 13 << 3, C: 2 << 3, X: 23 << 3};
const SEED_PREFIX = 18 << 3;
const ROLE_OF_LETTER = new Map<string, NkeyRole>(Object.entries(NKEY_ROLES).map(([r, l]) => [l, r as NkeyRole]));
const LETTER_OF_PREFIX = new Map<number, NkeyLetter>(Object.entries(PREFIX).map(([l, b]) => [b, l as NkeyLetter]));

/** The role an NKEY letter stands for, so a message can name it; undefined for any other letter. */
export function nkeyRoleOf(letter: string): NkeyRole | undefined {
  return ROLE_OF_LETTER.get(letter);
}

/** CRC-16/XMODEM (poly 0x1021, init 0), the checksum every NKEY ends with (little-endian). */
export function crc16xmodem(data: Uint8Array): number {
  let crc = 0;
  for (const b of data) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

function withCrc(body: Buffer): string {
  const crc = crc16xmodem(body);
  return base32Encode(Buffer.concat([body, Buffer.from([crc & 0xff, crc >> 8])]));
}

/** A decoded NKEY: its role and the 32 raw key bytes after the prefix. */
export interface Nkey {
  letter: NkeyLetter;
  role: NkeyRole;
  /** A seed's private key bytes, or a public key's. */
  raw: Buffer;
}

/** The public NKEY (56 characters) of a role's raw 32-byte public key, as nkeys writes it. */
export function encodeNkeyPublic(role: NkeyRole, raw: Uint8Array): string {
  if (raw.length !== 32) throw new Error(`an NKEY holds 32 key bytes, not ${raw.length}`);
  return withCrc(Buffer.concat([Buffer.from([PREFIX[NKEY_ROLES[role]]]), raw]));
}

/** The NKEY seed (58 characters, S + role letter) of a role's raw 32-byte private key, as nkeys writes it. */
export function encodeNkeySeed(role: NkeyRole, raw: Uint8Array): string {
  if (raw.length !== 32) throw new Error(`an NKEY holds 32 key bytes, not ${raw.length}`);
  const p = PREFIX[NKEY_ROLES[role]];
  // Two prefix bytes so that both the S and the role letter show in the base32 text.
  return withCrc(Buffer.concat([Buffer.from([SEED_PREFIX | (p >> 5), (p & 31) << 3]), raw]));
}

/**
 * Decodes and verifies an NKEY exactly as nkeys does (base32, CRC16 little-endian, prefix
 * bytes), saying what is wrong in words a person can act on.
 */
export function decodeNkey(v: string, kind: 'seed' | 'public'): Decoded<Nkey> {
  const want = kind === 'seed' ? 58 : 56;
  const isLetter = (c: string | undefined) => c !== undefined && ROLE_OF_LETTER.has(c);
  if (/[a-z]/.test(v) && /^[A-Za-z2-7]+$/.test(v)) return bad('is lower case; NKEYs are upper-case base32');
  const stray = [...v].findIndex((c) => !BASE32_ALPHABET.includes(c));
  if (stray >= 0) return bad(`character ${stray + 1} is not base32 (A-Z, 2-7)`);
  if (kind === 'seed' && v[0] !== 'S')
    return bad(v.length === 56 && isLetter(v[0]) ? 'is a public key, not a seed' : 'does not start with S (every NKEY seed does)');
  if (kind === 'public' && v[0] === 'S') return bad('is a seed (a private key), not a public key');
  if (kind === 'public' && !isLetter(v[0])) return bad(`starts with ${v[0]}; a public NKEY starts with O, A, U, N, C or X`);
  if (v.length !== want) return bad(`is ${v.length} characters; a ${kind === 'seed' ? 'seed' : 'public key'} has ${want}`);
  const bytes = base32Decode(v);
  const body = bytes.subarray(0, bytes.length - 2);
  const sum = bytes[bytes.length - 2]! | (bytes[bytes.length - 1]! << 8);
  if (crc16xmodem(body) !== sum) return bad('fails its CRC16 checksum (a character is wrong or missing)');
  if (kind === 'public') {
    const letter = LETTER_OF_PREFIX.get(body[0]!);
    if (!letter) return bad('has an invalid prefix byte');
    return ok({letter, role: ROLE_OF_LETTER.get(letter)!, raw: Buffer.from(body.subarray(1))});
  }
  const b1 = body[0]! & 248;
  const b2 = ((body[0]! & 7) << 5) | ((body[1]! & 248) >> 3);
  const letter = LETTER_OF_PREFIX.get(b2);
  if (b1 !== SEED_PREFIX || !letter) return bad('has an invalid seed prefix');
  return ok({letter, role: ROLE_OF_LETTER.get(letter)!, raw: Buffer.from(body.subarray(2))});
}

/** The raw public key a seed's private bytes give: X25519 for curve keys, Ed25519 for every other role. */
export function nkeyRawPublic(seed: Nkey): Buffer | undefined {
  return rawPublicKey(seed.raw, seed.letter === 'X' ? 'x25519' : 'ed25519');
}

/** The public NKEY of a seed, so a configured public key can be checked against it (or written beside it). */
export function nkeyPublicFromSeed(seed: string): Decoded<string> {
  const d = decodeNkey(seed, 'seed');
  if (!d.ok) return d;
  const pub = nkeyRawPublic(d.value);
  if (!pub) return bad('does not give a usable key');
  return ok(encodeNkeyPublic(d.value.role, pub));
}

/** A new NKEY seed and its public key for a role, in the nkeys format NATS servers and nsc read. */
export function generateNkey(role: NkeyRole): {seed: string; publicKey: string} {
  const curve: Curve = role === 'curve' ? 'x25519' : 'ed25519';
  const {privateKey, publicKey} = rawPair(curve);
  return {seed: encodeNkeySeed(role, privateKey), publicKey: encodeNkeyPublic(role, publicKey)};
}
