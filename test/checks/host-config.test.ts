// The host checks that read a host's own files under a root folder (src/checks/host-updates.ts,
// host-units.ts, host-firewall-files.ts) and the APT config reader behind host.auto-updates, on
// host trees in temp dirs: the forms each file takes, and where each finding points.
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {mkdirSync, symlinkSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {aptPartsOrder, emptyAptConfig, readAptConf} from '../../src/sources/aptConf.js';
import {dirWith, lines, runCheck, tempDir} from '../support/helpers.js';

/** A host tree: files by their path on the host, and enabling links [link, target]. */
function hostTree(files: Record<string, string>, links: [string, string][] = []): string {
  const root = dirWith(Object.fromEntries(Object.entries(files).map(([k, v]) => [k.replace(/^\//, ''), v])));
  for (const [at, target] of links) {
    mkdirSync(join(root, at, '..'), {recursive: true});
    symlinkSync(target, join(root, at));
  }
  return root;
}

const check = (id: string, root: string, params: Record<string, unknown> = {}) => runCheck(id, tempDir(), {root, ...params});

describe('readAptConf', () => {
  test('flat and nested names are one setting; comments of every kind are skipped; the last file wins', () => {
    const cfg = emptyAptConfig();
    readAptConf(lines('// daily', 'APT::Periodic::Update-Package-Lists "1";', '# a comment', 'APT::Periodic::Unattended-Upgrade "1";'), 'a', cfg);
    readAptConf(lines('APT {', '  Periodic {', '    /* off again */ Unattended-Upgrade "0";', '  };', '};'), 'b', cfg);
    assert.deepEqual(cfg.values.get('apt::periodic::update-package-lists'), {value: '1', file: 'a', line: 2});
    assert.deepEqual(cfg.values.get('apt::periodic::unattended-upgrade'), {value: '0', file: 'b', line: 3});
  });

  test('lists gather their entries, with lines, across blocks written with :: names', () => {
    const cfg = emptyAptConfig();
    readAptConf(
      lines('Unattended-Upgrade::Allowed-Origins {', '  "${distro_id}:${distro_codename}";', '  "${distro_id}:${distro_codename}-security";', '};'),
      'f',
      cfg,
    );
    assert.deepEqual(
      cfg.lists.get('unattended-upgrade::allowed-origins')?.map((v) => [v.value, v.line]),
      [
        ['${distro_id}:${distro_codename}', 2],
        ['${distro_id}:${distro_codename}-security', 3],
      ],
    );
  });

  test('apt.conf.d files are read in order, skipping what apt skips', () => {
    assert.deepEqual(aptPartsOrder(['50unattended-upgrades', '20auto-upgrades', '20auto-upgrades.dpkg-old', 'x~', 'bad name', '99local.disabled', '01proxy']), [
      '01proxy',
      '20auto-upgrades',
      '50unattended-upgrades',
    ]);
  });
});

describe('host.auto-updates', () => {
  test('apt, nested syntax: pass with the security origin as evidence', async () => {
    const root = hostTree({
      '/etc/apt/apt.conf.d/20auto-upgrades': lines('APT::Periodic { Update-Package-Lists "1"; Unattended-Upgrade "always"; };'),
      '/etc/apt/apt.conf.d/50unattended-upgrades': lines('Unattended-Upgrade::Allowed-Origins {', '  "${distro_id}:${distro_codename}-security";', '};'),
    });
    const r = await check('host.auto-updates', root);
    assert.equal(r.status, 'pass', r.message);
    assert.ok(r.evidence.some((e) => e.file === '/etc/apt/apt.conf.d/50unattended-upgrades' && e.line === 2));
  });

  test('apt without unattended-upgrades installed fails, saying to install it', async () => {
    const root = hostTree({'/etc/apt/apt.conf.d/20auto-upgrades': lines('APT::Periodic::Update-Package-Lists "1";', 'APT::Periodic::Unattended-Upgrade "1";')});
    const r = await check('host.auto-updates', root);
    assert.equal(r.status, 'fail');
    assert.match(r.message, /install unattended-upgrades/);
  });

  test('dnf: the install timer passes; the plain timer needs apply_updates, located; no timer fails', async () => {
    const timer = (name: string): [string, string] => [`etc/systemd/system/timers.target.wants/${name}`, `/usr/lib/systemd/system/${name}`];
    const conf = lines('[commands]', 'upgrade_type = security', 'apply_updates = no');
    assert.equal((await check('host.auto-updates', hostTree({'/etc/dnf/automatic.conf': conf}, [timer('dnf-automatic-install.timer')]))).status, 'pass');
    const plain = await check('host.auto-updates', hostTree({'/etc/dnf/automatic.conf': conf}, [timer('dnf-automatic.timer')]));
    assert.equal(plain.status, 'fail');
    assert.deepEqual(
      plain.evidence.map((e) => [e.file, e.line]),
      [['/etc/dnf/automatic.conf', 3]],
    );
    const on = await check('host.auto-updates', hostTree({'/etc/dnf/automatic.conf': conf.replace('= no', '= yes')}, [timer('dnf-automatic.timer')]));
    assert.equal(on.status, 'pass');
    assert.equal((await check('host.auto-updates', hostTree({'/etc/dnf/dnf.conf': lines('[main]')}))).status, 'fail');
  });

  test('dnf5: dnf5-automatic.timer with apply_updates on passes, without it fails at the timer', async () => {
    const timer: [string, string] = ['etc/systemd/system/timers.target.wants/dnf5-automatic.timer', '/usr/lib/systemd/system/dnf5-automatic.timer'];
    const on = await check('host.auto-updates', hostTree({'/etc/dnf/automatic.conf': lines('[commands]', 'apply_updates = yes')}, [timer]));
    assert.equal(on.status, 'pass', on.message);
    assert.match(on.message, /dnf5-automatic\.timer runs/);
    const off = await check('host.auto-updates', hostTree({'/etc/dnf/automatic.conf': lines('[commands]', 'apply_updates = no')}, [timer]));
    assert.equal(off.status, 'fail');
    assert.match(off.message, /dnf5-automatic\.timer runs, but only downloads/);
  });

  test('an apt.conf.d that cannot be listed is an error naming it, never "not set"', async () => {
    // Root lists every mode, so a link to itself (ELOOP) stands for a folder that cannot be listed (EACCES).
    const root = hostTree({'/usr/bin/unattended-upgrade': ''}, [['etc/apt/apt.conf.d', 'apt.conf.d']]);
    const r = await check('host.auto-updates', root);
    assert.equal(r.status, 'error', r.message);
    assert.match(r.message, /\/etc\/apt\/apt\.conf\.d cannot be listed: ELOOP/);
    assert.deepEqual(
      r.evidence.map((e) => e.file),
      ['/etc/apt/apt.conf.d'],
    );
  });

  test('neither apt nor dnf: skip, saying so', async () => {
    const r = await check('host.auto-updates', hostTree({'/etc/hostname': 'x\n'}));
    assert.equal(r.status, 'skip');
    assert.match(r.message, /neither \/etc\/apt nor \/etc\/dnf/);
  });
});

describe('host.unit-enabled', () => {
  const unit = lines('[Unit]', 'Description=x', '', '[Install]', 'WantedBy=multi-user.target');

  test('a vendor link counts; a mask fails at the mask; nothing installed fails or skips as asked', async () => {
    const vendor = hostTree({'/usr/lib/systemd/system/chrony.service': unit}, [
      ['usr/lib/systemd/system/multi-user.target.wants/chrony.service', '../chrony.service'],
    ]);
    const v = await check('host.unit-enabled', vendor, {units: ['chrony.service']});
    assert.equal(v.status, 'pass', v.message);
    assert.match(v.evidence[0]!.detail, /enabled by the vendor/);

    const masked = hostTree({'/lib/systemd/system/docker.service': unit}, [['etc/systemd/system/docker.service', '/dev/null']]);
    const m = await check('host.unit-enabled', masked, {units: ['docker.service']});
    assert.equal(m.status, 'fail');
    assert.deepEqual(
      m.evidence.map((e) => [e.file, e.detail]),
      [['/etc/systemd/system/docker.service', 'a link to /dev/null: masked, it never starts']],
    );

    const empty = tempDir();
    assert.equal((await check('host.unit-enabled', empty, {units: ['docker.service']})).status, 'fail');
    const skip = await check('host.unit-enabled', empty, {units: ['docker.service'], ifMissing: 'skip'});
    assert.equal(skip.status, 'skip');
    assert.match(skip.message, /docker.service is not installed here \(host tree at /);
  });

  test('installed, not enabled: fails at the WantedBy line of the unit file', async () => {
    const r = await check('host.unit-enabled', hostTree({'/lib/systemd/system/ntpsec.service': unit}), {
      units: ['chrony.service', 'ntpsec.service'],
      label: 'time',
    });
    assert.equal(r.status, 'fail');
    assert.deepEqual(
      r.evidence.map((e) => [e.file, e.line]),
      [['/lib/systemd/system/ntpsec.service', 5]],
    );
  });
});

describe('host.firewall-config', () => {
  const enabled = (name: string): [string, string] => [`etc/systemd/system/sysinit.target.wants/${name}`, `/lib/systemd/system/${name}`];
  const nft = (table: string, policy: string) =>
    lines(
      '#!/usr/sbin/nft -f',
      'flush ruleset',
      `table ${table} filter {`,
      '  chain input {',
      `    type filter hook input priority filter; policy ${policy};`,
      '    ct state established,related accept',
      '  }',
      '}',
    );

  test('nftables: an inet input chain with policy drop passes; ip only warns; accept fails at the chain', async () => {
    assert.equal((await check('host.firewall-config', hostTree({'/etc/nftables.conf': nft('inet', 'drop')}, [enabled('nftables.service')]))).status, 'pass');
    assert.equal((await check('host.firewall-config', hostTree({'/etc/nftables.conf': nft('ip', 'drop')}, [enabled('nftables.service')]))).status, 'warn');
    const open = await check('host.firewall-config', hostTree({'/etc/nftables.conf': nft('inet', 'accept')}, [enabled('nftables.service')]));
    assert.equal(open.status, 'fail');
    assert.deepEqual(
      open.evidence.map((e) => [e.file, e.line]),
      [['/etc/nftables.conf', 4]],
    );
  });

  test('ufw installed but off (as Ubuntu ships it) lets another firewall decide; alone it fails at ENABLED', async () => {
    const off = {'/etc/ufw/ufw.conf': lines('# /etc/ufw/ufw.conf', 'ENABLED=no'), '/etc/default/ufw': lines('DEFAULT_INPUT_POLICY="DROP"')};
    const nftOn = await check('host.firewall-config', hostTree({...off, '/etc/nftables.conf': nft('inet', 'drop')}, [enabled('nftables.service')]));
    assert.equal(nftOn.status, 'pass', nftOn.message);
    assert.match(nftOn.message, /nftables loads/);
    const nftOpen = await check('host.firewall-config', hostTree({...off, '/etc/nftables.conf': nft('inet', 'accept')}, [enabled('nftables.service')]));
    assert.equal(nftOpen.status, 'fail');
    assert.match(nftOpen.message, /accepts incoming traffic by default: give the input chain/);
    const link: [string, string] = ['etc/systemd/system/multi-user.target.wants/firewalld.service', '/usr/lib/systemd/system/firewalld.service'];
    const fwd = await check('host.firewall-config', hostTree({...off, '/etc/firewalld/firewalld.conf': lines('DefaultZone=public')}, [link]));
    assert.equal(fwd.status, 'pass', fwd.message);
    const alone = await check('host.firewall-config', hostTree(off));
    assert.equal(alone.status, 'fail');
    assert.match(alone.message, /ufw is installed but not enabled at boot \(ENABLED=no\), and no other firewall is set up/);
    assert.deepEqual(
      alone.evidence.map((e) => [e.file, e.line]),
      [['/etc/ufw/ufw.conf', 2]],
    );
  });

  test('nftables: the input chain in a file included by a glob counts; includes that loop are read once', async () => {
    const main = lines('#!/usr/sbin/nft -f', 'flush ruleset', 'include "/etc/nftables.d/*.nft"');
    const r = await check(
      'host.firewall-config',
      hostTree(
        {
          '/etc/nftables.conf': main,
          '/etc/nftables.d/10-filter.nft': nft('inet', 'drop'),
          '/etc/nftables.d/20-more.nft': lines('include "/etc/nftables.d/*.nft"', 'include "nftables.conf"'),
        },
        [enabled('nftables.service')],
      ),
    );
    assert.equal(r.status, 'pass', r.message);
    assert.match(r.message, /\/etc\/nftables\.conf and the 2 files it includes/);
    assert.deepEqual(
      r.evidence.map((e) => [e.file, e.line]),
      [['/etc/nftables.d/10-filter.nft', 4]],
    );
  });

  test('nftables: an include that cannot be read, is missing, or is not a valid glob is an error at the include', async () => {
    const main = (inc: string) => lines('flush ruleset', `include "${inc}"`);
    // Root reads every mode: a folder where a file is expected stands for one that cannot be read.
    const bad = await check(
      'host.firewall-config',
      hostTree({'/etc/nftables.conf': main('/etc/nftables.d/*.nft'), '/etc/nftables.d/10-filter.nft/x': ''}, [enabled('nftables.service')]),
    );
    assert.equal(bad.status, 'error', bad.message);
    assert.match(bad.message, /\/etc\/nftables\.conf:2: include "\/etc\/nftables\.d\/\*\.nft": \/etc\/nftables\.d\/10-filter\.nft /);
    assert.equal(bad.evidence[0]?.file, '/etc/nftables.d/10-filter.nft');
    const missing = await check('host.firewall-config', hostTree({'/etc/nftables.conf': main('/etc/filter.nft')}, [enabled('nftables.service')]));
    assert.equal(missing.status, 'error', missing.message);
    assert.match(missing.message, /\/etc\/filter\.nft does not exist/);
    const glob = await check('host.firewall-config', hostTree({'/etc/nftables.conf': main('/etc/nftables.d/[z-a].nft')}, [enabled('nftables.service')]));
    assert.equal(glob.status, 'error', glob.message);
    assert.match(glob.message, /\/etc\/nftables\.conf:2: Include pattern .* is not a valid glob/);
  });

  test('nftables.conf present but the service not enabled: nothing loads it', async () => {
    const r = await check('host.firewall-config', hostTree({'/etc/nftables.conf': nft('inet', 'drop')}));
    assert.equal(r.status, 'fail');
    assert.match(r.message, /no firewall is set up to start at boot/);
  });

  test('iptables-persistent: the :INPUT policy decides, at its line', async () => {
    const rules = (policy: string) => lines('*filter', `:INPUT ${policy} [0:0]`, ':FORWARD DROP [0:0]', '-A INPUT -i lo -j ACCEPT', 'COMMIT');
    const link: [string, string] = [
      'etc/systemd/system/multi-user.target.wants/netfilter-persistent.service',
      '/lib/systemd/system/netfilter-persistent.service',
    ];
    assert.equal((await check('host.firewall-config', hostTree({'/etc/iptables/rules.v4': rules('DROP')}, [link]))).status, 'pass');
    const r = await check('host.firewall-config', hostTree({'/etc/iptables/rules.v4': rules('ACCEPT')}, [link]));
    assert.equal(r.status, 'fail');
    assert.deepEqual(
      r.evidence.map((e) => [e.file, e.line]),
      [['/etc/iptables/rules.v4', 2]],
    );
  });

  test('firewalld with the trusted zone fails; ufw without /etc/default/ufw accepts', async () => {
    const link: [string, string] = ['etc/systemd/system/multi-user.target.wants/firewalld.service', '/usr/lib/systemd/system/firewalld.service'];
    const trusted = await check('host.firewall-config', hostTree({'/etc/firewalld/firewalld.conf': lines('DefaultZone=trusted')}, [link]));
    assert.equal(trusted.status, 'fail');
    assert.equal(trusted.evidence[0]!.line, 1);
    assert.equal((await check('host.firewall-config', hostTree({'/etc/firewalld/firewalld.conf': lines('DefaultZone=public')}, [link]))).status, 'pass');
    const ufw = await check('host.firewall-config', hostTree({'/etc/ufw/ufw.conf': lines('ENABLED=yes')}));
    assert.equal(ufw.status, 'fail');
    assert.match(ufw.message, /DEFAULT_INPUT_POLICY=ACCEPT/);
  });
});

describe('host.time-sync', () => {
  test('off a systemd host it skips and says why', async (t) => {
    const pid1 = readFileSync('/proc/1/comm', 'utf8').trim();
    if (pid1 === 'systemd') return t.skip('systemd is PID 1 here: the answer depends on this machine');
    const r = await runCheck('host.time-sync', tempDir());
    assert.equal(r.status, 'skip');
    assert.match(r.message, /timedatectl is not installed|systemd is not PID 1/);
  });
});
