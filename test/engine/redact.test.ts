import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {isPlaceholder, redact, shapeOf} from '../../src/engine/redact.js';

// Fixed values (sha256 digests of fixed strings), so results never depend on chance.
const HEX_64 = '68f365b3e058314db172ce39e9077d032a6699dedd3d2bfc18f9261d2f1fd942';
const B64URL_43 = 'RdjC0c-ijExFoCJ_rbOsItwF_wsohBoHIT12rut5IkM';
const B64URL_43_NO_SYMBOLS = 'aPNls2BYMU2xcs456Qd9Aypmmd7dPSv8GPkmHS8f2UI';

const SECRETS = [
  HEX_64,
  B64URL_43,
  'hunter2',
  'Tr0ub4dor&3',
  'postgres://app:S3cr3t!@db.internal:5432/app',
  'sk_live_51HqZ8xKj2mN4pQ7rT9vW',
  '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----',
  'pässwörd-ünïcödé',
];

describe('redact', () => {
  test('never contains the value, nor any 5-character piece of it', () => {
    for (const secret of SECRETS) {
      const out = redact(secret);
      assert.equal(out.includes(secret), false, out);
      for (let i = 0; i + 5 <= secret.length; i++) {
        const piece = secret.slice(i, i + 5);
        assert.equal(out.includes(piece), false, `"${out}" contains "${piece}" of a secret`);
      }
    }
  });

  test('says length, classes and bits', () => {
    assert.equal(redact('hunter2'), '7 chars, a-z 0-9, ~36 bits');
    assert.equal(redact(HEX_64), '64 chars, hex, ~256 bits');
    assert.match(redact(B64URL_43), /^43 chars, a-z A-Z 0-9 symbols, ~\d+ bits$/);
  });

  test('undefined and empty', () => {
    assert.equal(redact(undefined), 'not set');
    assert.equal(redact(''), 'empty');
  });
});

describe('shapeOf', () => {
  test('64 hex characters give at least 256 bits', () => {
    const s = shapeOf(HEX_64);
    assert.equal(s.length, 64);
    assert.deepEqual(s.classes, ['hex']);
    assert.ok(s.bits >= 256, `${s.bits} bits`);
    assert.ok(shapeOf(HEX_64.toUpperCase()).bits >= 256);
    assert.deepEqual(shapeOf(HEX_64.toUpperCase()).classes, ['hex']);
  });

  test('32 hex characters give 128 bits, not more', () => {
    const s = shapeOf(HEX_64.slice(0, 32));
    assert.deepEqual(s.classes, ['hex']);
    assert.equal(s.bits, 128);
  });

  test('mixed-case hex letters are not hex', () => {
    const mixed = `${HEX_64.slice(0, 32)}${HEX_64.slice(32).toUpperCase()}`;
    assert.notDeepEqual(shapeOf(mixed).classes, ['hex']);
  });

  test('43 base64url characters give at least 256 bits', () => {
    for (const v of [B64URL_43, B64URL_43_NO_SYMBOLS]) {
      const s = shapeOf(v);
      assert.equal(s.length, 43);
      assert.ok(s.bits >= 256, `${v}: ${s.bits} bits`);
    }
    assert.deepEqual(shapeOf(B64URL_43).classes, ['a-z', 'A-Z', '0-9', 'symbols']);
    assert.deepEqual(shapeOf(B64URL_43_NO_SYMBOLS).classes, ['a-z', 'A-Z', '0-9']);
  });

  test('repeated single characters are weak', () => {
    for (const v of ['a'.repeat(64), 'Z'.repeat(40), '0'.repeat(32), '!'.repeat(20)]) {
      const s = shapeOf(v);
      assert.equal(s.length, v.length);
      assert.ok(s.bits < 10, `${v}: ${s.bits} bits`);
    }
  });

  test('a repeated unit is no stronger than the unit', () => {
    assert.ok(shapeOf('abc'.repeat(20)).bits <= 15, String(shapeOf('abc'.repeat(20)).bits));
    assert.ok(shapeOf('Passw0rd!'.repeat(5)).bits <= shapeOf('Passw0rd!').bits);
    // 64 hex characters made of one 16-character unit: 64 bits, not 256.
    assert.equal(shapeOf(HEX_64.slice(0, 16).repeat(4)).bits, 64);
  });

  test('few distinct characters are weak even without a repeating unit', () => {
    const lowVariety = 'abbaabababbbaabbabababbaab';
    assert.ok(shapeOf(lowVariety).bits <= lowVariety.length, String(shapeOf(lowVariety).bits));
  });

  test('length counts characters, not UTF-16 units', () => {
    assert.equal(shapeOf('🔑🔑🔒x').length, 4);
  });

  test('classes', () => {
    assert.deepEqual(shapeOf('12345678').classes, ['0-9']);
    assert.deepEqual(shapeOf('abcXYZ').classes, ['a-z', 'A-Z']);
    assert.deepEqual(shapeOf('a b').classes, ['a-z', 'symbols']);
    assert.deepEqual(shapeOf('').classes, []);
    assert.equal(shapeOf('').bits, 0);
  });

  test('a longer random value is stronger than its prefix', () => {
    assert.ok(shapeOf(B64URL_43).bits > shapeOf(B64URL_43.slice(0, 22)).bits);
  });
});

describe('isPlaceholder', () => {
  test('template blanks are placeholders', () => {
    for (const v of [
      'your-secret-key',
      'your_api_key_here',
      'Your password',
      'CHANGEME',
      'changeme',
      'change-me',
      'change_this',
      '<token>',
      '<your database password>',
      '[secret]',
      'xxxxxxxx',
      '********',
      'TODO',
      'password',
      '  secret  ',
      'django-insecure-change-this-in-production-8f3k2j',
      'super-secret-CHANGE-ME-later',
    ]) {
      assert.equal(isPlaceholder(v), true, v);
    }
  });

  test('real-looking values are not', () => {
    for (const v of [HEX_64, B64URL_43, 'Tr0ub4dor&3', 'yourself123', 'postgres://app:pw@db:5432/app', 'exchanged', 'passwords-are-long', '<a>b', 'xx']) {
      assert.equal(isPlaceholder(v), false, v);
    }
  });
});

describe('display: what a check may show of a setting', () => {
  test('credential-like names are redacted whatever the check was told', async () => {
    const {display, looksSecret} = await import('../../src/engine/redact.js');
    for (const name of [
      'THE0_ADMIN_PASSWORD',
      'JWT_SECRET',
      'API_KEY',
      'minio.secretKey',
      'postgresql.password',
      'GITHUB_TOKEN',
      'the0Api.env.SESSION_SECRET',
      'ZITADEL_MASTERKEY',
    ]) {
      assert.ok(looksSecret(name), name);
      assert.doesNotMatch(display(name, 'hunter2hunter2'), /hunter2/);
    }
    for (const name of ['NODE_ENV', 'BOT_MEMORY_LIMIT_MB', 'ingress.enabled', 'THE0_ADMIN_EMAIL', 'MONKEY_BUSINESS', 'KEYCLOAK_HOST'])
      assert.ok(!looksSecret(name), name);
    assert.equal(display('NODE_ENV', 'production'), '"production"');
    assert.equal(display('NODE_ENV', 'production', true), redact('production'));
  });

  test('a password inside a URL is masked', async () => {
    const {display} = await import('../../src/engine/redact.js');
    const shown = display('DATABASE_URL', 'postgresql://the0:hunter2hunter2@postgres:5432/db');
    assert.doesNotMatch(shown, /hunter2/);
    assert.match(shown, /postgresql:\/\/the0:\*\*\*@postgres:5432\/db/);
  });
});

test('compose.env, env.value and helm.value never show a credential-like value', async () => {
  const {runCheck, dirWith} = await import('../support/helpers.js');
  const d = dirWith({
    'compose.yaml':
      'services:\n  api:\n    image: x:1\n    environment:\n      ADMIN_PASSWORD: hunter2hunter2\n      DATABASE_URL: postgresql://u:hunter2hunter2@db/x\n',
    'values.yaml': 'db:\n  password: hunter2hunter2\n',
  });
  const results = [
    await runCheck('compose.env', d, {services: ['api'], keys: ['ADMIN_PASSWORD', 'DATABASE_URL']}),
    await runCheck('env.value', d, {keys: ['ADMIN_PASSWORD', 'DATABASE_URL']}),
    await runCheck('helm.value', d, {path: 'db.password', nonEmpty: true}, {helmValues: ['values.yaml']}),
  ];
  for (const r of results) {
    assert.equal(r.status, 'pass', r.message);
    assert.doesNotMatch(JSON.stringify(r), /hunter2/);
  }
});
