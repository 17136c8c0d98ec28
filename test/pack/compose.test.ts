// The generic compose pack: it loads, detection picks it for a Compose project no product pack
// claims and leaves the product deployments to their own packs, the hardened fixture has no fail,
// and the weak fixture fails every item at the file and line of its planted weakness without
// printing a secret.
import assert from 'node:assert/strict';
import {chmodSync, cpSync, existsSync, readFileSync, renameSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {parse as parseEnv} from 'dotenv';
import type {ItemOutcome} from '../../src/engine/run.js';
import {evaluate, loadBuiltins, openSession} from '../../src/engine/session.js';
import {detectPacks} from '../../src/pack/detect.js';
import {dirWith, git, gitInit, lineIn, lines, REPO, runCli, tempDir} from '../support/helpers.js';

const FIXTURES = join(REPO, 'test', 'fixtures');
const PACK = 'compose';
const COMPOSE = 'docker-compose.yml';

/** Items whose evidence is a file as a whole (its mode, its place in git): a file, no line. */
const FILE_ITEMS = new Set(['env-file-mode', 'env-not-in-git']);

/**
 * A copy of a fixture as a deployment: env.fixture becomes .env (the repository's own .gitignore
 * would drop it) with the given mode, gitignore.fixture becomes .gitignore, and everything not
 * ignored is committed.
 */
function deployment(fixture: string, envMode: number): string {
  const dir = tempDir('shipshape-compose-');
  cpSync(join(FIXTURES, fixture), dir, {recursive: true});
  renameSync(join(dir, 'env.fixture'), join(dir, '.env'));
  renameSync(join(dir, 'gitignore.fixture'), join(dir, '.gitignore'));
  chmodSync(join(dir, '.env'), envMode);
  gitInit(dir);
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'deployment');
  return dir;
}

const hardened = () => deployment('compose-hardened', 0o600);
const weak = () => deployment('compose-weak', 0o644);

async function outcomes(dir: string): Promise<Map<string, ItemOutcome>> {
  const session = await openSession({dir, pack: PACK});
  return new Map((await evaluate(session)).map((o) => [o.id, o]));
}

/** Every value in the deployment's .env, and the literals planted in its Compose file. */
function secretsOf(dir: string): string[] {
  const env = Object.entries(parseEnv(readFileSync(join(dir, '.env'), 'utf8')))
    .filter(([k]) => /PASSWORD|SECRET/.test(k))
    .map(([, v]) => v);
  return [...env, 's3ss10n-k3y-typed-into-the-yaml', 'reporter:CHANGEME'];
}

describe('the compose pack', () => {
  test('loads, with every item verified or asked, each citing its source', async () => {
    const found = (await loadBuiltins()).find((p) => p.pack.id === PACK);
    assert.ok(found, 'no built-in pack compose');
    const items = found.pack.sections.flatMap((s) => s.items);
    assert.ok(items.length >= 19, `${items.length} items`);
    for (const i of items) {
      assert.ok(i.verify || i.confirm, `${i.id} neither verifies nor asks`);
      assert.ok(i.source.url?.startsWith('https://'), `${i.id} cites no page`);
    }
    const confirms = items.filter((i) => i.confirm);
    assert.deepEqual(
      confirms.map((i) => i.id),
      ['volume-backups'],
    );
  });
});

describe('detection', () => {
  test('picks compose for a Compose project that no product pack claims', async () => {
    const packs = (await loadBuiltins()).map((p) => p.pack);
    for (const dir of [hardened(), weak()]) {
      const found = await detectPacks(dir, packs);
      assert.equal(found[0]?.pack.id, PACK, dir);
      assert.deepEqual(found[0]!.matched, [`${COMPOSE} ~ /${packs.find((p) => p.id === PACK)!.detect[0]!.contains}/`]);
    }
  });

  test('a YAML file named like Compose without services is not a Compose project', async () => {
    const packs = (await loadBuiltins()).map((p) => p.pack);
    const ids = (await detectPacks(dirWith({'compose.yaml': lines('name: notes', 'x-todo: later')}), packs)).map((d) => d.pack.id);
    assert.ok(!ids.includes(PACK));
  });

  test('the0, zitadel, the Discord fleet and hoodcloud deployments still detect as themselves', async () => {
    const packs = (await loadBuiltins()).map((p) => p.pack);
    const cases: [string, string][] = [
      [join(REPO, 'examples', 'the0-compose'), 'the0'],
      [join(FIXTURES, 'the0-hardened'), 'the0'],
      [join(FIXTURES, 'the0-shipped'), 'the0'],
      [join(FIXTURES, 'zitadel-compose-weak'), 'zitadel'],
      [join(FIXTURES, 'zitadel-compose-hardened'), 'zitadel'],
      [join(FIXTURES, 'discord-weak'), 'discord-mcp-bot'],
      [join(FIXTURES, 'discord-hardened'), 'discord-mcp-bot'],
      [join(FIXTURES, 'hoodcloud-weak'), 'hoodcloud'],
      [join(FIXTURES, 'hoodcloud-hardened'), 'hoodcloud'],
    ];
    for (const [dir, want] of cases) {
      if (!existsSync(dir)) continue;
      const ids = (await detectPacks(dir, packs)).map((d) => d.pack.id);
      assert.equal(ids[0], want, `${dir}: ${ids.join(', ')}`);
      // Were compose to recognise the folder too, it would rank after the product pack.
      if (ids.includes(PACK)) assert.ok(ids.indexOf(PACK) > ids.indexOf(want), `${dir}: ${ids.join(', ')}`);
    }
  });
});

describe('the hardened fixture', () => {
  test('has no fail, warn or error; the backups are a question', async () => {
    const all = await outcomes(hardened());
    const bad = [...all.values()].filter((o) => o.status !== 'pass' && o.status !== 'manual');
    assert.deepEqual(
      bad.map((o) => `${o.id}: ${o.status} ${o.message}`),
      [],
    );
    assert.equal(all.get('volume-backups')?.status, 'manual');
    assert.ok([...all.values()].filter((o) => o.status === 'pass').length >= 18);
  });
});

describe('the weak fixture', () => {
  /** Item id -> every place its failing evidence must name (file, needle on the line or a line number), and nothing else. */
  function planted(d: string): Record<string, [string, number | undefined][]> {
    const at = (needle: string) => lineIn(d, COMPOSE, needle);
    // A finding about a whole service sits on the first line of its body.
    const service = (name: string) => at(`  ${name}:`) + 1;
    return {
      'ports-loopback': [
        [COMPOSE, at('"2019:2019"')],
        [COMPOSE, at('"5432:5432"')],
        [COMPOSE, at('"8081:8080"')],
      ],
      'datastores-private': [[COMPOSE, at('"5432:5432"')]],
      'docker-socket': [[COMPOSE, at('/var/run/docker.sock:')]],
      privileged: [[COMPOSE, at('privileged: true')]],
      capabilities: [[COMPOSE, at('SYS_ADMIN')]],
      'no-new-privileges': [[COMPOSE, service('cache')]],
      'non-root-user': [[COMPOSE, at('WORKER_UID:-0')]],
      'group-add-not-root': [[COMPOSE, at('DOCKER_GID:-0')]],
      'restart-policy': [[COMPOSE, service('agent')]],
      healthchecks: [[COMPOSE, service('worker')]],
      'resource-limits': [[COMPOSE, service('proxy')]],
      'log-rotation': [[COMPOSE, at('driver: json-file # planted')]],
      'images-pinned': [[COMPOSE, at('image: valkey/valkey #')]],
      'no-literal-credentials': [
        [COMPOSE, at('SESSION_SECRET:')],
        [COMPOSE, at('REPORTS_URL:')],
      ],
      'env-no-duplicates': [
        ['.env', 5],
        ['.env', 6],
      ],
      'env-no-placeholders': [['.env', 4]],
      'env-file-mode': [['.env', undefined]],
      'env-not-in-git': [['.env', undefined]],
    };
  }

  test('fails every item it plants a weakness for, at exactly the planted files and lines', async () => {
    const dir = weak();
    const want = planted(dir);
    const all = await outcomes(dir);
    assert.deepEqual(
      [...all.values()]
        .filter((o) => o.status === 'fail')
        .map((o) => o.id)
        .sort(),
      Object.keys(want).sort(),
    );
    for (const [id, places] of Object.entries(want)) {
      const o = all.get(id)!;
      // Images built here are named in the evidence as left out; they are not findings.
      const findings = o.evidence.filter((e) => !/built here|never pulled/.test(e.detail));
      assert.deepEqual(findings.map((e) => [e.file, e.line]).sort(), places.sort(), `${id}: ${JSON.stringify(o.evidence)}`);
      if (!FILE_ITEMS.has(id)) for (const e of findings) assert.equal(typeof e.line, 'number', `${id}: ${e.detail}`);
    }
  });

  test('what looks weak but is not stays out: the image built here, the one-shot migration, the Dockerfile healthcheck', async () => {
    const dir = weak();
    const all = await outcomes(dir);
    const images = all.get('images-pinned')!.evidence;
    assert.ok(images.some((e) => e.key === 'app.image' && /built here/.test(e.detail)));
    assert.ok(!all.get('restart-policy')!.evidence.some((e) => e.key === 'migrate.restart'));
    assert.ok(!all.get('healthchecks')!.evidence.some((e) => e.key === 'app.healthcheck'));
  });

  test('check --format json exits 1 and prints no secret', async () => {
    const dir = weak();
    const r = await runCli(['check', '--dir', dir, '--pack', PACK, '--format', 'json'], {env: {SHIPSHAPE_PROGRESS_DIR: tempDir('shipshape-progress-')}});
    assert.ok(r.stdout.trim().startsWith('{'), `check printed no JSON:\n${r.stdout}\n${r.stderr}`);
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout) as {pack: string; items: {id: string; status: string}[]};
    assert.equal(report.pack, PACK);
    assert.equal(report.items.find((i) => i.id === 'no-literal-credentials')?.status, 'fail');
    for (const s of secretsOf(dir)) assert.ok(!r.stdout.includes(s), 'a secret value is printed');
  });
});
