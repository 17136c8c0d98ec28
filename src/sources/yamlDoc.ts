import {isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Alias, type Document, type Node} from 'yaml';
import {SourceError, errorMessage} from './errors.js';

export type PathKey = string | number;

/** A parsed YAML file that can say where any value in it stands. */
export interface YamlFile {
  file: string;
  doc: Document.Parsed;
  lines: LineCounter;
  data: unknown;
}

/**
 * Parses YAML keeping positions. The first syntax error becomes a SourceError with its line
 * and column; duplicate keys count as errors, because which copy wins is a guess.
 */
export function parseYaml(text: string, file: string): YamlFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, {lineCounter: lines, prettyErrors: false, uniqueKeys: true, merge: true});
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0] ?? lines.linePos(first.pos[0]);
    throw new SourceError(`invalid YAML: ${firstLine(first.message)}`, file, pos.line, pos.col);
  }
  let data: unknown;
  try {
    data = doc.toJS({maxAliasCount: 1000});
  } catch (err) {
    // An alias to no earlier anchor, or aliases that expand past the bound, only fail here.
    const alias = blamedAlias(doc);
    const pos = alias?.range ? lines.linePos(alias.range[0]) : {line: 1, col: 1};
    throw new SourceError(`invalid YAML: ${errorMessage(err)}`, file, pos.line, pos.col);
  }
  return {file, doc, lines, data};
}

/** The first alias that names no earlier anchor, else the first alias. */
function blamedAlias(doc: Document.Parsed): Alias | undefined {
  const aliases: Alias[] = [];
  visit(doc, {Alias: (_key, node) => void aliases.push(node)});
  return aliases.find((a) => a.resolve(doc) === undefined) ?? aliases[0];
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

/** The node at `path`, or undefined when some step is missing. */
export function nodeAt(doc: Document.Parsed, path: readonly PathKey[]): Node | undefined {
  let node: unknown = doc.contents;
  for (const step of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(step));
      node = pair?.value ?? undefined;
    } else if (isSeq(node) && typeof step === 'number') {
      node = node.items[step];
    } else {
      return undefined;
    }
  }
  return (node ?? undefined) as Node | undefined;
}

/** The key node for the last step of `path` (for "unknown key" errors). */
export function keyNodeAt(doc: Document.Parsed, path: readonly PathKey[]): Node | undefined {
  const parent = nodeAt(doc, path.slice(0, -1));
  const last = path.at(-1);
  if (!isMap(parent) || last === undefined) return undefined;
  const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(last));
  return (pair?.key ?? undefined) as Node | undefined;
}

export interface Position {
  line: number;
  col: number;
}

/** Line and column of the value at `path`, or of the nearest ancestor that exists. */
export function positionOf(y: YamlFile, path: readonly PathKey[], preferKey = false): Position {
  for (let n = path.length; n >= 0; n--) {
    const sub = path.slice(0, n);
    const node = (preferKey && n === path.length ? keyNodeAt(y.doc, sub) : undefined) ?? nodeAt(y.doc, sub);
    if (node?.range) return y.lines.linePos(node.range[0]);
  }
  return {line: 1, col: 1};
}

/** 1-based line of the value at `path`, or undefined when it is not in the file. */
export function lineOf(y: YamlFile, path: readonly PathKey[]): number | undefined {
  const node = nodeAt(y.doc, path);
  return node?.range ? y.lines.linePos(node.range[0]).line : undefined;
}

/** `a.b[2].c` for messages. */
export function formatPath(path: readonly PathKey[]): string {
  let out = '';
  for (const step of path) out += typeof step === 'number' ? `[${step}]` : out === '' ? String(step) : `.${String(step)}`;
  return out === '' ? '(top level)' : out;
}
