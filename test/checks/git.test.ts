// git.* checks against real git repositories in temp dirs.
import assert from 'node:assert/strict';
import {mkdirSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {CHECKS} from '../../src/checks/index.js';
import {git, gitRepo, places, runCheck, tempDir, writeFiles} from '../support/helpers.js';

// Checks run git with our HOME: point it at an empty dir so no personal git config
// (core.excludesFile, ~/.config/git/ignore) takes part.
process.env.HOME = tempDir('shipshape-home-');

const ENV = 'POSTGRES_PASSWORD=the0_password\n';

describe('git.not-tracked', () => {
  test('a committed .env fails with its path', async () => {
    const d = gitRepo({'.env': ENV}, ['.env']);
    const r = await runCheck('git.not-tracked', d, {paths: ['.env']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['.env', undefined, undefined]]);
    assert.match(r.evidence[0]!.detail, /tracked by git/);
    assert.ok(!JSON.stringify(r).includes('the0_password'));
  });

  test('a .env that is only staged is tracked too', async () => {
    const d = gitRepo({'.env': ENV});
    git(d, 'add', '--', '.env');
    const r = await runCheck('git.not-tracked', d, {paths: ['.env']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['.env', undefined, undefined]]);
  });

  test('an ignored .env passes', async () => {
    const d = gitRepo({'.gitignore': '.env\n', '.env': ENV}, ['.gitignore']);
    const r = await runCheck('git.not-tracked', d, {paths: ['.env']});
    assert.equal(r.status, 'pass');
    assert.deepEqual(r.evidence, []);
  });

  test('an untracked (not ignored) .env passes', async () => {
    const d = gitRepo({'.env': ENV});
    assert.equal((await runCheck('git.not-tracked', d, {paths: ['.env']})).status, 'pass');
  });

  test('a .env removed from the index passes', async () => {
    const d = gitRepo({'.env': ENV}, ['.env']);
    git(d, 'rm', '-q', '--cached', '--', '.env');
    git(d, 'commit', '-q', '-m', 'untrack');
    assert.equal((await runCheck('git.not-tracked', d, {paths: ['.env']})).status, 'pass');
  });

  test('**/.env finds nested instances, and .env alone does not', async () => {
    const d = gitRepo({'instances/a/.env': ENV, 'instances/b/.env': ENV, '.env.example': 'POSTGRES_PASSWORD=\n', 'instances/a/notes.env.md': 'x\n'}, [
      'instances/a/.env',
      '.env.example',
      'instances/a/notes.env.md',
    ]);
    const r = await runCheck('git.not-tracked', d, {paths: ['**/.env']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['instances/a/.env', undefined, undefined]]);
    assert.equal((await runCheck('git.not-tracked', d, {paths: ['.env']})).status, 'pass');
    const both = await runCheck('git.not-tracked', d, {paths: ['.env.example', '**/.env']});
    assert.deepEqual(
      places(both)
        .map(([f]) => f)
        .sort(),
      ['.env.example', 'instances/a/.env'],
    );
  });

  test('a deployment in a subdirectory of the repository sees its own files, relative to itself', async () => {
    const d = gitRepo({'.env': ENV, 'deploy/the0/.env': ENV, 'deploy/the0/instances/x/.env': ENV, 'other/.env': ENV}, [
      '.env',
      'deploy/the0/.env',
      'deploy/the0/instances/x/.env',
      'other/.env',
    ]);
    const sub = join(d, 'deploy', 'the0');
    const r = await runCheck('git.not-tracked', sub, {paths: ['.env']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['.env', undefined, undefined]]);
    const all = await runCheck('git.not-tracked', sub, {paths: ['**/.env']});
    assert.deepEqual(
      places(all).map(([f]) => f),
      ['.env', 'instances/x/.env'],
    );
    // A subdirectory with nothing tracked passes even though the repository has .env files elsewhere.
    mkdirSync(join(d, 'clean'));
    assert.equal((await runCheck('git.not-tracked', join(d, 'clean'), {paths: ['**/.env']})).status, 'pass');
  });

  test('a directory that is not a repository => skip', async () => {
    const d = tempDir();
    writeFiles(d, {'.env': ENV});
    const r = await runCheck('git.not-tracked', d, {paths: ['.env']});
    assert.equal(r.status, 'skip');
    assert.match(r.message, /not inside a git repository/);
  });

  test('the .git directory itself is not a work tree => skip', async () => {
    const d = gitRepo({});
    assert.equal((await runCheck('git.not-tracked', join(d, '.git'), {paths: ['.env']})).status, 'skip');
  });

  test('bad params => error', async () => {
    const d = gitRepo({});
    assert.equal((await runCheck('git.not-tracked', d, {paths: []})).status, 'error');
    assert.equal((await runCheck('git.not-tracked', d, {paths: '.env'})).status, 'error');
    assert.equal((await runCheck('git.not-tracked', d, {})).status, 'error');
    assert.equal(CHECKS.get('git.not-tracked')!.params.safeParse({paths: []}).success, false);
    assert.equal(CHECKS.get('git.not-tracked')!.params.safeParse({paths: ['']}).success, false);
  });
});

describe('git.ignored', () => {
  test('a .gitignore rule passes and is named', async () => {
    const d = gitRepo({'.gitignore': '# local\nnode_modules/\n.env\n'}, ['.gitignore']);
    const r = await runCheck('git.ignored', d, {paths: ['.env']});
    assert.equal(r.status, 'pass');
    assert.deepEqual(r.evidence, [{file: '.env', detail: 'ignored by .gitignore:3:.env'}]);
  });

  test('a path that does not exist yet is still judged by the rules', async () => {
    const d = gitRepo({'.gitignore': '*.env\n'}, ['.gitignore']);
    const r = await runCheck('git.ignored', d, {paths: ['.env', 'instances/a/.env']});
    assert.equal(r.status, 'pass');
    assert.deepEqual(
      r.evidence.map((e) => e.detail),
      ['ignored by .gitignore:1:*.env', 'ignored by .gitignore:1:*.env'],
    );
  });

  test('no rule => fail, naming each uncovered path', async () => {
    const d = gitRepo({'.gitignore': 'node_modules/\n'}, ['.gitignore']);
    const r = await runCheck('git.ignored', d, {paths: ['.env', 'node_modules/x', 'secrets.yaml']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['.env', undefined, undefined],
      ['secrets.yaml', undefined, undefined],
    ]);
    assert.match(r.evidence[0]!.detail, /no \.gitignore rule/);
  });

  test('no .gitignore at all => fail', async () => {
    const r = await runCheck('git.ignored', gitRepo({}), {paths: ['.env']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['.env', undefined, undefined]]);
  });

  test('a later !rule that re-includes the path => fail, naming the rule', async () => {
    const d = gitRepo({'.gitignore': '.env\n!.env\n'}, ['.gitignore']);
    const r = await runCheck('git.ignored', d, {paths: ['.env']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(r.evidence, [{file: '.env', detail: 're-included by .gitignore:2:!.env'}]);
  });

  test('in a subdirectory of the repository: root and nested .gitignore rules both apply', async () => {
    const d = gitRepo({'.gitignore': '/deploy/the0/.env\n', 'deploy/the0/.gitignore': 'values.local.yaml\n'}, ['.gitignore', 'deploy/the0/.gitignore']);
    const sub = join(d, 'deploy', 'the0');
    const r = await runCheck('git.ignored', sub, {paths: ['.env', 'values.local.yaml']});
    assert.equal(r.status, 'pass');
    assert.deepEqual(r.evidence, [
      {file: '.env', detail: 'ignored by .gitignore:1:/deploy/the0/.env'},
      {file: 'values.local.yaml', detail: 'ignored by deploy/the0/.gitignore:1:values.local.yaml'},
    ]);
    // The anchored root rule does not cover a .env elsewhere.
    mkdirSync(join(d, 'other'));
    assert.equal((await runCheck('git.ignored', join(d, 'other'), {paths: ['.env']})).status, 'fail');
  });

  test('a directory that is not a repository => skip; bad params => error', async () => {
    const d = tempDir();
    writeFiles(d, {'.gitignore': '.env\n'});
    assert.equal((await runCheck('git.ignored', d, {paths: ['.env']})).status, 'skip');
    assert.equal((await runCheck('git.ignored', gitRepo({}), {paths: [1]})).status, 'error');
    assert.equal(CHECKS.get('git.ignored')!.params.safeParse({paths: [1]}).success, false);
  });
});
