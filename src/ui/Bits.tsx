import {Text} from 'ink';
import {useEffect, useState} from 'react';
import {STATUS_WORD} from '../model/types.js';
import type {LiveStatus} from '../wizard/controller.js';
import type {Span} from './text.js';
import {color, statusColor} from './theme.js';

/** The widest word a list shows in its status column (MANUAL); longer ones push the row. */
export const STATUS_COLUMN = 6;

export function StatusWord({status, width = 0}: {status: LiveStatus; width?: number}) {
  return (
    <Text color={statusColor(status)} bold>
      {STATUS_WORD[status].padEnd(width)}
    </Text>
  );
}

const SPIN = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** Turns while checks run; stops (and stops its timer) when they are done. */
export function Spinner({label}: {label: string}) {
  const [n, setN] = useState(0);
  useEffect(() => {
    const t = setInterval(() => setN((x) => x + 1), 120);
    return () => clearInterval(t);
  }, []);
  return (
    <Text color={color('blue')}>
      {SPIN[n % SPIN.length]} {label}
    </Text>
  );
}

/** A status word as a span of a laid-out row, coloured; padded to `width` columns for a list. */
export function statusSpan(status: LiveStatus, width = STATUS_COLUMN): Span {
  const text = STATUS_WORD[status].padEnd(width);
  return {text, node: <StatusWord status={status} width={width} />};
}

/** "FAIL -> PASS": what the checks said when the person last looked, and now. */
export function changeSpans(change: {from: LiveStatus; to: LiveStatus}): Span[] {
  return [statusSpan(change.from, 0), {text: ' -> '}, statusSpan(change.to, 0)];
}

/** A spinner as a span of a laid-out row. */
export function spinnerSpan(label: string): Span {
  return {text: `${SPIN[0]} ${label}`, node: <Spinner label={label} />};
}

/** A bar of `width` cells: passed and answered filled, failed marked, the rest open. */
export function barSpans({done, bad, total, width}: {done: number; bad: number; total: number; width: number}): Span[] {
  const w = Math.max(width, 4);
  const d = total === 0 ? 0 : Math.round((done / total) * w);
  const b = total === 0 ? 0 : Math.min(Math.round((bad / total) * w), w - d);
  return [
    {text: '█'.repeat(d), color: color('green')},
    {text: '▓'.repeat(b), color: color('red')},
    {text: '░'.repeat(w - d - b), color: color('gray')},
  ].filter((s) => s.text !== '');
}
