import {z} from 'zod';
import type {CheckDef} from '../checks/define.js';
import {GenerateSchema, ItemSchema, OverrideSchema, PackSchema, VerifyStepSchema} from './schema.js';

/** Where the shipped schema lives in the package, and what `packs new` points editors at. */
export const SCHEMA_FILE = 'schema/pack.schema.json';

type Json = Record<string, unknown>;

/**
 * The pack format as JSON Schema (draft 2020-12), made from the zod schema in src/pack/schema.ts,
 * so editors complete and check pack files (`# yaml-language-server: $schema=...`). To the
 * zod schema it adds what lives in the registries: each check id with its summary, each check's
 * own params under `with`, and the generator ids. Rules the schema cannot say (an id used twice,
 * a `when` naming an unknown input) stay with the loader and `shipshape packs lint`.
 */
export function packJsonSchema(checks: ReadonlyMap<string, CheckDef>, generators: Iterable<string>): Json {
  const ids = z.registry<{id: string}>();
  ids.add(ItemSchema, {id: 'item'});
  ids.add(OverrideSchema, {id: 'override'});
  ids.add(VerifyStepSchema, {id: 'verifyStep'});
  ids.add(GenerateSchema, {id: 'generate'});
  const base = z.toJSONSchema(PackSchema, {io: 'input', unrepresentable: 'any', metadata: ids, target: 'draft-2020-12'}) as Json;
  const defs = (base.$defs ?? {}) as Record<string, Json>;

  const step = defs.verifyStep!;
  const props = step.properties as Record<string, Json>;
  props.check = {
    description: 'A check id from `shipshape checks`.',
    anyOf: [...checks.values()].map((c) => ({const: c.id, description: c.summary})),
  };
  step.allOf = [...checks.values()].map((c) => {
    const params = z.toJSONSchema(c.params, {io: 'input', unrepresentable: 'any', target: 'draft-2020-12'}) as Json;
    delete params.$schema;
    // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then, never awaited.
    return {if: {properties: {check: {const: c.id}}, required: ['check']}, then: {properties: {with: params}}};
  });
  const gen = defs.generate!.properties as Record<string, Json>;
  gen.generator = {description: 'A generator id from src/generators.', enum: [...generators].sort()};

  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Shipshape pack',
    description: 'One checklist for one kind of deployment. Generated from src/pack/schema.ts by npm run docs; do not edit.',
    ...Object.fromEntries(Object.entries(base).filter(([k]) => k !== '$schema')),
  };
}

/** The file's text: stable key order as generated, two-space indent, a final newline. */
export function packJsonSchemaText(checks: ReadonlyMap<string, CheckDef>, generators: Iterable<string>): string {
  return `${JSON.stringify(packJsonSchema(checks, generators), null, 2)}\n`;
}
