import {z} from 'zod';
import type {Context} from '../engine/context.js';
import {within, type GitRepo} from '../engine/git.js';
import {redact} from '../engine/redact.js';
import {result, type CheckResult, type Evidence, count} from '../model/types.js';
import {defineCheck} from './define.js';
import {evidenceOf, SelectorShape} from '../deploy/settings.js';
import {collectInUse, InUse} from './secrets.js';

const Paths = z.array(z.string().min(1)).min(1);

/**
 * Runs `fn` with the run's git context (src/engine/git.ts: every fact asked of git once and
 * shared) when the root is inside a git work tree; otherwise a `skip` that says why.
 */
async function inRepo(ctx: Context, fn: (git: GitRepo) => Promise<CheckResult>): Promise<CheckResult> {
  const git = await ctx.git();
  const state = await git.state();
  if (state.kind === 'missing') return result('skip', 'git is not installed');
  if (state.kind === 'outside') return result('skip', 'not inside a git repository');
  return fn(git);
}

export const notTracked = defineCheck({
  id: 'git.not-tracked',
  summary: 'Files matching the paths (git pathspec globs, e.g. `.env` or `**/.env`) are not committed to git.',
  params: z.strictObject({paths: Paths}),
  run: (ctx, p) =>
    inRepo(ctx, async (git) => {
      const r = await git.tracked(p.paths);
      if (!r.ok) return result('error', `git ls-files failed: ${r.reason}`);
      const tracked = r.files;
      if (tracked.length === 0) return result('pass', `no file matching ${p.paths.join(', ')} is tracked`);
      const evidence: Evidence[] = tracked.map((f) => ({
        file: f,
        detail: 'tracked by git: anyone with the repository has it, and its history keeps it after deletion',
      }));
      return result('fail', `${count(tracked.length, 'file')} that should stay local ${tracked.length === 1 ? 'is' : 'are'} tracked by git`, evidence);
    }),
});

export const ignored = defineCheck({
  id: 'git.ignored',
  summary: 'The paths are covered by .gitignore (so a later `git add .` cannot pick them up).',
  params: z.strictObject({paths: Paths}),
  run: (ctx, p) =>
    inRepo(ctx, async (git) => {
      const notIgnored: Evidence[] = [];
      const ok: Evidence[] = [];
      const r = await git.ignoreRules(p.paths);
      if (!r.ok) return result('error', `git check-ignore failed: ${r.reason}`);
      for (const path of p.paths) {
        // `source:line:pattern`; -v also reports a matching `!pattern`, which re-includes the path.
        const rule = r.rules.get(path) ?? '';
        if (rule === '') notIgnored.push({file: path, detail: 'no .gitignore rule covers it'});
        else if (/^.*:\d+:!/.test(rule)) notIgnored.push({file: path, detail: `re-included by ${rule}`});
        else ok.push({file: path, detail: `ignored by ${rule}`});
      }
      if (notIgnored.length > 0) return result('fail', `${notIgnored.length} paths are not ignored by git`, notIgnored);
      return result('pass', 'all paths are ignored by git', ok);
    }),
});

// ---------------------------------------------------------------------------------------------
// History: what was ever committed on any ref stays in every clone, whatever the work tree says.

const glob = (paths: readonly string[]) => paths.map((x) => `:(glob)${x}`);

/** A repository path as seen from the root; undefined when it lies outside it. */
function underRoot(path: string, prefix: string): string | undefined {
  return path.startsWith(prefix) ? path.slice(prefix.length) : undefined;
}

function failure(what: string, r: {reason?: string; timedOut: boolean}): CheckResult {
  return result('error', `${what} failed: ${r.timedOut ? 'it did not finish in time' : (r.reason ?? 'unknown reason')}`);
}

export const neverCommitted = defineCheck({
  id: 'git.never-committed',
  summary: 'Files matching the paths (git pathspec globs) were never committed on any branch or tag: deleting a file does not remove it from history.',
  params: z.strictObject({paths: Paths}),
  timeoutMs: 30_000,
  run: (ctx, p) =>
    inRepo(ctx, async (git) => {
      // Oldest first, renames as delete + add: the first record of a path is the commit that first
      // added it. One pass over history serves every history check of the run.
      const log = await within(git.firstAdded(p.paths), 28_000, () => ({ok: false as const, timedOut: true, reason: undefined}));
      if (!log.ok) return failure('git log', log);
      const {first} = log;
      if (first.size === 0) return result('pass', `no file matching ${p.paths.join(', ')} was ever committed on any branch or tag`);
      // Every path in `first` matches the patterns: whether it is tracked is a lookup in the one list.
      const ls = await git.lsFiles();
      const tracked = new Set(ls.ok ? ls.files : []);
      const evidence: Evidence[] = [...first].map(([file, c]) => {
        const [hash, date] = c.split(' ');
        const now = tracked.has(file) ? 'still tracked' : 'no longer tracked, but still in history';
        return {file, detail: `first committed in ${hash ?? '?'} (${date ?? 'date unknown'}); ${now}`};
      });
      return result(
        'fail',
        `${count(first.size, 'file')} matching ${p.paths.join(', ')} ${first.size === 1 ? 'was' : 'were'} committed at some point; deleting them does not remove them from history, ` +
          'which every clone keeps: rotate anything they held, and rewrite history (e.g. git filter-repo) if they must go',
        evidence,
      );
    }),
});

const STATE: Record<string, string> = {M: 'modified', T: 'type changed', A: 'added', D: 'deleted', R: 'renamed', C: 'copied'};

/** Words for a `git status --porcelain` XY code. */
function describeStatus(xy: string): string {
  if (xy === '??') return 'untracked';
  if (xy.includes('U') || xy === 'DD' || xy === 'AA') return 'unmerged (conflict)';
  const [x = ' ', y = ' '] = xy;
  const parts: string[] = [];
  if (x !== ' ') parts.push(`staged: ${STATE[x] ?? x}`);
  if (y !== ' ') parts.push(`${STATE[y] ?? y}, not staged`);
  return parts.join('; ');
}

export const clean = defineCheck({
  id: 'git.clean',
  summary: 'No uncommitted changes (modified, staged, or untracked and not ignored) under the paths: what runs is what is committed.',
  params: z.strictObject({
    paths: Paths.default(['.']),
    /** Count untracked files that no .gitignore rule covers. */
    untracked: z.boolean().default(true),
  }),
  run: (ctx, p, signal) =>
    inRepo(ctx, async (git) => {
      const r = await git.run(['status', '--porcelain=v1', '-z', `--untracked-files=${p.untracked ? 'all' : 'no'}`, '--', ...glob(p.paths)], {signal});
      if (!r.ok) return failure('git status', r);
      const prefix = await git.prefix();
      const evidence: Evidence[] = [];
      const tokens = r.stdout.split('\0');
      for (let i = 0; i < tokens.length; i++) {
        const t = tokens[i]!;
        if (t.length < 4) continue;
        const xy = t.slice(0, 2);
        const path = t.slice(3);
        // A rename or copy is followed by the path it came from.
        const from = /[RC]/.test(xy) ? tokens[++i] : undefined;
        const file = underRoot(path, prefix) ?? path;
        evidence.push({file, detail: `${describeStatus(xy)}${from ? ` (from ${underRoot(from, prefix) ?? from})` : ''}`});
      }
      if (evidence.length === 0) return result('pass', `no uncommitted changes under ${p.paths.join(', ')}`);
      return result('fail', `${evidence.length} paths differ from the last commit: commit them, or discard or ignore them`, evidence);
    }),
});

/** One string searched for: the value as written, or the start of its base64 (as a Kubernetes Secret holds it). */
interface Needle {
  keys: string[];
  value: string;
  bytes: Buffer;
  base64: boolean;
}

export const valueNeverCommitted = defineCheck({
  id: 'git.value-never-committed',
  summary: "A secret's value (read from the deployment, never printed or passed on a command line) is in no file committed on any branch or tag.",
  params: z.strictObject({
    ...SelectorShape,
    // Only the credential the deployment connects with is searched for (see secret.*'s inUse).
    ...InUse,
    /** Values shorter than this are not searched: they would match by chance. */
    minLength: z.number().int().min(1).default(8),
    /** Also look for the value base64-encoded, as a Kubernetes Secret's `data` holds it. */
    base64: z.boolean().default(true),
    /** Blobs larger than this (bytes) are not read. */
    maxBlobBytes: z
      .number()
      .int()
      .min(1)
      .default(16 * 1024 * 1024),
  }),
  timeoutMs: 60_000,
  async run(ctx, p, signal) {
    // Which blobs there are does not depend on the values: git lists them while the values are read.
    void ctx.git().then(
      async (git) => ((await git.state()).kind === 'inside' ? git.blobs(p.maxBlobBytes) : undefined),
      () => undefined,
    );
    const {occurrences, notes, using} = await collectInUse(ctx, p);
    notes.push(...using);
    const names = [...p.keys, ...p.urls, ...p.helm].join(', ');
    const byValue = new Map<string, string[]>();
    const short: Evidence[] = [];
    for (const o of occurrences) {
      const v = o.value ?? '';
      if (v === '') continue;
      if ([...v].length < p.minLength) short.push(evidenceOf(o, `not searched: shorter than ${p.minLength} characters (${redact(v)})`));
      else if (!byValue.get(v)?.push(o.key)) byValue.set(v, [o.key]);
    }
    if (byValue.size === 0) {
      if (notes.length > 0 && short.length === 0) return result('pass', 'supplied from an existing Secret, not from these files', notes);
      return result('skip', short.length > 0 ? `every value of ${names} is too short to search for` : `${names} is not set in any file read`, [
        ...short,
        ...notes,
      ]);
    }
    const needles: Needle[] = [];
    for (const [value, keys] of byValue) {
      const bytes = Buffer.from(value, 'utf8');
      needles.push({keys: [...new Set(keys)], value, bytes, base64: false});
      // Whole 3-byte groups only: those encode the same wherever the value ends.
      const b64 = bytes.subarray(0, bytes.length - (bytes.length % 3)).toString('base64');
      if (p.base64 && b64.length >= 8) needles.push({keys: [...new Set(keys)], value, bytes: Buffer.from(b64), base64: true});
    }

    return inRepo(ctx, async (git) => {
      // Every blob reachable from any ref, each once, with a path it was committed at.
      const list = await git.blobs(p.maxBlobBytes);
      if (!list.ok) return failure('git rev-list', list);

      let hit: {needle: Needle; oid: string; path: string} | undefined;
      let scanned = 0;
      if (list.lines.length > 0) {
        // Object ids and paths go to git; the value itself never leaves this process. Searches of
        // the same run share one read of the blobs.
        const cat = await git.scan(
          list.lines,
          (header, body) => {
            const needle = needles.find((n) => body.includes(n.bytes));
            if (!needle) return true;
            const [, oid = '', path = ''] = /^(\S+) \d+ ?(.*)$/.exec(header) ?? [];
            hit = {needle, oid, path};
            return false; // the first hit settles it
          },
          signal,
        );
        if (!cat.ok) return failure('git cat-file', cat);
        scanned = cat.scanned;
      }

      if (!hit) {
        const evidence = [...byValue].map(([v, keys]) => ({key: keys.join(', '), detail: `in no committed file (${redact(v)})`}));
        return result('pass', `the values of ${names} are in none of the ${count(scanned, 'file')} committed on any branch or tag`, [
          ...evidence,
          ...short,
          ...notes,
        ]);
      }
      const found: {needle: Needle; oid: string; path: string} = hit;
      const prefix = await git.prefix();
      // Which commit first brought that blob in, and at what path: from the run's one pass over history.
      const intro = await within(git.introduced(found.oid), 20_000, () => ({ok: false as const, timedOut: true, reason: undefined}));
      const commit = intro.ok ? intro.commit : undefined;
      const path = (intro.ok ? intro.path : undefined) ?? found.path;
      const [hash, date] = commit?.split(' ') ?? [];
      const rel = underRoot(path, prefix);
      const how = found.needle.base64 ? ' base64-encoded' : '';
      const where = rel ?? `${path} (repository path, outside this deployment)`;
      const when = hash ? `committed in ${hash} (${date ?? 'date unknown'})` : 'in a commit git log does not show (a merge)';
      const evidence: Evidence[] = [
        {
          ...(rel !== undefined ? {file: rel} : {}),
          key: found.needle.keys.join(', '),
          detail: `the value (${redact(found.needle.value)}) is${how} in ${where}, ${when}`,
        },
      ];
      return result(
        'fail',
        `the value of ${found.needle.keys.join(', ')} was committed: anyone with a clone has it, even if the file has since changed; rotate it (the search stopped at this first hit)`,
        [...evidence, ...notes],
      );
    });
  },
});
