import {parseDocument, isMap, isSeq, isScalar} from 'yaml';
import type {Context} from '../engine/context.js';
import {looksSecret} from '../engine/redact.js';
import {parseEnvText} from '../sources/envFile.js';
import {setEnvValue} from '../write/envEdit.js';
import {setYamlIn} from '../write/yamlEdit.js';
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
 * - `url:.env:KEY`: the password inside the connection URL held by KEY (URL-encoded there);
 * - `file:PATH`: the whole file (a PEM key), written 0600;
 * - `NAME@...` in front of any of these: the derived value NAME (publicKey, hash) instead.
 */
export interface Target {
  derived?: string;
  kind: 'env' | 'compose' | 'url' | 'file';
  file?: string;
  service?: string;
  key: string;
  /** compose targets: the .env variable the reference names (default: the key itself). */
  ref?: string;
}

export class TargetError extends Error {
  override name = 'TargetError';
}

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
  if (rest.startsWith('compose:')) {
    const m = /^compose:([^.]+)\.environment\.([^=]+)(?:=(.+))?$/.exec(rest);
    if (!m) throw new TargetError(`${spec}: write compose:SERVICE.environment.KEY (or KEY=VAR to reference another .env variable)`);
    return {derived, kind: 'compose', service: m[1]!, key: m[2]!, ref: m[3]};
  }
  const url = rest.startsWith('url:');
  if (url) rest = rest.slice(4);
  const colon = rest.lastIndexOf(':');
  if (colon <= 0) throw new TargetError(`${spec}: write FILE:KEY, e.g. .env:JWT_SECRET`);
  return {derived, kind: url ? 'url' : 'env', file: rest.slice(0, colon), key: rest.slice(colon + 1)};
}

/** The files a run changes, with their text before and after every edit so far. */
export class Edits {
  private readonly files = new Map<string, {before: string | undefined; after: string; secret: boolean}>();
  readonly summary: string[] = [];
  readonly secrets = new Set<string>();

  constructor(private readonly ctx: Context) {}

  /** Changes one file's text; several items of one run build on each other's edits. */
  async edit(path: string, secret: boolean, change: (text: string) => string, what: string): Promise<void> {
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
    const f = this.files.get(path)!;
    f.after = change(f.after);
    f.secret ||= secret;
    this.summary.push(what);
  }

  changeSet(): ChangeSet {
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
      const text = value.endsWith('\n') ? value : `${value}\n`;
      const old = ctx.isFile(t.file!) ? await ctx.readText(t.file!).catch(() => undefined) : undefined;
      if (old && !t.derived) edits.secrets.add(old.trim());
      await edits.edit(t.file!, true, () => text, `${t.file}${t.derived ? ` (${t.derived})` : ''}`);
    } else if (t.kind === 'env') {
      const files = t.file!.includes('*') ? await ctx.glob([t.file!]) : [t.file!];
      if (files.length === 0) notes.push(`no file matches ${t.file}: ${t.key} was not written there`);
      for (const file of files) {
        const old = (await ctx.envFile(file).catch(() => undefined))?.entries.get(t.key)?.value;
        if (old && !t.derived) edits.secrets.add(old);
        await edits.edit(file, true, (text) => setEnvValue(text, t.key, value, file), `${t.key} in ${file}`);
      }
    } else if (t.kind === 'url') {
      const files = t.file!.includes('*') ? await ctx.glob([t.file!]) : [t.file!];
      for (const file of files) {
        const entry = (await ctx.envFile(file).catch(() => undefined))?.entries.get(t.key);
        if (!entry?.value) {
          notes.push(`${file} has no ${t.key}: the password inside it was not changed`);
          continue;
        }
        const next = withPassword(entry.value, value);
        if (!next) {
          notes.push(`${file}:${entry.line} ${t.key} is not a URL with a user: the password was not changed`);
          continue;
        }
        edits.secrets.add(entry.value);
        const old = passwordOf(entry.value);
        if (old) edits.secrets.add(old);
        await edits.edit(file, true, (text) => setEnvValue(text, t.key, next, file), `the password inside ${t.key} in ${file}`);
      }
    } else {
      notes.push(...(await composeTarget(ctx, t, value, edits)));
    }
  }
  return notes;
}

async function composeTarget(ctx: Context, t: Target, value: string, edits: Edits): Promise<string[]> {
  const model = await ctx.compose();
  const svc = model?.services.get(t.service!);
  if (!svc) return [`no Compose service ${t.service}: nothing to change there`];
  const v = svc.environment.get(t.key);
  if (!v || !v.literal || v.envFile) return [];
  // A literal in the Compose file: it becomes a reference, and the value moves into the .env.
  if (v.value) edits.secrets.add(v.value);
  const file = v.file;
  const ref = t.ref ?? t.key;
  await edits.edit(file, false, (text) => referenceInCompose(text, t.service!, t.key, ref, file), `${t.key} of service ${t.service} in ${file} now reads \${${ref}}`);
  const dir = file.includes('/') ? file.slice(0, file.lastIndexOf('/') + 1) : '';
  await edits.edit(`${dir}.env`, true, (text) => setEnvValue(text, ref, value, `${dir}.env`), `${ref} in ${dir}.env`);
  return [];
}

/** Replaces a literal `KEY: value` (map) or `- KEY=value` (list) with a `${KEY}` reference. */
function referenceInCompose(text: string, service: string, key: string, variable: string, file: string): string {
  const doc = parseDocument(text);
  const env = doc.getIn(['services', service, 'environment'], true);
  const ref = `\${${variable}}`;
  if (isMap(env)) return setYamlIn(text, ['services', service, 'environment', key], ref, file);
  if (isSeq(env)) {
    const index = env.items.findIndex((it) => isScalar(it) && typeof it.value === 'string' && (it.value === key || it.value.startsWith(`${key}=`)));
    if (index >= 0) return setYamlIn(text, ['services', service, 'environment', index], `${key}=${ref}`, file);
  }
  throw new TargetError(`${file}: service ${service} sets ${key} in a way Shipshape cannot rewrite; change it to \${${key}} by hand`);
}

function passwordOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.password ? decodeURIComponent(u.password) : undefined;
  } catch {
    return undefined;
  }
}

/** The URL with its password replaced (URL-encoded), or undefined when it has no user part. */
export function withPassword(url: string, password: string): string | undefined {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^:@/?#]+)(?::([^@/?#]*))?@/i.exec(url);
  if (!m) return undefined;
  return `${m[1]}${m[2]}:${encodeURIComponent(password)}@${url.slice(m[0].length)}`;
}
