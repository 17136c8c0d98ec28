// SIGKILL at random moments during scripted passes: no answer the wizard acknowledged is ever
// lost, and the progress file always loads. Ten deployments, five kills each; every restart
// resumes the previous pass.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {cpSync} from 'node:fs';
import {join} from 'node:path';
import {test} from 'node:test';
import {ProgressStore} from '../../src/store/progress.js';
import {CLI, REPO, tempDir} from '../support/helpers.js';

const DEPLOYMENTS = 10;
const KILLS_EACH = 5;

/** Runs a scripted waive-everything pass and SIGKILLs it after `afterMs`; returns what it acknowledged. */
function killedPass(dir: string, progress: string, round: number, afterMs: number): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--plain', '--dir', dir], {env: {...process.env, SHIPSHAPE_PROGRESS_DIR: progress}, stdio: ['pipe', 'pipe', 'ignore']});
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const script = [''];
    for (let n = 0; n < 40; n++) script.push('w', `round ${round} reason ${n}`, '');
    child.stdin.on('error', () => undefined);
    child.stdin.end(script.map((l) => `${l}\n`).join(''));
    const killer = setTimeout(() => child.kill('SIGKILL'), afterMs);
    const guard = setTimeout(() => reject(new Error('a killed pass did not end')), 20_000);
    child.on('close', () => {
      clearTimeout(killer);
      clearTimeout(guard);
      const acked = new Map<string, string>();
      // Only whole lines count: a line cut by the kill was never fully acknowledged.
      for (const m of out.matchAll(/^saved: (\S+) \((\w+)\)\n/gm)) acked.set(m[1]!, `round ${round}`);
      resolve(acked);
    });
  });
}

test(`SIGKILL ${DEPLOYMENTS * KILLS_EACH} times: acknowledged answers survive, progress always loads`, {timeout: 240_000}, async () => {
  let acknowledged = 0;
  let killedMidway = 0;
  for (let d = 0; d < DEPLOYMENTS; d++) {
    const dir = tempDir('shipshape-kill-');
    cpSync(join(REPO, 'examples', 'the0-compose'), dir, {recursive: true});
    const progress = tempDir('shipshape-progress-');
    const expected = new Map<string, string>();
    for (let k = 0; k < KILLS_EACH; k++) {
      // Anywhere from before start-up finishes to well into the pass.
      const afterMs = 60 + Math.floor(Math.random() * 900);
      const acked = await killedPass(dir, progress, d * KILLS_EACH + k, afterMs);
      for (const [id, round] of acked) expected.set(id, round);
      acknowledged += acked.size;

      process.env.SHIPSHAPE_PROGRESS_DIR = progress;
      const store = await ProgressStore.open(dir, {id: 'the0', version: '1.0.0'});
      assert.equal(store.recovered, undefined, `kill after ${afterMs} ms left a progress file that does not load`);
      const answers = store.get().answers;
      for (const [id, round] of expected) {
        assert.equal(answers[id]?.kind, 'waived', `acknowledged answer for ${id} lost (kill after ${afterMs} ms)`);
        assert.ok(answers[id]?.reason?.startsWith(round), `answer for ${id} is not the acknowledged one`);
      }
      if (acked.size > 0 && Object.keys(answers).length < 31) killedMidway++;
    }
  }
  // The kills must land during passes, not only before or after them.
  assert.ok(acknowledged > 20, `only ${acknowledged} answers were acknowledged across all kills`);
  assert.ok(killedMidway >= 5, `only ${killedMidway} kills landed mid-pass`);
});
