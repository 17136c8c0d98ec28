// The Ink screens, driven with real key codes against a real Wizard on a copy of the demo.
// Frames are polled, never waited on a clock.
import {KEY, renderInk, type Rendered} from '../support/inkHarness.js';
import assert from 'node:assert/strict';
import {cpSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {afterEach, beforeEach, describe, test} from 'node:test';
import {App} from '../../src/ui/App.js';
import {Wizard} from '../../src/wizard/controller.js';
import {progressFile} from '../../src/store/progress.js';
import {REPO, tempDir} from '../support/helpers.js';

let dir: string;
let wizard: Wizard;
let ui: Rendered;

async function settled(w: Wizard): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (w.getSnapshot().running > 0 || w.getSnapshot().items.some((i) => i.status === 'pending' && i.applicable)) {
    if (Date.now() > deadline) throw new Error('checks did not finish');
    await new Promise((r) => setImmediate(r));
  }
}

async function open(size?: {columns: number; rows: number}): Promise<void> {
  wizard = await Wizard.open({dir, who: 'alice'});
  ui = await renderInk(<App wizard={wizard} />, size);
  await wizard.run();
  await settled(wizard);
}

function saved(): {answers: Record<string, {kind: string; by: string; note?: string; reason?: string}>} {
  return JSON.parse(readFileSync(progressFile(dir, 'the0'), 'utf8'));
}

beforeEach(() => {
  dir = tempDir('shipshape-ui-');
  cpSync(join(REPO, 'examples', 'the0-compose'), dir, {recursive: true});
  process.env.SHIPSHAPE_PROGRESS_DIR = tempDir('shipshape-progress-');
});

afterEach(() => {
  ui?.unmount();
  wizard?.close();
});

describe('start screen', () => {
  test('shows the deployment, the detected pack, the inferred mode and where to begin', async () => {
    await open();
    const f = await ui.waitFor((f) => f.includes('Press enter to start at'), 'the start prompt');
    assert.match(f, /Deployment .*shipshape-ui-/);
    assert.match(f, /Pack {7}the0 1\.0\.0, detected from docker-compose\.yml/);
    assert.match(f, /Mode {7}Docker Compose \(the0 local\) \(inferred from docker-compose\.yml\)/);
    assert.match(f, /First pass: 32 items/);
    assert.match(f, /Answering  as alice/);
    assert.match(f, /enter resume · i change settings/);
  });

  test('i changes the mode through a choice list, and the checks run again', async () => {
    await open();
    await ui.press('i');
    await ui.waitFor((f) => f.includes('Which setting?'), 'the list of settings');
    await ui.press(KEY.enter);
    await ui.waitFor((f) => f.includes('How is this the0 deployment run?'), 'the mode question');
    await ui.press(KEY.down, KEY.enter);
    await ui.waitFor((f) => f.includes('mode is now kubernetes'), 'the confirmation');
    await settled(wizard);
    await ui.waitFor((f) => /Mode {7}Kubernetes with the Helm chart \(chosen\)/.test(f), 'the new mode');
    assert.equal(wizard.getSnapshot().items.find((i) => i.id === 'credentials-from-env')?.applicable, false);
  });
});

describe('item screen', () => {
  test('enter opens the first open item with its status word, evidence and fix', async () => {
    await open();
    await ui.press(KEY.enter);
    const f = await ui.waitFor((f) => f.includes('[Identity and access 1/4]'), 'the first item');
    assert.match(f, /^FAIL {2}/m);
    assert.match(f, /^ {2}\.env:12 /m);
    assert.match(f, /^How to fix$/m);
    assert.match(f, /→\/n next · ←\/b back · w waive/);
    assert.doesNotMatch(f, /c confirm/, 'no confirm for an item its checks settle');
  });

  test('confirming a manual item with a note saves it and moves on', async () => {
    await open();
    await ui.press(KEY.enter, 'n', 'n');
    await ui.waitFor((f) => f.includes('People use their own named accounts'), 'named-accounts');
    await ui.press('c');
    await ui.waitFor((f) => f.includes('Confirm: Every operator has a named account'), 'the confirm dialog');
    await ui.type('two admins, root sealed');
    await ui.press(KEY.enter);
    await ui.waitFor((f) => f.includes('confirmed and saved'), 'the saved flash');
    await ui.waitFor((f) => f.includes('API keys are rotated'), 'the next unfinished item');
    const a = saved().answers['named-accounts'];
    assert.equal(a?.kind, 'confirmed');
    assert.equal(a?.by, 'alice');
    assert.equal(a?.note, 'two admins, root sealed');
    await ui.press('b');
    const back = await ui.waitFor((f) => f.includes('People use their own named accounts'), 'back on named-accounts');
    assert.match(back, /^PASS {2}confirmed by alice on \d{4}-\d{2}-\d{2}: two admins, root sealed/m);
    assert.match(back, /Answer: confirmed by alice/);
  });

  test('a waiver is refused without a reason, then saved with one', async () => {
    await open();
    await ui.press(KEY.enter);
    await ui.waitFor((f) => f.includes('[Identity and access 1/4]'), 'the first item');
    await ui.press('w');
    await ui.waitFor((f) => f.includes('Reason: '), 'the waive dialog');
    await ui.press(KEY.enter);
    await ui.waitFor((f) => f.includes('! a waiver needs a reason'), 'the error');
    await ui.type('rotating next week');
    await ui.press(KEY.tab, KEY.tab);
    await ui.type('2099-01-31');
    await ui.press(KEY.enter);
    await ui.waitFor((f) => f.includes('waived and saved'), 'the saved flash');
    const a = saved().answers['root-admin-configured'];
    assert.equal(a?.kind, 'waived');
    assert.equal(a?.reason, 'rotating next week');
  });

  test('esc leaves a dialog without saving; backspace edits', async () => {
    await open();
    await ui.press(KEY.enter, 'a');
    await ui.waitFor((f) => f.includes('Note: '), 'the note dialog');
    await ui.type('abx');
    await ui.press(KEY.backspace);
    await ui.waitFor((f) => /Note: ab\s/.test(f), 'the edited text');
    await ui.press(KEY.esc);
    await ui.waitFor((f) => f.includes('nothing saved'), 'the cancel flash');
    const p = JSON.parse(readFileSync(progressFile(dir, 'the0'), 'utf8')) as {notes?: Record<string, unknown>};
    assert.deepEqual(p.notes ?? {}, {}, 'a cancelled note is not saved');
  });
});

describe('overview, summary and help', () => {
  test('sections show progress counts; the cursor moves and enter opens the section', async () => {
    await open();
    await ui.press('o');
    const f = await ui.waitFor((f) => f.includes('Section'), 'the overview');
    assert.match(f, /▸ Identity and access/);
    assert.match(f, /Secrets .*\s+\d+\/11\s+\d+\s+\d+\s+\d+/);
    assert.match(f, /Still open: \d+ critical, \d+ high/);
    await ui.press(KEY.down, KEY.down);
    await ui.waitFor((f) => f.includes('▸ Network and TLS'), 'the cursor on Network');
    await ui.press(KEY.enter);
    await ui.waitFor((f) => f.includes('[Network and TLS'), 'an item of that section');
  });

  test('the summary lists totals, open items by severity and waivers', async () => {
    await open();
    wizard.waive('restore-tested', {by: 'bob', reason: 'first drill booked', expires: '2099-03-01'});
    await ui.press('s');
    const f = await ui.waitFor((f) => f.includes('Still open'), 'the summary');
    assert.match(f, /PASS \d+ {3}FAIL \d+ {3}WARN \d+ {3}ERROR \d+ {3}TODO \d+ {3}SKIP \d+/);
    assert.match(f, /Waivers\n {2}restore-tested: first drill booked \(bob, until 2099-03-01\)/);
    assert.match(f, /Next: press enter to go to the first open item/);
  });

  test('? shows every key; esc closes it', async () => {
    await open();
    await ui.press('?');
    const f = await ui.waitFor((f) => f.includes('Keys (answers are saved'), 'help');
    assert.match(f, /Item {8}.*c confirm/);
    await ui.press(KEY.esc);
    await ui.waitFor((f) => f.includes('Press enter to start at'), 'the start screen again');
  });
});

describe('layout', () => {
  test('fits 80x24 on every screen', async () => {
    await open({columns: 80, rows: 24});
    for (const keys of [[], [KEY.enter], ['o'], ['s'], ['?']]) {
      await ui.press(...keys);
      const lines = ui.frame().split('\n');
      assert.ok(lines.length <= 24, `${lines.length} lines`);
      for (const l of lines) assert.ok([...l].length <= 80, `too wide: ${l}`);
      await ui.press(KEY.esc, 'o', KEY.esc);
    }
  });

  test('follows a resize to 60 columns', async () => {
    await open({columns: 100, rows: 30});
    await ui.press(KEY.enter);
    await ui.waitFor((f) => f.includes('[Identity and access 1/4]'), 'the first item');
    ui.stdout.resize(60, 20);
    const f = await ui.waitFor((f) => f.split('\n').every((l) => [...l].length <= 60) && f.split('\n').length <= 20, 'a 60x20 frame');
    assert.match(f, /FAIL/);
  });
});

describe('failures', () => {
  test('a save that fails keeps the dialog and what was typed, and says why', async () => {
    await open();
    await ui.press(KEY.enter, 'n', 'n');
    await ui.waitFor((f) => f.includes('People use their own named accounts'), 'named-accounts');
    await ui.press('c');
    await ui.waitFor((f) => f.includes('Confirm:'), 'the dialog');
    await ui.type('kept text');
    // A directory where the progress file should be: the atomic rename fails, even for root.
    const file = progressFile(dir, 'the0');
    const before = readFileSync(file, 'utf8');
    rmSync(file);
    mkdirSync(file);
    try {
      await ui.press(KEY.enter);
      const f = await ui.waitFor((f) => f.includes('! could not save:'), 'the save error');
      assert.match(f, /Note: kept text/);
    } finally {
      rmSync(file, {recursive: true, force: true});
      writeFileSync(file, before, {mode: 0o600});
    }
    await ui.press(KEY.enter);
    await ui.waitFor((f) => f.includes('confirmed and saved'), 'the save once writable again');
  });
});
