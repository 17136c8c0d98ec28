// TOML files (a Discord bot's instances/<name>/config.toml), parsed with smol-toml.
//
// Why smol-toml: it implements TOML 1.0.0 in full and passes the toml-test suite (the older
// @iarna/toml and `toml` packages stop at TOML 0.5 / 0.4 and are no longer maintained); it has
// no dependencies, ships ESM with its own types, bounds nesting (maxDepth), can drop
// `__proto__`-style keys, and its errors carry the line and column we report. The Rust bot reads
// the same file with the `toml` crate, also TOML 1.0, so what parses here parses there.
import {parse, TomlError, type TomlTableWithoutBigInt} from 'smol-toml';
import {SourceError} from './errors.js';

export type TomlTable = TomlTableWithoutBigInt;

export interface TomlFile {
  /** Path relative to the deployment root. */
  file: string;
  data: TomlTable;
  /** Where each key and table header is defined: `features.minecraft` -> 1-based line. */
  lines: Map<string, number>;
}

/** Nesting deeper than this is refused: a config file is shallow, and the parser recurses. */
const MAX_DEPTH = 64;

/**
 * Parses TOML text. A syntax error (or a key defined twice, which TOML forbids) becomes a
 * SourceError at its line and column; the message is the parser's first line only, never the
 * code block it quotes (a value on that line could be a secret).
 */
export function parseToml(text: string, file: string): TomlFile {
  const body = text.replace(/^\uFEFF/, '');
  let data: TomlTable;
  try {
    data = parse(body, {maxDepth: MAX_DEPTH, unsafeKeyBehaviour: 'drop'});
  } catch (err) {
    if (err instanceof TomlError) {
      const first = err.message.split('\n')[0]!.replace(/^Invalid TOML document:\s*/, '');
      throw new SourceError(`invalid TOML: ${first}`, file, err.line, err.column);
    }
    // Deeper than maxDepth, or the stack ran out on a pathological file.
    throw new SourceError(`invalid TOML: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, file, 1, 1);
  }
  return {file, data, lines: keyLines(body)};
}

/** The value at a dotted path (`features.minecraft`), or undefined. */
export function tomlGet(t: TomlFile, path: string): unknown {
  let at: unknown = t.data;
  for (const part of splitPath(path)) {
    if (at === null || typeof at !== 'object' || Array.isArray(at) || !Object.hasOwn(at, part)) return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

/** The line where `path` is defined, or where its nearest defined parent is (an inline table); undefined when none is. */
export function tomlLine(t: TomlFile, path: string): number | undefined {
  const parts = splitPath(path);
  for (let n = parts.length; n > 0; n--) {
    const line = t.lines.get(parts.slice(0, n).join('.'));
    if (line !== undefined) return line;
  }
  return undefined;
}

function splitPath(path: string): string[] {
  return path.split('.').filter((p) => p !== '');
}

/**
 * The line of every key and table header, found by a line scan that follows table headers
 * (`[a.b]`, `[[a]]`) and dotted keys, and steps over multi-line strings and arrays. Only called
 * on text the parser accepted, so the scan need not judge syntax; a key it cannot place (inside
 * an inline table) is placed at its parent by tomlLine.
 */
function keyLines(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  let table: string[] = [];
  let inString: '"""' | "'''" | undefined;
  let depth = 0; // open [ of a multi-line array value
  for (let n = 0; n < lines.length; n++) {
    let line = lines[n]!;
    if (inString) {
      const end = line.indexOf(inString);
      if (end < 0) continue;
      line = line.slice(end + 3);
      inString = undefined;
      depth += bracketDelta(line);
      continue;
    }
    if (depth > 0) {
      depth += bracketDelta(line);
      if (depth < 0) depth = 0;
      continue;
    }
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const header = /^\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$/.exec(trimmed);
    if (header) {
      table = keyParts(header[1]!);
      const name = table.join('.');
      if (!out.has(name)) out.set(name, n + 1);
      continue;
    }
    const eq = assignmentAt(trimmed);
    if (eq < 0) continue;
    const key = [...table, ...keyParts(trimmed.slice(0, eq))];
    // Each parent of a dotted key is defined here too, unless a header defined it first.
    for (let k = table.length + 1; k <= key.length; k++) {
      const name = key.slice(0, k).join('.');
      if (!out.has(name)) out.set(name, n + 1);
    }
    const value = trimmed.slice(eq + 1).trim();
    const opener = value.startsWith('"""') ? '"""' : value.startsWith("'''") ? "'''" : undefined;
    if (opener && value.indexOf(opener, 3) < 0) inString = opener;
    else if (value.startsWith('[')) depth = Math.max(0, bracketDelta(value));
  }
  return out;
}

/** The index of the `=` of a `key = value` line, outside quoted key parts; -1 when none. */
function assignmentAt(s: string): number {
  let quote: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '=') return i;
  }
  return -1;
}

/** `a."b.c".d` -> [a, b.c, d]. */
function keyParts(key: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  for (let i = 0; i < key.length; i++) {
    const c = key[i]!;
    if (quote) {
      if (c === '\\' && quote === '"' && i + 1 < key.length) cur += key[++i];
      else if (c === quote) quote = undefined;
      else cur += c;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '.') {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  out.push(cur.trim());
  return out;
}

/** Opening minus closing brackets outside strings and comments: how a multi-line array goes on. */
function bracketDelta(s: string): number {
  let d = 0;
  let quote: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#') break;
    else if (c === '[') d++;
    else if (c === ']') d--;
  }
  return d;
}
