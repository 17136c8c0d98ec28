import {Box, Text} from 'ink';
import {BINDINGS, keyLabel, type Context} from '../key/keyBindings.js';

const TITLES: [Context, string][] = [
  ['start', 'Start'],
  ['overview', 'Sections'],
  ['item', 'Item'],
  ['dialog', 'Answer form'],
  ['summary', 'Summary'],
];

export function HelpScreen() {
  return (
    <Box flexDirection="column">
      <Text bold>Keys (answers are saved the moment you press enter; q or ctrl-c leaves at any time)</Text>
      {TITLES.map(([ctx, title]) => (
        <Text key={ctx}>
          <Text bold>{title.padEnd(12)}</Text>
          {BINDINGS.filter((b) => b.contexts.includes(ctx) && b.command !== 'quit')
            .map((b) => `${keyLabel(b)} ${b.label}`)
            .join(' · ')}
        </Text>
      ))}
    </Box>
  );
}
