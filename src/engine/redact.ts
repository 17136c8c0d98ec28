/**
 * What may be said about a secret without saying it: its length, which kinds of characters
 * it uses, and an estimate of its strength. Nothing here returns any part of the value.
 */
export interface SecretShape {
  length: number;
  classes: string[];
  /** Estimated bits of entropy, assuming each character was drawn at random from its classes. */
  bits: number;
}

// Values reach this file from files other people wrote, and a check's timeout cannot interrupt
// synchronous work: so nothing below runs a regular expression over a value. Every test is a
// loop over its UTF-16 code units (what a regex without the u flag sees), linear in its length.

const isLower = (c: number): boolean => c >= 0x61 && c <= 0x7a;
const isUpper = (c: number): boolean => c >= 0x41 && c <= 0x5a;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
/** [A-Za-z0-9_], what \b counts as a word character. */
const isWordChar = (c: number): boolean => isLower(c) || isUpper(c) || isDigit(c) || c === 0x5f;

/** Character classes and how many characters each holds; `symbols` is everything else. */
const CLASSES: [string, number][] = [
  ['a-z', 26],
  ['A-Z', 26],
  ['0-9', 10],
  ['symbols', 33],
];

export function shapeOf(value: string): SecretShape {
  let length = 0;
  for (const _ of value) length++;
  if (length === 0) return {length, classes: [], bits: 0};
  let lower = false;
  let upper = false;
  let digit = false;
  let symbol = false;
  let hexLower = false; // a-f
  let hexUpper = false; // A-F
  let otherLetter = false; // g-z or G-Z
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (isLower(c)) {
      lower = true;
      if (c <= 0x66) hexLower = true;
      else otherLetter = true;
    } else if (isUpper(c)) {
      upper = true;
      if (c <= 0x46) hexUpper = true;
      else otherLetter = true;
    } else if (isDigit(c)) digit = true;
    else symbol = true;
  }
  // Only hex digits, at least one hex letter, and not both cases of them.
  if (!symbol && !otherLetter && (hexLower || hexUpper) && !(hexLower && hexUpper)) {
    return {length, classes: ['hex'], bits: adjust(value, length * 4)};
  }
  const present = CLASSES.filter(([name]) => (name === 'a-z' ? lower : name === 'A-Z' ? upper : name === '0-9' ? digit : symbol));
  const pool = present.reduce((n, [, size]) => n + size, 0);
  const classes = present.map(([name]) => name);
  const bits = adjust(value, length * Math.log2(pool));
  return {length, classes, bits: Math.min(bits, phraseBits(value))};
}

/**
 * Words joined by - _ . or spaces (`your-super-secret-key`) are worth about what a word list
 * gives, not what their letters suggest: count ~13 bits a word (a 8,000-word list). Random
 * base64 chunks are mixed-case with digits, so they do not look like words and are not cut.
 */
function phraseBits(value: string): number {
  const isSep = (c: number) => c === 0x2d || c === 0x5f || c === 0x2e || c === 0x20; // - _ . space
  let words = 0;
  let start = -1;
  for (let i = 0; i <= value.length; i++) {
    if (i < value.length && !isSep(value.charCodeAt(i))) {
      if (start < 0) start = i;
      continue;
    }
    if (start < 0) continue;
    if (!isWord(value, start, i)) return Infinity;
    words++;
    start = -1;
  }
  return words < 2 ? Infinity : words * 13;
}

/** value[from, to) is `[A-Z]?[a-z]+[0-9]{0,2}` or `[a-z]{0,3}[0-9]{1,2}`. */
function isWord(value: string, from: number, to: number): boolean {
  const digitsTo = (i: number) => {
    while (i < to && isDigit(value.charCodeAt(i))) i++;
    return i === to;
  };
  let i = from;
  if (isUpper(value.charCodeAt(i))) i++;
  let j = i;
  while (j < to && isLower(value.charCodeAt(j))) j++;
  if (j > i && to - j <= 2 && digitsTo(j)) return true;
  let k = from;
  while (k < to && isLower(value.charCodeAt(k))) k++;
  return k - from <= 3 && to - k >= 1 && to - k <= 2 && digitsTo(k);
}

/** Repetition and low variety cut the estimate: `aaaa…` or `abcabc…` are not random. */
function adjust(value: string, bits: number): number {
  const unit = repeatedUnit(value);
  if (unit !== undefined) return Math.floor(Math.min(bits, shapeOf(unit).bits));
  const distinct = new Set(value).size;
  if (distinct < Math.min(8, value.length / 2)) return Math.floor(Math.min(bits, value.length * Math.log2(Math.max(distinct, 1))));
  return Math.floor(bits);
}

/**
 * The shortest `u` such that value is `u` repeated two or more times (what `/^(.+?)\1+$/s`
 * finds, without its quadratic backtracking), else undefined. The KMP prefix function gives the
 * smallest period p of the string; the value is a repetition exactly when p divides its length.
 */
function repeatedUnit(value: string): string | undefined {
  const n = value.length;
  if (n < 2) return undefined;
  const border = new Int32Array(n);
  for (let i = 1, k = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    while (k > 0 && value.charCodeAt(k) !== c) k = border[k - 1]!;
    if (value.charCodeAt(k) === c) k++;
    border[i] = k;
  }
  const period = n - border[n - 1]!;
  return period < n && n % period === 0 ? value.slice(0, period) : undefined;
}

/** `48 chars, a-z A-Z 0-9, ~285 bits`: safe to print, log and export. */
export function redact(value: string | undefined): string {
  if (value === undefined) return 'not set';
  if (value === '') return 'empty';
  const s = shapeOf(value);
  return `${s.length} chars, ${s.classes.join(' ')}, ~${s.bits} bits`;
}

/** Whole values that are a template's blank, compared without regard to ASCII case. */
const PLACEHOLDER_WORDS = new Set(
  [
    'todo tbd fixme replaceme replace-me replace_me placeholder example sample secret',
    'password passwd pass default test dummy null none undefined admin root changeme',
  ]
    .join(' ')
    .split(' '),
);
const LONGEST_WORD = Math.max(...[...PLACEHOLDER_WORDS].map((w) => w.length));

/**
 * A value that is obviously still a template's blank: `your-...`, `change me/this/it` anywhere,
 * `<...>`, `[...]`, `xxx`, `***`, or a word such as `changeme` or `TODO`.
 */
export function isPlaceholder(value: string): boolean {
  const v = value.trim();
  return (
    (startsWithAt(v, 0, 'your') && v.length > 4 && ' -_'.includes(v[4]!)) ||
    hasChangeMe(v) ||
    enclosed(v, '<', '>') ||
    enclosed(v, '[', ']') ||
    (v.length >= 3 && every(v, (c) => c === 0x78 || c === 0x58)) || // x or X
    (v.length >= 3 && every(v, (c) => c === 0x2a)) || // *
    (v.length <= LONGEST_WORD && PLACEHOLDER_WORDS.has(asciiLower(v)))
  );
}

/** `change`, an optional - _ or space, then me, this or it, ending a word (`/change[-_ ]?(?:me|this|it)\b/i`). */
function hasChangeMe(v: string): boolean {
  for (let i = 0; i + 8 <= v.length; i++) {
    if (!startsWithAt(v, i, 'change')) continue;
    let at = i + 6;
    if (' -_'.includes(v[at] ?? 'x')) at++;
    for (const word of ['me', 'this', 'it']) {
      if (startsWithAt(v, at, word) && !(at + word.length < v.length && isWordChar(v.charCodeAt(at + word.length)))) return true;
    }
  }
  return false;
}

/** v[at...] starts with the lower-case ASCII `word`, in either case. */
function startsWithAt(v: string, at: number, word: string): boolean {
  if (at < 0 || at + word.length > v.length) return false;
  for (let i = 0; i < word.length; i++) {
    const c = v.charCodeAt(at + i);
    if ((isUpper(c) ? c + 0x20 : c) !== word.charCodeAt(i)) return false;
  }
  return true;
}

/** `open`, then anything but `close`, then `close` at the end. */
function enclosed(v: string, open: string, close: string): boolean {
  return v[0] === open && v.indexOf(close, 1) === v.length - 1;
}

function every(v: string, test: (c: number) => boolean): boolean {
  for (let i = 0; i < v.length; i++) if (!test(v.charCodeAt(i))) return false;
  return true;
}

/** Lower-cases A-Z only, as a regex's i flag matches ASCII letters. */
function asciiLower(v: string): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    out += isUpper(c) ? String.fromCharCode(c + 0x20) : v[i];
  }
  return out;
}

const SECRET_NAME = /pass(word|wd)?|secret|token|credential|private|(^|[_.-])(api[_-]?)?key($|[_.-])|dsn|auth|cookie|session|salt|seed|signing|masterkey/i;

/** A setting whose name says it holds a credential (JWT_SECRET, db.password, API_KEY…). */
export function looksSecret(name: string): boolean {
  const last =
    name
      .split(/[.\]/[]/)
      .filter(Boolean)
      .at(-1) ?? name;
  return SECRET_NAME.test(last);
}

/**
 * How a setting's value may be shown: redacted when its name looks like a credential (or the
 * caller says it is one), with any password inside a URL masked, otherwise as written.
 */
export function display(name: string, value: string | undefined, secret = false): string {
  if (value === undefined) return 'not set';
  if (value === '') return 'empty';
  if (secret || looksSecret(name)) return redact(value);
  try {
    const u = new URL(value);
    if (u.password) {
      u.password = '***';
      return JSON.stringify(u.toString());
    }
  } catch {
    /* not a URL */
  }
  return JSON.stringify(value);
}
