import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {interpolate, InterpolationError} from '../../src/sources/interpolate.js';

/** A lookup over a fixed table; names not in it are unset. */
function vars(table: Record<string, string>): (name: string) => string | undefined {
  return (name) => (Object.hasOwn(table, name) ? table[name] : undefined);
}

const ENV = vars({HOST: 'db.internal', PORT: '5432', EMPTY: '', USER: 'app', B: 'bee'});

describe('interpolate: plain references', () => {
  test('$VAR and ${VAR}', () => {
    assert.equal(interpolate('$HOST', ENV).value, 'db.internal');
    assert.equal(interpolate('${HOST}', ENV).value, 'db.internal');
    assert.equal(interpolate('postgres://$USER@${HOST}:$PORT/db', ENV).value, 'postgres://app@db.internal:5432/db');
  });

  test('$VAR ends at the first character that cannot be in a name', () => {
    assert.equal(interpolate('$HOST-x', ENV).value, 'db.internal-x');
    assert.equal(interpolate('$HOST_x', ENV).value, '');
    assert.deepEqual(interpolate('$HOST_x', ENV).refs, ['HOST_x']);
  });

  test('text without $ is unchanged and has no refs', () => {
    const r = interpolate('just text', ENV);
    assert.equal(r.value, 'just text');
    assert.deepEqual(r.refs, []);
    assert.deepEqual(r.missing, []);
    assert.equal(r.usedDefault, false);
    assert.equal(r.soleRef, undefined);
  });

  test('refs lists every reference in order', () => {
    assert.deepEqual(interpolate('${HOST}:$PORT/$NOPE', ENV).refs, ['HOST', 'PORT', 'NOPE']);
  });

  test('missing lists unset variables without a default; empty is not missing', () => {
    const r = interpolate('$NOPE ${ALSO_NOPE} $EMPTY ${HOST}', ENV);
    assert.deepEqual(r.missing, ['NOPE', 'ALSO_NOPE']);
    assert.equal(r.value, '   db.internal');
  });

  test('a $ not followed by a name is literal', () => {
    assert.equal(interpolate('cost: 5$', ENV).value, 'cost: 5$');
    assert.equal(interpolate('$1 and $-', ENV).value, '$1 and $-');
    assert.deepEqual(interpolate('$1', ENV).refs, []);
  });

  test('$$ is a literal $ and never a reference', () => {
    const r = interpolate('pa$$word $$HOST', ENV);
    assert.equal(r.value, 'pa$word $HOST');
    assert.deepEqual(r.refs, []);
    assert.equal(interpolate('$$$HOST', ENV).value, '$db.internal');
  });
});

describe('interpolate: defaults and operators', () => {
  test('${VAR:-d} uses the default when VAR is unset or empty', () => {
    assert.equal(interpolate('${NOPE:-d}', ENV).value, 'd');
    assert.equal(interpolate('${EMPTY:-d}', ENV).value, 'd');
    assert.equal(interpolate('${HOST:-d}', ENV).value, 'db.internal');
  });

  test('${VAR-d} uses the default only when VAR is unset', () => {
    assert.equal(interpolate('${NOPE-d}', ENV).value, 'd');
    assert.equal(interpolate('${EMPTY-d}', ENV).value, '');
    assert.equal(interpolate('${HOST-d}', ENV).value, 'db.internal');
  });

  test('usedDefault is true only when a default was taken', () => {
    assert.equal(interpolate('${NOPE:-d}', ENV).usedDefault, true);
    assert.equal(interpolate('${EMPTY:-d}', ENV).usedDefault, true);
    assert.equal(interpolate('${EMPTY-d}', ENV).usedDefault, false);
    assert.equal(interpolate('${HOST:-d}', ENV).usedDefault, false);
    assert.equal(interpolate('${HOST}', ENV).usedDefault, false);
  });

  test('a variable with a default is not missing', () => {
    assert.deepEqual(interpolate('${NOPE:-d}', ENV).missing, []);
    assert.deepEqual(interpolate('${NOPE:-d}', ENV).refs, ['NOPE']);
  });

  test('an empty default', () => {
    const r = interpolate('${NOPE:-}', ENV);
    assert.equal(r.value, '');
    assert.equal(r.usedDefault, true);
  });

  test('a default may contain : and /', () => {
    assert.equal(interpolate('${NOPE:-redis://cache:6379/0}', ENV).value, 'redis://cache:6379/0');
  });

  test('${VAR:?msg} records a required variable when unset or empty', () => {
    const unset = interpolate('${NOPE:?set NOPE first}', ENV);
    assert.deepEqual(unset.required, ['NOPE']);
    assert.equal(unset.value, '');
    assert.deepEqual(interpolate('${EMPTY:?msg}', ENV).required, ['EMPTY']);
    const set = interpolate('${HOST:?msg}', ENV);
    assert.deepEqual(set.required, []);
    assert.equal(set.value, 'db.internal');
  });

  test('${VAR?msg} accepts an empty VAR', () => {
    assert.deepEqual(interpolate('${EMPTY?msg}', ENV).required, []);
    assert.deepEqual(interpolate('${NOPE?msg}', ENV).required, ['NOPE']);
  });

  test('${VAR:+alt} gives alt only when VAR is set and non-empty', () => {
    assert.equal(interpolate('${HOST:+yes}', ENV).value, 'yes');
    assert.equal(interpolate('${EMPTY:+yes}', ENV).value, '');
    assert.equal(interpolate('${NOPE:+yes}', ENV).value, '');
  });

  test('${VAR+alt} gives alt when VAR is set, even empty', () => {
    assert.equal(interpolate('${EMPTY+yes}', ENV).value, 'yes');
    assert.equal(interpolate('${NOPE+yes}', ENV).value, '');
  });

  test('nested ${A:-${B:-x}}', () => {
    assert.equal(interpolate('${A:-${B:-x}}', vars({})).value, 'x');
    assert.equal(interpolate('${A:-${B:-x}}', vars({B: 'bee'})).value, 'bee');
    assert.equal(interpolate('${A:-${B:-x}}', vars({A: 'ay', B: 'bee'})).value, 'ay');
    const r = interpolate('${A:-${B:-x}}', vars({}));
    assert.deepEqual(r.refs, ['A', 'B']);
    assert.equal(r.usedDefault, true);
    assert.deepEqual(r.missing, []);
  });

  test('a reference inside a default is expanded', () => {
    assert.equal(interpolate('${NOPE:-$HOST:${PORT}}', ENV).value, 'db.internal:5432');
    assert.equal(interpolate('${NOPE:-$$literal}', ENV).value, '$literal');
  });

  test('text after a braced reference is kept', () => {
    assert.equal(interpolate('${NOPE:-a}{b}', ENV).value, 'a{b}');
  });
});

describe('interpolate: soleRef', () => {
  test('set for a whole-string single reference', () => {
    assert.equal(interpolate('$HOST', ENV).soleRef, 'HOST');
    assert.equal(interpolate('${HOST}', ENV).soleRef, 'HOST');
    assert.equal(interpolate('${NOPE:-d}', ENV).soleRef, 'NOPE');
    assert.equal(interpolate('${HOST-d}', ENV).soleRef, 'HOST');
    assert.equal(interpolate('${HOST:?msg}', ENV).soleRef, 'HOST');
    assert.equal(interpolate('${HOST:+alt}', ENV).soleRef, 'HOST');
  });

  test('not set when there is text around the reference', () => {
    assert.equal(interpolate('x$HOST', ENV).soleRef, undefined);
    assert.equal(interpolate('${HOST}/db', ENV).soleRef, undefined);
    assert.equal(interpolate('"${HOST}"', ENV).soleRef, undefined);
  });

  test('not set for two references', () => {
    assert.equal(interpolate('${HOST}${PORT}', ENV).soleRef, undefined);
    assert.equal(interpolate('$HOST$PORT', ENV).soleRef, undefined);
    assert.equal(interpolate('${HOST:-x}${PORT}', ENV).soleRef, undefined);
  });

  test('not set when the reference closes before the end of the text', () => {
    // The first } closes the reference; the rest is literal text after it.
    const r = interpolate('${HOST:-x}-suffix}', ENV);
    assert.equal(r.value, 'db.internal-suffix}');
    assert.equal(r.soleRef, undefined);
    assert.equal(interpolate('${NOPE:-a}{b}', ENV).soleRef, undefined);
  });
});

describe('interpolate: errors', () => {
  test('an unterminated ${ throws InterpolationError', () => {
    assert.throws(() => interpolate('${HOST', ENV), InterpolationError);
    assert.throws(
      () => interpolate('prefix ${HOST:-x', ENV),
      (err: unknown) => err instanceof InterpolationError && /character 8/.test(err.message),
    );
    assert.throws(() => interpolate('${A:-${B}', ENV), InterpolationError);
  });

  test('${} and ${1X} are not valid references', () => {
    assert.throws(() => interpolate('${}', ENV), InterpolationError);
    assert.throws(() => interpolate('${1X}', ENV), InterpolationError);
  });

  test('an unknown operator after the name throws', () => {
    assert.throws(
      () => interpolate('${HOST/x/y}', ENV),
      (err: unknown) => err instanceof InterpolationError && /unexpected/.test(err.message),
    );
    assert.throws(() => interpolate('${HOST:x}', ENV), InterpolationError);
  });

  test('an invalid reference inside a default that is taken throws', () => {
    assert.throws(() => interpolate('${HOST:-${}}', vars({})), InterpolationError);
  });
});
