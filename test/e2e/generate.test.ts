// `shipshape generate` end to end: the built CLI spawned as a process on copies of the demo and
// of the weak fixture, the files it writes read back, and every place a generated value could
// leak to searched for it.
import assert from 'node:assert/strict';
import {chmodSync, cpSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import {join, relative} from 'node:path';
import {describe, test} from 'node:test';
import {parse as dotenvParse} from 'dotenv';
import {spawn} from 'node:child_process';
import {constants, createDecipheriv, generateKeyPairSync, privateDecrypt} from 'node:crypto';
import {parse as parseYaml} from 'yaml';
import {CLI, git, gitInit, REPO, runCli, tempDir, writeFiles, type Spawned} from '../support/helpers.js';
import {loadBuiltins} from '../../src/engine/session.js';
import {originOf} from '../../src/pack/schema.js';

const DEMO = join(REPO, 'examples', 'the0-compose');
const SHIPPED = join(REPO, 'test', 'fixtures', 'the0-shipped');
const BACKUP = '.shipshape-backup-';

interface JsonItem {
  id: string;
  status: string;
  message: string;
  evidence: {file: string | null; line: number | null; key: string | null; detail: string}[];
}
interface Generated {
  written: boolean;
  items: {id: string; generator: string; summary: string[]; notes: string[]}[];
  files: {path: string; secret: boolean; new: boolean}[];
  diff: string;
  backups?: string[];
  after?: {id: string; status: string; message: string}[];
  values?: {label: string; value: string}[];
}

/** A personal progress directory, home and temp directory of its own: every place a run could write outside the deployment. */
function isolated(): Record<string, string> {
  const home = tempDir('shipshape-home-');
  return {
    SHIPSHAPE_PROGRESS_DIR: tempDir('shipshape-progress-'),
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_STATE_HOME: join(home, '.local', 'state'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    TMPDIR: tempDir('shipshape-tmp-'),
  };
}

function demoCopy(): string {
  const dir = tempDir('shipshape-gen-demo-');
  cpSync(DEMO, dir, {recursive: true});
  return dir;
}

/** The weak fixture in its own git repository, .env ignored and 0600 (as `the0 local` writes it), everything else committed. */
function shippedRepo(): string {
  const dir = tempDir('shipshape-gen-shipped-');
  cpSync(SHIPPED, dir, {recursive: true});
  writeFileSync(join(dir, '.gitignore'), '.env\n');
  chmodSync(join(dir, '.env'), 0o600);
  gitInit(dir);
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'deployment');
  return dir;
}

const generate = (dir: string, env: Record<string, string>, ...args: string[]) => runCli(['generate', '--dir', dir, ...args], {env, timeoutMs: 60_000});

async function checkJson(dir: string, env: Record<string, string>, ...args: string[]): Promise<Map<string, JsonItem>> {
  const r = await runCli(['check', '--dir', dir, '--format', 'json', ...args], {env});
  assert.ok(r.stdout.trim().startsWith('{'), `check printed no JSON:\n${r.stdout}\n${r.stderr}`);
  return new Map((JSON.parse(r.stdout) as {items: JsonItem[]}).items.map((i) => [i.id, i]));
}

function generatedJson(r: Spawned): Generated {
  assert.equal(r.stderr, '', 'nothing on stderr');
  return JSON.parse(r.stdout) as Generated;
}

/** the0 as it runs: its own items and those it inherits from compose (on Compose). */
const THE0 = (await loadBuiltins()).find((p) => p.pack.id === 'the0')!.pack;
const THE0_ITEMS = THE0.sections.flatMap((s) => s.items);

/** The ids of the0's items that offer a generator on Compose (the demo's mode). */
function the0GeneratorItems(): string[] {
  type When = {mode?: string | string[]} | undefined;
  const onCompose = (w: When) => w?.mode === undefined || [w.mode].flat().includes('compose');
  return THE0_ITEMS.filter((i) => i.generate && onCompose(i.when) && i.generate.some((g) => onCompose(g.when))).map((i) => i.id);
}

/** The secret generators (src/generators/secrets.ts and keypairs.ts); the others write config. */
const SECRET_GENERATORS = new Set([
  'hex32',
  'base64url',
  'password',
  'identifier',
  'jwt-hs256',
  'zitadel-masterkey',
  'rsa-jwt-keypair',
  'x25519-keypair',
  'ed25519-keypair',
  'nkey',
  'api-key-bcrypt',
]);

/** the0's items with a generator that writes config rather than a secret. */
function the0ConfigGeneratorItems(): Set<string> {
  return new Set(THE0_ITEMS.filter((i) => i.generate?.some((g) => !SECRET_GENERATORS.has(g.generator))).map((i) => i.id));
}

interface FileState {
  bytes: Buffer;
  mode: number;
  mtimeMs: number;
}

/** Every file under dir (outside .git): its bytes, mode and modification time. */
function snapshot(dir: string): Map<string, FileState> {
  const out = new Map<string, FileState>();
  for (const e of readdirSync(dir, {recursive: true, withFileTypes: true})) {
    const p = join(e.parentPath, e.name);
    const rel = relative(dir, p);
    if (!e.isFile() || rel === '.git' || rel.startsWith(`.git/`)) continue;
    const st = statSync(p);
    out.set(rel, {bytes: readFileSync(p), mode: st.mode & 0o7777, mtimeMs: st.mtimeMs});
  }
  return out;
}

function assertUnchanged(before: Map<string, FileState>, after: Map<string, FileState>, what: string): void {
  assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort(), `${what}: no file appeared or vanished`);
  for (const [rel, b] of before) {
    const a = after.get(rel)!;
    assert.ok(a.bytes.equals(b.bytes), `${what}: ${rel} kept its bytes`);
    assert.equal(a.mode, b.mode, `${what}: ${rel} kept its mode`);
    assert.equal(a.mtimeMs, b.mtimeMs, `${what}: ${rel} kept its modification time`);
  }
}

const modeOf = (p: string) => statSync(p).mode & 0o7777;

describe('generate --write, then check', () => {
  const withGenerator = the0GeneratorItems();
  const configItems = the0ConfigGeneratorItems();

  test('the pack offers generators where the issue asks for them', () => {
    for (const id of ['root-admin-configured', 'jwt-secret-strong', 'postgres-credentials', 'mongo-credentials', 'minio-credentials'])
      assert.ok(withGenerator.includes(id), id);
  });

  for (const [name, setup] of [
    ['the bundled demo', demoCopy],
    ['the0-shipped (the weak fixture, in git)', shippedRepo],
  ] as const) {
    test(`${name}: every failing item with a generator passes afterwards, and no passing item fails`, async () => {
      const dir = setup();
      const env = isolated();
      const before = await checkJson(dir, env);
      const failing = withGenerator.filter((id) => before.get(id)?.status === 'fail');
      assert.ok(failing.length >= 4, `the deployment starts weak: ${failing.join(', ')}`);

      const r = await generate(dir, env, '--write', '--format', 'json');
      const out = generatedJson(r);
      assert.equal(out.written, true);
      assert.deepEqual([...new Set(out.items.map((i) => i.id))].sort(), [...failing].sort(), 'without --item: exactly the failing items with a generator');
      const after = await checkJson(dir, env);

      // The only item that cannot pass is the0-shipped's root admin: its email is empty, and an
      // address is a person's to give, not a generator's to make (the password part passes).
      const needsAPerson = name.startsWith('the0-shipped') ? ['root-admin-configured'] : [];
      for (const id of failing) {
        const a = after.get(id)!;
        if (needsAPerson.includes(id)) {
          assert.equal(a.status, 'fail');
          assert.ok(
            a.evidence.length > 0 && a.evidence.every((e) => /THE0_ADMIN_EMAIL$/.test(e.key ?? '')),
            `${id} fails only for the email: ${JSON.stringify(a.evidence)}`,
          );
          continue;
        }
        // A config generator (a hardened Compose override, a backup job) can leave what no file
        // shows for a person to confirm: the item no longer fails, and asks.
        const settled = configItems.has(id) ? ['pass', 'manual'] : ['pass'];
        // It can also fix only part, when it says what is left: healthchecks are written for
        // images with a known probe, and the others are named in its notes.
        const notes = out.items.filter((i) => i.id === id).flatMap((i) => i.notes);
        if (configItems.has(id) && a.status === 'fail' && notes.length > 0) {
          assert.ok(
            a.evidence.length < before.get(id)!.evidence.length,
            `${id}: fewer findings after (${before.get(id)!.evidence.length} -> ${a.evidence.length})`,
          );
          continue;
        }
        assert.ok(settled.includes(a.status), `${id}: ${before.get(id)!.status} -> ${a.status}: ${a.message}`);
      }
      for (const [id, b] of before) {
        if (b.status === 'pass') assert.equal(after.get(id)?.status, 'pass', `${id} went from pass to ${after.get(id)?.status}: ${after.get(id)?.message}`);
      }
      // The command's own re-run of the affected checks agrees with check, and so does its exit code.
      for (const a of out.after ?? []) assert.equal(a.status, after.get(a.id)?.status, a.id);
      const partly = failing.filter((id) => after.get(id)?.status === 'fail' && !needsAPerson.includes(id));
      assert.equal(r.code, needsAPerson.length + partly.length > 0 ? 1 : 0);

      if (needsAPerson.length > 0) {
        // With an address given by a person, the root admin item passes too.
        const envFile = join(dir, '.env');
        writeFileSync(envFile, readFileSync(envFile, 'utf8').replace(/^THE0_ADMIN_EMAIL=$/m, 'THE0_ADMIN_EMAIL=ops@the0-deploy.dev'));
        assert.equal((await checkJson(dir, env)).get('root-admin-configured')?.status, 'pass');
      }
    });
  }

  test('the .env is 0600 afterwards, its 0600 backup holds the exact old bytes, and every comment and unrelated line is kept', async () => {
    const dir = demoCopy();
    const env = isolated();
    const oldEnv = readFileSync(join(dir, '.env'));
    const oldCompose = readFileSync(join(dir, 'docker-compose.yml'));
    const composeMode = modeOf(join(dir, 'docker-compose.yml'));
    const out = generatedJson(await generate(dir, env, '--write', '--format', 'json'));

    assert.equal(modeOf(join(dir, '.env')), 0o600);
    assert.equal(modeOf(join(dir, 'docker-compose.yml')), composeMode, 'the Compose file holds no secret now: its mode is kept');
    assert.deepEqual(out.backups?.map((b) => b.slice(0, b.indexOf(BACKUP))).sort(), ['.env', 'docker-compose.yml']);
    for (const b of out.backups!) {
      assert.equal(modeOf(join(dir, b)), 0o600, b);
      assert.ok(readFileSync(join(dir, b)).equals(b.startsWith('.env') ? oldEnv : oldCompose), `${b} holds the old bytes`);
    }

    // .env: the same lines in the same order; only the generated keys' values differ.
    const changedKeys = new Set(['THE0_ADMIN_PASSWORD', 'JWT_SECRET', 'MONGO_INITDB_ROOT_PASSWORD', 'MINIO_ROOT_PASSWORD', 'MINIO_ROOT_USER']);
    const [b, a] = [oldEnv.toString('utf8').split('\n'), readFileSync(join(dir, '.env'), 'utf8').split('\n')];
    assert.equal(a.length, b.length);
    for (let i = 0; i < b.length; i++) {
      const key = /^([A-Z0-9_]+)=/.exec(b[i]!)?.[1];
      if (key && changedKeys.has(key)) {
        assert.ok(a[i]!.startsWith(`${key}=`) && a[i] !== b[i], `${key} was replaced in place`);
      } else assert.equal(a[i], b[i], `line ${i + 1} kept`);
    }
    assert.equal(a[0], '# Demo values only: none of these is a real credential.');

    // Compose: every comment kept; only the four MinIO literals became references.
    const [cb, ca] = [oldCompose.toString('utf8').split('\n'), readFileSync(join(dir, 'docker-compose.yml'), 'utf8').split('\n')];
    assert.equal(ca.length, cb.length);
    const diff = cb.flatMap((l, i) => (l === ca[i] ? [] : [`${l.trim()} -> ${ca[i]!.trim()}`]));
    assert.deepEqual(diff, [
      'MINIO_ROOT_USER: the0admin -> MINIO_ROOT_USER: ${MINIO_ROOT_USER}',
      'MINIO_ROOT_PASSWORD: the0password -> MINIO_ROOT_PASSWORD: ${MINIO_ROOT_PASSWORD}',
      'MINIO_ACCESS_KEY: the0admin -> MINIO_ACCESS_KEY: ${MINIO_ROOT_USER}',
      'MINIO_SECRET_KEY: the0password -> MINIO_SECRET_KEY: ${MINIO_ROOT_PASSWORD}',
    ]);
  });
});

describe('generate: dry run and usage', () => {
  test('a dry run exits 0 and writes nothing (bytes, modes and times); --format json is valid JSON with a masked diff', async () => {
    const dir = demoCopy();
    const env = isolated();
    const secrets = Object.entries(dotenvParse(readFileSync(join(dir, '.env')))).filter(
      ([k]) => /PASSWORD|SECRET|USER$/.test(k) && !/POSTGRES_USER|USERNAME/.test(k),
    );
    const before = snapshot(dir);

    const text = await generate(dir, env);
    assert.equal(text.code, 0, text.stderr);
    assert.equal(text.stderr, '');
    assert.match(text.stdout, /Dry run: nothing was written/);
    assert.match(text.stdout, /^\+JWT_SECRET=\[secret: 64 chars\]$/m);
    assertUnchanged(before, snapshot(dir), 'text dry run');

    const json = await generate(dir, env, '--format', 'json');
    assert.equal(json.code, 0, json.stderr);
    const out = generatedJson(json);
    assert.equal(out.written, false);
    assert.equal(out.backups, undefined);
    assert.equal(out.values, undefined, 'no value without --show');
    // The secrets' files; config generators may add their own (a Compose override).
    for (const f of ['.env', 'docker-compose.yml'])
      assert.ok(
        out.files.some((x) => x.path === f),
        f,
      );
    assert.match(out.diff, /^--- a\/\.env$/m);
    assert.match(out.diff, /^-JWT_SECRET=\[secret: 51 chars\]$/m);
    assert.match(out.diff, /^\+THE0_ADMIN_PASSWORD=\[secret: 32 chars\]$/m);
    assert.match(out.diff, /^\+ {6}MINIO_SECRET_KEY: \$\{MINIO_ROOT_PASSWORD\}$/m);
    for (const [key, value] of secrets) {
      for (const r of [text, json]) assert.ok(!r.stdout.includes(value), `${key}'s old value is masked`);
    }
    assertUnchanged(before, snapshot(dir), 'json dry run');
  });

  test('usage errors exit 2 with a message on stderr, nothing on stdout, and write nothing', async () => {
    const dir = demoCopy();
    const env = isolated();
    const before = snapshot(dir);
    for (const [args, message] of [
      [['--item', 'no-such-item', '--write'], /--item no-such-item: no such item in pack the0/],
      [['--item', 'named-accounts', '--write'], /--item named-accounts: this item offers no generator/],
      [['--replace-existing', 'no-such-item', '--write'], /--replace-existing no-such-item: no such item/],
      [['--format', 'xml'], /--format xml: choose text or json/],
      [['--pack', 'no-such-pack'], /--pack no-such-pack/],
    ] as const) {
      const r = await generate(dir, env, ...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '', `${args.join(' ')}: nothing on stdout`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /internal error/);
    }
    assertUnchanged(before, snapshot(dir), 'usage errors');
  });
});

describe('generate: a ZITADEL masterkey is never replaced without --replace-existing', () => {
  const PACK = `schema: 1
id: zitadel-mini
title: ZITADEL masterkey
version: 1.0.0
description: One item, for the masterkey guard.
sections:
  - id: secrets
    title: Secrets
    items:
      - id: masterkey
        title: The masterkey is 32 random characters
        why: ZITADEL encrypts its data with it; a new one makes that data unreadable.
        how: Generate it once, before the first start, and never change it afterwards.
        severity: critical
        source: {system: zitadel, section: Masterkey}
        verify:
          - check: secret.not-default
            with:
              keys: [ZITADEL_MASTERKEY]
              required: true
              minLength: 32
              defaults: [MasterkeyNeedsToHave32Characters]
        generate:
          generator: zitadel-masterkey
          into: [".env:ZITADEL_MASTERKEY"]
`;
  const packFile = () => {
    const d = tempDir('shipshape-pack-');
    writeFileSync(join(d, 'zitadel.yaml'), PACK);
    return join(d, 'zitadel.yaml');
  };

  test('an existing key: refused (exit 2, nothing written); with --replace-existing it is replaced, the old one kept in a 0600 backup', async () => {
    const pack = packFile();
    const env = isolated();
    const dir = tempDir('shipshape-zitadel-');
    const old = '# ZITADEL\nZITADEL_MASTERKEY=MasterkeyNeedsToHave32Characters\nZITADEL_EXTERNALDOMAIN=auth.example.org\n';
    writeFiles(dir, {'.env': old});
    const before = snapshot(dir);

    for (const args of [['--write'], [], ['--write', '--format', 'json']]) {
      const r = await generate(dir, env, '--pack', pack, '--item', 'masterkey', ...args);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /masterkey: a value already exists\. ZITADEL encrypts its data .* To replace it anyway: --replace-existing masterkey/);
    }
    // Without --item too: the failing item is chosen, and still refused.
    assert.equal((await generate(dir, env, '--pack', pack, '--write')).code, 2);
    assertUnchanged(before, snapshot(dir), 'refused');

    const r = await generate(dir, env, '--pack', pack, '--item', 'masterkey', '--replace-existing', 'masterkey', '--write', '--format', 'json');
    assert.equal(r.code, 0, r.stderr);
    const out = generatedJson(r);
    assert.deepEqual(
      out.after?.map((a) => [a.id, a.status]),
      [['masterkey', 'pass']],
    );
    const key = dotenvParse(readFileSync(join(dir, '.env'))).ZITADEL_MASTERKEY!;
    assert.match(key, /^[A-Za-z0-9]{32}$/);
    assert.equal(readFileSync(join(dir, '.env'), 'utf8'), old.replace('MasterkeyNeedsToHave32Characters', key));
    assert.equal(readFileSync(join(dir, out.backups![0]!), 'utf8'), old);
    assert.equal(modeOf(join(dir, out.backups![0]!)), 0o600);
    assert.ok(!r.stdout.includes(key));
  });

  test('no key yet (absent or empty): written without the flag', async () => {
    const pack = packFile();
    const env = isolated();
    for (const text of ['ZITADEL_EXTERNALDOMAIN=auth.example.org\n', 'ZITADEL_MASTERKEY=\n']) {
      const dir = tempDir('shipshape-zitadel-');
      writeFiles(dir, {'.env': text});
      const r = await generate(dir, env, '--pack', pack, '--write');
      assert.equal(r.code, 0, r.stderr);
      assert.match(dotenvParse(readFileSync(join(dir, '.env'))).ZITADEL_MASTERKEY!, /^[A-Za-z0-9]{32}$/);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The leak test

/** The test's own Sealed Secrets controller key: its certificate seals, its private key unseals. */
const controller = generateKeyPairSync('rsa', {modulusLength: 2048});
interface SealedDoc {
  spec: {encryptedData: Record<string, string>};
}

function sealingCert(): string {
  const d = tempDir('shipshape-cert-');
  writeFileSync(join(d, 'cert.pem'), controller.publicKey.export({type: 'spki', format: 'pem'}));
  return join(d, 'cert.pem');
}

/** As the controller opens a sealed value (pkg/crypto): length prefix, RSA-OAEP SHA-256 with the label, AES-256-GCM. */
function unseal(sealed: string, label: string): string {
  const bytes = Buffer.from(sealed, 'base64');
  const n = bytes.readUInt16BE(0);
  const key = privateDecrypt(
    {key: controller.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: Buffer.from(label)},
    bytes.subarray(2, 2 + n),
  );
  const body = bytes.subarray(2 + n);
  const d = createDecipheriv('aes-256-gcm', key, Buffer.alloc(12));
  d.setAuthTag(body.subarray(body.length - 16));
  return Buffer.concat([d.update(body.subarray(0, body.length - 16)), d.final()]).toString('utf8');
}

/** A key of the Secret or SealedSecret in a manifest file (unsealed with the test's key), or undefined when there is no file. */
function secretIn(dir: string, file: string, key: string, label: string): string | undefined {
  const path = join(dir, file);
  if (!existsSync(path)) return undefined;
  const doc = parseYaml(readFileSync(path, 'utf8')) as {kind: string; stringData?: Record<string, string>} & SealedDoc;
  return doc.kind === 'SealedSecret' ? unseal(doc.spec.encryptedData[key]!, label) : doc.stringData?.[key];
}

/** the0 on Kubernetes (the half-done fixture): the root admin password into a plaintext Secret (no certificate), the values pointed at it. */
function the0KubernetesScenario(): Scenario {
  const dir = tempDir('shipshape-gen-k8s-');
  cpSync(join(REPO, 'test', 'fixtures', 'the0-k8s'), dir, {recursive: true});
  return {
    name: 'the0 pack on Kubernetes',
    dir,
    pack: ['--pack', 'the0', '--input', 'mode=kubernetes'],
    all: ['k8s-admin-from-secret'],
    shownOnce: [],
    guarded: [],
    confirmItem: 'named-accounts',
    rotate: 'k8s-admin-from-secret',
    plainItem: 'k8s-admin-from-secret',
    secrets: (d) => {
      const v = secretIn(d, 'secrets/the0-root-admin.yaml', 'password', 'the0/the0-root-admin');
      return new Map(v === undefined ? [] : [['secrets/the0-root-admin.yaml:password', v]]);
    },
  };
}

/** The built CLI with these lines on stdin (plain mode). */
function runWithInput(args: string[], env: Record<string, string>, input: string[]): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {env: {...process.env, NO_COLOR: '1', ...env}, stdio: ['pipe', 'pipe', 'pipe']});
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`shipshape ${args.join(' ')} did not finish\n${stdout}\n${stderr}`));
    }, 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({code, stdout, stderr});
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input.map((l) => `${l}\n`).join(''));
  });
}

/** Every form a value could be printed in: as it is, base64 (padded or not), base64url, URL-encoded, JSON-escaped, and each line of a PEM body. */
function formsOf(value: string): string[] {
  const b64 = Buffer.from(value).toString('base64');
  const forms = [value, b64, b64.replace(/=+$/, ''), Buffer.from(value).toString('base64url'), encodeURIComponent(value), JSON.stringify(value).slice(1, -1)];
  if (value.includes('\n')) for (const line of value.split('\n')) if (line.length >= 24 && !line.startsWith('-----')) forms.push(line);
  return [...new Set(forms)];
}

/** Each secret whose forms occur in text, with the place. */
function leaksIn(text: string, secrets: Map<string, string>, where: string): string[] {
  const found: string[] = [];
  for (const [label, value] of secrets) if (formsOf(value).some((f) => text.includes(f))) found.push(`${label} in ${where}`);
  return found;
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, {recursive: true, withFileTypes: true})
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

interface Scenario {
  name: string;
  dir: string;
  /** Extra arguments: the pack. */
  pack: string[];
  /** Every item with a generator. */
  all: string[];
  /** Items whose value is shown once: only a --show run may write them. */
  shownOnce: string[];
  /** Items whose existing value is guarded. */
  guarded: string[];
  /** An item a person answers, so that the answers file exists. */
  confirmItem: string;
  /** An item rotated with `shipshape rotate` (every step), and one generated through plain mode's g. */
  rotate: string;
  plainItem: string;
  /** Extra environment for every run (the Sealed Secrets certificate). */
  env?: Record<string, string>;
  /** The generated secrets as the deployment holds them now (label -> value). */
  secrets(dir: string): Map<string, string>;
}

const THE0_SECRETS = ['THE0_ADMIN_PASSWORD', 'JWT_SECRET', 'POSTGRES_PASSWORD', 'MONGO_INITDB_ROOT_PASSWORD', 'MINIO_ROOT_PASSWORD', 'MINIO_ROOT_USER'];

function the0Scenario(): Scenario {
  return {
    name: 'the0 pack on the demo',
    dir: demoCopy(),
    pack: [],
    // the0's own items: the hardening it inherits from compose writes no secret.
    all: the0GeneratorItems().filter((id) => originOf(THE0, id) === 'the0'),
    shownOnce: [],
    guarded: [],
    confirmItem: 'named-accounts',
    rotate: 'jwt-secret-strong',
    plainItem: 'postgres-credentials',
    secrets: (dir) => {
      const env = dotenvParse(readFileSync(join(dir, '.env')));
      return new Map(THE0_SECRETS.map((k) => [`.env:${k}`, env[k]!]));
    },
  };
}

/** A pack that uses every generator, every kind of target, and checks that read the values. */
const EVERY_KIND_PACK = `schema: 1
id: every-kind
title: Every kind of secret
version: 1.0.0
description: One item per generator, for the leak test.
sections:
  - id: secrets
    title: Secrets
    items:
      - id: hex
        title: A hex secret
        why: w
        how: h
        severity: high
        source: {system: test, section: hex}
        verify:
          - check: secret.strength
            with: {keys: [HEX_SECRET], minBits: 256, required: true}
        generate: {generator: hex32, into: [".env:HEX_SECRET"]}
      - id: b64
        title: A base64url secret
        why: w
        how: h
        severity: high
        source: {system: test, section: b64}
        verify:
          - check: format.base64
            with: {keys: [B64_SECRET], bytes: 32, required: true}
        generate: {generator: base64url, into: [".env:B64_SECRET"]}
      - id: db-password
        title: The database password, everywhere it lives
        why: w
        how: h
        severity: critical
        source: {system: test, section: db}
        verify:
          - check: secret.not-default
            with: {keys: [DB_PASSWORD, POSTGRES_PASSWORD], urls: [DATABASE_URL], defaults: [changeme], minLength: 16, required: true}
        generate:
          generator: password
          into:
            - ".env:DB_PASSWORD"
            - "url:.env:DATABASE_URL"
            - "compose:db.environment.POSTGRES_PASSWORD=DB_PASSWORD"
            - "url:compose:*.environment.DATABASE_URL=DB_PASSWORD"
      - id: jwt
        title: The JWT secret
        why: w
        how: h
        severity: critical
        source: {system: test, section: jwt}
        verify:
          - check: secret.strength
            with: {keys: [JWT_SECRET], minBits: 256, required: true}
        generate: {generator: jwt-hs256, into: [".env:JWT_SECRET", "compose:app.environment.JWT_SECRET"]}
      - id: masterkey
        title: The masterkey
        why: w
        how: h
        severity: critical
        source: {system: test, section: masterkey}
        verify:
          - check: secret.not-default
            with: {keys: [ZITADEL_MASTERKEY], minLength: 32, required: true}
        generate: {generator: zitadel-masterkey, into: [".env:ZITADEL_MASTERKEY"]}
      - id: box
        title: The sealed-box key pair
        why: w
        how: h
        severity: high
        source: {system: test, section: box}
        verify:
          - check: format.x25519-keypair
            with: {keys: [X25519_PRIVATE_KEY], publicKey: {keys: [X25519_PUBLIC_KEY]}, required: true}
        generate: {generator: x25519-keypair, into: [".env:X25519_PRIVATE_KEY", "publicKey@.env:X25519_PUBLIC_KEY"]}
      - id: nats
        title: The NATS account key
        why: w
        how: h
        severity: high
        source: {system: test, section: nats}
        verify:
          - check: format.nkey
            with: {keys: [NATS_ACCOUNT_SEED], kind: seed, role: account, publicKey: {keys: [NATS_ACCOUNT_PUBLIC_KEY]}, required: true}
        generate: {generator: nkey, role: account, into: [".env:NATS_ACCOUNT_SEED", "publicKey@.env:NATS_ACCOUNT_PUBLIC_KEY"]}
      - id: jwt-rsa
        title: The RS256 key pair
        why: w
        how: h
        severity: high
        source: {system: test, section: rsa}
        verify:
          - check: files.mode
            with: {paths: [keys/jwt.pem], max: "0600"}
        generate: {generator: rsa-jwt-keypair, into: ["file:keys/jwt.pem", "publicKey@file:keys/jwt.pub"]}
      - id: signing
        title: The Ed25519 signing key
        why: w
        how: h
        severity: high
        source: {system: test, section: ed25519}
        verify:
          - check: files.mode
            with: {paths: [keys/signing.pem], max: "0600"}
        generate: {generator: ed25519-keypair, into: ["file:keys/signing.pem", "publicKey@file:keys/signing.pub"]}
      - id: api-key
        title: The API key
        why: w
        how: h
        severity: high
        source: {system: test, section: api}
        verify:
          - check: secret.not-default
            with: {keys: [API_KEY_HASH], required: true}
        generate: {generator: api-key-bcrypt, into: ["hash@.env:API_KEY_HASH"]}
      - id: minio-user
        title: The MinIO root user
        why: w
        how: h
        severity: medium
        source: {system: test, section: minio}
        verify:
          - check: secret.not-default
            with: {keys: [MINIO_ROOT_USER], defaults: [minioadmin], placeholders: false, required: true}
        generate: {generator: identifier, prefix: app-, into: [".env:MINIO_ROOT_USER"]}
      - id: mcp-token
        title: The gateway token, the same in every instance
        why: w
        how: h
        severity: high
        source: {system: test, section: mcp}
        verify:
          - check: secret.not-default
            with: {keys: [MCP_GATEWAY_AUTH_TOKEN], defaults: [changeme], minLength: 32, required: true}
        generate: {generator: base64url, into: [".env:MCP_GATEWAY_AUTH_TOKEN", "instances/*/.env:MCP_AUTH_TOKEN"]}
      - id: k8s-token
        title: The API token, in a Kubernetes Secret the Helm values point at
        why: w
        how: h
        severity: high
        source: {system: test, section: k8s}
        verify:
          - check: files.mode
            with: {paths: [secrets/api-token.yaml], max: "0644"}
        generate:
          generator: base64url
          into:
            - "k8s-secret:secrets/api-token.yaml:prod/api-token.token"
            - "helm-env-ref:values.yaml:api.extraEnv:API_TOKEN=api-token.token"
            - "helm-unset:values.yaml:api.env.API_TOKEN"
      - id: sealed-webhook
        title: The webhook secret, sealed for the cluster
        why: w
        how: h
        severity: high
        source: {system: test, section: k8s}
        verify:
          - check: files.mode
            with: {paths: [sealed/webhook.yaml], max: "0644"}
        generate: {generator: hex32, into: ["sealed-secret:sealed/webhook.yaml:prod/webhook.secret"]}
      - id: named-accounts
        title: People use named accounts
        why: w
        how: h
        severity: low
        source: {system: test, section: people}
        confirm: Every operator has a named account.
`;

const EVERY_KIND_ENV_KEYS = [
  'HEX_SECRET',
  'B64_SECRET',
  'DB_PASSWORD',
  'JWT_SECRET',
  'ZITADEL_MASTERKEY',
  'X25519_PRIVATE_KEY',
  'NATS_ACCOUNT_SEED',
  'API_KEY_HASH',
  'MINIO_ROOT_USER',
  'MCP_GATEWAY_AUTH_TOKEN',
];

function everyKindScenario(): Scenario {
  const dir = tempDir('shipshape-every-kind-');
  writeFiles(dir, {
    '.env': [
      '# every kind of secret',
      'HEX_SECRET=changeme',
      'B64_SECRET=changeme',
      'DB_PASSWORD=changeme',
      'DATABASE_URL=postgresql://app:changeme@db:5432/app',
      'JWT_SECRET=changeme',
      'ZITADEL_MASTERKEY=',
      'X25519_PRIVATE_KEY=',
      'X25519_PUBLIC_KEY=',
      'NATS_ACCOUNT_SEED=',
      'NATS_ACCOUNT_PUBLIC_KEY=',
      'API_KEY_HASH=',
      'MINIO_ROOT_USER=minioadmin',
      'MCP_GATEWAY_AUTH_TOKEN=changeme',
      '',
    ].join('\n'),
    'docker-compose.yml': [
      'services:',
      '  db:',
      '    image: postgres:16',
      '    environment:',
      '      POSTGRES_PASSWORD: changeme   # the default',
      '  app:',
      '    image: app:1.0.0',
      '    environment:',
      '      DATABASE_URL: postgresql://app:changeme@db:5432/app',
      '      JWT_SECRET: changeme',
      '',
    ].join('\n'),
    'values.yaml': '# Helm values\napi:\n  env:\n    LOG_LEVEL: info\n    API_TOKEN: changeme-token\n  extraEnv: []\n',
    'instances/alpha/.env': '# alpha\nMCP_AUTH_TOKEN=changeme\n',
    'instances/beta/.env': 'MCP_AUTH_TOKEN=changeme\nDISCORD_TOKEN=keep\n',
  });
  const packDir = tempDir('shipshape-pack-');
  writeFileSync(join(packDir, 'every-kind.yaml'), EVERY_KIND_PACK);
  return {
    name: 'every generator, every kind of target',
    dir,
    pack: ['--pack', join(packDir, 'every-kind.yaml')],
    all: [
      'hex',
      'b64',
      'db-password',
      'jwt',
      'masterkey',
      'box',
      'nats',
      'jwt-rsa',
      'signing',
      'api-key',
      'minio-user',
      'mcp-token',
      'k8s-token',
      'sealed-webhook',
    ],
    shownOnce: ['api-key'],
    rotate: 'jwt',
    plainItem: 'hex',
    env: {SHIPSHAPE_KUBESEAL_CERT: sealingCert()},
    guarded: ['masterkey'],
    confirmItem: 'named-accounts',
    secrets: (d) => {
      const out = new Map<string, string>();
      const env = dotenvParse(readFileSync(join(d, '.env')));
      for (const k of EVERY_KIND_ENV_KEYS) out.set(`.env:${k}`, env[k]!);
      for (const i of ['alpha', 'beta'])
        out.set(`instances/${i}/.env:MCP_AUTH_TOKEN`, dotenvParse(readFileSync(join(d, 'instances', i, '.env'))).MCP_AUTH_TOKEN!);
      for (const f of ['keys/jwt.pem', 'keys/signing.pem']) if (existsSync(join(d, f))) out.set(f, readFileSync(join(d, f), 'utf8'));
      // With the certificate given, both Kubernetes targets are sealed: read as the controller reads them.
      for (const [file, key, label] of [
        ['secrets/api-token.yaml', 'token', 'prod/api-token'],
        ['sealed/webhook.yaml', 'secret', 'prod/webhook'],
      ] as const) {
        const v = secretIn(d, file, key, label);
        if (v !== undefined) out.set(`${file}:${key}`, v);
      }
      return out;
    },
  };
}

interface Run {
  what: string;
  result: Spawned;
}

/**
 * Generates through every path of the command (dry run and --write, text and JSON; --show in
 * one run only), then runs check in every format, and searches everything each run printed and
 * everything left on disk outside the target files for every value generated.
 */
async function leakTest(s: Scenario): Promise<void> {
  const env = {...isolated(), ...s.env};
  const {dir} = s;
  const items = (ids: string[]) => ids.flatMap((id) => ['--item', id]);
  const replace = s.guarded.flatMap((id) => ['--replace-existing', id]);
  const runs: Run[] = [];
  const generated = new Map<string, string>();
  const targets = new Set<string>();
  const backups = new Set<string>();
  const run = async (what: string, args: string[], expect: number | number[], input?: string[]) => {
    const result = input ? await runWithInput(args, env, input) : await runCli(args, {env, timeoutMs: 60_000});
    assert.ok([expect].flat().includes(result.code!), `${what}: exit ${result.code}\n${result.stderr}`);
    runs.push({what, result});
    return result;
  };
  /** A write run: the values it generated (every place must change), its backups (the exact old bytes, 0600). */
  const writeRun = async (what: string, args: string[], expect: number, input?: string[]) => {
    const held = s.secrets(dir);
    const before = snapshot(dir);
    const result = await run(what, args, expect, input);
    if (args.includes('json')) for (const f of generatedJson(result).files) targets.add(f.path);
    const after = snapshot(dir);
    for (const [rel, st] of after) {
      if (before.has(rel)) continue;
      if (targets.has(rel)) continue; // a new target file (a PEM key)
      assert.ok(rel.includes(BACKUP), `${what}: only backups and target files appear, not ${rel}`);
      const of = rel.slice(0, rel.indexOf(BACKUP));
      assert.ok(st.bytes.equals(before.get(of)!.bytes), `${what}: ${rel} holds the exact old bytes of ${of}`);
      assert.equal(st.mode, 0o600, `${what}: ${rel} is 0600`);
      backups.add(rel);
      targets.add(of);
    }
    const now = s.secrets(dir);
    let n = 0;
    for (const [label, value] of now) {
      if (held.get(label) === value) continue;
      generated.set(`${label} (${what})`, value);
      n++;
    }
    return {result, changed: n};
  };
  const base = ['--dir', dir, ...s.pack];

  // A person's answer, so that the answers file exists and is searched too.
  await run('answer', ['answer', s.confirmItem, '--confirm', '--note', 'checked in person', ...base], 0);
  await run('dry run, text', ['generate', ...base], 0);
  await run('dry run, json', ['generate', ...base, '--format', 'json'], 0);

  // The one run with --show: it writes, and prints what it wrote.
  const shown = await writeRun('--write --show', ['generate', ...base, ...items(s.all), '--write', '--show', '--format', 'json'], 0);
  const showRun = runs.at(-1)!;
  const values = generatedJson(shown.result).values ?? [];
  const inFiles = [...generated.values()];
  assert.equal(shown.changed, s.secrets(dir).size, 'the --show run generated every secret');
  for (const v of inFiles) {
    assert.ok(
      values.some((x) => x.value === v || x.value.trim() === v.trim()),
      '--show prints every value it wrote',
    );
  }
  // What is shown once (an API key) is stored nowhere: it joins the values searched for.
  for (const x of values)
    if (!inFiles.some((v) => v.trim() === x.value.trim()) && !/publicKey/.test(x.label)) generated.set(`${x.label} (shown once)`, x.value);
  assert.equal(values.filter((x) => /shown once/.test(x.label)).length, s.shownOnce.length);

  const again = [...items(s.all), ...replace];
  await run('dry run of every item, text', ['generate', ...base, ...again], 0);
  await run('dry run of every item, json', ['generate', ...base, ...again, '--format', 'json'], 0);
  // A rotation through every step, and plain mode's g: each writes new values the search covers.
  const rotated = await writeRun('rotate', ['rotate', ...base, '--item', s.rotate, '--yes', '--restarted', '--retired'], 0);
  assert.ok(rotated.changed >= 1, 'the rotation wrote a new value');
  // Done, or (a plaintext Secret written) stopped before the retire step until the file is deleted.
  assert.match(rotated.result.stdout, /The rotation of .* is done\.|still holds the new value in plain text/);
  const plain = await writeRun('plain mode g', ['--plain', '--as', 'leak-test', ...base], 0, [`@${s.plainItem}`, 'g', 'y', 'q']);
  assert.ok(plain.changed >= 1, `plain mode's g wrote a new value:\n${plain.result.stdout}`);
  const writable = [...items(s.all.filter((id) => !s.shownOnce.includes(id))), ...replace];
  const w1 = await writeRun('--write, text', ['generate', ...base, ...writable, '--write'], 0);
  const w2 = await writeRun('--write, json', ['generate', ...base, ...writable, '--write', '--format', 'json'], 0);
  // Every place changes again, but those of a value shown once (left out of these runs).
  for (const w of [w1, w2]) assert.ok(w.changed >= s.secrets(dir).size - s.shownOnce.length, `every secret was generated again (${w.changed})`);
  if (s.shownOnce.length > 0) {
    // A value shown once cannot be written without --show: refused, nothing written.
    const before = snapshot(dir);
    await run('--write without --show for a shown-once value', ['generate', ...base, ...items(s.shownOnce), '--write'], 2);
    assert.match(runs.at(-1)!.result.stderr, /shown once and stored nowhere; add --show/);
    assertUnchanged(before, snapshot(dir), 'refused');
  }
  for (const format of ['text', 'json', 'markdown', 'sarif', 'junit']) {
    const r = await run(`check --format ${format}`, ['check', ...base, '--format', format], [0, 1]);
    assert.ok(r.stdout.length > 100, `check --format ${format} printed a report`);
  }

  const leaks: string[] = [];
  for (const r of runs) {
    if (r !== showRun) leaks.push(...leaksIn(r.result.stdout, generated, `stdout of ${r.what}`));
    leaks.push(...leaksIn(r.result.stderr, generated, `stderr of ${r.what}`));
  }
  // The --show run printed its own values, and only those.
  const later = new Map([...generated].filter(([label]) => !label.includes('(--write --show)') && !label.includes('(shown once)')));
  leaks.push(...leaksIn(showRun.result.stdout, later, 'stdout of the --show run'));
  // Personal progress, home, temp: every file.
  for (const d of [env.SHIPSHAPE_PROGRESS_DIR!, env.HOME!, env.TMPDIR!]) {
    for (const f of filesUnder(d)) leaks.push(...leaksIn(readFileSync(f, 'utf8'), generated, f));
  }
  assert.ok(filesUnder(env.SHIPSHAPE_PROGRESS_DIR!).length > 0, 'progress was saved (and searched)');
  // The deployment: every file but the targets and their backups, the answers file included.
  assert.ok(existsSync(join(dir, 'shipshape-answers.json')), 'the answers file exists (and is searched)');
  for (const f of filesUnder(dir)) {
    const rel = relative(dir, f);
    if (targets.has(rel) || backups.has(rel) || rel.startsWith('.git/')) continue;
    leaks.push(...leaksIn(readFileSync(f, 'utf8'), generated, rel));
  }
  // The shown-once key is in no file at all, targets and backups included.
  const once = new Map([...generated].filter(([label]) => label.includes('(shown once)')));
  for (const f of filesUnder(dir)) leaks.push(...leaksIn(readFileSync(f, 'utf8'), once, relative(dir, f)));
  // The values of the last write are in no backup (backups hold only what was replaced).
  const last = new Map([...generated].filter(([label]) => label.includes('(--write, json)')));
  for (const b of backups) leaks.push(...leaksIn(readFileSync(join(dir, b), 'utf8'), last, b));
  assert.deepEqual(leaks, []);
}

describe('leak test: a generated value appears only in its target files, their later backups and --show', () => {
  test('the0 pack on the demo', () => leakTest(the0Scenario()));
  test('every generator and every kind of target', () => leakTest(everyKindScenario()));
  test('the0 pack on Kubernetes: a Secret manifest and Helm values', () => leakTest(the0KubernetesScenario()));
});

test('backups never reach a commit: the pattern goes into .git/info/exclude', async () => {
  const dir = tempDir('shipshape-gen-git-');
  cpSync(join(REPO, 'examples', 'the0-compose'), dir, {recursive: true});
  gitInit(dir);
  const r = await runCli(['generate', '--dir', dir, '--item', 'jwt-secret-strong', '--write']);
  assert.ok(r.code === 0 || r.code === 1, r.stderr);
  assert.match(readFileSync(join(dir, '.git', 'info', 'exclude'), 'utf8'), /^\*\.shipshape-backup-\*$/m);
  git(dir, 'add', '-A');
  assert.doesNotMatch(git(dir, 'status', '--porcelain'), /shipshape-backup/);
});
