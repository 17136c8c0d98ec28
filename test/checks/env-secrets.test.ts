// env.* and secret.* checks against real .env, Compose and Helm values files in temp dirs.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {CHECKS} from '../../src/checks/index.js';
import type {CheckResult} from '../../src/model/types.js';
import {dirWith, evidenceAt, lines, places, runCheck} from '../support/helpers.js';

// Shipped defaults of the0's templates.
const PG_DEFAULT = 'the0_password';
const MONGO_DEFAULT = 'the0_mongo_password';
const MINIO_USER_DEFAULT = 'the0admin';
const MINIO_DEFAULT = 'the0password';
const JWT_DEFAULT = 'your-super-secret-jwt-key-change-this-in-production';
const CHANGEME = 'CHANGEME';
const DEFAULTS = [PG_DEFAULT, MONGO_DEFAULT, MINIO_USER_DEFAULT, MINIO_DEFAULT, JWT_DEFAULT];

// Strong values, fixed so failures are reproducible.
const HEX_A = '127712dff6bee3ad9e82afb240a8a56f6d7d5b87a2c3b64719d4b399350d7054';
const HEX_B = '768548fa939adba37a8764d0660ee7ecebb87965903557dba6c5fc778018d512';
const B64_A = 'TsExnUxAe4TX-y0IXcuHKO7JdEWbybcuKaajujIWN9g';
const B64_B = 'TNoIzh-52jgzVh37P8kY0w68deZ2U4zEDfLczBIjv_U';
const MEDIUM = 'Tr0ub4dor-Horse-Staple-99x'; // 26 chars, ~170 bits

/** Every value a test writes, so each result can be searched for leaks. */
const ALL_SECRETS = [...DEFAULTS, CHANGEME, HEX_A, HEX_B, B64_A, B64_B, MEDIUM];

/** No secret value (nor any 8-character slice of a long one) appears anywhere in the result. */
function assertNoLeak(r: CheckResult, values: readonly string[] = ALL_SECRETS): void {
  const text = JSON.stringify(r);
  for (const v of values) {
    assert.ok(v.length >= 6, `test value too short to search for: ${v.length} chars`);
    assert.ok(!text.includes(v), `a secret value (${v.length} chars, starting ${v.slice(0, 2)}…) appears in the result`);
    if (v.length >= 16) {
      for (let i = 0; i + 8 <= v.length; i += 4) assert.ok(!text.includes(v.slice(i, i + 8)), `part of a secret value appears in the result`);
    }
  }
}

test('the leak detector itself catches a whole value and a slice of one', () => {
  assert.throws(() => assertNoLeak({status: 'pass', message: `ok ${PG_DEFAULT}`, evidence: []}));
  assert.throws(() => assertNoLeak({status: 'pass', message: 'ok', evidence: [{detail: `x${HEX_A.slice(10, 30)}x`}]}));
  assert.doesNotThrow(() => assertNoLeak({status: 'pass', message: 'ok', evidence: [{key: 'POSTGRES_PASSWORD', detail: '64 chars, hex, ~256 bits'}]}));
});

/** runCheck, and for secret.* checks (and env.value with secret: true) always the leak check. */
async function check(id: string, d: string, params: Record<string, unknown> = {}, files: Record<string, unknown> = {}): Promise<CheckResult> {
  const r = await runCheck(id, d, params, files);
  if (id.startsWith('secret.') || params.secret === true) assertNoLeak(r);
  return r;
}

// ---------------------------------------------------------------------------------------------
// A the0-like Compose deployment still holding every shipped default.

const THE0_ENV = lines(
  '# the0 settings', //                                                   1
  'POSTGRES_USER=the0', //                                                2
  `POSTGRES_PASSWORD=${PG_DEFAULT}`, //                                   3
  `MONGO_INITDB_ROOT_PASSWORD=${MONGO_DEFAULT}`, //                       4
  `MINIO_ROOT_USER=${MINIO_USER_DEFAULT}`, //                             5
  `MINIO_ROOT_PASSWORD=${MINIO_DEFAULT}`, //                              6
  `JWT_SECRET=${JWT_DEFAULT}`, //                                         7
  `DATABASE_URL=postgresql://the0:${PG_DEFAULT}@postgres:5432/the0`, //   8
);

const THE0_COMPOSE = lines(
  'services:', //                                                         1
  '  postgres:', //                                                       2
  '    image: postgres:15-alpine', //                                     3
  '    environment:', //                                                  4
  '      POSTGRES_USER: ${POSTGRES_USER}', //                             5
  '      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}', //                     6
  '  the0-api:', //                                                       7
  '    image: ghcr.io/alexanderwanyoike/the0-api:1.2.3', //               8
  '    environment:', //                                                  9
  '      JWT_SECRET: ${JWT_SECRET}', //                                   10
  '      DATABASE_URL: postgresql://the0:${POSTGRES_PASSWORD}@postgres:5432/the0', // 11
  '      MINIO_SECRET_KEY: ${MINIO_ROOT_PASSWORD}', //                    12
  '  mongo:', //                                                          13
  '    image: mongo:7.0', //                                              14
  '    environment:', //                                                  15
  '      - MONGO_INITDB_ROOT_PASSWORD', //                                16
);

function the0(extra: Record<string, string> = {}): string {
  return dirWith({'.env': THE0_ENV, 'compose.yaml': THE0_COMPOSE, ...extra});
}

// ---------------------------------------------------------------------------------------------

describe('env.present', () => {
  test('a missing .env fails and names the file', async () => {
    const r = await runCheck('env.present', dirWith({'compose.yaml': 'services: {}\n'}));
    assert.equal(r.status, 'fail');
    assert.deepEqual(r.evidence, [{file: '.env', detail: 'missing'}]);
  });

  test('a well-formed .env passes with its key count', async () => {
    const r = await runCheck('env.present', dirWith({'.env': lines('# c', 'A=1', '', 'export B="two"', "C='3'")}));
    assert.equal(r.status, 'pass');
    assert.match(r.message, /3 keys/);
    assert.deepEqual(places(r), [['.env', undefined, undefined]]);
  });

  test('duplicate keys warn at the winning line, listing every line', async () => {
    const r = await runCheck('env.present', dirWith({'.env': lines('A=1', 'B=2', 'A=3', 'C=4', 'B=5', 'A=6')}));
    assert.equal(r.status, 'warn');
    assert.deepEqual(places(r).sort(), [
      ['.env', 5, 'B'],
      ['.env', 6, 'A'],
    ]);
    assert.match(evidenceAt(r, '.env', 6, 'A').detail, /3 times \(lines 1, 3, 6\)/);
  });

  test('the file param reads another path', async () => {
    const d = dirWith({'deploy/prod.env': 'X=1\n'});
    assert.equal((await runCheck('env.present', d, {file: 'deploy/prod.env'})).status, 'pass');
    const missing = await runCheck('env.present', d, {file: 'deploy/other.env'});
    assert.equal(missing.status, 'fail');
    assert.equal(missing.evidence[0]?.file, 'deploy/other.env');
  });

  test('the default file follows the pack files.env', async () => {
    const d = dirWith({'config/app.env': 'X=1\n'});
    assert.equal((await runCheck('env.present', d, {}, {env: ['config/app.env']})).status, 'pass');
  });

  test('a line that is not KEY=value is an error naming file, line and key', async () => {
    const r = await runCheck('env.present', dirWith({'.env': lines('A=1', 'DOMAIN: the0.acme.io', 'B=2')}));
    assert.equal(r.status, 'error');
    assert.deepEqual(places(r), [['.env', 2, 'DOMAIN']]);
  });

  test('a quote that never closes is an error at its line', async () => {
    const r = await runCheck('env.present', dirWith({'.env': lines('A=1', 'B="open', 'C=3')}));
    assert.equal(r.status, 'error');
    assert.deepEqual(places(r), [['.env', 2, 'B']]);
  });

  test('a wrong param type is an error', async () => {
    const r = await runCheck('env.present', dirWith({'.env': 'A=1\n'}), {file: 42});
    assert.equal(r.status, 'error');
    assert.match(r.message, /bad params/);
    assert.equal(CHECKS.get('env.present')!.params.safeParse({file: 42}).success, false);
    assert.equal(CHECKS.get('env.present')!.params.safeParse({nope: '.env'}).success, false);
  });
});

describe('env.value', () => {
  const EMAIL = '^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$';

  test('a value matching the pattern passes and is shown (not secret)', async () => {
    const d = dirWith({'.env': lines('DOMAIN=the0.acme.io', 'ACME_EMAIL=ops@acme.io')});
    const r = await runCheck('env.value', d, {keys: ['ACME_EMAIL'], pattern: EMAIL, expect: 'a real email address'});
    assert.equal(r.status, 'pass');
    assert.deepEqual(places(r), [['.env', 2, 'ACME_EMAIL']]);
    assert.match(r.evidence[0]!.detail, /"ops@acme\.io"/);
    assert.match(r.message, /a real email address/);
  });

  test('a value not matching the pattern fails with the expectation', async () => {
    const d = dirWith({'.env': lines('ACME_EMAIL=not-an-email')});
    const r = await runCheck('env.value', d, {keys: ['ACME_EMAIL'], pattern: EMAIL, expect: 'a real email address'});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['.env', 1, 'ACME_EMAIL']]);
    assert.match(r.evidence[0]!.detail, /"not-an-email" is not a real email address/);
  });

  test('reject catches example domains (case-insensitive)', async () => {
    const d = dirWith({'.env': lines('A=1', 'DOMAIN=The0.Example.COM')});
    const r = await runCheck('env.value', d, {keys: ['DOMAIN'], reject: '(^|\\.)example\\.com$', expect: 'a real domain'});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['.env', 2, 'DOMAIN']]);
    const ok = await runCheck('env.value', dirWith({'.env': 'DOMAIN=the0.acme.io\n'}), {keys: ['DOMAIN'], reject: '(^|\\.)example\\.com$'});
    assert.equal(ok.status, 'pass');
  });

  test('an empty value fails even without a pattern', async () => {
    const r = await runCheck('env.value', dirWith({'.env': 'DOMAIN=\n'}), {keys: ['DOMAIN']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['.env', 1, 'DOMAIN']]);
    assert.match(r.evidence[0]!.detail, /empty/);
  });

  test('not set anywhere: fail when required, skip when not', async () => {
    const d = dirWith({'.env': 'OTHER=1\n'});
    assert.equal((await runCheck('env.value', d, {keys: ['DOMAIN']})).status, 'fail');
    assert.equal((await runCheck('env.value', d, {keys: ['DOMAIN'], required: false})).status, 'skip');
  });

  test('copies in Compose environment are checked at their own line; services narrows', async () => {
    const d = dirWith({
      '.env': 'DOMAIN=the0.acme.io\n',
      'compose.yaml': lines(
        'services:', //                      1
        '  web:', //                         2
        '    image: nginx:1.25', //          3
        '    environment:', //               4
        '      DOMAIN: localhost', //        5
        '  api:', //                         6
        '    image: api:1', //               7
        '    environment:', //               8
        '      DOMAIN: ${DOMAIN}', //        9
      ),
    });
    const r = await runCheck('env.value', d, {keys: ['DOMAIN'], reject: '^localhost$'});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['compose.yaml', 5, 'DOMAIN']]); // .env and ${DOMAIN} pass; only web fails
    assert.match(r.message, /1 of 2 copies/);
    const onlyApi = await runCheck('env.value', d, {keys: ['DOMAIN'], reject: '^localhost$', services: ['api']});
    assert.equal(onlyApi.status, 'pass');
  });

  test('Helm values paths are read too', async () => {
    const d = dirWith({'values.yaml': lines('the0Api:', '  env:', '    DOMAIN: the0.example.com')});
    const r = await runCheck('env.value', d, {helm: ['the0Api.env.DOMAIN'], reject: 'example\\.com$'}, {helmValues: ['values.yaml']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['values.yaml', 3, 'the0Api.env.DOMAIN']]);
  });

  test('secret: true never shows the value, on pass or fail', async () => {
    const d = dirWith({'.env': lines(`JWT_SECRET=${HEX_A}`, `SESSION_SECRET=${JWT_DEFAULT}`)});
    const pass = await check('env.value', d, {keys: ['JWT_SECRET'], pattern: '^[0-9a-f]{64}$', secret: true});
    assert.equal(pass.status, 'pass');
    assert.deepEqual(places(pass), [['.env', 1, 'JWT_SECRET']]);
    assert.match(pass.evidence[0]!.detail, /64 chars, hex/);
    assertNoLeak(pass);
    const fail = await check('env.value', d, {keys: ['SESSION_SECRET'], pattern: '^[0-9a-f]{64}$', secret: true, expect: '64 hex characters'});
    assert.equal(fail.status, 'fail');
    assert.deepEqual(places(fail), [['.env', 2, 'SESSION_SECRET']]);
    assert.match(fail.evidence[0]!.detail, /51 chars/);
    assertNoLeak(fail);
  });

  test('a bad param type is an error', async () => {
    const r = await runCheck('env.value', dirWith({'.env': 'A=1\n'}), {keys: 'A'});
    assert.equal(r.status, 'error');
    assert.equal(CHECKS.get('env.value')!.params.safeParse({keys: 'A'}).success, false);
    assert.equal(CHECKS.get('env.value')!.params.safeParse({keys: ['1BAD']}).success, false);
  });
});

describe('secret.not-default', () => {
  test('.env default fails once: the ${VAR} copy in Compose is not counted again', async () => {
    const r = await check('secret.not-default', the0(), {keys: ['POSTGRES_PASSWORD'], defaults: DEFAULTS});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['.env', 3, 'POSTGRES_PASSWORD']]);
    assert.match(r.evidence[0]!.detail, /shipped default \(13 chars/);
    assertNoLeak(r);
  });

  test('the0 defaults: Mongo, MinIO user and password, JWT all fail at their .env lines', async () => {
    const r = await check('secret.not-default', the0(), {
      keys: ['MONGO_INITDB_ROOT_PASSWORD', 'MINIO_ROOT_USER', 'MINIO_ROOT_PASSWORD', 'JWT_SECRET'],
      defaults: DEFAULTS,
    });
    assert.equal(r.status, 'fail');
    // Bare `- MONGO_INITDB_ROOT_PASSWORD` and ${JWT_SECRET} come from .env: one copy each.
    assert.deepEqual(places(r).sort(), [
      ['.env', 4, 'MONGO_INITDB_ROOT_PASSWORD'],
      ['.env', 5, 'MINIO_ROOT_USER'],
      ['.env', 6, 'MINIO_ROOT_PASSWORD'],
      ['.env', 7, 'JWT_SECRET'],
    ]);
    assertNoLeak(r);
  });

  test('a Compose key drawn from a .env key of another name is reported at that .env line', async () => {
    const r = await check('secret.not-default', the0(), {keys: ['MINIO_SECRET_KEY'], defaults: DEFAULTS});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['.env', 6, 'MINIO_SECRET_KEY']]);
    assert.match(r.evidence[0]!.detail, /MINIO_ROOT_PASSWORD, used by service the0-api/);
    assertNoLeak(r);
  });

  test('${VAR:-default} with VAR unset counts the default at the Compose line', async () => {
    const d = dirWith({
      '.env': lines('POSTGRES_USER=the0'),
      'compose.yaml': lines(
        'services:', //                                                             1
        '  minio:', //                                                              2
        '    image: minio/minio:RELEASE.2024-01-01T00-00-00Z', //                   3
        '    environment:', //                                                      4
        `      MINIO_ROOT_USER: \${MINIO_ROOT_USER:-${MINIO_USER_DEFAULT}}`, //      5
        `      MINIO_ROOT_PASSWORD: \${MINIO_ROOT_PASSWORD:-${MINIO_DEFAULT}}`, //   6
      ),
    });
    const r = await check('secret.not-default', d, {keys: ['MINIO_ROOT_USER', 'MINIO_ROOT_PASSWORD'], defaults: DEFAULTS, required: true});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['compose.yaml', 5, 'MINIO_ROOT_USER'],
      ['compose.yaml', 6, 'MINIO_ROOT_PASSWORD'],
    ]);
    assert.match(r.evidence[1]!.detail, /service minio: still the shipped default/);
    assertNoLeak(r);
  });

  test('${VAR:-default} with VAR set in .env counts the .env copy only', async () => {
    const d = dirWith({
      '.env': lines(`MINIO_ROOT_PASSWORD=${B64_A}`),
      'compose.yaml': lines(
        'services:',
        '  minio:',
        '    image: minio/minio:x',
        '    environment:',
        `      MINIO_ROOT_PASSWORD: \${MINIO_ROOT_PASSWORD:-${MINIO_DEFAULT}}`,
      ),
    });
    const r = await check('secret.not-default', d, {keys: ['MINIO_ROOT_PASSWORD'], defaults: DEFAULTS});
    assert.equal(r.status, 'pass');
    assert.deepEqual(places(r), [['.env', 1, 'MINIO_ROOT_PASSWORD']]);
    assertNoLeak(r);
  });

  test('a literal in Compose environment is its own copy', async () => {
    const d = dirWith({
      '.env': lines(`JWT_SECRET=${HEX_A}`),
      'compose.yaml': lines(
        'services:', //                              1
        '  the0-api:', //                            2
        '    image: api:1.0.0', //                   3
        '    environment:', //                       4
        '      JWT_SECRET: ${JWT_SECRET}', //        5
        '  the0-worker:', //                         6
        '    image: worker:1.0.0', //                7
        '    environment:', //                       8
        `      - JWT_SECRET=${JWT_DEFAULT}`, //      9
      ),
    });
    const r = await check('secret.not-default', d, {keys: ['JWT_SECRET'], defaults: DEFAULTS});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['compose.yaml', 9, 'JWT_SECRET']]);
    assert.match(r.message, /1 of 2 copies/);
    assertNoLeak(r);
  });

  test('the password inside a URL is a copy, in .env and in Compose', async () => {
    const r = await check('secret.not-default', the0(), {urls: ['DATABASE_URL'], defaults: DEFAULTS});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['.env', 8, 'DATABASE_URL (password in URL)'],
      ['compose.yaml', 11, 'DATABASE_URL (password in URL)'],
    ]);
    assertNoLeak(r);
  });

  test('urls: postgresql://user:pass@host/db with a changed password passes; the URL is never shown', async () => {
    const url = `postgresql://the0:${HEX_B}@postgres:5432/the0`;
    const d = dirWith({'.env': lines(`DATABASE_URL=${url}`)});
    const r = await check('secret.not-default', d, {urls: ['DATABASE_URL'], defaults: DEFAULTS});
    assert.equal(r.status, 'pass');
    assert.deepEqual(places(r), [['.env', 1, 'DATABASE_URL (password in URL)']]);
    assertNoLeak(r, [...ALL_SECRETS, url]);
  });

  test('a multi-host MongoDB URI still yields its password', async () => {
    const uri = `mongodb://root:${MONGO_DEFAULT}@mongo-0:27017,mongo-1:27017/the0?replicaSet=rs0&authSource=admin`;
    const d = dirWith({'.env': lines('A=1', `MONGO_URI=${uri}`)});
    const r = await check('secret.not-default', d, {urls: ['MONGO_URI'], defaults: DEFAULTS, required: true});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['.env', 2, 'MONGO_URI (password in URL)']]);
    assertNoLeak(r, [...ALL_SECRETS, uri]);
  });

  test('a URL password with a stray % is still a copy', async () => {
    const d = dirWith({'.env': `DATABASE_URL=postgresql://the0:${MEDIUM}%zz@postgres/the0\n`});
    const r = await check('secret.strength', d, {urls: ['DATABASE_URL'], required: true});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['.env', 1, 'DATABASE_URL (password in URL)']]);
    assertNoLeak(r);
  });

  test('a Compose file in a subfolder: its own .env feeds ${VAR} and bare pass-through keys', async () => {
    // The pack reads only ./.env; deploy/.env is the Compose project's, so its values count at the Compose lines.
    const d = dirWith({
      'deploy/.env': lines(`JWT_SECRET=${JWT_DEFAULT}`, `POSTGRES_PASSWORD=${PG_DEFAULT}`),
      'deploy/compose.yaml': lines(
        'services:', //                                      1
        '  the0-api:', //                                    2
        '    image: api:1.0.0', //                           3
        '    environment:', //                               4
        '      - JWT_SECRET', //                             5
        '      - POSTGRES_PASSWORD=${POSTGRES_PASSWORD}', // 6
      ),
    });
    const r = await check(
      'secret.not-default',
      d,
      {keys: ['JWT_SECRET', 'POSTGRES_PASSWORD'], defaults: DEFAULTS, required: true},
      {compose: ['deploy/compose.yaml']},
    );
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['deploy/compose.yaml', 5, 'JWT_SECRET'],
      ['deploy/compose.yaml', 6, 'POSTGRES_PASSWORD'],
    ]);
    assertNoLeak(r);
  });

  test('a URL without a password is no copy', async () => {
    const d = dirWith({'.env': lines('DATABASE_URL=postgresql://postgres:5432/the0')});
    assert.equal((await check('secret.not-default', d, {urls: ['DATABASE_URL'], defaults: DEFAULTS})).status, 'skip');
    assert.equal((await check('secret.not-default', d, {urls: ['DATABASE_URL'], defaults: DEFAULTS, required: true})).status, 'fail');
  });

  test('CHANGEME is a placeholder even when not listed as a default; placeholders: false lets it through', async () => {
    const d = dirWith({'.env': lines('A=1', `API_KEY=${CHANGEME}`)});
    const r = await check('secret.not-default', d, {keys: ['API_KEY']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['.env', 2, 'API_KEY']]);
    assert.match(r.evidence[0]!.detail, /placeholder/);
    assertNoLeak(r);
    const off = await check('secret.not-default', d, {keys: ['API_KEY'], placeholders: false});
    assert.equal(off.status, 'pass');
    assertNoLeak(off);
  });

  test('minLength fails short values; empty values fail', async () => {
    const d = dirWith({'.env': lines(`A_SECRET=${MEDIUM}`, 'B_SECRET=')});
    const short = await check('secret.not-default', d, {keys: ['A_SECRET'], minLength: 32});
    assert.equal(short.status, 'fail');
    assert.match(short.evidence[0]!.detail, /shorter than 32/);
    assertNoLeak(short);
    assert.equal((await check('secret.not-default', d, {keys: ['A_SECRET'], minLength: 20})).status, 'pass');
    const empty = await check('secret.not-default', d, {keys: ['B_SECRET']});
    assert.equal(empty.status, 'fail');
    assert.deepEqual(places(empty), [['.env', 2, 'B_SECRET']]);
  });

  test('changed values pass and every copy is listed', async () => {
    const d = dirWith({
      '.env': lines(`POSTGRES_PASSWORD=${HEX_A}`, `DATABASE_URL=postgresql://the0:${HEX_A}@postgres/the0`),
      'compose.yaml': THE0_COMPOSE,
    });
    const r = await check('secret.not-default', d, {keys: ['POSTGRES_PASSWORD'], urls: ['DATABASE_URL'], defaults: DEFAULTS});
    assert.equal(r.status, 'pass');
    assert.deepEqual(places(r), [
      ['.env', 1, 'POSTGRES_PASSWORD'],
      ['.env', 2, 'DATABASE_URL (password in URL)'],
      ['compose.yaml', 11, 'DATABASE_URL (password in URL)'],
    ]);
    assertNoLeak(r);
  });

  test('an env_file: copy is counted at its own file and line', async () => {
    const d = dirWith({
      'compose.yaml': lines('services:', '  api:', '    image: api:1', '    env_file: api.env'),
      'api.env': lines('# api', `JWT_SECRET=${JWT_DEFAULT}`),
    });
    const r = await check('secret.not-default', d, {keys: ['JWT_SECRET'], defaults: DEFAULTS});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['api.env', 2, 'JWT_SECRET']]);
    assertNoLeak(r);
  });

  test('Helm values: a default password fails at its values line', async () => {
    const d = dirWith({'values.yaml': lines('postgresql:', '  auth:', '    username: the0', `    password: ${PG_DEFAULT}`)});
    const r = await check('secret.not-default', d, {helm: ['postgresql.auth.password'], defaults: DEFAULTS}, {helmValues: ['values.yaml']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['values.yaml', 4, 'postgresql.auth.password']]);
    assertNoLeak(r);
  });

  test('Helm values: the later values file wins', async () => {
    const d = dirWith({
      'values.yaml': lines('postgresql:', '  auth:', `    password: ${PG_DEFAULT}`),
      'values.prod.yaml': lines('# prod', 'postgresql:', '  auth:', `    password: ${HEX_B}`),
    });
    const r = await check('secret.not-default', d, {helm: ['postgresql.auth.password'], defaults: DEFAULTS}, {helmValues: ['values.yaml', 'values.prod.yaml']});
    assert.equal(r.status, 'pass');
    assert.deepEqual(places(r), [['values.prod.yaml', 4, 'postgresql.auth.password']]);
    assertNoLeak(r);
  });

  test('a chart default applies when no values file sets the path', async () => {
    const d = dirWith({'values.yaml': lines('postgresql:', '  auth:', '    username: the0')});
    const r = await check(
      'secret.not-default',
      d,
      {helm: ['postgresql.auth.password'], defaults: DEFAULTS},
      {helmValues: ['values.yaml'], chartDefaults: {'postgresql.auth.password': PG_DEFAULT}},
    );
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [[undefined, undefined, 'postgresql.auth.password']]);
    assert.match(r.evidence[0]!.detail, /chart default/);
    assertNoLeak(r);
  });

  test('externalWhen: global.existingSecret set => pass with a note naming where it is set', async () => {
    const d = dirWith({'values.yaml': lines('global:', '  existingSecret: the0-secrets', 'postgresql:', '  auth:', `    password: ${PG_DEFAULT}`)});
    const r = await check(
      'secret.not-default',
      d,
      {helm: ['postgresql.auth.password'], defaults: DEFAULTS, externalWhen: 'global.existingSecret', required: true},
      {helmValues: ['values.yaml']},
    );
    assert.equal(r.status, 'pass');
    assert.deepEqual(places(r), [['values.yaml', 2, 'global.existingSecret']]);
    assert.match(r.evidence[0]!.detail, /existing Secret "the0-secrets"/);
    assertNoLeak(r);
  });

  test('externalWhen empty => the values are checked', async () => {
    const d = dirWith({'values.yaml': lines('global:', '  existingSecret: ""', 'postgresql:', '  auth:', `    password: ${PG_DEFAULT}`)});
    const r = await check(
      'secret.not-default',
      d,
      {helm: ['postgresql.auth.password'], defaults: DEFAULTS, externalWhen: 'global.existingSecret'},
      {helmValues: ['values.yaml']},
    );
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['values.yaml', 5, 'postgresql.auth.password']]);
    assertNoLeak(r);
  });

  test('required: no copy anywhere fails when required, skips otherwise', async () => {
    const d = dirWith({'.env': 'OTHER=1\n'});
    const req = await check('secret.not-default', d, {keys: ['JWT_SECRET'], required: true});
    assert.equal(req.status, 'fail');
    assert.match(req.message, /JWT_SECRET is not set anywhere/);
    assert.equal((await check('secret.not-default', d, {keys: ['JWT_SECRET']})).status, 'skip');
  });

  test('a bad param type is an error', async () => {
    const r = await check('secret.not-default', the0(), {keys: ['JWT_SECRET'], defaults: 'the0_password'});
    assert.equal(r.status, 'error');
    assert.equal(CHECKS.get('secret.not-default')!.params.safeParse({defaults: 'x'}).success, false);
  });
});

describe('secret.strength', () => {
  test('the0 defaults are weak, at every copy, never shown', async () => {
    const r = await check('secret.strength', the0(), {keys: ['POSTGRES_PASSWORD', 'JWT_SECRET'], urls: ['DATABASE_URL']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['.env', 3, 'POSTGRES_PASSWORD'],
      ['.env', 7, 'JWT_SECRET'],
      ['.env', 8, 'DATABASE_URL (password in URL)'],
      ['compose.yaml', 11, 'DATABASE_URL (password in URL)'],
    ]);
    assert.match(r.evidence[0]!.detail, /needs 256/);
    assertNoLeak(r);
  });

  test('a long placeholder is weak whatever its length', async () => {
    const r = await check('secret.strength', dirWith({'.env': `JWT_SECRET=${JWT_DEFAULT}\n`}), {keys: ['JWT_SECRET'], minBits: 64});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['.env', 1, 'JWT_SECRET']]);
    assertNoLeak(r);
  });

  test('32 random bytes (hex or base64url) pass 256 bits', async () => {
    const d = dirWith({
      '.env': lines(`JWT_SECRET=${HEX_A}`, `SESSION_SECRET=${B64_A}`),
      'compose.yaml': lines('services:', '  api:', '    image: api:1', '    environment:', '      JWT_SECRET: ${JWT_SECRET}', `      SESSION_SECRET: ${B64_A}`),
    });
    const r = await check('secret.strength', d, {keys: ['JWT_SECRET', 'SESSION_SECRET']});
    assert.equal(r.status, 'pass');
    assert.deepEqual(places(r), [
      ['.env', 1, 'JWT_SECRET'],
      ['.env', 2, 'SESSION_SECRET'],
      ['compose.yaml', 6, 'SESSION_SECRET'],
    ]);
    assert.match(r.evidence[0]!.detail, /64 chars, hex, ~256 bits/);
    assertNoLeak(r);
  });

  test('minBits moves the bar', async () => {
    const d = dirWith({'.env': `API_TOKEN=${MEDIUM}\n`});
    assert.equal((await check('secret.strength', d, {keys: ['API_TOKEN'], minBits: 128})).status, 'pass');
    const r = await check('secret.strength', d, {keys: ['API_TOKEN']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['.env', 1, 'API_TOKEN']]);
    assertNoLeak(r);
  });

  test('Helm values and chart defaults are read', async () => {
    const d = dirWith({'values.yaml': lines('the0Api:', '  env:', `    JWT_SECRET: ${HEX_A}`)});
    const r = await check(
      'secret.strength',
      d,
      {helm: ['the0Api.env.JWT_SECRET', 'minio.auth.rootPassword']},
      {helmValues: ['values.yaml'], chartDefaults: {'minio.auth.rootPassword': MINIO_DEFAULT}},
    );
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [[undefined, undefined, 'minio.auth.rootPassword']]);
    assertNoLeak(r);
  });

  test('externalWhen set passes with the note; required with nothing set fails', async () => {
    const d = dirWith({'values.yaml': lines('global:', '  existingSecret: the0-secrets')});
    const ext = await check(
      'secret.strength',
      d,
      {helm: ['the0Api.env.JWT_SECRET'], externalWhen: 'global.existingSecret', required: true},
      {helmValues: ['values.yaml']},
    );
    assert.equal(ext.status, 'pass');
    assert.deepEqual(places(ext), [['values.yaml', 2, 'global.existingSecret']]);
    const none = await check('secret.strength', d, {helm: ['the0Api.env.JWT_SECRET'], required: true}, {helmValues: ['values.yaml']});
    assert.equal(none.status, 'fail');
  });

  test('a bad param is an error', async () => {
    const r = await check('secret.strength', the0(), {keys: ['JWT_SECRET'], minBits: 'lots'});
    assert.equal(r.status, 'error');
    assert.equal(CHECKS.get('secret.strength')!.params.safeParse({minBits: 'lots'}).success, false);
    assert.equal(CHECKS.get('secret.strength')!.params.safeParse({minBits: 0}).success, false);
  });
});

describe('secret.consistent', () => {
  const twoServices = (a: string, b: string) =>
    lines(
      'services:', //                          1
      '  the0-api:', //                        2
      '    image: api:1.0.0', //               3
      '    environment:', //                   4
      `      JWT_SECRET: ${a}`, //             5
      '  the0-worker:', //                     6
      '    image: worker:1.0.0', //            7
      '    environment:', //                   8
      `      - JWT_SECRET=${b}`, //            9
    );

  test('JWT_SECRET literal in two services with different values fails with both lines', async () => {
    const r = await check('secret.consistent', dirWith({'compose.yaml': twoServices(HEX_A, HEX_B)}), {keys: ['JWT_SECRET']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['compose.yaml', 5, 'JWT_SECRET'],
      ['compose.yaml', 9, 'JWT_SECRET'],
    ]);
    assert.match(r.evidence[0]!.detail, /service the0-api: copy A/);
    assert.match(r.evidence[1]!.detail, /service the0-worker: copy B/);
    assertNoLeak(r);
  });

  test('the same value in both services passes', async () => {
    const r = await check('secret.consistent', dirWith({'compose.yaml': twoServices(HEX_A, HEX_A)}), {keys: ['JWT_SECRET']});
    assert.equal(r.status, 'pass');
    assert.deepEqual(places(r), [
      ['compose.yaml', 5, 'JWT_SECRET'],
      ['compose.yaml', 9, 'JWT_SECRET'],
    ]);
    assertNoLeak(r);
  });

  test('services narrows to one copy', async () => {
    const r = await check('secret.consistent', dirWith({'compose.yaml': twoServices(HEX_A, HEX_B)}), {keys: ['JWT_SECRET'], services: ['the0-api']});
    assert.equal(r.status, 'pass');
    assert.match(r.message, /single copy/);
  });

  test('a .env copy and a literal Compose copy that differ fail', async () => {
    const d = dirWith({'.env': lines(`JWT_SECRET=${HEX_A}`), 'compose.yaml': twoServices('${JWT_SECRET}', HEX_B)});
    const r = await check('secret.consistent', d, {keys: ['JWT_SECRET']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['.env', 1, 'JWT_SECRET'],
      ['compose.yaml', 9, 'JWT_SECRET'],
    ]);
    assertNoLeak(r);
  });

  test('a password and the password inside DATABASE_URL are compared', async () => {
    const d = dirWith({
      '.env': lines(`POSTGRES_PASSWORD=${HEX_A}`, `DATABASE_URL=postgresql://the0:${HEX_B}@postgres:5432/the0`),
    });
    const r = await check('secret.consistent', d, {keys: ['POSTGRES_PASSWORD'], urls: ['DATABASE_URL']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['.env', 1, 'POSTGRES_PASSWORD'],
      ['.env', 2, 'DATABASE_URL (password in URL)'],
    ]);
    assertNoLeak(r);
    const same = dirWith({'.env': lines(`POSTGRES_PASSWORD=${HEX_A}`, `DATABASE_URL=postgresql://the0:${HEX_A}@postgres:5432/the0`)});
    const ok = await check('secret.consistent', same, {keys: ['POSTGRES_PASSWORD'], urls: ['DATABASE_URL']});
    assert.equal(ok.status, 'pass');
    assertNoLeak(ok);
  });

  test('.env and Helm values copies are compared', async () => {
    const d = dirWith({
      '.env': lines(`JWT_SECRET=${B64_A}`),
      'values.yaml': lines('the0Api:', '  env:', `    JWT_SECRET: ${B64_B}`),
    });
    const r = await check('secret.consistent', d, {keys: ['JWT_SECRET'], helm: ['the0Api.env.JWT_SECRET']}, {helmValues: ['values.yaml']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['.env', 1, 'JWT_SECRET'],
      ['values.yaml', 3, 'the0Api.env.JWT_SECRET'],
    ]);
    assertNoLeak(r);
  });

  test('no copies: pass with nothing to compare', async () => {
    const r = await check('secret.consistent', dirWith({'.env': 'A=1\n'}), {keys: ['JWT_SECRET']});
    assert.equal(r.status, 'pass');
    assert.match(r.message, /no copies/);
  });

  test('a bad param is an error', async () => {
    const r = await check('secret.consistent', the0(), {keys: ['JWT_SECRET'], required: true});
    assert.equal(r.status, 'error'); // strict: consistent has no `required`
    assert.equal(CHECKS.get('secret.consistent')!.params.safeParse({keys: [1]}).success, false);
  });
});
