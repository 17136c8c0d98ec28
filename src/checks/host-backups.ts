// host.scheduled and host.backup-fresh: a backup job is scheduled, and its newest output is recent.
import type {Dirent} from 'node:fs';
import {open, readdir, readFile, stat} from 'node:fs/promises';
import {basename, isAbsolute, join} from 'node:path';
import {Script} from 'node:vm';
import {z} from 'zod';
import type {Context} from '../engine/context.js';
import {result, type CheckResult, type Evidence} from '../model/types.js';
import {defineCheck} from './define.js';
import {parseCrontab, RUN_PARTS_NAME} from '../sources/crontab.js';
import {errorMessage} from '../sources/errors.js';
import {globToRegExp} from '../sources/glob.js';
import {parseTimerList, parseUnitCat} from '../sources/systemd.js';
import {lines} from '../sources/textLines.js';
import {CMD_TIMEOUT_MS, code, failure, hours, isDenied, isMissing, MAX_READ_BYTES, notSystemd, paths, place, size} from './host-common.js';

/** How much of a scheduled command evidence may show. */
const SHOWN_COMMAND_CHARS = 120;

// ---------------------------------------------------------------------------------------------
// host.scheduled

/** What evidence may show of a command: secrets masked, at most 120 characters. */
function showCommand(cmd: string): string {
  const masked = cmd
    .replace(/\b([A-Za-z_]*(?:PASS|PASSWORD|PASSWD|SECRET|TOKEN|KEY|PWD)[A-Za-z0-9_]*)=("[^"]*"|'[^']*'|\S+)/gi, '$1=***')
    .replace(/(--?(?:password|passwd|pass|token|secret|key)(?:=|\s+))("[^"]*"|'[^']*'|\S+)/gi, '$1***')
    .replace(/(\s-p)(\S+)/g, '$1***')
    .replace(/(\/\/[^\s:/@]+:)[^\s@/]+@/g, '$1***@');
  const trimmed = masked.trim();
  return trimmed.length > SHOWN_COMMAND_CHARS ? `${trimmed.slice(0, SHOWN_COMMAND_CHARS)}…` : trimmed;
}

/** Reads a small text file; undefined when it is not one (missing, binary, too large, not a file). */
async function readSmallText(abs: string, signal: AbortSignal): Promise<string | undefined> {
  try {
    const s = await stat(abs);
    if (!s.isFile() || s.size > MAX_READ_BYTES) return undefined;
    const fh = await open(abs, 'r');
    try {
      const text = await fh.readFile({encoding: 'utf8', signal});
      return text.includes('\0') ? undefined : text;
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
}

const INTERPRETERS = /^(?:.*\/)?(?:sh|bash|dash|zsh|ksh|python[\d.]*|perl|ruby|node)$/;

/**
 * Scripts a command runs: absolute paths in it that are executable text files, or that follow an
 * interpreter (sh /x.sh). Redirection targets are not followed: a log naming pg_dump is not a backup.
 */
async function scriptsOf(command: string, signal: AbortSignal): Promise<{path: string; text: string}[]> {
  const out: {path: string; text: string}[] = [];
  const words = command.split(/\s+/);
  for (let i = 0; i < words.length && out.length < 5; i++) {
    const w = words[i]!.replace(/^[-@:+!]+(?=\/)/, '').replace(/^['"(]+|['");]+$/g, '');
    const prev = words[i - 1] ?? '';
    if (!w.startsWith('/') || /[<>]$/.test(prev) || /^\d*[<>]/.test(words[i]!)) continue;
    if (out.some((s) => s.path === w)) continue;
    const s = await stat(w).catch(() => undefined);
    if (!s?.isFile() || ((s.mode & 0o111) === 0 && !INTERPRETERS.test(prev))) continue;
    const text = await readSmallText(w, signal);
    if (text !== undefined) out.push({path: w, text});
  }
  return out;
}

/** The first non-comment line of a script matching re. */
function scriptLine(text: string, re: RegExp): {line: number; text: string} | undefined {
  const all = lines(text).map((l) => (l.trim().startsWith('#') ? '' : l.trim()));
  const i = matching(re, all, true)[0];
  return i === undefined ? undefined : {line: i + 1, text: all[i]!};
}

interface Found {
  /** pass: it runs on a schedule; warn: it would, but something keeps it from running. */
  status: 'pass' | 'warn';
  evidence: Evidence;
}

/** A command matches directly, or through a script it runs. */
async function commandMatch(command: string, re: RegExp, follow: boolean, signal: AbortSignal): Promise<string | undefined> {
  if (matching(re, [command]).length > 0) return `runs: ${showCommand(command)}`;
  if (!follow) return undefined;
  for (const s of await scriptsOf(command, signal)) {
    const hit = scriptLine(s.text, re);
    if (hit) return `runs: ${showCommand(command)} (whose ${s.path}:${hit.line} matches: ${showCommand(hit.text)})`;
  }
  return undefined;
}

const REGEX_BUDGET_MS = 1_000;
/** Longer lines are cut before matching: cron commands and script lines are short. */
const MAX_MATCH_CHARS = 4_096;
const INDICES = new Script(
  '(() => { const out = []; for (let i = 0; i < texts.length; i++) if (re.test(texts[i])) { out.push(i); if (first) break; } return out; })()',
);

class PatternTooSlow extends Error {}

/** Indices of the texts re matches (only the first with `first`), under a time budget: a pathological pattern cannot hang the run. */
function matching(re: RegExp, texts: readonly string[], first = false): number[] {
  try {
    const out = INDICES.runInNewContext({re, texts: texts.map((t) => t.slice(0, MAX_MATCH_CHARS)), first}, {timeout: REGEX_BUDGET_MS}) as number[];
    return [...out];
  } catch (err) {
    if (/timed out/i.test(errorMessage(err))) throw new PatternTooSlow(`the pattern ran longer than ${REGEX_BUDGET_MS} ms`);
    throw err;
  }
}

function compile(pattern: string, flags: string): RegExp | string {
  try {
    return new RegExp(pattern, flags);
  } catch (err) {
    return errorMessage(err);
  }
}

async function listDir(abs: string): Promise<{names: string[]} | {problem: 'missing' | 'denied' | string}> {
  try {
    const entries: Dirent[] = await readdir(abs, {withFileTypes: true});
    return {
      names: entries
        .filter((e) => e.isFile() || e.isSymbolicLink())
        .map((e) => e.name)
        .sort(),
    };
  } catch (err) {
    if (isMissing(err)) return {problem: 'missing'};
    if (isDenied(err)) return {problem: 'denied'};
    return {problem: code(err)};
  }
}

const ScheduledParams = z
  .strictObject({
    pattern: z.string().min(1),
    /** RegExp flags: i (ignore case), u. */
    flags: z
      .string()
      .regex(/^(?!.*(.).*\1)[iu]*$/, 'flags are some of i, u')
      .default(''),
    /** Crontabs in the system format (with a user field). */
    cronFiles: paths(['/etc/crontab']),
    /** Directories of system-format crontabs. */
    cronDirs: paths(['/etc/cron.d']),
    /** Directories of per-user crontabs (no user field; the file is named after the user). */
    spoolDirs: paths(['/var/spool/cron/crontabs', '/var/spool/cron']),
    /** Directories run-parts runs (cron.daily and friends): their scripts are searched. */
    scriptDirs: paths(['/etc/cron.hourly', '/etc/cron.daily', '/etc/cron.weekly', '/etc/cron.monthly']),
    /** Also read `crontab -l` (the crontab of the user Shipshape runs as). */
    userCrontab: z.boolean().default(true),
    /** Also read systemd timers (only when systemd is PID 1). */
    timers: z.boolean().default(true),
    /** Also search the scripts a scheduled command runs (an executable file named in it). */
    followScripts: z.boolean().default(true),
  })
  .refine((p) => typeof compile(p.pattern, p.flags) !== 'string', {message: 'pattern is not a valid regular expression', path: ['pattern']});

export const scheduled = defineCheck({
  id: 'host.scheduled',
  summary:
    'A command matching `pattern` (e.g. pg_dump|restic|borg) is scheduled: in crontabs (crontab -l, /etc/crontab, /etc/cron.d, the cron spool, cron.daily and friends, and the scripts they run) or in systemd timers (their service ExecStart).',
  params: ScheduledParams,
  run: (ctx, p, signal) => bounded(p.pattern, () => findScheduled(ctx, p, signal)),
});

/** A pattern that runs too long becomes an error result instead of hanging or throwing. */
async function bounded(pattern: string, fn: () => Promise<CheckResult>): Promise<CheckResult> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof PatternTooSlow) return result('error', `${err.message} (/${pattern}/): simplify it`);
    throw err;
  }
}

async function findScheduled(ctx: Context, p: z.output<typeof ScheduledParams>, signal: AbortSignal): Promise<CheckResult> {
  const re = compile(p.pattern, p.flags) as RegExp;
  const found: Found[] = [];
  const unreadable: string[] = [];
  const notes: string[] = [];
  const searched: string[] = [];
  let entries = 0;

  const crontab = async (text: string, file: string, system: boolean, ignoredWhy?: string) => {
    for (const e of parseCrontab(text, system)) {
      entries++;
      if (signal.aborted) return;
      const hit = await commandMatch(e.command, re, p.followScripts, signal);
      if (!hit) continue;
      const who = e.user ? ` as ${e.user}` : '';
      const detail = `${e.schedule}${who} ${hit}${ignoredWhy ? `; but ${ignoredWhy}` : ''}`;
      found.push({status: ignoredWhy ? 'warn' : 'pass', evidence: {file, line: e.line, detail}});
    }
  };
  const readCron = async (given: string, system: boolean, ignoredWhy?: string) => {
    const t = place(ctx, given);
    try {
      const s = await stat(t.abs);
      if (!s.isFile() || s.size > MAX_READ_BYTES) return;
      const text = await readFile(t.abs, {encoding: 'utf8', signal});
      searched.push(t.shown);
      await crontab(text, t.shown, system, ignoredWhy);
    } catch (err) {
      if (err instanceof PatternTooSlow) throw err;
      if (isDenied(err)) unreadable.push(t.shown);
      else if (!isMissing(err) && !signal.aborted) notes.push(`${t.shown}: ${code(err)}`);
    }
  };

  for (const f of p.cronFiles) await readCron(f, true);
  for (const [dirs, system] of [
    [p.cronDirs, true],
    [p.spoolDirs, false],
  ] as const) {
    for (const d of dirs) {
      const t = place(ctx, d);
      const l = await listDir(t.abs);
      if ('problem' in l) {
        if (l.problem === 'denied') unreadable.push(t.shown);
        else if (l.problem !== 'missing') notes.push(`${t.shown}: ${l.problem}`);
        continue;
      }
      for (const name of l.names) {
        if (signal.aborted) break;
        // Debian's cron ignores cron.d files such as backup.sh or backup.dpkg-old.
        const ignored =
          system && !RUN_PARTS_NAME.test(name)
            ? `cron ignores ${name} in ${t.shown}: its name holds characters other than letters, digits, _ and -`
            : undefined;
        await readCron(join(d, name), system, ignored);
      }
    }
  }
  for (const d of p.scriptDirs) {
    const t = place(ctx, d);
    const l = await listDir(t.abs);
    if ('problem' in l) {
      if (l.problem === 'denied') unreadable.push(t.shown);
      else if (l.problem !== 'missing') notes.push(`${t.shown}: ${l.problem}`);
      continue;
    }
    const period = /cron\.(\w+)$/.exec(t.abs)?.[1];
    for (const name of l.names) {
      if (signal.aborted) break;
      const abs = join(t.abs, name);
      const shown = isAbsolute(d) ? join(d, name) : ctx.rel(abs);
      const s = await stat(abs).catch(() => undefined);
      const text = s?.isFile() ? await readSmallText(abs, signal) : undefined;
      if (!s || text === undefined) continue;
      searched.push(shown);
      entries++;
      const hit = matching(re, [name]).length > 0 ? {line: 1, text: name} : scriptLine(text, re);
      if (!hit) continue;
      const why =
        (s.mode & 0o111) === 0
          ? `it is not executable, so run-parts skips it (chmod +x ${shown})`
          : !RUN_PARTS_NAME.test(name)
            ? `run-parts skips it: its name holds characters other than letters, digits, _ and -`
            : undefined;
      const detail = `run ${period ?? 'by run-parts'} from ${t.shown}: line ${hit.line} matches: ${showCommand(hit.text)}${why ? `; but ${why}` : ''}`;
      found.push({status: why ? 'warn' : 'pass', evidence: {file: shown, line: hit.line, detail}});
    }
  }

  if (p.userCrontab && !signal.aborted) {
    const r = await ctx.run('crontab', ['-l'], {signal, timeoutMs: CMD_TIMEOUT_MS});
    if (r.ok) {
      searched.push('crontab -l');
      await crontab(r.stdout, 'crontab -l', false);
    } else if (r.missing) notes.push('crontab is not installed');
    else if (!/no crontab for/i.test(r.stderr)) notes.push(failure('crontab -l', r));
  }

  if (p.timers && !signal.aborted) {
    const r = await ctx.run('systemctl', ['list-timers', '--all', '--no-legend'], {signal, timeoutMs: CMD_TIMEOUT_MS});
    const absent = r.missing ? undefined : await notSystemd(r.ok ? '' : r.stderr);
    if (r.missing) notes.push('systemd timers not read: systemctl is not installed');
    else if (absent) notes.push(`systemd timers not read: ${absent.replace(/, so unit state.*$/, '')}`);
    else if (!r.ok) notes.push(`systemd timers not read: ${failure('systemctl list-timers', r)}`);
    else {
      const timers = parseTimerList(r.stdout);
      searched.push(`${timers.length} systemd timers`);
      entries += timers.length;
      if (timers.length > 0) {
        const units = [...new Set(timers.map((t) => t.service))].slice(0, 200);
        const cat = await ctx.run('systemctl', ['cat', '--', ...units], {signal, timeoutMs: CMD_TIMEOUT_MS});
        if (!cat.stdout) notes.push(`systemd units not read: ${failure('systemctl cat', cat)}`);
        for (const {file, unit, line, directive, command} of parseUnitCat(cat.stdout)) {
          if (signal.aborted) continue;
          const hit = await commandMatch(command, re, p.followScripts, signal);
          if (!hit) continue;
          for (const t of timers.filter((x) => x.service === unit || x.service.replace(/@[^.]*\./, '@.') === unit)) {
            const detail = `${t.timer} activates ${t.service}, ${directive} ${hit}${t.next ? '' : '; but the timer has no next run (inactive or elapsed)'}`;
            found.push({status: t.next ? 'pass' : 'warn', evidence: {file, line, detail}});
          }
        }
      }
    }
  }

  if (signal.aborted)
    return result(
      'error',
      'stopped before every schedule was read',
      found.map((f) => f.evidence),
    );
  const extra = [...notes, ...(unreadable.length > 0 ? [`not readable: ${unreadable.join(', ')} (run as root)`] : [])];
  const tail = extra.length > 0 ? ` (${extra.join('; ')})` : '';
  const shown = `/${p.pattern}/${p.flags}`;
  const runs = found.filter((f) => f.status === 'pass');
  if (runs.length > 0)
    return result(
      'pass',
      `${runs.length} scheduled entr${runs.length === 1 ? 'y runs' : 'ies run'} ${shown}`,
      found.map((f) => f.evidence),
    );
  if (found.length > 0)
    return result(
      'warn',
      `${shown} is scheduled, but would not run: ${found[0]!.evidence.detail.replace(/^.*; but /, '')}`,
      found.map((f) => f.evidence),
    );
  const where = searched.length > 0 ? `searched ${searched.join(', ')}` : 'no crontab or timer was found';
  if (unreadable.length > 0) return result('warn', `nothing readable schedules ${shown}; ${where}${tail}`);
  return result(
    'fail',
    `nothing scheduled runs ${shown} (${entries} entries; ${where})${tail}`,
    searched.map((s) => ({file: s, detail: 'no match'})),
  );
}

// ---------------------------------------------------------------------------------------------
// host.backup-fresh

const MAX_ENTRIES = 20_000;

const BackupParams = z
  .strictObject({
    dir: z.string().min(1),
    /** Matched against the path relative to dir; without a slash, against the file name. */
    glob: z.string().min(1).optional(),
    /** A regular expression on the path relative to dir. */
    pattern: z.string().min(1).optional(),
    maxAgeHours: z.number().positive().default(26),
    /** The newest file must have at least this many bytes: an empty dump is a failed backup. */
    minBytes: z.number().int().min(0).default(1),
    recursive: z.boolean().default(false),
  })
  .refine((p) => p.pattern === undefined || typeof compile(p.pattern, '') !== 'string', {
    message: 'pattern is not a valid regular expression',
    path: ['pattern'],
  });

export const backupFresh = defineCheck({
  id: 'host.backup-fresh',
  summary:
    'The newest file in a backup directory (optionally matching a glob or regex; recursive on request) is younger than maxAgeHours and not empty. An empty or missing directory fails.',
  params: BackupParams,
  run: (ctx, p, signal) => bounded(p.pattern ?? '', () => newestBackup(ctx, p, signal)),
});

async function newestBackup(ctx: Context, p: z.output<typeof BackupParams>, signal: AbortSignal): Promise<CheckResult> {
  const t = place(ctx, p.dir);
  const globRe = p.glob === undefined ? undefined : globToRegExp(p.glob);
  const byGlob = (rel: string) => globRe === undefined || globRe.test(p.glob!.includes('/') ? rel : basename(rel));
  try {
    const s = await stat(t.abs);
    if (!s.isDirectory()) return result('fail', `${t.shown} is not a directory`, [{file: t.shown, detail: 'not a directory'}]);
  } catch (err) {
    if (isMissing(err)) return result('fail', `${t.shown} does not exist: no backups`, [{file: t.shown, detail: 'does not exist'}]);
    return result('error', `${t.shown}: cannot read: ${code(err)}`, [{file: t.shown, detail: `cannot read: ${code(err)}`}]);
  }

  const files: {rel: string; mtimeMs: number; size: number}[] = [];
  let seen = 0;
  const problems: string[] = [];
  const walk = async (rel: string, depth: number): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(join(t.abs, rel), {withFileTypes: true});
    } catch (err) {
      problems.push(`${rel || '.'}: ${code(err)}`);
      return;
    }
    for (const e of entries) {
      if (signal.aborted || seen >= MAX_ENTRIES) return;
      seen++;
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      // Symlinks are followed (a `latest` link to the newest dump); FIFOs and devices are not read.
      if (!e.isFile() && !e.isDirectory() && !e.isSymbolicLink()) continue;
      const st = await stat(join(t.abs, r)).catch(() => undefined);
      if (!st) continue;
      if (st.isDirectory()) {
        if (p.recursive && !e.isSymbolicLink() && depth < 8) await walk(r, depth + 1);
        continue;
      }
      if (st.isFile()) files.push({rel: r, mtimeMs: st.mtimeMs, size: st.size});
    }
  };
  await walk('', 0);
  const globbed = files.filter((f) => byGlob(f.rel));
  const picked =
    p.pattern === undefined
      ? globbed
      : matching(
          new RegExp(p.pattern),
          globbed.map((f) => f.rel),
        ).map((i) => globbed[i]!);
  const count = picked.length;
  const others = files.length - count;
  const newest = picked.reduce<(typeof picked)[number] | undefined>((a, f) => (!a || f.mtimeMs > a.mtimeMs ? f : a), undefined);
  if (signal.aborted) return result('error', `stopped before ${t.shown} was read`);
  if (problems.length > 0 && count === 0) {
    return result(
      'error',
      `${t.shown}: cannot read: ${problems[0]}${problems.some((x) => /EACCES|EPERM/.test(x)) ? ' (run as the backup owner or root)' : ''}`,
      [{file: t.shown, detail: `cannot read: ${problems.join('; ')}`}],
    );
  }
  const filter = [p.glob, p.pattern === undefined ? undefined : `/${p.pattern}/`].filter(Boolean).join(' and ');
  if (!newest) {
    const what = filter ? `no file matching ${filter}${others > 0 ? ` (${others} other files)` : ''}` : 'no files';
    return result('fail', `${t.shown} holds ${what}: no backups`, [{file: t.shown, detail: what}]);
  }
  const age = Date.now() - newest.mtimeMs;
  const shown = t.shown === '.' ? newest.rel : `${t.shown.replace(/\/$/, '')}/${newest.rel}`;
  const when = new Date(newest.mtimeMs).toISOString();
  const ageText = age < 0 ? `${hours(-age)} in the future` : `${hours(age)} old`;
  const capped = seen >= MAX_ENTRIES ? ` (only the first ${MAX_ENTRIES} entries were read)` : '';
  const evidence: Evidence[] = [
    {
      file: shown,
      detail: `newest of ${count} file${count === 1 ? '' : 's'}${filter ? ` matching ${filter}` : ''}: modified ${when} (${ageText}), ${size(newest.size)}${capped}`,
    },
  ];
  const limit = `${p.maxAgeHours} hours`;
  if (age > p.maxAgeHours * 3_600_000) return result('fail', `the newest backup, ${shown}, is ${ageText}: older than ${limit}`, evidence);
  if (newest.size < p.minBytes)
    return result('fail', `the newest backup, ${shown}, has ${size(newest.size)} (at least ${p.minBytes} wanted): a failed dump?`, evidence);
  if (age < -5 * 60_000) return result('warn', `the newest backup, ${shown}, is dated ${ageText}: is the clock right?`, evidence);
  return result('pass', `the newest backup, ${shown}, is ${ageText} (within ${limit})`, evidence);
}
