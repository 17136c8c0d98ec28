import type {Stats} from 'node:fs';
import {lstat, open, readFile, readlink, realpath, stat} from 'node:fs/promises';
import {basename, dirname, isAbsolute, join, relative, resolve, sep} from 'node:path';
import {runInNewContext} from 'node:vm';
import {z} from 'zod';
import type {Context} from '../engine/context.js';
import {result, worst, type CheckResult, type CheckStatus, type Evidence} from '../model/types.js';
import {defineCheck} from './define.js';

// Checks on files and directories. A path is relative to the deployment root, or absolute.
// When a relative path leads out of the root through a symlink, the check says so: a result
// that would pass becomes a warning naming where the path really goes.

const MAX_READ_BYTES = 4 * 1024 * 1024;
const REGEX_BUDGET_MS = 1_000;

const Paths = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).transform((p) => (Array.isArray(p) ? p : [p]));
/** What a path that does not exist means for checks about its properties. */
const Missing = z.enum(['fail', 'skip', 'pass']).default('fail');

interface Target {
  given: string;
  abs: string;
  /** For evidence: relative paths as the root sees them, absolute ones as given. */
  shown: string;
  /** The real location when a relative path leaves the root. */
  outside?: string;
}

interface PathOutcome {
  status: CheckStatus;
  detail: string;
  line?: number;
  /**
   * Where the path really led when that is outside the root and nobody asked for it by name;
   * null: where it leads does not matter. Unset: the relative path's own resolution decides.
   */
  leftRoot?: string | null;
}

/** The real path of `abs`, resolving as much of it as exists. */
async function realish(abs: string): Promise<string> {
  const rest: string[] = [];
  let at = abs;
  for (;;) {
    try {
      return join(await realpath(at), ...rest.reverse());
    } catch {
      const up = dirname(at);
      if (up === at) return abs;
      rest.push(basename(at));
      at = up;
    }
  }
}

/**
 * Where a path leads. `follow`: whether the last component is followed (stat) or looked at
 * itself (lstat); a relative path whose resolution leaves the root is marked `outside`.
 */
async function locate(ctx: Context, given: string, follow: boolean): Promise<Target> {
  if (isAbsolute(given)) return {given, abs: resolve(given), shown: given};
  const abs = resolve(ctx.root, given);
  const t: Target = {given, abs, shown: ctx.rel(abs) || '.'};
  const root = await realish(resolve(ctx.root));
  const real = follow ? await realish(abs) : join(await realish(dirname(abs)), basename(abs));
  const r = relative(root, real);
  if (r === '..' || r.startsWith(`..${sep}`) || isAbsolute(r)) t.outside = real;
  return t;
}

function code(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? 'unknown error';
}

function isMissing(err: unknown): boolean {
  return code(err) === 'ENOENT' || code(err) === 'ENOTDIR';
}

function octal(mode: number): string {
  return `0${(mode & 0o7777).toString(8).padStart(3, '0')}`;
}

function kind(s: Stats): string {
  if (s.isFile()) return 'file';
  if (s.isDirectory()) return 'directory';
  if (s.isSymbolicLink()) return 'symlink';
  if (s.isFIFO()) return 'fifo';
  if (s.isSocket()) return 'socket';
  return 'special file';
}

/** stat that tells a dangling symlink from a missing path. */
async function statOrMissing(abs: string): Promise<{stats: Stats} | {missing: string}> {
  try {
    return {stats: await stat(abs)};
  } catch (err) {
    if (!isMissing(err)) throw err;
    const link = await lstat(abs).catch(() => undefined);
    if (link?.isSymbolicLink()) return {missing: `dangling symlink to ${await readlink(abs).catch(() => '?')}`};
    return {missing: 'does not exist'};
  }
}

interface Phrases {
  /** Message when every path passes, e.g. `are at most 0600`. */
  ok: string;
  /** Message fragment for failing paths. */
  bad: string;
}

/** Runs `fn` on each path and folds the outcomes: worst status, one evidence line per path. */
async function perPath(
  ctx: Context,
  paths: readonly string[],
  signal: AbortSignal,
  follow: boolean,
  words: Phrases,
  fn: (t: Target) => Promise<PathOutcome>,
): Promise<CheckResult> {
  const evidence: Evidence[] = [];
  const statuses: CheckStatus[] = [];
  const errors: string[] = [];
  let left = 0;
  for (const given of paths) {
    if (signal.aborted) return result('error', 'stopped before every path was checked', evidence);
    let t: Target = {given, abs: given, shown: given};
    let o: PathOutcome;
    try {
      t = await locate(ctx, given, follow);
      o = await fn(t);
      if (t.outside !== undefined && o.leftRoot === undefined && o.status !== 'skip') o.leftRoot = t.outside;
    } catch (err) {
      o = {status: 'error', detail: `cannot check: ${code(err)}`};
    }
    if (typeof o.leftRoot === 'string') {
      o.detail += `; resolves outside the deployment root, to ${o.leftRoot}`;
      if (o.status === 'pass') o.status = 'warn';
      left++;
    }
    if (o.status === 'error') errors.push(`${t.shown}: ${o.detail}`);
    statuses.push(o.status);
    evidence.push({file: t.shown, ...(o.line !== undefined ? {line: o.line} : {}), detail: o.detail});
  }
  const status = worst(statuses);
  const count = (s: CheckStatus) => statuses.filter((x) => x === s).length;
  const n = paths.length;
  switch (status) {
    case 'fail':
      return result('fail', `${count('fail')} of ${n} paths ${words.bad}`, evidence);
    case 'error':
      return result('error', `could not check ${errors.length} of ${n} paths: ${errors[0]}`, evidence);
    case 'warn':
      return result('warn', `${left} of ${n} paths lead outside the deployment root through a symlink; check that this is intended`, evidence);
    case 'skip':
      return result('skip', `none of the ${n} paths exists`, evidence);
    default:
      return result('pass', `${n === 1 ? paths[0] : `all ${n} paths`} ${words.ok}`, evidence);
  }
}

function missingOutcome(missing: 'fail' | 'skip' | 'pass', why: string): PathOutcome {
  return {status: missing, detail: why};
}

export const exists = defineCheck({
  id: 'files.exists',
  summary: 'The paths exist (following symlinks), optionally as a regular file or a directory.',
  params: z.strictObject({
    paths: Paths,
    type: z.enum(['any', 'file', 'dir']).default('any'),
  }),
  run: (ctx, p, signal) =>
    perPath(ctx, p.paths, signal, true, {ok: 'exist', bad: `are missing or not a ${p.type === 'dir' ? 'directory' : 'regular file'}`}, async (t) => {
      const s = await statOrMissing(t.abs);
      if ('missing' in s) return {status: 'fail', detail: s.missing};
      const k = kind(s.stats);
      if (p.type === 'file' && !s.stats.isFile()) return {status: 'fail', detail: `is a ${k}, not a regular file`};
      if (p.type === 'dir' && !s.stats.isDirectory()) return {status: 'fail', detail: `is a ${k}, not a directory`};
      return {status: 'pass', detail: s.stats.isFile() ? `${k}, ${s.stats.size} bytes` : k};
    }),
});

export const absent = defineCheck({
  id: 'files.absent',
  summary: 'The paths do not exist, not even as a dangling symlink (e.g. a leftover plaintext credentials file).',
  params: z.strictObject({paths: Paths}),
  run: (ctx, p, signal) =>
    perPath(ctx, p.paths, signal, false, {ok: 'are absent', bad: 'still exist'}, async (t) => {
      try {
        const s = await lstat(t.abs);
        const size = s.isFile() ? `, ${s.size} bytes` : '';
        return {status: 'fail', detail: `exists (${kind(s)}${size}, modified ${s.mtime.toISOString()}): remove it`, leftRoot: null};
      } catch (err) {
        if (isMissing(err)) return {status: 'pass', detail: 'absent', leftRoot: null};
        throw err;
      }
    }),
});

const BIT_NAMES: [number, string][] = [
  [0o4000, 'setuid'],
  [0o2000, 'setgid'],
  [0o1000, 'sticky'],
  [0o400, 'owner read'],
  [0o200, 'owner write'],
  [0o100, 'owner execute'],
  [0o040, 'group read'],
  [0o020, 'group write'],
  [0o010, 'group execute'],
  [0o004, 'others read'],
  [0o002, 'others write'],
  [0o001, 'others execute'],
];

export const mode = defineCheck({
  id: 'files.mode',
  summary: 'The paths (followed through symlinks) have no permission bit beyond `max` (e.g. "0600"), and/or are not readable by others.',
  params: z
    .strictObject({
      paths: Paths,
      /** Octal, e.g. "0600" or "640": any bit set beyond it fails. */
      max: z
        .string()
        .regex(/^0?[0-7]{3,4}$/, 'max is an octal mode such as "0600"')
        .optional(),
      notWorldReadable: z.boolean().default(false),
      missing: Missing,
    })
    .refine((p) => p.max !== undefined || p.notWorldReadable, 'give max, notWorldReadable: true, or both'),
  run: (ctx, p, signal) => {
    const max = p.max === undefined ? undefined : parseInt(p.max, 8);
    const limit = [max === undefined ? '' : `at most ${octal(max)}`, p.notWorldReadable ? 'not readable by others' : ''].filter(Boolean).join(' and ');
    return perPath(ctx, p.paths, signal, true, {ok: `${p.paths.length === 1 ? 'is' : 'are'} ${limit}`, bad: `are more open than ${limit}`}, async (t) => {
      const s = await statOrMissing(t.abs);
      if ('missing' in s) return missingOutcome(p.missing, s.missing);
      const m = s.stats.mode & 0o7777;
      const extra = max === undefined ? 0 : m & ~max;
      const problems: string[] = [];
      if (extra !== 0)
        problems.push(
          `${BIT_NAMES.filter(([b]) => extra & b)
            .map(([, n]) => n)
            .join(', ')} beyond ${octal(max!)}`,
        );
      if (p.notWorldReadable && m & 0o004) problems.push('readable by others');
      const what = `${kind(s.stats)} mode ${octal(m)}`;
      if (problems.length > 0) return {status: 'fail', detail: `${what}: ${problems.join('; ')}`};
      return {status: 'pass', detail: what};
    });
  },
});

interface Account {
  name: string;
  id: number;
}

/** /etc/passwd or /etc/group, as name <-> id. Read directly: no command, no NSS (LDAP users are not seen). */
async function accounts(file: '/etc/passwd' | '/etc/group'): Promise<Account[]> {
  const text = await readFile(file, 'utf8');
  const out: Account[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    const id = Number(f[2]);
    if (f[0] && !line.startsWith('#') && f[2] !== undefined && Number.isInteger(id)) out.push({name: f[0], id});
  }
  return out;
}

const Who = z.union([z.number().int().min(0), z.string().min(1)]);

async function wantId(want: number | string, file: '/etc/passwd' | '/etc/group'): Promise<Account> {
  if (typeof want === 'number' || /^\d+$/.test(want)) {
    const id = Number(want);
    const known = (await accounts(file).catch(() => [])).find((a) => a.id === id);
    return {id, name: known?.name ?? String(id)};
  }
  const list = await accounts(file).catch((err: unknown) => {
    throw new Error(`cannot read ${file}: ${code(err)}`);
  });
  const found = list.find((a) => a.name === want);
  if (!found) throw new Error(`no ${file === '/etc/passwd' ? 'user' : 'group'} named ${want} in ${file}`);
  return found;
}

export const owner = defineCheck({
  id: 'files.owner',
  summary: 'The paths (followed through symlinks) are owned by the user and/or group (a name from /etc/passwd, /etc/group, or a numeric id).',
  params: z
    .strictObject({
      paths: Paths,
      user: Who.optional(),
      group: Who.optional(),
      missing: Missing,
    })
    .refine((p) => p.user !== undefined || p.group !== undefined, 'give user, group, or both'),
  run: async (ctx, p, signal) => {
    let user: Account | undefined;
    let group: Account | undefined;
    try {
      user = p.user === undefined ? undefined : await wantId(p.user, '/etc/passwd');
      group = p.group === undefined ? undefined : await wantId(p.group, '/etc/group');
    } catch (err) {
      return result('error', (err as Error).message, [{file: p.user !== undefined && !user ? '/etc/passwd' : '/etc/group', detail: (err as Error).message}]);
    }
    const users = await accounts('/etc/passwd').catch(() => []);
    const groups = await accounts('/etc/group').catch(() => []);
    const nameOf = (list: Account[], id: number) => {
      const n = list.find((a) => a.id === id)?.name;
      return n ? `${n} (${id})` : String(id);
    };
    const want = [user ? `user ${user.name} (${user.id})` : '', group ? `group ${group.name} (${group.id})` : ''].filter(Boolean).join(' and ');
    return perPath(ctx, p.paths, signal, true, {ok: `owned by ${want}`, bad: `not owned by ${want}`}, async (t) => {
      const s = await statOrMissing(t.abs);
      if ('missing' in s) return missingOutcome(p.missing, s.missing);
      const has = `owned by ${nameOf(users, s.stats.uid)}:${nameOf(groups, s.stats.gid)}`;
      const wrong = (user && s.stats.uid !== user.id) || (group && s.stats.gid !== group.id);
      return wrong ? {status: 'fail', detail: `${has}; want ${want}`} : {status: 'pass', detail: has};
    });
  },
});

export const symlink = defineCheck({
  id: 'files.symlink',
  summary: 'The paths are symlinks (not followed), that resolve, optionally to `target` (as written in the link, or the same resolved path).',
  params: z.strictObject({
    paths: Paths,
    /** Relative targets are resolved from the deployment root when compared as paths. */
    target: z.string().min(1).optional(),
    missing: Missing,
  }),
  run: (ctx, p, signal) =>
    perPath(
      ctx,
      p.paths,
      signal,
      false,
      {ok: p.target ? `link to ${p.target}` : 'are symlinks', bad: p.target ? `are not symlinks to ${p.target}` : 'are not symlinks'},
      async (t) => {
        let l: Stats;
        try {
          l = await lstat(t.abs);
        } catch (err) {
          if (isMissing(err)) return missingOutcome(p.missing, 'does not exist');
          throw err;
        }
        if (!l.isSymbolicLink()) return {status: 'fail', detail: `is a ${kind(l)}, not a symlink`};
        const text = await readlink(t.abs);
        const points = resolve(dirname(t.abs), text);
        const dangling = await stat(t.abs).then(
          () => false,
          () => true,
        );
        const real = dangling ? points : await realpath(t.abs);
        const detail = `-> ${text}${dangling ? ' (dangling: the target does not exist)' : ''}`;
        if (dangling) return {status: 'fail', detail};
        if (p.target !== undefined) {
          const want = isAbsolute(p.target) ? resolve(p.target) : resolve(ctx.root, p.target);
          const same = text === p.target || points === want || real === (await realish(want));
          if (!same) return {status: 'fail', detail: `${detail}, not ${p.target}`};
          // Asked for by name: leaving the root is what the pack wants, not a surprise.
          return {status: 'pass', detail, ...(t.outside ? {leftRoot: t.outside} : {})};
        }
        if (isAbsolute(t.given)) return {status: 'pass', detail};
        const root = await realish(resolve(ctx.root));
        const r = relative(root, real);
        const out = r === '..' || r.startsWith(`..${sep}`) || isAbsolute(r);
        return {status: 'pass', detail, ...(out ? {leftRoot: real} : {})};
      },
    ),
});

/** `pattern` compiled with `flags`, or the SyntaxError's message. */
function compile(pattern: string, flags: string): RegExp | string {
  try {
    return new RegExp(pattern, flags);
  } catch (err) {
    return (err as Error).message;
  }
}

/** The first match, under a time budget so a pathological pattern cannot hang the run. */
function firstMatch(re: RegExp, text: string): {index: number} | undefined {
  const m = runInNewContext('re.exec(text)', {re, text}, {timeout: REGEX_BUDGET_MS}) as RegExpExecArray | null;
  return m ? {index: m.index} : undefined;
}

/** Reads a regular file of bounded size; never opens a FIFO or a device (which could block). */
async function readBounded(abs: string, signal: AbortSignal): Promise<{text: string} | {problem: string}> {
  const s = await stat(abs);
  if (!s.isFile()) return {problem: `is a ${kind(s)}, not a regular file`};
  if (s.size > MAX_READ_BYTES) return {problem: `is larger than ${MAX_READ_BYTES} bytes`};
  const fh = await open(abs, 'r');
  try {
    return {text: await fh.readFile({encoding: 'utf8', signal})};
  } finally {
    await fh.close();
  }
}

export const contains = defineCheck({
  id: 'files.contains',
  summary:
    'A regular expression matches (expect: match) or does not match (expect: no-match) each file; evidence gives the line of the first match, and with secret: true never the text.',
  params: z
    .strictObject({
      paths: Paths,
      pattern: z.string().min(1),
      /** RegExp flags: i (ignore case), m (^ $ per line), s (. matches newlines), u. */
      flags: z
        .string()
        .regex(/^(?!.*(.).*\1)[imsu]*$/, 'flags are some of i, m, s, u')
        .default(''),
      expect: z.enum(['match', 'no-match']).default('match'),
      /** The match may be a secret: never show the matching line. */
      secret: z.boolean().default(false),
      missing: Missing,
    })
    .refine((p) => typeof compile(p.pattern, p.flags) !== 'string', {message: 'pattern is not a valid regular expression', path: ['pattern']}),
  run: (ctx, p, signal) => {
    const re = compile(p.pattern, p.flags) as RegExp;
    const words =
      p.expect === 'match' ? {ok: 'match the pattern', bad: 'do not match the pattern'} : {ok: 'do not match the pattern', bad: 'match the pattern'};
    return perPath(ctx, p.paths, signal, true, words, async (t) => {
      const s = await statOrMissing(t.abs);
      if ('missing' in s) return missingOutcome(p.missing, s.missing);
      const read = await readBounded(t.abs, signal);
      if ('problem' in read) return {status: 'error', detail: read.problem};
      let m: {index: number} | undefined;
      try {
        m = firstMatch(re, read.text);
      } catch {
        return {status: 'error', detail: `the pattern ran longer than ${REGEX_BUDGET_MS} ms on this file`};
      }
      if (!m) return {status: p.expect === 'match' ? 'fail' : 'pass', detail: 'no line matches the pattern'};
      const before = read.text.slice(0, m.index);
      const line = before.split('\n').length;
      const start = before.lastIndexOf('\n') + 1;
      const end = read.text.indexOf('\n', m.index);
      const text = read.text.slice(start, end < 0 ? undefined : end).trim();
      const shown = p.secret ? 'matches (text withheld: secret)' : `matches: ${text.length > 120 ? `${text.slice(0, 117)}...` : text}`;
      return {status: p.expect === 'match' ? 'pass' : 'fail', detail: `line ${line} ${shown}`, line};
    });
  },
});

export const executable = defineCheck({
  id: 'files.executable',
  summary: 'The paths (followed through symlinks) are regular files with an execute bit set (e.g. a git hook).',
  params: z.strictObject({
    paths: Paths,
    missing: Missing,
  }),
  run: (ctx, p, signal) =>
    perPath(ctx, p.paths, signal, true, {ok: 'are executable', bad: 'are not executable'}, async (t) => {
      const s = await statOrMissing(t.abs);
      if ('missing' in s) return missingOutcome(p.missing, s.missing);
      const m = octal(s.stats.mode);
      if (!s.stats.isFile()) return {status: 'fail', detail: `is a ${kind(s.stats)}, not a regular file`};
      if ((s.stats.mode & 0o111) === 0) return {status: 'fail', detail: `mode ${m}: no execute bit (chmod +x)`};
      return {status: 'pass', detail: `mode ${m}`};
    }),
});
