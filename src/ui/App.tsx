import {Box, Text, useApp, useInput, useStdin} from 'ink';
import {useReducer, useSyncExternalStore} from 'react';
import {AnswerError, type ItemView, type Wizard} from '../wizard/controller.js';
import {dialogValues, initialNav, navReducer, type DialogKind, type NavState} from '../wizard/navigation.js';
import {ChoiceBox, DialogBox} from './DialogBox.js';
import {commandFor, footerFor, keyLabel, type Command, type Context} from './key/keyBindings.js';
import {HelpScreen} from './screens/HelpScreen.js';
import {ItemScreen} from './screens/ItemScreen.js';
import {OverviewScreen} from './screens/OverviewScreen.js';
import {StartScreen} from './screens/StartScreen.js';
import {SummaryScreen} from './screens/SummaryScreen.js';
import {clip} from './text.js';
import {color} from './theme.js';
import {useTerminalSize} from './useTerminalSize.js';

/** Renders the wizard's state and turns keys into commands; every decision is the Wizard's. */
export function App({wizard, initial = initialNav}: {wizard: Wizard; initial?: NavState}) {
  const snap = useSyncExternalStore(wizard.subscribe, wizard.getSnapshot);
  const [nav, dispatch] = useReducer(navReducer, initial);
  const {exit} = useApp();
  const {isRawModeSupported} = useStdin();
  const {columns, rows} = useTerminalSize();
  const context: Context = nav.help ? 'help' : nav.dialog ? 'dialog' : nav.choice ? 'choice' : nav.screen;
  const walkable = snap.items.filter((i) => i.applicable);
  const item = nav.itemId ? snap.items.find((i) => i.id === nav.itemId) : undefined;

  const openItem = (id: string | undefined) => {
    if (item) wizard.markSeen(item.id);
    if (!id) return dispatch({type: 'go', screen: 'summary'});
    wizard.markSeen(id);
    wizard.setPosition(id);
    dispatch({type: 'go', screen: 'item', itemId: id});
  };

  const openDialog = (kind: DialogKind, i: ItemView) =>
    dispatch({type: 'open-dialog', kind, itemId: i.id, who: snap.who, askDate: i.confirm?.askDate, note: i.note?.text});

  const submit = () => {
    const d = nav.dialog!;
    const v = dialogValues(d);
    try {
      const a = {by: v.by ?? snap.who, note: v.note, reason: v.reason, expires: v.expires, date: v.date};
      if (d.kind === 'confirm') wizard.confirm(d.itemId, a);
      else if (d.kind === 'decline') wizard.decline(d.itemId, a);
      else if (d.kind === 'waive') wizard.waive(d.itemId, a);
      else wizard.note(d.itemId, v.note ?? '', snap.who);
    } catch (err) {
      if (err instanceof AnswerError) return dispatch({type: 'dialog-error', message: err.message});
      throw err;
    }
    dispatch({type: 'close-dialog', flash: d.kind === 'note' ? 'note saved' : `${d.kind === 'waive' ? 'waived' : `${d.kind}d`} and saved`});
    if (d.kind !== 'note') {
      const next = wizard.nextUnfinished(d.itemId);
      if (next) openItem(next);
    }
  };

  const perform = (cmd: Command) => {
    switch (cmd) {
      case 'quit':
        wizard.close();
        return exit();
      case 'help':
        return dispatch({type: 'help'});
      case 'resume':
        return snap.resumeAt ? openItem(snap.resumeAt) : dispatch({type: 'go', screen: 'summary'});
      case 'overview':
        if (item) wizard.markSeen(item.id);
        return dispatch({type: 'go', screen: 'overview'});
      case 'summary':
        if (item) wizard.markSeen(item.id);
        return dispatch({type: 'go', screen: 'summary'});
      case 'start':
        return dispatch({type: 'go', screen: 'start'});
      case 'change-input': {
        const input = snap.inputs[0];
        if (!input) return dispatch({type: 'flash', text: 'this pack has no inputs to change'});
        return dispatch({type: 'open-choice', choice: {inputId: input.id, question: input.question, options: input.choices}, current: input.value});
      }
      case 'up':
      case 'down': {
        const delta = cmd === 'up' ? -1 : 1;
        return context === 'choice' ? dispatch({type: 'choice-cursor', delta}) : dispatch({type: 'cursor', delta, size: snap.sections.length});
      }
      case 'open': {
        if (context === 'choice') {
          const c = nav.choice!;
          const pick = c.options[c.cursor]!;
          void wizard.setInput(c.inputId, pick.value);
          return dispatch({type: 'close-choice', flash: `${c.inputId} is now ${pick.value}; checking again`});
        }
        if (context === 'summary') return openItem(wizard.getSnapshot().items.find((i) => i.applicable && !i.finished)?.id);
        const section = snap.sections[nav.cursor];
        const inSection = snap.items.filter((i) => i.section === section?.id && i.applicable);
        return openItem((inSection.find((i) => i.changed) ?? inSection.find((i) => !i.finished) ?? inSection[0])?.id);
      }
      case 'next':
      case 'prev': {
        const at = walkable.findIndex((i) => i.id === nav.itemId);
        const to = walkable[at + (cmd === 'next' ? 1 : -1)];
        if (!to) return cmd === 'next' ? dispatch({type: 'go', screen: 'summary'}) : dispatch({type: 'go', screen: 'overview'});
        return openItem(to.id);
      }
      case 'recheck':
        if (item) void wizard.run([item.id]);
        return dispatch({type: 'flash', text: 'checking again'});
      case 'skip-check':
        if (item?.status === 'running') wizard.skip(item.id);
        return;
      case 'confirm':
      case 'decline':
        if (!item) return;
        if (!item.confirm) return dispatch({type: 'flash', text: 'its checks settle this item: fix what they found, or waive it (w)'});
        return openDialog(cmd, item);
      case 'waive':
      case 'note':
        return item ? openDialog(cmd, item) : undefined;
      case 'undo':
        if (item?.answer) {
          wizard.undo(item.id);
          return dispatch({type: 'flash', text: 'answer removed'});
        }
        return;
      case 'generate':
        return dispatch({type: 'flash', text: item?.generator ? `the ${item.generator} generator is not part of this version yet` : 'nothing to generate here'});
      case 'submit':
        return submit();
      case 'cancel':
        return nav.choice ? dispatch({type: 'close-choice'}) : dispatch({type: 'close-dialog', flash: 'nothing saved'});
      case 'next-field':
      case 'prev-field':
        return dispatch({type: 'field', delta: cmd === 'next-field' ? 1 : -1});
      case 'backspace':
        return dispatch({type: 'backspace'});
    }
  };

  useInput(
    (input, key) => {
      const cmd = commandFor(context, {input, ...key});
      if (cmd) return perform(cmd);
      if (context === 'dialog' && input && !key.ctrl && !key.meta) dispatch({type: 'type', text: input});
    },
    {isActive: isRawModeSupported === true},
  );

  const bodyHeight = Math.max(rows - 4, 8);
  const section = item ? snap.sections.find((s) => s.id === item.section) : undefined;
  const position = item && section ? `[${section.title} ${section.items.indexOf(item.id) + 1}/${section.items.length}]` : '';
  const hide = new Set<Command>(item?.confirm ? [] : ['confirm', 'decline']);
  const footer = footerFor(context, hide).map((b) => `${keyLabel(b)} ${b.label}`).join(' · ');

  return (
    <Box flexDirection="column" width={columns} height={rows - 1}>
      <Text>
        <Text bold color={color('cyan')}>
          shipshape
        </Text>{' '}
        {clip(`${snap.pack.title} · ${snap.done}/${snap.total} done${snap.running > 0 ? ` · checking ${snap.running}` : ''}`, columns - 12)}
      </Text>
      <Box flexDirection="column" height={bodyHeight} overflow="hidden">
        {nav.help ? (
          <HelpScreen />
        ) : nav.screen === 'start' ? (
          <StartScreen snap={snap} width={columns} />
        ) : nav.screen === 'overview' ? (
          <OverviewScreen snap={snap} cursor={nav.cursor} width={columns} openBySeverity={wizard.summary().openBySeverity} />
        ) : nav.screen === 'summary' ? (
          <SummaryScreen summary={wizard.summary()} width={columns} height={bodyHeight} />
        ) : item ? (
          <ItemScreen item={item} position={position} width={columns} height={bodyHeight - (nav.dialog ? nav.dialog.fields.length + 3 : 0)} />
        ) : null}
        {nav.dialog ? <DialogBox dialog={nav.dialog} question={snap.items.find((i) => i.id === nav.dialog!.itemId)?.confirm?.question} width={columns} /> : null}
        {nav.choice ? <ChoiceBox choice={nav.choice} /> : null}
      </Box>
      <Text color={color('yellow')}>{nav.flash ? clip(nav.flash, columns) : ' '}</Text>
      <Text color={color('gray')} wrap="truncate-end">
        {footer}
      </Text>
    </Box>
  );
}
