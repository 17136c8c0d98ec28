// Start-up and verify speed as ratios to a bare `node -e 0` measured in the same run, so the
// figures compare across machines. Not a test: it prints, it does not pass or fail.
import {spawnSync} from 'node:child_process';
import {join} from 'node:path';

const runs = Number(process.env.BENCH_RUNS ?? 15);
const cli = join(import.meta.dirname, '..', 'dist', 'cli.mjs');
const demo = join(import.meta.dirname, '..', 'examples', 'the0-compose');

function time(args, env = {}) {
  const samples = [];
  let last;
  for (let i = 0; i < runs + 2; i++) {
    const t = process.hrtime.bigint();
    last = spawnSync(process.execPath, args, {encoding: 'utf8', env: {...process.env, NO_COLOR: '1', ...env}});
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (i >= 2) samples.push(ms); // two warm-up runs fill the page cache
  }
  samples.sort((a, b) => a - b);
  return {median: samples[Math.floor(samples.length / 2)], min: samples[0], last};
}

const base = time(['-e', '0']);
const version = time([cli, '--version']);
const check = time([cli, 'check', '--format', 'json', '--dir', demo], {SHIPSHAPE_TIMING: '1'});
const phases = [];
for (let i = 0; i < runs; i++) {
  const r = spawnSync(process.execPath, [cli, 'check', '--format', 'json', '--dir', demo], {encoding: 'utf8', env: {...process.env, SHIPSHAPE_TIMING: '1'}});
  const line = r.stderr.split('\n').find((l) => l.startsWith('shipshape-timing '));
  if (line) phases.push(JSON.parse(line.slice('shipshape-timing '.length)));
}
const med = (k) => phases.map((p) => p[k]).sort((a, b) => a - b)[Math.floor(phases.length / 2)];
const items = JSON.parse(check.last.stdout).items.length;

// The wizard in a pseudo-terminal: until the first frame is drawn, and until the key hints
// show (input armed). Progress goes to a scratch directory so runs do not resume each other.
const {spawn: ptySpawn} = await import('@lydell/node-pty');
const {mkdtempSync, rmSync} = await import('node:fs');
const {tmpdir} = await import('node:os');
async function firstFrame() {
  const progress = mkdtempSync(join(tmpdir(), 'shipshape-bench-'));
  const t0 = process.hrtime.bigint();
  const p = ptySpawn(process.execPath, [cli, '--dir', demo], {cols: 80, rows: 24, env: {...process.env, SHIPSHAPE_PROGRESS_DIR: progress, TERM: 'xterm-256color'}});
  let out = '';
  let frame;
  const armed = await new Promise((resolve) => {
    p.onData((d) => {
      out += d.replace(/\u001B\[[0-9;?]*[ -\/]*[@-~]/g, '');
      if (frame === undefined && out.includes('Press enter to')) frame = Number(process.hrtime.bigint() - t0) / 1e6;
      if (out.includes('enter resume')) resolve(Number(process.hrtime.bigint() - t0) / 1e6);
    });
  });
  p.write('q');
  await new Promise((r) => p.onExit(r));
  rmSync(progress, {recursive: true, force: true});
  return {frame, armed};
}
const frames = [];
for (let i = 0; i < runs + 1; i++) frames.push(await firstFrame());
frames.shift();
const medOf = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const row = (name, ms) => `${name.padEnd(44)} ${ms.toFixed(1).padStart(8)} ms  ${(ms / base.median).toFixed(2).padStart(6)}x`;
console.log(`node ${process.version}, ${runs} runs each, medians; ratio = time / (node -e 0)`);
console.log(row('node -e 0 (baseline)', base.median));
console.log(row('shipshape --version', version.median));
console.log(row(`shipshape check --format json (demo, ${items} items)`, check.median));
console.log(row('  of which: open pack + detect + inputs', med('open')));
console.log(row('  of which: verify (all checks of the0)', med('verify')));
console.log(row('  of which: answers + report', med('report')));
console.log(row('wizard: first frame in a pty (demo)', medOf(frames.map((f) => f.frame))));
console.log(row('wizard: keys armed (footer shown)', medOf(frames.map((f) => f.armed))));
