import {spawn} from 'node:child_process';

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

/** Buffered output beyond this many bytes (per stream) fails the run. */
const MAX_BUFFER = 8_000_000;
/** After the polite SIGTERM of a timeout or cancel, SIGKILL this much later. */
const FORCE_KILL_MS = 1_000;

/** The environment a program runs with: ours (and its secrets) is not passed on; a C locale so output parses the same everywhere. */
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
 * time bound. Plain `node:child_process`: nothing to load before the first program starts.
 */
export function runCommand(file: string, args: readonly string[], o: RunOptions = {}): Promise<CommandResult> {
  return new Promise((resolve) => {
    const command = () => describeCommand(file, args);
    const streaming = o.onStdout !== undefined;
    const timeoutMs = o.timeoutMs ?? 10_000;
    let timedOut = false;
    let canceled = false;
    let stopped = false;
    let overflow: 'stdout' | 'stderr' | undefined;
    let spawnError: NodeJS.ErrnoException | undefined;
    let settled = false;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let forceKill: NodeJS.Timeout | undefined;

    if (o.signal?.aborted) {
      resolve({ok: false, stdout: '', stderr: '', timedOut: false, missing: false, reason: `Command was canceled: ${command()}`});
      return;
    }
    const child = spawn(file, args, {
      cwd: o.cwd,
      env: commandEnv(o.env),
      stdio: [o.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const kill = () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      forceKill ??= setTimeout(() => child.kill('SIGKILL'), FORCE_KILL_MS);
      forceKill.unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, timeoutMs);
    const onAbort = () => {
      canceled = true;
      kill();
    };
    o.signal?.addEventListener('abort', onAbort, {once: true});

    if (o.input !== undefined && child.stdin) {
      // A program that exits without reading all of its input is not an error of ours.
      child.stdin.on('error', () => undefined);
      child.stdin.end(o.input);
    }
    child.stdout?.on('data', (chunk: Buffer) => {
      if (stopped) return;
      if (o.onStdout) {
        if (o.onStdout(chunk) === false) {
          stopped = true;
          child.stdout?.destroy();
          child.kill();
        }
        return;
      }
      outBytes += chunk.length;
      if (outBytes > MAX_BUFFER) {
        overflow ??= 'stdout';
        kill();
        return;
      }
      out.push(chunk);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      errBytes += chunk.length;
      if (errBytes > MAX_BUFFER) {
        overflow ??= 'stderr';
        kill();
        return;
      }
      err.push(chunk);
    });

    const finish = (exitCode: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (forceKill && exitCode !== null) clearTimeout(forceKill);
      o.signal?.removeEventListener('abort', onAbort);
      const missing = spawnError?.code === 'ENOENT';
      const failed = !stopped && (spawnError !== undefined || timedOut || canceled || overflow !== undefined || exitCode !== 0);
      let reason: string | undefined;
      if (failed) {
        if (missing) reason = `${file} is not installed`;
        else if (timedOut) reason = `Command timed out after ${timeoutMs} milliseconds: ${command()}`;
        else if (canceled) reason = `Command was canceled: ${command()}`;
        else if (overflow) reason = `Command's ${overflow} was larger than ${MAX_BUFFER} bytes: ${command()}`;
        else if (spawnError) reason = `Command failed with ${spawnError.code ?? spawnError.message}: ${command()}`;
        else if (signal) reason = `Command was killed with ${signal}: ${command()}`;
        else reason = `Command failed with exit code ${exitCode}: ${command()}`;
      }
      resolve({
        ok: !failed,
        exitCode: exitCode ?? undefined,
        stdout: streaming ? '' : stripFinalNewline(Buffer.concat(out).toString('utf8')),
        stderr: stripFinalNewline(Buffer.concat(err).toString('utf8')),
        timedOut,
        missing,
        reason,
        ...(stopped ? {stopped} : {}),
      });
    };
    child.on('error', (e: NodeJS.ErrnoException) => {
      spawnError ??= e;
      // A program that never started emits no 'close' of its own.
      if (child.pid === undefined) finish(null, null);
    });
    child.on('close', finish);
  });
}

/** As execa does: one trailing newline is the end of the output, not part of it. */
function stripFinalNewline(s: string): string {
  if (s.endsWith('\r\n')) return s.slice(0, -2);
  if (s.endsWith('\n')) return s.slice(0, -1);
  return s;
}
