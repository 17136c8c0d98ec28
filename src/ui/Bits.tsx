import {Text} from 'ink';
import {useEffect, useState} from 'react';
import type {LiveStatus} from '../wizard/controller.js';
import type {Span} from './text.js';
import {color, STATUS_WORD, statusColor} from './theme.js';

export function StatusWord({status}: {status: LiveStatus}) {
  return (
    <Text color={statusColor(status)} bold>
      {STATUS_WORD[status].padEnd(5)}
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

/** A status word as a span of a laid-out row: five columns, coloured. */
export function statusSpan(status: LiveStatus): Span {
  return {text: STATUS_WORD[status].padEnd(5), node: <StatusWord status={status} />};
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
