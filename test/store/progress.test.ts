// Saved progress on real files: where it lands, its mode, reopening, and what happens when the
// file is damaged. Each test gets its own SHIPSHAPE_PROGRESS_DIR.
import assert from 'node:assert/strict';
import {readdirSync, readFileSync, statSync, symlinkSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {beforeEach, describe, test} from 'node:test';
import {hasProgress, progressFile, ProgressStore, PROGRESS_VERSION} from '../../src/store/progress.js';
import {tempDir} from '../support/helpers.js';

const PACK = {id: 'the0', version: '1.0.0'};
let root: string;
let dir: string;

beforeEach(() => {
  root = tempDir('shipshape-deploy-');
  dir = tempDir('shipshape-progress-');
  process.env.SHIPSHAPE_PROGRESS_DIR = dir;
});

describe('progress store', () => {
  test('personal state is on disk, mode 0600, as soon as a setter returns', async () => {
    const store = await ProgressStore.open(root, PACK);
    assert.equal(hasProgress(root, 'the0'), false, 'opening alone writes nothing');
    store.setPosition('named-accounts');
    const file = progressFile(root, 'the0');
    assert.equal(store.path, file);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(saved.version, PROGRESS_VERSION);
    assert.equal(saved.position, 'named-accounts');
    assert.equal(saved.pack, 'the0');

    const again = await ProgressStore.open(root, PACK);
    assert.equal(again.get().position, 'named-accounts');
  });

  test('one file per deployment and pack, the same through a symlinked path', async () => {
    const other = tempDir('shipshape-deploy-');
    const link = join(tempDir(), 'link');
    symlinkSync(root, link);
    (await ProgressStore.open(root, PACK)).setInputs({mode: 'compose'});
    (await ProgressStore.open(other, PACK)).setInputs({mode: 'kubernetes'});
    (await ProgressStore.open(root, {id: 'compose', version: '1.0.0'})).setInputs({});
    assert.equal(readdirSync(dir).filter((f) => f.endsWith('.json')).length, 3);
    assert.equal((await ProgressStore.open(link, PACK)).get().inputs.mode, 'compose');
  });

  test('a damaged file is set aside, not lost, and a fresh one starts', async () => {
    const store = await ProgressStore.open(root, PACK);
    store.setPosition('a');
    writeFileSync(store.path, '{"version": 1, "answers": {');
    const reopened = await ProgressStore.open(root, PACK);
    assert.ok(reopened.recovered, 'says a file was set aside');
    assert.equal(readFileSync(reopened.recovered, 'utf8'), '{"version": 1, "answers": {');
    assert.deepEqual(reopened.get().answers, {});
  });

  test('a file of a shape we do not know is set aside too', async () => {
    const file = progressFile(root, 'the0');
    (await ProgressStore.open(root, PACK)).setInputs({});
    writeFileSync(file, JSON.stringify({version: 99, something: 'else'}));
    const reopened = await ProgressStore.open(root, PACK);
    assert.match(reopened.recovered ?? '', /\.unreadable-\d+$/);
  });

  test('reset clears personal state', async () => {
    const store = await ProgressStore.open(root, PACK);
    store.setPosition('a');
    store.reset();
    assert.equal((await ProgressStore.open(root, PACK)).get().position, undefined);
  });
});
