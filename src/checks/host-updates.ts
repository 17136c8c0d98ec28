// host.auto-updates: security updates install themselves. Debian and Ubuntu: unattended-upgrades,
// switched on by APT::Periodic in apt.conf.d, with a security origin allowed. Fedora, RHEL and
// the like: dnf-automatic (dnf5-automatic on dnf5) with its timer enabled and apply_updates on. Read from the host's files.
import {z} from 'zod';
import {count, result, type Evidence} from '../model/types.js';
import {aptPartsOrder, emptyAptConfig, readAptConf, type AptValue} from '../sources/aptConf.js';
import {defineCheck} from './define.js';
import {hostEntry, readHostDir, readHostText, Root, underRoot, unreadable} from './host-root.js';
import {unitEnabled} from './host-units.js';

const APT_HOW = 'install unattended-upgrades and run `dpkg-reconfigure -plow unattended-upgrades` (it writes /etc/apt/apt.conf.d/20auto-upgrades)';

/** An APT::Periodic interval: "1" (days), "always", or a duration such as "1d"; "0" or nothing is off. */
function periodicOn(v: AptValue | undefined): boolean {
  if (!v) return false;
  const s = v.value.trim().toLowerCase();
  return s === 'always' || (/^\d+[smhd]?$/.test(s) && Number.parseInt(s, 10) > 0);
}

export const autoUpdates = defineCheck({
  id: 'host.auto-updates',
  summary:
    'Security updates install without a person: unattended-upgrades switched on by APT::Periodic (Update-Package-Lists and Unattended-Upgrade) with a security origin allowed, or dnf-automatic (or dnf5-automatic) with its timer enabled and apply_updates on. Skips on hosts with neither apt nor dnf.',
  params: z.strictObject({root: Root}),
  run: async (_ctx, p) => {
    if ((await hostEntry(p.root, '/etc/apt')).kind === 'dir') return apt(p.root);
    if ((await hostEntry(p.root, '/etc/dnf')).kind === 'dir') return dnf(p.root);
    return result('skip', `neither /etc/apt nor /etc/dnf is here${underRoot(p.root)}: automatic updates of this system are not known to Shipshape`);
  },
});

async function apt(root: string) {
  const cfg = emptyAptConfig();
  const dir = '/etc/apt/apt.conf.d';
  const listed = await readHostDir(root, dir);
  // A folder that cannot be listed hides the settings: say so, never "not set".
  if ('error' in listed) return result('error', unreadable(dir, listed), [{file: dir, detail: listed.error}]);
  const parts = aptPartsOrder('names' in listed ? listed.names : []).map((n) => `${dir}/${n}`);
  // apt reads apt.conf.d first, then apt.conf, which thus has the last word.
  for (const file of [...parts, '/etc/apt/apt.conf']) {
    const t = await readHostText(root, file);
    if ('missing' in t) continue;
    if ('error' in t) return result('error', unreadable(file, t), [{file, detail: t.error}]);
    readAptConf(t.text, file, cfg);
  }
  const lists = cfg.values.get('apt::periodic::update-package-lists');
  const upgrade = cfg.values.get('apt::periodic::unattended-upgrade');
  const installed =
    (await hostEntry(root, '/usr/bin/unattended-upgrade')).kind !== 'missing' ||
    parts.some((f) => /unattended-upgrades$/.test(f)) ||
    cfg.lists.has('unattended-upgrade::allowed-origins') ||
    cfg.lists.has('unattended-upgrade::origins-pattern');
  const at = (name: string, v: AptValue | undefined): Evidence =>
    v
      ? {file: v.file, line: v.line, key: name, detail: `${name} "${v.value}"`}
      : {file: '/etc/apt/apt.conf.d/20auto-upgrades', key: name, detail: `${name} is not set (off)`};
  const bad: Evidence[] = [];
  if (!periodicOn(lists)) bad.push(at('APT::Periodic::Update-Package-Lists', lists));
  if (!periodicOn(upgrade)) bad.push(at('APT::Periodic::Unattended-Upgrade', upgrade));
  if (!installed) bad.push({file: '/usr/bin/unattended-upgrade', detail: 'unattended-upgrades is not installed'});
  if (bad.length > 0) {
    const how = installed ? 'set both APT::Periodic settings to "1" (`dpkg-reconfigure -plow unattended-upgrades` writes them)' : APT_HOW;
    return result('fail', `security updates are not installed automatically: ${how}`, bad);
  }

  const origins = [...(cfg.lists.get('unattended-upgrade::allowed-origins') ?? []), ...(cfg.lists.get('unattended-upgrade::origins-pattern') ?? [])];
  const security = origins.filter((o) => /security/i.test(o.value));
  const ok = [at('APT::Periodic::Update-Package-Lists', lists), at('APT::Periodic::Unattended-Upgrade', upgrade)];
  if (origins.length > 0 && security.length === 0) {
    return result(
      'warn',
      `unattended-upgrades runs, but none of its ${count(origins.length, 'allowed origin')} is a security archive: add "\${distro_id}:\${distro_codename}-security" (or an Origins-Pattern with label=Debian-Security)`,
      origins.map((o) => ({file: o.file, line: o.line, key: 'Unattended-Upgrade::Origins', detail: o.value})),
    );
  }
  const from = security[0];
  return result(
    'pass',
    `unattended-upgrades refreshes the package lists and installs updates${from ? ` from ${from.value}` : ' (its default origins include security)'}`,
    from ? [...ok, {file: from.file, line: from.line, key: 'Unattended-Upgrade::Origins', detail: from.value}] : ok,
  );
}

async function dnf(root: string) {
  const file = '/etc/dnf/automatic.conf';
  const install = await unitEnabled(root, 'dnf-automatic-install.timer');
  const plain = await unitEnabled(root, 'dnf-automatic.timer');
  // dnf5 (Fedora 41 and later): dnf5-automatic.timer, which does what /etc/dnf/automatic.conf says.
  const dnf5 = await unitEnabled(root, 'dnf5-automatic.timer');
  const timer = [install, plain, dnf5].find((u) => u.enabled);
  if (!timer) {
    return result(
      'fail',
      'dnf-automatic is not scheduled: `dnf install dnf-automatic && systemctl enable --now dnf-automatic-install.timer` (with dnf5: dnf5-automatic.timer, and apply_updates = yes in /etc/dnf/automatic.conf)',
      [...plain.evidence, ...install.evidence, ...dnf5.evidence],
    );
  }
  if (timer === install) return result('pass', 'dnf-automatic-install.timer downloads and installs updates', timer.evidence);
  const t = await readHostText(root, file);
  if ('error' in t) return result('error', unreadable(file, t), [{file, detail: t.error}]);
  const text = 'text' in t ? t.text : '';
  let section = '';
  let apply: {value: string; line: number} | undefined;
  text.split('\n').forEach((raw, n) => {
    const line = raw.trim();
    const s = /^\[(.+)\]$/.exec(line);
    if (s) section = s[1]!.trim();
    const kv = /^apply_updates\s*[=:]\s*(\S+)/i.exec(line);
    if (kv && section === 'commands') apply = {value: kv[1]!, line: n + 1};
  });
  if (apply && /^(yes|true|1|on)$/i.test(apply.value)) {
    return result('pass', `${timer.unit} runs, and apply_updates is on`, [
      ...timer.evidence,
      {file, line: apply.line, key: 'apply_updates', detail: `apply_updates = ${apply.value}`},
    ]);
  }
  return result(
    'fail',
    `${timer.unit} runs, but only downloads: set apply_updates = yes in [commands] (and upgrade_type = security to take security fixes only)`,
    [
      apply
        ? {file, line: apply.line, key: 'apply_updates', detail: `apply_updates = ${apply.value}`}
        : {file, key: 'apply_updates', detail: 'not set: no (the default)'},
    ],
  );
}
