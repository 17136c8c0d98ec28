import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {globToRegExp, hasMagic, listFiles} from '../../src/sources/glob.js';
import {contextFor, tempDir, writeFiles} from '../support/helpers.js';

function matches(glob: string, yes: string[], no: string[]): void {
  const re = globToRegExp(glob);
  for (const p of yes) assert.equal(re.test(p), true, `${glob} should match ${p} (${re.source})`);
  for (const p of no) assert.equal(re.test(p), false, `${glob} should not match ${p} (${re.source})`);
}

describe('globToRegExp', () => {
  test('a plain name matches only itself; dots are literal', () => {
    matches('.env', ['.env'], ['xenv', '.env.local', 'a/.env', 'x.env']);
    matches('values.yaml', ['values.yaml'], ['valuesXyaml', 'values.yaml.bak']);
  });

  test('* stays within one segment', () => {
    matches('*.yaml', ['a.yaml', '.yaml', 'values-prod.yaml'], ['a/b.yaml', 'a.yml', 'a.yaml.bak']);
    matches('helm/*.yaml', ['helm/values.yaml'], ['helm/sub/values.yaml', 'values.yaml']);
    matches('.env*', ['.env', '.env.local', '.env.production'], ['a/.env', 'x.env']);
  });

  test('**/ matches zero or more directories', () => {
    matches('**/*.yaml', ['a.yaml', 'k8s/a.yaml', 'k8s/prod/a.yaml'], ['a.yml', 'k8s/a.yaml/x']);
    matches('**/.env', ['.env', 'deploy/.env', 'a/b/c/.env'], ['x.env', 'deploy/x.env', 'deploy/.envrc']);
    matches('deploy/**/values.yaml', ['deploy/values.yaml', 'deploy/x/values.yaml', 'deploy/x/y/values.yaml'], ['values.yaml', 'other/values.yaml']);
  });

  test('** at the end matches everything below', () => {
    matches('rendered/**', ['rendered/a.yaml', 'rendered/x/y/z'], ['rendered', 'other/a.yaml']);
  });

  test('? is exactly one character, never a slash', () => {
    matches('a?.env', ['ab.env', 'a1.env'], ['a.env', 'abc.env', 'a/.env']);
    matches('values-???.yaml', ['values-dev.yaml'], ['values-prod.yaml', 'values-de.yaml']);
  });

  test('{a,b} alternatives', () => {
    matches('{compose,docker-compose}.yaml', ['compose.yaml', 'docker-compose.yaml'], ['compose.yml', 'xcompose.yaml', 'compose,docker-compose.yaml']);
    matches('*.{yaml,yml}', ['a.yaml', 'a.yml'], ['a.json', 'a.yamlyml']);
    matches('{.,x}env', ['.env', 'xenv'], ['aenv']);
  });

  test('{,.override} empty alternatives', () => {
    matches(
      'docker-compose{,.override}.yml',
      ['docker-compose.yml', 'docker-compose.override.yml'],
      ['docker-compose.prod.yml', 'docker-compose.Xoverride.yml'],
    );
    matches('.env{,.local}', ['.env', '.env.local'], ['.env.', '.envXlocal']);
  });

  test('* and ? inside alternatives keep their glob meaning', () => {
    matches('{*.yml,x}', ['a.yml', 'x'], ['a/b.yml', 'y']);
    matches('{a?,b}.txt', ['ab.txt', 'a1.txt', 'b.txt'], ['.txt', 'a.txt', 'abc.txt', 'a/.txt']);
  });

  test('regular expression characters are literal', () => {
    matches('a+b(c)[d]$^.txt', ['a+b(c)[d]$^.txt'], ['aab(c)[d]$^.txt', 'a+bc[d]$^.txt']);
    matches('{a+,b}|c', ['a+|c', 'b|c'], ['aa|c', 'b']);
  });

  test('an unclosed { is literal', () => {
    matches('a{b', ['a{b'], ['ab']);
  });

  test('hasMagic', () => {
    for (const g of ['*.yaml', '**/x', 'a?', '{a,b}']) assert.equal(hasMagic(g), true, g);
    for (const g of ['.env', 'deploy/values.yaml', 'a-b_c.d']) assert.equal(hasMagic(g), false, g);
  });
});

describe('listFiles', () => {
  test('lists files with forward slashes, sorted, skipping node_modules and .git', async () => {
    const dir = tempDir();
    writeFiles(dir, {
      'compose.yaml': 'x',
      '.env': 'x',
      'deploy/values.yaml': 'x',
      'deploy/nested/deeper/a.yaml': 'x',
      'node_modules/pkg/index.js': 'x',
      'node_modules/pkg/.env': 'x',
      '.git/config': 'x',
      '.git/objects/ab/cd': 'x',
      'sub/node_modules/x/values.yaml': 'x',
      'sub/.git/HEAD': 'x',
      'sub/keep.yaml': 'x',
    });
    assert.deepEqual(await listFiles(dir), ['.env', 'compose.yaml', 'deploy/nested/deeper/a.yaml', 'deploy/values.yaml', 'sub/keep.yaml']);
  });

  test('keeps other dot directories', async () => {
    const dir = tempDir();
    writeFiles(dir, {'.github/workflows/ci.yml': 'x', '.config/app.env': 'x'});
    assert.deepEqual(await listFiles(dir), ['.config/app.env', '.github/workflows/ci.yml']);
  });

  test('maxDepth bounds how deep it walks', async () => {
    const dir = tempDir();
    writeFiles(dir, {'top.txt': 'x', 'a/one.txt': 'x', 'a/b/two.txt': 'x', 'a/b/c/three.txt': 'x'});
    assert.deepEqual(await listFiles(dir, 0), ['top.txt']);
    assert.deepEqual(await listFiles(dir, 1), ['a/one.txt', 'top.txt']);
    assert.deepEqual(await listFiles(dir, 2), ['a/b/two.txt', 'a/one.txt', 'top.txt']);
  });

  test('a directory that does not exist lists nothing', async () => {
    const dir = tempDir();
    assert.deepEqual(await listFiles(`${dir}/missing`), []);
  });

  test('Context.glob uses the same rules, in pattern order, each file once', async () => {
    const dir = tempDir();
    writeFiles(dir, {
      'docker-compose.yml': 'x',
      'docker-compose.override.yml': 'x',
      'docker-compose.prod.yml': 'x',
      'node_modules/docker-compose.yml': 'x',
      'k8s/a.yaml': 'x',
      'k8s/b/c.yaml': 'x',
    });
    const ctx = contextFor(dir);
    assert.deepEqual(await ctx.glob(['docker-compose{,.override}.yml']), ['docker-compose.override.yml', 'docker-compose.yml']);
    assert.deepEqual(await ctx.glob(['docker-compose.yml', '*.yml']), ['docker-compose.yml', 'docker-compose.override.yml', 'docker-compose.prod.yml']);
    assert.deepEqual(await ctx.glob(['**/*.yaml']), ['k8s/a.yaml', 'k8s/b/c.yaml']);
    assert.deepEqual(await ctx.glob(['missing.yml']), []);
  });
});
