// RFC 8785 JSON Canonicalization Scheme (JCS): one byte sequence for one JSON value, so that a
// fingerprint or a signature made here verifies anywhere (another machine, another language).
//   - object members sorted by their names' UTF-16 code units, recursively; arrays keep order;
//   - numbers as ECMAScript's Number-to-String (what JSON.stringify gives), -0 as 0;
//   - strings escaped as JSON.stringify does: \b \t \n \f \r \" \\ and \u00xx (lower-case hex)
//     for the other controls, every other character as itself;
//   - no whitespace.
// What JSON cannot carry is refused with the path to it, never silently dropped or changed:
// NaN and the infinities, undefined in an array, lone surrogates (I-JSON), bigint, functions,
// symbols, cycles, and objects that are not plain (Date, Map, class instances: convert them first).
import {createHash} from 'node:crypto';

/** Why a value has no canonical JSON form, with the path to the offending part (`$.a[2]`). */
export class CanonicalJsonError extends Error {
  constructor(
    readonly path: string,
    why: string,
  ) {
    super(`${path}: ${why}`);
    this.name = 'CanonicalJsonError';
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function kindOf(v: object): string {
  const name = (Object.getPrototypeOf(v) as {constructor?: {name?: string}} | null)?.constructor?.name;
  return name ? `a ${name}` : 'an object that is not plain';
}

function str(s: string, path: string): string {
  if (LONE_SURROGATE.test(s)) throw new CanonicalJsonError(path, 'a string holds a lone UTF-16 surrogate, which has no UTF-8 form (I-JSON forbids it)');
  return JSON.stringify(s);
}

function member(path: string, key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function write(v: unknown, path: string, open: Set<object>): string {
  switch (typeof v) {
    case 'string':
      return str(v, path);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(v)) throw new CanonicalJsonError(path, `${v} is not a JSON number`);
      // ECMAScript Number::toString, as RFC 8785 section 3.2.2.3 requires; -0 becomes 0.
      return JSON.stringify(v);
    case 'undefined':
      throw new CanonicalJsonError(path, 'undefined is not a JSON value');
    case 'bigint':
      throw new CanonicalJsonError(path, 'a bigint is not a JSON number (write it as a string)');
    case 'function':
    case 'symbol':
      throw new CanonicalJsonError(path, `a ${typeof v} is not a JSON value`);
    case 'object':
      break;
  }
  if (v === null) return 'null';
  const obj = v as object;
  if (open.has(obj)) throw new CanonicalJsonError(path, 'the value refers to itself (a cycle)');
  open.add(obj);
  try {
    if (Array.isArray(obj)) {
      const parts: string[] = [];
      for (let i = 0; i < obj.length; i++) {
        const at = `${path}[${i}]`;
        // A hole or an undefined element: JSON.stringify would write null, which is not what was meant.
        if (!(i in obj) || obj[i] === undefined) throw new CanonicalJsonError(at, 'undefined (or a hole) in an array has no JSON form');
        parts.push(write(obj[i], at, open));
      }
      return `[${parts.join(',')}]`;
    }
    if (!isPlainObject(obj)) throw new CanonicalJsonError(path, `${kindOf(obj)} is not a plain object; convert it to one (e.g. a date to an ISO string) first`);
    if (Object.getOwnPropertySymbols(obj).length > 0) throw new CanonicalJsonError(path, 'an object with symbol keys has no JSON form');
    const record = obj as Record<string, unknown>;
    // Members whose value is undefined are absent, as in JSON.stringify: an optional field not set.
    // The default sort compares UTF-16 code units, exactly as RFC 8785 section 3.2.3 asks.
    const keys = Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${str(k, member(path, k))}:${write(record[k], member(path, k), open)}`).join(',')}}`;
  } finally {
    open.delete(obj);
  }
}

/** The RFC 8785 canonical JSON text of a value: what every fingerprint and signature is taken over. */
export function canonical(value: unknown): string {
  return write(value, '$', new Set());
}

/** The canonical JSON as UTF-8 bytes, the exact bytes to hash or sign. */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonical(value), 'utf8');
}

/** Lower-case hex SHA-256 of bytes or text (as UTF-8), the hash in-toto subjects and fingerprints use. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** sha256Hex(canonical(value)): one stable fingerprint of a JSON value, whatever its key order. */
export function digest(value: unknown): string {
  return sha256Hex(canonicalBytes(value));
}
