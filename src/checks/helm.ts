import {z} from 'zod';
import type {Context} from '../engine/context.js';
import {display, isPlaceholder, looksSecret as looksSecretPath, redact} from '../engine/redact.js';
import {urlPassword} from '../deploy/settings.js';
import {count, result, type CheckResult, type Evidence} from '../model/types.js';
import {defineCheck} from './define.js';
import {imageTag} from '../sources/compose.js';
import type {HelmValues} from '../sources/helm.js';
import {formatPath, type PathKey} from '../sources/yamlDoc.js';
import {parseValuePath} from '../sources/valuePath.js';

const ValuesPath = z
  .string()
  .min(1)
  .refine((s) => {
    try {
      parseValuePath(s);
      return true;
    } catch {
      return false;
    }
  }, 'a values path such as the0Api.env.JWT_SECRET or ingress.annotations["a.b/c"]');

async function withHelm(ctx: Context, fn: (h: HelmValues) => CheckResult): Promise<CheckResult> {
  const h = await ctx.helm();
  if (!h) return result('skip', 'no Helm values file in this deployment');
  return fn(h);
}

function place(v: {file?: string; line?: number; chartDefault: boolean}, key: string): Pick<Evidence, 'file' | 'line' | 'key'> & {from: string} {
  return {file: v.file, line: v.line, key, from: v.chartDefault ? 'chart default' : `${v.file}`};
}

const Scalar = z.union([z.string(), z.number(), z.boolean()]);

export const value = defineCheck({
  id: 'helm.value',
  summary: 'A values path equals, differs from, or is one of given values; or is non-empty.',
  params: z
    .strictObject({
      path: ValuesPath,
      equals: Scalar.optional(),
      notEquals: Scalar.optional(),
      oneOf: z.array(Scalar).min(1).optional(),
      nonEmpty: z.boolean().optional(),
      /** A regular expression the value (as text) must match, e.g. `^https://`. */
      pattern: z.string().optional(),
      /** A regular expression the value must not match (case-insensitive), e.g. `\\.local\\b`. */
      reject: z.string().optional(),
      /** A number the value must reach, e.g. replicas 2. */
      atLeast: z.number().optional(),
      /** What to conclude when no file (and no chart default) sets the path. */
      ifUnset: z.enum(['fail', 'pass', 'skip']).default('fail'),
      /** `warn` where the value is advice (a single replica) rather than a defect. */
      level: z.enum(['fail', 'warn']).default('fail'),
      expect: z.string().optional(),
    })
    .refine(
      (p) =>
        p.equals !== undefined ||
        p.notEquals !== undefined ||
        p.oneOf !== undefined ||
        p.nonEmpty !== undefined ||
        p.pattern !== undefined ||
        p.reject !== undefined ||
        p.atLeast !== undefined,
      {message: 'give one of equals, notEquals, oneOf, nonEmpty, pattern, reject or atLeast'},
    ),
  run: (ctx, p) =>
    withHelm(ctx, (h) => {
      const v = h.resolve(p.path);
      if (v === undefined) return result(p.ifUnset, `${p.path} is not set in any values file`);
      const at = place(v, p.path);
      // Flags and lists are shown as written; a credential-like path only as a redaction.
      const shown =
        typeof v.value === 'object' && v.value !== null
          ? looksSecretPath(p.path)
            ? '(hidden)'
            : JSON.stringify(v.value)
          : display(p.path, v.value === null ? undefined : String(v.value));
      const empty =
        v.value === null ||
        v.value === '' ||
        (Array.isArray(v.value) && v.value.length === 0) ||
        (typeof v.value === 'object' && v.value !== null && Object.keys(v.value).length === 0);
      const same = (a: unknown) => String(a) === String(v.value);
      const ok =
        (p.equals === undefined || same(p.equals)) &&
        (p.notEquals === undefined || !same(p.notEquals)) &&
        (p.oneOf === undefined || p.oneOf.some(same)) &&
        (p.nonEmpty === undefined || p.nonEmpty === !empty) &&
        (p.pattern === undefined || (typeof v.value !== 'object' && new RegExp(p.pattern).test(String(v.value)))) &&
        (p.reject === undefined || typeof v.value === 'object' || !new RegExp(p.reject, 'i').test(String(v.value))) &&
        (p.atLeast === undefined || Number(v.value) >= p.atLeast);
      const expect =
        p.expect ??
        (p.equals !== undefined
          ? `${String(p.equals)}`
          : p.oneOf
            ? `one of ${p.oneOf.join(', ')}`
            : p.nonEmpty !== undefined
              ? p.nonEmpty
                ? 'non-empty'
                : 'empty'
              : p.notEquals !== undefined
                ? `not ${String(p.notEquals)}`
                : p.atLeast !== undefined
                  ? `at least ${p.atLeast}`
                  : 'the expected form');
      const e: Evidence = {file: at.file, line: at.line, key: at.key, detail: `${p.path} = ${shown} (${at.from})`};
      return ok ? result('pass', `${p.path} is ${expect}`, [e]) : result(p.level, `${p.path} is ${shown}, expected ${expect}`, [e]);
    }),
});

const SECRETISH = '(password|passwd|secret|token|accesskey|secretkey|apikey|api_key|privatekey|private_key|credentials)$';

export const noPlaintextSecrets = defineCheck({
  id: 'helm.no-plaintext-secrets',
  summary: 'No values file writes a credential as a literal; credentials come from an existing Secret or secretKeyRef.',
  params: z.strictObject({
    /** Key names (last path step) that hold credentials; case-insensitive regular expression. */
    pattern: z.string().default(SECRETISH),
    /** A path that, when non-empty, makes the chart read its own credentials from that Secret. */
    externalWhen: ValuesPath.optional(),
    /** Paths the chart moves into its own Secret (ignored once externalWhen is set). */
    chartManaged: z.array(ValuesPath).default([]),
    /**
     * Datastores the chart runs itself or reaches outside: while `when` is false the inCluster
     * paths are not used, while it is true the external ones are not; unused values are not judged.
     */
    inUse: z.array(z.strictObject({when: ValuesPath, inCluster: z.array(ValuesPath).default([]), external: z.array(ValuesPath).default([])})).default([]),
    /** Paths the chart never reads (it renders something else in their place): not judged. */
    unread: z.array(ValuesPath).default([]),
  }),
  run: (ctx, p) =>
    withHelm(ctx, (h) => {
      const re = new RegExp(p.pattern, 'i');
      const unused = new Set<string>(p.unread.map((x) => JSON.stringify(parseValuePath(x))));
      for (const rule of p.inUse) {
        const on = h.resolve(rule.when);
        const off = on !== undefined && (on.value === false || on.value === 'false');
        for (const path of off ? rule.inCluster : rule.external) unused.add(JSON.stringify(parseValuePath(path)));
      }
      const external = p.externalWhen ? h.get(p.externalWhen) : undefined;
      const externalName = external && typeof external.value === 'string' && external.value !== '' ? external.value : undefined;
      const managed = new Set(p.chartManaged.map((x) => JSON.stringify(parseValuePath(x))));
      const literal: Evidence[] = [];
      for (const leaf of h.leaves()) {
        const last = leaf.path.at(-1);
        // In env lists (`- name: JWT_SECRET` / `value: ...`) the credential's name is a sibling.
        const sibling = last === 'value' ? (h.get(leaf.path.slice(0, -1))?.value as {name?: unknown} | undefined)?.name : undefined;
        const name = typeof sibling === 'string' ? sibling : typeof last === 'number' ? undefined : String(last);
        const text = typeof leaf.value === 'number' || typeof leaf.value === 'bigint' ? String(leaf.value) : leaf.value;
        if (typeof text !== 'string' || text === '' || /^\$\{.+\}$/.test(text)) continue;
        if (externalName && managed.has(JSON.stringify(leaf.path))) continue;
        if (unused.has(JSON.stringify(leaf.path))) continue;
        // A password inside a connection string is a credential whatever its key is called.
        const inUrl = urlPassword(text);
        if ((!name || !re.test(name)) && inUrl === undefined) continue;
        if (inUrl === undefined && isSecretNameField(leaf.path)) continue;
        const secret = inUrl ?? text;
        const what = inUrl !== undefined ? 'a password inside a connection string' : `literal credential${sibling ? ` ${name}` : ''}`;
        literal.push({
          file: leaf.file,
          line: leaf.line,
          key: formatPath(leaf.path),
          detail: isPlaceholder(secret)
            ? `${what}, still a template placeholder (${redact(secret)}): replace it, from a Secret`
            : `${what} (${redact(secret)})`,
        });
      }
      const notes: Evidence[] = externalName
        ? [{file: external!.file, line: external!.line, key: p.externalWhen, detail: `chart credentials come from Secret "${externalName}"`}]
        : [];
      if (literal.length > 0) {
        const blanks = literal.filter((e) => e.detail.includes('template placeholder')).length;
        return result(
          'fail',
          `${count(literal.length, 'credential')} ${literal.length === 1 ? 'is' : 'are'} written as plaintext in values files${blanks > 0 ? ` (${blanks} of them still a placeholder)` : ''}`,
          [...literal, ...notes],
        );
      }
      return result('pass', externalName ? `credentials come from Secret ${externalName}` : 'no literal credentials in the values files', notes);
    }),
});

/** `existingSecret`, `secretName`, `secretKeyRef.name` name a Secret; they are not secrets. */
function isSecretNameField(path: PathKey[]): boolean {
  const last = String(path.at(-1));
  return /^(existingSecret|secretName|.*SecretName|name|key)$/i.test(last) || path.includes('secretKeyRef');
}

export const envSecretRef = defineCheck({
  id: 'helm.env-secret-ref',
  summary: 'An environment variable reaches the pod through valueFrom.secretKeyRef in an extraEnv list, not as a literal in an env map.',
  params: z.strictObject({
    name: z.string().min(1),
    /** The list of env entries, e.g. the0Api.extraEnv. */
    list: ValuesPath,
    /** The env map that must not carry a literal copy, e.g. the0Api.env. */
    map: ValuesPath.optional(),
    secretName: z.string().optional(),
    secretKey: z.string().optional(),
    /**
     * When the variable is in neither place: `fail` (it must be delivered), or `pass` for an
     * item that only asks that no literal copy exists (another item judges the delivery).
     */
    ifAbsent: z.enum(['fail', 'pass']).default('fail'),
  }),
  run: (ctx, p) =>
    withHelm(ctx, (h) => {
      const evidence: Evidence[] = [];
      if (p.map) {
        const lit = h.get(`${p.map}.${p.name}`);
        if (lit && lit.value !== '' && lit.value !== null) {
          return result('fail', `${p.name} is written as a literal in ${p.map}`, [
            {file: lit.file, line: lit.line, key: `${p.map}.${p.name}`, detail: `plaintext (${redact(String(lit.value))}); move it to a Secret`},
          ]);
        }
      }
      const list = h.get(p.list);
      const entries = Array.isArray(list?.value) ? (list!.value as unknown[]) : [];
      const i = entries.findIndex((e) => typeof e === 'object' && e !== null && (e as {name?: unknown}).name === p.name);
      if (i < 0 && p.ifAbsent === 'pass')
        return result(
          'pass',
          `no values file writes ${p.name} as a literal${p.map ? ` in ${p.map}` : ''} (whether it is delivered at all is judged separately)`,
          list ? [{file: list.file, line: list.line, key: p.list, detail: `${entries.length} entries, none named ${p.name}`}] : [],
        );
      if (i < 0)
        return result(
          'fail',
          `${p.name} is not delivered through ${p.list}`,
          list ? [{file: list.file, line: list.line, key: p.list, detail: `${entries.length} entries, none named ${p.name}`}] : [],
        );
      const entry = entries[i] as {value?: unknown; valueFrom?: {secretKeyRef?: {name?: string; key?: string}}};
      const ref = entry.valueFrom?.secretKeyRef;
      const at = {file: list!.file, line: h.get([...parseValuePath(p.list), i])?.line ?? list!.line, key: `${p.list}[${i}]`};
      if (!ref)
        return result('fail', `${p.name} in ${p.list} is not a secretKeyRef`, [
          {...at, detail: entry.value !== undefined ? `literal value (${redact(String(entry.value))})` : 'no valueFrom.secretKeyRef'},
        ]);
      evidence.push({...at, detail: `from Secret ${ref.name ?? '?'} key ${ref.key ?? '?'}`});
      if ((p.secretName && ref.name !== p.secretName) || (p.secretKey && ref.key !== p.secretKey)) {
        return result('warn', `${p.name} comes from Secret ${ref.name}/${ref.key}, expected ${p.secretName ?? ref.name}/${p.secretKey ?? ref.key}`, evidence);
      }
      return result('pass', `${p.name} comes from a Secret`, evidence);
    }),
});

const PLACEHOLDER_HOST = '(^|\\.)(example\\.(com|org|net)|local|localhost|test|invalid|chart-example\\.local)$';

export const ingressHosts = defineCheck({
  id: 'helm.ingress-hosts',
  summary: 'Ingress hosts in values are real names, not example.com / .local placeholders.',
  params: z.strictObject({
    path: ValuesPath.default('ingress.hosts'),
    reject: z.string().default(PLACEHOLDER_HOST),
  }),
  run: (ctx, p) =>
    withHelm(ctx, (h) => {
      const v = h.get(p.path);
      const hosts = Array.isArray(v?.value) ? (v!.value as unknown[]) : [];
      if (!v || hosts.length === 0) return result('fail', `${p.path} lists no hosts`, v ? [{file: v.file, line: v.line, key: p.path, detail: 'empty'}] : []);
      const re = new RegExp(p.reject, 'i');
      const bad: Evidence[] = [];
      const good: Evidence[] = [];
      hosts.forEach((entry, n) => {
        const host = typeof entry === 'string' ? entry : String((entry as {host?: unknown})?.host ?? '');
        const at = h.get([...parseValuePath(p.path), n]);
        const e = {file: v.file, line: at?.line ?? v.line, key: `${p.path}[${n}]`};
        if (host === '' || re.test(host)) bad.push({...e, detail: `${host || '(empty)'} is a placeholder${v.chartDefault ? ' (chart default)' : ''}`});
        else good.push({...e, detail: host});
      });
      if (bad.length > 0) return result('fail', `${bad.length} ingress hosts are placeholders`, bad);
      return result('pass', `${good.length} ingress hosts set`, good);
    }),
});

export const imagePinned = defineCheck({
  id: 'helm.image-pinned',
  summary: 'Image tags in values (maps with repository + tag, or image strings) name a version, not latest or empty.',
  params: z.strictObject({
    /** An empty tag is fine when the chart falls back to its appVersion. */
    allowEmpty: z.boolean().default(false),
  }),
  run: (ctx, p) =>
    withHelm(ctx, (h) => {
      const floating: Evidence[] = [];
      const pinned: Evidence[] = [];
      for (const leaf of h.leaves()) {
        const last = leaf.path.at(-1);
        const parent = leaf.path.at(-2);
        const isTag = last === 'tag' && (parent === 'image' || String(parent).toLowerCase().endsWith('image'));
        const isImageString = typeof leaf.value === 'string' && leaf.value !== '' && String(last).toLowerCase() === 'image';
        if (!isTag && !isImageString) continue;
        const tag = isTag ? String(leaf.value ?? '') : (imageTag(leaf.value as string) ?? 'digest');
        const e = {file: leaf.file, line: leaf.line, key: formatPath(leaf.path)};
        if (tag === 'latest' || (tag === '' && !p.allowEmpty)) floating.push({...e, detail: tag === '' ? 'empty tag' : 'latest moves with every release'});
        else pinned.push({...e, detail: tag === '' ? 'empty: the chart appVersion applies' : `tag ${tag}`});
      }
      if (floating.length > 0) return result('fail', `${floating.length} images are not pinned`, floating);
      if (pinned.length === 0) return result('skip', 'no image tags in the values files');
      return result('pass', `${pinned.length} images pinned`, pinned);
    }),
});

/** true / "true" as Helm templates read a flag. */
function truthy(v: unknown): boolean {
  return v === true || v === 'true';
}

export const resourceLimits = defineCheck({
  id: 'helm.resource-limits',
  summary:
    'Each listed chart component (a values path with resources.limits) keeps a memory and a CPU limit; components switched off with enabled: false are left out.',
  params: z.strictObject({
    /** Values paths of components, e.g. the0Api, postgresql. */
    components: z.array(ValuesPath).min(1),
    level: z.enum(['fail', 'warn']).default('fail'),
  }),
  run: (ctx, p) =>
    withHelm(ctx, (h) => {
      const bad: Evidence[] = [];
      const good: Evidence[] = [];
      let off = 0;
      for (const c of p.components) {
        const enabled = h.resolve(`${c}.enabled`);
        if (enabled && !truthy(enabled.value) && enabled.value !== null) {
          off++;
          continue;
        }
        const mem = h.resolve(`${c}.resources.limits.memory`);
        const cpu = h.resolve(`${c}.resources.limits.cpu`);
        const set = (v: typeof mem) => v !== undefined && v.value !== null && v.value !== '';
        const lacks = [set(mem) ? undefined : 'memory', set(cpu) ? undefined : 'CPU'].filter(Boolean);
        const at = [mem, cpu].find((v) => v?.file) ?? h.resolve(`${c}.resources`) ?? h.resolve(c);
        const e = {file: at?.file, line: at?.line, key: `${c}.resources.limits`};
        if (lacks.length > 0) bad.push({...e, detail: `${c} has no ${lacks.join(' or ')} limit: its pods may take a whole node`});
        else
          good.push({
            ...e,
            detail: `memory ${String(mem!.value)}, cpu ${String(cpu!.value)}${mem!.chartDefault && cpu!.chartDefault ? ' (chart defaults)' : ''}`,
          });
      }
      const skipped = off > 0 ? ` (${count(off, 'component')} switched off)` : '';
      if (bad.length > 0) return result(p.level, `${count(bad.length, 'component')} without limits${skipped}`, bad);
      if (good.length === 0) return result('skip', `none of the components is deployed${skipped}`);
      return result('pass', `${count(good.length, 'component')} with memory and CPU limits${skipped}`, good);
    }),
});

export const urlCredentials = defineCheck({
  id: 'helm.url-credentials',
  summary:
    'A service the chart either runs itself or reaches outside: the in-cluster one is judged by a message the pack gives; the external URL (or host) in use must carry a login.',
  params: z.strictObject({
    /** The switch for the chart's own copy, e.g. nats.enabled. */
    enabled: ValuesPath,
    /** The external URL that overrides host and port when set, e.g. nats.external.url. */
    url: ValuesPath,
    /** The external host the chart builds a URL from otherwise, e.g. nats.external.host. */
    host: ValuesPath.optional(),
    /** What is wrong when the chart runs the service itself, e.g. that it has no authentication setting. */
    inCluster: z.string().min(1),
    /** Status for the in-cluster case (the chart offers no fix, so usually warn). */
    inClusterLevel: z.enum(['fail', 'warn', 'pass']).default('warn'),
  }),
  run: (ctx, p) =>
    withHelm(ctx, (h) => {
      const enabled = h.resolve(p.enabled);
      if (enabled === undefined || truthy(enabled.value)) {
        const e = {file: enabled?.file, line: enabled?.line, key: p.enabled, detail: `${p.enabled} = true${enabled?.chartDefault ? ' (chart default)' : ''}`};
        return result(p.inClusterLevel, `${p.enabled} is true: ${p.inCluster}`, [e]);
      }
      const off = {file: enabled.file, line: enabled.line, key: p.enabled, detail: `${p.enabled} = false: the external service is the one in use`};
      const url = h.resolve(p.url);
      if (url && typeof url.value === 'string' && url.value !== '') {
        const e = {file: url.file, line: url.line, key: p.url};
        let user = '';
        try {
          user = decodeURIComponent(new URL(url.value).username);
        } catch {
          user = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^:@/?#]*)(:[^@/?#]*)?@/.exec(url.value)?.[1] ?? '';
        }
        const password = urlPassword(url.value);
        if (user === '' && password === undefined)
          return result('fail', `${p.url} carries no login: the server must accept anyone who reaches it`, [
            {...e, detail: 'no user, password or token in the URL'},
            off,
          ]);
        return result('pass', `${p.url} carries a login`, [
          {...e, detail: password !== undefined ? `user and password (${redact(password)})` : 'a token or user name'},
          off,
        ]);
      }
      const host = p.host ? h.resolve(p.host) : undefined;
      const hostText = host && typeof host.value === 'string' && host.value !== '' ? host.value : undefined;
      return result(
        'fail',
        hostText
          ? `only ${p.host} is set, and the chart builds a URL from it with no login: the server must accept anyone who reaches it`
          : `neither ${p.url}${p.host ? ` nor ${p.host}` : ''} is set`,
        [
          hostText ? {file: host!.file, line: host!.line, key: p.host, detail: `${hostText}: no user, password or token`} : {key: p.url, detail: 'not set'},
          off,
        ],
      );
    }),
});
