// One git context per run: the repository facts, the tracked files, the ignore rules, one pass
// over history and one blob reader, each asked of git once and shared by every check that needs
// them (Context.git() makes one per Context, forgotten with the parsed sources).
//
// What git is asked, at most once each: `rev-parse` (inside a work tree? prefix? top level?),
// `ls-files -z` (every tracked file under the root; pathspecs are matched here, by git's rules),
// `check-ignore --stdin` (the paths asked for at the same moment, batched), one `log --all --raw`
// (first adds for git.never-committed, the commit that brought a blob in for
// git.value-never-committed), `rev-list --all --objects` per blob size limit, and one long-lived
// `cat-file --batch` that every blob search reads through. A pathspec these rules cannot match
// exactly (brackets, escapes, `..`) goes to git as before.
//
// Values searched for in blobs never leave this process: only object ids and paths go to git.

import type {ChildProcess} from 'node:child_process';
import {execa} from 'execa';
import {accessSync, constants, statSync} from 'node:fs';
import {delimiter, resolve} from 'node:path';
import {StringDecoder} from 'node:string_decoder';
import {commandEnv, describeCommand, runCommand, type CommandResult, type RunOptions} from './exec.js';

export type RepoState = {kind: 'missing'} | {kind: 'outside'} | {kind: 'inside'; prefix: string; top: string};

/** A command's failure, as the checks report it. */
export type Failure = Pick<CommandResult, 'reason' | 'timedOut'>;
export type Outcome<T> = ({ok: true} & T) | ({ok: false} & Failure);

/** One file change of a commit in the history pass, paths as git stores them (from the top level). */
export interface Change {
  /** Index into History.commits. */
  commit: number;
  /** git's status letter: A, M, D, T. */
  status: string;
  path: string;
  /** Abbreviated object ids, as `--raw` prints them (`0000000` for none). */
  before: string;
  after: string;
}

export interface History {
  /** `%h %cs` of each commit, oldest first (`git log --all --reverse` order). */
  commits: string[];
  changes: Change[];
}

/** Where a `.gitignore` rule decides a path, as `check-ignore -v` names it (`.gitignore:3:.env`); '' when none does. */
export type IgnoreRule = string;

const LOG_MS = 50_000;
const LIST_MS = 50_000;
const CAT_MS = 50_000;

/** The first executable `name` on PATH, as an absolute path: looked up once, not at every spawn. */
export function which(name: string, cwd: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const file = resolve(cwd, dir, name);
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/** Settles with `late()` when `p` has not settled within `ms`; `p` keeps running for whoever else waits on it. */
export function within<T>(p: Promise<T>, ms: number, late: () => T): Promise<T> {
  return new Promise<T>((resolvePromise, reject) => {
    const timer = setTimeout(() => resolvePromise(late()), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolvePromise(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Pathspecs, matched as git matches `:(glob)` pathspecs (wildmatch with WM_PATHNAME): `*` and
// `?` stop at `/`, `**/` is any number of directories, `/**` everything below; a pathspec also
// matches every path below it when it names a directory.

/** A matcher for one `:(glob)` pattern relative to the root; undefined when only git can say (brackets, escapes, `.`/`..`, absolute). */
export function globMatcher(pattern: string): ((path: string) => boolean) | undefined {
  if (pattern === '' || /[[\\]/.test(pattern) || pattern.startsWith('/') || pattern.startsWith(':') || pattern.includes('//')) return undefined;
  if (pattern.split('/').some((s) => s === '.' || s === '..')) return undefined;
  let re: RegExp | undefined;
  if (/[*?]/.test(pattern)) {
    let src = '';
    for (let i = 0; i < pattern.length; ) {
      const c = pattern[i]!;
      if (c === '*') {
        let j = i;
        while (pattern[j] === '*') j++;
        const bounded = j - i >= 2 && (i === 0 || pattern[i - 1] === '/') && (j === pattern.length || pattern[j] === '/');
        if (!bounded) src += '[^/]*';
        else if (j === pattern.length) src += '.*';
        else {
          src += '(?:.*/)?';
          j++; // the slash is part of `**/`
        }
        i = j;
      } else if (c === '?') {
        src += '[^/]';
        i++;
      } else {
        src += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
        i++;
      }
    }
    re = new RegExp(`^${src}$`, 's');
  }
  return (path) => path === pattern || (path.startsWith(pattern) && (pattern.endsWith('/') || path[pattern.length] === '/')) || re?.test(path) === true;
}

function matchers(patterns: readonly string[]): ((path: string) => boolean) | undefined {
  const all = patterns.map(globMatcher);
  if (all.some((m) => m === undefined)) return undefined;
  return (path) => all.some((m) => m!(path));
}

const glob = (patterns: readonly string[]) => patterns.map((x) => `:(glob)${x}`);

function fail(r: Pick<CommandResult, 'reason' | 'timedOut'>): {ok: false} & Failure {
  return {ok: false, reason: r.reason, timedOut: r.timedOut};
}

// ---------------------------------------------------------------------------------------------

export class GitRepo {
  private gitPath?: string | null;
  private readonly memo = new Map<string, Promise<unknown>>();
  private ignoreQueue: {paths: string[]; done: (r: Outcome<{rules: Map<string, IgnoreRule>}>) => void}[] = [];
  private reader?: BlobReader;

  constructor(
    /** The deployment's root: git runs there, and paths are relative to it. */
    readonly root: string,
  ) {}

  /** git's absolute path, found once; undefined when it is not installed. */
  private git(): string | undefined {
    if (this.gitPath === undefined) this.gitPath = which('git', this.root) ?? null;
    return this.gitPath ?? undefined;
  }

  private once<T>(key: string, make: () => Promise<T>): Promise<T> {
    let p = this.memo.get(key) as Promise<T> | undefined;
    if (!p) {
      p = make();
      this.memo.set(key, p);
    }
    return p;
  }

  /**
   * Runs git in the root (no shell, minimal environment, bounded in time). GIT_FLUSH=0: into a
   * pipe git would otherwise write each record (a commit, an object) with its own write, ten
   * thousand small reads for a history of ten thousand commits; whole buffers halve the time.
   */
  run(args: readonly string[], o: RunOptions = {}): Promise<CommandResult> {
    const git = this.git();
    if (!git) return Promise.resolve({ok: false, stdout: '', stderr: '', timedOut: false, missing: true, reason: 'git is not installed'});
    return runCommand(git, args, {cwd: this.root, ...o, env: {GIT_FLUSH: '0', ...o.env}});
  }

  /** Inside a work tree, and where: asked once. */
  state(): Promise<RepoState> {
    return this.once('state', async () => {
      const r = await this.run(['rev-parse', '--is-inside-work-tree', '--show-prefix', '--show-toplevel'], {timeoutMs: 5_000});
      if (r.missing) return {kind: 'missing'};
      const [inside, prefix = '', top = ''] = r.stdout.split('\n');
      if (!r.ok || inside?.trim() !== 'true') return {kind: 'outside'};
      return {kind: 'inside', prefix: prefix.trim(), top};
    });
  }

  /** The root's path inside the repository (`deploy/the0/` or ''). */
  async prefix(): Promise<string> {
    const s = await this.state();
    return s.kind === 'inside' ? s.prefix : '';
  }

  /** Every tracked file under the root (index order, relative to the root): one `ls-files`. */
  lsFiles(): Promise<Outcome<{files: string[]}>> {
    return this.once('ls-files', async () => {
      const r = await this.run(['ls-files', '-z']);
      return r.ok ? {ok: true, files: r.stdout.split('\0').filter(Boolean)} : fail(r);
    });
  }

  /** Tracked files matching any of the `:(glob)` patterns, as `git ls-files -- :(glob)…` lists them. */
  async tracked(patterns: readonly string[]): Promise<Outcome<{files: string[]}>> {
    const match = matchers(patterns);
    if (!match) {
      return this.once(`ls-files:${JSON.stringify(patterns)}`, async () => {
        const r = await this.run(['ls-files', '-z', '--', ...glob(patterns)]);
        return r.ok ? {ok: true, files: r.stdout.split('\0').filter(Boolean)} : fail(r);
      });
    }
    const all = await this.lsFiles();
    return all.ok ? {ok: true, files: all.files.filter(match)} : all;
  }

  /**
   * The `.gitignore` rule deciding each path (`--no-index`: tracked files are judged by the rules
   * too), '' when none does. Paths asked for at the same moment, by any check, go to one
   * `check-ignore --stdin`.
   */
  ignoreRules(paths: readonly string[]): Promise<Outcome<{rules: Map<string, IgnoreRule>}>> {
    return new Promise((done) => {
      this.ignoreQueue.push({paths: [...paths], done});
      if (this.ignoreQueue.length === 1) setImmediate(() => void this.flushIgnores());
    });
  }

  private async flushIgnores(): Promise<void> {
    const batch = this.ignoreQueue;
    this.ignoreQueue = [];
    const all = [...new Set(batch.flatMap((b) => b.paths))];
    const r = await this.checkIgnore(all);
    if (r.ok || batch.length === 1) {
      for (const b of batch) b.done(r);
      return;
    }
    // One bad path (outside the repository, say) fails git for all: ask again per request, so
    // each check gets its own answer.
    await Promise.all(batch.map(async (b) => b.done(await this.checkIgnore(b.paths))));
  }

  private async checkIgnore(paths: readonly string[]): Promise<Outcome<{rules: Map<string, IgnoreRule>}>> {
    if (paths.length === 0) return {ok: true, rules: new Map()};
    const r = await this.run(['check-ignore', '--no-index', '-v', '-n', '-z', '--stdin'], {input: `${paths.join('\0')}\0`});
    // 0: some path is ignored; 1: none is.
    if (r.exitCode !== 0 && r.exitCode !== 1) return fail(r);
    const t = r.stdout.split('\0');
    const rules = new Map<string, IgnoreRule>();
    paths.forEach((p, n) => {
      const [source = '', line = '', pattern = ''] = t.slice(n * 4, n * 4 + 3);
      rules.set(p, source ? `${source}:${line}:${pattern}` : '');
    });
    return {ok: true, rules};
  }

  /**
   * One pass over every commit on every ref, oldest first, with each file it changed and the
   * blobs before and after (`log --all --reverse --no-renames --raw`); shared by every history check.
   */
  history(): Promise<Outcome<{history: History}>> {
    return this.once('history', async () => {
      const commits: string[] = [];
      const changes: Change[] = [];
      let rest: Buffer | undefined;
      let meta: string | undefined;
      const take = (token: string) => {
        if (meta !== undefined) {
          // `:100644 100644 <before> <after> M`, then the path.
          const f = meta.split(' ');
          changes.push({commit: commits.length - 1, status: f[4] ?? '', path: token, before: f[2] ?? '', after: f[3] ?? ''});
          meta = undefined;
          return;
        }
        const t = token.startsWith('\n') ? token.slice(1) : token;
        if (t.startsWith('\x01')) commits.push(t.slice(1));
        else if (t.startsWith(':')) meta = t;
      };
      const r = await this.run(['-c', 'core.quotePath=off', 'log', '--all', '--no-renames', '--reverse', '--format=%x01%h %cs', '--raw', '-z'], {
        timeoutMs: LOG_MS,
        onStdout: (chunk) => {
          // NUL-separated tokens, decoded whole: a character split between chunks stays intact.
          const buf = rest ? Buffer.concat([rest, chunk]) : chunk;
          let start = 0;
          for (let nul = buf.indexOf(0); nul >= 0; nul = buf.indexOf(0, start)) {
            take(buf.toString('utf8', start, nul));
            start = nul + 1;
          }
          rest = start < buf.length ? buf.subarray(start) : undefined;
        },
      });
      if (rest) take(rest.toString('utf8'));
      return r.ok ? {ok: true, history: {commits, changes}} : fail(r);
    });
  }

  /**
   * Files under the root matching the `:(glob)` patterns that were ever added on any ref, each
   * with the first commit that added it (`%h %cs`), oldest first. From the one unrestricted pass:
   * unlike `git log -- <pathspec>`, it also sees an add on a side branch that history
   * simplification would hide behind a merge.
   */
  async firstAdded(patterns: readonly string[]): Promise<Outcome<{first: Map<string, string>}>> {
    const match = matchers(patterns);
    if (!match) return this.firstAddedByGit(patterns);
    const [h, prefix] = await Promise.all([this.history(), this.prefix()]);
    if (!h.ok) return h;
    const first = new Map<string, string>();
    for (const c of h.history.changes) {
      if (c.status !== 'A' || !c.path.startsWith(prefix)) continue;
      const rel = c.path.slice(prefix.length);
      if (!first.has(rel) && match(rel)) first.set(rel, h.history.commits[c.commit]!);
    }
    return {ok: true, first};
  }

  /** The same, from git's own pathspec matching: for patterns only git can match. */
  private async firstAddedByGit(patterns: readonly string[]): Promise<Outcome<{first: Map<string, string>}>> {
    const log = await this.run(
      [
        '-c',
        'core.quotePath=off',
        'log',
        '--all',
        '--no-renames',
        '--diff-filter=A',
        '--reverse',
        '--relative',
        '--format=%x01%h %cs',
        '--name-only',
        '-z',
        '--',
        ...glob(patterns),
      ],
      {timeoutMs: 28_000},
    );
    if (!log.ok) return fail(log);
    const first = new Map<string, string>();
    let commit = '';
    for (const token of log.stdout.split('\0')) {
      if (token.startsWith('\x01')) commit = token.slice(1);
      else {
        const path = token.replace(/^\n/, '');
        if (path && !first.has(path)) first.set(path, commit);
      }
    }
    return {ok: true, first};
  }

  /**
   * The oldest commit whose changes bring in or take out the blob `oid` (what
   * `git log --reverse --find-object` shows first), with the first path it has there.
   */
  async introduced(oid: string): Promise<Outcome<{commit?: string; path?: string}>> {
    const h = await this.history();
    if (!h.ok) return h;
    const is = (abbrev: string) => abbrev !== '' && !/^0+$/.test(abbrev) && oid.startsWith(abbrev);
    const c = h.history.changes.find((x) => is(x.before) !== is(x.after));
    return c ? {ok: true, commit: h.history.commits[c.commit], path: c.path} : {ok: true};
  }

  /** Every blob reachable from any ref, each once, with a path it was committed at: `<oid> <path>` lines. */
  blobs(maxBlobBytes: number): Promise<Outcome<{lines: string[]}>> {
    return this.once(`blobs:${maxBlobBytes}`, async () => {
      const lines: string[] = [];
      let rest = '';
      const utf8 = new StringDecoder('utf8');
      const list = await this.run(['rev-list', '--all', '--objects', '--filter=object:type=blob', `--filter=blob:limit=${maxBlobBytes + 1}`], {
        timeoutMs: LIST_MS,
        onStdout: (chunk) => {
          const text = rest + utf8.write(chunk);
          const all = text.split('\n');
          rest = all.pop() ?? '';
          for (const l of all) if (/^[0-9a-f]+ ./.test(l)) lines.push(l);
        },
      });
      rest += utf8.end();
      if (/^[0-9a-f]+ ./.test(rest)) lines.push(rest);
      return list.ok ? {ok: true, lines} : fail(list);
    });
  }

  /**
   * Reads the objects of `lines` (from blobs()) through the one `cat-file --batch` of this run,
   * handing each to `onObject` (header `<oid> <size> <path>`, body) until it returns false.
   * Searches asked for at the same moment over the same lines share one read.
   */
  scan(lines: readonly string[], onObject: (header: string, body: Buffer) => boolean, signal?: AbortSignal): Promise<Outcome<{scanned: number}>> {
    const git = this.git();
    if (!git) return Promise.resolve({ok: false, reason: 'git is not installed', timedOut: false});
    this.reader ??= new BlobReader(git, this.root);
    return this.reader.scan(lines, onObject, signal);
  }

  /** Ends the blob reader, if one was started. */
  close(): void {
    this.reader?.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The long-lived `cat-file --batch`: object ids go in a window at a time, so a search that stops
// early leaves little to drain and the process serves the next search.

const WINDOW = 256;
/** A reader with nothing to do for this long ends. */
const IDLE_MS = 10_000;
const BATCH_ARGS = ['cat-file', '--batch=%(objectname) %(objectsize) %(rest)'];

interface Visitor {
  onObject: (header: string, body: Buffer) => boolean;
  scanned: number;
  done: (r: Outcome<{scanned: number}>) => void;
}

interface Scan {
  lines: readonly string[];
  visitors: Set<Visitor>;
  started: boolean;
}

class BlobReader {
  private child?: ChildProcess;
  private current?: {scan: Scan; written: number; answered: number; timer: NodeJS.Timeout; finish: () => void};
  private idle?: NodeJS.Timeout;
  private queue: Scan[] = [];
  /** The header of the object being read, and the bytes of body + LF still wanted (-1: reading a header). */
  private head: Buffer = Buffer.alloc(0);
  private header = '';
  private need = -1;
  private parts: Buffer[] = [];
  private have = 0;

  constructor(
    private readonly git: string,
    private readonly cwd: string,
  ) {}

  scan(lines: readonly string[], onObject: Visitor['onObject'], signal?: AbortSignal): Promise<Outcome<{scanned: number}>> {
    return new Promise((done) => {
      const v: Visitor = {onObject, scanned: 0, done};
      let s = this.queue.find((q) => q.lines === lines && !q.started);
      if (!s) {
        s = {lines, visitors: new Set(), started: false};
        this.queue.push(s);
      }
      const scan = s;
      scan.visitors.add(v);
      signal?.addEventListener(
        'abort',
        () => {
          if (!scan.visitors.delete(v)) return;
          v.done({ok: false, reason: 'stopped', timedOut: false});
        },
        {once: true},
      );
      // Searches asked for in the same turn join before the read starts.
      if (!this.current) setImmediate(() => this.next());
    });
  }

  /** Ends the process: its input closes, and git exits once it has answered what it was asked. */
  close(): void {
    clearTimeout(this.idle);
    const child = this.child;
    this.child = undefined;
    this.resetReader();
    child?.stdin?.end();
  }

  private spawnChild(): ChildProcess {
    // Through execa like every program we run; read as a stream, so nothing is buffered.
    const child = execa(this.git, BATCH_ARGS, {
      cwd: this.cwd,
      env: commandEnv(),
      extendEnv: false,
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'ignore',
      buffer: false,
      reject: false,
      windowsHide: true,
    }) as unknown as ChildProcess;
    child.stdin?.on('error', () => undefined);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (this.child === child) this.read(chunk);
    });
    const gone = (why: string) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.resetReader();
      this.abandon({ok: false, reason: why, timedOut: false});
    };
    child.on('error', (e: NodeJS.ErrnoException) =>
      gone(e.code === 'ENOENT' ? 'git is not installed' : `Command failed with ${e.code ?? e.message}: ${describeCommand('git', BATCH_ARGS)}`),
    );
    child.on('close', (code, sig) =>
      gone(
        sig
          ? `Command was killed with ${sig}: ${describeCommand('git', BATCH_ARGS)}`
          : `Command failed with exit code ${code}: ${describeCommand('git', BATCH_ARGS)}`,
      ),
    );
    return child;
  }

  private resetReader(): void {
    this.head = Buffer.alloc(0);
    this.need = -1;
    this.parts = [];
    this.have = 0;
  }

  /** Keeps the process (and so Node) alive only while a search is under way. */
  private hold(on: boolean): void {
    const c = this.child;
    if (!c) return;
    for (const h of [c, c.stdin, c.stdout] as ({ref?: () => void; unref?: () => void} | null)[]) {
      if (on) h?.ref?.();
      else h?.unref?.();
    }
  }

  private next(): void {
    if (this.current) return;
    let scan: Scan | undefined;
    while ((scan = this.queue.shift()) && scan.visitors.size === 0);
    if (!scan) {
      // Idle: nothing keeps Node alive for it, and a reader left idle (a context forgotten after
      // Shipshape wrote files) goes away on its own.
      this.hold(false);
      clearTimeout(this.idle);
      this.idle = setTimeout(() => this.close(), IDLE_MS);
      this.idle.unref();
      return;
    }
    clearTimeout(this.idle);
    scan.started = true;
    if (scan.lines.length === 0) {
      for (const v of scan.visitors) v.done({ok: true, scanned: 0});
      this.next();
      return;
    }
    this.child ??= this.spawnChild();
    this.hold(true);
    const timer = setTimeout(() => {
      // A search that takes this long ends, and so does the process: the next one starts afresh.
      const child = this.child;
      this.child = undefined;
      this.resetReader();
      child?.kill('SIGKILL');
      this.abandon({ok: false, reason: `Command timed out after ${CAT_MS} milliseconds: ${describeCommand('git', BATCH_ARGS)}`, timedOut: true});
    }, CAT_MS);
    const cur = {
      scan,
      written: 0,
      answered: 0,
      timer,
      finish: () => {
        clearTimeout(timer);
        this.current = undefined;
        for (const v of scan.visitors) v.done({ok: true, scanned: v.scanned});
        scan.visitors.clear();
        this.next();
      },
    };
    this.current = cur;
    this.pump();
  }

  /** Every search under way fails (the process ended or timed out). */
  private abandon(r: {ok: false} & Failure): void {
    const cur = this.current;
    if (!cur) return;
    clearTimeout(cur.timer);
    this.current = undefined;
    for (const v of cur.scan.visitors) v.done(r);
    cur.scan.visitors.clear();
    setImmediate(() => this.next());
  }

  /** Tops up the window of object ids git has been given and not yet answered. */
  private pump(): void {
    const cur = this.current;
    if (!cur || !this.child?.stdin) return;
    const stop = cur.scan.visitors.size === 0;
    const end = stop ? cur.written : Math.min(cur.scan.lines.length, cur.answered + WINDOW);
    if (end > cur.written) {
      this.child.stdin.write(`${cur.scan.lines.slice(cur.written, end).join('\n')}\n`);
      cur.written = end;
    }
    if (cur.answered === cur.written && (stop || cur.written === cur.scan.lines.length)) cur.finish();
  }

  private read(chunk: Buffer): void {
    let buf = chunk;
    for (;;) {
      if (this.need < 0) {
        if (this.head.length > 0) {
          buf = Buffer.concat([this.head, buf]);
          this.head = Buffer.alloc(0);
        }
        const nl = buf.indexOf(10);
        if (nl < 0) {
          this.head = buf;
          return;
        }
        this.header = buf.toString('utf8', 0, nl);
        buf = buf.subarray(nl + 1);
        const size = /^\S+ (\d+)(?: |$)/.exec(this.header)?.[1];
        if (size === undefined) {
          // `<oid> missing`: no body follows.
          this.answer(undefined);
          continue;
        }
        this.need = Number(size) + 1;
        this.parts = [];
        this.have = 0;
      }
      const take = Math.min(this.need - this.have, buf.length);
      if (take > 0) this.parts.push(buf.subarray(0, take));
      this.have += take;
      buf = buf.subarray(take);
      if (this.have < this.need) return;
      const body = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.have);
      this.need = -1;
      this.parts = [];
      this.answer(body.subarray(0, this.have - 1));
      if (buf.length === 0) return;
    }
  }

  private answer(body: Buffer | undefined): void {
    const cur = this.current;
    if (!cur) return;
    cur.answered++;
    if (body !== undefined) {
      for (const v of cur.scan.visitors) {
        v.scanned++;
        if (!v.onObject(this.header, body)) {
          cur.scan.visitors.delete(v);
          v.done({ok: true, scanned: v.scanned});
        }
      }
    }
    this.pump();
  }
}
