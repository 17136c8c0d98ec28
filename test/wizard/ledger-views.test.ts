// What a first-time user hit (issue 8): one way of counting, a waiver on an item that now
// passes, changed items showing old -> new, inputs whose files are missing, `auto`, and the
// generator preview/write from the wizard core. On real copies of the demo deployment.
import assert from 'node:assert/strict';
import {cpSync, readFileSync, statSync} from 'node:fs';
import {join} from 'node:path';
import {beforeEach, describe, test} from 'node:test';
import {TALLY_LEGEND} from '../../src/engine/ledger.js';
import {Wizard, type ItemView} from '../../src/wizard/controller.js';
import {REPO, runCli, tempDir} from '../support/helpers.js';

beforeEach(() => {
  process.env.SHIPSHAPE_PROGRESS_DIR = tempDir('shipshape-progress-');
});

function demoCopy(): string {
  const dir = tempDir('shipshape-ledger-');
  cpSync(join(REPO, 'examples', 'the0-compose'), dir, {recursive: true});
  return dir;
}

async function ran(dir: string): Promise<Wizard> {
  const w = await Wizard.open({dir, who: 'alice'});
  await w.run();
  return w;
}

const view = (w: Wizard, id: string): ItemView => w.getSnapshot().items.find((i) => i.id === id)!;

describe('one way of counting', () => {
  test('after a confirm, a decline and a waive, the sections, the summary and check agree', async () => {
    const dir = demoCopy();
    const w = await ran(dir);
    w.confirm('named-accounts', {by: 'alice'});
    w.decline('restore-tested', {by: 'alice', note: 'no drill yet'});
    w.waive('jwt-secret-strong', {by: 'alice', reason: 'rotating on Monday'});
    const snap = w.getSnapshot();
    const sum = (k: 'pass' | 'fail' | 'skip' | 'manual' | 'done') => snap.sections.reduce((n, s) => n + s.tally[k], 0);
    const summary = w.summary();
    const applicable = snap.items.filter((i) => i.applicable);
    for (const k of ['pass', 'fail', 'manual'] as const) {
      assert.equal(sum(k), applicable.filter((i) => i.status === k).length, `sections count ${k} like the items`);
      assert.equal(summary.byStatus[k] ?? 0, applicable.filter((i) => i.status === k).length, `the summary counts ${k} like the items`);
    }
    assert.equal(sum('done'), snap.done, 'done adds up');
    assert.equal(view(w, 'restore-tested').status, 'fail');
    assert.equal(view(w, 'restore-tested').finished, false, 'a declined item is answered, not done');
    assert.ok(
      summary.open.some((i) => i.id === 'restore-tested'),
      'a declined item stays open in the summary',
    );
    // check, reading the same answers file, counts the same way.
    const r = await runCli(['check', '--dir', dir, '--format', 'json']);
    const report = JSON.parse(r.stdout) as {items: {id: string; status: string}[]; summary: Record<string, number>};
    for (const k of ['pass', 'fail', 'manual'] as const) {
      assert.equal(
        report.items.filter((i) => i.status === k && applicable.some((a) => a.id === i.id)).length,
        applicable.filter((i) => i.status === k).length,
        `check counts ${k} the same`,
      );
    }
    assert.ok(Object.keys(TALLY_LEGEND).includes('manual'), 'the legend names every count');
  });
});

describe('a waiver on an item that now passes', () => {
  test('shows as passing, the waiver marked as no longer needed; check reports pass', async () => {
    const dir = demoCopy();
    const w = await ran(dir);
    w.waive('jwt-secret-strong', {by: 'alice', reason: 'rotating on Monday'});
    assert.equal(view(w, 'jwt-secret-strong').status, 'skip');
    const plan = await w.planGenerate('jwt-secret-strong');
    assert.doesNotMatch(
      plan.preview,
      new RegExp(
        readFileSync(join(dir, '.env'), 'utf8')
          .match(/^JWT_SECRET=(.*)$/m)![1]!
          .replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
      ),
    );
    const {written} = await w.writeGenerate(plan);
    assert.deepEqual(written, ['.env']);
    assert.equal(statSync(join(dir, '.env')).mode & 0o777, 0o600);
    const after = view(w, 'jwt-secret-strong');
    assert.equal(after.status, 'pass');
    assert.equal(after.waiver?.unneeded, true);
    assert.match(after.message, /no longer needed/);
    const r = await runCli(['check', '--dir', dir, '--format', 'json']);
    const item = (JSON.parse(r.stdout) as {items: {id: string; status: string; answer: {waiver: {unneeded: boolean}}}[]}).items.find(
      (i) => i.id === 'jwt-secret-strong',
    )!;
    assert.equal(item.status, 'pass');
    assert.equal(item.answer.waiver.unneeded, true);
  });
});

describe('inputs', () => {
  test('choosing kubernetes with no Helm values warns what is missing; auto goes back to detection', async () => {
    const dir = demoCopy();
    const w = await ran(dir);
    await w.setInput('mode', 'kubernetes');
    const mode = () => w.getSnapshot().inputs.find((i) => i.id === 'mode')!;
    assert.equal(mode().value, 'kubernetes');
    assert.match(mode().warning ?? '', /no file matching .*values.*exists/);
    await w.setInput('mode', 'auto');
    assert.equal(mode().value, 'compose');
    assert.match(mode().origin ?? '', /inferred from/);
    assert.equal(mode().warning, undefined);
    const again = await ran(dir);
    assert.equal(again.getSnapshot().inputs.find((i) => i.id === 'mode')!.value, 'compose', 'auto is not saved as a choice');
  });

  test('check warns on stderr when a given mode has no files', async () => {
    const r = await runCli(['check', '--dir', demoCopy(), '--input', 'mode=kubernetes', '--format', 'json']);
    assert.match(r.stderr, /warning: mode=kubernetes, but no file matching/);
  });
});

describe('changed items', () => {
  test('show the old and the new status', async () => {
    const dir = demoCopy();
    const first = await ran(dir);
    assert.equal(view(first, 'jwt-secret-strong').status, 'fail');
    const plan = await first.planGenerate('jwt-secret-strong');
    await first.writeGenerate(plan);
    const next = await ran(dir);
    const i = view(next, 'jwt-secret-strong');
    assert.equal(i.changed, true);
    assert.deepEqual(i.change, {from: 'fail', to: 'pass'});
  });
});

describe('re-checks and input changes', () => {
  test('a re-check reads a file fixed by hand; changing an input is not drift', async () => {
    const dir = demoCopy();
    const w = await ran(dir);
    assert.equal(view(w, 'datastores-private').status, 'fail');
    const compose = join(dir, 'docker-compose.yml');
    const {writeFileSync} = await import('node:fs');
    writeFileSync(compose, readFileSync(compose, 'utf8').replace('"5432:5432"', '"127.0.0.1:5432:5432"').replace('"9001:9001"', '"127.0.0.1:9001:9001"'));
    await w.run(['datastores-private']);
    assert.notEqual(view(w, 'datastores-private').status, 'fail', 'r sees the edited file');
    await w.setInput('mode', 'kubernetes');
    assert.deepEqual(w.getSnapshot().changed, [], 'a different question is not a changed answer');
    const again = await ran(dir);
    assert.deepEqual(again.getSnapshot().changed, [], 'nor on the next start');
  });
});
