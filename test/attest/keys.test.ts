// Keys and trust, proved against tools that are not ours: ssh-keygen makes and verifies SSH
// signatures, openssl verifies raw Ed25519 signatures, ssh-agent holds a key we never read.
import assert from 'node:assert/strict';
import {execFileSync, spawn, spawnSync} from 'node:child_process';
import {generateKeyPairSync} from 'node:crypto';
import {existsSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {after, describe, test} from 'node:test';
import {pae} from '../../src/attest/dsse.js';
import {
  KeyError,
  allowedFor,
  armorSshSig,
  defaultSigner,
  fingerprint,
  matchPatternList,
  parseAllowedSigners,
  parsePublicKey,
  parseSshSig,
  signerFromFile,
  spkiPem,
  sshPublicLine,
  verifySshSig,
} from '../../src/attest/keys.js';
import {tempDir} from '../support/helpers.js';
import {needs, pemKeys, sshKeys} from './support.js';

const MESSAGE = pae('application/vnd.in-toto+json', Buffer.from('{"_type":"https://in-toto.io/Statement/v1"}'));

describe('allowed_signers (the OpenSSH format git uses)', () => {
  const {raw} = parsePublicKey(sshPublicLine(Buffer.alloc(32, 7)), 'k');
  const line = sshPublicLine(raw);

  test('reads principals, quoted principals, options and comments', () => {
    const text = [
      '# operators',
      `ops@example.org ${line} laptop`,
      `"alice@example.org,bob@example.org" namespaces="git,shipshape" ${line}`,
      `carol@example.org valid-after="20200101",valid-before="20991231Z" ${line}`,
      `ca@example.org cert-authority ${line}`,
      '',
      `  rsa@example.org ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7`,
    ].join('\n');
    const e = parseAllowedSigners(text, 'allowed_signers');
    assert.deepEqual(
      e.map((x) => [x.principals, x.line, x.keyType, x.namespaces, x.certAuthority]),
      [
        ['ops@example.org', 2, 'ssh-ed25519', undefined, false],
        ['alice@example.org,bob@example.org', 3, 'ssh-ed25519', 'git,shipshape', false],
        ['carol@example.org', 4, 'ssh-ed25519', undefined, false],
        ['ca@example.org', 5, 'ssh-ed25519', undefined, true],
        ['rsa@example.org', 7, 'ssh-rsa', undefined, false],
      ],
    );
    assert.equal(e[2]!.validBefore?.toISOString(), '2099-12-31T00:00:00.000Z');
    // A certificate authority never vouches for a plain key; the others do.
    assert.deepEqual(
      allowedFor(e, raw).map((x) => x.principals),
      ['ops@example.org', 'alice@example.org,bob@example.org', 'carol@example.org'],
    );
  });

  test('namespaces and validity are honoured', () => {
    const e = parseAllowedSigners(
      [`a namespaces="git" ${line}`, `b namespaces="ship*" ${line}`, `c valid-before="20000101" ${line}`, `d valid-after="20990101" ${line}`].join('\n'),
      'f',
    );
    assert.deepEqual(
      allowedFor(e, raw).map((x) => x.principals),
      ['b'],
    );
    assert.deepEqual(
      allowedFor(e, raw, new Date('2099-06-01')).map((x) => x.principals),
      ['b', 'd'],
    );
  });

  test('a line it cannot read is an error naming its line', () => {
    assert.throws(
      () => parseAllowedSigners(`ok ${line}\nbroken`, 'signers'),
      (e: Error) => e instanceof KeyError && /signers:2/.test(e.message),
    );
    assert.throws(() => parseAllowedSigners(`x bogus-option ${line}`, 'signers'), /signers:1: unknown or malformed option/);
    assert.throws(() => parseAllowedSigners(`x valid-after="tomorrow" ${line}`, 'signers'), /not a time/);
  });

  test('pattern lists as OpenSSH matches them', () => {
    assert.equal(matchPatternList('shipshape', 'git,shipshape'), true);
    assert.equal(matchPatternList('shipshape', 'ship*'), true);
    assert.equal(matchPatternList('shipshape', 'ship?'), false);
    assert.equal(matchPatternList('shipshape', '*,!shipshape'), false);
  });
});

describe('public keys', () => {
  test('PEM SPKI and the OpenSSH line of one key give one fingerprint, the one ssh-keygen -l prints', {skip: needs('ssh-keygen')}, () => {
    const k = pemKeys();
    const pem = parsePublicKey(readFileSync(k.pub, 'utf8'), k.pub);
    const ssh = parsePublicKey(sshPublicLine(pem.raw, 'me'), 'line');
    assert.equal(pem.keyid, ssh.keyid);
    assert.equal(ssh.name, 'me');
    const pubFile = join(tempDir(), 'k.pub');
    writeFileSync(pubFile, `${sshPublicLine(pem.raw)}\n`);
    const printed = execFileSync('ssh-keygen', ['-l', '-f', pubFile], {encoding: 'utf8'});
    assert.ok(printed.includes(pem.keyid), printed);
    assert.equal(spkiPem(pem.raw).trim(), readFileSync(k.pub, 'utf8').trim());
  });

  test('private keys, other algorithms and garbage are refused with a reason', () => {
    const k = pemKeys();
    assert.throws(() => parsePublicKey(readFileSync(k.priv, 'utf8'), 'x'), /private key/);
    const {publicKey} = generateKeyPairSync('ec', {
      namedCurve: 'P-256',
      publicKeyEncoding: {type: 'spki', format: 'pem'},
      privateKeyEncoding: {type: 'pkcs8', format: 'pem'},
    });
    assert.throws(() => parsePublicKey(publicKey, 'x'), /ec key; sign-offs use Ed25519/);
    assert.throws(() => parsePublicKey('ssh-rsa AAAAB3NzaC1yc2E', 'x'), /ssh-rsa key/);
    assert.throws(() => parsePublicKey('hello', 'x'), /not an OpenSSH public key line/);
  });
});

describe('signing with an OpenSSH key through ssh-keygen', {skip: needs('ssh-keygen')}, () => {
  test('the signature verifies with ssh-keygen -Y verify against an allowed_signers file, and here', async () => {
    const k = sshKeys('reviewer@example.org');
    const signer = signerFromFile(k.priv);
    assert.equal(signer.keyid, parsePublicKey(k.line, 'pub').keyid);
    const sig = await signer.sign(MESSAGE);
    const parsed = parseSshSig(sig);
    assert.ok(parsed.ok);
    assert.equal(parsed.value.namespace, 'shipshape');
    assert.deepEqual(verifySshSig(sig, MESSAGE), {ok: true, raw: signer.raw});

    const d = tempDir();
    writeFileSync(join(d, 'allowed_signers'), `reviewer@example.org namespaces="shipshape" ${k.line}\n`);
    writeFileSync(join(d, 'sig'), armorSshSig(sig));
    const verify = (message: Buffer, principal = 'reviewer@example.org', ns = 'shipshape') =>
      spawnSync('ssh-keygen', ['-Y', 'verify', '-f', join(d, 'allowed_signers'), '-I', principal, '-n', ns, '-s', join(d, 'sig')], {
        input: message,
        encoding: 'utf8',
      });
    const ok = verify(MESSAGE);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /Good "shipshape" signature for reviewer@example.org/);
    // ssh-keygen agrees that a changed message, another principal or another namespace fail.
    const altered = Buffer.from(MESSAGE);
    altered[altered.length - 2]! ^= 1;
    assert.notEqual(verify(altered).status, 0);
    assert.notEqual(verify(MESSAGE, 'mallory@example.org').status, 0);
    assert.notEqual(verify(MESSAGE, 'reviewer@example.org', 'git').status, 0);
    // And so do we.
    assert.equal(verifySshSig(sig, altered).ok, false);
  });

  test('a signature ssh-keygen made in another namespace is refused', () => {
    const k = sshKeys();
    const d = tempDir();
    const msg = join(d, 'm');
    writeFileSync(msg, MESSAGE);
    execFileSync('ssh-keygen', ['-q', '-Y', 'sign', '-n', 'git', '-f', k.priv, msg], {stdio: 'ignore'});
    const blob = Buffer.from(
      readFileSync(`${msg}.sig`, 'utf8')
        .replace(/-----[A-Z ]+-----/g, '')
        .replace(/\s+/g, ''),
      'base64',
    );
    const v = verifySshSig(blob, MESSAGE);
    assert.equal(v.ok, false);
    assert.match((v as {why: string}).why, /namespace "git"/);
  });

  test('a public key whose private half ssh-agent holds signs through the agent', async (t) => {
    if (!existsSync('/usr/bin/ssh-agent') && spawnSync('ssh-agent', ['-h']).error) return t.skip('ssh-agent is not installed');
    const k = sshKeys('agent@example.org');
    const sock = join(tempDir('shipshape-agent-'), 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], {stdio: 'ignore'});
    after(() => {
      if (agent.exitCode === null) agent.kill();
    });
    for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 20));
    const env = {...process.env, SSH_AUTH_SOCK: sock};
    execFileSync('ssh-add', ['-q', k.priv], {env, stdio: 'ignore'});
    const saved = process.env.SSH_AUTH_SOCK;
    process.env.SSH_AUTH_SOCK = sock;
    try {
      // Only the .pub file is given: the private key is never read by us.
      const signer = signerFromFile(k.pub);
      const sig = await signer.sign(MESSAGE);
      assert.deepEqual(verifySshSig(sig, MESSAGE), {ok: true, raw: signer.raw});
    } finally {
      if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
      else process.env.SSH_AUTH_SOCK = saved;
      agent.kill();
    }
  });

  test('an RSA key is refused before anything is signed', () => {
    const d = tempDir();
    execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', join(d, 'id_rsa')], {stdio: 'ignore'});
    assert.throws(() => signerFromFile(join(d, 'id_rsa')), /ssh-rsa key; sign-offs use Ed25519/);
    assert.throws(() => signerFromFile(join(d, 'id_rsa.pub')), /ssh-rsa key/);
  });
});

describe('PEM keys', () => {
  test('a raw Ed25519 signature over the PAE verifies with openssl pkeyutl -rawin', {skip: needs('openssl')}, async () => {
    const k = pemKeys();
    const signer = signerFromFile(k.priv);
    const sig = await signer.sign(MESSAGE);
    const d = tempDir();
    writeFileSync(join(d, 'pae'), MESSAGE);
    writeFileSync(join(d, 'sig'), sig);
    const r = spawnSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', k.pub, '-rawin', '-in', join(d, 'pae'), '-sigfile', join(d, 'sig')], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /Signature Verified Successfully/);
    const altered = Buffer.from(MESSAGE);
    altered[0]! ^= 1;
    writeFileSync(join(d, 'pae'), altered);
    assert.notEqual(
      spawnSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', k.pub, '-rawin', '-in', join(d, 'pae'), '-sigfile', join(d, 'sig')]).status,
      0,
    );
  });

  test('without --key a key is made on first use, 0600 in a 0700 folder, and reused', () => {
    const dir = join(tempDir(), 'shipshape');
    const first = defaultSigner(dir);
    assert.ok(first.created);
    assert.equal(statSync(first.created).mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const again = defaultSigner(dir);
    assert.equal(again.created, undefined);
    assert.equal(again.keyid, first.keyid);
    assert.equal(first.keyid, fingerprint(first.raw));
  });
});
