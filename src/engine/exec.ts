export interface RunOptions {
  cwd?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Extra environment on top of a minimal one (PATH, HOME, C locale). */
  env?: Record<string, string>;
  /**
   * Text written to the program's stdin, which is otherwise closed. Data a program must read
   * that may not be seen in `ps` (argv) goes here, never into `args`.
   */
  input?: string;
  /**
   * Receives stdout as it arrives instead of buffering it (`stdout` is then ''), so output of any
   * size can be scanned. Return `false` to stop the program early: it is killed, and the result
   * is `ok` with `stopped` set.
   */
  onStdout?: (chunk: Buffer) => boolean | undefined;
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
  /** `onStdout` asked to stop, and the program was killed before it finished. */
  stopped?: boolean;
}

/** The environment every program we run gets: no secret of ours, a C locale, no git prompts. */
export function commandEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env.HOME ?? '/',
    LC_ALL: 'C',
    LANG: 'C',
    GIT_TERMINAL_PROMPT: '0',
    ...extra,
  };
}

/** The command line as a reason may name it: quoted like a POSIX shell would need it. */
export function describeCommand(file: string, args: readonly string[]): string {
  return [file, ...args]
    .map((a) => a.replace(/[\n\r\t\b\f]/g, (c) => JSON.stringify(c).slice(1, -1)))
    .map((a) => (/^[\w./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`))
    .join(' ');
}

/**
 * Runs a program for a check: no shell, stdin closed (unless `input` is given), our environment
 * (and its secrets) not passed on, a C locale so output parses the same everywhere, and a hard
 * time bound.
 */
export async function runCommand(file: string, args: readonly string[], o: RunOptions = {}): Promise<CommandResult> {
  // Loaded on first use: the wizard's first frame does not wait for it.
  const {execa} = await import('execa');
  const streaming = o.onStdout !== undefined;
  const child = execa(file, args, {
    cwd: o.cwd,
    timeout: o.timeoutMs ?? 10_000,
    forceKillAfterDelay: 1_000,
    cancelSignal: o.signal,
    ...(o.input === undefined ? {stdin: 'ignore' as const} : {input: o.input}),
    reject: false,
    maxBuffer: 8_000_000,
    buffer: {stdout: !streaming, stderr: true},
    extendEnv: false,
    env: commandEnv(o.env),
  });
  let stopped = false;
  if (o.onStdout && child.stdout) {
    const onStdout = o.onStdout;
    child.stdout.on('data', (chunk: Buffer | string) => {
      if (stopped) return;
      if (onStdout(typeof chunk === 'string' ? Buffer.from(chunk) : chunk) === false) {
        stopped = true;
        child.stdout?.destroy();
        child.kill();
      }
    });
  }
  const r = await child;
  const missing = (r as {code?: string}).code === 'ENOENT';
  const failed = r.failed && !stopped;
  return {
    ok: !failed,
    exitCode: r.exitCode,
    stdout: typeof r.stdout === 'string' ? r.stdout : '',
    stderr: typeof r.stderr === 'string' ? r.stderr : '',
    timedOut: r.timedOut,
    missing,
    reason: failed ? (missing ? `${file} is not installed` : (r as {shortMessage?: string}).shortMessage) : undefined,
    ...(stopped ? {stopped} : {}),
  };
}
