// The hoodcloud pack: it loads, every section of its seed page maps to its items, detection picks
// it, the hardened control plane (a .env, a Compose file, and a host tree standing for
// /opt/hoodcloud and /etc in a temp folder) has no fail, the weak twin fails every rule it plants
// at the file (and line, where the weakness is a line), single weaknesses planted into the
// hardened twin fail exactly their items, a workstation copy of the hardened .env alone fails
// nothing (host and Vault items skip or wait for a person, saying why), and with a token for the
// run the Vault items are decided against a loopback Vault.
//
// Certificates and keys are made here with openssl and node:crypto; file modes, owners and the
// deploy hook's symlink are laid down here too, since git keeps none of them.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {generateKeyPairSync, randomBytes} from 'node:crypto';
import {chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, unlinkSync, writeFileSync} from 'node:fs';
import * as http from 'node:http';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {generateNkey, generateX25519Pair} from '../../src/deploy/keys.js';
import {evaluate, loadBuiltins, openSession} from '../../src/engine/session.js';
import {detectPacks} from '../../src/pack/detect.js';
import type {PackItem} from '../../src/pack/schema.js';
import {listen, REPO, runCli, tempDir} from '../support/helpers.js';

const FIXTURES = join(REPO, 'test', 'fixtures');
const PACK_SRC = join(REPO, 'steps', 'hoodcloud.yaml');
const SEED = join(REPO, '..', 'shared', 'seeds', '002_624d2525e4601393.txt');

/** Each section of the seed page, as its heading reads, and the items that answer it. */
const SECTIONS: [heading: string, items: string[]][] = [
  [
    'Required Configuration',
    [
      'required-settings',
      'server-public-url',
      'grpc-public-url',
      'database-credentials',
      'redis-credentials',
      'temporal-connection',
      'aws-s3',
      'hetzner-token',
    ],
  ],
  [
    'Authentication',
    [
      'jwt-keys',
      'allowed-origins',
      'auth-provider-clerk',
      'clerk-secret-key',
      'clerk-authorized-party',
      'clerk-webhook-secret',
      'clerk-webhook-endpoint',
      'clerk-webhook-events',
    ],
  ],
  [
    'Vault & Secrets',
    ['vault-healthy', 'approle-secret-id-file', 'vault-ca', 'vault-settings', 'app-credentials-complete', 'master-key', 'root-token-revoked'],
  ],
  ['Security', ['secrets-in-vault', 'grafana-password', 'grpc-tls', 'api-auth', 'api-rate-limit', 'auth-rate-limit', 'config-signature', 'db-ssl-mode']],
  ['Sealed Box Keypair (Mandatory)', ['sealed-box-keypair']],
  ['Incident Notifications (Optional)', ['incident-channel']],
  [
    'NATS JWT Operator Mode',
    [
      'nats-jwt-setup',
      'nats-vault-keys',
      'nats-jwt-enabled',
      'nats-account-keys-env',
      'nats-external-url',
      'nats-data-wiped',
      'nats-jwt-restart',
      'nats-metrics-flow',
    ],
  ],
  [
    "NATS TLS (Let's Encrypt)",
    [
      'certbot-installed',
      'cloudflare-token-in-vault',
      'certbot-policy',
      'certbot-approle',
      'certbot-credential-files',
      'certbot-wrapper',
      'certbot-systemd-override',
      'initial-certificate',
      'nats-deploy-hook',
      'nats-certificate',
      'nats-tls-mount',
      'x509-exporter',
      'x509-scraped',
      'cert-alert-rules',
      'nats-certificate-expiry',
    ],
  ],
  ['Payment Service', ['payment-enabled', 'payment-address', 'payment-mtls', 'payment-allowed-cn', 'payment-db-ssl', 'payment-nats-credentials']],
  ['Database Migrations', ['migrate-pre-deploy', 'migration-state']],
  ['Production Validation', ['environment-production', 'pv-nats-accounts', 'pv-vault-tls-verify', 'pv-db-ssl', 'pv-payment-consumer', 'pv-grafana-password']],
  ['Rollout Authorization', ['admin-keys-backend-only', 'rollout-forbidden-for-users', 'admin-scope-not-creatable']],
  ['Leader Election (Health Evaluator)', ['evaluator-instances', 'leader-metric', 'single-evaluation-loop', 'standby-workers']],
  ['Connection Pool & Statement Timeouts', ['pool-settings', 'connection-budget', 'pg-stat-statements', 'slow-query-log']],
  ['NATS Cluster', ['nats-three-nodes', 'nats-stream-replicas', 'nats-streams-r3']],
  ['Deployment Order', ['order-1-migrate', 'order-2-infrastructure', 'order-3-services', 'order-4-verify']],
  ['Operational', ['log-level', 'health-intervals', 'subscription-cleanup', 'nats-event-streaming', 'observability-urls', 'backup-bucket']],
  ['Infrastructure', ['iam-policy', 'terraform-state', 'chain-profiles', 'hetzner-firewall']],
  ['Pre-Deployment File Checks', ['ops-agent-binary', 'chain-configs-uploaded']],
  ['Verification Commands', ['uptime-worker', 'grpc-reachable', 'download-endpoint', 'startup-logs', 'vault-connectivity', 'health-endpoints']],
  ['Common Deployment Issues', ['ops-agent-version', 'ops-agent-binaries-dir', 'config-dir', 'vault-auth-troubleshooting']],
];

/** What the issue says must be verified by a program, not asked. */
const VERIFIED = [
  'environment-production',
  'pv-nats-accounts',
  'pv-vault-tls-verify',
  'pv-db-ssl',
  'pv-payment-consumer',
  'pv-grafana-password',
  'grpc-tls',
  'api-auth',
  'api-rate-limit',
  'auth-rate-limit',
  'config-signature',
  'db-ssl-mode',
  'payment-allowed-cn',
  'server-public-url',
  'grpc-public-url',
  'allowed-origins',
  'auth-provider-clerk',
  'clerk-authorized-party',
  'log-level',
  'ops-agent-version',
  'nats-external-url',
  'nats-stream-replicas',
  'secrets-in-vault',
  'clerk-secret-key',
  'clerk-webhook-secret',
  'database-credentials',
  'redis-credentials',
  'sealed-box-keypair',
  'jwt-keys',
  'nats-vault-keys',
  'nats-account-keys-env',
  'approle-secret-id-file',
  'certbot-credential-files',
  'certbot-wrapper',
  'certbot-systemd-override',
  'nats-deploy-hook',
  'nats-certificate',
  'nats-certificate-expiry',
  'nats-tls-mount',
  'cert-alert-rules',
  'x509-exporter',
  'x509-scraped',
  'vault-healthy',
  'app-credentials-complete',
  'payment-nats-credentials',
  'incident-channel',
  'root-token-revoked',
  'connection-budget',
];

/** Items about files on the control-plane host. */
const HOST_ITEMS = [
  'approle-secret-id-file',
  'vault-ca',
  'certbot-installed',
  'certbot-credential-files',
  'certbot-wrapper',
  'certbot-systemd-override',
  'nats-deploy-hook',
  'nats-certificate',
  'nats-certificate-expiry',
  'x509-scraped',
  'cert-alert-rules',
  'ops-agent-binary',
];

/** Items that ask Vault. */
const VAULT_ITEMS = [
  'database-credentials',
  'redis-credentials',
  'jwt-keys',
  'vault-healthy',
  'app-credentials-complete',
  'master-key',
  'root-token-revoked',
  'sealed-box-keypair',
  'incident-channel',
  'nats-vault-keys',
  'cloudflare-token-in-vault',
  'certbot-policy',
  'certbot-approle',
  'payment-nats-credentials',
];

async function hoodcloud() {
  const found = (await loadBuiltins()).find((p) => p.pack.id === 'hoodcloud');
  assert.ok(found, 'no built-in pack hoodcloud');
  return found.pack;
}

const items = async (): Promise<PackItem[]> => (await hoodcloud()).sections.flatMap((s) => s.items);
const question = (i: PackItem) => (i.confirm === undefined ? undefined : typeof i.confirm === 'string' ? i.confirm : i.confirm.question);

// ---------------------------------------------------------------------------------------------
// Deployments

interface Deployed {
  dir: string;
  /** The folder standing for the control-plane host's `/`. */
  host: string;
  /** A copy of the pack whose host root is `host`. */
  pack: string;
}

const uid = process.getuid?.() ?? 0;

/** A copy of the pack with the host root (and, when the tests do not run as root, the owner) changed once, at its anchors. */
function packFor(host: string): string {
  let text = readFileSync(PACK_SRC, 'utf8');
  assert.equal(text.split('host: &host {root: /, input: host').length, 2, 'the host root is written once, at the &host anchor');
  text = text.replace('host: &host {root: /, input: host', `host: &host {root: ${JSON.stringify(host)}, input: host`);
  if (uid !== 0) {
    assert.ok(text.includes('owner: &owner root'));
    text = text.replace('owner: &owner root', `owner: &owner ${uid}`);
  }
  const file = join(tempDir('shipshape-hoodcloud-pack-'), 'hoodcloud.yaml');
  writeFileSync(file, text);
  return file;
}

function renameEnvFixtures(d: string): void {
  for (const name of readdirSync(d)) {
    const p = join(d, name);
    if (statSync(p).isDirectory()) renameEnvFixtures(p);
    else if (name === 'env.fixture') renameSync(p, join(d, '.env'));
  }
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A self-signed certificate and its key (EC P-256), valid `days`. */
function selfSigned(dir: string, name: string, cn: string, days: number): void {
  const cnf = join(dir, 'req.cnf');
  if (!existsSync(cnf))
    writeFileSync(cnf, '[req]\ndistinguished_name=dn\nprompt=no\n[dn]\nCN=x\n[v3_ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      ...EC,
      '-config',
      cnf,
      '-extensions',
      'v3_ca',
      '-subj',
      `/CN=${cn}`,
      '-days',
      String(days),
      '-keyout',
      join(dir, `${name}.key`),
      '-out',
      join(dir, `${name}.pem`),
    ],
    {stdio: ['ignore', 'pipe', 'pipe']},
  );
}

const H = (host: string, p: string) => join(host, p);

/** What git cannot carry: certificates, modes and the deploy hook's link, as on a hardened host. */
function layHardenedHost(host: string): void {
  const pki = tempDir('shipshape-hoodcloud-pki-');
  selfSigned(pki, 'vault-ca', 'HoodCloud Vault CA', 3650);
  selfSigned(pki, 'nats', 'nats.hoodcloud.dev', 90);
  mkdirSync(H(host, 'opt/hoodcloud/nats-tls'), {recursive: true});
  mkdirSync(H(host, 'etc/letsencrypt/renewal-hooks/deploy'), {recursive: true});
  cpSync(join(pki, 'vault-ca.pem'), H(host, 'opt/hoodcloud/secrets/vault-ca.crt'));
  cpSync(join(pki, 'nats.pem'), H(host, 'opt/hoodcloud/nats-tls/fullchain.pem'));
  cpSync(join(pki, 'nats.key'), H(host, 'opt/hoodcloud/nats-tls/privkey.pem'));
  for (const f of ['vault-secret-id', 'certbot-role-id', 'certbot-secret-id']) chmodSync(H(host, `opt/hoodcloud/secrets/${f}`), 0o400);
  chmodSync(H(host, 'opt/hoodcloud/secrets/vault-ca.crt'), 0o644);
  chmodSync(H(host, 'opt/hoodcloud/scripts/certbot-renew.sh'), 0o700);
  chmodSync(H(host, 'opt/hoodcloud/scripts/nats-cert-deploy.sh'), 0o755);
  chmodSync(H(host, 'opt/hoodcloud/nats-tls/privkey.pem'), 0o600);
  // As `ln -s` makes it on the host: an absolute target.
  symlinkSync('/opt/hoodcloud/scripts/nats-cert-deploy.sh', H(host, 'etc/letsencrypt/renewal-hooks/deploy/nats-reload.sh'));
}

/** The weak host: loose modes, a certificate 10 days from expiry with another key beside it. */
function layWeakHost(host: string): void {
  const pki = tempDir('shipshape-hoodcloud-pki-');
  selfSigned(pki, 'nats', 'nats.hoodcloud.dev', 10);
  selfSigned(pki, 'stray', 'stray', 10);
  mkdirSync(H(host, 'opt/hoodcloud/nats-tls'), {recursive: true});
  cpSync(join(pki, 'nats.pem'), H(host, 'opt/hoodcloud/nats-tls/fullchain.pem'));
  cpSync(join(pki, 'stray.key'), H(host, 'opt/hoodcloud/nats-tls/privkey.pem'));
  chmodSync(H(host, 'opt/hoodcloud/nats-tls/privkey.pem'), 0o644);
  chmodSync(H(host, 'opt/hoodcloud/secrets/vault-secret-id'), 0o644);
  chmodSync(H(host, 'opt/hoodcloud/secrets/certbot-role-id'), 0o640);
  chmodSync(H(host, 'opt/hoodcloud/scripts/certbot-renew.sh'), 0o755);
  chmodSync(H(host, 'opt/hoodcloud/scripts/nats-cert-deploy.sh'), 0o644);
}

/** A copy of a fixture: the deployment folder, and its host tree in a folder of its own. */
function deploy(fixture: 'hoodcloud-hardened' | 'hoodcloud-weak'): Deployed {
  const src = join(FIXTURES, fixture);
  const dir = tempDir('shipshape-hoodcloud-');
  cpSync(src, dir, {recursive: true, filter: (p) => p !== join(src, 'host')});
  renameEnvFixtures(dir);
  const host = tempDir('shipshape-hoodcloud-host-');
  cpSync(join(src, 'host'), host, {recursive: true});
  if (fixture === 'hoodcloud-hardened') layHardenedHost(host);
  else layWeakHost(host);
  return {dir, host, pack: packFor(host)};
}

function edit(file: string, from: string | RegExp, to: string): void {
  const text = readFileSync(file, 'utf8');
  assert.ok(typeof from === 'string' ? text.includes(from) : from.test(text), `${file} has no ${String(from)}`);
  writeFileSync(file, text.replace(from, to));
}

function lineOf(file: string, needle: string): number {
  const n = readFileSync(file, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(needle));
  assert.ok(n >= 0, `${file} has no line with ${needle}`);
  return n + 1;
}

interface JsonItem {
  id: string;
  status: string;
  message: string;
  evidence: {file: string | null; line: number | null; key: string | null; detail: string}[];
}

async function checkJson(dir: string, pack: string, args: string[] = [], env: Record<string, string> = {}) {
  const r = await runCli(['check', '--dir', dir, '--pack', pack, '--format', 'json', ...args], {
    env: {SHIPSHAPE_PROGRESS_DIR: tempDir('shipshape-progress-'), VAULT_TOKEN: '', VAULT_ROOT_TOKEN: '', VAULT_CACERT: '', ...env},
    timeoutMs: 60_000,
  });
  assert.ok(r.stdout.trim().startsWith('{'), `check printed no JSON:\n${r.stdout}\n${r.stderr}`);
  const report = JSON.parse(r.stdout) as {pack: string; items: JsonItem[]};
  return {code: r.code, pack: report.pack, items: new Map(report.items.map((i) => [i.id, i])), stdout: r.stdout};
}

/** The same run in this process (no CLI start-up), without a Vault token: for the many small plants. */
async function outcomes(d: Deployed): Promise<Map<string, JsonItem>> {
  const saved = process.env.VAULT_TOKEN;
  delete process.env.VAULT_TOKEN;
  try {
    const session = await openSession({dir: d.dir, pack: d.pack, inputs: []});
    const all = await evaluate(session);
    return new Map(
      all.map((o) => [
        o.id,
        {
          id: o.id,
          status: o.status,
          message: o.message,
          evidence: o.evidence.map((e) => ({file: e.file ?? null, line: e.line ?? null, key: e.key ?? null, detail: e.detail})),
        },
      ]),
    );
  } finally {
    if (saved !== undefined) process.env.VAULT_TOKEN = saved;
  }
}

const withStatus = (all: Map<string, JsonItem>, status: string) =>
  [...all.values()]
    .filter((i) => i.status === status)
    .map((i) => i.id)
    .sort();

/** Every secret-looking value in a deployment's .env files and its host's secret files, so a test can prove none is printed. */
function secretsOf(d: Deployed): string[] {
  const out: string[] = [];
  for (const rel of ['.env', 'payment-service/.env']) {
    const f = join(d.dir, rel);
    if (!existsSync(f)) continue;
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      const m = /^([A-Z_]+)=(.*)$/.exec(line);
      if (m && /PASSWORD|SECRET|TOKEN|_KEY$/.test(m[1]!) && !/_PATH$|_FILE$/.test(m[1]!)) out.push(m[2]!);
      if (m?.[1] === 'REDIS_URL') out.push(new URL(m[2]!).password);
    }
  }
  const secrets = join(d.host, 'opt/hoodcloud/secrets');
  for (const f of readdirSync(secrets).filter((x) => x.endsWith('-id'))) out.push(readFileSync(join(secrets, f), 'utf8').trim());
  return out.filter((s) => s.length >= 8);
}

// ---------------------------------------------------------------------------------------------

describe('the hoodcloud pack', () => {
  test('loads; every item is verified, generated or asked, and every question is a question', async () => {
    const all = await items();
    assert.ok(all.length >= 100, `${all.length} items`);
    for (const i of all) {
      assert.equal(i.source.system, 'HoodCloud');
      assert.ok(i.verify || i.generate || i.confirm, `${i.id} has no class`);
      const q = question(i);
      if (q !== undefined) assert.match(q, /\?/, `${i.id}: the confirmation is not a question`);
    }
  });

  test('maps every section of the seed page to its items', async () => {
    const all = await items();
    const cited = (heading: string) => `Production Checklist / ${heading}`;
    for (const [heading, ids] of SECTIONS) {
      const mine = all.filter((i) => i.source.section === cited(heading)).map((i) => i.id);
      assert.deepEqual(mine.sort(), [...ids].sort(), `items citing "${heading}"`);
    }
    assert.deepEqual(
      [...new Set(all.map((i) => i.source.section))].sort(),
      SECTIONS.map(([h]) => cited(h)).sort(),
      'every item cites one of the seed sections',
    );
    if (!existsSync(SEED)) return;
    // With the seed beside the repository: each heading is a line of it.
    const seed = new Set(
      readFileSync(SEED, 'utf8')
        .split('\n')
        .map((l) => l.trim().replace(/\u2019/g, "'")),
    );
    for (const [heading] of SECTIONS) assert.ok(seed.has(heading), `the seed has no section "${heading}"`);
  });

  test('what the issue says to verify is verified by a check, not only asked', async () => {
    const all = new Map((await items()).map((i) => [i.id, i]));
    for (const id of VERIFIED) assert.ok(all.get(id)?.verify?.length, `${id} has no verify step`);
    // Vault items wait for a person when no token is given, so they carry a question too.
    for (const id of VAULT_ITEMS) assert.ok(all.get(id)?.confirm, `${id} has no question for runs without a token`);
  });

  test('the deployment order is four ordered confirmations', async () => {
    const pack = await hoodcloud();
    const order = pack.sections.find((s) => s.id === 'deployment-order')!.items;
    assert.deepEqual(
      order.map((i) => i.id),
      ['order-1-migrate', 'order-2-infrastructure', 'order-3-services', 'order-4-verify'],
    );
    order.forEach((i, n) => {
      assert.match(question(i) ?? '', new RegExp(`^Step ${n + 1} of 4: `));
    });
  });

  test('names HoodCloud does not publish are inputs: each written once, at an anchor', () => {
    const text = readFileSync(PACK_SRC, 'utf8')
      .split('\n')
      .filter((l) => !l.trimStart().startsWith('#'))
      .join('\n');
    for (const name of [
      'host',
      'vault',
      'owner',
      'db-fields',
      'redis-fields',
      'clerk-secret-field',
      'webhook-field',
      'master-key',
      'vault-only-keys',
      'nats-enabled',
      'prometheus',
    ]) {
      // Defined (`key: &name value` or `[&name {...}]`) once, and used (`*name`) or documented.
      const defined = text.match(new RegExp(`(:\\s|\\[|-\\s)&${name}(\\s|$)`, 'gm')) ?? [];
      assert.equal(defined.length, 1, `&${name} is defined once`);
    }
    // No host item hides its own root: every host step refers to the one anchor.
    assert.equal((text.match(/root: \//g) ?? []).length, 1);
  });
});

describe('detection', () => {
  test('picks hoodcloud for both fixtures, and no other pack claims them first', async () => {
    const packs = (await loadBuiltins()).map((p) => p.pack);
    for (const f of ['hoodcloud-hardened', 'hoodcloud-weak'] as const) {
      const d = deploy(f);
      const found = await detectPacks(d.dir, packs);
      assert.equal(found[0]?.pack.id, 'hoodcloud', f);
    }
  });

  test("the0's and the Discord bot's deployments do not pick it", async () => {
    const packs = (await loadBuiltins()).map((p) => p.pack);
    for (const dir of [join(REPO, 'examples', 'the0-compose'), join(FIXTURES, 'the0-hardened'), join(FIXTURES, 'the0-shipped')]) {
      const ids = (await detectPacks(dir, packs)).map((d) => d.pack.id);
      assert.ok(!ids.includes('hoodcloud'), `${dir} picks hoodcloud`);
    }
  });
});

describe('the hardened control plane', () => {
  test('has no fail or error; the host items pass; Vault items wait for a person and say why', async () => {
    const d = deploy('hoodcloud-hardened');
    const {code, items: all, stdout} = await checkJson(d.dir, d.pack);
    const bad = [...all.values()].filter((i) => i.status === 'fail' || i.status === 'error' || i.status === 'warn');
    assert.deepEqual(
      bad.map((i) => `${i.id}: ${i.status}: ${i.message}`),
      [],
    );
    assert.equal(code, 0);
    for (const id of [...HOST_ITEMS, 'nats-tls-mount', 'x509-exporter', 'connection-budget'])
      assert.equal(all.get(id)?.status, 'pass', `${id}: ${all.get(id)?.message}`);
    for (const id of VAULT_ITEMS) {
      assert.equal(all.get(id)?.status, 'manual', id);
      assert.match(all.get(id)!.message, /no Vault token for this run: set VAULT_TOKEN/, id);
    }
    assert.ok(withStatus(all, 'pass').length >= 50);
    for (const s of secretsOf(d)) assert.ok(!stdout.includes(s), `a secret value is printed: ${s.slice(0, 4)}…`);
  });
});

/** Weak items whose weakness is a property of a host file (mode, link, certificate), shown by the file alone. */
const FILE_PROPERTY = new Set(['certbot-credential-files', 'certbot-wrapper', 'nats-deploy-hook', 'nats-certificate', 'nats-certificate-expiry']);

describe('the weak control plane', () => {
  test('fails every rule it plants, each at its file (and line), and prints no secret', async () => {
    const d = deploy('hoodcloud-weak');
    const {code, items: all, stdout} = await checkJson(d.dir, d.pack);
    assert.equal(code, 1);
    const expected = [
      // Production validation (ENVIRONMENT=production, so every rule applies)
      'pv-nats-accounts',
      'pv-vault-tls-verify',
      'pv-db-ssl',
      'pv-payment-consumer',
      'pv-grafana-password',
      // Required configuration and authentication
      'required-settings',
      'server-public-url',
      'grpc-public-url',
      'aws-s3',
      'hetzner-token',
      'allowed-origins',
      'auth-provider-clerk',
      'clerk-secret-key',
      'clerk-authorized-party',
      'clerk-webhook-secret',
      // Vault settings and the host's Vault files
      'vault-settings',
      'approle-secret-id-file',
      'vault-ca',
      // Security switches
      'secrets-in-vault',
      'grafana-password',
      'grpc-tls',
      'api-auth',
      'api-rate-limit',
      'auth-rate-limit',
      'config-signature',
      'db-ssl-mode',
      // NATS
      'nats-jwt-enabled',
      'nats-account-keys-env',
      'nats-external-url',
      'nats-stream-replicas',
      // NATS TLS on the host, Compose and Prometheus
      'certbot-installed',
      'certbot-credential-files',
      'certbot-wrapper',
      'certbot-systemd-override',
      'nats-deploy-hook',
      'nats-certificate',
      'nats-certificate-expiry',
      'nats-tls-mount',
      'x509-exporter',
      'x509-scraped',
      'cert-alert-rules',
      // Payment service
      'payment-enabled',
      'payment-address',
      'payment-allowed-cn',
      'payment-db-ssl',
      // Pools, operations, infrastructure, served files
      'pool-settings',
      'connection-budget',
      'log-level',
      'subscription-cleanup',
      'observability-urls',
      'backup-bucket',
      'terraform-state',
      'ops-agent-binary',
      'ops-agent-version',
      'ops-agent-binaries-dir',
      'config-dir',
    ].sort();
    assert.deepEqual(withStatus(all, 'fail'), expected);
    assert.deepEqual(withStatus(all, 'error'), []);
    for (const id of expected) {
      const item = all.get(id)!;
      const located = item.evidence.some((e) => e.file && (FILE_PROPERTY.has(id) || typeof e.line === 'number'));
      assert.ok(located, `${id}: no evidence names a file${FILE_PROPERTY.has(id) ? '' : ' and line'}: ${JSON.stringify(item.evidence)}`);
    }
    // Host files are named by their path on the host, not by the folder that stands for it.
    assert.ok(all.get('certbot-wrapper')!.evidence.some((e) => e.file === '/opt/hoodcloud/scripts/certbot-renew.sh'));
    for (const i of all.values())
      for (const e of i.evidence) assert.ok(!e.file?.startsWith(d.host), `${i.id}: evidence names the temp folder instead of the host path`);
    for (const s of secretsOf(d)) assert.ok(!stdout.includes(s), `a secret value is printed: ${s.slice(0, 4)}…`);
  });
});

/** One weakness planted into the hardened twin, and exactly the items it must fail, with where. */
interface Plant {
  name: string;
  plant: (d: Deployed) => void;
  /** item id -> [file, line] (line undefined for a file's property). */
  fails: (d: Deployed) => Record<string, [string, number | undefined]>;
}

const ENV = '.env';
const env = (d: Deployed) => join(d.dir, ENV);

const PLANTS: Plant[] = [
  {
    name: 'PAYMENT_CONSUMER_ENABLED left out in production',
    plant: (d) => edit(env(d), 'PAYMENT_CONSUMER_ENABLED=true\n', ''),
    fails: (d) => ({'pv-payment-consumer': [ENV, lineOf(env(d), 'ENVIRONMENT=production')]}),
  },
  {
    name: 'NATS accounts off while NATS is on (NATS_ENABLED unset counts as on)',
    plant: (d) => {
      edit(env(d), 'NATS_ENABLED=true\n', '');
      edit(env(d), 'NATS_ACCOUNTS_ENABLED=true', 'NATS_ACCOUNTS_ENABLED=false');
    },
    fails: (d) => ({'pv-nats-accounts': [ENV, lineOf(env(d), 'NATS_ACCOUNTS_ENABLED')]}),
  },
  {
    name: 'DANGEROUS_DISABLE_AUTH=true',
    plant: (d) => edit(env(d), 'API_AUTH_ENABLED=true\n', 'API_AUTH_ENABLED=true\nDANGEROUS_DISABLE_AUTH=true\n'),
    fails: (d) => ({'api-auth': [ENV, lineOf(env(d), 'DANGEROUS_DISABLE_AUTH')]}),
  },
  {
    name: 'the Clerk secret key pasted into the .env (a live key, so only the Vault rule breaks)',
    plant: (d) => edit(env(d), 'API_AUTH_ENABLED=true\n', `API_AUTH_ENABLED=true\nAUTH_CLERK_SECRET_KEY=sk_live_${randomBytes(20).toString('hex')}\n`),
    fails: (d) => ({'clerk-secret-key': [ENV, lineOf(env(d), 'AUTH_CLERK_SECRET_KEY')], 'secrets-in-vault': [ENV, lineOf(env(d), 'AUTH_CLERK_SECRET_KEY')]}),
  },
  {
    name: 'a pool size that overruns max_connections',
    plant: (d) => edit(env(d), 'DB_MAX_CONNS=20', 'DB_MAX_CONNS=25'),
    fails: (d) => ({'connection-budget': [ENV, lineOf(env(d), 'DB_MAX_CONNS')]}),
  },
  {
    name: 'the AppRole secret id readable by everyone',
    plant: (d) => chmodSync(H(d.host, 'opt/hoodcloud/secrets/vault-secret-id'), 0o644),
    fails: () => ({'approle-secret-id-file': ['/opt/hoodcloud/secrets/vault-secret-id', undefined]}),
  },
  {
    name: 'the deploy hook copied instead of linked',
    plant: (d) => {
      const link = H(d.host, 'etc/letsencrypt/renewal-hooks/deploy/nats-reload.sh');
      unlinkSync(link);
      cpSync(H(d.host, 'opt/hoodcloud/scripts/nats-cert-deploy.sh'), link);
    },
    fails: () => ({'nats-deploy-hook': ['/etc/letsencrypt/renewal-hooks/deploy/nats-reload.sh', undefined]}),
  },
  {
    name: 'the systemd override that adds ExecStart without clearing it',
    plant: (d) => edit(H(d.host, 'etc/systemd/system/certbot.service.d/override.conf'), 'ExecStart=\n', ''),
    fails: () => ({'certbot-systemd-override': ['/etc/systemd/system/certbot.service.d/override.conf', 2]}),
  },
  {
    name: 'the critical expiry alert missing',
    plant: (d) => edit(H(d.host, 'etc/prometheus/rules/nats-tls.yml'), / {6}- alert: NATSTLSCertExpiryCritical[\s\S]*$/, ''),
    fails: () => ({'cert-alert-rules': ['/etc/prometheus/rules/nats-tls.yml', 2]}),
  },
  {
    name: 'the NATS certificate folder mounted read-write',
    plant: (d) => edit(join(d.dir, 'docker-compose.yml'), '/opt/hoodcloud/nats-tls:/etc/nats/tls:ro', '/opt/hoodcloud/nats-tls:/etc/nats/tls'),
    fails: (d) => ({'nats-tls-mount': ['docker-compose.yml', lineOf(join(d.dir, 'docker-compose.yml'), '/opt/hoodcloud/nats-tls:/etc/nats/tls')]}),
  },
  {
    name: 'the NATS private key readable by everyone',
    plant: (d) => chmodSync(H(d.host, 'opt/hoodcloud/nats-tls/privkey.pem'), 0o644),
    fails: () => ({'nats-certificate': ['/opt/hoodcloud/nats-tls/privkey.pem', undefined]}),
  },
];

describe('single weaknesses planted into the hardened twin', () => {
  for (const p of PLANTS) {
    test(`${p.name} fails exactly its items, at the place`, async () => {
      const d = deploy('hoodcloud-hardened');
      p.plant(d);
      const want = p.fails(d);
      const all = await outcomes(d);
      assert.deepEqual(withStatus(all, 'fail'), Object.keys(want).sort());
      for (const [id, [file, line]] of Object.entries(want)) {
        const ev = all.get(id)!.evidence;
        assert.ok(
          ev.some((e) => e.file === file && (line === undefined || e.line === line)),
          `${id}: no evidence at ${file}:${line ?? ''}: ${JSON.stringify(ev)}`,
        );
      }
    });
  }

  test('ENVIRONMENT other than production: the production rules are off (skip), and that itself fails', async () => {
    const d = deploy('hoodcloud-hardened');
    edit(env(d), 'ENVIRONMENT=production', 'ENVIRONMENT=staging');
    edit(env(d), 'VAULT_TLS_SKIP_VERIFY=false', 'VAULT_TLS_SKIP_VERIFY=true');
    edit(env(d), 'PAYMENT_CONSUMER_ENABLED=true\n', '');
    const all = await outcomes(d);
    assert.deepEqual(withStatus(all, 'fail'), ['environment-production']);
    for (const id of ['pv-nats-accounts', 'pv-vault-tls-verify', 'pv-db-ssl', 'pv-payment-consumer', 'pv-grafana-password']) {
      assert.equal(all.get(id)?.status, 'skip', id);
      assert.match(all.get(id)!.message, /applies only while ENVIRONMENT is production/);
    }
  });
});

describe('on a workstation, with the hardened .env alone', () => {
  function envAlone(): string {
    const dir = tempDir('shipshape-hoodcloud-ws-');
    cpSync(join(FIXTURES, 'hoodcloud-hardened', 'env.fixture'), join(dir, '.env'));
    return dir;
  }

  function assertWorkstation(all: Map<string, JsonItem>, hostReason: RegExp): void {
    assert.deepEqual(
      [...all.values()].filter((i) => ['fail', 'error', 'warn'].includes(i.status)).map((i) => `${i.id}: ${i.message}`),
      [],
    );
    for (const id of HOST_ITEMS) {
      assert.equal(all.get(id)?.status, 'skip', id);
      assert.match(all.get(id)!.message, hostReason, id);
    }
    for (const id of ['nats-tls-mount', 'x509-exporter']) assert.match(all.get(id)!.message, /no Compose file/, id);
    for (const id of VAULT_ITEMS) {
      assert.equal(all.get(id)?.status, 'manual', id);
      assert.match(all.get(id)!.message, /no Vault token for this run/, id);
    }
  }

  test('host input on auto, no host tree: host items skip, Vault items wait for a person, nothing fails', async () => {
    const empty = tempDir('shipshape-hoodcloud-empty-root-');
    const {code, items: all} = await checkJson(envAlone(), packFor(empty));
    assertWorkstation(all, /\/opt\/hoodcloud is not here .* not the control-plane host/);
    assert.equal(code, 0);
  });

  test('the built-in pack with --input host=workstation says so', async () => {
    const {code, items: all} = await checkJson(envAlone(), 'hoodcloud', ['--input', 'host=workstation']);
    assertWorkstation(all, /runs on a workstation \(input host=workstation\)/);
    assert.equal(code, 0);
  });
});

// ---------------------------------------------------------------------------------------------
// With a token: a loopback Vault answering as Vault's HTTP API documents.

interface Vault {
  kv: Record<string, Record<string, string>>;
  tokens: Record<string, string[]>;
  accessors: Record<string, string[]>;
  policies: Record<string, string>;
  approles: Record<string, Record<string, unknown>>;
  health: number;
}

function fakeVault(v: Vault): Promise<number> {
  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, {'Content-Type': 'application/json'});
    res.end(JSON.stringify(body));
  };
  return listen(
    http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://vault');
        const token = req.headers['x-vault-token'] as string;
        if (url.pathname === '/v1/sys/health')
          return send(res, v.health, {initialized: v.health !== 501, sealed: v.health === 503, standby: false, version: '1.15.4'});
        if (!v.tokens[token]) return send(res, 403, {errors: ['permission denied']});
        if (url.pathname === '/v1/auth/token/lookup-self') return send(res, 200, {data: {policies: v.tokens[token]}});
        if (url.pathname === '/v1/auth/token/accessors') return send(res, 200, {data: {keys: Object.keys(v.accessors)}});
        if (url.pathname === '/v1/auth/token/lookup-accessor')
          return send(res, 200, {data: {policies: v.accessors[(JSON.parse(body) as {accessor: string}).accessor]}});
        const pol = /^\/v1\/sys\/policies\/acl\/(.+)$/.exec(url.pathname);
        if (pol) return v.policies[pol[1]!] ? send(res, 200, {data: {policy: v.policies[pol[1]!]}}) : send(res, 404, {errors: []});
        const role = /^\/v1\/auth\/approle\/role\/(.+)$/.exec(url.pathname);
        if (role) return v.approles[role[1]!] ? send(res, 200, {data: v.approles[role[1]!]}) : send(res, 404, {errors: []});
        const kv = /^\/v1\/([^/]+)\/data\/(.+)$/.exec(url.pathname);
        const entry = kv ? v.kv[`${kv[1]}/${kv[2]}`] : undefined;
        if (entry) return send(res, 200, {data: {data: entry, metadata: {version: 1, deletion_time: '', destroyed: false}}});
        send(res, 404, {errors: []});
      });
    }),
  );
}

describe('with a Vault token for the run', () => {
  test('the Vault items are decided: all good on a healthy Vault, planted Vault weaknesses fail, and the token is never printed', async () => {
    const token = `hvs.${randomBytes(18).toString('base64url')}`;
    const jwt = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: {type: 'pkcs8', format: 'pem'},
      publicKeyEncoding: {type: 'spki', format: 'pem'},
    });
    const box = generateX25519Pair();
    const op = generateNkey('operator');
    const agent = generateNkey('account');
    const ctrl = generateNkey('account');
    const app: Record<string, string> = {
      jwt_private_key: jwt.privateKey,
      jwt_public_key: jwt.publicKey,
      sealed_box_private_key: box.privateKey,
      sealed_box_public_key: box.publicKey,
      nats_operator_signing_seed: op.seed,
      nats_agent_account_signing_seed: agent.seed,
      nats_ctrl_account_signing_seed: ctrl.seed,
      nats_agent_account_pub: agent.publicKey,
      nats_ctrl_account_pub: ctrl.publicKey,
      db_password: randomBytes(18).toString('base64url'),
      redis_password: randomBytes(18).toString('base64url'),
      clerk_secret_key: `sk_live_${randomBytes(20).toString('hex')}`,
      clerk_webhook_signing_secret: `whsec_${randomBytes(24).toString('base64')}`,
      incident_webhook_url: 'https://alerts.hoodcloud.dev/hooks/incidents',
      incident_webhook_secret: randomBytes(32).toString('hex'),
    };
    const vault: Vault = {
      health: 200,
      tokens: {[token]: ['hoodcloud-admin']},
      accessors: {a1: ['hoodcloud'], a2: ['certbot-nats']},
      policies: {'certbot-nats': 'path "secret/data/infra/certbot/cloudflare" {\n  capabilities = ["read"]\n}\n'},
      approles: {'certbot-nats': {token_ttl: 300, token_max_ttl: 600, token_policies: ['certbot-nats']}},
      kv: {
        'secret/hoodcloud/app-credentials': app,
        'secret/hoodcloud/master-key': {master_key: randomBytes(32).toString('base64')},
        'secret/infra/certbot/cloudflare': {api_token: randomBytes(30).toString('base64url')},
        'secret/payment-service/credentials': {nats_ctrl_signing_seed: ctrl.seed, nats_ctrl_account_pub: ctrl.publicKey},
      },
    };
    const port = await fakeVault(vault);
    const d = deploy('hoodcloud-hardened');
    edit(env(d), /^VAULT_ADDR=.*$/m, `VAULT_ADDR=http://127.0.0.1:${port}`);
    edit(env(d), /^NATS_JWT_CTRL_ACCOUNT_PUB=.*$/m, `NATS_JWT_CTRL_ACCOUNT_PUB=${ctrl.publicKey}`);
    edit(env(d), /^NATS_JWT_AGENT_ACCOUNT_PUB=.*$/m, `NATS_JWT_AGENT_ACCOUNT_PUB=${agent.publicKey}`);

    const good = await checkJson(d.dir, d.pack, [], {VAULT_TOKEN: token});
    for (const id of VAULT_ITEMS) {
      const i = good.items.get(id)!;
      // Verified: the checks passed, and only the item's own question is left for a person.
      assert.equal(i.status, 'manual', `${id}: ${i.message}`);
      assert.doesNotMatch(i.message, /no Vault token|could not|did not/, id);
      assert.match(i.message, /a person must confirm/, id);
    }
    assert.match(good.items.get('vault-healthy')!.message, /initialized, unsealed and active/);
    assert.match(good.items.get('root-token-revoked')!.message, /no root token is alive/);

    // Now break Vault: a mismatched sealed-box pair, no master key, a live root token, a wide policy, a mismatched payment account.
    app.sealed_box_public_key = generateX25519Pair().publicKey;
    delete vault.kv['secret/hoodcloud/master-key'];
    vault.accessors.a3 = ['root'];
    vault.policies['certbot-nats'] += 'path "secret/*" {\n  capabilities = ["read", "list"]\n}\n';
    vault.kv['secret/payment-service/credentials'] = {nats_ctrl_signing_seed: agent.seed, nats_ctrl_account_pub: agent.publicKey};
    const bad = await checkJson(d.dir, d.pack, [], {VAULT_TOKEN: token});
    const failing = withStatus(bad.items, 'fail').filter((id) => VAULT_ITEMS.includes(id));
    assert.deepEqual(failing, ['certbot-policy', 'master-key', 'payment-nats-credentials', 'root-token-revoked', 'sealed-box-keypair'].sort());
    assert.ok(!good.stdout.includes(token) && !bad.stdout.includes(token), 'the token is printed');
    for (const v of [jwt.privateKey.split('\n')[1]!, box.privateKey, app.db_password!, app.clerk_secret_key!, op.seed]) {
      assert.ok(!good.stdout.includes(v) && !bad.stdout.includes(v), 'a value read from Vault is printed');
    }
  });
});
