// `shipshape packs lint`: broken packs, each problem at its file, line and key. Table-driven:
// each case writes a folder of packs, lints one, and names the problem it expects and where.
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {CHECKS} from '../../src/checks/index.js';
import {GENERATORS} from '../../src/generators/index.js';
import {lintPackFile} from '../../src/pack/lint.js';
import {formatProblem} from '../../src/pack/load.js';
import {REPO, tempDir, writeFiles} from '../support/helpers.js';

// Line numbers matter: the cases point into this text.
const VALID = [
  '# yaml-language-server: $schema=../schema/pack.schema.json', //     1
  'schema: 1', //                                                       2
  'id: demo', //                                                        3
  'title: Demo pack', //                                                4
  'version: 1.0.0', //                                                  5
  'description: A pack for the lint tests.', //                         6
  'detect:', //                                                         7
  '  - file: compose.yaml', //                                          8
  '    contains: "^\\\\s+demo:"', //                                    9
  'inputs:', //                                                         10
  '  - id: mode', //                                                    11
  '    question: How is it deployed?', //                               12
  '    choices:', //                                                    13
  '      - {value: compose, label: Docker Compose}', //                 14
  '      - {value: kubernetes, label: Kubernetes}', //                  15
  '    default: compose', //                                            16
  'sections:', //                                                       17
  '  - id: network', //                                                 18
  '    title: Network', //                                              19
  '    items:', //                                                      20
  '      - id: db-private', //                                          21
  '        title: Database is private', //                              22
  '        why: An open database is found by scanners.', //             23
  '        how: Bind the port to 127.0.0.1.', //                        24
  '        severity: critical', //                                      25
  '        source: {system: Demo, section: Security}', //               26
  '        when: {mode: compose}', //                                   27
  '        verify:', //                                                 28
  '          - check: compose.ports-private', //                        29
  '            with: {services: [postgres]}', //                        30
  '      - id: jwt-secret', //                                          31
  '        title: JWT secret is strong', //                             32
  '        why: A weak secret is guessed.', //                          33
  '        how: Generate one.', //                                      34
  '        severity: high', //                                          35
  '        source: {system: Demo, section: Secrets}', //                36
  '        verify:', //                                                 37
  '          - check: env.value', //                                    38
  '            with: {keys: [JWT_SECRET], pattern: "^[0-9a-f]{64}$"}', //39
  '        generate: {generator: hex32, into: [".env:JWT_SECRET"]}', // 40
  '      - id: backups', //                                             41
  '        title: Backups are tested', //                               42
  '        why: Untested backups fail.', //                             43
  '        how: Restore one.', //                                       44
  '        severity: high', //                                          45
  '        source: {system: Demo, section: Backups}', //                46
  '        confirm: Did you restore a backup this quarter?', //         47
  '',
].join('\n');

/** A small valid pack with confirm-only items, to be extended. */
function base(id: string, items: string[], extra: string[] = []): string {
  return [
    'schema: 1',
    `id: ${id}`,
    `title: Pack ${id}`,
    'version: 1.0.0',
    `description: Base pack ${id}.`,
    ...extra,
    'sections:',
    '  - id: common',
    '    title: Common',
    '    items:',
    ...items.flatMap((item) => [
      `      - id: ${item}`,
      `        title: Item ${item}`,
      '        why: Because.',
      '        how: Do it.',
      '        severity: medium',
      `        source: {system: ${id}, section: Common}`,
      '        confirm: Done?',
    ]),
    '',
  ].join('\n');
}

// The extending pack: `extends` on line 6, its own item from line 11; extra lines go from 18.
function app(extendsList: string, extra: string[] = [], ownWhen?: string): string {
  return [
    'schema: 1', //                              1
    'id: app', //                                2
    'title: App', //                             3
    'version: 1.0.0', //                         4
    'description: Extends others.', //           5
    `extends: ${extendsList}`, //                6
    'sections:', //                              7
    '  - id: own', //                            8
    '    title: Own', //                         9
    '    items:', //                             10
    '      - id: own-item', //                   11
    '        title: Own item', //                12
    '        why: Because.', //                  13
    '        how: Do it.', //                    14
    '        severity: low', //                  15
    '        source: {system: App, section: Own}', // 16
    `        confirm: Done?${ownWhen ? `\n        when: ${ownWhen}` : ''}`, // 17 (18)
    ...extra,
    '',
  ].join('\n');
}

function edit(from: string, to: string, text = VALID): string {
  assert.equal(text.split(from).length, 2, `"${from}" must occur exactly once`);
  return text.replace(from, to);
}

interface Case {
  name: string;
  files: Record<string, string>;
  /** The file linted; the problem must be in `at.file`, which defaults to it. */
  lint: string;
  at: {file?: string; line: number; path: string};
  message: RegExp;
}

const CASES: Case[] = [
  {
    name: 'YAML syntax: a bracket never closed',
    files: {'pack.yaml': edit('{services: [postgres]}', '{services: [postgres}')},
    lint: 'pack.yaml',
    at: {line: 30, path: '(syntax)'},
    message: /invalid YAML/,
  },
  {
    name: 'an unknown top-level key',
    files: {'pack.yaml': edit('title: Demo pack', 'titel: Demo pack')},
    lint: 'pack.yaml',
    at: {line: 4, path: 'titel'},
    message: /unknown key "titel"/,
  },
  {
    name: 'an item without its why',
    files: {'pack.yaml': edit('        why: Untested backups fail.\n', '')},
    lint: 'pack.yaml',
    at: {line: 41, path: 'sections[0].items[2].why'},
    message: /required/,
  },
  {
    name: 'a severity that is not one of the four',
    files: {'pack.yaml': edit('severity: critical', 'severity: urgent')},
    lint: 'pack.yaml',
    at: {line: 25, path: 'sections[0].items[0].severity'},
    message: /critical.*high.*medium.*low/,
  },
  {
    name: 'an item id that is not a slug',
    files: {'pack.yaml': edit('id: backups', 'id: Backups')},
    lint: 'pack.yaml',
    at: {line: 41, path: 'sections[0].items[2].id'},
    message: /lower-case letters, digits and single dashes/,
  },
  {
    name: 'the same item id twice in one pack',
    files: {'pack.yaml': edit('id: backups', 'id: db-private')},
    lint: 'pack.yaml',
    at: {line: 41, path: 'sections[0].items[2].id'},
    message: /item id "db-private" is already used/,
  },
  {
    name: 'an item that neither verifies, generates nor asks',
    files: {'pack.yaml': edit('        confirm: Did you restore a backup this quarter?\n', '')},
    lint: 'pack.yaml',
    at: {line: 41, path: 'sections[0].items[2]'},
    message: /at least one of verify, generate or confirm/,
  },
  {
    name: 'an unknown check id',
    files: {'pack.yaml': edit('check: compose.ports-private', 'check: compose.ports-closed')},
    lint: 'pack.yaml',
    at: {line: 29, path: 'sections[0].items[0].verify[0].check'},
    message: /unknown check "compose\.ports-closed" \(compose has: .*compose\.ports-private/,
  },
  {
    name: 'check params: a key the check does not take',
    files: {'pack.yaml': edit('with: {services: [postgres]}', 'with: {services: [postgres], hosts: [db]}')},
    lint: 'pack.yaml',
    at: {line: 30, path: 'sections[0].items[0].verify[0].with.hosts'},
    message: /compose\.ports-private: unknown key "hosts"/,
  },
  {
    name: 'check params: a string where a list is expected',
    files: {'pack.yaml': edit('with: {services: [postgres]}', 'with: {services: postgres}')},
    lint: 'pack.yaml',
    at: {line: 30, path: 'sections[0].items[0].verify[0].with.services'},
    message: /compose\.ports-private: .*expected array/,
  },
  {
    name: 'a when naming an input the pack does not declare',
    files: {'pack.yaml': edit('when: {mode: compose}', 'when: {runtime: compose}')},
    lint: 'pack.yaml',
    at: {line: 27, path: 'sections[0].items[0].when.runtime'},
    message: /unknown input "runtime"/,
  },
  {
    name: 'a when asking for a value the input does not offer',
    files: {'pack.yaml': edit('when: {mode: compose}', 'when: {mode: swarm}')},
    lint: 'pack.yaml',
    at: {line: 27, path: 'sections[0].items[0].when.mode'},
    message: /"swarm" is not a choice of input mode/,
  },
  {
    name: 'a detect regex that does not compile',
    files: {'pack.yaml': edit('contains: "^\\\\s+demo:"', 'contains: "image: (postgres"')},
    lint: 'pack.yaml',
    at: {line: 9, path: 'detect[0].contains'},
    message: /valid regular expression/,
  },
  {
    name: 'a check param regex that does not compile',
    files: {'pack.yaml': edit('pattern: "^[0-9a-f]{64}$"', 'pattern: "^[0-9a-f{64}$("')},
    lint: 'pack.yaml',
    at: {line: 39, path: 'sections[0].items[1].verify[0].with.pattern'},
    message: /env\.value: pattern is not a valid regular expression/,
  },
  {
    name: 'an unknown generator',
    files: {'pack.yaml': edit('generator: hex32', 'generator: hex64')},
    lint: 'pack.yaml',
    at: {line: 40, path: 'sections[0].items[1].generate.generator'},
    message: /unknown generator "hex64" \(known: .*hex32/,
  },
  {
    name: 'extends naming a pack that exists nowhere',
    files: {'app.yaml': app('[nowhere]')},
    lint: 'app.yaml',
    at: {line: 6, path: 'extends[0]'},
    message: /unknown pack "nowhere": not in .* and not built in/,
  },
  {
    name: 'a pack that extends itself',
    files: {'app.yaml': app('[app]')},
    lint: 'app.yaml',
    at: {line: 6, path: 'extends[0]'},
    message: /cannot extend itself/,
  },
  {
    name: 'an extends cycle through a second pack',
    files: {'app.yaml': app('[base]'), 'base.yaml': base('base', ['one'], ['extends: [app]'])},
    lint: 'app.yaml',
    at: {file: 'base.yaml', line: 6, path: 'extends[0]'},
    message: /extends cycle: app -> base -> app/,
  },
  {
    name: 'one item id from two extended packs',
    files: {'app.yaml': app('[left, right]'), 'left.yaml': base('left', ['shared', 'l']), 'right.yaml': base('right', ['shared', 'r'])},
    lint: 'app.yaml',
    at: {line: 6, path: 'extends[1]'},
    message: /item "shared" comes from both left and right/,
  },
  {
    name: 'a drop without a reason',
    files: {'app.yaml': app('[base]', ['drop:', '  - id: one']), 'base.yaml': base('base', ['one', 'two'])},
    lint: 'app.yaml',
    at: {line: 19, path: 'drop[0].reason'},
    message: /required/,
  },
  {
    name: 'a drop of an item nobody has',
    files: {'app.yaml': app('[base]', ['drop:', '  - {id: three, reason: not here}']), 'base.yaml': base('base', ['one', 'two'])},
    lint: 'app.yaml',
    at: {line: 19, path: 'drop[0].id'},
    message: /no inherited item "three" to drop: base has no item of that id/,
  },
  {
    name: 'an override of an item nobody has',
    files: {'app.yaml': app('[base]', ['override:', '  - {id: three, severity: low}']), 'base.yaml': base('base', ['one'])},
    lint: 'app.yaml',
    at: {line: 19, path: 'override[0].id'},
    message: /no inherited item "three" to override/,
  },
  {
    name: 'an override whose check takes other params',
    files: {
      'app.yaml': app('[base]', ['override:', '  - id: one', '    verify:', '      - check: compose.image-pinned', '        with: {service: web}']),
      'base.yaml': base('base', ['one']),
    },
    lint: 'app.yaml',
    at: {line: 22, path: 'override[0].verify[0].with.service'},
    message: /compose\.image-pinned: unknown key "service"/,
  },
  {
    name: 'a when in an extending pack naming an input neither pack declares',
    files: {'app.yaml': app('[base]', [], '{tier: gold}'), 'base.yaml': base('base', ['one'])},
    lint: 'app.yaml',
    at: {line: 18, path: 'sections[0].items[0].when.tier'},
    message: /unknown input "tier" \(declare it under inputs, or extend the pack that declares it\)/,
  },
  {
    name: 'a base pack that does not load: its own problem, in its own file',
    files: {'app.yaml': app('[base]'), 'base.yaml': base('base', ['one']).replace('severity: medium', 'severity: urgent')},
    lint: 'app.yaml',
    at: {line: 6, path: 'extends[0]'},
    message: /pack "base" \(.*base\.yaml\) does not load: 1 problem, listed below/,
  },
];

const STACK = /^\s+at /m;

describe('packs lint: broken packs, each problem located', () => {
  assert.ok(CASES.length >= 15);
  for (const c of CASES) {
    test(c.name, async () => {
      const dir = tempDir();
      writeFiles(dir, c.files);
      const r = await lintPackFile(join(dir, c.lint), {checks: CHECKS, generators: GENERATORS});
      assert.ok(r.errors.length > 0, `expected an error, got none (warnings: ${JSON.stringify(r.warnings)})`);
      const p = r.errors.find((e) => c.message.test(e.message));
      assert.ok(p, `no error matches ${c.message}: ${r.errors.map(formatProblem).join('\n')}`);
      assert.deepEqual({file: p.file, line: p.line, path: p.path}, {file: join(dir, c.at.file ?? c.lint), line: c.at.line, path: c.at.path}, formatProblem(p));
      assert.ok(p.col >= 1);
      for (const e of r.errors) assert.doesNotMatch(formatProblem(e), STACK);
    });
  }

  test('the base pack that does not load has its problem listed after the pointer', async () => {
    const dir = tempDir();
    writeFiles(dir, {'app.yaml': app('[base]'), 'base.yaml': base('base', ['one']).replace('severity: medium', 'severity: urgent')});
    const r = await lintPackFile(join(dir, 'app.yaml'), {checks: CHECKS, generators: GENERATORS});
    assert.equal(r.errors.length, 2);
    assert.deepEqual([r.errors[1]!.file, r.errors[1]!.line, r.errors[1]!.path], [join(dir, 'base.yaml'), 14, 'sections[0].items[0].severity']);
  });
});

describe('packs lint: several problems at once', () => {
  test("schema problems and the registries' problems are listed together, each at its place", async () => {
    const dir = tempDir();
    const text = edit(
      'generator: hex32',
      'generator: hex64',
      edit('check: compose.ports-private', 'check: compose.nope', edit('title: Demo pack', 'titel: Demo pack')),
    );
    writeFiles(dir, {'pack.yaml': text});
    const r = await lintPackFile(join(dir, 'pack.yaml'), {checks: CHECKS, generators: GENERATORS});
    assert.deepEqual(
      r.errors.map((e) => [e.line, e.path]),
      [
        [2, 'title'],
        [4, 'titel'],
        [29, 'sections[0].items[0].verify[0].check'],
        [40, 'sections[0].items[1].generate.generator'],
      ],
    );
  });
});

describe('packs lint: clean packs', () => {
  test('the valid pack, with its yaml-language-server line, has no errors', async () => {
    const dir = tempDir();
    writeFiles(dir, {'pack.yaml': VALID});
    const r = await lintPackFile(join(dir, 'pack.yaml'), {checks: CHECKS, generators: GENERATORS});
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.warnings, []);
    assert.equal(r.pack?.id, 'demo');
  });

  test('warnings: no detect rules, and an own item that replaces an inherited one', async () => {
    const dir = tempDir();
    writeFiles(dir, {'app.yaml': app('[base]'), 'base.yaml': base('base', ['own-item', 'two'])});
    const r = await lintPackFile(join(dir, 'app.yaml'), {checks: CHECKS, generators: GENERATORS});
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
      r.warnings.map((w) => [w.line, w.path]),
      [
        [2, 'id'],
        [11, 'sections[0].items[0].id'],
      ],
    );
    assert.match(r.warnings[1]!.message, /replaces the one base has .*use override/);
  });

  test('every built-in pack lints without errors', async () => {
    const {builtinPackFiles} = await import('../../src/pack/builtin.js');
    for (const f of builtinPackFiles()) {
      const r = await lintPackFile(f, {checks: CHECKS, generators: GENERATORS});
      assert.deepEqual(r.errors.map(formatProblem), [], f);
    }
  });
});

describe('shipshape packs lint (the command)', () => {
  test('prints file:line:col and exits 1 on errors, 0 when clean', () => {
    const dir = tempDir();
    writeFiles(dir, {'bad.yaml': edit('check: compose.ports-private', 'check: compose.nope'), 'good.yaml': VALID.replace('id: demo', 'id: good')});
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'src', 'cli.ts'), 'packs', 'lint', ...args], {encoding: 'utf8'});
    const bad = run(join(dir, 'bad.yaml'));
    assert.equal(bad.status, 1, bad.stderr);
    assert.match(
      bad.stdout,
      new RegExp(`^${join(dir, 'bad.yaml')}:29:\\d+: sections\\[0\\]\\.items\\[0\\]\\.verify\\[0\\]\\.check: unknown check "compose\\.nope"`, 'm'),
    );
    assert.doesNotMatch(bad.stdout + bad.stderr, STACK);
    const good = run(join(dir, 'good.yaml'));
    assert.equal(good.status, 0, good.stdout + good.stderr);
    assert.match(good.stdout, /ok \(pack good, 3 items\)/);
    const json = run(dir, '--format', 'json');
    assert.equal(json.status, 1);
    const doc = JSON.parse(json.stdout) as {errors: number; files: {file: string; errors: {line: number}[]}[]};
    assert.equal(doc.errors, 1);
    assert.deepEqual(
      doc.files.map((f) => f.errors.map((e) => e.line)),
      [[29], []],
    );
    const usage = run();
    assert.equal(usage.status, 2);
    assert.equal(usage.stdout, '');
  });
});

describe('shipshape packs new', () => {
  const REAL = {
    '.env': 'POSTGRES_PASSWORD=changeme\nJWT_SECRET=short\nAPP_URL=https://app.example.org\n',
    'docker-compose.yml': [
      'services:',
      '  web:',
      '    image: ghcr.io/acme/web:latest',
      '    ports: ["8080:8080"]',
      '    volumes: [/var/run/docker.sock:/var/run/docker.sock]',
      '  db:',
      '    image: postgres:16',
      '    ports: ["5432:5432"]',
      '    environment:',
      '      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}',
      '  cache:',
      '    image: redis:7',
      '',
    ].join('\n'),
    'chart/values.yaml': 'image:\n  repository: acme/web\n  tag: latest\nauth:\n  password: hunter2\n',
    'k8s/deploy.yaml':
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: acme/web:latest\n',
    'chart/templates/secret.yaml': 'apiVersion: v1\nkind: Secret\ndata:\n  x: {{ .Values.x }}\n',
  };

  function cli(...args: string[]) {
    return spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'src', 'cli.ts'), ...args], {encoding: 'utf8'});
  }

  test('starts a pack from .env, Compose, Helm values and manifests; it lints clean, loads and runs', async () => {
    const dir = tempDir();
    writeFiles(dir, REAL);
    const out = join(dir, 'packs', 'acme.yaml');
    const made = cli('packs', 'new', '--dir', dir, '--out', out, '--id', 'acme');
    assert.equal(made.status, 0, made.stderr);
    assert.match(made.stderr, /wrote .*acme\.yaml; check it with: shipshape packs lint/);
    const r = await lintPackFile(out, {checks: CHECKS, generators: GENERATORS});
    assert.deepEqual(r.errors.map(formatProblem), []);
    assert.deepEqual(r.warnings, []);
    const pack = r.pack!;
    assert.equal(pack.id, 'acme');
    const ids = pack.sections.flatMap((s) => s.items.map((i) => i.id));
    for (const id of [
      'env-file-valid',
      'env-not-committed',
      'secrets-not-default',
      'datastores-private',
      'images-pinned',
      'helm-no-plaintext-secrets',
      'k8s-no-secret-data',
      'backup-restored',
    ]) {
      assert.ok(ids.includes(id), `${id} in ${ids.join(', ')}`);
    }
    const step = (id: string) => pack.sections.flatMap((s) => s.items).find((i) => i.id === id)!.verify![0]!;
    assert.deepEqual(step('datastores-private').with.services, ['db', 'cache']);
    assert.deepEqual(step('secrets-not-default').with.keys, ['POSTGRES_PASSWORD', 'JWT_SECRET']);
    assert.deepEqual(pack.files.helmValues, ['chart/values.yaml']);
    assert.deepEqual(pack.files.manifests, ['k8s/deploy.yaml']);
    assert.deepEqual(pack.detect, [{file: 'docker-compose.yml', contains: '^\\s+web:'}]);
    // The editor line points at the shipped schema, and detection picks the pack for its folder.
    const text = readFileSync(out, 'utf8');
    assert.match(text, /^# yaml-language-server: \$schema=\S+pack\.schema\.json\n/);
    const detect = cli('packs', 'detect', '--dir', dir, '--pack', join(dir, 'packs'));
    assert.match(detect.stdout, /acme: chosen, matched docker-compose\.yml/);
    const check = cli('check', '--dir', dir, '--pack', out, '--format', 'json');
    assert.equal(check.status, 1, check.stderr);
    const doc = JSON.parse(check.stdout) as {items: {id: string; status: string}[]};
    const status = Object.fromEntries(doc.items.map((i) => [i.id, i.status]));
    assert.equal(status['datastores-private'], 'fail');
    assert.equal(status['images-pinned'], 'fail');
    assert.equal(status['secrets-not-default'], 'fail');
  });

  test('an existing --out is kept unless --force; to stdout without --out; an empty folder still gives a valid pack', async () => {
    const dir = tempDir();
    writeFiles(dir, {'pack.yaml': 'mine\n'});
    const refused = cli('packs', 'new', '--dir', dir, '--out', join(dir, 'pack.yaml'));
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /the file exists; pass --force/);
    assert.equal(readFileSync(join(dir, 'pack.yaml'), 'utf8'), 'mine\n');
    const empty = tempDir('Empty Folder ');
    const printed = cli('packs', 'new', '--dir', empty);
    assert.equal(printed.status, 0, printed.stderr);
    writeFiles(dir, {'empty.yaml': printed.stdout});
    const r = await lintPackFile(join(dir, 'empty.yaml'), {checks: CHECKS, generators: GENERATORS});
    assert.deepEqual(r.errors.map(formatProblem), []);
    assert.match(r.pack!.id, /^empty-folder/);
    const forced = cli('packs', 'new', '--dir', empty, '--out', join(dir, 'pack.yaml'), '--force');
    assert.equal(forced.status, 0, forced.stderr);
    assert.notEqual(readFileSync(join(dir, 'pack.yaml'), 'utf8'), 'mine\n');
  });

  test('every deployment fixture gives a pack that lints clean', async () => {
    const {readdirSync} = await import('node:fs');
    const {scaffoldPack, survey} = await import('../../src/pack/scaffold.js');
    const out = tempDir();
    for (const name of readdirSync(join(REPO, 'test', 'fixtures'))) {
      const dir = join(REPO, 'test', 'fixtures', name);
      writeFiles(out, {[`${name}.yaml`]: scaffoldPack(dir, await survey(dir), CHECKS)});
      const r = await lintPackFile(join(out, `${name}.yaml`), {checks: CHECKS, generators: GENERATORS});
      assert.deepEqual(r.errors.map(formatProblem), [], name);
    }
  });
});
