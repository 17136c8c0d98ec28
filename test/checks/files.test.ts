// files.* checks against real files in temp dirs: real modes (chmod), owners (chown, as root),
// symlinks, a FIFO, an executable hook.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {chmodSync, chownSync, mkdirSync, symlinkSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {absent, contains, executable, exists, mode, owner, symlink} from '../../src/checks/files.js';
import {runStep} from '../../src/engine/run.js';
import type {CheckResult} from '../../src/model/types.js';
import type {CheckDef} from '../../src/checks/define.js';
import {contextFor, tempDir, writeFiles} from '../support/helpers.js';

const run = (def: CheckDef, dir: string, params: unknown, timeoutMs = 10_000): Promise<CheckResult> => runStep(def, contextFor(dir), params, timeoutMs);

const isRoot = process.getuid?.() === 0;

/** file, line, detail of each piece of evidence. */
function ev(r: CheckResult): [string | undefined, number | undefined, string][] {
  return r.evidence.map((e) => [e.file, e.line, e.detail]);
}

/** A deployment: .env (0600), config.yml (0644), a hook, a dir, and a directory outside the root. */
function deployment(): {dir: string; outside: string} {
  const dir = tempDir();
  const outside = tempDir('shipshape-outside-');
  writeFiles(dir, {
    '.env': 'POSTGRES_PASSWORD=s3cr3t-Value-Here\nDEBUG=false\n',
    'config.yml': 'server:\n  port: 8080\n  debug: false\n',
    '.githooks/pre-commit': '#!/bin/sh\nexit 0\n',
    'data/keep': '',
  });
  writeFiles(outside, {'shared.env': 'API_TOKEN=abc\n'});
  chmodSync(join(dir, '.env'), 0o600);
  chmodSync(join(dir, 'config.yml'), 0o644);
  chmodSync(join(dir, '.githooks/pre-commit'), 0o755);
  chmodSync(join(outside, 'shared.env'), 0o600);
  return {dir, outside};
}

describe('files.exists', () => {
  test('files and directories that exist pass; missing ones fail with their path', async () => {
    const {dir} = deployment();
    assert.equal((await run(exists, dir, {paths: ['.env', 'data']})).status, 'pass');
    const r = await run(exists, dir, {paths: ['.env', 'backup.sh']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(ev(r), [
      ['.env', undefined, 'file, 48 bytes'],
      ['backup.sh', undefined, 'does not exist'],
    ]);
    assert.equal(r.message, '1 of 2 paths are missing or not a regular file');
  });

  test('type: dir and type: file', async () => {
    const {dir} = deployment();
    assert.equal((await run(exists, dir, {paths: 'data', type: 'dir'})).status, 'pass');
    const r = await run(exists, dir, {paths: 'data', type: 'file'});
    assert.equal(r.status, 'fail');
    assert.match(r.evidence[0]!.detail, /is a directory, not a regular file/);
  });

  test('a dangling symlink does not count as existing', async () => {
    const {dir} = deployment();
    symlinkSync('gone.env', join(dir, 'prod.env'));
    const r = await run(exists, dir, {paths: 'prod.env'});
    assert.equal(r.status, 'fail');
    assert.deepEqual(ev(r), [['prod.env', undefined, 'dangling symlink to gone.env']]);
  });

  test('a relative path that leads outside the root through a symlink is reported, not passed silently', async () => {
    const {dir, outside} = deployment();
    symlinkSync(join(outside, 'shared.env'), join(dir, 'shared.env'));
    const r = await run(exists, dir, {paths: 'shared.env'});
    assert.equal(r.status, 'warn');
    assert.match(r.message, /1 of 1 paths lead outside the deployment root/);
    assert.match(r.evidence[0]!.detail, /resolves outside the deployment root, to .*shipshape-outside-.*\/shared\.env$/);
    // So is a path through a symlinked directory, and a plain ../ path.
    symlinkSync(outside, join(dir, 'conf'));
    assert.equal((await run(exists, dir, {paths: 'conf/shared.env'})).status, 'warn');
    assert.equal((await run(exists, dir, {paths: `../${outside.split('/').at(-1)}/shared.env`})).status, 'warn');
  });

  test('absolute paths are checked as given', async () => {
    const {dir, outside} = deployment();
    const r = await run(exists, dir, {paths: join(outside, 'shared.env')});
    assert.equal(r.status, 'pass');
    assert.equal(r.evidence[0]!.file, join(outside, 'shared.env'));
  });
});

describe('files.absent', () => {
  test('a leftover plaintext file fails, without a word of its content', async () => {
    const {dir} = deployment();
    const tmp = tempDir();
    const leftover = join(tmp, 'the0-root-admin.yaml');
    writeFiles(tmp, {'the0-root-admin.yaml': 'password: hunter2-root-admin\n'});
    const r = await run(absent, dir, {paths: [leftover, 'backup.sql']});
    assert.equal(r.status, 'fail');
    assert.equal(r.message, '1 of 2 paths still exist');
    assert.equal(r.evidence[0]!.file, leftover);
    assert.match(r.evidence[0]!.detail, /^exists \(file, 29 bytes, modified \d{4}-.*\): remove it$/);
    assert.deepEqual(r.evidence[1], {file: 'backup.sql', detail: 'absent'});
    assert.ok(!JSON.stringify(r).includes('hunter2'));
  });

  test('gone passes; a dangling symlink still exists', async () => {
    const {dir} = deployment();
    assert.equal((await run(absent, dir, {paths: ['backup.sql', '/nonexistent-dir/the0-root-admin.yaml']})).status, 'pass');
    symlinkSync('nowhere', join(dir, 'old.env'));
    const r = await run(absent, dir, {paths: 'old.env'});
    assert.equal(r.status, 'fail');
    assert.match(r.evidence[0]!.detail, /exists \(symlink/);
  });
});

describe('files.mode', () => {
  test('0600 is within 0600; 0644 is not, naming the extra bits', async () => {
    const {dir} = deployment();
    const ok = await run(mode, dir, {paths: '.env', max: '0600'});
    assert.equal(ok.status, 'pass');
    assert.equal(ok.message, '.env is at most 0600');
    assert.deepEqual(ev(ok), [['.env', undefined, 'file mode 0600']]);
    const r = await run(mode, dir, {paths: ['.env', 'config.yml'], max: '600'});
    assert.equal(r.status, 'fail');
    assert.deepEqual(ev(r)[1], ['config.yml', undefined, 'file mode 0644: group read, others read beyond 0600']);
  });

  test('notWorldReadable', async () => {
    const {dir} = deployment();
    chmodSync(join(dir, 'config.yml'), 0o640);
    assert.equal((await run(mode, dir, {paths: 'config.yml', notWorldReadable: true})).status, 'pass');
    chmodSync(join(dir, 'config.yml'), 0o604);
    const r = await run(mode, dir, {paths: 'config.yml', notWorldReadable: true});
    assert.equal(r.status, 'fail');
    assert.match(r.evidence[0]!.detail, /0604: readable by others/);
  });

  test('setuid beyond 0755 fails; directories have modes too', async () => {
    const {dir} = deployment();
    chmodSync(join(dir, '.githooks/pre-commit'), 0o4755);
    const r = await run(mode, dir, {paths: '.githooks/pre-commit', max: '0755'});
    assert.equal(r.status, 'fail');
    assert.match(r.evidence[0]!.detail, /04755: setuid beyond 0755/);
    chmodSync(join(dir, 'data'), 0o700);
    assert.equal((await run(mode, dir, {paths: 'data', max: '0700'})).status, 'pass');
  });

  test('the mode of a symlink is its target mode', async () => {
    const {dir} = deployment();
    symlinkSync('config.yml', join(dir, 'current.yml'));
    const r = await run(mode, dir, {paths: 'current.yml', max: '0600'});
    assert.equal(r.status, 'fail');
    assert.match(r.evidence[0]!.detail, /0644/);
  });

  test('a target outside the root is checked, and the result says where it went', async () => {
    const {dir, outside} = deployment();
    symlinkSync(join(outside, 'shared.env'), join(dir, 'shared.env'));
    const r = await run(mode, dir, {paths: 'shared.env', max: '0600'});
    assert.equal(r.status, 'warn');
    assert.match(r.evidence[0]!.detail, /^file mode 0600; resolves outside the deployment root/);
    chmodSync(join(outside, 'shared.env'), 0o666);
    const bad = await run(mode, dir, {paths: 'shared.env', max: '0600'});
    assert.equal(bad.status, 'fail');
    assert.match(bad.evidence[0]!.detail, /0666: .*; resolves outside the deployment root/);
  });

  test('missing: fail by default, or skip', async () => {
    const {dir} = deployment();
    assert.equal((await run(mode, dir, {paths: 'nope', max: '0600'})).status, 'fail');
    const s = await run(mode, dir, {paths: 'nope', max: '0600', missing: 'skip'});
    assert.equal(s.status, 'skip');
    assert.equal(s.message, 'none of the 1 paths exists');
  });

  test('bad params', async () => {
    const {dir} = deployment();
    assert.match((await run(mode, dir, {paths: '.env'})).message, /bad params: give max/);
    assert.match((await run(mode, dir, {paths: '.env', max: '0999'})).message, /bad params: max is an octal mode/);
    assert.match((await run(mode, dir, {paths: [], max: '0600'})).message, /bad params/);
    const once = mode.params.parse({paths: '.env', max: '0600'});
    assert.deepEqual(mode.params.parse(once), once);
  });
});

describe('files.owner', {skip: isRoot ? false : 'chown needs root'}, () => {
  test('a file chowned to nobody:nogroup', async () => {
    const {dir} = deployment();
    chownSync(join(dir, '.env'), 65534, 65534);
    const byName = await run(owner, dir, {paths: '.env', user: 'nobody'});
    assert.equal(byName.status, 'pass', byName.message);
    assert.deepEqual(ev(byName), [['.env', undefined, 'owned by nobody (65534):nogroup (65534)']]);
    assert.equal((await run(owner, dir, {paths: '.env', user: 65534, group: 'nogroup'})).status, 'pass');
    assert.equal((await run(owner, dir, {paths: '.env', user: '65534'})).status, 'pass');
    const r = await run(owner, dir, {paths: ['.env', 'config.yml'], user: 'root'});
    assert.equal(r.status, 'fail');
    assert.equal(r.message, '1 of 2 paths not owned by user root (0)');
    assert.deepEqual(ev(r)[0], ['.env', undefined, 'owned by nobody (65534):nogroup (65534); want user root (0)']);
    assert.equal((await run(owner, dir, {paths: '.env', group: 'root'})).status, 'fail');
  });

  test('a user that /etc/passwd does not know is an error naming the file', async () => {
    const {dir} = deployment();
    const r = await run(owner, dir, {paths: '.env', user: 'no-such-user-shipshape'});
    assert.equal(r.status, 'error');
    assert.equal(r.message, 'no user named no-such-user-shipshape in /etc/passwd');
    assert.equal(r.evidence[0]!.file, '/etc/passwd');
    assert.match((await run(owner, dir, {paths: '.env'})).message, /bad params: give user, group, or both/);
  });
});

describe('files.symlink', () => {
  test('a real symlink, with and without the target it should have', async () => {
    const {dir} = deployment();
    mkdirSync(join(dir, 'releases/v2'), {recursive: true});
    symlinkSync('releases/v2', join(dir, 'current'));
    const r = await run(symlink, dir, {paths: 'current'});
    assert.equal(r.status, 'pass');
    assert.deepEqual(ev(r), [['current', undefined, '-> releases/v2']]);
    assert.equal((await run(symlink, dir, {paths: 'current', target: 'releases/v2'})).status, 'pass');
    // The same place, spelled differently: compared as resolved paths.
    assert.equal((await run(symlink, dir, {paths: 'current', target: './releases/../releases/v2'})).status, 'pass');
    assert.equal((await run(symlink, dir, {paths: 'current', target: join(dir, 'releases/v2')})).status, 'pass');
    const wrong = await run(symlink, dir, {paths: 'current', target: 'releases/v1'});
    assert.equal(wrong.status, 'fail');
    assert.equal(wrong.evidence[0]!.detail, '-> releases/v2, not releases/v1');
  });

  test('a regular file is not a symlink; a dangling link fails', async () => {
    const {dir} = deployment();
    const f = await run(symlink, dir, {paths: '.env'});
    assert.equal(f.status, 'fail');
    assert.equal(f.evidence[0]!.detail, 'is a file, not a symlink');
    symlinkSync('releases/v9', join(dir, 'next'));
    const d = await run(symlink, dir, {paths: 'next'});
    assert.equal(d.status, 'fail');
    assert.match(d.evidence[0]!.detail, /-> releases\/v9 \(dangling/);
  });

  test('a link out of the root warns unless its target was asked for', async () => {
    const {dir, outside} = deployment();
    symlinkSync(outside, join(dir, 'shared'));
    const r = await run(symlink, dir, {paths: 'shared'});
    assert.equal(r.status, 'warn');
    assert.match(r.evidence[0]!.detail, /resolves outside the deployment root/);
    assert.equal((await run(symlink, dir, {paths: 'shared', target: outside})).status, 'pass');
  });
});

describe('files.contains', () => {
  test('must match: the line number of the first match', async () => {
    const {dir} = deployment();
    const r = await run(contains, dir, {paths: 'config.yml', pattern: 'debug:\\s*false'});
    assert.equal(r.status, 'pass');
    assert.deepEqual(ev(r), [['config.yml', 3, 'line 3 matches: debug: false']]);
    const miss = await run(contains, dir, {paths: 'config.yml', pattern: 'tls:'});
    assert.equal(miss.status, 'fail');
    assert.equal(miss.evidence[0]!.detail, 'no line matches the pattern');
  });

  test('must not match, secret: the line is named, the text never shown', async () => {
    const {dir} = deployment();
    const r = await run(contains, dir, {paths: ['config.yml', '.env'], pattern: '^POSTGRES_PASSWORD=s3cr3t', flags: 'm', expect: 'no-match', secret: true});
    assert.equal(r.status, 'fail');
    assert.equal(r.message, '1 of 2 paths match the pattern');
    assert.deepEqual(ev(r), [
      ['config.yml', undefined, 'no line matches the pattern'],
      ['.env', 1, 'line 1 matches (text withheld: secret)'],
    ]);
    assert.ok(!JSON.stringify(r).includes('s3cr3t'));
    assert.equal((await run(contains, dir, {paths: '.env', pattern: 'debug=true', flags: 'i', expect: 'no-match'})).status, 'pass');
  });

  test('a match across lines reports the line it starts on', async () => {
    const {dir} = deployment();
    const r = await run(contains, dir, {paths: 'config.yml', pattern: 'port: 8080\\n\\s+debug', secret: true});
    assert.equal(r.status, 'pass');
    assert.equal(r.evidence[0]!.line, 2);
  });

  test('a FIFO is not read (it would block): error, promptly', async () => {
    const {dir} = deployment();
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    const r = await run(contains, dir, {paths: 'pipe', pattern: 'x'}, 2_000);
    assert.equal(r.status, 'error');
    assert.equal(r.message, 'could not check 1 of 1 paths: pipe: is a fifo, not a regular file');
  });

  test('a pathological pattern is cut off instead of hanging the run', async () => {
    const {dir} = deployment();
    writeFiles(dir, {'big.txt': `${'a'.repeat(40)}!\n`});
    const started = performance.now();
    const r = await run(contains, dir, {paths: 'big.txt', pattern: '^(a+)+$'});
    assert.equal(r.status, 'error');
    assert.match(r.message, /big\.txt: the pattern ran longer than 1000 ms/);
    assert.ok(performance.now() - started < 3_000);
  });

  test('bad params: an invalid pattern or flag', async () => {
    const {dir} = deployment();
    assert.match((await run(contains, dir, {paths: '.env', pattern: '(unclosed'})).message, /bad params: pattern is not a valid regular expression/);
    assert.match((await run(contains, dir, {paths: '.env', pattern: 'x', flags: 'g'})).message, /bad params/);
    assert.match((await run(contains, dir, {paths: '.env', pattern: 'x', flags: 'ii'})).message, /bad params/);
  });
});

describe('files.executable', () => {
  test('a hook with 0755 passes; 0644 fails with the fix', async () => {
    const {dir} = deployment();
    const r = await run(executable, dir, {paths: '.githooks/pre-commit'});
    assert.equal(r.status, 'pass');
    assert.deepEqual(ev(r), [['.githooks/pre-commit', undefined, 'mode 0755']]);
    chmodSync(join(dir, '.githooks/pre-commit'), 0o644);
    const bad = await run(executable, dir, {paths: '.githooks/pre-commit'});
    assert.equal(bad.status, 'fail');
    assert.equal(bad.evidence[0]!.detail, 'mode 0644: no execute bit (chmod +x)');
  });

  test('the hook is really executable: running it works', () => {
    const {dir} = deployment();
    execFileSync(join(dir, '.githooks/pre-commit'));
  });

  test('a directory is not an executable file; missing can be skipped', async () => {
    const {dir} = deployment();
    chmodSync(join(dir, 'data'), 0o755);
    assert.match((await run(executable, dir, {paths: 'data'})).evidence[0]!.detail, /is a directory/);
    assert.equal((await run(executable, dir, {paths: '.git/hooks/pre-push'})).status, 'fail');
    assert.equal((await run(executable, dir, {paths: '.git/hooks/pre-push', missing: 'skip'})).status, 'skip');
  });
});

describe('files bounds', () => {
  test('an aborted signal stops the check with an error from the check itself', async () => {
    const {dir} = deployment();
    const ac = new AbortController();
    ac.abort();
    const r = await exists.run(contextFor(dir), exists.params.parse({paths: '.env'}), ac.signal);
    assert.equal(r.status, 'error');
    assert.match(r.message, /stopped/);
  });
});
