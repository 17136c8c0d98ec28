import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {parseEnvText} from '../../src/sources/envFile.js';
import {SourceError} from '../../src/sources/errors.js';

/** Asserts that parsing throws a SourceError at file:line, returning it for further checks. */
function throwsAt(text: string, file: string, line: number): SourceError {
  let caught: unknown;
  try {
    parseEnvText(text, file);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof SourceError, `expected a SourceError, got ${String(caught)}`);
  assert.equal(caught.file, file);
  assert.equal(caught.line, line);
  return caught;
}

function entry(text: string, key: string) {
  const e = parseEnvText(text, '.env').entries.get(key);
  assert.ok(e, `no entry ${key}`);
  return e;
}

describe('parseEnvText: values', () => {
  test('plain KEY=value with its 1-based line', () => {
    const env = parseEnvText('# header\nDB_HOST=db.internal\n\nDB_PORT=5432\n', 'deploy/.env');
    assert.equal(env.file, 'deploy/.env');
    assert.deepEqual([...env.entries.keys()], ['DB_HOST', 'DB_PORT']);
    assert.deepEqual(env.entries.get('DB_HOST'), {key: 'DB_HOST', value: 'db.internal', line: 2});
    assert.deepEqual(env.entries.get('DB_PORT'), {key: 'DB_PORT', value: '5432', line: 4});
    assert.equal(env.duplicates.size, 0);
  });

  test('export KEY=v is read as KEY', () => {
    const env = parseEnvText('export API_KEY=abc123\n  export   OTHER=x\n', '.env');
    assert.deepEqual(env.entries.get('API_KEY'), {key: 'API_KEY', value: 'abc123', line: 1});
    assert.deepEqual(env.entries.get('OTHER'), {key: 'OTHER', value: 'x', line: 2});
    assert.equal(env.entries.has('export'), false);
  });

  test('spaces around = and before the value', () => {
    assert.equal(entry('  NAME = spaced\n', 'NAME').value, 'spaced');
    assert.equal(entry('NAME= "quoted"\n', 'NAME').value, 'quoted');
  });

  test('single, double and backtick quotes are removed', () => {
    const env = parseEnvText('S=\'single # not a comment\'\nD="double # not a comment"\nB=`back \'tick\' "x"`\n', '.env');
    assert.equal(env.entries.get('S')?.value, 'single # not a comment');
    assert.equal(env.entries.get('D')?.value, 'double # not a comment');
    assert.equal(env.entries.get('B')?.value, `back 'tick' "x"`);
    assert.deepEqual(
      [...env.entries.values()].map((e) => e.line),
      [1, 2, 3],
    );
  });

  test('double quotes expand \\n; single quotes keep it', () => {
    assert.equal(entry('D="a\\nb"\n', 'D').value, 'a\nb');
    assert.equal(entry("S='a\\nb'\n", 'S').value, 'a\\nb');
  });

  test('an escaped double quote does not close the value', () => {
    const env = parseEnvText('Q="say \\"hi\\""\nNEXT=1\n', '.env');
    assert.equal(env.entries.get('Q')?.value, 'say \\"hi\\"');
    assert.equal(env.entries.get('NEXT')?.line, 2);
  });

  test('a multi-line double-quoted value keeps later line numbers right', () => {
    const text = ['FIRST=1', 'CERT="-----BEGIN-----', 'abc', 'def', '-----END-----"', 'AFTER=2', '', 'LAST=3'].join('\n');
    const env = parseEnvText(text, '.env');
    assert.equal(env.entries.get('CERT')?.value, '-----BEGIN-----\nabc\ndef\n-----END-----');
    assert.equal(env.entries.get('CERT')?.line, 2);
    assert.equal(env.entries.get('AFTER')?.line, 6);
    assert.equal(env.entries.get('LAST')?.line, 8);
    // Lines inside the value are not keys of their own.
    assert.deepEqual([...env.entries.keys()], ['FIRST', 'CERT', 'AFTER', 'LAST']);
  });

  test('a multi-line single-quoted value whose lines look like assignments', () => {
    const env = parseEnvText("A='x\nB=inside\n'\nC=3\n", '.env');
    assert.equal(env.entries.get('A')?.value, 'x\nB=inside\n');
    assert.equal(env.entries.has('B'), false);
    assert.equal(env.entries.get('C')?.line, 4);
  });

  test('CRLF line endings', () => {
    const env = parseEnvText('A=x\r\nB="m\r\nn"\r\nC=3\r\n', '.env');
    assert.equal(env.entries.get('A')?.value, 'x');
    assert.equal(env.entries.get('B')?.value, 'm\nn');
    assert.equal(env.entries.get('C')?.value, '3');
    assert.equal(env.entries.get('C')?.line, 4);
  });

  test('an inline # comment after an unquoted value is dropped', () => {
    const env = parseEnvText('PORT=8080 # the public port\nHOST=example.com    #trailing\n', '.env');
    assert.equal(env.entries.get('PORT')?.value, '8080');
    assert.equal(env.entries.get('HOST')?.value, 'example.com');
  });

  test('a # comment after a quoted value is dropped, the # inside kept', () => {
    assert.equal(entry('P="pa#ss" # comment\n', 'P').value, 'pa#ss');
  });

  test('comment lines and indented comment lines are skipped', () => {
    const env = parseEnvText('# a\n   # b\nA=1\n#C=3\n', '.env');
    assert.deepEqual([...env.entries.keys()], ['A']);
  });

  test('empty values', () => {
    const env = parseEnvText('EMPTY=\nQUOTED=""\nSINGLE=\'\'\n', '.env');
    assert.deepEqual(env.entries.get('EMPTY'), {key: 'EMPTY', value: '', line: 1});
    assert.deepEqual(env.entries.get('QUOTED'), {key: 'QUOTED', value: '', line: 2});
    assert.deepEqual(env.entries.get('SINGLE'), {key: 'SINGLE', value: '', line: 3});
  });

  test('a value containing = keeps everything after the first =', () => {
    assert.equal(entry('URL=postgres://u:p@h/db?sslmode=require\n', 'URL').value, 'postgres://u:p@h/db?sslmode=require');
  });

  test('keys with dots and dashes', () => {
    const env = parseEnvText('spring.datasource.url=jdbc:x\nmy-key=v\n', '.env');
    assert.equal(env.entries.get('spring.datasource.url')?.value, 'jdbc:x');
    assert.equal(env.entries.get('my-key')?.value, 'v');
  });

  test('a byte order mark before the first key is ignored', () => {
    const env = parseEnvText('\uFEFFFIRST=1\nSECOND=2\n', '.env');
    assert.deepEqual([...env.entries.keys()], ['FIRST', 'SECOND']);
    assert.equal(env.entries.get('FIRST')?.value, '1');
  });

  test('an empty file has no entries', () => {
    const env = parseEnvText('', '.env');
    assert.equal(env.entries.size, 0);
    assert.equal(env.duplicates.size, 0);
  });
});

describe('parseEnvText: duplicates', () => {
  test('the last definition wins and duplicates lists every line', () => {
    const env = parseEnvText('SECRET=first\nOTHER=x\nSECRET=second\n\nSECRET=third\n', '.env');
    assert.deepEqual(env.entries.get('SECRET'), {key: 'SECRET', value: 'third', line: 5});
    assert.deepEqual(env.duplicates.get('SECRET'), [1, 3, 5]);
    assert.equal(env.duplicates.has('OTHER'), false);
  });

  test('export KEY and KEY are the same key', () => {
    const env = parseEnvText('export A=1\nA=2\n', '.env');
    assert.equal(env.entries.get('A')?.value, '2');
    assert.deepEqual(env.duplicates.get('A'), [1, 2]);
  });
});

describe('parseEnvText: malformed input', () => {
  test('a line without = names the file and line', () => {
    const err = throwsAt('A=1\n\nJUST_A_WORD\nB=2\n', 'config/app.env', 3);
    assert.equal(err.col, 1);
    assert.match(err.message, /KEY=value/);
    assert.equal(err.where, 'config/app.env:3:1');
  });

  test('a KEY: value line is rejected with the key', () => {
    const err = throwsAt('A=1\nB=2\nDATABASE_URL: postgres://x\n', '.env', 3);
    assert.equal(err.key, 'DATABASE_URL');
    assert.match(err.message, /DATABASE_URL:/);
  });

  test('an unterminated double quote points at the line of the opening quote', () => {
    const err = throwsAt('A=1\nB=2\nPASSWORD="abc\nC=3\nD=4\n', '.env', 3);
    assert.equal(err.key, 'PASSWORD');
    assert.equal(err.col, 10);
    assert.match(err.message, /never closes/);
  });

  test('an unterminated single quote and backtick', () => {
    throwsAt("A='abc\n", '.env', 1);
    throwsAt('X=1\nA=`abc\n', '.env', 2);
  });

  test('a trailing escaped double quote leaves the value open', () => {
    throwsAt('A="abc\\"\nB=2\n', '.env', 1);
  });

  test('a key that starts with a digit is not an assignment', () => {
    throwsAt('OK=1\n1BAD=2\n', '.env', 2);
  });

  test('a bare export line is malformed', () => {
    throwsAt('export\n', '.env', 1);
  });
});

describe('parseEnvText: isolation', () => {
  test('parsing never touches process.env', () => {
    const key = `SHIPSHAPE_TEST_${process.pid}_${Date.now()}`;
    const before = {...process.env};
    assert.equal(process.env[key], undefined);
    const env = parseEnvText(`${key}=leaked\nPATH=/nowhere\nHOME=/nohome\n`, '.env');
    assert.equal(env.entries.get(key)?.value, 'leaked');
    assert.equal(env.entries.get('PATH')?.value, '/nowhere');
    assert.equal(process.env[key], undefined);
    assert.deepEqual({...process.env}, before);
  });

  test('values in the environment do not replace values in the text', () => {
    const key = `SHIPSHAPE_TEST_PRESET_${process.pid}`;
    process.env[key] = 'from-process';
    try {
      assert.equal(entry(`${key}=from-file\n`, key).value, 'from-file');
    } finally {
      delete process.env[key];
    }
  });
});
