// The launcher's code cache (src/launch.ts), with the built CLI: written on the first run of a
// command, used on the next, kept apart per set of Node options, a damaged one never handed to V8
// (whose deserializer aborts the process on damaged data), never read through a link or from a
// FIFO, never written through a link, and never in the way of the command itself. Not timed:
// what a cache is worth is for `npm run bench`; here, only what it does.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {VERSION} from '../../src/version.js';
import {REPO, runCli, tempDir} from '../support/helpers.js';

const demo = join(REPO, 'examples', 'the0-compose');

/** `check` on the demo with this cache home; what the launcher said of its cache. */
async function check(cacheHome: string, env: Record<string, string> = {}) {
  const r = await runCli(['check', '--dir', demo, '--format', 'json'], {env: {XDG_CACHE_HOME: cacheHome, SHIPSHAPE_TIMING: '1', ...env}, timeoutMs: 60_000});
  assert.equal(r.code, 1, r.stderr);
  assert.equal(JSON.parse(r.stdout).pack, 'the0');
  return {state: /shipshape-mark code cache (\w+)/.exec(r.stderr)?.[1], r};
}

const cachesIn = (home: string) => (existsSync(join(home, 'shipshape')) ? readdirSync(join(home, 'shipshape')).filter((f) => f.endsWith('.bin')) : []);

describe('code cache', () => {
  test('the first run of a command writes its cache (0600 in a 0700 folder), the next uses it', async () => {
    const home = tempDir('shipshape-cache-');
    assert.equal((await check(home)).state, 'none');
    const files = cachesIn(home);
    assert.equal(files.length, 1);
    assert.match(files[0]!, /^code-[0-9a-f]{16}-\w+-\w+-v\d+\.\d+\.\d+-\w+-plain-check\.bin$/);
    assert.equal(statSync(join(home, 'shipshape', files[0]!)).mode & 0o777, 0o600);
    assert.equal(statSync(join(home, 'shipshape')).mode & 0o777, 0o700);
    assert.ok(statSync(join(home, 'shipshape', files[0]!)).size > 100_000);
    assert.equal((await check(home)).state, 'used');
    // Another command has its own cache; --help has a small one (--version never loads the program).
    const v = await runCli(['--version'], {env: {XDG_CACHE_HOME: home}});
    assert.equal(v.code, 0);
    assert.equal(v.stdout, `${VERSION}\n`);
    const h = await runCli(['--help'], {env: {XDG_CACHE_HOME: home}});
    assert.equal(h.code, 0);
    assert.deepEqual(
      cachesIn(home)
        .map((f) => f.replace(/^.*-/, ''))
        .sort(),
      ['check.bin', 'info.bin'],
    );
    // No temp file is left behind.
    assert.deepEqual(
      readdirSync(join(home, 'shipshape')).filter((f) => f.endsWith('.tmp')),
      [],
    );
  });

  test('a damaged cache is never given to V8: the run compiles from source, gives the same result, and replaces it', async () => {
    const home = tempDir('shipshape-cache-');
    const first = await check(home);
    const [file] = cachesIn(home);
    const path = join(home, 'shipshape', file!);
    const bytes = readFileSync(path);
    bytes.fill(0x5a, 64, 4096);
    writeFileSync(path, bytes);
    const damaged = await check(home);
    assert.equal(damaged.state, 'none');
    assert.deepEqual(JSON.parse(damaged.r.stdout).summary, JSON.parse(first.r.stdout).summary);
    assert.notDeepEqual(readFileSync(path), bytes);
    assert.equal((await check(home)).state, 'used');
    // Cut short, the same.
    writeFileSync(path, readFileSync(path).subarray(0, 1000));
    assert.equal((await check(home)).state, 'none');
    assert.equal((await check(home)).state, 'used');
  });

  test('other Node options (which V8 would refuse the cache for) get a cache of their own', async () => {
    const home = tempDir('shipshape-cache-');
    await check(home);
    assert.equal((await check(home, {NODE_OPTIONS: '--max-old-space-size=400'})).state, 'none');
    assert.equal((await check(home, {NODE_OPTIONS: '--max-old-space-size=400'})).state, 'used');
    assert.equal((await check(home)).state, 'used');
    assert.equal(cachesIn(home).length, 2);
  });

  test('a link or a FIFO at the cache name is not read, and the new cache replaces the link, not its target', async () => {
    const home = tempDir('shipshape-cache-');
    await check(home);
    const [file] = cachesIn(home);
    const path = join(home, 'shipshape', file!);
    // The link leads to a good cache: read through it, the run would say `used`.
    const target = join(tempDir('shipshape-elsewhere-'), 'precious');
    const good = readFileSync(path);
    writeFileSync(target, good);
    execFileSync('rm', [path]);
    symlinkSync(target, path);
    assert.equal((await check(home)).state, 'none');
    assert.deepEqual(readFileSync(target), good, 'the link target is untouched');
    assert.equal(lstatSync(path).isSymbolicLink(), false);
    execFileSync('rm', [path]);
    execFileSync('mkfifo', [path]);
    // Opening a FIFO for reading would block the start until a writer came: it must not.
    assert.equal((await check(home)).state, 'none');
  });

  test('a cache folder that cannot be written, or SHIPSHAPE_CACHE=0, costs the command nothing', async () => {
    const home = tempDir('shipshape-cache-');
    writeFileSync(join(home, 'shipshape'), 'a file where the folder would be\n');
    assert.equal((await check(home)).state, 'none');
    assert.equal(readFileSync(join(home, 'shipshape'), 'utf8'), 'a file where the folder would be\n');
    const off = tempDir('shipshape-cache-');
    assert.equal((await check(off, {SHIPSHAPE_CACHE: '0'})).state, 'off');
    assert.deepEqual(cachesIn(off), []);
    if (process.getuid?.() !== 0) {
      const locked = tempDir('shipshape-cache-');
      mkdirSync(join(locked, 'shipshape'));
      chmodSync(join(locked, 'shipshape'), 0o500);
      assert.equal((await check(locked)).state, 'none');
      assert.deepEqual(cachesIn(locked), []);
    }
  });

  test('a cache folder others may write is neither read nor written (code in it would run)', async () => {
    const home = tempDir('shipshape-cache-');
    await check(home);
    chmodSync(join(home, 'shipshape'), 0o777);
    const before = cachesIn(home);
    assert.equal((await check(home)).state, 'none');
    assert.deepEqual(cachesIn(home), before);
    chmodSync(join(home, 'shipshape'), 0o700);
    assert.equal((await check(home)).state, 'used');
  });

  test('a cache folder whose parent does not exist is not made, nor its parents', async () => {
    const missing = join(tempDir('shipshape-cache-'), 'no', 'such');
    assert.equal((await check(missing)).state, 'none');
    assert.equal(existsSync(join(missing, '..')), false);
    // The cache home itself is made when only it is missing (a fresh ~/.cache).
    const fresh = join(tempDir('shipshape-cache-'), 'cache');
    await check(fresh);
    assert.equal(cachesIn(fresh).length, 1);
  });

  test('a usage error writes no cache (a refused run would cache almost nothing)', async () => {
    const home = tempDir('shipshape-cache-');
    const r = await runCli(['check', '--format', 'nope', '--dir', demo], {env: {XDG_CACHE_HOME: home}});
    assert.equal(r.code, 2);
    assert.deepEqual(cachesIn(home), []);
  });
});

describe('cache of validated user packs', () => {
  const pack = (title: string, extra = '') =>
    [
      'schema: 1',
      'id: mine',
      'title: Mine',
      'version: 1.0.0',
      'description: A pack of my own.',
      extra,
      'sections:',
      '  - id: s',
      '    title: S',
      '    items:',
      '      - id: env-file',
      `        title: ${title}`,
      '        why: w',
      '        how: h',
      '        severity: high',
      '        source: {system: mine, section: s}',
      '        verify:',
      '          - check: files.exists',
      '            with: {paths: [.env]}',
      '',
    ]
      .filter((l) => l !== '')
      .join('\n');

  async function run(home: string, dir: string, file: string) {
    const r = await runCli(['check', '--dir', dir, '--pack', file, '--format', 'json'], {env: {XDG_CACHE_HOME: home, SHIPSHAPE_TIMING: '1'}});
    assert.doesNotMatch(r.stderr, /internal error/);
    const how = /shipshape-mark user pack (from cache|loaded)/.exec(r.stderr)?.[1];
    return {how, report: JSON.parse(r.stdout) as {items: {id: string; title: string; status: string}[]}};
  }

  test('an unchanged pack is taken from the cache with the same result; any change to it or its base is loaded anew', async () => {
    const home = tempDir('shipshape-cache-');
    const dir = tempDir('shipshape-deploy-');
    writeFileSync(join(dir, '.env'), 'A=1\n');
    const packs = tempDir('shipshape-packs-');
    const file = join(packs, 'mine.yaml');
    writeFileSync(file, pack('The .env file exists'));
    const first = await run(home, dir, file);
    assert.equal(first.how, 'loaded');
    const second = await run(home, dir, file);
    assert.equal(second.how, 'from cache');
    assert.deepEqual(second.report.items, first.report.items);
    // An edit: loaded anew, and the edit shows.
    writeFileSync(file, pack('Edited title'));
    const edited = await run(home, dir, file);
    assert.equal(edited.how, 'loaded');
    assert.equal(edited.report.items[0]!.title, 'Edited title');
    assert.equal((await run(home, dir, file)).how, 'from cache');
    // With a base of its own: editing the base is a miss too.
    writeFileSync(join(packs, 'base.yaml'), pack('Base item').replace('id: mine', 'id: base').replace('id: env-file', 'id: base-item'));
    writeFileSync(file, pack('Edited title', 'extends: [base]'));
    assert.equal((await run(home, dir, file)).how, 'loaded');
    assert.equal((await run(home, dir, file)).how, 'from cache');
    writeFileSync(join(packs, 'base.yaml'), pack('Base item, edited').replace('id: mine', 'id: base').replace('id: env-file', 'id: base-item'));
    const base = await run(home, dir, file);
    assert.equal(base.how, 'loaded');
    assert.ok(base.report.items.some((i) => i.title === 'Base item, edited'));
  });

  test('a damaged entry is a miss, never a broken pack', async () => {
    const home = tempDir('shipshape-cache-');
    const dir = tempDir('shipshape-deploy-');
    const file = join(tempDir('shipshape-packs-'), 'mine.yaml');
    writeFileSync(file, pack('The .env file exists'));
    await run(home, dir, file);
    const [entry] = readdirSync(join(home, 'shipshape', 'packs'));
    const path = join(home, 'shipshape', 'packs', entry!);
    writeFileSync(path, readFileSync(path, 'utf8').replace('The .env file exists', 'The .env file EXISTS'));
    const r = await run(home, dir, file);
    assert.equal(r.how, 'loaded');
    assert.equal(r.report.items[0]!.title, 'The .env file exists');
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });
});
