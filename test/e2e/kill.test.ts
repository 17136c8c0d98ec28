// SIGKILL during scripted passes: no answer the wizard acknowledged is ever lost, and the
// answers file and the personal progress file always load. Ten deployments, five kills each;
// every restart resumes the previous pass. Each kill waits for a number of acknowledged saves
// (chosen at random) rather than for a fixed delay, so a slow machine moves the kills with the
// work instead of moving them all before start-up ends.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {cpSync} from 'node:fs';
import {join} from 'node:path';
import {test} from 'node:test';
import {readAnswers} from '../../src/store/answers.js';
import {ProgressStore} from '../../src/store/progress.js';
import {CLI, REPO, tempDir} from '../support/helpers.js';

const DEPLOYMENTS = 10;
const KILLS_EACH = 5;

/**
 * Runs a scripted waive-everything pass and SIGKILLs it right after its `afterSaves`-th
 * acknowledged answer (0: as soon as it asks anything); returns what it acknowledged.
 */
function killedPass(dir: string, progress: string, round: number, afterSaves: number): Promise<{acked: Map<string, string>; finished: boolean}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--plain', '--as', 'kill-test', '--dir', dir], {
      env: {...process.env, SHIPSHAPE_PROGRESS_DIR: progress},
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    let out = '';
    let saves = 0;
    let killed = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      saves = out.match(/^saved: \S+ \(\w+\)$/gm)?.length ?? 0;
      const asking = afterSaves === 0 && /Answering as/.test(out);
      if (!killed && ((saves >= afterSaves && afterSaves > 0) || asking)) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    const script: string[] = [];
    // Waive every item: reason, owner (empty: the person answering), expiry (empty: none).
    for (let n = 0; n < 40; n++) script.push('w', `round ${round} reason ${n}`, '', '');
    script.push('q');
    child.stdin.on('error', () => undefined);
    child.stdin.end(script.map((l) => `${l}\n`).join(''));
    const guard = setTimeout(() => reject(new Error(`a killed pass did not end; it printed:\n${out.slice(-2000)}`)), 60_000);
    child.on('close', () => {
      clearTimeout(guard);
      const acked = new Map<string, string>();
      // Only whole lines count: a line cut by the kill was never fully acknowledged.
      for (const m of out.matchAll(/^saved: (\S+) \((\w+)\)\n/gm)) acked.set(m[1]!, `round ${round}`);
      resolve({acked, finished: !killed});
    });
  });
}

test(`SIGKILL ${DEPLOYMENTS * KILLS_EACH} times between saves: acknowledged answers survive, both files always load`, {timeout: 600_000}, async () => {
  let acknowledged = 0;
  let killedMidway = 0;
  for (let d = 0; d < DEPLOYMENTS; d++) {
    const dir = tempDir('shipshape-kill-');
    cpSync(join(REPO, 'examples', 'the0-compose'), dir, {recursive: true});
    const progress = tempDir('shipshape-progress-');
    const expected = new Map<string, string>();
    for (let k = 0; k < KILLS_EACH; k++) {
      const afterSaves = Math.floor(Math.random() * 6);
      const {acked, finished} = await killedPass(dir, progress, d * KILLS_EACH + k, afterSaves);
      for (const [id, round] of acked) expected.set(id, round);
      acknowledged += acked.size;

      const saved = readAnswers(dir, 'the0');
      assert.deepEqual(saved.problems, [], `a kill after ${afterSaves} saves left an answers file that does not load`);
      process.env.SHIPSHAPE_PROGRESS_DIR = progress;
      const store = await ProgressStore.open(dir, {id: 'the0', version: '1.0.0'});
      assert.equal(store.recovered, undefined, `a kill after ${afterSaves} saves left a progress file that does not load`);
      for (const [id, round] of expected) {
        assert.equal(saved.answers[id]?.kind, 'waived', `acknowledged answer for ${id} lost (kill after ${afterSaves} saves)`);
        assert.ok(saved.answers[id]?.reason?.startsWith(round), `answer for ${id} is not the acknowledged one`);
      }
      if (!finished && acked.size > 0) killedMidway++;
    }
  }
  assert.ok(acknowledged > 20, `only ${acknowledged} answers were acknowledged across all kills`);
  assert.ok(killedMidway >= 10, `only ${killedMidway} kills landed mid-pass`);
});
