// deploy/canonicalJson against RFC 8785 itself: its number table (Appendix B), its sorting
// example (section 3.2.3) and its full example (section 3.2.2), plus the values it must refuse.
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {describe, test} from 'node:test';
import {canonical, canonicalBytes, CanonicalJsonError, digest, sha256Hex} from '../../src/deploy/canonicalJson.js';

/** The double whose IEEE 754 bits are `hex`. */
function fromBits(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

describe('numbers: RFC 8785 Appendix B', () => {
  const table: [string, string][] = [
    ['0000000000000000', '0'],
    ['8000000000000000', '0'],
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ];
  for (const [bits, text] of table) {
    test(`${bits} -> ${text}`, () => {
      assert.equal(canonical(fromBits(bits)), text);
      assert.equal(canonical([fromBits(bits)]), `[${text}]`);
    });
  }

  test('NaN and the infinities (7fffffffffffffff, 7ff0000000000000) are refused', () => {
    for (const bits of ['7fffffffffffffff', '7ff0000000000000', 'fff0000000000000']) {
      assert.throws(
        () => canonical({n: fromBits(bits)}),
        (err: unknown) => err instanceof CanonicalJsonError && err.path === '$.n' && /is not a JSON number/.test(err.message),
      );
    }
  });
});

describe('sorting: RFC 8785 section 3.2.3', () => {
  test('member names are sorted by UTF-16 code units, emoji (a surrogate pair) before U+FB33', () => {
    const input = JSON.parse(
      '{"\\u20ac":"Euro Sign","\\r":"Carriage Return","\\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\\ud83d\\ude00":"Emoji: Grinning Face","\\u0080":"Control","\\u00f6":"Latin Small Letter O With Diaeresis"}',
    ) as Record<string, string>;
    const out = canonical(input);
    // Read from the text itself: JSON.parse would put the integer-like "1" first again.
    const names = [...out.matchAll(/"([^"]*)":"([^"]*)"/g)].map((m) => m[2]);
    assert.deepEqual(names, [
      'Carriage Return',
      'One',
      'Control',
      'Latin Small Letter O With Diaeresis',
      'Euro Sign',
      'Emoji: Grinning Face',
      'Hebrew Letter Dalet With Dagesh',
    ]);
    assert.ok(out.startsWith('{"\\r":"Carriage Return","1":"One","\u0080":"Control","ö":'));
  });

  test('nested objects are sorted too; arrays keep their order', () => {
    assert.equal(canonical({b: [3, {z: 1, a: 2}, 1], a: {d: null, c: true}}), '{"a":{"c":true,"d":null},"b":[3,{"a":2,"z":1},1]}');
    assert.equal(canonical([56, {d: true, 10: null, 1: []}]), '[56,{"1":[],"10":null,"d":true}]');
  });
});

describe('the whole example: RFC 8785 section 3.2.2', () => {
  test('input and output as printed in the RFC, and its UTF-8 bytes', () => {
    const input = JSON.parse(`{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\"\\/",
      "literals": [null, true, false]
    }`) as unknown;
    const want = `{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA'B\\"\\\\\\\\\\"/"}`;
    assert.equal(canonical(input), want);
    const hex = canonicalBytes(input).toString('hex').match(/../g)!.join(' ');
    // Section 3.2.4: the euro sign as e2 82 ac, the control character as \u000f.
    assert.ok(hex.includes('22 e2 82 ac 24 5c 75 30 30 30 66 5c 6e 41 27 42'), hex);
  });
});

describe('strings', () => {
  test('escapes as JSON.stringify does, with lower-case hex, and writes other characters as they are', () => {
    assert.equal(canonical('\b\t\n\f\r"\\/\u0000\u001f\u007f\u2028é😀'), '"\\b\\t\\n\\f\\r\\"\\\\/\\u0000\\u001f\u007f\u2028é😀"');
  });
  test('a lone surrogate is refused, in a value and in a name', () => {
    assert.throws(() => canonical({a: 'x\ud800'}), /\$\.a: a string holds a lone UTF-16 surrogate/);
    assert.throws(() => canonical({'\udc00': 1}), /lone UTF-16 surrogate/);
  });
});

describe('what has no JSON form is refused with its path', () => {
  /** [1, <hole>, 3] */
  const holey = () => {
    const a: number[] = [];
    a[0] = 1;
    a[2] = 3;
    return a;
  };
  const refused: [string, unknown, RegExp][] = [
    ['undefined in an array', {list: [1, undefined]}, /^\$\.list\[1\]: undefined \(or a hole\) in an array/],
    ['a hole in an array', {list: holey()}, /^\$\.list\[1\]: undefined \(or a hole\)/],
    ['undefined on its own', undefined, /^\$: undefined is not a JSON value/],
    ['a Date', {at: new Date(0)}, /^\$\.at: a Date is not a plain object; convert it/],
    ['a Map', {m: new Map()}, /^\$\.m: a Map is not a plain object/],
    ['a class instance', [new (class Thing {})()], /^\$\[0\]: a Thing is not a plain object/],
    ['a bigint', {n: 1n}, /^\$\.n: a bigint is not a JSON number/],
    ['a function', {f: () => 1}, /^\$\.f: a function is not a JSON value/],
    ['a symbol', {s: Symbol('x')}, /^\$\.s: a symbol is not a JSON value/],
    ['an odd member name in the path', {'a b': [NaN]}, /^\$\["a b"\]\[0\]: NaN is not a JSON number/],
  ];
  for (const [what, value, message] of refused) {
    test(what, () => {
      assert.throws(
        () => canonical(value),
        (err: unknown) => err instanceof CanonicalJsonError && message.test(err.message),
      );
    });
  }
  test('a cycle', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    assert.throws(() => canonical(a), /\$\.self: the value refers to itself \(a cycle\)/);
  });
  test('a value seen twice without a cycle is fine; an undefined member is left out, as an optional field', () => {
    const shared = {x: 1};
    assert.equal(canonical({a: shared, b: shared, c: undefined}), '{"a":{"x":1},"b":{"x":1}}');
    assert.equal(canonical(Object.assign(Object.create(null) as object, {k: 'v'})), '{"k":"v"}');
  });
});

describe('digest', () => {
  test('is the SHA-256 of the canonical bytes, whatever the key order', () => {
    const a = digest({b: 1, a: [true, 'é']});
    assert.equal(a, digest({a: [true, 'é'], b: 1}));
    assert.equal(a, createHash('sha256').update('{"a":[true,"é"],"b":1}', 'utf8').digest('hex'));
    assert.equal(sha256Hex(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    assert.notEqual(a, digest({a: [true, 'é'], b: 2}));
  });
});
