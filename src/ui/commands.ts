import {AnswerError, type ItemView, type Wizard} from '../wizard/controller.js';
import {dialogValues, type DialogKind, type NavStore} from '../wizard/navigation.js';
import type {Command, Context} from './key/keyBindings.js';

/** The choice list that asks which input to change, when a pack has several. */
const PICK_INPUT = '';

export function contextOf(nav: ReturnType<NavStore['get']>): Context {
  return nav.help ? 'help' : nav.dialog ? 'dialog' : nav.choice ? 'choice' : nav.screen;
}

/**
 * Carries out one command. It reads the latest navigation state and wizard snapshot from their
 * stores at the moment the key is handled, so keys typed faster than the screen redraws still
 * act on the right item and the right dialog text.
 */
export function perform(cmd: Command, wizard: Wizard, nav: NavStore, exit: () => void): void {
  const state = nav.get();
  const snap = wizard.getSnapshot();
  const context = contextOf(state);
  const item = state.itemId ? snap.items.find((i) => i.id === state.itemId) : undefined;
  const walkable = snap.items.filter((i) => i.applicable);

  // An item counts as seen once the person moves on from it, so its CHANGED banner shows first.
  const openItem = (id: string | undefined, flash?: string) => {
    if (item) wizard.markSeen(item.id);
    if (!id) return nav.dispatch({type: 'go', screen: 'summary', flash});
    wizard.setPosition(id);
    nav.dispatch({type: 'go', screen: 'item', itemId: id, flash});
  };
  const openInput = (id: string) => {
    const input = snap.inputs.find((i) => i.id === id)!;
    nav.dispatch({type: 'open-choice', choice: {inputId: input.id, question: input.question, options: input.choices}, current: input.value});
  };
  const openDialog = (kind: DialogKind, i: ItemView) =>
    nav.dispatch({type: 'open-dialog', kind, itemId: i.id, who: snap.who, askDate: i.confirm?.askDate, note: i.note?.text});

  switch (cmd) {
    case 'quit':
      if (item && state.screen === 'item') wizard.markSeen(item.id);
      wizard.close();
      return exit();
    case 'help':
      return nav.dispatch({type: 'help'});
    case 'resume':
      return snap.resumeAt ? openItem(snap.resumeAt) : nav.dispatch({type: 'go', screen: 'summary'});
    case 'overview':
    case 'summary':
      if (item) wizard.markSeen(item.id);
      return nav.dispatch({type: 'go', screen: cmd});
    case 'start':
      return nav.dispatch({type: 'go', screen: 'start'});
    case 'change-input': {
      if (snap.inputs.length === 0) return nav.dispatch({type: 'flash', text: 'this pack has no inputs to change'});
      if (snap.inputs.length === 1) return openInput(snap.inputs[0]!.id);
      // Several inputs: first which one, then its choices.
      const options = snap.inputs.map((i) => ({value: i.id, label: `${i.question} (now: ${i.value ?? 'not set'})`}));
      return nav.dispatch({type: 'open-choice', choice: {inputId: PICK_INPUT, question: 'Which setting?', options}});
    }
    case 'up':
    case 'down': {
      const delta = cmd === 'up' ? -1 : 1;
      return context === 'choice' ? nav.dispatch({type: 'choice-cursor', delta}) : nav.dispatch({type: 'cursor', delta, size: snap.sections.length});
    }
    case 'open': {
      if (context === 'choice') {
        const c = state.choice!;
        const pick = c.options[c.cursor]!;
        if (c.inputId === PICK_INPUT) return openInput(pick.value);
        background(wizard.setInput(c.inputId, pick.value), nav, 'checking again');
        return nav.dispatch({type: 'close-choice', flash: `${c.inputId} is now ${pick.value}; checking again`});
      }
      if (context === 'summary') return openItem(walkable.find((i) => !i.finished)?.id);
      const section = snap.sections[state.cursor];
      const inSection = walkable.filter((i) => i.section === section?.id);
      return openItem((inSection.find((i) => i.changed) ?? inSection.find((i) => !i.finished) ?? inSection[0])?.id);
    }
    case 'next':
    case 'prev': {
      const at = walkable.findIndex((i) => i.id === state.itemId);
      const to = walkable[at + (cmd === 'next' ? 1 : -1)];
      if (!to) return nav.dispatch({type: 'go', screen: cmd === 'next' ? 'summary' : 'overview'});
      return openItem(to.id);
    }
    case 'recheck':
      if (!item) return;
      background(wizard.run([item.id]), nav, 'checking again');
      return nav.dispatch({type: 'flash', text: 'checking again'});
    case 'skip-check':
      if (item?.status === 'running') wizard.skip(item.id);
      return;
    case 'confirm':
    case 'decline':
      if (!item) return;
      if (!item.confirm) return nav.dispatch({type: 'flash', text: 'its checks settle this item: fix what they found, or waive it (w)'});
      return openDialog(cmd, item);
    case 'waive':
    case 'note':
      return item ? openDialog(cmd, item) : undefined;
    case 'undo':
      if (!item?.answer) return;
      wizard.undo(item.id);
      return nav.dispatch({type: 'flash', text: 'answer removed'});
    case 'generate':
      return nav.dispatch({type: 'flash', text: item?.generator ? `the ${item.generator} generator is not part of this version yet` : 'nothing to generate here'});
    case 'submit':
      return submit(wizard, nav, openItem);
    case 'cancel':
      return state.choice ? nav.dispatch({type: 'close-choice'}) : nav.dispatch({type: 'close-dialog', flash: 'nothing saved'});
    case 'next-field':
    case 'prev-field':
      return nav.dispatch({type: 'field', delta: cmd === 'next-field' ? 1 : -1});
    case 'backspace':
      return nav.dispatch({type: 'backspace'});
  }
}

/** Work that goes on behind the screen: a failure (say, a full disk) is shown, never a stack trace. */
function background(work: Promise<unknown>, nav: NavStore, what: string): void {
  work.catch((err: unknown) => nav.dispatch({type: 'flash', text: `${what} failed: ${err instanceof Error ? err.message : String(err)}`}));
}

function submit(wizard: Wizard, nav: NavStore, openItem: (id: string | undefined, flash?: string) => void): void {
  const d = nav.get().dialog;
  if (!d) return;
  const v = dialogValues(d);
  const who = wizard.getSnapshot().who;
  try {
    const a = {by: v.by ?? who, note: v.note, reason: v.reason, expires: v.expires, date: v.date};
    if (d.kind === 'confirm') wizard.confirm(d.itemId, a);
    else if (d.kind === 'decline') wizard.decline(d.itemId, a);
    else if (d.kind === 'waive') wizard.waive(d.itemId, a);
    else wizard.note(d.itemId, v.note ?? '', who);
  } catch (err) {
    // The dialog stays open with what was typed: a refused or failed save loses nothing.
    const message = err instanceof AnswerError ? err.message : `could not save: ${err instanceof Error ? err.message : String(err)}`;
    return nav.dispatch({type: 'dialog-error', message});
  }
  const flash = {confirm: 'confirmed and saved', decline: 'declined and saved', waive: 'waived and saved', note: 'note saved'}[d.kind];
  nav.dispatch({type: 'close-dialog', flash});
  if (d.kind !== 'note') {
    // Answered: on to the next item that still needs someone.
    const next = wizard.nextUnfinished(d.itemId);
    if (next) openItem(next, flash);
  }
}
