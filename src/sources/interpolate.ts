/**
 * Compose variable interpolation (the Compose spec's "Interpolation" section): `$VAR`,
 * `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?err}`, `${VAR?err}`, `${VAR:+alt}`,
 * `${VAR+alt}`, nested defaults, and `$$` for a literal `$`.
 */
export interface Interpolated {
  value: string;
  /** Every variable the text refers to. */
  refs: string[];
  /** Variables that were unset and had no default. */
  missing: string[];
  /** True when some `${VAR:-default}` fell back to its default. */
  usedDefault: boolean;
  /** When the whole text is one `${VAR...}` reference, that variable. */
  soleRef?: string;
  /** `${VAR:?message}` with VAR unset: Compose refuses to start. */
  required: string[];
}

export class InterpolationError extends Error {}

type Lookup = (name: string) => string | undefined;

/** `${A:-${B:-...}}` nested deeper than this is refused (nothing real comes close). */
export const MAX_INTERPOLATION_DEPTH = 64;

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;

/** The variable name starting at `at`, or '' (sticky match: nothing is sliced or scanned past it). */
function nameAt(text: string, at: number): string {
  NAME.lastIndex = at;
  return NAME.exec(text)?.[0] ?? '';
}

export function interpolate(text: string, lookup: Lookup): Interpolated {
  const out: Interpolated = {value: '', refs: [], missing: [], usedDefault: false, required: []};
  const braces = closingBraces(text);
  out.value = expand(text, 0, text.length, lookup, out, braces, 0);
  const sole = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(?::?[-?+]).*)?\}$|^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(text);
  // The brace that closes the opening `${` must be the last character: `${A:-x}y}` is not one reference.
  if (sole && out.refs.length === 1 && (sole[2] !== undefined || braces(1) === text.length - 1)) out.soleRef = sole[1] ?? sole[2];
  return out;
}

/**
 * Expands text[from, to). Positions in messages count from `from`, as they did when each
 * nested default was expanded as a string of its own.
 */
function expand(text: string, from: number, to: number, lookup: Lookup, acc: Interpolated, braces: Closing, depth: number): string {
  if (depth > MAX_INTERPOLATION_DEPTH) throw new InterpolationError(`"\${...}" defaults nest more than ${MAX_INTERPOLATION_DEPTH} deep`);
  let value = '';
  let i = from;
  while (i < to) {
    if (text[i] !== '$') {
      const dollar = text.indexOf('$', i);
      const end = dollar < 0 || dollar > to ? to : dollar;
      value += text.slice(i, end);
      i = end;
      continue;
    }
    const next = i + 1 < to ? text[i + 1] : undefined;
    if (next === '$') {
      value += '$';
      i += 2;
    } else if (next === '{') {
      const close = braces(i + 1);
      if (close === undefined || close >= to) throw new InterpolationError(`"\${" at character ${i - from + 1} is never closed`);
      value += braced(text, i + 2, close, lookup, acc, braces, depth);
      i = close + 1;
    } else {
      const name = nameAt(text, i + 1).slice(0, to - i - 1);
      if (!name) {
        value += '$';
        i++;
        continue;
      }
      acc.refs.push(name);
      const v = lookup(name);
      if (v === undefined) acc.missing.push(name);
      value += v ?? '';
      i += 1 + name.length;
    }
  }
  return value;
}

/** The body text[from, to) of a `${...}`. */
function braced(text: string, from: number, to: number, lookup: Lookup, acc: Interpolated, braces: Closing, depth: number): string {
  const name = nameAt(text, from).slice(0, to - from);
  if (!name) throw new InterpolationError('a "${...}" reference does not start with a variable name');
  acc.refs.push(name);
  const v = lookup(name);
  let at = from + name.length;
  if (at === to) {
    if (v === undefined) acc.missing.push(name);
    return v ?? '';
  }
  const emptyCounts = text[at] === ':' && at + 1 < to && '-?+'.includes(text[at + 1]!);
  if (emptyCounts) at++;
  const op = text[at]!;
  if (!'-?+'.includes(op)) throw new InterpolationError(`"\${${name}...}": unexpected characters after the variable name (use :-, -, :?, ?, :+ or +)`);
  const argFrom = at + 1;
  const isSet = v !== undefined && (!emptyCounts || v !== '');
  switch (op) {
    case '-':
      if (isSet) return v;
      acc.usedDefault = true;
      return expand(text, argFrom, to, lookup, acc, braces, depth + 1);
    case '?':
      if (isSet) return v;
      acc.required.push(name);
      return '';
    default:
      return isSet ? expand(text, argFrom, to, lookup, acc, braces, depth + 1) : '';
  }
}

/** Index of the `}` that closes the `{` at an index, or undefined. */
type Closing = (open: number) => number | undefined;

/**
 * Where each `{` closes, found in one pass (a stack of open braces), so nested references are
 * not each rescanned to the end: `${A:-${B:-...}}` n deep cost n² before.
 */
function closingBraces(text: string): Closing {
  const first = text.indexOf('{');
  if (first < 0) return () => undefined;
  const close = new Int32Array(text.length); // index of the closing brace + 1; 0 for none
  const open: number[] = [];
  for (let i = first; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b) open.push(i);
    else if (c === 0x7d && open.length > 0) close[open.pop()!] = i + 1;
  }
  return (at) => (close[at] ? close[at]! - 1 : undefined);
}
