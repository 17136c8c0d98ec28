// Where a generated value goes: every copy in one change set, each edit lossless, and the value
// read back unchanged by every reader that matters (dotenv, Compose's .env reader and its
// interpolation, a URL parser), for the trickiest text each generator can emit.
import assert from 'node:assert/strict';
import {readFileSync, statSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {parse as dotenvParse} from 'dotenv';
import {Context} from '../../src/engine/context.js';
import type {Made} from '../../src/generators/define.js';
import {GENERATORS} from '../../src/generators/index.js';
import {PASSWORD_ALPHABET} from '../../src/generators/random.js';
import {Edits, parseTarget, TargetError, writeTargets} from '../../src/generators/targets.js';
import {interpolate} from '../../src/sources/interpolate.js';
import {applyChangeSet} from '../../src/write/apply.js';
import {preview, type ChangeSet} from '../../src/write/changeSet.js';
import {composeEnvValues} from '../../src/write/envEdit.js';
import {dirWith, lines, testPack} from '../support/helpers.js';

const ctxOf = (dir: string) => new Context(dir, testPack(), {});
const read = (dir: string, rel: string) => readFileSync(join(dir, rel), 'utf8');

/** Runs one registered generator into `into` on a fresh context of dir. */
async function generate(dir: string, id: string, into: string[], options = {}) {
  return GENERATORS.get(id)!.generate({ctx: ctxOf(dir), into, options});
}

/** Puts a value of our choosing into `into`, exactly as a generator's value would go. */
async function place(dir: string, into: string[], made: Made): Promise<{changes: ChangeSet; notes: string[]}> {
  const edits = new Edits(ctxOf(dir));
  const notes = await writeTargets(ctxOf(dir), into, made, edits);
  return {changes: edits.changeSet(), notes};
}

/** Asserts `after` is `before` with exactly `from` replaced by `to`, once, and every other byte kept. */
function changedOnly(before: string, after: string, ...pairs: [string, string][]): void {
  let expected = before;
  for (const [from, to] of pairs) {
    assert.equal(expected.split(from).length, 2, `${JSON.stringify(from)} occurs exactly once`);
    expected = expected.replace(from, () => to);
  }
  assert.equal(after, expected);
}

function changeOf(cs: ChangeSet, path: string) {
  const c = cs.changes.find((x) => x.path === path);
  assert.ok(c, `no change to ${path}; changed: ${cs.changes.map((x) => x.path).join(', ')}`);
  return c;
}

describe('target specs', () => {
  test('parse every form the packs write', () => {
    assert.deepEqual(parseTarget('.env:JWT_SECRET'), {derived: undefined, kind: 'env', file: '.env', key: 'JWT_SECRET'});
    assert.deepEqual(parseTarget('instances/*/.env:MCP_AUTH_TOKEN'), {derived: undefined, kind: 'env', file: 'instances/*/.env', key: 'MCP_AUTH_TOKEN'});
    assert.deepEqual(parseTarget('url:.env:DATABASE_URL'), {derived: undefined, kind: 'url', file: '.env', key: 'DATABASE_URL'});
    assert.deepEqual(parseTarget('compose:the0-api.environment.MINIO_SECRET_KEY=MINIO_ROOT_PASSWORD'), {
      derived: undefined,
      kind: 'compose',
      service: 'the0-api',
      key: 'MINIO_SECRET_KEY',
      ref: 'MINIO_ROOT_PASSWORD',
    });
    assert.deepEqual(parseTarget('url:compose:*.environment.MONGO_URI=MONGO_INITDB_ROOT_PASSWORD'), {
      derived: undefined,
      kind: 'compose-url',
      service: '*',
      key: 'MONGO_URI',
      ref: 'MONGO_INITDB_ROOT_PASSWORD',
    });
    assert.deepEqual(parseTarget('publicKey@.env:X25519_PUBLIC_KEY'), {derived: 'publicKey', kind: 'env', file: '.env', key: 'X25519_PUBLIC_KEY'});
    assert.deepEqual(parseTarget('file:keys/jwt.pem'), {derived: undefined, kind: 'file', file: 'keys/jwt.pem', key: ''});
  });

  test('refuse what they cannot mean, saying what to write', () => {
    assert.throws(() => parseTarget('JWT_SECRET'), /write FILE:KEY/);
    assert.throws(() => parseTarget('compose:the0-api.JWT_SECRET'), /compose:SERVICE\.environment\.KEY/);
    assert.throws(() => parseTarget('url:compose:the0-api.environment.DATABASE_URL'), /name the \.env variable/);
    assert.throws(() => parseTarget('compose:api.environment.X=not a name'), /not a variable name/);
    assert.throws(() => parseTarget('file:'), /file:PATH/);
  });
});

describe('.env targets', () => {
  const ENV = lines(
    '# the0 settings: keep this file out of git',
    'POSTGRES_USER=the0',
    '',
    '# signs every session',
    'JWT_SECRET=your-super-secret-jwt-key-change-this-in-production   # change me',
    'export API_PORT=3000',
    "GREETING='hello # not a comment'",
    '  JWT_EXPIRES_IN = 24h',
    '# JWT_SECRET=an-old-commented-copy',
    'TAIL=end',
  );

  test('the key is replaced; comments, blank lines and unrelated lines stay byte for byte', async () => {
    const dir = dirWith({'.env': ENV});
    const {changes, made} = await generate(dir, 'hex32', ['.env:JWT_SECRET']);
    assert.equal(changes.changes.length, 1);
    const c = changeOf(changes, '.env');
    assert.equal(c.before, ENV);
    assert.equal(c.secret, true);
    changedOnly(ENV, c.after, ['JWT_SECRET=your-super-secret-jwt-key-change-this-in-production   #', `JWT_SECRET=${made.value}   #`]);
    const parsed = dotenvParse(c.after);
    assert.equal(parsed.JWT_SECRET, made.value);
    const old = dotenvParse(ENV);
    for (const k of Object.keys(old)) if (k !== 'JWT_SECRET') assert.equal(parsed[k], old[k], k);
    // The preview masks the new value and the old one.
    const shown = preview(changes);
    assert.ok(!shown.includes(made.value));
    assert.ok(!shown.includes('your-super-secret-jwt-key-change-this-in-production'));
    assert.match(shown, /^\+JWT_SECRET=\[secret: 64 chars\] {3}# change me$/m);
  });

  test('a CRLF file stays CRLF; a missing key is appended with the file’s line ending', async () => {
    const crlf = ENV.replace(/\n/g, '\r\n');
    const dir = dirWith({'.env': crlf});
    const {changes, made} = await generate(dir, 'password', ['.env:JWT_SECRET', '.env:NEW_PASSWORD']);
    const after = changeOf(changes, '.env').after;
    assert.ok(!/[^\r]\n/.test(after), 'no bare LF');
    assert.ok(after.endsWith(`\r\nNEW_PASSWORD=${made.value}\r\n`));
    assert.equal(dotenvParse(after).JWT_SECRET, made.value);
    assert.equal(composeEnvValues(after).get('NEW_PASSWORD'), made.value);
  });

  test('a .env that does not exist yet is created, holding secrets (0600 when applied)', async () => {
    const dir = dirWith({'README.md': 'x\n'});
    const {changes, made} = await generate(dir, 'hex32', ['.env:JWT_SECRET']);
    const c = changeOf(changes, '.env');
    assert.equal(c.before, undefined);
    assert.equal(c.after, `JWT_SECRET=${made.value}\n`);
    await applyChangeSet(dir, changes);
    assert.equal(statSync(join(dir, '.env')).mode & 0o777, 0o600);
  });
});

describe('Compose targets', () => {
  const COMPOSE = lines(
    '# MinIO and the API share the root credentials',
    'services:',
    '  minio:',
    '    image: minio/minio:RELEASE.2025-09-07T16-13-09Z',
    '    environment:',
    '      MINIO_ROOT_USER: ${MINIO_ROOT_USER}',
    '      MINIO_ROOT_PASSWORD: the0password   # the shipped default',
    '    # the console stays on loopback',
    '    ports: ["127.0.0.1:9001:9001"]',
    '  the0-api:',
    '    image: ghcr.io/alexanderwanyoike/the0/api:1.14.2',
    '    environment:',
    '      - NODE_ENV=production',
    '      - MINIO_SECRET_KEY=the0password',
    '      # JWT_SECRET comes from .env',
    '      - JWT_SECRET=${JWT_SECRET}',
    '  worker:',
    '    image: ghcr.io/alexanderwanyoike/the0/runtime:1.14.2',
    '    environment:',
    '      MINIO_SECRET_KEY: ${MINIO_ROOT_PASSWORD}',
  );
  const ENV = lines('# root credentials', 'MINIO_ROOT_USER=the0admin', 'JWT_SECRET=x');

  test('a literal becomes a ${VAR} reference, comments kept, and the value moves into the .env: one change set', async () => {
    const dir = dirWith({'docker-compose.yml': COMPOSE, '.env': ENV});
    const {changes, made, notes} = await generate(dir, 'password', [
      '.env:MINIO_ROOT_PASSWORD',
      'compose:minio.environment.MINIO_ROOT_PASSWORD',
      'compose:*.environment.MINIO_SECRET_KEY=MINIO_ROOT_PASSWORD',
    ]);
    assert.deepEqual(notes, []);
    assert.deepEqual(changes.changes.map((c) => c.path).sort(), ['.env', 'docker-compose.yml']);
    const compose = changeOf(changes, 'docker-compose.yml');
    assert.equal(compose.secret, false, 'the Compose file no longer holds the secret: its mode is kept');
    changedOnly(
      COMPOSE,
      compose.after,
      ['MINIO_ROOT_PASSWORD: the0password   # the shipped default', 'MINIO_ROOT_PASSWORD: ${MINIO_ROOT_PASSWORD}   # the shipped default'],
      ['- MINIO_SECRET_KEY=the0password', '- MINIO_SECRET_KEY=${MINIO_ROOT_PASSWORD}'],
    );
    assert.ok(!compose.after.includes(made.value), 'the value is not in the Compose file');
    changedOnly(ENV, changeOf(changes, '.env').after, ['JWT_SECRET=x\n', `JWT_SECRET=x\nMINIO_ROOT_PASSWORD=${made.value}\n`]);

    // Applied, Compose's own reading gives every service the value.
    await applyChangeSet(dir, changes);
    const model = await ctxOf(dir).compose();
    for (const [svc, key] of [
      ['minio', 'MINIO_ROOT_PASSWORD'],
      ['the0-api', 'MINIO_SECRET_KEY'],
      ['worker', 'MINIO_SECRET_KEY'],
    ] as const) {
      const v = model?.services.get(svc)?.environment.get(key);
      assert.equal(v?.value, made.value, `${svc}.${key}`);
      assert.equal(v?.literal, false, `${svc}.${key} is a reference`);
    }
  });

  test('the password inside a connection URL in the Compose file becomes ${VAR}; every service that has it', async () => {
    const compose = lines(
      'services:',
      '  the0-api:',
      '    image: api',
      '    environment:',
      '      DATABASE_URL: postgresql://the0:the0_password@postgres:5432/the0_oss?sslmode=disable  # shipped',
      '      MONGO_URI: mongodb://root:the0_mongo_password@mongo:27017',
      '  bot-runner:',
      '    image: runtime',
      '    environment:',
      '      - MONGO_URI=mongodb://root:the0_mongo_password@mongo:27017',
      '  gc:',
      '    image: runtime',
      '    environment:',
      '      MONGO_URI: mongodb://root:${MONGO_INITDB_ROOT_PASSWORD}@mongo:27017',
    );
    const dir = dirWith({'docker-compose.yml': compose, '.env': lines('MONGO_INITDB_ROOT_PASSWORD=the0_mongo_password')});
    const {changes, made, notes} = await generate(dir, 'password', [
      '.env:MONGO_INITDB_ROOT_PASSWORD',
      'url:compose:*.environment.MONGO_URI=MONGO_INITDB_ROOT_PASSWORD',
      'url:compose:*.environment.MONGODB_URI=MONGO_INITDB_ROOT_PASSWORD',
    ]);
    assert.deepEqual(notes, []);
    changedOnly(
      compose,
      changeOf(changes, 'docker-compose.yml').after,
      ['MONGO_URI: mongodb://root:the0_mongo_password@', 'MONGO_URI: mongodb://root:${MONGO_INITDB_ROOT_PASSWORD}@'],
      ['- MONGO_URI=mongodb://root:the0_mongo_password@', '- MONGO_URI=mongodb://root:${MONGO_INITDB_ROOT_PASSWORD}@'],
    );
    assert.match(preview(changes), /^- {6}MONGO_URI: mongodb:\/\/root:\[secret: 19 chars\]@mongo:27017$/m, 'only the old password is masked in the URL');
    await applyChangeSet(dir, changes);
    const model = await ctxOf(dir).compose();
    for (const svc of ['the0-api', 'bot-runner', 'gc']) {
      const url = new URL(model!.services.get(svc)!.environment.get('MONGO_URI')!.value!);
      assert.equal(decodeURIComponent(url.password), made.value, svc);
      assert.equal(url.username, 'root');
      assert.equal(url.host, 'mongo:27017');
    }
    // The other URL in the file was not touched.
    assert.match(read(dir, 'docker-compose.yml'), /DATABASE_URL: postgresql:\/\/the0:the0_password@postgres:5432\/the0_oss\?sslmode=disable {2}# shipped/);
  });

  test('a password holding an escaped $$ is a literal, replaced; one reading ${VAR} or $VAR is left alone', async () => {
    const compose = lines(
      'services:',
      '  a:',
      '    environment:',
      '      DATABASE_URL: postgresql://u:pa$$word@db/x',
      '  b:',
      '    environment:',
      '      DATABASE_URL: postgresql://u:$DB_PASSWORD@db/x',
      '  c:',
      '    environment:',
      '      DATABASE_URL: postgresql://u:${DB_PASSWORD:-x}@db/x',
    );
    const dir = dirWith({'docker-compose.yml': compose, '.env': lines('DB_PASSWORD=old')});
    const {changes, made} = await generate(dir, 'password', ['url:compose:*.environment.DATABASE_URL=DB_PASSWORD']);
    changedOnly(compose, changeOf(changes, 'docker-compose.yml').after, ['u:pa$$word@', 'u:${DB_PASSWORD}@']);
    assert.equal(dotenvParse(changeOf(changes, '.env').after).DB_PASSWORD, made.value);
  });

  test('a URL in the Compose file refuses a value that would need URL-encoding (interpolation does not encode)', async () => {
    const dir = dirWith({'docker-compose.yml': lines('services:', '  api:', '    environment:', '      DATABASE_URL: postgresql://u:old@db/x')});
    const edits = new Edits(ctxOf(dir));
    await assert.rejects(
      writeTargets(ctxOf(dir), ['url:compose:api.environment.DATABASE_URL=DB_PASSWORD'], {value: 'a/b@c'}, edits),
      (err: Error) => err instanceof TargetError && /must encode/.test(err.message) && !err.message.includes('a/b@c'),
    );
  });

  test('a named service that does not exist is a note; a pattern that matches none is silent', async () => {
    const dir = dirWith({'docker-compose.yml': COMPOSE, '.env': ENV});
    const {notes} = await generate(dir, 'password', ['compose:nope.environment.X', 'compose:db-*.environment.X']);
    assert.deepEqual(notes, ['no Compose service nope: nothing to change there']);
  });
});

describe('url: targets in a .env', () => {
  const ENV = lines(
    '# connection strings',
    'POSTGRES_PASSWORD=the0_password',
    'DATABASE_URL=postgresql://the0:the0_password@postgres:5432/the0_oss?sslmode=disable',
    'OTHER=1',
  );

  test('the password inside DATABASE_URL is replaced, URL-encoded, and nothing else in the URL changes', async () => {
    const dir = dirWith({'.env': ENV});
    const tricky = "p@ss:w/rd?#%&+ ~'";
    const {changes} = await place(dir, ['.env:POSTGRES_PASSWORD', 'url:.env:DATABASE_URL'], {value: tricky});
    const after = changeOf(changes, '.env').after;
    const env = dotenvParse(after);
    assert.equal(env.POSTGRES_PASSWORD, tricky);
    assert.equal(env.DATABASE_URL, `postgresql://the0:${encodeURIComponent(tricky)}@postgres:5432/the0_oss?sslmode=disable`);
    const url = new URL(env.DATABASE_URL!);
    assert.equal(decodeURIComponent(url.password), tricky);
    assert.equal(url.username, 'the0');
    assert.equal(`${url.host}${url.pathname}${url.search}`, 'postgres:5432/the0_oss?sslmode=disable');
    assert.equal(composeEnvValues(after).get('DATABASE_URL'), env.DATABASE_URL, 'Compose reads the same URL');
    for (const k of ['OTHER']) assert.equal(env[k], dotenvParse(ENV)[k]);
    assert.ok(after.startsWith('# connection strings\n'));
  });

  test('with a generated password the URL holds it as it is (nothing to encode)', async () => {
    const dir = dirWith({'.env': ENV});
    const {changes, made} = await generate(dir, 'password', ['.env:POSTGRES_PASSWORD', 'url:.env:DATABASE_URL']);
    const after = changeOf(changes, '.env').after;
    const url = `postgresql://the0:${made.value}@postgres:5432/the0_oss?sslmode=disable`;
    assert.equal(dotenvParse(after).DATABASE_URL, url);
    assert.equal(composeEnvValues(after).get('DATABASE_URL'), url);
    // Every other line is as it was (the URL's line may gain quotes: `?` is not bare-safe in every reader).
    const [b, a] = [ENV.split('\n'), after.split('\n')];
    assert.equal(a.length, b.length);
    for (let i = 0; i < b.length; i++) if (!b[i]!.startsWith('DATABASE_URL=') && !b[i]!.startsWith('POSTGRES_PASSWORD=')) assert.equal(a[i], b[i]);
    assert.equal(a[1], `POSTGRES_PASSWORD=${made.value}`);
  });

  test('a URL that reads the password from a variable is left alone; a missing key or a URL without a user is a note', async () => {
    const env = lines('DATABASE_URL=postgresql://the0:${POSTGRES_PASSWORD}@postgres/x', 'REDIS_URL=redis://redis:6379');
    const dir = dirWith({'.env': env});
    const {changes, notes} = await place(dir, ['url:.env:DATABASE_URL', 'url:.env:REDIS_URL', 'url:.env:NOPE_URL'], {value: 'abc'});
    assert.deepEqual(changes.changes, []);
    assert.deepEqual(notes, [
      '.env:2 REDIS_URL is not a URL with a user: the password was not changed',
      '.env has no NOPE_URL: the password inside it was not changed',
    ]);
  });
});

describe('values that must be equal across files', () => {
  test('instances/*/.env and the root .env get the same token in one change set, applied all together', async () => {
    const dir = dirWith({
      '.env': lines('# gateway', 'MCP_GATEWAY_AUTH_TOKEN=changeme', 'PORT=8080'),
      'instances/alpha/.env': lines('# alpha bot', 'DISCORD_TOKEN=keep-me', 'MCP_AUTH_TOKEN=changeme # rotate when an operator leaves'),
      'instances/beta/.env': lines('MCP_AUTH_TOKEN=old-beta-token', 'DATABASE_URL=postgresql://bot:pw@db/beta'),
      'instances/gamma/.env': lines('# no token yet'),
      'instances/gamma/notes.txt': 'not a .env\n',
    });
    const {changes, made, notes} = await generate(dir, 'base64url', ['.env:MCP_GATEWAY_AUTH_TOKEN', 'instances/*/.env:MCP_AUTH_TOKEN']);
    assert.deepEqual(notes, []);
    assert.deepEqual(changes.changes.map((c) => c.path).sort(), ['.env', 'instances/alpha/.env', 'instances/beta/.env', 'instances/gamma/.env']);
    for (const c of changes.changes) assert.equal(c.secret, true);
    const shown = preview(changes);
    for (const s of [made.value, 'old-beta-token']) assert.ok(!shown.includes(s));

    const {written, backups} = await applyChangeSet(dir, changes);
    assert.equal(written.length, 4);
    assert.equal(backups.length, 4);
    assert.equal(dotenvParse(read(dir, '.env')).MCP_GATEWAY_AUTH_TOKEN, made.value);
    for (const name of ['alpha', 'beta', 'gamma']) {
      const rel = `instances/${name}/.env`;
      assert.equal(dotenvParse(read(dir, rel)).MCP_AUTH_TOKEN, made.value, rel);
      assert.equal(composeEnvValues(read(dir, rel)).get('MCP_AUTH_TOKEN'), made.value, rel);
      assert.equal(statSync(join(dir, rel)).mode & 0o777, 0o600);
    }
    assert.equal(
      read(dir, 'instances/alpha/.env'),
      lines('# alpha bot', 'DISCORD_TOKEN=keep-me', `MCP_AUTH_TOKEN=${made.value} # rotate when an operator leaves`),
    );
    assert.equal(read(dir, 'instances/gamma/.env'), lines('# no token yet', `MCP_AUTH_TOKEN=${made.value}`));
  });

  test('one copy that cannot be written: no change set at all, and the message names the file', async () => {
    const dir = dirWith({
      '.env': lines('MCP_GATEWAY_AUTH_TOKEN=changeme'),
      'instances/alpha/.env': lines('MCP_AUTH_TOKEN=changeme'),
      'instances/beta/.env': lines('MCP_AUTH_TOKEN="never closed'),
    });
    await assert.rejects(generate(dir, 'base64url', ['.env:MCP_GATEWAY_AUTH_TOKEN', 'instances/*/.env:MCP_AUTH_TOKEN']), /instances\/beta\/\.env/);
  });

  test('two different values for one place in one run are refused; the same value twice is one edit', async () => {
    const dir = dirWith({'.env': lines('A=1')});
    const ctx = ctxOf(dir);
    const edits = new Edits(ctx);
    await writeTargets(ctx, ['.env:TOKEN', '.env:TOKEN'], {value: 'first-value-0123456789'}, edits);
    assert.equal(edits.summary.length, 1);
    await assert.rejects(writeTargets(ctx, ['.env:TOKEN'], {value: 'second-value-0123456789'}, edits), /\.env:TOKEN would get two different generated values/);
  });
});

describe('derived values and files', () => {
  test('an X25519 pair: the private key and its public key beside it, in one edit', async () => {
    const dir = dirWith({'.env': lines('# sealed boxes')});
    const {changes, made} = await generate(dir, 'x25519-keypair', ['.env:PRIVATE_KEY', 'publicKey@.env:PUBLIC_KEY']);
    const env = dotenvParse(changeOf(changes, '.env').after);
    assert.equal(env.PRIVATE_KEY, made.value);
    assert.equal(env.PUBLIC_KEY, made.derived?.publicKey);
    assert.ok(!preview(changes).includes(made.value), 'the private key is masked');
  });

  test('PEM keys go to 0600 files; a .env cannot hold one, and the message quotes no key', async () => {
    const dir = dirWith({'README.md': 'x\n'});
    const {changes, made} = await generate(dir, 'ed25519-keypair', ['file:keys/signing.pem', 'publicKey@file:keys/signing.pub']);
    assert.equal(changeOf(changes, 'keys/signing.pem').after, made.value);
    assert.equal(changeOf(changes, 'keys/signing.pub').after, made.derived?.publicKey);
    assert.ok(!preview(changes).includes(made.value.split('\n')[1]!), 'the key body is masked');
    await applyChangeSet(dir, changes);
    assert.equal(statSync(join(dir, 'keys/signing.pem')).mode & 0o777, 0o600);
    const err = await generate(dir, 'ed25519-keypair', ['.env:SIGNING_KEY']).then(
      () => undefined,
      (e: Error) => e,
    );
    assert.match(err?.message ?? '', /line break/);
    assert.ok(!/BEGIN|[A-Za-z0-9+/]{40}/.test(err!.message));
  });

  test('an API key: only its hash is written (single-quoted: it holds $), the key is masked everywhere', async () => {
    const dir = dirWith({'.env': lines('API_KEY_HASH=')});
    const {changes, made} = await generate(dir, 'api-key-bcrypt', ['hash@.env:API_KEY_HASH']);
    const after = changeOf(changes, '.env').after;
    assert.equal(after, lines(`API_KEY_HASH='${made.value}'`));
    assert.equal(dotenvParse(after).API_KEY_HASH, made.value);
    assert.equal(composeEnvValues(after).get('API_KEY_HASH'), made.value, 'Compose does not interpolate inside single quotes');
    assert.ok(!after.includes(made.showOnce!.value));
    assert.ok(changes.secrets.includes(made.showOnce!.value));
  });
});

/** The characters each generator can emit, and values built to be as hard as possible for the readers. */
const ALPHABETS: {generator: string; chars: string; prefix?: string; urlSafe: boolean}[] = [
  {generator: 'password', chars: PASSWORD_ALPHABET, urlSafe: true},
  {generator: 'hex32', chars: '0123456789abcdef', urlSafe: true},
  {generator: 'base64url / jwt-hs256', chars: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', urlSafe: true},
  {generator: 'api-key (the key)', chars: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', prefix: 'sk_', urlSafe: true},
  {generator: 'identifier', chars: 'abcdefghijklmnopqrstuvwxyz0123456789', prefix: 'the0-', urlSafe: true},
  {generator: 'zitadel-masterkey', chars: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', urlSafe: true},
  {generator: 'nkey', chars: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', prefix: 'SA', urlSafe: true},
  {generator: 'x25519-keypair (base64)', chars: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', urlSafe: false},
  {generator: 'api-key-bcrypt (the hash)', chars: './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', prefix: '$2b$12$', urlSafe: false},
];

/** Every character, in order and reversed; the punctuation at both ends; base64's padding. */
function trickiest(a: (typeof ALPHABETS)[number]): string[] {
  const p = a.prefix ?? '';
  const punct = [...a.chars].filter((c) => !/[A-Za-z0-9]/.test(c)).join('');
  const out = [p + a.chars, p + [...a.chars].reverse().join(''), p + punct + a.chars + punct];
  if (a.generator.startsWith('x25519')) out.push(`${a.chars}+/=`, `/+${a.chars}==`);
  if (a.generator.startsWith('api-key-bcrypt')) out.push(`$2b$12$${a.chars}$`, `$$2b$12$${a.chars}`);
  return out;
}

describe('the trickiest value each generator can emit reads back unchanged', () => {
  for (const a of ALPHABETS) {
    test(a.generator, async () => {
      for (const value of trickiest(a)) {
        const dir = dirWith({
          '.env': lines('# before', 'A=1', 'DATABASE_URL=postgresql://the0:old@postgres:5432/db', 'Z=2'),
          'docker-compose.yml': lines(
            'services:',
            '  api:',
            '    image: api',
            '    environment:',
            '      SECRET: ${SECRET}',
            '      DATABASE_URL: postgresql://the0:${SECRET}@postgres:5432/db?sslmode=disable',
          ),
        });
        const {changes} = await place(dir, ['.env:SECRET', 'url:.env:DATABASE_URL'], {value});
        const text = changeOf(changes, '.env').after;
        const what = `${JSON.stringify(value)} written as ${text.split('\n').find((l) => l.startsWith('SECRET='))}`;
        // dotenv, and Compose's reading of the .env (escapes and interpolation included).
        assert.equal(dotenvParse(text).SECRET, value, `dotenv: ${what}`);
        const compose = composeEnvValues(text);
        assert.equal(compose.get('SECRET'), value, `Compose .env: ${what}`);
        // The URL target: encoded in the URL, decoded back to the value.
        for (const url of [dotenvParse(text).DATABASE_URL!, compose.get('DATABASE_URL')!]) {
          assert.equal(decodeURIComponent(new URL(url).password), value, `URL in .env: ${what}`);
        }
        // Compose interpolation of the Compose file, as the checks read it, after the write.
        await applyChangeSet(dir, changes);
        const env = (await ctxOf(dir).compose())!.services.get('api')!.environment;
        assert.equal(env.get('SECRET')?.value, value, `Compose interpolation: ${what}`);
        assert.equal(interpolate('${SECRET}', (n) => compose.get(n)).value, value);
        if (a.urlSafe) {
          // Pasted into a URL by interpolation, with no encoding: it must still be the password.
          const url = new URL(env.get('DATABASE_URL')!.value!);
          assert.equal(url.password, value, `URL after interpolation: ${what}`);
          assert.equal(url.host, 'postgres:5432');
          assert.equal(url.search, '?sslmode=disable');
        }
      }
    });
  }
});
