// The discord-mcp-bot pack: it loads, it covers every section of its seed page, it is picked by
// detection, the hardened fixture has no fail, every weakness planted one at a time into the
// hardened twin fails exactly its own item(s) at the file and line, and `generate --write` fixes
// the gateway token and the database password of the weak fixture.
import assert from 'node:assert/strict';
import {cpSync, existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {parse as parseEnv} from 'dotenv';
import {evaluate, loadBuiltins, openSession} from '../../src/engine/session.js';
import type {ItemOutcome} from '../../src/engine/run.js';
import {detectPacks} from '../../src/pack/detect.js';
import {git, gitInit, REPO, runCli, tempDir} from '../support/helpers.js';
import {editRel, lineIn, readRel} from '../support/helpers.js';

const FIXTURES = join(REPO, 'test', 'fixtures');
const SEED = join(REPO, '..', 'shared', 'seeds', '001_94333777be7667de.txt');
const PACK = 'discord-mcp-bot';

/** The seed page's sections, as its headings read, and the section our items cite for each. */
const SECTIONS: [heading: string, cited: string][] = [
  ['Secrets', 'Production Checklist / Secrets'],
  ['Discord configuration', 'Production Checklist / Discord Configuration'],
  ['Network', 'Production Checklist / Network'],
  ['Database', 'Production Checklist / Database'],
  ['Configuration hygiene', 'Production Checklist / Configuration Hygiene'],
  ['Operations', 'Production Checklist / Operations'],
  ['MCP-specific (if exposed)', 'Production Checklist / MCP-Specific'],
  ['Multi-instance', 'Production Checklist / Multi-Instance'],
  ['Final smoke test', 'Production Checklist / Final Smoke Test'],
];

/** Items whose evidence comes from git history: a file and a commit, no line. */
const GIT_ITEMS = new Set(['discord-token-private', 'env-files-untracked']);

/**
 * A copy of a fixture as a deployment: `env.fixture` files become `.env` (the repository's own
 * .gitignore would otherwise drop them), `gitignore.fixture` becomes `.gitignore`, and the copy is
 * a git repository with everything not ignored committed.
 */
function deployment(fixture: string): string {
  const dir = tempDir('shipshape-discord-');
  cpSync(join(FIXTURES, fixture), dir, {recursive: true});
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name === 'env.fixture') renameSync(p, join(d, '.env'));
    }
  };
  walk(dir);
  renameSync(join(dir, 'gitignore.fixture'), join(dir, '.gitignore'));
  gitInit(dir);
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'deployment');
  return dir;
}

const read = readRel;
const edit = editRel;

/** The 1-based line of the first line containing `needle` after the first line containing `start`. */
function lineAfter(dir: string, rel: string, start: string, needle: string): number {
  const all = read(dir, rel).split('\n');
  const from = all.findIndex((l) => l.includes(start));
  const n = all.findIndex((l, i) => i > from && l.includes(needle));
  assert.ok(from >= 0 && n >= 0, `${rel} has no ${needle} after ${start}`);
  return n + 1;
}

async function outcomes(dir: string, inputs: string[] = []): Promise<Map<string, ItemOutcome>> {
  const session = await openSession({dir, pack: PACK, inputs});
  return new Map((await evaluate(session)).map((o) => [o.id, o]));
}

const failing = (all: Map<string, ItemOutcome>) =>
  [...all.values()]
    .filter((o) => o.status === 'fail')
    .map((o) => o.id)
    .sort();

/** Every value of a secret-looking key in every .env of the deployment, so a test can prove none is printed. */
function secretsOf(dir: string): string[] {
  const out: string[] = [];
  for (const rel of ['.env', 'instances/alpha/.env', 'instances/beta/.env']) {
    for (const [k, v] of Object.entries(parseEnv(read(dir, rel)))) if (/PASSWORD|SECRET|TOKEN|KEY|DATABASE_URL/.test(k) && v.length >= 8) out.push(v);
  }
  return out;
}

interface JsonItem {
  id: string;
  status: string;
  message: string;
  evidence: {file: string | null; line: number | null; key: string | null; detail: string}[];
}

async function checkJson(dir: string, ...args: string[]): Promise<{code: number | null; pack: string; items: Map<string, JsonItem>; stdout: string}> {
  const r = await runCli(['check', '--dir', dir, '--format', 'json', ...args], {env: {SHIPSHAPE_PROGRESS_DIR: tempDir('shipshape-progress-')}});
  assert.ok(r.stdout.trim().startsWith('{'), `check printed no JSON:\n${r.stdout}\n${r.stderr}`);
  const report = JSON.parse(r.stdout) as {pack: string; items: JsonItem[]};
  return {code: r.code, pack: report.pack, items: new Map(report.items.map((i) => [i.id, i])), stdout: r.stdout};
}

describe('the discord-mcp-bot pack', () => {
  test('loads, with every item verified, generated or asked', async () => {
    const found = (await loadBuiltins()).find((p) => p.pack.id === PACK);
    assert.ok(found, 'no built-in pack discord-mcp-bot');
    const items = found.pack.sections.flatMap((s) => s.items);
    assert.ok(items.length >= 45);
    for (const i of items) {
      assert.equal(i.source.system, 'discord-bot-rs');
      assert.ok(i.verify || i.generate || i.confirm, `${i.id} has no class`);
    }
    // Confirmations are yes/no questions.
    for (const i of items.filter((x) => x.confirm)) {
      const q = typeof i.confirm === 'string' ? i.confirm : i.confirm!.question;
      assert.match(q, /\?/, `${i.id}: the confirmation is not a question`);
    }
  });

  test('maps every section of the seed page to its items', async () => {
    const pack = (await loadBuiltins()).find((p) => p.pack.id === PACK)!.pack;
    const items = pack.sections.flatMap((s) => s.items);
    for (const [heading, cited] of SECTIONS) {
      const mine = items.filter((i) => i.source.section === cited);
      assert.ok(mine.length > 0, `no item cites ${cited} (seed section "${heading}")`);
    }
    assert.deepEqual([...new Set(items.map((i) => i.source.section))].sort(), SECTIONS.map(([, c]) => c).sort(), 'every item cites one of the seed sections');
    if (!existsSync(SEED)) return;
    // With the seed beside the repository: its headings are these, and each bullet has an item.
    const seed = readFileSync(SEED, 'utf8').split('\n');
    const bullets = new Map<string, number>();
    let current: string | undefined;
    for (const line of seed) {
      const heading = SECTIONS.find(([h]) => line.trim() === h);
      if (heading) current = heading[0];
      else if (current && /^\s*•/.test(line)) bullets.set(current, (bullets.get(current) ?? 0) + 1);
    }
    for (const [heading, cited] of SECTIONS) {
      assert.ok(bullets.has(heading), `the seed has no section "${heading}"`);
      assert.equal(items.filter((i) => i.source.section === cited).length, bullets.get(heading), `items for "${heading}"`);
    }
  });
});

describe('detection', () => {
  test('picks discord-mcp-bot for both fixtures, and not the0', async () => {
    const packs = (await loadBuiltins()).map((p) => p.pack);
    for (const fixture of ['discord-hardened', 'discord-weak']) {
      const found = await detectPacks(deployment(fixture), packs);
      assert.equal(found[0]?.pack.id, PACK, fixture);
      assert.deepEqual(
        found.map((d) => d.pack.id),
        [PACK],
        `${fixture}: only this pack matches`,
      );
      assert.equal(found[0]!.matched.length, 2);
    }
  });

  test("the0's deployments do not pick it", async () => {
    const packs = (await loadBuiltins()).map((p) => p.pack);
    for (const dir of [join(REPO, 'examples', 'the0-compose'), join(FIXTURES, 'the0-hardened'), join(FIXTURES, 'the0-shipped'), join(FIXTURES, 'the0-k8s')]) {
      const ids = (await detectPacks(dir, packs)).map((d) => d.pack.id);
      assert.ok(!ids.includes(PACK), `${dir} picks ${PACK}`);
    }
  });

  test('check without --pack uses it', async () => {
    const {pack} = await checkJson(deployment('discord-hardened'));
    assert.equal(pack, PACK);
  });
});

describe('the hardened fixture', () => {
  test('has no fail or error, exits 0, and settles the rest with pass, skip or a question', async () => {
    const dir = deployment('discord-hardened');
    const {code, items, stdout} = await checkJson(dir);
    const bad = [...items.values()].filter((i) => i.status === 'fail' || i.status === 'error');
    assert.deepEqual(
      bad.map((i) => `${i.id}: ${i.message}`),
      [],
    );
    assert.equal(code, 0);
    assert.ok([...items.values()].filter((i) => i.status === 'pass').length >= 15);
    // Items that need a live Discord, the network or the host are questions, never a fail.
    for (const id of ['bot-online', 'privileged-intents', 'host-firewall', 'docker-at-boot', 'backups-scheduled', 'proxy-passes-auth']) {
      assert.equal(items.get(id)?.status, 'manual', id);
    }
    for (const s of secretsOf(dir)) assert.ok(!stdout.includes(s), 'a secret value is printed');
  });
});

describe('the weak fixture', () => {
  test('fails every rule it plants, each at a file and line, and prints no secret', async () => {
    const dir = deployment('discord-weak');
    const {code, items, stdout} = await checkJson(dir);
    assert.equal(code, 1);
    const expected = [
      'bot-mcp-token',
      'bot-ports-unpublished',
      'db-schema-set',
      'discord-token-private',
      'env-files-untracked',
      'features-have-sections',
      'gateway-depends-on',
      'gateway-lists-instances',
      'gateway-loopback',
      'gateway-token-matches',
      'gateway-token-strong',
      'instance-per-bot',
      'log-rotation',
      'minecraft-secret',
      'no-placeholders',
      'personality-customised',
      'postgres-password',
      'postgres-unpublished',
      'prefix-sensible',
      'prefixes-distinct',
      'restart-policy',
      'schemas-distinct',
      'tokens-distinct',
      'upgrade-process',
    ];
    assert.deepEqual(
      [...items.values()]
        .filter((i) => i.status === 'fail')
        .map((i) => i.id)
        .sort(),
      expected,
    );
    for (const id of expected) {
      const item = items.get(id)!;
      assert.ok(
        item.evidence.some((e) => e.file && (GIT_ITEMS.has(id) || typeof e.line === 'number')),
        `${id}: no evidence names a file${GIT_ITEMS.has(id) ? '' : ' and line'}: ${JSON.stringify(item.evidence)}`,
      );
    }
    for (const s of secretsOf(dir)) assert.ok(!stdout.includes(s), 'a secret value is printed');
  });

  test('generate --write makes the gateway token, the database password and the Compose layout pass', async () => {
    const dir = deployment('discord-weak');
    const env = {SHIPSHAPE_PROGRESS_DIR: tempDir('shipshape-progress-'), HOME: tempDir('shipshape-home-')};
    const before = await checkJson(dir);
    for (const id of ['gateway-token-matches', 'gateway-token-strong', 'bot-mcp-token', 'postgres-password'])
      assert.equal(before.items.get(id)?.status, 'fail', `${id}: ${JSON.stringify(before.items.get(id))}`);

    const r = await runCli(['generate', '--dir', dir, '--write', '--format', 'json'], {env, timeoutMs: 60_000});
    assert.equal(r.stderr, '');
    const out = JSON.parse(r.stdout) as {written: boolean; items: {id: string}[]; after?: {id: string; status: string}[]};
    assert.equal(out.written, true);
    assert.deepEqual(out.items.map((i) => i.id).sort(), [
      'bot-mcp-token',
      'gateway-loopback',
      'gateway-token-matches',
      'gateway-token-strong',
      'log-rotation',
      'postgres-password',
      'postgres-unpublished',
      'restart-policy',
    ]);
    for (const a of out.after ?? []) assert.equal(a.status, 'pass', `${a.id} after generate: ${JSON.stringify(a)}`);

    const after = await checkJson(dir);
    for (const id of ['gateway-token-matches', 'gateway-token-strong', 'bot-mcp-token', 'postgres-password', 'postgres-unpublished', 'restart-policy'])
      assert.equal(after.items.get(id)?.status, 'pass', id);
    // One token in the root .env and both bots; one password in .env and both URLs; Compose now reads it.
    const rootEnv = parseEnv(read(dir, '.env'));
    const alpha = parseEnv(read(dir, 'instances/alpha/.env'));
    const beta = parseEnv(read(dir, 'instances/beta/.env'));
    assert.match(rootEnv.MCP_GATEWAY_AUTH_TOKEN!, /^[0-9a-f]{64}$/);
    assert.equal(alpha.MCP_AUTH_TOKEN, rootEnv.MCP_GATEWAY_AUTH_TOKEN);
    assert.equal(beta.MCP_AUTH_TOKEN, rootEnv.MCP_GATEWAY_AUTH_TOKEN);
    assert.notEqual(rootEnv.POSTGRES_PASSWORD, 'discord_bot_pass');
    assert.equal(new URL(alpha.DATABASE_URL!).password, encodeURIComponent(rootEnv.POSTGRES_PASSWORD!));
    assert.equal(new URL(beta.DATABASE_URL!).password, encodeURIComponent(rootEnv.POSTGRES_PASSWORD!));
    assert.match(read(dir, 'docker-compose.yml'), /POSTGRES_PASSWORD: \$\{POSTGRES_PASSWORD\}/);
    // compose-harden bound the database to loopback in the override file, leaving the base file as it was.
    assert.match(read(dir, 'docker-compose.override.yml'), /127\.0\.0\.1/);
  });
});

/** One weakness planted into the hardened twin, and the item(s) that must fail, with where. */
interface Plant {
  name: string;
  plant: (dir: string) => void;
  /** item id -> [file, line] (line undefined for git history evidence), computed after planting. */
  fails: (dir: string) => Record<string, [string, number | undefined]>;
}

const ALPHA = 'instances/alpha/.env';
const BETA = 'instances/beta/.env';
const COMPOSE = 'docker-compose.yml';
const GATEWAY_TOKEN = '5efc9706f60de527a55ef1a5d095567c94cef4302b6eb96ce3007e7ea7251c56';
const PG_PASSWORD = 'GAcEtWbCEd8FErxjrs79cmy_m1xO1lJr';

const PLANTS: Plant[] = [
  // Secrets
  {
    name: "a bot's token committed to git (in a notes file)",
    plant: (d) => {
      writeFileSync(join(d, 'notes.txt'), `alpha uses ${parseEnv(read(d, ALPHA)).DISCORD_TOKEN}\n`);
      git(d, 'add', 'notes.txt');
      git(d, 'commit', '-q', '-m', 'notes');
    },
    fails: () => ({'discord-token-private': ['notes.txt', undefined]}),
  },
  {
    name: 'the root .env committed to git',
    plant: (d) => {
      writeFileSync(join(d, '.gitignore'), 'instances/*/.env\n');
      git(d, 'add', '.gitignore', '.env');
      git(d, 'commit', '-q', '-m', 'env');
    },
    fails: () => ({'env-files-untracked': ['.env', undefined]}),
  },
  {
    name: 'a your- placeholder left in a bot .env',
    plant: (d) => edit(d, BETA, 'FINNHUB_API_KEY=', 'FINNHUB_API_KEY=your-finnhub-key'),
    fails: () => ({'no-placeholders': [BETA, 9]}),
  },
  {
    name: 'a bot bound to 0.0.0.0 without MCP_AUTH_TOKEN',
    plant: (d) => edit(d, BETA, `MCP_AUTH_TOKEN=${GATEWAY_TOKEN}`, 'MCP_AUTH_TOKEN='),
    fails: () => ({'bot-mcp-token': [BETA, 13]}),
  },
  {
    name: "a bot token different from the gateway's",
    plant: (d) => edit(d, BETA, `MCP_AUTH_TOKEN=${GATEWAY_TOKEN}`, `MCP_AUTH_TOKEN=${[...GATEWAY_TOKEN].reverse().join('')}`),
    fails: () => ({'gateway-token-matches': [BETA, 14]}),
  },
  {
    name: 'a short gateway token (shared by every bot)',
    plant: (d) => {
      for (const f of ['.env', ALPHA, BETA]) edit(d, f, GATEWAY_TOKEN, 'letmein2024');
    },
    fails: () => ({'gateway-token-strong': ['.env', 3]}),
  },
  {
    name: 'the default database password with PostgreSQL published on loopback',
    plant: (d) => {
      for (const f of ['.env', ALPHA, BETA]) edit(d, f, PG_PASSWORD, 'discord_bot_pass');
      edit(d, COMPOSE, '      - pgdata:/var/lib/postgresql/data', '      - pgdata:/var/lib/postgresql/data\n    ports:\n      - "127.0.0.1:5432:5432"');
    },
    fails: (d) => ({'postgres-password': [COMPOSE, lineIn(d, COMPOSE, '127.0.0.1:5432:5432')]}),
  },
  {
    name: 'the default database password on an external PostgreSQL',
    plant: (d) => {
      for (const f of ['.env', ALPHA, BETA]) edit(d, f, PG_PASSWORD, 'discord_bot_pass');
      for (const f of [ALPHA, BETA]) edit(d, f, '@postgres:5432', '@db.internal.example:5432');
    },
    fails: () => ({'postgres-password': [ALPHA, 5]}),
  },
  {
    name: 'copies of the database password that disagree',
    plant: (d) => edit(d, BETA, PG_PASSWORD, 'Another-password-of-32-characters'),
    fails: () => ({'postgres-password': [BETA, 5]}),
  },
  {
    name: 'the Minecraft module on without MC_VERIFY_SECRET',
    plant: (d) => edit(d, ALPHA, /MC_VERIFY_SECRET=.*/, 'MC_VERIFY_SECRET='),
    fails: () => ({'minecraft-secret': [ALPHA, 11]}),
  },
  // Discord configuration
  {
    name: 'a GUILD_ID that is no guild id',
    plant: (d) => edit(d, BETA, 'GUILD_ID=400000000000000001', 'GUILD_ID=my-server'),
    fails: () => ({'bot-in-guilds': [BETA, 4]}),
  },
  // Network
  {
    name: 'the gateway published on every interface',
    plant: (d) => edit(d, COMPOSE, '"127.0.0.1:9100:9100"', '"9100:9100"'),
    fails: (d) => ({'gateway-loopback': [COMPOSE, lineIn(d, COMPOSE, '"9100:9100"')]}),
  },
  {
    name: 'PostgreSQL published on every interface',
    plant: (d) => edit(d, COMPOSE, '      - pgdata:/var/lib/postgresql/data', '      - pgdata:/var/lib/postgresql/data\n    ports:\n      - "5432:5432"'),
    fails: (d) => ({'postgres-unpublished': [COMPOSE, lineIn(d, COMPOSE, '"5432:5432"')]}),
  },
  {
    name: 'a bot publishing its MCP port',
    plant: (d) => edit(d, COMPOSE, '      - ./instances/alpha:/config:ro', '      - ./instances/alpha:/config:ro\n    ports:\n      - "127.0.0.1:9090:9090"'),
    fails: (d) => ({'bot-ports-unpublished': [COMPOSE, lineIn(d, COMPOSE, '9090:9090')]}),
  },
  // Database
  {
    name: "DB_SCHEMA left at the example's value",
    plant: (d) => edit(d, ALPHA, 'DB_SCHEMA=alpha', 'DB_SCHEMA=example'),
    fails: () => ({'db-schema-set': [ALPHA, 6]}),
  },
  // Configuration hygiene
  {
    name: 'the root .env read by both bots',
    plant: (d) => {
      edit(d, COMPOSE, 'env_file: instances/alpha/.env', 'env_file: [.env, instances/alpha/.env]');
      edit(d, COMPOSE, 'env_file: instances/beta/.env', 'env_file: [.env, instances/beta/.env]');
    },
    fails: (d) => ({'instance-per-bot': [COMPOSE, lineIn(d, COMPOSE, 'env_file: [.env, instances/alpha/.env]')]}),
  },
  {
    name: 'a feature turned on without its table',
    plant: (d) => edit(d, 'instances/beta/config.toml', 'welcome = false', 'welcome = true'),
    fails: (d) => ({'features-have-sections': ['instances/beta/config.toml', lineIn(d, 'instances/beta/config.toml', 'welcome = true')]}),
  },
  {
    name: 'the example personality left unchanged',
    plant: (d) => writeFileSync(join(d, 'instances/alpha/personality.txt'), read(d, 'instances/example/personality.txt')),
    fails: () => ({'personality-customised': ['instances/alpha/personality.txt', 1]}),
  },
  {
    name: 'an empty personality file',
    plant: (d) => writeFileSync(join(d, 'instances/beta/personality.txt'), '\n'),
    fails: () => ({'personality-customised': ['instances/beta/personality.txt', 1]}),
  },
  {
    name: 'two bots in one guild on the same prefix',
    plant: (d) => edit(d, 'instances/beta/config.toml', 'command_prefix = "?"', 'command_prefix = "!"'),
    fails: () => ({'prefixes-distinct': ['instances/beta/config.toml', 3]}),
  },
  // Operations
  {
    name: 'a service without a restart policy',
    plant: (d) => edit(d, COMPOSE, /( {2}beta:\n(?:.*\n)*?) {4}restart: unless-stopped\n/, '$1'),
    fails: (d) => ({'restart-policy': [COMPOSE, lineIn(d, COMPOSE, '  beta:') + 1]}),
  },
  {
    name: 'an image on latest',
    plant: (d) => edit(d, COMPOSE, 'image: registry.example.net/discord-bot-gateway:1.6.0', 'image: registry.example.net/discord-bot-gateway:latest'),
    fails: (d) => ({'upgrade-process': [COMPOSE, lineIn(d, COMPOSE, 'discord-bot-gateway:latest')]}),
  },
  {
    name: 'a service without log rotation',
    plant: (d) => edit(d, COMPOSE, /( {2}mcp-gateway:\n(?:.*\n)*?) {4}logging: \*logging\n/, '$1'),
    fails: (d) => ({'log-rotation': [COMPOSE, lineIn(d, COMPOSE, '  mcp-gateway:') + 1]}),
  },
  // MCP exposure is covered by the gateway token plants above.
  // Multi-instance
  {
    name: 'two bots on one schema',
    plant: (d) => edit(d, BETA, 'DB_SCHEMA=beta', 'DB_SCHEMA=alpha'),
    fails: () => ({'schemas-distinct': [BETA, 6]}),
  },
  {
    name: 'two bots on one Discord token',
    plant: (d) => edit(d, BETA, /DISCORD_TOKEN=.*/, `DISCORD_TOKEN=${parseEnv(read(d, ALPHA)).DISCORD_TOKEN}`),
    fails: () => ({'tokens-distinct': [BETA, 2]}),
  },
  {
    name: 'a bot missing from INSTANCES',
    plant: (d) => edit(d, COMPOSE, 'alpha=http://alpha:9090,beta=http://beta:9090', 'alpha=http://alpha:9090'),
    fails: (d) => ({'gateway-lists-instances': [COMPOSE, lineIn(d, COMPOSE, 'INSTANCES:')]}),
  },
  {
    name: 'an INSTANCES entry for a service that does not exist',
    plant: (d) => edit(d, COMPOSE, 'beta=http://beta:9090', 'beta=http://beta:9090,gamma=http://gamma:9090'),
    fails: (d) => ({'gateway-lists-instances': [COMPOSE, lineIn(d, COMPOSE, 'INSTANCES:')]}),
  },
  {
    name: 'a bot missing from depends_on',
    plant: (d) => edit(d, COMPOSE, / {6}beta:\n {8}condition: service_started\n/, ''),
    // The first entry of the gateway's depends_on mapping is where the mapping is.
    fails: (d) => ({'gateway-depends-on': [COMPOSE, lineAfter(d, COMPOSE, '  mcp-gateway:', 'depends_on:') + 1]}),
  },
  {
    name: 'a prefix that is a plain word',
    plant: (d) => edit(d, 'instances/beta/config.toml', 'command_prefix = "?"', 'command_prefix = "beta"'),
    fails: () => ({'prefix-sensible': ['instances/beta/config.toml', 3]}),
  },
];

describe('weaknesses planted one at a time into the hardened twin', () => {
  for (const p of PLANTS) {
    test(p.name, async () => {
      const dir = deployment('discord-hardened');
      p.plant(dir);
      const want = p.fails(dir);
      const all = await outcomes(dir);
      assert.deepEqual(failing(all), Object.keys(want).sort(), `failing items after planting ${p.name}`);
      for (const [id, [file, line]] of Object.entries(want)) {
        const o = all.get(id)!;
        const at = o.evidence.find((e) => e.file === file && e.line === line);
        assert.ok(at, `${id}: no evidence at ${file}:${line ?? ''}; got ${o.evidence.map((e) => `${e.file}:${e.line}`).join(', ')}`);
        if (!GIT_ITEMS.has(id)) assert.equal(typeof at.line, 'number');
      }
    });
  }

  test('a schema named other than its folder only warns', async () => {
    const dir = deployment('discord-hardened');
    edit(dir, BETA, 'DB_SCHEMA=beta', 'DB_SCHEMA=bravo');
    const all = await outcomes(dir);
    assert.deepEqual(failing(all), []);
    assert.equal(all.get('db-schema-set')?.status, 'warn');
  });

  // The one rule that cannot fail alone: a bot reading another's config.toml takes on its prefix
  // (in the same guild) and its features (alpha's Minecraft module, without beta having its secret).
  test('sharing a config folder fails the layout, and with it the prefix and the borrowed feature', async () => {
    const dir = deployment('discord-hardened');
    edit(dir, COMPOSE, './instances/beta:/config:ro', './instances/alpha:/config:ro');
    const all = await outcomes(dir);
    assert.deepEqual(failing(all), ['instance-per-bot', 'minecraft-secret', 'prefixes-distinct']);
    assert.ok(all.get('instance-per-bot')!.evidence.some((e) => e.file === COMPOSE && e.line === lineIn(dir, COMPOSE, 'instances/alpha:/config:ro')));
  });

  test('with the host input, host items run their checks instead of only asking', async () => {
    const dir = deployment('discord-hardened');
    const all = await outcomes(dir, ['host=local']);
    for (const id of ['host-firewall', 'docker-at-boot', 'disk-monitored', 'backups-scheduled']) {
      assert.ok(all.get(id)!.steps.length > 0, `${id} ran no check`);
    }
    const logs = all.get('log-rotation')!;
    assert.equal(logs.status, 'pass', 'every service bounds its own logs, whatever daemon.json says');
  });
});
