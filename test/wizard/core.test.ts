// The wizard's core on real files: a copy of the bundled demo in a temp dir, its progress file
// in a temp SHIPSHAPE_PROGRESS_DIR, real checks, real DNS over a 127.0.0.1 UDP socket. Plus
// the pure parts the front ends share: the navigation reducer and the key table.
import assert from 'node:assert/strict';
import {createSocket, type Socket} from 'node:dgram';
import {cpSync, existsSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {beforeEach, describe, test} from 'node:test';
import {BINDINGS, commandFor, footerFor, type Command, type Context, type KeyPress} from '../../src/ui/key/keyBindings.js';
import {AnswerError, Wizard, type ItemView} from '../../src/wizard/controller.js';
import {initialNav, navReducer, type NavState} from '../../src/wizard/navigation.js';
import {progressFile, type Progress} from '../../src/store/progress.js';
import {AnswersStore} from '../../src/store/answers.js';
import type {Answer} from '../../src/model/answer.js';
import {git, gitInit, REPO, tempDir, writeFiles} from '../support/helpers.js';

const DEMO = join(REPO, 'examples', 'the0-compose');
const _THE0 = {id: 'the0', version: '1.0.0'};

beforeEach(() => {
  process.env.SHIPSHAPE_PROGRESS_DIR = tempDir('shipshape-progress-');
});

/** A private, editable copy of the demo deployment. */
function demoCopy(): string {
  const dir = tempDir('shipshape-wizard-');
  cpSync(DEMO, dir, {recursive: true});
  return dir;
}

/** Items of the0 that apply on Compose: its own and the compose pack's it inherits there. */
const COMPOSE_ITEMS = 43;

async function ran(dir: string, o: {pack?: string; inputs?: string[]} = {}): Promise<Wizard> {
  const w = await Wizard.open({dir, who: 'alice', ...o});
  await w.run();
  return w;
}

function view(w: Wizard, id: string): ItemView {
  const found = w.getSnapshot().items.find((i) => i.id === id);
  assert.ok(found, `no item ${id}`);
  return found;
}

/** The progress file as it is on disk, read directly. */
function onDisk(dir: string, pack = 'the0'): Progress {
  return JSON.parse(readFileSync(progressFile(dir, pack), 'utf8')) as Progress;
}

/** The deployment's answers file as it is on disk, read directly (one pack's part). */
function answersOnDisk(dir: string, pack = 'the0'): {answers: Record<string, Answer>; notes: Record<string, {text: string; by: string; at: string}>} {
  const file = join(dir, 'shipshape-answers.json');
  if (!existsSync(file)) return {answers: {}, notes: {}};
  const data = JSON.parse(readFileSync(file, 'utf8')) as {
    packs: Record<string, {answers: Record<string, Answer>; notes: Record<string, {text: string; by: string; at: string}>}>;
  };
  return data.packs[pack] ?? {answers: {}, notes: {}};
}

/** Replaces one exact piece of a file, failing if it is not there (so an edit cannot silently miss). */
function edit(file: string, from: string, to: string): void {
  const text = readFileSync(file, 'utf8');
  assert.equal(text.split(from).length, 2, `${from} occurs exactly once in ${file}`);
  writeFileSync(file, text.replace(from, to));
}

/** Polls (one event-loop turn at a time) until cond holds or the deadline passes. */
async function until(cond: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

const unsettled = (i: ItemView) => i.status === 'pending' || i.status === 'running';

describe('who is answering', () => {
  test("without --as it is git's user.name for the deployment, asked by ready() (after the first frame), before any answer", async () => {
    const dir = demoCopy();
    gitInit(dir);
    git(dir, 'config', 'user.name', 'Grace Hopper');
    const w = await Wizard.open({dir});
    // The first frame may be drawn before git answers: the name is not made up meanwhile.
    assert.equal(w.getSnapshot().who, '');
    await w.ready();
    assert.equal(w.getSnapshot().who, 'Grace Hopper');
    // An answer given without a name is recorded under it.
    w.confirm('named-accounts', {by: '', note: 'three named admins'});
    assert.equal(AnswersStore.open(dir, 'the0').answers['named-accounts']?.by, 'Grace Hopper');
    // A name given with --as is used at once, and git is not asked.
    const given = await Wizard.open({dir, who: 'alice'});
    assert.equal(given.getSnapshot().who, 'alice');
    await given.ready();
    assert.equal(given.getSnapshot().who, 'alice');
  });
});

describe('snapshot', () => {
  test('before, during and after run: every applicable item settles, done/total count only applicable items', async () => {
    const w = await Wizard.open({dir: demoCopy(), who: 'alice'});
    const before = w.getSnapshot();
    assert.ok(before.items.length >= 30);
    assert.ok(before.items.every((i) => i.status === 'pending'));
    assert.equal(before.who, 'alice');
    assert.equal(before.pack.id, 'the0');

    const running = w.run();
    const during = w.getSnapshot();
    assert.equal(during.running, during.items.length, 'every item is marked running as soon as run() is called');
    assert.ok(during.items.every((i) => i.status === 'running'));
    assert.ok(
      during.items.every((i) => !i.finished || !i.applicable),
      'a running item is not finished (unless it does not apply)',
    );
    await running;

    const s = w.getSnapshot();
    assert.equal(s.running, 0);
    const applicable = s.items.filter((i) => i.applicable);
    assert.equal(applicable.length, COMPOSE_ITEMS);
    for (const i of applicable) assert.ok(!unsettled(i), `${i.id} is still ${i.status}`);
    assert.equal(s.total, applicable.length);
    assert.equal(s.done, applicable.filter((i) => i.finished).length);
    const notApplicable = s.items.filter((i) => !i.applicable);
    assert.ok(notApplicable.length > 0 && notApplicable.every((i) => i.finished), 'kubernetes-only items are out of the walk');
    assert.ok(s.items.filter((i) => i.finished).length > s.done, 'finished but not applicable items are not counted as done');
    assert.equal(view(w, 'k8s-secret-management').applicable, false);
    assert.equal(view(w, 'postgres-credentials').status, 'pass');
    assert.equal(view(w, 'named-accounts').status, 'manual');
    assert.equal(view(w, 'datastores-private').status, 'fail');

    // First pass: resume at the first unfinished item in pack order.
    assert.equal(s.resumeAt, 'root-admin-configured');
    assert.equal(s.resumeAt, s.items.find((i) => !i.finished)?.id);
    assert.deepEqual(s.changed, []);
    assert.ok(s.version > before.version);
  });

  test('subscribers hear every change', async () => {
    const w = await Wizard.open({dir: demoCopy(), who: 'alice'});
    let calls = 0;
    const off = w.subscribe(() => calls++);
    await w.run();
    assert.ok(calls >= 2);
    off();
    const seen = calls;
    w.confirm('named-accounts', {by: ''});
    assert.equal(calls, seen, 'an unsubscribed listener is not called');
  });

  test('hadProgress is false on a first visit, true once an answer was saved', async () => {
    const dir = demoCopy();
    const first = await ran(dir);
    assert.equal(first.getSnapshot().hadProgress, false);
    first.confirm('named-accounts', {by: 'alice'});
    const again = await Wizard.open({dir, who: 'alice'});
    assert.equal(again.getSnapshot().hadProgress, true);
    const other = await Wizard.open({dir: demoCopy(), who: 'alice'});
    assert.equal(other.getSnapshot().hadProgress, false, 'progress belongs to one deployment');
  });
});

describe('answers', () => {
  test('confirming a manual item passes it, and the answer is on disk when confirm() returns', async () => {
    const dir = demoCopy();
    const w = await ran(dir);
    const doneBefore = w.getSnapshot().done;
    w.confirm('named-accounts', {by: 'alice', note: '  two named admins  '});
    const saved = answersOnDisk(dir).answers['named-accounts'];
    assert.ok(saved, 'the answer is in the progress file');
    assert.equal(saved.kind, 'confirmed');
    assert.equal(saved.by, 'alice');
    assert.equal(saved.note, 'two named admins');
    assert.equal(saved.evidence, undefined, 'an item without checks keeps no evidence fingerprint');
    const i = view(w, 'named-accounts');
    assert.equal(i.status, 'pass');
    assert.ok(i.finished);
    assert.match(i.message, /confirmed by alice/);
    assert.equal(w.getSnapshot().done, doneBefore + 1);

    w.confirm('api-key-rotation', {by: '   '});
    assert.equal(answersOnDisk(dir).answers['api-key-rotation']?.by, 'alice', 'an empty "by" falls back to who');
  });

  test('confirming an item whose checks fail keeps it failing', async () => {
    const dir = demoCopy();
    const w = await ran(dir);
    assert.equal(view(w, 'minio-console-restricted').status, 'fail');
    w.confirm('minio-console-restricted', {by: 'alice'});
    const i = view(w, 'minio-console-restricted');
    assert.equal(i.status, 'fail');
    assert.match(i.message, /checks disagree/);
    assert.equal(answersOnDisk(dir).answers['minio-console-restricted']?.kind, 'confirmed');
  });

  test('declining fails the item and is saved', async () => {
    const dir = demoCopy();
    const w = await ran(dir);
    w.decline('backup-postgres', {by: 'bob', note: 'no backups yet'});
    assert.equal(view(w, 'backup-postgres').status, 'fail');
    assert.match(view(w, 'backup-postgres').message, /declined by bob on \d{4}-\d{2}-\d{2}: no backups yet/);
    assert.equal(answersOnDisk(dir).answers['backup-postgres']?.kind, 'declined');
  });

  test('a waiver needs a reason and a real, future expiry; a valid one skips the item', async () => {
    const dir = demoCopy();
    const w = await ran(dir);
    assert.throws(() => w.waive('jwt-secret-strong', {by: 'alice'}), AnswerError);
    assert.throws(() => w.waive('jwt-secret-strong', {by: 'alice', reason: '   '}), AnswerError);
    for (const expires of ['31/12/2099', '2099-1-5', '2099-12-31T00:00', 'next year', '2099-13-01', '2099-02-30', '2099-00-10']) {
      assert.throws(() => w.waive('jwt-secret-strong', {by: 'alice', reason: 'later', expires}), AnswerError, `expiry ${expires} is refused`);
    }
    assert.throws(() => w.waive('jwt-secret-strong', {by: 'alice', reason: 'later', expires: '2000-01-01'}), /already past/);
    assert.equal(answersOnDisk(dir).answers['jwt-secret-strong'], undefined, 'refused waivers are not saved');
    assert.equal(view(w, 'jwt-secret-strong').status, 'fail');

    w.waive('jwt-secret-strong', {by: 'alice', reason: '  staging only  ', expires: '2099-12-31'});
    const i = view(w, 'jwt-secret-strong');
    assert.equal(i.status, 'skip');
    assert.ok(i.finished);
    assert.equal(i.waiverExpired, false);
    const saved = answersOnDisk(dir).answers['jwt-secret-strong'];
    assert.equal(saved?.kind, 'waived');
    assert.equal(saved?.reason, 'staging only');
    assert.equal(saved?.expires, '2099-12-31');

    w.waive('mongo-credentials', {by: 'alice', reason: 'rotating next week', expires: ''});
    assert.equal(view(w, 'mongo-credentials').status, 'skip');
    assert.equal(answersOnDisk(dir).answers['mongo-credentials']?.expires, undefined, 'no expiry means none is saved');
  });

  test('a date given with a confirmation must be a real date', async () => {
    const dir = demoCopy();
    const w = await ran(dir);
    assert.deepEqual(view(w, 'restore-tested').confirm, {question: view(w, 'restore-tested').confirm!.question, askDate: true});
    for (const date of ['last week', '15.01.2026', '2026-02-30', '2026-13-01']) {
      assert.throws(() => w.confirm('restore-tested', {by: 'alice', date}), AnswerError, `date ${date} is refused`);
    }
    assert.equal(view(w, 'restore-tested').answer, undefined);
    w.confirm('restore-tested', {by: 'alice', date: '2026-01-15'});
    assert.equal(answersOnDisk(dir).answers['restore-tested']?.date, '2026-01-15');
    assert.equal(view(w, 'restore-tested').status, 'pass');
  });

  test('undo takes an answer back, on disk too', async () => {
    const dir = demoCopy();
    const w = await ran(dir);
    w.waive('datastores-private', {by: 'alice', reason: 'firewalled upstream'});
    assert.equal(view(w, 'datastores-private').status, 'skip');
    w.undo('datastores-private');
    assert.equal(answersOnDisk(dir).answers['datastores-private'], undefined);
    assert.equal(view(w, 'datastores-private').status, 'fail');
    assert.equal(view(w, 'datastores-private').answer, undefined);
    assert.equal(view(w, 'datastores-private').finished, false);
  });

  test('a note is stored apart from the answer; an empty note deletes it', async () => {
    const dir = demoCopy();
    const w = await ran(dir);
    w.note('backup-mongo', '  ask Dana about the cron job  ');
    assert.deepEqual({text: view(w, 'backup-mongo').note?.text, by: view(w, 'backup-mongo').note?.by}, {text: 'ask Dana about the cron job', by: 'alice'});
    assert.equal(answersOnDisk(dir).notes['backup-mongo']?.text, 'ask Dana about the cron job');
    assert.equal(view(w, 'backup-mongo').answer, undefined, 'a note is not an answer');
    assert.equal(view(w, 'backup-mongo').status, 'manual');
    w.note('backup-mongo', '   ');
    assert.equal(answersOnDisk(dir).notes['backup-mongo'], undefined);
    assert.equal(view(w, 'backup-mongo').note, undefined);
  });

  test('unknown items are refused', async () => {
    const w = await ran(demoCopy());
    assert.throws(() => w.confirm('no-such-item', {by: 'alice'}), AnswerError);
    assert.throws(() => w.undo('no-such-item'), AnswerError);
    assert.throws(() => w.note('no-such-item', 'x'), AnswerError);
  });
});

describe('resume', () => {
  test('a new Wizard shows the saved answers and resumes at the saved position', async () => {
    const dir = demoCopy();
    const w = await ran(dir);
    w.confirm('named-accounts', {by: 'alice'});
    w.decline('backup-postgres', {by: 'alice'});
    w.setPosition('backup-mongo');
    assert.equal(onDisk(dir).position, 'backup-mongo');

    const back = await Wizard.open({dir, who: 'alice'});
    assert.equal(view(back, 'named-accounts').answer?.kind, 'confirmed', 'answers show before any check runs');
    assert.equal(back.getSnapshot().resumeAt, 'backup-mongo');
    await back.run();
    assert.equal(view(back, 'named-accounts').status, 'pass');
    assert.equal(view(back, 'backup-postgres').status, 'fail');
    assert.equal(back.getSnapshot().resumeAt, 'backup-mongo');
  });

  test('a saved position on a finished item is passed over', async () => {
    const dir = demoCopy();
    const w = await ran(dir);
    w.confirm('named-accounts', {by: 'alice'});
    w.setPosition('named-accounts');
    const back = await ran(dir);
    assert.equal(back.getSnapshot().resumeAt, 'root-admin-configured');
  });
});

describe('drift', () => {
  test('a changed .env flags the item, resumes there, and markSeen makes it the new baseline', async () => {
    const dir = demoCopy();
    await ran(dir);
    const baseline = await ran(dir);
    assert.deepEqual(baseline.getSnapshot().changed, [], 'nothing changed yet');
    assert.ok(onDisk(dir).seen['mongo-credentials'], 'the first run recorded a baseline');

    edit(join(dir, '.env'), 'MONGO_INITDB_ROOT_PASSWORD=the0_mongo_password', 'MONGO_INITDB_ROOT_PASSWORD=Zk3Pq8Vw2Lm7Ty4Rb9Hs6Nc1Jx5Gd0Fa');
    const w = await ran(dir);
    const s = w.getSnapshot();
    assert.deepEqual(s.changed, ['mongo-credentials']);
    assert.equal(view(w, 'mongo-credentials').changed, true);
    assert.equal(view(w, 'mongo-credentials').status, 'pass');
    assert.equal(view(w, 'postgres-credentials').changed, false);
    assert.equal(s.resumeAt, 'mongo-credentials');

    w.markSeen('mongo-credentials');
    assert.equal(view(w, 'mongo-credentials').changed, false);
    assert.deepEqual(w.getSnapshot().changed, []);
    const later = await ran(dir);
    assert.deepEqual(later.getSnapshot().changed, []);
    assert.equal(view(later, 'mongo-credentials').changed, false);
  });

  test('newly published datastore port: still failing, but changed, and offered first', async () => {
    const dir = demoCopy();
    await ran(dir);
    // In place, so no other item's evidence moves to another line.
    edit(join(dir, 'docker-compose.yml'), '"127.0.0.1:8222:8222"', '"0.0.0.0:8222:8222"');
    const w = await ran(dir);
    assert.deepEqual(w.getSnapshot().changed, ['datastores-private']);
    const i = view(w, 'datastores-private');
    assert.equal(i.status, 'fail');
    assert.ok(i.changed);
    assert.equal(w.getSnapshot().resumeAt, 'datastores-private');
    assert.equal(w.nextUnfinished(), 'datastores-private', 'changed items come before earlier unfinished ones');
    // Not yet seen: a new Wizard still flags it.
    assert.deepEqual((await ran(dir)).getSnapshot().changed, ['datastores-private']);
  });
});

describe('re-confirmation', () => {
  test('a confirmed item whose evidence changed asks again', async () => {
    const dir = demoCopy();
    // The runner's group_add falls back to root unless DOCKER_GID is set: set it, so the item's
    // checks pass and only a person's word is left.
    writeFileSync(join(dir, '.env'), `${readFileSync(join(dir, '.env'), 'utf8')}DOCKER_GID=998\n`);
    const w = await ran(dir);
    assert.equal(view(w, 'runtime-isolation').status, 'manual');
    w.confirm('runtime-isolation', {by: 'alice'});
    assert.equal(view(w, 'runtime-isolation').status, 'pass');
    assert.ok(answersOnDisk(dir).answers['runtime-isolation']?.evidence, 'the evidence the person saw is kept');

    const unchanged = await ran(dir);
    assert.equal(view(unchanged, 'runtime-isolation').reconfirm, false);
    assert.equal(view(unchanged, 'runtime-isolation').status, 'pass');

    // The scheduler no longer mounts the Docker socket (same line count).
    const compose = join(dir, 'docker-compose.yml');
    const text = readFileSync(compose, 'utf8');
    const at = text.lastIndexOf('- /var/run/docker.sock:/var/run/docker.sock');
    assert.ok(at > text.indexOf('bot-scheduler:'), "the last socket mount is the scheduler's");
    writeFileSync(compose, text.slice(0, at) + '- schedulerdata:/data' + text.slice(at + '- /var/run/docker.sock:/var/run/docker.sock'.length));

    const again = await ran(dir);
    const i = view(again, 'runtime-isolation');
    assert.equal(i.reconfirm, true);
    assert.equal(i.status, 'manual');
    assert.equal(i.finished, false);
    assert.equal(i.answer?.kind, 'confirmed', 'the old answer is still there');
    assert.match(i.message, /confirm again/);
    assert.equal(again.nextUnfinished('root-admin-configured'), 'named-accounts');

    again.confirm('runtime-isolation', {by: 'alice'});
    assert.equal(view(again, 'runtime-isolation').reconfirm, false);
    assert.equal(view(again, 'runtime-isolation').status, 'pass');
  });

  test('a confirmed item whose checks now fail shows fail, not a re-confirmation', async () => {
    const dir = demoCopy();
    const compose = join(dir, 'docker-compose.yml');
    edit(compose, '"9001:9001"', '"127.0.0.1:9001:9001"');
    const w = await ran(dir);
    assert.equal(view(w, 'minio-console-restricted').status, 'manual');
    w.confirm('minio-console-restricted', {by: 'alice'});
    assert.equal(view(w, 'minio-console-restricted').status, 'pass');
    edit(compose, '"127.0.0.1:9001:9001"', '"9001:9001"');
    const again = await ran(dir);
    const i = view(again, 'minio-console-restricted');
    assert.equal(i.status, 'fail');
    assert.equal(i.reconfirm, false);
  });
});

describe('expired waiver', () => {
  test('a waiver past its date reopens the item', async () => {
    const dir = demoCopy();
    const store = AnswersStore.open(dir, 'the0');
    store.setAnswer('named-accounts', {kind: 'waived', by: 'bob', at: '2020-01-01T00:00:00.000Z', reason: 'pilot only', expires: '2020-06-30'});
    store.setAnswer('backup-mongo', {kind: 'waived', by: 'bob', at: '2020-01-01T00:00:00.000Z', reason: 'state is disposable', expires: '2099-06-30'});
    const w = await ran(dir);
    const i = view(w, 'named-accounts');
    assert.equal(i.waiverExpired, true);
    assert.equal(i.finished, false);
    assert.equal(i.status, 'manual');
    assert.match(i.message, /expired on 2020-06-30/);
    assert.equal(view(w, 'backup-mongo').waiverExpired, false);
    assert.equal(view(w, 'backup-mongo').status, 'skip');
    const waivers = w.summary().waivers;
    assert.deepEqual(
      waivers.map((x) => [x.id, x.expired]),
      [
        ['named-accounts', true],
        ['backup-mongo', false],
      ],
    );
    const identity = w.getSnapshot().sections.find((s) => s.id === 'identity')!;
    const expectedDone = identity.items.filter((id) => view(w, id).finished).length;
    assert.equal(identity.tally.done, expectedDone, 'one way of counting');
    assert.ok(!view(w, 'named-accounts').finished, 'an expired waiver is not an answer');
    assert.equal(w.nextUnfinished('root-admin-configured'), 'named-accounts');
  });
});

describe('inputs', () => {
  test('setInput is saved, reruns the checks, and is kept unless given again', async () => {
    const dir = demoCopy();
    await ran(dir);
    edit(join(dir, 'docker-compose.yml'), 'MINIO_ROOT_USER: the0admin', 'MINIO_ROOT_USER: ${MINIO_ROOT_USER}');
    const w = await ran(dir);
    assert.equal(view(w, 'credentials-from-env').applicable, true);
    assert.equal(view(w, 'credentials-from-env').changed, true, 'one literal fewer in the Compose file');
    assert.equal(view(w, 'job-cleanup').applicable, false);
    await assert.rejects(w.setInput('mode', 'swarm'), AnswerError);
    await assert.rejects(w.setInput('flavour', 'compose'), AnswerError);

    await w.setInput('mode', 'kubernetes');
    assert.equal(onDisk(dir).inputs.mode, 'kubernetes');
    const s = w.getSnapshot();
    assert.equal(s.inputs[0]?.value, 'kubernetes');
    assert.equal(s.inputs[0]?.origin, 'chosen');
    assert.equal(s.running, 0);
    const creds = view(w, 'credentials-from-env');
    assert.equal(creds.applicable, false);
    assert.equal(creds.status, 'skip');
    assert.match(creds.message, /not applicable/);
    assert.equal(view(w, 'job-cleanup').applicable, true);
    assert.ok(!unsettled(view(w, 'job-cleanup')));
    assert.equal(s.total, s.items.filter((i) => i.applicable).length);
    // Items that left the walk are not "changed": there is nothing to look at.
    for (const id of s.changed) assert.ok(view(w, id).applicable, `${id} is flagged changed but does not apply`);
    assert.equal(creds.changed, false);
    const composeBaseline = onDisk(dir).seen['credentials-from-env'];
    assert.equal(composeBaseline?.status, 'fail');
    w.markSeen('credentials-from-env');
    assert.deepEqual(onDisk(dir).seen['credentials-from-env'], composeBaseline, 'not applicable is no baseline');
    assert.equal(view(w, 'credentials-from-env').changed, false);

    const kept = await ran(dir);
    assert.equal(kept.getSnapshot().inputs[0]?.value, 'kubernetes');
    assert.equal(kept.getSnapshot().inputs[0]?.origin, 'chosen earlier');
    assert.equal(view(kept, 'credentials-from-env').applicable, false);
    assert.equal(view(kept, 'credentials-from-env').status, 'skip');

    const given = await ran(dir, {inputs: ['mode=compose']});
    assert.equal(given.getSnapshot().inputs[0]?.value, 'compose');
    assert.equal(given.getSnapshot().inputs[0]?.origin, 'given');
    assert.equal(view(given, 'credentials-from-env').applicable, true);
    assert.equal(view(given, 'credentials-from-env').status, 'fail');
    assert.equal(view(given, 'credentials-from-env').changed, true, 'back on compose, compared with the compose baseline: still unseen');
  });
});

describe('nextUnfinished', () => {
  test('skips finished items, wraps, and ends when everything is settled', async () => {
    const dir = demoCopy();
    const w = await ran(dir);
    const order = w.getSnapshot().items.map((i) => i.id);
    assert.equal(w.nextUnfinished(), 'root-admin-configured');
    // root-admin-not-plaintext passes, so it is passed over.
    assert.equal(w.nextUnfinished('root-admin-configured'), 'named-accounts');
    w.confirm('named-accounts', {by: 'alice'});
    assert.equal(w.nextUnfinished('root-admin-configured'), 'api-key-rotation');
    // the0's own items first, then those it inherits from compose.
    const last = order.at(-1)!;
    assert.equal(order[order.indexOf('jwt-rotation-window') + 1], 'privileged');
    assert.equal(w.nextUnfinished(last), 'root-admin-configured', 'wraps to the start');
    assert.equal(w.nextUnfinished('rotate-one-at-a-time'), 'jwt-rotation-window');
    // An item being checked again is passed over while a settled one is waiting.
    const recheck = w.run(['root-admin-configured']);
    assert.equal(view(w, 'root-admin-configured').status, 'running');
    assert.equal(w.nextUnfinished(last), 'api-key-rotation');
    await recheck;
    assert.equal(w.nextUnfinished(last), 'root-admin-configured');

    for (const i of w.getSnapshot().items) {
      if (i.finished) continue;
      assert.ok(i.applicable);
      if (i.confirm && i.status === 'manual') w.confirm(i.id, {by: 'alice'});
      else w.waive(i.id, {by: 'alice', reason: 'accepted for the demo'});
    }
    const s = w.getSnapshot();
    assert.ok(
      s.items.every((i) => i.finished),
      s.items
        .filter((i) => !i.finished)
        .map((i) => i.id)
        .join(', '),
    );
    assert.equal(s.done, s.total);
    assert.equal(w.nextUnfinished(), undefined);
    assert.equal(w.nextUnfinished('backup-mongo'), undefined);
    assert.equal(w.summary().open.length, 0);

    w.undo('backup-mongo');
    assert.equal(w.nextUnfinished(), 'backup-mongo');
    assert.equal(w.nextUnfinished('jwt-rotation-window'), 'backup-mongo');
  });
});

describe('summary', () => {
  test('counts by status, open items by severity, and waivers', async () => {
    const w = await ran(demoCopy());
    const applicable = w.getSnapshot().items.filter((i) => i.applicable);
    const before = w.summary();
    assert.equal(before.applicable, COMPOSE_ITEMS);
    // The same way as the sections and `check`: every item, one that does not apply as skip.
    const all = w.getSnapshot().items;
    const expected: Record<string, number> = {};
    for (const i of all) expected[i.applicable ? i.status : 'skip'] = (expected[i.applicable ? i.status : 'skip'] ?? 0) + 1;
    assert.deepEqual(before.byStatus, expected);
    assert.equal(
      Object.values(before.byStatus).reduce((a, b) => a + b, 0),
      all.length,
      'every item is counted once',
    );
    assert.equal(applicable.length, COMPOSE_ITEMS);
    assert.equal(before.openBySeverity.critical, 5);
    assert.deepEqual(
      before.open.filter((i) => i.severity === 'critical').map((i) => i.id),
      ['root-admin-configured', 'jwt-secret-strong', 'mongo-credentials', 'minio-credentials', 'datastores-private'],
    );
    const ranks = before.open.map((i) => ['low', 'medium', 'high', 'critical'].indexOf(i.severity));
    assert.deepEqual(
      ranks,
      [...ranks].sort((a, b) => b - a),
      'open items come most severe first',
    );
    assert.deepEqual(before.waivers, []);

    w.waive('mongo-credentials', {by: 'carol', reason: 'rotating on Monday', expires: '2099-01-31'});
    w.confirm('named-accounts', {by: 'alice'});
    const after = w.summary();
    assert.equal(after.openBySeverity.critical, 4);
    assert.equal(after.byStatus.skip, (before.byStatus.skip ?? 0) + 1);
    assert.equal(after.byStatus.fail, before.byStatus.fail! - 1);
    assert.equal(after.byStatus.pass, before.byStatus.pass! + 1);
    assert.deepEqual(after.waivers, [
      {
        id: 'mongo-credentials',
        title: view(w, 'mongo-credentials').title,
        by: 'carol',
        owner: undefined,
        reason: 'rotating on Monday',
        expires: '2099-01-31',
        expired: false,
        unneeded: false,
      },
    ]);
  });
});

// ---- stopping a slow check ------------------------------------------------------------------

type DnsMode = 'nxdomain' | 'silent' | 'address';

/** A DNS server on 127.0.0.1: answers NXDOMAIN, or A 127.0.0.9, or nothing at all. */
async function dnsServer(): Promise<{port: number; queries: () => number; mode: (m: DnsMode) => void; close: () => void}> {
  const sock: Socket = createSocket('udp4');
  let mode: DnsMode = 'nxdomain';
  let queries = 0;
  sock.on('message', (msg, from) => {
    queries++;
    if (mode === 'silent' || msg.length < 17) return;
    let p = 12;
    while (p < msg.length && msg[p]! !== 0) p += msg[p]! + 1;
    const qtype = msg.readUInt16BE(p + 1);
    p += 5; // the root label, type and class
    const question = Buffer.from(msg.subarray(0, p));
    const withA = mode === 'address' && qtype === 1;
    question.writeUInt16BE(mode === 'nxdomain' ? 0x8183 : 0x8180, 2); // a response; NXDOMAIN or NOERROR
    question.writeUInt16BE(1, 4);
    question.writeUInt16BE(withA ? 1 : 0, 6);
    question.writeUInt32BE(0, 8);
    // The answer: a pointer to the question's name, A, IN, TTL 60, 4 bytes of address.
    const answer = withA ? Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 9]) : Buffer.alloc(0);
    sock.send(Buffer.concat([question, answer]), from.port, from.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  return {port: sock.address().port, queries: () => queries, mode: (m) => (mode = m), close: () => sock.close()};
}

function slowPack(dir: string, port: number): string {
  const file = join(dir, 'slow-pack.yaml');
  writeFiles(dir, {
    'slow-pack.yaml': `schema: 1
id: slowpack
title: A pack with one slow check
version: 1.0.0
description: One DNS lookup against a server that may never answer.
sections:
  - id: net
    title: Network
    items:
      - id: slow-dns
        title: The name resolves
        why: A test.
        how: A test.
        severity: low
        source: {system: test, section: test}
        verify:
          - check: dns.resolves
            timeout: 60000
            with: {name: slow.shipshape.test, server: "127.0.0.1:${port}", timeoutMs: 30000}
      - id: people
        title: A person agrees
        why: A test.
        how: A test.
        severity: low
        source: {system: test, section: test}
        confirm: Agreed?
`,
  });
  return file;
}

describe('skip', () => {
  test('a running check that never answers can be stopped: it settles as skip at once', async (t) => {
    const server = await dnsServer();
    t.after(server.close);
    server.mode('silent');
    const dir = tempDir('shipshape-slow-');
    const w = await Wizard.open({dir, who: 'alice', pack: slowPack(dir, server.port)});
    assert.equal(w.getSnapshot().pack.id, 'slowpack');
    const run = w.run();
    await until(() => server.queries() > 0, 'the DNS query to arrive');
    await until(() => view(w, 'people').status === 'manual', 'the item without checks to settle');
    assert.equal(view(w, 'slow-dns').status, 'running');
    assert.equal(w.getSnapshot().running, 1);

    w.skip('people'); // not running: nothing happens
    assert.equal(view(w, 'people').status, 'manual');

    const started = Date.now();
    w.skip('slow-dns');
    await until(() => view(w, 'slow-dns').status !== 'running', 'the stopped check to settle', 3_000);
    const elapsed = Date.now() - started;
    assert.equal(view(w, 'slow-dns').status, 'skip');
    assert.match(view(w, 'slow-dns').message, /stopped/);
    assert.ok(elapsed < 2_000, `settled in ${elapsed} ms, not after the 30 s lookup bound`);
    assert.equal(w.getSnapshot().running, 0);
    await run;
  });

  test('a stopped check is not drift, and does not replace the baseline', async (t) => {
    const server = await dnsServer();
    t.after(server.close);
    const dir = tempDir('shipshape-slow-');
    const pack = slowPack(dir, server.port);

    const first = await ran(dir, {pack});
    assert.equal(view(first, 'slow-dns').status, 'fail', 'NXDOMAIN: the name does not resolve');
    const baseline = onDisk(dir, 'slowpack').seen['slow-dns'];
    assert.equal(baseline?.status, 'fail');

    server.mode('silent');
    const stopped = await Wizard.open({dir, who: 'alice', pack});
    const run = stopped.run();
    const asked = server.queries();
    await until(() => server.queries() > asked, 'the DNS query to arrive');
    stopped.skip('slow-dns');
    await run;
    assert.equal(view(stopped, 'slow-dns').status, 'skip');
    assert.equal(view(stopped, 'slow-dns').changed, false, 'the person stopped it; the deployment did not change');
    stopped.markSeen('slow-dns');
    assert.deepEqual(onDisk(dir, 'slowpack').seen['slow-dns'], baseline, 'a stopped check is never the baseline');

    // Checked again to the end in the same Wizard: a real result again, and a real change.
    server.mode('address');
    await stopped.run(['slow-dns']);
    assert.equal(view(stopped, 'slow-dns').status, 'pass');
    assert.equal(view(stopped, 'slow-dns').changed, true);
    stopped.markSeen('slow-dns');
    assert.equal(view(stopped, 'slow-dns').changed, false);
    assert.equal(onDisk(dir, 'slowpack').seen['slow-dns']?.status, 'pass');

    const later = await ran(dir, {pack});
    assert.equal(view(later, 'slow-dns').status, 'pass');
    assert.equal(view(later, 'slow-dns').changed, false);
  });

  test('close() stops running checks without recording them as a baseline', async (t) => {
    const server = await dnsServer();
    t.after(server.close);
    server.mode('silent');
    const dir = tempDir('shipshape-slow-');
    const w = await Wizard.open({dir, who: 'alice', pack: slowPack(dir, server.port)});
    const run = w.run();
    await until(() => server.queries() > 0, 'the DNS query to arrive');
    // On a busy machine the other item may still be queued: it must finish before close() for this test to mean anything.
    await until(() => view(w, 'people').status !== 'running' && view(w, 'people').status !== 'pending', 'the item without checks to settle');
    w.close();
    await run;
    assert.equal(view(w, 'slow-dns').status, 'skip');
    assert.equal(onDisk(dir, 'slowpack').seen['slow-dns'], undefined);
    assert.ok(onDisk(dir, 'slowpack').seen['people'], 'items that finished still record their baseline');
  });
});

describe('applicability', () => {
  test('an item whose every check is conditioned away is out of the walk', async () => {
    const dir = tempDir('shipshape-cond-');
    writeFiles(dir, {
      'cond-pack.yaml': `schema: 1
id: condpack
title: Conditions
version: 1.0.0
description: One item only checks on kubernetes.
inputs:
  - id: mode
    question: How?
    default: compose
    choices:
      - {value: compose, label: Compose}
      - {value: kubernetes, label: Kubernetes}
sections:
  - id: s
    title: S
    items:
      - id: k8s-only-check
        title: Only checked on Kubernetes
        why: A test.
        how: A test.
        severity: high
        source: {system: test, section: test}
        verify:
          - check: files.exists
            when: {mode: kubernetes}
            with: {paths: [values.yaml]}
      - id: always
        title: Always asked
        why: A test.
        how: A test.
        severity: low
        source: {system: test, section: test}
        confirm: Yes?
`,
    });
    const w = await ran(dir, {pack: join(dir, 'cond-pack.yaml')});
    const i = view(w, 'k8s-only-check');
    assert.match(i.message, /not applicable/);
    assert.equal(i.applicable, false);
    const s = w.getSnapshot();
    assert.equal(s.total, 1);
    assert.equal(s.done, 0);
    assert.equal(w.summary().applicable, 1);
    assert.equal(w.summary().openBySeverity.high, 0);
  });
});

// ---- navigation -----------------------------------------------------------------------------

const withDialog = (kind: 'confirm' | 'decline' | 'waive' | 'note', extra: {askDate?: boolean; note?: string} = {}): NavState =>
  navReducer(initialNav, {type: 'open-dialog', kind, itemId: 'x', who: 'alice', ...extra});

describe('navReducer', () => {
  test('go changes screen, keeps the item unless given, and clears dialogs, help and flash', () => {
    let s = navReducer(initialNav, {type: 'go', screen: 'item', itemId: 'a'});
    assert.deepEqual([s.screen, s.itemId], ['item', 'a']);
    s = {...withDialog('note'), screen: 'item', itemId: 'a', help: true, flash: 'saved', choice: {inputId: 'm', question: 'q', options: [], cursor: 0}};
    s = navReducer(s, {type: 'go', screen: 'summary'});
    assert.equal(s.screen, 'summary');
    assert.equal(s.itemId, 'a');
    assert.equal(s.dialog, undefined);
    assert.equal(s.choice, undefined);
    assert.equal(s.help, false);
    assert.equal(s.flash, undefined);
    assert.equal(navReducer(s, {type: 'go', screen: 'item', flash: 'all done'}).flash, 'all done');
  });

  test('cursor wraps both ways; an empty list leaves the state alone', () => {
    const at = (cursor: number, delta: number, size = 3) => navReducer({...initialNav, cursor}, {type: 'cursor', delta, size}).cursor;
    assert.equal(at(0, 1), 1);
    assert.equal(at(2, 1), 0);
    assert.equal(at(0, -1), 2);
    assert.equal(at(1, -4), 0);
    assert.equal(at(1, 7), 2);
    const s = {...initialNav, cursor: 1, flash: 'x'};
    assert.equal(navReducer(s, {type: 'cursor', delta: 1, size: 0}), s);
    assert.equal(navReducer(s, {type: 'cursor', delta: 1, size: 3}).flash, undefined);
  });

  test('help toggles', () => {
    const on = navReducer(initialNav, {type: 'help'});
    assert.equal(on.help, true);
    assert.equal(navReducer(on, {type: 'help'}).help, false);
  });

  test('each dialog kind opens with its own fields', () => {
    const names = (s: NavState) => s.dialog!.fields.map((f) => f.name);
    assert.deepEqual(names(withDialog('confirm')), ['by', 'note']);
    assert.deepEqual(names(withDialog('confirm', {askDate: true})), ['by', 'date', 'note']);
    assert.deepEqual(names(withDialog('decline')), ['by', 'note']);
    assert.deepEqual(names(withDialog('waive')), ['reason', 'by', 'expires']);
    assert.deepEqual(names(withDialog('note', {note: 'earlier'})), ['note']);
    assert.equal(withDialog('note', {note: 'earlier'}).dialog!.fields[0]!.value, 'earlier');
    assert.equal(withDialog('note').dialog!.fields[0]!.value, '');
    const waive = withDialog('waive').dialog!;
    assert.equal(waive.fields[1]!.value, 'alice');
    assert.equal(waive.fields[0]!.value, '');
    assert.deepEqual([waive.kind, waive.itemId, waive.error], ['waive', 'x', undefined]);
    assert.equal(withDialog('confirm').dialog!.fields[0]!.value, 'alice');
    // Focus starts on the first field that needs typing; who is answering is already filled in.
    assert.equal(waive.focus, 0);
    assert.equal(withDialog('confirm').dialog!.focus, 1);
    assert.equal(withDialog('confirm', {askDate: true}).dialog!.focus, 1);
    assert.equal(withDialog('decline').dialog!.focus, 1);
    assert.equal(withDialog('note', {note: 'earlier'}).dialog!.focus, 0);
    assert.equal(withDialog('confirm', {askDate: true}).dialog!.fields.find((f) => f.name === 'date')?.label, 'Date (YYYY-MM-DD)');
    assert.equal(waive.fields.find((f) => f.name === 'by')?.label, 'Owner');
  });

  test('typing and backspace edit the focused field, a whole character at a time', () => {
    let s = withDialog('confirm', {askDate: true});
    assert.equal(s.dialog!.fields[s.dialog!.focus]!.name, 'date');
    s = navReducer(s, {type: 'type', text: '2026-01-1\n5\t'});
    s = navReducer(s, {type: 'field', delta: 1});
    s = navReducer(s, {type: 'type', text: 'héllo 🙂'});
    assert.deepEqual(
      s.dialog!.fields.map((f) => f.value),
      ['alice', '2026-01-15', 'héllo 🙂'],
    );
    s = navReducer(s, {type: 'backspace'});
    assert.equal(s.dialog!.fields[2]!.value, 'héllo ');
    for (let n = 0; n < 5; n++) s = navReducer(s, {type: 'backspace'});
    assert.equal(s.dialog!.fields[2]!.value, 'h');
    s = navReducer(s, {type: 'backspace'});
    s = navReducer(s, {type: 'backspace'});
    assert.equal(s.dialog!.fields[2]!.value, '', 'backspace on an empty field stays empty');
    assert.equal(s.dialog!.fields[0]!.value, 'alice', 'other fields are untouched');

    const err = navReducer(s, {type: 'dialog-error', message: 'bad'});
    assert.equal(err.dialog!.error, 'bad');
    assert.equal(navReducer(err, {type: 'type', text: 'x'}).dialog!.error, undefined, 'typing clears the error');
    assert.equal(navReducer(err, {type: 'backspace'}).dialog!.error, undefined);

    assert.equal(navReducer(initialNav, {type: 'type', text: 'x'}), initialNav, 'no dialog: nothing to type into');
    assert.equal(navReducer(initialNav, {type: 'backspace'}), initialNav);
  });

  test('field focus clamps at both ends', () => {
    let s = withDialog('waive');
    assert.equal(s.dialog!.focus, 0);
    s = navReducer(s, {type: 'field', delta: -1});
    assert.equal(s.dialog!.focus, 0);
    s = navReducer(s, {type: 'field', delta: 5});
    assert.equal(s.dialog!.focus, 2);
    s = navReducer(s, {type: 'field', delta: 1});
    assert.equal(s.dialog!.focus, 2);
    s = navReducer(s, {type: 'field', delta: -1});
    assert.equal(s.dialog!.focus, 1);
    assert.equal(navReducer(initialNav, {type: 'field', delta: 1}), initialNav);
  });

  test('dialog-error needs a dialog; close-dialog drops it and sets the flash', () => {
    assert.equal(navReducer(initialNav, {type: 'dialog-error', message: 'x'}), initialNav);
    const closed = navReducer(withDialog('decline'), {type: 'close-dialog', flash: 'declined and saved'});
    assert.equal(closed.dialog, undefined);
    assert.equal(closed.flash, 'declined and saved');
    assert.equal(navReducer(withDialog('decline'), {type: 'close-dialog'}).flash, undefined);
  });

  test('a choice opens at the current value and its cursor wraps', () => {
    const options = [
      {value: 'compose', label: 'Compose'},
      {value: 'kubernetes', label: 'Kubernetes'},
      {value: 'swarm', label: 'Swarm'},
    ];
    const open = (current?: string) => navReducer(initialNav, {type: 'open-choice', choice: {inputId: 'mode', question: 'How?', options}, current});
    assert.equal(open('kubernetes').choice!.cursor, 1);
    assert.equal(open('nomad').choice!.cursor, 0);
    assert.equal(open().choice!.cursor, 0);
    let s = open('compose');
    s = navReducer(s, {type: 'choice-cursor', delta: -1});
    assert.equal(s.choice!.cursor, 2);
    s = navReducer(s, {type: 'choice-cursor', delta: 1});
    assert.equal(s.choice!.cursor, 0);
    s = navReducer(s, {type: 'choice-cursor', delta: 4});
    assert.equal(s.choice!.cursor, 1);
    assert.equal(navReducer(initialNav, {type: 'choice-cursor', delta: 1}), initialNav);
    const closed = navReducer(s, {type: 'close-choice', flash: 'mode is now swarm'});
    assert.equal(closed.choice, undefined);
    assert.equal(closed.flash, 'mode is now swarm');
    assert.equal(navReducer(closed, {type: 'flash'}).flash, undefined);
  });
});

// ---- keys -----------------------------------------------------------------------------------

const CONTEXTS: Context[] = ['start', 'overview', 'item', 'summary', 'dialog', 'choice', 'help'];

/** The KeyPress Ink reports for a key named in the table. */
function press(key: string): KeyPress {
  switch (key) {
    case 'up':
      return {input: '', upArrow: true};
    case 'down':
      return {input: '', downArrow: true};
    case 'left':
      return {input: '', leftArrow: true};
    case 'right':
      return {input: '', rightArrow: true};
    case 'enter':
      return {input: '\r', return: true};
    case 'esc':
      return {input: '', escape: true};
    case 'tab':
      return {input: '\t', tab: true};
    case 'shift-tab':
      return {input: '', tab: true, shift: true};
    case 'backspace':
      return {input: '', backspace: true};
    case 'ctrl-c':
      return {input: 'c', ctrl: true};
    default:
      return {input: key};
  }
}

describe('key bindings', () => {
  test('special keys and letters mean different things per context', () => {
    assert.equal(commandFor('overview', press('up')), 'up');
    assert.equal(commandFor('overview', press('down')), 'down');
    assert.equal(commandFor('overview', press('k')), 'up');
    assert.equal(commandFor('choice', press('j')), 'down');
    assert.equal(commandFor('item', press('right')), 'next');
    assert.equal(commandFor('item', press('left')), 'prev');
    assert.equal(commandFor('start', press('enter')), 'resume');
    assert.equal(commandFor('overview', press('enter')), 'open');
    assert.equal(commandFor('dialog', press('enter')), 'submit');
    assert.equal(commandFor('help', press('enter')), 'help');
    assert.equal(commandFor('dialog', press('esc')), 'cancel');
    assert.equal(commandFor('choice', press('esc')), 'cancel');
    assert.equal(commandFor('overview', press('esc')), 'start');
    assert.equal(commandFor('dialog', press('tab')), 'next-field');
    assert.equal(commandFor('dialog', press('shift-tab')), 'prev-field');
    assert.equal(commandFor('dialog', press('down')), 'next-field');
    assert.equal(commandFor('dialog', press('up')), 'prev-field');
    assert.equal(commandFor('dialog', press('backspace')), 'backspace');
    assert.equal(commandFor('dialog', {input: '', delete: true}), 'backspace');
    for (const c of CONTEXTS) assert.equal(commandFor(c, press('ctrl-c')), 'quit', `ctrl-c quits in ${c}`);

    assert.equal(commandFor('item', press('c')), 'confirm');
    assert.equal(commandFor('item', press('w')), 'waive');
    assert.equal(commandFor('item', press('x')), 'skip-check');
    assert.equal(commandFor('dialog', press('c')), undefined, 'in a dialog, letters are typed');
    assert.equal(commandFor('dialog', press('q')), undefined);
    assert.equal(commandFor('dialog', press('?')), undefined);
    assert.equal(commandFor('item', {input: 'k', ctrl: true}), undefined, 'ctrl+letter is not the letter');
    assert.equal(commandFor('start', press('c')), undefined);
    assert.equal(commandFor('item', press('enter')), undefined);
  });

  test('typed text that spells a special key name is text, not that key', () => {
    for (const text of ['up', 'down', 'enter', 'esc', 'tab', 'shift-tab', 'backspace', 'ctrl-c']) {
      assert.equal(commandFor('dialog', {input: text}), undefined, `"${text}" pasted into a dialog`);
    }
    assert.equal(commandFor('item', {input: 'right'}), undefined);
    assert.equal(commandFor('overview', {input: 'esc'}), undefined);
  });

  test('every binding works in every context it lists, so every command is reachable', () => {
    const reachable = new Set<Command>();
    for (const b of BINDINGS) {
      for (const c of b.contexts) {
        for (const k of b.keys) {
          const got = commandFor(c, press(k));
          assert.equal(got, b.command, `${k} in ${c} should be ${b.command}, is ${got}`);
          if (got) reachable.add(got);
        }
      }
    }
    assert.deepEqual([...reachable].sort(), [...new Set(BINDINGS.map((b) => b.command))].sort());
  });

  test('no two bindings share a key in the same context', () => {
    for (const c of CONTEXTS) {
      const owner = new Map<string, Command>();
      for (const b of BINDINGS.filter((x) => x.contexts.includes(c))) {
        for (const k of b.keys) {
          assert.ok(!owner.has(k), `${k} in ${c} is bound to both ${owner.get(k)} and ${b.command}`);
          owner.set(k, b.command);
        }
      }
      assert.ok(owner.size > 0, `${c} has keys`);
    }
  });

  test('the footer shows visible bindings of the context, minus the hidden commands', () => {
    const commands = (bs: readonly {command: Command}[]) => bs.map((b) => b.command);
    const item = commands(footerFor('item'));
    assert.ok(item.includes('confirm') && item.includes('decline') && item.includes('waive'));
    assert.ok(!item.includes('undo'), 'footer: false bindings stay out of the footer');
    assert.ok(!item.includes('submit'), "other contexts' bindings stay out");
    const hidden = commands(footerFor('item', new Set<Command>(['confirm', 'decline'])));
    assert.ok(!hidden.includes('confirm') && !hidden.includes('decline'));
    assert.deepEqual(
      hidden,
      item.filter((c) => c !== 'confirm' && c !== 'decline'),
    );
    assert.deepEqual(commands(footerFor('dialog')), ['submit', 'next-field', 'cancel']);
    assert.ok(!commands(footerFor('start', new Set<Command>(['quit']))).includes('quit'));
    assert.ok(commands(footerFor('start')).includes('quit'));
  });
});
