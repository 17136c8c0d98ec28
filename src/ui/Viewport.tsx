import {Box, Text} from 'ink';
import {windowOf} from './scroll.js';
import type {Line} from './text.js';
import {color} from './theme.js';

/** Laid-out rows, one <Text> each; Ink never wraps them again. */
export function Rows({lines}: {lines: Line[]}) {
  return (
    <>
      {lines.map((line, n) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity but their place
        <Text key={n} wrap="truncate-end">
          {line.length === 0
            ? ' '
            : line.map((s, k) =>
                s.node !== undefined ? (
                  // biome-ignore lint/suspicious/noArrayIndexKey: spans have no identity but their place
                  <Text key={k}>{s.node}</Text>
                ) : (
                  // biome-ignore lint/suspicious/noArrayIndexKey: spans have no identity but their place
                  <Text key={k} color={s.color} bold={s.bold} inverse={s.inverse}>
                    {s.text}
                  </Text>
                ),
              )}
        </Text>
      ))}
    </>
  );
}

const more = (n: number) => `${n} more line${n === 1 ? '' : 's'}`;

/**
 * At most `height` rows of `lines` from `offset`. When rows are hidden it says so and how to
 * reach them ("↓ 5 more lines · ↓/PgDn"); `focus` (a list's cursor row) is always in view.
 */
export function Viewport({
  lines,
  height,
  offset,
  focus,
  upKeys,
  downKeys,
}: {
  lines: Line[];
  height: number;
  offset: number;
  focus?: number;
  upKeys?: string;
  downKeys?: string;
}) {
  const win = windowOf(lines.length, height, offset, focus);
  const marks = height >= 3;
  return (
    <Box flexDirection="column" flexShrink={0}>
      {marks && win.above > 0 ? (
        <Text color={color('cyan')} wrap="truncate-end">
          ↑ {more(win.above)}
          {upKeys ? ` · ${upKeys}` : ''}
        </Text>
      ) : null}
      <Rows lines={lines.slice(win.start, win.end)} />
      {marks && win.below > 0 ? (
        <Text color={color('cyan')} wrap="truncate-end">
          ↓ {more(win.below)}
          {downKeys ? ` · ${downKeys}` : ''}
        </Text>
      ) : null}
    </Box>
  );
}
