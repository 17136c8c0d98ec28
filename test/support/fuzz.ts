// Mutators for the fuzz test (test/e2e/fuzz.test.ts): a seeded PRNG, and functions that turn a
// valid deployment file or pack into a hostile one (issues 16 and 19). Everything here is
// deterministic in (seed, case index), so any case can be replayed alone.
//
// Inputs are handled as latin1 strings: one character per byte, so byte flips, invalid UTF-8,
// NUL and BOM bytes survive exactly; `Buffer.from(s, 'latin1')` gives the bytes back.

/** What a mutated file is to Shipshape. */
export type Kind = 'env' | 'compose' | 'values' | 'pack';

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [lo, hi], both included. */
  int(lo: number, hi: number): number;
  pick<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
}

/** mulberry32: small, fast, and good enough to choose mutations. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (xs) => xs[Math.floor(next() * xs.length)]!,
    chance: (p) => next() < p,
  };
}

/** The PRNG of one case: depends only on the run's seed and the case's index. */
export function caseRng(seed: number, index: number): Rng {
  // Mix the two so that neighbouring cases and neighbouring seeds do not share streams.
  let h = Math.imul((seed ^ 0x9e3779b9) >>> 0, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return mulberry32((h ^ (h >>> 16)) >>> 0);
}

export interface Mutator {
  name: string;
  /** Heavy mutators make large or pathological inputs: at most one per case, applied last. */
  heavy?: boolean;
  /** Kinds it is meant for; all when absent. */
  kinds?: readonly Kind[];
  /** Relative weight when choosing. */
  weight: number;
  /** Returns the mutated bytes (latin1) and a short note of what was done, for replay messages. */
  apply(s: string, rng: Rng, kind: Kind): {s: string; note: string};
}

// ---------------------------------------------------------------------------------------------
// Line helpers (lines split on \n only; \r stays part of its line, as it would in the bytes).

const splitLines = (s: string) => s.split('\n');
const joinLines = (ls: readonly string[]) => ls.join('\n');

/** Lines that look like `key: value` / `key:` in YAML, with their index, indent, key and value. */
function yamlKeyLines(s: string): {i: number; indent: number; key: string; value: string}[] {
  const out: {i: number; indent: number; key: string; value: string}[] = [];
  splitLines(s).forEach((l, i) => {
    const m = /^( *)(?:- )?([A-Za-z_][\w.-]*|"[^"]*"):(?: (.*))?$/.exec(l);
    if (m) out.push({i, indent: m[1]!.length + (l.slice(m[1]!.length).startsWith('- ') ? 2 : 0), key: m[2]!, value: m[3] ?? ''});
  });
  return out;
}

/** Lines that look like `KEY=value` in a .env file. */
function envKeyLines(s: string): {i: number; key: string}[] {
  const out: {i: number; key: string}[] = [];
  splitLines(s).forEach((l, i) => {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=/.exec(l);
    if (m) out.push({i, key: m[1]!});
  });
  return out;
}

/** Replaces the value of a random key line with `value` (YAML: inline or a block under the key; .env: KEY=value). */
function setValue(s: string, rng: Rng, kind: Kind, value: (indent: number) => {inline?: string; block?: string[]}): {s: string; where: string} {
  const ls = splitLines(s);
  if (kind === 'env') {
    const keys = envKeyLines(s);
    const v = value(0);
    const text = v.inline ?? (v.block ?? []).join('\n');
    if (keys.length === 0 || rng.chance(0.15)) {
      ls.push(`FUZZ=${text}`);
      return {s: joinLines(ls), where: 'a new line FUZZ at the end'};
    }
    const k = rng.pick(keys);
    ls[k.i] = `${k.key}=${text}`;
    return {s: joinLines(ls), where: `${k.key} (line ${k.i + 1})`};
  }
  const keys = yamlKeyLines(s);
  if (keys.length === 0 || rng.chance(0.15)) {
    const v = value(0);
    if (v.inline !== undefined) ls.push(`x-fuzz: ${v.inline}`);
    else ls.push('x-fuzz:', ...(v.block ?? []));
    return {s: joinLines(ls), where: 'a new top-level key x-fuzz'};
  }
  const k = rng.pick(keys);
  const v = value(k.indent + 2);
  const head = ls[k.i]!.slice(0, ls[k.i]!.indexOf(`${k.key}:`) + k.key.length + 1);
  // A block replaces the key's own value and, when the key held a block, that block too.
  let end = k.i + 1;
  while (end < ls.length && (ls[end]!.trim() === '' || ls[end]!.length - ls[end]!.trimStart().length > k.indent)) end++;
  if (v.inline !== undefined) ls.splice(k.i, rng.chance(0.5) ? end - k.i : 1, `${head} ${v.inline}`);
  else ls.splice(k.i, end - k.i, head, ...(v.block ?? []));
  return {s: joinLines(ls), where: `${k.key} (line ${k.i + 1})`};
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
function randomText(rng: Rng, n: number, alphabet = ALNUM): string {
  let out = '';
  for (let i = 0; i < n; i++) out += alphabet[Math.floor(rng.next() * alphabet.length)];
  return out;
}

const toLatin1 = (utf8: string) => Buffer.from(utf8, 'utf8').toString('latin1');

// ---------------------------------------------------------------------------------------------
// The mutators.

const byteFlips: Mutator = {
  name: 'byte-flips',
  weight: 10,
  apply(s, rng) {
    if (s.length === 0) return {s: String.fromCharCode(rng.int(0, 255)), note: 'one random byte'};
    const n = rng.pick([1, 1, 2, 3, 4, 8, 16, 64]);
    const chars = s.split('');
    const at: number[] = [];
    for (let k = 0; k < n; k++) {
      const i = rng.int(0, chars.length - 1);
      chars[i] = String.fromCharCode(rng.chance(0.5) ? chars[i]!.charCodeAt(0) ^ (1 << rng.int(0, 7)) : rng.int(0, 255));
      at.push(i);
    }
    return {s: chars.join(''), note: `${n} at bytes ${at.slice(0, 8).join(',')}${n > 8 ? ',...' : ''}`};
  },
};

const truncate: Mutator = {
  name: 'truncate',
  weight: 6,
  apply(s, rng) {
    const at = rng.chance(0.05) ? 0 : rng.int(0, s.length);
    return {s: s.slice(0, at), note: `to ${at} of ${s.length} bytes`};
  },
};

const duplicateLine: Mutator = {
  name: 'duplicate-line',
  weight: 6,
  apply(s, rng) {
    const ls = splitLines(s);
    const i = rng.int(0, ls.length - 1);
    const far = rng.chance(0.3);
    const to = far ? rng.int(0, ls.length) : i + 1;
    ls.splice(to, 0, ls[i]!);
    return {s: joinLines(ls), note: `line ${i + 1} copied to ${to + 1}`};
  },
};

/** Issue 19, problem 1: one key repeated tens of thousands of times. */
const duplicateLineMany: Mutator = {
  name: 'duplicate-line-many',
  heavy: true,
  weight: 2,
  apply(s, rng, kind) {
    const n = rng.pick([1000, 10_000, 40_000]);
    if (kind === 'env' && rng.chance(0.6)) {
      const key = rng.pick(
        envKeyLines(s)
          .map((k) => k.key)
          .concat(['JWT_SECRET']),
      );
      const extra = Array.from({length: n}, (_, k) => `${key}=x${k}`).join('\n');
      return {s: `${s}${s.endsWith('\n') ? '' : '\n'}${extra}\n`, note: `${n} x ${key}=x<i> appended`};
    }
    const ls = splitLines(s);
    const i = rng.int(0, ls.length - 1);
    // No more than about 6 MB of copies: a long line (NULs, a spliced run) is copied fewer times.
    const times = Math.min(n, Math.max(1, Math.floor(6_000_000 / (ls[i]!.length + 1))));
    ls.splice(i + 1, 0, ...Array.from({length: times}, () => ls[i]!));
    return {s: joinLines(ls), note: `line ${i + 1} repeated ${times} times`};
  },
};

const deleteLine: Mutator = {
  name: 'delete-line',
  weight: 4,
  apply(s, rng) {
    const ls = splitLines(s);
    const i = rng.int(0, ls.length - 1);
    ls.splice(i, 1);
    return {s: joinLines(ls), note: `line ${i + 1}`};
  },
};

const swapLines: Mutator = {
  name: 'swap-lines',
  weight: 3,
  apply(s, rng) {
    const ls = splitLines(s);
    const i = rng.int(0, ls.length - 1);
    const j = rng.int(0, ls.length - 1);
    [ls[i], ls[j]] = [ls[j]!, ls[i]!];
    return {s: joinLines(ls), note: `lines ${i + 1} and ${j + 1}`};
  },
};

const indentShift: Mutator = {
  name: 'indent-shift',
  kinds: ['compose', 'values', 'pack'],
  weight: 4,
  apply(s, rng) {
    const ls = splitLines(s);
    const i = rng.int(0, ls.length - 1);
    const how = rng.pick(['more', 'less', 'tab']);
    if (how === 'more') ls[i] = ' '.repeat(rng.int(1, 4)) + ls[i];
    else if (how === 'less') ls[i] = ls[i]!.replace(/^ {1,4}/, '');
    else ls[i] = `\t${ls[i]}`;
    return {s: joinLines(ls), note: `line ${i + 1} ${how}`};
  },
};

const splice: Mutator = {
  name: 'splice',
  weight: 3,
  apply(s, rng) {
    if (s.length < 2) return {s: s + s, note: 'doubled'};
    const from = rng.int(0, s.length - 1);
    const len = rng.int(1, Math.min(400, s.length - from));
    const to = rng.int(0, s.length);
    return {s: s.slice(0, to) + s.slice(from, from + len) + s.slice(to), note: `${len} bytes from ${from} to ${to}`};
  },
};

const TOKENS = [
  ': ',
  ':',
  '- ',
  '-',
  '? ',
  '&a ',
  '*a',
  '*a ',
  '&a *a',
  '<<: *a',
  '<<: ',
  '{',
  '}',
  '[',
  ']',
  ',',
  '"',
  "'",
  '`',
  '#',
  '|',
  '|-',
  '>',
  '>+',
  '!',
  '!!binary ',
  '!!set ',
  '!!omap ',
  '!!pairs ',
  '!!timestamp ',
  '!!int ',
  '!!float ',
  '!!map ',
  '!!seq ',
  '!!str ',
  '!!null ',
  '!custom ',
  '!<tag:yaml.org,2002:str> ',
  '%YAML 1.2\n',
  '%TAG ! tag:x,2000:\n',
  '---\n',
  '...\n',
  '\n---\n',
  '\t',
  '\\',
  '$',
  '$$',
  '${',
  '}',
  '${A:-',
  '${A:?e}',
  '=',
  'export ',
  '\n=\n',
  '\r',
  '\x85',
  '\u2028',
  '\uFEFF',
  '\x00',
  '@',
  '%',
  '~',
  'null',
  '.inf',
  '-.nan',
  '1e999',
  '0x',
  '0o',
  '12:30:00',
  '2001-12-14t21:59:43.10-05:00',
  '99999999999999999999999999',
  '__proto__',
  'constructor',
];

const insertToken: Mutator = {
  name: 'insert-token',
  weight: 10,
  apply(s, rng) {
    const t = toLatin1(rng.pick(TOKENS));
    // Half the time at a line start or just after `: `, where YAML gives tokens meaning.
    const ls = splitLines(s);
    if (rng.chance(0.5) && ls.length > 0) {
      const i = rng.int(0, ls.length - 1);
      const l = ls[i]!;
      const colon = l.indexOf(': ');
      const at = colon >= 0 && rng.chance(0.6) ? colon + 2 : l.length - l.trimStart().length;
      ls[i] = l.slice(0, at) + t + l.slice(at);
      return {s: joinLines(ls), note: `${JSON.stringify(t)} in line ${i + 1}`};
    }
    const at = rng.int(0, s.length);
    return {s: s.slice(0, at) + t + s.slice(at), note: `${JSON.stringify(t)} at byte ${at}`};
  },
};

const SCALARS = [
  '~',
  'null',
  'true',
  'no',
  'on',
  '0',
  '-1',
  '1e999',
  '-.inf',
  '.nan',
  '0x1F',
  '0o777',
  '99999999999999999999999999',
  '1_000',
  "''",
  '""',
  '[]',
  '{}',
  '[[]]',
  '{a: }',
  '!!binary aGVsbG8=',
  '!!set {a, b}',
  '!!omap [a: 1, a: 2]',
  '!!pairs [a: 1]',
  '!!timestamp 2001-12-14',
  '!!int x',
  '!!float x',
  '!!str 1',
  '!!map []',
  '!!seq {}',
  '!!null x',
  '!custom x',
  '!<tag:x> y',
  '2001-12-14t21:59:43.10-05:00',
  '12:30:45',
  '"\\u0000"',
  '"\\uD800"',
  '"\\x00\\xff"',
  "'${A}'",
  '${A:-${B:-x}}',
  '$$',
  '${',
  '"${A?missing}"',
  '*nowhere',
  '&x',
  '|',
  '>',
  '- a',
  '? a',
  'a: b: c',
  '"a\\',
  'x # ${A}',
  'postgres://user:CHANGEME@db:5432/x',
  '0.0.0.0:5432:5432',
  '[::]:80:80',
  '127.0.0.1:99999:5',
  '/var/run/docker.sock:/var/run/docker.sock',
];

const weirdScalar: Mutator = {
  name: 'weird-scalar',
  weight: 8,
  apply(s, rng, kind) {
    const v = rng.pick(SCALARS);
    const r = setValue(s, rng, kind, () => ({inline: v}));
    return {s: r.s, note: `${r.where} = ${v}`};
  },
};

/** Keys that name Object.prototype's own properties. */
const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'length'];

const protoKey: Mutator = {
  name: 'proto-key',
  weight: 3,
  apply(s, rng, kind) {
    const name = rng.pick(PROTO_KEYS);
    const ls = splitLines(s);
    if (kind === 'env') {
      const keys = envKeyLines(s);
      if (keys.length > 0 && rng.chance(0.6)) {
        const k = rng.pick(keys);
        ls[k.i] = ls[k.i]!.replace(k.key, name);
        return {s: joinLines(ls), note: `${k.key} renamed ${name}`};
      }
      ls.push(`${name}=x`);
      return {s: joinLines(ls), note: `${name}=x appended`};
    }
    const keys = yamlKeyLines(s);
    if (keys.length === 0) return {s: `${s}\n${name}: {a: 1}\n`, note: `${name} appended`};
    const k = rng.pick(keys);
    ls[k.i] = ls[k.i]!.replace(`${k.key}:`, `${name}:`);
    return {s: joinLines(ls), note: `${k.key} (line ${k.i + 1}) renamed ${name}`};
  },
};

/** Hundreds to thousands of levels, block or flow, as the value of some key. */
const deepNesting: Mutator = {
  name: 'deep-nesting',
  heavy: true,
  weight: 4,
  apply(s, rng, kind) {
    const style = rng.pick(['block-map', 'block-seq-inline', 'block-seq', 'flow-seq', 'flow-map', 'flow-mixed', 'flow-unclosed', 'block-then-flow']);
    const depth = rng.pick(style.startsWith('flow') ? [50, 255, 256, 257, 1000, 2000, 10_000, 100_000] : [50, 200, 255, 256, 257, 1000, 2000]);
    const r = setValue(s, rng, kind, (indent) => {
      switch (style) {
        case 'block-map':
          return {block: Array.from({length: depth}, (_, k) => `${' '.repeat(indent + k)}a:`).concat(`${' '.repeat(indent + depth)}b: 1`)};
        case 'block-seq-inline':
          return {block: [`${' '.repeat(indent)}${'- '.repeat(depth)}x`]};
        case 'block-seq':
          return {block: Array.from({length: depth}, (_, k) => `${' '.repeat(indent + k * 2)}-`).concat(`${' '.repeat(indent + depth * 2)}x`)};
        case 'flow-seq':
          return {inline: `${'['.repeat(depth)}x${']'.repeat(depth)}`};
        case 'flow-map':
          return {inline: `${'{a: '.repeat(depth)}x${'}'.repeat(depth)}`};
        case 'flow-mixed':
          return {inline: `${'[{a: '.repeat(depth >> 1)}x${'}]'.repeat(depth >> 1)}`};
        case 'flow-unclosed':
          return {inline: `${'['.repeat(depth)}x`};
        default:
          return {block: [`${' '.repeat(indent)}${'- '.repeat(Math.min(depth, 200))}${'['.repeat(depth)}x${']'.repeat(depth)}`]};
      }
    });
    return {s: r.s, note: `${style} ${depth} deep at ${r.where}`};
  },
};

/** Billion laughs and friends: anchors whose aliases expand exponentially or just very often. */
const aliasBomb: Mutator = {
  name: 'alias-bomb',
  heavy: true,
  weight: 4,
  apply(s, rng, kind) {
    const style = rng.pick(['laughs-flow', 'laughs-block', 'laughs-map', 'many-aliases', 'self-cycle', 'merge-bomb', 'alias-key']);
    const levels = rng.pick([3, 5, 9, 12]);
    const width = rng.pick([2, 9, 10]);
    const defs: string[] = [];
    let top = 'l0';
    if (style === 'laughs-flow') {
      defs.push(`x-l0: &l0 [${Array.from({length: width}, () => '"lol"').join(', ')}]`);
      for (let k = 1; k < levels; k++) defs.push(`x-l${k}: &l${k} [${Array.from({length: width}, () => `*l${k - 1}`).join(', ')}]`);
      top = `l${levels - 1}`;
    } else if (style === 'laughs-block') {
      defs.push('x-l0: &l0', ...Array.from({length: width}, () => '  - lol'));
      for (let k = 1; k < levels; k++) defs.push(`x-l${k}: &l${k}`, ...Array.from({length: width}, () => `  - *l${k - 1}`));
      top = `l${levels - 1}`;
    } else if (style === 'laughs-map') {
      defs.push(`x-l0: &l0 {${Array.from({length: width}, (_, j) => `k${j}: lol`).join(', ')}}`);
      for (let k = 1; k < levels; k++) defs.push(`x-l${k}: &l${k} {${Array.from({length: width}, (_, j) => `k${j}: *l${k - 1}`).join(', ')}}`);
      top = `l${levels - 1}`;
    } else if (style === 'many-aliases') {
      // Issue 19, problem 3: one large sequence, aliased a few thousand times.
      const items = rng.pick([100, 1000, 5000]);
      const uses = rng.pick([500, 2000, 10_000]);
      defs.push(`x-big: &big [${Array.from({length: items}, (_, j) => `v${j}`).join(', ')}]`);
      for (let j = 0; j < uses; j++) defs.push(`x-a${j}: *big`);
      top = 'big';
    } else if (style === 'self-cycle') {
      defs.push('x-l0: &l0 [a, *l0]', 'x-l1: &l1 {a: &l2 [*l1]}');
    } else if (style === 'merge-bomb') {
      defs.push(`x-l0: &l0 {${Array.from({length: width}, (_, j) => `k${j}: lol`).join(', ')}}`);
      for (let k = 1; k < levels; k++) {
        defs.push(`x-l${k}: &l${k}`, `  <<: [${Array.from({length: width}, () => `*l${k - 1}`).join(', ')}]`);
        for (let j = 0; j < width; j++) defs.push(`  m${j}: *l${k - 1}`);
      }
      top = `l${levels - 1}`;
    } else {
      defs.push('x-l0: &l0 {a: 1}', 'x-l1: &l1 [a]', 'x-l2:', '  *l0 : 1', '  ? *l1', '  : 2');
    }
    if (kind === 'env') return {s: `${defs.join('\n')}\n${s}`, note: `${style} (${levels}x${width}) on top of a .env`};
    // The anchors go first; then some key's value becomes an alias of the top one.
    const body = setValue(s, rng, kind, () => ({inline: `*${top}`}));
    return {s: `${defs.join('\n')}\n${body.s}`, note: `${style} (${levels}x${width}) used at ${body.where}`};
  },
};

/** A 1 MB line: random, near-repetitive (issue 19, problem 2), or full of syntax. */
const hugeValue: Mutator = {
  name: 'huge-value',
  heavy: true,
  weight: 4,
  apply(s, rng, kind) {
    const size = rng.pick([100_000, 1_000_000, 1_000_000, 3_000_000]);
    const style = rng.pick(['random', 'near-repetitive', 'ab', 'dollars', 'interp', 'backslashes', 'quoted', 'spaces']);
    const body = (): string => {
      switch (style) {
        case 'random':
          return randomText(rng, size);
        case 'near-repetitive':
          return `${'a'.repeat(size)}b`;
        case 'ab':
          return 'ab'.repeat(size >> 1);
        case 'dollars':
          return '$'.repeat(size);
        case 'interp':
          return '${A}'.repeat(size >> 2);
        case 'backslashes':
          return `"${'\\'.repeat(size)}"`;
        case 'quoted':
          return `"${'x'.repeat(size)}`; // never closed
        default:
          return `a${' '.repeat(size)}b`;
      }
    };
    const r = setValue(s, rng, kind, () => ({inline: body()}));
    return {s: r.s, note: `${style} ${size} bytes at ${r.where}`};
  },
};

/** Very many keys: at the top level, inside some mapping, or (for .env) new names. */
const manyKeys: Mutator = {
  name: 'many-keys',
  heavy: true,
  weight: 3,
  apply(s, rng, kind) {
    const n = rng.pick([1000, 5000, 20_000, 40_000]);
    const sep = s.endsWith('\n') || s === '' ? '' : '\n';
    if (kind === 'env') return {s: `${s}${sep}${Array.from({length: n}, (_, k) => `FUZZ_KEY_${k}=value${k}`).join('\n')}\n`, note: `${n} new keys`};
    const keys = yamlKeyLines(s);
    const ls = splitLines(s);
    // A key whose next line is indented deeper starts a mapping or list: add keys inside it.
    const parents = keys.filter((k) => {
      const next = ls[k.i + 1];
      return next !== undefined && /^ *[A-Za-z_]/.test(next) && next.length - next.trimStart().length > k.indent;
    });
    if (parents.length > 0 && rng.chance(0.6)) {
      const p = rng.pick(parents);
      const indent = ' '.repeat(ls[p.i + 1]!.length - ls[p.i + 1]!.trimStart().length);
      ls.splice(p.i + 1, 0, ...Array.from({length: n}, (_, k) => `${indent}k${k}: v${k}`));
      return {s: joinLines(ls), note: `${n} keys inside ${p.key} (line ${p.i + 1})`};
    }
    return {s: `${s}${sep}${Array.from({length: n}, (_, k) => `x-k${k}: v${k}`).join('\n')}\n`, note: `${n} top-level keys`};
  },
};

const INVALID_UTF8 = [[0xff], [0xfe], [0x80], [0xc0, 0x80], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]];

const invalidUtf8: Mutator = {
  name: 'invalid-utf8',
  weight: 5,
  apply(s, rng) {
    const n = rng.int(1, 6);
    let out = s;
    for (let k = 0; k < n; k++) {
      const at = rng.int(0, out.length);
      out = out.slice(0, at) + String.fromCharCode(...rng.pick(INVALID_UTF8)) + out.slice(at);
    }
    return {s: out, note: `${n} sequences`};
  },
};

const bom: Mutator = {
  name: 'bom',
  weight: 4,
  apply(s, rng) {
    const style = rng.pick(['utf8', 'utf8', 'double', 'mid-line', 'utf16le', 'utf16be']);
    const B = '\xef\xbb\xbf';
    if (style === 'utf8') return {s: B + s, note: 'UTF-8 BOM'};
    if (style === 'double') return {s: B + B + s, note: 'two UTF-8 BOMs'};
    if (style === 'mid-line') {
      const ls = splitLines(s);
      const i = rng.int(0, ls.length - 1);
      ls[i] = B + ls[i];
      return {s: joinLines(ls), note: `UTF-8 BOM at the start of line ${i + 1}`};
    }
    // The whole file as UTF-16 with its BOM: what some Windows editors save.
    const text = Buffer.from(s, 'latin1').toString('utf8');
    const le = Buffer.from(`\ufeff${text}`, 'utf16le');
    if (style === 'utf16be') le.swap16();
    return {s: le.toString('latin1'), note: `re-encoded as ${style === 'utf16le' ? 'UTF-16LE' : 'UTF-16BE'} with a BOM`};
  },
};

const lineEndings: Mutator = {
  name: 'line-endings',
  weight: 5,
  apply(s, rng) {
    const style = rng.pick(['crlf', 'crlf', 'cr', 'mixed', 'crcrlf']);
    if (style === 'crlf') return {s: s.replace(/\n/g, '\r\n'), note: 'CRLF'};
    if (style === 'cr') return {s: s.replace(/\n/g, '\r'), note: 'CR only'};
    if (style === 'crcrlf') return {s: s.replace(/\n/g, '\r\r\n'), note: 'CR CR LF'};
    return {s: s.replace(/\n/g, () => (rng.chance(0.5) ? '\r\n' : '\n')), note: 'mixed CRLF and LF'};
  },
};

const nulBytes: Mutator = {
  name: 'nul-bytes',
  weight: 4,
  apply(s, rng, kind) {
    const style = rng.pick(['scatter', 'value', 'all']);
    if (style === 'all') {
      const n = rng.pick([1, 1024, 65_536]);
      return {s: '\x00'.repeat(n), note: `${n} NUL bytes only`};
    }
    if (style === 'value') {
      const r = setValue(s, rng, kind, () => ({inline: `a\x00b${'\x00'.repeat(rng.int(1, 64))}`}));
      return {s: r.s, note: `NULs in the value of ${r.where}`};
    }
    const n = rng.int(1, 10);
    let out = s;
    for (let k = 0; k < n; k++) {
      const at = rng.int(0, out.length);
      out = `${out.slice(0, at)}\x00${out.slice(at)}`;
    }
    return {s: out, note: `${n} scattered`};
  },
};

/** Compose interpolation nested deep, or broken. */
const interpolation: Mutator = {
  name: 'interpolation',
  kinds: ['env', 'compose'],
  weight: 3,
  apply(s, rng, kind) {
    const depth = rng.pick([2, 64, 65, 1000, 100_000]);
    const style = rng.pick(['nested-default', 'nested-error', 'unclosed', 'many-refs']);
    const v =
      style === 'nested-default'
        ? `${'${A:-'.repeat(depth)}x${'}'.repeat(depth)}`
        : style === 'nested-error'
          ? `${'${A:?'.repeat(depth)}x${'}'.repeat(depth)}`
          : style === 'unclosed'
            ? '${A:-'.repeat(depth)
            : Array.from({length: depth}, (_, k) => `$V${k}`).join('');
    const r = setValue(s, rng, kind, () => ({inline: kind === 'env' ? v : `"${v}"`}));
    return {s: r.s, note: `${style} ${depth} at ${r.where}`};
  },
};

/** .env quoting: unclosed quotes, multi-line values, export, a line without `=`. */
const envQuotes: Mutator = {
  name: 'env-quotes',
  kinds: ['env'],
  weight: 5,
  apply(s, rng, kind) {
    const v = rng.pick(['"unclosed', "'unclosed", '`unclosed', '"multi\nline\nvalue"', '"esc \\" still open', "'a'b'c'", '"a"#c', 'a #c', '"\\n\\r\\t"']);
    const style = rng.pick(['value', 'export', 'bare', 'spaces']);
    if (style === 'value') {
      const r = setValue(s, rng, kind, () => ({inline: v}));
      return {s: r.s, note: `${r.where} = ${JSON.stringify(v)}`};
    }
    const ls = splitLines(s);
    const i = rng.int(0, ls.length);
    const line = style === 'export' ? `export FUZZ=${v}` : style === 'bare' ? 'FUZZ_NO_EQUALS' : `  FUZZ  =  ${v}  `;
    ls.splice(i, 0, line);
    return {s: joinLines(ls), note: `${JSON.stringify(line)} at line ${i + 1}`};
  },
};

/** A pack's meaningful fields made wrong: regexes that do not compile, unknown checks, bad severities, ... */
const packField: Mutator = {
  name: 'pack-field',
  kinds: ['pack'],
  weight: 8,
  apply(s, rng) {
    const ls = splitLines(s);
    const rules: [RegExp, () => string][] = [
      [
        /^(\s*(?:pattern|contains):\s*)(.*)$/,
        () => rng.pick(['"("', '"["', '"\\\\"', '"*"', '"(?<"', '"a{2,1}"', '"(?<=a+)b"', '"\\\\p{Nope}"', '""', '[a]', '{}', '~']),
      ],
      [/^(\s*-?\s*check:\s*)(.*)$/, () => rng.pick(['env.nope', 'nope', '""', 'git.clean.extra', 'compose.ports-private ', '[env.present]', '~'])],
      [/^(\s*severity:\s*)(.*)$/, () => rng.pick(['urgent', 'HIGH', '""', '1', '~', '[high]'])],
      [/^(\s*-?\s*id:\s*)(.*)$/, () => rng.pick(['Has Spaces', '""', 'UPPER', 'a'.repeat(10_000), 'x', '1', '~', 'dup'])],
      [/^(\s*when:\s*)(.*)$/, () => rng.pick(['{nope: x}', '{mode: nope}', '[]', '"mode"', '{mode: [compose, nope]}'])],
      [/^(\s*(?:timeout|timeoutMs):\s*)(.*)$/, () => rng.pick(['0', '-1', '1e12', 'abc', '0.5', '99999999999999999999'])],
      [/^(\s*schema:\s*)(.*)$/, () => rng.pick(['2', '0', '"1"', '~'])],
      [
        /^(\s*(?:keys|services|files|env|helmValues|manifests):\s*)(.*)$/,
        () => rng.pick(['[]', '~', '""', '[""]', '["../../etc/passwd"]', '["/etc/passwd"]', '["**/**/**/**"]', '[[a]]', '{a: b}']),
      ],
      [/^(\s*default:\s*)(.*)$/, () => rng.pick(['nope', '""', '~', '[no]', 'local'])],
    ];
    const hits: [number, RegExp, () => string][] = [];
    ls.forEach((l, i) => {
      for (const [re, make] of rules) if (re.test(l)) hits.push([i, re, make]);
    });
    if (hits.length === 0) return {s, note: 'no field to change'};
    const [i, re, make] = rng.pick(hits);
    const v = make();
    ls[i] = ls[i]!.replace(re, (_m, head: string) => `${head}${v}`);
    return {s: joinLines(ls), note: `line ${i + 1} now ${JSON.stringify(ls[i]!.trim().slice(0, 80))}`};
  },
};

export const MUTATORS: readonly Mutator[] = [
  packField,
  byteFlips,
  truncate,
  duplicateLine,
  duplicateLineMany,
  deleteLine,
  swapLines,
  indentShift,
  splice,
  insertToken,
  weirdScalar,
  protoKey,
  deepNesting,
  aliasBomb,
  hugeValue,
  manyKeys,
  invalidUtf8,
  bom,
  lineEndings,
  nulBytes,
  interpolation,
  envQuotes,
];

function weighted(rng: Rng, ms: readonly Mutator[]): Mutator {
  const total = ms.reduce((t, m) => t + m.weight, 0);
  let r = rng.next() * total;
  for (const m of ms) {
    r -= m.weight;
    if (r < 0) return m;
  }
  return ms.at(-1)!;
}

/** A valid input to start from. */
export interface FuzzSeed {
  kind: Kind;
  /** Path relative to the repository, for messages. */
  source: string;
  /** Its bytes, as latin1. */
  text: string;
}

export interface FuzzCase {
  /** `a17` (in-process) or `b3` (the built CLI): with the seed, all that is needed to replay it. */
  id: string;
  seed: number;
  kind: Kind;
  source: string;
  /** What was done, in order. */
  steps: string[];
  bytes: Buffer;
}

const KIND_WEIGHTS: readonly [Kind, number][] = [
  ['env', 25],
  ['compose', 30],
  ['values', 15],
  ['pack', 30],
];

/**
 * The case with this id: a kind, one of its seeds, and one to three mutations (at most one
 * heavy one, applied last, so that nothing multiplies a 1 MB line or 40,000 keys).
 */
export function makeCase(seed: number, id: string, index: number, seeds: readonly FuzzSeed[]): FuzzCase {
  const rng = caseRng(seed, index);
  let r = rng.next() * 100;
  let kind: Kind = 'env';
  for (const [k, w] of KIND_WEIGHTS) {
    r -= w;
    if (r < 0) {
      kind = k;
      break;
    }
  }
  const from = rng.pick(seeds.filter((s) => s.kind === kind));
  const usable = MUTATORS.filter((m) => !m.kinds || m.kinds.includes(kind));
  const n = rng.chance(0.45) ? 1 : rng.chance(0.6) ? 2 : 3;
  const chosen: Mutator[] = [];
  for (let k = 0; k < n; k++) {
    const m = weighted(rng, usable);
    if (m.heavy && chosen.some((c) => c.heavy)) continue;
    chosen.push(m);
  }
  chosen.sort((a, b) => Number(a.heavy ?? false) - Number(b.heavy ?? false));
  let text = from.text;
  const steps: string[] = [];
  for (const m of chosen) {
    const out = m.apply(text, rng, kind);
    text = out.s;
    steps.push(`${m.name}: ${out.note}`);
  }
  return {id, seed, kind, source: from.source, steps, bytes: Buffer.from(text, 'latin1')};
}

export function describeCase(c: FuzzCase): string {
  return `case ${c.id} (seed ${c.seed}): ${c.kind} from ${c.source}, ${c.bytes.length} bytes; ${c.steps.join('; ')}`;
}

/** How to run this one case again. */
export function replayHint(c: Pick<FuzzCase, 'id' | 'seed'>): string {
  return `SHIPSHAPE_FUZZ_SEED=${c.seed} SHIPSHAPE_FUZZ_CASE=${c.id} node --import tsx --test test/e2e/fuzz.test.ts`;
}

/** Counts per key, for the summary line. */
export class Tally {
  private readonly counts = new Map<string, number>();
  add(key: string, n = 1): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }
  toString(): string {
    return [...this.counts.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
  }
}
