import {Box, Text, useApp, useInput, useStdin} from 'ink';
import {useEffect, useRef, useState, useSyncExternalStore} from 'react';
import type {Wizard} from '../wizard/controller.js';
import {createNavStore, initialNav, type NavState} from '../wizard/navigation.js';
import {contextOf, perform} from './commands.js';
import {ChoiceBox, choiceHeight, choiceLines, DialogBox, dialogHeight, dialogLayout, headRoom} from './DialogBox.js';
import {editFields, freshCarry, isPasteMarker, rawOf} from './fieldInput.js';
import {type Command, commandFor, footerRows, keysFor} from './key/keyBindings.js';
import {generateLines} from './screens/GenerateScreen.js';
import {helpLines} from './screens/HelpScreen.js';
import {itemLines} from './screens/ItemScreen.js';
import {overviewLines} from './screens/OverviewScreen.js';
import {startLines} from './screens/StartScreen.js';
import {summaryLines, totalTally} from './screens/SummaryScreen.js';
import {cellWidth, clip, type Line, wrap} from './text.js';
import {color} from './theme.js';
import {useScroll} from './useScroll.js';
import {useTerminalSize} from './useTerminalSize.js';
import {Viewport} from './Viewport.js';

const SCROLL = new Set<Command>(['scroll-up', 'scroll-down', 'page-up', 'page-down']);
const isScroll = (c: Command | undefined): c is 'scroll-up' | 'scroll-down' | 'page-up' | 'page-down' => c !== undefined && SCROLL.has(c);

/** Below this many rows a screen behind a dialog is no help: the dialog gets the body. */
const MIN_BEHIND = 3;

/** Renders the wizard's state and turns keys into commands; every decision is the Wizard's. */
export function App({wizard, initial = initialNav}: {wizard: Wizard; initial?: NavState}) {
  const snap = useSyncExternalStore(wizard.subscribe, wizard.getSnapshot);
  // One store for the life of the app: `initial` seeds it, later values do not reset it.
  const [store] = useState(() => createNavStore(initial));
  const nav = useSyncExternalStore(store.subscribe, store.get);
  const {exit} = useApp();
  const {isRawModeSupported} = useStdin();
  const {columns, rows} = useTerminalSize();
  const scroll = useScroll();
  // The field editor's state between input events: a paste or a line break can span reads.
  const carry = useRef(freshCarry());
  const context = contextOf(nav);
  const item = nav.itemId ? snap.items.find((i) => i.id === nav.itemId) : undefined;

  useInput(
    (input, key) => {
      // Read the stores, not this render's values: the next key may come before the next render.
      const now = contextOf(store.get());
      const raw = rawOf(input, key);
      const pasting = carry.current.pasting || isPasteMarker(raw);
      const cmd = commandFor(now, {input, ...key});
      // ctrl-c always leaves, even in a paste whose end marker never came.
      const leave = cmd === 'quit' && key.ctrl === true;
      // Until answers can be saved only leaving works; the key hints are not shown yet either.
      if (!armedRef.current && cmd !== 'quit') return;
      if (now === 'dialog' && !leave && (pasting || cmd === 'backspace' || (cmd === undefined && raw !== ''))) {
        // Typed text, a paste, or a burst of both with backspaces: the field editor reads it all.
        carry.current = editFields(store, carry.current, raw, run);
        return;
      }
      if (isPasteMarker(raw)) {
        carry.current = {...carry.current, pasting: raw.endsWith('200~')};
        return;
      }
      // Text pasted outside a form is not a string of keys.
      if (pasting && !leave) return;
      if (isScroll(cmd)) {
        scroll.move(now === 'dialog' ? 'dialog' : 'main', cmd);
        return;
      }
      if (cmd) run(cmd);
    },
    {isActive: isRawModeSupported === true},
  );
  const run = (cmd: Command) => {
    try {
      perform(cmd, wizard, store, exit);
    } catch (err) {
      store.dispatch({type: 'flash', text: `${cmd} failed: ${err instanceof Error ? err.message : String(err)}`});
    }
  };
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

  // Rows, top to bottom: header, body, flash, footer, and one left free (Ink redraws a frame
  // as tall as the terminal by clearing the screen, which flickers).
  // Hints for what this item or this step can do, and no others.
  const gen = nav.generate;
  const hide = new Set<Command>([
    ...(item?.confirm ? [] : (['confirm', 'decline'] as const)),
    ...(item?.generator ? [] : (['generate'] as const)),
    ...(gen?.phase === 'preview' ? [] : (['write'] as const)),
    ...(gen?.phase === 'error' && gen.replaceable ? [] : (['replace'] as const)),
  ]);
  const footer = footerRows(context, columns, rows >= 20 ? 2 : 1, hide);
  // A message (an error above all) wraps; only one longer than even that is cut, and says so.
  const flashAll = nav.flash ? wrap(nav.flash, columns) : [' '];
  const flashMax = rows >= 20 ? 3 : 2;
  const flash = flashAll.length <= flashMax ? flashAll : [...flashAll.slice(0, flashMax - 1), clip(flashAll.slice(flashMax - 1).join(' '), columns)];
  const bodyHeight = Math.max(rows - 1 - 1 - flash.length - footer.length, 3);

  const right = ` · ${snap.done}/${snap.total} done${snap.running > 0 ? ` · checking ${snap.running}` : ''}`;
  const title = clip(snap.pack.title, Math.max(columns - 10 - cellWidth(right), 4));

  // What sits over the bottom of the body: an answer form or a choice list.
  const dialog = nav.dialog;
  const layout = dialog ? dialogLayout(dialog, snap.items.find((i) => i.id === dialog.itemId)?.confirm?.question, columns) : undefined;
  const choice = nav.choice ? choiceLines(nav.choice, columns) : undefined;
  const overlayNeeds = layout ? dialogHeight(layout) : choice ? choiceHeight(choice) : 0;
  let behind = bodyHeight - overlayNeeds;
  if (overlayNeeds > 0 && behind < MIN_BEHIND) behind = 0;
  const overlayHeight = bodyHeight - behind;

  let lines: Line[] = [];
  let focus: number | undefined;
  if (nav.help) lines = helpLines(columns);
  else if (gen)
    lines = generateLines(
      gen,
      snap.items.find((i) => i.id === gen.itemId),
      columns,
    );
  else if (nav.screen === 'start') lines = startLines(snap, columns);
  else if (nav.screen === 'overview') ({lines, focus} = overviewLines(snap, nav.cursor, columns, wizard.summary().openBySeverity));
  else if (nav.screen === 'summary') lines = summaryLines(wizard.summary(), totalTally(snap.sections), columns);
  else if (item) {
    const section = snap.sections.find((s) => s.id === item.section);
    const position = section ? `[${section.title} ${section.items.indexOf(item.id) + 1}/${section.items.length}]` : '';
    lines = itemLines(item, position, columns);
  }
  const mainContext = nav.help ? 'help' : gen ? 'generate' : nav.screen;
  // Something new to read starts at its top: another item, or the next step of a generator.
  const shows = gen ? `${gen.itemId}:${gen.run}:${gen.phase}` : nav.screen === 'item' ? nav.itemId : '';
  const mainOffset = scroll.offset('main', `${mainContext}:${shows}`, lines.length, behind);
  const dialogOffset = layout && dialog ? scroll.offset('dialog', `${dialog.itemId}:${dialog.kind}`, layout.head.length, headRoom(layout, overlayHeight)) : 0;

  return (
    <Box flexDirection="column" width={columns} height={rows - 1}>
      <Text wrap="truncate-end">
        <Text bold color={color('cyan')}>
          shipshape
        </Text>{' '}
        {title}
        {right}
      </Text>
      <Box flexDirection="column" height={bodyHeight} overflow="hidden">
        {behind > 0 ? (
          <Viewport
            lines={lines}
            height={behind}
            offset={mainOffset}
            focus={focus}
            upKeys={keysFor(mainContext, 'scroll-up', 'page-up')}
            downKeys={keysFor(mainContext, 'scroll-down', 'page-down')}
          />
        ) : null}
        {layout ? (
          <DialogBox
            layout={layout}
            height={overlayHeight}
            offset={dialogOffset}
            upKeys={keysFor('dialog', 'page-up')}
            downKeys={keysFor('dialog', 'page-down')}
          />
        ) : null}
        {choice ? <ChoiceBox lines={choice} /> : null}
      </Box>
      {flash.map((l, n) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity but their place
        <Text key={`f${n}`} color={color('yellow')} wrap="truncate-end">
          {l || ' '}
        </Text>
      ))}
      {footer.map((l, n) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity but their place
        <Text key={`k${n}`} color={color('gray')} wrap="truncate-end">
          {armed ? l : ' '}
        </Text>
      ))}
    </Box>
  );
}
