// `shipshape rotate`: one secret's rotation as steps, the step reached kept in personal progress.
// The built CLI runs as a child process; some runs are SIGKILLed mid-rotation and resumed, and
// the tests check that a resumed rotation never makes a second new value and that no value
// reaches progress or stdout.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {cpSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {parse as dotenvParse} from 'dotenv';
import {parse as parseYaml} from 'yaml';
import {CLI, REPO, runCli, tempDir} from '../support/helpers.js';

const ITEM = 'jwt-secret-strong';

function demo(): string {
  const dir = tempDir('shipshape-rotate-');
  cpSync(join(REPO, 'examples', 'the0-compose'), dir, {recursive: true});
  return dir;
}

const jwtOf = (dir: string) => dotenvParse(readFileSync(join(dir, '.env'))).JWT_SECRET!;
const backups = (dir: string) => readdirSync(dir).filter((n) => n.startsWith('.env.shipshape-backup-'));

/** Every file in the progress directory, as text. */
function progressText(progress: string): string {
  if (!existsSync(progress)) return '';
  return readdirSync(progress)
    .map((n) => readFileSync(join(progress, n), 'utf8'))
    .join('\n');
}

function rotationIn(progress: string): {step: string} | undefined {
  for (const n of readdirSync(progress)) {
    if (!n.endsWith('.json')) continue;
    const r = (JSON.parse(readFileSync(join(progress, n), 'utf8')) as {rotations?: Record<string, {step: string}>}).rotations?.[ITEM];
    if (r) return r;
  }
  return undefined;
}

/** Forms of a value that must not appear: as written, base64 and URL-encoded. */
const forms = (v: string) => [v, Buffer.from(v).toString('base64'), Buffer.from(v).toString('base64url'), encodeURIComponent(v)];
const leaks = (text: string, v: string) => forms(v).some((f) => text.includes(f));

const rotate = (dir: string, progress: string, ...args: string[]) =>
  runCli(['rotate', '--dir', dir, '--item', ITEM, ...args], {env: {SHIPSHAPE_PROGRESS_DIR: progress}, timeoutMs: 60_000});

/**
 * Starts a rotation with `answers` on stdin (kept open, as a person at a pipe would) and
 * SIGKILLs it as soon as its output matches `killAt`; returns what it printed.
 */
function killedRotation(dir: string, progress: string, answers: string[], killAt: RegExp): Promise<{out: string; killed: boolean}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'rotate', '--dir', dir, '--item', ITEM], {
      env: {...process.env, NO_COLOR: '1', SHIPSHAPE_PROGRESS_DIR: progress},
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let killed = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      if (!killed && killAt.test(out)) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (d: Buffer) => (out += d));
    child.stdin.on('error', () => undefined);
    child.stdin.write(answers.map((a) => `${a}\n`).join(''));
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the rotation never reached ${killAt}:\n${out}`));
    }, 60_000);
    child.on('close', () => {
      clearTimeout(guard);
      resolve({out, killed});
    });
  });
}

describe('shipshape rotate', () => {
  test('steps with flags: it stops before the restart, resumes there, and finishes; the value is printed only with --show', async () => {
    const dir = demo();
    const progress = tempDir('shipshape-progress-');
    const old = jwtOf(dir);

    const first = await rotate(dir, progress, '--yes');
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /Warning: every session and API token signed with the old JWT secret stops working/);
    assert.match(first.stdout, /^ {2}docker compose up -d --force-recreate the0-api the0-frontend$/m);
    assert.match(first.stdout, /Stopped before the restart step; it is saved/);
    const value = jwtOf(dir);
    assert.notEqual(value, old);
    assert.equal(rotationIn(progress)?.step, 'restart');
    assert.ok(!leaks(first.stdout, value) && !leaks(first.stdout, old), 'no value on stdout');

    const second = await rotate(dir, progress, '--restarted', '--retired', '--show');
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /^Resuming the rotation of jwt-secret-strong at: restart$/m);
    assert.match(second.stdout, /PASS jwt-secret-strong/);
    assert.ok(second.stdout.includes(`.env:JWT_SECRET: ${value}`), '--show reads the value back from the .env');
    assert.match(second.stdout, /The rotation of jwt-secret-strong is done\./);
    assert.equal(jwtOf(dir), value, 'resuming made no second value');
    assert.equal(rotationIn(progress), undefined, 'a finished rotation is forgotten');
    assert.equal(backups(dir).length, 1);
    assert.equal(dotenvParse(readFileSync(join(dir, backups(dir)[0]!))).JWT_SECRET, old, 'the backup holds the old value');
    for (const v of [value, old]) assert.ok(!leaks(progressText(progress), v), 'no value in progress');
  });

  test('one secret at a time; --abandon forgets a rotation; usage errors exit 2', async () => {
    const dir = demo();
    const progress = tempDir('shipshape-progress-');
    assert.equal((await rotate(dir, progress, '--yes')).code, 0);
    const other = await runCli(['rotate', '--dir', dir, '--item', 'postgres-credentials'], {env: {SHIPSHAPE_PROGRESS_DIR: progress}});
    assert.equal(other.code, 2);
    assert.match(other.stderr, /the rotation of jwt-secret-strong is under way \(next step: restart\); one secret at a time/);
    const abandon = await rotate(dir, progress, '--abandon');
    assert.match(abandon.stdout, /forgotten \(it was at: restart\)/);
    assert.equal(rotationIn(progress), undefined);
    for (const args of [['--item', 'named-accounts'], ['--item', 'no-such-item'], []]) {
      const r = await runCli(['rotate', '--dir', dir, ...args], {env: {SHIPSHAPE_PROGRESS_DIR: progress}});
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
    }
  });

  test('an item whose generator writes configuration, not a secret, is refused: nothing is written', async () => {
    const dir = demo();
    const progress = tempDir('shipshape-progress-');
    const before = readdirSync(dir).sort();
    const r = await runCli(['rotate', '--dir', dir, '--item', 'restart-policy', '--yes', '--restarted', '--retired'], {
      env: {SHIPSHAPE_PROGRESS_DIR: progress},
    });
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /--item restart-policy: its generator compose-harden writes configuration, not a secret, so there is nothing to rotate/);
    assert.match(r.stderr, /shipshape generate --item restart-policy/);
    assert.deepEqual(readdirSync(dir).sort(), before, 'no Compose override (or anything else) written');
    assert.equal(rotationIn(progress), undefined);
  });

  test('progress that cannot be saved (SHIPSHAPE_PROGRESS_DIR is a file): it stops before writing, exit 2', async () => {
    const dir = demo();
    const old = jwtOf(dir);
    const file = join(tempDir('shipshape-progress-'), 'not-a-dir');
    writeFileSync(file, 'x');
    const r = await runCli(['rotate', '--dir', dir, '--item', ITEM, '--yes'], {env: {SHIPSHAPE_PROGRESS_DIR: file}, timeoutMs: 60_000});
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /nothing was written: a rotation needs personal progress to resume from/);
    assert.doesNotMatch(r.stderr, /internal error|at .*\.js:\d+/i);
    assert.equal(jwtOf(dir), old);
    assert.deepEqual(backups(dir), []);
  });

  test('a progress file naming a step no rotation has is set aside with a plain message, never a jump to a step', async () => {
    const dir = demo();
    const progress = tempDir('shipshape-progress-');
    assert.equal((await rotate(dir, progress, '--yes')).code, 0);
    const value = jwtOf(dir);
    for (const n of readdirSync(progress).filter((f) => f.endsWith('.json'))) {
      const file = join(progress, n);
      writeFileSync(file, readFileSync(file, 'utf8').replace('"step": "restart"', '"step": "retyre"'));
    }
    const r = await rotate(dir, progress, '--yes', '--restarted', '--retired');
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /The saved progress file could not be read; it was kept as \S+\.unreadable-\d+/);
    assert.doesNotMatch(r.stdout, /Step 4 of 4|is done/);
    assert.equal(jwtOf(dir), value, 'nothing written');
    assert.equal(backups(dir).length, 1);
  });

  test('killed after the write, before the restart: it resumes at the restart with the same single new value', async () => {
    const dir = demo();
    const progress = tempDir('shipshape-progress-');
    const old = jwtOf(dir);
    const killed = await killedRotation(dir, progress, ['y'], /Restart now\?/);
    assert.ok(killed.killed);
    const value = jwtOf(dir);
    assert.notEqual(value, old);
    assert.equal(rotationIn(progress)?.step, 'restart');
    assert.ok(!leaks(killed.out, value), 'no value on stdout');
    assert.ok(!leaks(progressText(progress), value) && !leaks(progressText(progress), old), 'no value in progress');

    const resumed = await rotate(dir, progress, '--restarted', '--retired');
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /^Resuming the rotation of jwt-secret-strong at: restart$/m);
    assert.doesNotMatch(resumed.stdout, /Step 1 of 4/);
    assert.equal(jwtOf(dir), value, 'one new value');
    assert.equal(backups(dir).length, 1);
    assert.ok(!leaks(resumed.stdout, value));
  });

  test('killed around the write (six times): a resumed rotation never writes a second new value', async (t) => {
    let written = 0;
    for (let n = 0; n < 6; n++) {
      const dir = demo();
      const progress = tempDir('shipshape-progress-');
      const old = jwtOf(dir);
      const killed = await killedRotation(dir, progress, ['y'], /Writing…/);
      assert.ok(killed.killed, `the rotation was killed at the write, not ended by itself:\n${killed.out}`);
      // Killed at the write: either the step is still open, or the files already hold the new value.
      const afterKill = jwtOf(dir);
      assert.ok(rotationIn(progress) !== undefined || afterKill !== old, 'the kill left a rotation to resume');
      if (afterKill !== old) written++;
      const resumed = await rotate(dir, progress, '--yes', '--restarted', '--retired');
      assert.equal(resumed.code, 0, resumed.stderr);
      const now = jwtOf(dir);
      assert.notEqual(now, old);
      if (afterKill !== old) assert.equal(now, afterKill, 'a write that happened is kept, not made again');
      // Every backup holds the original value: no generated value was ever replaced by another.
      for (const b of backups(dir)) assert.equal(dotenvParse(readFileSync(join(dir, b))).JWT_SECRET, old, b);
      assert.equal(rotationIn(progress), undefined);
      assert.ok(!leaks(progressText(progress), now) && !leaks(resumed.stdout, now));
    }
    // Where each kill lands varies with the machine. The narrowest case, a kill after the files
    // were replaced and before the step was saved, is made exactly: progress says `writing`.
    const dir = demo();
    const progress = tempDir('shipshape-progress-');
    assert.equal((await rotate(dir, progress, '--yes')).code, 0);
    const value = jwtOf(dir);
    for (const n of readdirSync(progress).filter((f) => f.endsWith('.json'))) {
      const file = join(progress, n);
      writeFileSync(file, readFileSync(file, 'utf8').replace('"step": "restart"', '"step": "writing"'));
    }
    assert.equal(rotationIn(progress)?.step, 'writing');
    const resumed = await rotate(dir, progress, '--restarted', '--retired');
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /^The new value was written before the stop: going on from there\.$/m);
    assert.equal(jwtOf(dir), value, 'no second value');
    assert.equal(backups(dir).length, 1);
    // Where the six kills landed, for the test log: it varies with the machine.
    t.diagnostic(`${written} of 6 kills came after the files were replaced`);
  });

  test('Kubernetes: kubectl rollout restart is shown, and the rotation ends only once the plaintext Secret is deleted', async () => {
    const dir = tempDir('shipshape-rotate-k8s-');
    cpSync(join(REPO, 'test', 'fixtures', 'the0-k8s'), dir, {recursive: true});
    const progress = tempDir('shipshape-progress-');
    const env = {SHIPSHAPE_PROGRESS_DIR: progress};
    const args = ['rotate', '--dir', dir, '--pack', 'the0', '--input', 'mode=kubernetes', '--item', 'k8s-admin-from-secret'];
    const first = await runCli([...args, '--yes', '--restarted', '--retired'], {env, timeoutMs: 60_000});
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^ {2}kubectl -n the0 rollout restart deployment$/m);
    assert.match(first.stdout, /PASS k8s-admin-from-secret/);
    assert.match(
      first.stdout,
      /secrets\/the0-root-admin\.yaml still holds the new value in plain text: apply it \(kubectl apply -f secrets\/the0-root-admin\.yaml\), then delete it\./,
    );
    const value = (parseYaml(readFileSync(join(dir, 'secrets', 'the0-root-admin.yaml'), 'utf8')) as {stringData: {password: string}}).stringData.password;
    assert.ok(!leaks(first.stdout, value) && !leaks(progressText(progress), value));
    rmSync(join(dir, 'secrets', 'the0-root-admin.yaml'));
    const second = await runCli([...args, '--retired'], {env, timeoutMs: 60_000});
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /^Resuming the rotation of k8s-admin-from-secret at: retire$/m);
    assert.match(second.stdout, /The rotation of k8s-admin-from-secret is done\./);
  });

  test('Kubernetes: killed during a write that created the Secret manifest, the resumed rotation keeps that value', async () => {
    const dir = tempDir('shipshape-rotate-k8s-');
    cpSync(join(REPO, 'test', 'fixtures', 'the0-k8s'), dir, {recursive: true});
    const manifest = join(dir, 'secrets', 'the0-root-admin.yaml');
    assert.ok(!existsSync(manifest), 'the fixture has no Secret manifest: the write creates it');
    const progress = tempDir('shipshape-progress-');
    const env = {SHIPSHAPE_PROGRESS_DIR: progress};
    const args = ['rotate', '--dir', dir, '--pack', 'the0', '--input', 'mode=kubernetes', '--item', 'k8s-admin-from-secret'];
    const first = await runCli([...args, '--yes'], {env, timeoutMs: 60_000});
    assert.equal(first.code, 0, first.stderr);
    const password = () => (parseYaml(readFileSync(manifest, 'utf8')) as {stringData: {password: string}}).stringData.password;
    const value = password();
    // Killed after the file was created and before the step was saved: progress says `writing`.
    for (const n of readdirSync(progress).filter((f) => f.endsWith('.json'))) {
      const file = join(progress, n);
      const text = readFileSync(file, 'utf8');
      assert.match(text, /"created": \[\s*"secrets\/the0-root-admin\.yaml"\s*\]/, 'the created file is recorded, by name');
      writeFileSync(file, text.replace(/"step": "restart"/, '"step": "writing"'));
    }
    const resumed = await runCli([...args, '--restarted'], {env, timeoutMs: 60_000});
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /^The new value was written before the stop: going on from there\.$/m);
    assert.equal(password(), value, 'no second value');
    assert.ok(!leaks(resumed.stdout, value) && !leaks(progressText(progress), value));
  });

  test('a guarded value (a ZITADEL masterkey) is replaced only when its id is typed', async () => {
    const dir = tempDir('shipshape-rotate-zitadel-');
    cpSync(join(REPO, 'test', 'fixtures', 'zitadel-compose-hardened'), dir, {recursive: true});
    renameSync(join(dir, 'env.fixture'), join(dir, '.env'));
    const progress = tempDir('shipshape-progress-');
    const key = () => dotenvParse(readFileSync(join(dir, '.env'))).ZITADEL_MASTERKEY;
    const before = key();
    assert.ok(before, 'the fixture has a masterkey');
    const env = {SHIPSHAPE_PROGRESS_DIR: progress};
    const refused = await runCli(['rotate', '--dir', dir, '--item', 'masterkey-length', '--yes'], {env});
    assert.equal(refused.code, 0, refused.stderr);
    assert.match(refused.stdout, /a value already exists\. ZITADEL encrypts its data/);
    assert.match(refused.stdout, /Nothing was replaced\./);
    assert.equal(key(), before);
    const typed = await runCli(['rotate', '--dir', dir, '--item', 'masterkey-length', '--replace-existing', 'masterkey-length', '--yes'], {env});
    assert.equal(typed.code, 0, typed.stderr);
    assert.notEqual(key(), before);
    assert.ok(!leaks(typed.stdout, key()!) && !leaks(typed.stdout, before!));
  });
});
