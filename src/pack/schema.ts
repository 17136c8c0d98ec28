import {z} from 'zod';
import {SEVERITIES} from '../model/types.js';

/** Lower-case words joined by `-`: stable ids that survive in progress files and exports. */
const Slug = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'use lower-case letters, digits and single dashes');
const Text = z.string().trim().min(1, 'must not be empty');
const Glob = z
  .string()
  .min(1)
  .refine((g) => !g.startsWith('/') && !g.split('/').includes('..'), {
    message: 'must be a path relative to the deployment, without ..',
  });

/** An input's value, or several accepted values: `when: {mode: kubernetes}`. */
const Condition = z.record(z.string(), z.union([z.string(), z.array(z.string()).min(1)]));

export const VerifyStepSchema = z.strictObject({
  check: z.string().regex(/^[a-z0-9]+\.[a-z0-9-]+$/, 'a check id looks like family.name'),
  with: z.record(z.string(), z.unknown()).default({}),
  /** Milliseconds; overrides the check's own bound. */
  timeout: z.number().int().min(1).max(600_000).optional(),
  /** Run this step only when the inputs match (e.g. `{mode: kubernetes}`). */
  when: Condition.optional(),
});

export const GenerateSchema = z.strictObject({
  /** A generator id from src/generators (the loader checks it against the registry). */
  generator: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'a generator id such as hex32 or password'),
  /** Bytes or characters, for the generators that take a length. */
  length: z.number().int().positive().optional(),
  /** RSA key size. */
  bits: z.number().int().positive().optional(),
  /** NKEY role. */
  role: z.string().optional(),
  /** Text before the random part, for the identifier generator (e.g. `the0-`). */
  prefix: z.string().optional(),
  /** Config generators (reverse proxy, backups, firewall): see GeneratorOptions in src/generators/define.ts. */
  variant: z.string().optional(),
  system: z.string().optional(),
  domain: z.string().optional(),
  upstream: z.string().optional(),
  certificate: z.string().optional(),
  certificateKey: z.string().optional(),
  timeout: z.number().int().positive().optional(),
  retention: z.number().int().positive().optional(),
  schedule: z.string().optional(),
  directory: z.string().optional(),
  ports: z
    .array(z.union([z.string(), z.number().int()]))
    .min(1)
    .optional(),
  /** Config generators that edit existing files (compose-harden, docker-daemon-logs, helm-values-harden): see GeneratorOptions. */
  mode: z.enum(['override', 'in-place']).optional(),
  file: z.string().min(1).optional(),
  only: z.array(z.string().min(1)).min(1).optional(),
  services: z.array(z.string().min(1)).min(1).optional(),
  private: z.array(z.string().min(1)).min(1).optional(),
  publish: z.enum(['loopback', 'remove']).optional(),
  memory: z
    .string()
    .regex(/^\d+(\.\d+)?([bkmgt]i?b?)?$/i, 'a size such as 512M or 1Gi')
    .optional(),
  cpus: z.union([z.number().positive(), z.string().regex(/^\d+(\.\d+)?m?$/, 'a number of CPUs such as 1.5 or 500m')]).optional(),
  limits: z.record(z.string(), z.strictObject({memory: z.string().optional(), cpus: z.union([z.number().positive(), z.string()]).optional()})).optional(),
  logMaxSize: z
    .string()
    .regex(/^\d+[kmg]$/, 'a size such as 10m')
    .optional(),
  logMaxFile: z.number().int().min(1).max(100).optional(),
  tags: z.record(z.string(), z.string().min(1)).optional(),
  keys: z.array(z.string().min(1)).min(1).optional(),
  existingSecret: z.string().min(1).optional(),
  namespace: z.string().min(1).optional(),
  secretFile: z.string().min(1).optional(),
  replicas: z.number().int().min(1).optional(),
  hosts: z.array(z.string().min(1)).min(1).optional(),
  tlsSecret: z.string().min(1).optional(),
  /** Where the value goes, e.g. `.env:JWT_SECRET` or `compose:the0-api.environment.JWT_SECRET`. */
  into: z.array(z.string().min(1)).min(1).optional(),
  /** A file under templates/ for the `template` generator. */
  template: z.string().min(1).optional(),
  note: z.string().optional(),
  /** Offer this generator only when the inputs match (`{mode: kubernetes}`: a Secret, not a .env). */
  when: Condition.optional(),
});

export const ConfirmSchema = z.union([
  Text,
  z.strictObject({
    question: Text,
    /** Ask for a date (e.g. of the last restore drill) and keep it with the answer. */
    askDate: z.boolean().optional(),
  }),
]);

/** An item's fields, before the rule that it must do something: an `override` takes any of them. */
const ItemFields = z.strictObject({
  id: Slug,
  title: Text,
  why: Text,
  how: Text,
  severity: z.enum(SEVERITIES),
  source: z.strictObject({
    system: Text,
    section: Text,
    url: z.url().optional(),
  }),
  when: Condition.optional(),
  verify: z.array(VerifyStepSchema).min(1).optional(),
  /** One generator, or several when the item needs several values (a user name and its password). */
  generate: z
    .union([GenerateSchema, z.array(GenerateSchema).min(1)])
    .transform((g) => (Array.isArray(g) ? g : [g]))
    .optional(),
  confirm: ConfirmSchema.optional(),
});

export const ItemSchema = ItemFields.refine((i) => i.verify !== undefined || i.confirm !== undefined || i.generate !== undefined, {
  message: 'an item needs at least one of verify, generate or confirm',
});

export const SectionSchema = z.strictObject({
  id: Slug,
  title: Text,
  items: z.array(ItemSchema).min(1),
});

export const InputSchema = z.strictObject({
  id: Slug,
  question: Text,
  choices: z
    .array(z.strictObject({value: Slug, label: Text}))
    .min(2)
    .refine((c) => new Set(c.map((x) => x.value)).size === c.length, {message: 'choice values must be unique'}),
  default: Slug.optional(),
  /** The first rule whose files exist gives the value when the user did not. */
  infer: z.array(z.strictObject({value: Slug, files: z.array(Glob).min(1)})).default([]),
});

/** An inherited item with some of its fields replaced (whole fields, never merged). */
export const OverrideSchema = ItemFields.partial().required({id: true});

/** An inherited item left out, and why: the reason is shown wherever the item would have been. */
export const DropSchema = z.strictObject({id: Slug, reason: Text});

const DetectRule = z.strictObject({
  file: Glob,
  /** A regular expression the file's text must match. */
  contains: z
    .string()
    .min(1)
    .refine((re) => {
      try {
        new RegExp(re, 'm');
        return true;
      } catch {
        return false;
      }
    }, 'must be a valid regular expression')
    .optional(),
});

export const FilesSchema = z.strictObject({
  env: z.array(Glob).default(['.env']),
  /** Candidate base Compose files: the first that exists is used (the Compose spec's order). */
  compose: z.array(Glob).default(['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml']),
  /** Override files merged over the base, in order, when they exist. */
  composeOverrides: z.array(Glob).default(['compose.override.yaml', 'compose.override.yml', 'docker-compose.override.yaml', 'docker-compose.override.yml']),
  /** Helm values files, lowest precedence first (as `helm -f a -f b`). */
  helmValues: z.array(Glob).default([]),
  /** The chart's own defaults for paths the checks read: they apply when no values file sets them. */
  chartDefaults: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  /** Rendered Kubernetes manifests (`helm template` output, kustomize output, plain YAML). */
  manifests: z.array(Glob).default([]),
});

export const PackSchema = z
  .strictObject({
    schema: z.literal(1, {message: 'schema must be 1'}),
    id: Slug,
    title: Text,
    version: z.string().regex(/^\d+\.\d+\.\d+$/, 'use a version like 1.0.0'),
    description: Text,
    /**
     * Packs whose items this pack takes in: built-in pack ids, or packs in the same folder as
     * this one. An item of this pack wins over an inherited item with the same id.
     */
    extends: z
      .array(
        z.union([Slug, z.strictObject({pack: Slug, /** The inherited items apply only when the inputs match. */ when: Condition.optional()})], {
          message: 'an extends entry is a pack id, or {pack: ID, when: {INPUT: VALUE}}',
        }),
      )
      .default([])
      .transform((list) => list.map((e): {pack: string; when?: Record<string, string | string[]>} => (typeof e === 'string' ? {pack: e} : e))),
    override: z.array(OverrideSchema).default([]),
    drop: z.array(DropSchema).default([]),
    detect: z.array(DetectRule).default([]),
    files: FilesSchema.default(FilesSchema.parse({})),
    inputs: z.array(InputSchema).default([]),
    sections: z.array(SectionSchema).min(1),
  })
  .superRefine((pack, ctx) => {
    const seen = new Map<string, string>();
    pack.sections.forEach((section, s) => {
      section.items.forEach((item, i) => {
        const before = seen.get(item.id);
        if (before) {
          ctx.addIssue({code: 'custom', message: `item id "${item.id}" is already used in section ${before}`, path: ['sections', s, 'items', i, 'id']});
        }
        seen.set(item.id, section.id);
        const conditions: [Record<string, string | string[]>, (string | number)[]][] = [[item.when ?? {}, ['sections', s, 'items', i, 'when']]];
        item.verify?.forEach((step, v) => conditions.push([step.when ?? {}, ['sections', s, 'items', i, 'verify', v, 'when']]));
        item.generate?.forEach((g, n) => conditions.push([g.when ?? {}, ['sections', s, 'items', i, 'generate', n, 'when']]));
        // With extends, an input may be inherited: composition (src/pack/compose.ts) checks these.
        if (pack.extends.length > 0) return;
        for (const [when, at] of conditions)
          for (const [inputId, want] of Object.entries(when)) {
            const input = pack.inputs.find((x) => x.id === inputId);
            if (!input) {
              ctx.addIssue({code: 'custom', message: `unknown input "${inputId}" (declare it under inputs)`, path: [...at, inputId]});
              continue;
            }
            for (const v of Array.isArray(want) ? want : [want]) {
              if (!input.choices.some((c) => c.value === v)) {
                ctx.addIssue({
                  code: 'custom',
                  message: `"${v}" is not a choice of input ${inputId} (${input.choices.map((c) => c.value).join(', ')})`,
                  path: [...at, inputId],
                });
              }
            }
          }
      });
    });
    const sectionIds = pack.sections.map((x) => x.id);
    sectionIds.forEach((id, s) => {
      if (sectionIds.indexOf(id) !== s) ctx.addIssue({code: 'custom', message: `section id "${id}" is used twice`, path: ['sections', s, 'id']});
    });
    pack.inputs.forEach((input, n) => {
      const values = input.choices.map((c) => c.value);
      if (input.default && !values.includes(input.default)) {
        ctx.addIssue({code: 'custom', message: `default "${input.default}" is not one of the choices`, path: ['inputs', n, 'default']});
      }
      input.infer.forEach((rule, r) => {
        if (!values.includes(rule.value)) {
          ctx.addIssue({code: 'custom', message: `"${rule.value}" is not one of the choices`, path: ['inputs', n, 'infer', r, 'value']});
        }
      });
    });
  });

export type Pack = z.output<typeof PackSchema> & {
  /**
   * Set by composition (src/pack/compose.ts): item id -> the id of the pack it comes from, for
   * items taken in through `extends`. An item not listed is the pack's own.
   */
  origin?: Record<string, string>;
  /** Set by composition: every pack this one stands on, directly or through another. */
  composedOf?: string[];
  /** Set by composition: the inherited items this pack drops, where from, and why. */
  dropped?: {id: string; from: string; reason: string}[];
};
export type PackSection = Pack['sections'][number];
export type PackItem = PackSection['items'][number];
export type PackInput = Pack['inputs'][number];
export type PackFiles = Pack['files'];
export type VerifyStep = z.output<typeof VerifyStepSchema>;
export type PackOverride = z.output<typeof OverrideSchema>;

/** The pack an item comes from: its own, or the one it was inherited from. */
export function originOf(pack: Pack, itemId: string): string {
  return pack.origin?.[itemId] ?? pack.id;
}
