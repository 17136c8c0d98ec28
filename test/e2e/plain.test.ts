// Plain mode, driven by a scripted stdin against the built CLI: what a dumb terminal, a
// screen reader or `ssh host shipshape --plain < answers.txt` gets.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {cpSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {beforeEach, describe, test} from 'node:test';
import {progressFile} from '../../src/store/progress.js';
import {CLI, REPO, runCli, tempDir} from '../support/helpers.js';

let dir: string;
let progress: string;

beforeEach(() => {
  dir = tempDir('shipshape-plain-');
  cpSync(join(REPO, 'examples', 'the0-compose'), dir, {recursive: true});
  progress = tempDir('shipshape-progress-');
});

function plain(lines: string[], args: string[] = ['--plain']): Promise<{code: number | null; out: string; err: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args, '--dir', dir], {env: {...process.env, SHIPSHAPE_PROGRESS_DIR: progress, NO_COLOR: '1'}, stdio: ['pipe', 'pipe', 'pipe']});
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`plain mode did not finish:\n${out}\n${err}`));
    }, 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({code, out, err});
    });
    child.stdin.end(lines.map((l) => `${l}\n`).join(''));
  });
}

function answers(): Record<string, {kind: string; by: string; note?: string; reason?: string; expires?: string}> {
  process.env.SHIPSHAPE_PROGRESS_DIR = progress;
  return JSON.parse(readFileSync(progressFile(dir, 'the0'), 'utf8')).answers;
}

describe('plain mode', () => {
  test('a scripted pass: confirm with a note, waive with a reason and expiry, quit', async () => {
    const r = await plain(['carol', 'n', 'c', 'named admins for all four operators', 'w', 'owners listed in the wiki', '2099-06-30', 'q']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^mode: compose \(inferred from docker-compose\.yml\)$/m);
    assert.match(r.out, /^FAIL: .*\n {2}\.env:12 shorter than 16 characters/m);
    assert.match(r.out, /^\? What now\? \[cdwarNq\]\n> confirm$/m);
    assert.match(r.out, /^saved: named-accounts \(confirm\)$/m);
    assert.match(r.out, /^saved: api-key-rotation \(waive\)$/m);
    assert.match(r.out, /^Still open: \d+ critical/m);
    assert.doesNotMatch(r.out, /\u001B\[/, 'no escape codes when stdout is not a terminal');
    const a = answers();
    assert.deepEqual([a['named-accounts']?.kind, a['named-accounts']?.by, a['named-accounts']?.note], ['confirmed', 'carol', 'named admins for all four operators']);
    assert.deepEqual([a['api-key-rotation']?.kind, a['api-key-rotation']?.reason, a['api-key-rotation']?.expires], ['waived', 'owners listed in the wiki', '2099-06-30']);
  });

  test('bad lines are refused with what to type, and an empty reason is asked again', async () => {
    const r = await plain(['', 'z', 'n', 'w', '', 'later', '31/12/2099', 'q']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^! choose one of w \(waive \(with a reason\)\), a \(add a note\)/m);
    assert.match(r.out, /^\? Reason\n! a waiver needs a reason\n> later$/m);
    assert.match(r.out, /^! the expiry must look like 2026-12-31$/m);
    assert.equal(answers()['named-accounts'], undefined);
  });

  test('input that ends mid-walk stops cleanly; what was answered stays', async () => {
    const r = await plain(['', 'n', 'c', 'ok']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /saved: named-accounts \(confirm\)\n/);
    assert.match(r.out, /Stopped; every answer given so far is saved\./);
    assert.equal(answers()['named-accounts']?.kind, 'confirmed');
  });

  test('a second run resumes where the first stopped', async () => {
    await plain(['', 'n', 'c', 'first', 'q']);
    const r = await plain(['', 'q']);
    assert.match(r.out, /^== Identity and access: API keys are rotated/m, 'starts at the next unfinished item');
  });

  test('with no terminal and no --plain it says so and points at check', async () => {
    const r = await runCli(['--dir', dir], {env: {SHIPSHAPE_PROGRESS_DIR: progress}});
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /no terminal to ask questions on/);
    assert.match(r.stderr, /shipshape check/);
    assert.match(r.stderr, /--plain/);
  });
});
