// Text input in a real terminal, with what a slow link really delivers: ten backspaces in one
// read (a held key over SSH or tmux), then a bracketed paste with a line break in it. The saved
// note must be exactly the text on screen, with no DEL byte, no paste marker, no control byte.
// Run `npm run build` first: this drives the built CLI.
import assert from 'node:assert/strict';
import {cpSync, existsSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {before, beforeEach, describe, test} from 'node:test';
import {progressFile} from '../../src/store/progress.js';
import {Term} from '../support/pty.js';
import {REPO, tempDir} from '../support/helpers.js';

const ENTER = '\r';
const DEL = '\u007F';
const PASTE_START = '\u001B[200~';
const PASTE_END = '\u001B[201~';
const ITEM = 'root-admin-configured';

let dir: string;
let progress: string;
let home: string;

function open(size: {cols: number; rows: number}): Term {
  return Term.open(['--dir', dir], {
    cwd: dir,
    ...size,
    env: {SHIPSHAPE_PROGRESS_DIR: progress, CI: 'true', USER: 'operator', HOME: home, GIT_CONFIG_NOSYSTEM: '1'},
  });
}

/**
 * The saved note. Answers and notes are moving into the deployment's own answers file (issue 8,
 * part 1); until then they are in the progress file under SHIPSHAPE_PROGRESS_DIR.
 */
function savedNote(id: string): string | undefined {
  const inDeployment = join(dir, 'shipshape-answers.json');
  if (existsSync(inDeployment)) {
    const f = JSON.parse(readFileSync(inDeployment, 'utf8')) as {packs?: Record<string, {notes?: Record<string, {text: string}>}>};
    const text = f.packs?.the0?.notes?.[id]?.text;
    if (text !== undefined) return text;
  }
  const p = JSON.parse(readFileSync(progressFile(dir, 'the0'), 'utf8')) as {notes?: Record<string, {text: string}>};
  return p.notes?.[id]?.text;
}

describe('text input in a real terminal', {concurrency: false}, () => {
  before(() => {
    home = tempDir('shipshape-home-');
  });
  // Each test answers on its own copy of the demo, so no earlier note is prefilled.
  beforeEach(() => {
    dir = tempDir('shipshape-textinput-');
    cpSync(join(REPO, 'examples', 'the0-compose'), dir, {recursive: true});
    progress = tempDir('shipshape-progress-');
    process.env.SHIPSHAPE_PROGRESS_DIR = progress;
  });

  for (const size of [
    {cols: 80, rows: 24},
    {cols: 50, rows: 12},
  ]) {
    test(`a burst of ten backspaces in one write, then a bracketed paste, saves exactly the text (${size.cols}x${size.rows})`, async () => {
      const t = open(size);
      try {
        await t.waitFor('enter resume');
        t.send(ENTER);
        await t.waitFor('[Identity and access 1/4]');
        t.send('a');
        await t.waitFor('▸ Note:');
        t.send('Rotated on ');
        await t.waitFor(/Note: Rotated on/);
        t.send('abcdefghij');
        await t.waitFor(/Note: Rotated on abcdefghij/);
        // Ten DEL bytes in ONE write: the program reads them as one chunk.
        t.send(DEL.repeat(10));
        await t.waitFor(/▸ Note: Rotated on +│/);
        // Then, in one write: two characters typed and erased, and a paste with a Windows line
        // break inside (one space in a one-line field, never Enter).
        t.send(`!!${DEL}${DEL}${PASTE_START}2026-11-02 by\r\nops${PASTE_END}`);
        await t.waitFor(/▸ Note: Rotated on 2026-11-02 by ops +│/);
        t.send(ENTER);
        await t.waitFor('note saved');
        t.send('q');
        assert.equal(await t.exited, 0);
        // The terminal is asked to mark pastes while the wizard runs, and told to stop after.
        assert.ok(t.rawOutput.includes('\u001B[?2004h'), 'bracketed paste turned on');
        assert.ok(t.rawOutput.lastIndexOf('\u001B[?2004l') > t.rawOutput.lastIndexOf('\u001B[?2004h'), 'and off again');
      } finally {
        t.kill();
      }
      const note = savedNote(ITEM);
      assert.equal(note, 'Rotated on 2026-11-02 by ops');
      assert.doesNotMatch(note ?? '', /[\p{Cc}]|\[20[01]~/u, 'no control character and no paste marker is saved');
    });
  }

  test('typing, a burst, a paste, tabs and Enter mixed in single writes save the intended waiver', async () => {
    const t = open({cols: 80, rows: 24});
    try {
      await t.waitFor('enter resume');
      t.send(ENTER);
      await t.waitFor('[Identity and access 1/4]');
      t.send('w');
      await t.waitFor('▸ Reason:');
      // Typed, a burst of erases, a paste and Enter, all in one write.
      t.send(`waiting for vendor fix${DEL.repeat(10)}${PASTE_START}the release\nin March${PASTE_END}`);
      await t.waitFor(/Reason: waiting for the release in March/);
      // Two tabs in one write move two fields; a date corrected with a burst, then Enter, in one write.
      t.send('\t\t');
      await t.waitFor('▸ Expires');
      t.send(`2026-12${DEL.repeat(7)}2099-01-31${ENTER}`);
      await t.waitFor('waived and saved');
      t.send('q');
      assert.equal(await t.exited, 0);
    } finally {
      t.kill();
    }
    const inDeployment = join(dir, 'shipshape-answers.json');
    const answers = existsSync(inDeployment)
      ? (JSON.parse(readFileSync(inDeployment, 'utf8')) as {packs: Record<string, {answers: Record<string, {reason?: string; expires?: string}>}>}).packs.the0!
          .answers
      : (JSON.parse(readFileSync(progressFile(dir, 'the0'), 'utf8')) as {answers: Record<string, {reason?: string; expires?: string}>}).answers;
    assert.equal(answers[ITEM]?.reason, 'waiting for the release in March');
    assert.equal(answers[ITEM]?.expires, '2099-01-31', 'not 2026-12020-01-0');
  });

  test('a paste outside a form is not read as keys, and a pasted Enter does not submit', async () => {
    const t = open({cols: 80, rows: 24});
    try {
      await t.waitFor('enter resume');
      t.send(ENTER);
      await t.waitFor('[Identity and access 1/4]');
      // "w" pasted on the item screen would open the waiver form if it were a key.
      t.send(`${PASTE_START}w${PASTE_END}a`);
      await t.waitFor('▸ Note:');
      assert.doesNotMatch(t.since, /Reason:/);
      t.send(`${PASTE_START}\r${PASTE_END}${PASTE_START}kept\r${PASTE_END}`);
      await t.waitFor(/▸ Note: kept +│/);
      assert.doesNotMatch(t.all, /note saved/, 'the pasted line breaks did not submit');
      t.send(ENTER);
      await t.waitFor('note saved');
      t.send('q');
      assert.equal(await t.exited, 0);
    } finally {
      t.kill();
    }
    assert.equal(savedNote(ITEM), 'kept');
  });
});
