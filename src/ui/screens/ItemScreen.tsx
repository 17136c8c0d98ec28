import {Box, Text} from 'ink';
import type {ItemView} from '../../wizard/controller.js';
import {Spinner, StatusWord} from '../Bits.js';
import {clip, fit, wrap} from '../text.js';
import {color} from '../theme.js';

/** One item: what it is, why, what the checks found and where, how to fix it, what a person said. */
export function ItemScreen({item, position, width, height}: {item: ItemView; position: string; width: number; height: number}) {
  const w = width - 2;
  const evidence = (item.final?.evidence ?? []).map((e) => `${e.file ? `${e.file}${e.line ? `:${e.line}` : ''} ` : ''}${e.key && !e.detail.includes(e.key) ? `${e.key}: ` : ''}${e.detail}`);
  const answer = item.answer;
  const answerLine = answer
    ? `${answer.kind} by ${answer.by} on ${answer.at.slice(0, 10)}${answer.reason ? `: ${answer.reason}` : ''}${answer.expires ? ` (until ${answer.expires})` : ''}${answer.date ? ` (last done ${answer.date})` : ''}${answer.note ? `: ${answer.note}` : ''}`
    : undefined;
  // Lines left for why, evidence and how once the fixed lines are counted; each gets what it
  // needs when all fit, otherwise evidence keeps at least a few lines and the prose is cut.
  const fixed = 5 + (answerLine ? 1 : 0) + (item.note ? 1 : 0) + (item.confirm ? 1 : 0) + (item.changed || item.reconfirm || item.waiverExpired ? 1 : 0) + (evidence.length > 0 ? 1 : 0);
  const room = Math.max(height - fixed, 6);
  const whyAll = wrap(item.why, w - 2);
  const howAll = wrap(item.how, w - 2);
  const evAll = evidence.map((e) => clip(e, w - 2));
  let [whyN, howN, evN] = [whyAll.length, howAll.length, evAll.length];
  while (whyN + howN + evN > room) {
    if (evN > 3 && evN >= Math.max(whyN, howN)) evN--;
    else if (whyN >= howN && whyN > 1) whyN--;
    else if (howN > 1) howN--;
    else if (evN > 1) evN--;
    else break;
  }
  const why = fit(whyAll, whyN);
  const how = fit(howAll, howN);
  const ev = fit(evAll, evN);
  return (
    <Box flexDirection="column">
      <Text>
        <Text color={color('gray')}>{position} </Text>
        <Text bold>{clip(item.title, w - position.length - 12)}</Text> <Text color={item.severity === 'critical' ? color('red') : undefined}>[{item.severity}]</Text>
      </Text>
      <Text>
        {item.status === 'running' ? <Spinner label="checking… (x skips)" /> : <StatusWord status={item.status} />} {clip(item.message, w - 8)}
      </Text>
      {item.changed ? <Text color={color('yellow')}>CHANGED since you last saw this item</Text> : null}
      {item.reconfirm ? <Text color={color('yellow')}>RECONFIRM: the evidence changed after it was confirmed</Text> : null}
      {item.waiverExpired ? <Text color={color('yellow')}>WAIVER EXPIRED on {item.answer?.expires}: the item is open again</Text> : null}
      <Text bold>Why</Text>
      {why.map((l, n) => (
        <Text key={`w${n}`}>  {l}</Text>
      ))}
      {ev.length > 0 ? <Text bold>Evidence</Text> : null}
      {ev.map((l, n) => (
        <Text key={`e${n}`} wrap="truncate-end">
          {'  '}
          {l}
        </Text>
      ))}
      <Text bold>How to fix</Text>
      {how.map((l, n) => (
        <Text key={`h${n}`}>  {l}</Text>
      ))}
      {item.confirm ? <Text color={color('cyan')}>Question: {clip(item.confirm.question, w - 10)}</Text> : null}
      {answerLine ? <Text color={color('green')}>Answer: {clip(answerLine, w - 8)}</Text> : null}
      {item.note ? <Text>Note: {clip(`${item.note.text} (${item.note.by})`, w - 6)}</Text> : null}
    </Box>
  );
}
