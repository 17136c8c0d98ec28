import {evidenceLine, STATUS_WORD} from '../../model/types.js';
import type {ItemView} from '../../wizard/controller.js';
import {spinnerSpan, statusSpan} from '../Bits.js';
import {type Line, wrapSpans} from '../text.js';
import {color} from '../theme.js';

const heading = (text: string): Line => [{text, bold: true}];

/** What a person said, in one line: the kind, who and when, and what they added. */
function answerLine(item: ItemView): string | undefined {
  const a = item.answer;
  if (!a) return undefined;
  const w = item.waiver;
  const owner = a.owner && a.owner !== a.by ? `, owned by ${a.owner}` : '';
  const unneeded = w?.unneeded ? ' (no longer needed)' : '';
  return `${a.kind} by ${a.by} on ${a.at.slice(0, 10)}${owner}${a.reason ? `: ${a.reason}` : ''}${a.expires ? ` (until ${a.expires})` : ''}${a.date ? ` (last done ${a.date})` : ''}${a.note ? `: ${a.note}` : ''}${unneeded}`;
}

/**
 * One item: what it is, why, what the checks found and where, how to fix it, what a person
 * said. Every word is kept: long text wraps, and the screen scrolls when it is taller than the
 * terminal.
 */
export function itemLines(item: ItemView, position: string, width: number): Line[] {
  const w = width;
  const evidence = (item.final?.evidence ?? []).map(evidenceLine);
  const answer = answerLine(item);
  const word = STATUS_WORD[item.status];
  const lines: Line[] = [
    ...wrapSpans(
      [
        ...(position ? [{text: `${position} `, color: color('gray')}] : []),
        {text: item.title, bold: true},
        {text: ' '},
        {text: `[${item.severity}]`, color: item.severity === 'critical' ? color('red') : undefined},
        ...(item.from ? [{text: ` from ${item.from}`, color: color('gray')}] : []),
      ],
      w,
    ),
    ...wrapSpans(
      [item.status === 'running' ? spinnerSpan('checking… (x skips)') : statusSpan(item.status, 0), {text: '  '}, {text: item.message}],
      w,
      item.status === 'running' ? 2 : word.length + 2,
    ),
  ];
  const banner = (text: string, c = 'yellow') => lines.push(...wrapSpans([{text, color: color(c)}], w, 2));
  if (item.changed) banner(`CHANGED since you last saw this item${item.change ? `: ${STATUS_WORD[item.change.from]} -> ${STATUS_WORD[item.change.to]}` : ''}`);
  if (item.reconfirm) banner('RECONFIRM: the evidence changed after it was confirmed');
  if (item.waiverExpired) banner(`WAIVER EXPIRED on ${item.answer?.expires}: the item is open again`);
  // Fixed while waived: it passes on its own, and a waiver nobody needs hides the next regression.
  if (item.waiver?.unneeded) banner('WAIVER NO LONGER NEEDED: the item passes on its own now. Press u to remove the waiver.', 'green');
  lines.push(heading('Why'), ...wrapSpans([{text: `  ${item.why}`}], w, 2));
  if (evidence.length > 0) {
    lines.push(heading('Evidence'));
    for (const e of evidence) lines.push(...wrapSpans([{text: `  ${e}`}], w, 4));
  }
  lines.push(heading('How to fix'), ...wrapSpans([{text: `  ${item.how}`}], w, 2));
  if (item.generator)
    lines.push(
      ...wrapSpans(
        [{text: `Generate: press g for a new value (${item.generator}); you see the change, masked, before anything is written`, color: color('cyan')}],
        w,
        2,
      ),
    );
  if (item.confirm) lines.push(...wrapSpans([{text: `Question: ${item.confirm.question}`, color: color('cyan')}], w, 2));
  if (answer) lines.push(...wrapSpans([{text: `Answer: ${answer}`, color: color('green')}], w, 2));
  if (item.note) lines.push(...wrapSpans([{text: `Note: ${item.note.text} (${item.note.by})`}], w, 2));
  return lines;
}
