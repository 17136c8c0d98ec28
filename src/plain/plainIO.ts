import {expand, input, rawlist} from '@inquirer/prompts';
import {createInterface} from 'node:readline';
import {PassThrough, Writable} from 'node:stream';

/** Raised when the answers run out (end of a piped file) or the person presses Ctrl+C. */
export class InputEnded extends Error {
  override name = 'InputEnded';
}

/**
 * Reads lines from a pipe or file once, in order. Each inquirer prompt opens its own readline
 * on its input, so handing them the pipe directly would lose whatever the previous prompt had
 * already buffered; instead each prompt gets exactly one line of its own.
 */
class LineFeeder {
  private lines: string[] = [];
  private waiting: ((line: string | undefined) => void) | undefined;
  private ended = false;

  constructor(stream: NodeJS.ReadableStream) {
    const rl = createInterface({input: stream, terminal: false});
    rl.on('line', (line) => {
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = undefined;
        w(line);
      } else this.lines.push(line);
    });
    rl.on('close', () => {
      this.ended = true;
      this.waiting?.(undefined);
      this.waiting = undefined;
    });
  }

  next(): Promise<string | undefined> {
    if (this.lines.length > 0) return Promise.resolve(this.lines.shift());
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => (this.waiting = resolve));
  }
}

type ExpandKey = Parameters<typeof expand>[0]['choices'] extends readonly (infer C)[] ? (C extends {key: infer K} ? K : never) : never;

export interface Option<T extends string> {
  key: string;
  name: string;
  value: T;
}

/** Prompts through @inquirer/prompts, on a terminal or from scripted lines, with a clean transcript when output is not a terminal. */
export class PlainIO {
  private readonly feeder?: LineFeeder;
  private readonly outTty: boolean;

  constructor(
    stdin: NodeJS.ReadStream,
    private readonly out: NodeJS.WritableStream,
  ) {
    this.outTty = Boolean((out as NodeJS.WriteStream).isTTY);
    if (!stdin.isTTY) this.feeder = new LineFeeder(stdin);
  }

  say(line = ''): void {
    this.out.write(`${line}\n`);
  }

  /** One letter from a short list (inquirer's expand prompt). */
  async choose<T extends string>(message: string, options: Option<T>[], fallback: T): Promise<T> {
    const valid = (line: string) => line === '' || options.some((o) => o.key === line.toLowerCase());
    const shown = `${message} [${options.map((o) => (o.value === fallback ? o.key.toUpperCase() : o.key)).join('')}]`;
    const value = await this.ask(
      (ctx) =>
        expand(
          {
            message,
            default: options.find((o) => o.value === fallback)?.key as ExpandKey | undefined,
            choices: options.map((o) => ({key: o.key as ExpandKey, name: o.name, value: o.value})),
          },
          ctx,
        ),
      shown,
      valid,
      `choose one of ${options.map((o) => `${o.key} (${o.name})`).join(', ')}`,
    );
    return value as T;
  }

  /** A numbered list (inquirer's rawlist): type the number. */
  async pick<T extends string>(message: string, options: {name: string; value: T}[]): Promise<T> {
    const valid = (line: string) => /^\d+$/.test(line) && Number(line) >= 1 && Number(line) <= options.length;
    const shown = `${message} ${options.map((o, n) => `${n + 1}) ${o.name}`).join('  ')}`;
    return (await this.ask((ctx) => rawlist({message, choices: options}, ctx), shown, valid, `type a number from 1 to ${options.length}`)) as T;
  }

  /** A line of text (inquirer's input prompt); `required` asks again until it is not blank. */
  text(message: string, fallback?: string, required?: string): Promise<string> {
    const validate = (v: string) => (!required || v.trim() !== '' ? true : required);
    return this.ask((ctx) => input({message, default: fallback, validate}, ctx), `${message}${fallback ? ` (${fallback})` : ''}`, (line) => validate(line) === true, required ?? '');
  }

  private async ask<T>(
    prompt: (ctx: {input?: NodeJS.ReadableStream; output: NodeJS.WritableStream; clearPromptOnDone: boolean}) => Promise<T>,
    shown: string,
    valid: (line: string) => boolean,
    hint: string,
  ): Promise<T> {
    const output = this.outTty ? this.out : new Writable({write: (_c, _e, cb) => cb()});
    if (!this.outTty) this.say(`? ${shown}`);
    let result: T;
    try {
      if (!this.feeder) {
        result = await prompt({output, clearPromptOnDone: false});
      } else {
        let line = await this.feeder.next();
        while (line !== undefined && !valid(line.trim())) {
          this.say(`! ${hint}`);
          line = await this.feeder.next();
        }
        if (line === undefined) throw new InputEnded('no more input');
        const feed = new PassThrough();
        const pending = prompt({input: feed, output, clearPromptOnDone: false});
        feed.write(`${line.trim()}\n`);
        result = await pending;
      }
    } catch (err) {
      if (err instanceof Error && (err.name === 'ExitPromptError' || err.name === 'AbortPromptError')) throw new InputEnded(err.message);
      throw err;
    }
    if (!this.outTty) this.say(`> ${String(result)}`);
    return result;
  }
}
