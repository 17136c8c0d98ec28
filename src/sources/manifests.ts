import {lineOf, parseYamlStream, type YamlFile} from './yamlDoc.js';

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
  const out: Manifest[] = [];
  // Merge keys (`<<`) stay off here, as they always were for manifests.
  for (const y of parseYamlStream(text, file)) {
    const data = y.data;
    if (data === null || typeof data !== 'object' || Array.isArray(data)) continue;
    const obj = data as Record<string, unknown>;
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
