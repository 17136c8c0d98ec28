import {z} from 'zod';
import {CHECKS} from '../checks/index.js';
import {loadBuiltins} from '../engine/session.js';

export async function packsCommand(out: NodeJS.WritableStream): Promise<number> {
  for (const {pack, file} of await loadBuiltins()) {
    const items = pack.sections.reduce((n, s) => n + s.items.length, 0);
    out.write(`${pack.id.padEnd(16)} ${pack.version.padEnd(8)} ${String(items).padStart(3)} items  ${pack.title}\n${' '.repeat(17)}${file}\n`);
  }
  return 0;
}

/** One line per check, with its params as JSON Schema says them (the README's table comes from here too). */
export async function checksCommand(out: NodeJS.WritableStream): Promise<number> {
  for (const def of CHECKS.values()) {
    out.write(`${def.id}\n  ${def.summary}\n`);
    for (const [name, type] of paramList(def.params)) out.write(`    ${name}: ${type}\n`);
  }
  return 0;
}

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
