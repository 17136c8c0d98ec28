import {parse as dotenvParse} from 'dotenv';
import {SourceError} from './errors.js';

export interface EnvEntry {
  key: string;
  value: string;
  /** 1-based line of the definition that wins (the last one, as dotenv and Compose agree). */
  line: number;
}

export interface EnvFile {
  /** Path relative to the deployment root. */
  file: string;
  entries: Map<string, EnvEntry>;
  /** Keys defined more than once, with every line. */
  duplicates: Map<string, number[]>;
}

const ASSIGN = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=(.*)$/;

/**
 * Reads a .env file the way dotenv does (values come from dotenv.parse, nothing reaches
 * process.env) and adds what dotenv does not give: the line of each key, and a located error
 * for a line that is not KEY=value or a quote that never closes, where dotenv would silently
 * drop or swallow lines.
 */
export function parseEnvText(text: string, file: string): EnvFile {
  const values = dotenvParse(text);
  const lines = text.split(/\r?\n/);
  const entries = new Map<string, EnvEntry>();
  const duplicates = new Map<string, number[]>();
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n]!;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const m = ASSIGN.exec(raw);
    if (!m) {
      const key = /^\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*:/.exec(raw)?.[1];
      throw new SourceError(key ? `expected KEY=value, found "${key}:" (Compose reads only =)` : 'expected KEY=value (or a # comment)', file, n + 1, 1, key);
    }
    const key = m[1]!;
    const line = n + 1;
    const rest = m[2]!.trimStart();
    const quote = rest[0];
    if (quote === '"' || quote === "'" || quote === '`') {
      const end = closingQuote(lines, n, raw.indexOf(quote, raw.indexOf('=')) + 1, quote);
      if (end === undefined) throw new SourceError(`the ${quote} quote opened here never closes`, file, line, raw.indexOf(quote) + 1, key);
      n = end;
    }
    const seen = entries.get(key);
    if (seen) {
      // Append in place: copying the list on every repeat made n copies of a key cost n².
      const where = duplicates.get(key);
      if (where) where.push(line);
      else duplicates.set(key, [seen.line, line]);
    }
    entries.set(key, {key, value: values[key] ?? '', line});
  }
  return {file, entries, duplicates};
}

/** Index of the line holding the closing quote, or undefined. Double quotes honour \" escapes. */
function closingQuote(lines: readonly string[], startLine: number, startCol: number, quote: string): number | undefined {
  for (let n = startLine; n < lines.length; n++) {
    const s = lines[n]!;
    for (let c = n === startLine ? startCol : 0; c < s.length; c++) {
      if (s[c] === '\\' && quote === '"') c++;
      else if (s[c] === quote) return n;
    }
  }
  return undefined;
}
