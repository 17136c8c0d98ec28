// Nothing important is cut: long questions, titles, evidence and waivers wrap or scroll, the
// screen says when there is more, the footer always shows help and quit, and no frame is
// taller or wider than the terminal, down to 50x12.
import {KEY, renderInk, type Rendered} from '../support/inkHarness.js';
import assert from 'node:assert/strict';
import {cpSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {afterEach, beforeEach, describe, test} from 'node:test';
import {App} from '../../src/ui/App.js';
import {footerRows} from '../../src/ui/key/keyBindings.js';
import {maxOffset, windowOf} from '../../src/ui/scroll.js';
import {cellWidth, wrap, wrapSpans} from '../../src/ui/text.js';
import {Wizard} from '../../src/wizard/controller.js';
import {REPO, tempDir} from '../support/helpers.js';

const PGDN = '\u001B[6~';
const PGUP = '\u001B[5~';

// Numbered words, so a test can tell that every part of a text was on screen at some point.
const words = (prefix: string, n: number) => Array.from({length: n}, (_, i) => `${prefix}${String(i + 1).padStart(2, '0')}`);
const QUESTION_WORDS = words('step', 40);
const QUESTION = `Before this goes live, confirm that each of these was done and checked by a second person: ${QUESTION_WORDS.map((w) => `${w} done`).join(', ')}.`;
const TITLE_WORDS = words('title', 14);
const TITLE = `A deliberately long item title that must wrap rather than be cut ${TITLE_WORDS.join(' ')}`;
const EVIDENCE_WORDS = words('ev', 20);

const PACK = `schema: 1
id: long
title: Long text
version: 1.0.0
description: Items whose text is longer than a small terminal.
sections:
  - id: long
    title: Long text
    items:
      - id: long-question
        title: ${JSON.stringify(TITLE)}
        why: ${JSON.stringify(`Why this matters, at some length, so that the screen has more to show than fits: ${words('why', 30).join(' ')}.`)}
        how: ${JSON.stringify(`How to fix it, also at some length: ${words('how', 30).join(' ')}.`)}
        severity: high
        source: {system: test, section: layout}
        confirm: ${JSON.stringify(QUESTION)}
      - id: long-evidence
        title: A setting has a long explanation in its evidence
        why: The evidence line names what is wrong in full.
        how: Set it.
        severity: medium
        source: {system: test, section: layout}
        verify:
          - check: env.value
            with: {keys: [SUPPORT_CONTACT], pattern: '^ok$', expect: ${JSON.stringify(`an address people can reach, ${EVIDENCE_WORDS.join(' ')}`)}}
`;

assert.ok(QUESTION.length >= 300, `the question is ${QUESTION.length} characters`);

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

async function open(size: {columns: number; rows: number}): Promise<void> {
  wizard = await Wizard.open({dir, pack: join(dir, 'long.yaml'), who: 'alice'});
  ui = await renderInk(<App wizard={wizard} />, size);
  await wizard.run();
  await settled(wizard);
  await ui.waitFor((f) => f.includes('q quit'), 'the key hints');
}

beforeEach(() => {
  dir = tempDir('shipshape-layout-');
  writeFileSync(join(dir, 'long.yaml'), PACK);
  writeFileSync(join(dir, '.env'), 'SUPPORT_CONTACT=nobody\n');
  process.env.SHIPSHAPE_PROGRESS_DIR = tempDir('shipshape-progress-');
});

afterEach(() => {
  ui?.unmount();
  wizard?.close();
});

const SIZES = [
  {columns: 80, rows: 24},
  {columns: 50, rows: 12},
];
const MORE_BELOW = /^↓ \d+ more lines?/m;

/** Every frame fits: no taller than the app's rows, no wider than the terminal, footer last. */
function assertFits(frame: string, size: {columns: number; rows: number}, where: string): void {
  const lines = frame.split('\n');
  assert.ok(lines.length <= size.rows - 1, `${where}: ${lines.length} lines at ${size.columns}x${size.rows}:\n${frame}`);
  for (const l of lines) assert.ok(cellWidth(l) <= size.columns, `${where}: too wide at ${size.columns}: ${l}`);
  // "checking…" is a spinner's label; any other word followed by … was cut.
  assert.doesNotMatch(frame.replace(/checking( \d+)?…/g, ''), /\w…(\s|$)/, `${where}: nothing is cut with an ellipsis:\n${frame}`);
}

/**
 * Scrolls with `key` until nothing more is below (of `rows` only, when given), collecting every
 * word seen on the way; checks each frame fits.
 */
async function readAll(
  key: string,
  size: {columns: number; rows: number},
  rows: (frame: string) => string = (f) => f,
): Promise<{seen: Set<string>; frames: string[]}> {
  const seen = new Set<string>();
  const frames: string[] = [];
  for (let n = 0; n < 80; n++) {
    const f = ui.frame();
    frames.push(f);
    assertFits(f, size, `scroll step ${n}`);
    for (const w of rows(f).match(/[\w-]+/g) ?? []) seen.add(w);
    if (!MORE_BELOW.test(rows(f))) return {seen, frames};
    const before = f;
    await ui.press(key);
    await ui.waitFor((g) => g !== before, `the view to move after ${JSON.stringify(key)}`);
  }
  throw new Error(`still more below after 80 keys:\n${ui.frame()}`);
}

const missing = (want: string[], seen: Set<string>) => want.filter((w) => !seen.has(w));

for (const size of SIZES) {
  const at = `${size.columns}x${size.rows}`;

  describe(`at ${at}`, () => {
    test('the item screen shows the whole title, and the full 300+ character question by wrapping or scrolling', async () => {
      await open(size);
      await ui.press(KEY.enter);
      const first = await ui.waitFor((f) => f.includes('[Long text 1/2]'), 'the long item');
      assert.deepEqual(missing(TITLE_WORDS, new Set(first.match(/[\w-]+/g))), [], `the title wraps whole in the first frame:\n${first}`);
      if (size.rows === 12) assert.match(first, MORE_BELOW, 'a screen taller than the terminal says so');
      const {seen, frames} = await readAll(KEY.down, size);
      assert.ok(seen.has('Question'));
      assert.deepEqual(missing(QUESTION_WORDS, seen), [], 'every word of the question was on screen');
      if (frames.length > 1) assert.match(frames.at(-1)!, /^↑ \d+ more lines? · ↑\/PgUp/m, 'at the end, it says what is above');
      assert.match(frames.at(-1)!, /\? help · q quit$/m);
    });

    test('the confirm dialog shows the full question, scrolling inside the form when it must', async () => {
      await open(size);
      await ui.press(KEY.enter);
      await ui.waitFor((f) => f.includes('[Long text 1/2]'), 'the long item');
      await ui.press('c');
      await ui.waitFor((f) => f.includes('Confirm: Before this goes live'), 'the confirm dialog');
      const inBox = (f: string) =>
        f
          .split('\n')
          .filter((l) => l.startsWith('│'))
          .map((l) => l.replace(/^│ ?|│$/g, '').trim())
          .join('\n');
      const {seen, frames} = await readAll(PGDN, size, inBox);
      assert.deepEqual(missing(QUESTION_WORDS, seen), [], 'every word of the question was in the dialog');
      if (size.rows === 12) assert.match(inBox(frames[0]!), /^↓ \d+ more lines · PgDn/m, 'the form says its question scrolls');
      const last = frames.at(-1)!;
      assert.match(last, /▸ Note:/, 'the fields stay in view while the question scrolls');
      assert.match(last, /esc cancel/);
      assert.match(last, /ctrl-c quit/);
      // Typing still goes into the field, and the answer is saved with the whole question agreed.
      await ui.type('checked with Bo');
      await ui.press(KEY.enter);
      await ui.waitFor((f) => f.includes('confirmed and saved'), 'the save');
      assert.equal(wizard.getSnapshot().items.find((i) => i.id === 'long-question')?.answer?.kind, 'confirmed');
    });

    test('evidence wraps in full, with a hanging indent', async () => {
      await open(size);
      await ui.press(KEY.enter, 'n');
      await ui.waitFor((f) => f.includes('[Long text 2/2]'), 'the evidence item');
      const {seen, frames} = await readAll(KEY.down, size);
      assert.deepEqual(missing(EVIDENCE_WORDS, seen), [], 'every word of the evidence was on screen');
      assert.ok(
        frames.some((f) => /^ {2}\.env:1 SUPPORT_CONTACT/m.test(f)),
        'the evidence line starts at its place',
      );
    });

    test('the footer shows help and quit on every screen, and every screen fits', async () => {
      await open(size);
      const screens: [string, string[], RegExp][] = [
        ['start', [], /\? help · q quit$/],
        ['item', [KEY.enter], /\? help · q quit$/],
        ['sections', ['o'], /\? help · q quit$/],
        ['summary', ['s'], /\? help · q quit$/],
        ['help', ['?'], /close help · ctrl-c quit$/],
      ];
      for (const [name, keys, footer] of screens) {
        await ui.press(KEY.esc, KEY.esc, 'o', KEY.esc);
        await ui.waitFor((f) => f.includes('Deployment'), 'the start screen');
        await ui.press(...keys);
        const f = ui.frame();
        assertFits(f, size, name);
        assert.match(f.trimEnd(), footer, `${name} at ${at}:\n${f}`);
      }
    });

    test('a long waiver reason and its expiry read in full on the summary', async () => {
      const reason = `the vendor ships the fix next quarter, ${words('why', 25).join(' ')}`;
      await open(size);
      wizard.waive('long-evidence', {by: 'bob', reason, expires: '2099-03-01'});
      await ui.press('s');
      await ui.waitFor((f) => f.includes('Still open'), 'the summary');
      const {seen, frames} = await readAll(KEY.down, size);
      assert.deepEqual(missing(words('why', 25), seen), []);
      assert.ok(seen.has('2099-03-01'), 'the expiry is never cut');
      assert.ok(
        frames.some((f) => /until\s+2099-03-01\)/.test(f.replace(/\n\s+/g, ' '))),
        'it reads "until 2099-03-01"',
      );
    });
  });
}

describe('small terminals', () => {
  test('page keys move a page at a time, and back', async () => {
    const size = {columns: 50, rows: 12};
    await open(size);
    await ui.press(KEY.enter);
    await ui.waitFor((f) => f.includes('[Long text 1/2]'), 'the long item');
    const top = ui.frame();
    await ui.press(PGDN);
    const paged = await ui.waitFor((f) => f !== top, 'a page down');
    assert.match(paged, /^↑ \d+ more lines · ↑\/PgUp/m);
    assert.doesNotMatch(paged, /\[Long text 1\/2\]/, 'a whole page moved');
    await ui.press(PGUP);
    await ui.waitFor((f) => f.includes('[Long text 1/2]'), 'back at the top');
  });

  test('scrolling starts again at the top on the next item, and a resize keeps every frame inside', async () => {
    await open({columns: 80, rows: 24});
    await ui.press(KEY.enter);
    await ui.waitFor((f) => f.includes('[Long text 1/2]'), 'the long item');
    ui.stdout.resize(50, 12);
    await ui.waitFor((f) => MORE_BELOW.test(f), 'the scroll marker at 50x12');
    await ui.press(KEY.down, KEY.down);
    await ui.waitFor((f) => /^↑ /m.test(f), 'scrolled');
    await ui.press('n');
    const next = await ui.waitFor((f) => f.includes('[Long text 2/2]'), 'the next item');
    assert.doesNotMatch(next, /^↑ /m, 'a new item starts at its top');
    assertFits(next, {columns: 50, rows: 12}, 'after resize');
  });

  test('choosing a setting fits at 50x12', async () => {
    await openDemo({columns: 50, rows: 12});
    await ui.press('i');
    const f = await ui.waitFor((f) => f.includes('How is this the0 deployment run?'), 'the choice list');
    assertFits(f, {columns: 50, rows: 12}, 'choice');
    assert.match(f, /esc cancel/);
  });

  test('the sections list keeps its cursor in view at 50x12, with the totals above it', async () => {
    const size = {columns: 50, rows: 12};
    await openDemo(size);
    await ui.press('o');
    const top = await ui.waitFor((f) => f.includes('▸ '), 'the sections');
    assert.match(top, /^Overall \d+\/\d+ done/m, 'the totals come first, where they can always be reached');
    const last = wizard.getSnapshot().sections.at(-1)!.title;
    for (let n = 1; n < wizard.getSnapshot().sections.length; n++) await ui.press(KEY.down);
    const f = await ui.waitFor((f) => f.includes(`▸ ${last}`), 'the cursor on the last section');
    assertFits(f, size, 'sections');
    assert.match(f, /^↑ \d+ more lines/m);
  });
});

/** The bundled demo, which has an input to choose and several sections. */
async function openDemo(size: {columns: number; rows: number}): Promise<void> {
  cpSync(join(REPO, 'examples', 'the0-compose'), dir, {recursive: true});
  wizard = await Wizard.open({dir, who: 'alice'});
  ui = await renderInk(<App wizard={wizard} />, size);
  await wizard.run();
  await settled(wizard);
  await ui.waitFor((f) => f.includes('q quit'), 'the key hints');
}

describe('layout helpers', () => {
  test('wrapping keeps every word, never exceeds the width, and indents what follows', () => {
    const text = `.env:12 JWT_SECRET: leaked in commit 3f9a1c0e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a3f by someone, ${words('w', 30).join(' ')}`;
    const rows = wrap(text, 30, 4);
    for (const r of rows) assert.ok(cellWidth(r) <= 30, r);
    assert.ok(rows.slice(1).every((r) => r.startsWith('    ')));
    assert.equal(rows.join('').replace(/\s/g, ''), text.replace(/\s/g, ''), 'nothing lost');
    // A word longer than a row is split, not cut.
    const hash = 'x'.repeat(75);
    assert.equal(wrap(hash, 30).join(''), hash);
  });

  test('wide characters count two columns', () => {
    for (const r of wrap('日本語のテキストはこのように折り返されます。'.repeat(3), 20)) assert.ok(cellWidth(r) <= 20, r);
    assert.equal(cellWidth('日本'), 4);
    assert.equal(cellWidth('e\u0301'), 1);
  });

  test('styled spans wrap with their style', () => {
    const rows = wrapSpans([{text: 'Still open: '}, {text: '5 critical', color: 'red'}, {text: ', 8 high, 10 medium, 3 low'}], 20);
    assert.deepEqual(
      rows.map((r) => r.map((s) => s.text).join('')),
      ['Still open: 5', 'critical, 8 high, 10', 'medium, 3 low'],
    );
    assert.ok(rows[1]!.some((s) => s.text === 'critical' && s.color === 'red'));
  });

  test('the scroll window reserves a row for each marker and keeps a focus row in view', () => {
    assert.deepEqual(windowOf(5, 8, 0), {start: 0, end: 5, above: 0, below: 0});
    assert.deepEqual(windowOf(20, 8, 0), {start: 0, end: 7, above: 0, below: 13});
    assert.deepEqual(windowOf(20, 8, 3), {start: 3, end: 9, above: 3, below: 11});
    assert.equal(maxOffset(20, 8), 13);
    assert.deepEqual(windowOf(20, 8, 99), {start: 13, end: 20, above: 13, below: 0}, 'clamped: the last row shows');
    const w = windowOf(20, 8, 0, 15);
    assert.ok(w.start <= 15 && 15 < w.end, JSON.stringify(w));
  });

  test('the footer keeps help and quit however narrow, and cancel in a form', () => {
    for (const width of [30, 50, 80, 120]) {
      for (const rows of [1, 2]) {
        const f = footerRows('item', width, rows);
        assert.ok(f.length <= rows || f.join(' ').length <= 'q quit · ? help'.length, `${width}: ${f.join(' | ')}`);
        assert.match(f.join(' · '), /\? help · q quit$/);
      }
    }
    assert.match(footerRows('dialog', 50, 1).join(''), /esc cancel.*ctrl-c quit/);
  });
});
