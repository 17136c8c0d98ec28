import {isDeepStrictEqual} from 'node:util';
import {isNode, isScalar, parseDocument, Scalar, type Document, type ToStringOptions} from 'yaml';
import {formatPath, parseYaml, type PathKey} from '../sources/yamlDoc.js';
import {merge3, splitLines} from './diff.js';

/**
 * YAML edits through the `yaml` Document API, so comments, anchors, aliases and merge keys
 * survive. The library re-prints a whole document in its own layout (comment spacing, sequence
 * indentation, flow padding); to keep a person's file recognisable, the edit is carried over
 * as a three-way merge: the change from the library's print of the file before the edit to its
 * print after, applied to the original text. The merge is kept only when it reads back to
 * exactly what the library printed; otherwise the library's print is the result.
 */
export function editYaml(text: string, edit: (doc: Document.Parsed) => void, file = 'file.yaml'): string {
  // The library prints \n; a CRLF file is edited as LF and converted back.
  const crlf = text.includes('\r\n') && !/(^|[^\r])\n/.test(text);
  const source = crlf ? text.replace(/\r\n/g, '\n') : text;
  const {doc} = parseYaml(source, file);
  const style = styleOf(source);
  const base = doc.toString(style);
  try {
    edit(doc);
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
  const edited = doc.toString(style);
  if (edited === base) return text;
  const merged = carryOver(source, base, edited, style) ?? edited;
  return crlf ? merged.replace(/\n/g, '\r\n') : merged;
}

/** Sets the value at `path` (creating maps on the way), keeping the rest of the file. */
export function setYamlIn(text: string, path: readonly PathKey[], value: unknown, file = 'file.yaml'): string {
  const out = editYaml(
    text,
    (doc) => {
      try {
        doc.setIn(path, value);
      } catch (err) {
        throw new Error(`cannot set ${formatPath(path)}: ${(err as Error).message}`);
      }
      const node = doc.getIn(path, true);
      if (isScalar(node) && typeof value === 'string' && (node.type === undefined || node.type === Scalar.PLAIN) && ambiguous(value)) {
        node.type = Scalar.QUOTE_DOUBLE;
      }
    },
    file,
  );
  const {doc} = parseYaml(out, file);
  const node: unknown = doc.getIn(path, true);
  const got = isNode(node) ? node.toJS(doc) : node;
  if (!isDeepStrictEqual(got, value)) throw new Error(`${file}: ${formatPath(path)} did not read back as the value written; the file was left unchanged`);
  return out;
}

/**
 * A string that some reader would not take for that string when written plain: YAML 1.2
 * (ours, Compose) quotes those by itself, but YAML 1.1 readers (PyYAML, older tools) also read
 * `yes`, `on`, `0o10` or `1:20` as booleans and numbers.
 */
function ambiguous(value: string): boolean {
  const doc = parseDocument(value, {version: '1.1'});
  return doc.errors.length > 0 || !isScalar(doc.contents) || doc.contents.value !== value;
}

/** The original text with the library's change applied, or undefined when that is not exact. */
function carryOver(source: string, base: string, edited: string, style: ToStringOptions): string | undefined {
  const lines = merge3(splitLines(base), splitLines(source), splitLines(edited), (b, ours, theirs) => {
    // Both touch the same lines (say a value and its comment's spacing): merge them character
    // by character, line for line, else take the library's lines for this stretch only.
    if (ours.length !== b.length || theirs.length !== b.length) return theirs;
    const merged = b.map((line, i) => merge3([...line], [...ours[i]!], [...theirs[i]!], () => undefined)?.join(''));
    return merged.every((l) => l !== undefined && !l.slice(0, -1).includes('\n')) ? (merged as string[]) : theirs;
  });
  if (!lines) return undefined;
  const merged = lines.join('');
  const check = parseDocument(merged, {merge: true, uniqueKeys: true});
  return check.errors.length === 0 && check.toString(style) === edited ? merged : undefined;
}

/**
 * Printing options close to the file's own layout, so the library's print differs from the
 * file in as few lines as possible: no folding of long lines, the file's indentation, its
 * sequence indentation under keys, and its padding inside flow brackets.
 */
function styleOf(text: string): ToStringOptions {
  const lines = text.split('\n').filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  const indentOf = (l: string) => /^ */.exec(l)![0].length;
  let indent = Infinity;
  let indentSeq = true;
  for (let i = 1; i < lines.length; i++) {
    const prev = lines[i - 1]!;
    const cur = lines[i]!;
    const step = indentOf(cur) - indentOf(prev);
    if (step > 0) indent = Math.min(indent, step);
    if (step === 0 && /^ *- /.test(cur) && /^ *[^\s#-][^#]*:\s*$/.test(prev)) indentSeq = false;
  }
  return {
    lineWidth: 0,
    minContentWidth: 0,
    indent: Number.isFinite(indent) ? Math.min(Math.max(indent, 1), 8) : 2,
    indentSeq,
    flowCollectionPadding: /[[{] [^\s\]}]/.test(text),
  };
}
