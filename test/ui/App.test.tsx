// The Ink screens, driven with real key codes against a real Wizard on a copy of the demo.
// Frames are polled, never waited on a clock.
import {KEY, renderInk, type Rendered} from '../support/inkHarness.js';
import assert from 'node:assert/strict';
import {cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {afterEach, beforeEach, describe, test} from 'node:test';
import {App} from '../../src/ui/App.js';
import {Wizard} from '../../src/wizard/controller.js';
import {ANSWERS_FILE} from '../../src/store/answers.js';
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

type Saved = {answers: Record<string, {kind: string; by: string; note?: string; reason?: string; owner?: string}>; notes: Record<string, unknown>};

/** The demo pack's answers as saved with the deployment (shipshape-answers.json), or none yet. */
function saved(): Saved {
  const file = join(dir, ANSWERS_FILE);
  if (!existsSync(file)) return {answers: {}, notes: {}};
  const f = JSON.parse(readFileSync(file, 'utf8')) as {packs: Record<string, Saved>};
  return f.packs.the0 ?? {answers: {}, notes: {}};
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
    // Every item that applies to a Compose deployment: the0's own and those it inherits from compose.
    const applicable = wizard.getSnapshot().items.filter((i) => i.applicable).length;
    assert.ok(applicable >= 40, `${applicable} items apply`);
    assert.match(f, new RegExp(`First pass: ${applicable} items`));
    assert.match(f, /Answering {2}as alice/);
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
    // The form's second field is the risk's owner; who answered is who runs the wizard.
    assert.equal(a?.by, 'alice');
    assert.equal(a?.owner, 'alice');
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
    assert.deepEqual(saved().notes, {}, 'a cancelled note is not saved');
  });
});

describe('overview, summary and help', () => {
  test('sections show progress counts; the cursor moves and enter opens the section', async () => {
    await open();
    await ui.press('o');
    const f = await ui.waitFor((f) => f.includes('Section'), 'the overview');
    assert.match(f, /▸ Identity and access/);
    assert.match(f, /Section .* done {2}pass {2}fail {2}open$/m);
    // One item of Secrets does not apply to a Compose deployment: it is not counted as open.
    const secrets = wizard.getSnapshot().items.filter((i) => i.section === 'secrets' && i.applicable).length;
    assert.match(f, new RegExp(`Secrets .*\\s+\\d+/${secrets}\\s+\\d+\\s+\\d+\\s+\\d+`));
    assert.match(f, /Still open: \d+ critical, \d+ high/);
    assert.match(f, /█ done ▓ fail ░ other open · done: passes, skipped or waived · \? explains/, 'the legend, on one line at 80 columns');
    // The sections add up to the summary's totals: one way of counting.
    const rows = [...f.matchAll(/ (\d+)\/(\d+) +(\d+) +(\d+) +(\d+)$/gm)].map((m) => m.slice(1).map(Number));
    assert.equal(rows.length, wizard.getSnapshot().sections.length);
    const sum = (k: number) => rows.reduce((n, r) => n + r[k]!, 0);
    assert.equal(sum(0), wizard.getSnapshot().done);
    assert.equal(sum(1), wizard.getSnapshot().total);
    await ui.press(KEY.down, KEY.down);
    await ui.waitFor((f) => f.includes('▸ Network and TLS'), 'the cursor on Network');
    await ui.press(KEY.enter);
    await ui.waitFor((f) => f.includes('[Network and TLS'), 'an item of that section');
    await ui.press('s');
    const totals = await ui.waitFor((f) => f.includes('Still open'), 'the summary');
    const [, pass, fail] = /PASS (\d+) {3}FAIL (\d+)/.exec(totals) ?? [];
    assert.equal(Number(pass), sum(2), `the sections' pass column adds up to the summary:\n${totals}`);
    assert.equal(Number(fail), sum(3), "the sections' fail column adds up to the summary");
  });

  test('the summary lists totals, open items by severity and waivers', async () => {
    await open();
    wizard.waive('restore-tested', {by: 'bob', reason: 'first drill booked', expires: '2099-03-01'});
    await ui.press('s');
    const f = await ui.waitFor((f) => f.includes('Still open'), 'the summary');
    assert.match(f, /PASS \d+ {3}FAIL \d+ {3}WARN \d+ {3}ERROR \d+ {3}MANUAL \d+ {3}SKIP \d+/);
    assert.doesNotMatch(f, /TODO/, 'one word per status, the same as shipshape check');
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
    // A directory where the deployment's answers file should be: the atomic rename fails, even for root.
    const file = join(dir, ANSWERS_FILE);
    const before = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    rmSync(file, {force: true});
    mkdirSync(file);
    try {
      await ui.press(KEY.enter);
      const f = await ui.waitFor((f) => f.includes('! could not save:'), 'the save error');
      assert.match(f, /Note: kept text/);
    } finally {
      rmSync(file, {recursive: true, force: true});
      if (before !== undefined) writeFileSync(file, before);
    }
    await ui.press(KEY.enter);
    await ui.waitFor((f) => f.includes('confirmed and saved'), 'the save once writable again');
  });
});
