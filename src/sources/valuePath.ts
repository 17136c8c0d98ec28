import type {PathKey} from './yamlDoc.js';

/**
 * Parses a values path such as `the0Api.extraEnv[0].name` or
 * `ingress.annotations["nginx.ingress.kubernetes.io/auth-url"]` into its steps.
 */
export function parseValuePath(text: string): PathKey[] {
  if (!WHOLE.test(text)) throw new Error(`cannot read values path "${text}"`);
  const out: PathKey[] = [];
  for (const m of text.matchAll(STEP)) out.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : m[3]!));
  return out;
}

const STEP = /([^.[\]"]+)|\[(\d+)\]|\["([^"]*)"\]/g;
const WHOLE = /^(?:[^.[\]"]+|\["[^"]*"\])(?:\.[^.[\]"]+|\[\d+\]|\["[^"]*"\])*$/;

export function getPath(data: unknown, path: readonly PathKey[]): {found: boolean; value: unknown} {
  let node: unknown = data;
  for (const step of path) {
    if (node === null || typeof node !== 'object') return {found: false, value: undefined};
    if (Array.isArray(node)) {
      if (typeof step !== 'number' || step >= node.length) return {found: false, value: undefined};
      node = node[step];
    } else {
      if (!Object.hasOwn(node, String(step))) return {found: false, value: undefined};
      node = (node as Record<string, unknown>)[String(step)];
    }
  }
  return {found: true, value: node};
}
