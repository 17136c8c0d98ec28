import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {parse as dotenvParse} from 'dotenv';
import {parseEnvText} from '../../src/sources/envFile.js';
import {interpolate} from '../../src/sources/interpolate.js';
import {composeEnvValues, quoteEnvValue, readBackEnv, setEnvValue} from '../../src/write/envEdit.js';

/** A file with everything a person's .env may hold, CRLF. */
const MESSY = [
  '\uFEFF# Deployment settings',
  '',
  'export APP_URL=https://example.test   # public address',
  "GREETING='hello # not a comment'",
  'TITLE="Two words"  # quoted, with a comment',
  'JWT_SECRET=changeme # replace me',
  '  INDENTED = spaced',
  '# JWT_SECRET=commented-out',
  'MULTI="line one',
  'JWT_SECRET=inside a quoted value',
  'line three"',
  'JWT_SECRET=short   # the one that wins',
  'TAIL=end',
  '',
].join('\r\n');

/** Asserts the edit changed exactly `from` to `to` and nothing else. */
function changedOnly(before: string, after: string, from: string, to: string): void {
  const at = before.indexOf(from);
  assert.ok(at >= 0, `${from} not in the text`);
  assert.equal(after, before.slice(0, at) + to + before.slice(at + from.length));
}

/** Both readers, plus our own, agree the key holds the value. */
function readsBack(text: string, key: string, value: string): void {
  assert.equal(dotenvParse(text)[key], value, `dotenv read ${key}`);
  assert.equal(composeEnvValues(text).get(key), value, `Compose read ${key}`);
  assert.equal(parseEnvText(text, '.env').entries.get(key)?.value, value, `parseEnvText read ${key}`);
}

describe('setEnvValue: lossless edits', () => {
  test('replaces the last definition only; every other byte of a CRLF file stays', () => {
    const out = setEnvValue(MESSY, 'JWT_SECRET', 'f3a9c2', 'deploy/.env');
    changedOnly(MESSY, out, 'JWT_SECRET=short   #', 'JWT_SECRET=f3a9c2   #');
    readsBack(out, 'JWT_SECRET', 'f3a9c2');
    // The quoted multi-line value and the commented line were not mistaken for definitions.
    assert.equal(dotenvParse(out).MULTI, 'line one\nJWT_SECRET=inside a quoted value\nline three');
    assert.equal((out.match(/\r\n/g) ?? []).length, (MESSY.match(/\r\n/g) ?? []).length);
    assert.ok(!/[^\r]\n/.test(out), 'no bare LF was introduced');
  });

  test('keeps export, indentation, spaces around =, and a trailing comment', () => {
    let out = setEnvValue(MESSY, 'APP_URL', 'https://new.example.test');
    changedOnly(MESSY, out, 'APP_URL=https://example.test   #', 'APP_URL=https://new.example.test   #');
    out = setEnvValue(MESSY, 'INDENTED', 'v2');
    changedOnly(MESSY, out, '  INDENTED = spaced', '  INDENTED = v2');
    readsBack(out, 'INDENTED', 'v2');
  });

  test('replaces a quoted value whole, comment kept', () => {
    const out = setEnvValue(MESSY, 'TITLE', 'New title');
    changedOnly(MESSY, out, '"Two words"', "'New title'");
    readsBack(out, 'TITLE', 'New title');
  });

  test('replaces a value that spans lines', () => {
    const out = setEnvValue(MESSY, 'MULTI', 'one');
    changedOnly(MESSY, out, '"line one\r\nJWT_SECRET=inside a quoted value\r\nline three"', 'one');
    readsBack(out, 'MULTI', 'one');
    assert.equal(dotenvParse(out).JWT_SECRET, 'short');
  });

  test('a bare value before a comment that a tab introduces is quoted, since Compose ends bare values only at " #"', () => {
    const text = 'KEY=old\t# note\n';
    const out = setEnvValue(text, 'KEY', 'new');
    assert.equal(out, "KEY='new'\t# note\n");
    readsBack(out, 'KEY', 'new');
    // Compose reads `KEY= # note` as "# note": an empty value before a comment is quoted too.
    assert.equal(composeEnvValues('KEY= # note\n').get('KEY'), '# note');
    assert.equal(setEnvValue('KEY=x # note\n', 'KEY', ''), "KEY='' # note\n");
  });

  test('a value right against a comment after a closing quote gets its quotes', () => {
    const out = setEnvValue('KEY="old"# note\n', 'KEY', 'new');
    assert.equal(out, "KEY='new'# note\n");
    readsBack(out, 'KEY', 'new');
  });

  test('appends with the file line ending, keeping a missing final newline missing', () => {
    assert.equal(setEnvValue('A=1\n', 'B', '2'), 'A=1\nB=2\n');
    assert.equal(setEnvValue('A=1', 'B', '2'), 'A=1\nB=2');
    assert.equal(setEnvValue('A=1\r\n# c\r\n', 'B', 'two words'), "A=1\r\n# c\r\nB='two words'\r\n");
    assert.equal(setEnvValue('A=1\r\nC=3', 'B', '2'), 'A=1\r\nC=3\r\nB=2');
    assert.equal(setEnvValue('', 'B', '2'), 'B=2\n');
  });

  test('a key only mentioned in a comment or inside a quoted value is appended', () => {
    const text = '# SECRET=old\nX="\nSECRET=inside\n"\n';
    const out = setEnvValue(text, 'SECRET', 'new');
    assert.equal(out, `${text}SECRET=new\n`);
    readsBack(out, 'SECRET', 'new');
  });

  test('refuses what it cannot edit safely, naming the file and line', () => {
    assert.throws(() => setEnvValue('A="open\n', 'B', 'x', 'app/.env'), /^Error: app\/\.env:1: the " quote opened here never closes/);
    assert.throws(() => setEnvValue('KEY="a"junk\n', 'KEY', 'x', 'app/.env'), /^Error: app\/\.env:1: there is text after the closing quote of KEY/);
    assert.throws(() => setEnvValue('', 'BAD KEY', 'x', 'app/.env'), /^Error: app\/\.env: "BAD KEY" is not a name/);
    assert.throws(() => setEnvValue('', 'K', 'a\nb', 'app/.env'), /^Error: app\/\.env: cannot write K: the value has a line break/);
  });
});

describe('quoteEnvValue: a form both dotenv and Compose read back', () => {
  test('bare when safe, single quotes for spaces # $ and friends, double quotes around a lone single quote', () => {
    assert.equal(quoteEnvValue('3q2+7w/Zx9=='), '3q2+7w/Zx9==');
    assert.equal(quoteEnvValue('a1b2c3-_.:@,%^~'), 'a1b2c3-_.:@,%^~');
    assert.equal(quoteEnvValue(''), '');
    assert.equal(quoteEnvValue('two words'), "'two words'");
    assert.equal(quoteEnvValue('a#b'), "'a#b'");
    assert.equal(quoteEnvValue('pa$$word'), "'pa$$word'");
    assert.equal(quoteEnvValue('${HOME}'), "'${HOME}'");
    assert.equal(quoteEnvValue('back\\slash'), "'back\\slash'");
    assert.equal(quoteEnvValue(' padded '), "' padded '");
    assert.equal(quoteEnvValue("it's"), `"it's"`);
  });

  test('refuses values no quoting carries through both readers', () => {
    for (const v of ['a\nb', 'a\r', 'a\u2028b', "it's $5", `it's "x"`, "it's \\", 'ends with \\ and space\\', 'bell\x07']) {
      assert.throws(() => quoteEnvValue(v), Error, JSON.stringify(v));
    }
  });
});

/** Deterministic pseudo-random numbers, so a failure repeats. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Which values quoteEnvValue may refuse: exactly the documented ones. */
function mayRefuse(v: string): boolean {
  return /[\r\n\u2028\u2029\u0000-\u0008\u000b-\u001f\u007f]/.test(v) || (v.includes("'") && /["\\$]/.test(v)) || (v.endsWith('\\') && !v.includes("'"));
}

/** Writes v into a file with neighbours and proves every reader gets v back, and the neighbours unchanged. */
function roundTrip(v: string): void {
  const text = 'BEFORE=1\nKEY=old # comment\nAFTER="two words"\n';
  let out: string;
  try {
    out = setEnvValue(text, 'KEY', v);
  } catch (err) {
    assert.ok(mayRefuse(v), `refused ${JSON.stringify(v)}: ${(err as Error).message}`);
    return;
  }
  const line = out.split('\n')[1]!;
  assert.ok(line.startsWith('KEY=') && line.endsWith(' # comment'), `the comment stays: ${line}`);
  const form = line.slice('KEY='.length, -' # comment'.length);
  assert.equal(dotenvParse(out).KEY, v, `dotenv: ${JSON.stringify(v)} written as ${form}`);
  assert.equal(composeEnvValues(out).get('KEY'), v, `Compose: ${JSON.stringify(v)} written as ${form}`);
  assert.deepEqual(readBackEnv(out, 'KEY'), {dotenv: v, compose: v});
  assert.equal(dotenvParse(out).BEFORE, '1');
  assert.equal(dotenvParse(out).AFTER, 'two words');
  // Compose interpolates bare and double-quoted values: what is written there must come
  // through interpolation unchanged, with no variable referenced (single quotes are literal).
  if (!form.startsWith("'")) {
    const inner = form.startsWith('"') ? form.slice(1, -1) : form;
    const r = interpolate(inner, () => 'INTERPOLATED');
    assert.equal(r.value, v, `interpolation changed ${JSON.stringify(v)}`);
    assert.deepEqual(r.refs, []);
  }
}

describe('round trip through dotenv, Compose and Compose interpolation', () => {
  test('every printable ASCII character, alone, inside, leading, trailing and doubled', () => {
    for (let c = 0x20; c <= 0x7e; c++) {
      const ch = String.fromCharCode(c);
      for (const v of [ch, `a${ch}b`, `${ch}ab`, `ab${ch}`, `${ch}${ch}`, `x${ch}${ch}y`]) roundTrip(v);
    }
  });

  test('the tricky ones', () => {
    for (const v of [
      'dGhpcyBpcyBiYXNlNjQ+Lz0=',
      'a+b/c==',
      '$HOME',
      '$$',
      '${A:-b}',
      'a $b c',
      '\\$x',
      '\\n',
      'C:\\path\\to',
      '"quoted"',
      "'single'",
      "it's",
      '`tick`',
      '#hash',
      'a #b',
      ' lead',
      'trail ',
      'tab\there',
      'postgres://user:p%40ss@db:5432/app?sslmode=require',
      'ünïcödé ✓',
      'export',
      '=',
      '==',
      ': x',
      '\\',
      "a'b",
    ]) {
      roundTrip(v);
    }
  });

  test('long values and random printable strings', () => {
    roundTrip('x'.repeat(8192));
    roundTrip(Buffer.alloc(3000, 7).toString('base64'));
    const next = rng(42);
    const printable = Array.from({length: 0x7f - 0x20}, (_, i) => String.fromCharCode(0x20 + i));
    for (let n = 0; n < 1500; n++) {
      const len = 1 + Math.floor(next() * 40);
      roundTrip(Array.from({length: len}, () => printable[Math.floor(next() * printable.length)]!).join(''));
    }
  });
});

describe('composeEnvValues: a faithful model of Compose', () => {
  // Cases from compose-spec/compose-go dotenv/godotenv_test.go (TestParsing, TestUnterminatedQuotes).
  const cases: [string, string, string][] = [
    ['FOO=bar', 'FOO', 'bar'],
    ['FOO =bar', 'FOO', 'bar'],
    ['FOO= bar', 'FOO', 'bar'],
    ['FOO="bar"', 'FOO', 'bar'],
    ["FOO='bar'", 'FOO', 'bar'],
    ['FOO="escaped\\"bar"', 'FOO', 'escaped"bar'],
    ['FOO="\'d\'"', 'FOO', "'d'"],
    ['OPTION_A: 1', 'OPTION_A', '1'],
    ['OPTION_A: Foo=bar', 'OPTION_A', 'Foo=bar'],
    ['OPTION_A=1:B', 'OPTION_A', '1:B'],
    ['export OPTION_A=2', 'OPTION_A', '2'],
    ["export OPTION_B='\\n'", 'OPTION_B', '\\n'],
    ['export exportFoo=2', 'exportFoo', '2'],
    ['exportFOO=2', 'exportFOO', '2'],
    ['export\tOPTION_A=2', 'OPTION_A', '2'],
    ['FOO="bar\\nbaz"', 'FOO', 'bar\nbaz'],
    ['FOO=a\\tb', 'FOO', 'a\\tb'],
    ['KEY="Z\\aZ\\bZ\\fZ\\nZ\\rZ\\tZ\\vZ\\\\Z\\0123Z"', 'KEY', 'Z\x07Z\bZ\fZ\nZ\rZ\tZ\vZ\\ZSZ'],
    ['FOO=bar ', 'FOO', 'bar'],
    ['FOO=bar # this is foo', 'FOO', 'bar'],
    ['FOO=bar #', 'FOO', 'bar'],
    ['FOO=123#not-an-inline-comment', 'FOO', '123#not-an-inline-comment'],
    ['FOO="bar#baz"#', 'FOO', 'bar#baz'],
    ["FOO='bar#baz' # comment", 'FOO', 'bar#baz'],
    ['FOO="bar\\n\\ b\\az"', 'FOO', 'bar\n\\ b\x07z'],
    ['FOO="bar\\nbaz\\\\"', 'FOO', 'bar\nbaz\\'],
    ['="value"', '', 'value'],
    ['\tKEY=value', 'KEY', 'value'],
    ['KEY="\\x07"', 'KEY', '\\x07'],
  ];
  test('agrees with compose-go on its own test cases', () => {
    for (const [text, key, want] of cases) assert.equal(composeEnvValues(text).get(key), want, text);
  });

  test('refuses what compose-go refuses', () => {
    for (const text of ['KEY="', 'KEY="value\\"', "KEY='value\\'", 'KEY=\'value"', 'lol$wut']) assert.throws(() => composeEnvValues(text), Error, text);
  });

  test('interpolates from earlier keys in bare and double-quoted values, never in single quotes', () => {
    const env = composeEnvValues('A=1\nB=${A}x\nC="$A-\\$A"\nD=\'$A\'\n');
    assert.deepEqual(Object.fromEntries(env), {A: '1', B: '1x', C: '1-$A', D: '$A'});
  });
});
