
export interface RunOptions {
  cwd?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Extra environment on top of a minimal one (PATH, HOME, C locale). */
  env?: Record<string, string>;
}

export interface CommandResult {
  ok: boolean;
  exitCode?: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Program not installed. */
  missing: boolean;
  /** A short reason that never includes the program's output (which may hold secrets). */
  reason?: string;
}

/**
 * Runs a program for a check: no shell, stdin closed, our environment (and its secrets) not
 * passed on, a C locale so output parses the same everywhere, and a hard time bound.
 */
export async function runCommand(file: string, args: readonly string[], o: RunOptions = {}): Promise<CommandResult> {
  // Loaded on first use: the wizard's first frame does not wait for it.
  const {execa} = await import('execa');
  const r = await execa(file, args, {
    cwd: o.cwd,
    timeout: o.timeoutMs ?? 10_000,
    forceKillAfterDelay: 1_000,
    cancelSignal: o.signal,
    stdin: 'ignore',
    reject: false,
    maxBuffer: 8_000_000,
    extendEnv: false,
    env: {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: process.env.HOME ?? '/',
      LC_ALL: 'C',
      LANG: 'C',
      GIT_TERMINAL_PROMPT: '0',
      ...o.env,
    },
  });
  const missing = (r as {code?: string}).code === 'ENOENT';
  return {
    ok: !r.failed,
    exitCode: r.exitCode,
    stdout: typeof r.stdout === 'string' ? r.stdout : '',
    stderr: typeof r.stderr === 'string' ? r.stderr : '',
    timedOut: r.timedOut,
    missing,
    reason: r.failed ? (missing ? `${file} is not installed` : (r as {shortMessage?: string}).shortMessage) : undefined,
  };
}
