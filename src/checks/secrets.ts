import {z} from 'zod';
import {isPlaceholder, redact, shapeOf} from '../engine/redact.js';
import {result, type Evidence, count} from '../model/types.js';
import {defineCheck} from './define.js';
import type {Context} from '../engine/context.js';
import {collect, evidenceOf, SelectorShape, urlPassword, type Collected, type Occurrence, type Selector} from '../deploy/settings.js';

/**
 * Charts that can run a datastore themselves or use an outside one (`postgresql.enabled: false`
 * plus `postgresql.external.*`) connect with only one of the two credentials. Each rule says
 * which Helm paths belong to which side, so a check judges the one in use and says so.
 */
export const InUse = {
  inUse: z
    .array(
      z.strictObject({
        /** The switch for the chart's own copy, e.g. postgresql.enabled (on unless a file or chart default says false). */
        when: z.string().min(1),
        /** Helm paths (of those the check reads) used only while the switch is on. */
        inCluster: z.array(z.string().min(1)).min(1),
        /** Helm paths of the outside service's credential, judged while the switch is off. */
        external: z.array(z.string().min(1)).default([]),
        /** Outside connection strings that, when set, replace the fields: the password inside is judged instead. */
        externalUrls: z.array(z.string().min(1)).default([]),
      }),
    )
    .default([]),
};

type InUseRule = {when: string; inCluster: string[]; external: string[]; externalUrls: string[]};

/** The copies in use: collect() over the selector after each inUse rule has picked its side. */
export async function collectInUse(ctx: Context, p: Selector & {inUse: InUseRule[]}): Promise<Collected & {using: Evidence[]}> {
  const shadowed = await shadowedCopies(ctx, p);
  const h = p.inUse.length > 0 ? await ctx.helm() : undefined;
  if (!h) {
    const got = await collect(ctx, p);
    return {occurrences: [...got.occurrences, ...shadowed], notes: got.notes, using: []};
  }
  const helm = [...p.helm];
  const extra: Occurrence[] = [];
  const using: Evidence[] = [];
  const external = p.externalWhen ? h.get(p.externalWhen) : undefined;
  const fromSecret = external !== undefined && typeof external.value === 'string' && external.value !== '';
  for (const rule of p.inUse) {
    const sw = h.resolve(rule.when);
    if (!sw || !(sw.value === false || sw.value === 'false')) continue;
    for (const path of rule.inCluster) if (helm.includes(path)) helm.splice(helm.indexOf(path), 1);
    // A connection string with no password in it (the password kept in external.password, or a
    // login by certificate) leaves the fields to judge.
    const url = rule.externalUrls
      .map((u) => ({u, v: h.resolve(u)}))
      .find((x) => typeof x.v?.value === 'string' && x.v.value !== '' && urlPassword(x.v.value) !== undefined);
    let judged: string;
    if (url) {
      judged = `the password inside ${url.u}`;
      if (!fromSecret) {
        const pw = urlPassword(url.v!.value as string);
        extra.push({
          key: `${url.u} (password in URL)`,
          value: pw ?? '',
          file: url.v!.file,
          line: url.v!.line,
          where: url.v!.chartDefault ? 'chart default' : `values ${url.u}`,
          literal: true,
        });
      }
    } else {
      judged = rule.external.join(', ');
      helm.push(...rule.external);
    }
    using.push({
      file: sw.file,
      line: sw.line,
      key: rule.when,
      detail: `${rule.when} is false: the chart connects with ${judged}, so that is judged; ${rule.inCluster.join(', ')} ${rule.inCluster.length === 1 ? 'is' : 'are'} not used`,
    });
  }
  const got = await collect(ctx, {...p, helm});
  return {occurrences: [...got.occurrences, ...shadowed, ...extra], notes: got.notes, using};
}

/**
 * Literal copies an opt-in Compose overlay (docker-compose.dev.yml) replaced: the project runs
 * them whenever it starts without the overlay, so they count like any other copy. A `${VAR}`
 * reference is left out: the .env line it reads is already a copy.
 */
async function shadowedCopies(ctx: Context, p: Selector): Promise<Occurrence[]> {
  const model = p.keys.length + p.urls.length > 0 ? await ctx.compose() : undefined;
  if (!model) return [];
  const out: Occurrence[] = [];
  const without = `without ${(model.overlays ?? []).join(', ') || 'its overlays'}`;
  for (const svc of model.services.values()) {
    if (p.services && !p.services.includes(svc.name)) continue;
    for (const v of svc.shadowedEnv) {
      if (!v.literal) continue;
      const isUrl = p.urls.includes(v.key);
      if (!isUrl && !p.keys.includes(v.key)) continue;
      const value = isUrl ? urlPassword(v.value) : v.value;
      if (value === undefined) continue;
      out.push({
        key: isUrl ? `${v.key} (password in URL)` : v.key,
        value,
        file: v.file,
        line: v.line,
        where: `service ${svc.name} (${without})`,
        service: svc.name,
        literal: true,
      });
    }
  }
  return out;
}

/** ` (in use: ...)` after a message, when an inUse rule chose the outside credential. */
function inUseSuffix(using: Evidence[]): string {
  return using.length > 0 ? ` (judging the external credentials in use: ${using.map((u) => `${u.key} is false`).join(', ')})` : '';
}

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
    ...InUse,
    /** Values a project ships in its templates; compared exactly, never printed. */
    defaults: z.array(z.string()).default([]),
    /** Also reject blanks like `your-...`, `CHANGEME`, `<...>`. */
    placeholders: z.boolean().default(true),
    minLength: z.number().int().min(1).optional(),
  }),
  async run(ctx, p) {
    const {occurrences, notes, using} = await collectInUse(ctx, p);
    if (occurrences.length === 0) return withUsing(missing([...p.keys, ...p.urls, ...p.helm], p.required, notes), using);
    const bad: Evidence[] = [];
    const good: Evidence[] = [];
    for (const o of occurrences) {
      const v = o.value ?? '';
      const why =
        v === ''
          ? 'empty'
          : p.defaults.includes(v)
            ? isPlaceholder(v)
              ? `a template placeholder (${redact(v)})`
              : `still the shipped default (${redact(v)})`
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
        (occurrences.length === 1
          ? 'the only copy is a default, a placeholder or too short'
          : `${bad.length} of ${count(occurrences.length, 'copy', 'copies')} ${bad.length === 1 ? 'is a default, a placeholder or too short' : 'are defaults, placeholders or too short'}`) +
          inUseSuffix(using),
        [...bad, ...notes, ...using],
      );
    return result(
      'pass',
      `${occurrences.length === 1 ? 'the only copy differs' : `all ${count(occurrences.length, 'copy', 'copies')} differ`} from the shipped defaults${inUseSuffix(using)}`,
      [...good, ...notes, ...using],
    );
  },
});

export const strength = defineCheck({
  id: 'secret.strength',
  summary: 'Every copy of a secret is long and random enough (estimated bits of entropy).',
  params: z.strictObject({
    ...SelectorShape,
    ...NotSetShape,
    ...InUse,
    /** 256 bits is 32 random bytes: 64 hex characters or 43 base64 characters. */
    minBits: z.number().int().min(1).max(4096).default(256),
  }),
  async run(ctx, p) {
    const {occurrences, notes, using} = await collectInUse(ctx, p);
    if (occurrences.length === 0) return withUsing(missing([...p.keys, ...p.urls, ...p.helm], p.required, notes), using);
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
        [...weak, ...notes, ...using],
      );
    return result(
      'pass',
      `${occurrences.length === 1 ? 'the only copy has' : `all ${count(occurrences.length, 'copy', 'copies')} have`} at least ${p.minBits} bits`,
      [...strong, ...notes, ...using],
    );
  },
});

export const consistent = defineCheck({
  id: 'secret.consistent',
  summary: 'Every copy of a value is the same (e.g. a signing secret shared by two services).',
  params: z.strictObject({...SelectorShape, ...InUse}),
  async run(ctx, p) {
    const {occurrences, notes} = await collectInUse(ctx, p);
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

/** The result with the inUse notes added to its evidence. */
function withUsing(r: ReturnType<typeof result>, using: Evidence[]): ReturnType<typeof result> {
  return using.length > 0 ? {...r, evidence: [...r.evidence, ...using]} : r;
}

function groupByValue(list: Occurrence[]): Occurrence[][] {
  const map = new Map<string, Occurrence[]>();
  for (const o of list) map.set(o.value ?? '\u0000unset', [...(map.get(o.value ?? '\u0000unset') ?? []), o]);
  return [...map.values()];
}
