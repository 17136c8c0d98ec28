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

const row = (name, ms) => `${name.padEnd(44)} ${ms.toFixed(1).padStart(8)} ms  ${(ms / base.median).toFixed(2).padStart(6)}x`;
console.log(`node ${process.version}, ${runs} runs each, medians; ratio = time / (node -e 0)`);
console.log(row('node -e 0 (baseline)', base.median));
console.log(row('shipshape --version', version.median));
console.log(row(`shipshape check --format json (demo, ${items} items)`, check.median));
console.log(row('  of which: open pack + detect + inputs', med('open')));
console.log(row('  of which: verify (all checks of the0)', med('verify')));
console.log(row('  of which: answers + report', med('report')));
