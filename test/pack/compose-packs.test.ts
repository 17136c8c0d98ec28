// Packs composed together: extends, de-duplication by id, override, drop with a reason, cycles,
// unknown ids, and the pack each item comes from in what `check` prints.
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {CHECKS} from '../../src/checks/index.js';
import {evaluate, openSession} from '../../src/engine/session.js';
import {buildLedger} from '../../src/engine/ledger.js';
import {GENERATORS} from '../../src/generators/index.js';
import {choosePack, detectPacks} from '../../src/pack/detect.js';
import {loadPackFile, PackLoadError} from '../../src/pack/load.js';
import {buildReport} from '../../src/report/model.js';
import {toJson} from '../../src/report/json.js';
import {toText} from '../../src/report/text.js';
import {REPO, tempDir, writeFiles} from '../support/helpers.js';

interface ItemSpec {
  id: string;
  severity?: string;
  section?: string;
  when?: string;
  verify?: string;
}

/** A pack's YAML: metadata, the extra top-level lines, then its items (confirm-only unless `verify`). */
function pack(id: string, extra: string[], items: ItemSpec[]): string {
  const sections = new Map<string, ItemSpec[]>();
  for (const i of items) sections.set(i.section ?? 'main', [...(sections.get(i.section ?? 'main') ?? []), i]);
  return [
    'schema: 1',
    `id: ${id}`,
    `title: Pack ${id}`,
    'version: 1.0.0',
    `description: Pack ${id} for the composition tests.`,
    ...extra,
    'sections:',
    ...[...sections].flatMap(([sid, list]) => [
      `  - id: ${sid}`,
      `    title: Section ${sid} of ${id}`,
      '    items:',
      ...list.flatMap((i) => [
        `      - id: ${i.id}`,
        `        title: ${i.id} as ${id} says`,
        '        why: Because.',
        '        how: Do it.',
        `        severity: ${i.severity ?? 'medium'}`,
        `        source: {system: ${id}, section: Tests}`,
        ...(i.when ? [`        when: ${i.when}`] : []),
        ...(i.verify ? ['        verify:', `          - check: ${i.verify}`] : ['        confirm: Done?']),
      ]),
    ]),
    '',
  ].join('\n');
}

const MODE_INPUT = [
  'inputs:',
  '  - id: mode',
  '    question: How is it deployed?',
  '    choices:',
  '      - {value: compose, label: Compose}',
  '      - {value: kubernetes, label: Kubernetes}',
  '    default: compose',
];

async function load(dir: string, file: string) {
  return (await loadPackFile(join(dir, file), CHECKS, {generators: GENERATORS})).pack;
}

async function problems(dir: string, file: string) {
  try {
    await load(dir, file);
  } catch (err) {
    assert.ok(err instanceof PackLoadError, String(err));
    assert.doesNotMatch(err.message, /^\s+at /m);
    return err.problems;
  }
  assert.fail('expected the pack not to load');
}

const ids = (p: Awaited<ReturnType<typeof load>>) => p.sections.flatMap((s) => s.items.map((i) => i.id));

describe('extends', () => {
  test('own items first, then inherited ones in their sections; origin recorded; inputs and files inherited; detect not', async () => {
    const dir = tempDir();
    writeFiles(dir, {
      'base.yaml': pack(
        'base',
        [...MODE_INPUT, 'detect:', '  - file: compose.yaml', 'files:', '  env: [app.env]'],
        [
          {id: 'pinned', section: 'runtime', when: '{mode: compose}'},
          {id: 'socket', section: 'runtime'},
          {id: 'backups', section: 'ops'},
        ],
      ),
      'app.yaml': pack('app', ['extends: [base]'], [{id: 'app-secret', section: 'ops'}]),
    });
    const p = await load(dir, 'app.yaml');
    assert.deepEqual(
      p.sections.map((s) => [s.id, s.items.map((i) => i.id)]),
      [
        ['ops', ['app-secret', 'backups']],
        ['runtime', ['pinned', 'socket']],
      ],
    );
    assert.deepEqual(p.origin, {pinned: 'base', socket: 'base', backups: 'base'});
    assert.deepEqual(p.composedOf, ['base']);
    assert.deepEqual(
      p.inputs.map((i) => i.id),
      ['mode'],
    );
    assert.deepEqual(p.files.env, ['app.env']);
    assert.deepEqual(p.detect, []);
  });

  test('a chain: the origin is the pack that wrote the item, not the one in between', async () => {
    const dir = tempDir();
    writeFiles(dir, {
      'a.yaml': pack('a', [], [{id: 'from-a'}]),
      'b.yaml': pack('b', ['extends: [a]'], [{id: 'from-b'}]),
      'c.yaml': pack('c', ['extends: [b]'], [{id: 'from-c'}]),
    });
    const p = await load(dir, 'c.yaml');
    assert.deepEqual(ids(p), ['from-c', 'from-b', 'from-a']);
    assert.deepEqual(p.origin, {'from-b': 'b', 'from-a': 'a'});
    assert.deepEqual(p.composedOf, ['b', 'a']);
  });

  test('a base found by its id line when its file is named otherwise', async () => {
    const dir = tempDir();
    writeFiles(dir, {'generic-things.yml': pack('generic', [], [{id: 'g'}]), 'app.yaml': pack('app', ['extends: [generic]'], [{id: 'a'}])});
    assert.deepEqual(ids(await load(dir, 'app.yaml')), ['a', 'g']);
  });

  test('a built-in pack can be extended from a user folder', async () => {
    const dir = tempDir();
    writeFiles(dir, {'app.yaml': pack('app', ['extends: [zitadel]'], [{id: 'own-one'}])});
    const p = await load(dir, 'app.yaml');
    assert.ok(ids(p).length > 10);
    assert.ok(Object.values(p.origin ?? {}).every((o) => o === 'zitadel'));
  });
});

describe('extends with a condition', () => {
  test('extends: [{pack, when}] puts the condition on every item taken in, unless the item has its own on that input', async () => {
    const dir = tempDir();
    writeFiles(dir, {
      'generic.yaml': pack(
        'generic',
        ['inputs:', '  - id: mode', '    question: Q?', '    choices: [{value: compose, label: C}, {value: kubernetes, label: K}]'],
        [{id: 'any-mode'}, {id: 'k8s-only', when: '{mode: kubernetes}'}],
      ),
      'app.yaml': pack('app', ['extends:', '  - pack: generic', '    when: {mode: compose}'], [{id: 'a'}]),
      'bad.yaml': pack('bad', ['extends:', '  - {pack: generic, when: {runtime: compose}}'], [{id: 'a'}]),
    });
    const p = await load(dir, 'app.yaml');
    const when = Object.fromEntries(p.sections.flatMap((s) => s.items).map((i) => [i.id, i.when ?? null]));
    assert.deepEqual(when, {a: null, 'any-mode': {mode: 'compose'}, 'k8s-only': {mode: 'kubernetes'}});
    const found = await problems(dir, 'bad.yaml');
    assert.deepEqual(
      found.map((x) => [x.line, x.path]),
      [[7, 'extends[0].when.runtime']],
    );
    assert.match(found[0]!.message, /unknown input "runtime"/);
  });
});

describe('extends entries and overrides, as the README writes them', () => {
  test('{pack: ID} without a when is the same as the bare id; a wrong entry says what an entry is', async () => {
    const dir = tempDir();
    writeFiles(dir, {
      'generic.yaml': pack('generic', [], [{id: 'g'}]),
      'app.yaml': pack('app', ['extends:', '  - {pack: generic}'], [{id: 'a'}]),
      'bad.yaml': pack('bad', ['extends:', '  - {pack: generic, when: 3}'], [{id: 'a'}]),
    });
    assert.deepEqual(ids(await load(dir, 'app.yaml')), ['a', 'g']);
    const found = await problems(dir, 'bad.yaml');
    assert.equal(found.length, 1);
    assert.match(found[0]!.message, /a pack id, or \{pack: ID, when/);
  });

  test("an override's when narrows an inherited item and keeps the extends entry's condition", async () => {
    const dir = tempDir();
    writeFiles(dir, {
      'generic.yaml': pack(
        'generic',
        [
          'inputs:',
          '  - id: mode',
          '    question: Q?',
          '    choices: [{value: compose, label: C}, {value: kubernetes, label: K}]',
          '  - id: tier',
          '    question: T?',
          '    choices: [{value: prod, label: P}, {value: dev, label: D}]',
        ],
        [{id: 'restart'}],
      ),
      'app.yaml': pack(
        'app',
        ['extends:', '  - pack: generic', '    when: {mode: compose}', 'override:', '  - id: restart', '    when: {tier: prod}'],
        [{id: 'a'}],
      ),
    });
    const item = (await load(dir, 'app.yaml')).sections.flatMap((s) => s.items).find((i) => i.id === 'restart');
    assert.deepEqual(item?.when, {mode: 'compose', tier: 'prod'});
  });
});

describe('extends with a condition, through a diamond', () => {
  test('the same item reached through two conditioned entries is still one item', async () => {
    const dir = tempDir();
    writeFiles(dir, {
      'root.yaml': pack('root', MODE_INPUT, [{id: 'common'}]),
      'left.yaml': pack('left', ['extends: [root]'], [{id: 'l'}]),
      'right.yaml': pack('right', ['extends: [root]'], [{id: 'r'}]),
      'top.yaml': pack('top', ['extends:', '  - {pack: left, when: {mode: compose}}', '  - {pack: right, when: {mode: compose}}'], [{id: 't'}]),
    });
    const p = await load(dir, 'top.yaml');
    assert.deepEqual(ids(p).sort(), ['common', 'l', 'r', 't']);
    assert.deepEqual(p.sections.flatMap((s) => s.items).find((i) => i.id === 'common')!.when, {mode: 'compose'});
  });
});

describe('de-duplication by id', () => {
  test("the extending pack's item wins over an inherited item with the same id", async () => {
    const dir = tempDir();
    writeFiles(dir, {
      'base.yaml': pack('base', [], [{id: 'shared', severity: 'low'}, {id: 'other'}]),
      'app.yaml': pack('app', ['extends: [base]'], [{id: 'shared', severity: 'critical'}]),
    });
    const p = await load(dir, 'app.yaml');
    assert.deepEqual(ids(p), ['shared', 'other']);
    const shared = p.sections[0]!.items[0]!;
    assert.equal(shared.severity, 'critical');
    assert.equal(shared.title, 'shared as app says');
    assert.equal(p.origin?.shared, undefined);
  });

  test('the same item reached through two bases (a diamond) is one item', async () => {
    const dir = tempDir();
    writeFiles(dir, {
      'root.yaml': pack('root', [], [{id: 'common'}]),
      'left.yaml': pack('left', ['extends: [root]'], [{id: 'l'}]),
      'right.yaml': pack('right', ['extends: [root]'], [{id: 'r'}]),
      'top.yaml': pack('top', ['extends: [left, right]'], [{id: 't'}]),
    });
    const p = await load(dir, 'top.yaml');
    assert.deepEqual(ids(p).sort(), ['common', 'l', 'r', 't']);
    assert.equal(p.origin?.common, 'root');
  });

  test('one id from two different bases is an error at the second extends entry, unless dropped', async () => {
    const dir = tempDir();
    writeFiles(dir, {
      'left.yaml': pack('left', [], [{id: 'shared'}]),
      'right.yaml': pack('right', [], [{id: 'shared'}, {id: 'r'}]),
      'app.yaml': pack('app', ['extends: [left, right]'], [{id: 'a'}]),
      'settled.yaml': pack('settled', ['extends: [left, right]', 'drop:', '  - {id: shared, reason: we check this by hand}'], [{id: 'a'}]),
    });
    const [p] = await problems(dir, 'app.yaml');
    assert.deepEqual([p!.line, p!.path], [6, 'extends[1]']);
    assert.match(p!.message, /item "shared" comes from both left and right/);
    assert.deepEqual(ids(await load(dir, 'settled.yaml')), ['a', 'r']);
  });
});

describe('override and drop', () => {
  test('override replaces the named fields of an inherited item and keeps the rest', async () => {
    const dir = tempDir();
    writeFiles(dir, {
      'base.yaml': pack('base', [], [{id: 'pinned', severity: 'low', verify: 'compose.image-pinned'}]),
      'app.yaml': pack('app', ['extends: [base]', 'override:', '  - id: pinned', '    severity: high', '    how: Pin to a digest.'], [{id: 'a'}]),
    });
    const p = await load(dir, 'app.yaml');
    const item = p.sections.flatMap((s) => s.items).find((i) => i.id === 'pinned')!;
    assert.equal(item.severity, 'high');
    assert.equal(item.how, 'Pin to a digest.');
    assert.equal(item.why, 'Because.');
    assert.deepEqual(item.verify, [{check: 'compose.image-pinned', with: {}}]);
    assert.equal(p.origin?.pinned, 'base');
  });

  test('drop removes an inherited item and keeps the reason', async () => {
    const dir = tempDir();
    writeFiles(dir, {
      'base.yaml': pack('base', [], [{id: 'limits'}, {id: 'socket'}]),
      'app.yaml': pack('app', ['extends: [base]', 'drop:', '  - id: limits', '    reason: one host, sized by hand'], [{id: 'a'}]),
    });
    const p = await load(dir, 'app.yaml');
    assert.deepEqual(ids(p), ['a', 'socket']);
    assert.deepEqual(p.dropped, [{id: 'limits', from: 'base', reason: 'one host, sized by hand'}]);
  });

  test('a drop needs a reason, and must name an inherited item', async () => {
    const dir = tempDir();
    writeFiles(dir, {
      'base.yaml': pack('base', [], [{id: 'limits'}]),
      'no-reason.yaml': pack('no-reason', ['extends: [base]', 'drop:', '  - id: limits'], [{id: 'a'}]),
      'empty-reason.yaml': pack('empty-reason', ['extends: [base]', 'drop:', '  - {id: limits, reason: "  "}'], [{id: 'a'}]),
      'own.yaml': pack('own', ['extends: [base]', 'drop:', '  - {id: a, reason: mine}'], [{id: 'a'}]),
    });
    const [noReason] = await problems(dir, 'no-reason.yaml');
    assert.deepEqual([noReason!.line, noReason!.path], [8, 'drop[0].reason']);
    const [empty] = await problems(dir, 'empty-reason.yaml');
    assert.deepEqual([empty!.path], ['drop[0].reason']);
    assert.match(empty!.message, /must not be empty/);
    const [own] = await problems(dir, 'own.yaml');
    assert.match(own!.message, /"a" is this pack's own item: delete it rather than drop it/);
  });

  test("an override's when is checked against the inherited inputs", async () => {
    const dir = tempDir();
    writeFiles(dir, {
      'base.yaml': pack('base', MODE_INPUT, [{id: 'pinned'}]),
      'good.yaml': pack('good', ['extends: [base]', 'override:', '  - {id: pinned, when: {mode: kubernetes}}'], [{id: 'a', when: '{mode: compose}'}]),
      'bad.yaml': pack('bad', ['extends: [base]', 'override:', '  - {id: pinned, when: {mode: swarm}}'], [{id: 'a'}]),
    });
    const good = await load(dir, 'good.yaml');
    assert.deepEqual(good.sections.flatMap((s) => s.items).find((i) => i.id === 'pinned')!.when, {mode: 'kubernetes'});
    const [bad] = await problems(dir, 'bad.yaml');
    assert.deepEqual([bad!.line, bad!.path], [8, 'override[0].when.mode']);
    assert.match(bad!.message, /"swarm" is not a choice of input mode/);
  });
});

describe('errors: cycles and unknown ids', () => {
  test('a cycle of three is reported once, where it closes', async () => {
    const dir = tempDir();
    writeFiles(dir, {
      'a.yaml': pack('a', ['extends: [b]'], [{id: 'x'}]),
      'b.yaml': pack('b', ['extends: [c]'], [{id: 'y'}]),
      'c.yaml': pack('c', ['extends: [a]'], [{id: 'z'}]),
    });
    const found = await problems(dir, 'a.yaml');
    assert.equal(found.length, 1);
    assert.deepEqual([found[0]!.file, found[0]!.line, found[0]!.path], [join(dir, 'c.yaml'), 6, 'extends[0]']);
    assert.equal(found[0]!.message, 'extends cycle: a -> b -> c -> a');
  });

  test('an unknown pack id names where it looked', async () => {
    const dir = tempDir();
    writeFiles(dir, {'app.yaml': pack('app', ['extends: [zitadel, nope]'], [{id: 'a'}])});
    const [p] = await problems(dir, 'app.yaml');
    assert.deepEqual([p!.line, p!.col, p!.path], [6, 20, 'extends[1]']);
    assert.match(p!.message, /unknown pack "nope": not in .* and not built in \(.*zitadel/);
  });

  test('override and drop of ids nobody has', async () => {
    const dir = tempDir();
    writeFiles(dir, {
      'base.yaml': pack('base', [], [{id: 'socket-mount'}]),
      'app.yaml': pack('app', ['extends: [base]', 'override:', '  - {id: socket, severity: low}', 'drop:', '  - {id: gone, reason: x}'], [{id: 'a'}]),
      'lonely.yaml': pack('lonely', ['drop:', '  - {id: gone, reason: x}'], [{id: 'a'}]),
    });
    const found = await problems(dir, 'app.yaml');
    assert.deepEqual(
      found.map((p) => [p.line, p.path]),
      [
        [10, 'drop[0].id'],
        [8, 'override[0].id'],
      ],
    );
    assert.match(found[1]!.message, /no inherited item "socket" to override \(did you mean socket-mount\?\)/);
    const [lonely] = await problems(dir, 'lonely.yaml');
    assert.match(lonely!.message, /this pack extends nothing \(add extends: \[pack-id\]\)/);
  });
});

describe('the origin pack in what check shows', () => {
  function deployment(): {dir: string; packs: string} {
    const root = tempDir();
    writeFiles(root, {
      'packs/base.yaml': pack('base', ['detect:', '  - file: compose.yaml'], [{id: 'pinned', verify: 'compose.image-pinned'}, {id: 'limits'}]),
      'packs/app.yaml': pack(
        'app',
        ['extends: [base]', 'detect:', '  - file: compose.yaml', '    contains: "^\\\\s+app:"', 'drop:', '  - {id: limits, reason: sized by hand}'],
        [{id: 'app-backups'}],
      ),
      'dep/compose.yaml': 'services:\n  app:\n    image: nginx:latest\n',
    });
    return {dir: join(root, 'dep'), packs: join(root, 'packs')};
  }

  test('detection picks the extending pack and says the base runs as part of it', async () => {
    const d = deployment();
    const packs = [await load(d.packs, 'app.yaml'), await load(d.packs, 'base.yaml')];
    const choice = choosePack(await detectPacks(d.dir, packs));
    assert.equal(choice.chosen?.pack.id, 'app');
    assert.deepEqual(
      choice.all.map((x) => [x.pack.id, x.coveredBy ?? null]),
      [
        ['app', null],
        ['base', 'app'],
      ],
    );
  });

  test('json and text reports carry the pack of each item', async () => {
    const d = deployment();
    const session = await openSession({dir: d.dir, pack: d.packs});
    assert.equal(session.pack.id, 'app');
    const report = buildReport(session, buildLedger(session.pack, await evaluate(session)));
    const doc = JSON.parse(toJson(report)) as {pack: string; items: {id: string; pack: string; status: string}[]};
    assert.equal(doc.pack, 'app');
    assert.deepEqual(
      doc.items.map((i) => [i.id, i.pack, i.status]),
      [
        ['app-backups', 'app', 'manual'],
        ['pinned', 'base', 'fail'],
      ],
    );
    const text = toText(report, {color: false});
    assert.match(text, /pinned as base says \(from base\)/);
    assert.doesNotMatch(text, /app-backups as app says \(from/);
    // Exports: Markdown and HTML say it too.
    const {formatById} = await import('../../src/report/index.js');
    assert.match(formatById('markdown')!.render(report, {color: false}), /pinned as base says \(`pinned` \(from base\)\)/);
    assert.match(formatById('html')!.render(report, {color: false}), /<code class="id">pinned<\/code> <span class="from">from base<\/span>/);
  });

  test('shipshape check --pack FOLDER --format json, and packs detect, through the CLI', () => {
    const d = deployment();
    const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'src', 'cli.ts'), ...args], {encoding: 'utf8'});
    const check = cli('check', '--dir', d.dir, '--pack', d.packs, '--format', 'json', '--fail-on', 'medium');
    assert.equal(check.status, 1, check.stderr);
    const doc = JSON.parse(check.stdout) as {items: {id: string; pack: string}[]};
    assert.deepEqual(Object.fromEntries(doc.items.map((i) => [i.id, i.pack])), {'app-backups': 'app', pinned: 'base'});
    const detect = cli('packs', 'detect', '--dir', d.dir, '--pack', d.packs);
    assert.equal(detect.status, 0, detect.stderr);
    assert.match(detect.stdout, /app: chosen, matched compose\.yaml ~ \/\^\\s\+app:\//);
    assert.match(detect.stdout, /base: matched compose\.yaml; runs as part of app, which extends it/);
    // The wizard (its line mode here) names the pack beside the item id.
    const walk = spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'src', 'cli.ts'), 'walk', '--plain', '--dir', d.dir, '--pack', d.packs], {
      encoding: 'utf8',
      input: 'n\nn\nq\n',
      env: {...process.env, SHIPSHAPE_PROGRESS_DIR: tempDir()},
    });
    assert.match(walk.stdout, /== Section main of app: pinned as base says \[medium\] \(pinned, from base\)/);
    assert.match(walk.stdout, /== Section main of app: app-backups as app says \[medium\] \(app-backups\)\n/);
    const list = cli('packs', 'list', '--pack', d.packs);
    assert.match(list.stdout, /app .*\(extends base\)\n.*\n\s+drops limits \(from base\): sized by hand/);
  });
});
