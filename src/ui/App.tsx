import {Box, Text, useApp, useInput, useStdin} from 'ink';
import {useEffect, useMemo, useRef, useState, useSyncExternalStore} from 'react';
import type {Wizard} from '../wizard/controller.js';
import {createNavStore, initialNav, type NavState} from '../wizard/navigation.js';
import {contextOf, perform} from './commands.js';
import {ChoiceBox, DialogBox} from './DialogBox.js';
import {commandFor, footerFor, keyLabel, type Command} from './key/keyBindings.js';
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
  const store = useMemo(() => createNavStore(initial), []);
  const nav = useSyncExternalStore(store.subscribe, store.get);
  const {exit} = useApp();
  const {isRawModeSupported} = useStdin();
  const {columns, rows} = useTerminalSize();
  const context = contextOf(nav);
  const item = nav.itemId ? snap.items.find((i) => i.id === nav.itemId) : undefined;

  useInput(
    (input, key) => {
      // Read the stores, not this render's values: the next key may come before the next render.
      const now = contextOf(store.get());
      const cmd = commandFor(now, {input, ...key});
      // Until answers can be saved only leaving works; the key hints are not shown yet either.
      if (!armedRef.current && cmd !== 'quit') return;
      if (cmd) {
        try {
          perform(cmd, wizard, store, exit);
        } catch (err) {
          store.dispatch({type: 'flash', text: `${cmd} failed: ${err instanceof Error ? err.message : String(err)}`});
        }
        return;
      }
      if (now === 'dialog' && input && !key.ctrl && !key.meta) store.dispatch({type: 'type', text: input});
    },
    {isActive: isRawModeSupported === true},
  );
  // Ink turns raw mode on in useInput's effect, which runs before this one; the progress
  // store loads its writer meanwhile. The key hints appear once both are done.
  const [armed, setArmed] = useState(false);
  const armedRef = useRef(false);
  useEffect(() => {
    let live = true;
    void wizard.ready().then(() => {
      if (!live) return;
      armedRef.current = true;
      setArmed(true);
    });
    return () => {
      live = false;
    };
  }, [wizard]);

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
        {armed ? footer : ' '}
      </Text>
    </Box>
  );
}
