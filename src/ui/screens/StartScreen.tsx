import type {Snapshot} from '../../wizard/controller.js';
import {statusSpan} from '../Bits.js';
import {type Line, type Span, wrapSpans} from '../text.js';
import {color} from '../theme.js';

const LABEL = 11;

/** "Label      value", the value wrapping under itself. */
function field(label: string, value: Span[], width: number): Line[] {
  return wrapSpans([{text: label.padEnd(LABEL), bold: true}, ...value], width, LABEL);
}

export function startLines(snap: Snapshot, width: number): Line[] {
  const resume = snap.items.find((i) => i.id === snap.resumeAt);
  const changed = snap.items.filter((i) => i.changed);
  const lines: Line[] = [
    ...field('Deployment', [{text: snap.root}], width),
    ...field('Pack', [{text: `${snap.pack.id} ${snap.pack.version}, ${snap.chosenBy}`}], width),
  ];
  for (const i of snap.inputs) {
    const value = i.value ? `${i.choices.find((c) => c.value === i.value)?.label ?? i.value} (${i.origin})` : 'not known yet: press i to choose';
    lines.push(...field(`${i.id[0]!.toUpperCase()}${i.id.slice(1)}`, [{text: value}], width));
  }
  // "Answering  as alice": the label and its value read as one phrase.
  lines.push(...wrapSpans([{text: 'Answering  ', bold: true}, {text: `as ${snap.who}`}], width, LABEL));
  if (snap.recovered)
    lines.push(...wrapSpans([{text: `The saved progress file could not be read; it was kept as ${snap.recovered}`, color: color('yellow')}], width, 2));
  lines.push([]);
  lines.push(
    ...wrapSpans(
      [
        {
          text: `${snap.hadProgress ? `${snap.done} of ${snap.total} done` : `First pass: ${snap.total} items`}${changed.length > 0 ? `, ${changed.length} changed since last time` : ''}${snap.running > 0 ? `, checking ${snap.running}…` : ''}`,
        },
      ],
      width,
    ),
  );
  if (resume) {
    lines.push(
      ...wrapSpans(
        [
          {text: 'Press '},
          {text: 'enter', bold: true},
          {text: ` to ${snap.hadProgress ? 'resume' : 'start'} at: ${resume.title}${resume.changed ? ' (changed)' : ''}`},
        ],
        width,
        2,
      ),
    );
  } else {
    lines.push(...wrapSpans([{text: 'Every item is settled. Press s for the summary.', color: color('green')}], width));
  }
  if (changed.length > 0) {
    lines.push([], [{text: 'Changed since last time', bold: true}]);
    for (const i of changed) lines.push(...wrapSpans([{text: '  '}, statusSpan(i.status), {text: ' '}, {text: i.title}], width, 8));
  }
  return lines;
}
