import type {Wizard} from '../../wizard/controller.js';
import {statusSpan} from '../Bits.js';
import {type Line, type Span, wrapSpans} from '../text.js';
import {color, STATUS_WORD, statusColor} from '../theme.js';

const ORDER = ['pass', 'fail', 'warn', 'error', 'manual', 'skip'] as const;

/**
 * Totals, what is still open, what to do next and every waiver, then each open item. Nothing is
 * cut: the list is as long as it is, and the screen scrolls.
 */
export function summaryLines(summary: ReturnType<Wizard['summary']>, width: number): Line[] {
  const s = summary.openBySeverity;
  const totals: Span[] = ORDER.flatMap((k, n) => [
    ...(n > 0 ? [{text: '   '}] : []),
    {text: STATUS_WORD[k], color: statusColor(k), bold: true},
    {text: ` ${summary.byStatus[k] ?? 0}`},
  ]);
  const lines: Line[] = [
    ...wrapSpans(totals, width),
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
      const text = `${w.id}: ${w.reason} (${w.by}${w.expires ? `, ${w.expired ? 'expired' : 'until'} ${w.expires}` : ', no expiry'})`;
      lines.push(...wrapSpans([{text: `  ${text}`, color: w.expired ? color('yellow') : undefined}], width, 4));
    }
  }
  if (summary.open.length > 0) {
    lines.push([], [{text: 'Open items', bold: true}]);
    for (const i of summary.open)
      lines.push(...wrapSpans([{text: '  '}, statusSpan(i.status), {text: ` ${i.severity.padEnd(8)} `}, {text: i.title}], width, 17));
  }
  return lines;
}
