// APT's configuration files (apt.conf(5)) as data: `A::B::C "value";`, the same written as
// nested blocks (`A { B { C "value"; }; };`), and lists (`Origins-Pattern { "a"; "b"; };`).
// Later assignments win, across files read in apt's order. Comments are `//`, `/* */` and lines
// starting with `#` (apt's #include and #clear are not followed).
import {lines} from './textLines.js';

export interface AptValue {
  value: string;
  file: string;
  line: number;
}

export interface AptConfig {
  /** Scalar settings by their full name, lower case (apt's names are case-insensitive). */
  values: Map<string, AptValue>;
  /** List entries by the list's full name, lower case. */
  lists: Map<string, AptValue[]>;
}

export function emptyAptConfig(): AptConfig {
  return {values: new Map(), lists: new Map()};
}

type Token = {kind: 'word' | 'string' | '{' | '}' | ';'; text: string; line: number};

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  const all = lines(text);
  let inBlockComment = false;
  for (let n = 0; n < all.length; n++) {
    const line = all[n]!;
    if (!inBlockComment && /^\s*#/.test(line)) continue;
    let i = 0;
    while (i < line.length) {
      if (inBlockComment) {
        const end = line.indexOf('*/', i);
        if (end < 0) break;
        inBlockComment = false;
        i = end + 2;
        continue;
      }
      const c = line[i]!;
      if (/\s/.test(c)) i++;
      else if (line.startsWith('//', i)) break;
      else if (line.startsWith('/*', i)) {
        inBlockComment = true;
        i += 2;
      } else if (c === '"') {
        const end = line.indexOf('"', i + 1);
        out.push({kind: 'string', text: end < 0 ? line.slice(i + 1) : line.slice(i + 1, end), line: n + 1});
        i = end < 0 ? line.length : end + 1;
      } else if (c === '{' || c === '}' || c === ';') {
        out.push({kind: c, text: c, line: n + 1});
        i++;
      } else {
        let j = i;
        while (j < line.length && !/[\s{};"]/.test(line[j]!)) j++;
        out.push({kind: 'word', text: line.slice(i, j), line: n + 1});
        i = j;
      }
    }
  }
  return out;
}

/** Reads one file into `into` (later files override earlier ones, as apt reads them). Unbalanced braces end the file quietly. */
export function readAptConf(text: string, file: string, into: AptConfig): void {
  const tokens = tokenize(text);
  const scope: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === '}') {
      scope.pop();
      continue;
    }
    if (t.kind === ';') continue;
    if (t.kind === 'string') {
      // A bare value inside a block: an entry of the list the block names.
      const name = scope.join('::').toLowerCase();
      if (name === '') continue;
      const list = into.lists.get(name) ?? [];
      list.push({value: t.text, file, line: t.line});
      into.lists.set(name, list);
      continue;
    }
    if (t.kind !== 'word') continue;
    const next = tokens[i + 1];
    const full = [...scope, t.text].join('::');
    if (next?.kind === '{') {
      // One frame per block, however many names it joins with ::, so its `}` pops it whole.
      scope.push(t.text);
      i++;
      continue;
    }
    if (next?.kind === 'string') {
      into.values.set(full.toLowerCase(), {value: next.text, file, line: next.line});
      i++;
      continue;
    }
    if (next?.kind === 'word') {
      // Unquoted values are allowed for single words.
      into.values.set(full.toLowerCase(), {value: next.text, file, line: next.line});
      i++;
    }
  }
}

/** apt's Dir::Ignore-Files-Silently: names in apt.conf.d that apt skips. */
const IGNORED = [/~$/, /\.disabled$/, /\.bak$/, /\.dpkg-[a-z]+$/, /\.ucf-[a-z]+$/, /\.save$/, /\.orig$/, /\.distUpgrade$/];

/** The files of apt.conf.d that apt reads, in its order. */
export function aptPartsOrder(names: readonly string[]): string[] {
  return names.filter((n) => /^[A-Za-z0-9_.-]+$/.test(n) && !IGNORED.some((re) => re.test(n))).sort();
}
