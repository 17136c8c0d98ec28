// crontab(5) files: /etc/crontab and /etc/cron.d (with a user field) and per-user crontabs.
import {lines} from './textLines.js';

/** One job line of a crontab. */
export interface CronEntry {
  line: number;
  schedule: string;
  user?: string;
  command: string;
}

const CRON_FIELD = /^[\d*/,\-A-Za-z?LW#]+$/;

/** The jobs of a crontab, with their lines, so a scheduled command can be found and shown; `system` ones (/etc/crontab, /etc/cron.d) have a user field. */
export function parseCrontab(text: string, system: boolean): CronEntry[] {
  const out: CronEntry[] = [];
  lines(text).forEach((raw, i) => {
    const l = raw.trim();
    if (l === '' || l.startsWith('#') || /^[A-Za-z_][A-Za-z0-9_]*\s*=/.test(l)) return;
    let schedule: string;
    let rest: string;
    const at = /^(@\w+)\s+(.*)$/.exec(l);
    if (at) {
      schedule = at[1]!;
      rest = at[2]!;
    } else {
      const m = /^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(.*)$/.exec(l);
      if (!m?.slice(1, 6).every((f) => CRON_FIELD.test(f))) return;
      schedule = m.slice(1, 6).join(' ');
      rest = m[6]!;
    }
    let user: string | undefined;
    if (system) {
      const u = /^(\S+)\s+(.*)$/.exec(rest);
      if (!u) return;
      user = u[1];
      rest = u[2]!;
    }
    out.push({line: i + 1, schedule, user, command: rest});
  });
  return out;
}

/** run-parts (Debian's cron.d and cron.daily) skips names with other characters than these. */
export const RUN_PARTS_NAME = /^[A-Za-z0-9_-]+$/;
