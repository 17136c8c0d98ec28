// signoff and verify from the command line: round trip, refusals, two signers, every byte of an
// envelope and of every subject file flipped, untrusted keys, and the README's recipe for checking
// an envelope with openssl and ssh-keygen alone.
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {copyFileSync, cpSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {before, describe, test} from 'node:test';
import {parseEnvelope, pae} from '../../src/attest/dsse.js';
import {armorSshSig, parsePublicKey, sshPublicLine} from '../../src/attest/keys.js';
import {inProcess, needs, pemKeys, sshKeys, tinyDeployment} from '../attest/support.js';
import {REPO, runCli, tempDir} from '../support/helpers.js';

const statementOf = (file: string) => {
  const p = parseEnvelope(readFileSync(file));
  assert.ok(p.ok);
  return JSON.parse(p.value.payload.toString()) as {
    predicate: Record<string, never> & {signer: {name: string}; acceptedRisks: {item: string}[]};
    subject: {name: string}[];
  };
};

describe('shipshape signoff and verify', () => {
  let xdg: string;
  before(() => {
    xdg = tempDir('shipshape-xdg-');
  });
  const env = () => ({XDG_CONFIG_HOME: xdg});

  test('round trip: a key made on first use signs, its printed public key verifies, --dir finds no drift', async () => {
    const {dir, token} = tinyDeployment();
    const out = join(dir, 'signoff.json');
    const s = await runCli(['signoff', '--dir', dir, '--pack', join(dir, 'tiny.yaml'), '--accept-risk', '--as', 'Alice', '--out', out], {env: env()});
    assert.equal(s.code, 0, s.stderr);
    assert.equal(s.stdout, '');
    const pem = /-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----\n/.exec(s.stderr)?.[0];
    assert.ok(pem, `the public key is printed:\n${s.stderr}`);
    assert.match(s.stderr, /allowed_signers line: "Alice" namespaces="shipshape" ssh-ed25519 AAAA/);
    const pub = join(tempDir(), 'alice.pem');
    writeFileSync(pub, pem);
    const v = await runCli(['verify', out, '--key', pub, '--dir', dir], {env: env()});
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /signature 1: good Ed25519 signature by .*alice\.pem \(SHA256:/);
    assert.match(v.stdout, /signed off by Alice at /);
    assert.match(v.stdout, /no drift in .*: 2 files and 2 items as signed/);
    assert.ok(!readFileSync(out, 'utf8').includes(token));
    assert.ok(!JSON.stringify(statementOf(out)).includes(token));
    // The second sign-off reuses the key: nothing new is printed.
    const again = await runCli(['signoff', '--dir', dir, '--pack', join(dir, 'tiny.yaml')], {env: env()});
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /made a signing key/);
    assert.ok(parseEnvelope(Buffer.from(again.stdout)).ok, 'without --out the envelope goes to stdout');
  });

  test('refuses while a critical item fails; --accept-risk records it item by item', async () => {
    const {dir} = tinyDeployment();
    writeFileSync(join(dir, '.env'), 'TOKEN=changeme-token\n');
    const k = pemKeys();
    const args = ['signoff', '--dir', dir, '--pack', join(dir, 'tiny.yaml'), '--key', k.priv, '--as', 'Alice'];
    const refused = await runCli(args);
    assert.equal(refused.code, 1);
    assert.equal(refused.stdout, '');
    assert.match(refused.stderr, /not signing: 1 critical item is open:\n {2}FAIL token-changed: /);
    const out = join(dir, 's.json');
    const ok = await runCli([...args, '--accept-risk', '--out', out]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /accepted risk: FAIL token-changed \(critical\)/);
    assert.deepEqual(
      statementOf(out).predicate.acceptedRisks.map((a) => a.item),
      ['token-changed'],
    );
    const v = await runCli(['verify', out, '--key', k.pub]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /accepted risk: FAIL token-changed \(critical\)/);
    assert.ok(!readFileSync(out, 'utf8').includes('changeme-token'));
  });

  test('a signature from a key that is not listed is rejected (exit 4)', async () => {
    const {dir} = tinyDeployment();
    const k = pemKeys();
    const stranger = pemKeys('stranger');
    const ssh = sshKeys('ops@example.org');
    const out = join(dir, 's.json');
    assert.equal((await runCli(['signoff', '--dir', dir, '--pack', join(dir, 'tiny.yaml'), '--key', k.priv, '--out', out])).code, 0);
    const v = await runCli(['verify', out, '--key', stranger.pub]);
    assert.equal(v.code, 4);
    assert.match(v.stdout, /signature 1: BAD Ed25519 signature \(SHA256:.*\): no key given verifies it/);
    assert.match(v.stderr, /does NOT verify/);
    const signers = join(tempDir(), 'allowed_signers');
    writeFileSync(signers, `ops@example.org ${ssh.line}\n`);
    assert.equal((await runCli(['verify', out, '--allowed-signers', signers])).code, 4);
  });

  test('operator and reviewer: a second signature on the same envelope; verify names both', {skip: needs('ssh-keygen')}, async () => {
    const {dir} = tinyDeployment();
    const operator = pemKeys('operator');
    const reviewer = sshKeys('reviewer@example.org');
    const out = join(dir, 'signoff.json');
    const pack = join(dir, 'tiny.yaml');
    assert.equal((await runCli(['signoff', '--dir', dir, '--pack', pack, '--key', operator.priv, '--as', 'Olga', '--out', out])).code, 0);
    const add = await runCli(['signoff', '--add-to', out, '--dir', dir, '--key', reviewer.priv, '--as', 'Rui']);
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stderr, /Rui \(SHA256:.*\) signed the sign-off by Olga; 2 signatures in /);
    // The same key cannot sign twice.
    const twice = await runCli(['signoff', '--add-to', out, '--dir', dir, '--key', reviewer.priv]);
    assert.equal(twice.code, 2);
    assert.match(twice.stderr, /already carries a signature by SHA256:/);

    const opLine = sshPublicLine(parsePublicKey(readFileSync(operator.pub, 'utf8'), operator.pub).raw);
    const signers = join(tempDir(), 'allowed_signers');
    writeFileSync(signers, `olga@example.org ${opLine}\nreviewer@example.org namespaces="shipshape" ${reviewer.line}\n`);
    const v = await runCli(['verify', out, '--allowed-signers', signers, '--dir', dir]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /signature 1: good Ed25519 signature by olga@example\.org/);
    assert.match(v.stdout, /signature 2: good SSH signature by reviewer@example\.org/);
    assert.match(v.stdout, /verified: 2 signatures \(olga@example\.org; reviewer@example\.org\)/);
    // --key takes both forms: PEM SPKI and an OpenSSH public key line.
    assert.equal((await runCli(['verify', out, '--key', operator.pub, '--key', reviewer.pub])).code, 0);
    // Only the operator trusted: the reviewer's signature is not allowed.
    writeFileSync(signers, `olga@example.org ${opLine}\n`);
    const one = await runCli(['verify', out, '--allowed-signers', signers]);
    assert.equal(one.code, 4);
    assert.match(one.stdout, /signature 2: BAD SSH signature \(SHA256:.*\): it is made by SHA256:.*, which is not among the keys given/);
    // A reviewer line limited to another namespace does not allow it either.
    writeFileSync(signers, `olga@example.org ${opLine}\nreviewer@example.org namespaces="git" ${reviewer.line}\n`);
    assert.equal((await runCli(['verify', out, '--allowed-signers', signers])).code, 4);
  });

  test('a reviewer does not sign a deployment that drifted since the first signature', async () => {
    const {dir} = tinyDeployment();
    const k = pemKeys();
    const out = join(dir, 's.json');
    assert.equal((await runCli(['signoff', '--dir', dir, '--pack', join(dir, 'tiny.yaml'), '--key', k.priv, '--out', out])).code, 0);
    writeFileSync(join(dir, 'compose.yaml'), 'services:\n  app:\n    image: example/app:latest\n');
    const before = readFileSync(out);
    const r = await runCli(['signoff', '--add-to', out, '--dir', dir, '--key', pemKeys('reviewer').priv]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /changed since .* signed it off; not signing:\n {2}file compose\.yaml: changed/);
    assert.deepEqual(readFileSync(out), before);
  });

  test('usage errors: no trusted key, a missing file, a bad key (exit 2)', async () => {
    const k = pemKeys();
    assert.equal((await runCli(['verify', join(tempDir(), 'none.json'), '--key', k.pub])).code, 2);
    const r = await runCli(['verify', join(tempDir(), 'none.json')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /say which keys you trust/);
    const notKey = join(tempDir(), 'x.pub');
    writeFileSync(notKey, 'hello\n');
    assert.equal((await runCli(['verify', notKey, '--key', notKey])).code, 2);
    const {dir} = tinyDeployment();
    assert.equal((await runCli(['signoff', '--dir', dir, '--pack', join(dir, 'tiny.yaml'), '--key', notKey])).code, 2);
  });
});

describe('tampering', () => {
  test('flipping any single byte of a small envelope makes verify fail with exit 4', async () => {
    const {dir} = tinyDeployment();
    const k = pemKeys();
    const file = join(dir, 'signoff.json');
    const s = await inProcess(['signoff', '--dir', dir, '--pack', join(dir, 'tiny.yaml'), '--key', k.priv, '--as', 'A', '--out', file]);
    assert.equal(s.code, 0, s.stderr);
    const good = readFileSync(file);
    assert.ok(good.length < 4000, `a small envelope (${good.length} bytes)`);
    assert.equal((await inProcess(['verify', file, '--key', k.pub])).code, 0);
    const passed: number[] = [];
    // The lowest bit: the smallest change, which keeps most bytes printable ASCII (0x80 would
    // only make the file invalid UTF-8, which is refused before anything else is read).
    for (let at = 0; at < good.length; at++) {
      const bad = Buffer.from(good);
      bad[at]! ^= 0x01;
      writeFileSync(file, bad);
      const r = await inProcess(['verify', file, '--key', k.pub]);
      if (r.code !== 4) passed.push(at);
    }
    assert.deepEqual(
      passed,
      [],
      `flipping these positions did not give exit 4: ${passed.map((p) => JSON.stringify(good.toString('latin1').slice(p - 5, p + 5))).join(', ')}`,
    );
  });

  test('flipping any single byte of any subject file makes verify --dir report drift (exit 1)', async () => {
    const {dir} = tinyDeployment();
    const pack = join(dir, 'tiny.yaml');
    assert.equal((await inProcess(['answer', 'restore-tested', '--confirm', '--as', 'B', '--dir', dir, '--pack', pack])).code, 0);
    const k = pemKeys();
    const file = join(tempDir(), 'signoff.json');
    assert.equal((await inProcess(['signoff', '--dir', dir, '--pack', pack, '--key', k.priv, '--out', file])).code, 0);
    const subjects = statementOf(file)
      .subject.map((s) => s.name)
      .slice(1);
    assert.deepEqual(subjects, ['.env', 'compose.yaml', 'shipshape-answers.json']);
    const missed: string[] = [];
    for (const name of subjects) {
      const path = join(dir, name);
      const good = readFileSync(path);
      for (let at = 0; at < good.length; at++) {
        const bad = Buffer.from(good);
        bad[at]! ^= 0x01;
        writeFileSync(path, bad);
        const r = await inProcess(['verify', file, '--key', k.pub, '--dir', dir]);
        if (r.code !== 1 || !r.stdout.includes(`file ${name}: changed`)) missed.push(`${name}@${at}: exit ${r.code}`);
      }
      writeFileSync(path, good);
    }
    assert.deepEqual(missed, []);
    assert.equal((await inProcess(['verify', file, '--key', k.pub, '--dir', dir])).code, 0);
  });
});

describe("the README's recipe: checking an envelope without Shipshape", () => {
  // The README shows these steps with jq, base64, printf, openssl and ssh-keygen; here the same
  // bytes are built in the test and only the external tools do the checking.
  const recipe = (file: string) => {
    const env = JSON.parse(readFileSync(file, 'utf8')) as {payload: string; payloadType: string; signatures: {sig: string}[]};
    const body = Buffer.from(env.payload, 'base64');
    const d = tempDir();
    const paeFile = join(d, 'pae.bin');
    // printf 'DSSEv1 %d %s %d ' 28 application/vnd.in-toto+json "$(wc -c < statement.json)"; cat statement.json
    writeFileSync(paeFile, Buffer.concat([Buffer.from(`DSSEv1 28 application/vnd.in-toto+json ${body.length} `), body]));
    assert.deepEqual(readFileSync(paeFile), pae(env.payloadType, body));
    return {d, paeFile, sigs: env.signatures.map((s) => Buffer.from(s.sig, 'base64'))};
  };

  test('openssl verifies a PEM key signature, ssh-keygen an SSH key signature', {skip: needs('openssl') || needs('ssh-keygen')}, async () => {
    const demo = tempDir('shipshape-demo-');
    cpSync(join(REPO, 'examples', 'the0-compose'), demo, {recursive: true});
    const operator = pemKeys();
    const reviewer = sshKeys('reviewer@example.org');
    const file = join(demo, 'signoff.intoto.json');
    assert.equal((await runCli(['signoff', '--dir', demo, '--key', operator.priv, '--accept-risk', '--out', file])).code, 0);
    assert.equal((await runCli(['signoff', '--add-to', file, '--dir', demo, '--key', reviewer.priv])).code, 0);
    const {d, paeFile, sigs} = recipe(file);
    writeFileSync(join(d, 'sig1.bin'), sigs[0]!);
    const o = spawnSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', operator.pub, '-rawin', '-in', paeFile, '-sigfile', join(d, 'sig1.bin')], {
      encoding: 'utf8',
    });
    assert.equal(o.status, 0, o.stderr);
    assert.match(o.stdout, /Signature Verified Successfully/);
    writeFileSync(join(d, 'sig2'), armorSshSig(sigs[1]!));
    writeFileSync(join(d, 'allowed_signers'), `reviewer@example.org ${reviewer.line}\n`);
    const s = spawnSync(
      'ssh-keygen',
      ['-Y', 'verify', '-f', join(d, 'allowed_signers'), '-I', 'reviewer@example.org', '-n', 'shipshape', '-s', join(d, 'sig2')],
      {
        input: readFileSync(paeFile),
        encoding: 'utf8',
      },
    );
    assert.equal(s.status, 0, s.stderr);
    assert.match(s.stdout, /Good "shipshape" signature for reviewer@example\.org/);
    // The demo's subjects are the files themselves: sha256sum gives the same digests.
    const st = statementOf(file) as unknown as {subject: {name: string; digest: {sha256: string}}[]};
    copyFileSync(join(demo, '.env'), join(d, 'env-copy'));
    const sum = spawnSync('sha256sum', [join(d, 'env-copy')], {encoding: 'utf8'}).stdout.split(' ')[0];
    assert.equal(st.subject.find((x) => x.name === '.env')?.digest.sha256, sum);
  });
});
