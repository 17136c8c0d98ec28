// Fuzz test (issues 16 and 19): mutations of valid .env, Compose, Helm values files and packs
// (byte flips, truncation, duplicated lines, deep nesting, alias bombs, 1 MB values, invalid UTF-8,
// BOMs, CRLF, NUL bytes, very many keys, ...; see test/support/fuzz.ts) fed
//   (a) in process to the parsers (parseEnvText, parseYaml), the Compose model and Helm values
//       through a Context, the pack loader (parsePack) and the pack's checks (runPack) on a temp
//       deployment holding the mutated file: nothing thrown but our located errors (SourceError,
//       PackLoadError), every rejection located (its file, and a line inside it: only a file
//       refused as a whole, for its size, goes without), no check crashing ("could not run"), no
//       Node warning, no unhandled rejection, and no step over the time bound;
//   (b) for a smaller sample, end to end through the built CLI (`check --dir DIR --format json`,
//       `--pack FILE` for packs): exit code in {0,1,2,3}, JSON on stdout for 0/1/3, nothing on
//       stdout for 2 (and a pack refused with FILE:line), no "internal error", no stack trace,
//       no raw Node warning on stderr, no run over its bound.
//
// Time: each step of an in-process case (one parse, one model, one pack run) may use
// SHIPSHAPE_FUZZ_CASE_MS of CPU (process.cpuUsage, which other processes on the machine do not
// inflate) and 4x that of wall time; a CLI run 3x that of wall time. A synchronous hang cannot be
// interrupted: a watchdog thread prints the case and ends the process after HANG_MS.
//
// Deterministic in the seed: a case depends only on (seed, id). Environment:
//   SHIPSHAPE_FUZZ_SEED     the seed (default below; CI uses it)
//   SHIPSHAPE_FUZZ_CASES    at most this many in-process cases (the time budget usually ends first)
//   SHIPSHAPE_FUZZ_SECONDS  the time budget of both levels together (3/4 in process, 1/4 end to end);
//                           the CLI sample is SECONDS/2 runs (at least 6, at most 300), two at a time
//   SHIPSHAPE_FUZZ_CASE     replay only these cases, e.g. `a17,b3` (ids are printed on failure)
//   SHIPSHAPE_FUZZ_CASE_MS  the time bound of one step (default 5000)
// `npm run fuzz` is the long run (build first: level (b) runs dist/cli.cjs). Each run prints a
// summary (cases, outcomes by kind, exits, the slowest case); failing inputs are kept under
// $TMPDIR/shipshape-fuzz-<seed>/.
import assert from 'node:assert/strict';
import {existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {describe, test} from 'node:test';
import {Worker} from 'node:worker_threads';
import {CHECKS} from '../../src/checks/index.js';
import {MAX_DEPLOYMENT_FILE_BYTES} from '../../src/deploy/read.js';
import {Context} from '../../src/engine/context.js';
import {runPack, type ItemOutcome} from '../../src/engine/run.js';
import {resolveInputs} from '../../src/pack/inputs.js';
import {PackLoadError, parsePack} from '../../src/pack/load.js';
import type {Pack} from '../../src/pack/schema.js';
import {parseEnvText} from '../../src/sources/envFile.js';
import {SourceError} from '../../src/sources/errors.js';
import {parseYaml} from '../../src/sources/yamlDoc.js';
import {describeCase, type FuzzCase, type FuzzSeed, makeCase, replayHint, Tally} from '../support/fuzz.js';
import {CLI, contextFor, REPO, runCli, tempDir, writeFiles} from '../support/helpers.js';

const envNumber = (name: string, fallback: number): number => {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  assert.ok(Number.isFinite(n) && n >= 0, `${name}=${v}: expected a number`);
  return n;
};

const SEED = envNumber('SHIPSHAPE_FUZZ_SEED', 20_260_619) >>> 0;
const CASES = envNumber('SHIPSHAPE_FUZZ_CASES', 4000);
const SECONDS = envNumber('SHIPSHAPE_FUZZ_SECONDS', 50);
const CASE_MS = envNumber('SHIPSHAPE_FUZZ_CASE_MS', 5000);
/** Wall-clock bounds: looser, since other processes share the machine (npm test runs files side by side). */
const WALL_MS = 4 * CASE_MS;
const E2E_CASE_MS = 3 * CASE_MS;
const E2E_CASES = Math.min(300, Math.max(6, Math.round(SECONDS / 2)));
/** A case still running after this long is a hang: the watchdog prints it and ends the process. */
const HANG_MS = Math.max(60_000, 6 * CASE_MS);
const ONLY = new Set((process.env.SHIPSHAPE_FUZZ_CASE ?? '').split(',').filter(Boolean));

// Known failures, found by this test and not fixed yet. Each has a minimal reproducer in the
// `known failures` block at the end of this file, skipped with the same reason; the cases in
// KNOWN (of the seed they name) are skipped with it, and counted in the summary. Once a bug is
// fixed: drop the reproducer's skip and its cases, and run `npm run fuzz`.
const F2 =
  'F2: YAML is parsed at ~0.3-0.6 MB/s (the yaml package), and the cap is 4 MiB: a 4 MB compose file of 230,000 short keys takes ~14 s ' +
  'in parseYaml (src/sources/yamlDoc.ts), a 3 MB pack ~5 s; there is no limit on mapping size or node count that refuses it sooner';

const KNOWN: readonly {seed: number; id: string; reason: string}[] = [];

const known = (id: string) => KNOWN.find((k) => k.seed === SEED && k.id === id);

// ---------------------------------------------------------------------------------------------
// Inputs

const latin1 = (rel: string) => readFileSync(join(REPO, rel)).toString('latin1');
const DEMO_ENV = 'examples/the0-compose/.env';
const DEMO_COMPOSE = 'examples/the0-compose/docker-compose.yml';
const K8S = 'test/fixtures/the0-k8s';
const PACKS = ['the0', 'discord-mcp-bot', 'hoodcloud', 'zitadel'].map((id) => `steps/${id}.yaml`);

const SEEDS: FuzzSeed[] = [
  {kind: 'env', source: DEMO_ENV, text: latin1(DEMO_ENV)},
  {kind: 'compose', source: DEMO_COMPOSE, text: latin1(DEMO_COMPOSE)},
  {kind: 'values', source: `${K8S}/values-prod.yaml`, text: latin1(`${K8S}/values-prod.yaml`)},
  ...PACKS.map((p): FuzzSeed => ({kind: 'pack', source: p, text: latin1(p)})),
];

/** The deployment a case runs on: the demo (or the Kubernetes fixture) with the mutated file in place. */
function deploymentFiles(c: FuzzCase): {files: Record<string, Buffer>; mutated?: string} {
  const demo = {'.env': readFileSync(join(REPO, DEMO_ENV)), 'docker-compose.yml': readFileSync(join(REPO, DEMO_COMPOSE))};
  switch (c.kind) {
    case 'env':
      return {files: {...demo, '.env': c.bytes}, mutated: '.env'};
    case 'compose':
      return {files: {...demo, 'docker-compose.yml': c.bytes}, mutated: 'docker-compose.yml'};
    case 'values':
      return {
        files: {
          'values-prod.yaml': c.bytes,
          'k8s/values.yaml': readFileSync(join(REPO, K8S, 'k8s/values.yaml')),
          'rendered/all.yaml': readFileSync(join(REPO, K8S, 'rendered/all.yaml')),
        },
        mutated: 'values-prod.yaml',
      };
    default:
      return {files: demo};
  }
}

function writeDeployment(dir: string, files: Record<string, Buffer>): void {
  for (const [rel, bytes] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), {recursive: true});
    writeFileSync(join(dir, rel), bytes);
  }
}

const FILE_NAME: Record<FuzzCase['kind'], string> = {env: '.env', compose: 'docker-compose.yml', values: 'values-prod.yaml', pack: 'pack.yaml'};

/** The highest line number a location in `text` may name (a line past the last one is where an unclosed thing ends). */
const lineCounts = new Map<string, number>();
function maxLine(text: string): number {
  let n = lineCounts.get(text);
  if (n === undefined) {
    // Memoised: evidence is checked against it item by item, and texts run to megabytes.
    n = 1;
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10 || text.charCodeAt(i) === 13) n++;
    n++;
    lineCounts.clear();
    lineCounts.set(text, n);
  }
  return n;
}

/** Where in our code an unexpected error came from: the first frame under src/. */
function origin(err: unknown): string {
  const stack = err instanceof Error ? (err.stack ?? '') : '';
  const frame = stack.split('\n').find((l) => l.includes('/src/'));
  return frame ? frame.trim().replace(/^at /, '').replace(`${REPO}/`, '') : 'no frame in src/';
}

function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message.slice(0, 300)} (at ${origin(err)})`;
  return `non-Error thrown: ${String(err).slice(0, 300)}`;
}

// ---------------------------------------------------------------------------------------------
// The rules a result must keep

interface Finding {
  c: FuzzCase;
  what: string;
}

/** A SourceError from parsing `text` as `file`: names the file, and a line (and column) inside it. */
function locatedSourceError(err: SourceError, file: string, text: string): string | undefined {
  if (err.file !== file) return `SourceError names ${err.file}, not ${file}: ${err.message}`;
  if (err.line === undefined) return `SourceError without a line: ${err.message}`;
  if (!Number.isInteger(err.line) || err.line < 1 || err.line > maxLine(text))
    return `SourceError at line ${err.line}, outside 1..${maxLine(text)}: ${err.message}`;
  if (err.col !== undefined && (!Number.isInteger(err.col) || err.col < 1)) return `SourceError at column ${err.col}: ${err.message}`;
  return undefined;
}

/** Runs a parser: accepted, or refused with a located SourceError; anything else is a finding. */
function parseWith(name: string, fn: () => unknown, file: string, text: string, findings: string[], tally: string[]): void {
  try {
    fn();
    tally.push(`${name} accepted`);
  } catch (err) {
    if (err instanceof SourceError) {
      tally.push(`${name} refused`);
      const bad = locatedSourceError(err, file, text);
      if (bad) findings.push(`${name}: ${bad}`);
    } else findings.push(`${name} threw ${describeError(err)}`);
  }
}

/**
 * What runPack gave on a deployment whose `mutated` file (if any) is the fuzzed one: no check
 * crashed ("could not run" is an exception that was not a SourceError), every step in error
 * names a file with a line (a file refused as a whole, for its size, names only the file), and
 * every unreadable source listed once is located the same way.
 */
function checkOutcomes(
  outcomes: ItemOutcome[],
  ctx: Context,
  mutated: string | undefined,
  text: string,
  packName: string,
  findings: string[],
  tally: string[],
): void {
  const wholeFile = (file: string | undefined) => file !== undefined && (file !== mutated || Buffer.byteLength(text, 'latin1') > MAX_DEPLOYMENT_FILE_BYTES);
  for (const o of outcomes) {
    tally.push(`item ${o.status}`);
    for (const s of o.steps) {
      const r = s.result;
      // Whatever the status, evidence in the fuzzed file points at one of its lines (or none).
      for (const e of r.evidence) {
        if (e.file === mutated && e.line !== undefined && (!Number.isInteger(e.line) || e.line < 1 || e.line > maxLine(text))) {
          findings.push(
            `${packName}/${o.id}/${s.check} (${r.status}): evidence at ${e.file}:${e.line}, outside 1..${maxLine(text)}: ${(e.detail ?? r.message).slice(0, 200)}`,
          );
        }
      }
      if (r.status !== 'error') continue;
      const at = `${packName}/${o.id}/${s.check}`;
      if (/could not run/.test(r.message)) {
        findings.push(`${at} crashed: ${r.message.slice(0, 300)}`);
        continue;
      }
      if (/bad params/.test(r.message)) {
        findings.push(`${at}: params the loader accepted are refused when the check runs: ${r.message.slice(0, 300)}`);
        continue;
      }
      // A check that ran out of time is not a rejection of the input; the case's time bound judges it.
      if (/did not finish within/.test(r.message)) continue;
      const located = r.evidence.some((e) => e.file !== undefined && ((e.line !== undefined && e.line >= 1) || wholeFile(e.file)));
      if (!located) findings.push(`${at}: error without a located file: ${r.message.slice(0, 300)} evidence ${JSON.stringify(r.evidence).slice(0, 300)}`);
    }
  }
  for (const p of ctx.problems()) {
    if (p.line === undefined && !wholeFile(p.file)) findings.push(`${packName}: unreadable source without a line: ${p.file}: ${p.message.slice(0, 300)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Level (a): in process

interface Loaded {
  the0: Pack;
  others: Pack[];
  demo: string;
}

let loaded: Loaded | undefined;
function setup(): Loaded {
  if (loaded) return loaded;
  const packs = PACKS.map((p) => parsePack(readFileSync(join(REPO, p), 'utf8'), p, CHECKS));
  const demo = tempDir('shipshape-fuzz-demo-');
  writeDeployment(demo, deploymentFiles({kind: 'pack'} as FuzzCase).files);
  loaded = {the0: packs[0]!, others: packs.slice(1), demo};
  return loaded;
}

async function runPackOn(pack: Pack, dir: string): Promise<{outcomes: ItemOutcome[]; ctx: Context}> {
  const inputs = await resolveInputs(pack, dir, {});
  const ctx = new Context(dir, pack, inputs.values);
  const outcomes = await runPack(pack, ctx, CHECKS);
  if (ONLY.size > 0) {
    // Replaying: say which checks took the time.
    const steps = outcomes.flatMap((o) => o.steps.map((st) => ({...st, item: o.id}))).sort((a, b) => b.ms - a.ms);
    process.stderr.write(
      `fuzz: ${pack.id}: slowest checks: ${steps
        .slice(0, 5)
        .map((st) => `${st.item}/${st.check} ${Math.round(st.ms)} ms (${st.result.status})`)
        .join(', ')}\n`,
    );
  }
  return {outcomes, ctx};
}

/** Node warnings (process.emitWarning) raised while a case runs: they would reach a user's stderr raw. */
const warnings: string[] = [];
const unhandled: string[] = [];
process.on('warning', (w) => warnings.push(`${w.name}: ${w.message}`));
process.on('unhandledRejection', (err) => unhandled.push(describeError(err)));

interface Stage {
  name: string;
  ms: number;
  /** CPU time of this process during the stage (user + system), ms. */
  cpu: number;
}

async function inProcess(c: FuzzCase, index: number, base: string): Promise<{findings: string[]; tally: string[]; stages: string; times: Stage[]}> {
  const {the0, others, demo} = setup();
  const findings: string[] = [];
  const tally: string[] = [];
  const times: Stage[] = [];
  let mark = performance.now();
  let cpuMark = process.cpuUsage();
  const stage = (name: string) => {
    const now = performance.now();
    const cpu = process.cpuUsage(cpuMark);
    times.push({name, ms: now - mark, cpu: (cpu.user + cpu.system) / 1000});
    mark = now;
    cpuMark = process.cpuUsage();
  };
  const stages = () => times.map((t) => `${t.name} ${Math.round(t.ms)} (cpu ${Math.round(t.cpu)})`).join(', ');
  const text = c.bytes.toString('utf8'); // as Context.readText decodes a file
  const file = FILE_NAME[c.kind];
  warnings.length = 0;
  unhandled.length = 0;
  try {
    if (c.kind === 'pack') {
      let pack: Pack | undefined;
      try {
        pack = parsePack(text, file, CHECKS);
        tally.push('pack loaded');
      } catch (err) {
        if (err instanceof PackLoadError) {
          tally.push('pack refused');
          if (err.problems.length === 0) findings.push('PackLoadError with no problems');
          for (const p of err.problems) {
            if (p.file !== file || !Number.isInteger(p.line) || p.line < 1 || p.line > maxLine(text) || !Number.isInteger(p.col) || p.col < 1) {
              findings.push(`PackLoadError not located in ${file} (1..${maxLine(text)}): ${JSON.stringify(p).slice(0, 300)}`);
            }
          }
        } else findings.push(`parsePack threw ${describeError(err)}`);
      }
      stage('parsePack');
      if (pack) {
        const {outcomes, ctx} = await runPackOn(pack, demo);
        stage('runPack');
        checkOutcomes(outcomes, ctx, undefined, '', `pack ${pack.id}`, findings, tally);
      }
      return {findings, tally, stages: stages(), times};
    }

    // The parser of its kind, and the other one too: neither may throw anything but a SourceError.
    if (c.kind === 'env') {
      parseWith('env', () => parseEnvText(text, file), file, text, findings, tally);
      stage('parseEnvText');
      parseWith('yaml(.env)', () => parseYaml(text, file), file, text, findings, tally);
      stage('parseYaml(.env)');
    } else {
      parseWith('yaml', () => parseYaml(text, file), file, text, findings, tally);
      stage('parseYaml');
      parseWith('env(yaml)', () => parseEnvText(text, file), file, text, findings, tally);
      stage('parseEnvText(yaml)');
    }

    const dir = join(base, c.id);
    const {files, mutated} = deploymentFiles(c);
    writeDeployment(dir, files);
    stage('write');
    // The source models through a Context, as checks reach them.
    const ctx = contextFor(dir, c.kind === 'values' ? {helmValues: ['k8s/values.yaml', 'values-*.yaml']} : {});
    const model = async (name: string, get: () => Promise<unknown>) => {
      try {
        await get();
        tally.push(`${name} accepted`);
      } catch (err) {
        if (!(err instanceof SourceError)) findings.push(`${name} threw ${describeError(err)}`);
        else {
          tally.push(`${name} refused`);
          const whole = Buffer.byteLength(text, 'latin1') > MAX_DEPLOYMENT_FILE_BYTES || err.file !== mutated;
          if (!whole) {
            const bad = locatedSourceError(err, mutated!, text);
            if (bad) findings.push(`${name}: ${bad}`);
          } else if (!err.file) findings.push(`${name}: SourceError without a file: ${err.message}`);
        }
      }
    };
    if (c.kind === 'values') await model('helm', () => ctx.helm());
    else await model('compose', () => ctx.compose());
    stage(c.kind === 'values' ? 'helm' : 'compose');

    const {outcomes, ctx: runCtx} = await runPackOn(the0, dir);
    stage('runPack the0');
    checkOutcomes(outcomes, runCtx, mutated, text, 'the0', findings, tally);
    stage('(assertions)');
    // Now and then the other built-in packs too: their generic checks read the same files.
    if (index % 5 === 0) {
      const other = others[(index / 5) % others.length]!;
      const r = await runPackOn(other, dir);
      stage(`runPack ${other.id}`);
      checkOutcomes(r.outcomes, r.ctx, mutated, text, other.id, findings, tally);
      stage('(assertions)');
    }
    rmSync(dir, {recursive: true, force: true});
  } catch (err) {
    findings.push(`threw ${describeError(err)}`);
  }
  await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
  for (const w of warnings) findings.push(`Node warning: ${w}`);
  for (const u of unhandled) findings.push(`unhandled rejection: ${u}`);
  return {findings, tally, stages: stages(), times};
}

/**
 * A watchdog on its own thread: a synchronous hang blocks this thread's timers, so only another
 * thread can say which case hung. It writes the case to stderr and ends the process.
 */
function watchdog(): {start: (c: FuzzCase) => void; stop: () => void; end: () => void} {
  const w = new Worker(
    `const {parentPort} = require('node:worker_threads');
     const {writeSync} = require('node:fs');
     let timer;
     parentPort.on('message', (m) => {
       clearTimeout(timer);
       if (m) timer = setTimeout(() => { writeSync(2, m.message); process.kill(process.pid, 'SIGKILL'); }, m.ms);
     });`,
    {eval: true},
  );
  w.unref();
  return {
    start: (c) =>
      w.postMessage({
        ms: HANG_MS,
        message: `\nfuzz: HANG: ${describeCase(c)} still runs after ${HANG_MS} ms; stopping.\nReplay: ${replayHint(c)}\n`,
      }),
    stop: () => w.postMessage(null),
    end: () => void w.terminate(),
  };
}

// ---------------------------------------------------------------------------------------------
// Reporting

const keepDir = join(tmpdir(), `shipshape-fuzz-${SEED}`);

/** Keeps a failing input for inspection; returns its path. */
function keep(c: FuzzCase): string {
  mkdirSync(keepDir, {recursive: true});
  const p = join(keepDir, `${c.id}-${FILE_NAME[c.kind]}`);
  writeFileSync(p, c.bytes);
  return p;
}

function report(findings: Finding[]): string {
  const byWhat = new Map<string, Finding[]>();
  for (const f of findings) {
    // Group by the message without numbers, so one bug shows once with its count.
    const key = f.what.replace(/\d+/g, 'N').slice(0, 160);
    byWhat.set(key, [...(byWhat.get(key) ?? []), f]);
  }
  return [...byWhat.values()]
    .map((fs) => {
      const f = fs[0]!;
      return `- ${f.what}\n  ${describeCase(f.c)}\n  input kept at ${keep(f.c)}\n  replay: ${replayHint(f.c)}${
        fs.length > 1
          ? `\n  (and ${fs.length - 1} more like it: ${fs
              .slice(1, 6)
              .map((x) => x.c.id)
              .join(', ')}${fs.length > 6 ? ', ...' : ''})`
          : ''
      }`;
    })
    .join('\n');
}

const budgetA = SECONDS * 750;
const budgetB = SECONDS * 250;

describe(`fuzz (seed ${SEED})`, {concurrency: false}, () => {
  test('(a) in process: parsers, source models, pack loader and checks', {timeout: budgetA + HANG_MS + 60_000}, async (t) => {
    const ids = ONLY.size > 0 ? [...ONLY].filter((id) => id.startsWith('a')).map((id) => Number(id.slice(1))) : undefined;
    if (ids?.length === 0) return t.skip('only level (b) cases asked for');
    setup();
    const base = tempDir('shipshape-fuzz-');
    const dog = watchdog();
    const findings: Finding[] = [];
    const tally = new Tally();
    const outcomes = new Tally();
    const items = new Tally();
    let slowest = {ms: 0, cpu: 0, c: undefined as FuzzCase | undefined, stages: ''};
    const started = performance.now();
    let ran = 0;
    try {
      for (let i = 0; ids ? i < ids.length : i < CASES; i++) {
        if (!ids && performance.now() - started > budgetA) break;
        const index = ids ? ids[i]! : i;
        const c = makeCase(SEED, `a${index}`, index, SEEDS);
        const k = known(c.id);
        if (k && !ids) {
          tally.add('known failure, skipped');
          continue;
        }
        dog.start(c);
        const t0 = performance.now();
        const r = await inProcess(c, index, base);
        const ms = performance.now() - t0;
        dog.stop();
        ran++;
        tally.add(c.kind);
        for (const o of r.tally) (o.startsWith('item ') ? items : outcomes).add(o.startsWith('item ') ? o.slice(5) : `${c.kind} ${o}`);
        const cpu = r.times.reduce((sum, st) => sum + st.cpu, 0);
        if (cpu > slowest.cpu) slowest = {ms, cpu, c, stages: r.stages};
        // The bound is on each step a user would wait for (one parse, one model, one pack run); a
        // case does several, each reading the file afresh as a separate run would. It is on the
        // CPU time this process spent, which other work on the machine (other test files run
        // alongside, other builds) does not inflate; wall time has a looser bound, for waits.
        for (const st of r.times) {
          if (st.name.startsWith('(')) continue; // the test's own work
          if (st.cpu > CASE_MS) r.findings.push(`${st.name} used ${Math.round(st.cpu)} ms of CPU (the bound is ${CASE_MS} ms): ${r.stages}`);
          else if (st.ms > WALL_MS)
            r.findings.push(
              `${st.name} took ${Math.round(st.ms)} ms (the bound is ${WALL_MS} ms) though it used only ${Math.round(st.cpu)} ms of CPU: ${r.stages}`,
            );
        }
        for (const what of r.findings) {
          findings.push({c, what});
          // At once too: should a later case hang and end the process, this one is not lost.
          process.stderr.write(`fuzz: finding in ${c.id}: ${what}\n`);
        }
        if (ids) t.diagnostic(`${describeCase(c)}: ${Math.round(ms)} ms (${r.stages}); ${r.findings.join('; ') || 'fine'}`);
      }
    } finally {
      dog.end();
    }
    const elapsed = (performance.now() - started) / 1000;
    const line = `fuzz (a) seed ${SEED}: ${ran} cases in ${elapsed.toFixed(1)} s (${tally}); findings ${findings.length}; slowest ${Math.round(slowest.cpu)} ms of CPU, ${Math.round(slowest.ms)} ms in all (${slowest.stages}): ${slowest.c ? describeCase(slowest.c) : '-'}`;
    t.diagnostic(line);
    t.diagnostic(`fuzz (a) outcomes: ${outcomes}; items checked: ${items}`);
    assert.ok(ran > 0 || ids !== undefined, 'no case ran');
    assert.equal(findings.length, 0, `${findings.length} findings:\n${report(findings)}`);
  });

  test('(b) end to end through the built CLI', {timeout: budgetB + 2 * HANG_MS + 60_000}, async (t) => {
    const ids = ONLY.size > 0 ? [...ONLY].filter((id) => id.startsWith('b')).map((id) => Number(id.slice(1))) : undefined;
    if (ids?.length === 0) return t.skip('only level (a) cases asked for');
    assert.ok(existsSync(CLI), `${CLI} is missing: run npm run build first`);
    const findings: Finding[] = [];
    const exits = new Tally();
    let slowest = {ms: 0, c: undefined as FuzzCase | undefined};
    const started = performance.now();
    const queue = ids ?? Array.from({length: E2E_CASES}, (_, j) => j);
    let ran = 0;
    const one = async (j: number) => {
      // Their own index range, so an (a) case and a (b) case never share a stream.
      const c = makeCase(SEED, `b${j}`, 1_000_000 + j, SEEDS);
      if (known(c.id) && !ids) {
        exits.add('known failure, skipped');
        return;
      }
      const dir = tempDir('shipshape-fuzz-cli-');
      const {files} = deploymentFiles(c);
      writeDeployment(dir, files);
      const args = ['check', '--dir', dir, '--format', 'json'];
      let packFile: string | undefined;
      if (c.kind === 'pack') {
        packFile = join(tempDir('shipshape-fuzz-pack-'), 'pack.yaml');
        writeFileSync(packFile, c.bytes);
        args.push('--pack', packFile);
      }
      const t0 = performance.now();
      let r: Awaited<ReturnType<typeof runCli>>;
      try {
        r = await runCli(args, {timeoutMs: HANG_MS, env: {SHIPSHAPE_PROGRESS_DIR: tempDir('shipshape-fuzz-progress-')}});
      } catch (err) {
        findings.push({c, what: `hang: ${describeError(err)}`});
        return;
      }
      const ms = performance.now() - t0;
      ran++;
      exits.add(`exit ${r.code}`);
      if (ms > slowest.ms) slowest = {ms, c};
      const bad = (what: string) => findings.push({c, what});
      if (ms > E2E_CASE_MS) bad(`took ${Math.round(ms)} ms (the bound is ${E2E_CASE_MS} ms)`);
      if (r.code === null || ![0, 1, 2, 3].includes(r.code)) bad(`exit ${r.code}: ${r.stderr.slice(0, 300)}`);
      if (/internal error/i.test(r.stderr + r.stdout)) bad(`"internal error": ${r.stderr.slice(0, 300)}`);
      if (/^ {4}at /m.test(r.stderr)) bad(`a stack trace on stderr: ${r.stderr.slice(0, 300)}`);
      if (/\(node:\d+\)|\bWarning: |--trace-warnings/.test(r.stderr)) bad(`a raw Node warning on stderr: ${r.stderr.slice(0, 300)}`);
      if (r.code === 2) {
        if (r.stdout !== '') bad('exit 2 with output on stdout');
        if (packFile && !r.stderr.includes(`${packFile}:`)) bad(`exit 2 for a pack, but stderr does not locate it in ${packFile}: ${r.stderr.slice(0, 300)}`);
      } else if (r.code === 0 || r.code === 1 || r.code === 3) {
        let json: {
          items?: {id: string; status: string; message: string; evidence: {file?: string | null; line?: number | null}[]}[];
          problems?: {file: string; line?: number | null; message: string}[];
        };
        try {
          json = JSON.parse(r.stdout);
        } catch (err) {
          bad(`stdout is not JSON (exit ${r.code}): ${describeError(err)}: ${r.stdout.slice(0, 200)}`);
          return;
        }
        if (!Array.isArray(json.items)) bad('the JSON report has no items');
        const mutated = deploymentFiles(c).mutated;
        const whole = (file: string | null | undefined) => !!file && (file !== mutated || c.bytes.length > MAX_DEPLOYMENT_FILE_BYTES);
        for (const i of json.items ?? []) {
          if (i.status !== 'error') continue;
          if (/could not run/.test(i.message)) bad(`${i.id} crashed: ${i.message.slice(0, 300)}`);
          else if (/did not finish within/.test(i.message)) continue;
          else if (!i.evidence.some((e) => e.file && ((e.line ?? 0) >= 1 || whole(e.file))))
            bad(`${i.id}: error without a located file: ${i.message.slice(0, 300)}`);
        }
        for (const p of json.problems ?? []) if (!p.line && !whole(p.file)) bad(`problem without a line: ${p.file}: ${p.message.slice(0, 300)}`);
      }
      if (ids) t.diagnostic(`${describeCase(c)}: exit ${r.code} in ${Math.round(ms)} ms\n${r.stderr.slice(0, 2000)}`);
    };
    // Two at a time: this is sized for a 2-core machine.
    let next = 0;
    const worker = async () => {
      while (next < queue.length && (ids || performance.now() - started < budgetB)) await one(queue[next++]!);
    };
    await Promise.all([worker(), worker()]);
    const elapsed = (performance.now() - started) / 1000;
    const line = `fuzz (b) seed ${SEED}: ${ran} CLI runs in ${elapsed.toFixed(1)} s (${exits}); findings ${findings.length}; slowest ${Math.round(slowest.ms)} ms: ${slowest.c ? describeCase(slowest.c) : '-'}`;
    t.diagnostic(line);
    assert.equal(findings.length, 0, `${findings.length} findings:\n${report(findings)}`);
  });
});

describe('fuzz findings: minimal reproducers (known failures skipped until fixed; then drop the skip and the KNOWN cases)', () => {
  /** CPU time of fn in this process, ms. */
  const cpuOf = async (fn: () => unknown): Promise<number> => {
    const before = process.cpuUsage();
    await fn();
    const used = process.cpuUsage(before);
    return (used.user + used.system) / 1000;
  };

  // F1, fixed since (13801b3): Context.lenientEnv scanned every line for every key. Cases a123,
  // a186, a613, a674, a950, a1061 and a1330 of the default seed found it (5,000 keys 6 s of CPU,
  // 20,000 a hang); kept as a regression test.
  test('F1 (fixed): a .env with one bad line and 10,000 keys beside a Compose file: the Compose model is built in well under a second', async () => {
    const dir = tempDir();
    writeFiles(dir, {
      'docker-compose.yml': 'services:\n  a:\n    image: x\n',
      '.env': `BROKEN\n${Array.from({length: 10_000}, (_, k) => `K${k}=v`).join('\n')}\n`,
    });
    const ms = await cpuOf(() => contextFor(dir).compose());
    assert.ok(ms < 1000, `${Math.round(ms)} ms of CPU`);
  });

  // F3, fixed since: nodeAt (src/sources/yamlDoc.ts) did not follow aliases or merge keys, so a
  // refused value that came from an anchor had no line (case a1433 of the default seed).
  test('F3 (fixed): a refused Compose value reached through an alias or a merge key is located at a line', async () => {
    for (const text of [
      // environment: an alias to a list holding a number (line 6: the alias; line 2: the entry)
      'x-s: &s\n  - 1\nservices:\n  api:\n    image: x\n    environment: *s\n',
      // the same entry brought in by a merge key
      'x-base: &base\n  image: x\n  environment:\n    - 1\nservices:\n  api:\n    <<: *base\n',
      // a port that is a list, through a merge key
      'x-base: &base\n  image: x\n  ports:\n    - [1]\nservices:\n  api:\n    <<: *base\n',
      // a service that is an alias to a scalar
      'x-s: &s\n  api: 1\nservices: *s\n',
    ]) {
      const dir = tempDir();
      writeFiles(dir, {'compose.yaml': text});
      await assert.rejects(contextFor(dir).compose(), (err) => {
        assert.ok(err instanceof SourceError, describeError(err));
        assert.equal(locatedSourceError(err, 'compose.yaml', text), undefined, JSON.stringify(text));
        return true;
      });
    }
  });

  // F4, fixed since: zod gathers a list's issues with push(...issues), and 40,000 bad items overflowed
  // the stack (case a2338); the loader now validates the first entries of each list instead.
  test('F4 (fixed): a pack with 40,000 invalid items is refused with located problems, not a RangeError', () => {
    const text = `schema: 1\nid: demo\ntitle: Demo\nversion: 1.0.0\ndescription: d\nsections:\n  - id: s\n    title: S\n    items:\n${'      - id: x\n'.repeat(40_000)}`;
    assert.throws(
      () => parsePack(text, 'pack.yaml', CHECKS),
      (err) => {
        assert.ok(err instanceof PackLoadError, describeError(err));
        assert.ok(err.problems.length > 0 && err.problems.every((p) => p.file === 'pack.yaml' && p.line >= 10 && p.line <= maxLine(text)));
        return true;
      },
    );
  });

  test('F2: a 4 MB Compose file (under the 4 MiB cap) of 230,000 keys is read, or refused with its place, within the bound', {skip: F2}, async () => {
    const text = `services:\n  a:\n    image: x\n${Array.from({length: 230_000}, (_, k) => `x-k${k}: v${k}`).join('\n')}\n`;
    assert.ok(Buffer.byteLength(text) < MAX_DEPLOYMENT_FILE_BYTES);
    const ms = await cpuOf(() => {
      try {
        parseYaml(text, 'compose.yaml');
      } catch (err) {
        assert.ok(err instanceof SourceError, describeError(err));
        assert.equal(locatedSourceError(err, 'compose.yaml', text), undefined);
      }
    });
    assert.ok(ms < CASE_MS, `${Math.round(ms)} ms of CPU`);
  });
});
