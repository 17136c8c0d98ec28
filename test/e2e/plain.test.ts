// Plain mode, driven by a scripted stdin against the built CLI: what a dumb terminal, a
// screen reader or `ssh host shipshape --plain < answers.txt` gets.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {cpSync, existsSync, readdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {beforeEach, describe, test} from 'node:test';
import {parse as dotenvParse} from 'dotenv';
import {PassThrough} from 'node:stream';
import {runPlain} from '../../src/plain/plainWizard.js';
import {ANSWERS_FILE} from '../../src/store/answers.js';
import {AnswerError, Wizard} from '../../src/wizard/controller.js';
import {CLI, REPO, runCli, tempDir} from '../support/helpers.js';
import {Term} from '../support/pty.js';

let dir: string;
let progress: string;

/** A copy of the demo deployment (not a git repository: nothing there names the person). */
function demo(): string {
  const d = tempDir('shipshape-plain-');
  cpSync(join(REPO, 'examples', 'the0-compose'), d, {recursive: true});
  return d;
}

beforeEach(() => {
  dir = demo();
  progress = tempDir('shipshape-progress-');
});

/**
 * Who is answering must not depend on the machine running the tests: a HOME of our own whose
 * .gitconfig names the person (or nobody), no system git config, and a fixed login name.
 * (Git is run with only PATH and HOME passed on, so HOME is what decides.)
 */
function identityEnv(gitName?: string): Record<string, string> {
  const home = tempDir('shipshape-home-');
  if (gitName) writeFileSync(join(home, '.gitconfig'), `[user]\n\tname = ${gitName}\n`);
  return {HOME: home, GIT_CONFIG_NOSYSTEM: '1', USER: 'login-name', LOGNAME: 'login-name'};
}

interface Run {
  code: number | null;
  out: string;
  err: string;
}

function plain(lines: string[], o: {args?: string[]; dir?: string; env?: Record<string, string>} = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...(o.args ?? ['--plain']), '--dir', o.dir ?? dir], {
      env: {...process.env, ...identityEnv(), SHIPSHAPE_PROGRESS_DIR: progress, NO_COLOR: '1', ...o.env},
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`plain mode did not finish:\n${out}\n${err}`));
    }, 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({code, out, err});
    });
    // The process may stop reading early (a bad line): that is no error of the test's.
    child.stdin.on('error', () => {});
    child.stdin.end(lines.map((l) => `${l}\n`).join(''));
  });
}

type Recorded = {kind: string; by: string; at: string; note?: string; reason?: string; owner?: string; expires?: string; date?: string};

/** The answers recorded in the deployment's answers file (none when there is no file). */
function answers(d = dir, pack = 'the0'): Record<string, Recorded> {
  const file = join(d, ANSWERS_FILE);
  if (!existsSync(file)) return {};
  return JSON.parse(readFileSync(file, 'utf8')).packs[pack]?.answers ?? {};
}

/** The ids of the items in the order the walk showed them. */
const shown = (out: string) => [...out.matchAll(/^== .* \(([a-z0-9-]+)\)$/gm)].map((m) => m[1]);

describe('plain mode', () => {
  test('a scripted pass: confirm with a note, waive with a reason, owner and expiry, quit', async () => {
    const r = await plain(['n', 'c', 'named admins for all four operators', 'w', 'owners listed in the wiki', 'dana', '2099-06-30', 'q'], {
      args: ['--plain', '--as', 'carol'],
    });
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Answering as carol \(change with --as NAME\)$/m);
    assert.match(r.out, /^mode: compose \(inferred from docker-compose\.yml\)$/m);
    assert.match(r.out, /^FAIL: .*\n {2}\.env:12 shorter than 16 characters/m);
    assert.match(r.out, /^\? What now\? \[cdwarNq\]\n> confirm$/m);
    assert.match(r.out, /^saved: named-accounts \(confirm\)$/m);
    assert.match(r.out, /^\? Owner of the risk \(optional\) \(carol\)\n> dana$/m);
    assert.match(r.out, /^saved: api-key-rotation \(waive\)$/m);
    assert.match(r.out, /^Still open: \d+ critical/m);
    assert.match(r.out, /^Waived: api-key-rotation by carol, owned by dana: owners listed in the wiki \(until 2099-06-30\)$/m);
    assert.doesNotMatch(r.out, /\u001B\[/, 'no escape codes when stdout is not a terminal');
    const a = answers();
    assert.deepEqual(
      [a['named-accounts']?.kind, a['named-accounts']?.by, a['named-accounts']?.note],
      ['confirmed', 'carol', 'named admins for all four operators'],
    );
    assert.deepEqual(
      [a['api-key-rotation']?.kind, a['api-key-rotation']?.by, a['api-key-rotation']?.reason, a['api-key-rotation']?.owner, a['api-key-rotation']?.expires],
      ['waived', 'carol', 'owners listed in the wiki', 'dana', '2099-06-30'],
    );
  });

  test('on quit it says where the answers are and how to go on', async () => {
    const r = await plain(['q']);
    assert.equal(r.code, 0, r.err);
    assert.ok(r.out.includes(`Answers are saved in ${join(dir, ANSWERS_FILE)} (commit it; shipshape check honours it).\n`), r.out);
    assert.ok(r.out.includes(`To go on later: shipshape --dir ${dir}\n`), r.out);
  });

  test('identity is never asked: the same script run twice records the same person', async () => {
    const env = identityEnv('Dana Scott');
    const script = ['@named-accounts', 'c', 'checked the user list', '@api-key-rotation', 'w', 'keys listed in the wiki', '', '', 'q'];
    const first = await plain(script, {env});
    assert.equal(first.code, 0, first.err);
    const a1 = answers();
    const second = await plain(script, {env});
    assert.equal(second.code, 0, second.err);
    const a2 = answers();
    for (const r of [first, second]) {
      assert.match(r.out, /^Answering as Dana Scott \(change with --as NAME\)$/m);
      assert.doesNotMatch(r.out, /^\? Answering as/m);
    }
    assert.notEqual(a2['named-accounts']?.at, a1['named-accounts']?.at, 'the second run answered again');
    for (const a of [a1, a2]) {
      assert.equal(a['named-accounts']?.by, 'Dana Scott');
      assert.equal(a['api-key-rotation']?.by, 'Dana Scott');
      assert.equal(a['api-key-rotation']?.owner, 'Dana Scott', 'an empty owner line means the person answering');
    }
    // No git identity at all: the login name, on every run.
    const bare = identityEnv();
    await plain(['@named-accounts', 'c', '', 'q'], {env: bare});
    assert.equal(answers()['named-accounts']?.by, 'login-name');
    await plain(['@named-accounts', 'c', '', 'q'], {env: bare});
    assert.equal(answers()['named-accounts']?.by, 'login-name');
  });

  test('an invalid choice stops the script at its line with exit 2, and the next line is not used', async () => {
    // Line 2 is at named-accounts; before, "z" was refused and "c" then confirmed the item.
    const r = await plain(['n', 'z', 'c', 'should never be saved', 'q']);
    assert.equal(r.code, 2, r.out);
    assert.match(
      r.err,
      /^shipshape: script line 2: "z" is not a choice for named-accounts; expected one of c \(confirm\), d \(decline\), w \(waive \(with a reason\)\), a \(add a note\), r \(re-check\), n \(next item \(leave this open\)\), q \(quit \(everything is saved\)\), or @ITEM-ID to go to an item\n$/,
    );
    assert.match(r.out, /^Stopped at line 2 of the script; nothing after it was used\./m);
    assert.doesNotMatch(r.out, /^> confirm$/m);
    assert.doesNotMatch(r.out, /should never be saved/);
    assert.deepEqual(answers(), {});
  });

  test('an unknown item id, a bad date, an empty reason and an empty action line are located errors', async () => {
    const cases: [string[], RegExp][] = [
      [['@no-such-item', 'c', ''], /^shipshape: script line 1: no item "no-such-item" in pack the0; expected @ITEM-ID with an id of the pack/],
      [['n', '@named-acounts', 'c', ''], /^shipshape: script line 2: no item "named-acounts" in pack the0; .*\(did you mean named-accounts\?\)/],
      [
        ['@restore-tested', 'c', '2026-13-40', ''],
        /^shipshape: script line 3: "2026-13-40": not a day of the calendar written YYYY-MM-DD; expected the date it was last done as YYYY-MM-DD, or an empty line\n$/,
      ],
      [
        ['@api-key-rotation', 'w', 'reason', '', '31/12/2099', 'q'],
        /^shipshape: script line 5: "31\/12\/2099": not a day of the calendar written YYYY-MM-DD; expected the expiry as YYYY-MM-DD, today or later, or an empty line for none\n$/,
      ],
      [['@api-key-rotation', 'w', 'reason', '', '2001-01-01', 'q'], /^shipshape: script line 5: "2001-01-01": that day is already past;/],
      [['@api-key-rotation', 'w', '', 'owner', '', 'q'], /^shipshape: script line 3: an empty line: a waiver needs a reason; expected the waiver's reason\n$/],
      // An old script that waived with "reason, expiry": the date lands on the owner's line.
      [
        ['@api-key-rotation', 'w', 'reason', '2099-06-30', 'q'],
        /^shipshape: script line 4: "2099-06-30": looks like a date, not a name \(a waiver is reason, owner, then expiry\)/,
      ],
      // Scripts written for the "Answering as" prompt: refused, never shifted by a line.
      [
        ['', 'n', 'c', 'x', 'q'],
        /^shipshape: script line 1: an empty line; expected one of w \(waive .*; a script no longer starts with a name for "Answering as" \(use --as NAME\)\n$/,
      ],
      [['carol', 'n', 'c', 'x', 'q'], /^shipshape: script line 1: "carol" is not a choice for root-admin-configured; .*\(use --as NAME\)\n$/],
    ];
    for (const [script, message] of cases) {
      // Each from the start: a fresh deployment and no saved position.
      dir = demo();
      progress = tempDir('shipshape-progress-');
      const r = await plain(script);
      assert.equal(r.code, 2, `${script.join(' | ')}\n${r.out}`);
      assert.match(r.err, message, script.join(' | '));
      assert.deepEqual(answers(), {}, script.join(' | '));
    }
  });

  test('a keyed script records the same answers after an unrelated item changed status', async () => {
    const script = [
      '@named-accounts',
      'c',
      'named admins',
      '@restore-tested',
      'c',
      '2026-05-01',
      'drill in May',
      '@api-key-rotation',
      'w',
      'keys listed in the wiki',
      'erin',
      '2099-06-30',
      'q',
    ];
    const before = await plain(script);
    assert.equal(before.code, 0, before.err);
    // Another deployment whose admin password was fixed: the first item now passes, so the
    // walk starts one item later and a positional script would answer the wrong items.
    const fixed = demo();
    const env = join(fixed, '.env');
    writeFileSync(env, readFileSync(env, 'utf8').replace(/^THE0_ADMIN_PASSWORD=.*$/m, 'THE0_ADMIN_PASSWORD=Zq8Vn3Lt6Rw1Ky5Hb9Mc2Xs7'));
    const after = await plain(script, {dir: fixed});
    assert.equal(after.code, 0, after.err);
    assert.equal(shown(before.out)[0], 'root-admin-configured');
    assert.notEqual(shown(after.out)[0], 'root-admin-configured', 'the walk no longer starts at the fixed item');
    const strip = (a: Record<string, Recorded>) => Object.fromEntries(Object.entries(a).map(([id, {at: _at, ...rest}]) => [id, rest]));
    const expected = {
      'api-key-rotation': {kind: 'waived', by: 'login-name', reason: 'keys listed in the wiki', owner: 'erin', expires: '2099-06-30'},
      'named-accounts': {kind: 'confirmed', by: 'login-name', note: 'named admins'},
      'restore-tested': {kind: 'confirmed', by: 'login-name', note: 'drill in May', date: '2026-05-01'},
    };
    assert.deepEqual(strip(answers(dir)), expected);
    assert.deepEqual(strip(answers(fixed)), expected);
  });

  test('when nothing is left open a script can still go to an item by id, or end', async () => {
    const packs = tempDir('shipshape-pack-');
    const item = (id: string) => `      - {id: ${id}, title: ${id}, why: w, how: h, severity: low, source: {system: x, section: y}, confirm: ${id} done?}`;
    writeFileSync(
      join(packs, 'tiny.yaml'),
      [
        'schema: 1',
        'id: tiny',
        'title: Tiny',
        'version: 1.0.0',
        'description: two questions',
        'sections:',
        '  - id: s',
        '    title: S',
        '    items:',
        item('first'),
        item('second'),
        '',
      ].join('\n'),
    );
    const d = tempDir('shipshape-tiny-');
    const r = await plain(['c', '', 'c', '', '@first', 'd', 'not yet'], {dir: d, args: ['--plain', '--pack', join(packs, 'tiny.yaml')]});
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^saved: second \(confirm\)\n\nNothing else is open\.\n\? What now\? \[q\]\n> @first$/m);
    assert.match(r.out, /^saved: first \(decline\)$/m);
    assert.match(r.out, /^Stopped; every answer given so far is saved\.$/m);
    assert.match(r.out, /^To go on later: shipshape --dir \S+ --pack <the pack file you gave>$/m);
    const a = answers(d, 'tiny');
    assert.deepEqual([a.first?.kind, a.first?.note, a.second?.kind], ['declined', 'not yet', 'confirmed']);
  });

  test('q exits at once while stdin stays open', async () => {
    const child = spawn(process.execPath, [CLI, '--plain', '--dir', dir], {
      env: {...process.env, ...identityEnv(), SHIPSHAPE_PROGRESS_DIR: progress, NO_COLOR: '1'},
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stdin.on('error', () => {});
    // Never ended: whoever feeds the script keeps the pipe open.
    child.stdin.write('q\n');
    const deadline = Date.now() + 20_000;
    while (child.exitCode === null && child.signalCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    const exited = child.exitCode !== null;
    if (!exited) child.kill('SIGKILL');
    child.stdin.destroy();
    assert.ok(exited, `still running after q with stdin open:\n${out}`);
    assert.equal(child.exitCode, 0);
    assert.equal(child.stdin.writableEnded, false, 'stdin was still open when it exited');
    assert.match(out, /^To go on later: shipshape --dir /m);
  });

  test('on a terminal an invalid choice is asked again, and q exits', async () => {
    const term = Term.open(['--plain', '--dir', dir], {env: {...identityEnv(), SHIPSHAPE_PROGRESS_DIR: progress, NO_COLOR: '1'}});
    try {
      await term.waitFor('What now?');
      term.send('z\r');
      await term.waitFor(/"z" isn't an available option/);
      term.send('q\r');
      await term.waitFor('To go on later');
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([term.exited, new Promise<string>((r) => (timer = setTimeout(() => r('still running 15 s after q'), 15_000)))]);
      clearTimeout(timer);
      assert.equal(code, 0, term.all.slice(-2000));
      assert.match(term.all, /Answering as login-name \(change with --as NAME\)/);
    } finally {
      term.kill();
    }
  });

  test('input that ends mid-walk stops cleanly; what was answered stays', async () => {
    const r = await plain(['n', 'c', 'ok']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /saved: named-accounts \(confirm\)\n/);
    assert.match(r.out, /Stopped; every answer given so far is saved\./);
    assert.equal(answers()['named-accounts']?.kind, 'confirmed');
  });

  test('a second run resumes where the first stopped', async () => {
    await plain(['n', 'c', 'first', 'q']);
    const r = await plain(['q']);
    assert.match(r.out, /^== Identity and access: API keys are rotated/m, 'starts at the next unfinished item');
  });

  test('g generates as the wizard does: the masked change, write on y, the checks again; the value is never printed or saved', async () => {
    const old = dotenvParse(readFileSync(join(dir, '.env'))).JWT_SECRET!;
    const declined = await plain(['@jwt-secret-strong', 'g', 'n', 'q']);
    assert.equal(declined.code, 0, declined.err);
    assert.match(declined.out, /^\? What now\? \[wargNq\]\n> generate$/m, 'g is offered on an item with a generator');
    assert.match(declined.out, /^nothing written$/m);
    assert.equal(dotenvParse(readFileSync(join(dir, '.env'))).JWT_SECRET, old);

    const r = await plain(['@jwt-secret-strong', 'g', 'y', 'q']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Will write:\n {2}JWT_SECRET in \.env$/m);
    assert.match(r.out, /^ {2}\+JWT_SECRET=\[secret: 64 chars\]$/m);
    assert.match(r.out, /^\? Write these files\? \(each file replaced keeps a 0600 backup\) \[yN\]\n> yes$/m);
    assert.match(r.out, /^written: \.env$/m);
    assert.match(r.out, /^backups \(0600, they hold the old values\): \.env\.shipshape-backup-\d{8}T\d{6}Z$/m);
    assert.match(r.out, /^checked again: jwt-secret-strong PASS: /m);
    const value = dotenvParse(readFileSync(join(dir, '.env'))).JWT_SECRET!;
    assert.notEqual(value, old);
    assert.match(value, /^[0-9a-f]{64}$/);
    const saved = readdirSync(progress)
      .map((n) => readFileSync(join(progress, n), 'utf8'))
      .join('\n');
    for (const v of [value, old]) {
      for (const form of [v, Buffer.from(v).toString('base64'), encodeURIComponent(v)]) {
        assert.ok(!r.out.includes(form) && !r.err.includes(form), 'no value on stdout or stderr');
        assert.ok(!saved.includes(form), 'no value in progress');
      }
    }
  });

  test('g on a guarded value (a ZITADEL masterkey) replaces it only when the item id is typed', async () => {
    const z = tempDir('shipshape-plain-zitadel-');
    cpSync(join(REPO, 'test', 'fixtures', 'zitadel-compose-hardened'), z, {recursive: true});
    renameSync(join(z, 'env.fixture'), join(z, '.env'));
    const key = () => dotenvParse(readFileSync(join(z, '.env'))).ZITADEL_MASTERKEY!;
    const before = key();
    const r = await plain(['@masterkey-length', 'g', '', 'g', 'masterkey-length', 'y', 'q'], {dir: z});
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^! masterkey-length: a value already exists\. ZITADEL encrypts its data/m);
    assert.doesNotMatch(r.out, /--replace-existing/, "the command line flag is not this front end's way");
    assert.match(r.out, /^nothing replaced$/m);
    assert.match(r.out, /^written: \.env$/m);
    assert.notEqual(key(), before);
    for (const v of [key(), before]) assert.ok(!r.out.includes(v), 'no key printed');
  });

  test('g on a guarded value: a second refusal, once the id is typed, is said plainly, not as an internal error', async () => {
    const z = tempDir('shipshape-plain-zitadel-');
    cpSync(join(REPO, 'test', 'fixtures', 'zitadel-compose-hardened'), z, {recursive: true});
    renameSync(join(z, 'env.fixture'), join(z, '.env'));
    const before = dotenvParse(readFileSync(join(z, '.env'))).ZITADEL_MASTERKEY;
    const saved = process.env.SHIPSHAPE_PROGRESS_DIR;
    process.env.SHIPSHAPE_PROGRESS_DIR = progress;
    try {
      const wizard = await Wizard.open({dir: z, who: 'alice'});
      // The replacing plan is refused too (the files changed meanwhile, say): the first call is the real one.
      const real = wizard.planGenerate.bind(wizard);
      let calls = 0;
      wizard.planGenerate = async (id, o) => {
        calls++;
        if (o?.replaceExisting) throw new AnswerError('masterkey-length: .env changed since it was read; nothing was planned');
        return real(id, o);
      };
      const stdin = new PassThrough();
      const out = new PassThrough();
      const err = new PassThrough();
      let text = '';
      out.on('data', (d: Buffer) => (text += d));
      err.on('data', (d: Buffer) => (text += d));
      stdin.end(['@masterkey-length', 'g', 'masterkey-length', 'q', ''].join('\n'));
      const code = await runPlain(wizard, out, stdin as unknown as NodeJS.ReadStream, err);
      assert.equal(code, 0, text);
      assert.equal(calls, 2);
      assert.match(text, /^! masterkey-length: \.env changed since it was read; nothing was planned$/m);
      assert.doesNotMatch(text, /^Will write:/m);
      assert.equal(dotenvParse(readFileSync(join(z, '.env'))).ZITADEL_MASTERKEY, before);
    } finally {
      if (saved === undefined) delete process.env.SHIPSHAPE_PROGRESS_DIR;
      else process.env.SHIPSHAPE_PROGRESS_DIR = saved;
    }
  });

  test('with no terminal and no --plain it says so and points at check', async () => {
    const r = await runCli(['--dir', dir], {env: {SHIPSHAPE_PROGRESS_DIR: progress}});
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /no terminal to ask questions on/);
    assert.match(r.stderr, /shipshape check/);
    assert.match(r.stderr, /--plain/);
  });
});
