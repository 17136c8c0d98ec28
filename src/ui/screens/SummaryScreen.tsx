import {emptyTally, type Tally} from '../../engine/ledger.js';
import {STATUS_WORD} from '../../model/types.js';
import type {SectionView, Wizard} from '../../wizard/controller.js';
import {statusSpan, STATUS_COLUMN} from '../Bits.js';
import {type Line, type Span, wrapSpans} from '../text.js';
import {color, statusColor} from '../theme.js';

const ORDER = ['pass', 'fail', 'warn', 'error', 'manual', 'skip'] as const;

/** The pack's Tally: the sections' counts added up, so the summary and the sections screen agree. */
export function totalTally(sections: readonly Pick<SectionView, 'tally'>[]): Tally {
  const t = emptyTally();
  for (const s of sections) for (const k of Object.keys(t) as (keyof Tally)[]) t[k] += s.tally[k];
  return t;
}

/**
 * Totals, what is still open, what to do next and every waiver, then each open item. Nothing is
 * cut: the list is as long as it is, and the screen scrolls.
 */
export function summaryLines(summary: ReturnType<Wizard['summary']>, tally: Tally, width: number): Line[] {
  const s = summary.openBySeverity;
  const shown = tally.pending > 0 ? [...ORDER, 'pending' as const] : ORDER;
  const totals: Span[] = shown.flatMap((k, n) => [
    ...(n > 0 ? [{text: '   '}] : []),
    {text: STATUS_WORD[k], color: statusColor(k), bold: true},
    {text: ` ${tally[k]}`},
  ]);
  const lines: Line[] = [
    ...wrapSpans(totals, width),
    ...wrapSpans([{text: 'Counted like shipshape check; SKIP: waived or not applicable · ? explains', color: color('gray')}], width),
    ...wrapSpans(
      [{text: 'Still open: '}, {text: `${s.critical} critical`, color: color('red')}, {text: `, ${s.high} high, ${s.medium} medium, ${s.low} low`}],
      width,
    ),
    [],
    ...wrapSpans(
      [
        {
          text:
            summary.open.length === 0
              ? 'Next: every item is settled. Export a signed record of this pass (shipshape export, coming next).'
              : 'Next: press enter to go to the first open item, or run shipshape check in CI to keep it this way.',
        },
      ],
      width,
      6,
    ),
  ];
  if (summary.waivers.length > 0) {
    lines.push([], [{text: 'Waivers', bold: true}]);
    for (const w of summary.waivers) {
      const owner = w.owner && w.owner !== w.by ? `, owned by ${w.owner}` : '';
      const text = `${w.id}: ${w.reason} (${w.by}${owner}${w.expires ? `, ${w.expired ? 'expired' : 'until'} ${w.expires}` : ', no expiry'})${w.unneeded ? ': no longer needed, the item passes; u on the item removes it' : ''}`;
      lines.push(...wrapSpans([{text: `  ${text}`, color: w.expired ? color('yellow') : w.unneeded ? color('green') : undefined}], width, 4));
    }
  }
  if (summary.open.length > 0) {
    lines.push([], [{text: 'Open items', bold: true}]);
    for (const i of summary.open)
      lines.push(...wrapSpans([{text: '  '}, statusSpan(i.status), {text: ` ${i.severity.padEnd(8)} `}, {text: i.title}], width, STATUS_COLUMN + 12));
  }
  return lines;
}
