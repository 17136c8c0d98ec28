// docker-daemon-logs: log rotation merged into a daemon.json in a temp dir (the target is an
// option), judged by host.docker-logs and discord.log-rotation, the pack's own checks.
import assert from 'node:assert/strict';
import {existsSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {openSession} from '../../src/engine/session.js';
import {mergeLogRotation} from '../../src/generators/daemon-json.js';
import {GENERATORS} from '../../src/generators/index.js';
import type {GeneratorOptions} from '../../src/generators/define.js';
import {applyChangeSet} from '../../src/write/apply.js';
import {readRel, runCheck, tempDir} from '../support/helpers.js';
import {deployment} from './config-support.js';

const gen = GENERATORS.get('docker-daemon-logs')!;

async function run(dir: string, options: GeneratorOptions) {
  const session = await openSession({dir, pack: 'discord-mcp-bot'});
  const g = await gen.generate({ctx: session.ctx, into: [], options});
  const changes = g.changes;
  const {written} = await applyChangeSet(dir, changes);
  return {written, notes: g.notes, changes};
}

describe('docker-daemon-logs', () => {
  test('an existing daemon.json keeps every other key; the check passes; twice is once', async () => {
    const dir = deployment('discord-weak');
    const file = join(dir, 'docker', 'daemon.json');
    const before = {'data-root': '/srv/docker', 'log-opts': {labels: 'app'}, features: {buildkit: true}, 'registry-mirrors': ['https://mirror.example.net']};
    const {mkdirSync} = await import('node:fs');
    mkdirSync(join(dir, 'docker'));
    writeFileSync(file, `${JSON.stringify(before, null, 4)}\n`);
    assert.equal((await runCheck('host.docker-logs', dir, {file})).status, 'fail');
    const {written, notes} = await run(dir, {file: 'docker/daemon.json', logMaxSize: '20m', logMaxFile: 5});
    assert.deepEqual(written, ['docker/daemon.json']);
    const after = JSON.parse(readRel(dir, 'docker/daemon.json'));
    assert.deepEqual(after, {...before, 'log-opts': {labels: 'app', 'max-size': '20m', 'max-file': '5'}});
    assert.match(readRel(dir, 'docker/daemon.json'), /^ {4}"data-root"/m, "the file's own indentation is kept");
    assert.ok(notes.some((n) => /restart Docker/.test(n)));
    const r = await runCheck('host.docker-logs', dir, {file});
    assert.equal(r.status, 'pass', r.message);
    // discord.log-rotation with daemonJson: services without a logging block inherit the bound.
    const inherited = await runCheck('discord.log-rotation', dir, {daemonJson: file});
    assert.equal(inherited.status, 'pass', inherited.message);
    const again = await run(dir, {file: 'docker/daemon.json', logMaxSize: '20m', logMaxFile: 5});
    assert.deepEqual(again.changes.changes, [], 'applying twice changes nothing');
  });

  test('no daemon.json yet: one is written with json-file rotation', async () => {
    const dir = deployment('discord-weak');
    const {written} = await run(dir, {file: 'daemon.json'});
    assert.deepEqual(written, ['daemon.json']);
    assert.deepEqual(JSON.parse(readRel(dir, 'daemon.json')), {'log-driver': 'json-file', 'log-opts': {'max-size': '10m', 'max-file': '3'}});
    assert.equal((await runCheck('host.docker-logs', dir, {file: join(dir, 'daemon.json')})).status, 'pass');
  });

  test('a daemon.json outside the deployment is merged and staged under host/, never written in place', async () => {
    const dir = deployment('discord-weak');
    const outside = join(tempDir('shipshape-etc-'), 'daemon.json');
    writeFileSync(outside, '{"live-restore": true}\n');
    const {written, notes} = await run(dir, {file: outside});
    assert.equal(written.length, 1);
    assert.ok(written[0]!.startsWith('host/') && written[0]!.endsWith('/daemon.json'), written[0]);
    assert.deepEqual(JSON.parse(readRel(dir, written[0]!)), {'live-restore': true, 'log-opts': {'max-size': '10m', 'max-file': '3'}});
    assert.ok(
      notes.some((n) => n.includes(`sudo install -m 0644 ${written[0]} ${outside}`)),
      notes.join('\n'),
    );
    assert.equal((await runCheck('host.docker-logs', dir, {file: join(dir, written[0]!)})).status, 'pass');
    const again = await run(dir, {file: outside});
    assert.deepEqual(again.changes.changes, [], 'the staged copy is already the merged file');
    assert.ok(existsSync(outside));
  });

  test('refuses a file that is not one JSON object, saying where', async () => {
    assert.throws(() => mergeLogRotation('{\n  "debug": true,\n}\n', 'daemon.json', {maxSize: '10m', maxFile: 3}), /^Error: daemon\.json:3:1: not valid JSON/);
    assert.throws(
      () => mergeLogRotation('\n  ["log-opts"]\n', 'daemon.json', {maxSize: '10m', maxFile: 3}),
      /daemon\.json:2:3: daemon\.json must be one JSON object/,
    );
    assert.throws(
      () => mergeLogRotation('{"log-opts": "max-size=10m"}', 'daemon.json', {maxSize: '10m', maxFile: 3}),
      /daemon\.json:1:2: log-opts must be an object/,
    );
    const dir = deployment('discord-weak');
    writeFileSync(join(dir, 'daemon.json'), '[1, 2]\n');
    const session = await openSession({dir, pack: 'discord-mcp-bot'});
    await assert.rejects(gen.generate({ctx: session.ctx, into: [], options: {file: 'daemon.json'}}), /daemon\.json:1:1: daemon\.json must be one JSON object/);
  });

  test('a driver that bounds its own logs is left alone; a max-size of -1 is not a bound', () => {
    const notes: string[] = [];
    assert.equal(mergeLogRotation('{"log-driver": "local"}', 'd', {maxSize: '10m', maxFile: 3}, notes), undefined);
    assert.match(notes[0]!, /local, which does not grow without bound/);
    assert.equal(mergeLogRotation('{"log-opts": {"max-size": "50m", "max-file": "2"}}', 'd', {maxSize: '10m', maxFile: 3}), undefined);
    assert.deepEqual(JSON.parse(mergeLogRotation('{"log-opts": {"max-size": "-1"}}', 'd', {maxSize: '10m', maxFile: 3})!), {
      'log-opts': {'max-size': '10m', 'max-file': '3'},
    });
  });
});
