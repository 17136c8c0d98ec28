// The firewall generator: a ufw script that shellcheck passes, that denies incoming traffic by
// default and enables ufw only after the chosen ports are open (run here against a stand-in ufw
// that records its arguments: the real one would change this machine's firewall), and that says
// Docker-published ports bypass it.
import assert from 'node:assert/strict';
import {type SpawnSyncReturns, spawnSync} from 'node:child_process';
import {existsSync, readFileSync, writeFileSync} from 'node:fs';
import {delimiter, join} from 'node:path';
import {describe, test} from 'node:test';
import type {GeneratorOptions} from '../../src/generators/define.js';
import {firewall} from '../../src/generators/firewall.js';
import {applyChangeSet} from '../../src/write/apply.js';
import {contextFor, tempDir} from '../support/helpers.js';
import {unavailable} from '../support/services.js';

function tool(name: string): string | undefined {
  for (const dir of ['/usr/bin', '/bin', '/usr/sbin', ...(process.env.PATH ?? '').split(delimiter)]) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

async function generated(options: GeneratorOptions = {}) {
  const dir = tempDir('shipshape-firewall-');
  const g = await firewall.generate({ctx: contextFor(dir), into: [], options});
  await applyChangeSet(dir, g.changes);
  return {dir, g, script: join(dir, 'firewall/ufw.sh')};
}

/** Runs the script with a stand-in ufw that appends each call's arguments to a log. */
function runWithFakeUfw(script: string): {status: number | null; calls: string[]; stderr: string} {
  const bin = tempDir('shipshape-fake-ufw-');
  const log = join(bin, 'calls.log');
  writeFileSync(join(bin, 'ufw'), `#!/bin/sh\necho "$*" >>'${log}'\n`, {mode: 0o755});
  const r: SpawnSyncReturns<string> = spawnSync('/bin/sh', [script], {
    encoding: 'utf8',
    timeout: 10_000,
    env: {PATH: [bin, '/usr/bin', '/bin'].join(delimiter)},
  });
  const calls = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [];
  return {status: r.status, calls, stderr: r.stderr};
}

describe('firewall', () => {
  test('denies incoming by default, opens only the chosen ports (SSH rate limited), and enables ufw last', async () => {
    const {script} = await generated();
    const first = runWithFakeUfw(script);
    assert.equal(first.status, 0, first.stderr);
    assert.deepEqual(first.calls, [
      'default deny incoming',
      'default allow outgoing',
      'limit 22/tcp comment ssh (rate limited)',
      'allow 80/tcp comment http',
      'allow 443/tcp comment https',
      '--force enable',
      'status verbose',
    ]);
    // Running it again asks ufw for the very same rules, which ufw skips.
    assert.deepEqual(runWithFakeUfw(script).calls, first.calls);
  });

  test('other ports and ranges; a port list without SSH gets a warning', async () => {
    const {script, g} = await generated({ports: [8443, '60000:61000/udp', '443/tcp']});
    const calls = runWithFakeUfw(script).calls;
    assert.deepEqual(calls.slice(2, 5), ['allow 8443 comment port 8443', 'allow 60000:61000/udp comment port 60000:61000/udp', 'allow 443/tcp comment https']);
    assert.match(g.notes.join('\n'), /port 22 is not in the list/);
  });

  test('says, in the script and in the notes, that Docker-published ports bypass ufw', async () => {
    const {script, g} = await generated();
    const text = readFileSync(script, 'utf8');
    assert.match(text, /Docker-published ports bypass ufw/);
    assert.match(text, /DOCKER-USER/);
    assert.match(g.notes.join('\n'), /Docker-published ports bypass ufw.*DOCKER-USER/);
  });

  test('refuses ports ufw would not take or that could break the script', async () => {
    for (const ports of [['0'], ['70000'], ['60000:61000'], ['22; rm -rf /'], ['443/sctp'], ['2000:1000/tcp']])
      await assert.rejects(firewall.generate({ctx: contextFor(tempDir()), into: [], options: {ports}}), /port /, ports.join());
  });

  test('without ufw the script stops and says how to install it', async () => {
    const {script} = await generated();
    const r: SpawnSyncReturns<string> = spawnSync('/bin/sh', [script], {encoding: 'utf8', timeout: 10_000, env: {PATH: tempDir('shipshape-empty-path-')}});
    assert.equal(r.status, 1);
    assert.match(r.stderr, /ufw is not installed/);
  });

  test('generating twice over the result changes nothing', async () => {
    const {dir} = await generated({ports: ['22/tcp', 443]});
    const again = await firewall.generate({ctx: contextFor(dir), into: [], options: {ports: ['22/tcp', 443]}});
    assert.deepEqual(again.changes.changes, []);
  });

  test('shellcheck passes the script', async (t) => {
    const shellcheck = tool('shellcheck');
    if (!shellcheck) return unavailable(t, 'shellcheck is not installed (Debian: shellcheck)');
    const {script} = await generated({ports: [22, 443, '51820/udp']});
    const r: SpawnSyncReturns<string> = spawnSync(shellcheck, [script], {encoding: 'utf8', timeout: 30_000});
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });
});
