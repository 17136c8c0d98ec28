// host.systemd-unit: a service the deployment needs starts at boot (and runs).
import {z} from 'zod';
import {result, type Evidence} from '../model/types.js';
import {defineCheck} from './define.js';
import {CMD_TIMEOUT_MS, failure, notSystemd} from './host-common.js';

const ENABLED = new Set(['enabled', 'enabled-runtime']);
/** Started only through another unit, or made at boot: not enabled itself, not necessarily wrong. */
const INDIRECT = new Set(['static', 'indirect', 'generated', 'transient', 'alias']);

export const systemdUnit = defineCheck({
  id: 'host.systemd-unit',
  summary:
    'A systemd unit is enabled (systemctl is-enabled), and with active: true also running (is-active). Skips when systemctl is missing or systemd is not PID 1.',
  params: z.strictObject({
    /** A unit name; without a suffix systemctl reads it as NAME.service. */
    unit: z.string().regex(/^(?!-)[A-Za-z0-9:_.\\@-]+$/, 'unit is a systemd unit name such as docker.service'),
    active: z.boolean().default(false),
  }),
  run: async (ctx, p, signal) => {
    const r = await ctx.run('systemctl', ['is-enabled', '--', p.unit], {signal, timeoutMs: CMD_TIMEOUT_MS});
    if (r.missing) return result('skip', `systemctl is not installed: cannot tell whether ${p.unit} is enabled`);
    const absent = await notSystemd(r.stderr);
    if (absent) return result('skip', absent);
    if (r.timedOut) return result('error', failure('systemctl', r));
    const state = r.stdout.trim().split('\n')[0]?.trim() ?? '';
    const evidence: Evidence[] = [{key: p.unit, detail: `is-enabled: ${state || 'no answer'}`}];
    if (state === 'not-found' || (!state && /no such file|not found|does not exist/i.test(r.stderr))) {
      return result('fail', `${p.unit} is not installed here (no such unit)`, [{key: p.unit, detail: 'is-enabled: not-found'}]);
    }
    if (!state) return result('error', `cannot tell whether ${p.unit} is enabled: ${failure('systemctl', r)}`, evidence);

    let status: 'pass' | 'warn' | 'fail';
    let said: string;
    if (ENABLED.has(state)) {
      status = 'pass';
      said = `${p.unit} is ${state}`;
    } else if (INDIRECT.has(state)) {
      status = 'warn';
      said = `${p.unit} is ${state}: not enabled itself, it starts only when another unit (or a generator) pulls it in; check that it starts at boot`;
    } else {
      status = 'fail';
      const fix = state.startsWith('masked') ? `systemctl unmask ${p.unit} && systemctl enable ${p.unit}` : `systemctl enable ${p.unit}`;
      said = `${p.unit} is ${state}, so it will not start at boot (${fix})`;
    }
    if (!p.active) return result(status, said, evidence);

    const a = await ctx.run('systemctl', ['is-active', '--', p.unit], {signal, timeoutMs: CMD_TIMEOUT_MS});
    const act = a.stdout.trim().split('\n')[0]?.trim() ?? '';
    if (!act) return result('error', `${said}; cannot tell whether it runs: ${failure('systemctl', a)}`, evidence);
    evidence.push({key: p.unit, detail: `is-active: ${act}`});
    if (act === 'active') return result(status, `${said}, and active`, evidence);
    if (act === 'activating' || act === 'reloading' || act === 'refreshing') {
      return result(status === 'fail' ? 'fail' : 'warn', `${said}; it is ${act}, not yet active`, evidence);
    }
    return result('fail', `${said}; it is ${act}, not running${act === 'failed' ? ` (see journalctl -u ${p.unit})` : ''}`, evidence);
  },
});
