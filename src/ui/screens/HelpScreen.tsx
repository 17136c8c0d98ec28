import {TALLY_LEGEND} from '../../engine/ledger.js';
import {STATUS_WORD} from '../../model/types.js';
import {BINDINGS, type Context, keyLabel} from '../key/keyBindings.js';
import {type Line, wrapSpans} from '../text.js';
import {color, statusColor} from '../theme.js';

const TITLES: [Context, string][] = [
  ['start', 'Start'],
  ['overview', 'Sections'],
  ['item', 'Item'],
  ['generate', 'Generate'],
  ['dialog', 'Answer form'],
  ['summary', 'Summary'],
];

const LABEL = 12;

/** Every key, then what each count and bar shade means (the same words as `shipshape check`). */
export function helpLines(width: number): Line[] {
  const lines: Line[] = wrapSpans([{text: 'Keys (answers are saved the moment you press enter; q or ctrl-c leaves at any time)', bold: true}], width);
  for (const [ctx, title] of TITLES) {
    const keys = BINDINGS.filter((b) => b.contexts.includes(ctx) && b.command !== 'quit')
      .map((b) => `${keyLabel(b)} ${b.label}`)
      .join(' · ');
    lines.push(...wrapSpans([{text: title.padEnd(LABEL), bold: true}, {text: keys}], width, LABEL));
  }
  lines.push([], ...wrapSpans([{text: 'Counts (the sections screen, the summary and shipshape check count alike)', bold: true}], width));
  for (const [k, meaning] of Object.entries(TALLY_LEGEND) as [keyof typeof TALLY_LEGEND, string][])
    lines.push(...wrapSpans([{text: STATUS_WORD[k].padEnd(LABEL), color: statusColor(k), bold: true}, {text: meaning}], width, LABEL));
  const more: [string, string][] = [
    ['done', 'settled: passes, waived, skipped, or confirmed by a person; a declined item is not done'],
    ['open', 'applies and is not done yet, failing ones included'],
  ];
  for (const [word, meaning] of more) lines.push(...wrapSpans([{text: word.padEnd(LABEL), bold: true}, {text: meaning}], width, LABEL));
  lines.push(
    ...wrapSpans(
      [
        {text: 'bar'.padEnd(LABEL), bold: true},
        {text: '█', color: color('green')},
        {text: ' done, '},
        {text: '▓', color: color('red')},
        {text: ' failing, '},
        {text: '░', color: color('gray')},
        {text: ' other open'},
      ],
      width,
      LABEL,
    ),
  );
  return lines;
}
