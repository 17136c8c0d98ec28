// host.firewall-config: the firewall the host loads at boot denies incoming traffic by default,
// as its configuration files say: ufw (ufw.conf and /etc/default/ufw), nftables
// (/etc/nftables.conf with nftables.service enabled), firewalld (its default zone) or
// iptables-persistent (/etc/iptables/rules.v4). It needs no root and reads a copy of a host's
// tree as well; host.firewall asks the running kernel.
import {z} from 'zod';
import {result, type CheckResult, type Evidence} from '../model/types.js';
import {iptablesDenies, nftChainDenies, parseNft} from '../sources/firewall.js';
import {lines} from '../sources/textLines.js';
import {defineCheck} from './define.js';
import {readHostText, Root, underRoot, unreadable, type HostText} from './host-root.js';
import {unitEnabled} from './host-units.js';

/** `KEY=value` or `KEY="value"` in a shell-style settings file, with its line. */
function shellSetting(text: string, key: string): {value: string; line: number} | undefined {
  let found: {value: string; line: number} | undefined;
  lines(text).forEach((l, n) => {
    const m = new RegExp(`^\\s*${key}\\s*=\\s*["']?([^"'#\\s]*)`).exec(l);
    if (m) found = {value: m[1]!, line: n + 1};
  });
  return found;
}

type Verdict = CheckResult | undefined;

async function read(root: string, file: string): Promise<HostText> {
  return readHostText(root, file);
}

async function ufw(root: string): Promise<Verdict> {
  const conf = '/etc/ufw/ufw.conf';
  const defaults = '/etc/default/ufw';
  const c = await read(root, conf);
  if ('missing' in c) return undefined;
  if ('error' in c) return result('error', unreadable(conf, c), [{file: conf, detail: c.error}]);
  const enabled = shellSetting(c.text, 'ENABLED');
  if (enabled?.value.toLowerCase() !== 'yes') {
    return result('fail', 'ufw is installed but not enabled at boot (ENABLED=no): `ufw default deny incoming`, allow what you serve, then `ufw enable`', [
      {file: conf, ...(enabled ? {line: enabled.line} : {}), key: 'ENABLED', detail: `ENABLED=${enabled?.value ?? '(not set)'}`},
    ]);
  }
  const d = await read(root, defaults);
  if ('error' in d) return result('error', unreadable(defaults, d), [{file: defaults, detail: d.error}]);
  const policy = 'text' in d ? shellSetting(d.text, 'DEFAULT_INPUT_POLICY') : undefined;
  const on: Evidence = {file: conf, line: enabled.line, key: 'ENABLED', detail: 'ENABLED=yes'};
  const at: Evidence = {
    file: defaults,
    ...(policy ? {line: policy.line} : {}),
    key: 'DEFAULT_INPUT_POLICY',
    detail: `DEFAULT_INPUT_POLICY=${policy?.value ?? '(not set: ACCEPT)'}`,
  };
  const value = policy?.value.toUpperCase() ?? 'ACCEPT';
  if (value === 'DROP' || value === 'REJECT')
    return result('pass', `ufw is enabled at boot and ${value === 'DROP' ? 'drops' : 'rejects'} incoming traffic by default`, [on, at]);
  return result('fail', `ufw is enabled but accepts incoming traffic by default (DEFAULT_INPUT_POLICY=${value}): \`ufw default deny incoming\``, [at, on]);
}

async function nftables(root: string): Promise<Verdict> {
  const file = '/etc/nftables.conf';
  const unit = await unitEnabled(root, 'nftables.service');
  if (!unit.enabled) return undefined;
  const t = await read(root, file);
  if ('missing' in t) return result('fail', `nftables.service is enabled but ${file} does not exist: nothing is loaded at boot`, unit.evidence);
  if ('error' in t) return result('error', unreadable(file, t), [{file, detail: t.error}]);
  const input = parseNft(t.text).filter((ch) => ch.hook === 'input' && ch.type === 'filter' && ['ip', 'ip6', 'inet'].includes(ch.family));
  const all = lines(t.text);
  const lineOf = (name: string) => {
    const n = all.findIndex((l) => new RegExp(`^\\s*chain\\s+${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*\\{`).test(l));
    return n >= 0 ? {line: n + 1} : {};
  };
  const evidence: Evidence[] = input.map((ch) => ({
    file,
    ...lineOf(ch.name),
    key: `${ch.family} ${ch.table} ${ch.name}`,
    detail: `hook input, policy ${ch.policy ?? 'accept'}${nftChainDenies(ch) && ch.policy !== 'drop' ? `, ends with ${ch.lastRule}` : ''}`,
  }));
  if (input.length === 0) return result('fail', `${file} has no input chain: incoming traffic is accepted`, [{file, detail: 'no chain with hook input'}]);
  const v4 = input.some((ch) => nftChainDenies(ch) && (ch.family === 'ip' || ch.family === 'inet'));
  const v6 = input.some((ch) => nftChainDenies(ch) && (ch.family === 'ip6' || ch.family === 'inet'));
  if (v4 && v6) return result('pass', `nftables loads ${file} at boot, and its input chain drops by default`, evidence);
  if (v4 || v6)
    return result('warn', `${file} drops incoming ${v4 ? 'IPv4' : 'IPv6'} by default, but not ${v4 ? 'IPv6' : 'IPv4'}: use an inet table`, evidence);
  return result('fail', `${file} accepts incoming traffic by default: give the input chain \`policy drop;\``, evidence);
}

async function firewalld(root: string): Promise<Verdict> {
  const unit = await unitEnabled(root, 'firewalld.service');
  if (!unit.enabled) return undefined;
  const file = '/etc/firewalld/firewalld.conf';
  const t = await read(root, file);
  if ('error' in t) return result('error', unreadable(file, t), [{file, detail: t.error}]);
  const zone = 'text' in t ? shellSetting(t.text, 'DefaultZone') : undefined;
  const name = zone?.value || 'public';
  const at: Evidence = {file, ...(zone ? {line: zone.line} : {}), key: 'DefaultZone', detail: `DefaultZone=${name}`};
  if (name === 'trusted') return result('fail', 'firewalld is enabled, but its default zone is trusted, which accepts everything', [at]);
  const z = await read(root, `/etc/firewalld/zones/${name}.xml`);
  if ('text' in z && /<zone[^>]*\btarget="ACCEPT"/.test(z.text))
    return result('fail', `firewalld's default zone ${name} has target ACCEPT`, [{file: `/etc/firewalld/zones/${name}.xml`, detail: 'target="ACCEPT"'}]);
  return result('pass', `firewalld is enabled at boot; its default zone ${name} rejects what it does not allow`, [at, ...unit.evidence]);
}

async function iptablesPersistent(root: string): Promise<Verdict> {
  const unit = await unitEnabled(root, 'netfilter-persistent.service');
  if (!unit.enabled) return undefined;
  const file = '/etc/iptables/rules.v4';
  const t = await read(root, file);
  if ('missing' in t) return result('fail', `netfilter-persistent is enabled but ${file} does not exist`, unit.evidence);
  if ('error' in t) return result('error', unreadable(file, t), [{file, detail: t.error}]);
  // iptables-save writes the policy as `:INPUT DROP [0:0]`; iptables -S as `-P INPUT DROP`.
  const all = lines(t.text);
  const asS = all.map((l) => l.replace(/^:INPUT\s+(\S+).*$/, '-P INPUT $1')).join('\n');
  const v = iptablesDenies(asS);
  const n = all.findIndex((l) => /^:INPUT\s/.test(l));
  const at: Evidence = {file, ...(n >= 0 ? {line: n + 1} : {}), key: 'INPUT', detail: `policy ${v.policy}`};
  if (v.denies) return result('pass', `iptables-persistent loads ${file} at boot, which drops incoming traffic by default`, [at]);
  return result('fail', `${file} accepts incoming traffic by default (:INPUT ${v.policy}): set :INPUT DROP and allow what you serve`, [at]);
}

export const firewallConfig = defineCheck({
  id: 'host.firewall-config',
  summary:
    'The firewall loaded at boot denies incoming traffic by default, as its files say: ufw (ENABLED=yes, DEFAULT_INPUT_POLICY DROP or REJECT), else nftables (/etc/nftables.conf with an input chain with policy drop), else firewalld (a default zone other than trusted), else iptables-persistent (:INPUT DROP). Needs no root; fails when none is set up.',
  params: z.strictObject({root: Root}),
  run: async (_ctx, p) => {
    for (const tool of [ufw, nftables, firewalld, iptablesPersistent]) {
      const r = await tool(p.root);
      if (r) return r;
    }
    return result(
      'fail',
      `no firewall is set up to start at boot${underRoot(p.root)} (looked for ufw, nftables, firewalld and iptables-persistent): install ufw, then \`ufw default deny incoming\`, allow ssh and what you serve, and \`ufw enable\``,
    );
  },
});
