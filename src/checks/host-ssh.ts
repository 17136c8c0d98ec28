// host.ssh-option: one setting of the OpenSSH server as it is in effect. On the host itself sshd
// says so (`sshd -T`, which needs root to load the host keys); otherwise, or when it cannot run,
// sshd_config and what it includes are read the way sshd reads them (src/sources/sshd.ts). Either
// way the evidence names the file and line that set the value, or says that OpenSSH's default
// applies.
import {readdir} from 'node:fs/promises';
import {z} from 'zod';
import type {Context} from '../engine/context.js';
import {result, type CheckResult, type Evidence} from '../model/types.js';
import {canonicalKeyword, parseSshdConfig, parseSshdT, type SshdConfig, type SshdFiles} from '../sources/sshd.js';
import {errorMessage} from '../sources/errors.js';
import {defineCheck} from './define.js';
import {CMD_TIMEOUT_MS, code, isDenied, isMissing} from './host-common.js';
import {HostPath, isLiveRoot, onRoot, readHostText, Root, underRoot, unreadable} from './host-root.js';

/** OpenSSH's compiled-in defaults (9.x) for the settings packs usually ask about; Debian's shipped sshd_config sets some of them otherwise. */
export const SSHD_DEFAULTS: Readonly<Record<string, string>> = {
  permitrootlogin: 'prohibit-password',
  passwordauthentication: 'yes',
  kbdinteractiveauthentication: 'yes',
  permitemptypasswords: 'no',
  pubkeyauthentication: 'yes',
  usepam: 'no',
  x11forwarding: 'no',
  maxauthtries: '6',
  allowagentforwarding: 'yes',
  allowtcpforwarding: 'yes',
  permituserenvironment: 'no',
};

/** Values sshd treats as the same: sshd -T prints the old name of prohibit-password. */
export function normalValue(key: string, value: string): string {
  const v = value.trim().toLowerCase();
  if (key === 'permitrootlogin' && v === 'without-password') return 'prohibit-password';
  return v;
}

/** sbin is where sshd lives, and a normal user's PATH often lacks it. */
function sbinPath(): Record<string, string> {
  const dirs = (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':').filter(Boolean);
  for (const d of ['/usr/local/sbin', '/usr/sbin', '/sbin']) if (!dirs.includes(d)) dirs.push(d);
  return {PATH: dirs.join(':')};
}

/** The host's files under `root`, for the sshd_config parser. */
export function hostSshdFiles(root: string): SshdFiles {
  return {
    read: async (path) => {
      const t = await readHostText(root, path);
      if ('text' in t) return t.text;
      if ('missing' in t) return undefined;
      throw new Error(unreadable(path, t));
    },
    // A folder of drop-ins that cannot be listed would silently drop settings that win: say so instead.
    list: async (dir) => {
      try {
        return await readdir(onRoot(root, dir));
      } catch (err) {
        if (isMissing(err)) return undefined;
        throw new Error(unreadable(dir, {error: `cannot be listed: ${code(err)}`, denied: isDenied(err)}));
      }
    },
  };
}

/** What `sshd -T -f config` says, or why it could not be asked. */
async function askSshd(ctx: Context, sshd: string, config: string, signal: AbortSignal): Promise<{values: Map<string, string>} | {why: string}> {
  const r = await ctx.run(sshd, ['-T', '-f', config], {signal, timeoutMs: CMD_TIMEOUT_MS, env: sbinPath()});
  if (r.missing) return {why: `${sshd} is not installed here`};
  if (r.timedOut) return {why: `${sshd} -T did not answer within ${CMD_TIMEOUT_MS} ms`};
  if (!r.ok) {
    // sshd's own last word (no host keys without root, a missing privilege separation user, a bad line), bounded.
    const last = r.stderr
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .at(-1);
    const said = last ? (last.length > 200 ? `${last.slice(0, 200)}…` : last) : (r.reason ?? `exit code ${r.exitCode ?? '?'}`);
    return {why: `${sshd} -T failed: ${said}${process.getuid?.() !== 0 ? ' (it needs root to load the host keys)' : ''}`};
  }
  const values = parseSshdT(r.stdout);
  if (values.size === 0) return {why: `${sshd} -T printed no settings`};
  return {values};
}

export const sshOption = defineCheck({
  id: 'host.ssh-option',
  summary:
    "One OpenSSH server setting as in effect: from `sshd -T` on the host when it runs (as root), else from sshd_config and its Include files read as sshd reads them (first value wins; Match blocks do not count). `pass` values pass, `warn` values warn, anything else fails; OpenSSH's default applies when unset. Skips when there is no sshd_config.",
  params: z.strictObject({
    /** The keyword, e.g. PermitRootLogin (case does not matter). */
    option: z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/, 'an sshd_config keyword such as PermitRootLogin'),
    pass: z.array(z.string().min(1)).min(1),
    warn: z.array(z.string().min(1)).default([]),
    /** The value when nothing sets it, if not OpenSSH's default known here. */
    default: z.string().min(1).optional(),
    /** Why the values matter, ending the message on a fail or warn. */
    advice: z.string().min(1).optional(),
    config: HostPath.default('/etc/ssh/sshd_config'),
    /** `auto`: ask `sshd -T` when root is `/`; `never`: read the files only. */
    sshdT: z.enum(['auto', 'never']).default('auto'),
    /** The program: sshd on the PATH (with sbin added), or a path to one. */
    sshd: z
      .string()
      .regex(/^(.*\/)?sshd$/, 'sshd, or a path that ends in /sshd')
      .default('sshd'),
    root: Root,
  }),
  timeoutMs: 10_000,
  run: async (ctx, p, signal) => {
    const key = canonicalKeyword(p.option);
    const pass = p.pass.map((v) => normalValue(key, v));
    const warn = p.warn.map((v) => normalValue(key, v));
    const judge = (value: string): 'pass' | 'warn' | 'fail' => {
      const v = normalValue(key, value);
      return pass.includes(v) ? 'pass' : warn.includes(v) ? 'warn' : 'fail';
    };
    const say = (status: CheckResult['status'], what: string, evidence: Evidence[]) =>
      result(status, status === 'pass' || !p.advice ? what : `${what}: ${p.advice}`, evidence);

    // The files, always: they locate the value even when sshd -T decides it.
    let parsed: SshdConfig | undefined;
    let fileProblem: string | undefined;
    try {
      parsed = await parseSshdConfig(p.config, hostSshdFiles(p.root));
    } catch (err) {
      if ((err as {code?: string}).code === 'ENOENT') {
        return result('skip', `${p.config} does not exist${underRoot(p.root)}: no OpenSSH server is configured here`, [
          {file: p.config, detail: 'does not exist'},
        ]);
      }
      fileProblem = errorMessage(err);
    }

    let live: {values: Map<string, string>} | {why: string} | undefined;
    if (p.sshdT === 'auto' && isLiveRoot(p.root)) live = await askSshd(ctx, p.sshd, p.config, signal);
    if (signal.aborted) return result('error', 'stopped before sshd was asked');

    const set = parsed?.settings.get(key);
    const fallback = p.default ?? SSHD_DEFAULTS[key];
    if (live && 'values' in live) {
      const value = live.values.get(key);
      if (value === undefined) return result('error', `sshd -T does not print ${p.option}: this OpenSSH does not know it`);
      const at: Evidence = set
        ? {file: set.file, line: set.line, key: p.option, detail: `${set.keyword} ${set.value}; sshd -T: ${key} ${value}`}
        : {file: p.config, key: p.option, detail: `not set in ${p.config} or its includes; sshd -T: ${key} ${value} (the default)`};
      const disagree = set && normalValue(key, set.value) !== normalValue(key, value) ? ` (the files say ${set.value}: sshd decided otherwise)` : '';
      return say(judge(value), `${p.option} is ${value} (sshd -T)${disagree}`, [at]);
    }
    const note = live && 'why' in live ? `; sshd -T not used: ${live.why}` : '';
    if (!parsed) return result('error', `cannot read the sshd configuration: ${fileProblem}${note}`, [{file: p.config, detail: fileProblem ?? 'unreadable'}]);
    if (set) {
      const where = `${set.file}:${set.line}`;
      return say(judge(set.value), `${p.option} is ${set.value} (${where})${note}`, [
        {file: set.file, line: set.line, key: p.option, detail: `${set.keyword} ${set.value}`},
      ]);
    }
    if (fallback === undefined)
      return result('error', `${p.option} is not set in ${parsed.files.join(', ')}, and its default is not known here: give the check a default${note}`);
    const read = parsed.files.length === 1 ? p.config : `${p.config} and ${parsed.files.length - 1} included files`;
    return say(judge(fallback), `${p.option} is not set in ${read}, so OpenSSH's default ${fallback} applies${note}`, [
      {file: p.config, key: p.option, detail: `not set: default ${fallback}`},
    ]);
  },
});
