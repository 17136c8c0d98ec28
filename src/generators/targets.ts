import type {KeyObject} from 'node:crypto';
import {type Document, isMap, isPair, isScalar, isSeq, parseAllDocuments, parseDocument, Scalar, visit, type YAMLSeq} from 'yaml';
import type {Context} from '../engine/context.js';
import type {ComposeModel, ComposeService} from '../sources/compose.js';
import {looksSecret} from '../engine/redact.js';
import {parseEnvText} from '../sources/envFile.js';
import {urlPassword} from '../deploy/settings.js';
import {setEnvValue} from '../write/envEdit.js';
import {editYaml} from '../write/yamlEdit.js';
import {type PathKey, yamlErrorText} from '../sources/yamlDoc.js';
import type {ChangeSet, FileChange} from '../write/changeSet.js';
import {ManifestError, parseSecretRef, sealedHasKey, secretKeyValue, setSealedKey, setSecretKey, type SecretRef} from './k8sSecret.js';

/** What a secret generator makes: the value every target gets, and values derived from it. */
export interface Made {
  /** Written to every target without a `NAME@` prefix. */
  value: string;
  /** Written to targets named `NAME@...` (publicKey@.env:X25519_PUBLIC_KEY, hash@.env:API_KEY_HASH). */
  derived?: Record<string, string>;
  /** Secret values besides `value` (a private key's other half is not secret; a seed is). */
  alsoSecret?: string[];
  /** Shown once to the person and never written (an API key whose hash alone is stored). */
  showOnce?: {label: string; value: string};
  /** Refuse to replace an existing value unless the person types a confirmation (ZITADEL's masterkey). */
  guardExisting?: string;
}

/**
 * Where a generated value goes, written in a pack's `into:`:
 * - `.env:KEY`, or with a glob `instances/*\/.env:KEY`: that key in each matching .env file;
 * - `compose:SERVICE.environment.KEY`: a literal in the service's environment becomes a
 *   `${KEY}` reference, and the value goes into the .env beside the Compose file;
 *   `...KEY=VAR` makes it `${VAR}` instead (MINIO_SECRET_KEY reading MINIO_ROOT_PASSWORD);
 *   SERVICE may hold `*` (`compose:*.environment.MINIO_SECRET_KEY=MINIO_ROOT_PASSWORD`: every
 *   service that sets the key); a value a service reads from an `env_file:` is set there;
 * - `url:.env:KEY`: the password inside the connection URL held by KEY (URL-encoded there);
 * - `url:compose:SERVICE.environment.KEY=VAR`: the password inside a connection URL written
 *   in the Compose file becomes `${VAR}`, and the value goes into the .env as VAR (the
 *   connection string stays in the Compose file, the secret leaves it); SERVICE may hold `*`;
 * - `file:PATH`: the whole file (a PEM key), written 0600;
 * - `k8s-secret:FILE:NAMESPACE/NAME.KEY`: key KEY of the Kubernetes Secret NAME in a manifest
 *   file of its own (stringData; base64 data when the Secret keeps its values there), written
 *   0600 and added to .git/info/exclude (refused when git tracks the file); when a Sealed
 *   Secrets certificate is given ($SHIPSHAPE_KUBESEAL_CERT, `kubeseal --fetch-cert` output) a
 *   SealedSecret is written there instead, which is safe to commit;
 * - `sealed-secret:FILE:NAMESPACE/NAME.KEY`: always a SealedSecret (refused without a certificate);
 * - `helm-env-ref:VALUES:LIST:ENV=NAME.KEY`: in the Helm values file(s) VALUES (a glob), the
 *   EnvVar list at LIST (dotted, e.g. the0Api.extraEnv) gets ENV read from the Secret's key
 *   (`valueFrom.secretKeyRef`), replacing a literal entry of that name;
 * - `helm-set:VALUES:PATH=TEXT`: the values at PATH becomes TEXT (a Secret's name:
 *   `global.existingSecret=the0-secrets`, `zitadel.masterkeySecretName=zitadel-masterkey`);
 * - `helm-unset:VALUES:PATH`: the literal at PATH is removed (the value now comes from a Secret);
 * - `NAME@...` in front of any of these: the derived value NAME (publicKey, hash) instead.
 * The helm targets write no value: they point the chart at the Secret that holds it.
 */
export interface Target {
  derived?: string;
  kind: 'env' | 'compose' | 'url' | 'compose-url' | 'file' | 'k8s-secret' | 'sealed-secret' | 'helm-env-ref' | 'helm-set' | 'helm-unset';
  file?: string;
  service?: string;
  key: string;
  /** compose targets: the .env variable the reference names (default: the key itself). */
  ref?: string;
  /** k8s-secret, sealed-secret, helm-env-ref: the Secret's key. */
  secret?: SecretRef;
  /** helm targets: the dotted path in the values (the list, for helm-env-ref). */
  path?: string;
  /** helm-set: the text written there. */
  text?: string;
}

export class TargetError extends Error {
  override name = 'TargetError';
}

/** A variable name Compose interpolates as `${NAME}`. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function parseTarget(spec: string): Target {
  let rest = spec;
  let derived: string | undefined;
  const at = /^([A-Za-z][A-Za-z0-9]*)@/.exec(rest);
  if (at) {
    derived = at[1];
    rest = rest.slice(at[0].length);
  }
  if (rest.startsWith('file:')) {
    const path = rest.slice(5);
    if (!path) throw new TargetError(`${spec}: write file:PATH`);
    return {derived, kind: 'file', file: path, key: ''};
  }
  const k8s = /^(k8s-secret|sealed-secret):([^:]+):(.+)$/.exec(rest);
  if (k8s) {
    const secret = parseSecretRef(k8s[3]!);
    if (!secret) throw new TargetError(`${spec}: write ${k8s[1]}:FILE:NAMESPACE/NAME.KEY, e.g. ${k8s[1]}:secrets/app.yaml:prod/app-secrets.jwt-secret`);
    return {derived, kind: k8s[1] as 'k8s-secret' | 'sealed-secret', file: k8s[2]!, key: secret.key, secret};
  }
  if (/^helm-(env-ref|set|unset):/.test(rest)) return parseHelmTarget(spec, rest, derived);
  const url = rest.startsWith('url:');
  if (url) rest = rest.slice(4);
  if (rest.startsWith('compose:')) {
    const m = /^compose:([^.]+)\.environment\.([^=]+)(?:=(.+))?$/.exec(rest);
    if (!m)
      throw new TargetError(
        `${spec}: write ${url ? 'url:' : ''}compose:SERVICE.environment.KEY${url ? '=VAR' : ' (or KEY=VAR to reference another .env variable)'}`,
      );
    if (m[3] !== undefined && !ENV_NAME.test(m[3])) throw new TargetError(`${spec}: ${m[3]} is not a variable name Compose can interpolate`);
    if (url && m[3] === undefined)
      throw new TargetError(
        `${spec}: name the .env variable the URL's password should read, e.g. ${spec}=POSTGRES_PASSWORD (a Compose file holds no secret itself)`,
      );
    return {derived, kind: url ? 'compose-url' : 'compose', service: m[1]!, key: m[2]!, ref: m[3]};
  }
  const colon = rest.lastIndexOf(':');
  if (colon <= 0) throw new TargetError(`${spec}: write FILE:KEY, e.g. .env:JWT_SECRET`);
  return {derived, kind: url ? 'url' : 'env', file: rest.slice(0, colon), key: rest.slice(colon + 1)};
}

/** A Compose environment entry to set, waiting to be made together with the file's other sets. */
interface ComposeSet {
  service: string;
  key: string;
  /** The value as written in the Compose file (`${VAR}`, or a URL holding one). */
  value: string;
}

/** The files a run changes, with their text before and after every edit so far. */
export class Edits {
  private readonly files = new Map<string, {before: string | undefined; after: string; secret: boolean}>();
  /** What each place (a file, a key in a file) gets in this run. */
  private readonly claims = new Map<string, string>();
  /**
   * Compose sets not made yet, by file, with the file parsed once to check them: a YAML edit
   * re-prints and merges the whole file (about 0.1 s each), so every set of a file is made in
   * one edit, when the change set is asked for or before any other edit of that file.
   */
  private readonly composeSets = new Map<string, {doc: Document.Parsed; sets: ComposeSet[]}>();
  readonly summary: string[] = [];
  readonly secrets = new Set<string>();

  constructor(private readonly ctx: Context) {}

  /**
   * Records that `place` gets `value` in this run, and says whether it still has to be written:
   * false when an earlier target of the run already put this very value there (a Compose
   * reference's .env variable that a `.env:` target also names). Two different values for one
   * place would leave one of them shown but stored nowhere: refused.
   */
  claim(place: string, value: string): boolean {
    const had = this.claims.get(place);
    if (had === undefined) {
      this.claims.set(place, value);
      return true;
    }
    if (had === value) return false;
    throw new TargetError(`${place} would get two different generated values in one run; generate the items that write it one at a time`);
  }

  /** Changes one file's text; several items of one run build on each other's edits. */
  async edit(path: string, secret: boolean, change: (text: string) => string, what: string): Promise<void> {
    this.flush(path);
    await this.open(path, secret);
    const f = this.files.get(path)!;
    f.after = change(f.after);
    this.summary.push(what);
  }

  /** Takes a file into the run (its text as it is on disk), once; marks it secret when it is. */
  private async open(path: string, secret: boolean): Promise<void> {
    if (!this.files.has(path)) {
      const text = this.ctx.isFile(path) ? await this.ctx.readText(path) : undefined;
      this.files.set(path, {before: text, after: text ?? '', secret});
      // The preview shows context lines around each change: every credential already in a
      // touched .env (by the one secret-name rule) is masked too, not only the ones replaced.
      if (text !== undefined && ENV_FILE.test(path)) {
        const env = await this.ctx.envFile(path).catch(() => undefined);
        for (const e of env?.entries.values() ?? []) if (e.value && maskedInPreview(e.key)) this.secrets.add(e.value);
      }
      // The same for YAML (Compose files, Helm values, Secret manifests): the context lines of a
      // diff must not show a password that sits next to the one replaced.
      if (text !== undefined && YAML_FILE.test(path)) for (const v of secretsInYaml(text)) this.secrets.add(v);
    }
    this.files.get(path)!.secret ||= secret;
  }

  /**
   * Sets a service's environment entry, `KEY: value` (map) or `- KEY=value` (list), in a Compose
   * file. Checked now (the entry must be one Shipshape can rewrite); made with the file's other
   * sets in one YAML edit.
   */
  async setComposeEnv(path: string, service: string, key: string, value: string, what: string): Promise<void> {
    await this.open(path, false);
    let pending = this.composeSets.get(path);
    if (!pending) {
      pending = {doc: parseDocument(this.files.get(path)!.after), sets: []};
      if (pending.doc.errors.length > 0) throw new TargetError(`${path}:${yamlErrorText(pending.doc.errors[0]!)}`);
      this.composeSets.set(path, pending);
    }
    const env = pending.doc.getIn(['services', service, 'environment'], true);
    if (!isMap(env) && !(isSeq(env) && listIndex(env, key) >= 0))
      throw new TargetError(`${path}: service ${service} sets ${key} in a way Shipshape cannot rewrite; change it to \${${key}} by hand`);
    pending.sets.push({service, key, value});
    this.summary.push(what);
  }

  /** Makes the Compose sets waiting for one file (all files when none is named). */
  private flush(path?: string): void {
    for (const [file, pending] of this.composeSets) {
      if (path !== undefined && file !== path) continue;
      this.composeSets.delete(file);
      const f = this.files.get(file)!;
      f.after = composeEnvEdit(f.after, pending.sets, file);
    }
  }

  changeSet(): ChangeSet {
    this.flush();
    const changes: FileChange[] = [];
    for (const [path, f] of this.files) {
      if (f.after === f.before) continue;
      changes.push({path, before: f.before, after: f.after, secret: f.secret, verify: verifierFor(path, f.after)});
    }
    return {changes, secrets: [...this.secrets], summary: [...this.summary]};
  }
}

const ENV_FILE = /(^|\/)\.env[^/]*$/;
const YAML_FILE = /\.ya?ml$/i;

/**
 * Settings a preview masks: credentials by the one secret-name rule, and the account names that
 * act as an access key id (MinIO's root user is its access key; a generated one is half of the
 * login), which that rule leaves out.
 */
function maskedInPreview(key: string): boolean {
  return looksSecret(key) || /(^|_)ROOT_USER$|ACCESS_KEY(_ID)?$/i.test(key);
}

/**
 * Values in a YAML text that a preview must mask: scalars under credential-named keys (the one
 * secret-name rule), passwords inside connection URLs, and every value of a Kubernetes Secret
 * (`stringData` as it is, `data` decoded). A text that does not parse gives what it can.
 */
export function secretsInYaml(text: string): Set<string> {
  const out = new Set<string>();
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(text, {uniqueKeys: false}) as Document.Parsed[];
  } catch {
    return out;
  }
  if (!Array.isArray(docs)) return out;
  for (const doc of docs) {
    const kind = doc.get('kind');
    visit(doc, {
      Pair(_, pair, path) {
        if (!isScalar(pair.key)) return;
        const key = String(pair.key.value);
        const parent = path.at(-2);
        const section = isPair(parent) && isScalar(parent.key) ? String(parent.key.value) : undefined;
        const inSecret = kind === 'Secret' && (section === 'stringData' || section === 'data');
        if (!isScalar(pair.value) || pair.value.value === null || pair.value.value === undefined) return;
        const value = String(pair.value.value);
        if (value === '') return;
        if (inSecret) out.add(section === 'data' ? Buffer.from(value, 'base64').toString('utf8') : value);
        // A `${VAR}` reference names where a value lives; it is not one.
        if ((inSecret || maskedInPreview(key)) && !/^\$\{[^}]*\}$/.test(value)) out.add(value);
        const inUrl = urlPassword(value);
        if (inUrl && !/^\$\{[^}]*\}$/.test(inUrl)) out.add(inUrl);
      },
    });
  }
  return out;
}

function verifierFor(path: string, meant: string): FileChange['verify'] {
  if (!ENV_FILE.test(path)) return undefined;
  return (written) => {
    if (written !== meant) return 'the file on disk is not what was meant';
    try {
      parseEnvText(written, path);
      return undefined;
    } catch (err) {
      return (err as Error).message;
    }
  };
}

/** Puts a generated value (and its derived values) into every target; all edits go through `edits`. */
export async function writeTargets(ctx: Context, into: readonly string[], made: Made, edits: Edits): Promise<string[]> {
  const notes: string[] = [];
  edits.secrets.add(made.value);
  for (const s of made.alsoSecret ?? []) edits.secrets.add(s);
  for (const spec of into) {
    const t = parseTarget(spec);
    const value = t.derived ? made.derived?.[t.derived] : made.value;
    if (value === undefined) throw new TargetError(`${spec}: this generator makes no ${t.derived}`);
    if (t.kind === 'file') {
      if (!edits.claim(t.file!, value)) continue;
      const text = value.endsWith('\n') ? value : `${value}\n`;
      const old = ctx.isFile(t.file!) ? await ctx.readText(t.file!).catch(() => undefined) : undefined;
      if (old && !t.derived) edits.secrets.add(old.trim());
      await edits.edit(t.file!, true, () => text, `${t.file}${t.derived ? ` (${t.derived})` : ''}`);
    } else if (t.kind === 'env') {
      const files = t.file!.includes('*') ? await ctx.glob([t.file!]) : [t.file!];
      if (files.length === 0) notes.push(`no file matches ${t.file}: ${t.key} was not written there`);
      for (const file of files) await envTarget(ctx, file, t.key, value, !t.derived, edits);
    } else if (t.kind === 'url') {
      const files = t.file!.includes('*') ? await ctx.glob([t.file!]) : [t.file!];
      if (files.length === 0) notes.push(`no file matches ${t.file}: the password inside ${t.key} was not changed there`);
      for (const file of files) notes.push(...(await urlInEnv(ctx, file, t.key, value, edits)));
    } else if (t.kind === 'compose') {
      notes.push(...(await composeTarget(ctx, t, value, edits)));
    } else if (t.kind === 'k8s-secret' || t.kind === 'sealed-secret') {
      notes.push(...(await secretManifestTarget(ctx, t, value, !t.derived, edits)));
    } else if (t.kind === 'helm-env-ref' || t.kind === 'helm-set' || t.kind === 'helm-unset') {
      notes.push(...(await helmTarget(ctx, t, edits)));
    } else {
      notes.push(...(await composeUrlTarget(ctx, t, value, edits)));
    }
  }
  return notes;
}

/** `key` in one .env file; `replacesSecret`: the old value is a secret too (masked in the preview). */
async function envTarget(ctx: Context, file: string, key: string, value: string, replacesSecret: boolean, edits: Edits): Promise<void> {
  if (!edits.claim(`${file}:${key}`, value)) return;
  const old = (await ctx.envFile(file).catch(() => undefined))?.entries.get(key)?.value;
  if (old && replacesSecret) edits.secrets.add(old);
  await edits.edit(file, true, (text) => setEnvValue(text, key, value, file), `${key} in ${file}`);
}

/** The password inside the URL that `key` holds in one .env file (URL-encoded there). */
async function urlInEnv(ctx: Context, file: string, key: string, value: string, edits: Edits): Promise<string[]> {
  const entry = (await ctx.envFile(file).catch(() => undefined))?.entries.get(key);
  if (!entry?.value) return [`${file} has no ${key}: the password inside it was not changed`];
  const parts = splitUrl(entry.value);
  if (!parts) return [`${file}:${entry.line} ${key} is not a URL with a user: the password was not changed`];
  // `${VAR}` in the password's place: the value lives in VAR, which its own target writes.
  if (readsVariable(parts.password)) return [];
  if (!edits.claim(`${file}:${key} (password)`, value)) return [];
  const next = `${parts.head}${parts.user}:${encodeURIComponent(value)}@${parts.rest}`;
  // The old password is masked in the preview (as written and decoded); the rest of the URL is not a secret.
  if (parts.password) edits.secrets.add(parts.password);
  const old = passwordOf(parts.password);
  if (old) edits.secrets.add(old);
  await edits.edit(file, true, (text) => setEnvValue(text, key, next, file), `the password inside ${key} in ${file}`);
  return [];
}

/** The services a target names: one by name, or every one matching a `*` pattern. */
export function servicesOf(model: ComposeModel | undefined, pattern: string): ComposeService[] {
  if (!model) return [];
  if (!pattern.includes('*')) {
    const svc = model.services.get(pattern);
    return svc ? [svc] : [];
  }
  const re = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`);
  return [...model.services.values()].filter((s) => re.test(s.name));
}

/** The .env Compose reads for interpolation: beside the base Compose file. */
function envBeside(model: ComposeModel): string {
  const base = model.files[0] ?? '';
  return `${base.includes('/') ? base.slice(0, base.lastIndexOf('/') + 1) : ''}.env`;
}

async function composeTarget(ctx: Context, t: Target, value: string, edits: Edits): Promise<string[]> {
  const model = await ctx.compose();
  const services = servicesOf(model, t.service!);
  if (!model || services.length === 0) return t.service!.includes('*') ? [] : [`no Compose service ${t.service}: nothing to change there`];
  const ref = t.ref ?? t.key;
  for (const svc of services) {
    const v = svc.environment.get(t.key);
    if (!v) continue;
    // Read from an env_file: that file is where this copy lives.
    if (v.envFile) {
      await envTarget(ctx, v.envFile, t.key, value, true, edits);
      continue;
    }
    // Already a reference (or a pass-through of the .env's own variable): the .env holds the value.
    if (!v.literal || v.raw === undefined) continue;
    // A literal in the Compose file: it becomes a reference, and the value moves into the .env.
    if (v.value) edits.secrets.add(v.value);
    const reference = `\${${ref}}`;
    if (edits.claim(`${v.file}:${svc.name}.environment.${t.key}`, reference)) {
      await edits.setComposeEnv(v.file, svc.name, t.key, reference, `${t.key} of service ${svc.name} in ${v.file} now reads ${reference}`);
    }
    await envTarget(ctx, envBeside(model), ref, value, true, edits);
  }
  return [];
}

/** The password inside a connection URL in the Compose file becomes `${VAR}`; the value goes into the .env as VAR. */
async function composeUrlTarget(ctx: Context, t: Target, value: string, edits: Edits): Promise<string[]> {
  const model = await ctx.compose();
  const services = servicesOf(model, t.service!);
  if (!model || services.length === 0) return t.service!.includes('*') ? [] : [`no Compose service ${t.service}: nothing to change there`];
  const notes: string[] = [];
  const ref = t.ref!;
  for (const svc of services) {
    const v = svc.environment.get(t.key);
    if (!v) continue;
    if (v.envFile) {
      notes.push(...(await urlInEnv(ctx, v.envFile, t.key, value, edits)));
      continue;
    }
    // `- KEY` passes the .env's own KEY through: a `url:.env:KEY` target's business.
    if (v.raw === undefined) continue;
    const parts = splitUrl(v.raw);
    if (!parts) {
      notes.push(`${v.file}:${v.line ?? '?'} ${t.key} of service ${svc.name} is not a URL with a user: the password was not changed`);
      continue;
    }
    // The password is read from a variable already: that variable's own target writes it.
    if (readsVariable(parts.password)) continue;
    // Compose pastes the variable in as it is: only a value that needs no URL-encoding can go there.
    if (encodeURIComponent(value) !== value)
      throw new TargetError(
        `${t.key} of service ${svc.name}: the value has characters a URL must encode, and Compose interpolation does not encode them; use a generator whose values are URL-safe (password, hex32, base64url)`,
      );
    const old = passwordOf(parts.password);
    if (old) edits.secrets.add(old);
    if (parts.password) edits.secrets.add(parts.password);
    const raw = `${parts.head}${parts.user}:\${${ref}}@${parts.rest}`;
    if (edits.claim(`${v.file}:${svc.name}.environment.${t.key}`, raw)) {
      await edits.setComposeEnv(v.file, svc.name, t.key, raw, `the password inside ${t.key} of service ${svc.name} in ${v.file} now reads \${${ref}}`);
    }
    await envTarget(ctx, envBeside(model), ref, value, true, edits);
  }
  return notes;
}

/** Where `- KEY=...` or `- KEY` stands in an environment list; -1 when it does not. */
function listIndex(env: YAMLSeq, key: string): number {
  return env.items.findIndex((it) => isScalar(it) && typeof it.value === 'string' && (it.value === key || it.value.startsWith(`${key}=`)));
}

/**
 * Sets every entry in one YAML edit (comments and layout kept, as setYamlIn does), quoting a
 * value a YAML 1.1 reader would take for something else, then reads each back.
 */
function composeEnvEdit(text: string, sets: readonly ComposeSet[], file: string): string {
  const paths = (doc: Document, s: ComposeSet): {path: PathKey[]; value: string} => {
    const at = ['services', s.service, 'environment'];
    const env = doc.getIn(at, true);
    if (isSeq(env)) return {path: [...at, listIndex(env, s.key)], value: `${s.key}=${s.value}`};
    return {path: [...at, s.key], value: s.value};
  };
  const out = editYaml(
    text,
    (doc) => {
      for (const s of sets) {
        const {path, value} = paths(doc, s);
        doc.setIn(path, value);
        const node = doc.getIn(path, true);
        if (isScalar(node) && (node.type === undefined || node.type === Scalar.PLAIN) && ambiguousIn11(value)) node.type = Scalar.QUOTE_DOUBLE;
      }
    },
    file,
  );
  const doc = parseDocument(out);
  for (const s of sets) {
    const {path, value} = paths(doc, s);
    const node = doc.getIn(path, true);
    if (!isScalar(node) || node.value !== value)
      throw new Error(`${file}: ${s.key} of service ${s.service} did not read back as written; the file was left unchanged`);
  }
  return out;
}

/** A plain scalar that a YAML 1.1 reader (PyYAML, older tools) would not read as this string. */
function ambiguousIn11(value: string): boolean {
  const doc = parseDocument(value, {version: '1.1'});
  return doc.errors.length > 0 || !isScalar(doc.contents) || doc.contents.value !== value;
}

/** Text that Compose interpolation would fill in from a variable (`$$` is a literal `$`). */
function readsVariable(text: string | undefined): boolean {
  return text !== undefined && /\$(?:\{|[A-Za-z_])/.test(text.replace(/\$\$/g, ''));
}

/** A password as written in a URL, decoded; undefined when there is none or it does not decode. */
function passwordOf(written: string | undefined): string | undefined {
  if (!written) return undefined;
  try {
    return decodeURIComponent(written);
  } catch {
    return written;
  }
}

interface UrlParts {
  /** `scheme://` */
  head: string;
  user: string;
  /** As written (URL-encoded); undefined when the URL has a user and no password. */
  password?: string;
  /** Everything after the `@`. */
  rest: string;
}

/** A URL with a user part, split around its password; undefined when it has no user part. */
function splitUrl(url: string): UrlParts | undefined {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^:@/?#]+)(?::([^@/?#]*))?@/i.exec(url);
  if (!m) return undefined;
  return {head: m[1]!, user: m[2]!, password: m[3], rest: url.slice(m[0].length)};
}

/** The URL with its password replaced (URL-encoded), or undefined when it has no user part. */
export function withPassword(url: string, password: string): string | undefined {
  const p = splitUrl(url);
  return p && `${p.head}${p.user}:${encodeURIComponent(password)}@${p.rest}`;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// ---- Kubernetes: Secret and SealedSecret manifests, and Helm values that point at them -------

const HELM_PATH = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;

function parseHelmTarget(spec: string, rest: string, derived: string | undefined): Target {
  const m = /^helm-(env-ref|set|unset):([^:]+):(.+)$/.exec(rest);
  const usage: Record<string, string> = {
    'env-ref': 'helm-env-ref:VALUES:LIST:ENV=NAME.KEY, e.g. helm-env-ref:values.yaml:the0Api.extraEnv:THE0_ADMIN_PASSWORD=the0-root-admin.password',
    set: 'helm-set:VALUES:PATH=TEXT, e.g. helm-set:values.yaml:zitadel.masterkeySecretName=zitadel-masterkey',
    unset: 'helm-unset:VALUES:PATH, e.g. helm-unset:values.yaml:zitadel.masterkey',
  };
  const kind = /^helm-(env-ref|set|unset)/.exec(rest)![1]!;
  const bad = () => new TargetError(`${spec}: write ${usage[kind]}`);
  if (derived) throw new TargetError(`${spec}: a helm target writes no value, so it takes no ${derived}@`);
  if (!m) throw bad();
  const file = m[2]!;
  if (kind === 'env-ref') {
    const r = /^([^:]+):([A-Za-z_][A-Za-z0-9_]*)=(.+)$/.exec(m[3]!);
    const secret = r && parseSecretRef(r[3]!);
    if (!r || !HELM_PATH.test(r[1]!) || !secret || secret.namespace) throw bad();
    return {kind: 'helm-env-ref', file, path: r[1]!, key: r[2]!, secret};
  }
  if (kind === 'set') {
    const r = /^([^=]+)=(.+)$/.exec(m[3]!);
    if (!r || !HELM_PATH.test(r[1]!)) throw bad();
    return {kind: 'helm-set', file, path: r[1]!, key: r[1]!.split('.').at(-1)!, text: r[2]!};
  }
  if (!HELM_PATH.test(m[3]!)) throw bad();
  return {kind: 'helm-unset', file, path: m[3]!, key: m[3]!.split('.').at(-1)!};
}

/** The environment variable that names the Sealed Secrets controller's certificate (`kubeseal --fetch-cert > FILE`). */
export const KUBESEAL_CERT_ENV = 'SHIPSHAPE_KUBESEAL_CERT';

let sealingKeyMemo: {path: string; key: KeyObject} | undefined;

/** The controller's public key, when a certificate is given; undefined when none is. */
async function sealingKey(): Promise<KeyObject | undefined> {
  const path = process.env[KUBESEAL_CERT_ENV];
  if (!path) return undefined;
  if (sealingKeyMemo?.path === path) return sealingKeyMemo.key;
  const {readRegularFileSync} = await import('../deploy/read.js');
  const {sealingKeyFrom} = await import('./sealed.js');
  let pem: string;
  try {
    pem = readRegularFileSync(path, {maxBytes: 64 * 1024}).toString('utf8');
  } catch (err) {
    throw new TargetError(`${KUBESEAL_CERT_ENV}=${path}: ${(err as Error).message}`);
  }
  const key = sealingKeyFrom(pem, path);
  sealingKeyMemo = {path, key};
  return key;
}

/** A Secret (or, with a certificate, a SealedSecret) manifest file holding the value. */
async function secretManifestTarget(ctx: Context, t: Target, value: string, replacesSecret: boolean, edits: Edits): Promise<string[]> {
  const file = t.file!;
  const ref = t.secret!;
  const refName = `${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
  if (!edits.claim(`${file}:${refName}.${ref.key}`, value)) return [];
  const key = await sealingKey();
  if (!key && t.kind === 'sealed-secret')
    throw new TargetError(
      `${file}: sealing needs the Sealed Secrets controller's certificate: save it with \`kubeseal --fetch-cert > cert.pem\` and set ${KUBESEAL_CERT_ENV}=cert.pem`,
    );
  const old = ctx.isFile(file) ? await ctx.readText(file) : undefined;
  const wrap = (make: (text: string | undefined) => string) => (text: string) => {
    try {
      return make(text === '' && old === undefined ? undefined : text);
    } catch (err) {
      if (err instanceof ManifestError) throw new TargetError(err.message);
      throw err;
    }
  };
  if (key) {
    await edits.edit(
      file,
      false,
      wrap((text) => setSealedKey(text, ref, value, key, file)),
      `${ref.key} of the SealedSecret ${refName} in ${file}`,
    );
    return [`${file} is sealed for ${refName}: commit it and let the controller (or Flux) apply it; no plaintext copy was written`];
  }
  await refuseTracked(ctx, file);
  const previous = old === undefined ? undefined : secretKeyValue(old, ref);
  if (previous && replacesSecret) edits.secrets.add(previous);
  await edits.edit(
    file,
    true,
    wrap((text) => setSecretKey(text, ref, value, file)),
    `${ref.key} of the Secret ${refName} in ${file}`,
  );
  const notes = await excludeFromGit(ctx, file, edits);
  notes.push(
    `${file} holds the value in plain text: apply it (kubectl apply -f ${file}), then delete the file or seal it (set ${KUBESEAL_CERT_ENV} to write a SealedSecret instead)`,
  );
  return notes;
}

/** A plaintext Secret must never reach a commit: a file git already tracks is refused. */
async function refuseTracked(ctx: Context, file: string): Promise<void> {
  const git = await ctx.git();
  if ((await git.state()).kind !== 'inside') return;
  const tracked = await git.tracked([file]);
  if (tracked.ok && tracked.files.includes(file))
    throw new TargetError(
      `${file} is tracked by git, so a plaintext Secret written there would be committed; untrack it (git rm --cached ${file}) or name another file`,
    );
}

/**
 * Adds the file to the repository's own exclude list (.git/info/exclude: local, never
 * committed), in the same change set. Outside a git work tree nothing is needed; a git
 * directory outside the deployment gets a note instead.
 */
async function excludeFromGit(ctx: Context, file: string, edits: Edits): Promise<string[]> {
  const git = await ctx.git();
  const state = await git.state();
  if (state.kind !== 'inside') return [];
  const r = await git.run(['rev-parse', '--path-format=absolute', '--git-path', 'info/exclude'], {timeoutMs: 5_000});
  const pattern = `/${state.prefix}${file}`;
  const rel = r.ok ? ctx.rel(r.stdout.trim()) : '..';
  if (rel.startsWith('..') || rel.startsWith('/')) return [`add ${pattern} to .gitignore: the plaintext Secret must never be committed`];
  await edits.edit(
    rel,
    false,
    (text) =>
      text.split(/\r?\n/).includes(pattern)
        ? text
        : `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}# A plaintext Secret written by Shipshape: never commit it.\n${pattern}\n`,
    `${file} kept out of git (${rel})`,
  );
  return [];
}

/** Helm values changes that point the chart at a Secret; every matching values file is changed. */
async function helmTarget(ctx: Context, t: Target, edits: Edits): Promise<string[]> {
  const files = /[*?{[]/.test(t.file!) ? await ctx.glob([t.file!]) : ctx.isFile(t.file!) ? [t.file!] : [];
  if (files.length === 0) return [`no values file matches ${t.file}: change the values by hand (${describeHelm(t)})`];
  const path = t.path!.split('.');
  for (const file of files) {
    const text = await ctx.readText(file);
    const doc = parseDocument(text);
    if (doc.errors.length > 0) throw new TargetError(`${file}:${yamlErrorText(doc.errors[0]!)}`);
    if (t.kind === 'helm-unset') {
      const node = doc.getIn(path, true);
      if (node === undefined) continue;
      if (isScalar(node) && node.value !== null && node.value !== '') edits.secrets.add(String(node.value));
      if (!edits.claim(`${file}:${t.path}`, '')) continue;
      await edits.edit(file, false, (now) => editYaml(now, (d) => d.deleteIn(path), file), `${t.path} removed from ${file}`);
    } else if (t.kind === 'helm-set') {
      if (doc.getIn(path) === t.text || !edits.claim(`${file}:${t.path}`, t.text!)) continue;
      await edits.edit(file, false, (now) => editYaml(now, (d) => d.setIn(path, t.text), file), `${t.path} in ${file} is now ${t.text}`);
    } else {
      const ref = t.secret!;
      if (!edits.claim(`${file}:${t.path}:${t.key}`, `${ref.name}.${ref.key}`)) continue;
      const list = doc.getIn(path, true);
      if (list !== undefined && list !== null && !isSeq(list) && !(isScalar(list) && list.value === null))
        throw new TargetError(`${file}: ${t.path} is not a list of environment variables; add ${t.key} from the Secret by hand`);
      for (const item of isSeq(list) ? list.items : []) {
        if (!isMap(item) || item.get('name') !== t.key) continue;
        const literal = item.get('value');
        if (typeof literal === 'string' && literal !== '') edits.secrets.add(literal);
      }
      await edits.edit(
        file,
        false,
        (now) => editYaml(now, (d) => setEnvRef(d, path, t.key, ref), file),
        `${t.key} in ${t.path} of ${file} now reads the Secret ${ref.name}, key ${ref.key}`,
      );
    }
  }
  return [];
}

/** `- name: ENV, valueFrom: {secretKeyRef: {name, key}}` in the list at `path`, replacing an entry of that name. */
function setEnvRef(doc: Document, path: string[], env: string, ref: SecretRef): void {
  const entry = doc.createNode({name: env, valueFrom: {secretKeyRef: {name: ref.name, key: ref.key}}});
  const list = doc.getIn(path, true);
  if (!isSeq(list) || list.items.length === 0) {
    doc.setIn(path, doc.createNode([entry]));
    return;
  }
  const at = list.items.findIndex((it) => isMap(it) && it.get('name') === env);
  if (at >= 0) list.items[at] = entry;
  else list.items.push(entry);
}

function describeHelm(t: Target): string {
  if (t.kind === 'helm-set') return `${t.path}: ${t.text}`;
  if (t.kind === 'helm-unset') return `remove ${t.path}`;
  return `${t.key} in ${t.path} from secretKeyRef ${t.secret!.name}/${t.secret!.key}`;
}

/** Whether a Kubernetes or Helm target already holds a value (a guarded generator then asks first). */
export async function targetHoldsValue(ctx: Context, t: Target): Promise<boolean> {
  if ((t.kind === 'k8s-secret' || t.kind === 'sealed-secret') && ctx.isFile(t.file!)) {
    const text = await ctx.readText(t.file!).catch(() => '');
    return secretKeyValue(text, t.secret!) !== undefined || sealedHasKey(text, t.secret!);
  }
  if (t.kind === 'helm-unset') {
    const files = /[*?{[]/.test(t.file!) ? await ctx.glob([t.file!]) : ctx.isFile(t.file!) ? [t.file!] : [];
    for (const file of files) {
      const v = parseDocument(await ctx.readText(file).catch(() => '')).getIn(t.path!.split('.'));
      if (v !== undefined && v !== null && v !== '') return true;
    }
  }
  return false;
}
