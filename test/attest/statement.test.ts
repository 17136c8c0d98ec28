// The in-toto Statement: its shape, subjects that are the files' real sha256 and the canonical
// checklist, a predicate that records every item, answer and accepted risk, and drift.
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {runDeployment, rerun, statementOf} from '../../src/attest/run.js';
import {CHECKLIST_NAME, PREDICATE_TYPE, STATEMENT_TYPE, checklistText, drift, hasDrift, parseStatement, statementBytes} from '../../src/attest/statement.js';
import {canonical} from '../../src/deploy/canonicalJson.js';
import {inProcess, tinyDeployment} from './support.js';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const SIGNER = {name: 'Alice', keyid: 'SHA256:test'};

describe('the sign-off statement', () => {
  test('is an in-toto Statement v1 whose subjects are the canonical checklist and every file read', async () => {
    const {dir, token} = tinyDeployment();
    const r = await inProcess([
      'answer',
      'restore-tested',
      '--confirm',
      '--note',
      'restored on staging',
      '--as',
      'Bob',
      '--dir',
      dir,
      '--pack',
      join(dir, 'tiny.yaml'),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const run = await runDeployment({dir, pack: join(dir, 'tiny.yaml')});
    const st = statementOf(run, SIGNER, '2026-01-02T03:04:05.000Z', false);
    assert.equal(st._type, STATEMENT_TYPE);
    assert.equal(st.predicateType, PREDICATE_TYPE);
    assert.deepEqual(
      st.subject.map((s) => s.name),
      [CHECKLIST_NAME, '.env', 'compose.yaml', 'shipshape-answers.json'],
    );
    for (const s of st.subject.slice(1)) assert.equal(s.digest.sha256, sha256(readFileSync(join(dir, s.name))), s.name);
    assert.equal(st.subject[0]!.digest.sha256, sha256(checklistText(st.predicate)));

    const p = st.predicate;
    assert.equal(p.tool.name, 'shipshape');
    assert.deepEqual(
      [p.pack.id, p.pack.version, p.pack.ref, p.pack.digest.sha256],
      ['tiny', '1.0.0', 'tiny.yaml', sha256(readFileSync(join(dir, 'tiny.yaml')))],
    );
    assert.deepEqual(p.signer, SIGNER);
    assert.equal(p.signedAt, '2026-01-02T03:04:05.000Z');
    assert.deepEqual(
      p.items.map((i) => [i.id, i.status, i.severity]),
      [
        ['token-changed', 'pass', 'critical'],
        ['restore-tested', 'pass', 'medium'],
      ],
    );
    for (const i of p.items) assert.equal(i.evidenceDigest.sha256, sha256(canonical(i.evidence)));
    assert.equal(p.items[1]!.answer?.by, 'Bob');
    assert.equal(p.answers['restore-tested']?.kind, 'confirmed');
    assert.equal(p.result, 'PASSED');
    assert.deepEqual(p.acceptedRisks, []);
    // The signed bytes are RFC 8785 JSON, and hold no secret value.
    const bytes = statementBytes(st);
    assert.equal(bytes.toString(), canonical(JSON.parse(bytes.toString())));
    assert.ok(!bytes.toString().includes(token));
    assert.ok(parseStatement(bytes).ok);
  });

  test('records each critical item accepted as a risk, and waivers with reason, owner and expiry', async () => {
    const {dir} = tinyDeployment();
    writeFileSync(join(dir, '.env'), 'TOKEN=changeme-token\n');
    const pack = join(dir, 'tiny.yaml');
    const w = await inProcess([
      'answer',
      'restore-tested',
      '--waive',
      '--reason',
      'no backups yet: staging only',
      '--owner',
      'Carol',
      '--expires',
      '2099-01-01',
      '--as',
      'Bob',
      '--dir',
      dir,
      '--pack',
      pack,
    ]);
    assert.equal(w.code, 0, w.stderr);
    const run = await runDeployment({dir, pack});
    const st = statementOf(run, SIGNER, new Date().toISOString(), true);
    assert.deepEqual(
      st.predicate.acceptedRisks.map((a) => [a.item, a.severity, a.status]),
      [['token-changed', 'critical', 'fail']],
    );
    assert.deepEqual(st.predicate.waivers, [
      {
        item: 'restore-tested',
        reason: 'no backups yet: staging only',
        by: 'Bob',
        at: st.predicate.waivers[0]!.at,
        owner: 'Carol',
        expires: '2099-01-01',
        expired: false,
      },
    ]);
    assert.equal(st.predicate.result, 'FAILED');
    assert.ok(!statementBytes(st).toString().includes('changeme-token'));
  });

  test('a predicate changed after the fact no longer matches its checklist subject', async () => {
    const {dir} = tinyDeployment();
    const run = await runDeployment({dir, pack: join(dir, 'tiny.yaml')});
    const st = statementOf(run, SIGNER, new Date().toISOString(), false);
    const edited = structuredClone(st);
    edited.predicate.items[0]!.status = 'fail';
    const r = parseStatement(Buffer.from(canonical(edited)));
    assert.equal(r.ok, false);
    assert.match((r as {why: string}).why, /does not match the statement's items/);
    const evidence = structuredClone(st);
    evidence.predicate.items[0]!.evidence.push({detail: 'added later'});
    evidence.subject[0]!.digest.sha256 = sha256(checklistText(evidence.predicate));
    assert.match((parseStatement(Buffer.from(canonical(evidence))) as {why: string}).why, /evidence digest/);
    assert.match((parseStatement(Buffer.from('{"_type":"x"}')) as {why: string}).why, /not a Shipshape sign-off/);
  });

  test('drift: file by file and item by item', async () => {
    const {dir} = tinyDeployment();
    const pack = join(dir, 'tiny.yaml');
    const run = await runDeployment({dir, pack});
    const signed = statementOf(run, SIGNER, new Date().toISOString(), false);
    assert.equal(hasDrift(drift(signed, (await rerun(signed, dir)).now)), false);
    writeFileSync(join(dir, '.env'), 'TOKEN=changeme-token\n');
    writeFileSync(join(dir, 'compose.override.yaml'), 'services: {}\n');
    const d = drift(signed, (await rerun(signed, dir)).now);
    assert.deepEqual(d.files, [
      {name: '.env', change: 'changed'},
      {name: 'compose.override.yaml', change: 'new'},
    ]);
    assert.deepEqual(
      d.items.map((i) => [i.id, i.change, i.from, i.to]),
      [['token-changed', 'status', 'pass', 'fail']],
    );
  });
});
