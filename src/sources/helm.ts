import {getPath, parseValuePath} from './valuePath.js';
import {lineOf, type PathKey, type YamlFile} from './yamlDoc.js';

export interface HelmValue {
  value: unknown;
  /** The values file that sets it; undefined when it is the chart's own default. */
  file?: string;
  line?: number;
  chartDefault: boolean;
}

/**
 * Helm values from several files, lowest precedence first, as `helm -f a.yaml -f b.yaml`
 * merges them; paths no file sets fall back to the chart defaults the pack declares.
 */
export class HelmValues {
  constructor(
    readonly files: readonly YamlFile[],
    private readonly chartDefaults: Readonly<Record<string, unknown>>,
  ) {}

  get(path: string | readonly PathKey[]): HelmValue | undefined {
    const steps = typeof path === 'string' ? parseValuePath(path) : path;
    for (let n = this.files.length - 1; n >= 0; n--) {
      const y = this.files[n]!;
      const hit = getPath(y.data, steps);
      if (hit.found) return {value: hit.value, file: y.file, line: lineOf(y, steps), chartDefault: false};
    }
    const key = typeof path === 'string' ? path : steps.join('.');
    if (Object.hasOwn(this.chartDefaults, key)) return {value: this.chartDefaults[key], chartDefault: true};
    return undefined;
  }

  /**
   * Like get, but as Helm merges: a null written at the path or any map above it in a file of
   * higher precedence deletes what lower files and the chart set (`resources: null`).
   */
  resolve(path: string | readonly PathKey[]): HelmValue | undefined {
    const steps = typeof path === 'string' ? parseValuePath(path) : path;
    for (let n = this.files.length - 1; n >= 0; n--) {
      const y = this.files[n]!;
      const hit = getPath(y.data, steps);
      if (hit.found) return {value: hit.value, file: y.file, line: lineOf(y, steps), chartDefault: false};
      for (let k = steps.length - 1; k >= 1; k--) {
        const above = getPath(y.data, steps.slice(0, k));
        if (!above.found) continue;
        if (above.value === null) return {value: null, file: y.file, line: lineOf(y, steps.slice(0, k)), chartDefault: false};
        break;
      }
    }
    return this.get(steps);
  }

  /** Every (path, value, place) of string leaves across the files, highest precedence winning. */
  leaves(): {path: PathKey[]; value: unknown; file: string; line?: number}[] {
    const seen = new Map<string, {path: PathKey[]; value: unknown; file: string; line?: number}>();
    for (let n = this.files.length - 1; n >= 0; n--) {
      const y = this.files[n]!;
      walk(y.data, [], (path, value) => {
        const k = JSON.stringify(path);
        if (!seen.has(k)) seen.set(k, {path, value, file: y.file, line: lineOf(y, path)});
      });
    }
    return [...seen.values()];
  }
}

function walk(node: unknown, path: PathKey[], visit: (path: PathKey[], value: unknown) => void): void {
  if (Array.isArray(node)) node.forEach((v, i) => walk(v, [...path, i], visit));
  else if (node !== null && typeof node === 'object') for (const [k, v] of Object.entries(node)) walk(v, [...path, k], visit);
  else visit(path, node);
}
