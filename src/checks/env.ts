import {z} from 'zod';
import {display} from '../engine/redact.js';
import {result, type Evidence, count} from '../model/types.js';
import {defineCheck} from './define.js';
import {collect, EnvKey, evidenceOf} from '../deploy/settings.js';

export const present = defineCheck({
  id: 'env.present',
  summary: 'A .env file exists and every line of it is KEY=value; duplicate keys are reported.',
  params: z.strictObject({
    /** Relative path of the file (default: the pack's first env file). */
    file: z.string().min(1).optional(),
  }),
  async run(ctx, p) {
    const file = p.file ?? ctx.pack.files.env[0] ?? '.env';
    const env = await ctx.envFile(file);
    if (!env) return result('fail', `${file} does not exist`, [{file, detail: 'missing'}]);
    const dupes: Evidence[] = [...env.duplicates].map(([key, lines]) => ({
      file,
      line: lines.at(-1),
      key,
      detail: `defined ${lines.length} times (lines ${lines.join(', ')}); the last wins`,
    }));
    if (dupes.length > 0) return result('warn', `${file} defines ${dupes.length} keys more than once`, dupes);
    return result('pass', `${file} has ${env.entries.size} keys`, [{file, detail: `${env.entries.size} keys`}]);
  },
});

export const value = defineCheck({
  id: 'env.value',
  summary: 'A setting (from .env, Compose environment or Helm values) is set and has the expected form.',
  params: z.strictObject({
    keys: z.array(EnvKey).default([]),
    helm: z.array(z.string().min(1)).default([]),
    services: z.array(z.string()).optional(),
    required: z.boolean().default(true),
    /** A regular expression the value must match. */
    pattern: z.string().optional(),
    /** A regular expression the value must not match (e.g. example domains). */
    reject: z.string().optional(),
    /** Words for the rule, used in messages: "a real email address". */
    expect: z.string().default('the expected form'),
    /** Force redaction; names that look like credentials (PASSWORD, SECRET, TOKEN, KEY…) are always redacted. */
    secret: z.boolean().default(false),
  }),
  async run(ctx, p) {
    const pattern = p.pattern === undefined ? undefined : new RegExp(p.pattern);
    const reject = p.reject === undefined ? undefined : new RegExp(p.reject, 'i');
    const {occurrences, notes} = await collect(ctx, {keys: p.keys, urls: [], helm: p.helm, services: p.services});
    const names = [...p.keys, ...p.helm].join(', ');
    if (occurrences.length === 0) {
      return p.required ? result('fail', `${names} is not set anywhere`, notes) : result('skip', `${names} is not set`, notes);
    }
    const show = (key: string, v: string | undefined) => display(key, v, p.secret);
    const bad: Evidence[] = [];
    const good: Evidence[] = [];
    let empty = 0;
    for (const o of occurrences) {
      const v = o.value ?? '';
      const ok = v !== '' && (!pattern || pattern.test(v)) && !reject?.test(v);
      // An empty value is "not set", whatever the rule is about: say that, not that it breaks the rule.
      if (v === '') empty++;
      (ok ? good : bad).push(evidenceOf(o, ok ? show(o.key, o.value) : v === '' ? 'empty: not set' : `${show(o.key, o.value)} is not ${p.expect}`));
    }
    if (bad.length > 0) {
      const what = empty === bad.length ? 'empty' : empty === 0 ? `not ${p.expect}` : `empty or not ${p.expect}`;
      return result(
        'fail',
        `${names}: ${occurrences.length === 1 ? 'the only copy is' : `${bad.length} of ${count(occurrences.length, 'copy', 'copies')} ${bad.length === 1 ? 'is' : 'are'}`} ${what}`,
        [...bad, ...notes],
      );
    }
    return result('pass', `${names} is ${p.expect}`, [...good, ...notes]);
  },
});
