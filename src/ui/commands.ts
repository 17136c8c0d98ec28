import {STATUS_WORD} from '../model/types.js';
import {AnswerError, type GeneratePlan, type ItemView, type Wizard} from '../wizard/controller.js';
import {dialogValues, type DialogKind, type NavStore} from '../wizard/navigation.js';
import type {Command, Context} from './key/keyBindings.js';

/** The choice list that asks which input to change, when a pack has several. */
const PICK_INPUT = '';

/** The choice that hands an input back to detection. */
export const AUTO = 'auto';

export function contextOf(nav: ReturnType<NavStore['get']>): Context {
  return nav.help ? 'help' : nav.dialog ? 'dialog' : nav.choice ? 'choice' : nav.generate ? 'generate' : nav.screen;
}

/**
 * The plan a preview shows, by navigation store. It holds the generated values, so it never
 * enters the navigation state that every screen reads: only its masked preview does.
 */
const plans = new WeakMap<NavStore, GeneratePlan>();
let runs = 0;

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
    // The choices, then the way back from a choice made by hand to what the files say.
    const options = [...input.choices, {value: AUTO, label: "Automatic: from the deployment's files"}];
    nav.dispatch({type: 'open-choice', choice: {inputId: input.id, question: input.question, options}, current: input.value ?? AUTO});
  };
  const openDialog = (kind: DialogKind, i: ItemView) =>
    nav.dispatch({type: 'open-dialog', kind, itemId: i.id, who: snap.who, askDate: i.confirm?.askDate, note: i.note?.text});

  switch (cmd) {
    case 'quit':
      if (item && state.screen === 'item') wizard.markSeen(item.id);
      plans.delete(nav);
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
        const now = pick.value === AUTO ? 'back to automatic detection' : `now ${pick.value}`;
        const done = wizard.setInput(c.inputId, pick.value).then(() => {
          // Once the checks have run again, say so, with what the choice left missing.
          const warning = wizard.getSnapshot().inputs.find((i) => i.id === c.inputId)?.warning;
          nav.dispatch({type: 'flash', text: `${c.inputId} is ${now}; checks finished${warning ? `. Warning: ${warning}` : ''}`});
        });
        background(done, nav, 'checking again');
        return nav.dispatch({type: 'close-choice', flash: `${c.inputId} is ${now}; checking again`});
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
    case 'recheck': {
      if (!item) return;
      const id = item.id;
      const done = wizard.run([id]).then(() => {
        const after = wizard.getSnapshot().items.find((i) => i.id === id);
        if (after) nav.dispatch({type: 'flash', text: `re-check of ${id} finished: ${STATUS_WORD[after.status]}`});
      });
      background(done, nav, 'checking again');
      return nav.dispatch({type: 'flash', text: 'checking again'});
    }
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
    case 'undo': {
      if (!item?.answer) return nav.dispatch({type: 'flash', text: 'no answer to remove here'});
      const unneeded = item.waiver?.unneeded === true;
      wizard.undo(item.id);
      return nav.dispatch({type: 'flash', text: unneeded ? 'waiver removed: the item passes on its own' : 'answer removed'});
    }
    case 'generate':
      if (!item) return;
      if (!item.generator) return nav.dispatch({type: 'flash', text: 'this item has no generator: fix it by hand as "How to fix" says'});
      return prepare(wizard, nav, item.id, false);
    case 'write':
      return write(wizard, nav);
    case 'replace': {
      const g = state.generate;
      if (g?.phase !== 'error' || !g.replaceable) return;
      return nav.dispatch({type: 'open-dialog', kind: 'replace', itemId: g.itemId, who: snap.who});
    }
    case 'submit':
      return submit(wizard, nav, openItem);
    case 'cancel':
      if (state.choice) return nav.dispatch({type: 'close-choice'});
      if (context === 'generate') {
        plans.delete(nav);
        const g = state.generate!;
        // Leaving while it writes changes nothing: the write goes on, and its result shows on the item.
        const flash =
          g.phase === 'preview' || g.phase === 'preparing' ? 'nothing written' : g.phase === 'writing' ? 'still writing: the item shows the result' : undefined;
        return nav.dispatch({type: 'close-generate', flash});
      }
      return nav.dispatch({type: 'close-dialog', flash: state.dialog?.kind === 'replace' ? 'nothing replaced' : 'nothing saved'});
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

/** "a value already exists": the generator guards it, and the person may replace it by typing the id. */
const EXISTS = /a value already exists/i;

/** Asks the wizard for the item's change, and shows it once it is ready (or why it cannot be). */
function prepare(wizard: Wizard, nav: NavStore, itemId: string, replace: boolean): void {
  const run = ++runs;
  plans.delete(nav);
  nav.dispatch({type: 'generate', view: {phase: 'preparing', itemId, run, replace}});
  const current = () => nav.get().generate?.run === run;
  wizard.planGenerate(itemId, {replaceExisting: replace}).then(
    (plan) => {
      // Left (esc) or started again meanwhile: this plan is nobody's.
      if (!current()) return;
      plans.set(nav, plan);
      nav.dispatch({type: 'generate', view: {phase: 'preview', itemId, run, replace, summary: plan.summary, notes: plan.notes, preview: plan.preview}});
    },
    (err: unknown) => {
      if (!current()) return;
      const message = err instanceof Error ? err.message : String(err);
      // The command line's way out is not this screen's: here it is the r key.
      const shown = message.replace(/\s*To replace it anyway: --replace-existing \S+\s*$/, '');
      const replaceable = err instanceof AnswerError && EXISTS.test(message) && !replace;
      nav.dispatch({
        type: 'generate',
        view: {phase: 'error', itemId, run, message: err instanceof AnswerError ? shown : `could not prepare it: ${shown}`, replaceable},
      });
    },
  );
}

/** Writes the previewed plan; on the result screen and the error screen, enter goes back to the item. */
function write(wizard: Wizard, nav: NavStore): void {
  const g = nav.get().generate;
  if (!g) return;
  if (g.phase === 'written' || g.phase === 'error') return nav.dispatch({type: 'close-generate'});
  const plan = plans.get(nav);
  if (g.phase !== 'preview' || !plan) return;
  plans.delete(nav);
  const {itemId, run} = g;
  nav.dispatch({type: 'generate', view: {phase: 'writing', itemId, run}});
  const current = () => nav.get().generate?.run === run;
  wizard.writeGenerate(plan).then(
    (done) => {
      if (current()) nav.dispatch({type: 'generate', view: {phase: 'written', itemId, run, written: done.written, backups: done.backups}});
      else {
        const after = wizard.getSnapshot().items.find((i) => i.id === itemId);
        nav.dispatch({type: 'flash', text: `${itemId}: wrote ${done.written.join(', ')}${after ? `; now ${STATUS_WORD[after.status]}` : ''}`});
      }
    },
    (err: unknown) => {
      const why = err instanceof Error ? err.message : String(err);
      // The write is all or nothing; what can fail after it is the checks running again.
      const message = err instanceof AnswerError ? `nothing was written: ${why}` : `written, but the checks could not run again: ${why}`;
      if (current()) nav.dispatch({type: 'generate', view: {phase: 'error', itemId, run, message, replaceable: false}});
      else nav.dispatch({type: 'flash', text: `${itemId}: ${message}`});
    },
  );
}

function submit(wizard: Wizard, nav: NavStore, openItem: (id: string | undefined, flash?: string) => void): void {
  const d = nav.get().dialog;
  if (!d) return;
  const v = dialogValues(d);
  const who = wizard.getSnapshot().who;
  if (d.kind === 'replace') {
    // Typing the id, not pressing a key, is the consent: a new masterkey can make data unreadable.
    if ((v.typed ?? '').trim() !== d.itemId) return nav.dispatch({type: 'dialog-error', message: `type the item id exactly: ${d.itemId}`});
    nav.dispatch({type: 'close-dialog'});
    return prepare(wizard, nav, d.itemId, true);
  }
  try {
    // The waiver form's second field is its owner; who answers is who is using the wizard.
    const a =
      d.kind === 'waive'
        ? {by: who, owner: v.by, reason: v.reason, expires: v.expires}
        : {by: v.by ?? who, note: v.note, reason: v.reason, expires: v.expires, date: v.date};
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
