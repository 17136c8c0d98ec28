// Answers kept with the deployment: a reviewable file, written atomically, read by check in CI.
import assert from 'node:assert/strict';
import {mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {ANSWERS_FILE, AnswersStore, readAnswers} from '../../src/store/answers.js';
import {tempDir} from '../support/helpers.js';

const at = '2026-11-21T09:00:00.000Z';

describe('answers file', () => {
  test('an answer is on disk when setAnswer returns, in a stable order, mode 0644, no temp file left', () => {
    const root = tempDir('shipshape-answers-');
    const store = AnswersStore.open(root, 'the0');
    store.setAnswer('zeta', {kind: 'confirmed', by: 'alice', at, note: 'two admins'});
    store.setAnswer('alpha', {kind: 'waived', by: 'bob', at, reason: 'lab only', owner: 'carol', expires: '2099-01-31'});
    const text = readFileSync(join(root, ANSWERS_FILE), 'utf8');
    assert.ok(text.indexOf('"alpha"') < text.indexOf('"zeta"'), 'entries sorted by item id');
    assert.equal(statSync(join(root, ANSWERS_FILE)).mode & 0o777, 0o644);
    assert.deepEqual(readdirSync(root), [ANSWERS_FILE]);
    const read = readAnswers(root, 'the0');
    assert.equal(read.answers.zeta?.note, 'two admins');
    assert.equal(read.answers.alpha?.owner, 'carol');
    assert.deepEqual(readAnswers(root, 'other').answers, {}, 'answers are kept per pack');
    // Writing the same answers again gives the same bytes: diffs in review stay small.
    const again = AnswersStore.open(root, 'the0');
    again.setAnswer('zeta', {kind: 'confirmed', by: 'alice', at, note: 'two admins'});
    assert.equal(readFileSync(join(root, ANSWERS_FILE), 'utf8'), text);
  });

  test('a waiver needs a reason and a real date; refused answers are not written', () => {
    const root = tempDir('shipshape-answers-');
    const store = AnswersStore.open(root, 'the0');
    assert.throws(() => store.setAnswer('x', {kind: 'waived', by: 'a', at, reason: '  '}), /needs a reason/);
    assert.throws(() => store.setAnswer('x', {kind: 'waived', by: 'a', at, reason: 'r', expires: '2026-13-40'}));
    assert.deepEqual(readdirSync(root), []);
  });

  test('a damaged file is a located problem, is never overwritten, and check reads no answers from it', () => {
    const root = tempDir('shipshape-answers-');
    const bad = '{\n  "version": 1,\n  "packs": {\n    "the0": {"answers": {"x": {"kind": "maybe", "by": "a", "at": "t"}}}\n  }\n}\n';
    writeFileSync(join(root, ANSWERS_FILE), bad);
    const read = readAnswers(root, 'the0');
    assert.equal(read.problems.length, 1);
    assert.equal(read.problems[0]?.line, 4);
    assert.match(read.problems[0]?.message ?? '', /packs\.the0\.answers\.x\.kind/);
    const store = AnswersStore.open(root, 'the0');
    assert.throws(() => store.setAnswer('y', {kind: 'confirmed', by: 'a', at}), /not saved until it is fixed/);
    assert.equal(readFileSync(join(root, ANSWERS_FILE), 'utf8'), bad);
    writeFileSync(join(root, ANSWERS_FILE), '{"version": 1,,}');
    assert.match(readAnswers(root, 'the0').problems[0]?.message ?? '', /not valid JSON/);
  });

  test('never written through a symlink, nor over a directory', () => {
    const root = tempDir('shipshape-answers-');
    const elsewhere = join(tempDir('shipshape-elsewhere-'), 'target.json');
    writeFileSync(elsewhere, 'untouched');
    symlinkSync(elsewhere, join(root, ANSWERS_FILE));
    assert.throws(() => AnswersStore.open(root, 'the0').setAnswer('y', {kind: 'confirmed', by: 'a', at}), /symbolic link|not a regular file/);
    assert.equal(readFileSync(elsewhere, 'utf8'), 'untouched');
    const root2 = tempDir('shipshape-answers-');
    mkdirSync(join(root2, ANSWERS_FILE));
    assert.throws(() => AnswersStore.open(root2, 'the0').setAnswer('y', {kind: 'confirmed', by: 'a', at}), /not a regular file/);
  });

  test('answers from an older personal progress file are adopted once, never overwriting newer ones', () => {
    const root = tempDir('shipshape-answers-');
    const store = AnswersStore.open(root, 'the0');
    store.setAnswer('kept', {kind: 'declined', by: 'new', at});
    const moved = store.adopt({kept: {kind: 'confirmed', by: 'old', at}, fresh: {kind: 'confirmed', by: 'old', at}}, {fresh: {text: 'n', by: 'old', at}});
    assert.equal(moved, 2);
    const read = readAnswers(root, 'the0');
    assert.equal(read.answers.kept?.by, 'new');
    assert.equal(read.answers.fresh?.by, 'old');
    assert.equal(read.notes.fresh?.text, 'n');
    assert.equal(store.adopt({fresh: {kind: 'confirmed', by: 'old', at}}, {}), 0);
  });
});
