// host.* checks against this machine as it really is: the real filesystem (statfs), the real
// systemctl and PID 1, whichever firewall tools exist (none are installed or changed here), and
// real files in temp dirs for daemon.json, crontabs, scripts and backups (mtimes set with utimes).
import assert from 'node:assert/strict';
import {chmodSync, existsSync, mkdirSync, readFileSync, statfsSync, symlinkSync, utimesSync, writeFileSync} from 'node:fs';
import {delimiter, join} from 'node:path';
import {describe, test} from 'node:test';
import {backupFresh, scheduled} from '../../src/checks/host-backups.js';
import {disk, dockerLogs} from '../../src/checks/host-disk.js';
import {firewall} from '../../src/checks/host-firewall.js';
import {systemdUnit} from '../../src/checks/host-services.js';
import {runStep} from '../../src/engine/run.js';
import type {CheckResult} from '../../src/model/types.js';
import type {CheckDef} from '../../src/checks/define.js';
import {contextFor, tempDir, withEmptyPath, writeFiles} from '../support/helpers.js';

const run = (def: CheckDef, dir: string, params: unknown, timeoutMs = 10_000): Promise<CheckResult> => runStep(def, contextFor(dir), params, timeoutMs);

/** Whether a program is on PATH (plus the sbin directories the firewall check adds). */
function installed(name: string, extra: string[] = []): boolean {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...extra].filter(Boolean);
  return dirs.some((d) => existsSync(join(d, name)));
}

const pid1 = readFileSync('/proc/1/comm', 'utf8').trim();
const systemdBooted = existsSync('/run/systemd/system') || pid1 === 'systemd';
const hasSystemctl = installed('systemctl');
const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

const HOUR = 3_600_000;

/** Sets a file's mtime to `ageMs` ago. */
function age(path: string, ageMs: number): void {
  const t = new Date(Date.now() - ageMs);
  utimesSync(path, t, t);
}

describe('host.disk', () => {
  /** The temp dir's filesystem use, counted as df (and the check) count it. */
  function realUse(dir: string): {pct: number; freeGiB: number} {
    const s = statfsSync(dir);
    const used = s.blocks - s.bfree;
    return {pct: Math.ceil((used * 100) / (used + s.bavail)), freeGiB: (s.bavail * s.bsize) / 1024 ** 3};
  }
  const shownPct = (r: CheckResult) => Number(/: (\d+)% used/.exec(r.evidence[0]?.detail ?? '')?.[1]);

  test('passes under thresholds set above the real use, with the mount and free space as evidence', async () => {
    const dir = tempDir();
    const {pct, freeGiB} = realUse(dir);
    const r = await run(disk, dir, {maxPercent: Math.min(100, pct + 3), minFreeGb: Math.floor(freeGiB / 2)});
    assert.equal(r.status, 'pass', r.message);
    assert.equal(r.evidence[0]!.file, '.');
    assert.match(r.evidence[0]!.detail, /^on \/\S* \(.*\): \d+% used, [\d.]+ GiB free of [\d.]+ GiB/);
    // Other processes may write meanwhile: the same use, give or take a point.
    assert.ok(Math.abs(shownPct(r) - pct) <= 1, `${shownPct(r)} vs ${pct}`);
    assert.match(r.message, /% used \(at most \d+%, at least \d+ GiB free\)/);
  });

  test('fails when the use is above maxPercent, or the free space below minFreeGb', async (t) => {
    const dir = tempDir();
    const {pct, freeGiB} = realUse(dir);
    const free = await run(disk, dir, {minFreeGb: Math.ceil(freeGiB * 2) + 1});
    assert.equal(free.status, 'fail');
    assert.match(free.message, /GiB free, below \d+ GiB/);
    if (pct < 3) return t.skip(`the filesystem is only ${pct}% used: no lower threshold to fail`);
    const r = await run(disk, dir, {maxPercent: pct - 2});
    assert.equal(r.status, 'fail');
    assert.match(r.message, new RegExp(`\\d+% used, above ${pct - 2}%`));
  });

  test('relative paths are under the root, absolute ones as given; a missing path is an error', async () => {
    const dir = tempDir();
    writeFiles(dir, {'data/keep': ''});
    const rel = await run(disk, dir, {path: 'data', maxPercent: 100});
    assert.equal(rel.status, 'pass');
    assert.equal(rel.evidence[0]!.file, 'data');
    const abs = await run(disk, tempDir(), {path: join(dir, 'data'), maxPercent: 100});
    assert.equal(abs.evidence[0]!.file, join(dir, 'data'));
    const gone = await run(disk, dir, {path: 'no-such-dir'});
    assert.equal(gone.status, 'error');
    assert.equal(gone.message, 'no-such-dir does not exist');
  });

  test('bad params', async () => {
    const dir = tempDir();
    assert.match((await run(disk, dir, {maxPercent: 101})).message, /bad params/);
    assert.match((await run(disk, dir, {minFreeGb: -1})).message, /bad params/);
    assert.match((await run(disk, dir, {size: 3})).message, /bad params/);
  });
});

describe('host.systemd-unit', () => {
  test('on this machine: skips with the reason when systemd is not PID 1 or systemctl is missing', {
    skip: systemdBooted && hasSystemctl ? 'systemd runs here' : false,
  }, async () => {
    const r = await run(systemdUnit, tempDir(), {unit: 'ssh.service', active: true});
    assert.equal(r.status, 'skip');
    if (!hasSystemctl) assert.match(r.message, /^systemctl is not installed/);
    else assert.equal(r.message, `systemd is not PID 1 here (PID 1 is ${pid1}), so unit state cannot be read: run Shipshape on the host itself`);
  });

  test('with systemd running: a unit that does not exist fails', {
    skip: systemdBooted && hasSystemctl ? false : `systemd is not PID 1 here (PID 1 is ${pid1})`,
  }, async () => {
    const r = await run(systemdUnit, tempDir(), {unit: 'shipshape-no-such-unit.service'});
    assert.equal(r.status, 'fail');
    assert.match(r.message, /not installed here \(no such unit\)/);
  });

  test('systemctl really missing (PATH emptied): skip saying so', async () => {
    const r = await withEmptyPath(() => run(systemdUnit, tempDir(), {unit: 'docker'}));
    assert.equal(r.status, 'skip');
    assert.equal(r.message, 'systemctl is not installed: cannot tell whether docker is enabled');
  });

  test('bad params: not a unit name', async () => {
    const dir = tempDir();
    assert.match((await run(systemdUnit, dir, {unit: '--all'})).message, /bad params: unit is a systemd unit name/);
    assert.match((await run(systemdUnit, dir, {unit: 'a b'})).message, /bad params/);
    assert.match((await run(systemdUnit, dir, {})).message, /bad params/);
  });
});

describe('host.firewall', () => {
  const tools = ['ufw', 'nft', 'iptables'].filter((t) => installed(t, SBIN));
  const CAVEAT =
    /Note: ports Docker publishes bypass these INPUT rules \(Docker inserts its own chains, DOCKER and DOCKER-USER, ahead of them\), so a firewall is not proof that published ports are private/;

  test('none of ufw, nft, iptables installed here: skip, with the Docker caveat', {
    skip: tools.length > 0 ? `installed here: ${tools.join(', ')}` : false,
  }, async () => {
    const r = await run(firewall, tempDir(), {});
    assert.equal(r.status, 'skip');
    assert.match(r.message, /^none of ufw, nft, iptables is installed: cannot tell the firewall's default\. /);
    assert.match(r.message, CAVEAT);
    const ufw = await run(firewall, tempDir(), {via: 'ufw'});
    assert.equal(ufw.status, 'skip');
    assert.match(ufw.message, /^ufw is not installed\. Note: /);
  });

  test('whatever is installed here: a verdict or a skip (root or capability), never a crash, always the caveat', {
    skip: tools.length === 0 ? 'no firewall tool here' : false,
  }, async () => {
    const r = await run(firewall, tempDir(), {});
    assert.ok(['pass', 'fail', 'warn', 'skip'].includes(r.status), `${r.status}: ${r.message}`);
    assert.match(r.message, CAVEAT);
  });

  test('bad params and an aborted run', async () => {
    assert.match((await run(firewall, tempDir(), {via: 'pf'})).message, /bad params/);
    const ac = new AbortController();
    ac.abort();
    const r = await firewall.run(contextFor(tempDir()), firewall.params.parse({}), ac.signal);
    assert.equal(r.status, 'error');
    assert.match(r.message, /^stopped before the firewall was read\. Note: /);
  });
});

describe('host.docker-logs', () => {
  const check = async (json: string, name = 'daemon.json') => {
    const dir = tempDir();
    writeFiles(dir, {[name]: json});
    return run(dockerLogs, dir, {file: join(dir, name)});
  };

  test('journald and local bound the logs', async () => {
    const j = await check('{\n  "log-driver": "journald"\n}\n');
    assert.equal(j.status, 'pass');
    assert.match(j.message, /journald/);
    assert.equal(j.evidence[0]!.line, 2);
    assert.equal(j.evidence[0]!.detail, 'log-driver: journald');
    const l = await check('{"log-driver": "local"}');
    assert.equal(l.status, 'pass');
    assert.match(l.message, /local driver, which rotates by default \(max-size 20m, max-file 5\)/);
  });

  test('json-file with max-size (and max-file) passes; the default driver counts as json-file', async () => {
    const r = await check('{\n  "log-driver": "json-file",\n  "log-opts": {\n    "max-size": "10m",\n    "max-file": "3"\n  }\n}\n');
    assert.equal(r.status, 'pass');
    assert.equal(r.message, 'json-file logs rotate at 10m, keeping 3 files, up to 30.0 MiB a container');
    assert.deepEqual(
      r.evidence.map((e) => [e.line, e.detail]),
      [
        [2, 'log-driver: json-file'],
        [4, 'max-size: 10m'],
        [5, 'max-file: 3'],
      ],
    );
    const implicit = await check('{"log-opts": {"max-size": "50m"}}');
    assert.equal(implicit.status, 'pass');
    assert.equal(implicit.evidence[0]!.detail, 'log-driver not set: json-file (the default)');
  });

  test('json-file without max-size fails, even with max-file; so does an empty config', async () => {
    const r = await check('{"log-driver": "json-file"}');
    assert.equal(r.status, 'fail');
    assert.match(r.message, /^json-file logs grow without bound \(no max-size\): set "log-opts": \{"max-size": "10m", "max-file": "3"\}/);
    const onlyFile = await check('{"log-driver": "json-file", "log-opts": {"max-file": "3"}}');
    assert.equal(onlyFile.status, 'fail');
    assert.match(onlyFile.message, /max-file \(3\) has no effect without max-size/);
    assert.equal((await check('{"data-root": "/srv/docker"}')).status, 'fail');
  });

  test('a missing daemon.json fails: Docker keeps json-file logs unbounded by default', async () => {
    const dir = tempDir();
    const r = await run(dockerLogs, dir, {file: join(dir, 'daemon.json')});
    assert.equal(r.status, 'fail');
    assert.match(r.message, /daemon\.json does not exist: Docker keeps json-file logs unbounded by default/);
  });

  test('malformed JSON is an error at its line and column', async () => {
    const r = await check('{\n  "log-driver": "json-file",\n  "log-opts": {"max-size": 10m}\n}\n');
    assert.equal(r.status, 'error');
    assert.match(r.message, /daemon\.json:3:30: not valid JSON: expected ',' or '}'/);
    assert.equal(r.evidence[0]!.line, 3);
    const trailing = await check('{\n  "log-driver": "local",\n  "log-opts": {\n    "max-size": "10m",\n  }\n}\n');
    assert.equal(trailing.status, 'error');
    assert.match(trailing.message, /:5:3: not valid JSON: expected a double-quoted property name/);
    const cut = await check('{\n  "log-driver": "local"\n');
    assert.match(cut.message, /:3:1: not valid JSON: unexpected end of the file: '}' is missing/);
    assert.match((await check('')).message, /:1:1: not valid JSON/);
    assert.match((await check('["log-driver"]')).message, /is not a JSON object/);
  });

  test('a relative file is under the deployment root', async () => {
    const dir = tempDir();
    writeFiles(dir, {'docker/daemon.json': '{"log-driver": "journald"}'});
    const r = await run(dockerLogs, dir, {file: 'docker/daemon.json'});
    assert.equal(r.status, 'pass');
    assert.equal(r.evidence[0]!.file, 'docker/daemon.json');
  });

  test('the real /etc/docker/daemon.json of this machine', async () => {
    const r = await run(dockerLogs, tempDir(), {});
    if (!existsSync('/etc/docker/daemon.json')) {
      assert.equal(r.status, 'fail');
      assert.match(r.message, /^\/etc\/docker\/daemon\.json does not exist: Docker keeps json-file logs unbounded by default/);
    } else assert.ok(['pass', 'fail', 'error'].includes(r.status));
  });
});

describe('host.scheduled', () => {
  /** Only the given places: nothing from this machine's own crontabs or timers. */
  const only = (extra: Record<string, unknown>) => ({cronFiles: [], cronDirs: [], spoolDirs: [], scriptDirs: [], userCrontab: false, timers: false, ...extra});

  function cronTree(): string {
    const dir = tempDir();
    const long = `PGPASSWORD=hunter2 pg_dump -h localhost -U app app | gzip > /srv/backups/app-$(date +\\%F).sql.gz && echo ${'x'.repeat(200)}`;
    writeFiles(dir, {
      'cron.d/backup': `SHELL=/bin/sh\n# nightly dump\n# 0 2 * * * root pg_dump old\n30 3 * * * postgres ${long}\n`,
      'cron.d/logrotate': '0 * * * * root /usr/sbin/logrotate /etc/logrotate.conf\n',
      'empty.d/.keep': '',
      crontab: '17 * * * * root cd / && run-parts --report /etc/cron.hourly\n',
    });
    return dir;
  }

  test('a pg_dump line in a cron.d file passes, naming file:line, the command masked and cut at 120 chars', async () => {
    const dir = cronTree();
    const r = await run(scheduled, dir, only({pattern: 'pg_dump|restic|borg', cronFiles: ['crontab'], cronDirs: ['cron.d']}));
    assert.equal(r.status, 'pass', r.message);
    assert.equal(r.message, '1 scheduled entry runs /pg_dump|restic|borg/');
    assert.equal(r.evidence.length, 1);
    assert.equal(r.evidence[0]!.file, 'cron.d/backup');
    assert.equal(r.evidence[0]!.line, 4);
    const detail = r.evidence[0]!.detail;
    assert.match(detail, /^30 3 \* \* \* as postgres runs: PGPASSWORD=\*\*\* pg_dump -h localhost/);
    assert.ok(!detail.includes('hunter2'));
    const shown = detail.slice(detail.indexOf('runs: ') + 'runs: '.length);
    assert.ok(shown.endsWith('…') && shown.length === 121, `${shown.length}: ${shown}`);
  });

  test('no matching line (a commented-out one does not count) fails, saying where it looked', async () => {
    const dir = cronTree();
    writeFiles(dir, {'other.d/backup': '# 0 2 * * * root pg_dump app\n0 4 * * * root /usr/bin/true\n'});
    const r = await run(scheduled, dir, only({pattern: 'pg_dump', cronFiles: 'crontab', cronDirs: ['other.d', 'empty.d', 'missing.d']}));
    assert.equal(r.status, 'fail');
    assert.equal(r.message, 'nothing scheduled runs /pg_dump/ (2 entries; searched crontab, other.d/backup, empty.d/.keep)');
    assert.deepEqual(
      r.evidence.map((e) => e.file),
      ['crontab', 'other.d/backup', 'empty.d/.keep'],
    );
  });

  test('a cron.d file cron ignores (a dot in its name) only warns', async () => {
    const dir = tempDir();
    writeFiles(dir, {'cron.d/backup.sh': '0 3 * * * root restic backup /srv\n'});
    const r = await run(scheduled, dir, only({pattern: 'restic', cronDirs: join(dir, 'cron.d')}));
    assert.equal(r.status, 'warn');
    assert.match(r.message, /would not run: cron ignores backup\.sh/);
    assert.equal(r.evidence[0]!.file, join(dir, 'cron.d/backup.sh'));
  });

  test('a user crontab in the spool (no user field) counts', async () => {
    const dir = tempDir();
    writeFiles(dir, {'spool/root': '@daily borg create /repo::{now} /srv\n'});
    const r = await run(scheduled, dir, only({pattern: 'borg create', spoolDirs: 'spool'}));
    assert.equal(r.status, 'pass');
    assert.equal(r.evidence[0]!.detail, '@daily runs: borg create /repo::{now} /srv');
  });

  test('the script a cron line runs is searched; a redirect target is not', async () => {
    const dir = tempDir();
    const script = join(dir, 'bin/backup.sh');
    const log = join(dir, 'log/backup.log');
    writeFiles(dir, {
      'bin/backup.sh': '#!/bin/sh\n# pg_dump in a comment does not count\nset -e\npg_dump -Fc app > /srv/backups/app.dump\n',
      'log/backup.log': 'pg_dump: done\n',
    });
    chmodSync(script, 0o755);
    chmodSync(log, 0o755);
    writeFiles(dir, {'cron.d/backup': `0 3 * * * root ${script} >> ${log} 2>&1\n`, 'cron.d/quiet': `0 3 * * * root /usr/bin/true >> ${log}\n`});
    const r = await run(scheduled, dir, only({pattern: 'pg_dump', cronDirs: 'cron.d'}));
    assert.equal(r.status, 'pass', r.message);
    assert.equal(r.evidence.length, 1);
    assert.equal(r.evidence[0]!.file, 'cron.d/backup');
    assert.match(r.evidence[0]!.detail, new RegExp(`\\(whose ${script}:4 matches: pg_dump -Fc app > /srv/backups/app\\.dump\\)$`));
    assert.equal((await run(scheduled, dir, only({pattern: 'pg_dump', cronDirs: 'cron.d', followScripts: false}))).status, 'fail');
    // Not executable: followed only when an interpreter runs it.
    chmodSync(script, 0o644);
    assert.equal((await run(scheduled, dir, only({pattern: 'pg_dump', cronDirs: 'cron.d'}))).status, 'fail');
    writeFiles(dir, {'cron.d/backup': `0 3 * * * root /bin/sh ${script}\n`});
    assert.equal((await run(scheduled, dir, only({pattern: 'pg_dump', cronDirs: 'cron.d'}))).status, 'pass');
  });

  test('a cron.daily script: executable passes, not executable warns (run-parts skips it)', async () => {
    const dir = tempDir();
    writeFiles(dir, {'cron.daily/pgbackup': '#!/bin/sh\nexec pg_dumpall > /srv/backups/all.sql\n'});
    chmodSync(join(dir, 'cron.daily/pgbackup'), 0o755);
    const r = await run(scheduled, dir, only({pattern: 'pg_dump', scriptDirs: 'cron.daily'}));
    assert.equal(r.status, 'pass');
    assert.deepEqual([r.evidence[0]!.file, r.evidence[0]!.line], ['cron.daily/pgbackup', 2]);
    assert.equal(r.evidence[0]!.detail, 'run daily from cron.daily: line 2 matches: exec pg_dumpall > /srv/backups/all.sql');
    chmodSync(join(dir, 'cron.daily/pgbackup'), 0o644);
    const w = await run(scheduled, dir, only({pattern: 'pg_dump', scriptDirs: 'cron.daily'}));
    assert.equal(w.status, 'warn');
    assert.match(w.message, /it is not executable, so run-parts skips it \(chmod \+x cron\.daily\/pgbackup\)/);
  });

  test('the real crontabs and timers of this machine', async () => {
    const miss = await run(scheduled, tempDir(), {pattern: 'shipshape-no-such-backup-tool'});
    assert.equal(miss.status, 'fail');
    if (!installed('crontab')) assert.match(miss.message, /crontab is not installed/);
    if (!hasSystemctl) assert.match(miss.message, /systemd timers not read: systemctl is not installed/);
    else if (!systemdBooted) assert.match(miss.message, new RegExp(`systemd timers not read: systemd is not PID 1 here \\(PID 1 is ${pid1}\\)`));
    if (existsSync('/etc/cron.d/e2scrub_all')) {
      const hit = await run(scheduled, tempDir(), {pattern: 'e2scrub_all', timers: false});
      assert.equal(hit.status, 'pass', hit.message);
      assert.ok(hit.evidence.some((e) => e.file === '/etc/cron.d/e2scrub_all' && typeof e.line === 'number' && / as root runs: /.test(e.detail)));
    }
  });

  test('a pathological pattern is cut off instead of hanging the run', async () => {
    const dir = tempDir();
    writeFiles(dir, {'cron.d/x': `0 3 * * * root ${'a'.repeat(40)}!\n`, 'backups/b': ''});
    writeFileSync(join(dir, 'backups', `${'a'.repeat(40)}!`), 'x');
    const started = performance.now();
    const r = await run(scheduled, dir, only({pattern: '^(a+)+$', cronDirs: 'cron.d'}));
    assert.equal(r.status, 'error');
    assert.equal(r.message, 'the pattern ran longer than 1000 ms (/^(a+)+$/): simplify it');
    const b = await run(backupFresh, dir, {dir: 'backups', pattern: '^(a+)+$'});
    assert.equal(b.status, 'error');
    assert.match(b.message, /^the pattern ran longer than 1000 ms/);
    assert.ok(performance.now() - started < 5_000);
  });

  test('bad params', async () => {
    const dir = tempDir();
    assert.match((await run(scheduled, dir, {pattern: '(unclosed'})).message, /bad params: pattern is not a valid regular expression/);
    assert.match((await run(scheduled, dir, {pattern: 'x', flags: 'g'})).message, /bad params/);
    assert.match((await run(scheduled, dir, {})).message, /bad params/);
  });
});

describe('host.backup-fresh', () => {
  function backups(files: Record<string, number>): string {
    const dir = tempDir();
    for (const [name, ageMs] of Object.entries(files)) {
      writeFiles(dir, {[`backups/${name}`]: 'dump\n'});
      age(join(dir, 'backups', name), ageMs);
    }
    mkdirSync(join(dir, 'backups'), {recursive: true});
    return dir;
  }

  test('a fresh newest file passes, naming it and its age', async () => {
    const dir = backups({'app-1.sql.gz': 50 * HOUR, 'app-2.sql.gz': 2 * HOUR});
    const r = await run(backupFresh, dir, {dir: 'backups'});
    assert.equal(r.status, 'pass');
    assert.equal(r.message, 'the newest backup, backups/app-2.sql.gz, is 2.0 hours old (within 26 hours)');
    assert.equal(r.evidence[0]!.file, 'backups/app-2.sql.gz');
    assert.match(r.evidence[0]!.detail, /^newest of 2 files: modified \d{4}-\d\d-\d\dT.*Z \(2\.0 hours old\), 5 bytes$/);
  });

  test('a stale newest file fails; maxAgeHours moves the line', async () => {
    const dir = backups({'app.sql.gz': 30 * HOUR, 'old.sql.gz': 80 * HOUR});
    const r = await run(backupFresh, dir, {dir: join(dir, 'backups')});
    assert.equal(r.status, 'fail');
    assert.equal(r.message, `the newest backup, ${join(dir, 'backups/app.sql.gz')}, is 30.0 hours old: older than 26 hours`);
    assert.equal((await run(backupFresh, dir, {dir: 'backups', maxAgeHours: 48})).status, 'pass');
    assert.equal(
      (await run(backupFresh, backups({'weekly.tar': 9 * 24 * HOUR}), {dir: 'backups'})).message,
      'the newest backup, backups/weekly.tar, is 9.0 days old: older than 26 hours',
    );
  });

  test('empty and missing directories fail', async () => {
    const empty = backups({});
    const e = await run(backupFresh, empty, {dir: 'backups'});
    assert.equal(e.status, 'fail');
    assert.equal(e.message, 'backups holds no files: no backups');
    const m = await run(backupFresh, empty, {dir: 'nope'});
    assert.equal(m.status, 'fail');
    assert.equal(m.message, 'nope does not exist: no backups');
    writeFiles(empty, {'file.txt': 'x'});
    assert.equal((await run(backupFresh, empty, {dir: 'file.txt'})).message, 'file.txt is not a directory');
  });

  test('glob and pattern pick the backups among other files', async () => {
    const dir = backups({'app.dump': 40 * HOUR, 'notes.txt': HOUR, 'db-2024.sql': 3 * HOUR});
    const g = await run(backupFresh, dir, {dir: 'backups', glob: '*.dump'});
    assert.equal(g.status, 'fail');
    assert.match(g.message, /backups\/app\.dump, is 40\.0 hours old/);
    assert.match(g.evidence[0]!.detail, /^newest of 1 file matching \*\.dump:/);
    const p = await run(backupFresh, dir, {dir: 'backups', pattern: '^db-\\d+\\.sql$'});
    assert.equal(p.status, 'pass');
    assert.equal(p.evidence[0]!.file, 'backups/db-2024.sql');
    const none = await run(backupFresh, dir, {dir: 'backups', glob: '*.tar.zst'});
    assert.equal(none.message, 'backups holds no file matching *.tar.zst (3 other files): no backups');
    assert.match((await run(backupFresh, dir, {dir: 'backups', pattern: '('})).message, /bad params: pattern is not a valid regular expression/);
  });

  test('recursive reaches dated subdirectories; without it they are not read', async () => {
    const dir = backups({'top.dump': 60 * HOUR});
    writeFiles(dir, {'backups/2024/06/db.dump': 'dump\n'});
    age(join(dir, 'backups/2024/06/db.dump'), HOUR);
    assert.equal((await run(backupFresh, dir, {dir: 'backups'})).status, 'fail');
    const r = await run(backupFresh, dir, {dir: 'backups', recursive: true, glob: '*.dump'});
    assert.equal(r.status, 'pass');
    assert.equal(r.evidence[0]!.file, 'backups/2024/06/db.dump');
    assert.equal((await run(backupFresh, dir, {dir: 'backups', recursive: true, glob: '2024/**/*.dump'})).status, 'pass');
  });

  test('an empty newest file fails; a future mtime warns; a latest symlink is followed', async () => {
    const dir = backups({'old.sql': 10 * HOUR});
    writeFileSync(join(dir, 'backups/new.sql'), '');
    age(join(dir, 'backups/new.sql'), HOUR);
    const r = await run(backupFresh, dir, {dir: 'backups'});
    assert.equal(r.status, 'fail');
    assert.match(r.message, /backups\/new\.sql, has 0 bytes \(at least 1 wanted\): a failed dump\?/);
    assert.equal((await run(backupFresh, dir, {dir: 'backups', minBytes: 0})).status, 'pass');
    age(join(dir, 'backups/new.sql'), -3 * HOUR);
    const f = await run(backupFresh, dir, {dir: 'backups', minBytes: 0});
    assert.equal(f.status, 'warn');
    assert.match(f.message, /is dated 3\.0 hours in the future: is the clock right\?/);
    const linked = backups({'real.sql': 2 * HOUR});
    symlinkSync(join(linked, 'backups/real.sql'), join(linked, 'backups/latest'));
    const l = await run(backupFresh, linked, {dir: 'backups', glob: 'latest'});
    assert.equal(l.status, 'pass');
    assert.match(l.message, /latest, is 2\.0 hours old/);
  });

  test('an aborted signal stops the check with an error, without throwing', async () => {
    const ac = new AbortController();
    ac.abort();
    const dir = backups({'a.sql': HOUR});
    for (const [def, params] of [
      [backupFresh, {dir: 'backups'}],
      [disk, {}],
      [dockerLogs, {file: join(dir, 'backups/a.sql')}],
      [scheduled, {pattern: 'x', timers: false, userCrontab: false}],
    ] as const) {
      const r = await def.run(contextFor(dir), def.params.parse(params) as never, ac.signal);
      assert.equal(r.status, 'error', `${def.id}: ${r.message}`);
      assert.match(r.message, /stopped/);
    }
  });
});
