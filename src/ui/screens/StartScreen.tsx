import {basename, dirname} from 'node:path';
import {count} from '../../model/types.js';
import type {Snapshot} from '../../wizard/controller.js';
import {changeSpans, statusSpan} from '../Bits.js';
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
  const warn = (text: string, c = 'yellow'): Line[] => wrapSpans([{text, color: color(c)}], width, 2);
  const lines: Line[] = [
    ...field('Deployment', [{text: snap.root}], width),
    ...field('Pack', [{text: `${snap.pack.id} ${snap.pack.version}, ${snap.chosenBy}`}], width),
  ];
  for (const i of snap.inputs) {
    const value = i.value ? `${i.choices.find((c) => c.value === i.value)?.label ?? i.value} (${i.origin})` : 'not known yet: press i to choose';
    lines.push(...field(`${i.id[0]!.toUpperCase()}${i.id.slice(1)}`, [{text: value}], width));
    // A mode chosen by hand whose files are missing: every item of it would fail for nothing to read.
    if (i.warning)
      lines.push(
        ...wrapSpans([{text: ' '.repeat(LABEL)}, {text: `! ${i.warning} (i, then auto, goes back to detection)`, color: color('yellow')}], width, LABEL + 2),
      );
  }
  // "Answering  as alice": the label and its value read as one phrase.
  lines.push(...wrapSpans([{text: 'Answering  ', bold: true}, {text: `as ${snap.who || '\u2026'}`}], width, LABEL));
  const inside = dirname(snap.answersFile) === snap.root;
  lines.push(...field('Answers', [{text: inside ? `${basename(snap.answersFile)}, kept with the deployment` : snap.answersFile}], width));
  if (snap.answersProblem) lines.push(...warn(`Answers cannot be saved: ${snap.answersProblem}`, 'red'));
  if (snap.migrated > 0) lines.push(...warn(`${count(snap.migrated, 'answer')} moved into ${basename(snap.answersFile)} from your personal progress`, 'green'));
  if (snap.recovered) lines.push(...warn(`The saved progress file could not be read; it was kept as ${snap.recovered}`));
  lines.push([]);
  lines.push(
    ...wrapSpans(
      [
        {
          text: `${snap.hadProgress ? `${snap.done} of ${snap.total} done` : `First pass: ${count(snap.total, 'item')}`}${changed.length > 0 ? `, ${changed.length} changed since last time` : ''}${snap.running > 0 ? `, checking ${snap.running}…` : ''}`,
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
    lines.push([], [{text: 'Changed since last time (before -> now)', bold: true}]);
    for (const i of changed) {
      const was = i.change ? changeSpans(i.change) : [statusSpan(i.status, 0)];
      lines.push(...wrapSpans([{text: '  '}, ...was, {text: '  '}, {text: i.title}], width, 4));
    }
  }
  return lines;
}
