import {Box, Text} from 'ink';
import type {Choice, Dialog} from '../wizard/navigation.js';
import {type Line, wrapSpans} from './text.js';
import {color} from './theme.js';
import {Rows, Viewport} from './Viewport.js';

const TITLE: Record<Dialog['kind'], string> = {confirm: 'Confirm', decline: 'Decline', waive: 'Waive', note: 'Note', replace: 'Replace'};

/** Border and padding around a box's text: two columns each side, a row above and below. */
const FRAME_W = 4;
const FRAME_H = 2;

export interface DialogLayout {
  /** The title and, for confirm and decline, the full question being answered. */
  head: Line[];
  /** The fields, each wrapped in full, and the error. */
  body: Line[];
}

export function dialogLayout(dialog: Dialog, question: string | undefined, width: number): DialogLayout {
  const inner = Math.max(width - FRAME_W, 10);
  const asks = question && (dialog.kind === 'confirm' || dialog.kind === 'decline');
  const head =
    dialog.kind === 'replace'
      ? wrapSpans([{text: `Replace the existing value of ${dialog.itemId}: type the item id to go on`, bold: true}], inner, 2)
      : wrapSpans([{text: `${TITLE[dialog.kind]}${asks ? `: ${question}` : ''}`, bold: true}], inner, 2);
  const body = dialog.fields.flatMap((f, n) => {
    const on = n === dialog.focus;
    return wrapSpans(
      [
        {text: `${on ? '▸ ' : '  '}${f.label}: `},
        {text: f.value},
        // The caret is a node, so wrapping never drops it as a trailing space.
        ...(on ? [{text: ' ', node: <Text inverse> </Text>}] : []),
        ...(f.value === '' && f.hint ? [{text: ` (${f.hint})`, color: color('gray')}] : []),
      ],
      inner,
      4,
    );
  });
  if (dialog.error) body.push(...wrapSpans([{text: `! ${dialog.error}`, color: color('red')}], inner, 2));
  return {head, body};
}

/** Rows the dialog needs to show everything at once. */
export function dialogHeight(layout: DialogLayout): number {
  return FRAME_H + layout.head.length + layout.body.length;
}

/** Rows left for the title and question when the dialog has `height` rows. */
export function headRoom(layout: DialogLayout, height: number): number {
  return Math.max(height - FRAME_H - layout.body.length, 1);
}

/**
 * An answer form in `height` rows at most: the fields always show; the question gets the rest
 * and scrolls with the page keys when it is longer.
 */
export function DialogBox({
  layout,
  height,
  offset,
  upKeys,
  downKeys,
}: {
  layout: DialogLayout;
  height: number;
  offset: number;
  upKeys: string;
  downKeys: string;
}) {
  const room = headRoom(layout, height);
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1} flexShrink={0}>
      <Viewport lines={layout.head} height={room} offset={offset} upKeys={upKeys} downKeys={downKeys} />
      <Rows lines={layout.body} />
    </Box>
  );
}

export function choiceLines(choice: Choice, width: number): Line[] {
  const inner = Math.max(width - FRAME_W, 10);
  return [
    ...wrapSpans([{text: choice.question, bold: true}], inner),
    ...choice.options.flatMap((o, n) =>
      wrapSpans([{text: `${n === choice.cursor ? '▸ ' : '  '}${o.label} (${o.value})`, inverse: n === choice.cursor ? true : undefined}], inner, 4),
    ),
  ];
}

export function choiceHeight(lines: Line[]): number {
  return FRAME_H + lines.length;
}

export function ChoiceBox({lines}: {lines: Line[]}) {
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1} flexShrink={0}>
      <Rows lines={lines} />
    </Box>
  );
}
