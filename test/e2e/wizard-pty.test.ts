// The wizard end to end: the built CLI in a real pseudo-terminal, driven like a person would.
// Answer, quit, come back, resume; change a file, come back, see the drift.
import assert from 'node:assert/strict';
import {cpSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {afterEach, before, describe, test} from 'node:test';
import {ANSWERS_FILE} from '../../src/store/answers.js';
import {Term} from '../support/pty.js';
import {REPO, tempDir} from '../support/helpers.js';

const ENTER = '\r';
/** The header once the checks have run: "· 6/32 done" ends its row again after "checking" showed. */
const CHECKS_DONE = /checking[\s\S]*\d+\/\d+ done\r?\n/;
let dir: string;
let progress: string;
let home: string;

/** Terminals of the running test: closed after it, whether it passed or not. */
const terms: Term[] = [];
/** On a busy machine the first frame and the first run of every check can take a while. */
const SLOW = 45_000;

function open(extraEnv: Record<string, string> = {}): Term {
  // CI=true on purpose: the wizard must still draw live frames when CI is set.
  // An empty HOME: no git identity, so "who" falls back to $USER.
  const t = Term.open(['--dir', dir], {
    cwd: dir,
    env: {SHIPSHAPE_PROGRESS_DIR: progress, CI: 'true', USER: 'operator', HOME: home, GIT_CONFIG_NOSYSTEM: '1', ...extraEnv},
  });
  terms.push(t);
  return t;
}

/** The answers saved with the deployment, where CI reads them too. */
function answers(): Record<string, {kind: string; by: string; note?: string; reason?: string}> {
  const f = JSON.parse(readFileSync(join(dir, ANSWERS_FILE), 'utf8')) as {packs: Record<string, {answers: Record<string, {kind: string; by: string}>}>};
  return f.packs.the0?.answers ?? {};
}

describe('the wizard in a real terminal', {concurrency: false}, () => {
  before(() => {
    dir = tempDir('shipshape-pty-');
    cpSync(join(REPO, 'examples', 'the0-compose'), dir, {recursive: true});
    progress = tempDir('shipshape-progress-');
    process.env.SHIPSHAPE_PROGRESS_DIR = progress;
    home = tempDir('shipshape-home-');
  });
  afterEach(() => {
    for (const t of terms.splice(0)) t.kill();
  });

  test('confirm two manual items with notes, waive one with a reason, quit', async () => {
    const t = open();
    await t.waitFor('Press enter to start at', SLOW);
    await t.waitFor('enter resume', SLOW);
    // The walk moves past items whose checks still run: start it once every check is in.
    await t.waitFor(CHECKS_DONE, SLOW);
    t.send(ENTER);
    await t.waitFor('[Identity and access 1/4]');
    t.send('n');
    await t.waitFor('[Identity and access 2/4]');
    t.send('n');
    await t.waitFor('People use their own named accounts');
    t.send('c');
    await t.waitFor('Confirm: Every operator has a named account');
    t.send('three named admins');
    await t.waitFor('three named admins');
    t.send(ENTER);
    await t.waitFor('confirmed and saved');
    await t.waitFor('API keys are rotated');
    t.send('c');
    await t.waitFor('Confirm: There is an owner for every API key');
    t.send('owners kept in the runbook');
    await t.waitFor('owners kept in the runbook');
    t.send(ENTER);
    await t.waitFor('confirmed and saved');
    await t.waitFor('JWT_SECRET is long, random');
    t.send('w');
    await t.waitFor('Reason:');
    t.send('rotating with the next release');
    await t.waitFor('rotating with the next release');
    t.send(ENTER);
    await t.waitFor('waived and saved');
    await t.waitFor('MongoDB no longer uses');
    t.send('q');
    assert.equal(await t.exited, 0);
    // Below the last frame: where the answers went and how to come back.
    const bye = t.all.replace(/\s+/g, ' ');
    assert.ok(bye.includes(`Answers are saved in ${join(dir, ANSWERS_FILE)}`), `where answers went:\n${t.all.slice(-600)}`);
    assert.ok(bye.includes(`To go on where you left off: shipshape --dir ${dir}`), 'how to resume');

    const a = answers();
    assert.equal(a['named-accounts']?.kind, 'confirmed');
    assert.equal(a['named-accounts']?.note, 'three named admins');
    assert.equal(a['api-key-rotation']?.note, 'owners kept in the runbook');
    assert.equal(a['jwt-secret-strong']?.kind, 'waived');
    assert.equal(a['jwt-secret-strong']?.reason, 'rotating with the next release');
    assert.equal(a['named-accounts']?.by, 'operator', 'who comes from $USER when git has no name');
  });

  test('starting again resumes at the next unfinished item and shows earlier answers', async () => {
    const t = open();
    await t.waitFor(/Press enter to resume at: MongoDB no longer uses/, SLOW);
    await t.waitFor('enter resume', SLOW);
    t.send(ENTER);
    // The item screen itself, not the start screen's "resume at" drawn again before the key is read.
    await t.waitFor(/\[Secrets \d+\/\d+\] MongoDB no longer uses the shipped root password/);
    t.send('b');
    await t.waitFor('PostgreSQL no longer uses');
    t.send('b');
    await t.waitFor('The API and the frontend use the same JWT_SECRET');
    t.send('b');
    await t.waitFor('Answer: waived by operator');
    t.send('o');
    await t.waitFor('Section');
    t.send(ENTER);
    await t.waitFor('[Identity and access');
    t.send('\u0003');
    assert.equal(await t.exited, 0, 'ctrl-c leaves cleanly');
  });

  test('a changed deployment file is flagged as drift on the next start', async () => {
    const env = readFileSync(join(dir, '.env'), 'utf8').replace(
      'MONGO_INITDB_ROOT_PASSWORD=the0_mongo_password',
      'MONGO_INITDB_ROOT_PASSWORD=8c1f0e6b2a9d47c3b5e8f1a2d3c4b5a6',
    );
    writeFileSync(join(dir, '.env'), env);
    const t = open();
    await t.waitFor(/1 changed since last time/, SLOW);
    // Old and new status, so the person sees what moved.
    await t.waitFor(/Changed since last time \(before -> now\)\s+FAIL -> PASS\s+MongoDB no longer uses/);
    await t.waitFor('enter resume', SLOW);
    t.send(ENTER);
    await t.waitFor('CHANGED since you last saw this item: FAIL -> PASS');
    await t.waitFor('MongoDB no longer uses');
    t.send('q');
    assert.equal(await t.exited, 0);
    // Once seen, it is no longer "changed".
    const again = open();
    await again.waitFor('Press enter to resume at', SLOW);
    await again.waitFor('enter resume', SLOW);
    assert.doesNotMatch(again.since, /changed since last time/);
    again.send('q');
    assert.equal(await again.exited, 0);
  });

  test('NO_COLOR leaves status words and no colour codes', async () => {
    const t = open({NO_COLOR: '1'});
    await t.waitFor('Press enter to resume at', SLOW);
    await t.waitFor('enter resume', SLOW);
    t.send(ENTER);
    await t.waitFor(/(FAIL|MANUAL|PASS) {2}/);
    t.send('q');
    await t.exited;
    assert.doesNotMatch(t.rawOutput, /\u001B\[(3\d|9\d)m/, 'no foreground colour escapes');
    assert.doesNotMatch(t.all, /\bTODO\b/, 'MANUAL, the word shipshape check uses, not TODO');
  });

  test('fits 80x24 and follows a resize', async () => {
    const t = open();
    await t.waitFor('enter resume', SLOW);
    t.resize(60, 20);
    await t.waitFor('enter resume', SLOW);
    t.send('q');
    assert.equal(await t.exited, 0);
  });
});
