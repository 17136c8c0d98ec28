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

const CLASSES: [string, RegExp, number][] = [
  ['a-z', /[a-z]/, 26],
  ['A-Z', /[A-Z]/, 26],
  ['0-9', /[0-9]/, 10],
  ['symbols', /[^A-Za-z0-9]/, 33],
];

export function shapeOf(value: string): SecretShape {
  const length = [...value].length;
  if (length === 0) return {length, classes: [], bits: 0};
  if (/^[0-9a-f]+$/i.test(value) && /[a-f]/i.test(value) && !(/[a-f]/.test(value) && /[A-F]/.test(value))) {
    return {length, classes: ['hex'], bits: adjust(value, length * 4)};
  }
  const present = CLASSES.filter(([, re]) => re.test(value));
  const pool = present.reduce((n, [, , size]) => n + size, 0);
  const bits = adjust(value, length * Math.log2(pool));
  return {length, classes: present.map(([name]) => name), bits: Math.min(bits, phraseBits(value))};
}

/**
 * Words joined by - _ . or spaces (`your-super-secret-key`) are worth about what a word list
 * gives, not what their letters suggest: count ~13 bits a word (a 8,000-word list). Random
 * base64 chunks are mixed-case with digits, so they do not look like words and are not cut.
 */
function phraseBits(value: string): number {
  const parts = value.split(/[-_. ]+/).filter(Boolean);
  if (parts.length < 2 || !parts.every((w) => /^[A-Z]?[a-z]+[0-9]{0,2}$|^[a-z]{0,3}[0-9]{1,2}$/.test(w))) return Infinity;
  return parts.length * 13;
}

/** Repetition and low variety cut the estimate: `aaaa…` or `abcabc…` are not random. */
function adjust(value: string, bits: number): number {
  const unit = /^(.+?)\1+$/s.exec(value)?.[1];
  if (unit) return Math.floor(Math.min(bits, shapeOf(unit).bits));
  const distinct = new Set(value).size;
  if (distinct < Math.min(8, value.length / 2)) return Math.floor(Math.min(bits, value.length * Math.log2(Math.max(distinct, 1))));
  return Math.floor(bits);
}

/** `48 chars, a-z A-Z 0-9, ~285 bits`: safe to print, log and export. */
export function redact(value: string | undefined): string {
  if (value === undefined) return 'not set';
  if (value === '') return 'empty';
  const s = shapeOf(value);
  return `${s.length} chars, ${s.classes.join(' ')}, ~${s.bits} bits`;
}

const PLACEHOLDER = [
  /^your[-_ ]/i,
  /change[-_ ]?(?:me|this|it)\b/i,
  /^<[^>]*>$/,
  /^\[[^\]]*\]$/,
  /^x{3,}$/i,
  /^\*{3,}$/,
  /^(?:todo|tbd|fixme|replace[-_]?me|placeholder|example|sample|secret|password|passwd|pass|default|test|dummy|null|none|undefined|admin|root|changeme)$/i,
];

/** A value that is obviously still a template's blank. */
export function isPlaceholder(value: string): boolean {
  return PLACEHOLDER.some((re) => re.test(value.trim()));
}

const SECRET_NAME = /pass(word|wd)?|secret|token|credential|private|(^|[_.-])(api[_-]?)?key($|[_.-])|dsn|auth|cookie|session|salt|seed|signing|masterkey/i;

/** A setting whose name says it holds a credential (JWT_SECRET, db.password, API_KEY…). */
export function looksSecret(name: string): boolean {
  const last = name.split(/[.\]/[]/).filter(Boolean).at(-1) ?? name;
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
