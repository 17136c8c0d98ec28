import {z} from 'zod';

/** A check's params as `name: type` pairs, read from its zod schema through JSON Schema. */
export function paramList(schema: z.ZodType): [string, string][] {
  const json = z.toJSONSchema(schema, {io: 'input', unrepresentable: 'any'}) as {properties?: Record<string, Record<string, unknown>>; required?: string[]};
  return Object.entries(json.properties ?? {}).map(([name, p]) => [`${name}${json.required?.includes(name) ? '' : '?'}`, describeType(p)]);
}

function describeType(p: Record<string, unknown>): string {
  const def = p.default !== undefined ? ` = ${JSON.stringify(p.default)}` : '';
  if (Array.isArray(p.enum)) return `${p.enum.map((e) => JSON.stringify(e)).join(' | ')}${def}`;
  if (Array.isArray(p.anyOf)) return `${(p.anyOf as Record<string, unknown>[]).map((x) => describeType(x)).join(' | ')}${def}`;
  if (p.type === 'array') {
    const inner = describeType((p.items ?? {}) as Record<string, unknown>);
    return `${inner.includes(' | ') ? `(${inner})` : inner}[]${def}`;
  }
  return `${String(p.type ?? 'any')}${def}`;
}
