// host.unit-enabled: a systemd unit starts at boot, as the host's files show it (the links
// `systemctl enable` makes), so it can be judged without systemd running: on a copy of a host's
// tree, in a container, or as a user systemctl will not answer. host.time-sync: the clock is kept
// by NTP, as timedatectl reports it on the running host.
import {z} from 'zod';
import {result, type Evidence} from '../model/types.js';
import {defineCheck} from './define.js';
import {CMD_TIMEOUT_MS, failure, notSystemd} from './host-common.js';
import {hostEntry, listHostDir, readHostText, Root, underRoot} from './host-root.js';

/** Where unit files live, most local first (systemd's unit search path for the system manager). */
const UNIT_DIRS = ['/etc/systemd/system', '/run/systemd/system', '/usr/local/lib/systemd/system', '/usr/lib/systemd/system', '/lib/systemd/system'];
/** Where `systemctl enable` (and vendors, for units on by default) put the links that pull a unit in. */
const WANTS_DIRS = ['/etc/systemd/system', '/usr/lib/systemd/system', '/lib/systemd/system'];

const UnitName = z.string().regex(/^[A-Za-z0-9:_.\\-]+\.(service|socket|timer|target|path|mount)$/, 'a unit name with its suffix, such as docker.service');

export interface UnitState {
  unit: string;
  installed: boolean;
  masked: boolean;
  enabled: boolean;
  /** Where the finding is: the enabling link, the mask, or the unit file's WantedBy line. */
  evidence: Evidence[];
}

/** Whether a unit is enabled, masked or installed, from the files under the host root. */
export async function unitEnabled(root: string, unit: string): Promise<UnitState> {
  for (const dir of ['/etc/systemd/system', '/run/systemd/system']) {
    const e = await hostEntry(root, `${dir}/${unit}`);
    if (e.kind === 'link' && e.target === '/dev/null') {
      return {
        unit,
        installed: true,
        masked: true,
        enabled: false,
        evidence: [{file: `${dir}/${unit}`, key: unit, detail: 'a link to /dev/null: masked, it never starts'}],
      };
    }
  }
  const links: Evidence[] = [];
  for (const dir of WANTS_DIRS) {
    for (const sub of (await listHostDir(root, dir)) ?? []) {
      if (!/\.(wants|requires)$/.test(sub)) continue;
      const path = `${dir}/${sub}/${unit}`;
      const e = await hostEntry(root, path);
      if (e.kind === 'missing' || e.kind === 'error') continue;
      const by = sub.replace(/\.(wants|requires)$/, '');
      links.push({
        file: path,
        key: unit,
        detail: `${e.kind === 'link' ? `a link to ${e.target}` : 'present'}: ${by} starts it${dir === '/etc/systemd/system' ? '' : ' (enabled by the vendor)'}`,
      });
    }
  }
  let file: string | undefined;
  for (const dir of UNIT_DIRS) {
    const e = await hostEntry(root, `${dir}/${unit}`);
    if (e.kind === 'file' || e.kind === 'link') {
      file = `${dir}/${unit}`;
      break;
    }
  }
  if (links.length > 0) return {unit, installed: true, masked: false, enabled: true, evidence: links};
  if (!file) return {unit, installed: false, masked: false, enabled: false, evidence: []};
  // Not enabled: point at what would enable it, the [Install] section's WantedBy= line.
  const t = await readHostText(root, file);
  const text = 'text' in t ? t.text : '';
  const n = text.split('\n').findIndex((l) => /^\s*(WantedBy|RequiredBy)\s*=/.test(l));
  const wanted = n >= 0 ? text.split('\n')[n]!.trim() : undefined;
  const target = wanted ? wanted.replace(/^[^=]*=\s*/, '').split(/\s+/)[0] : undefined;
  const detail = wanted
    ? `${wanted}, but no link in /etc/systemd/system/${target}.wants/: not enabled (systemctl enable ${unit})`
    : 'no [Install] WantedBy=: it starts only when another unit pulls it in';
  return {unit, installed: true, masked: false, enabled: false, evidence: [{file, ...(n >= 0 ? {line: n + 1} : {}), key: unit, detail}]};
}

export const unitEnabledCheck = defineCheck({
  id: 'host.unit-enabled',
  summary:
    "One of the given systemd units is enabled to start at boot, as the host's files show it (a link in a .wants or .requires folder, not masked); reads a copy of a host's tree as well as the host itself. Without any of them installed: fail, or skip with ifMissing: skip.",
  params: z.strictObject({
    /** Any one of these enabled is enough (e.g. chrony.service or systemd-timesyncd.service). */
    units: z.array(UnitName).min(1),
    /** What the units are for, in messages (e.g. "time synchronisation"). */
    label: z.string().min(1).optional(),
    ifMissing: z.enum(['fail', 'skip']).default('fail'),
    root: Root,
  }),
  run: async (_ctx, p) => {
    const states = await Promise.all(p.units.map((u) => unitEnabled(p.root, u)));
    const what = p.label ?? p.units.join(' or ');
    const on = states.find((s) => s.enabled);
    if (on) return result('pass', `${on.unit} is enabled at boot${p.label ? ` for ${p.label}` : ''}`, on.evidence);
    const installed = states.filter((s) => s.installed);
    if (installed.length === 0) {
      const said = `${p.units.length === 1 ? `${p.units[0]} is not` : `none of ${p.units.join(', ')} is`} installed here${underRoot(p.root)}`;
      return result(p.ifMissing, p.ifMissing === 'skip' ? `${said}: nothing to check` : `${said}: nothing provides ${what}`, []);
    }
    const masked = installed.filter((s) => s.masked);
    return result(
      'fail',
      `${installed.map((s) => s.unit).join(', ')} ${installed.length === 1 ? 'is' : 'are'} installed but not enabled${masked.length ? ' (masked)' : ''}, so ${what} does not start at boot`,
      installed.flatMap((s) => s.evidence),
    );
  },
});

export const timeSync = defineCheck({
  id: 'host.time-sync',
  summary:
    'The system clock is kept by NTP and synchronised now (timedatectl show: NTP=yes, NTPSynchronized=yes). Skips without timedatectl or when systemd is not PID 1.',
  params: z.strictObject({}),
  run: async (ctx, _p, signal) => {
    const r = await ctx.run('timedatectl', ['show', '--property=NTP', '--property=NTPSynchronized', '--property=Timezone'], {
      signal,
      timeoutMs: CMD_TIMEOUT_MS,
    });
    if (r.missing) return result('skip', 'timedatectl is not installed: check the time daemon (chronyc tracking, ntpq -p) by hand');
    const absent = await notSystemd(r.stderr);
    if (absent) return result('skip', absent);
    if (!r.ok) return result('error', `cannot ask timedatectl: ${failure('timedatectl', r)}`);
    const props = new Map(
      r.stdout
        .split('\n')
        .map((l) => /^(\w+)=(.*)$/.exec(l.trim()))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[1]!, m[2]!]),
    );
    const ntp = props.get('NTP');
    const synced = props.get('NTPSynchronized');
    const evidence: Evidence[] = [{key: 'timedatectl', detail: `NTP=${ntp ?? '?'} NTPSynchronized=${synced ?? '?'}`}];
    if (synced === 'yes') return result('pass', 'the clock is synchronised by NTP', evidence);
    if (ntp === 'yes') return result('warn', 'NTP is on but the clock is not synchronised yet: check that the NTP servers are reachable (UDP 123)', evidence);
    return result('fail', 'no NTP service keeps the clock: `timedatectl set-ntp true`, or install chrony', evidence);
  },
});
