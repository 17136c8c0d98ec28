// Checks for a self-hosted ZITADEL (the zitadel pack). Every one reads the one model of the
// deployment's ZITADEL settings in src/sources/zitadel.ts: which process runs which phase, what
// each of them sees as ExternalDomain, database credentials or masterkey, and where each value
// was written. The network checks (zitadel.endpoint) reuse tls.* and http.request against the
// address the deployment itself declares, and only when the pack's `probe` input allows it.
import {createHash} from 'node:crypto';
import {z} from 'zod';
import type {Context} from '../engine/context.js';
import {isPlaceholder, redact, shapeOf} from '../engine/redact.js';
import {count, result, type CheckResult, type Evidence} from '../model/types.js';
import {defineCheck, type CheckDef} from './define.js';
import {alpn, certificate, protocols} from './tls.js';
import {request} from './http.js';
import {
  domainProblem,
  EXAMPLE_ADMIN_PASSWORDS,
  EXAMPLE_DB_PASSWORDS,
  EXAMPLE_MASTERKEYS,
  judgeEnvName,
  privateHost,
  readZitadel,
  RUNS_INIT,
  RUNS_SETUP,
  SERVING,
  serving,
  type Masterkey,
  type Place,
  type Runtime,
  type Setting,
  type ZitadelModel,
} from '../sources/zitadel.js';

// Every export of this module is registered as a check by src/checks/index.ts, so helpers stay private.

/** A check that only reads files (the engine need not hold a process or network slot for it). */
function fileCheck<T extends CheckDef>(def: T): T & {kind: 'file'} {
  return Object.assign(def, {kind: 'file' as const});
}

async function withModel(ctx: Context, fn: (m: ZitadelModel) => CheckResult | Promise<CheckResult>): Promise<CheckResult> {
  const m = await readZitadel(ctx);
  if (m.runtimes.length === 0) {
    return result('skip', 'no ZITADEL here: no Compose service runs the image ghcr.io/zitadel/zitadel, and no values file has a zitadel: section');
  }
  return fn(m);
}

function at(p: Place, key: string, detail: string): Evidence {
  return {...(p.file !== undefined ? {file: p.file} : {}), ...(p.line !== undefined ? {line: p.line} : {}), key, detail};
}

function fromSetting(s: Setting, detail: string): Evidence {
  return at(s, s.key, `${detail} (${s.where})`);
}

/** Evidence once per place and key, whatever number of processes share it. */
function unique(list: Evidence[]): Evidence[] {
  const seen = new Set<string>();
  return list.filter((e) => {
    const k = `${e.file}:${e.line}:${e.key}:${e.detail}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** A default that may be overridden where Shipshape cannot look (an unreadable --config file, a Secret with config). */
function unsure(r: Runtime, s: Setting): boolean {
  return (s.origin === 'default' || s.origin === 'chart') && r.hidden.length > 0;
}

/** The name the masterkey goes by where it is written. */
function keyName(k: Masterkey, r: Runtime): string {
  const names: Record<Masterkey['how'], string> = {
    flag: '--masterkey',
    file: '--masterkeyFile',
    env: 'ZITADEL_MASTERKEY',
    values: 'zitadel.masterkey',
    secret: 'zitadel.masterkeySecretName',
    none: r.name,
  };
  return names[k.how];
}

function needsKey(r: Runtime): boolean {
  return r.phase !== undefined && (RUNS_SETUP.includes(r.phase) || SERVING.includes(r.phase));
}

/** Runtimes whose process reads the masterkey, each masterkey source once. */
function keyHolders(m: ZitadelModel): {runtime: Runtime; key: Masterkey}[] {
  const out: {runtime: Runtime; key: Masterkey}[] = [];
  const seen = new Set<Masterkey>();
  for (const r of m.runtimes) {
    if (!needsKey(r) || seen.has(r.masterkey)) continue;
    seen.add(r.masterkey);
    out.push({runtime: r, key: r.masterkey});
  }
  return out;
}

const TRUE = new Set(['true', '1', 't', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'f', 'no', 'off']);

/** Whether git tracks a file: `tracked`, `untracked`, or `no-repo` when the deployment is not in a git work tree. */
async function tracking(ctx: Context, file: string): Promise<'tracked' | 'untracked' | 'no-repo'> {
  const git = await ctx.git();
  const state = await git.state();
  if (state.kind !== 'inside') return 'no-repo';
  const ls = await git.lsFiles();
  if (!ls.ok) return 'no-repo';
  return ls.files.includes(file) ? 'tracked' : 'untracked';
}

// ---------------------------------------------------------------------------------------------
// Masterkey

export const masterkeyLength = fileCheck(
  defineCheck({
    id: 'zitadel.masterkey-length',
    summary: 'Every ZITADEL process that needs the masterkey is given exactly one, of exactly 32 bytes (a key file with a trailing newline is 33).',
    params: z.strictObject({}),
    run: (ctx) =>
      withModel(ctx, (m) => {
        const bad: Evidence[] = [];
        const good: Evidence[] = [];
        const unknown: Evidence[] = [];
        for (const {runtime, key} of keyHolders(m)) {
          if (key.conflicting) {
            for (const c of key.conflicting)
              bad.push(at(c, c.flag, `${runtime.name}: ${key.where}; ZITADEL accepts exactly one masterkey source and refuses to start`));
            continue;
          }
          if (key.how === 'none') {
            bad.push(at(key, keyName(key, runtime), `${key.where}: ${runtime.phase} needs one (--masterkey, --masterkeyFile or --masterkeyFromEnv)`));
            continue;
          }
          if (key.value === undefined) {
            unknown.push(at(key, keyName(key, runtime), `${key.where}: ${key.hidden ?? 'not readable here'}`));
            continue;
          }
          const bytes = Buffer.byteLength(key.value, 'utf8');
          if (bytes === 32) good.push(at(key, keyName(key, runtime), `${key.where}: 32 bytes (${redact(key.value)})`));
          else if (key.how === 'file' && /\r?\n$/.test(key.value) && Buffer.byteLength(key.value.replace(/\r?\n$/, ''), 'utf8') === 32) {
            bad.push(
              at(
                key,
                keyName(key, runtime),
                `${key.where}: the file ends with a newline, and ZITADEL reads the whole file: ${bytes} bytes; write it with \`head -c 32\` or \`printf %s\``,
              ),
            );
          } else bad.push(at(key, keyName(key, runtime), `${key.where}: ${bytes === 0 ? 'empty' : `${bytes} bytes (${redact(key.value)})`}, not 32`));
        }
        if (bad.length > 0) return result('fail', `${count(bad.length, 'masterkey')} ZITADEL cannot use`, unique([...bad, ...unknown]));
        if (good.length === 0 && unknown.length > 0)
          return result('skip', 'the masterkey is kept where Shipshape cannot read it, so its length is not checked', unique(unknown));
        if (good.length === 0) return result('skip', 'no ZITADEL process here reads a masterkey');
        return result('pass', `the masterkey is 32 bytes${unknown.length > 0 ? ' where it can be read' : ''}`, unique([...good, ...unknown]));
      }),
  }),
);

export const masterkeyNotExample = fileCheck(
  defineCheck({
    id: 'zitadel.masterkey-not-example',
    summary: "The masterkey is not one of the example keys ZITADEL's repositories ship, nor an obviously non-random string.",
    params: z.strictObject({
      /** More known keys to refuse (e.g. from an internal template). */
      examples: z.array(z.string().min(1)).default([]),
      /** Below this estimated entropy a key is called non-random. */
      minBits: z.number().int().min(0).default(100),
    }),
    run: (ctx, p) =>
      withModel(ctx, (m) => {
        const bad: Evidence[] = [];
        const good: Evidence[] = [];
        const unknown: Evidence[] = [];
        for (const {runtime, key} of keyHolders(m)) {
          if (key.value === undefined) {
            if (key.how !== 'none') unknown.push(at(key, keyName(key, runtime), `${key.where}: ${key.hidden ?? 'not readable here'}`));
            continue;
          }
          const v = key.how === 'file' ? key.value.replace(/\r?\n$/, '') : key.value;
          const example = EXAMPLE_MASTERKEYS.get(v) ?? (p.examples.includes(v) ? 'the examples this pack names' : undefined);
          const shape = shapeOf(v);
          if (example)
            bad.push(
              at(key, keyName(key, runtime), `${key.where}: the example masterkey from ${example}; everyone who read it can decrypt this instance's secrets`),
            );
          else if (v !== '' && (isPlaceholder(v) || shape.bits < p.minBits))
            bad.push(at(key, keyName(key, runtime), `${key.where}: not random (${redact(v)})`));
          else if (v !== '') good.push(at(key, keyName(key, runtime), `${key.where}: not a known example (${redact(v)})`));
        }
        if (bad.length > 0)
          return result(
            'fail',
            `${count(bad.length, 'masterkey')} ${bad.length === 1 ? 'is' : 'are'} a published example or not random: generate one (tr -dc A-Za-z0-9 </dev/urandom | head -c 32) before the first start`,
            unique(bad),
          );
        if (good.length === 0 && unknown.length > 0)
          return result('skip', 'the masterkey is kept where Shipshape cannot read it, so it is not compared with the examples', unique(unknown));
        if (good.length === 0) return result('skip', 'no masterkey value to judge');
        return result('pass', 'the masterkey is none of the published examples', unique([...good, ...unknown]));
      }),
  }),
);

export const masterkeyNotLiteral = defineCheck({
  id: 'zitadel.masterkey-not-literal',
  summary: 'The masterkey is not written in a tracked file: not in a Compose command or environment, not in Helm values, not in a committed key file or .env.',
  params: z.strictObject({}),
  run: (ctx) =>
    withModel(ctx, async (m) => {
      const bad: Evidence[] = [];
      const good: Evidence[] = [];
      const unsure: Evidence[] = [];
      for (const {runtime, key} of keyHolders(m)) {
        if (key.how === 'none') continue;
        if (key.how === 'secret') {
          good.push(at(key, keyName(key, runtime), `${key.where}: not in any file here`));
          continue;
        }
        const file = key.keyFile ?? key.file;
        if (!file) continue;
        const git = await tracking(ctx, file);
        const shown = key.value !== undefined ? ` (${redact(key.value)})` : '';
        if (key.literal) {
          const why = key.how === 'values' ? 'the values file holds it in plain text, and so does every copy of it' : 'the Compose file holds it in plain text';
          if (git === 'untracked') good.push(at(key, keyName(key, runtime), `${key.where}${shown}: written out, but ${file} is not tracked by git`));
          else bad.push(at(key, keyName(key, runtime), `${key.where}${shown}: ${why}${git === 'tracked' ? `; ${file} is tracked by git` : ''}`));
          continue;
        }
        if (git === 'tracked') bad.push(at(key, keyName(key, runtime), `${key.where}${shown}: ${file} is tracked by git`));
        else if (git === 'untracked') good.push(at(key, keyName(key, runtime), `${key.where}: ${file} is not tracked by git`));
        else unsure.push(at(key, keyName(key, runtime), `${key.where}: not in a git repository, so whether ${file} is shared cannot be told`));
      }
      if (bad.length > 0)
        return result(
          'fail',
          'the masterkey is written where the deployment is shared: move it to a .env or key file kept out of git, or to a Secret (masterkeySecretName)',
          unique(bad),
        );
      if (unsure.length > 0) return result('warn', 'cannot tell whether the files holding the masterkey are shared', unique([...unsure, ...good]));
      if (good.length === 0) return result('skip', 'no masterkey source to judge');
      return result('pass', 'the masterkey is kept out of tracked files', unique(good));
    }),
});

export const masterkeySameSource = fileCheck(
  defineCheck({
    id: 'zitadel.masterkey-same-source',
    summary: 'setup and start read the masterkey from the same place (one .env variable, one file, one Secret), so they cannot drift apart.',
    params: z.strictObject({}),
    run: (ctx) =>
      withModel(ctx, (m) => {
        const holders = keyHolders(m);
        if (holders.length === 0) return result('skip', 'no ZITADEL process here reads a masterkey');
        const conflicting = holders.filter((h) => h.key.conflicting);
        if (conflicting.length > 0) {
          return result(
            'fail',
            'a process is given several masterkey sources; ZITADEL refuses to start',
            unique(conflicting.flatMap((h) => h.key.conflicting!.map((c) => at(c, c.flag, `${h.runtime.name}: ${h.key.where}`)))),
          );
        }
        const evidence = holders.map((h) => at(h.key, keyName(h.key, h.runtime), `${h.runtime.name} (${h.runtime.phase}): ${h.key.where}`));
        const sources = new Set(holders.map((h) => h.key.source));
        if (holders.length === 1) {
          const only = holders[0]!;
          const names = m.runtimes.filter((r) => needsKey(r)).map((r) => r.name);
          return result(
            'pass',
            names.length > 1 ? `${names.join(', ')} share one masterkey source` : `only ${only.runtime.name} reads the masterkey`,
            evidence,
          );
        }
        if (sources.size === 1) return result('pass', `every phase reads the masterkey from ${[...sources][0]}`, evidence);
        const values = holders.map((h) => h.key.value?.replace(/\r?\n$/, ''));
        if (values.every((v) => v !== undefined) && new Set(values).size === 1) {
          return result(
            'warn',
            'the phases read the same masterkey from different places: keep one source, or a later edit of one copy breaks the other phase',
            evidence,
          );
        }
        return result(
          'fail',
          'setup and start read the masterkey from different places, and they may differ: a process with another key cannot read what setup encrypted',
          evidence,
        );
      }),
  }),
);

// ---------------------------------------------------------------------------------------------
// External access

/** The ExternalDomain of each serving (else any) process, each place once. */
function servingSettings(m: ZitadelModel, path: string): {runtime: Runtime; s: Setting}[] {
  const list = serving(m).length > 0 ? serving(m) : m.runtimes;
  const out: {runtime: Runtime; s: Setting}[] = [];
  const seen = new Set<string>();
  for (const r of list) {
    const s = r.settings.get(path);
    if (!s) continue;
    const k = `${s.file}:${s.line}:${s.key}:${s.value}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push({runtime: r, s});
  }
  return out;
}

/** Misspelt variables near a setting: `ZITADEL_EXTERNAL_DOMAIN` for ExternalDomain. */
function misspelt(m: ZitadelModel, path: string): Evidence[] {
  const want = `ZITADEL_${path.toUpperCase().replace(/\./g, '_')}`;
  const out: Evidence[] = [];
  for (const r of m.runtimes) {
    for (const e of r.env) {
      const v = judgeEnvName(e.key);
      if (!v.known && v.suggestion === want) out.push(at(e, e.key, `${e.key} is set here, but ZITADEL reads ${want}: this one is ignored`));
    }
  }
  return unique(out);
}

export const externalDomain = fileCheck(
  defineCheck({
    id: 'zitadel.external-domain',
    summary: 'ExternalDomain is a public fully qualified name: not localhost, an IP address, an sslip.io/nip.io name or a reserved example name.',
    params: z.strictObject({}),
    run: (ctx) =>
      withModel(ctx, (m) => {
        const bad: Evidence[] = [];
        const good: Evidence[] = [];
        const unknown: Evidence[] = [];
        for (const {runtime, s} of servingSettings(m, 'ExternalDomain')) {
          if (s.value === undefined) continue;
          if (unsure(runtime, s)) {
            unknown.push(fromSetting(s, `ExternalDomain may be set in ${runtime.hidden.join(', ')}`));
            continue;
          }
          const why = domainProblem(s.value);
          if (why) bad.push(fromSetting(s, `ExternalDomain ${JSON.stringify(s.value)} ${why}`));
          else good.push(fromSetting(s, `ExternalDomain ${s.value}`));
        }
        if (bad.length > 0)
          return result(
            'fail',
            'ExternalDomain is not a public name: set it to the name users type (e.g. auth.yourcompany.com), then run zitadel setup again',
            unique([...bad, ...misspelt(m, 'ExternalDomain')]),
          );
        if (good.length === 0) return result('skip', 'ExternalDomain is kept where Shipshape cannot read it', unique(unknown));
        return result('pass', `ExternalDomain is ${[...new Set(good.map((g) => g.detail.split(' ')[1]))].join(', ')}`, unique([...good, ...unknown]));
      }),
  }),
);

export const externalSecure = fileCheck(
  defineCheck({
    id: 'zitadel.external-secure',
    summary: 'ExternalSecure is true (after --tlsMode, which overrides it): users reach ZITADEL over HTTPS.',
    params: z.strictObject({}),
    run: (ctx) =>
      withModel(ctx, (m) => {
        const bad: Evidence[] = [];
        const good: Evidence[] = [];
        for (const {s} of servingSettings(m, 'ExternalSecure')) {
          if (s.value === undefined) continue;
          const v = s.value.trim().toLowerCase();
          if (TRUE.has(v)) good.push(fromSetting(s, 'ExternalSecure true'));
          else
            bad.push(
              fromSetting(s, `ExternalSecure ${JSON.stringify(s.value)}: ZITADEL builds http:// issuer and redirect URLs, and cookies lose the Secure flag`),
            );
        }
        if (bad.length > 0)
          return result(
            'fail',
            'ExternalSecure is not true: terminate TLS in front (--tlsMode external) or in ZITADEL (--tlsMode enabled), then run zitadel setup again',
            unique([...bad, ...misspelt(m, 'ExternalSecure')]),
          );
        if (good.length === 0) return result('skip', 'ExternalSecure is kept where Shipshape cannot read it');
        return result('pass', 'ExternalSecure is true', unique(good));
      }),
  }),
);

export const externalPort = fileCheck(
  defineCheck({
    id: 'zitadel.external-port',
    summary:
      'ExternalPort is the port users connect to: one the proxy publishes (or listens on), the port ZITADEL itself is published on, or 443/80 behind the chart ingress.',
    params: z.strictObject({}),
    run: (ctx, _p) =>
      withModel(ctx, (m) => {
        const settings = servingSettings(m, 'ExternalPort');
        if (settings.length === 0) return result('skip', 'no serving ZITADEL process');
        const bad: Evidence[] = [];
        const good: Evidence[] = [];
        const skipped: string[] = [];
        for (const {runtime, s} of settings) {
          if (unsure(runtime, s)) {
            skipped.push(`ExternalPort may be set in ${runtime.hidden.join(', ')}`);
            continue;
          }
          const port = Number(s.value);
          const secure = TRUE.has((runtime.settings.get('ExternalSecure')?.value ?? '').toLowerCase());
          let expected: {port: number; place: Place; what: string}[] = [];
          if (runtime.kind === 'helm') {
            const ingress = m.helm?.get('ingress.enabled');
            if (ingress?.value !== true) {
              skipped.push('the chart ingress is off, so the public port is set elsewhere');
              continue;
            }
            expected = [
              {port: secure ? 443 : 80, place: {file: ingress.file, line: ingress.line}, what: `the ingress serves ${secure ? 'HTTPS on 443' : 'HTTP on 80'}`},
            ];
          } else {
            const fronting = m.proxies.filter((p) => p.upstreams.some((u) => m.runtimes.some((r) => r.name === u.host)) || m.proxies.length === 1);
            for (const p of fronting) {
              if (p.published.length > 0)
                expected.push(...p.published.map((x) => ({port: x.port, place: x, what: `${p.service ?? p.kind} publishes ${x.port}`})));
              else
                for (const site of p.sites)
                  expected.push(...site.ports.map((x) => ({port: x, place: site as Place, what: `${p.kind} listens on ${x} (${site.text})`})));
            }
            if (expected.length === 0 && runtime.service) {
              const inner = Number(runtime.settings.get('Port')?.value ?? '8080');
              for (const x of runtime.service.ports) {
                if (Number(x.target) === inner && x.published !== undefined)
                  expected.push({port: Number(x.published), place: x, what: `service ${runtime.name} publishes ${x.published}:${x.target}`});
              }
            }
            if (expected.length === 0) {
              skipped.push('no proxy config and no published port to compare with');
              continue;
            }
          }
          const match = expected.find((e) => e.port === port);
          if (match) good.push(fromSetting(s, `ExternalPort ${port}, and ${match.what}`));
          else {
            bad.push(fromSetting(s, `ExternalPort ${JSON.stringify(s.value)}, but users connect on ${[...new Set(expected.map((e) => e.port))].join(' or ')}`));
            for (const e of expected) bad.push(at(e.place, 'port', e.what));
          }
        }
        if (bad.length > 0)
          return result('fail', 'ExternalPort differs from the port users connect to: ZITADEL builds its issuer and redirect URLs with it', unique(bad));
        if (good.length === 0) return result('skip', `cannot tell which port users connect to: ${[...new Set(skipped)].join('; ')}`);
        return result('pass', 'ExternalPort matches the public port', unique(good));
      }),
  }),
);

export const externalFingerprint = fileCheck(
  defineCheck({
    id: 'zitadel.external-fingerprint',
    summary:
      'Shows a fingerprint of ExternalDomain, ExternalPort and ExternalSecure as evidence: a confirmation that setup ran is asked again whenever the triple changes.',
    params: z.strictObject({}),
    run: (ctx) =>
      withModel(ctx, (m) => {
        const triples = new Map<string, string[]>();
        for (const r of serving(m).length > 0 ? serving(m) : m.runtimes) {
          const v = (p: string) => r.settings.get(p)?.value ?? '(hidden)';
          const secure = TRUE.has(v('ExternalSecure').toLowerCase()) ? 'https' : FALSE.has(v('ExternalSecure').toLowerCase()) ? 'http' : v('ExternalSecure');
          const t = `${secure}://${v('ExternalDomain')}:${v('ExternalPort')}`;
          triples.set(t, [...(triples.get(t) ?? []), r.name]);
        }
        const evidence: Evidence[] = [...triples].map(([t, names]) => ({
          key: 'ExternalDomain, ExternalPort, ExternalSecure',
          detail: `${t} (fingerprint ${createHash('sha256').update(t).digest('hex').slice(0, 12)})${triples.size > 1 ? ` in ${names.join(', ')}` : ''}`,
        }));
        if (triples.size > 1)
          return result(
            'fail',
            'the ZITADEL processes disagree on the external address: give every phase the same ExternalDomain, ExternalPort and ExternalSecure',
            evidence,
          );
        return result('pass', `external address ${[...triples.keys()][0]}: after any change to it, zitadel setup must run again`, evidence);
      }),
  }),
);

// ---------------------------------------------------------------------------------------------
// First instance

const DEFAULT_ADMIN_NAMES = new Set(['zitadel-admin', 'admin', 'root']);

function setupRuntimes(m: ZitadelModel): Runtime[] {
  return m.runtimes.filter((r) => r.phase !== undefined && RUNS_SETUP.includes(r.phase));
}

function noSetup(): CheckResult {
  return result('skip', 'no Compose service or Job here runs zitadel setup, which creates the first instance and its admin');
}

export const firstAdminPassword = fileCheck(
  defineCheck({
    id: 'zitadel.first-admin-password',
    summary: "The first instance's admin (FirstInstance.Org.Human) does not get ZITADEL's default or an example password; a default user name warns.",
    params: z.strictObject({
      examples: z.array(z.string().min(1)).default([]),
      minLength: z.number().int().min(1).default(12),
    }),
    run: (ctx, p) =>
      withModel(ctx, (m) => {
        const runtimes = setupRuntimes(m);
        if (runtimes.length === 0) return noSetup();
        const bad: Evidence[] = [];
        const good: Evidence[] = [];
        const warn: Evidence[] = [];
        for (const r of runtimes) {
          const s = r.settings.get('FirstInstance.Org.Human.Password')!;
          const name = r.settings.get('FirstInstance.Org.Human.UserName');
          if (name?.value !== undefined && DEFAULT_ADMIN_NAMES.has(name.value.toLowerCase()))
            warn.push(fromSetting(name, `admin user name ${name.value} is the first one anyone tries`));
          if (s.value === undefined) {
            good.push(fromSetting(s, `the password comes from ${s.hidden ?? 'a source Shipshape cannot read'}`));
            continue;
          }
          if (unsure(r, s)) {
            good.push(fromSetting(s, `the password may be set in ${r.hidden.join(', ')}`));
            continue;
          }
          const example = EXAMPLE_ADMIN_PASSWORDS.get(s.value) ?? (p.examples.includes(s.value) ? 'the examples this pack names' : undefined);
          if (example) bad.push(fromSetting(s, `the password shipped in ${example}`));
          else if (s.value === '') warn.push(fromSetting(s, 'no initial password: the admin must be invited by e-mail before anyone can log in'));
          else if (isPlaceholder(s.value)) bad.push(fromSetting(s, `a placeholder (${redact(s.value)})`));
          else if ([...s.value].length < p.minLength) bad.push(fromSetting(s, `${redact(s.value)}: shorter than ${p.minLength} characters`));
          else good.push(fromSetting(s, `not a known default (${redact(s.value)})`));
        }
        if (bad.length > 0)
          return result(
            'fail',
            "the first admin's password is a published default: set FirstInstance.Org.Human.Password (ZITADEL_FIRSTINSTANCE_ORG_HUMAN_PASSWORD) from a secret before setup runs",
            unique([...bad, ...warn]),
          );
        if (warn.length > 0) return result('warn', 'the first admin is guessable in part', unique([...warn, ...good]));
        return result('pass', "the first admin's password is not a default", unique(good));
      }),
  }),
);

export const firstAdminChangeRequired = fileCheck(
  defineCheck({
    id: 'zitadel.first-admin-change-required',
    summary: 'FirstInstance.Org.Human.PasswordChangeRequired is not turned off: the first admin must replace the initial password.',
    params: z.strictObject({}),
    run: (ctx) =>
      withModel(ctx, (m) => {
        const runtimes = setupRuntimes(m);
        if (runtimes.length === 0) return noSetup();
        const bad: Evidence[] = [];
        const good: Evidence[] = [];
        for (const r of runtimes) {
          const s = r.settings.get('FirstInstance.Org.Human.PasswordChangeRequired')!;
          if (s.value !== undefined && FALSE.has(s.value.trim().toLowerCase()))
            bad.push(fromSetting(s, 'PasswordChangeRequired false: the initial password, which sits in files and logs, stays valid'));
          else good.push(fromSetting(s, `PasswordChangeRequired ${s.value ?? '(hidden)'}`));
        }
        if (bad.length > 0) return result('fail', 'the first admin is not made to change the initial password', unique(bad));
        return result('pass', 'the first admin must change the initial password', unique(good));
      }),
  }),
);

// ---------------------------------------------------------------------------------------------
// Database

function judgePassword(s: Setting, what: string, examples: readonly string[], minLength: number): {bad?: string; ok?: string} {
  if (s.value === undefined) return {ok: `${what} comes from ${s.hidden ?? 'a source Shipshape cannot read'}`};
  if (s.value === '') return {bad: `${what} is not set${s.origin === 'default' ? ' (ZITADEL connects without a password)' : ''}`};
  const example = EXAMPLE_DB_PASSWORDS.get(s.value) ?? (examples.includes(s.value) ? 'the examples this pack names' : undefined);
  if (example) return {bad: `${what} is the password from ${example}`};
  if (isPlaceholder(s.value)) return {bad: `${what} is a placeholder (${redact(s.value)})`};
  if ([...s.value].length < minLength) return {bad: `${what} is shorter than ${minLength} characters (${redact(s.value)})`};
  return {ok: `${what}: ${redact(s.value)}`};
}

export const dbCredentials = fileCheck(
  defineCheck({
    id: 'zitadel.db-credentials',
    summary:
      "ZITADEL's database user has a password, and neither it, the admin user's (used by init) nor the PostgreSQL service's is a default or example value.",
    params: z.strictObject({
      examples: z.array(z.string().min(1)).default([]),
      minLength: z.number().int().min(1).default(12),
    }),
    run: (ctx, p) =>
      withModel(ctx, (m) => {
        const bad: Evidence[] = [];
        const good: Evidence[] = [];
        for (const r of m.runtimes) {
          const checks: [string, string][] = [['Database.postgres.User.Password', 'the ZITADEL user password']];
          if (r.phase !== undefined && RUNS_INIT.includes(r.phase) && !r.dsn)
            checks.push(['Database.postgres.Admin.Password', 'the admin password (used by init)']);
          for (const [path, what] of checks) {
            const s = r.settings.get(path)!;
            const j = judgePassword(s, what, p.examples, p.minLength);
            if (j.bad && s.origin === 'default' && r.hidden.length > 0) good.push(fromSetting(s, `${what} may be set in ${r.hidden.join(', ')}`));
            else if (j.bad) bad.push(fromSetting(s, j.bad));
            else good.push(fromSetting(s, j.ok!));
          }
        }
        for (const db of m.databases) {
          const v = db.environment.get('POSTGRES_PASSWORD');
          if (!v) continue;
          const pseudo: Setting = {
            path: 'POSTGRES_PASSWORD',
            value: v.value ?? '',
            origin: 'env',
            file: v.envFile ?? v.file,
            line: v.line,
            key: `${db.name}.POSTGRES_PASSWORD`,
            where: `service ${db.name}`,
            literal: v.literal,
          };
          if (v.value === undefined) continue;
          const j = judgePassword(pseudo, `the PostgreSQL superuser password of service ${db.name}`, p.examples, p.minLength);
          if (j.bad) bad.push(fromSetting(pseudo, j.bad));
          else good.push(fromSetting(pseudo, j.ok!));
        }
        if (bad.length > 0)
          return result(
            'fail',
            'database credentials are unset or published defaults: set long random passwords (from .env or a Secret) before init creates the user',
            unique(bad),
          );
        if (good.length === 0) return result('skip', 'no database credentials to judge');
        return result('pass', 'database credentials are set and not defaults', unique(good));
      }),
  }),
);

export const dbSsl = fileCheck(
  defineCheck({
    id: 'zitadel.db-ssl',
    summary:
      "The database connection does not use SSL mode disable (nor allow/prefer) unless the database is on the deployment's own network (a Compose service, a cluster Service, loopback).",
    params: z.strictObject({}),
    run: (ctx) =>
      withModel(ctx, (m) => {
        const bad: Evidence[] = [];
        const soft: Evidence[] = [];
        const good: Evidence[] = [];
        for (const r of m.runtimes) {
          const host = r.settings.get('Database.postgres.Host')!;
          const pairs: [string, string][] = [['Database.postgres.User.SSL.Mode', 'user connection']];
          if (r.phase !== undefined && RUNS_INIT.includes(r.phase) && !r.dsn) pairs.push(['Database.postgres.Admin.SSL.Mode', 'admin connection (init)']);
          for (const [path, what] of pairs) {
            const s = r.settings.get(path)!;
            if (s.value === undefined || host.value === undefined) {
              good.push(fromSetting(s, `${what}: kept where Shipshape cannot read it`));
              continue;
            }
            const mode = s.value.trim().toLowerCase();
            const near = privateHost(host.value, m, r.kind);
            if (mode === 'disable' || mode === 'allow' || mode === 'prefer') {
              if (near) good.push(fromSetting(s, `${what}: SSL mode ${mode}, and ${near}`));
              else if (mode === 'disable')
                bad.push(
                  fromSetting(
                    s,
                    `${what}: SSL mode disable to ${host.value}, outside the deployment's own network: passwords and data cross the network in clear`,
                  ),
                  fromSetting(host, `database host ${host.value}`),
                );
              else soft.push(fromSetting(s, `${what}: SSL mode ${mode} to ${host.value} falls back to clear text when the server offers no TLS`));
            } else good.push(fromSetting(s, `${what}: SSL mode ${mode}`));
          }
        }
        if (bad.length > 0)
          return result(
            'fail',
            'ZITADEL talks to a database on another network without TLS: use SSL mode verify-full (or require) and give the server a certificate',
            unique([...bad, ...soft]),
          );
        if (soft.length > 0) return result('warn', 'the database connection may fall back to clear text', unique(soft));
        return result('pass', "database connections use TLS or stay on the deployment's own network", unique(good));
      }),
  }),
);

// ---------------------------------------------------------------------------------------------
// Phases and runtime

export const runtimeStart = fileCheck(
  defineCheck({
    id: 'zitadel.runtime-start',
    summary: 'The serving ZITADEL processes run `start`, not `start-from-init` or `start-from-setup` (which run init or setup on every start).',
    params: z.strictObject({}),
    run: (ctx) =>
      withModel(ctx, (m) => {
        const bad: Evidence[] = [];
        const good: Evidence[] = [];
        for (const r of m.runtimes) {
          const where = r.command ?? r.at;
          if (r.phase === undefined) bad.push(at(where, r.name, `${r.name} has no command, so ZITADEL gets no phase to run (start)`));
          else if (r.phase === 'start-from-init' || r.phase === 'start-from-setup') {
            bad.push(
              at(
                where,
                r.name,
                `${r.name} runs ${r.phase}: every start (and every extra replica) runs ${r.phase === 'start-from-init' ? 'init and setup' : 'setup'} again, racing the others on schema migrations`,
              ),
            );
          } else if (r.phase === 'start') good.push(at(where, r.name, `${r.name} runs start`));
        }
        if (bad.length > 0)
          return result(
            'fail',
            'ZITADEL runs a combined phase in production: run init once, setup as its own step per version, and start for serving',
            unique(bad),
          );
        if (good.length === 0) return result('skip', 'no ZITADEL process serves traffic here');
        return result('pass', 'the serving processes run start', unique(good));
      }),
  }),
);

export const setupSeparate = fileCheck(
  defineCheck({
    id: 'zitadel.setup-separate',
    summary: 'zitadel setup runs as its own step (a Compose service, a Job, an init container) that finishes before start, not inside the serving process.',
    params: z.strictObject({}),
    run: (ctx) =>
      withModel(ctx, (m) => {
        const serve = serving(m);
        if (serve.length === 0) return result('skip', 'no ZITADEL process serves traffic here');
        const own = m.runtimes.filter((r) => r.phase === 'setup');
        if (own.length > 0)
          return result(
            'pass',
            `setup runs on its own in ${own.map((r) => r.name).join(', ')}`,
            own.map((r) => at(r.command ?? r.at, r.name, `${r.name} runs setup`)),
          );
        return result(
          'fail',
          'no separate step runs zitadel setup: add a one-shot service (or Job) running `zitadel setup` with the same config and masterkey, and start the runtime with `start` after it completes',
          unique(serve.map((r) => at(r.command ?? r.at, r.name, `${r.name} runs ${r.phaseWord ?? 'no phase'}, and nothing else runs setup`))),
        );
      }),
  }),
);

export const replicas = fileCheck(
  defineCheck({
    id: 'zitadel.replicas',
    summary: 'At least `min` ZITADEL runtimes serve (Compose deploy.replicas, Helm replicaCount or autoscaling minReplicas).',
    params: z.strictObject({min: z.number().int().min(1).default(2)}),
    run: (ctx, p) =>
      withModel(ctx, (m) => {
        const serve = serving(m);
        if (serve.length === 0) return result('skip', 'no ZITADEL process serves traffic here');
        const total = serve.reduce((n, r) => n + (r.replicas?.value ?? 1), 0);
        const evidence = serve.map((r) => at(r.replicas ?? r.at, r.name, `${r.name}: ${r.replicas?.value ?? 1} (${r.replicas?.from ?? 'one'})`));
        if (total < p.min)
          return result(
            'fail',
            `${count(total, 'ZITADEL runtime')} serve${total === 1 ? 's' : ''}: one restart or crash takes logins down; run at least ${p.min} (ZITADEL keeps no state in the process)`,
            evidence,
          );
        return result('pass', `${total} ZITADEL runtimes serve`, evidence);
      }),
  }),
);

export const http2 = fileCheck(
  defineCheck({
    id: 'zitadel.http2',
    summary:
      'HTTP/2 end to end, from the proxy config in the deployment: the proxy offers h2 to clients and speaks h2c or TLS to ZITADEL (Caddy h2c://, nginx grpc_pass, Traefik h2c); for the Helm chart, the Service keeps appProtocol h2c and an nginx ingress speaks gRPC.',
    params: z.strictObject({}),
    run: (ctx) =>
      withModel(ctx, (m) => {
        const bad: Evidence[] = [];
        const good: Evidence[] = [];
        const names = new Set(m.runtimes.map((r) => r.name));
        if (m.helm && m.runtimes.some((r) => r.kind === 'helm')) helmHttp2(m, bad, good);
        if (m.runtimes.some((r) => r.kind === 'compose')) {
          if (m.proxies.length === 0) {
            if (bad.length + good.length === 0)
              return result(
                'skip',
                'no proxy config in this deployment (Caddyfile, nginx .conf, Traefik file or labels): HTTP/2 to ZITADEL cannot be read from the files',
              );
          }
          for (const p of m.proxies) {
            // Upstreams that reach ZITADEL: by service name, else (no name matches) every upstream but the login UI.
            let ups = p.upstreams.filter((u) => names.has(u.host));
            if (ups.length === 0) ups = p.upstreams.filter((u) => u.port !== '3000' && !/login/i.test(u.host));
            for (const u of ups) {
              if (u.scheme === 'http')
                bad.push(
                  at(
                    u,
                    u.host,
                    `${p.kind} reaches ${u.host}${u.port ? `:${u.port}` : ''} with HTTP/1.1 (${u.text}): gRPC calls fail; use ${p.kind === 'caddy' ? 'h2c://' : p.kind === 'nginx' ? 'grpc_pass grpc://' : 'the h2c scheme'}`,
                  ),
                );
              else good.push(at(u, u.host, `${p.kind} reaches ${u.host} over ${u.scheme}`));
            }
            for (const s of p.sites) {
              if (s.tls && s.h2 === false)
                bad.push(at(s, p.kind, `${s.text}: TLS without HTTP/2 for clients${p.kind === 'nginx' ? ' (add `http2 on;`)' : ''}`));
              else if (s.tls && s.h2) good.push(at(s, p.kind, `${s.text}: offers h2 to clients`));
            }
          }
        }
        if (bad.length > 0) return result('fail', 'HTTP/2 is broken between clients and ZITADEL: its gRPC API needs h2 on every hop', unique(bad));
        if (good.length === 0) return result('skip', 'no hop to ZITADEL found in the proxy config');
        return result('pass', 'HTTP/2 on every hop the config shows', unique(good));
      }),
  }),
);

function helmHttp2(m: ZitadelModel, bad: Evidence[], good: Evidence[]): void {
  const h = m.helm!;
  const app = h.get('service.appProtocol');
  const proto = h.get('service.protocol');
  if (app && !app.chartDefault && String(app.value) !== 'kubernetes.io/h2c')
    bad.push(at(app, 'service.appProtocol', `${String(app.value)}: the Service no longer tells the ingress to speak h2c to ZITADEL`));
  else good.push(at(app ?? {}, 'service.appProtocol', 'kubernetes.io/h2c (the chart default keeps HTTP/2 to ZITADEL)'));
  if (proto && !proto.chartDefault && String(proto.value) !== 'http2') bad.push(at(proto, 'service.protocol', `${String(proto.value)}, not http2`));
  const ingress = h.get('ingress.enabled');
  if (ingress?.value !== true) return;
  const cls = String(h.get('ingress.className')?.value ?? '');
  const controller = String(h.get('ingress.controller')?.value ?? 'generic');
  const ann = h.get('ingress.annotations')?.value;
  const backend = typeof ann === 'object' && ann !== null ? (ann as Record<string, unknown>)['nginx.ingress.kubernetes.io/backend-protocol'] : undefined;
  if (/nginx/i.test(cls) && controller !== 'nginx' && !/^grpcs?$/i.test(String(backend ?? ''))) {
    const c = h.get('ingress.className')!;
    bad.push(
      at(c, 'ingress.className', `${cls}: ingress-nginx proxies HTTP/1.1 unless ingress.controller is nginx (or the backend-protocol annotation says GRPC)`),
    );
  } else if (/nginx/i.test(cls)) good.push(at(h.get('ingress.controller') ?? ingress, 'ingress.controller', 'ingress-nginx speaks gRPC to ZITADEL'));
}

export const envNames = fileCheck(
  defineCheck({
    id: 'zitadel.env-names',
    summary:
      'Every ZITADEL_* variable given to a ZITADEL process names a setting ZITADEL knows (a misspelt one, such as ZITADEL_EXTERNAL_DOMAIN, is silently ignored).',
    params: z.strictObject({}),
    run: (ctx) =>
      withModel(ctx, (m) => {
        const bad: Evidence[] = [];
        const warn: Evidence[] = [];
        let known = 0;
        const seen = new Set<string>();
        for (const r of m.runtimes) {
          for (const e of r.env) {
            // The chart gives one env list to every workload: each entry once.
            const k = `${e.file}:${e.line}:${e.key}`;
            if (seen.has(k)) continue;
            seen.add(k);
            const v = judgeEnvName(e.key);
            if (v.known) {
              known++;
              continue;
            }
            const hint = v.suggestion ? `; did you mean ${v.suggestion}?` : '';
            if (v.documented)
              warn.push(at(e, e.key, `${e.key} is named in a comment of ZITADEL's defaults but matches no setting, so ZITADEL does not read it${hint}`));
            else if (e.envFile) warn.push(at(e, e.key, `${e.key} (from env_file ${e.envFile}) is not a ZITADEL setting and is ignored${hint}`));
            else bad.push(at(e, e.key, `${e.key} is not a ZITADEL setting: ZITADEL ignores it without a word${hint}`));
          }
        }
        if (bad.length > 0) return result('fail', `${count(bad.length, 'variable')} ZITADEL will ignore`, unique([...bad, ...warn]));
        if (warn.length > 0) return result('warn', `${count(warn.length, 'variable')} ZITADEL may ignore`, unique(warn));
        return result('pass', known > 0 ? `${count(known, 'ZITADEL_* variable')}, all known settings` : 'no ZITADEL_* variables');
      }),
  }),
);

const SENSITIVE = [
  'Database.postgres.User.Password',
  'Database.postgres.Admin.Password',
  'Database.postgres.DSN',
  'FirstInstance.Org.Human.Password',
  'DefaultInstance.SMTPConfiguration.SMTP.Password',
  'TLS.Key',
  'Caches.Connectors.Redis.Password',
  'Caches.Connectors.Redis.URL',
];

export const secretsNotLiteral = defineCheck({
  id: 'zitadel.secrets-not-literal',
  summary:
    'Database, first-admin, SMTP and TLS-key secrets are not written in tracked files (Compose environment, --config/--steps YAML, Helm values); a .env or secrets file kept out of git, or a Secret, holds them.',
  params: z.strictObject({}),
  run: (ctx) =>
    withModel(ctx, async (m) => {
      const bad: Evidence[] = [];
      const good: Evidence[] = [];
      const unsure: Evidence[] = [];
      const seen = new Set<string>();
      const judge = async (s: Setting, label: string) => {
        if (s.value === undefined || s.value === '' || s.origin === 'default' || !s.file) return;
        const k = `${s.file}:${s.line}:${s.key}`;
        if (seen.has(k)) return;
        seen.add(k);
        const shown = s.path.endsWith('DSN') || s.path.endsWith('URL') ? 'a connection string with its password' : redact(s.value);
        if (s.path.endsWith('DSN') || s.path.endsWith('URL')) {
          if (!/:[^:@/]+@|password=\S/i.test(s.value)) return;
        }
        const git = await tracking(ctx, s.file);
        if (git === 'tracked' && (s.literal || s.origin === 'env')) bad.push(fromSetting(s, `${label} written out (${shown}) in a file git tracks`));
        else if (git === 'untracked') good.push(fromSetting(s, `${label}: ${s.file} is not tracked by git`));
        else if (git === 'no-repo' && s.literal)
          unsure.push(fromSetting(s, `${label} written out in ${s.file}; not a git repository, so whether it is shared cannot be told`));
      };
      for (const r of m.runtimes)
        for (const path of SENSITIVE) {
          const s = r.settings.explicit(path);
          if (s) await judge(s, path);
        }
      for (const db of m.databases) {
        const v = db.environment.get('POSTGRES_PASSWORD');
        if (!v || v.value === undefined) continue;
        await judge(
          {
            path: 'POSTGRES_PASSWORD',
            value: v.value,
            origin: 'env',
            file: v.envFile ?? (v.literal ? v.file : (m.compose?.dotenv?.file ?? v.file)),
            line: v.literal || v.envFile ? v.line : (m.compose?.dotenv?.entries.get(v.interpolation?.soleRef ?? v.key)?.line ?? v.line),
            key: `${db.name}.POSTGRES_PASSWORD`,
            where: `service ${db.name}`,
            literal: v.literal && !v.envFile,
          },
          'the PostgreSQL password',
        );
      }
      if (bad.length > 0)
        return result(
          'fail',
          `${count(bad.length, 'secret')} ${bad.length === 1 ? 'is' : 'are'} written in files git tracks: draw them from a .env or secrets file kept out of git, or from a Secret`,
          unique(bad),
        );
      if (unsure.length > 0) return result('warn', 'secrets are written in files whose sharing cannot be told', unique([...unsure, ...good]));
      return result('pass', good.length > 0 ? 'secrets are kept out of tracked files' : 'no secret is written in the files read', unique(good));
    }),
});

export const smtp = fileCheck(
  defineCheck({
    id: 'zitadel.smtp',
    summary:
      'Whether an SMTP server is configured in the files (DefaultInstance.SMTPConfiguration); it may also be set in the console, so absence is not a failure.',
    params: z.strictObject({}),
    run: (ctx) =>
      withModel(ctx, (m) => {
        const hosts = m.runtimes
          .map((r) => r.settings.get('DefaultInstance.SMTPConfiguration.SMTP.Host'))
          .filter((s): s is Setting => s !== undefined && s.value !== '');
        if (hosts.length > 0)
          return result(
            'pass',
            'an SMTP server is configured for new instances',
            unique(hosts.map((s) => fromSetting(s, `SMTP host ${s.value ?? '(hidden)'}`))),
          );
        return result('skip', 'no SMTP server in the files: it may be set in the console (Default settings > SMTP)');
      }),
  }),
);

// ---------------------------------------------------------------------------------------------
// Network: only with probe=any, or a url given in the step.

const Probe = z.enum(['certificate', 'alpn', 'protocols', 'http']);

export const endpoint = Object.assign(
  defineCheck({
    id: 'zitadel.endpoint',
    summary:
      "Probes the deployment's public address (ExternalDomain, ExternalPort, ExternalSecure, or `url`): its certificate, ALPN h2, TLS versions, or an HTTP path such as /debug/ready; only with the pack input probe=any or a url in the step.",
    params: z.strictObject({
      probe: Probe,
      /** For probe http: the path to GET. */
      path: z.string().startsWith('/').default('/debug/ready'),
      status: z.number().int().min(100).max(599).optional(),
      bodyContains: z.string().min(1).optional(),
      minDays: z.number().int().min(0).default(14),
      /** The address to probe instead of the one the settings declare (scheme, host, port). */
      url: z.url({protocol: /^https?$/}).optional(),
      caFile: z.string().min(1).optional(),
      timeoutMs: z.number().int().min(50).max(120_000).default(5_000),
    }),
    timeoutMs: 30_000,
    run: async (ctx: Context, p, signal: AbortSignal): Promise<CheckResult> => {
      let base: URL;
      if (p.url !== undefined) base = new URL(p.url);
      else {
        const m = await readZitadel(ctx);
        const r = serving(m)[0] ?? m.runtimes[0];
        if (!r) return result('skip', 'no ZITADEL here to probe');
        const domain = r.settings.get('ExternalDomain')?.value;
        const port = r.settings.get('ExternalPort')?.value ?? '443';
        const secure = TRUE.has((r.settings.get('ExternalSecure')?.value ?? '').toLowerCase());
        const target = domain ? `${secure ? 'https' : 'http'}://${domain}:${port}` : undefined;
        if (ctx.inputs.probe !== 'any') {
          const how = ctx.pack.inputs.some((i) => i.id === 'probe') ? 'allow it with --input probe=any' : `pack ${ctx.pack.id} has no probe input`;
          return result(
            'skip',
            `not probed (no URL: probe is ${ctx.inputs.probe ?? 'not set'}): this would connect to ${target ?? 'the ExternalDomain'}; ${how}`,
          );
        }
        const why = domain === undefined ? 'is kept where Shipshape cannot read it' : domainProblem(domain);
        if (why || !target) return result('skip', `not probed: ExternalDomain ${why ?? ''}, so there is no public address to reach`);
        base = new URL(target);
      }
      const host = base.hostname.replace(/^\[|\]$/g, '');
      const port = Number(base.port || (base.protocol === 'https:' ? 443 : 80));
      const tls = base.protocol === 'https:';
      const common = {timeoutMs: p.timeoutMs};
      if (p.probe !== 'http' && !tls) return result('skip', `${base.origin} is plain HTTP (ExternalSecure false): there is no TLS to check`);
      const run = async <D extends CheckDef>(def: D, params: unknown) => {
        const parsed = def.params.safeParse(params);
        if (!parsed.success) return result('error', `${def.id}: ${parsed.error.issues[0]?.message ?? 'bad params'}`);
        return def.run(ctx, parsed.data, signal);
      };
      if (p.probe === 'certificate') return run(certificate, {host, port, minDays: p.minDays, ...common, ...(p.caFile ? {caFile: p.caFile} : {})});
      if (p.probe === 'alpn') return run(alpn, {host, port, ...common});
      if (p.probe === 'protocols') return run(protocols, {host, port, ...common});
      const url = new URL(p.path, base).toString();
      return run(request, {
        url,
        ...common,
        ...(p.status !== undefined ? {status: p.status} : {}),
        ...(p.bodyContains ? {bodyContains: p.bodyContains} : {}),
        ...(p.caFile ? {caFile: p.caFile} : {}),
      });
    },
  }),
  {kind: 'network' as const},
);
