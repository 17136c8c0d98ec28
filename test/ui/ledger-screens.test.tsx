// What the screens say about the ledger: one way of counting with its legend, a waiver that is
// no longer needed, old -> new status for changed items, inputs with `auto` and a warning for
// missing files, where answers are kept, and what is said on leaving. Real Wizard, real files,
// real keys; frames are polled, never waited on a clock.
import {KEY, renderInk, type Rendered} from '../support/inkHarness.js';
import assert from 'node:assert/strict';
import {cpSync, existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {afterEach, beforeEach, describe, test} from 'node:test';
import {TALLY_LEGEND} from '../../src/engine/ledger.js';
import {STATUS_WORD} from '../../src/model/types.js';
import {ANSWERS_FILE} from '../../src/store/answers.js';
import {App} from '../../src/ui/App.js';
import {farewell} from '../../src/ui/farewell.js';
import {startLines} from '../../src/ui/screens/StartScreen.js';
import type {Line} from '../../src/ui/text.js';
import {Wizard} from '../../src/wizard/controller.js';
import {initialNav, type NavState, navReducer} from '../../src/wizard/navigation.js';
import {REPO, tempDir} from '../support/helpers.js';

let dir: string;
let wizard: Wizard;
let ui: Rendered;

async function settled(w: Wizard): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (w.getSnapshot().running > 0 || w.getSnapshot().items.some((i) => i.status === 'pending' && i.applicable)) {
    if (Date.now() > deadline) throw new Error('checks did not finish');
    await new Promise((r) => setImmediate(r));
  }
}

async function open(o: {initial?: NavState; size?: {columns: number; rows: number}} = {}): Promise<void> {
  wizard = await Wizard.open({dir, who: 'alice'});
  ui = await renderInk(<App wizard={wizard} initial={o.initial} />, o.size ?? {columns: 80, rows: 24});
  await wizard.run();
  await settled(wizard);
  await ui.waitFor((f) => f.includes('q quit'), 'the key hints');
}

const text = (lines: Line[]) => lines.map((l) => l.map((s) => s.text).join('')).join('\n');
const unwrapped = (f: string) => f.replace(/\n\s*/g, ' ');

/** The demo's answers as saved with the deployment. */
function savedAnswers(): Record<string, {kind: string}> {
  const file = join(dir, ANSWERS_FILE);
  if (!existsSync(file)) return {};
  return (JSON.parse(readFileSync(file, 'utf8')) as {packs: Record<string, {answers: Record<string, {kind: string}>}>}).packs.the0?.answers ?? {};
}

function setEnv(key: string, value: string): void {
  const file = join(dir, '.env');
  const lines = readFileSync(file, 'utf8').split('\n');
  writeFileSync(file, lines.map((l) => (l.startsWith(`${key}=`) ? `${key}=${value}` : l)).join('\n'));
}

const STRONG_JWT = '5f0c9d3e8a7b6c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f60718293a4b5c6d7e8f9';

beforeEach(() => {
  dir = tempDir('shipshape-ledger-');
  cpSync(join(REPO, 'examples', 'the0-compose'), dir, {recursive: true});
  process.env.SHIPSHAPE_PROGRESS_DIR = tempDir('shipshape-progress-');
});

afterEach(() => {
  ui?.unmount();
  wizard?.close();
});

describe('counts and their legend', () => {
  test('the sections screen has a one-line legend for the bar and the columns', async () => {
    await open();
    await ui.press('o');
    const f = await ui.waitFor((f) => f.includes('Section'), 'the sections');
    const legend = f.split('\n').filter((l) => l.includes('█ done'));
    assert.equal(legend.length, 1, `one legend row at 80 columns:\n${f}`);
    assert.match(legend[0]!, /█ done ▓ fail ░ other open · done: passes, skipped or waived · \? explains/);
    assert.match(f, /done {2}pass {2}fail {2}open$/m, 'the last column is "open", not a status word');
  });

  test('? explains every count in the words shipshape check uses', async () => {
    await open({size: {columns: 100, rows: 60}});
    await ui.press('o', '?');
    const f = await ui.waitFor((f) => f.includes('Counts ('), 'the counts in help');
    for (const [k, meaning] of Object.entries(TALLY_LEGEND)) {
      assert.ok(unwrapped(f).includes(meaning), `${k}: ${meaning}`);
      assert.match(f, new RegExp(`^${STATUS_WORD[k as keyof typeof STATUS_WORD]} +`, 'm'));
    }
    assert.match(f, /^done +settled/m);
    assert.match(f, /^bar +█ done, ▓ failing, ░ other open/m);
    assert.doesNotMatch(f, /TODO/);
  });

  test('the summary counts like the sections screen and says MANUAL, never TODO', async () => {
    await open();
    await ui.press('s');
    const f = await ui.waitFor((f) => f.includes('Still open'), 'the summary');
    assert.match(f, /MANUAL \d+/);
    assert.doesNotMatch(f, /TODO/);
    assert.match(f, /Counted like shipshape check; SKIP: waived or not applicable · \? explains/);
    const total = Object.fromEntries([...f.matchAll(/([A-Z]+) (\d+)/g)].map((m) => [m[1], Number(m[2])]));
    const sum = (k: 'pass' | 'fail' | 'manual' | 'skip') => wizard.getSnapshot().sections.reduce((n, s) => n + s.tally[k], 0);
    assert.equal(total.PASS, sum('pass'));
    assert.equal(total.FAIL, sum('fail'));
    assert.equal(total.MANUAL, sum('manual'));
    assert.equal(total.SKIP, sum('skip'));
  });
});

describe('a waiver on an item that now passes', () => {
  beforeEach(async () => {
    // Waived while it failed; then JWT_SECRET was fixed by hand.
    const before = await Wizard.open({dir, who: 'bob'});
    before.waive('jwt-secret-strong', {by: 'bob', reason: 'rotating with the next release'});
    before.close();
    setEnv('JWT_SECRET', STRONG_JWT);
  });

  test('shows PASS, says the waiver is no longer needed, and u removes it', async () => {
    await open({initial: {...initialNav, screen: 'item', itemId: 'jwt-secret-strong'}, size: {columns: 100, rows: 40}});
    const f = await ui.waitFor((f) => f.includes('WAIVER NO LONGER NEEDED'), 'the marker');
    assert.match(f, /^PASS {2}/m, 'passing, not SKIP');
    assert.match(unwrapped(f), /Press u to remove the waiver/);
    assert.match(unwrapped(f), /Answer: waived by bob on \d{4}-\d{2}-\d{2}: rotating with the next release \(no longer needed\)/);
    assert.equal(savedAnswers()['jwt-secret-strong']?.kind, 'waived');
    await ui.press('u');
    const after = await ui.waitFor((f) => f.includes('waiver removed: the item passes on its own'), 'the removal');
    assert.doesNotMatch(after, /WAIVER NO LONGER NEEDED/);
    assert.match(after, /^PASS {2}/m);
    assert.equal(savedAnswers()['jwt-secret-strong'], undefined, 'gone from shipshape-answers.json');
  });

  test('the summary marks it as no longer needed', async () => {
    await open();
    await ui.press('s');
    const f = await ui.waitFor((f) => f.includes('Waivers'), 'the waivers');
    assert.match(
      unwrapped(f),
      /jwt-secret-strong: rotating with the next release \(bob, no expiry\): no longer needed, the item passes; u on the item removes it/,
    );
  });
});

describe('changed items', () => {
  test('show old -> new status on the start screen and the item screen', async () => {
    const first = await Wizard.open({dir, who: 'alice'});
    await first.run();
    await settled(first);
    first.close();
    setEnv('JWT_SECRET', STRONG_JWT);
    await open();
    const f = await ui.waitFor((f) => f.includes('Changed since last time'), 'the changed list');
    assert.match(f, /Changed since last time \(before -> now\)\n {2}FAIL -> PASS {2}JWT_SECRET is long, random/);
    await ui.press(KEY.enter);
    const item = await ui.waitFor((f) => f.includes('CHANGED since you last saw this item'), 'the changed item');
    assert.match(item, /CHANGED since you last saw this item: FAIL -> PASS/);
  });
});

describe('inputs', () => {
  test('the picker offers auto; a mode without its files warns on the start screen and after choosing; auto goes back', async () => {
    await open({size: {columns: 100, rows: 30}});
    await ui.press('i');
    await ui.waitFor((f) => f.includes('Which setting?'), 'the settings');
    await ui.press(KEY.enter);
    const list = await ui.waitFor((f) => f.includes('How is this the0 deployment run?'), 'the mode choices');
    assert.match(list, /Automatic: from the deployment's files \(auto\)/);
    await ui.press(KEY.down, KEY.enter);
    const warned = await ui.waitFor((f) => f.includes('checks finished'), 'the choice once the checks ran');
    assert.match(unwrapped(warned), /mode is now kubernetes; checks finished\. Warning: mode=kubernetes, but no file matching .* exists here/);
    assert.match(unwrapped(warned), /Mode {7}Kubernetes with the Helm chart \(chosen\) ! mode=kubernetes, but no file matching/);
    assert.match(unwrapped(warned), /i, then auto, goes back to detection/);

    await ui.press('i');
    await ui.waitFor((f) => f.includes('Which setting?'), 'the settings');
    await ui.press(KEY.enter);
    await ui.waitFor((f) => /▸ Kubernetes with the Helm chart/.test(f), 'the cursor on the current choice');
    await ui.press(KEY.down, KEY.enter);
    const back = await ui.waitFor((f) => f.includes('mode is back to automatic detection; checks finished'), 'auto');
    assert.match(back, /Mode {7}Docker Compose \(the0 local\) \(inferred from docker-compose\.yml\)/);
    assert.doesNotMatch(back, /! mode=/, 'no warning once detection decides');
  });
});

describe('where answers are kept', () => {
  test('the start screen names the answers file', async () => {
    await open();
    const f = await ui.waitFor((f) => f.includes('Answers'), 'the start screen');
    assert.match(f, /^Answers {4}shipshape-answers\.json, kept with the deployment$/m);
  });

  test('answers that cannot be saved are said on the start screen, with why', async () => {
    mkdirSync(join(dir, ANSWERS_FILE));
    await open({size: {columns: 100, rows: 30}});
    const f = await ui.waitFor((f) => f.includes('Answers cannot be saved'), 'the problem');
    assert.match(unwrapped(f), /Answers cannot be saved: shipshape-answers\.json: is not a regular file/);
  });

  test('answers moved from personal progress are counted, in English', async () => {
    wizard = await Wizard.open({dir, who: 'alice'});
    const snap = wizard.getSnapshot();
    assert.match(text(startLines({...snap, migrated: 1}, 80)), /^1 answer moved into shipshape-answers\.json from your personal progress$/m);
    assert.match(text(startLines({...snap, migrated: 3}, 80)), /^3 answers moved into shipshape-answers\.json/m);
    assert.doesNotMatch(text(startLines(snap, 80)), /moved into/);
  });

  test('leaving says where the answers are and how to come back', async () => {
    wizard = await Wizard.open({dir, who: 'alice'});
    const bye = farewell(wizard.getSnapshot());
    assert.ok(bye.includes(`Answers are saved in ${join(dir, ANSWERS_FILE)}`), bye);
    assert.ok(bye.includes(`To go on where you left off: shipshape --dir ${dir}`), bye);
    const spaced = farewell({...wizard.getSnapshot(), root: "/srv/my app's dir", chosenBy: '--pack'});
    assert.match(spaced, /shipshape --dir '\/srv\/my app'\\''s dir' --pack the0$/m, 'a path a shell can take as it is');
    assert.match(farewell({...wizard.getSnapshot(), answersProblem: 'shipshape-answers.json: is not a regular file'}), /^Answers could not be saved: /);
  });
});

describe('r', () => {
  test('says when the re-check finished, with the status', async () => {
    await open({initial: {...initialNav, screen: 'item', itemId: 'jwt-secret-strong'}});
    await ui.press('r');
    await ui.waitFor((f) => f.includes('re-check of jwt-secret-strong finished: FAIL'), 'the end of the re-check');
  });
});

describe('set-field', () => {
  const dialog = () => navReducer(initialNav, {type: 'open-dialog', kind: 'note', itemId: 'x', who: 'alice'});

  test('replaces the focused field in one action, clears the error, keeps one line', () => {
    let s = navReducer(dialog(), {type: 'dialog-error', message: 'bad'});
    s = navReducer(s, {type: 'set-field', value: 'Rotated on 2026-11-02\r\nby ops\t'});
    assert.equal(s.dialog!.fields[0]!.value, 'Rotated on 2026-11-02by ops');
    assert.equal(s.dialog!.error, undefined);
  });

  test('returns the same state when nothing changes, and does nothing without a dialog', () => {
    const s = navReducer(dialog(), {type: 'set-field', value: 'kept'});
    assert.equal(navReducer(s, {type: 'set-field', value: 'kept'}), s);
    assert.equal(navReducer(initialNav, {type: 'set-field', value: 'x'}), initialNav);
  });
});
