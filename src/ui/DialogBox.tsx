import {Box, Text} from 'ink';
import type {Choice, Dialog} from '../wizard/navigation.js';
import {clip} from './text.js';
import {color} from './theme.js';

const TITLE: Record<Dialog['kind'], string> = {confirm: 'Confirm', decline: 'Decline', waive: 'Waive', note: 'Note'};

export function DialogBox({dialog, question, width}: {dialog: Dialog; question?: string; width: number}) {
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      <Text bold>
        {TITLE[dialog.kind]}
        {question ? `: ${clip(question, width - 16)}` : ''}
      </Text>
      {dialog.fields.map((f, n) => (
        <Text key={f.name}>
          {n === dialog.focus ? '▸ ' : '  '}
          {f.label}: {f.value}
          {n === dialog.focus ? <Text inverse> </Text> : null}
          {f.value === '' && f.hint ? <Text color={color('gray')}> ({f.hint})</Text> : null}
        </Text>
      ))}
      {dialog.error ? <Text color={color('red')}>! {dialog.error}</Text> : null}
    </Box>
  );
}

export function ChoiceBox({choice}: {choice: Choice}) {
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      <Text bold>{choice.question}</Text>
      {choice.options.map((o, n) => (
        <Text key={o.value} inverse={n === choice.cursor}>
          {n === choice.cursor ? '▸ ' : '  '}
          {o.label} ({o.value})
        </Text>
      ))}
    </Box>
  );
}
