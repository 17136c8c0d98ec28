// git.never-committed, git.value-never-committed and git.clean against real git repositories in
// temp dirs, including one of 3,000 commits built with `git fast-import`.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {chmodSync, existsSync, readFileSync, writeFileSync} from 'node:fs';
import {delimiter, join} from 'node:path';
import {describe, test} from 'node:test';
import {CHECKS} from '../../src/checks/index.js';
import {redact} from '../../src/engine/redact.js';
import type {CheckResult} from '../../src/model/types.js';
import {git, gitInit, gitRepo, lines, places, runCheck, tempDir, writeFiles} from '../support/helpers.js';

// Checks run git with our HOME: point it at an empty dir so no personal git config takes part.
process.env.HOME = tempDir('shipshape-home-');

function assertNoLeak(r: CheckResult, values: readonly string[]): void {
  const text = JSON.stringify(r);
  for (const v of values) assert.ok(!text.includes(v), `a secret value (${v.length} chars) appears in the result`);
}

const short = (d: string, rev: string) => git(d, 'rev-parse', '--short', rev).trim();
const day = (d: string, rev: string) => git(d, 'log', '-1', '--format=%cs', rev).trim();

// ---------------------------------------------------------------------------------------------

describe('git.never-committed', () => {
  test('a .env committed and then deleted still fails, naming the commit that added it', async () => {
    const d = gitRepo({'.env': 'A=1\n'}, ['.env']);
    const added = short(d, 'HEAD');
    git(d, 'rm', '-q', '--', '.env');
    git(d, 'commit', '-q', '-m', 'remove .env');
    const r = await runCheck('git.never-committed', d, {paths: ['.env']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['.env', undefined, undefined]]);
    assert.equal(r.evidence[0]!.detail, `first committed in ${added} (${day(d, added)}); no longer tracked, but still in history`);
    assert.match(r.message, /does not remove them from history/);
  });

  test('a still tracked file says so; the first of several adds is named', async () => {
    const d = gitRepo({'secrets/a.key': 'k1\n'}, ['secrets/a.key']);
    const first = short(d, 'HEAD');
    git(d, 'rm', '-q', '--', 'secrets/a.key');
    git(d, 'commit', '-q', '-m', 'rm');
    writeFiles(d, {'secrets/a.key': 'k2\n'});
    git(d, 'add', '--', 'secrets/a.key');
    git(d, 'commit', '-q', '-m', 'again');
    const r = await runCheck('git.never-committed', d, {paths: ['**/*.key']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['secrets/a.key', undefined, undefined]]);
    assert.match(r.evidence[0]!.detail, new RegExp(`^first committed in ${first} \\(\\d{4}-\\d\\d-\\d\\d\\); still tracked$`));
  });

  test('a file renamed into a forbidden name counts as added under that name', async () => {
    const d = gitRepo({'env.txt': 'A=1\n'}, ['env.txt']);
    git(d, 'mv', 'env.txt', '.env');
    git(d, 'commit', '-q', '-m', 'rename');
    const r = await runCheck('git.never-committed', d, {paths: ['.env']});
    assert.equal(r.status, 'fail');
    assert.match(r.evidence[0]!.detail, new RegExp(`^first committed in ${short(d, 'HEAD')} `));
  });

  test('a commit on another branch only counts (every ref is read)', async () => {
    const d = gitRepo({});
    git(d, 'checkout', '-q', '-b', 'side');
    writeFiles(d, {'.env': 'A=1\n'});
    git(d, 'add', '--', '.env');
    git(d, 'commit', '-q', '-m', 'on side');
    const side = short(d, 'HEAD');
    git(d, 'checkout', '-q', 'main');
    const r = await runCheck('git.never-committed', d, {paths: ['.env']});
    assert.equal(r.status, 'fail');
    assert.match(r.evidence[0]!.detail, new RegExp(`^first committed in ${side} .*no longer tracked`));
  });

  test('never committed (only ignored or untracked) passes', async () => {
    const d = gitRepo({'.gitignore': '.env\n', '.env': 'A=1\n', 'local.key': 'x\n'}, ['.gitignore']);
    const r = await runCheck('git.never-committed', d, {paths: ['.env', '**/*.key']});
    assert.equal(r.status, 'pass');
    assert.deepEqual(r.evidence, []);
  });

  test('in a subdirectory of the repository, paths are its own', async () => {
    const d = gitRepo({'deploy/the0/.env': 'A=1\n', 'other/.env': 'B=2\n'}, ['deploy/the0/.env', 'other/.env']);
    const r = await runCheck('git.never-committed', join(d, 'deploy', 'the0'), {paths: ['**/.env']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['.env', undefined, undefined]]);
    assert.match(r.evidence[0]!.detail, /still tracked$/);
  });

  test('not a repository => skip; bad params => error', async () => {
    assert.equal((await runCheck('git.never-committed', tempDir(), {paths: ['.env']})).status, 'skip');
    assert.equal((await runCheck('git.never-committed', gitRepo({}), {paths: []})).status, 'error');
    assert.equal(CHECKS.get('git.never-committed')!.params.safeParse({paths: ['.env'], x: 1}).success, false);
  });
});

// ---------------------------------------------------------------------------------------------

describe('git.clean', () => {
  test('modified, staged, deleted, renamed and untracked files each fail with their state', async () => {
    const d = gitRepo({'a.txt': 'a\n', 'b.txt': 'b\n', 'c.txt': 'c\n', 'd.txt': 'd\n', '.gitignore': '*.log\n'}, [
      'a.txt',
      'b.txt',
      'c.txt',
      'd.txt',
      '.gitignore',
    ]);
    writeFiles(d, {'a.txt': 'changed\n', 'b.txt': 'staged\n', 'new.txt': 'n\n', 'debug.log': 'ignored\n'});
    git(d, 'add', '--', 'b.txt');
    git(d, 'rm', '-q', '--', 'c.txt');
    git(d, 'mv', 'd.txt', 'e.txt');
    const r = await runCheck('git.clean', d, {});
    assert.equal(r.status, 'fail');
    assert.deepEqual(
      r.evidence.map((e) => [e.file, e.detail]),
      [
        ['a.txt', 'modified, not staged'],
        ['b.txt', 'staged: modified'],
        ['c.txt', 'staged: deleted'],
        ['e.txt', 'staged: renamed (from d.txt)'],
        ['new.txt', 'untracked'],
      ],
    );
    const tracked = await runCheck('git.clean', d, {untracked: false});
    assert.deepEqual(
      tracked.evidence.map((e) => e.file),
      ['a.txt', 'b.txt', 'c.txt', 'e.txt'],
    );
    const only = await runCheck('git.clean', d, {paths: ['a.txt', '*.log']});
    assert.deepEqual(
      only.evidence.map((e) => e.file),
      ['a.txt'],
    );
  });

  test('a clean tree passes; ignored files do not count', async () => {
    const d = gitRepo({'.gitignore': '.env\n', '.env': 'A=1\n'}, ['.gitignore']);
    const r = await runCheck('git.clean', d, {});
    assert.equal(r.status, 'pass');
    assert.deepEqual(r.evidence, []);
  });

  test('in a subdirectory: only its changes, with its own paths', async () => {
    const d = gitRepo({'deploy/values.yaml': 'a: 1\n', 'other.txt': 'o\n'}, ['deploy/values.yaml', 'other.txt']);
    writeFiles(d, {'deploy/values.yaml': 'a: 2\n', 'other.txt': 'changed\n', 'deploy/rendered/all.yaml': 'x: 1\n'});
    const r = await runCheck('git.clean', join(d, 'deploy'), {});
    assert.equal(r.status, 'fail');
    assert.deepEqual(
      r.evidence.map((e) => [e.file, e.detail]),
      [
        ['values.yaml', 'modified, not staged'],
        ['rendered/all.yaml', 'untracked'],
      ],
    );
  });

  test('not a repository => skip; bad params => error', async () => {
    assert.equal((await runCheck('git.clean', tempDir(), {})).status, 'skip');
    assert.equal((await runCheck('git.clean', gitRepo({}), {paths: []})).status, 'error');
    assert.equal((await runCheck('git.clean', gitRepo({}), {untracked: 'no'})).status, 'error');
  });
});

// ---------------------------------------------------------------------------------------------

const PG = 'S3cr3t-Pg-Passw0rd-9f2c';
const JWT = 'jwt-8d1f0b6e7a5c4d3b2a19f8e7d6c5b4a3';

describe('git.value-never-committed', () => {
  test('a value committed in an old version of a file fails with the key, commit and path, never the value', async () => {
    const d = gitRepo(
      {
        '.gitignore': '.env\n',
        '.env': `POSTGRES_PASSWORD=${PG}\n`,
        'compose.yaml': lines('services:', '  db:', '    image: postgres:16', `    environment: {POSTGRES_PASSWORD: ${PG}}`),
      },
      ['.gitignore', 'compose.yaml'],
    );
    const leaked = short(d, 'HEAD');
    writeFiles(d, {'compose.yaml': lines('services:', '  db:', '    image: postgres:16', '    env_file: .env')});
    git(d, 'commit', '-q', '-am', 'read the password from .env');
    const r = await runCheck('git.value-never-committed', d, {keys: ['POSTGRES_PASSWORD']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['compose.yaml', undefined, 'POSTGRES_PASSWORD']]);
    assert.equal(r.evidence[0]!.detail, `the value (${redact(PG)}) is in compose.yaml, committed in ${leaked} (${day(d, leaked)})`);
    assert.match(r.message, /POSTGRES_PASSWORD was committed/);
    assertNoLeak(r, [PG]);
  });

  test('base64 in a committed Secret is found; base64: false does not look for it', async () => {
    const b64 = Buffer.from(PG).toString('base64');
    const d = gitRepo(
      {
        '.gitignore': '.env\n',
        '.env': `POSTGRES_PASSWORD=${PG}\n`,
        'k8s/secret.yaml': lines('apiVersion: v1', 'kind: Secret', 'metadata: {name: db}', 'data:', `  password: ${b64}`),
      },
      ['.gitignore', 'k8s/secret.yaml'],
    );
    const r = await runCheck('git.value-never-committed', d, {keys: ['POSTGRES_PASSWORD']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['k8s/secret.yaml', undefined, 'POSTGRES_PASSWORD']]);
    assert.match(r.evidence[0]!.detail, / is base64-encoded in k8s\/secret\.yaml, committed in /);
    assertNoLeak(r, [PG, b64]);
    assert.equal((await runCheck('git.value-never-committed', d, {keys: ['POSTGRES_PASSWORD'], base64: false})).status, 'pass');
  });

  test('the password inside a URL and a Helm value are searched too', async () => {
    const d = gitRepo(
      {
        '.gitignore': '.env\nvalues.local.yaml\n',
        '.env': `DATABASE_URL=postgres://the0:${PG}@db:5432/the0\n`,
        'values.local.yaml': lines('the0Api:', '  env:', `    JWT_SECRET: ${JWT}`),
        'docs/notes.md': 'nothing here\n',
      },
      ['.gitignore', 'docs/notes.md'],
    );
    const params = {urls: ['DATABASE_URL'], helm: ['the0Api.env.JWT_SECRET']};
    const files = {helmValues: ['values.local.yaml']};
    const ok = await runCheck('git.value-never-committed', d, params, files);
    assert.equal(ok.status, 'pass');
    assert.deepEqual(
      ok.evidence.map((e) => e.key),
      ['DATABASE_URL (password in URL)', 'the0Api.env.JWT_SECRET'],
    );
    assert.match(ok.message, /in none of the \d+ files committed on any branch or tag/);
    assertNoLeak(ok, [PG, JWT]);

    writeFiles(d, {'docs/notes.md': `debug token ${JWT} remove later\n`});
    git(d, 'commit', '-q', '-am', 'notes');
    const r = await runCheck('git.value-never-committed', d, params, files);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['docs/notes.md', undefined, 'the0Api.env.JWT_SECRET']]);
    assertNoLeak(r, [PG, JWT]);
  });

  test("with the chart's own database off, only the outside password is searched, and the message says why", async () => {
    // The chart's in-cluster default is committed (it is in every clone of the chart), but the
    // deployment connects to an outside database: that unused value must not fail the item.
    const unused = 'the0-in-cluster-default-pw';
    const d = gitRepo(
      {
        '.gitignore': 'values.prod.yaml\n',
        'k8s/values.yaml': lines('postgresql:', '  enabled: true', `  password: ${unused}`),
        'values.prod.yaml': lines('postgresql:', '  enabled: false', '  external:', `    password: ${PG}`),
      },
      ['.gitignore', 'k8s/values.yaml'],
    );
    const files = {helmValues: ['k8s/values.yaml', 'values.prod.yaml']};
    const inUse = [{when: 'postgresql.enabled', inCluster: ['postgresql.password'], external: ['postgresql.external.password']}];
    const params = {helm: ['postgresql.password'], inUse};
    const ok = await runCheck('git.value-never-committed', d, params, files);
    assert.equal(ok.status, 'pass', ok.message);
    assert.deepEqual(
      ok.evidence.map((e) => e.key),
      ['postgresql.external.password', 'postgresql.enabled'],
    );
    assert.match(ok.evidence[1]!.detail ?? '', /postgresql\.password is not used/);
    // Without the rule the unused default is found: the rule is what keeps it out.
    assert.equal((await runCheck('git.value-never-committed', d, {helm: ['postgresql.password']}, files)).status, 'fail');

    writeFiles(d, {'notes.md': `prod db ${PG}\n`});
    git(d, 'add', 'notes.md');
    git(d, 'commit', '-q', '-m', 'notes');
    const r = await runCheck('git.value-never-committed', d, params, files);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['notes.md', undefined, 'postgresql.external.password'],
      // Why that value, and not the chart's, was searched for.
      ['values.prod.yaml', 2, 'postgresql.enabled'],
    ]);
    assertNoLeak(r, [PG, unused]);
  });

  test('a value at the end of a 3 MB blob is found; maxBlobBytes below its size skips it', async () => {
    const big = `${'x'.repeat(99)}\n`.repeat(30_000) + `tail ${PG}\n`;
    const d = gitRepo({'.gitignore': '.env\n', '.env': `POSTGRES_PASSWORD=${PG}\n`, 'dump.sql': big}, ['.gitignore', 'dump.sql']);
    const r = await runCheck('git.value-never-committed', d, {keys: ['POSTGRES_PASSWORD']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['dump.sql', undefined, 'POSTGRES_PASSWORD']]);
    assertNoLeak(r, [PG]);
    assert.equal((await runCheck('git.value-never-committed', d, {keys: ['POSTGRES_PASSWORD'], maxBlobBytes: 1_000_000})).status, 'pass');
  });

  test('a hit outside the deployment directory is reported by its repository path', async () => {
    const d = gitRepo({'deploy/.gitignore': '.env\n', 'deploy/.env': `POSTGRES_PASSWORD=${PG}\n`, 'scripts/setup.sh': `psql "password=${PG}"\n`}, [
      'deploy/.gitignore',
      'scripts/setup.sh',
    ]);
    const r = await runCheck('git.value-never-committed', join(d, 'deploy'), {keys: ['POSTGRES_PASSWORD']});
    assert.equal(r.status, 'fail');
    assert.equal(r.evidence[0]!.file, undefined);
    assert.match(r.evidence[0]!.detail, /in scripts\/setup\.sh \(repository path, outside this deployment\)/);
    assertNoLeak(r, [PG]);
  });

  test('short, empty and unset values are not searched', async () => {
    const d = gitRepo({'.gitignore': '.env\n', '.env': 'SHORT=abc12\nEMPTY=\n', 'x.txt': 'abc12\n'}, ['.gitignore', 'x.txt']);
    const s = await runCheck('git.value-never-committed', d, {keys: ['SHORT']});
    assert.equal(s.status, 'skip');
    assert.match(s.evidence[0]!.detail, /not searched: shorter than 8 characters/);
    assertNoLeak(s, ['abc12']);
    assert.equal((await runCheck('git.value-never-committed', d, {keys: ['SHORT'], minLength: 5})).status, 'fail');
    assert.equal((await runCheck('git.value-never-committed', d, {keys: ['EMPTY', 'UNSET']})).status, 'skip');
  });

  test('not a repository => skip; bad params => error', async () => {
    const d = tempDir();
    writeFiles(d, {'.env': `POSTGRES_PASSWORD=${PG}\n`});
    const r = await runCheck('git.value-never-committed', d, {keys: ['POSTGRES_PASSWORD']});
    assert.equal(r.status, 'skip');
    assert.match(r.message, /not inside a git repository/);
    assert.equal((await runCheck('git.value-never-committed', d, {keys: ['POSTGRES_PASSWORD'], minLength: 0})).status, 'error');
    assert.equal(CHECKS.get('git.value-never-committed')!.params.safeParse({keys: ['bad key']}).success, false);
  });

  test('the value reaches no process: not in the argv, environment or stdin of any git run', async () => {
    // A logging wrapper first on PATH records every git the check starts (argv, environment,
    // stdin) and then runs the real git: a process-level view of what leaves this process.
    const realGit = execFileSync('sh', ['-c', 'command -v git'], {encoding: 'utf8'}).trim();
    const bin = tempDir('shipshape-bin-');
    const log = join(bin, 'calls.log');
    const stdin = join(bin, 'stdin.log');
    writeFileSync(
      join(bin, 'git'),
      lines(
        '#!/bin/sh',
        `printf 'argv:' >> '${log}'`,
        `for a in "$@"; do printf ' [%s]' "$a" >> '${log}'; done`,
        `printf '\\n' >> '${log}'`,
        `env >> '${log}'`,
        `tee -a '${stdin}' | '${realGit}' "$@"`,
      ),
    );
    chmodSync(join(bin, 'git'), 0o755);
    const b64 = Buffer.from(PG).toString('base64');
    const d = gitRepo({'.gitignore': '.env\n', '.env': `POSTGRES_PASSWORD=${PG}\nJWT_SECRET=${JWT}\n`, 'old.yaml': `password: ${PG}\n`}, [
      '.gitignore',
      'old.yaml',
    ]);
    git(d, 'rm', '-q', 'old.yaml');
    git(d, 'commit', '-q', '-m', 'rm');
    const saved = process.env.PATH;
    process.env.PATH = `${bin}${delimiter}${saved ?? ''}`;
    let fail: CheckResult;
    let pass: CheckResult;
    try {
      fail = await runCheck('git.value-never-committed', d, {keys: ['POSTGRES_PASSWORD']});
      pass = await runCheck('git.value-never-committed', d, {keys: ['JWT_SECRET']});
    } finally {
      process.env.PATH = saved;
    }
    assert.equal(fail.status, 'fail');
    assert.equal(pass.status, 'pass');
    const calls = readFileSync(log, 'utf8');
    assert.match(calls, /argv: \[rev-list\] \[--all\]/);
    assert.match(calls, /argv: \[cat-file\] \[--batch=/);
    assert.ok(existsSync(stdin) && readFileSync(stdin, 'utf8').includes(' old.yaml'), 'cat-file was fed object ids and paths');
    for (const text of [calls, readFileSync(stdin, 'utf8')]) {
      for (const v of [PG, JWT, b64]) assert.ok(!text.includes(v), 'a secret value reached a git process');
    }
    assertNoLeak(fail, [PG, JWT]);
    assertNoLeak(pass, [PG, JWT]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('history of 3,000 commits', () => {
  // Built with `git fast-import`: one stream, well under a second, instead of 3,000 `git commit`s.
  const SECRET = 'Old-Leak-7c9e2b41d0a84f36b5e1';
  const d = tempDir();
  gitInit(d);
  const data = (s: string) => `data ${Buffer.byteLength(s)}\n${s}\n`;
  const who = (i: number) => `committer Test <test@example.invalid> ${1_600_000_000 + i * 60} +0000\n`;
  const parts: string[] = [];
  for (let i = 1; i <= 3000; i++) {
    const body = `file ${i % 200} version ${i}\n`.repeat(40);
    parts.push(
      `commit refs/heads/main\nmark :${i}\n${who(i)}${data(`change ${i}`)}${i > 1 ? `from :${i - 1}\n` : ''}M 100644 inline src/f${i % 200}.txt\n${data(body)}`,
    );
    if (i === 1) parts.push(`M 100644 inline .gitignore\n${data('.env\n')}`);
    if (i === 120) {
      // An old branch that committed a .env with the secret and then deleted it.
      parts.push(
        `commit refs/heads/old-feature\nmark :9001\n${who(i)}${data('try config')}from :120\nM 100644 inline config/.env\n${data(`DB_PASSWORD=${SECRET}\n`)}`,
      );
      parts.push(`commit refs/heads/old-feature\nmark :9002\n${who(i + 1)}${data('oops')}from :9001\nD config/.env\n`);
    }
  }
  const started = performance.now();
  execFileSync('git', ['fast-import', '--quiet'], {cwd: d, input: parts.join('')});
  git(d, 'reset', '-q', '--hard');
  const buildMs = performance.now() - started;
  writeFiles(d, {'.env': `DB_PASSWORD=${SECRET}\nOTHER_TOKEN=never-committed-2f4e6a8c0b1d\n`});
  const leak = short(d, 'old-feature~1');

  // Measured on this 2-core machine: each check takes about 0.1-0.4 s here; 3 s leaves room for a slow CI.
  const BOUND_MS = 3_000;
  async function timed(id: string, params: Record<string, unknown>): Promise<CheckResult> {
    const t = performance.now();
    const r = await runCheck(id, d, params);
    const ms = performance.now() - t;
    console.log(`  ${id} on 3,000 commits: ${ms.toFixed(0)} ms (repository built in ${buildMs.toFixed(0)} ms)`);
    assert.ok(ms < BOUND_MS, `${id} took ${ms.toFixed(0)} ms`);
    return r;
  }

  test('the repository is what the tests expect', () => {
    assert.equal(git(d, 'rev-list', '--count', 'main').trim(), '3000');
    assert.equal(git(d, 'ls-files', 'config/.env').trim(), '');
  });

  test('git.never-committed finds the .env in an old commit of a non-default branch', async () => {
    const r = await timed('git.never-committed', {paths: ['**/.env']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(r.evidence, [{file: 'config/.env', detail: `first committed in ${leak} (${day(d, leak)}); no longer tracked, but still in history`}]);
    assert.equal((await timed('git.never-committed', {paths: ['**/*.pem']})).status, 'pass');
  });

  test('git.value-never-committed finds the value there, and reads every blob when it is nowhere', async () => {
    const r = await timed('git.value-never-committed', {keys: ['DB_PASSWORD']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['config/.env', undefined, 'DB_PASSWORD']]);
    assert.match(r.evidence[0]!.detail, new RegExp(`in config/\\.env, committed in ${leak} \\(`));
    assertNoLeak(r, [SECRET]);
    const none = await timed('git.value-never-committed', {keys: ['OTHER_TOKEN']});
    assert.equal(none.status, 'pass');
    assert.match(none.message, /in none of the 3002 files/);
  });

  test('git.clean', async () => {
    assert.equal((await timed('git.clean', {})).status, 'pass');
  });
});
