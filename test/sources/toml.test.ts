import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {SourceError} from '../../src/sources/errors.js';
import {parseToml, tomlGet, tomlLine} from '../../src/sources/toml.js';
import {lines} from '../support/helpers.js';

/** Asserts that parsing throws a SourceError at file:line:col, returning it for further checks. */
function throwsAt(text: string, file: string, line: number, col?: number): SourceError {
  let caught: unknown;
  try {
    parseToml(text, file);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof SourceError, `expected a SourceError, got ${String(caught)}`);
  assert.equal(caught.file, file);
  assert.equal(caught.line, line, `line of ${caught.where}: ${caught.message}`);
  if (col !== undefined) assert.equal(caught.col, col, `column of ${caught.where}: ${caught.message}`);
  return caught;
}

const CONFIG = lines(
  '# a bot', // 1
  'bot_name = "Alpha"', // 2
  "command_prefix = '!'", // 3
  '', // 4
  '[features]', // 5
  'minecraft = true   # the module', // 6
  'welcome = false', // 7
  '', // 8
  '[minecraft]', // 9
  'verify = true', // 10
  'note = """', // 11
  'not_a_key = 1', // 12
  '"""', // 13
  'staff = [', // 14
  '  "1",', // 15
  '  "2",', // 16
  ']', // 17
  'donator_sync = true', // 18
  '', // 19
  '[minecraft.donator_sync_config]', // 20
  'supporter_role = "600"', // 21
  'limits.daily = 3', // 22
  'inline = {a = 1}', // 23
  '"quoted.key" = 2', // 24
);

describe('parseToml: values and where they are', () => {
  test('reads values by dotted path', () => {
    const t = parseToml(CONFIG, 'instances/alpha/config.toml');
    assert.equal(t.file, 'instances/alpha/config.toml');
    assert.equal(tomlGet(t, 'bot_name'), 'Alpha');
    assert.equal(tomlGet(t, 'command_prefix'), '!');
    assert.equal(tomlGet(t, 'features.minecraft'), true);
    assert.equal(tomlGet(t, 'minecraft.donator_sync_config.supporter_role'), '600');
    assert.equal(tomlGet(t, 'minecraft.donator_sync_config.limits.daily'), 3);
    assert.deepEqual(tomlGet(t, 'minecraft.staff'), ['1', '2']);
    assert.equal(tomlGet(t, 'features.absent'), undefined);
    assert.equal(tomlGet(t, 'bot_name.deeper'), undefined);
  });

  test('gives the line of keys and table headers, past multi-line strings and arrays', () => {
    const t = parseToml(CONFIG, 'c.toml');
    assert.equal(tomlLine(t, 'bot_name'), 2);
    assert.equal(tomlLine(t, 'command_prefix'), 3);
    assert.equal(tomlLine(t, 'features'), 5);
    assert.equal(tomlLine(t, 'features.minecraft'), 6);
    assert.equal(tomlLine(t, 'features.welcome'), 7);
    assert.equal(tomlLine(t, 'minecraft'), 9);
    assert.equal(tomlLine(t, 'minecraft.not_a_key'), 9, 'a line inside a multi-line string is no key: the parent table is given');
    assert.equal(tomlLine(t, 'minecraft.donator_sync'), 18);
    assert.equal(tomlLine(t, 'minecraft.donator_sync_config'), 20);
    assert.equal(tomlLine(t, 'minecraft.donator_sync_config.limits.daily'), 22);
    assert.equal(tomlLine(t, 'minecraft.donator_sync_config.inline.a'), 23, 'a key inside an inline table is placed at the table');
    assert.equal(tomlLine(t, 'minecraft.donator_sync_config.quoted.key'), 24);
    assert.equal(tomlLine(t, 'nothing.here'), undefined);
  });

  test('a byte order mark and CRLF line endings change nothing', () => {
    const t = parseToml(`\uFEFF${CONFIG.replace(/\n/g, '\r\n')}`, 'c.toml');
    assert.equal(tomlGet(t, 'features.minecraft'), true);
    assert.equal(tomlLine(t, 'features.minecraft'), 6);
  });

  test('an empty file is an empty table (tables have no prototype to pollute)', () => {
    const t = parseToml('', 'c.toml');
    assert.deepEqual(Object.keys(t.data), []);
    assert.equal(Object.getPrototypeOf(t.data), null);
  });

  test('__proto__ keys are dropped, not merged into objects', () => {
    const t = parseToml('[__proto__]\npolluted = true\n', 'c.toml');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(tomlGet(t, 'polluted'), undefined);
  });
});

describe('parseToml: located errors', () => {
  test('a key defined twice', () => {
    const e = throwsAt('command_prefix = "!"\ncommand_prefix = "?"\n', 'instances/a/config.toml', 2, 1);
    assert.equal(e.where, 'instances/a/config.toml:2:1');
    assert.match(e.message, /^invalid TOML: /);
  });

  test('a table defined twice', () => {
    throwsAt('[features]\nwelcome = true\n[features]\n', 'c.toml', 3);
  });

  test('a value missing after =', () => {
    throwsAt('bot_name = "x"\nwelcome = \n', 'c.toml', 2, 11);
  });

  test('a string that never closes', () => {
    throwsAt('[a]\nb = "open\nc = 1\n', 'c.toml', 2);
  });

  test('a Compose-style colon instead of =', () => {
    throwsAt('bot_name: "x"\n', 'c.toml', 1);
  });

  test('nesting deeper than the limit is refused, located, without recursion trouble', () => {
    const deep = `a = ${'['.repeat(5000)}${']'.repeat(5000)}\n`;
    const e = throwsAt(deep, 'c.toml', 1);
    assert.match(e.message, /invalid TOML/);
  });

  test('the message never quotes the offending line (it may hold a secret)', () => {
    const e = throwsAt('api_key = "sk-live-0123456789abcdef" garbage\n', 'c.toml', 1);
    assert.doesNotMatch(e.message, /sk-live/);
    assert.doesNotMatch(e.message, /\n/);
  });
});
