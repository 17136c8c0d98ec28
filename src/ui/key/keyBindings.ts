/**
 * Every key the wizard answers to, in one place. The footer and the help screen are drawn from
 * this table, so what is shown is what works.
 */
export type Context = 'start' | 'overview' | 'item' | 'summary' | 'dialog' | 'choice' | 'help';

export type Command =
  | 'quit'
  | 'help'
  | 'resume'
  | 'overview'
  | 'summary'
  | 'start'
  | 'change-input'
  | 'up'
  | 'down'
  | 'open'
  | 'next'
  | 'prev'
  | 'recheck'
  | 'skip-check'
  | 'confirm'
  | 'decline'
  | 'waive'
  | 'note'
  | 'undo'
  | 'generate'
  | 'submit'
  | 'cancel'
  | 'next-field'
  | 'prev-field'
  | 'backspace';

/** A key as Ink reports it: the typed text plus flags for special keys. */
export interface KeyPress {
  input: string;
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  return?: boolean;
  escape?: boolean;
  tab?: boolean;
  shift?: boolean;
  ctrl?: boolean;
  backspace?: boolean;
  delete?: boolean;
}

const SPECIALS = ['up', 'down', 'left', 'right', 'enter', 'esc', 'tab', 'shift-tab', 'backspace', 'ctrl-c'] as const;
type Special = (typeof SPECIALS)[number];

export interface Binding {
  /** Letters, or special key names. */
  keys: (string | Special)[];
  command: Command;
  label: string;
  contexts: Context[];
  /** Left out of the footer (still in help). */
  footer?: boolean;
}

export const BINDINGS: Binding[] = [
  {keys: ['ctrl-c'], command: 'quit', label: 'quit', contexts: ['start', 'overview', 'item', 'summary', 'dialog', 'choice', 'help'], footer: false},
  {keys: ['enter'], command: 'resume', label: 'resume', contexts: ['start']},
  {keys: ['i'], command: 'change-input', label: 'change settings', contexts: ['start']},
  {keys: ['up', 'k'], command: 'up', label: 'up', contexts: ['overview', 'choice'], footer: false},
  {keys: ['down', 'j'], command: 'down', label: 'down', contexts: ['overview', 'choice'], footer: false},
  {keys: ['enter'], command: 'open', label: 'open', contexts: ['overview', 'summary', 'choice']},
  {keys: ['right', 'n'], command: 'next', label: 'next', contexts: ['item']},
  {keys: ['left', 'b'], command: 'prev', label: 'back', contexts: ['item']},
  {keys: ['c'], command: 'confirm', label: 'confirm', contexts: ['item']},
  {keys: ['d'], command: 'decline', label: 'decline', contexts: ['item']},
  {keys: ['w'], command: 'waive', label: 'waive', contexts: ['item']},
  {keys: ['a'], command: 'note', label: 'add note', contexts: ['item']},
  {keys: ['u'], command: 'undo', label: 'undo answer', contexts: ['item'], footer: false},
  {keys: ['r'], command: 'recheck', label: 're-check', contexts: ['item']},
  {keys: ['x'], command: 'skip-check', label: 'skip running check', contexts: ['item'], footer: false},
  {keys: ['g'], command: 'generate', label: 'generate', contexts: ['item'], footer: false},
  {keys: ['o'], command: 'overview', label: 'sections', contexts: ['start', 'item', 'summary']},
  {keys: ['s'], command: 'summary', label: 'summary', contexts: ['start', 'overview', 'item']},
  {keys: ['esc'], command: 'start', label: 'start screen', contexts: ['overview', 'summary'], footer: false},
  {keys: ['?'], command: 'help', label: 'help', contexts: ['start', 'overview', 'item', 'summary']},
  {keys: ['q'], command: 'quit', label: 'quit', contexts: ['start', 'overview', 'item', 'summary']},
  {keys: ['enter'], command: 'submit', label: 'save', contexts: ['dialog']},
  {keys: ['tab', 'down'], command: 'next-field', label: 'next field', contexts: ['dialog']},
  {keys: ['shift-tab', 'up'], command: 'prev-field', label: 'previous field', contexts: ['dialog'], footer: false},
  {keys: ['backspace'], command: 'backspace', label: 'delete', contexts: ['dialog'], footer: false},
  {keys: ['esc'], command: 'cancel', label: 'cancel', contexts: ['dialog', 'choice']},
  {keys: ['esc', '?', 'q', 'enter'], command: 'help', label: 'close help', contexts: ['help']},
];

function special(k: KeyPress): Special | undefined {
  if (k.ctrl && k.input === 'c') return 'ctrl-c';
  if (k.upArrow) return 'up';
  if (k.downArrow) return 'down';
  if (k.leftArrow) return 'left';
  if (k.rightArrow) return 'right';
  if (k.return) return 'enter';
  if (k.escape) return 'esc';
  if (k.tab) return k.shift ? 'shift-tab' : 'tab';
  if (k.backspace || k.delete) return 'backspace';
  return undefined;
}

/** The command a key means in a context; in a dialog, plain text is typed instead. */
export function commandFor(context: Context, k: KeyPress): Command | undefined {
  const name = special(k);
  for (const b of BINDINGS) {
    if (!b.contexts.includes(context)) continue;
    // Typed (or pasted) text that spells a key name, such as "up", is text, not that key.
    if (name ? b.keys.includes(name) : b.keys.includes(k.input) && !k.ctrl && !(SPECIALS as readonly string[]).includes(k.input)) return b.command;
  }
  return undefined;
}

const SHOW: Record<string, string> = {up: '↑', down: '↓', left: '←', right: '→', enter: 'enter', esc: 'esc', tab: 'tab', 'shift-tab': 'shift-tab', backspace: 'backspace', 'ctrl-c': 'ctrl-c'};

export function keyLabel(b: Binding): string {
  return b.keys.map((k) => SHOW[k] ?? k).join('/');
}

/** Bindings to show in the footer of a context. */
export function footerFor(context: Context, hide: ReadonlySet<Command> = new Set()): Binding[] {
  return BINDINGS.filter((b) => b.contexts.includes(context) && b.footer !== false && !hide.has(b.command));
}
