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

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

export function interpolate(text: string, lookup: Lookup): Interpolated {
  const out: Interpolated = {value: '', refs: [], missing: [], usedDefault: false, required: []};
  out.value = expand(text, lookup, out);
  const sole = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(?::?[-?+]).*)?\}$|^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(text);
  // The brace that closes the opening `${` must be the last character: `${A:-x}y}` is not one reference.
  if (sole && out.refs.length === 1 && (sole[2] !== undefined || matchingBrace(text, 2) === text.length - 1)) out.soleRef = sole[1] ?? sole[2];
  return out;
}

function expand(text: string, lookup: Lookup, acc: Interpolated): string {
  let value = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch !== '$') {
      value += ch;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      value += '$';
      i += 2;
    } else if (next === '{') {
      const close = matchingBrace(text, i + 2);
      if (close < 0) throw new InterpolationError(`"\${" at character ${i + 1} is never closed`);
      value += braced(text.slice(i + 2, close), lookup, acc);
      i = close + 1;
    } else {
      const name = NAME.exec(text.slice(i + 1))?.[0];
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

function braced(body: string, lookup: Lookup, acc: Interpolated): string {
  const name = NAME.exec(body)?.[0];
  if (!name) throw new InterpolationError('a "${...}" reference does not start with a variable name');
  acc.refs.push(name);
  const rest = body.slice(name.length);
  const v = lookup(name);
  if (rest === '') {
    if (v === undefined) acc.missing.push(name);
    return v ?? '';
  }
  const op = /^(:?)([-?+])/.exec(rest);
  if (!op) throw new InterpolationError(`"\${${name}...}": unexpected characters after the variable name (use :-, -, :?, ?, :+ or +)`);
  const emptyCounts = op[1] === ':';
  const arg = rest.slice(op[0].length);
  const isSet = v !== undefined && (!emptyCounts || v !== '');
  switch (op[2]) {
    case '-':
      if (isSet) return v;
      acc.usedDefault = true;
      return expand(arg, lookup, acc);
    case '?':
      if (isSet) return v;
      acc.required.push(name);
      return '';
    default:
      return isSet ? expand(arg, lookup, acc) : '';
  }
}

function matchingBrace(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return i;
  }
  return -1;
}
