import {Box, Text} from 'ink';
import type {Snapshot} from '../../wizard/controller.js';
import {StatusWord} from '../Bits.js';
import {clip} from '../text.js';
import {color} from '../theme.js';

export function StartScreen({snap, width}: {snap: Snapshot; width: number}) {
  const resume = snap.items.find((i) => i.id === snap.resumeAt);
  const changed = snap.items.filter((i) => i.changed);
  return (
    <Box flexDirection="column">
      <Text>
        <Text bold>Deployment </Text>
        {clip(snap.root, width - 11)}
      </Text>
      <Text>
        <Text bold>Pack       </Text>
        {clip(`${snap.pack.id} ${snap.pack.version}, ${snap.chosenBy}`, width - 11)}
      </Text>
      {snap.inputs.map((i) => (
        <Text key={i.id}>
          <Text bold>{`${i.id[0]!.toUpperCase()}${i.id.slice(1)}`.padEnd(11)}</Text>
          {i.value ? `${i.choices.find((c) => c.value === i.value)?.label ?? i.value} (${i.origin})` : 'not known yet: press i to choose'}
        </Text>
      ))}
      <Text>
        <Text bold>Answering  </Text>as {snap.who}
      </Text>
      {snap.recovered ? <Text color={color('yellow')}>The saved progress file could not be read; it was kept as {snap.recovered}</Text> : null}
      <Box marginTop={1} flexDirection="column">
        <Text>
          {snap.hadProgress ? `${snap.done} of ${snap.total} done` : `First pass: ${snap.total} items`}
          {changed.length > 0 ? `, ${changed.length} changed since last time` : ''}
          {snap.running > 0 ? `, checking ${snap.running}…` : ''}
        </Text>
        {resume ? (
          <Text>
            Press <Text bold>enter</Text> to {snap.hadProgress ? 'resume' : 'start'} at: {clip(resume.title, width - 30)}
            {resume.changed ? ' (changed)' : ''}
          </Text>
        ) : (
          <Text color={color('green')}>Every item is settled. Press s for the summary.</Text>
        )}
      </Box>
      {changed.length > 0 ? (
        <Box marginTop={1} flexDirection="column">
          <Text bold>Changed since last time</Text>
          {changed.slice(0, 6).map((i) => (
            <Text key={i.id}>
              {'  '}
              <StatusWord status={i.status} /> {clip(i.title, width - 10)}
            </Text>
          ))}
          {changed.length > 6 ? <Text>  … {changed.length - 6} more</Text> : null}
        </Box>
      ) : null}
    </Box>
  );
}
