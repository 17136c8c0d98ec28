// The zitadel pack: it loads, every bullet of its seed page maps to items, detection picks it
// from the files alone (and not the0's or the Discord fleet's), the weak fixtures fail every
// planted weakness at a file and line, their hardened twins fail nothing, every example value
// found in ZITADEL's repositories is caught, the network items are skipped without a URL, the
// external-address fingerprint asks again when it changes, and the masterkey generator writes a
// new key but will not replace one without --replace-existing.
import assert from 'node:assert/strict';
import {cpSync, existsSync, readFileSync, renameSync, writeFileSync} from 'node:fs';
import * as http from 'node:http';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {CHECKS} from '../../src/checks/index.js';
import {judge} from '../../src/engine/ledger.js';
import type {ItemOutcome} from '../../src/engine/run.js';
import {evaluate, openSession} from '../../src/engine/session.js';
import {detectPacks} from '../../src/pack/detect.js';
import {loadPackFile} from '../../src/pack/load.js';
import type {Pack} from '../../src/pack/schema.js';
import {git, gitInit, listen, REPO, runCheck, runCli, tempDir} from '../support/helpers.js';
import {editRel, lineIn, readRel} from '../support/helpers.js';

const FIXTURES = join(REPO, 'test', 'fixtures');
const SEED = join(REPO, '..', 'shared', 'seeds', '003_4a958b09b78d19a5.txt');
const PACK = 'zitadel';
const COMPOSE = 'docker-compose.yml';
const CONFIG = 'zitadel-config.yaml';
const VALUES = 'values.yaml';

async function pack(id = PACK): Promise<Pack> {
  return (await loadPackFile(join(REPO, 'steps', `${id}.yaml`), CHECKS)).pack;
}

/**
 * A copy of a fixture as a deployment: `env.fixture` becomes `.env` and `gitignore.fixture`
 * `.gitignore` (the repository's own ignore rules would drop them), then a git repository with
 * everything not ignored committed.
 */
function deployment(fixture: string, change?: (dir: string) => void): string {
  const dir = tempDir('shipshape-zitadel-');
  cpSync(join(FIXTURES, fixture), dir, {recursive: true});
  if (existsSync(join(dir, 'env.fixture'))) renameSync(join(dir, 'env.fixture'), join(dir, '.env'));
  if (existsSync(join(dir, 'gitignore.fixture'))) renameSync(join(dir, 'gitignore.fixture'), join(dir, '.gitignore'));
  change?.(dir);
  gitInit(dir);
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'deployment');
  return dir;
}

const read = readRel;
const edit = editRel;

async function outcomes(dir: string, inputs: string[] = []): Promise<Map<string, ItemOutcome>> {
  const session = await openSession({dir, pack: PACK, inputs});
  return new Map((await evaluate(session)).map((o) => [o.id, o]));
}

const withStatus = (all: Map<string, ItemOutcome>, status: string) =>
  [...all.values()]
    .filter((o) => o.status === status)
    .map((o) => o.id)
    .sort();

/** The item fails, and some evidence names this file and line. */
function failsAt(all: Map<string, ItemOutcome>, id: string, file: string, line: number): void {
  const o = all.get(id);
  assert.ok(o, `no item ${id}`);
  assert.equal(o.status, 'fail', `${id}: ${o.status} ${o.message}`);
  assert.ok(
    o.evidence.some((e) => e.file === file && e.line === line),
    `${id}: no evidence at ${file}:${line}; got ${JSON.stringify(o.evidence.map((e) => [e.file, e.line, e.key]))}`,
  );
}

const NETWORK_ITEMS = ['edge-offers-h2', 'tls-certificate', 'tls-legacy-refused', 'metrics-endpoint', 'ready-endpoint', 'healthz-endpoint'];

// ---------------------------------------------------------------------------------------------

/** Each bullet of the seed page (a fragment of its text), the section it sits in, and the items that carry it. */
const SEED_MAP: [section: string, bullet: string, items: string[]][] = [
  ['Infrastructure', 'Provision infra via IaC', ['infra-as-code']],
  ['Infrastructure', 'Store secrets in a secret manager', ['secrets-in-manager', 'masterkey-not-committed']],
  ['Infrastructure', 'Enforce least-privilege access', ['least-privilege']],
  ['High availability', 'Run multiple ZITADEL runtimes', ['runtime-replicas', 'resource-limits']],
  ['High availability', 'Separate phases for production', ['runtime-runs-start', 'setup-own-step', 'images-pinned']],
  ['High availability', '`zitadel init` runs once', ['runtime-runs-start']],
  ['High availability', '`zitadel setup` runs per version', ['setup-own-step', 'images-pinned']],
  ['High availability', '`zitadel start` runs as the fast', ['runtime-runs-start', 'runtime-replicas']],
  ['High availability', 'Run the database in HA mode', ['database-ha']],
  ['High availability', 'backups and periodic restore tests', ['database-restore-tested']],
  ['High availability', 'connection and query monitoring', ['database-monitoring']],
  ['High availability', 'network isolation', ['database-private']],
  ['Networking', 'Ensure end-to-end HTTP/2 support', ['http2-end-to-end', 'edge-offers-h2']],
  ['Networking', 'Put a Layer 7 WAF', ['waf-in-front', 'http2-end-to-end']],
  ['Networking', 'Configure rate limits per endpoint group', ['rate-limits']],
  ['Networking', 'Use a CDN for static assets', ['cdn-static']],
  ['ZITADEL configuration (must-haves)', 'Set external access correctly', ['external-domain', 'external-port', 'external-secure', 'env-names-known']],
  ['ZITADEL configuration (must-haves)', '`ExternalDomain`, `ExternalPort`, `ExternalSecure`', ['external-domain', 'external-port', 'external-secure']],
  ['ZITADEL configuration (must-haves)', 'Rerun `zitadel setup`', ['setup-after-external-change']],
  ['ZITADEL configuration (must-haves)', 'Do not ship defaults', ['first-admin-password', 'database-credentials']],
  ['ZITADEL configuration (must-haves)', 'First instance admin credentials', ['first-admin-password', 'first-admin-change-required']],
  ['ZITADEL configuration (must-haves)', 'Database credentials', ['database-credentials', 'database-tls']],
  ['ZITADEL configuration (must-haves)', 'Configure email delivery', ['smtp-tested']],
  ['ZITADEL configuration (must-haves)', 'Configure SMTP', ['smtp-tested']],
  [
    'ZITADEL configuration (must-haves)',
    'Store and protect the masterkey',
    ['masterkey-length', 'masterkey-not-example', 'masterkey-not-committed', 'masterkey-same-source'],
  ],
  ['ZITADEL configuration (must-haves)', 'ZITADEL Terraform provider', ['terraform-desired-state']],
  ['Security', 'Use a FQDN and valid certificates', ['external-domain', 'tls-certificate']],
  ['Security', 'Use service accounts', ['service-accounts']],
  ['Security', 'Keep admin UI access restricted', ['admin-ui-restricted']],
  ['Security', 'Run periodic vulnerability scans', ['vulnerability-scans', 'tls-legacy-refused']],
  ['Monitoring', 'Scrape metrics', ['metrics-endpoint']],
  ['Monitoring', 'readiness failures', ['ready-endpoint', 'alerts-probes']],
  ['Monitoring', 'liveness failures', ['healthz-endpoint', 'alerts-probes']],
  ['Monitoring', 'elevated error rate', ['alerts-errors-latency']],
  ['Monitoring', 'database connection saturation', ['alerts-database-connections']],
  ['Monitoring', 'TLS certificate expiry', ['alerts-certificate-expiry', 'tls-certificate']],
  ['Monitoring', 'Centralize logs', ['logs-retained']],
];

/** The seed's section headings and the `source.section` our items cite for them. */
const CITED: Record<string, string> = {
  Infrastructure: 'Production Checklist / Infrastructure',
  'High availability': 'Production Checklist / High Availability',
  Networking: 'Production Checklist / Networking',
  'ZITADEL configuration (must-haves)': 'Production Checklist / ZITADEL Configuration',
  Security: 'Production Checklist / Security',
  Monitoring: 'Production Checklist / Monitoring',
};

describe('the zitadel pack', () => {
  test('loads, with every item verified, generated or asked, and confirmations as questions', async () => {
    const p = await pack();
    const items = p.sections.flatMap((s) => s.items);
    assert.ok(items.length >= 40, `${items.length} items`);
    for (const i of items) {
      assert.equal(i.source.system, 'ZITADEL');
      assert.ok(i.verify || i.generate || i.confirm, `${i.id} has no class`);
      if (i.confirm) assert.match(typeof i.confirm === 'string' ? i.confirm : i.confirm.question, /\?$/, `${i.id}: not a question`);
      for (const v of i.verify ?? []) assert.ok(CHECKS.has(v.check), `${i.id}: unknown check ${v.check}`);
    }
    // The restore drill keeps its date; the masterkey is generated by the guarded generator.
    const restore = items.find((i) => i.id === 'database-restore-tested')!;
    assert.equal(typeof restore.confirm === 'object' && restore.confirm.askDate, true);
    for (const id of ['masterkey-length', 'masterkey-not-example']) assert.equal(items.find((i) => i.id === id)?.generate?.[0]?.generator, 'zitadel-masterkey');
  });

  test('maps every bullet of the seed page to its items, and every item to a bullet', async () => {
    const p = await pack();
    const items = new Map(p.sections.flatMap((s) => s.items).map((i) => [i.id, i]));
    const mapped = new Set(SEED_MAP.flatMap(([, , ids]) => ids));
    for (const [section, bullet, ids] of SEED_MAP) {
      for (const id of ids) assert.ok(items.has(id), `${bullet}: no item ${id}`);
      // Each item cites the section of at least one bullet it carries.
      assert.ok(Object.hasOwn(CITED, section), section);
    }
    for (const [id, item] of items) {
      assert.ok(mapped.has(id), `${id} carries no bullet of the seed`);
      const sections = SEED_MAP.filter(([, , ids]) => ids.includes(id)).map(([s]) => CITED[s]);
      assert.ok(sections.includes(item.source.section), `${id} cites ${item.source.section}, not one of ${sections.join(', ')}`);
    }
    for (const cited of Object.values(CITED))
      assert.ok(
        [...items.values()].some((i) => i.source.section === cited),
        `no item cites ${cited}`,
      );
    if (!existsSync(SEED)) return;
    // With the seed beside the repository: every bullet under a section heading is in the map, once.
    let section: string | undefined;
    const bullets: [string, string][] = [];
    for (const line of readFileSync(SEED, 'utf8').split('\n')) {
      const h = /^## (.+)$/.exec(line);
      if (h) section = h[1]!.trim();
      else if (section && /^\s*- /.test(line)) bullets.push([section, line.trim()]);
    }
    assert.equal(bullets.length, SEED_MAP.length, 'bullets on the seed page');
    for (const [s, text] of bullets) {
      const rows = SEED_MAP.filter(([sec, frag]) => sec === s && text.includes(frag));
      assert.equal(rows.length, 1, `seed bullet "${text}" (${s}) matches ${rows.length} rows`);
    }
  });
});

describe('detection', () => {
  test('picks zitadel for all four fixtures from the files alone, and not the0 or the Discord pack', async () => {
    const packs = [await pack('the0'), await pack('discord-mcp-bot'), await pack()];
    for (const fixture of ['zitadel-compose-weak', 'zitadel-compose-hardened', 'zitadel-helm-weak', 'zitadel-helm-hardened']) {
      const found = await detectPacks(deployment(fixture), packs);
      assert.equal(found[0]?.pack.id, PACK, fixture);
      assert.deepEqual(
        found.map((d) => d.pack.id),
        [PACK],
        `${fixture}: only zitadel matches`,
      );
    }
  });

  test("the0's and the Discord fleet's deployments do not pick it", async () => {
    const packs = [await pack()];
    for (const dir of ['the0-hardened', 'the0-shipped', 'the0-k8s', 'discord-hardened', 'discord-weak'].map((f) => join(FIXTURES, f))) {
      if (!existsSync(dir)) continue;
      assert.deepEqual(await detectPacks(dir, packs), [], dir);
    }
  });
});

describe('the weak Compose fixture', () => {
  test('fails every planted weakness, each at a file and line', async () => {
    const dir = deployment('zitadel-compose-weak');
    const all = await outcomes(dir);
    assert.deepEqual(withStatus(all, 'fail'), [
      'database-credentials',
      'database-private',
      'env-names-known',
      'external-domain',
      'external-port',
      'external-secure',
      'first-admin-change-required',
      'first-admin-password',
      'http2-end-to-end',
      'images-pinned',
      'masterkey-not-committed',
      'masterkey-not-example',
      'resource-limits',
      'runtime-replicas',
      'runtime-runs-start',
      'secrets-in-manager',
      'setup-own-step',
    ]);
    const command = lineIn(dir, COMPOSE, 'command: ');
    failsAt(all, 'masterkey-not-example', COMPOSE, command);
    failsAt(all, 'masterkey-not-committed', COMPOSE, command);
    failsAt(all, 'runtime-runs-start', COMPOSE, command);
    failsAt(all, 'setup-own-step', COMPOSE, command);
    failsAt(all, 'external-secure', COMPOSE, command);
    failsAt(all, 'env-names-known', COMPOSE, lineIn(dir, COMPOSE, 'ZITADEL_EXTERNAL_DOMAIN'));
    failsAt(all, 'external-domain', COMPOSE, lineIn(dir, COMPOSE, 'ZITADEL_EXTERNAL_DOMAIN'));
    failsAt(all, 'external-port', COMPOSE, lineIn(dir, COMPOSE, '"443:443"'));
    failsAt(all, 'runtime-replicas', COMPOSE, lineIn(dir, COMPOSE, '  zitadel:'));
    failsAt(all, 'images-pinned', COMPOSE, lineIn(dir, COMPOSE, 'zitadel:latest'));
    failsAt(all, 'resource-limits', COMPOSE, lineIn(dir, COMPOSE, 'image: postgres'));
    failsAt(all, 'database-private', COMPOSE, lineIn(dir, COMPOSE, '"5432:5432"'));
    failsAt(all, 'http2-end-to-end', 'nginx/zitadel.conf', lineIn(dir, 'nginx/zitadel.conf', 'proxy_pass'));
    failsAt(all, 'http2-end-to-end', 'nginx/zitadel.conf', lineIn(dir, 'nginx/zitadel.conf', 'listen 443'));
    failsAt(all, 'first-admin-password', 'zitadel-steps.yaml', lineIn(dir, 'zitadel-steps.yaml', 'Password1!'));
    failsAt(all, 'first-admin-change-required', 'zitadel-steps.yaml', lineIn(dir, 'zitadel-steps.yaml', 'PasswordChangeRequired'));
    failsAt(all, 'database-credentials', CONFIG, lineIn(dir, CONFIG, 'Password: postgres'));
    failsAt(all, 'database-credentials', COMPOSE, lineIn(dir, COMPOSE, 'USER_PASSWORD: zitadel'));
    failsAt(all, 'database-credentials', COMPOSE, lineIn(dir, COMPOSE, 'POSTGRES_PASSWORD: postgres'));
    failsAt(all, 'secrets-in-manager', CONFIG, lineIn(dir, CONFIG, 'Password: postgres'));
    for (const o of all.values()) {
      if (o.status !== 'fail') continue;
      assert.ok(
        o.evidence.some((e) => e.file && typeof e.line === 'number'),
        `${o.id}: no evidence names a file and line`,
      );
    }
  });

  test('prints no secret: only redactions of the masterkey and passwords', async () => {
    const dir = deployment('zitadel-compose-weak');
    const text = JSON.stringify([...(await outcomes(dir)).values()]);
    for (const secret of ['MasterkeyNeedsToHave32Characters', 'Password1!']) assert.ok(!text.includes(secret), `${secret} is printed`);
  });
});

describe('the weak Helm fixture', () => {
  test('fails every planted weakness, each at a file and line', async () => {
    const dir = deployment('zitadel-helm-weak');
    const all = await outcomes(dir);
    assert.deepEqual(withStatus(all, 'fail'), [
      'database-credentials',
      'database-tls',
      'env-names-known',
      'external-domain',
      'external-port',
      'external-secure',
      'first-admin-change-required',
      'first-admin-password',
      'http2-end-to-end',
      'images-pinned',
      'masterkey-not-committed',
      'masterkey-not-example',
      'resource-limits',
      'runtime-replicas',
      'secrets-in-manager',
    ]);
    const at = (needle: string) => lineIn(dir, VALUES, needle);
    failsAt(all, 'masterkey-not-example', VALUES, at('masterkey:'));
    failsAt(all, 'masterkey-not-committed', VALUES, at('masterkey:'));
    failsAt(all, 'runtime-replicas', VALUES, at('replicaCount'));
    failsAt(all, 'images-pinned', VALUES, at('tag: latest'));
    failsAt(all, 'resource-limits', VALUES, at('resources:'));
    failsAt(all, 'http2-end-to-end', VALUES, at('className: nginx'));
    failsAt(all, 'external-domain', VALUES, at('ExternalDomain:'));
    failsAt(all, 'external-secure', VALUES, at('ExternalSecure: false'));
    failsAt(all, 'external-port', VALUES, at('ExternalPort:'));
    failsAt(all, 'env-names-known', VALUES, at('ZITADEL_EXTERNAL_SECURE'));
    failsAt(all, 'first-admin-password', VALUES, at('Password1!'));
    failsAt(all, 'first-admin-change-required', VALUES, at('PasswordChangeRequired'));
    failsAt(all, 'database-credentials', VALUES, at('Password: zitadel'));
    failsAt(all, 'database-credentials', VALUES, at('Password: postgres'));
    failsAt(all, 'database-tls', VALUES, at('Mode: disable'));
    failsAt(all, 'secrets-in-manager', VALUES, at('Password: zitadel'));
  });
});

describe('the hardened twins', () => {
  for (const fixture of ['zitadel-compose-hardened', 'zitadel-helm-hardened']) {
    test(`${fixture}: no fail and no error; the rest pass, skip or wait for a person`, async () => {
      const dir = deployment(fixture);
      const all = await outcomes(dir);
      const bad = [...all.values()].filter((o) => o.status === 'fail' || o.status === 'error' || o.status === 'warn');
      assert.deepEqual(
        bad.map((o) => `${o.id}: ${o.message}`),
        [],
      );
      assert.ok(withStatus(all, 'pass').length >= 12, `${withStatus(all, 'pass').length} pass`);
      const text = JSON.stringify([...all.values()]);
      if (existsSync(join(dir, '.env'))) {
        for (const line of read(dir, '.env').split('\n')) {
          const value = line.split('=')[1];
          if (value && value.length >= 8) assert.ok(!text.includes(value), 'a secret from .env is printed');
        }
      }
    });
  }

  test('the check command exits 0 on the Compose twin and 1 on the weak one', async () => {
    const env = {SHIPSHAPE_PROGRESS_DIR: tempDir('shipshape-progress-')};
    const good = await runCli(['check', '--dir', deployment('zitadel-compose-hardened'), '--pack', PACK, '--format', 'json'], {env, timeoutMs: 60_000});
    assert.equal(good.code, 0, good.stderr);
    const bad = await runCli(['check', '--dir', deployment('zitadel-compose-weak'), '--pack', PACK, '--format', 'json'], {env, timeoutMs: 60_000});
    assert.equal(bad.code, 1, bad.stderr);
    assert.equal((JSON.parse(bad.stdout) as {pack: string}).pack, PACK);
  });
});

// ---------------------------------------------------------------------------------------------

/** A weakness planted into the hardened Compose twin: the item that must fail, at which file and line. */
interface Plant {
  name: string;
  plant: (dir: string) => void;
  fails: (dir: string) => [item: string, file: string, line: number][];
}

const ENV = '.env';

const PLANTS: Plant[] = [
  {
    name: 'a database on another network without TLS',
    plant: (d) => edit(d, CONFIG, 'Host: db', 'Host: pg.shared-services.acme-corp.io'),
    fails: (d) => [['database-tls', CONFIG, lineIn(d, CONFIG, 'Mode: disable')]],
  },
  {
    name: 'setup and start reading the masterkey from different variables',
    plant: (d) => {
      edit(d, COMPOSE, /(zitadel-setup:[\s\S]*?ZITADEL_MASTERKEY: )\$\{ZITADEL_MASTERKEY\}/, '$1${ZITADEL_SETUP_MASTERKEY}');
      writeFileSync(join(d, ENV), `${read(d, ENV)}ZITADEL_SETUP_MASTERKEY=Zq8PwX2mNv5LkR7tYb3HcJ9sDf4Ga6Ue\n`);
    },
    fails: (d) => [['masterkey-same-source', ENV, lineIn(d, ENV, 'ZITADEL_SETUP_MASTERKEY')]],
  },
  {
    name: 'a masterkey file written with a trailing newline',
    plant: (d) => {
      writeFileSync(join(d, 'masterkey.txt'), 'Vc577t8tNmBxfq4mZheQBdAhsvlD4elS\n');
      writeFileSync(join(d, '.gitignore'), '.env\nmasterkey.txt\n');
      for (const phase of ['setup', 'start']) {
        edit(d, COMPOSE, new RegExp(`(\\[${phase}, [^\\]]*?)--masterkeyFromEnv`), '$1--masterkeyFile, /run/secrets/masterkey');
      }
      edit(d, COMPOSE, /\nvolumes:\n/, '\nsecrets:\n  masterkey:\n    file: ./masterkey.txt\n\nvolumes:\n');
      edit(d, COMPOSE, /(\n {2}zitadel-setup:\n)/, '$1    secrets: [masterkey]\n');
      edit(d, COMPOSE, /(\n {2}zitadel:\n)/, '$1    secrets: [masterkey]\n');
    },
    fails: (d) => [['masterkey-length', COMPOSE, lineIn(d, COMPOSE, 'command: [start')]],
  },
  {
    name: 'the .env with every secret committed',
    plant: (d) => writeFileSync(join(d, '.gitignore'), '*.log\n'),
    fails: (d) => [
      ['masterkey-not-committed', ENV, lineIn(d, ENV, 'ZITADEL_MASTERKEY=')],
      ['secrets-in-manager', ENV, lineIn(d, ENV, 'ZITADEL_DB_USER_PASSWORD=')],
    ],
  },
  {
    name: 'Caddy forwarding to ZITADEL over HTTP/1.1',
    plant: (d) => edit(d, 'Caddyfile', 'reverse_proxy h2c://zitadel:8080', 'reverse_proxy zitadel:8080'),
    fails: (d) => [['http2-end-to-end', 'Caddyfile', lineIn(d, 'Caddyfile', 'reverse_proxy zitadel:8080')]],
  },
  {
    name: 'an ExternalPort the proxy does not publish',
    plant: (d) => edit(d, CONFIG, 'ExternalPort: 443', 'ExternalPort: 8443'),
    fails: (d) => [['external-port', CONFIG, lineIn(d, CONFIG, 'ExternalPort')]],
  },
  {
    name: 'a misspelt variable for the first admin password',
    plant: (d) => edit(d, COMPOSE, 'ZITADEL_FIRSTINSTANCE_ORG_HUMAN_PASSWORD:', 'ZITADEL_FIRSTINSTANCE_ORG_HUMAN_PASS_WORD:'),
    // ZITADEL ignores the misspelt name, so the built-in password applies to the first admin.
    fails: (d) => [
      ['env-names-known', COMPOSE, lineIn(d, COMPOSE, 'HUMAN_PASS_WORD')],
      ['first-admin-password', COMPOSE, lineIn(d, COMPOSE, '  zitadel-setup:')],
    ],
  },
  {
    name: 'a single runtime replica',
    plant: (d) => edit(d, COMPOSE, 'replicas: 2', 'replicas: 1'),
    fails: (d) => [['runtime-replicas', COMPOSE, lineIn(d, COMPOSE, 'replicas: 1')]],
  },
  {
    name: 'start-from-setup as the runtime command',
    plant: (d) => edit(d, COMPOSE, 'command: [start,', 'command: [start-from-setup,'),
    // The runtime now runs setup too, with no --steps: the built-in first admin password would apply.
    fails: (d) => [
      ['runtime-runs-start', COMPOSE, lineIn(d, COMPOSE, 'start-from-setup')],
      ['first-admin-password', COMPOSE, lineIn(d, COMPOSE, '  zitadel:')],
    ],
  },
];

describe('weaknesses planted one at a time into the hardened Compose twin', () => {
  for (const p of PLANTS) {
    test(p.name, async () => {
      const dir = deployment('zitadel-compose-hardened', p.plant);
      const all = await outcomes(dir);
      const expected = p.fails(dir);
      for (const [item, file, line] of expected) failsAt(all, item, file, line);
      assert.deepEqual(withStatus(all, 'fail'), [...new Set(expected.map(([i]) => i))].sort(), 'nothing else fails');
    });
  }
});

// ---------------------------------------------------------------------------------------------

/**
 * Every example value found in ZITADEL's repositories (zitadel/zitadel: cmd/defaults.yaml,
 * cmd/setup/steps.yaml, the docs' and deploy/compose's compose files with their .env files, the
 * configure and load-balancing examples; zitadel/zitadel-charts: values.yaml and examples/),
 * planted into the hardened Compose twin: each must make its item fail.
 */
const UPSTREAM_EXAMPLES: {value: string; found: string; item: string; plant: (d: string) => void}[] = [
  ...(
    [
      ['MasterkeyNeedsToHave32Characters', 'docs compose files and .env, deploy/compose/.env.example, zitadel-charts quickstart'],
      ['x123456789012345678901234567891y', 'zitadel-charts examples/*/zitadel-values.yaml'],
      ['HlRwzwmUWZzXmDlWygQlfAEDtwQtTheh', 'docs loadbalancing-example/zitadel-masterkey'],
      ['My_Master_Key_Which_Has_32_Bytes', 'docs self-hosting/manage/configure'],
    ] as const
  ).map(([value, found]) => ({
    value,
    found,
    item: 'masterkey-not-example',
    plant: (d: string) => edit(d, ENV, /ZITADEL_MASTERKEY=.*/, `ZITADEL_MASTERKEY=${value}`),
  })),
  ...(
    [
      ['Password1!', 'cmd/setup/steps.yaml default, docs .env, zitadel-charts quickstart'],
      ['RootPassword1!', 'docs configure/example-zitadel-init-steps.yaml'],
    ] as const
  ).map(([value, found]) => ({
    value,
    found,
    item: 'first-admin-password',
    plant: (d: string) => edit(d, ENV, /ZITADEL_FIRST_ADMIN_PASSWORD=.*/, `ZITADEL_FIRST_ADMIN_PASSWORD=${value}`),
  })),
  ...(
    [
      ['postgres', 'cmd/defaults.yaml Admin.Password, docs .env POSTGRES_ADMIN_PASSWORD, deploy/compose/.env.example'],
      ['zitadel', 'docs .env POSTGRES_USER_PASSWORD, loadbalancing example secrets, zitadel-charts postgresql.auth'],
      ['zitadel_pw', 'docs configure secrets and reverse-proxy compose'],
      ['xyz', 'zitadel-charts examples/2-postgres-secure (user)'],
      ['abc', 'zitadel-charts examples/2-postgres-secure (admin)'],
    ] as const
  ).map(([value, found]) => ({
    value,
    found,
    item: 'database-credentials',
    plant: (d: string) => edit(d, ENV, /ZITADEL_DB_USER_PASSWORD=.*/, `ZITADEL_DB_USER_PASSWORD=${value}`),
  })),
  {
    value: 'postgresql://postgres:postgres@postgres:5432/zitadel?sslmode=disable',
    found: 'deploy/compose/.env.example ZITADEL_DATABASE_POSTGRES_DSN',
    item: 'database-credentials',
    plant: (d) => {
      edit(d, COMPOSE, /(\n {2}zitadel:\n[\s\S]*? {4}environment:\n)/, '$1      ZITADEL_DATABASE_POSTGRES_DSN: ${ZITADEL_DSN}\n');
      writeFileSync(join(d, ENV), `${read(d, ENV)}ZITADEL_DSN=postgresql://postgres:postgres@postgres:5432/zitadel?sslmode=disable\n`);
    },
  },
  ...(
    [
      ['localhost', 'cmd/defaults.yaml, docs .env, zitadel-charts quickstart'],
      ['127.0.0.1.sslip.io', 'docs reverse-proxy examples'],
      ['pg-insecure.127.0.0.1.sslip.io', 'zitadel-charts examples/1-postgres-insecure'],
    ] as const
  ).map(([value, found]) => ({
    value,
    found,
    item: 'external-domain',
    plant: (d: string) => edit(d, CONFIG, 'ExternalDomain: id.kestrel-works.net', `ExternalDomain: ${value}`),
  })),
  {
    value: 'ZITADEL_EXTERNALSECURE=false',
    found: 'docs compose files, deploy/compose/.env.example',
    item: 'external-secure',
    plant: (d) => {
      edit(
        d,
        COMPOSE,
        ', --tlsMode, external]\n    environment:\n      ZITADEL_MASTERKEY: ${ZITADEL_MASTERKEY}\n      ZITADEL_DATABASE_POSTGRES_USER_PASSWORD: ${ZITADEL_DB_USER_PASSWORD}\n    volumes:\n      - ./zitadel-config.yaml:/zitadel/config.yaml:ro\n    depends_on:\n      zitadel-setup',
        ']\n    environment:\n      ZITADEL_EXTERNALSECURE: "false"\n      ZITADEL_MASTERKEY: ${ZITADEL_MASTERKEY}\n      ZITADEL_DATABASE_POSTGRES_USER_PASSWORD: ${ZITADEL_DB_USER_PASSWORD}\n    volumes:\n      - ./zitadel-config.yaml:/zitadel/config.yaml:ro\n    depends_on:\n      zitadel-setup',
      );
    },
  },
  {
    value: '--tlsMode disabled',
    found: 'docs compose files',
    item: 'external-secure',
    plant: (d) =>
      edit(
        d,
        COMPOSE,
        'command: [start, --config, /zitadel/config.yaml, --masterkeyFromEnv, --tlsMode, external]',
        'command: [start, --config, /zitadel/config.yaml, --masterkeyFromEnv, --tlsMode, disabled]',
      ),
  },
  {
    value: 'PasswordChangeRequired: false',
    found: 'docs deploy/zitadel.yaml, deploy/compose, zitadel-charts quickstart',
    item: 'first-admin-change-required',
    plant: (d) => edit(d, 'zitadel-steps.yaml', 'PasswordChangeRequired: true', 'PasswordChangeRequired: false'),
  },
  {
    value: 'start-from-init',
    found: 'docs compose files, deploy/compose/docker-compose.yml',
    item: 'runtime-runs-start',
    plant: (d) => edit(d, COMPOSE, 'command: [start,', 'command: [start-from-init,'),
  },
  {
    value: 'ghcr.io/zitadel/zitadel:latest',
    found: 'docs compose files',
    item: 'images-pinned',
    plant: (d) => edit(d, COMPOSE, /(\n {2}zitadel:\n {4}image: )ghcr\.io\/zitadel\/zitadel:v4\.13\.0/, '$1ghcr.io/zitadel/zitadel:latest'),
  },
];

describe('every example value published upstream is caught', () => {
  for (const ex of UPSTREAM_EXAMPLES) {
    test(`${ex.item}: ${ex.value} (${ex.found})`, async () => {
      const all = await outcomes(deployment('zitadel-compose-hardened', ex.plant));
      const o = all.get(ex.item)!;
      assert.equal(o.status, 'fail', `${ex.item}: ${o.status} ${o.message}`);
      assert.ok(
        o.evidence.some((e) => e.file && typeof e.line === 'number'),
        `${ex.item}: no evidence with a file and line`,
      );
      assert.ok(!JSON.stringify(o).includes('HlRwzwmUWZzXmDlWygQlfAEDtwQtTheh'), 'a masterkey is printed');
    });
  }

  test('the default admin user name warns without failing', async () => {
    const all = await outcomes(deployment('zitadel-compose-hardened', (d) => edit(d, 'zitadel-steps.yaml', 'UserName: ops-owner', 'UserName: zitadel-admin')));
    assert.equal(all.get('first-admin-password')?.status, 'warn');
  });
});

// ---------------------------------------------------------------------------------------------

describe('network items', () => {
  test('without a URL they are skipped, saying why, never failed', async () => {
    for (const fixture of ['zitadel-compose-weak', 'zitadel-compose-hardened', 'zitadel-helm-weak', 'zitadel-helm-hardened']) {
      const all = await outcomes(deployment(fixture));
      for (const id of NETWORK_ITEMS) {
        const o = all.get(id)!;
        assert.equal(o.status, 'skip', `${fixture} ${id}: ${o.status} ${o.message}`);
        assert.match(o.message, /not probed.*probe is no.*--input probe=any/, `${fixture} ${id}`);
      }
    }
  });

  test('allowed to probe, a deployment without a public name is still skipped, not failed', async () => {
    const all = await outcomes(deployment('zitadel-compose-weak'), ['probe=any']);
    for (const id of NETWORK_ITEMS) {
      const o = all.get(id)!;
      assert.equal(o.status, 'skip', `${id}: ${o.status} ${o.message}`);
      assert.match(o.message, /no public address/);
    }
  });

  test('zitadel.endpoint reuses http.request against a given URL', async () => {
    const server = http.createServer((req, res) => {
      res.statusCode = req.url === '/debug/ready' ? 200 : 404;
      res.end(req.url === '/debug/ready' ? 'ok' : 'no');
    });
    const port = await listen(server);
    const dir = tempDir();
    const url = `http://127.0.0.1:${port}`;
    assert.equal((await runCheck('zitadel.endpoint', dir, {probe: 'http', path: '/debug/ready', status: 200, url})).status, 'pass');
    assert.equal((await runCheck('zitadel.endpoint', dir, {probe: 'http', path: '/debug/healthz', status: 200, url})).status, 'fail');
    // Plain HTTP has no certificate to judge: a skip, not a failure.
    assert.equal((await runCheck('zitadel.endpoint', dir, {probe: 'certificate', url})).status, 'skip');
  });
});

describe('the external address fingerprint', () => {
  test('a confirmation that setup ran is asked again once the triple changes', async () => {
    const dir = deployment('zitadel-compose-hardened');
    const before = (await outcomes(dir)).get('setup-after-external-change')!;
    assert.equal(before.status, 'manual');
    assert.match(before.evidence[0]?.detail ?? '', /https:\/\/id\.kestrel-works\.net:443 \(fingerprint [0-9a-f]{12}\)/);
    const {fingerprint} = await import('../../src/engine/ledger.js');
    const answer = {kind: 'confirmed' as const, by: 'ops', at: '2026-01-01T00:00:00Z', evidence: fingerprint(before)};
    assert.equal(judge(before, answer, '2026-01-02').reconfirm, false);
    edit(dir, CONFIG, 'ExternalPort: 443', 'ExternalPort: 8443');
    const after = (await outcomes(dir)).get('setup-after-external-change')!;
    assert.equal(judge(after, answer, '2026-01-02').reconfirm, true);
  });
});

describe('the masterkey generator', () => {
  test('writes a 32-character key into the .env, and will not replace it without --replace-existing', async () => {
    const dir = deployment('zitadel-compose-hardened', (d) => edit(d, ENV, /ZITADEL_MASTERKEY=.*\n/, ''));
    const env = {SHIPSHAPE_PROGRESS_DIR: tempDir('shipshape-progress-'), HOME: tempDir('shipshape-home-')};
    const first = await runCli(['generate', '--dir', dir, '--pack', PACK, '--item', 'masterkey-length', '--write', '--format', 'json'], {
      env,
      timeoutMs: 60_000,
    });
    assert.equal(first.code, 0, first.stderr);
    const key = /^ZITADEL_MASTERKEY=(.*)$/m.exec(read(dir, ENV))?.[1];
    assert.match(key ?? '', /^[A-Za-z0-9]{32}$/);
    assert.ok(!first.stdout.includes(key!), 'the new key is printed without --show');
    const all = await outcomes(dir);
    for (const id of ['masterkey-length', 'masterkey-not-example', 'masterkey-same-source']) assert.equal(all.get(id)?.status, 'pass', id);
    const again = await runCli(['generate', '--dir', dir, '--pack', PACK, '--item', 'masterkey-length', '--write'], {env, timeoutMs: 60_000});
    assert.equal(again.code, 2);
    assert.match(again.stderr, /--replace-existing masterkey-length/);
    assert.equal(/^ZITADEL_MASTERKEY=(.*)$/m.exec(read(dir, ENV))?.[1], key, 'the key is unchanged');
  });
});
