import {Box, Text} from 'ink';
import type {Wizard} from '../../wizard/controller.js';
import {StatusWord} from '../Bits.js';
import {clip} from '../text.js';
import {color, STATUS_WORD, statusColor} from '../theme.js';

export function SummaryScreen({summary, width, height}: {summary: ReturnType<Wizard['summary']>; width: number; height: number}) {
  const order = ['pass', 'fail', 'warn', 'error', 'manual', 'skip'] as const;
  const s = summary.openBySeverity;
  const room = Math.max(height - 8 - Math.min(summary.waivers.length, 4), 2);
  return (
    <Box flexDirection="column">
      <Text>
        {order.map((k) => (
          <Text key={k}>
            <Text color={statusColor(k)} bold>
              {STATUS_WORD[k]}
            </Text>{' '}
            {summary.byStatus[k] ?? 0}
            {'   '}
          </Text>
        ))}
      </Text>
      <Text>
        Still open: <Text color={color('red')}>{s.critical} critical</Text>, {s.high} high, {s.medium} medium, {s.low} low
      </Text>
      {summary.open.slice(0, room).map((i) => (
        <Text key={i.id}>
          {'  '}
          <StatusWord status={i.status} /> {i.severity.padEnd(8)} {clip(i.title, width - 20)}
        </Text>
      ))}
      {summary.open.length > room ? <Text>  … {summary.open.length - room} more (o for sections)</Text> : null}
      {summary.waivers.length > 0 ? <Text bold>Waivers</Text> : null}
      {summary.waivers.slice(0, 4).map((w) => (
        <Text key={w.id} color={w.expired ? color('yellow') : undefined}>
          {'  '}
          {clip(`${w.id}: ${w.reason} (${w.by}${w.expires ? `, ${w.expired ? 'expired' : 'until'} ${w.expires}` : ', no expiry'})`, width - 4)}
        </Text>
      ))}
      <Box marginTop={1}>
        <Text>
          {summary.open.length === 0
            ? 'Next: every item is settled. Export a signed record of this pass (shipshape export, coming next).'
            : 'Next: press enter to go to the first open item, or run shipshape check in CI to keep it this way.'}
        </Text>
      </Box>
    </Box>
  );
}
