import {LineCounter, parseAllDocuments} from 'yaml';
import {SourceError} from './errors.js';
import {lineOf, type YamlFile} from './yamlDoc.js';

export interface Manifest {
  file: string;
  kind: string;
  name: string;
  namespace?: string;
  data: Record<string, unknown>;
  /** The document, for line numbers of anything inside it. */
  yaml: YamlFile;
  /** Where the object sits in its document: [] or, inside a `kind: List`, ['items', n]. */
  at: (string | number)[];
}

/** Every Kubernetes object in a multi-document YAML file (`---` separated, as helm template prints). */
export function parseManifests(text: string, file: string): Manifest[] {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, {lineCounter: lines, prettyErrors: false, uniqueKeys: true});
  if (!Array.isArray(docs)) throw new SourceError('not a YAML stream', file, 1, 1);
  const out: Manifest[] = [];
  for (const doc of docs) {
    const err = doc.errors[0];
    if (err) {
      const pos = err.linePos?.[0] ?? lines.linePos(err.pos[0]);
      throw new SourceError(`invalid YAML: ${err.message.split('\n')[0]}`, file, pos.line, pos.col);
    }
    const data = doc.toJS({maxAliasCount: 1000}) as unknown;
    if (data === null || typeof data !== 'object' || Array.isArray(data)) continue;
    const obj = data as Record<string, unknown>;
    const y: YamlFile = {file, doc, lines, data};
    const items = obj.kind === 'List' && Array.isArray(obj.items) ? (obj.items as unknown[]) : [obj];
    items.forEach((item, n) => {
      if (item === null || typeof item !== 'object') return;
      const o = item as Record<string, unknown>;
      if (typeof o.kind !== 'string') return;
      const meta = (o.metadata ?? {}) as Record<string, unknown>;
      const at = items === obj.items ? ['items', n] : [];
      out.push({file, kind: o.kind, name: String(meta.name ?? '(unnamed)'), namespace: meta.namespace as string | undefined, data: o, yaml: y, at});
    });
  }
  return out;
}

export function manifestLine(m: Manifest, path: (string | number)[]): number | undefined {
  return lineOf(m.yaml, [...m.at, ...path]) ?? lineOf(m.yaml, m.at);
}
