// Start-up, verify and scale as ratios to a bare `node -e 0` measured in the same run, so the
// figures compare across machines. Every sample is paired: a bare node runs right before it, and
// the ratio is the median of the per-pair ratios, so a machine that is busy for a while slows
// both sides of a pair alike; `best` is the fastest run over the fastest bare node, what the work
// costs when nothing else competes for the CPU. Not a test: it prints, it does not pass or fail.
//
// BENCH_RUNS (default 15) samples for start-up and check; BENCH_SCALE_RUNS (default a third of
// that, at least 3) for the scale cases; BENCH_PEERS=0 skips the peers (dclint is fetched with
// `npx --yes` when not cached, and skipped with a note when the registry does not answer in time).
import {execFileSync, spawnSync} from 'node:child_process';
import {cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

const runs = Number(process.env.BENCH_RUNS ?? 15);
const scaleRuns = Number(process.env.BENCH_SCALE_RUNS ?? Math.max(3, Math.round(runs / 3)));
// BENCH_CLI: another build to measure (e.g. one made from an earlier commit), for before/after figures.
const cli = process.env.BENCH_CLI ?? join(import.meta.dirname, '..', 'dist', 'cli.cjs');
const demo = join(import.meta.dirname, '..', 'examples', 'the0-compose');
const scratch = mkdtempSync(join(tmpdir(), 'shipshape-bench-'));
process.on('exit', () => rmSync(scratch, {recursive: true, force: true}));
// Shipshape's caches (compiled code per command, validated user packs) in a folder of the
// bench's own, filled by each row's warm-up run: the rows measure a second and later start, as a
// person or a CI job that runs Shipshape again meets it. The rows marked "no cache" run with
// SHIPSHAPE_CACHE=0, what a first run costs.
process.env.XDG_CACHE_HOME = join(scratch, 'cache');
mkdirSync(process.env.XDG_CACHE_HOME);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function sample(file, args, env = {}) {
  const t = process.hrtime.bigint();
  const r = spawnSync(file, args, {encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: {...process.env, NO_COLOR: '1', ...env}});
  return {ms: Number(process.hrtime.bigint() - t) / 1e6, r};
}

/** `n` pairs of (node -e 0, the command), after one warm-up of each; medians of times and of per-pair ratios. */
function paired(file, args, {env = {}, n = runs} = {}) {
  sample(process.execPath, ['-e', '0']);
  let last = sample(file, args, env).r;
  const base = [];
  const ms = [];
  const ratios = [];
  const stderr = [];
  for (let i = 0; i < n; i++) {
    const b = sample(process.execPath, ['-e', '0']).ms;
    const s = sample(file, args, env);
    base.push(b);
    ms.push(s.ms);
    ratios.push(s.ms / b);
    stderr.push(s.r.stderr ?? '');
    last = s.r;
  }
  return {ms: median(ms), ratio: median(ratios), base: median(base), min: Math.min(...ms), minBase: Math.min(...base), last, stderr};
}

const node = (args, o) => paired(process.execPath, args, o);
const check = (dir, extra = [], o = {}) => node([cli, 'check', '--format', 'json', '--dir', dir, ...extra], o);

/** Phase times (open, verify, report) that `check` prints with SHIPSHAPE_TIMING=1. */
function phases(m, pick = median) {
  const all = m.stderr
    .map((s) => s.split('\n').find((l) => l.startsWith('shipshape-timing ')))
    .filter(Boolean)
    .map((l) => JSON.parse(l.slice('shipshape-timing '.length)));
  return (k) => pick(all.map((p) => p[k]));
}

/** Peak resident memory of one run, in MiB, where GNU time is there to say. */
function peakMiB(args) {
  if (!existsSync('/usr/bin/time')) return undefined;
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, ...args], {encoding: 'utf8', maxBuffer: 64 * 1024 * 1024});
  const kib = Number(r.stderr.trim().split('\n').at(-1));
  return Number.isFinite(kib) ? kib / 1024 : undefined;
}

const git = (dir, ...args) =>
  execFileSync('git', args, {
    cwd: dir,
    encoding: 'utf8',
    input: '',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Bench',
      GIT_AUTHOR_EMAIL: 'bench@example.invalid',
      GIT_COMMITTER_NAME: 'Bench',
      GIT_COMMITTER_EMAIL: 'bench@example.invalid',
    },
  });

// ---------------------------------------------------------------------------------------------
// Deployments, generated into the scratch directory.

function dirOf(name, files) {
  const d = join(scratch, name);
  mkdirSync(d, {recursive: true});
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(d, rel, '..'), {recursive: true});
    writeFileSync(join(d, rel), text);
  }
  return d;
}

const KEYS = 100;
const envText = (n) =>
  Array.from({length: n}, (_, i) => `KEY_${i}=v${i}-${(i * 2654435761).toString(36)}-x9Qz`).join('\n') +
  '\nPOSTGRES_PASSWORD=Vq7Lr2Xc9Tn4Hs8Kd3Wm6Bz1Pf5Gy0Ja\n';

function composeText(n) {
  const out = ['services:'];
  for (let i = 0; i < n; i++) {
    out.push(
      `  svc${i}:`,
      `    image: ${i % 2 ? `registry.example/app${i}:1.${i}.0` : `app${i}:latest`}`,
      '    restart: unless-stopped',
      '    environment:',
      `      KEY_${i % KEYS}: \${KEY_${i % KEYS}}`,
      `      MODE: production`,
      '    ports:',
      `      - "${i % 3 ? '127.0.0.1:' : ''}${10000 + i}:80"`,
      '    deploy: {resources: {limits: {memory: 256m}}}',
    );
  }
  return `${out.join('\n')}\n`;
}

/** A pack of `n` items over the generated deployment, through the full loader (as a custom pack is). */
function packText(n) {
  const item = (i) => {
    const verify = [
      `          - check: secret.strength\n            with: {keys: [KEY_${i % KEYS}], minBits: 64}`,
      `          - check: compose.image-pinned\n            with: {services: [svc${i % 20}]}`,
      `          - check: compose.ports-private\n            with: {services: [svc${i % 20}]}`,
      '          - check: env.present',
    ][i % 4];
    return [
      `      - id: item-${i}`,
      `        title: Item ${i}`,
      '        why: Generated for the bench.',
      '        how: Nothing to do.',
      '        severity: medium',
      '        source: {system: bench, section: generated}',
      '        verify:',
      verify,
    ].join('\n');
  };
  const sections = [];
  for (let s = 0; s * 100 < n; s++) {
    const items = Array.from({length: Math.min(100, n - s * 100)}, (_, k) => item(s * 100 + k));
    sections.push(`  - id: section-${s}\n    title: Section ${s}\n    items:\n${items.join('\n')}`);
  }
  return `schema: 1\nid: bench\ntitle: Bench pack\nversion: 1.0.0\ndescription: ${n} generated items.\nsections:\n${sections.join('\n')}\n`;
}

/** A repository of `n` commits on main (one file of 200 changed in each) made with one `git fast-import`; .env stays out of it. */
function repoOf(name, n) {
  const d = dirOf(name, {});
  git(d, 'init', '-q', '-b', 'main');
  const data = (s) => `data ${Buffer.byteLength(s)}\n${s}\n`;
  const who = (i) => `committer Bench <bench@example.invalid> ${1_600_000_000 + i * 60} +0000\n`;
  const parts = [];
  for (let i = 1; i <= n; i++) {
    parts.push(
      `commit refs/heads/main\nmark :${i}\n${who(i)}${data(`change ${i}`)}${i > 1 ? `from :${i - 1}\n` : ''}M 100644 inline src/f${i % 200}.txt\n${data(`file ${i % 200} version ${i}\n`.repeat(40))}`,
    );
    if (i === 1) parts.push(`M 100644 inline .gitignore\n${data('.env\n')}M 100644 inline docker-compose.yml\n${data(composeText(5))}`);
  }
  execFileSync('git', ['fast-import', '--quiet'], {cwd: d, input: parts.join(''), maxBuffer: 64 * 1024 * 1024});
  git(d, 'reset', '-q', '--hard');
  writeFileSync(join(d, '.env'), envText(KEYS));
  return d;
}

const HISTORY_PACK = `schema: 1
id: history
title: History checks only
version: 1.0.0
description: The history scans of the0, alone.
sections:
  - id: history
    title: History
    items:
      - id: env-never-committed
        title: No .env in history
        why: Bench.
        how: Bench.
        severity: high
        source: {system: bench, section: history}
        verify:
          - check: git.never-committed
            with: {paths: [.env, "**/.env"]}
      - id: values-never-committed
        title: No secret in history
        why: Bench.
        how: Bench.
        severity: high
        source: {system: bench, section: history}
        verify:
          - check: git.value-never-committed
            with: {keys: [POSTGRES_PASSWORD, KEY_1, KEY_2]}
`;

// ---------------------------------------------------------------------------------------------

const rows = [];
const best = (m) => (m.min !== undefined ? `  best ${(m.min / m.minBase).toFixed(2).padStart(5)}x` : '');
const row = (name, m, extra = '') =>
  rows.push(`${name.padEnd(50)} ${m.ms.toFixed(0).padStart(7)} ms  ${m.ratio.toFixed(2).padStart(6)}x${best(m)}${extra ? `  ${extra}` : ''}`);
const growthOf = (small, big) =>
  `growth ${(big.ms / small.ms).toFixed(2)}, best ${(big.min / small.min).toFixed(2)} (above bare node: ${((big.min - big.minBase) / (small.min - small.minBase)).toFixed(2)})`;

// Start-up and check.
const base = node(['-e', '0']);
rows.push(`${'node -e 0 (baseline)'.padEnd(50)} ${base.ms.toFixed(0).padStart(7)} ms  ${'1.00'.padStart(6)}x`);
row('shipshape --version', node([cli, '--version']));

const small = dirOf('small', {'docker-compose.yml': '', '.env': ''});
cpSync(join(demo, 'docker-compose.yml'), join(small, 'docker-compose.yml'));
cpSync(join(demo, '.env'), join(small, '.env'));
writeFileSync(join(small, '.gitignore'), '.env\n');
git(small, 'init', '-q', '-b', 'main');
git(small, 'add', 'docker-compose.yml', '.gitignore');
git(small, 'commit', '-q', '-m', 'deployment');
row('check: small deployment in its own git repo', check(small, [], {env: {SHIPSHAPE_TIMING: '1'}}));
row('  the same, no cache (a first run)', check(small, [], {env: {SHIPSHAPE_CACHE: '0'}}));

const onDemo = check(demo, [], {env: {SHIPSHAPE_TIMING: '1'}});
const items = JSON.parse(onDemo.last.stdout).items.length;
const phase = phases(onDemo);
row(`check: the demo (${items} items, in this repository)`, onDemo);
rows.push(`${'  of which: open pack + detect + inputs'.padEnd(50)} ${phase('open').toFixed(0).padStart(7)} ms`);
rows.push(`${'  of which: verify (all checks of the0)'.padEnd(50)} ${phase('verify').toFixed(0).padStart(7)} ms`);
rows.push(`${'  of which: answers + report'.padEnd(50)} ${phase('report').toFixed(0).padStart(7)} ms`);

// The wizard in a pseudo-terminal: until the first frame is drawn, and until the key hints
// show (input armed), each paired with a bare node. Progress goes to a scratch directory so runs
// do not resume each other.
const {spawn: ptySpawn} = await import('@lydell/node-pty');
async function firstFrame() {
  const progress = mkdtempSync(join(scratch, 'progress-'));
  const t0 = process.hrtime.bigint();
  const p = ptySpawn(process.execPath, [cli, '--dir', demo], {
    cols: 80,
    rows: 24,
    env: {...process.env, SHIPSHAPE_PROGRESS_DIR: progress, TERM: 'xterm-256color'},
  });
  let out = '';
  let frame;
  const armed = await new Promise((resolve) => {
    p.onData((d) => {
      out += d.replace(/\u001B\[[0-9;?]*[ -/]*[@-~]/g, '');
      if (frame === undefined && out.includes('Press enter to')) frame = Number(process.hrtime.bigint() - t0) / 1e6;
      if (out.includes('enter resume')) resolve(Number(process.hrtime.bigint() - t0) / 1e6);
    });
  });
  p.write('q');
  await new Promise((r) => p.onExit(r));
  return {frame, armed};
}
await firstFrame();
const frames = [];
for (let i = 0; i < runs; i++) {
  const b = sample(process.execPath, ['-e', '0']).ms;
  frames.push({...(await firstFrame()), b});
}
const frameRow = (k) => ({
  ms: median(frames.map((f) => f[k])),
  ratio: median(frames.map((f) => f[k] / f.b)),
  min: Math.min(...frames.map((f) => f[k])),
  minBase: Math.min(...frames.map((f) => f.b)),
});
row('wizard: first frame in a pty (demo)', frameRow('frame'));
row('wizard: keys armed (footer shown)', frameRow('armed'));

// Scale: each size and ten times it (a pack also at 1,000), `check` on each.
rows.push('', `scale (${scaleRuns} paired runs each; growth = time at 10x / time at 1x, linear or better is at most 10)`);
const scale = (name, small, big, sizes) => {
  row(`${name} ${sizes[0]}`, small);
  row(`${name} ${sizes[1]}`, big, growthOf(small, big));
};
const S = {n: scaleRuns};
const composeDir = (n) => dirOf(`compose-${n}`, {'docker-compose.yml': composeText(n), '.env': envText(KEYS)});
const c200 = composeDir(200);
const c2000 = composeDir(2000);
const compose200 = check(c200, ['--pack', 'the0', '--input', 'mode=compose'], S);
const compose2000 = check(c2000, ['--pack', 'the0', '--input', 'mode=compose'], S);
const peak = peakMiB([cli, 'check', '--format', 'json', '--dir', c2000, '--pack', 'the0', '--input', 'mode=compose']);
scale('compose services:', compose200, compose2000, [200, 2000]);
if (peak !== undefined) rows.push(`${'  peak memory at 2,000 services'.padEnd(50)} ${peak.toFixed(0).padStart(7)} MiB`);

const envDir = (n) => dirOf(`env-${n}`, {'docker-compose.yml': composeText(20), '.env': envText(n)});
scale(
  '.env lines:',
  check(envDir(1000), ['--pack', 'the0', '--input', 'mode=compose'], S),
  check(envDir(10_000), ['--pack', 'the0', '--input', 'mode=compose'], S),
  [1000, 10_000],
);

const packDeploy = dirOf('pack-deployment', {'docker-compose.yml': composeText(20), '.env': envText(KEYS)});
const packFile = (n) => {
  const f = join(scratch, `pack-${n}.yaml`);
  writeFileSync(f, packText(n));
  return f;
};
const pack300 = check(packDeploy, ['--pack', packFile(300)], S);
const pack1000 = check(packDeploy, ['--pack', packFile(1000)], S);
const pack3000 = check(packDeploy, ['--pack', packFile(3000)], S);
row('pack items: 300', pack300);
row('pack items: 1000', pack1000);
row('pack items: 3000', pack3000, growthOf(pack300, pack3000));
row('  3000, no cache (a first run)', check(packDeploy, ['--pack', packFile(3000)], {n: scaleRuns, env: {SHIPSHAPE_CACHE: '0'}}));

const r1k = repoOf('repo-1000', 1000);
const r10k = repoOf('repo-10000', 10_000);
scale(
  'repository commits (check, the0):',
  check(r1k, ['--pack', 'the0', '--input', 'mode=compose'], S),
  check(r10k, ['--pack', 'the0', '--input', 'mode=compose'], S),
  [1000, 10_000],
);
const historyPack = join(scratch, 'history.yaml');
writeFileSync(historyPack, HISTORY_PACK);
for (const [n, d] of [
  [1000, r1k],
  [10_000, r10k],
]) {
  const h = check(d, ['--pack', historyPack], {n: scaleRuns, env: {SHIPSHAPE_TIMING: '1'}});
  const verify = phases(h)('verify');
  const fastest = phases(h, (xs) => Math.min(...xs))('verify');
  const raw = paired('git', ['-C', d, 'log', '--all', '--name-only']);
  rows.push(
    `${`history scans of ${n} commits (verify phase)`.padEnd(50)} ${verify.toFixed(0).padStart(7)} ms  ${(verify / raw.ms).toFixed(2).padStart(6)}x` +
      `  best ${(fastest / raw.min).toFixed(2).padStart(5)}x  of raw \`git log --all --name-only\` (${raw.ms.toFixed(0)} ms, best ${raw.min.toFixed(0)} ms)`,
  );
}

// Peers on the demo's files, when installed.
rows.push('', `peers on the demo (${scaleRuns} paired runs each; ratio to bare node; Shipshape check on the demo is above)`);
function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], {encoding: 'utf8'});
  return r.status === 0 ? r.stdout.trim() : undefined;
}
function peer(name, file, args) {
  const m = paired(file, args, {n: scaleRuns});
  row(`${name}`, m, `Shipshape check on the demo is ${(onDemo.ms / m.ms).toFixed(2)}x of it`);
}
if (process.env.BENCH_PEERS !== '0') {
  // dclint is one npx away: resolved (and fetched once) with a time bound, then run directly.
  const found = spawnSync('npx', ['--yes', '-p', 'dclint', '-c', 'command -v dclint'], {encoding: 'utf8', timeout: 60_000});
  const dclint = found.status === 0 ? found.stdout.trim().split('\n').at(-1) : undefined;
  if (dclint) peer('dclint (docker-compose.yml)', dclint, [join(demo, 'docker-compose.yml')]);
  else rows.push(`dclint: skipped (npx did not resolve it within 60 s${found.error ? `: ${found.error.message}` : ''})`);
  for (const [name, args] of [
    ['yamllint', [join(demo, 'docker-compose.yml')]],
    ['dotenv-linter', [join(demo, '.env')]],
  ]) {
    const bin = which(name);
    if (bin) peer(`${name}`, bin, args);
    else rows.push(`${name}: not installed, skipped`);
  }
} else rows.push('peers skipped (BENCH_PEERS=0)');

console.log(
  `node ${process.version}, ${runs} paired runs each (scale: ${scaleRuns}); ms and ratio: medians of time and of time / (node -e 0) per pair; best: fastest / fastest bare node`,
);
console.log(rows.join('\n'));
