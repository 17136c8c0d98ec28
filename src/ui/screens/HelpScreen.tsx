import {BINDINGS, type Context, keyLabel} from '../key/keyBindings.js';
import {type Line, wrapSpans} from '../text.js';

const TITLES: [Context, string][] = [
  ['start', 'Start'],
  ['overview', 'Sections'],
  ['item', 'Item'],
  ['dialog', 'Answer form'],
  ['summary', 'Summary'],
];

const LABEL = 12;

export function helpLines(width: number): Line[] {
  const lines: Line[] = wrapSpans([{text: 'Keys (answers are saved the moment you press enter; q or ctrl-c leaves at any time)', bold: true}], width);
  for (const [ctx, title] of TITLES) {
    const keys = BINDINGS.filter((b) => b.contexts.includes(ctx) && b.command !== 'quit')
      .map((b) => `${keyLabel(b)} ${b.label}`)
      .join(' · ');
    lines.push(...wrapSpans([{text: title.padEnd(LABEL), bold: true}, {text: keys}], width, LABEL));
  }
  return lines;
}
