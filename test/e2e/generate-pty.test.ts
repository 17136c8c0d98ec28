// `g` in a real terminal, on the built CLI: prepare the change for jwt-secret-strong, write it,
// see PASS; the .env on disk changed and is 0600, and the new value was never on screen.
// Run `npm run build` first: this drives the built CLI.
import assert from 'node:assert/strict';
import {cpSync, readdirSync, readFileSync, statSync} from 'node:fs';
import {join} from 'node:path';
import {before, describe, test} from 'node:test';
import {Term} from '../support/pty.js';
import {REPO, tempDir} from '../support/helpers.js';

const ENTER = '\r';
/** The header once the checks have run: "· 6/32 done" ends its row again after "checking" showed. */
const CHECKS_DONE = /checking[\s\S]*\d+\/\d+ done\r?\n/;
/** On a busy machine the first frame and the first run of every check can take a while. */
const SLOW = 45_000;

let dir: string;
let progress: string;
let home: string;

const jwt = () =>
  readFileSync(join(dir, '.env'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith('JWT_SECRET='))
    ?.slice('JWT_SECRET='.length);

describe('generate in a real terminal', {concurrency: false}, () => {
  before(() => {
    dir = tempDir('shipshape-generate-pty-');
    cpSync(join(REPO, 'examples', 'the0-compose'), dir, {recursive: true});
    progress = tempDir('shipshape-progress-');
    home = tempDir('shipshape-home-');
  });

  test('g, enter: the .env gets a new JWT_SECRET, 0600, a backup, PASS, and the value is never shown', async () => {
    const old = jwt()!;
    const t = Term.open(['--dir', dir], {
      cwd: dir,
      env: {SHIPSHAPE_PROGRESS_DIR: progress, CI: 'true', USER: 'operator', HOME: home, GIT_CONFIG_NOSYSTEM: '1'},
    });
    try {
      await t.waitFor('enter resume', SLOW);
      await t.waitFor(CHECKS_DONE, SLOW);
      // Sections, then Secrets: its first open item is jwt-secret-strong.
      t.send('o');
      await t.waitFor('▸ Identity and access');
      t.send('j');
      await t.waitFor('▸ Secrets');
      t.send(ENTER);
      await t.waitFor(/\[Secrets 1\/\d+\] JWT_SECRET is long, random/);
      t.send('g');
      await t.waitFor('Preview (secret values masked)');
      await t.waitFor('+JWT_SECRET=[secret: 64 chars]');
      assert.equal(jwt(), old, 'nothing written before the person says so');
      t.send(ENTER);
      await t.waitFor(/Checked again: PASS/, SLOW);
      await t.waitFor('Written: .env');
      t.send('q');
      assert.equal(await t.exited, 0);
    } finally {
      t.kill();
    }

    const now = jwt()!;
    assert.match(now, /^[0-9a-f]{64}$/, 'a new hex32 value');
    assert.notEqual(now, old);
    assert.equal(statSync(join(dir, '.env')).mode & 0o777, 0o600, '.env is 0600');
    const backup = readdirSync(dir).find((f) => f.startsWith('.env.shipshape-backup-'));
    assert.ok(backup, 'the replaced .env is kept as a backup');
    assert.equal(readFileSync(join(dir, backup), 'utf8').includes(`JWT_SECRET=${old}`), true);

    // Never on screen, not even split across rows: no 12 characters of it anywhere.
    const screen = t.all.replace(/\s+/g, '');
    for (let n = 0; n + 12 <= now.length; n++) assert.ok(!screen.includes(now.slice(n, n + 12)), `part of the new value was shown: ${now.slice(n, n + 12)}`);
    assert.ok(!t.rawOutput.includes(now));
  });
});
