// The linux-host pack: it loads, detection never picks it (it is chosen with --pack), the hardened
// host tree (a copy of /etc and /lib/systemd standing for a host's /, in a temp folder) has no
// fail, the weak twin fails every rule it plants at the file and line, single weaknesses planted
// into the hardened twin fail (or warn on) exactly their item, and on this machine itself the
// pack runs to the end without an error that is a stack trace.
//
// The links `systemctl enable` makes point outside the tree, so they are laid here, not in git.
import assert from 'node:assert/strict';
import {chmodSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {isMap, parseDocument, visit} from 'yaml';
import type {ItemOutcome} from '../../src/engine/run.js';
import {evaluate, loadBuiltins, openSession} from '../../src/engine/session.js';
import {detectPacks} from '../../src/pack/detect.js';
import {editRel, lineIn, REPO, runCli, tempDir} from '../support/helpers.js';

const FIXTURES = join(REPO, 'test', 'fixtures');
const PACK = 'linux-host';
const PACK_SRC = join(REPO, 'steps', 'linux-host.yaml');

/** The links of enabled units, by fixture: [link under the tree, its target on the host]. */
const LINKS: Record<string, [string, string][]> = {
  'linux-host-hardened': [
    ['etc/systemd/system/multi-user.target.wants/docker.service', '/lib/systemd/system/docker.service'],
    ['etc/systemd/system/sockets.target.wants/docker.socket', '/lib/systemd/system/docker.socket'],
    ['etc/systemd/system/sysinit.target.wants/systemd-timesyncd.service', '/lib/systemd/system/systemd-timesyncd.service'],
  ],
  // Only the socket: Docker starts on the first docker command, not at boot.
  'linux-host-weak': [['etc/systemd/system/sockets.target.wants/docker.socket', '/lib/systemd/system/docker.socket']],
};

interface Host {
  /** The folder standing for the host's /. */
  root: string;
  /** The pack, with its root pointing there. */
  pack: string;
}

function host(fixture: 'linux-host-hardened' | 'linux-host-weak'): Host {
  const root = tempDir('shipshape-host-');
  cpSync(join(FIXTURES, fixture), root, {recursive: true});
  for (const [at, target] of LINKS[fixture]!) {
    mkdirSync(join(root, at, '..'), {recursive: true});
    symlinkSync(target, join(root, at));
  }
  const text = readFileSync(PACK_SRC, 'utf8');
  assert.equal(text.split('with: {root: &root /}').length, 2, 'the host root is written once, at the &root anchor');
  const pack = join(tempDir('shipshape-host-pack-'), 'linux-host.yaml');
  writeFileSync(pack, text.replace('with: {root: &root /}', `with: {root: &root ${JSON.stringify(root)}}`));
  return {root, pack};
}

async function outcomes(h: Host, inputs: string[] = ['live=no']): Promise<Map<string, ItemOutcome>> {
  const session = await openSession({dir: tempDir('shipshape-host-dir-'), pack: h.pack, inputs});
  return new Map((await evaluate(session)).map((o) => [o.id, o]));
}

const withStatus = (all: Map<string, ItemOutcome>, ...statuses: string[]) =>
  [...all.values()]
    .filter((o) => statuses.includes(o.status))
    .map((o) => o.id)
    .sort();

/** The evidence of an item at exactly this host file and line. */
function assertAt(o: ItemOutcome | undefined, file: string, line: number): void {
  assert.ok(o, 'no such item');
  assert.ok(
    o.evidence.some((e) => e.file === file && e.line === line),
    `${o.id}: no evidence at ${file}:${line}; got ${JSON.stringify(o.evidence.map((e) => `${e.file}:${e.line}`))}`,
  );
}

/** The line of `needle` in a host file, the file named by its path on the host. */
const lineOn = (h: Host, file: string, needle: string) => lineIn(h.root, file.slice(1), needle);

describe('the linux-host pack', () => {
  test('loads, with every item verified by a program', async () => {
    const found = (await loadBuiltins()).find((p) => p.pack.id === PACK);
    assert.ok(found, 'no built-in pack linux-host');
    const items = found.pack.sections.flatMap((s) => s.items);
    assert.deepEqual(items.map((i) => i.id).sort(), [
      'disk-space',
      'docker-at-boot',
      'docker-log-rotation',
      'firewall-default-deny',
      'security-updates',
      'ssh-no-passwords',
      'ssh-no-root-login',
      'time-sync',
    ]);
    for (const i of items) assert.ok(i.verify && i.verify.length > 0, `${i.id} is not verified by a program`);
    assert.deepEqual(found.pack.detect, []);
  });

  test('detection never picks it: it is chosen with --pack', async () => {
    const packs = (await loadBuiltins()).map((p) => p.pack);
    for (const dir of ['linux-host-weak', 'linux-host-hardened', 'k8s-weak', 'the0-hardened', 'hoodcloud-weak'].map((f) => join(FIXTURES, f))) {
      assert.ok(!(await detectPacks(dir, packs)).some((d) => d.pack.id === PACK), dir);
    }
  });
});

describe('the hardened host', () => {
  test('passes every item read from its files; the live disk item does not apply', async () => {
    const all = await outcomes(host('linux-host-hardened'));
    const bad = [...all.values()].filter((o) => o.status !== 'pass' && o.id !== 'disk-space');
    assert.deepEqual(
      bad.map((o) => `${o.id}: ${o.status}: ${o.message}`),
      [],
    );
    assert.equal(all.get('disk-space')?.status, 'skip');
  });

  test('without Docker, the Docker items do not apply', async () => {
    const h = host('linux-host-hardened');
    rmSync(join(h.root, 'etc', 'docker'), {recursive: true});
    const all = await outcomes(h, ['live=no', 'docker=no']);
    assert.equal(all.get('docker-log-rotation')?.status, 'skip');
    assert.equal(all.get('docker-at-boot')?.status, 'skip');
  });
});

describe('the weak host', () => {
  test('fails every rule it plants, each at a file and line on the host', async () => {
    const h = host('linux-host-weak');
    const all = await outcomes(h);
    assert.deepEqual(withStatus(all, 'fail'), [
      'docker-at-boot',
      'docker-log-rotation',
      'firewall-default-deny',
      'security-updates',
      'ssh-no-passwords',
      'ssh-no-root-login',
      'time-sync',
    ]);
    assert.deepEqual(withStatus(all, 'warn', 'error', 'pass', 'manual'), []);
    const at = (id: string, file: string, needle: string) => assertAt(all.get(id), file, lineOn(h, file, needle));
    at('firewall-default-deny', '/etc/default/ufw', 'DEFAULT_INPUT_POLICY=');
    at('ssh-no-root-login', '/etc/ssh/sshd_config', 'PermitRootLogin yes');
    // cloud-init's drop-in is read first, so its yes wins over the main file's no.
    at('ssh-no-passwords', '/etc/ssh/sshd_config.d/50-cloud-init.conf', 'PasswordAuthentication yes');
    at('ssh-no-passwords', '/etc/ssh/sshd_config', 'PermitEmptyPasswords yes');
    at('security-updates', '/etc/apt/apt.conf.d/20auto-upgrades', 'Unattended-Upgrade "0"');
    at('time-sync', '/lib/systemd/system/systemd-timesyncd.service', 'WantedBy=');
    at('docker-at-boot', '/lib/systemd/system/docker.service', 'WantedBy=');
    at('docker-log-rotation', '/etc/docker/daemon.json', '"max-file"');
    for (const o of all.values()) for (const e of o.evidence) assert.ok(!e.file?.includes(h.root), `${o.id}: ${e.file} is shown by where the copy sits`);
  });
});

/** One weakness planted into the hardened host: the item that must fail or warn, and where. */
interface Plant {
  name: string;
  plant: (root: string) => void;
  item: string;
  status?: 'fail' | 'warn';
  at: [file: string, needle: string];
}

const PLANTS: Plant[] = [
  {
    name: 'ufw switched off',
    plant: (r) => editRel(r, 'etc/ufw/ufw.conf', 'ENABLED=yes', 'ENABLED=no'),
    item: 'firewall-default-deny',
    at: ['/etc/ufw/ufw.conf', 'ENABLED=no'],
  },
  {
    name: 'root may log in with a key',
    plant: (r) => editRel(r, 'etc/ssh/sshd_config.d/10-hardening.conf', 'PermitRootLogin no', 'PermitRootLogin prohibit-password'),
    item: 'ssh-no-root-login',
    status: 'warn',
    at: ['/etc/ssh/sshd_config.d/10-hardening.conf', 'PermitRootLogin prohibit-password'],
  },
  {
    name: 'a drop-in read before the hardening one turns passwords back on',
    plant: (r) => writeFileSync(join(r, 'etc/ssh/sshd_config.d/05-vendor.conf'), 'PasswordAuthentication yes\n'),
    item: 'ssh-no-passwords',
    at: ['/etc/ssh/sshd_config.d/05-vendor.conf', 'PasswordAuthentication yes'],
  },
  {
    name: 'keyboard-interactive (PAM passwords) left on',
    plant: (r) => editRel(r, 'etc/ssh/sshd_config', 'KbdInteractiveAuthentication no', 'KbdInteractiveAuthentication yes'),
    item: 'ssh-no-passwords',
    status: 'warn',
    at: ['/etc/ssh/sshd_config', 'KbdInteractiveAuthentication yes'],
  },
  {
    name: 'package lists not refreshed',
    plant: (r) => editRel(r, 'etc/apt/apt.conf.d/20auto-upgrades', 'Update-Package-Lists "1"', 'Update-Package-Lists "0"'),
    item: 'security-updates',
    at: ['/etc/apt/apt.conf.d/20auto-upgrades', 'Update-Package-Lists "0"'],
  },
  {
    name: 'no security origin allowed',
    plant: (r) => editRel(r, 'etc/apt/apt.conf.d/50unattended-upgrades', /^.*Security.*\n/gm, ''),
    item: 'security-updates',
    status: 'warn',
    at: ['/etc/apt/apt.conf.d/50unattended-upgrades', 'label=Debian";'],
  },
  {
    name: 'Docker logs without max-size',
    plant: (r) => editRel(r, 'etc/docker/daemon.json', '    "max-size": "10m",\n', ''),
    item: 'docker-log-rotation',
    at: ['/etc/docker/daemon.json', '"log-driver"'],
  },
  {
    name: 'time sync masked',
    plant: (r) => {
      rmSync(join(r, 'etc/systemd/system/sysinit.target.wants/systemd-timesyncd.service'));
      symlinkSync('/dev/null', join(r, 'etc/systemd/system/systemd-timesyncd.service'));
    },
    item: 'time-sync',
    at: ['/etc/systemd/system/systemd-timesyncd.service', ''],
  },
];

describe('single weaknesses planted into the hardened host', () => {
  for (const p of PLANTS) {
    test(`${p.name}: ${p.item} ${p.status ?? 'fail'}s at ${p.at[0]}, and nothing else does`, async () => {
      const h = host('linux-host-hardened');
      p.plant(h.root);
      const all = await outcomes(h);
      assert.deepEqual(
        withStatus(all, 'fail', 'warn', 'error'),
        [p.item],
        [...all.values()]
          .filter((o) => o.status !== 'pass')
          .map((o) => `${o.id}: ${o.message}`)
          .join('\n'),
      );
      assert.equal(all.get(p.item)?.status, p.status ?? 'fail');
      const [file, needle] = p.at;
      if (needle === '')
        assert.ok(
          all.get(p.item)!.evidence.some((e) => e.file === file),
          JSON.stringify(all.get(p.item)!.evidence),
        );
      else assertAt(all.get(p.item), file, lineOn(h, file, needle));
    });
  }

  test('a Match block that lets root in from one network leaves the global settings as they were', async () => {
    const h = host('linux-host-hardened');
    writeFileSync(
      join(h.root, 'etc/ssh/sshd_config'),
      `${readFileSync(join(h.root, 'etc/ssh/sshd_config'), 'utf8')}\nMatch Address 192.168.0.0/16\n\tPermitRootLogin yes\n`,
    );
    const all = await outcomes(h);
    assert.equal(all.get('ssh-no-root-login')?.status, 'pass', all.get('ssh-no-root-login')?.message);
  });
});

describe('the live input', () => {
  /** The pack on this machine (root /), its SSH steps pointed at a test sshd_config and a program standing for sshd that leaves a mark when run. */
  function liveSsh(): {pack: string; mark: string} {
    const dir = tempDir('shipshape-host-live-');
    const mark = join(dir, 'sshd-was-run');
    const config = join(dir, 'sshd_config');
    writeFileSync(config, 'PermitRootLogin no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitEmptyPasswords no\n');
    const sshd = join(dir, 'sshd');
    writeFileSync(
      sshd,
      `#!/bin/sh\ntouch ${JSON.stringify(mark)}\nprintf 'permitrootlogin no\\npasswordauthentication no\\nkbdinteractiveauthentication no\\npermitemptypasswords no\\n'\n`,
    );
    chmodSync(sshd, 0o755);
    const doc = parseDocument(readFileSync(PACK_SRC, 'utf8'));
    let steps = 0;
    visit(doc, {
      Map(_, node) {
        const w = node.get('with', true);
        if (node.get('check') !== 'host.ssh-option' || !isMap(w)) return;
        w.set('config', config);
        w.set('sshd', sshd);
        steps++;
      },
    });
    assert.ok(steps >= 3, `only ${steps} host.ssh-option steps found`);
    const pack = join(dir, 'linux-host.yaml');
    writeFileSync(pack, doc.toString());
    return {pack, mark};
  }

  test('with live=no, the SSH items read the files and never run sshd; with live=yes they ask it', async () => {
    const off = liveSsh();
    const all = await outcomes({root: '/', pack: off.pack}, ['live=no', 'docker=no']);
    for (const id of ['ssh-no-root-login', 'ssh-no-passwords']) {
      assert.equal(all.get(id)?.status, 'pass', `${id}: ${all.get(id)?.message}`);
      assert.doesNotMatch(all.get(id)!.message, /sshd -T/);
    }
    assert.ok(!existsSync(off.mark), 'sshd was run although live=no');

    const on = liveSsh();
    const live = await outcomes({root: '/', pack: on.pack}, ['live=yes', 'docker=no']);
    assert.ok(existsSync(on.mark), `sshd was not run with live=yes: ${live.get('ssh-no-root-login')?.message}`);
  });
});

describe('on this machine', () => {
  test('check --pack linux-host runs every item to a status, and no message is a stack trace', async () => {
    const r = await runCli(['check', '--dir', tempDir('shipshape-host-dir-'), '--pack', PACK, '--format', 'json'], {
      env: {SHIPSHAPE_PROGRESS_DIR: tempDir('shipshape-progress-')},
      timeoutMs: 60_000,
    });
    assert.ok([0, 1, 3].includes(r.code ?? -1), `exit ${r.code}: ${r.stderr}`);
    const report = JSON.parse(r.stdout) as {pack: string; items: {id: string; status: string; message: string}[]};
    assert.equal(report.pack, PACK);
    assert.equal(report.items.length, 8);
    for (const i of report.items) assert.ok(!/\n\s+at \S+ \(/.test(i.message), `${i.id}: ${i.message}`);
  });
});
