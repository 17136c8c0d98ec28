import {isAbsolute, join, relative, sep} from 'node:path';
import {inspectSync, MAX_DEPLOYMENT_FILE_BYTES, readDeploymentFile, readDeploymentFileSync, realRootSync, type Found} from '../deploy/read.js';
import type {Pack} from '../pack/schema.js';
import type {ComposeModel} from '../sources/compose.js';
import type {EnvFile} from '../sources/envFile.js';
import {SourceError, errorMessage} from '../sources/errors.js';
import {globToRegExp, hasMagic, listFiles} from '../sources/glob.js';
import type {HelmValues} from '../sources/helm.js';
import type {Manifest} from '../sources/manifests.js';
import type {YamlFile} from '../sources/yamlDoc.js';
import {runCommand, type CommandResult, type RunOptions} from './exec.js';

/** Files larger than this are not parsed: a deployment's config files are small. */
const MAX_FILE_BYTES = MAX_DEPLOYMENT_FILE_BYTES;

/**
 * Everything a check may read about one deployment. Each source is parsed once and shared;
 * a source that fails to parse fails the same way for every check that asks for it, with its
 * location, while checks that never ask are unaffected.
 *
 * Every deployment file is read through src/deploy/read.ts, under one rule for symlinks and
 * non-files (written at the top of that file): a link is followed only to a target inside the
 * root; a link out of the root, a dangling link, a directory or a special file where a file is
 * expected is an error naming it, the same for every check (never "absent" for some and an
 * error for others); only regular files are read, at most MAX_FILE_BYTES.
 */
export class Context {
  private readonly memo = new Map<string, Promise<unknown>>();
  /** Source files that could not be read or parsed, by file: named once at the top of a report. */
  private readonly broken = new Map<string, {file: string; line?: number; message: string}>();

  constructor(
    /** Absolute path of the deployment. */
    readonly root: string,
    readonly pack: Pack,
    readonly inputs: Readonly<Record<string, string>>,
  ) {}

  /** Forgets every parsed source, after Shipshape wrote files: checks run next read them afresh. */
  invalidate(): void {
    this.memo.clear();
    this.broken.clear();
  }

  /** Source files that could not be read or parsed so far, each once. */
  problems(): {file: string; line?: number; message: string}[] {
    return [...this.broken.values()];
  }

  /** The path relative to the root, with forward slashes, for evidence. */
  rel(path: string): string {
    const r = isAbsolute(path) ? relative(this.root, path) : path;
    return r.split(sep).join('/');
  }

  abs(rel: string): string {
    return join(this.root, rel);
  }

  private realRootMemo?: string;

  /** The root's real path: what "inside the deployment" is measured against. */
  private get realRoot(): string {
    return (this.realRootMemo ??= realRootSync(this.root));
  }

  /** What is at `rel` by the rule in src/deploy/read.ts: a file to read, nothing, or a refusal naming it. Never opens it. */
  lookup(rel: string): Found {
    return inspectSync(this.root, rel, this.realRoot);
  }

  private once<T>(key: string, make: () => Promise<T>): Promise<T> {
    let p = this.memo.get(key) as Promise<T> | undefined;
    if (!p) {
      p = make();
      // Rejections are observed by whichever checks await them; keep Node from calling them
      // unhandled, and remember a broken source once for the top of the report.
      p.catch((err: unknown) => {
        if (err instanceof SourceError && err.file && !this.broken.has(err.file))
          this.broken.set(err.file, {file: err.file, line: err.line, message: err.message});
      });
      this.memo.set(key, p);
    }
    return p;
  }

  /** Files under the root matching any pattern, in pattern order, each once. */
  glob(patterns: readonly string[]): Promise<string[]> {
    return this.once(`glob:${JSON.stringify(patterns)}`, async () => {
      const out: string[] = [];
      const all = patterns.some(hasMagic) ? await this.once('files', () => listFiles(this.root)) : [];
      for (const p of patterns) {
        const hits = hasMagic(p) ? all.filter((f) => globToRegExp(p).test(f)) : this.isFile(p) ? [p] : [];
        for (const h of hits) if (!out.includes(h)) out.push(h);
      }
      return out;
    });
  }

  /**
   * Whether something is at `rel` where a file is expected: false only when nothing is there.
   * A file Shipshape will not read (a link out of the root, a dangling link, a directory, a FIFO
   * or device) counts as there, so that reading it gives the located error rather than the
   * file silently counting as absent.
   */
  isFile(rel: string): boolean {
    return this.lookup(rel).kind !== 'missing';
  }

  /** The text of a file under the root; SourceError (naming it) when it cannot or may not be read. */
  readText(rel: string): Promise<string> {
    return this.once(`text:${rel}`, async () => {
      try {
        return (await readDeploymentFile(this.root, rel, {maxBytes: MAX_FILE_BYTES, realRoot: this.realRoot})).toString('utf8');
      } catch (err) {
        if (err instanceof SourceError) throw err;
        throw new SourceError(`cannot read: ${errorMessage(err)}`, rel);
      }
    });
  }

  /** A parsed .env file, or undefined when nothing is there; SourceError when something is there that may not be read. */
  envFile(rel: string): Promise<EnvFile | undefined> {
    return this.once(`env:${rel}`, async () => {
      const found = this.lookup(rel);
      if (found.kind === 'missing') return undefined;
      if (found.kind === 'refused') throw found.error;
      const {parseEnvText} = await import('../sources/envFile.js');
      return parseEnvText(await this.readText(rel), rel);
    });
  }

  /** The pack's .env files that exist, parsed. */
  envFiles(): Promise<EnvFile[]> {
    return this.once('envFiles', async () => {
      const files = await this.glob(this.pack.files.env);
      const parsed = await every(files.map((f) => this.envFile(f)));
      return parsed.filter((e): e is EnvFile => e !== undefined);
    });
  }

  yaml(rel: string): Promise<YamlFile> {
    return this.once(`yaml:${rel}`, async () => {
      const {parseYaml} = await import('../sources/yamlDoc.js');
      return parseYaml(await this.readText(rel), rel);
    });
  }

  /** The Compose project (base file, overrides, the .env beside it), or undefined when there is none. */
  compose(): Promise<ComposeModel | undefined> {
    return this.once('compose', async () => {
      const base = (await this.glob(this.pack.files.compose))[0];
      if (!base) return undefined;
      const overrides = await this.glob(this.pack.files.composeOverrides);
      const files = await every([base, ...overrides.filter((o) => o !== base)].map((f) => this.yaml(f)));
      const dir = base.includes('/') ? base.slice(0, base.lastIndexOf('/') + 1) : '';
      // A broken .env is reported by the checks that read it; the Compose file is still judged,
      // interpolated with the lines of the .env that do parse, as dotenv reads them.
      const dotenv = await this.envFile(`${dir}.env`).catch(() => this.lenientEnv(`${dir}.env`));
      const [{buildComposeModel}, {parseEnvText}] = await Promise.all([import('../sources/compose.js'), import('../sources/envFile.js')]);
      return buildComposeModel({
        files,
        dotenv,
        readEnvFile: (rel) => (this.isFile(rel) ? parseEnvText(this.readTextSync(rel), rel) : undefined),
      });
    });
  }

  /** The keys of a .env that our strict reader refused, as dotenv alone reads them (bad lines dropped). */
  private async lenientEnv(rel: string): Promise<EnvFile | undefined> {
    let text: string;
    try {
      text = await this.readText(rel);
    } catch {
      return undefined;
    }
    const dotenv = await import('dotenv');
    // dotenv is CommonJS: its named export sits on default once bundled.
    const parse = (dotenv.parse ?? (dotenv as unknown as {default: typeof dotenv}).default.parse) as typeof dotenv.parse;
    const values = parse(text);
    // The last line that assigns each key, in one pass (a .env of many keys stays linear).
    const lastLine = new Map<string, number>();
    const lines = text.split(/\r?\n/);
    for (let n = 0; n < lines.length; n++) {
      const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*[=:]/.exec(lines[n]!);
      if (m) lastLine.set(m[1]!, n + 1);
    }
    const entries = new Map<string, {key: string; value: string; line: number}>();
    for (const [key, value] of Object.entries(values)) entries.set(key, {key, value, line: lastLine.get(key) ?? 0});
    return {file: rel, entries, duplicates: new Map()};
  }

  private readTextSync(rel: string): string {
    try {
      return readDeploymentFileSync(this.root, rel, {maxBytes: MAX_FILE_BYTES, realRoot: this.realRoot}).toString('utf8');
    } catch (err) {
      if (err instanceof SourceError) throw err;
      throw new SourceError(`cannot read: ${errorMessage(err)}`, rel);
    }
  }

  /** Helm values from the pack's values files (plus its declared chart defaults), or undefined when none exist. */
  helm(): Promise<HelmValues | undefined> {
    return this.once('helm', async () => {
      const files = await this.glob(this.pack.files.helmValues);
      if (files.length === 0) return undefined;
      const {HelmValues} = await import('../sources/helm.js');
      return new HelmValues(await every(files.map((f) => this.yaml(f))), this.pack.files.chartDefaults);
    });
  }

  /** Kubernetes objects from the pack's manifest files. */
  manifests(): Promise<Manifest[]> {
    return this.once('manifests', async () => {
      const files = await this.glob(this.pack.files.manifests);
      const {parseManifests} = await import('../sources/manifests.js');
      const all = await every(files.map(async (f) => parseManifests(await this.readText(f), f)));
      return all.flat();
    });
  }

  /**
   * Manifests rendered by `helm template` from the chart directory `chart` (relative to the root)
   * with the pack's values files, lowest precedence first; for deployments that keep no rendered
   * output. Undefined when helm is not installed; a SourceError naming the chart when it fails
   * (helm's own output is not repeated: it may quote values).
   */
  helmTemplate(chart: string): Promise<Manifest[] | undefined> {
    return this.once(`helmTemplate:${chart}`, async () => {
      const values = await this.glob(this.pack.files.helmValues);
      // The chart directory's name, as a valid release name (`.` gives `release`).
      const release =
        (chart.replace(/\/+$/, '').split('/').pop() ?? '')
          .toLowerCase()
          .replace(/[^a-z0-9-]+/g, '-')
          .replace(/^-+|-+$/g, '') || 'release';
      const r = await this.run('helm', ['template', release, chart, ...values.flatMap((v) => ['--values', v])], {timeoutMs: 20_000});
      if (r.missing) return undefined;
      if (!r.ok)
        throw new SourceError(
          r.timedOut ? 'helm template did not finish within 20 s' : `helm template failed (exit ${r.exitCode ?? '?'}); run it by hand to see why`,
          chart,
        );
      const {parseManifests} = await import('../sources/manifests.js');
      return parseManifests(r.stdout, `${chart} (helm template)`);
    });
  }

  /** The deployment's git repository, asked once per run and shared by every check (src/engine/git.ts). */
  git(): Promise<import('./git.js').GitRepo> {
    return this.once('git', async () => new (await import('./git.js')).GitRepo(this.root));
  }

  /** Runs a program without a shell, bounded in time, never reading our stdin. */
  run(file: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    return runCommand(file, args, {cwd: this.root, ...options});
  }
}

/**
 * Promise.all that waits for every file before it fails with the first error (in file order):
 * each file that cannot be read is then recorded for the top of the report, whichever failed
 * first, and the same failure is reported however the reads were scheduled.
 */
async function every<T>(promises: readonly Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<T>).value);
}
