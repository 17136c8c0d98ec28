// The built CLI in a real pseudo-terminal: keys go in as bytes, the screen is read back from
// what the program wrote. Waits poll for text with a deadline; nothing sleeps a fixed time.
import {spawn as ptySpawn, type IPty} from '@lydell/node-pty';
import {CLI} from './helpers.js';

const strip = (s: string) =>
  s
    .replace(/\u001B\][^\u0007]*\u0007/g, '')
    .replace(/\u001B\[[0-9;?]*[ -/]*[@-~]/g, '')
    .replace(/\u001B[()][A-Z0-9]/g, '');

export class Term {
  private raw = '';
  private mark = 0;
  readonly exited: Promise<number>;

  private constructor(private readonly pty: IPty) {
    pty.onData((d) => (this.raw += d));
    this.exited = new Promise((resolve) => pty.onExit(({exitCode}) => resolve(exitCode)));
  }

  static open(args: string[], opts: {cwd?: string; env?: Record<string, string>; cols?: number; rows?: number} = {}): Term {
    const env: Record<string, string> = {...(process.env as Record<string, string>), TERM: 'xterm-256color', ...opts.env};
    return new Term(
      ptySpawn(process.execPath, [CLI, ...args], {name: 'xterm-256color', cols: opts.cols ?? 80, rows: opts.rows ?? 24, cwd: opts.cwd ?? process.cwd(), env}),
    );
  }

  get pid(): number {
    return this.pty.pid;
  }

  /** Everything shown since the last key sent, without escape codes. */
  get since(): string {
    return strip(this.raw.slice(this.mark));
  }

  get all(): string {
    return strip(this.raw);
  }

  get rawOutput(): string {
    return this.raw;
  }

  async waitFor(what: string | RegExp, ms = 15_000): Promise<void> {
    const deadline = Date.now() + ms;
    const hit = () => (typeof what === 'string' ? this.since.includes(what) : what.test(this.since));
    while (!hit()) {
      if (Date.now() > deadline) throw new Error(`never saw ${String(what)}; screen since last key:\n${this.since.slice(-2500)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Sends bytes and starts a new "since" window. */
  send(bytes: string): void {
    this.mark = this.raw.length;
    this.pty.write(bytes);
  }

  resize(cols: number, rows: number): void {
    this.mark = this.raw.length;
    this.pty.resize(cols, rows);
  }

  kill(signal = 'SIGKILL'): void {
    try {
      this.pty.kill(signal);
    } catch {
      /* already gone */
    }
  }
}
