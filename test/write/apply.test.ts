import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {pathToFileURL} from 'node:url';
import {describe, test} from 'node:test';
import {applyChangeSet, cleanStaleTemps, TEMP_PREFIX, WriteError} from '../../src/write/apply.js';
import type {ChangeSet, FileChange} from '../../src/write/changeSet.js';
import {setEnvValue} from '../../src/write/envEdit.js';
import {dirWith, REPO, tempDir} from '../support/helpers.js';

const NOW = new Date('2026-07-21T10:33:29.456Z');
const STAMP = '20260721T103329Z';

const set = (...changes: FileChange[]): ChangeSet => ({changes, secrets: [], summary: changes.map((c) => c.path)});
const modeOf = (p: string) => statSync(p).mode & 0o7777;
const read = (p: string) => readFileSync(p, 'utf8');

/** Every file under dir (relative path -> text), to prove a failed apply left nothing behind. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, {recursive: true, withFileTypes: true})) {
    const p = join(e.parentPath, e.name);
    if (e.isFile()) out[p.slice(dir.length + 1)] = `${modeOf(p).toString(8)} ${read(p)}`;
    else if (e.isDirectory()) out[`${p.slice(dir.length + 1)}/`] = modeOf(p).toString(8);
  }
  return out;
}

/** Runs fn, expecting a WriteError whose message matches; returns it. */
async function rejectsWith(fn: () => Promise<unknown>, message: RegExp): Promise<WriteError> {
  let caught: unknown;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof WriteError, `expected a WriteError, got ${String(caught)}`);
  assert.match(caught.message, message);
  return caught;
}

const ENV = '# settings\r\nexport A=1\r\nJWT_SECRET=changeme  # rotate me\r\nB="two words"\r\n';

describe('applyChangeSet: writing', () => {
  test('writes the new text; bytes outside the changed value are preserved; a 0600 backup holds the old bytes', async () => {
    const dir = dirWith({'.env': ENV});
    chmodSync(join(dir, '.env'), 0o644);
    const after = setEnvValue(ENV, 'JWT_SECRET', 'n3w-s3cret');
    const r = await applyChangeSet(dir, set({path: '.env', before: ENV, after, secret: true}), {now: NOW});
    assert.deepEqual(r, {written: ['.env'], backups: [`.env.shipshape-backup-${STAMP}`]});
    assert.equal(read(join(dir, '.env')), ENV.replace('changeme', 'n3w-s3cret'));
    assert.equal(modeOf(join(dir, '.env')), 0o600);
    const backup = join(dir, r.backups[0]!);
    assert.equal(read(backup), ENV);
    assert.equal(modeOf(backup), 0o600);
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.startsWith(TEMP_PREFIX)),
      [],
    );
  });

  test('never overwrites an existing backup: a second write in the same second adds a suffix', async () => {
    const dir = dirWith({'a.txt': 'one\n'});
    await applyChangeSet(dir, set({path: 'a.txt', before: 'one\n', after: 'two\n', secret: false}), {now: NOW});
    const r = await applyChangeSet(dir, set({path: 'a.txt', before: 'two\n', after: 'three\n', secret: false}), {now: NOW});
    assert.deepEqual(r.backups, [`a.txt.shipshape-backup-${STAMP}-1`]);
    assert.equal(read(join(dir, `a.txt.shipshape-backup-${STAMP}`)), 'one\n');
    assert.equal(read(join(dir, `a.txt.shipshape-backup-${STAMP}-1`)), 'two\n');
  });

  test('a new secret file is 0600, in new folders made 0700; no backup for a new file', async () => {
    const dir = tempDir();
    const r = await applyChangeSet(dir, set({path: 'secrets/jwt/private.pem', before: undefined, after: 'KEY\n', secret: true}));
    assert.deepEqual(r, {written: ['secrets/jwt/private.pem'], backups: []});
    assert.equal(modeOf(join(dir, 'secrets/jwt/private.pem')), 0o600);
    assert.equal(modeOf(join(dir, 'secrets')), 0o700);
    assert.equal(modeOf(join(dir, 'secrets/jwt')), 0o700);
  });

  test('modes: an 0640 secret becomes 0600, an 0400 secret stays 0400, a non-secret keeps its mode', async () => {
    const dir = dirWith({'a.env': 'A=1\n', 'b.env': 'B=1\n', 'run.sh': 'echo 1\n'});
    chmodSync(join(dir, 'a.env'), 0o640);
    chmodSync(join(dir, 'b.env'), 0o400);
    chmodSync(join(dir, 'run.sh'), 0o755);
    await applyChangeSet(
      dir,
      set(
        {path: 'a.env', before: 'A=1\n', after: 'A=2\n', secret: true},
        {path: 'b.env', before: 'B=1\n', after: 'B=2\n', secret: true},
        {path: 'run.sh', before: 'echo 1\n', after: 'echo 2\n', secret: false},
      ),
    );
    assert.equal(modeOf(join(dir, 'a.env')), 0o600);
    assert.equal(modeOf(join(dir, 'b.env')), 0o400);
    assert.equal(modeOf(join(dir, 'run.sh')), 0o755);
    assert.equal(read(join(dir, 'b.env')), 'B=2\n');
  });

  test('a file of another user stays theirs, and so does its backup', {skip: process.getuid?.() !== 0 && 'needs root to give files away'}, async () => {
    const dir = dirWith({'.env': 'A=1\n'});
    chownSync(join(dir, '.env'), 4321, 4322);
    const r = await applyChangeSet(dir, set({path: '.env', before: 'A=1\n', after: 'A=2\n', secret: true}), {now: NOW});
    for (const p of ['.env', r.backups[0]!]) {
      const st = statSync(join(dir, p));
      assert.deepEqual([st.uid, st.gid, st.mode & 0o777], [4321, 4322, 0o600], p);
    }
  });

  test('a path with a harmless .. inside is written where it leads', async () => {
    const dir = dirWith({'conf/x': ''});
    const r = await applyChangeSet(dir, set({path: 'conf/../app.yaml', before: undefined, after: 'a: 1\n', secret: false}));
    assert.deepEqual(r.written, ['app.yaml']);
    assert.equal(read(join(dir, 'app.yaml')), 'a: 1\n');
  });

  test('a change that changes nothing is not written', async () => {
    const dir = dirWith({'a.txt': 'same\n'});
    assert.deepEqual(await applyChangeSet(dir, set({path: 'a.txt', before: 'same\n', after: 'same\n', secret: true})), {written: [], backups: []});
    assert.deepEqual(readdirSync(dir), ['a.txt']);
  });
});

describe('applyChangeSet: refusals, before anything is written', () => {
  test('a symlinked target is refused and the file it points to is unchanged', async () => {
    const outside = dirWith({'real.env': 'A=1\n'});
    const dir = tempDir();
    symlinkSync(join(outside, 'real.env'), join(dir, '.env'));
    await rejectsWith(() => applyChangeSet(dir, set({path: '.env', before: 'A=1\n', after: 'A=2\n', secret: true})), /^\.env: refused: it is a symbolic link/);
    assert.equal(read(join(outside, 'real.env')), 'A=1\n');
    assert.deepEqual(readdirSync(outside), ['real.env']);
    assert.deepEqual(readdirSync(dir), ['.env']);
  });

  test('a symlinked folder on the way is refused, even one pointing inside the root', async () => {
    const outside = dirWith({'conf/app.env': 'A=1\n'});
    const dir = dirWith({'real/app.env': 'A=1\n'});
    symlinkSync(join(outside, 'conf'), join(dir, 'conf'));
    symlinkSync(join(dir, 'real'), join(dir, 'inside'));
    await rejectsWith(
      () => applyChangeSet(dir, set({path: 'conf/app.env', before: 'A=1\n', after: 'A=2\n', secret: true})),
      /^conf\/app\.env: refused: conf is a symbolic link/,
    );
    await rejectsWith(
      () => applyChangeSet(dir, set({path: 'inside/new.env', before: undefined, after: 'A=2\n', secret: true})),
      /^inside\/new\.env: refused: inside is a symbolic link/,
    );
    assert.equal(read(join(outside, 'conf/app.env')), 'A=1\n');
    assert.deepEqual(readdirSync(join(outside, 'conf')), ['app.env']);
    assert.deepEqual(readdirSync(join(dir, 'real')), ['app.env']);
  });

  test('paths out of the root, absolute paths and folder paths are refused', async () => {
    const dir = tempDir();
    for (const [path, why] of [
      ['../x', /leads out of the deployment folder/],
      ['a/../../x', /leads out of the deployment folder/],
      ['/etc/passwd', /absolute/],
      ['C:\\x', /absolute/],
      ['a\\b', /backslash/],
      ['', /empty/],
      ['.', /names a folder/],
      ['conf/', /names a folder/],
    ] as const) {
      const err = await rejectsWith(() => applyChangeSet(dir, set({path, before: undefined, after: 'x', secret: false})), why);
      assert.match(err.message, /nothing was written$/);
    }
    assert.deepEqual(readdirSync(dir), []);
  });

  test('a target that is not a regular file, or under one, is refused', async () => {
    const dir = dirWith({'conf/keep': '', 'file.txt': 'x'});
    await rejectsWith(
      () => applyChangeSet(dir, set({path: 'conf', before: undefined, after: 'x', secret: false})),
      /^conf: refused: it exists and is not a regular file/,
    );
    await rejectsWith(
      () => applyChangeSet(dir, set({path: 'file.txt/inner', before: undefined, after: 'x', secret: false})),
      /^file\.txt\/inner: refused: file\.txt is not a folder/,
    );
  });

  test('a file edited since the change was computed is refused, as is a new file that now exists or an old one now gone', async () => {
    const dir = dirWith({'.env': 'A=edited\n'});
    await rejectsWith(
      () => applyChangeSet(dir, set({path: '.env', before: 'A=1\n', after: 'A=2\n', secret: true})),
      /^\.env: refused: it changed on disk since the change was computed/,
    );
    await rejectsWith(() => applyChangeSet(dir, set({path: '.env', before: undefined, after: 'A=2\n', secret: true})), /^\.env: refused: it already exists/);
    await rejectsWith(
      () => applyChangeSet(dir, set({path: 'gone.env', before: 'A=1\n', after: 'A=2\n', secret: true})),
      /^gone\.env: refused: it no longer exists/,
    );
    assert.equal(read(join(dir, '.env')), 'A=edited\n');
  });

  test('the same file twice is refused', async () => {
    const dir = tempDir();
    await rejectsWith(
      () => applyChangeSet(dir, set({path: 'a', before: undefined, after: '1', secret: false}, {path: './a', before: undefined, after: '2', secret: false})),
      /^a: appears twice/,
    );
  });
});

describe('applyChangeSet: all files or none', () => {
  const FILES = {'one.env': 'ONE=1\n', 'conf/two.yaml': 'two: 2\n', 'three.txt': 'three\n'};
  const changes = (): FileChange[] => [
    {path: 'one.env', before: 'ONE=1\n', after: 'ONE=11\n', secret: true},
    {path: 'conf/two.yaml', before: 'two: 2\n', after: 'two: 22\n', secret: false},
    {path: 'three.txt', before: 'three\n', after: 'three!\n', secret: false},
    {path: 'new/four.txt', before: undefined, after: 'four\n', secret: true},
  ];

  function setUp(): string {
    const dir = dirWith(FILES);
    chmodSync(join(dir, 'one.env'), 0o640);
    return dir;
  }

  test('the third target is a folder: refused, and every file is as it was', async () => {
    const dir = setUp();
    mkdirSync(join(dir, 'third'));
    const before = snapshot(dir);
    const cs = set(...changes().slice(0, 2), {path: 'third', before: undefined, after: 'x', secret: false});
    await rejectsWith(() => applyChangeSet(dir, cs), /^third: refused: it exists and is not a regular file/);
    assert.deepEqual(snapshot(dir), before);
  });

  test('a failure at the third rename puts the first two back: same bytes, same modes, no temp files, no backups, no new folders', async () => {
    const dir = setUp();
    const before = snapshot(dir);
    const renamed: string[] = [];
    const err = await rejectsWith(
      () =>
        applyChangeSet(dir, set(...changes()), {
          now: NOW,
          hooks: {
            beforeRename(path) {
              if (path === 'three.txt') throw new Error('disk full (simulated)');
              renamed.push(path);
            },
          },
        }),
      /^replacing three\.txt failed: disk full \(simulated\)\. Nothing was changed: every file is as it was\.$/,
    );
    assert.equal(err.file, 'three.txt');
    assert.deepEqual(renamed, ['one.env', 'conf/two.yaml']);
    assert.deepEqual(snapshot(dir), before);
  });

  test('a failure at the last, new, file takes the new file and its folder away again', async () => {
    const dir = setUp();
    const before = snapshot(dir);
    await rejectsWith(
      () =>
        applyChangeSet(dir, set(...changes()), {
          hooks: {
            beforeRename(path) {
              if (path === 'new/four.txt') throw new Error('stop');
            },
          },
        }),
      /^replacing new\/four\.txt failed: stop\. Nothing was changed/,
    );
    assert.deepEqual(snapshot(dir), before);
  });

  test('a verify that fails after the renames undoes them all', async () => {
    const dir = setUp();
    const before = snapshot(dir);
    const cs = set(...changes());
    cs.changes[1]!.verify = (written) => (written.includes('22') ? 'two must stay below 10' : undefined);
    const err = await rejectsWith(
      () => applyChangeSet(dir, cs),
      /^reading conf\/two\.yaml back failed: the written file does not check out: two must stay below 10\. Nothing was changed/,
    );
    assert.equal(err.file, 'conf/two.yaml');
    assert.deepEqual(snapshot(dir), before);
  });

  test('a file edited between planning and its rename is noticed, and the rest put back', async () => {
    const dir = setUp();
    await rejectsWith(
      () =>
        applyChangeSet(dir, set(...changes()), {
          hooks: {
            beforeRename(path) {
              if (path === 'three.txt') writeFileSync(join(dir, 'three.txt'), 'edited meanwhile\n');
            },
          },
        }),
      /^three\.txt: refused: it changed on disk while writing/,
    );
    assert.equal(read(join(dir, 'one.env')), 'ONE=1\n');
    assert.equal(read(join(dir, 'three.txt')), 'edited meanwhile\n');
  });

  test('all four written when nothing fails', async () => {
    const dir = setUp();
    const r = await applyChangeSet(dir, set(...changes()), {now: NOW});
    assert.deepEqual(r.written, ['one.env', 'conf/two.yaml', 'three.txt', 'new/four.txt']);
    assert.deepEqual(r.backups, [`one.env.shipshape-backup-${STAMP}`, `conf/two.yaml.shipshape-backup-${STAMP}`, `three.txt.shipshape-backup-${STAMP}`]);
    for (const c of changes()) assert.equal(read(join(dir, c.path)), c.after);
  });
});

describe('a killed write', () => {
  test('SIGKILL between temp file and rename leaves the original intact; cleanStaleTemps removes the leftover', async () => {
    const dir = dirWith({'.env': ENV});
    const scriptDir = tempDir();
    const script = join(scriptDir, 'apply-and-hang.mjs');
    writeFileSync(
      script,
      `import {applyChangeSet} from ${JSON.stringify(pathToFileURL(join(REPO, 'src/write/apply.ts')).href)};
const [root, before, after] = process.argv.slice(2);
await applyChangeSet(root, {changes: [{path: '.env', before, after, secret: true}], secrets: [], summary: []}, {
  hooks: {
    async beforeRename() {
      process.stdout.write('ready\\n');
      setInterval(() => {}, 1 << 30);
      await new Promise(() => {});
    },
  },
});
`,
    );
    const after = setEnvValue(ENV, 'JWT_SECRET', 'never-lands');
    const child = spawn(process.execPath, ['--import', 'tsx', script, dir, ENV, after], {cwd: REPO, stdio: ['ignore', 'pipe', 'pipe']});
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the child never said ready within 30 s\n${stderr}`));
      }, 30_000);
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('ready\n')) {
          clearTimeout(deadline);
          resolve();
        }
      });
      child.on('exit', () => {
        clearTimeout(deadline);
        reject(new Error(`the child exited before it was ready\n${stderr}`));
      });
    });
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');

    assert.equal(read(join(dir, '.env')), ENV);
    const temps = readdirSync(dir).filter((n) => n.startsWith(TEMP_PREFIX));
    assert.equal(temps.length, 1, 'the temp file was written before the kill');
    assert.equal(read(join(dir, temps[0]!)), after);
    assert.equal(modeOf(join(dir, temps[0]!)), 0o600, 'even a leftover temp file keeps the secret private');

    // A young temp may belong to a write in progress: left alone.
    assert.deepEqual(await cleanStaleTemps(dir), []);
    assert.deepEqual(await cleanStaleTemps(dir, Date.now() + 2 * 60_000), temps);
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.startsWith(TEMP_PREFIX)),
      [],
    );
    assert.equal(read(join(dir, '.env')), ENV);
  });
});

describe('cleanStaleTemps', () => {
  test('removes only our temp files older than the limit, nothing else', async () => {
    const dir = dirWith({[`${TEMP_PREFIX}old`]: 'x', [`${TEMP_PREFIX}young`]: 'y', 'old.txt': 'keep', [`${TEMP_PREFIX}dir/inner`]: 'keep'});
    const old = new Date(Date.now() - 5 * 60_000);
    for (const n of [`${TEMP_PREFIX}old`, 'old.txt', `${TEMP_PREFIX}dir`]) utimesSync(join(dir, n), old, old);
    assert.deepEqual(await cleanStaleTemps(dir), [`${TEMP_PREFIX}old`]);
    assert.deepEqual(readdirSync(dir).sort(), [`${TEMP_PREFIX}dir`, `${TEMP_PREFIX}young`, 'old.txt']);
    assert.deepEqual(await cleanStaleTemps(join(dir, 'missing')), []);
    assert.ok(existsSync(join(dir, `${TEMP_PREFIX}dir/inner`)));
  });

  test('an apply cleans stale temps in the folders it writes to', async () => {
    const dir = dirWith({'a.txt': '1\n', [`${TEMP_PREFIX}stale`]: 'x'});
    const old = new Date(Date.now() - 5 * 60_000);
    utimesSync(join(dir, `${TEMP_PREFIX}stale`), old, old);
    await applyChangeSet(dir, set({path: 'a.txt', before: '1\n', after: '2\n', secret: false}), {now: NOW});
    assert.deepEqual(readdirSync(dir).sort(), ['a.txt', `a.txt.shipshape-backup-${STAMP}`]);
  });
});
