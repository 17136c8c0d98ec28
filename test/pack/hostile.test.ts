// Hostile pack files (issue 19, parts 5 and 12), through the built CLI: a pack a user hands us is
// refused with file:line:col and exit 2, never an "internal error", and no library warning is
// mixed into the message on stderr.
import assert from 'node:assert/strict';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {runCli, tempDir, writeFiles} from '../support/helpers.js';

const PACK = [
  'schema: 1', //                                                      1
  'id: demo', //                                                       2
  'title: Demo pack', //                                               3
  'version: 1.0.0', //                                                 4
  'description: A small pack.', //                                     5
  'sections:', //                                                      6
  '  - id: network', //                                                7
  '    title: Network', //                                             8
  '    items:', //                                                     9
  '      - id: db-private', //                                         10
  '        title: Database is private', //                             11
  '        why: An open database is found by scanners.', //            12
  '        how: Bind the port to 127.0.0.1.', //                       13
  '        severity: critical', //                                     14
  '        source: {system: Demo, section: Security}', //              15
  '        verify:', //                                                16
  '          - check: compose.ports-private', //                       17
  '            with: {services: [postgres]}', //                       18
  '',
].join('\n');

/** `shipshape check --pack FILE` on a small deployment, with the pack text given. */
async function checkWithPack(text: string) {
  const dir = tempDir();
  writeFiles(dir, {'compose.yaml': 'services:\n  postgres:\n    image: postgres:16\n', 'pack.yaml': text});
  const file = join(dir, 'pack.yaml');
  return {file, ...(await runCli(['check', '--dir', dir, '--pack', file, '--format', 'json'], {timeoutMs: 20_000}))};
}

describe('hostile packs', () => {
  test('2,000 levels of nesting (then a dedent) are refused at the 257th level, exit 2 (was "internal error: Maximum call stack size exceeded")', {
    timeout: 30_000,
  }, async () => {
    const deep = ['x-deep:', ...Array.from({length: 2000}, (_, i) => `${' '.repeat(i + 2)}a:`), 'x-after: 1'];
    const r = await checkWithPack(`${PACK}${deep.join('\n')}\n`);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.doesNotMatch(r.stderr, /internal error|call stack/i, r.stderr);
    // x-deep's value is level 2 (line 20); level 257 opens 255 lines further down.
    assert.match(r.stderr, new RegExp(`${r.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:275:\\d+: \\(syntax\\): YAML nested deeper than 256 levels`));
  });

  test("a flow list nested 100,000 deep inside a check's params is refused where it passes the limit", {timeout: 30_000}, async () => {
    const r = await checkWithPack(PACK.replace('with: {services: [postgres]}', `with: {services: ${'['.repeat(100_000)}postgres${']'.repeat(100_000)}}`));
    assert.equal(r.code, 2, r.stderr);
    assert.doesNotMatch(r.stderr, /internal error|call stack/i, r.stderr);
    assert.match(r.stderr, /pack\.yaml:18:\d+: \(syntax\): YAML nested deeper than 256 levels/);
  });

  test('a list used as a key is a located problem and stderr holds no Node warning', {timeout: 30_000}, async () => {
    const r = await checkWithPack(PACK.replace('with: {services: [postgres]}', 'with:\n              ? [a, b]\n              : 1'));
    assert.equal(r.code, 2, r.stderr);
    assert.doesNotMatch(r.stderr, /Warning|stringified|--trace-warnings/, r.stderr);
    assert.match(r.stderr, /pack\.yaml:19:17: \(syntax\): invalid YAML: a mapping key must be a single value, not a list or a mapping/);
  });

  test('40,000 stray keys: the first problems are listed, without locating every key', {timeout: 30_000}, async () => {
    const stray = Array.from({length: 40_000}, (_, i) => `stray${i}: 1`).join('\n');
    const r = await checkWithPack(`${PACK}${stray}\n`);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /pack\.yaml:19:1: stray0: unknown key "stray0"/);
    assert.equal(r.stderr.match(/unknown key/g)?.length, 25);
  });
});
