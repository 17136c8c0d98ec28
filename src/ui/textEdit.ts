/**
 * One-line text editing over raw terminal input. A terminal hands over whatever arrived in one
 * read: a held backspace over SSH or tmux comes as ten DEL bytes in one chunk, a paste as the
 * whole text, often wrapped in bracketed-paste markers. Taking such a chunk as "typed text"
 * saved DEL bytes into notes; this reads it byte by byte instead, so the value is what the
 * person saw, and no control character is ever kept.
 *
 * Editing happens at the end of the value (the caret is always there), so Backspace (DEL or BS)
 * and Delete (ESC[3~) both remove the last character: Ink reports the two keys alike anyway.
 *
 * Line breaks in a one-line field:
 * - inside a bracketed paste (ESC[200~ … ESC[201~) a run of line breaks becomes one space, and
 *   breaks at the end of the paste are dropped, so pasting never submits;
 * - outside a paste, a line break that ends the chunk is Enter (submit); one followed by more
 *   text in the same chunk can only be an unbracketed paste, and becomes a space like above.
 *
 * Tab (and shift-tab) outside a paste leaves the field: editing stops there and the rest of the
 * chunk is handed back, for the next field. Inside a paste a tab is a space.
 */

export interface TextState {
  value: string;
  /** Between ESC[200~ and ESC[201~; a paste may span several reads. */
  pasting: boolean;
  /** The start of an escape sequence cut off at the end of the last chunk. */
  pending: string;
  /** A line break not yet placed: a space before the next text, unless the paste ends first. */
  gap: boolean;
}

export interface EditResult {
  state: TextState;
  /** The chunk ended with Enter (outside a paste). */
  submit: boolean;
  /** A tab or shift-tab outside a paste: move to that field and give it `rest`. */
  leave?: 'next-field' | 'prev-field';
  /** Input after the tab, not read yet ('' unless `leave`). */
  rest: string;
}

export const PASTE_START = '\u001B[200~';
export const PASTE_END = '\u001B[201~';
const DELETE = '\u001B[3~';
const SHIFT_TAB = '\u001B[Z';
const ESC = '\u001B';
/** Longer than any key sequence: a "pending" sequence this long is noise, not a key. */
const MAX_PENDING = 32;

export function textState(value = ''): TextState {
  return {value, pasting: false, pending: '', gap: false};
}

/** A piece of input, and where the input after it starts. */
type Token = (
  | {kind: 'text'; text: string}
  | {kind: 'break'}
  | {kind: 'erase'}
  | {kind: 'tab'}
  | {kind: 'seq'; seq: string}
  | {kind: 'incomplete'; rest: string}
) & {end: number};

export function editText(state: TextState, chunk: string): EditResult {
  let value = state.value;
  let pasting = state.pasting;
  let pending = '';
  let gap = state.gap;
  // A line break outside a paste with nothing after it so far: Enter, if the chunk ends here.
  let enter = false;

  const insert = (text: string) => {
    if (text === '') return;
    if (gap && value !== '' && !/\s$/u.test(value)) value += ' ';
    gap = false;
    enter = false;
    value += text;
  };
  const erase = () => {
    enter = false;
    // A break not yet placed is the space it would have become: that is what goes.
    if (gap && value !== '' && !/\s$/u.test(value)) gap = false;
    else value = dropLast(value);
  };

  const input = state.pending + chunk;
  for (const t of tokens(input)) {
    const leave = t.kind === 'tab' ? 'next-field' : t.kind === 'seq' && t.seq === SHIFT_TAB ? 'prev-field' : undefined;
    if (leave && !pasting) return {state: {value, pasting, pending: '', gap: false}, submit: false, leave, rest: input.slice(t.end)};
    switch (t.kind) {
      case 'incomplete':
        pending = t.rest;
        break;
      case 'seq':
        if (t.seq === PASTE_START) {
          pasting = true;
        } else if (t.seq === PASTE_END) {
          pasting = false;
          gap = false;
          enter = false;
        } else if (t.seq === DELETE && !pasting) {
          erase();
        }
        // Every other sequence (arrows, function keys, colours in a paste) is not text.
        break;
      case 'break':
        gap = true;
        if (!pasting) enter = true;
        break;
      case 'erase':
        // A DEL or BS inside a paste is pasted noise, not a key.
        if (!pasting) erase();
        break;
      case 'tab':
        insert(' ');
        break;
      case 'text':
        insert(t.text);
        break;
    }
  }
  // A break followed by something other than text (say, a backspace) is not Enter either.
  const submit = enter && pending === '';
  return {state: {value, pasting, pending, gap: gap && !submit}, submit, rest: ''};
}

/** The last character as a person sees it (é, 👍🏽), not the last code unit. */
function dropLast(value: string): string {
  if (value === '') return value;
  let last = 0;
  for (const s of segmenter().segment(value)) last = s.index;
  return value.slice(0, last);
}

let seg: Intl.Segmenter | undefined;
const segmenter = () => (seg ??= new Intl.Segmenter(undefined, {granularity: 'grapheme'}));

/**
 * Characters never kept: C0 and C1 controls (tab and line breaks are handled before), and the
 * bidirectional overrides that can make a saved note read differently in a review than on screen.
 */
const UNSAFE = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/gu;

function* tokens(s: string): Generator<Token> {
  let i = 0;
  let text = '';
  // Controls are removed from whole runs, so a surrogate pair is never split.
  const flush = function* (): Generator<Token> {
    const clean = text.replace(UNSAFE, '');
    text = '';
    if (clean !== '') yield {kind: 'text', text: clean, end: i};
  };
  while (i < s.length) {
    const c = s[i]!;
    if (c === ESC) {
      yield* flush();
      const end = escapeEnd(s, i);
      if (end === undefined) {
        // Cut off at the end of the chunk: wait for the rest, unless it is too long to be a key.
        if (s.length - i <= MAX_PENDING) {
          yield {kind: 'incomplete', rest: s.slice(i), end: s.length};
          return;
        }
        i += 1;
        continue;
      }
      const seq = s.slice(i, end);
      i = end;
      yield {kind: 'seq', seq, end};
      continue;
    }
    const single = c === '\r' || c === '\n' ? 'break' : c === '\u007F' || c === '\b' ? 'erase' : c === '\t' ? 'tab' : undefined;
    if (single) {
      yield* flush();
      i += 1;
      yield {kind: single, end: i};
      continue;
    }
    text += c;
    i += 1;
  }
  yield* flush();
}

/**
 * Where the escape sequence starting at `i` ends (exclusive), or undefined when the chunk ends
 * first. CSI (ESC [ … final), SS3 (ESC O x), OSC (ESC ] … BEL or ESC \), ESC ESC (meta) and
 * ESC plus one character (alt+key) are recognised.
 */
function escapeEnd(s: string, i: number): number | undefined {
  const next = s[i + 1];
  if (next === undefined) return undefined;
  if (next === '[') {
    for (let j = i + 2; j < s.length; j++) {
      const b = s.charCodeAt(j);
      if (b >= 0x20 && b <= 0x3f) continue;
      // Legacy function keys: ESC [ [ A.
      if (b === 0x5b && j === i + 2) continue;
      if (b >= 0x40 && b <= 0x7e) return j + 1;
      // Not a sequence after all: drop the ESC [ and read on.
      return j;
    }
    return undefined;
  }
  if (next === 'O') return i + 2 < s.length ? i + 3 : undefined;
  if (next === ']') {
    for (let j = i + 2; j < s.length; j++) {
      if (s[j] === '\u0007') return j + 1;
      if (s[j] === ESC) return s[j + 1] === undefined ? undefined : s[j + 1] === '\\' ? j + 2 : j;
    }
    return undefined;
  }
  if (next === ESC) return i + 1;
  const cp = s.codePointAt(i + 1)!;
  return i + 1 + (cp > 0xffff ? 2 : 1);
}
