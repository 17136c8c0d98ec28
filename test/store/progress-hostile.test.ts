// Personal progress where it cannot be kept: a file where the directory should be, a dangling
// link, a home directory that does not exist, a symlinked or special progress file, and temp
// files a killed run left. The store must never throw at the wizard, never write through a link,
// never create a missing home directory, and say why progress is not kept. Tests run as root, so
// "not writable" is simulated by what is in the way, not by permissions.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {existsSync, lstatSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync} from 'node:fs';
import {basename, join} from 'node:path';
import {afterEach, beforeEach, describe, test} from 'node:test';
import {UsageError} from '../../src/model/errors.js';
import {cleanStaleProgressTemps, progressFile, ProgressStore, ProgressUnavailable} from '../../src/store/progress.js';
import {tempDir} from '../support/helpers.js';

const PACK = {id: 'the0', version: '1.0.0'};
const FAST = {timeout: 2_000};
const SAVED = {...process.env};
let root: string;

beforeEach(() => {
  root = tempDir('shipshape-deploy-');
});

afterEach(() => {
  for (const k of ['SHIPSHAPE_PROGRESS_DIR', 'XDG_CONFIG_HOME', 'HOME']) {
    if (SAVED[k] === undefined) delete process.env[k];
    else process.env[k] = SAVED[k];
  }
});

/** Opens the store as the wizard does, exercises every setter, and returns it. */
async function walkWith(): Promise<ProgressStore> {
  const store = await ProgressStore.open(root, PACK, {deferWrites: true});
  await store.ready();
  store.setInputs({mode: 'compose'});
  store.setPosition('named-accounts');
  store.recordSeen({a: {status: 'pass', fingerprint: 'f', at: new Date().toISOString()}});
  store.dropLegacy();
  return store;
}

describe('a progress directory that cannot be used: progress is off, with a reason, and nothing throws', () => {
  test('SHIPSHAPE_PROGRESS_DIR under a regular file', FAST, async () => {
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, 'not a directory\n');
    process.env.SHIPSHAPE_PROGRESS_DIR = join(file, 'progress');
    const store = await walkWith();
    assert.match(store.disabled ?? '', /cannot be created: .*a-file is a regular file, not a directory\. Set SHIPSHAPE_PROGRESS_DIR/);
    assert.equal(store.get().position, 'named-accounts', 'this run still remembers');
    assert.equal(readFileSync(file, 'utf8'), 'not a directory\n');
  });

  test('a regular file where the progress directory should be', FAST, async () => {
    const file = join(tempDir(), 'shipshape');
    writeFileSync(file, '');
    process.env.SHIPSHAPE_PROGRESS_DIR = file;
    const store = await walkWith();
    assert.match(store.disabled ?? '', /is a regular file, not a directory/);
  });

  test('a dangling symlink where the progress directory should be: its target is not created', FAST, async () => {
    const d = tempDir();
    symlinkSync(join(d, 'nowhere'), join(d, 'progress'));
    process.env.SHIPSHAPE_PROGRESS_DIR = join(d, 'progress');
    const store = await walkWith();
    assert.match(store.disabled ?? '', /is a symbolic link that leads nowhere/);
    assert.equal(existsSync(join(d, 'nowhere')), false);
  });

  test('HOME that does not exist, XDG_CONFIG_HOME unset: the home directory is never created', FAST, async () => {
    const home = join(tempDir(), 'nonexistent');
    delete process.env.SHIPSHAPE_PROGRESS_DIR;
    delete process.env.XDG_CONFIG_HOME;
    process.env.HOME = home;
    const store = await walkWith();
    assert.match(store.disabled ?? '', new RegExp(`the home directory ${home} does not exist`));
    assert.equal(existsSync(home), false);
  });

  test('a symlinked progress directory that leads to a real directory is fine (dotfiles)', FAST, async () => {
    const real = tempDir();
    const link = join(tempDir(), 'linked');
    symlinkSync(real, link);
    process.env.SHIPSHAPE_PROGRESS_DIR = link;
    const store = await walkWith();
    assert.equal(store.disabled, undefined);
    assert.equal(JSON.parse(readFileSync(join(real, basename(store.path)), 'utf8')).position, 'named-accounts');
  });

  test('reset says plainly why it cannot (a usage error, exit 2, not an internal error)', FAST, async () => {
    const file = join(tempDir(), 'f');
    writeFileSync(file, '');
    process.env.SHIPSHAPE_PROGRESS_DIR = join(file, 'p');
    const store = await ProgressStore.open(root, PACK);
    assert.throws(
      () => store.reset(),
      (e: Error) => e instanceof ProgressUnavailable && e instanceof UsageError && /cannot be cleared/.test(e.message),
    );
  });
});

describe('never written through a symlink', () => {
  test('a progress file that is a symlink: progress is off, the target is untouched, the link stays', FAST, async () => {
    const dir = tempDir();
    process.env.SHIPSHAPE_PROGRESS_DIR = dir;
    const target = join(tempDir(), 'somebody-elses.json');
    writeFileSync(target, '{"keep": "me"}\n');
    symlinkSync(target, progressFile(root, PACK.id));
    const store = await walkWith();
    assert.equal(readFileSync(target, 'utf8'), '{"keep": "me"}\n');
    assert.match(store.disabled ?? '', /is a symbolic link, and Shipshape never writes through a link/);
    assert.ok(lstatSync(progressFile(root, PACK.id)).isSymbolicLink());
    assert.equal(store.get().position, 'named-accounts');
  });

  test('a link put in place after open is refused at the next write, not followed', FAST, async () => {
    const dir = tempDir();
    process.env.SHIPSHAPE_PROGRESS_DIR = dir;
    const store = await ProgressStore.open(root, PACK);
    store.setPosition('a');
    assert.equal(store.disabled, undefined);
    const target = join(tempDir(), 'target.json');
    writeFileSync(target, 'untouched\n');
    const file = progressFile(root, PACK.id);
    execFileSync('ln', ['-sfn', target, file]);
    store.setPosition('b');
    assert.equal(readFileSync(target, 'utf8'), 'untouched\n');
    assert.match(store.disabled ?? '', /symbolic link/);
  });

  test('a FIFO as the progress file neither blocks nor is written', FAST, async () => {
    const dir = tempDir();
    process.env.SHIPSHAPE_PROGRESS_DIR = dir;
    execFileSync('mkfifo', [progressFile(root, PACK.id)]);
    const store = await walkWith();
    assert.match(store.disabled ?? '', /is a FIFO \(named pipe\), not a regular file/);
    assert.deepEqual(ProgressStore.read(root, PACK).seen, {}, 'check reads it without blocking too');
  });
});

describe('temp files a killed write left behind', () => {
  test("stale ones (ours and conf's) are removed on the next start; fresh ones stay", FAST, async () => {
    const dir = tempDir();
    process.env.SHIPSHAPE_PROGRESS_DIR = dir;
    const name = basename(progressFile(root, PACK.id));
    const oldConf = `${name}.tmp-1767225600a1b2c3`;
    const oldOurs = `.shipshape-tmp-${name}-0123456789ab`;
    const fresh = `${name}.tmp-1767225699d4e5f6`;
    const notOurs = 'notes.json.tmp-1767225600a1b2c3';
    for (const n of [oldConf, oldOurs, fresh, notOurs]) writeFileSync(join(dir, n), '{');
    const twoMinutesAgo = (Date.now() - 120_000) / 1000;
    for (const n of [oldConf, oldOurs, notOurs]) utimesSync(join(dir, n), twoMinutesAgo, twoMinutesAgo);
    const store = await ProgressStore.open(root, PACK);
    store.setPosition('a');
    assert.deepEqual(readdirSync(dir).sort(), [fresh, name, notOurs].sort());
  });

  test('cleanStaleProgressTemps reports what it removed, and a missing directory is no error', FAST, async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'progress-x-0.json.tmp-1767225600a1b2c3'), '');
    assert.deepEqual(await cleanStaleProgressTemps(dir), [], 'young: may be a write in progress');
    assert.deepEqual(await cleanStaleProgressTemps(dir, Date.now() + 120_000), ['progress-x-0.json.tmp-1767225600a1b2c3']);
    assert.deepEqual(await cleanStaleProgressTemps(join(dir, 'missing')), []);
  });
});
