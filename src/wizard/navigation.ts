/**
 * Where the person is in the wizard: which screen, which item, which dialog and what they have
 * typed into it. A pure reducer, so every front end and every test drives it the same way.
 */

export type ScreenName = 'start' | 'overview' | 'item' | 'summary';

export type FieldName = 'by' | 'note' | 'reason' | 'expires' | 'date' | 'typed';

export interface Field {
  name: FieldName;
  label: string;
  value: string;
  /** Shown greyed when empty. */
  hint?: string;
}

/** `replace`: the person types the item's id to let a generator replace a value that exists. */
export type DialogKind = 'confirm' | 'decline' | 'waive' | 'note' | 'replace';

export interface Dialog {
  kind: DialogKind;
  itemId: string;
  fields: Field[];
  focus: number;
  error?: string;
}

/** A list to choose from (an input such as Compose or Kubernetes). */
export interface Choice {
  inputId: string;
  question: string;
  options: {value: string; label: string}[];
  cursor: number;
}

/**
 * A generator's change for one item, from preparing it to what was written. It never holds the
 * generated values: the plan that does stays with the front end that asked for it, and only the
 * masked preview is here.
 */
export type GenerateView =
  | {phase: 'preparing'; itemId: string; run: number; replace: boolean}
  | {phase: 'preview'; itemId: string; run: number; replace: boolean; summary: string[]; notes: string[]; preview: string}
  | {phase: 'writing'; itemId: string; run: number}
  | {phase: 'written'; itemId: string; run: number; written: string[]; backups: string[]}
  /** `replaceable`: the value exists and the generator guards it; typing the item id replaces it. */
  | {phase: 'error'; itemId: string; run: number; message: string; replaceable: boolean};

export interface NavState {
  screen: ScreenName;
  itemId?: string;
  /** Selected row on the overview (a section index). */
  cursor: number;
  dialog?: Dialog;
  choice?: Choice;
  /** A generator's preview or result, shown instead of the item. */
  generate?: GenerateView;
  help: boolean;
  /** A one-line message, e.g. "saved", until the next key. */
  flash?: string;
}

export type NavAction =
  | {type: 'go'; screen: ScreenName; itemId?: string; flash?: string}
  | {type: 'cursor'; delta: number; size: number}
  | {type: 'help'}
  | {type: 'open-dialog'; kind: DialogKind; itemId: string; who: string; askDate?: boolean; note?: string}
  | {type: 'type'; text: string}
  | {type: 'backspace'}
  /** The focused field's whole new value, as the field editor worked it out from raw input. */
  | {type: 'set-field'; value: string}
  | {type: 'field'; delta: number}
  | {type: 'dialog-error'; message: string}
  | {type: 'close-dialog'; flash?: string}
  | {type: 'open-choice'; choice: Omit<Choice, 'cursor'>; current?: string}
  | {type: 'choice-cursor'; delta: number}
  | {type: 'close-choice'; flash?: string}
  | {type: 'generate'; view: GenerateView}
  | {type: 'close-generate'; flash?: string}
  | {type: 'flash'; text?: string};

export const initialNav: NavState = {screen: 'start', cursor: 0, help: false};

function fieldsFor(kind: DialogKind, who: string, askDate: boolean, note: string | undefined): Field[] {
  const by: Field = {name: 'by', label: 'Answered by', value: who};
  switch (kind) {
    case 'confirm':
      return [
        by,
        ...(askDate ? [{name: 'date' as const, label: 'Date (YYYY-MM-DD)', value: '', hint: 'when it was last done'}] : []),
        {name: 'note', label: 'Note', value: '', hint: 'optional: how you know'},
      ];
    case 'decline':
      return [by, {name: 'note', label: 'Note', value: '', hint: 'optional: what is missing'}];
    case 'waive':
      return [
        {name: 'reason', label: 'Reason', value: '', hint: 'required: why this does not apply or can wait'},
        {name: 'by', label: 'Owner', value: who},
        {name: 'expires', label: 'Expires (YYYY-MM-DD)', value: '', hint: 'optional: when to look again'},
      ];
    case 'note':
      return [{name: 'note', label: 'Note', value: note ?? ''}];
    case 'replace':
      return [{name: 'typed', label: 'Item id', value: '', hint: 'type it exactly to replace the value'}];
  }
}

export function navReducer(state: NavState, action: NavAction): NavState {
  switch (action.type) {
    case 'go':
      return {
        ...state,
        screen: action.screen,
        itemId: action.itemId ?? state.itemId,
        dialog: undefined,
        choice: undefined,
        generate: undefined,
        help: false,
        flash: action.flash,
      };
    case 'cursor': {
      if (action.size <= 0) return state;
      const cursor = (((state.cursor + action.delta) % action.size) + action.size) % action.size;
      return {...state, cursor, flash: undefined};
    }
    case 'help':
      return {...state, help: !state.help, flash: undefined};
    case 'open-dialog': {
      const fields = fieldsFor(action.kind, action.who, action.askDate ?? false, action.note);
      // Start where typing is needed: prefilled fields (who is answering) are one shift-tab away.
      const focus = Math.max(
        fields.findIndex((f) => f.value === ''),
        0,
      );
      return {...state, dialog: {kind: action.kind, itemId: action.itemId, fields, focus}, flash: undefined};
    }
    case 'type':
    case 'backspace': {
      const d = state.dialog;
      if (!d) return state;
      const fields = d.fields.map((f, i) =>
        i !== d.focus ? f : {...f, value: action.type === 'type' ? f.value + action.text.replace(/[\r\n\t]/g, '') : [...f.value].slice(0, -1).join('')},
      );
      return {...state, dialog: {...d, fields, error: undefined}};
    }
    case 'set-field': {
      const d = state.dialog;
      const f = d?.fields[d.focus];
      if (!d || !f) return state;
      // The same text a field can hold as when typed: no line breaks, no tabs.
      const value = action.value.replace(/[\r\n\t]/g, '');
      if (value === f.value) return state;
      const fields = d.fields.map((x, i) => (i === d.focus ? {...x, value} : x));
      return {...state, dialog: {...d, fields, error: undefined}};
    }
    case 'field': {
      const d = state.dialog;
      if (!d) return state;
      return {...state, dialog: {...d, focus: Math.min(Math.max(d.focus + action.delta, 0), d.fields.length - 1)}};
    }
    case 'dialog-error':
      return state.dialog ? {...state, dialog: {...state.dialog, error: action.message}} : state;
    case 'close-dialog':
      return {...state, dialog: undefined, flash: action.flash};
    case 'open-choice': {
      const at = action.choice.options.findIndex((o) => o.value === action.current);
      return {...state, choice: {...action.choice, cursor: Math.max(at, 0)}, flash: undefined};
    }
    case 'choice-cursor': {
      const c = state.choice;
      if (!c) return state;
      const n = c.options.length;
      return {...state, choice: {...c, cursor: (((c.cursor + action.delta) % n) + n) % n}};
    }
    case 'close-choice':
      return {...state, choice: undefined, flash: action.flash};
    case 'generate':
      return {...state, generate: action.view, flash: undefined};
    case 'close-generate':
      return {...state, generate: undefined, dialog: undefined, flash: action.flash};
    case 'flash':
      return {...state, flash: action.text};
    default:
      return checkExhaustive(action);
  }
}

function checkExhaustive(x: never): never {
  throw new Error(`unhandled navigation action ${JSON.stringify(x)}`);
}

/** The values typed into a dialog, by field name. */
export function dialogValues(d: Dialog): Partial<Record<FieldName, string>> {
  return Object.fromEntries(d.fields.map((f) => [f.name, f.value]));
}

/**
 * The reducer behind a tiny synchronous store. Keys can arrive faster than React re-renders;
 * a key handler that reads this store (not a render's closure) always acts on the latest state.
 */
export interface NavStore {
  get: () => NavState;
  dispatch: (action: NavAction) => void;
  subscribe: (fn: () => void) => () => void;
}

export function createNavStore(initial: NavState = initialNav): NavStore {
  let state = initial;
  const listeners = new Set<() => void>();
  return {
    get: () => state,
    dispatch(action) {
      const next = navReducer(state, action);
      if (next === state) return;
      state = next;
      for (const fn of listeners) fn();
    },
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}
