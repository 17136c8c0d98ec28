import type {Snapshot} from '../../wizard/controller.js';
import {count} from '../../model/types.js';
import {barSpans} from '../Bits.js';
import {cellWidth, type Line, wrap, wrapSpans} from '../text.js';
import {color} from '../theme.js';

/** Columns taken by "  done  pass  fail  open" and the cursor mark. */
const NUMBERS = 25;
const MARK = 2;

/**
 * The sections as a table, and which row of the result holds the cursor (so the screen can
 * keep it in view). Names get their full width first; the bar goes when there is no room for
 * it, and a name that still does not fit wraps inside its column.
 */
export function overviewLines(snap: Snapshot, cursor: number, width: number, openBySeverity: Record<string, number>): {lines: Line[]; focus: number} {
  const longest = Math.max(...snap.sections.map((s) => cellWidth(s.title)), 'Section'.length);
  const withBar = width - MARK - longest - 1 - NUMBERS;
  const barW = withBar >= 6 ? Math.min(withBar, 20) : 0;
  const nameW = barW > 0 ? longest : Math.max(Math.min(longest, width - MARK - 1 - NUMBERS), 8);
  const gap = barW > 0 ? ' '.repeat(barW + 1) : '';
  // The totals first: the table below scrolls with its cursor, so nothing after it could be reached.
  const s = openBySeverity;
  const lines: Line[] = [
    ...wrapSpans(
      [
        {text: `Overall ${snap.done}/${snap.total} done${snap.running > 0 ? `, checking ${snap.running}…` : ''}. Still open: `},
        {text: `${s.critical} critical`, color: color('red')},
        {text: `, ${s.high} high, ${s.medium} medium, ${s.low} low`},
      ],
      width,
    ),
  ];
  if (snap.changed.length > 0)
    lines.push(...wrapSpans([{text: `${count(snap.changed.length, 'item')} changed since last time; they come first.`, color: color('yellow')}], width));
  lines.push(...legendLines(width, barW > 0));
  lines.push([], [{text: `  ${'Section'.padEnd(nameW)} ${barW > 0 ? `${'progress'.padEnd(barW)} ` : ''} done  pass  fail  open`, bold: true}]);
  let focus = 0;
  snap.sections.forEach((s, n) => {
    const c = s.tally;
    const done = c.done;
    const on = n === cursor;
    const names = wrap(s.title, nameW);
    const pad = (t: string) => t + ' '.repeat(Math.max(nameW - cellWidth(t), 0));
    if (on) focus = lines.length;
    const numbers = `  ${`${done}/${c.applicable}`.padStart(5)} ${String(c.pass).padStart(5)} ${String(c.fail).padStart(5)} ${String(c.applicable - done).padStart(5)}`;
    const inv = on ? true : undefined;
    lines.push([
      {text: `${on ? '▸ ' : '  '}${pad(names[0] ?? '')} `, inverse: inv},
      ...(barW > 0 ? barSpans({done, bad: c.fail, total: c.applicable, width: barW}).map((b) => ({...b, inverse: inv})) : []),
      {text: numbers, inverse: inv},
    ]);
    for (const more of names.slice(1)) lines.push([{text: `  ${pad(more)}${gap}`, inverse: inv}]);
  });
  return {lines, focus};
}

/**
 * The key to the bar and the columns, in one line where it fits: the counts are the Tally
 * (engine/ledger.ts), the same as the summary and `shipshape check`; ? explains each word.
 */
export function legendLines(width: number, bar: boolean): Line[] {
  return wrapSpans(
    [
      ...(bar
        ? [
            {text: '█', color: color('green')},
            {text: ' done '},
            {text: '▓', color: color('red')},
            {text: ' fail '},
            {text: '░', color: color('gray')},
            {text: ' other open · '},
          ]
        : []),
      {text: 'done: passes, skipped or waived · ? explains'},
    ],
    width,
    2,
  );
}
