// host.ssh-option and the sshd_config reader behind it (src/sources/sshd.ts): keywords and
// quoting, first value wins across Include (globs in lexical order, relative paths under
// /etc/ssh), Match blocks left out of the global values (and ended by the file they are in),
// the `sshd -T` dump; then the check on host trees in temp dirs, with `sshd -T` played by small
// programs, and by the real sshd when this machine has one.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {chmodSync, existsSync, mkdirSync, rmSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {normalValue} from '../../src/checks/host-ssh.js';
import {canonicalKeyword, expandInclude, parseSshdConfig, parseSshdT, splitLine, type SshdFiles} from '../../src/sources/sshd.js';
import {dirWith, lines, runCheck, tempDir} from '../support/helpers.js';
import {unavailable} from '../support/services.js';

/** A host's files in memory, by absolute path. */
function memory(files: Record<string, string>): SshdFiles {
  return {
    read: async (path) => files[path],
    list: async (dir) => {
      const prefix = dir.endsWith('/') ? dir : `${dir}/`;
      const names = Object.keys(files)
        .filter((f) => f.startsWith(prefix))
        .map((f) => f.slice(prefix.length).split('/')[0]!);
      return names.length > 0 ? [...new Set(names)] : undefined;
    },
  };
}

const MAIN = '/etc/ssh/sshd_config';

async function settings(files: Record<string, string>): Promise<Record<string, string>> {
  const cfg = await parseSshdConfig(MAIN, memory(files));
  return Object.fromEntries([...cfg.settings].map(([k, v]) => [k, `${v.value} @${v.file}:${v.line}`]));
}

describe('splitLine', () => {
  test('keyword and arguments, with = or spaces, quotes and trailing comments', () => {
    assert.deepEqual(splitLine('PermitRootLogin no'), {keyword: 'PermitRootLogin', args: ['no']});
    assert.deepEqual(splitLine('  PasswordAuthentication=no'), {keyword: 'PasswordAuthentication', args: ['no']});
    assert.deepEqual(splitLine('Banner = "/etc/issue net"'), {keyword: 'Banner', args: ['/etc/issue net']});
    assert.deepEqual(splitLine('AllowUsers alice bob # admins'), {keyword: 'AllowUsers', args: ['alice', 'bob']});
    assert.equal(splitLine('# PermitRootLogin yes'), undefined);
    assert.equal(splitLine('   '), undefined);
    assert.equal(canonicalKeyword('ChallengeResponseAuthentication'), 'kbdinteractiveauthentication');
  });
});

describe('parseSshdConfig', () => {
  test('the first value wins: a drop-in included at the top beats the main file, whatever the case of the keyword', async () => {
    const s = await settings({
      [MAIN]: lines('Include /etc/ssh/sshd_config.d/*.conf', 'PermitRootLogin yes', 'passwordauthentication yes', 'PasswordAuthentication no'),
      '/etc/ssh/sshd_config.d/50-cloud-init.conf': lines('PasswordAuthentication yes'),
      '/etc/ssh/sshd_config.d/10-hardening.conf': lines('PermitRootLogin no'),
    });
    assert.equal(s.permitrootlogin, 'no @/etc/ssh/sshd_config.d/10-hardening.conf:1');
    // 10-hardening.conf does not set it, 50-cloud-init.conf (read next, in lexical order) does.
    assert.equal(s.passwordauthentication, 'yes @/etc/ssh/sshd_config.d/50-cloud-init.conf:1');
  });

  test('Include: several patterns, relative ones under /etc/ssh, no match ignored, dot files and other suffixes not matched', async () => {
    const io = memory({
      '/etc/ssh/extra/b.conf': 'X',
      '/etc/ssh/extra/a.conf': 'X',
      '/etc/ssh/extra/.hidden.conf': 'X',
      '/etc/ssh/extra/c.conf.bak': 'X',
    });
    assert.deepEqual(await expandInclude('extra/*.conf', io), ['/etc/ssh/extra/a.conf', '/etc/ssh/extra/b.conf']);
    assert.deepEqual(await expandInclude('/nowhere/*.conf', io), []);
    assert.deepEqual(await expandInclude('/etc/ssh/extra/[ab].conf', io), ['/etc/ssh/extra/a.conf', '/etc/ssh/extra/b.conf']);
    const s = await settings({
      [MAIN]: lines('Include missing.conf extra/*.conf', 'X11Forwarding yes'),
      '/etc/ssh/extra/a.conf': lines('X11Forwarding no'),
    });
    assert.equal(s.x11forwarding, 'no @/etc/ssh/extra/a.conf:1');
  });

  test('Match blocks do not set global values; Match all ends them', async () => {
    const s = await settings({
      [MAIN]: lines(
        'Match User deploy',
        '  PasswordAuthentication yes',
        '  PermitRootLogin yes',
        'Match all',
        'PermitRootLogin no',
        'PasswordAuthentication no',
      ),
    });
    assert.equal(s.permitrootlogin, 'no @/etc/ssh/sshd_config:5');
    assert.equal(s.passwordauthentication, 'no @/etc/ssh/sshd_config:6');
  });

  test('a Match in an included file ends with that file', async () => {
    const s = await settings({
      [MAIN]: lines('Include /etc/ssh/sshd_config.d/*.conf', 'PasswordAuthentication no'),
      '/etc/ssh/sshd_config.d/20-sftp.conf': lines('Match Group sftp', '  PasswordAuthentication yes', '  ForceCommand internal-sftp'),
    });
    assert.equal(s.passwordauthentication, 'no @/etc/ssh/sshd_config:2');
    assert.equal(s.forcecommand, undefined);
  });

  test('an Include inside a Match block sets nothing globally, even after a Match all in the included file', async () => {
    const s = await settings({
      [MAIN]: lines('Match Address 10.0.0.0/8', '  Include /etc/ssh/lan.conf', 'Match all', 'PermitRootLogin no'),
      '/etc/ssh/lan.conf': lines('PermitRootLogin yes', 'Match all', 'PasswordAuthentication yes'),
    });
    assert.deepEqual(s, {permitrootlogin: 'no @/etc/ssh/sshd_config:4'});
  });

  test('the old keyword ChallengeResponseAuthentication sets KbdInteractiveAuthentication, first one wins', async () => {
    const s = await settings({[MAIN]: lines('ChallengeResponseAuthentication no', 'KbdInteractiveAuthentication yes')});
    assert.equal(s.kbdinteractiveauthentication, 'no @/etc/ssh/sshd_config:1');
  });

  test('a chain of includes deeper than sshd’s limit is a located error, and a missing main file says ENOENT', async () => {
    const chain: Record<string, string> = {[MAIN]: lines('Include /etc/ssh/c/1.conf')};
    for (let i = 1; i <= 17; i++) chain[`/etc/ssh/c/${i}.conf`] = lines(`Include /etc/ssh/c/${i + 1}.conf`);
    await assert.rejects(parseSshdConfig(MAIN, memory(chain)), /c\/16\.conf:1: Include nested more than 16 deep/);
    await assert.rejects(parseSshdConfig(MAIN, memory({})), (err: NodeJS.ErrnoException) => err.code === 'ENOENT');
  });

  test('files that include each other (or themselves) are read once, and the first value still wins', async () => {
    const cfg = await parseSshdConfig(
      MAIN,
      memory({
        [MAIN]: lines('Include /etc/ssh/sshd_config.d/*.conf', 'Include /etc/ssh/sshd_config', 'PermitRootLogin yes'),
        '/etc/ssh/sshd_config.d/a.conf': lines('Include /etc/ssh/sshd_config.d/b.conf', 'PasswordAuthentication no'),
        '/etc/ssh/sshd_config.d/b.conf': lines('Include /etc/ssh/sshd_config.d/a.conf', 'PermitRootLogin no'),
      }),
    );
    assert.deepEqual(cfg.files, [MAIN, '/etc/ssh/sshd_config.d/a.conf', '/etc/ssh/sshd_config.d/b.conf']);
    assert.equal(cfg.settings.get('permitrootlogin')?.file, '/etc/ssh/sshd_config.d/b.conf');
    assert.equal(cfg.settings.get('passwordauthentication')?.file, '/etc/ssh/sshd_config.d/a.conf');
  });

  test('a file read inside a Match block that does not apply is read again when included globally', async () => {
    const s = await settings({
      [MAIN]: lines('Match User x', '  Include /etc/ssh/x.conf', 'Match all', 'Include /etc/ssh/x.conf'),
      '/etc/ssh/x.conf': lines('PermitRootLogin no'),
    });
    assert.deepEqual(s, {permitrootlogin: 'no @/etc/ssh/x.conf:1'});
  });

  test('an Include pattern that is not a valid glob is an error at its file and line', async () => {
    await assert.rejects(
      parseSshdConfig(MAIN, memory({[MAIN]: lines('PermitRootLogin no', 'Include /etc/ssh/sshd_config.d/[z-a]*.conf'), '/etc/ssh/sshd_config.d/a.conf': 'X'})),
      /^Error: \/etc\/ssh\/sshd_config:2: Include pattern "\/etc\/ssh\/sshd_config.d\/\[z-a\]\*\.conf" is not a valid glob/,
    );
  });

  test('CRLF line ends and a BOM read the same', async () => {
    const s = await settings({[MAIN]: '\uFEFFPermitRootLogin no\r\nPasswordAuthentication no\r\n'});
    assert.equal(s.permitrootlogin, 'no @/etc/ssh/sshd_config:1');
    assert.equal(s.passwordauthentication, 'no @/etc/ssh/sshd_config:2');
  });
});

describe('parseSshdT', () => {
  test('reads `sshd -T` lines, keeping the first of a repeated keyword', () => {
    const out = parseSshdT(lines('port 22', 'permitrootlogin without-password', 'passwordauthentication no', 'hostkey /etc/ssh/a', 'hostkey /etc/ssh/b', ''));
    assert.equal(out.get('permitrootlogin'), 'without-password');
    assert.equal(out.get('passwordauthentication'), 'no');
    assert.equal(out.get('hostkey'), '/etc/ssh/a');
    assert.equal(normalValue('permitrootlogin', 'without-password'), 'prohibit-password');
    assert.equal(normalValue('passwordauthentication', 'No'), 'no');
  });
});

// ---------------------------------------------------------------------------------------------
// The check on host trees

const ROOT_LOGIN = {option: 'PermitRootLogin', pass: ['no'], warn: ['prohibit-password']};

function hostTree(files: Record<string, string>): string {
  return dirWith(Object.fromEntries(Object.entries(files).map(([k, v]) => [k.replace(/^\//, ''), v])));
}

describe('host.ssh-option on a host tree', () => {
  test('pass, warn and fail by the value, each at its file and line', async () => {
    for (const [value, status] of [
      ['no', 'pass'],
      ['prohibit-password', 'warn'],
      ['without-password', 'warn'],
      ['yes', 'fail'],
    ] as const) {
      const root = hostTree({
        [MAIN]: lines('Include /etc/ssh/sshd_config.d/*.conf'),
        '/etc/ssh/sshd_config.d/10.conf': lines('# hardening', `PermitRootLogin ${value}`),
      });
      const r = await runCheck('host.ssh-option', tempDir(), {...ROOT_LOGIN, root});
      assert.equal(r.status, status, `${value}: ${r.message}`);
      assert.deepEqual(
        r.evidence.map((e) => [e.file, e.line]),
        [['/etc/ssh/sshd_config.d/10.conf', 2]],
      );
      assert.ok(!r.message.includes(root), 'the host tree is shown by its paths on the host');
    }
  });

  test("unset: OpenSSH's default applies and is judged, and says so", async () => {
    const root = hostTree({[MAIN]: lines('UsePAM yes')});
    const r = await runCheck('host.ssh-option', tempDir(), {...ROOT_LOGIN, root});
    assert.equal(r.status, 'warn');
    assert.match(r.message, /not set in \/etc\/ssh\/sshd_config, so OpenSSH's default prohibit-password applies/);
    const pw = await runCheck('host.ssh-option', tempDir(), {option: 'PasswordAuthentication', pass: ['no'], root});
    assert.equal(pw.status, 'fail');
  });

  test('no sshd_config: skip, saying so; a directory where it should be: error with the reason, no stack trace', async () => {
    const none = await runCheck('host.ssh-option', tempDir(), {...ROOT_LOGIN, root: tempDir()});
    assert.equal(none.status, 'skip');
    assert.match(none.message, /does not exist.*no OpenSSH server/);
    const root = tempDir();
    mkdirSync(join(root, 'etc', 'ssh', 'sshd_config'), {recursive: true});
    const odd = await runCheck('host.ssh-option', tempDir(), {...ROOT_LOGIN, root});
    assert.equal(odd.status, 'error');
    assert.match(odd.message, /cannot read the sshd configuration: .*sshd_config/);
    assert.ok(!/\n\s+at /.test(odd.message), odd.message);
  });

  test('a bad keyword, or a program that is not sshd, is refused by the params', async () => {
    const r = await runCheck('host.ssh-option', tempDir(), {option: 'Permit Root', pass: ['no']});
    assert.equal(r.status, 'error');
    assert.match(r.message, /bad params/);
    const other = await runCheck('host.ssh-option', tempDir(), {...ROOT_LOGIN, sshd: '/bin/sh'});
    assert.equal(other.status, 'error');
    assert.match(other.message, /bad params: sshd, or a path that ends in \/sshd/);
  });
});

describe('host.ssh-option with sshd -T', () => {
  /** A program standing for sshd: prints `out` for -T, or fails with `err`. */
  function fakeSshd(out: string, fail?: string): string {
    const dir = tempDir('shipshape-sshd-');
    const file = join(dir, 'sshd');
    const body = fail ? `echo ${JSON.stringify(fail)} >&2\nexit 255` : `cat <<'EOF'\n${out}EOF`;
    writeFileSync(file, `#!/bin/sh\n[ "$1" = "-T" ] && [ "$2" = "-f" ] || exit 2\n${body}\n`);
    chmodSync(file, 0o755);
    return file;
  }

  test('on the host (root /), sshd -T decides, and the files locate the value', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'sshd_config'), lines('PermitRootLogin without-password'));
    const sshd = fakeSshd(lines('port 22', 'permitrootlogin without-password', 'passwordauthentication no'));
    const r = await runCheck('host.ssh-option', tempDir(), {...ROOT_LOGIN, config: join(dir, 'sshd_config'), sshd});
    assert.equal(r.status, 'warn', r.message);
    assert.match(r.message, /PermitRootLogin is without-password \(sshd -T\)/);
    assert.deepEqual(
      r.evidence.map((e) => [e.file, e.line]),
      [[join(dir, 'sshd_config'), 1]],
    );
  });

  test('when sshd -T cannot run, the files decide and the message says why', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'sshd_config'), lines('PermitRootLogin no'));
    const sshd = fakeSshd('', 'sshd: no hostkeys available -- exiting.');
    const r = await runCheck('host.ssh-option', tempDir(), {...ROOT_LOGIN, config: join(dir, 'sshd_config'), sshd});
    assert.equal(r.status, 'pass', r.message);
    assert.match(r.message, /sshd -T not used: .*no hostkeys available/);
    const missing = await runCheck('host.ssh-option', tempDir(), {...ROOT_LOGIN, config: join(dir, 'sshd_config'), sshd: join(dir, 'nowhere', 'sshd')});
    assert.equal(missing.status, 'pass');
    assert.match(missing.message, /not installed here/);
  });

  test('an Include with a bad glob: the check errors at the file and line, not with a bare SyntaxError', async () => {
    const root = hostTree({[MAIN]: lines('Include sshd_config.d/[z-a].conf', 'PermitRootLogin no'), '/etc/ssh/sshd_config.d/a.conf': 'X\n'});
    const r = await runCheck('host.ssh-option', tempDir(), {...ROOT_LOGIN, root});
    assert.equal(r.status, 'error');
    assert.match(r.message, /\/etc\/ssh\/sshd_config:1: Include pattern "sshd_config\.d\/\[z-a\]\.conf" is not a valid glob/);
  });

  test('a host tree other than / never runs sshd', async () => {
    const root = hostTree({[MAIN]: lines('PermitRootLogin no')});
    const sshd = fakeSshd(lines('permitrootlogin yes'));
    const r = await runCheck('host.ssh-option', tempDir(), {...ROOT_LOGIN, root, sshd});
    assert.equal(r.status, 'pass', r.message);
  });

  const real = '/usr/sbin/sshd';
  test('the real sshd -T -f on a test config agrees with the files', async (t) => {
    if (!existsSync(real)) return unavailable(t, `${real} is not installed on this machine (Debian: openssh-server)`);
    // sshd -T wants its privilege separation directory, which the service makes when it starts
    // (systemd's RuntimeDirectory); in a container where sshd never ran, make it for the test.
    const privsep = '/run/sshd';
    if (!existsSync(privsep) && process.getuid?.() === 0) {
      mkdirSync(privsep, {mode: 0o755});
      t.after(() => rmSync(privsep, {recursive: true, force: true}));
    }
    const dir = tempDir('shipshape-sshd-real-');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'hostkey')]);
    mkdirSync(join(dir, 'd'));
    writeFileSync(join(dir, 'd', '10.conf'), lines('PasswordAuthentication no'));
    writeFileSync(
      join(dir, 'sshd_config'),
      lines(`HostKey ${join(dir, 'hostkey')}`, `Include ${join(dir, 'd')}/*.conf`, 'PasswordAuthentication yes', 'Match User x', '  PermitRootLogin yes'),
    );
    const r = await runCheck('host.ssh-option', tempDir(), {option: 'PasswordAuthentication', pass: ['no'], sshd: real, config: join(dir, 'sshd_config')});
    // Without root or the sshd user, sshd -T refuses and the check reads the files alone: that
    // would compare nothing with the real sshd.
    const notUsed = /sshd -T not used: (.*)$/.exec(r.message);
    if (notUsed) return unavailable(t, `sshd -T cannot run here: ${notUsed[1]}`);
    assert.match(r.message, /\(sshd -T\)/);
    assert.equal(r.status, 'pass', r.message);
    assert.deepEqual(
      r.evidence.map((e) => [e.file, e.line]),
      [[join(dir, 'd', '10.conf'), 1]],
    );
  });
});
