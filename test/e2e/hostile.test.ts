// Hostile filesystems end to end: the built CLI spawned on a copy of the demo with a FIFO or a
// device where a file should be, or with nowhere to keep personal progress. Each run must finish
// (a located error, not a hang), exit with a documented code, and never say "internal error".
// Build first (npm test does). Every run is bounded; none sleeps.
import assert from 'node:assert/strict';
import {execFileSync, spawn} from 'node:child_process';
import {cpSync, existsSync, symlinkSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {CLI, REPO, runCli, tempDir, type Spawned} from '../support/helpers.js';

const DEMO = join(REPO, 'examples', 'the0-compose');
/** A run takes about half a second; a hang is caught well before the test's own bound. */
const RUN = {timeoutMs: 10_000};
const CASE = {timeout: 15_000};

interface JsonItem {
  id: string;
  status: string;
  message: string;
  evidence: {file: string | null; detail: string}[];
}

function demoCopy(): string {
  const d = tempDir('shipshape-hostile-');
  for (const f of ['.env', 'docker-compose.yml']) cpSync(join(DEMO, f), join(d, f));
  return d;
}

function mkfifo(path: string): void {
  execFileSync('mkfifo', [path]);
}

/** Items in error whose evidence names `file`. */
function errorsAt(stdout: string, file: string): JsonItem[] {
  const report = JSON.parse(stdout) as {items: JsonItem[]};
  return report.items.filter((i) => i.status === 'error' && i.evidence.some((e) => e.file === file));
}

function sane(r: Spawned): void {
  assert.ok(r.code !== null && [0, 1, 3].includes(r.code), `exit ${r.code}\n${r.stderr}`);
  assert.doesNotMatch(r.stderr + r.stdout, /internal error/);
}

describe('check never hangs on a FIFO or a device', () => {
  test('.env as a FIFO, no --pack: detection does not block; .env is a located error; the process exits', CASE, async () => {
    const dir = demoCopy();
    execFileSync('rm', [join(dir, '.env')]);
    mkfifo(join(dir, '.env'));
    const r = await runCli(['check', '--dir', dir, '--format', 'json'], RUN);
    sane(r);
    const at = errorsAt(r.stdout, '.env');
    assert.ok(at.length > 0, 'some item is an error located at .env');
    assert.match(at[0]!.message, /^\.env: is a FIFO \(named pipe\), not a regular file/);
    const text = await runCli(['check', '--dir', dir], RUN);
    sane(text);
    assert.match(text.stdout, /Files that could not be read[^\n]*\n {2}\.env: is a FIFO/);
  });

  test('a values file symlinked to /dev/zero: an error naming it, bounded memory, and the process exits', CASE, async () => {
    const dir = demoCopy();
    symlinkSync('/dev/zero', join(dir, 'values-prod.yaml'));
    const r = await runCli(['check', '--dir', dir, '--pack', 'the0', '--format', 'json'], RUN);
    sane(r);
    const at = errorsAt(r.stdout, 'values-prod.yaml');
    assert.ok(at.length > 0, 'some item is an error located at values-prod.yaml');
    assert.match(at[0]!.message, /symbolic link that points outside the deployment \(to \/dev\/zero\)/);
  });

  test('values files symlinked to a FIFO, inside the root and outside it: errors naming them; the process exits', CASE, async () => {
    const dir = demoCopy();
    const outside = tempDir();
    mkfifo(join(dir, 'pipe'));
    mkfifo(join(outside, 'pipe'));
    symlinkSync('pipe', join(dir, 'values-in.yaml'));
    symlinkSync(join(outside, 'pipe'), join(dir, 'values-out.yaml'));
    const r = await runCli(['check', '--dir', dir, '--pack', 'the0', '--format', 'json'], RUN);
    sane(r);
    assert.match(errorsAt(r.stdout, 'values-in.yaml')[0]?.message ?? '', /is a symbolic link to pipe, which is a FIFO/);
    const problems = (JSON.parse(r.stdout) as {problems: {file: string; message: string}[]}).problems;
    assert.match(problems.find((p) => p.file === 'values-out.yaml')?.message ?? '', /^is a symbolic link that points outside the deployment/);
  });

  test("the process exits once its work is done, whatever was left running (a ref'd timer here)", CASE, async () => {
    const dir = demoCopy();
    // Stands in for a socket or read a check abandoned: it would keep Node alive for ever.
    const r = await runCli(['check', '--dir', dir], {...RUN, env: {NODE_OPTIONS: '--import=data:text/javascript,setInterval(()=>{},1000)'}});
    sane(r);
    assert.match(r.stdout, /the0 production readiness/);
  });
});

/** The wizard in --plain mode with its stdin open and given `input`, bounded. */
function plainWizard(args: string[], env: Record<string, string>, input: string): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {env: {...process.env, NO_COLOR: '1', ...env}, stdio: ['pipe', 'pipe', 'pipe']});
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the wizard did not finish\n${stdout}\n${stderr}`));
    }, 10_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({code, stdout, stderr});
    });
    child.stdin.end(input);
  });
}

describe('the wizard where personal progress cannot be kept', () => {
  test('HOME that does not exist (XDG_CONFIG_HOME unset): the walk runs, says progress is not kept, creates no home', CASE, async () => {
    const dir = demoCopy();
    const home = join(tempDir(), 'nonexistent');
    const r = await plainWizard(
      ['--plain', '--as', 'Test', '--dir', dir],
      {HOME: home, XDG_CONFIG_HOME: '', SHIPSHAPE_PROGRESS_DIR: ''},
      '@named-accounts\nc\nq\n',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout + r.stderr, /internal error/);
    assert.match(r.stdout, /Personal progress \(where you left off\) will not be kept this time: the home directory .*nonexistent does not exist/);
    assert.match(r.stdout, /Your answers are still saved in .*shipshape-answers\.json/);
    assert.match(r.stdout, /Summary:/, 'the walk ran to its summary');
    assert.equal(existsSync(home), false, 'no home directory was made');
    assert.ok(existsSync(join(dir, 'shipshape-answers.json')), 'the answer was kept in the deployment');
  });

  test('SHIPSHAPE_PROGRESS_DIR under a regular file: the same, no internal error', CASE, async () => {
    const dir = demoCopy();
    const r = await plainWizard(['--plain', '--as', 'Test', '--dir', dir], {SHIPSHAPE_PROGRESS_DIR: join(dir, '.env', 'progress')}, 'q\n');
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout + r.stderr, /internal error/);
    assert.match(r.stdout, /will not be kept this time: the progress directory .* cannot be created: .*\.env is a regular file, not a directory/);
  });
});
