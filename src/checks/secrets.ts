import {z} from 'zod';
import {isPlaceholder, redact, shapeOf} from '../engine/redact.js';
import {result, type Evidence, count} from '../model/types.js';
import {defineCheck} from './define.js';
import {collect, evidenceOf, SelectorShape, type Occurrence} from '../deploy/settings.js';

const NotSetShape = {
  /** When no copy exists at all: fail (the service needs it) or skip. */
  required: z.boolean().default(false),
};

function missing(keys: string[], required: boolean, notes: Evidence[]) {
  if (notes.length > 0) return result('pass', 'supplied from an existing Secret, not from these files', notes);
  const names = keys.join(', ');
  return required ? result('fail', `${names} is not set anywhere`, notes) : result('skip', `${names} is not set in any file read`, notes);
}

export const notDefault = defineCheck({
  id: 'secret.not-default',
  summary: 'Every copy of a credential differs from the shipped defaults and from template placeholders.',
  params: z.strictObject({
    ...SelectorShape,
    ...NotSetShape,
    /** Values a project ships in its templates; compared exactly, never printed. */
    defaults: z.array(z.string()).default([]),
    /** Also reject blanks like `your-...`, `CHANGEME`, `<...>`. */
    placeholders: z.boolean().default(true),
    minLength: z.number().int().min(1).optional(),
  }),
  async run(ctx, p) {
    const {occurrences, notes} = await collect(ctx, p);
    if (occurrences.length === 0) return missing([...p.keys, ...p.urls, ...p.helm], p.required, notes);
    const bad: Evidence[] = [];
    const good: Evidence[] = [];
    for (const o of occurrences) {
      const v = o.value ?? '';
      const why =
        v === ''
          ? 'empty'
          : p.defaults.includes(v)
            ? `still the shipped default (${redact(v)})`
            : p.placeholders && isPlaceholder(v)
              ? `a template placeholder (${redact(v)})`
              : p.minLength !== undefined && [...v].length < p.minLength
                ? `shorter than ${p.minLength} characters (${redact(v)})`
                : undefined;
      (why ? bad : good).push(evidenceOf(o, why ?? `changed from the defaults (${redact(v)})`));
    }
    if (bad.length > 0)
      return result(
        'fail',
        occurrences.length === 1
          ? 'the only copy is a default, a placeholder or too short'
          : `${bad.length} of ${count(occurrences.length, 'copy', 'copies')} ${bad.length === 1 ? 'is a default, a placeholder or too short' : 'are defaults, placeholders or too short'}`,
        [...bad, ...notes],
      );
    return result(
      'pass',
      `${occurrences.length === 1 ? 'the only copy differs' : `all ${count(occurrences.length, 'copy', 'copies')} differ`} from the shipped defaults`,
      [...good, ...notes],
    );
  },
});

export const strength = defineCheck({
  id: 'secret.strength',
  summary: 'Every copy of a secret is long and random enough (estimated bits of entropy).',
  params: z.strictObject({
    ...SelectorShape,
    ...NotSetShape,
    /** 256 bits is 32 random bytes: 64 hex characters or 43 base64 characters. */
    minBits: z.number().int().min(1).max(4096).default(256),
  }),
  async run(ctx, p) {
    const {occurrences, notes} = await collect(ctx, p);
    if (occurrences.length === 0) return missing([...p.keys, ...p.urls, ...p.helm], p.required, notes);
    const weak: Evidence[] = [];
    const strong: Evidence[] = [];
    for (const o of occurrences) {
      const v = o.value ?? '';
      const s = shapeOf(v);
      const isWeak = v === '' || isPlaceholder(v) || s.bits < p.minBits;
      (isWeak ? weak : strong).push(evidenceOf(o, `${redact(v)}${isWeak ? `, needs ${p.minBits}` : ''}`));
    }
    if (weak.length > 0)
      return result(
        'fail',
        occurrences.length === 1
          ? `the only copy is weaker than ${p.minBits} bits`
          : `${weak.length} of ${count(occurrences.length, 'copy', 'copies')} ${weak.length === 1 ? 'is' : 'are'} weaker than ${p.minBits} bits`,
        [...weak, ...notes],
      );
    return result(
      'pass',
      `${occurrences.length === 1 ? 'the only copy has' : `all ${count(occurrences.length, 'copy', 'copies')} have`} at least ${p.minBits} bits`,
      [...strong, ...notes],
    );
  },
});

export const consistent = defineCheck({
  id: 'secret.consistent',
  summary: 'Every copy of a value is the same (e.g. a signing secret shared by two services).',
  params: z.strictObject({...SelectorShape}),
  async run(ctx, p) {
    const {occurrences, notes} = await collect(ctx, p);
    if (occurrences.length < 2) return result('pass', occurrences.length === 0 ? 'no copies to compare' : 'a single copy', notes);
    const groups = groupByValue(occurrences);
    if (groups.length === 1)
      return result(
        'pass',
        `all ${count(occurrences.length, 'copy', 'copies')} are identical`,
        occurrences.map((o) => evidenceOf(o, 'copy A')),
      );
    const label = (n: number) => String.fromCharCode(65 + (n % 26));
    const evidence = groups.flatMap((g, n) => g.map((o) => evidenceOf(o, `copy ${label(n)} (${redact(o.value)})`)));
    return result('fail', `${count(occurrences.length, 'copy', 'copies')} hold ${groups.length} different values`, [...evidence, ...notes]);
  },
});

function groupByValue(list: Occurrence[]): Occurrence[][] {
  const map = new Map<string, Occurrence[]>();
  for (const o of list) map.set(o.value ?? '\u0000unset', [...(map.get(o.value ?? '\u0000unset') ?? []), o]);
  return [...map.values()];
}
