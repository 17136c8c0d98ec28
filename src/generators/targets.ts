import {type Document, isMap, isScalar, isSeq, parseDocument, Scalar, type YAMLSeq} from 'yaml';
import type {Context} from '../engine/context.js';
import type {ComposeModel, ComposeService} from '../sources/compose.js';
import {looksSecret} from '../engine/redact.js';
import {parseEnvText} from '../sources/envFile.js';
import {setEnvValue} from '../write/envEdit.js';
import {editYaml} from '../write/yamlEdit.js';
import type {PathKey} from '../sources/yamlDoc.js';
import type {ChangeSet, FileChange} from '../write/changeSet.js';

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
 * - `NAME@...` in front of any of these: the derived value NAME (publicKey, hash) instead.
 */
export interface Target {
  derived?: string;
  kind: 'env' | 'compose' | 'url' | 'compose-url' | 'file';
  file?: string;
  service?: string;
  key: string;
  /** compose targets: the .env variable the reference names (default: the key itself). */
  ref?: string;
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
        for (const e of env?.entries.values() ?? []) if (e.value && looksSecret(e.key)) this.secrets.add(e.value);
      }
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
      if (pending.doc.errors.length > 0) throw new TargetError(`${path}: ${pending.doc.errors[0]!.message}`);
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
