import type {ReactNode} from 'react';

/**
 * Text laid out before Ink sees it: every screen is a list of rows no wider than the terminal,
 * so a screen knows how many rows it needs, can scroll, and never has Ink wrap or cut a line
 * behind its back.
 */

/** A run of text in one style. `node`, when given, is drawn instead of `text` (same width). */
export interface Span {
  text: string;
  color?: string;
  bold?: boolean;
  inverse?: boolean;
  node?: ReactNode;
}

/** One terminal row. */
export type Line = Span[];

/**
 * Columns a string takes in a terminal: wide East Asian characters and emoji take two,
 * combining marks and joiners none. Close to what Ink measures; control characters count zero.
 */
export function cellWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += charWidth(ch.codePointAt(0)!);
  return w;
}

function charWidth(cp: number): number {
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return 0;
  if (cp < 0x300) return 1;
  if ((cp >= 0x300 && cp <= 0x36f) || cp === 0x200b || cp === 0x200c || cp === 0x200d || (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0x1f3fb && cp <= 0x1f3ff))
    return 0;
  if (/\p{Mn}|\p{Me}/u.test(String.fromCodePoint(cp))) return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x1f680 && cp <= 0x1f6ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  )
    return 2;
  return 1;
}

/** Text safe to lay out: tabs become spaces, other control characters go. Line breaks stay. */
function printable(s: string): string {
  return s
    .replace(/\t/g, ' ')
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000-\u0009\u000B-\u001F\u007F-\u009F]/g, '');
}

type Piece = {kind: 'word' | 'space'; span: Span; width: number};
type Token = Piece | {kind: 'break'};

function tokenize(spans: Span[]): Token[] {
  const out: Token[] = [];
  for (const span of spans) {
    if (span.node !== undefined) {
      out.push({kind: 'word', span, width: cellWidth(span.text)});
      continue;
    }
    const text = printable(span.text);
    for (const part of text.split(/(\n| +)/)) {
      if (part === '') continue;
      if (part === '\n') out.push({kind: 'break'});
      else out.push({kind: part[0] === ' ' ? 'space' : 'word', span: {...span, text: part}, width: cellWidth(part)});
    }
  }
  return out;
}

/** Splits a word wider than a row into pieces of at most `width` columns. */
function splitWord(text: string, width: number): string[] {
  const pieces: string[] = [];
  let piece = '';
  let w = 0;
  for (const ch of text) {
    const cw = charWidth(ch.codePointAt(0)!);
    if (w + cw > width && piece !== '') {
      pieces.push(piece);
      piece = '';
      w = 0;
    }
    piece += ch;
    w += cw;
  }
  if (piece !== '') pieces.push(piece);
  return pieces;
}

/**
 * Word-wraps styled text into rows of at most `width` columns. Rows after the first start with
 * `indent` spaces (a hanging indent, so a wrapped evidence line still reads as one). Spaces
 * inside a row are kept as written; a word longer than a row is split.
 */
export function wrapSpans(spans: Span[], width: number, indent = 0): Line[] {
  const w = Math.max(width, 1);
  const ind = Math.min(indent, Math.max(w - 8, 0));
  const lines: Line[] = [];
  let line: Line = [];
  let used = 0;
  let spaces: Piece[] = [];
  const push = (span: Span, cw: number) => {
    const last = line.at(-1);
    if (last && last.node === undefined && span.node === undefined && sameStyle(last, span)) line[line.length - 1] = {...last, text: last.text + span.text};
    else line.push(span);
    used += cw;
  };
  const newLine = () => {
    lines.push(line);
    line = [];
    used = 0;
    spaces = [];
    if (ind > 0) push({text: ' '.repeat(ind)}, ind);
  };
  const atStart = () => used === (lines.length === 0 ? 0 : ind);
  for (const t of tokenize(spans)) {
    if (t.kind === 'break') {
      newLine();
      continue;
    }
    if (t.kind === 'space') {
      // Leading spaces of the first row are indentation the caller asked for; keep them.
      if (lines.length === 0 && line.length === 0) push(t.span, t.width);
      else if (!atStart()) spaces.push(t);
      continue;
    }
    const gap = spaces.reduce((n, s) => n + s.width, 0);
    if (used + gap + t.width <= w) {
      for (const s of spaces) push(s.span, s.width);
      spaces = [];
      push(t.span, t.width);
      continue;
    }
    if (!atStart()) newLine();
    if (used + t.width <= w) {
      push(t.span, t.width);
      continue;
    }
    // Longer than a row: hard-split (a path, a URL, a hash).
    const room = w - used;
    const pieces = t.span.node === undefined ? splitWord(t.span.text, room) : [t.span.text];
    pieces.forEach((p, n) => {
      if (n > 0) newLine();
      push({...t.span, text: p}, cellWidth(p));
    });
  }
  lines.push(line);
  return lines;
}

function sameStyle(a: Span, b: Span): boolean {
  return a.color === b.color && a.bold === b.bold && a.inverse === b.inverse;
}

/** Plain text wrapped to a width, one string per row. */
export function wrap(text: string, width: number, indent = 0): string[] {
  return wrapSpans([{text}], width, indent).map((l) => l.map((s) => s.text).join(''));
}

/** Cuts text to a width with an ellipsis: only for decoration (the header), never for content. */
export function clip(text: string, width: number): string {
  if (cellWidth(text) <= width) return text;
  let out = '';
  let w = 0;
  for (const ch of text) {
    const cw = charWidth(ch.codePointAt(0)!);
    if (w + cw > width - 1) break;
    out += ch;
    w += cw;
  }
  return `${out}…`;
}
