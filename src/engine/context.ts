import {lstatSync, readFileSync} from 'node:fs';
import {readFile} from 'node:fs/promises';
import {isAbsolute, join, relative, sep} from 'node:path';
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
const MAX_FILE_BYTES = 4 * 1024 * 1024;

/**
 * Everything a check may read about one deployment. Each source is parsed once and shared;
 * a source that fails to parse fails the same way for every check that asks for it, with its
 * location, while checks that never ask are unaffected.
 */
export class Context {
  private readonly memo = new Map<string, Promise<unknown>>();

  constructor(
    /** Absolute path of the deployment. */
    readonly root: string,
    readonly pack: Pack,
    readonly inputs: Readonly<Record<string, string>>,
  ) {}

  /** The path relative to the root, with forward slashes, for evidence. */
  rel(path: string): string {
    const r = isAbsolute(path) ? relative(this.root, path) : path;
    return r.split(sep).join('/');
  }

  abs(rel: string): string {
    return join(this.root, rel);
  }

  private once<T>(key: string, make: () => Promise<T>): Promise<T> {
    let p = this.memo.get(key) as Promise<T> | undefined;
    if (!p) {
      p = make();
      // Rejections are observed by whichever checks await them; keep Node from calling them unhandled.
      p.catch(() => undefined);
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

  isFile(rel: string): boolean {
    try {
      return lstatSync(this.abs(rel)).isFile();
    } catch {
      return false;
    }
  }

  /** The text of a file under the root; SourceError when it cannot be read. */
  readText(rel: string): Promise<string> {
    return this.once(`text:${rel}`, async () => {
      try {
        const buf = await readFile(this.abs(rel));
        if (buf.length > MAX_FILE_BYTES) throw new SourceError(`file is larger than ${MAX_FILE_BYTES} bytes`, rel);
        return buf.toString('utf8');
      } catch (err) {
        if (err instanceof SourceError) throw err;
        throw new SourceError(`cannot read: ${errorMessage(err)}`, rel);
      }
    });
  }

  /** A parsed .env file, or undefined when it does not exist. */
  envFile(rel: string): Promise<EnvFile | undefined> {
    return this.once(`env:${rel}`, async () => {
      if (!this.isFile(rel)) return undefined;
      const {parseEnvText} = await import('../sources/envFile.js');
      return parseEnvText(await this.readText(rel), rel);
    });
  }

  /** The pack's .env files that exist, parsed. */
  envFiles(): Promise<EnvFile[]> {
    return this.once('envFiles', async () => {
      const files = await this.glob(this.pack.files.env);
      const parsed = await Promise.all(files.map((f) => this.envFile(f)));
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
      const files = await Promise.all([base, ...overrides.filter((o) => o !== base)].map((f) => this.yaml(f)));
      const dir = base.includes('/') ? base.slice(0, base.lastIndexOf('/') + 1) : '';
      const dotenv = await this.envFile(`${dir}.env`);
      const [{buildComposeModel}, {parseEnvText}] = await Promise.all([import('../sources/compose.js'), import('../sources/envFile.js')]);
      return buildComposeModel({
        files,
        dotenv,
        readEnvFile: (rel) => (this.isFile(rel) ? parseEnvText(this.readTextSync(rel), rel) : undefined),
      });
    });
  }

  private readTextSync(rel: string): string {
    try {
      return readFileSync(this.abs(rel), 'utf8');
    } catch (err) {
      throw new SourceError(`cannot read: ${errorMessage(err)}`, rel);
    }
  }

  /** Helm values from the pack's values files (plus its declared chart defaults), or undefined when none exist. */
  helm(): Promise<HelmValues | undefined> {
    return this.once('helm', async () => {
      const files = await this.glob(this.pack.files.helmValues);
      if (files.length === 0) return undefined;
      const {HelmValues} = await import('../sources/helm.js');
      return new HelmValues(await Promise.all(files.map((f) => this.yaml(f))), this.pack.files.chartDefaults);
    });
  }

  /** Kubernetes objects from the pack's manifest files. */
  manifests(): Promise<Manifest[]> {
    return this.once('manifests', async () => {
      const files = await this.glob(this.pack.files.manifests);
      const {parseManifests} = await import('../sources/manifests.js');
      const all = await Promise.all(files.map(async (f) => parseManifests(await this.readText(f), f)));
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
      const release = (chart.replace(/\/+$/, '').split('/').pop() ?? '').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'release';
      const r = await this.run('helm', ['template', release, chart, ...values.flatMap((v) => ['--values', v])], {timeoutMs: 20_000});
      if (r.missing) return undefined;
      if (!r.ok) throw new SourceError(r.timedOut ? 'helm template did not finish within 20 s' : `helm template failed (exit ${r.exitCode ?? '?'}); run it by hand to see why`, chart);
      const {parseManifests} = await import('../sources/manifests.js');
      return parseManifests(r.stdout, `${chart} (helm template)`);
    });
  }

  /** Runs a program without a shell, bounded in time, never reading our stdin. */
  run(file: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    return runCommand(file, args, {cwd: this.root, ...options});
  }
}
