// What the sign-off tests share: a tiny deployment with its own pack (so that an envelope is
// small enough to flip every byte of), real keys (node:crypto PEM, ssh-keygen OpenSSH), and the
// CLI run in this process (fast enough to run thousands of times) or as a child process.
import {execFileSync} from 'node:child_process';
import {generateKeyPairSync, randomBytes} from 'node:crypto';
import {existsSync, writeFileSync} from 'node:fs';
import {delimiter, join} from 'node:path';
import {Writable} from 'node:stream';
import {test} from 'node:test';
import {main} from '../../src/main.js';
import {tempDir, writeFiles} from '../support/helpers.js';

// Personal progress and Shipshape's own signing key go to temp folders, never to the real home.
process.env.SHIPSHAPE_PROGRESS_DIR = tempDir('shipshape-progress-');
process.env.XDG_CONFIG_HOME = tempDir('shipshape-config-');

/** A pack with one critical item the checks decide, one for a person, and one that waits on a default. */
export const TINY_PACK = `schema: 1
id: tiny
title: Tiny deployment
version: 1.0.0
description: A tiny pack for the sign-off tests.
files:
  env: [.env]
  compose: [compose.yaml]
sections:
  - id: secrets
    title: Secrets
    items:
      - id: token-changed
        title: TOKEN is not the shipped default
        why: The default is public.
        how: Set TOKEN to 32 random bytes.
        severity: critical
        source: {system: test, section: secrets}
        verify:
          - check: secret.not-default
            with: {keys: [TOKEN], defaults: [changeme-token], required: true}
  - id: ops
    title: Operations
    items:
      - id: restore-tested
        title: A restore was tested
        why: Backups that were never restored are hopes.
        how: Restore last night's backup somewhere else.
        severity: medium
        source: {system: test, section: ops}
        confirm: Have you restored a backup in the last 90 days?
`;

/** A token no check or report may ever print. */
export function secretToken(): string {
  return randomBytes(24).toString('hex');
}

/** A temp deployment with the tiny pack (tiny.yaml), a .env and a compose file. */
export function tinyDeployment(token = secretToken()): {dir: string; token: string} {
  const dir = tempDir('shipshape-signoff-');
  writeFiles(dir, {
    'tiny.yaml': TINY_PACK,
    '.env': `TOKEN=${token}\n`,
    'compose.yaml': 'services:\n  app:\n    image: example/app:1.2.3\n    env_file: .env\n',
  });
  return {dir, token};
}

export interface Keys {
  /** PEM PKCS#8 private key file. */
  priv: string;
  /** PEM SPKI public key file. */
  pub: string;
}

/** A new Ed25519 pair as PEM files in a temp folder. */
export function pemKeys(name = 'operator'): Keys {
  const d = tempDir('shipshape-keys-');
  const {privateKey, publicKey} = generateKeyPairSync('ed25519', {
    privateKeyEncoding: {type: 'pkcs8', format: 'pem'},
    publicKeyEncoding: {type: 'spki', format: 'pem'},
  });
  const priv = join(d, `${name}.pem`);
  const pub = join(d, `${name}.pub.pem`);
  writeFileSync(priv, privateKey, {mode: 0o600});
  writeFileSync(pub, publicKey);
  return {priv, pub};
}

/** Whether a program is on PATH (looked up, never started). */
export function hasProgram(p: string): boolean {
  if (p.includes('/')) return existsSync(p);
  return (process.env.PATH ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, p)));
}

/** Whether a test that needs `program` runs: skipped with a reason when it is absent, failed instead in CI. */
export function needs(program: string): string | false {
  if (hasProgram(program)) return false;
  if (process.env.SHIPSHAPE_REQUIRE_SERVICES === '1') {
    test(`${program} is installed (SHIPSHAPE_REQUIRE_SERVICES=1)`, () => {
      throw new Error(`${program} is not installed; .ci/run installs it`);
    });
  }
  return `${program} is not installed`;
}

/** A new OpenSSH Ed25519 key pair made by ssh-keygen (no passphrase): the private key file and its .pub. */
export function sshKeys(comment = 'reviewer@example.org'): {priv: string; pub: string; line: string} {
  const d = tempDir('shipshape-ssh-');
  const priv = join(d, 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', priv], {stdio: 'ignore'});
  const line = execFileSync('ssh-keygen', ['-y', '-f', priv], {encoding: 'utf8'}).trim();
  return {priv, pub: `${priv}.pub`, line};
}

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

/** Runs the CLI's main() in this process: the same code path as the binary, without a process start. */
export async function inProcess(args: string[]): Promise<{code: number; stdout: string; stderr: string}> {
  const out = new Capture();
  const err = new Capture();
  const code = await main(args, out as unknown as NodeJS.WriteStream, err as unknown as NodeJS.WriteStream);
  return {code, stdout: out.text, stderr: err.text};
}
