// The bounded reader and the one rule for symlinks and non-files (src/deploy/read.ts), and the
// context, detection and glob walk that read through it. FIFOs, sockets and /dev/zero are real:
// on the code before, most of these cases blocked or read without end, so every test is bounded
// in time and none sleeps.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {mkdirSync, symlinkSync, writeFileSync} from 'node:fs';
import {createServer, type Server} from 'node:net';
import {join} from 'node:path';
import {after, describe, test} from 'node:test';
import {
  inspect,
  inspectSync,
  MAX_DEPLOYMENT_FILE_BYTES,
  ReadRefused,
  readDeploymentFile,
  readDeploymentFileSync,
  readRegularFile,
  readRegularFileSync,
} from '../../src/deploy/read.js';
import {detectPacks} from '../../src/pack/detect.js';
import {PackSchema} from '../../src/pack/schema.js';
import {SourceError} from '../../src/sources/errors.js';
import {listFiles} from '../../src/sources/glob.js';
import {contextFor, runCheck, tempDir, writeFiles} from '../support/helpers.js';

/** Each case is a handful of syscalls; a second is far more than any needs, and a hang fails. */
const FAST = {timeout: 2_000};

function mkfifo(path: string): void {
  execFileSync('mkfifo', [path]);
}

const servers: Server[] = [];
after(() => {
  for (const s of servers) s.close();
});

/** A listening Unix socket at path. */
function socketAt(path: string): Promise<void> {
  const srv = createServer();
  servers.push(srv);
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(path, resolve);
  });
}

async function refusal(p: Promise<unknown>): Promise<ReadRefused> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ReadRefused, `expected ReadRefused, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the read to be refused');
}

function refusalSync(fn: () => unknown): ReadRefused {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ReadRefused, `expected ReadRefused, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the read to be refused');
}

/** A deployment root with one of everything, and a directory outside it. */
function hostileRoot(): {root: string; outside: string} {
  const root = tempDir('shipshape-read-');
  const outside = tempDir('shipshape-outside-');
  writeFiles(root, {'.env': 'A=1\n', 'env/prod.env': 'B=2\n', 'sub/dir/.keep': ''});
  writeFiles(outside, {'secret.env': 'OUTSIDE_VALUE=visible-from-outside\n', 'values.yaml': 'image:\n  tag: outside-tag\n'});
  mkfifo(join(root, 'fifo'));
  symlinkSync('env/prod.env', join(root, 'inside-link'));
  symlinkSync(join(outside, 'secret.env'), join(root, 'outside-link'));
  symlinkSync(outside, join(root, 'outside-dir'));
  symlinkSync('nowhere', join(root, 'dangling'));
  symlinkSync('loop-b', join(root, 'loop-a'));
  symlinkSync('loop-a', join(root, 'loop-b'));
  symlinkSync('/dev/zero', join(root, 'zero'));
  symlinkSync('fifo', join(root, 'fifo-link'));
  symlinkSync('sub', join(root, 'dir-link'));
  return {root, outside};
}

describe('the rule: what is followed, what is refused', () => {
  const {root, outside} = hostileRoot();

  test('a regular file is read; a symlink whose real target is inside the root is followed', FAST, async () => {
    assert.equal((await readDeploymentFile(root, '.env')).toString(), 'A=1\n');
    assert.equal((await readDeploymentFile(root, 'inside-link')).toString(), 'B=2\n');
    assert.equal(readDeploymentFileSync(root, 'inside-link').toString(), 'B=2\n');
    assert.deepEqual(inspectSync(root, 'inside-link').kind, 'file');
  });

  test('nothing there is "missing", never an error of its own', FAST, async () => {
    assert.equal((await inspect(root, 'absent.env')).kind, 'missing');
    assert.equal(inspectSync(root, '.env/below').kind, 'missing', 'a parent that is a file is missing too');
    const e = await refusal(readDeploymentFile(root, 'absent.env'));
    assert.equal(e.reason, 'missing');
  });

  test('a symlink out of the root is refused, naming the link and where it leads; nothing outside is read', FAST, async () => {
    for (const rel of ['outside-link', 'outside-dir/secret.env', '../x', join(outside, 'secret.env'), 'zero']) {
      const e = await refusal(readDeploymentFile(root, rel));
      assert.equal(e.reason, 'outside', rel);
      assert.equal(e.file, rel);
      assert.match(e.message, /outside the deployment/);
      assert.doesNotMatch(e.message, /visible-from-outside/);
      assert.equal(refusalSync(() => readDeploymentFileSync(root, rel)).reason, 'outside');
    }
    assert.match(
      (await refusal(readDeploymentFile(root, 'outside-link'))).message,
      /^is a symbolic link that points outside the deployment \(to .*secret\.env\)/,
    );
  });

  test('a dangling link and a link loop are errors naming the link, never "absent"', FAST, async () => {
    assert.equal((await refusal(readDeploymentFile(root, 'dangling'))).reason, 'dangling');
    assert.equal(inspectSync(root, 'dangling').kind, 'refused');
    assert.equal((await refusal(readDeploymentFile(root, 'loop-a'))).reason, 'loop');
  });

  test('a directory, FIFO, socket or device where a file is expected is refused at once, unopened', FAST, async () => {
    await socketAt(join(root, 'sock'));
    const cases: [string, RegExp][] = [
      ['sub', /^is a directory, not a regular file/],
      ['dir-link', /^is a symbolic link to sub, which is a directory/],
      ['fifo', /^is a FIFO \(named pipe\), not a regular file/],
      ['fifo-link', /^is a symbolic link to fifo, which is a FIFO/],
      ['sock', /^is a socket, not a regular file/],
    ];
    for (const [rel, message] of cases) {
      const e = await refusal(readDeploymentFile(root, rel));
      assert.equal(e.reason, 'not-file', rel);
      assert.match(e.message, message);
      assert.ok(e instanceof SourceError, 'a SourceError, so checks report it with its location');
      assert.equal(refusalSync(() => readDeploymentFileSync(root, rel)).reason, 'not-file');
    }
  });
});

describe('readRegularFile: any path, only regular files, bounded', () => {
  test('/dev/zero and a FIFO are refused without reading (or blocking)', FAST, async () => {
    const dir = tempDir();
    mkfifo(join(dir, 'p'));
    for (const path of ['/dev/zero', '/dev/null', join(dir, 'p')]) {
      assert.equal((await refusal(readRegularFile(path))).reason, 'not-file', path);
      assert.equal(refusalSync(() => readRegularFileSync(path)).reason, 'not-file', path);
    }
    assert.match((await refusal(readRegularFile('/dev/zero'))).message, /character device/);
  });

  test('at most maxBytes: a file at the limit is read, one byte more is refused', FAST, async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'at'), 'x'.repeat(100));
    writeFileSync(join(dir, 'over'), 'x'.repeat(101));
    assert.equal((await readRegularFile(join(dir, 'at'), {maxBytes: 100})).length, 100);
    assert.equal(readRegularFileSync(join(dir, 'at'), {maxBytes: 100}).length, 100);
    assert.equal((await refusal(readRegularFile(join(dir, 'over'), {maxBytes: 100}))).reason, 'too-large');
    assert.equal(refusalSync(() => readRegularFileSync(join(dir, 'over'), {maxBytes: 100})).reason, 'too-large');
    assert.equal(MAX_DEPLOYMENT_FILE_BYTES, 4 * 1024 * 1024);
  });

  test('follow: false refuses a symlink as the last component', FAST, async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'f'), 'x');
    symlinkSync('f', join(dir, 'l'));
    assert.equal((await readRegularFile(join(dir, 'l'))).toString(), 'x');
    assert.equal((await refusal(readRegularFile(join(dir, 'l'), {follow: false}))).reason, 'not-file');
  });
});

describe('the context: every check sees the same answer', () => {
  test('a FIFO .env is a located error, at once', FAST, async () => {
    const root = tempDir();
    mkfifo(join(root, '.env'));
    const ctx = contextFor(root, {env: ['.env']});
    assert.equal(ctx.isFile('.env'), true, 'something is there');
    await assert.rejects(ctx.envFile('.env'), (e: SourceError) => e.file === '.env' && /FIFO/.test(e.message));
    await assert.rejects(ctx.envFiles(), (e: SourceError) => e.file === '.env');
    assert.deepEqual(
      ctx.problems().map((p) => p.file),
      ['.env'],
      'named once at the top of a report',
    );
    const r = await runCheck('env.value', root, {keys: ['A']}, {env: ['.env']});
    assert.equal(r.status, 'error');
    assert.equal(r.evidence[0]?.file, '.env');
  });

  test('a .env symlink inside the root is read by value checks (it was silently absent)', FAST, async () => {
    const root = tempDir();
    writeFiles(root, {'env/prod.env': 'A=1\n'});
    symlinkSync('env/prod.env', join(root, '.env'));
    const env = await contextFor(root, {env: ['.env']}).envFile('.env');
    assert.equal(env?.entries.get('A')?.value, '1');
    assert.equal((await runCheck('env.value', root, {keys: ['A']}, {env: ['.env']})).status, 'pass');
  });

  test('a .env symlink out of the root, dangling, or a directory is an error naming .env, not absent', FAST, async () => {
    const outside = tempDir();
    writeFiles(outside, {'x.env': 'A=from-outside\n'});
    const make: Record<string, (root: string) => void> = {
      outside: (root) => symlinkSync(join(outside, 'x.env'), join(root, '.env')),
      dangling: (root) => symlinkSync('gone.env', join(root, '.env')),
      directory: (root) => mkdirSync(join(root, '.env')),
    };
    for (const [name, build] of Object.entries(make)) {
      const root = tempDir();
      build(root);
      const r = await runCheck('env.value', root, {keys: ['A']}, {env: ['.env']});
      assert.equal(r.status, 'error', name);
      assert.equal(r.evidence[0]?.file, '.env', name);
      assert.doesNotMatch(JSON.stringify(r), /from-outside/, name);
    }
  });

  test('globbed values files: a link out of the root is an error, and nothing from outside is printed', FAST, async () => {
    const root = tempDir();
    const outside = tempDir();
    writeFiles(root, {'values.yaml': 'image:\n  tag: inside-tag\n'});
    writeFiles(outside, {'values.yaml': 'image:\n  tag: outside-tag\n'});
    symlinkSync(join(outside, 'values.yaml'), join(root, 'values-prod.yaml'));
    const ctx = contextFor(root, {helmValues: ['values.yaml', 'values-*.yaml']});
    assert.deepEqual(await ctx.glob(['values.yaml', 'values-*.yaml']), ['values.yaml', 'values-prod.yaml']);
    await assert.rejects(
      ctx.helm(),
      (e: SourceError) => e.file === 'values-prod.yaml' && /outside the deployment/.test(e.message) && !/outside-tag/.test(e.message),
    );
  });

  test('values files linked to /dev/zero and to a FIFO: errors, at once, bounded', FAST, async () => {
    const root = tempDir();
    mkfifo(join(root, 'pipe'));
    symlinkSync('/dev/zero', join(root, 'values-zero.yaml'));
    symlinkSync('pipe', join(root, 'values-pipe.yaml'));
    const ctx = contextFor(root, {helmValues: ['values-*.yaml']});
    await assert.rejects(ctx.yaml('values-zero.yaml'), /outside the deployment/);
    await assert.rejects(ctx.yaml('values-pipe.yaml'), /FIFO/);
    await assert.rejects(ctx.helm(), SourceError);
  });

  test('a file over 4 MiB is an error, not a parse', FAST, async () => {
    const root = tempDir();
    writeFileSync(join(root, '.env'), `A=${'x'.repeat(MAX_DEPLOYMENT_FILE_BYTES)}\n`);
    await assert.rejects(contextFor(root).readText('.env'), /larger than 4194304 bytes/);
  });
});

describe('the glob walk and detection', () => {
  test('the walk lists special files and links (the reader refuses them) but never opens or descends into them', FAST, async () => {
    const root = tempDir();
    const outside = tempDir();
    writeFiles(root, {'a.yaml': '', 'd/b.yaml': ''});
    writeFiles(outside, {'deep/c.yaml': ''});
    mkfifo(join(root, 'p.yaml'));
    symlinkSync(outside, join(root, 'out'));
    assert.deepEqual(await listFiles(root), ['a.yaml', 'd/b.yaml', 'out', 'p.yaml']);
  });

  test('detection does not block on a FIFO .env and still detects from the readable files', FAST, async () => {
    const root = tempDir();
    writeFiles(root, {'docker-compose.yml': 'services:\n  the0-api:\n    image: x\n'});
    mkfifo(join(root, '.env'));
    symlinkSync('/dev/zero', join(root, 'compose.yaml'));
    const pack = PackSchema.parse({
      schema: 1,
      id: 'p',
      title: 'P',
      version: '1.0.0',
      description: 'd',
      detect: [
        {file: '{compose,docker-compose}.{yml,yaml}', contains: 'the0-api'},
        {file: '.env', contains: '^A='},
      ],
      sections: [
        {id: 's', title: 'S', items: [{id: 'i', title: 'T', why: 'w', how: 'h', severity: 'low', source: {system: 'x', section: 'y'}, confirm: 'ok?'}]},
      ],
    });
    const found = await detectPacks(root, [pack]);
    assert.deepEqual(found[0]?.matched, ['docker-compose.yml ~ /the0-api/']);
  });
});
