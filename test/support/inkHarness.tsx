// A small harness for rendering Ink in-process: a fake terminal that keeps every frame, a
// stdin that delivers keys the way Ink 6 reads them ('readable' + read()), and helpers that
// poll for a frame instead of sleeping.
import './ink-env.js';
import {EventEmitter} from 'node:events';
import {render, type Instance} from 'ink';
import type {ReactElement} from 'react';

class FakeStdout extends EventEmitter {
  columns: number;
  rows: number;
  isTTY = true;
  frames: string[] = [];
  constructor(columns: number, rows: number) {
    super();
    this.columns = columns;
    this.rows = rows;
  }
  write = (s: string): boolean => {
    if (s !== '\n') this.frames.push(s);
    return true;
  };
  resize(columns: number, rows: number): void {
    this.columns = columns;
    this.rows = rows;
    this.emit('resize');
  }
}

class FakeStdin extends EventEmitter {
  isTTY = true;
  private queue: string[] = [];
  setRawMode = () => this;
  setEncoding = () => this;
  ref = () => this;
  unref = () => this;
  resume = () => this;
  pause = () => this;
  read = (): string | null => this.queue.shift() ?? null;
  send(s: string): void {
    this.queue.push(s);
    this.emit('readable');
  }
}

export const KEY = {
  up: '\u001B[A',
  down: '\u001B[B',
  right: '\u001B[C',
  left: '\u001B[D',
  enter: '\r',
  esc: '\u001B',
  tab: '\t',
  backspace: '\u007F',
  ctrlC: '\u0003',
};

/** One macrotask: lets React 19 flush and Ink re-arm its input handlers. */
export const tick = () => new Promise<void>((r) => setImmediate(() => setTimeout(r, 0)));

const strip = (s: string) => s.replace(/\u001B\[[0-9;?]*[A-Za-z]/g, '');

export interface Rendered {
  instance: Instance;
  stdout: FakeStdout;
  frame(): string;
  press(...keys: string[]): Promise<void>;
  type(text: string): Promise<void>;
  waitFor(pred: (frame: string) => boolean, what: string, ms?: number): Promise<string>;
  unmount(): void;
}

export async function renderInk(el: ReactElement, size = {columns: 80, rows: 24}): Promise<Rendered> {
  const stdout = new FakeStdout(size.columns, size.rows);
  const stdin = new FakeStdin();
  const instance = render(el, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    stderr: stdout as unknown as NodeJS.WriteStream,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  const frame = () => strip(stdout.frames.at(-1) ?? '');
  await tick();
  const r: Rendered = {
    instance,
    stdout,
    frame,
    async press(...keys) {
      for (const k of keys) {
        stdin.send(k);
        await tick();
        // A lone Esc is held by Ink until the next turn, in case more of a sequence follows.
        if (k === KEY.esc) await tick();
      }
    },
    async type(text) {
      for (const ch of text) await r.press(ch);
    },
    async waitFor(pred, what, ms = 5000) {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) {
        if (pred(frame())) {
          await tick();
          return frame();
        }
        await tick();
      }
      throw new Error(`never saw ${what}; last frame:\n${frame()}`);
    },
    unmount: () => instance.unmount(),
  };
  return r;
}
