// Shared test helpers: real temp directories, real git, real files. Nothing here fakes a result.
import assert from 'node:assert/strict';
import {execFileSync, spawn} from 'node:child_process';
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import type {AddressInfo, Server, Socket} from 'node:net';
import {tmpdir} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import {after} from 'node:test';
import {CHECKS} from '../../src/checks/index.js';
import {Context} from '../../src/engine/context.js';
import {runStep} from '../../src/engine/run.js';
import type {CheckResult, Evidence} from '../../src/model/types.js';
import {PackSchema, type Pack} from '../../src/pack/schema.js';

export const REPO = resolve(import.meta.dirname, '..', '..');
export const CLI = join(REPO, 'dist', 'cli.cjs');

const made: string[] = [];
after(() => {
  for (const d of made) rmSync(d, {recursive: true, force: true});
});

/** A fresh directory under the system temp dir, removed when the test file ends. */
export function tempDir(prefix = 'shipshape-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

/** Writes files (relative path -> text) under dir, creating folders. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    const p = join(dir, rel);
    mkdirSync(dirname(p), {recursive: true});
    writeFileSync(p, text);
  }
}

/** Runs git in dir with a fixed identity and no global config. */
export function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd: dir,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      HOME: dir,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'Test',
      GIT_AUTHOR_EMAIL: 'test@example.invalid',
      GIT_COMMITTER_NAME: 'Test',
      GIT_COMMITTER_EMAIL: 'test@example.invalid',
    },
  });
}

export function gitInit(dir: string): void {
  git(dir, 'init', '-q', '-b', 'main');
}

/** A minimal pack around the given `files` settings, for building a Context. */
export function testPack(files: Record<string, unknown> = {}, inputs: unknown[] = []): Pack {
  return PackSchema.parse({
    schema: 1,
    id: 'test',
    title: 'Test pack',
    version: '1.0.0',
    description: 'test',
    files,
    inputs,
    sections: [{id: 's', title: 'S', items: [{id: 'i', title: 'T', why: 'w', how: 'h', severity: 'low', source: {system: 'x', section: 'y'}, confirm: 'ok?'}]}],
  });
}

export function contextFor(dir: string, files: Record<string, unknown> = {}, inputs: Record<string, string> = {}): Context {
  return new Context(dir, testPack(files), inputs);
}

/** Runs one registered check against dir, validating params exactly as a pack would. */
export async function runCheck(
  id: string,
  dir: string,
  params: Record<string, unknown> = {},
  files: Record<string, unknown> = {},
  timeoutMs = 10_000,
): Promise<CheckResult> {
  const def = CHECKS.get(id);
  if (!def) throw new Error(`no check ${id}`);
  return runStep(def, contextFor(dir, files), params, timeoutMs);
}

export interface Spawned {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a separate process (build first: npm test does). */
export function runCli(args: string[], opts: {cwd?: string; env?: Record<string, string>; timeoutMs?: number} = {}): Promise<Spawned> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: opts.cwd ?? REPO,
      env: {...process.env, NO_COLOR: '1', ...opts.env},
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`shipshape ${args.join(' ')} did not finish in ${opts.timeoutMs ?? 30_000} ms\n${stderr}`));
    }, opts.timeoutMs ?? 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({code, stdout, stderr});
    });
  });
}

/** File text from lines, ending in a newline. */
export const lines = (...l: string[]) => `${l.join('\n')}\n`;

/** A temp directory holding these files. */
export function dirWith(files: Record<string, string>): string {
  const d = tempDir();
  writeFiles(d, files);
  return d;
}

/** The evidence as [file, line, key] triples, for exact comparison. */
export function places(r: CheckResult): [string | undefined, number | undefined, string | undefined][] {
  return r.evidence.map((e) => [e.file, e.line, e.key]);
}

/** The evidence at exactly this place; fails the test, listing what there is, when none is. */
export function evidenceAt(r: CheckResult, file: string | undefined, line: number | undefined, key: string): Evidence {
  const e = r.evidence.find((x) => x.file === file && x.line === line && x.key === key);
  assert.ok(e, `no evidence at ${file}:${line} ${key}; got ${JSON.stringify(places(r))}`);
  return e;
}

const servers: Server[] = [];
const sockets = new Set<Socket>();
after(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

/** Starts a real server on a free loopback port; it and its connections close when the file ends. */
export function listen(srv: Server, host = '127.0.0.1'): Promise<number> {
  servers.push(srv);
  srv.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, host, () => resolve((srv.address() as AddressInfo).port));
  });
}

/** A git repository with `files` written and the paths in `commit` (plus README.md) committed. */
export function gitRepo(files: Record<string, string>, commit: string[] = []): string {
  const d = tempDir();
  gitInit(d);
  writeFiles(d, {'README.md': '# deployment\n', ...files});
  git(d, 'add', '--', 'README.md', ...commit);
  git(d, 'commit', '-q', '-m', 'init');
  return d;
}

/** Runs fn with a PATH where no program exists, so every command is really missing. */
export async function withEmptyPath<T>(fn: () => Promise<T>): Promise<T> {
  const saved = process.env.PATH;
  process.env.PATH = tempDir('shipshape-empty-path-');
  try {
    return await fn();
  } finally {
    process.env.PATH = saved;
  }
}

/** The text of a file of a deployment directory. */
export function readRel(dir: string, rel: string): string {
  return readFileSync(join(dir, rel), 'utf8');
}

/** Replaces text in a deployment file, failing the test when the text is not there. */
export function editRel(dir: string, rel: string, from: string | RegExp, to: string): void {
  const text = readRel(dir, rel);
  assert.ok(typeof from === 'string' ? text.includes(from) : from.test(text), `${rel} has no ${String(from)}`);
  writeFileSync(join(dir, rel), text.replace(from, to));
}

/** The 1-based line of the first line of a file that contains `needle`. */
export function lineIn(dir: string, rel: string, needle: string): number {
  const n = readRel(dir, rel)
    .split('\n')
    .findIndex((l) => l.includes(needle));
  assert.ok(n >= 0, `${rel} has no line with ${needle}`);
  return n + 1;
}
