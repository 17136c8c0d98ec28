import {z} from 'zod';
import type {Context} from '../engine/context.js';
import {defineCheck, result, type CheckResult, type Evidence} from '../engine/types.js';

const Paths = z.array(z.string().min(1)).min(1);

/** Runs `fn` when the root is inside a git work tree; otherwise a `skip` that says why. */
async function inRepo(ctx: Context, signal: AbortSignal, fn: () => Promise<CheckResult>): Promise<CheckResult> {
  const r = await ctx.run('git', ['rev-parse', '--is-inside-work-tree'], {signal, timeoutMs: 5_000});
  if (r.missing) return result('skip', 'git is not installed');
  if (!r.ok || r.stdout.trim() !== 'true') return result('skip', 'not inside a git repository');
  return fn();
}

export const notTracked = defineCheck({
  id: 'git.not-tracked',
  summary: 'Files matching the paths (git pathspec globs, e.g. `.env` or `**/.env`) are not committed to git.',
  params: z.strictObject({paths: Paths}),
  run: (ctx, p, signal) =>
    inRepo(ctx, signal, async () => {
      const r = await ctx.run('git', ['ls-files', '-z', '--', ...p.paths.map((x) => `:(glob)${x}`)], {signal});
      if (!r.ok) return result('error', `git ls-files failed: ${r.reason}`);
      const tracked = r.stdout.split('\0').filter(Boolean);
      if (tracked.length === 0) return result('pass', `no file matching ${p.paths.join(', ')} is tracked`);
      const evidence: Evidence[] = tracked.map((f) => ({file: f, detail: 'tracked by git: anyone with the repository has it, and its history keeps it after deletion'}));
      return result('fail', `${tracked.length} files that should stay local are tracked by git`, evidence);
    }),
});

export const ignored = defineCheck({
  id: 'git.ignored',
  summary: 'The paths are covered by .gitignore (so a later `git add .` cannot pick them up).',
  params: z.strictObject({paths: Paths}),
  run: (ctx, p, signal) =>
    inRepo(ctx, signal, async () => {
      const notIgnored: Evidence[] = [];
      const ok: Evidence[] = [];
      for (const path of p.paths) {
        const r = await ctx.run('git', ['check-ignore', '--no-index', '-v', '--', path], {signal});
        // -v also reports (with exit 0) a matching `!pattern`, which re-includes the path.
        const rule = r.stdout.split('\t')[0] ?? '';
        if (r.exitCode === 0 && /^.*:\d+:!/.test(rule)) notIgnored.push({file: path, detail: `re-included by ${rule}`});
        else if (r.exitCode === 0) ok.push({file: path, detail: `ignored by ${rule || 'a rule'}`});
        else if (r.exitCode === 1) notIgnored.push({file: path, detail: 'no .gitignore rule covers it'});
        else return result('error', `git check-ignore failed: ${r.reason}`);
      }
      if (notIgnored.length > 0) return result('fail', `${notIgnored.length} paths are not ignored by git`, notIgnored);
      return result('pass', 'all paths are ignored by git', ok);
    }),
});
