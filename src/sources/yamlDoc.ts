import {
  Composer,
  CST,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  Parser,
  type Alias,
  type Document,
  type Node,
  type Pair,
  type YAMLMap,
} from 'yaml';
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
 * Limits on what a YAML file may ask of us. The files we read are written by other people, and
 * the yaml package recurses once per level of nesting and resolves aliases in time quadratic in
 * their number, so these are checked by our own linear passes before its code runs.
 */
export const YAML_LIMITS = {
  /** Lists and mappings inside one another, counted after aliases are expanded. */
  depth: 256,
  /** yaml's own alias-bomb rule: an anchor used n times whose value holds aliases expanded k times may give n × k up to this. */
  aliasCount: 1000,
  /** Nodes that aliases and merge keys may add to a document, all expansions together. */
  aliasNodes: 100_000,
} as const;

/**
 * Parses YAML keeping positions. The first syntax error becomes a SourceError with its line
 * and column; duplicate keys count as errors, because which copy wins is a guess, and so do
 * keys that are lists or mappings (JavaScript would turn them into strings).
 */
export function parseYaml(text: string, file: string): YamlFile {
  const lines = new LineCounter();
  const docs = composeDocuments(text, file, lines, {merge: true, single: true});
  return toYamlFile(docs[0]!, file, lines);
}

/** Every document of a `---` separated stream (as `helm template` prints), each like parseYaml's. */
export function parseYamlStream(text: string, file: string, options: {merge?: boolean} = {}): YamlFile[] {
  const lines = new LineCounter();
  return composeDocuments(text, file, lines, {merge: options.merge ?? false, single: false}).map((doc) => toYamlFile(doc, file, lines));
}

function toYamlFile(doc: Document.Parsed, file: string, lines: LineCounter): YamlFile {
  const links = checkDocument(doc, file, lines);
  // yaml looks an alias's anchor up by scanning every anchor and alias before it, once per alias
  // (quadratic in their number; 40,000 of them took minutes). checkDocument found each one's
  // anchor by the same rule (the last one before it), so hand yaml the answer.
  for (const [alias, target] of links) Object.defineProperty(alias, 'resolve', {value: () => target, configurable: true, writable: true});
  let data: unknown;
  try {
    // The alias-count rule was applied by checkDocument; yaml's own check is quadratic.
    data = doc.toJS({maxAliasCount: -1});
  } catch (err) {
    const pos = lines.linePos(doc.range[0]);
    throw new SourceError(`invalid YAML: ${errorMessage(err)}`, file, pos.line, pos.col);
  }
  return {file, doc, lines, data};
}

/**
 * Lexes, parses and composes `text` into documents, refusing nesting past the limit before the
 * recursive parts of yaml see it, and reporting the first error of the first bad document.
 */
function composeDocuments(text: string, file: string, lines: LineCounter, options: {merge: boolean; single: boolean}): Document.Parsed[] {
  const gauge = depthGauge(file);
  let docs: Document.Parsed[];
  try {
    const parser = new Parser(lines.addNewLine);
    lines.addNewLine(0);
    const tokens: CST.Token[] = [];
    for (const lexeme of new Lexer().lex(text)) {
      gauge.feed(lexeme); // throws before the parser is handed a level past the limit
      for (const token of parser.next(lexeme)) tokens.push(token);
    }
    for (const token of parser.end()) tokens.push(token);
    checkTreeDepth(tokens, file, lines);
    // uniqueKeys: yaml compares each key with every earlier one (40,000 keys took 12 s), so
    // checkDocument finds duplicates with a Set instead. logLevel: yaml's warnings would go
    // to process.emitWarning, that is raw onto the user's stderr.
    const composer = new Composer({merge: options.merge, uniqueKeys: false, logLevel: 'error'});
    docs = [...composer.compose(tokens, options.single, text.length)];
  } catch (err) {
    if (err instanceof SourceError) throw err;
    // The lexical estimate is meant to keep this from happening; should it not, still say where.
    if (err instanceof RangeError) throw new SourceError(`YAML nested too deeply to read (${errorMessage(err)})`, file, gauge.deepest.line, gauge.deepest.col);
    throw err;
  }
  if (options.single && docs.length > 1) {
    const second = docs[1]!;
    const pos = lines.linePos(second.range[0]);
    const first = firstProblem(docs[0]!, file, lines);
    if (first) throw first;
    throw new SourceError('invalid YAML: a second document starts here; this file holds one', file, pos.line, pos.col);
  }
  for (const doc of docs) {
    const problem = firstProblem(doc, file, lines);
    if (problem) throw problem;
  }
  return docs;
}

/** The earlier of yaml's first error and the first duplicate key, as a SourceError. */
function firstProblem(doc: Document.Parsed, file: string, lines: LineCounter): SourceError | undefined {
  const err = doc.errors[0];
  const dup = firstDuplicateKey(doc);
  if (dup && (!err || dup.offset < err.pos[0])) {
    const pos = lines.linePos(dup.offset);
    return new SourceError('invalid YAML: Map keys must be unique', file, pos.line, pos.col);
  }
  if (!err) return undefined;
  const pos = err.linePos?.[0] ?? lines.linePos(err.pos[0]);
  return new SourceError(`invalid YAML: ${firstLine(err.message)}`, file, pos.line, pos.col);
}

/** The second copy of the first scalar key that repeats within one mapping (yaml's rule: equal values). */
function firstDuplicateKey(doc: Document.Parsed): {offset: number} | undefined {
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        const key = pair.key;
        if (isScalar(key) && !Number.isNaN(key.value)) {
          if (seen.has(key.value)) return {offset: key.range?.[0] ?? 0};
          seen.add(key.value);
        }
      }
      for (let i = node.items.length - 1; i >= 0; i--) stack.push(node.items[i]!.value, node.items[i]!.key);
    } else if (isSeq(node)) {
      for (let i = node.items.length - 1; i >= 0; i--) stack.push(node.items[i]);
    } else if (isPair(node)) {
      stack.push(node.value, node.key);
    }
  }
  return undefined;
}

function tooDeep(file: string, line: number, col: number): SourceError {
  return new SourceError(`YAML nested deeper than ${YAML_LIMITS.depth} levels of lists and mappings (the limit)`, file, line, col);
}

/**
 * An estimate of nesting from the lexer's tokens alone, fed each one before yaml's parser (which
 * recurses when it closes many levels at once) sees it: block collections are tracked by the
 * column they start at, as the parser does, flow collections by their brackets. It knows where
 * the deepest point so far is. The exact count on the parsed tree follows in checkTreeDepth.
 */
function depthGauge(file: string): {feed: (lexeme: string) => void; deepest: {line: number; col: number}} {
  const block: {col: number; seq: boolean}[] = [];
  let flow = 0;
  let offset = 0;
  let line = 1;
  let lineStart = 0;
  let keyCol = -1; // where the node that may turn out to be an implicit key began, on this line
  let scalarNext = false;
  const deepest = {line: 1, col: 1, depth: 0};
  const measure = (col: number) => {
    const depth = block.length + flow;
    if (depth > YAML_LIMITS.depth) throw tooDeep(file, line, col + 1);
    if (depth > deepest.depth) Object.assign(deepest, {line, col: col + 1, depth});
  };
  const open = (col: number, seq: boolean) => {
    let top = block.at(-1);
    // A dedent closes deeper collections; a key at a sequence's column ends that sequence
    // (`a:` / `- x` / `b:` puts the list and the keys at one column).
    while (top && (top.col > col || (top.col === col && top.seq && !seq))) {
      block.pop();
      top = block.at(-1);
    }
    if (top && top.col === col && top.seq === seq) return;
    block.push({col, seq});
    measure(col);
  };
  const feed = (lexeme: string) => {
    const type = scalarNext ? 'scalar' : CST.tokenType(lexeme);
    const virtual = !scalarNext && (type === 'scalar' || type === 'doc-mode' || type === 'flow-error-end');
    const col = offset - lineStart;
    switch (virtual ? 'virtual' : type) {
      case 'virtual':
        if (type === 'scalar') scalarNext = true;
        else {
          // doc-mode starts a document; flow-error-end ends flow collections left open.
          if (type === 'doc-mode') block.length = 0;
          flow = 0;
        }
        break;
      case 'doc-start':
      case 'doc-end':
        block.length = 0;
        flow = 0;
        keyCol = -1;
        break;
      case 'newline':
        break;
      case 'seq-item-ind':
      case 'explicit-key-ind':
      case 'map-value-ind':
        if (flow === 0) {
          open(type === 'map-value-ind' && keyCol >= 0 ? keyCol : col, type === 'seq-item-ind');
          keyCol = -1;
        }
        break;
      case 'flow-map-start':
      case 'flow-seq-start':
        if (flow === 0 && keyCol < 0) keyCol = col;
        flow++;
        measure(col);
        break;
      case 'flow-map-end':
      case 'flow-seq-end':
        if (flow > 0) flow--;
        break;
      case 'space':
      case 'comment':
      case 'comma':
      case 'byte-order-mark':
      case 'directive-line':
        break;
      default:
        // A scalar, alias, anchor, tag or block scalar header: a node starts here.
        if (flow === 0 && keyCol < 0) keyCol = col;
    }
    if (virtual) return;
    scalarNext = false;
    const nl = lexeme.lastIndexOf('\n');
    if (nl >= 0) {
      for (let i = lexeme.indexOf('\n'); i >= 0; i = lexeme.indexOf('\n', i + 1)) line++;
      lineStart = offset + nl + 1;
      keyCol = -1; // a newline, or a scalar over several lines (never an implicit key)
    }
    offset += lexeme.length;
  };
  return {feed, deepest};
}

/**
 * Nesting counted exactly on the parser's tree, without recursion, before the composer (which
 * recurses once per level) sees it. `[a: b]` holds a one-pair mapping inside the list: it counts.
 */
function checkTreeDepth(tokens: readonly CST.Token[], file: string, lines: LineCounter): void {
  const stack: [CST.Token, number][] = [];
  for (let i = tokens.length - 1; i >= 0; i--) stack.push([tokens[i]!, 0]);
  while (stack.length > 0) {
    const [token, depth] = stack.pop()!;
    if (token.type === 'document') {
      if (token.value) stack.push([token.value, depth]);
      continue;
    }
    if (token.type !== 'block-map' && token.type !== 'block-seq' && token.type !== 'flow-collection') continue;
    const level = depth + 1;
    if (level > YAML_LIMITS.depth) {
      const pos = lines.linePos(token.offset);
      throw tooDeep(file, pos.line, pos.col);
    }
    const inList = token.type === 'flow-collection' && token.start.source === '[';
    for (let i = token.items.length - 1; i >= 0; i--) {
      const item = token.items[i]!;
      const pair = inList && (item.sep?.some((t) => t.type === 'map-value-ind') || item.start.some((t) => t.type === 'explicit-key-ind'));
      const inner = pair ? level + 1 : level;
      if (item.value) stack.push([item.value, inner]);
      if (item.key) stack.push([item.key, inner]);
    }
  }
}

interface Shape {
  /** Levels of lists and mappings, aliases expanded. */
  height: number;
  /** Nodes, aliases expanded. */
  size: number;
  /** yaml's getAliasCount: how many times the aliases inside are expanded, 1 for a scalar, 0 for an empty collection. */
  weight: number;
}

/**
 * One walk over a composed document (its depth is bounded by now), in document order, that
 * refuses what yaml would turn into an exception, a warning, a cycle or an explosion, each at
 * its place: a list or mapping used as a key, an alias to no earlier anchor, an alias inside the
 * node it names, a merge key with something other than mappings, aliases nested past the depth
 * limit, expanded past the node limit, or used past yaml's alias-count rule. Returns each alias
 * with its anchor's node.
 */
function checkDocument(doc: Document.Parsed, file: string, lines: LineCounter): [Alias, Node][] {
  const anchors = new Map<string, Node>();
  const open = new Set<Node>();
  const shapes = new Map<Node, Shape>();
  const counts = new Map<Node, number>();
  const links: [Alias, Node][] = [];
  let added = 0;
  const fail = (node: {range?: readonly number[] | null} | null | undefined, message: string): never => {
    const pos = lines.linePos(node?.range?.[0] ?? doc.range[0]);
    throw new SourceError(`invalid YAML: ${message}`, file, pos.line, pos.col);
  };
  const target = (alias: Alias): Node => {
    const node = anchors.get(alias.source);
    if (!node) fail(alias, `Unresolved alias (the anchor must be set before the alias): ${alias.source}`);
    if (open.has(node!)) fail(alias, `the alias *${alias.source} is inside the node it names (a cycle)`);
    return node!;
  };
  const isMergeKey = (key: unknown) => isScalar(key) && typeof key.value === 'symbol' && key.value.description === '<<';
  const walk = (node: unknown, level: number): Shape => {
    if (isAlias(node)) {
      const to = target(node);
      links.push([node, to]);
      const shape = shapes.get(to)!;
      const count = (counts.get(to) ?? 1) + 1;
      counts.set(to, count);
      if (count * shape.weight > YAML_LIMITS.aliasCount) fail(node, 'Excessive alias count indicates a resource exhaustion attack');
      if (level + shape.height > YAML_LIMITS.depth) fail(node, `the alias *${node.source} nests its value deeper than ${YAML_LIMITS.depth} levels (the limit)`);
      added += shape.size - 1;
      if (added > YAML_LIMITS.aliasNodes) fail(node, `aliases here expand to more than ${YAML_LIMITS.aliasNodes.toLocaleString('en')} nodes (the limit)`);
      return {height: shape.height, size: shape.size, weight: count * shape.weight};
    }
    const anchored = node as Node | null | undefined;
    if (anchored && 'anchor' in anchored && typeof anchored.anchor === 'string') {
      anchors.set(anchored.anchor, anchored);
      open.add(anchored);
    }
    let shape: Shape = {height: 0, size: 1, weight: 1};
    if (isMap(node) || isSeq(node)) {
      if (level + 1 > YAML_LIMITS.depth) fail(node, `YAML nested deeper than ${YAML_LIMITS.depth} levels of lists and mappings (the limit)`);
      shape = {height: 1, size: 1, weight: 0};
      const add = (child: Shape) => {
        shape.height = Math.max(shape.height, child.height + 1);
        shape.size += child.size;
        shape.weight = Math.max(shape.weight, child.weight);
      };
      for (const item of node.items as unknown[]) {
        if (!isPair(item)) {
          add(walk(item, level + 1));
          continue;
        }
        const key = item.key;
        if (isMap(key) || isSeq(key) || (isAlias(key) && (isMap(target(key)) || isSeq(target(key))))) {
          fail(key as Node, 'a mapping key must be a single value, not a list or a mapping');
        }
        if (isMergeKey(key)) checkMerge(item);
        const k = walk(key, level + 1);
        const v = walk(item.value, level + 1);
        add({height: Math.max(k.height, v.height), size: k.size + v.size, weight: Math.max(k.weight, v.weight)});
      }
    }
    if (anchored && open.has(anchored)) {
      open.delete(anchored);
      shapes.set(anchored, shape);
    }
    return shape;
  };
  const checkMerge = (pair: Pair) => {
    const resolved = (n: unknown) => (isAlias(n) ? target(n) : n);
    const value = resolved(pair.value);
    const sources = isSeq(value) ? value.items.map(resolved) : [value];
    if (!sources.every((s) => isMap(s))) fail((pair.value ?? pair.key) as Node, '<< merges a mapping, an alias to one, or a list of them');
  };
  walk(doc.contents, 0);
  return links;
}

/**
 * One of yaml's errors as `line:col: message`, without the code frame yaml appends: that frame
 * quotes the file's line, which may hold a secret.
 */
export function yamlErrorText(err: {message: string; linePos?: [{line: number; col: number}] | [{line: number; col: number}, unknown]}): string {
  const pos = err.linePos?.[0];
  return `${pos ? `${pos.line}:${pos.col}: ` : ''}invalid YAML: ${firstLine(err.message)}`;
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

/** Pairs of a large mapping by key, built on first use, so a lookup is not a scan of every key. */
const keyIndex = new WeakMap<YAMLMap, Map<string, Pair>>();

function pairFor(map: YAMLMap, step: PathKey): Pair | undefined {
  if (map.items.length < 32) return map.items.find((p) => isScalar(p.key) && String(p.key.value) === String(step));
  let index = keyIndex.get(map);
  if (!index) {
    index = new Map();
    for (const p of map.items) {
      if (!isScalar(p.key)) continue;
      const k = String(p.key.value);
      if (!index.has(k)) index.set(k, p);
    }
    keyIndex.set(map, index);
  }
  return index.get(String(step));
}

/** What an alias stands for (its anchor's node); other nodes as they are. */
function deref(doc: Document.Parsed, node: unknown): unknown {
  // An alias never points at another alias (the anchor is on a node), but a bound costs nothing.
  for (let hops = 0; hops < 8 && isAlias(node); hops++) node = (node as Alias).resolve(doc);
  return node;
}

const isMergeKeyNode = (key: unknown) => isScalar(key) && ((typeof key.value === 'symbol' && key.value.description === '<<') || key.value === '<<');

/** A mapping's merge keys (`<<:`), found once: most mappings have none, and a missing key is asked often. */
function mergesOf(map: YAMLMap): Pair[] {
  let merges = mergeKeys.get(map);
  if (!merges) mergeKeys.set(map, (merges = map.items.filter((p) => isMergeKeyNode(p.key))));
  return merges;
}

const mergeKeys = new WeakMap<YAMLMap, Pair[]>();

/** The pair for `step` in a mapping, looking through merge keys (`<<: *base`) as YAML 1.1 does: own keys first, then each merged mapping in order. */
function pairThroughMerges(doc: Document.Parsed, map: YAMLMap, step: PathKey, depth = 0): Pair | undefined {
  const own = pairFor(map, step);
  if (own || depth > 16) return own;
  for (const p of mergesOf(map)) {
    const value = deref(doc, p.value);
    const sources = isSeq(value) ? value.items.map((n) => deref(doc, n)) : [value];
    for (const source of sources) {
      const found = isMap(source) ? pairThroughMerges(doc, source, step, depth + 1) : undefined;
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * The node at `path`, or undefined when some step is missing. Aliases and merge keys are
 * followed, so a value that came from an anchor is found at the anchor's place in the file.
 */
export function nodeAt(doc: Document.Parsed, path: readonly PathKey[]): Node | undefined {
  let node: unknown = deref(doc, doc.contents);
  for (const step of path) {
    if (isMap(node)) {
      node = pairThroughMerges(doc, node, step)?.value ?? undefined;
    } else if (isSeq(node) && typeof step === 'number') {
      node = node.items[step];
    } else {
      return undefined;
    }
    node = deref(doc, node);
  }
  return (node ?? undefined) as Node | undefined;
}

/** The key node for the last step of `path` (for "unknown key" errors). */
export function keyNodeAt(doc: Document.Parsed, path: readonly PathKey[]): Node | undefined {
  const parent = nodeAt(doc, path.slice(0, -1));
  const last = path.at(-1);
  if (!isMap(parent) || last === undefined) return undefined;
  return (pairFor(parent, last)?.key ?? undefined) as Node | undefined;
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
