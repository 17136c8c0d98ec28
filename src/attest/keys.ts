// Signing keys and trust for sign-offs, all Ed25519:
//   - a PEM PKCS#8 private key, signed with node:crypto: the signature is the raw 64 bytes over
//     the DSSE PAE (what `openssl pkeyutl -verify -rawin` checks);
//   - an OpenSSH key (a private key file, or a public key whose private half is in ssh-agent),
//     signed through `ssh-keygen -Y sign -n shipshape`, which brings the agent and passphrase
//     prompts for free: the signature is then the binary SSHSIG blob (openssh PROTOCOL.sshsig)
//     over the PAE, which `ssh-keygen -Y verify -n shipshape` checks;
//   - without --key, a key generated on first use in the config directory (0600).
// Verifying never runs a program: an SSHSIG is parsed and checked here with node:crypto.
// Trust comes from `--key PUB` (PEM SPKI or an OpenSSH public key line) or an OpenSSH
// allowed_signers file (ssh-keygen(1) ALLOWED SIGNERS, as git uses for commit signing).
import {createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign as cryptoSign, verify as cryptoVerify, type KeyObject} from 'node:crypto';
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {homedir, tmpdir} from 'node:os';
import {join, resolve} from 'node:path';
import {writeFileAtomicSync} from '../write/atomicFile.js';
import type {Signer} from './dsse.js';

/** The SSHSIG namespace every Shipshape signature is made in (keeps it from being reused by another protocol). */
export const SSH_NAMESPACE = 'shipshape';
export const ED25519_SSH = 'ssh-ed25519';

/** A signing key problem (unreadable, wrong type, ssh-keygen failed): the command exits 2 with it. */
export class KeyError extends Error {
  override name = 'KeyError';
}

// ---------------------------------------------------------------------------------------------
// SSH wire format (RFC 4251 section 5)

function sshString(b: Uint8Array | string): Buffer {
  const body = typeof b === 'string' ? Buffer.from(b, 'utf8') : Buffer.from(b);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

/** Reads SSH wire values from a buffer; every read is bounds-checked. */
class Reader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}
  bytes(n: number): Buffer {
    if (n < 0 || this.at + n > this.buf.length) throw new Error('truncated');
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
  uint32(): number {
    return this.bytes(4).readUInt32BE(0);
  }
  string(): Buffer {
    return this.bytes(this.uint32());
  }
  text(): string {
    return this.string().toString('utf8');
  }
  get done(): boolean {
    return this.at === this.buf.length;
  }
}

/** The SSH public key blob of a raw Ed25519 key: string "ssh-ed25519", string key. */
export function sshBlob(raw: Uint8Array): Buffer {
  return Buffer.concat([sshString(ED25519_SSH), sshString(raw)]);
}

/** The raw Ed25519 key in an SSH public key blob, or undefined when the blob is of another type. */
export function rawFromSshBlob(blob: Buffer): {type: string; raw?: Buffer} {
  try {
    const r = new Reader(blob);
    const type = r.text();
    if (type !== ED25519_SSH) return {type};
    const raw = r.string();
    return r.done && raw.length === 32 ? {type, raw: Buffer.from(raw)} : {type};
  } catch {
    return {type: 'unreadable'};
  }
}

/** `SHA256:<base64, no padding>` of the key's SSH blob: what `ssh-keygen -l` prints, used as the DSSE keyid. */
export function fingerprint(raw: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(sshBlob(raw)).digest('base64').replace(/=+$/, '')}`;
}

/** The OpenSSH public key line of a raw Ed25519 key (for authorized_keys and allowed_signers). */
export function sshPublicLine(raw: Uint8Array, comment?: string): string {
  return `${ED25519_SSH} ${sshBlob(raw).toString('base64')}${comment ? ` ${comment}` : ''}`;
}

const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');

/** A raw Ed25519 public key as a KeyObject for node:crypto. */
export function publicKeyObject(raw: Uint8Array): KeyObject {
  return createPublicKey({key: Buffer.concat([SPKI_ED25519, raw]), format: 'der', type: 'spki'});
}

/** The PEM SPKI text of a raw Ed25519 public key (what openssl reads with -pubin). */
export function spkiPem(raw: Uint8Array): string {
  return publicKeyObject(raw).export({format: 'pem', type: 'spki'}).toString();
}

function rawOfKeyObject(k: KeyObject): Buffer {
  const x = (k.type === 'private' ? createPublicKey(k) : k).export({format: 'jwk'}).x;
  if (!x) throw new KeyError('the key has no public half');
  return Buffer.from(x, 'base64url');
}

// ---------------------------------------------------------------------------------------------
// Public keys: PEM SPKI, or an OpenSSH public key line

export interface PublicKey {
  raw: Buffer;
  keyid: string;
  /** Where it came from, for messages: a file, an allowed_signers line. */
  source: string;
  /** A comment or principals naming its owner. */
  name?: string;
}

/** Parses `ssh-ed25519 AAAA... comment`; why not, in words. */
export function parseSshPublicLine(line: string): {ok: true; raw: Buffer; comment?: string} | {ok: false; why: string} {
  const m = /^\s*(\S+)\s+([A-Za-z0-9+/=]+)(?:\s+(.*?))?\s*$/.exec(line);
  if (!m) return {ok: false, why: 'is not an OpenSSH public key line (type, base64 key, comment)'};
  const [, type, b64, comment] = m;
  if (type !== ED25519_SSH) return {ok: false, why: `is a ${type} key; sign-offs use Ed25519 (ssh-keygen -t ed25519)`};
  const {type: inner, raw} = rawFromSshBlob(Buffer.from(b64!, 'base64'));
  if (inner !== ED25519_SSH || !raw) return {ok: false, why: 'has a key blob that is not a valid ssh-ed25519 key'};
  return {ok: true, raw, ...(comment ? {comment} : {})};
}

/** A public key from text: PEM SPKI (`-----BEGIN PUBLIC KEY-----`) or one OpenSSH public key line. */
export function parsePublicKey(text: string, source: string): PublicKey {
  const t = text.trim();
  if (t.startsWith('-----BEGIN')) {
    if (/PRIVATE KEY/.test(t.split('\n')[0] ?? ''))
      throw new KeyError(`${source} is a private key; verify takes public keys (PEM SPKI or an OpenSSH public key line)`);
    let k: KeyObject;
    try {
      k = createPublicKey(t);
    } catch {
      throw new KeyError(`${source} is not a PEM public key`);
    }
    if (k.asymmetricKeyType !== 'ed25519') throw new KeyError(`${source} is a ${k.asymmetricKeyType} key; sign-offs use Ed25519`);
    const raw = rawOfKeyObject(k);
    return {raw, keyid: fingerprint(raw), source};
  }
  const lines = t.split(/\r?\n/).filter((l) => l.trim() && !l.trim().startsWith('#'));
  if (lines.length !== 1) throw new KeyError(`${source}: expected one public key (PEM SPKI, or one OpenSSH public key line)`);
  const p = parseSshPublicLine(lines[0]!);
  if (!p.ok) throw new KeyError(`${source} ${p.why}`);
  return {raw: p.raw, keyid: fingerprint(p.raw), source, ...(p.comment ? {name: p.comment} : {})};
}

export function readPublicKeyFile(file: string): PublicKey {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new KeyError(`--key ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parsePublicKey(text, file);
}

// ---------------------------------------------------------------------------------------------
// allowed_signers (ssh-keygen(1) ALLOWED SIGNERS): principals [options] keytype base64key [comment]

export interface AllowedSigner {
  /** The principals field as written: comma-separated patterns (`*` and `?`, `!` negates). */
  principals: string;
  line: number;
  keyType: string;
  /** Set for Ed25519 keys; other key types are listed but can match no sign-off signature. */
  raw?: Buffer;
  certAuthority: boolean;
  namespaces?: string;
  validAfter?: Date;
  validBefore?: Date;
}

/** A token that may be double-quoted (as ssh-keygen's strdelimw reads principals). */
function token(s: string): {tok: string; rest: string} | undefined {
  const t = s.replace(/^[ \t]+/, '');
  if (t === '') return undefined;
  if (t.startsWith('"')) {
    const end = t.indexOf('"', 1);
    if (end < 0) return undefined;
    return {tok: t.slice(1, end), rest: t.slice(end + 1)};
  }
  const m = /^[^ \t]+/.exec(t)!;
  return {tok: m[0], rest: t.slice(m[0].length)};
}

/** The options field: up to the first space outside quotes. */
function optionsField(s: string): {opts: string; rest: string} {
  let quoted = false;
  let i = 0;
  for (; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"') quoted = !quoted;
    else if (c === '\\' && quoted) i++;
    else if ((c === ' ' || c === '\t') && !quoted) break;
  }
  return {opts: s.slice(0, i), rest: s.slice(i)};
}

/** `YYYYMMDD[HHMM[SS]]`, `Z` for UTC, else local time (as ssh-keygen reads valid-after/valid-before). */
function sshTime(v: string, where: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?(Z)?$/.exec(v);
  if (!m) throw new KeyError(`${where}: ${v} is not a time like 20260131 or 202601311200Z`);
  const [, y, mo, d, h = '00', mi = '00', s = '00', z] = m;
  const parts = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)] as const;
  return z ? new Date(Date.UTC(...parts)) : new Date(...parts);
}

function parseOptions(opts: string, where: string): Pick<AllowedSigner, 'certAuthority' | 'namespaces' | 'validAfter' | 'validBefore'> {
  const out: Pick<AllowedSigner, 'certAuthority' | 'namespaces' | 'validAfter' | 'validBefore'> = {certAuthority: false};
  const re = /([A-Za-z-]+)(?:="((?:[^"\\]|\\.)*)")?(?:,|$)/gy;
  let m: RegExpExecArray | null;
  let at = 0;
  while (at < opts.length && (m = re.exec(opts))) {
    at = re.lastIndex;
    const [, name, value] = m;
    const key = name!.toLowerCase();
    if (key === 'cert-authority' && value === undefined) out.certAuthority = true;
    else if (key === 'namespaces' && value !== undefined) out.namespaces = value;
    else if (key === 'valid-after' && value !== undefined) out.validAfter = sshTime(value, where);
    else if (key === 'valid-before' && value !== undefined) out.validBefore = sshTime(value, where);
    else throw new KeyError(`${where}: unknown or malformed option ${name}`);
  }
  if (at !== opts.length) throw new KeyError(`${where}: cannot read the options ${opts}`);
  return out;
}

const KEY_TYPE = /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp\d+|sk-\S+|\S+-cert-v01@openssh\.com)$/;

/** Parses an allowed_signers file's text; a line it cannot read is an error naming its number. */
export function parseAllowedSigners(text: string, file: string): AllowedSigner[] {
  const out: AllowedSigner[] = [];
  for (const [n, rawLine] of text.split(/\r?\n/).entries()) {
    const where = `${file}:${n + 1}`;
    const line = rawLine.replace(/^[ \t]+/, '');
    if (line === '' || line.startsWith('#')) continue;
    const p = token(line);
    if (!p || p.rest.trim() === '') throw new KeyError(`${where}: expected principals, then a key`);
    let rest = p.rest.replace(/^[ \t]+/, '');
    let options: ReturnType<typeof parseOptions> = {certAuthority: false};
    const first = /^\S+/.exec(rest)?.[0] ?? '';
    if (!KEY_TYPE.test(first)) {
      const o = optionsField(rest);
      options = parseOptions(o.opts, where);
      rest = o.rest.replace(/^[ \t]+/, '');
    }
    const m = /^(\S+)\s+([A-Za-z0-9+/=]+)/.exec(rest);
    if (!m || !KEY_TYPE.test(m[1]!))
      throw new KeyError(`${where}: expected a key (type and base64) after the principals${options.certAuthority ? ' and options' : ''}`);
    const keyType = m[1]!;
    let raw: Buffer | undefined;
    if (keyType === ED25519_SSH) {
      const k = rawFromSshBlob(Buffer.from(m[2]!, 'base64'));
      if (k.type !== ED25519_SSH || !k.raw) throw new KeyError(`${where}: the ssh-ed25519 key does not decode`);
      raw = k.raw;
    }
    out.push({principals: p.tok, line: n + 1, keyType, ...(raw ? {raw} : {}), ...options});
  }
  return out;
}

/** OpenSSH's match_pattern: `*` any run, `?` one character. */
function globMatch(s: string, pattern: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    's',
  );
  return re.test(s);
}

/** OpenSSH's match_pattern_list: comma-separated patterns, a `!` pattern that matches vetoes. */
export function matchPatternList(s: string, list: string): boolean {
  let matched = false;
  for (const raw of list.split(',')) {
    const neg = raw.startsWith('!');
    const p = neg ? raw.slice(1) : raw;
    if (globMatch(s, p)) {
      if (neg) return false;
      matched = true;
    }
  }
  return matched;
}

/** The allowed_signers lines that let `raw` sign in the shipshape namespace at `when` (certificate authorities never match a plain key). */
export function allowedFor(entries: readonly AllowedSigner[], raw: Uint8Array, when = new Date()): AllowedSigner[] {
  return entries.filter(
    (e) =>
      e.raw?.equals(raw) &&
      !e.certAuthority &&
      (e.namespaces === undefined || matchPatternList(SSH_NAMESPACE, e.namespaces)) &&
      (e.validAfter === undefined || when >= e.validAfter) &&
      (e.validBefore === undefined || when <= e.validBefore),
  );
}

// ---------------------------------------------------------------------------------------------
// SSHSIG (openssh-portable PROTOCOL.sshsig)

const SSHSIG_MAGIC = Buffer.from('SSHSIG');

export interface SshSig {
  /** The Ed25519 key inside the signature (undefined for another key type). */
  raw?: Buffer;
  keyType: string;
  namespace: string;
  hashAlg: string;
  sigType: string;
  signature: Buffer;
}

export function isSshSig(sig: Uint8Array): boolean {
  return sig.length > SSHSIG_MAGIC.length && Buffer.from(sig.subarray(0, 6)).equals(SSHSIG_MAGIC);
}

/** Parses a binary SSHSIG blob; why not, in words. */
export function parseSshSig(blob: Buffer): {ok: true; value: SshSig} | {ok: false; why: string} {
  try {
    const r = new Reader(blob);
    if (!r.bytes(6).equals(SSHSIG_MAGIC)) return {ok: false, why: 'is not an SSH signature'};
    const version = r.uint32();
    if (version !== 1) return {ok: false, why: `is an SSH signature of version ${version}, not 1`};
    const key = rawFromSshBlob(r.string());
    const namespace = r.text();
    r.string(); // reserved
    const hashAlg = r.text();
    const inner = new Reader(r.string());
    const sigType = inner.text();
    const signature = inner.string();
    if (!inner.done || !r.done) return {ok: false, why: 'is an SSH signature with trailing bytes'};
    return {ok: true, value: {...(key.raw ? {raw: key.raw} : {}), keyType: key.type, namespace, hashAlg, sigType, signature: Buffer.from(signature)}};
  } catch {
    return {ok: false, why: 'is a truncated SSH signature'};
  }
}

/** What an SSHSIG signs: "SSHSIG", namespace, reserved, hash algorithm, H(message). */
function sshSignedData(namespace: string, hashAlg: 'sha256' | 'sha512', message: Uint8Array): Buffer {
  const h = createHash(hashAlg).update(message).digest();
  return Buffer.concat([SSHSIG_MAGIC, sshString(namespace), sshString(''), sshString(hashAlg), sshString(h)]);
}

/** Verifies an Ed25519 SSHSIG over `message` in the shipshape namespace; the key it names, or why not. */
export function verifySshSig(blob: Buffer, message: Uint8Array): {ok: true; raw: Buffer} | {ok: false; why: string; raw?: Buffer} {
  const p = parseSshSig(blob);
  if (!p.ok) return p;
  const s = p.value;
  if (s.keyType !== ED25519_SSH || !s.raw) return {ok: false, why: `is made with a ${s.keyType} key; sign-offs use Ed25519`};
  if (s.namespace !== SSH_NAMESPACE) return {ok: false, why: `is made for the namespace "${s.namespace}", not "${SSH_NAMESPACE}"`, raw: s.raw};
  if (s.hashAlg !== 'sha256' && s.hashAlg !== 'sha512') return {ok: false, why: `uses the hash ${s.hashAlg}`, raw: s.raw};
  if (s.sigType !== ED25519_SSH || s.signature.length !== 64) return {ok: false, why: 'holds no Ed25519 signature', raw: s.raw};
  const good = cryptoVerify(null, sshSignedData(s.namespace, s.hashAlg, message), publicKeyObject(s.raw), s.signature);
  return good ? {ok: true, raw: s.raw} : {ok: false, why: 'does not verify', raw: s.raw};
}

/** The armored form `ssh-keygen -Y verify -s` reads: base64 wrapped at 76 columns between the markers. */
export function armorSshSig(blob: Uint8Array): string {
  const b64 = Buffer.from(blob).toString('base64');
  const lines = b64.match(/.{1,76}/g) ?? [];
  return ['-----BEGIN SSH SIGNATURE-----', ...lines, '-----END SSH SIGNATURE-----', ''].join('\n');
}

function dearmorSshSig(text: string): Buffer {
  const m = /-----BEGIN SSH SIGNATURE-----([\s\S]*?)-----END SSH SIGNATURE-----/.exec(text);
  if (!m) throw new KeyError('ssh-keygen wrote no SSH signature');
  return Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
}

// ---------------------------------------------------------------------------------------------
// Signers

export interface SignerInfo extends Signer {
  raw: Buffer;
  /** What kind of key and where: for messages. */
  describe: string;
  /** Set when the key was made just now (first use without --key). */
  created?: string;
}

/** Signs with an Ed25519 private key held by node:crypto: a raw 64-byte signature. */
export function keyObjectSigner(key: KeyObject, describe: string): SignerInfo {
  const raw = rawOfKeyObject(key);
  return {raw, keyid: fingerprint(raw), describe, sign: async (m) => cryptoSign(null, m, key)};
}

/** The public key stored in an OpenSSH private key file's clear header (readable without the passphrase). */
function openSshPrivatePublic(text: string): Buffer {
  const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text);
  if (!m) throw new KeyError('is not an OpenSSH private key');
  const r = new Reader(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
  const magic = Buffer.from('openssh-key-v1\0');
  if (!r.bytes(magic.length).equals(magic)) throw new KeyError('is not an openssh-key-v1 private key');
  r.string(); // cipher
  r.string(); // kdf
  r.string(); // kdf options
  if (r.uint32() !== 1) throw new KeyError('holds more than one key');
  const {type, raw} = rawFromSshBlob(r.string());
  if (type !== ED25519_SSH || !raw) throw new KeyError(`is a ${type} key; sign-offs use Ed25519 (ssh-keygen -t ed25519)`);
  return raw;
}

/**
 * Signs through `ssh-keygen -Y sign -n shipshape -f KEY`, run without a shell: KEY is an OpenSSH
 * private key (ssh-keygen asks for its passphrase on the terminal) or a public key whose private
 * half ssh-agent holds. The message goes through a private temporary folder.
 */
export function sshKeygenSigner(keyFile: string, raw: Buffer): SignerInfo {
  return {
    raw,
    keyid: fingerprint(raw),
    describe: `OpenSSH key ${keyFile} (signed by ssh-keygen)`,
    async sign(message) {
      const {execa} = await import('execa');
      const dir = mkdtempSync(join(tmpdir(), 'shipshape-sign-'));
      try {
        const file = join(dir, 'pae');
        writeFileSync(file, message, {mode: 0o600});
        const r = await execa('ssh-keygen', ['-Y', 'sign', '-n', SSH_NAMESPACE, '-f', keyFile, file], {
          stdin: 'inherit',
          stdout: 'pipe',
          stderr: 'pipe',
          reject: false,
          timeout: 300_000,
        });
        if (r.failed || r.exitCode !== 0) {
          const why =
            (r as {code?: string}).code === 'ENOENT'
              ? 'ssh-keygen is not installed'
              : String(r.stderr ?? '')
                  .trim()
                  .split('\n')
                  .slice(-2)
                  .join('; ') || `exit ${r.exitCode}`;
          throw new KeyError(`ssh-keygen -Y sign with ${keyFile} failed: ${why}`);
        }
        const blob = dearmorSshSig(readFileSync(`${file}.sig`, 'utf8'));
        const p = parseSshSig(blob);
        if (!p.ok || !p.value.raw?.equals(raw)) throw new KeyError(`ssh-keygen signed with a key other than ${fingerprint(raw)}`);
        return blob;
      } finally {
        rmSync(dir, {recursive: true, force: true});
      }
    },
  };
}

/** The signer for `--key FILE`: a PEM PKCS#8 Ed25519 key, an OpenSSH private key, or an OpenSSH public key (ssh-agent). */
export function signerFromFile(file: string): SignerInfo {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new KeyError(`--key ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const head = text.trimStart().split('\n')[0] ?? '';
  if (head.includes('BEGIN OPENSSH PRIVATE KEY')) {
    try {
      return sshKeygenSigner(path, openSshPrivatePublic(text));
    } catch (err) {
      throw new KeyError(`--key ${file} ${(err as Error).message}`);
    }
  }
  if (head.startsWith('ssh-') || head.startsWith('sk-') || head.startsWith('ecdsa-')) {
    const p = parseSshPublicLine(head);
    if (!p.ok) throw new KeyError(`--key ${file} ${p.why}`);
    return sshKeygenSigner(path, p.raw);
  }
  if (/BEGIN (ENCRYPTED )?PRIVATE KEY/.test(head)) {
    let key: KeyObject;
    try {
      key = createPrivateKey(text);
    } catch (err) {
      const code = (err as {code?: string}).code;
      if (code === 'ERR_MISSING_PASSPHRASE' || head.includes('ENCRYPTED'))
        throw new KeyError(`--key ${file} is encrypted; use an OpenSSH key (ssh-keygen asks for its passphrase) or an unencrypted PEM key`);
      throw new KeyError(`--key ${file} is not a PEM private key`);
    }
    if (key.asymmetricKeyType !== 'ed25519') throw new KeyError(`--key ${file} is a ${key.asymmetricKeyType} key; sign-offs use Ed25519`);
    return keyObjectSigner(key, `Ed25519 key ${file}`);
  }
  throw new KeyError(`--key ${file}: not an Ed25519 private key (PEM PKCS#8, an OpenSSH private key, or an OpenSSH public key held by ssh-agent)`);
}

/** Shipshape's config directory ($XDG_CONFIG_HOME/shipshape, else ~/.config/shipshape). */
export function configDir(): string {
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Preferences', 'shipshape');
  if (process.platform === 'win32') return join(process.env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'shipshape');
  return join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'shipshape');
}

export const DEFAULT_KEY_FILE = 'signing-key.pem';

/** The signing key used without --key: made on first use (0600, in a 0700 folder), refused when others can read it. */
export function defaultSigner(dir = configDir()): SignerInfo {
  const file = join(dir, DEFAULT_KEY_FILE);
  let created: string | undefined;
  if (!existsSync(file)) {
    try {
      mkdirSync(dir, {recursive: true, mode: 0o700});
    } catch (err) {
      throw new KeyError(`cannot create ${dir} for a signing key (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); pass --key FILE`);
    }
    const {privateKey} = generateKeyPairSync('ed25519', {privateKeyEncoding: {type: 'pkcs8', format: 'pem'}, publicKeyEncoding: {type: 'spki', format: 'pem'}});
    writeFileAtomicSync(file, privateKey, 0o600);
    created = file;
  }
  if (process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0) {
    throw new KeyError(`${file} can be read by other users; chmod 600 it (or pass --key FILE)`);
  }
  const s = signerFromFile(file);
  return {...s, describe: `Shipshape's own key ${file}`, ...(created ? {created} : {})};
}
