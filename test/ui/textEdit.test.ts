// The one-line text editor, fed raw terminal chunks as a read would deliver them: bursts of
// backspaces, pastes with and without bracketed-paste markers, and everything in between.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {editText, PASTE_END, PASTE_START, textState, type TextState} from '../../src/ui/textEdit.js';

const DEL = '\u007F';
const BS = '\b';
const DELETE = '\u001B[3~';
const paste = (s: string) => `${PASTE_START}${s}${PASTE_END}`;

/** Feeds chunks in order, as successive reads; returns the final state and whether the last chunk submitted. */
function feed(...chunks: string[]): {state: TextState; submit: boolean} {
  let state = textState();
  let submit = false;
  for (const c of chunks) ({state, submit} = editText(state, c));
  return {state, submit};
}
const value = (...chunks: string[]) => feed(...chunks).state.value;

describe('bursts of editing keys in one read', () => {
  test('ten DEL bytes in one chunk delete ten characters (the bug in issue 8)', () => {
    assert.equal(value('abcdefghij', DEL.repeat(10), 'Z'), 'Z');
    assert.equal(value(`abcdefghij${DEL.repeat(10)}Z`), 'Z', 'text, burst and text in one read');
  });

  test('a waiver expiry corrected with a burst is the date typed, not a splice', () => {
    assert.equal(value('2026-12', `${DEL.repeat(7)}2027-01-31`), '2027-01-31');
  });

  test('BS bytes (ctrl-h terminals) and Delete sequences erase the same way', () => {
    assert.equal(value('abcdef', BS.repeat(3)), 'abc');
    assert.equal(value(`abcdef${DELETE}${DELETE}${DELETE}`), 'abc', 'at the end of the text, Delete erases the last character');
    assert.equal(value('abcdef', `${DEL}${BS}${DELETE}x`), 'abcx');
  });

  test('more erases than characters leave an empty field, never an error', () => {
    assert.equal(value('ab', DEL.repeat(10)), '');
    assert.equal(value(DEL.repeat(3)), '');
  });

  test('an erase removes a whole character as seen, not half of it', () => {
    assert.equal(value(`cafe\u0301${DEL}`), 'caf', 'e with a combining accent');
    assert.equal(value(`ok 👍🏽${DEL}`), 'ok ', 'emoji with a skin tone');
    assert.equal(value(`日本${DEL}`), '日');
  });
});

describe('pastes', () => {
  test('bracketed paste markers never end up in the text', () => {
    const r = feed('note: ', paste('rotated on 2026-11-02'));
    assert.equal(r.state.value, 'note: rotated on 2026-11-02');
    assert.equal(r.state.pasting, false);
    assert.equal(r.submit, false);
  });

  test('a paste split across reads, markers cut mid-sequence, comes out whole', () => {
    assert.equal(value('\u001B[20', '0~hel', 'lo wor', 'ld\u001B[2', '01~'), 'hello world');
    const mid = feed('\u001B[200~hel');
    assert.equal(mid.state.pasting, true);
    assert.equal(mid.state.value, 'hel');
  });

  test('pasted line breaks become one space; trailing ones are dropped; a paste never submits', () => {
    const r = feed(paste('line one\r\nline two\n\nline three\n'));
    assert.equal(r.state.value, 'line one line two line three');
    assert.equal(r.submit, false);
    assert.equal(feed(paste('\r')).submit, false, 'a pasted Enter alone');
    assert.equal(value('x', paste('\n\ny')), 'x y');
    assert.equal(value(paste('one\n'), 'two'), 'onetwo', 'a break at the end of a paste is dropped');
    assert.equal(value(`${PASTE_START}one\n`, `two${PASTE_END}`), 'one two', 'a break at a read boundary inside a paste is kept');
  });

  test('control characters, colours and keys inside a paste are dropped', () => {
    assert.equal(value(paste('a\u001B[31mred\u001B[0m\u0003b\u007Fc\u001B[3~\u0000d\te')), 'aredbcd e');
  });

  test('backspaces and a paste mixed in one read', () => {
    assert.equal(value(`abc${DEL}${DEL}${paste('xyz')}${DEL}`), 'axy');
    assert.equal(value('draft', `${DEL.repeat(5)}${paste('final text')}!`), 'final text!');
  });
});

describe('Enter and line breaks outside a paste', () => {
  test('a line break that ends the read is Enter', () => {
    const r = feed('all three admins named\r');
    assert.deepEqual([r.state.value, r.submit], ['all three admins named', true]);
    assert.equal(feed('x\r\n').submit, true);
    assert.equal(feed('x', '\n').submit, true);
  });

  test('a line break with more text after it is an unbracketed paste: a space, no submit', () => {
    const r = feed('first line\nsecond line');
    assert.deepEqual([r.state.value, r.submit], ['first line second line', false]);
    const s = feed('a\nb\n');
    assert.deepEqual([s.state.value, s.submit], ['a b', true]);
  });

  test('a backspace after a line break takes back the break, not a letter', () => {
    const r = feed(`abc\r${DEL}`);
    assert.deepEqual([r.state.value, r.submit], ['abc', false]);
  });
});

describe('tab leaves the field', () => {
  test('a tab outside a paste stops editing and hands back the rest, for the next field', () => {
    const r = editText(textState('x'), `abc${DEL}\t2099-01-31\r`);
    assert.equal(r.state.value, 'xab');
    assert.equal(r.leave, 'next-field');
    assert.equal(r.rest, '2099-01-31\r');
    assert.equal(r.submit, false);
    const back = editText(textState(), 'a\u001B[Zb');
    assert.deepEqual([back.state.value, back.leave, back.rest], ['a', 'prev-field', 'b']);
  });

  test('inside a paste a tab is a space', () => {
    const r = feed(paste('a\tb'));
    assert.equal(r.state.value, 'a b');
    assert.equal(editText(textState(), paste('a\tb')).leave, undefined);
  });
});

describe('nothing but text is kept', () => {
  test('C0 and C1 controls, alt-keys, arrows and bidi overrides are dropped', () => {
    assert.equal(value('a\u0000b\u0001c\u001Bxd\u202Ee\u009Bf'), 'abcdef');
    assert.equal(value('ab\u001B[D\u001B[Cc\u001BOH'), 'abc');
  });

  test('a lone ESC at the end of a read waits for the rest of its sequence', () => {
    const first = feed('abc\u001B');
    assert.equal(first.state.pending, '\u001B');
    assert.equal(first.state.value, 'abc');
    assert.equal(editText(first.state, '[3~').state.value, 'ab');
  });

  test('a long run after ESC that never ends is not held forever', () => {
    const r = feed(`a\u001B[${'1;'.repeat(40)}`);
    assert.equal(r.state.pending, '');
    assert.doesNotMatch(r.state.value, /\p{Cc}/u);
  });

  test('the editor is pure: the same state and chunk give the same result, the input is untouched', () => {
    const s: TextState = {value: 'abc', pasting: false, pending: '', gap: false};
    const frozen = structuredClone(s);
    const a = editText(s, `${DEL}x`);
    const b = editText(s, `${DEL}x`);
    assert.deepEqual(a, b);
    assert.deepEqual(s, frozen);
  });

  test('whatever bytes arrive, in whatever reads, the value never holds a control character', () => {
    // A small deterministic generator: the same bytes every run.
    let seed = 42;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const parts = [
      'a',
      'Z',
      ' ',
      'é',
      '👍',
      DEL,
      BS,
      '\r',
      '\n',
      '\t',
      '\u0003',
      '\u001B',
      '[',
      '3',
      '~',
      '200~',
      '201~',
      PASTE_START,
      PASTE_END,
      DELETE,
      '\u001B[A',
      '\u009B',
      '\u202E',
    ];
    for (let run = 0; run < 300; run++) {
      let state = textState();
      for (let read = 0; read < 6; read++) {
        let chunk = '';
        for (let k = rnd(12); k > 0; k--) chunk += parts[rnd(parts.length)];
        state = editText(state, chunk).state;
        assert.doesNotMatch(state.value, /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u, JSON.stringify(state.value));
      }
    }
  });
});
