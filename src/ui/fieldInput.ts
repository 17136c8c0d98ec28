import type {NavStore} from '../wizard/navigation.js';
import type {KeyPress} from './key/keyBindings.js';
import {editText, PASTE_END, PASTE_START, type TextState} from './textEdit.js';

/** What Ink's useInput reports, beyond the fields the key table reads. */
export type InkKey = Omit<KeyPress, 'input'> & {meta?: boolean; home?: boolean; end?: boolean};

/**
 * The bytes an Ink input event stands for, for the field editor. Ink cuts a read at each escape
 * sequence and hands over the rest as one string: a burst of DEL bytes, or a paste, arrives
 * as `input` with no key flag set. A lone key arrives as a flag. Ink drops the ESC of a
 * sequence it does not know, so the paste markers ESC[200~ and ESC[201~ arrive as "[200~" and
 * "[201~"; they are restored here. Keys that are not text (arrows, ctrl and alt combinations)
 * become nothing.
 */
export function rawOf(input: string, key: InkKey): string {
  if (key.return) return '\r';
  if (key.backspace || key.delete) return '\u007F';
  if (key.tab) return '\t';
  if (key.escape || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow || key.pageUp || key.pageDown || key.home || key.end) return '';
  if (key.ctrl || key.meta) return '';
  if (input === '[200~') return PASTE_START;
  if (input === '[201~') return PASTE_END;
  return input;
}

export const isPasteMarker = (raw: string) => raw === PASTE_START || raw === PASTE_END;

/** The editor's state between input events, apart from the value (which the dialog holds). */
export type EditCarry = Omit<TextState, 'value'> & {field: string};

export const freshCarry = (): EditCarry => ({pasting: false, pending: '', gap: false, field: ''});

/**
 * Applies raw input to the open dialog's fields: text to the focused field; a tab in the input
 * moves to the next field (`command`) and the rest goes there; Enter at the end submits.
 * Returns the editor state to carry to the next input event.
 */
export function editFields(nav: NavStore, carry: EditCarry, raw: string, command: (cmd: 'submit' | 'next-field' | 'prev-field') => void): EditCarry {
  let input = raw;
  let c = carry;
  // Each round consumes input up to a tab; a bound keeps a pathological chunk finite.
  for (let round = 0; round < 64; round++) {
    const d = nav.get().dialog;
    const f = d?.fields[d.focus];
    if (!d || !f) return c;
    const field = `${d.itemId}/${d.kind}/${d.focus}`;
    // A line break left over from another field is not this field's; a paste in progress is.
    const from: TextState = {value: f.value, pasting: c.pasting, pending: c.pending, gap: c.field === field && c.gap};
    const r = editText(from, input);
    setFocusedValue(nav, r.state.value);
    c = {pasting: r.state.pasting, pending: r.state.pending, gap: r.state.gap, field};
    if (r.leave) {
      command(r.leave);
      input = r.rest;
      if (input === '') return c;
      continue;
    }
    if (r.submit) command('submit');
    return c;
  }
  return c;
}

/** Sets the focused field to `next`: one reducer action, however much the editor changed. */
function setFocusedValue(nav: NavStore, next: string): void {
  const d = nav.get().dialog;
  const cur = d?.fields[d.focus]?.value;
  if (cur === undefined || cur === next) return;
  nav.dispatch({type: 'set-field', value: next});
}
