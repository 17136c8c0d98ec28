import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {join} from 'node:path';
import {CHECKS} from '../../src/checks/index.js';
import {formatProblem, loadPackFile, PackLoadError, parsePack, type PackProblem} from '../../src/pack/load.js';
import {tempDir, writeFiles} from '../support/helpers.js';

const FILE = 'packs/demo.yaml';

// Line numbers matter: the cases below point into this text.
const VALID = [
  'schema: 1', //                                                      1
  'id: demo', //                                                       2
  'title: Demo pack', //                                               3
  'version: 1.0.0', //                                                 4
  'description: A small pack.', //                                     5
  'inputs:', //                                                        6
  '  - id: mode', //                                                   7
  '    question: How is it deployed?', //                              8
  '    choices:', //                                                   9
  '      - {value: compose, label: Docker Compose}', //                10
  '      - {value: kubernetes, label: Kubernetes}', //                 11
  '    default: compose', //                                           12
  'sections:', //                                                      13
  '  - id: network', //                                                14
  '    title: Network', //                                             15
  '    items:', //                                                     16
  '      - id: db-private', //                                         17
  '        title: Database is private', //                             18
  '        why: An open database is found by scanners.', //            19
  '        how: Bind the port to 127.0.0.1.', //                       20
  '        severity: critical', //                                     21
  '        source: {system: Demo, section: Security}', //              22
  '        when: {mode: compose}', //                                  23
  '        verify:', //                                                24
  '          - check: compose.ports-private', //                       25
  '            with: {services: [postgres]}', //                       26
  '      - id: backups', //                                            27
  '        title: Backups are tested', //                              28
  '        why: Untested backups fail.', //                            29
  '        how: Restore one.', //                                      30
  '        severity: high', //                                         31
  '        source: {system: Demo, section: Backups}', //               32
  '        confirm: Did you restore a backup this quarter?', //        33
  '',
].join('\n');

/** VALID with `from` (which must occur exactly once) replaced by `to`. */
function edit(from: string, to: string, text = VALID): string {
  assert.equal(text.split(from).length, 2, `"${from}" must occur exactly once`);
  return text.replace(from, to);
}

const STACK = /^\s+at /m;

function problemsOf(text: string): PackProblem[] {
  let thrown: unknown;
  try {
    parsePack(text, FILE, CHECKS);
  } catch (err) {
    thrown = err;
  }
  assert.ok(thrown instanceof PackLoadError, `expected a PackLoadError, got ${thrown === undefined ? 'a loaded pack' : String(thrown)}`);
  assert.ok(thrown.problems.length > 0);
  assert.doesNotMatch(thrown.message, STACK);
  assert.equal(thrown.message, thrown.problems.map(formatProblem).join('\n'));
  for (const p of thrown.problems) assert.doesNotMatch(p.message, STACK);
  return thrown.problems;
}

/** The single problem the text has. */
function problemOf(text: string): PackProblem {
  const problems = problemsOf(text);
  assert.equal(problems.length, 1, JSON.stringify(problems, null, 2));
  return problems[0]!;
}

function assertAt(p: PackProblem, line: number, col: number, path: string, message: RegExp): void {
  assert.deepEqual({file: p.file, line: p.line, col: p.col, path: p.path}, {file: FILE, line, col, path}, p.message);
  assert.match(p.message, message);
}

describe('parsePack: a valid pack', () => {
  test('loads, with defaults filled and check params parsed', () => {
    const pack = parsePack(VALID, FILE, CHECKS);
    assert.equal(pack.id, 'demo');
    assert.equal(pack.inputs[0]?.default, 'compose');
    assert.deepEqual(pack.inputs[0]?.infer, []);
    assert.deepEqual(pack.detect, []);
    assert.deepEqual(pack.files.env, ['.env']);
    const [db, backups] = pack.sections[0]!.items;
    assert.deepEqual(db?.when, {mode: 'compose'});
    assert.deepEqual(db?.verify, [{check: 'compose.ports-private', with: {services: ['postgres']}}]);
    assert.equal(backups?.confirm, 'Did you restore a backup this quarter?');
  });

  test('a step without `with` gets the check defaults', () => {
    const pack = parsePack(
      edit('          - check: compose.ports-private\n            with: {services: [postgres]}\n', '          - check: k8s.job-cleanup\n'),
      FILE,
      CHECKS,
    );
    assert.deepEqual(pack.sections[0]!.items[0]!.verify![0]!.with, {maxHistory: 5});
  });

  test('loadPackFile reads a pack from disk', async () => {
    const dir = tempDir();
    writeFiles(dir, {'demo.yaml': VALID});
    const loaded = await loadPackFile(join(dir, 'demo.yaml'), CHECKS);
    assert.equal(loaded.file, join(dir, 'demo.yaml'));
    assert.equal(loaded.pack.sections[0]!.items.length, 2);
  });
});

describe('parsePack: malformed packs say where and why', () => {
  test('YAML syntax: unclosed bracket', () => {
    const p = problemOf(edit('{services: [postgres]}', '{services: [postgres}'));
    assertAt(p, 26, 39, '(syntax)', /^invalid YAML: .*end with a \]/);
  });

  test('YAML syntax: bad indentation', () => {
    const p = problemOf(edit('    title: Network', '   title: Network'));
    assertAt(p, 15, 1, '(syntax)', /^invalid YAML: Sequence item without - indicator/);
  });

  test('YAML syntax: a tab used as indentation', () => {
    const p = problemOf(edit('    title: Network', '\ttitle: Network'));
    assert.equal(p.line, 15);
    assert.match(p.message, /^invalid YAML: Tabs are not allowed/);
  });

  test('duplicate key points at the second copy', () => {
    const p = problemOf(edit('title: Demo pack\n', 'title: Demo pack\ntitle: Again\n'));
    assertAt(p, 4, 1, '(syntax)', /keys must be unique/);
  });

  test('duplicate key inside a flow mapping', () => {
    const p = problemOf(edit('{system: Demo, section: Security}', '{system: Demo, system: Other}'));
    assertAt(p, 22, 32, '(syntax)', /keys must be unique/);
  });

  test('an alias to no anchor is a syntax problem with its place, not a crash', () => {
    const p = problemOf(edit('severity: high', 'severity: *level'));
    assertAt(p, 31, 19, '(syntax)', /^invalid YAML: Unresolved alias .*: level$/);
  });

  test('an alias bomb is refused without a crash', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
      '',
    ].join('\n');
    const p = problemOf(bomb);
    assert.equal(p.path, '(syntax)');
    assert.ok(p.line >= 2 && p.line <= 4, `line ${p.line}`);
    assert.match(p.message, /Excessive alias count/);
  });

  test('top level is a list', () => {
    assertAt(problemOf('- id: demo\n- title: Demo\n'), 1, 1, '(top level)', /a pack is a mapping with id, title, sections/);
  });

  test('an empty file', () => {
    assertAt(problemOf(''), 1, 1, '(top level)', /a pack is a mapping/);
  });

  test('missing required title', () => {
    assertAt(problemOf(edit('title: Demo pack\n', '')), 1, 1, 'title', /^required: .*expected string/);
  });

  test('wrong schema value', () => {
    assertAt(problemOf(edit('schema: 1', 'schema: 2')), 1, 9, 'schema', /^schema must be 1$/);
  });

  test('item id with upper case and underscore', () => {
    assertAt(problemOf(edit('id: db-private', 'id: DB_Private')), 17, 13, 'sections[0].items[0].id', /lower-case letters, digits and single dashes/);
  });

  test('unknown severity lists the allowed ones', () => {
    const p = problemOf(edit('severity: high', 'severity: urgent'));
    assertAt(p, 31, 19, 'sections[0].items[1].severity', /critical.*high.*medium.*low/);
  });

  test('unknown key in an item points at the key itself', () => {
    const p = problemOf(edit('        severity: high\n', '        severity: high\n        owner: ops\n'));
    assertAt(p, 32, 9, 'sections[0].items[1].owner', /^unknown key "owner"$/);
  });

  test('unknown key in a flow mapping points at the key, not its value', () => {
    const p = problemOf(edit('{system: Demo, section: Backups}', '{system: Demo, section: Backups, page: 3}'));
    assertAt(p, 32, 50, 'sections[0].items[1].source.page', /^unknown key "page"$/);
  });

  test('item with none of verify, generate or confirm', () => {
    const p = problemOf(edit('        confirm: Did you restore a backup this quarter?\n', ''));
    assertAt(p, 27, 9, 'sections[0].items[1]', /needs at least one of verify, generate or confirm/);
  });

  test('duplicate item ids across sections', () => {
    const second = [
      '  - id: storage',
      '    title: Storage',
      '    items:',
      '      - id: db-private', //                                         37
      '        title: Again',
      '        why: w',
      '        how: h',
      '        severity: low',
      '        source: {system: Demo, section: Other}',
      '        confirm: ok?',
      '',
    ].join('\n');
    const p = problemOf(VALID + second);
    assertAt(p, 37, 13, 'sections[1].items[0].id', /"db-private" is already used in section network/);
  });

  test('duplicate section ids', () => {
    const p = problemOf(
      VALID +
        [
          '  - id: network',
          '    title: Twice',
          '    items:',
          '      - {id: other, title: t, why: w, how: h, severity: low, source: {system: s, section: s}, confirm: ok?}',
          '',
        ].join('\n'),
    );
    assertAt(p, 34, 9, 'sections[1].id', /section id "network" is used twice/);
  });

  test('`when` naming an unknown input', () => {
    const p = problemOf(edit('when: {mode: compose}', 'when: {platform: compose}'));
    assertAt(p, 23, 26, 'sections[0].items[0].when.platform', /unknown input "platform" \(declare it under inputs\)/);
  });

  test('`when` with a value that is not a choice of the input', () => {
    const p = problemOf(edit('when: {mode: compose}', 'when: {mode: swarm}'));
    assertAt(p, 23, 22, 'sections[0].items[0].when.mode', /"swarm" is not a choice of input mode \(compose, kubernetes\)/);
  });

  test('`when` with a list holding one bad value', () => {
    const p = problemOf(edit('when: {mode: compose}', 'when: {mode: [compose, nomad]}'));
    assertAt(p, 23, 22, 'sections[0].items[0].when.mode', /"nomad" is not a choice/);
  });

  test('a verify step `when` with an unknown input', () => {
    const p = problemOf(edit('            with: {services: [postgres]}\n', '            with: {services: [postgres]}\n            when: {cloud: aws}\n'));
    assertAt(p, 27, 27, 'sections[0].items[0].verify[0].when.cloud', /unknown input "cloud"/);
  });

  test('unknown check id lists the checks of that family', () => {
    const p = problemOf(edit('compose.ports-private', 'compose.port-private'));
    assertAt(p, 25, 20, 'sections[0].items[0].verify[0].check', /^unknown check "compose.port-private" \(compose has: /);
    const family = [...CHECKS.keys()].filter((k) => k.startsWith('compose.'));
    assert.ok(family.length > 1);
    for (const id of family) assert.ok(p.message.includes(id), `message should list ${id}`);
    assert.ok(!p.message.includes('helm.'), 'only the compose family is listed');
  });

  test('unknown check family lists the families', () => {
    const p = problemOf(edit('compose.ports-private', 'nomad.ports-private'));
    assertAt(p, 25, 20, 'sections[0].items[0].verify[0].check', /unknown check "nomad.ports-private" \(families: .*compose.*helm/);
  });

  test('a check id that is not family.name', () => {
    const p = problemOf(edit('compose.ports-private', 'ports_private'));
    assertAt(p, 25, 20, 'sections[0].items[0].verify[0].check', /family\.name/);
  });

  test('check param of the wrong type', () => {
    const p = problemOf(edit('{services: [postgres]}', '{services: postgres}'));
    assertAt(p, 26, 30, 'sections[0].items[0].verify[0].with.services', /^compose\.ports-private: .*expected array, received string/);
  });

  test('unknown param key for a strict check points at the key', () => {
    const p = problemOf(edit('{services: [postgres]}', '{services: [postgres], service: db}'));
    assertAt(p, 26, 42, 'sections[0].items[0].verify[0].with.service', /^compose\.ports-private: unknown key "service"$/);
  });

  test('helm values path that does not parse', () => {
    const p = problemOf(
      edit('check: compose.ports-private\n            with: {services: [postgres]}', 'check: helm.value\n            with: {path: a..b, equals: x}'),
    );
    assertAt(p, 26, 26, 'sections[0].items[0].verify[0].with.path', /^helm\.value: a values path such as/);
  });

  test('input default that is not among the choices', () => {
    assertAt(problemOf(edit('default: compose', 'default: swarm')), 12, 14, 'inputs[0].default', /default "swarm" is not one of the choices/);
  });

  test('detect regex that does not compile is refused at load, not when detecting', () => {
    const p = problemOf(edit('inputs:\n', 'detect:\n  - file: compose.yaml\n    contains: "image: (postgres"\ninputs:\n'));
    assertAt(p, 8, 15, 'detect[0].contains', /valid regular expression/);
  });

  test('a pack file that does not exist', async () => {
    const missing = join(tempDir(), 'nope.yaml');
    await assert.rejects(loadPackFile(missing, CHECKS), (err: unknown) => {
      assert.ok(err instanceof PackLoadError);
      assert.deepEqual(
        err.problems.map((p) => [p.file, p.line, p.col, p.path]),
        [[missing, 1, 1, '(file)']],
      );
      assert.match(err.problems[0]!.message, /^cannot read pack: (does not exist|.*ENOENT)/);
      assert.doesNotMatch(err.message, STACK);
      return true;
    });
  });

  test('a malformed pack file on disk reports the path it was given', async () => {
    const dir = tempDir();
    writeFiles(dir, {'bad.yaml': edit('schema: 1', 'schema: 2')});
    await assert.rejects(loadPackFile(join(dir, 'bad.yaml'), CHECKS), (err: unknown) => {
      assert.ok(err instanceof PackLoadError);
      assert.equal(err.message, `${join(dir, 'bad.yaml')}:1:9: schema: schema must be 1`);
      return true;
    });
  });
});

describe('parsePack: several problems', () => {
  test('every schema problem is reported, each at its place', () => {
    const text = edit('severity: critical', 'severity: urgent', edit('id: backups', 'id: Backups', edit('version: 1.0.0', 'version: one')));
    const problems = problemsOf(text);
    assert.deepEqual(
      problems.map((p) => [p.line, p.col, p.path]),
      [
        [4, 10, 'version'],
        [21, 19, 'sections[0].items[0].severity'],
        [27, 13, 'sections[0].items[1].id'],
      ],
    );
    assert.match(problems[0]!.message, /version like 1\.0\.0/);
  });

  test('every check problem is reported, each at its place', () => {
    const text = edit(
      '{services: [postgres]}',
      '{services: postgres}',
      edit(
        '        confirm: Did you restore a backup this quarter?\n',
        '        verify:\n          - check: compose.nope\n          - check: env.present\n            with: {bogus: 1}\n',
      ),
    );
    const problems = problemsOf(text);
    assert.deepEqual(
      problems.map((p) => [p.line, p.col, p.path]),
      [
        [26, 30, 'sections[0].items[0].verify[0].with.services'],
        [34, 20, 'sections[0].items[1].verify[0].check'],
        [36, 20, 'sections[0].items[1].verify[1].with.bogus'],
      ],
    );
  });

  test('problems are capped at 25, also when one mapping has many unknown keys', () => {
    const keys = Array.from({length: 30}, (_, n) => `        extra${n}: 1\n`).join('');
    const problems = problemsOf(edit('        severity: high\n', `        severity: high\n${keys}`));
    assert.equal(problems.length, 25);
    assert.deepEqual(problems[0], {file: FILE, line: 32, col: 9, path: 'sections[0].items[1].extra0', message: 'unknown key "extra0"'});
  });

  test('problems are capped at 25 across many items', () => {
    const items = Array.from(
      {length: 30},
      (_, n) => `      - {id: item-${n}, title: t, why: w, how: h, severity: bad, source: {system: s, section: s}, confirm: ok?}\n`,
    ).join('');
    const problems = problemsOf(edit('    items:\n      - id: db-private', `    items:\n${items}      - id: db-private`));
    assert.equal(problems.length, 25);
    assert.deepEqual(
      problems.slice(0, 2).map((p) => [p.line, p.path]),
      [
        [17, 'sections[0].items[0].severity'],
        [18, 'sections[0].items[1].severity'],
      ],
    );
  });
});
