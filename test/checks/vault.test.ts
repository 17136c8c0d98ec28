// vault.* against a loopback HTTP(S) server that answers as Vault's API documents: sys/health with
// its status codes, KV version 2 reads (data.data and data.metadata), token lookup-self, the
// accessor list and lookup-accessor, ACL policies and AppRole roles. Plus a server that accepts
// and never answers. The token (and the root token, and every secret value served) must never
// appear in any result.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {generateKeyPairSync, randomBytes} from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import {generateNkey, generateX25519Pair} from '../../src/deploy/keys.js';
import type {CheckResult} from '../../src/model/types.js';
import {dirWith, lines, listen, runCheck, tempDir, writeFiles} from '../support/helpers.js';
import {silentServer} from '../support/services.js';

const TOKEN = `hvs.${randomBytes(18).toString('base64url')}`;
const ROOT = `hvs.${randomBytes(18).toString('base64url')}`;

/** What the fake Vault holds; tests change it between requests. */
interface VaultState {
  health: {status: number; body: Record<string, unknown>};
  /** mount/path -> fields, or 'deleted' for a soft-deleted secret. */
  kv: Record<string, Record<string, unknown> | 'deleted'>;
  /** token -> its policies. */
  tokens: Record<string, string[]>;
  /** accessor -> the token's policies; 'denied' when the token may not list them. */
  accessors: Record<string, string[]> | 'denied';
  policies: Record<string, string>;
  approles: Record<string, Record<string, unknown>>;
  /** Every request, for proving where the token went. */
  seen: {method: string; url: string; token?: string}[];
}

const HEALTHY = {
  status: 200,
  body: {
    initialized: true,
    sealed: false,
    standby: false,
    performance_standby: false,
    replication_dr_mode: 'disabled',
    version: '1.15.4',
    cluster_name: 'vault-cluster-test',
  },
};

function freshState(): VaultState {
  return {health: HEALTHY, kv: {}, tokens: {[TOKEN]: ['default', 'hoodcloud-admin']}, accessors: {}, policies: {}, approles: {}, seen: []};
}

let state = freshState();

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, {'Content-Type': 'application/json'});
  res.end(JSON.stringify(body));
}

const denied = {errors: ['1 error occurred:\n\t* permission denied\n\n']};

/** A request handler speaking Vault's documented HTTP API, enough for the vault.* checks. */
function vaultApi(req: http.IncomingMessage, res: http.ServerResponse): void {
  const token = req.headers['x-vault-token'] as string | undefined;
  const url = new URL(req.url ?? '/', 'http://vault');
  state.seen.push({method: req.method ?? '', url: url.pathname + url.search, token});
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    if (url.pathname === '/v1/sys/health') return json(res, state.health.status, state.health.body);
    if (!token || !state.tokens[token]) return json(res, 403, denied);
    if (url.pathname === '/v1/auth/token/lookup-self') {
      return json(res, 200, {data: {policies: state.tokens[token], display_name: 'token', ttl: 3600, accessor: 'self-accessor'}});
    }
    if (url.pathname === '/v1/auth/token/accessors' && url.searchParams.get('list') === 'true') {
      if (state.accessors === 'denied') return json(res, 403, denied);
      return json(res, 200, {data: {keys: Object.keys(state.accessors)}});
    }
    if (url.pathname === '/v1/auth/token/lookup-accessor' && req.method === 'POST') {
      const accessor = (JSON.parse(body) as {accessor: string}).accessor;
      const pols = state.accessors === 'denied' ? undefined : state.accessors[accessor];
      if (!pols) return json(res, 400, {errors: ['invalid accessor']});
      return json(res, 200, {data: {accessor, policies: pols, display_name: pols.includes('root') ? 'root' : 'approle'}});
    }
    const policy = /^\/v1\/sys\/policies\/acl\/(.+)$/.exec(url.pathname);
    if (policy) {
      const text = state.policies[decodeURIComponent(policy[1]!)];
      return text === undefined ? json(res, 404, {errors: []}) : json(res, 200, {data: {name: policy[1], policy: text}});
    }
    const role = /^\/v1\/auth\/approle\/role\/(.+)$/.exec(url.pathname);
    if (role) {
      const r = state.approles[decodeURIComponent(role[1]!)];
      return r === undefined ? json(res, 404, {errors: []}) : json(res, 200, {data: r});
    }
    const kv = /^\/v1\/([^/]+)\/data\/(.+)$/.exec(url.pathname);
    if (kv && req.method === 'GET') {
      const entry = state.kv[`${kv[1]}/${decodeURIComponent(kv[2]!)}`];
      if (entry === undefined) return json(res, 404, {errors: []});
      if (entry === 'deleted') {
        return json(res, 404, {
          data: {data: null, metadata: {created_time: '2025-01-01T00:00:00Z', deletion_time: '2025-02-01T00:00:00Z', destroyed: false, version: 2}},
        });
      }
      return json(res, 200, {
        request_id: 'r',
        lease_id: '',
        renewable: false,
        lease_duration: 0,
        data: {data: entry, metadata: {created_time: '2025-01-01T00:00:00Z', custom_metadata: null, deletion_time: '', destroyed: false, version: 3}},
        wrap_info: null,
        warnings: null,
        auth: null,
      });
    }
    json(res, 404, {errors: []});
  });
}

let port = 0;
let tlsPort = 0;
/** A deployment whose .env points at the plain loopback Vault. */
let dir = '';
/** Test CA, a certificate for 127.0.0.1 signed by it, and another CA that did not sign it. */
const pki = tempDir('shipshape-vault-pki-');
const hostRoot = tempDir('shipshape-vault-host-');

const ssl = (...args: string[]) => execFileSync('openssl', args, {cwd: pki, stdio: ['ignore', 'pipe', 'pipe']});
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

before(async () => {
  port = await listen(http.createServer(vaultApi));
  dir = dirWith({'.env': lines(`VAULT_ADDR=http://127.0.0.1:${port}`, 'VAULT_TLS_CA_FILE=/opt/hoodcloud/secrets/vault-ca.crt')});
  writeFiles(pki, {
    'req.cnf': '[req]\ndistinguished_name=dn\nprompt=no\n[dn]\nCN=x\n[v3_ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n',
  });
  ssl('req', '-x509', ...EC, '-config', 'req.cnf', '-extensions', 'v3_ca', '-subj', '/CN=Vault Test CA', '-days', '30', '-keyout', 'ca.key', '-out', 'ca.pem');
  ssl('req', '-x509', ...EC, '-config', 'req.cnf', '-extensions', 'v3_ca', '-subj', '/CN=Other CA', '-days', '30', '-keyout', 'other.key', '-out', 'other.pem');
  ssl('req', '-new', ...EC, '-config', 'req.cnf', '-subj', '/CN=127.0.0.1', '-keyout', 'vault.key', '-out', 'vault.csr');
  writeFiles(pki, {'vault.ext': 'basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'});
  ssl(
    'x509',
    '-req',
    '-in',
    'vault.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-set_serial',
    '4242',
    '-days',
    '30',
    '-extfile',
    'vault.ext',
    '-out',
    'vault.pem',
  );
  const srv = https.createServer({key: readFileSync(join(pki, 'vault.key')), cert: readFileSync(join(pki, 'vault.pem'))}, vaultApi);
  srv.on('tlsClientError', () => undefined);
  tlsPort = await listen(srv as unknown as http.Server);
});

const savedEnv = {token: process.env.VAULT_TOKEN, root: process.env.VAULT_ROOT_TOKEN, cacert: process.env.VAULT_CACERT};
after(() => {
  for (const [k, v] of [
    ['VAULT_TOKEN', savedEnv.token],
    ['VAULT_ROOT_TOKEN', savedEnv.root],
    ['VAULT_CACERT', savedEnv.cacert],
  ] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

/** Every result of the file, to prove no token or secret value was ever printed. */
const outputs: CheckResult[] = [];
/** Every secret value the fake Vault served. */
const served: string[] = [];

async function check(
  id: string,
  params: Record<string, unknown>,
  o: {token?: string | null; root?: string; deployment?: string; timeoutMs?: number} = {},
): Promise<CheckResult> {
  if (o.token === null) delete process.env.VAULT_TOKEN;
  else process.env.VAULT_TOKEN = o.token ?? TOKEN;
  if (o.root === undefined) delete process.env.VAULT_ROOT_TOKEN;
  else process.env.VAULT_ROOT_TOKEN = o.root;
  delete process.env.VAULT_CACERT;
  const r = await runCheck(id, o.deployment ?? dir, {host: {root: hostRoot}, ...params}, {}, o.timeoutMs ?? 10_000);
  outputs.push(r);
  return r;
}

function serve(path: string, fields: Record<string, unknown>): void {
  state.kv[path] = fields;
  // Public keys may be shown (they are public); every other value never.
  for (const [k, v] of Object.entries(fields)) if (typeof v === 'string' && v.length >= 8 && !/_pub$|public_key$/.test(k)) served.push(v);
}

describe('without a token', () => {
  test('every vault check skips, says why, and sends nothing', async () => {
    state = freshState();
    for (const [id, params] of [
      ['vault.health', {}],
      ['vault.kv-fields', {path: 'hoodcloud/app-credentials', fields: ['x']}],
      ['vault.root-token-revoked', {}],
      ['vault.policy', {name: 'p', path: 'secret/data/x'}],
    ] as const) {
      const r = await check(id, params, {token: null});
      assert.equal(r.status, 'skip', id);
      assert.match(r.message, /no Vault token for this run: set VAULT_TOKEN/);
    }
    assert.deepEqual(state.seen, [], 'no request without a token');
  });

  test('an empty variable counts as no token', async () => {
    assert.equal((await check('vault.health', {}, {token: ''})).status, 'skip');
  });
});

describe('vault.health', () => {
  test('initialized, unsealed and active passes', async () => {
    state = freshState();
    const r = await check('vault.health', {});
    assert.equal(r.status, 'pass', r.message);
    assert.match(r.message, /initialized, unsealed and active \(1\.15\.4\)/);
    assert.ok(r.evidence.some((e) => e.file === '.env' && e.line === 1 && e.key === 'VAULT_ADDR'));
  });

  test('sealed (503) fails', async () => {
    state = freshState();
    state.health = {status: 503, body: {initialized: true, sealed: true, standby: true, version: '1.15.4'}};
    const r = await check('vault.health', {});
    assert.equal(r.status, 'fail');
    assert.match(r.message, /sealed/);
  });

  test('not initialized (501) fails', async () => {
    state = freshState();
    state.health = {status: 501, body: {initialized: false, sealed: true, standby: true}};
    const r = await check('vault.health', {});
    assert.equal(r.status, 'fail');
    assert.match(r.message, /not initialized/);
  });

  test('a standby (429) passes, or warns with standbyOk false', async () => {
    state = freshState();
    state.health = {status: 429, body: {initialized: true, sealed: false, standby: true}};
    assert.equal((await check('vault.health', {})).status, 'pass');
    assert.equal((await check('vault.health', {standbyOk: false})).status, 'warn');
  });

  test('over https, the CA named by VAULT_TLS_CA_FILE is looked up under the host root and trusted', async () => {
    state = freshState();
    mkdirSync(join(hostRoot, 'opt/hoodcloud/secrets'), {recursive: true});
    writeFileSync(join(hostRoot, 'opt/hoodcloud/secrets/vault-ca.crt'), readFileSync(join(pki, 'ca.pem')));
    const d = dirWith({'.env': lines(`VAULT_ADDR=https://127.0.0.1:${tlsPort}`, 'VAULT_TLS_CA_FILE=/opt/hoodcloud/secrets/vault-ca.crt')});
    const r = await check('vault.health', {}, {deployment: d});
    assert.equal(r.status, 'pass', r.message);
    assert.ok(r.evidence.some((e) => e.key === 'VAULT_TLS_CA_FILE' && /the CA trusted for Vault/.test(e.detail)));
    // A CA that did not sign Vault's certificate: the handshake fails, and the check says it could not decide.
    writeFileSync(join(hostRoot, 'opt/hoodcloud/secrets/vault-ca.crt'), readFileSync(join(pki, 'other.pem')));
    const wrong = await check('vault.health', {}, {deployment: d});
    assert.equal(wrong.status, 'error');
    assert.match(wrong.message, /certificate/i);
  });

  test('plain http to a non-loopback host is refused before the token is sent', async () => {
    state = freshState();
    const d = dirWith({'.env': lines('VAULT_ADDR=http://vault.invalid:8200')});
    const r = await check('vault.health', {}, {deployment: d});
    assert.equal(r.status, 'error');
    assert.match(r.message, /unencrypted, so it is not sent/);
  });

  test('a server that never answers is an error within the time bound', async () => {
    const silent = await silentServer();
    const d = dirWith({'.env': lines(`VAULT_ADDR=http://127.0.0.1:${silent.port}`)});
    const started = Date.now();
    const r = await check('vault.health', {timeoutMs: 300}, {deployment: d});
    assert.equal(r.status, 'error');
    assert.match(r.message, /no answer from http:\/\/127\.0\.0\.1:\d+ within 300 ms/);
    assert.ok(Date.now() - started < 3_000, 'it did not wait past its bound');
    assert.equal(silent.accepted(), 1);
  });

  test('no VAULT_ADDR is an error naming the setting', async () => {
    const r = await check('vault.health', {}, {deployment: dirWith({'.env': lines('OTHER=1')})});
    assert.equal(r.status, 'error');
    assert.match(r.message, /VAULT_ADDR is not set/);
  });
});

describe('vault.kv-fields', () => {
  const FIELDS = ['jwt_private_key', {name: 'sealed_box_public_key', format: 'base64-32'}, {name: 'clerk_secret_key', format: 'clerk-live'}];

  test('every field present and well formed passes, with values redacted', async () => {
    state = freshState();
    const pair = generateX25519Pair();
    serve('secret/hoodcloud/app-credentials', {
      jwt_private_key: 'pem-text-stand-in-123456',
      sealed_box_public_key: pair.publicKey,
      clerk_secret_key: `sk_live_${randomBytes(24).toString('hex')}`,
    });
    const r = await check('vault.kv-fields', {path: 'hoodcloud/app-credentials', fields: FIELDS});
    assert.equal(r.status, 'pass', r.message);
    assert.match(r.message, /secret\/hoodcloud\/app-credentials \(version 3\) holds all 3 fields/);
    const seen = state.seen.find((s) => s.url.startsWith('/v1/secret/data/'));
    assert.equal(seen?.url, '/v1/secret/data/hoodcloud/app-credentials');
    assert.equal(seen?.token, TOKEN, 'the token goes in the X-Vault-Token header');
  });

  test('missing, empty and malformed fields fail, each named', async () => {
    state = freshState();
    serve('secret/hoodcloud/app-credentials', {
      jwt_private_key: '',
      sealed_box_public_key: 'c2hvcnQ=',
      clerk_secret_key: `sk_test_${randomBytes(24).toString('hex')}`,
    });
    const r = await check('vault.kv-fields', {path: 'hoodcloud/app-credentials', fields: [...FIELDS, 'db_password']});
    assert.equal(r.status, 'fail');
    const detail = (f: string) => r.evidence.find((e) => e.key === `secret/hoodcloud/app-credentials#${f}`)?.detail ?? '';
    assert.equal(detail('jwt_private_key'), 'empty');
    assert.match(detail('sealed_box_public_key'), /decodes to 5 bytes, not 32/);
    assert.match(detail('clerk_secret_key'), /development key \(sk_test_\)/);
    assert.equal(detail('db_password'), 'missing');
  });

  test('a secret that does not exist fails; a deleted one fails; one the token may not read is an error', async () => {
    state = freshState();
    assert.equal((await check('vault.kv-fields', {path: 'hoodcloud/master-key', fields: ['master_key']})).status, 'fail');
    state.kv['secret/hoodcloud/master-key'] = 'deleted';
    const deleted = await check('vault.kv-fields', {path: 'hoodcloud/master-key', fields: ['master_key']});
    assert.equal(deleted.status, 'fail');
    const forbidden = await check('vault.kv-fields', {path: 'hoodcloud/master-key', fields: ['master_key']}, {token: 'hvs.not-a-valid-token-at-all'});
    assert.equal(forbidden.status, 'error');
    assert.match(forbidden.message, /may not read secret\/hoodcloud\/master-key/);
  });
});

describe('vault.kv-groups (incident channels)', () => {
  const GROUPS = [
    {name: 'Slack', fields: [{name: 'incident_slack_webhook_url', format: 'slack-webhook'}]},
    {name: 'webhook', fields: [{name: 'incident_webhook_url', format: 'https-url'}, 'incident_webhook_secret']},
  ];

  test('one complete channel passes; a half-filled one fails; none warns', async () => {
    state = freshState();
    serve('secret/hoodcloud/app-credentials', {incident_slack_webhook_url: `https://hooks.slack.com/services/T0/B0/${randomBytes(12).toString('hex')}`});
    assert.equal((await check('vault.kv-groups', {path: 'hoodcloud/app-credentials', groups: GROUPS})).status, 'pass');
    serve('secret/hoodcloud/app-credentials', {incident_webhook_url: 'https://alerts.hoodcloud.dev/in'});
    const half = await check('vault.kv-groups', {path: 'hoodcloud/app-credentials', groups: GROUPS});
    assert.equal(half.status, 'fail');
    assert.match(half.message, /webhook is only partly configured/);
    serve('secret/hoodcloud/app-credentials', {other: 'x'});
    assert.equal((await check('vault.kv-groups', {path: 'hoodcloud/app-credentials', groups: GROUPS})).status, 'warn');
  });
});

describe('key pairs in Vault', () => {
  test('vault.x25519-pair: a matching pair passes, a mismatched one fails', async () => {
    state = freshState();
    const a = generateX25519Pair();
    const b = generateX25519Pair();
    serve('secret/hoodcloud/app-credentials', {sealed_box_private_key: a.privateKey, sealed_box_public_key: a.publicKey});
    const params = {path: 'hoodcloud/app-credentials', privateField: 'sealed_box_private_key', publicField: 'sealed_box_public_key'};
    assert.equal((await check('vault.x25519-pair', params)).status, 'pass');
    serve('secret/hoodcloud/app-credentials', {sealed_box_private_key: a.privateKey, sealed_box_public_key: b.publicKey});
    const r = await check('vault.x25519-pair', params);
    assert.equal(r.status, 'fail');
    assert.match(r.message, /is not the public key of sealed_box_private_key/);
  });

  test('vault.rsa-pair: a matching pair passes; a mismatch and a short key fail', async () => {
    state = freshState();
    const pem = (bits: number) =>
      generateKeyPairSync('rsa', {modulusLength: bits, privateKeyEncoding: {type: 'pkcs8', format: 'pem'}, publicKeyEncoding: {type: 'spki', format: 'pem'}});
    const k1 = pem(2048);
    const k2 = pem(2048);
    const params = {path: 'hoodcloud/app-credentials', privateField: 'jwt_private_key', publicField: 'jwt_public_key'};
    serve('secret/hoodcloud/app-credentials', {jwt_private_key: k1.privateKey, jwt_public_key: k1.publicKey});
    assert.equal((await check('vault.rsa-pair', params)).status, 'pass');
    serve('secret/hoodcloud/app-credentials', {jwt_private_key: k1.privateKey, jwt_public_key: k2.publicKey});
    assert.match((await check('vault.rsa-pair', params)).message, /not the public half/);
    const short = pem(1024);
    serve('secret/hoodcloud/app-credentials', {jwt_private_key: short.privateKey, jwt_public_key: short.publicKey});
    assert.match((await check('vault.rsa-pair', params)).message, /shorter than 2048/);
  });

  test('vault.nkeys: roles, seed-to-public, the .env copy and the payment copy', async () => {
    state = freshState();
    const op = generateNkey('operator');
    const agent = generateNkey('account');
    const ctrl = generateNkey('account');
    serve('secret/hoodcloud/app-credentials', {
      nats_operator_signing_seed: op.seed,
      nats_ctrl_account_signing_seed: ctrl.seed,
      nats_ctrl_account_pub: ctrl.publicKey,
    });
    serve('secret/payment-service/credentials', {nats_ctrl_signing_seed: ctrl.seed, nats_ctrl_account_pub: ctrl.publicKey});
    const d = dirWith({'.env': lines(`VAULT_ADDR=http://127.0.0.1:${port}`, `NATS_JWT_CTRL_ACCOUNT_PUB=${ctrl.publicKey}`)});
    const params = {
      path: 'hoodcloud/app-credentials',
      seeds: [
        {field: 'nats_operator_signing_seed', role: 'operator'},
        {field: 'nats_ctrl_account_signing_seed', role: 'account'},
      ],
      publics: [{field: 'nats_ctrl_account_pub', role: 'account', fromSeed: 'nats_ctrl_account_signing_seed', env: 'NATS_JWT_CTRL_ACCOUNT_PUB'}],
    };
    const ok = await check('vault.nkeys', params, {deployment: d});
    assert.equal(ok.status, 'pass', ok.message);
    // The .env holds another account's key: fail at its line.
    const other = dirWith({'.env': lines(`VAULT_ADDR=http://127.0.0.1:${port}`, `NATS_JWT_CTRL_ACCOUNT_PUB=${agent.publicKey}`)});
    const r = await check('vault.nkeys', params, {deployment: other});
    assert.equal(r.status, 'fail');
    assert.ok(r.evidence.some((e) => e.file === '.env' && e.line === 2 && /differs from Vault's nats_ctrl_account_pub/.test(e.detail)));
    // An account seed where the operator's belongs.
    serve('secret/hoodcloud/app-credentials', {
      nats_operator_signing_seed: agent.seed,
      nats_ctrl_account_signing_seed: ctrl.seed,
      nats_ctrl_account_pub: ctrl.publicKey,
    });
    assert.match((await check('vault.nkeys', params, {deployment: d})).message, /nats_operator_signing_seed is a seed for the account role, not operator/);
    // The payment service's copy must be the same account.
    const pay = {
      path: 'payment-service/credentials',
      seeds: [{field: 'nats_ctrl_signing_seed', role: 'account'}],
      publics: [
        {
          field: 'nats_ctrl_account_pub',
          role: 'account',
          fromSeed: 'nats_ctrl_signing_seed',
          sameAs: {path: 'hoodcloud/app-credentials', field: 'nats_ctrl_account_pub'},
        },
      ],
    };
    assert.equal((await check('vault.nkeys', pay)).status, 'pass');
    serve('secret/payment-service/credentials', {nats_ctrl_signing_seed: agent.seed, nats_ctrl_account_pub: agent.publicKey});
    assert.match((await check('vault.nkeys', pay)).message, /differs from secret\/hoodcloud\/app-credentials#nats_ctrl_account_pub/);
  });
});

describe('vault.root-token-revoked', () => {
  test('the old root token given for the run still works: fail', async () => {
    state = freshState();
    state.tokens[ROOT] = ['root'];
    const r = await check('vault.root-token-revoked', {}, {root: ROOT});
    assert.equal(r.status, 'fail');
    assert.match(r.message, /VAULT_ROOT_TOKEN still works/);
  });

  test('the old root token is refused by a lookup, and no accessor has root: pass', async () => {
    state = freshState();
    state.accessors = {acc1: ['default', 'hoodcloud'], acc2: ['certbot-nats']};
    const r = await check('vault.root-token-revoked', {}, {root: ROOT});
    assert.equal(r.status, 'pass', r.message);
    assert.ok(
      state.seen.some((s) => s.url === '/v1/auth/token/lookup-self' && s.token === ROOT),
      'the root token was looked up with itself',
    );
  });

  test('an accessor with the root policy: fail', async () => {
    state = freshState();
    state.accessors = {acc1: ['default'], acc2: ['root']};
    const r = await check('vault.root-token-revoked', {});
    assert.equal(r.status, 'fail');
    assert.match(r.message, /1 root token still alive/);
  });

  test("the run's own token is a root token: fail", async () => {
    state = freshState();
    state.tokens[TOKEN] = ['root'];
    assert.match((await check('vault.root-token-revoked', {})).message, /is itself a root token/);
  });

  test('no root token given and accessors may not be listed: skip with the reason', async () => {
    state = freshState();
    state.accessors = 'denied';
    const r = await check('vault.root-token-revoked', {});
    assert.equal(r.status, 'skip');
    assert.match(r.message, /give it in VAULT_ROOT_TOKEN/);
  });
});

describe('vault.policy and vault.approle', () => {
  test('read only on the one path passes; anything more fails; a missing policy fails', async () => {
    state = freshState();
    const params = {name: 'certbot-nats', path: 'secret/data/infra/certbot/cloudflare', capabilities: ['read']};
    state.policies['certbot-nats'] = 'path "secret/data/infra/certbot/cloudflare" {\n  capabilities = ["read"]\n}\n';
    assert.equal((await check('vault.policy', params)).status, 'pass');
    state.policies['certbot-nats'] =
      'path "secret/data/infra/certbot/cloudflare" {\n  capabilities = ["read", "update"]\n}\npath "secret/data/*" {\n  capabilities = ["list"]\n}\n';
    const r = await check('vault.policy', params);
    assert.equal(r.status, 'fail');
    assert.match(r.message, /also grants update/);
    assert.match(r.message, /also grants list on secret\/data\/\*/);
    delete state.policies['certbot-nats'];
    assert.equal((await check('vault.policy', params)).status, 'fail');
  });

  test('short token TTLs with the policy pass; the system default TTL fails', async () => {
    state = freshState();
    const params = {role: 'certbot-nats', maxTokenTtl: 300, maxTokenMaxTtl: 600, policies: ['certbot-nats']};
    state.approles['certbot-nats'] = {token_ttl: 300, token_max_ttl: 600, token_policies: ['certbot-nats'], secret_id_ttl: 0};
    assert.equal((await check('vault.approle', params)).status, 'pass');
    state.approles['certbot-nats'] = {token_ttl: 0, token_max_ttl: 0, token_policies: ['default']};
    const r = await check('vault.approle', params);
    assert.equal(r.status, 'fail');
    assert.match(r.message, /token_ttl is 0 \(Vault's system default/);
    assert.match(r.message, /policies lack certbot-nats/);
  });
});

describe('secrets', () => {
  test('no result of this file shows the token, the root token or a value Vault served', () => {
    assert.ok(outputs.length > 30);
    const text = JSON.stringify(outputs);
    for (const s of [TOKEN, ROOT, ...served]) assert.ok(!text.includes(s), `a secret appears in a result: ${s.slice(0, 6)}…`);
  });
});
