/**
 * Every key the wizard answers to, in one place. The footer and the help screen are drawn from
 * this table, so what is shown is what works.
 */
export type Context = 'start' | 'overview' | 'item' | 'summary' | 'generate' | 'dialog' | 'choice' | 'help';

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
  | 'write'
  | 'replace'
  | 'submit'
  | 'cancel'
  | 'next-field'
  | 'prev-field'
  | 'backspace'
  | 'scroll-up'
  | 'scroll-down'
  | 'page-up'
  | 'page-down';

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
  pageUp?: boolean;
  pageDown?: boolean;
}

const SPECIALS = ['up', 'down', 'left', 'right', 'enter', 'esc', 'tab', 'shift-tab', 'backspace', 'ctrl-c'] as const;
/**
 * Page keys are named like the others, but are not in SPECIALS: a one-word paste of "pagedown"
 * never reaches commandFor in a dialog (text goes to the field editor first), and elsewhere
 * it would only scroll.
 */
type Special = (typeof SPECIALS)[number] | 'pageup' | 'pagedown';

/** Screens whose text can be taller than the terminal; up and down scroll them (lists use them for the cursor). */
const SCROLLING: Context[] = ['start', 'item', 'summary', 'generate', 'help'];

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
  {keys: ['ctrl-c'], command: 'quit', label: 'quit', contexts: ['start', 'overview', 'item', 'summary', 'generate', 'dialog', 'choice', 'help'], footer: false},
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
  {keys: ['g'], command: 'generate', label: 'generate', contexts: ['item']},
  {keys: ['enter', 'y'], command: 'write', label: 'write the files', contexts: ['generate']},
  {keys: ['r'], command: 'replace', label: 'replace the existing value', contexts: ['generate']},
  {keys: ['esc'], command: 'cancel', label: 'back to the item', contexts: ['generate']},
  {keys: ['o'], command: 'overview', label: 'sections', contexts: ['start', 'item', 'summary']},
  {keys: ['s'], command: 'summary', label: 'summary', contexts: ['start', 'overview', 'item']},
  {keys: ['esc'], command: 'start', label: 'start screen', contexts: ['overview', 'summary'], footer: false},
  {keys: ['?'], command: 'help', label: 'help', contexts: ['start', 'overview', 'item', 'summary', 'generate']},
  {keys: ['q'], command: 'quit', label: 'quit', contexts: ['start', 'overview', 'item', 'summary', 'generate']},
  {keys: ['enter'], command: 'submit', label: 'save', contexts: ['dialog']},
  {keys: ['tab', 'down'], command: 'next-field', label: 'next field', contexts: ['dialog']},
  {keys: ['shift-tab', 'up'], command: 'prev-field', label: 'previous field', contexts: ['dialog'], footer: false},
  {keys: ['backspace'], command: 'backspace', label: 'delete', contexts: ['dialog'], footer: false},
  {keys: ['esc'], command: 'cancel', label: 'cancel', contexts: ['dialog', 'choice']},
  {keys: ['esc', '?', 'q', 'enter'], command: 'help', label: 'close help', contexts: ['help']},
  // Listed last so the help screen shows each screen's own keys first.
  {keys: ['up'], command: 'scroll-up', label: 'scroll up', contexts: SCROLLING, footer: false},
  {keys: ['down'], command: 'scroll-down', label: 'scroll down', contexts: SCROLLING, footer: false},
  // In an answer form, the page keys scroll a question too long for the form.
  {keys: ['pageup'], command: 'page-up', label: 'page up', contexts: [...SCROLLING, 'dialog'], footer: false},
  {keys: ['pagedown'], command: 'page-down', label: 'page down', contexts: [...SCROLLING, 'dialog'], footer: false},
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
  if (k.pageUp) return 'pageup';
  if (k.pageDown) return 'pagedown';
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

const SHOW: Record<string, string> = {
  up: '↑',
  down: '↓',
  left: '←',
  right: '→',
  enter: 'enter',
  esc: 'esc',
  tab: 'tab',
  'shift-tab': 'shift-tab',
  backspace: 'backspace',
  'ctrl-c': 'ctrl-c',
  pageup: 'PgUp',
  pagedown: 'PgDn',
};

export function keyLabel(b: Binding): string {
  return b.keys.map((k) => SHOW[k] ?? k).join('/');
}

/** Bindings to show in the footer of a context. */
export function footerFor(context: Context, hide: ReadonlySet<Command> = new Set()): Binding[] {
  return BINDINGS.filter((b) => b.contexts.includes(context) && b.footer !== false && !hide.has(b.command));
}

/** The keys for some commands in a context, as shown ("↓/PgDn"), or '' when none is bound. */
export function keysFor(context: Context, ...commands: Command[]): string {
  return commands.flatMap((c) => BINDINGS.filter((b) => b.command === c && b.contexts.includes(context)).map(keyLabel)).join('/');
}

/** Always in the footer: how to get help, how to back out of a form, how to leave. */
const ESSENTIAL: Command[] = ['help', 'cancel', 'quit'];

/**
 * The footer in at most `maxRows` rows of `width` columns. How to get help, back out and quit
 * are always there (ctrl-c where q is text); the other hints are kept in table order while
 * they fit, and every one of them is on the help screen.
 */
export function footerRows(context: Context, width: number, maxRows: number, hide: ReadonlySet<Command> = new Set()): string[] {
  const shown = footerFor(context, hide);
  const essential: Binding[] = [];
  for (const cmd of ESSENTIAL) {
    const b = shown.find((x) => x.command === cmd) ?? BINDINGS.find((x) => x.command === cmd && x.contexts.includes(context));
    if (b && !essential.includes(b)) essential.push(b);
  }
  const rest = shown.filter((b) => !essential.includes(b));
  const label = (b: Binding) => `${keyLabel(b)} ${b.label}`;
  for (let k = rest.length; k > 0; k--) {
    const rows = packRow([...rest.slice(0, k), ...essential].map(label), width);
    if (rows.length <= maxRows) return rows;
  }
  return packRow(essential.map(label), width);
}

/** Joins hints with " · ", starting a new row where the next hint would not fit. */
function packRow(parts: string[], width: number): string[] {
  const rows: string[] = [];
  let row = '';
  for (const p of parts) {
    if (row === '') row = p;
    else if ([...row].length + 3 + [...p].length <= width) row += ` · ${p}`;
    else {
      rows.push(row);
      row = p;
    }
  }
  if (row !== '') rows.push(row);
  return rows;
}
