// What systemctl prints, as data: `list-timers --all --no-legend` and `cat UNIT...`.
import {basename, dirname} from 'node:path';
import {lines} from './textLines.js';

/** One timer and the unit it activates; `next` is false when it has no next run (inactive or elapsed). */
export interface TimerEntry {
  timer: string;
  service: string;
  next: boolean;
}

/** The rows of `systemctl list-timers --all --no-legend`, so scheduled jobs can be matched to their units. */
export function parseTimerList(stdout: string): TimerEntry[] {
  const timers: TimerEntry[] = [];
  for (const l of lines(stdout)) {
    const f = l.trim().split(/\s+/);
    const service = f.at(-1);
    const timer = f.at(-2);
    if (!service || !timer?.endsWith('.timer') || !/^[\w:.\\@-]+$/.test(service)) continue;
    timers.push({timer, service, next: !['n/a', '-'].includes(f[0] ?? '-')});
  }
  return timers;
}

/** One ExecStart, ExecStartPre or ExecStartPost line of a unit (or of a drop-in for it). */
export interface ExecLine {
  /** The unit or drop-in file, as the `# /path` header of `systemctl cat` names it. */
  file: string;
  /** The unit the file belongs to (a drop-in's folder name without `.d`). */
  unit: string;
  /** The line in that file. */
  line: number;
  directive: string;
  command: string;
}

/** The Exec lines of `systemctl cat` output with the file and line each comes from, so evidence can point at them. */
export function parseUnitCat(stdout: string): ExecLine[] {
  const out: ExecLine[] = [];
  let file = '';
  let unit = '';
  let n = 0;
  for (const l of lines(stdout)) {
    const header = /^# (\/\S+)$/.exec(l);
    if (header) {
      file = header[1]!;
      const dir = dirname(file);
      unit = dir.endsWith('.d') ? basename(dir).slice(0, -2) : basename(file);
      n = 0;
      continue;
    }
    n++;
    const exec = /^\s*(ExecStart(?:Pre|Post)?)\s*=\s*(.*)$/.exec(l);
    if (!exec || !file) continue;
    out.push({file, unit, line: n, directive: exec[1]!, command: exec[2]!});
  }
  return out;
}
