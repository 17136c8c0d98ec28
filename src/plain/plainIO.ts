import {expand, input, rawlist} from '@inquirer/prompts';
import {createInterface, type Interface} from 'node:readline';
import {Writable} from 'node:stream';

/** Raised when the answers run out (end of a piped file) or the person presses Ctrl+C. */
export class InputEnded extends Error {
  override name = 'InputEnded';
}

/**
 * A line of a script that is not what was expected where it stands. A script is never asked
 * again (the next line would be taken as the answer, shifting everything after it): the run
 * stops, names the line, and exits 2.
 */
export class ScriptError extends Error {
  override name = 'ScriptError';

  constructor(
    /** 1-based line number in the script. */
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

/** A `@ITEM-ID` line at an action prompt (scripts only). */
export interface Jump {
  jump: string;
}

export const isJump = (v: unknown): v is Jump => typeof v === 'object' && v !== null && 'jump' in v;

/**
 * Reads lines from a pipe or file once, in order, and numbers them as they are handed out, so
 * an error can name the script's line. Each prompt takes exactly one line.
 */
class LineFeeder {
  private lines: string[] = [];
  private waiting: ((line: string | undefined) => void) | undefined;
  private ended = false;
  private readonly rl: Interface;
  /** How many lines have been handed out: the number of the last one. */
  count = 0;

  constructor(stream: NodeJS.ReadableStream) {
    this.rl = createInterface({input: stream, terminal: false, crlfDelay: Number.POSITIVE_INFINITY});
    this.rl.on('line', (line) => {
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = undefined;
        w(line);
      } else this.lines.push(line);
    });
    this.rl.on('close', () => {
      this.ended = true;
      this.waiting?.(undefined);
      this.waiting = undefined;
    });
  }

  async next(): Promise<string | undefined> {
    const line =
      this.lines.length > 0 ? this.lines.shift() : this.ended ? undefined : await new Promise<string | undefined>((resolve) => (this.waiting = resolve));
    if (line !== undefined) this.count++;
    return line;
  }

  close(): void {
    this.rl.close();
  }
}

type ExpandKey = Parameters<typeof expand>[0]['choices'] extends readonly (infer C)[] ? (C extends {key: infer K} ? K : never) : never;

export interface Option<T extends string> {
  key: string;
  name: string;
  value: T;
}

export interface TextOptions {
  /** Taken for an empty line (shown in brackets). */
  fallback?: string;
  /** Set when the text may not be blank: the message saying so. */
  required?: string;
  /** A problem with the (trimmed, non-empty) value, or undefined when it is fine. */
  check?: (value: string) => string | undefined;
  /** What belongs on this line, for a script's error message. */
  expected: string;
}

/**
 * Prompts through @inquirer/prompts on a terminal (a refused answer is asked again there), or
 * reads a script line by line when stdin is not a terminal (a refused line is a ScriptError).
 * When output is not a terminal, the transcript is plain: `? question` then `> answer`.
 */
export class PlainIO {
  private readonly feeder?: LineFeeder;
  private readonly outTty: boolean;

  constructor(
    private readonly stdin: NodeJS.ReadStream,
    private readonly out: NodeJS.WritableStream,
  ) {
    this.outTty = Boolean((out as NodeJS.WriteStream).isTTY);
    if (!stdin.isTTY) this.feeder = new LineFeeder(stdin);
  }

  /** Answers come from a script (a pipe or a file), not from a person at a terminal. */
  get scripted(): boolean {
    return this.feeder !== undefined;
  }

  /** The number of the script line read last (0 before the first, and on a terminal). */
  get line(): number {
    return this.feeder?.count ?? 0;
  }

  say(line = ''): void {
    this.out.write(`${line}\n`);
  }

  /** Stops the run at a script line: `line` defaults to the one read last. */
  fail(message: string, line = this.line): never {
    throw new ScriptError(line, message);
  }

  /**
   * One letter from a short list (inquirer's expand prompt; Enter takes the default). In a
   * script the letter must be written out, and with `jump` a line `@ITEM-ID` is returned as a Jump.
   */
  async choose<T extends string>(message: string, options: Option<T>[], fallback: T | undefined, o: {jump?: boolean; about?: string} = {}): Promise<T | Jump> {
    const shown = `${message} [${options.map((x) => (x.value === fallback ? x.key.toUpperCase() : x.key)).join('')}]`;
    const expected = `one of ${options.map((x) => `${x.key} (${x.name})`).join(', ')}${o.jump ? ', or @ITEM-ID to go to an item' : ''}`;
    return this.ask<T | Jump>(
      shown,
      (ctx) =>
        expand(
          {
            message,
            default: options.find((x) => x.value === fallback)?.key as ExpandKey | undefined,
            choices: options.map((x) => ({key: x.key as ExpandKey, name: x.name, value: x.value})),
          },
          ctx,
        ),
      (line) => {
        if (o.jump && line.startsWith('@')) {
          const id = line.slice(1).trim();
          if (!id) this.fail(`"@" needs an item id after it (@ITEM-ID)`);
          return {jump: id};
        }
        const hit = options.find((x) => x.key === line.toLowerCase());
        if (hit) return hit.value;
        const got = line === '' ? 'an empty line' : `"${line}" is not a choice${o.about ? ` for ${o.about}` : ''}`;
        // Scripts written before identity was settled by --as began with an "Answering as" line.
        const old = this.line === 1 ? '; a script no longer starts with a name for "Answering as" (use --as NAME)' : '';
        return this.fail(`${got}; expected ${expected}${old}`);
      },
      (v) => (isJump(v) ? `@${v.jump}` : v),
    );
  }

  /** A numbered list (inquirer's rawlist): type the number. */
  async pick<T extends string>(message: string, options: {name: string; value: T}[], about = message): Promise<T> {
    const shown = `${message} ${options.map((x, n) => `${n + 1}) ${x.name}`).join('  ')}`;
    return this.ask<T>(
      shown,
      (ctx) => rawlist({message, choices: options}, ctx),
      (line) => {
        const n = /^\d+$/.test(line) ? Number(line) : 0;
        const hit = options[n - 1];
        if (n >= 1 && hit) return hit.value;
        return this.fail(`${line === '' ? 'an empty line' : `"${line}" is not a choice`} for ${about}; expected a number from 1 to ${options.length}`);
      },
    );
  }

  /** A line of text (inquirer's input prompt). On a terminal a refused value is asked again. */
  text(message: string, o: TextOptions): Promise<string> {
    const problem = (v: string): string | undefined => {
      const t = v.trim();
      if (t === '') return o.required;
      return o.check?.(t);
    };
    return this.ask<string>(
      `${message}${o.fallback ? ` (${o.fallback})` : ''}`,
      (ctx) => input({message, default: o.fallback, validate: (v) => problem(v) ?? true}, ctx).then((v) => v.trim()),
      (line) => {
        const value = line === '' ? (o.fallback ?? '') : line;
        const p = problem(value);
        if (p !== undefined) this.fail(`${line === '' ? 'an empty line' : `"${line}"`}: ${p}; expected ${o.expected}`);
        return value;
      },
    );
  }

  /** Lets the process exit: no reader is left on stdin, even while the other end stays open. */
  close(): void {
    this.feeder?.close();
    this.stdin.pause();
    (this.stdin as Partial<{unref(): void}>).unref?.();
  }

  private async ask<T>(
    shown: string,
    prompt: (ctx: {output: NodeJS.WritableStream; clearPromptOnDone: boolean}) => Promise<T>,
    fromLine: (line: string) => T,
    display: (v: T) => string = String,
  ): Promise<T> {
    // A script's transcript is always plain; a person at a terminal sees inquirer's own.
    const plainTranscript = this.scripted || !this.outTty;
    if (plainTranscript) this.say(`? ${shown}`);
    let result: T;
    if (this.feeder) {
      const line = await this.feeder.next();
      if (line === undefined) throw new InputEnded('no more input');
      result = fromLine(line.trim());
    } else {
      const output = this.outTty ? this.out : new Writable({write: (_c, _e, cb) => cb()});
      try {
        result = await prompt({output, clearPromptOnDone: false});
      } catch (err) {
        if (err instanceof Error && (err.name === 'ExitPromptError' || err.name === 'AbortPromptError')) throw new InputEnded(err.message);
        throw err;
      }
    }
    if (plainTranscript) this.say(`> ${display(result)}`);
    return result;
  }
}
