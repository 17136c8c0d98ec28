/**
 * Line diffs for previews and the three-way merge that keeps YAML edits small. Written here
 * rather than taken from the `diff` package: a Myers diff is short, the files are small, and
 * one less dependency to audit for the part of Shipshape that writes people's secrets.
 */

export type DiffOp = {kind: 'equal' | 'delete' | 'insert'; item: string};

/** A replacement of base[start, end) by `items`, as a diff from base to another version says. */
export interface Hunk {
  start: number;
  end: number;
  items: string[];
}

/**
 * Beyond this many differences the diff stops looking for the shortest script and reports the
 * rest as replaced: still a correct diff, only longer, and the work stays bounded by
 * (N+M) x MAX_EDITS however large the input.
 */
export const MAX_EDITS = 2000;

/** Myers' O((N+M)D) diff of two sequences, after trimming what they share at both ends. */
export function diffItems(a: readonly string[], b: readonly string[], maxEdits = MAX_EDITS): DiffOp[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const out: DiffOp[] = a.slice(0, head).map((item) => ({kind: 'equal', item}));
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  append(out, myers(midA, midB, maxEdits) ?? replaceAll(midA, midB));
  for (const item of a.slice(a.length - tail)) out.push({kind: 'equal', item});
  return out;
}

/** push(...items) without the argument-count limit that a spread of a huge array hits. */
function append<T>(out: T[], items: readonly T[]): void {
  for (const item of items) out.push(item);
}

function replaceAll(a: readonly string[], b: readonly string[]): DiffOp[] {
  return [...a.map((item) => ({kind: 'delete', item}) as DiffOp), ...b.map((item) => ({kind: 'insert', item}) as DiffOp)];
}

/** The shortest edit script, or undefined when it needs more than maxEdits steps. */
function myers(a: readonly string[], b: readonly string[], maxEdits: number): DiffOp[] | undefined {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return replaceAll(a, b);
  const max = Math.min(n + m, maxEdits);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  // trace[d] holds v[-d-1 .. d+1] as it stood before step d: all backtracking needs.
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(a, b, trace);
    }
  }
  return undefined;
}

function backtrack(a: readonly string[], b: readonly string[], trace: readonly Int32Array[]): DiffOp[] {
  const ops: DiffOp[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = trace.length - 1; d >= 0; d--) {
    const snap = trace[d]!;
    const at = (k: number) => snap[k + d + 1]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : at(prevK);
    const prevY = d === 0 ? 0 : prevX - prevK;
    while (x > prevX && y > prevY) {
      y--;
      ops.push({kind: 'equal', item: a[--x]!});
    }
    if (d > 0) {
      if (x === prevX) ops.push({kind: 'insert', item: b[--y]!});
      else ops.push({kind: 'delete', item: a[--x]!});
    }
  }
  return ops.reverse();
}

/** The diff as replacements of ranges of `a`, for merging. */
export function hunksOf(ops: readonly DiffOp[]): Hunk[] {
  const hunks: Hunk[] = [];
  let pos = 0;
  let open: Hunk | undefined;
  for (const op of ops) {
    if (op.kind === 'equal') {
      open = undefined;
      pos++;
      continue;
    }
    if (!open) {
      open = {start: pos, end: pos, items: []};
      hunks.push(open);
    }
    if (op.kind === 'delete') {
      pos++;
      open.end = pos;
    } else {
      open.items.push(op.item);
    }
  }
  return hunks;
}

/**
 * Three-way merge: the changes from `base` to `ours` and from `base` to `theirs`, both applied.
 * Where both change the same stretch of base (or insert at the same point), `resolve` picks the
 * stretch's text, or returns undefined to give up, and then the merge returns undefined.
 */
export function merge3(
  base: readonly string[],
  ours: readonly string[],
  theirs: readonly string[],
  resolve: (base: string[], ours: string[], theirs: string[]) => string[] | undefined,
): string[] | undefined {
  const tagged = [...hunksOf(diffItems(base, ours)).map((h) => ({...h, side: 0})), ...hunksOf(diffItems(base, theirs)).map((h) => ({...h, side: 1}))].sort(
    (p, q) => p.start - q.start || p.end - q.end,
  );
  const out: string[] = [];
  let pos = 0;
  for (let i = 0; i < tagged.length; ) {
    const group = [tagged[i]!];
    let end = tagged[i]!.end;
    for (i++; i < tagged.length && meets(tagged[i]!, group, end); i++) {
      group.push(tagged[i]!);
      end = Math.max(end, tagged[i]!.end);
    }
    const start = group[0]!.start;
    append(out, base.slice(pos, start));
    const sideOf = (side: number) => group.filter((h) => h.side === side);
    const version = (side: number) => applyHunks(base, start, end, sideOf(side));
    const sides = new Set(group.map((h) => h.side));
    if (sides.size === 1) {
      append(out, version(group[0]!.side));
    } else {
      const mine = version(0);
      const yours = version(1);
      const picked = sameItems(mine, yours) ? mine : resolve(base.slice(start, end), mine, yours);
      if (!picked) return undefined;
      append(out, picked);
    }
    pos = end;
  }
  append(out, base.slice(pos));
  return out;
}

/**
 * Whether a hunk conflicts with the group so far: it overlaps its range, or both insert at the
 * same point (which goes first is unknowable). An insertion at either edge of a replacement does
 * not conflict: the order puts it before or after.
 */
function meets(h: Hunk, group: readonly Hunk[], end: number): boolean {
  if (h.start < end) return true;
  return h.start === end && h.end === end && group.some((g) => g.start === end && g.end === end);
}

function applyHunks(base: readonly string[], start: number, end: number, hunks: readonly Hunk[]): string[] {
  const out: string[] = [];
  let pos = start;
  for (const h of hunks) {
    append(out, base.slice(pos, h.start));
    append(out, h.items);
    pos = h.end;
  }
  append(out, base.slice(pos, end));
  return out;
}

function sameItems(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Lines with their terminators (`\n` or `\r\n`), so a change of line ending is a change. */
export function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

const CONTEXT = 3;

/**
 * A unified diff (`---`/`+++`, `@@` hunks, 3 lines of context) as `diff -u` and `git apply`
 * read it. `before` undefined is a new file; equal texts give the empty string.
 */
export function unifiedDiff(path: string, before: string | undefined, after: string, context = CONTEXT): string {
  if (before === after) return '';
  const ops = diffItems(splitLines(before ?? ''), splitLines(after));
  const out = [before === undefined ? '--- /dev/null' : `--- a/${path}`, `+++ b/${path}`];
  // Old and new line index at each op, to number the hunks.
  const at: [number, number][] = [];
  let oldN = 0;
  let newN = 0;
  for (const op of ops) {
    at.push([oldN, newN]);
    if (op.kind !== 'insert') oldN++;
    if (op.kind !== 'delete') newN++;
  }
  for (let i = 0; i < ops.length; ) {
    if (ops[i]!.kind === 'equal') {
      i++;
      continue;
    }
    const first = Math.max(0, i - context);
    // Extend over changes separated by at most 2 * context equal lines.
    let last = i;
    for (let j = i; j < ops.length; j++) {
      if (ops[j]!.kind !== 'equal') last = j;
      else if (j - last > 2 * context) break;
    }
    const end = Math.min(ops.length, last + context + 1);
    const slice = ops.slice(first, end);
    const oldLen = slice.filter((o) => o.kind !== 'insert').length;
    const newLen = slice.filter((o) => o.kind !== 'delete').length;
    out.push(`@@ -${range(at[first]![0], oldLen)} +${range(at[first]![1], newLen)} @@`);
    for (const op of slice) {
      const mark = op.kind === 'equal' ? ' ' : op.kind === 'delete' ? '-' : '+';
      // A CRLF line keeps its \r, as diff and git print it, so the patch applies.
      out.push(mark + op.item.replace(/\n$/, ''));
      if (!op.item.endsWith('\n')) out.push('\\ No newline at end of file');
    }
    i = end;
  }
  return `${out.join('\n')}\n`;
}

/** `start,count` as diff prints it: count 1 is left out, and an empty range names the line before. */
function range(start0: number, count: number): string {
  if (count === 0) return `${start0},0`;
  return count === 1 ? `${start0 + 1}` : `${start0 + 1},${count}`;
}
