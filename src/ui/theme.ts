import type {LiveStatus} from '../wizard/controller.js';

/** Colour is an extra: every status also has a word, and NO_COLOR or a dumb terminal turns colour off. */
export function colorOn(): boolean {
  return !process.env.NO_COLOR && process.env.TERM !== 'dumb';
}

const STATUS_COLOR: Record<LiveStatus, string> = {
  pass: 'green',
  fail: 'red',
  warn: 'yellow',
  error: 'magenta',
  skip: 'gray',
  manual: 'cyan',
  pending: 'gray',
  running: 'blue',
};

export function statusColor(s: LiveStatus): string | undefined {
  return colorOn() ? STATUS_COLOR[s] : undefined;
}

export function color(name: string): string | undefined {
  return colorOn() ? name : undefined;
}
