import type {ItemView} from '../../wizard/controller.js';
import type {GenerateView} from '../../wizard/navigation.js';
import {spinnerSpan, statusSpan} from '../Bits.js';
import {type Line, wrapSpans} from '../text.js';
import {color} from '../theme.js';

const heading = (text: string): Line => [{text, bold: true}];

/** A unified diff's line coloured by what it does; it wraps under itself, never cut. */
function diffLine(line: string, width: number): Line[] {
  if (line === '') return [[]];
  const c =
    line.startsWith('+++') || line.startsWith('---')
      ? undefined
      : line.startsWith('+')
        ? 'green'
        : line.startsWith('-')
          ? 'red'
          : line.startsWith('@@')
            ? 'cyan'
            : undefined;
  return wrapSpans([{text: line, color: c ? color(c) : undefined, bold: line.startsWith('+++') || line.startsWith('---') ? true : undefined}], width, 2);
}

/**
 * A generator's change for one item: preparing, the masked preview to agree to, and what was
 * written. It shows only what the wizard's plan calls safe to show: file and key names, notes,
 * and a diff whose secret values are masked. The values themselves are never on screen.
 */
export function generateLines(view: GenerateView, item: ItemView | undefined, width: number): Line[] {
  const w = width;
  const lines: Line[] = wrapSpans(
    [
      {text: 'Generate: ', bold: true},
      {text: item?.title ?? view.itemId, bold: true},
      ...(item?.generator ? [{text: ` (${item.generator})`, color: color('gray')}] : []),
    ],
    w,
    2,
  );
  const say = (text: string, c?: string) => lines.push(...wrapSpans([{text, color: c ? color(c) : undefined}], w, 2));
  switch (view.phase) {
    case 'preparing':
      lines.push(...wrapSpans([spinnerSpan('preparing the change…')], w, 2));
      if (view.replace) say('The existing value will be replaced.', 'yellow');
      break;
    case 'preview': {
      if (view.replace) say('This REPLACES the existing value.', 'yellow');
      lines.push(heading('Will write'));
      for (const s of view.summary.length > 0 ? view.summary : ['nothing: the files already hold what this generator makes']) say(`  ${s}`);
      if (view.notes.length > 0) {
        lines.push(heading('Notes'));
        for (const n of view.notes) say(`  ${n}`, 'yellow');
      }
      lines.push(heading('Preview (secret values masked)'));
      for (const l of view.preview.replace(/\n$/, '').split('\n')) lines.push(...diffLine(l, w));
      lines.push([]);
      say('Press enter to write these files (each file replaced keeps a backup, secrets are written 0600), or esc to leave them as they are.', 'cyan');
      break;
    }
    case 'writing':
      lines.push(...wrapSpans([spinnerSpan('writing, then checking again…')], w, 2));
      break;
    case 'written': {
      say(`Written: ${view.written.length > 0 ? view.written.join(', ') : 'nothing'}`, 'green');
      if (view.backups.length > 0) say(`Backups: ${view.backups.join(', ')}`);
      if (item) {
        const running = item.status === 'running' || item.status === 'pending';
        lines.push(
          ...wrapSpans(
            [{text: 'Checked again: '}, running ? spinnerSpan('checking…') : statusSpan(item.status, 0), {text: running ? '' : `  ${item.message}`}],
            w,
            2,
          ),
        );
      }
      say('The new value is in the files only: it is never shown here. Press enter or esc to go back to the item.');
      break;
    }
    case 'error':
      say(`Could not generate: ${view.message}`, 'red');
      if (view.replaceable) say(`Press r to replace it anyway: you will type the item id (${view.itemId}) to agree.`, 'yellow');
      say('Press esc to go back to the item.');
      break;
  }
  return lines;
}
