import {Box, Text} from 'ink';
import type {Snapshot} from '../../wizard/controller.js';
import {ProgressBar} from '../Bits.js';
import {clip} from '../text.js';
import {color} from '../theme.js';

export function OverviewScreen({snap, cursor, width, openBySeverity}: {snap: Snapshot; cursor: number; width: number; openBySeverity: Record<string, number>}) {
  const nameW = Math.min(Math.max(...snap.sections.map((s) => s.title.length)), Math.max(width - 46, 12));
  const barW = Math.max(Math.min(width - nameW - 40, 20), 6);
  return (
    <Box flexDirection="column">
      <Text bold>
        {'  '}
        {'Section'.padEnd(nameW)} {'progress'.padEnd(barW)}  done  pass  fail  todo
      </Text>
      {snap.sections.map((s, n) => {
        const c = s.counts;
        const done = c.pass + c.answered + c.skip;
        return (
          <Text key={s.id} inverse={n === cursor}>
            {n === cursor ? '▸ ' : '  '}
            {clip(s.title, nameW).padEnd(nameW)} <ProgressBar done={done} bad={c.fail} total={c.total} width={barW} />
            {`  ${`${done}/${c.total}`.padStart(5)} ${String(c.pass).padStart(5)} ${String(c.fail).padStart(5)} ${String(c.pending).padStart(5)}`}
          </Text>
        );
      })}
      <Box marginTop={1} flexDirection="column">
        <Text>
          Overall {snap.done}/{snap.total} done{snap.running > 0 ? `, checking ${snap.running}…` : ''}. Still open:{' '}
          <Text color={color('red')}>{openBySeverity.critical} critical</Text>, {openBySeverity.high} high, {openBySeverity.medium} medium, {openBySeverity.low} low
        </Text>
        {snap.changed.length > 0 ? <Text color={color('yellow')}>{snap.changed.length} items changed since last time; they come first.</Text> : null}
      </Box>
    </Box>
  );
}
