import type {ItemView} from '../../wizard/controller.js';
import {spinnerSpan, statusSpan} from '../Bits.js';
import {type Line, wrapSpans} from '../text.js';
import {color} from '../theme.js';

const heading = (text: string): Line => [{text, bold: true}];

/**
 * One item: what it is, why, what the checks found and where, how to fix it, what a person
 * said. Every word is kept: long text wraps, and the screen scrolls when it is taller than the
 * terminal.
 */
export function itemLines(item: ItemView, position: string, width: number): Line[] {
  const w = width;
  const evidence = (item.final?.evidence ?? []).map(
    (e) => `${e.file ? `${e.file}${e.line ? `:${e.line}` : ''} ` : ''}${e.key && !e.detail.includes(e.key) ? `${e.key}: ` : ''}${e.detail}`,
  );
  const answer = item.answer;
  const answerLine = answer
    ? `${answer.kind} by ${answer.by} on ${answer.at.slice(0, 10)}${answer.reason ? `: ${answer.reason}` : ''}${answer.expires ? ` (until ${answer.expires})` : ''}${answer.date ? ` (last done ${answer.date})` : ''}${answer.note ? `: ${answer.note}` : ''}`
    : undefined;
  const lines: Line[] = [
    ...wrapSpans(
      [
        ...(position ? [{text: `${position} `, color: color('gray')}] : []),
        {text: item.title, bold: true},
        {text: ' '},
        {text: `[${item.severity}]`, color: item.severity === 'critical' ? color('red') : undefined},
      ],
      w,
    ),
    ...wrapSpans([item.status === 'running' ? spinnerSpan('checking… (x skips)') : statusSpan(item.status), {text: ' '}, {text: item.message}], w, 6),
  ];
  const banner = (text: string) => lines.push(...wrapSpans([{text, color: color('yellow')}], w, 2));
  if (item.changed) banner('CHANGED since you last saw this item');
  if (item.reconfirm) banner('RECONFIRM: the evidence changed after it was confirmed');
  if (item.waiverExpired) banner(`WAIVER EXPIRED on ${item.answer?.expires}: the item is open again`);
  lines.push(heading('Why'), ...wrapSpans([{text: `  ${item.why}`}], w, 2));
  if (evidence.length > 0) {
    lines.push(heading('Evidence'));
    for (const e of evidence) lines.push(...wrapSpans([{text: `  ${e}`}], w, 4));
  }
  lines.push(heading('How to fix'), ...wrapSpans([{text: `  ${item.how}`}], w, 2));
  if (item.confirm) lines.push(...wrapSpans([{text: `Question: ${item.confirm.question}`, color: color('cyan')}], w, 2));
  if (answerLine) lines.push(...wrapSpans([{text: `Answer: ${answerLine}`, color: color('green')}], w, 2));
  if (item.note) lines.push(...wrapSpans([{text: `Note: ${item.note.text} (${item.note.by})`}], w, 2));
  return lines;
}
