import {parse as dotenvParse} from 'dotenv';
import {interpolate} from '../sources/interpolate.js';

/**
 * Lossless edits of .env files. Two readers matter and they disagree in places: the npm
 * `dotenv` package (our own reader, and many apps') and Docker Compose's (compose-go's
 * dotenv parser plus interpolation). A value is written only in a form both read back as the
 * same string, and every edit is read back by both before it is returned.
 */

/** Key names both readers accept and Compose can interpolate or pass through. */
const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * Characters that mean the same bare in both readers: no whitespace (trimmed), no `#` (dotenv
 * cuts there, old Compose too), no quotes (either reader may strip a pair), no `$` (Compose
 * interpolates), no backslash (Compose escapes in some positions).
 */
const BARE = /^[A-Za-z0-9_\-.+/=:@,%^~]*$/;

/** Line breaks in any reader's sense: dotenv's regexes also stop at U+2028 and U+2029. */
const LINE_BREAK = /[\r\n\u2028\u2029]/;
// Tab is fine inside quotes; other control characters are trimmed or mangled by one reader or the other.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;

/**
 * The value as it should stand after `KEY=`: bare when that is safe, else single quotes
 * (literal in both readers), else double quotes for a value holding `'` but nothing either
 * reader would expand. Throws when no form reads back the same in both.
 */
export function quoteEnvValue(value: string): string {
  if (LINE_BREAK.test(value))
    throw new Error(
      'the value has a line break, which dotenv and Docker Compose read differently in a .env file; put it in a file and point to that file instead',
    );
  if (CONTROL.test(value)) throw new Error('the value has a control character, which cannot be written to a .env file safely');
  if (BARE.test(value)) return value;
  if (!value.includes("'")) {
    // Compose reads \' as an escaped quote, so a trailing backslash would swallow the closing one.
    if (value.endsWith('\\'))
      throw new Error('the value ends with a backslash and has characters that need quoting; no quoting reads the same in dotenv and Docker Compose');
    return `'${value}'`;
  }
  // Double quotes: dotenv expands only \n and \r, Compose expands escapes and $, so neither may appear.
  if (!/["\\$]/.test(value)) return `"${value}"`;
  throw new Error(`the value has a single quote and one of " \\ $, which no quoting reads the same in dotenv and Docker Compose; choose a value without them`);
}

/** Where the last definition of a key stands in the text. */
interface Definition {
  line: number;
  /** Offsets of the value as written (quotes included). */
  valueStart: number;
  valueEnd: number;
  /** Offset of the line break (or end of text) after the value. */
  lineEnd: number;
  quoted: boolean;
}

// Indent, optional export, key, = (or dotenv's `KEY: value`), and the blanks before the value.
const DEF = /^([^\S\r\n]*(?:export[^\S\r\n]+)?)([A-Za-z_][A-Za-z0-9_.-]*)([^\S\r\n]*(?:=|:(?=[^\S\r\n]))[^\S\r\n]*)/;

/**
 * Sets `key` to `value`: replaces the value of its last definition (the one dotenv and
 * Compose use) or appends `KEY=value`. Every other byte stays as it was: comments, order,
 * blank lines, `export`, other keys' quoting, CRLF, and a comment after the old value.
 * `file` names the file in errors.
 */
export function setEnvValue(text: string, key: string, value: string, file = '.env'): string {
  if (!KEY.test(key))
    throw new Error(`${file}: "${key}" is not a name dotenv and Docker Compose both accept (letters, digits, _ . -, not starting with a digit)`);
  let written: string;
  try {
    written = quoteEnvValue(value);
  } catch (err) {
    throw new Error(`${file}: cannot write ${key}: ${(err as Error).message}`);
  }
  const def = lastDefinition(text, key, file);
  let out: string;
  if (def === undefined) {
    out = appendLine(text, `${key}=${written}`);
  } else {
    const suffix = text.slice(def.valueEnd, def.lineEnd);
    if (def.quoted && !/^[ \t]*(?:#.*)?$/.test(suffix)) {
      throw new Error(`${file}:${def.line}: there is text after the closing quote of ${key}; fix that line by hand, then run Shipshape again`);
    }
    const hash = suffix.indexOf('#');
    // Compose ends a bare value only at " #" (and takes `KEY= # x` as the value "# x"), so a
    // bare value before a comment that does not start with a space goes in quotes.
    if (hash >= 0 && !/^['"]/.test(written) && (written === '' || suffix[hash - 1] !== ' ')) written = `'${value}'`;
    out = text.slice(0, def.valueStart) + written + text.slice(def.valueEnd);
  }
  checkReadBack(text, out, key, value, file);
  return out;
}

/** Appends a line, with the file's line ending, keeping whether the file ends with one. */
function appendLine(text: string, line: string): string {
  const eol = /\r?\n/.exec(text)?.[0] ?? '\n';
  if (text === '') return line + eol;
  return text.endsWith('\n') ? text + line + eol : text + eol + line;
}

function lastDefinition(text: string, key: string, file: string): Definition | undefined {
  let found: Definition | undefined;
  let pos = 0;
  let line = 1;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const end = nl < 0 ? text.length : nl;
    const m = DEF.exec(text.slice(pos, end));
    let next = nl < 0 ? text.length : nl + 1;
    let nextLine = line + 1;
    if (m) {
      const valueStart = pos + m[0].length;
      const quote = text[valueStart];
      if (quote === '"' || quote === "'" || quote === '`') {
        const close = closingQuote(text, valueStart + 1, quote);
        if (close < 0) throw new Error(`${file}:${line}: the ${quote} quote opened here never closes; fix the file by hand first`);
        const lineEnd = breakAt(text, close + 1);
        nextLine = line + countBreaks(text, valueStart, close) + 1;
        next = lineEnd === text.length ? lineEnd : text.indexOf('\n', lineEnd) + 1;
        if (m[2] === key) found = {line, valueStart, valueEnd: close + 1, lineEnd, quoted: true};
      } else if (m[2] === key) {
        const lineEnd = breakAt(text, valueStart);
        const rest = text.slice(valueStart, lineEnd);
        const comment = /[ \t]+#/.exec(rest)?.index;
        const bare = (comment === undefined ? rest : rest.slice(0, comment)).replace(/[ \t]+$/, '');
        found = {line, valueStart, valueEnd: valueStart + bare.length, lineEnd, quoted: false};
      }
    }
    pos = next;
    line = nextLine;
  }
  return found;
}

/** Index of the closing quote, or -1. Double quotes honour \" as dotenv and our reader do. */
function closingQuote(text: string, from: number, quote: string): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] === '\\' && quote === '"') i++;
    else if (text[i] === quote) return i;
  }
  return -1;
}

/** Offset of the line break (its \r when CRLF) at or after `from`, or the text's length. */
function breakAt(text: string, from: number): number {
  const nl = text.indexOf('\n', from);
  if (nl < 0) return text.length;
  return text[nl - 1] === '\r' && nl - 1 >= from ? nl - 1 : nl;
}

function countBreaks(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * The edit must mean exactly "key is now value" to both readers: anything else (another key
 * read differently, the value mangled) is a bug or a file we do not understand, and refused.
 */
function checkReadBack(before: string, after: string, key: string, value: string, file: string): void {
  const refuse = (reader: string, what: string) =>
    new Error(`${file}: setting ${key} would make ${reader} read ${what} differently; the file was left unchanged, set ${key} by hand`);
  const d0 = dotenvParse(before);
  const d1 = dotenvParse(after);
  if (d1[key] !== value) throw refuse('dotenv', key);
  for (const k of new Set([...Object.keys(d0), ...Object.keys(d1)])) if (k !== key && d0[k] !== d1[k]) throw refuse('dotenv', k);
  let c0: Map<string, string>;
  try {
    c0 = composeEnvValues(before, {expand: false});
  } catch {
    return; // Compose cannot read the file as it is; there is nothing of Compose's to keep.
  }
  let c1: Map<string, string>;
  try {
    c1 = composeEnvValues(after, {expand: false});
  } catch {
    throw refuse('Docker Compose', 'the file');
  }
  for (const k of new Set([...c0.keys(), ...c1.keys()])) if (k !== key && c0.get(k) !== c1.get(k)) throw refuse('Docker Compose', k);
  if (readBackEnv(after, key).compose !== value) throw refuse('Docker Compose', key);
}

export interface ReadBack {
  /** What the npm dotenv package reads (undefined: not defined). */
  dotenv: string | undefined;
  /** What Docker Compose reads, with `$` interpolated from earlier keys of the same file. */
  compose: string | undefined;
}

/** What both readers make of `key`, for verifying a written file. */
export function readBackEnv(text: string, key: string): ReadBack {
  let compose: string | undefined;
  try {
    compose = composeEnvValues(text).get(key);
  } catch {
    compose = undefined;
  }
  return {dotenv: dotenvParse(text)[key], compose};
}

// Go's unicode.IsSpace, and compose-go's isSpace (blanks that are not a line break).
const GO_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;
const LINE_SPACE = /[\t\v\f\r \u0085\u00a0]/;

/**
 * Docker Compose's reading of a .env file: a model of compose-go's dotenv parser
 * (compose-spec/compose-go, dotenv/parser.go), with Compose interpolation from
 * src/sources/interpolate.ts. Variables come only from earlier keys of the same file (Compose
 * also looks at the process environment; that is the caller's business). `expand: false`
 * gives the values as written, before escapes and `$`, for comparing two versions of a file.
 * Throws where Compose would refuse the file.
 */
export function composeEnvValues(text: string, o: {expand?: boolean} = {}): Map<string, string> {
  const expand = o.expand ?? true;
  const out = new Map<string, string>();
  const lookup = (name: string) => out.get(name);
  let src = text.startsWith('\uFEFF') ? text.slice(1) : text;
  for (;;) {
    src = statementStart(src);
    if (src === '') return out;
    if (/^export[\t\n\f\r ]/.test(src)) src = trimStart(src.slice('export'.length), LINE_SPACE);
    // Compose's key is everything up to = or : (or a line break: a name taken from the
    // environment); with none of them the key is empty and the whole text is the value.
    let key = '';
    let offset = 0;
    let inherited = false;
    let i = 0;
    for (const ch of src) {
      if (ch === '=' || ch === ':' || ch === '\n') {
        key = src.slice(0, i);
        offset = i + 1;
        inherited = ch === '\n';
        break;
      }
      if (!LINE_SPACE.test(ch) && !'_.-[]'.includes(ch) && !/[\p{L}\p{N}]/u.test(ch)) throw new Error(`unexpected character "${ch}" in variable name`);
      i += ch.length;
    }
    key = trimEnd(key, GO_SPACE);
    if (key.includes(' ')) throw new Error('key cannot contain a space');
    const rest = trimStart(src.slice(offset), LINE_SPACE);
    if (inherited) {
      src = rest;
      continue;
    }
    const quote = rest[0];
    if (quote !== '"' && quote !== "'") {
      const nl = rest.indexOf('\n');
      let value = nl < 0 ? rest : rest.slice(0, nl);
      const hash = value.indexOf(' #');
      if (hash >= 0) value = value.slice(0, hash);
      value = trimEnd(value, GO_SPACE);
      out.set(key, expand ? interpolate(value, lookup).value : value);
      src = nl < 0 ? '' : rest.slice(nl + 1);
      continue;
    }
    let chars = '';
    let escaped = false;
    let close = -1;
    for (let i = 1; i < rest.length; i++) {
      const ch = rest[i]!;
      if (ch !== quote) {
        if (!escaped && ch === '\\') {
          escaped = true;
          continue;
        }
        if (escaped) chars += '\\';
        escaped = false;
        chars += ch;
      } else if (escaped) {
        escaped = false;
        chars += ch;
      } else {
        close = i;
        break;
      }
    }
    if (close < 0) throw new Error(`unterminated quoted value for ${key}`);
    out.set(key, quote === '"' && expand ? interpolate(expandEscapes(chars), lookup).value : chars);
    src = rest.slice(close + 1);
  }
}

function statementStart(src: string): string {
  for (;;) {
    let i = 0;
    while (i < src.length && GO_SPACE.test(src[i]!)) i++;
    if (i === src.length) return '';
    if (src[i] !== '#') return src.slice(i);
    const nl = src.indexOf('\n', i);
    if (nl < 0) return '';
    src = src.slice(nl);
  }
}

/** compose-go's expandEscapes: the Go escapes it allows, and `\$` as Compose's `$$`. */
function expandEscapes(s: string): string {
  const simple: Record<string, string> = {a: '\x07', b: '\b', c: '\\c', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '"': '"', '\\': '\\', $: '$$'};
  return s.replace(/\\(?:[abcfnrtv$"\\]|0\d{0,3})/g, (m) => {
    if (m[1] !== '0') return simple[m[1]!]!;
    // `\0ddd` is Go's `\ddd` octal; anything shorter is not an escape and stays.
    return /^\\0[0-7]{3}$/.test(m) && Number.parseInt(m.slice(2), 8) < 256 ? String.fromCharCode(Number.parseInt(m.slice(2), 8)) : m;
  });
}

function trimStart(s: string, space: RegExp): string {
  let i = 0;
  while (i < s.length && space.test(s[i]!)) i++;
  return s.slice(i);
}

function trimEnd(s: string, space: RegExp): string {
  let i = s.length;
  while (i > 0 && space.test(s[i - 1]!)) i--;
  return s.slice(0, i);
}
