// How many git processes one `shipshape check` starts, counted through a PATH shim (a `git`
// script first on PATH that logs its arguments and runs the real git), so that a check asking
// git the same thing twice fails here rather than only making `npm run bench` slower. Not timed.
//
// Before the per-run git context (src/engine/git.ts) this deployment took 14 git processes:
// five identical `rev-parse --is-inside-work-tree`, two `rev-list --all --objects`, two
// `cat-file --batch`, two `git log --all` walks, and more.
import assert from 'node:assert/strict';
import {execFileSync, spawn} from 'node:child_process';
import {chmodSync, readFileSync, writeFileSync} from 'node:fs';
import {delimiter, join} from 'node:path';
import {describe, test} from 'node:test';
import {globMatcher} from '../../src/engine/git.js';
import {git, gitInit, lines, REPO, tempDir, writeFiles} from '../support/helpers.js';

const realGit = execFileSync('sh', ['-c', 'command -v git'], {encoding: 'utf8'}).trim();

/** A `git` that appends its arguments (one line per process) to `log`, then runs the real one. */
function shim(): {bin: string; log: string} {
  const bin = tempDir('shipshape-git-shim-');
  const log = join(bin, 'calls.log');
  const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  writeFileSync(join(bin, 'git'), lines('#!/bin/sh', `printf '%s\\n' "$*" >> ${q(log)}`, `exec ${q(realGit)} "$@"`));
  chmodSync(join(bin, 'git'), 0o755);
  writeFileSync(log, '');
  return {bin, log};
}

/** `shipshape check` from the sources (no build needed), as its own process. */
function check(dir: string, env: Record<string, string>): Promise<{code: number | null; stdout: string; stderr: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'src', 'cli.ts'), 'check', '--format', 'json', '--pack', 'the0', '--dir', dir], {
      cwd: REPO,
      env: {...process.env, NO_COLOR: '1', ...env},
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`check did not finish in 60 s\n${stderr}`));
    }, 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({code, stdout, stderr});
    });
  });
}

/** The git subcommand of a logged call (`-c core.quotePath=off log …` is `log`). */
function subcommand(call: string): string {
  const words = call.split(' ');
  let i = 0;
  while (words[i] === '-c') i += 2;
  return words[i] ?? '';
}

describe('git processes per check', () => {
  test('one check on a small deployment asks git each thing once: 6 processes', async () => {
    // A deployment in its own repository: a Compose file (committed, one password written into
    // it, so the history search has a hit to place) and a .env (ignored).
    const dir = tempDir('shipshape-small-');
    writeFiles(dir, {
      '.gitignore': '.env\n',
      '.env': lines(
        'POSTGRES_PASSWORD=Vq7Lr2Xc9Tn4Hs8Kd3Wm6Bz1Pf5Gy0Ja',
        'JWT_SECRET=k3Jd8Qm2Lx9Vb4Np7Rt1Wz6Hc0Fy5Gs',
        'MINIO_ROOT_PASSWORD=Mn7Bv2Cx9Zl4Kj8Hg3Fd6Sa1Qw5Er0Ty',
      ),
      'docker-compose.yml': lines(
        'services:',
        '  postgres:',
        '    image: postgres:15-alpine',
        '    environment:',
        '      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}',
        '  minio:',
        '    image: minio/minio:RELEASE.2025-09-07T16-13-09Z',
        '    environment:',
        '      MINIO_ROOT_PASSWORD: Mn7Bv2Cx9Zl4Kj8Hg3Fd6Sa1Qw5Er0Ty',
      ),
    });
    gitInit(dir);
    git(dir, 'add', '.gitignore', 'docker-compose.yml');
    git(dir, 'commit', '-q', '-m', 'deployment');

    const {bin, log} = shim();
    const r = await check(dir, {PATH: `${bin}${delimiter}${process.env.PATH ?? ''}`, HOME: tempDir('shipshape-home-')});
    assert.ok(r.code === 0 || r.code === 1, `check exited ${r.code}: ${r.stderr}`);
    const report = JSON.parse(r.stdout) as {items: {id: string; status: string; message: string}[]};
    // The git checks did run (and the history search found the committed password).
    const history = report.items.find((i) => i.id === 'secrets-not-in-history');
    assert.equal(history?.status, 'fail', history?.message);

    const calls = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    const kinds = calls.map(subcommand).sort();
    assert.deepEqual(
      kinds,
      ['cat-file', 'check-ignore', 'log', 'ls-files', 'rev-list', 'rev-parse'],
      `git was started ${calls.length} times:\n${calls.join('\n')}`,
    );
  });
});

describe('pathspecs matched in-process agree with git', () => {
  test('`:(glob)` patterns select the same files as `git ls-files`', () => {
    const dir = tempDir('shipshape-pathspec-');
    const files = [
      '.env',
      '.env.example',
      'a/.env',
      'a/b/.env',
      'a/b/c.env',
      'env',
      'x.env',
      'secrets/a.key',
      'secrets/deep/b.key',
      'secretsx/c.key',
      'deploy/the0/.env',
      'deploy/the0/values.yaml',
      'my dir/.env',
      'notes.env.md',
      'k8s/secret.yaml',
    ];
    writeFiles(dir, Object.fromEntries(files.map((f) => [f, 'x\n'])));
    gitInit(dir);
    git(dir, 'add', '-f', '--', ...files);
    const patterns = [
      '.env',
      '**/.env',
      '*.env',
      '**/*.env',
      '*/.env',
      'a/**',
      'a/**/.env',
      'secrets',
      'secrets/',
      'secrets/*.key',
      '**/*.key',
      's*',
      'a/b',
      '?.env',
      '.env*',
      'deploy/the0',
      '**',
      'my dir/.env',
      '**/secret.yaml',
      'a/***/.env',
      '**.env',
    ];
    for (const p of patterns) {
      const match = globMatcher(p);
      assert.ok(match, `no in-process matcher for ${p}`);
      const byGit = git(dir, 'ls-files', '-z', '--', `:(glob)${p}`).split('\0').filter(Boolean).sort();
      assert.deepEqual(files.filter(match).sort(), byGit, `pattern ${p}`);
    }
    // What only git can match goes to git.
    for (const p of ['[ab]/.env', 'a\\*', '../x', './.env', '/abs', 'a//b']) assert.equal(globMatcher(p), undefined, p);
  });
});
