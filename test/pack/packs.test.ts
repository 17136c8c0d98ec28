// Built-in packs: they load, they cover their sources, and they are written in our own words.
import assert from 'node:assert/strict';
import {existsSync, readdirSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {test} from 'node:test';
import {loadBuiltins} from '../../src/engine/session.js';
import {REPO} from '../support/helpers.js';

const SEEDS = join(REPO, '..', 'shared', 'seeds');
const haveSeeds = existsSync(SEEDS);

function words(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, ' ')
    .trim()
    .split(/\s+/)
    .filter(Boolean);
}

test('every built-in pack loads, with unique ids and a source on every item', async () => {
  const packs = await loadBuiltins();
  assert.ok(packs.length >= 1);
  for (const {pack} of packs) {
    const ids = pack.sections.flatMap((s) => s.items.map((i) => i.id));
    assert.equal(new Set(ids).size, ids.length);
    for (const s of pack.sections) for (const i of s.items) assert.ok(i.source.system && i.source.section, `${pack.id}/${i.id} has no source`);
  }
});

test('the0 covers every section of both seed pages, in both modes', async () => {
  const the0 = (await loadBuiltins()).find((p) => p.pack.id === 'the0')!.pack;
  const cited = new Set(the0.sections.flatMap((s) => s.items.map((i) => i.source.section)));
  for (const section of ['Identity And Access', 'Secrets', 'Network And TLS', 'Storage And Backups', 'Runtime Safety', 'Upgrades']) {
    assert.ok(
      [...cited].some((c) => c === `Production Checklist / ${section}`),
      `no item cites ${section}`,
    );
  }
  for (const section of ['Local Root Admin', 'Kubernetes Root Admin', 'Sealed Secrets', 'External Service Secrets']) {
    assert.ok(
      [...cited].some((c) => c === `Secret Rotation / ${section}`),
      `no item cites rotation ${section}`,
    );
  }
  const items = the0.sections.flatMap((s) => s.items);
  assert.ok(items.length >= 35);
  const modes = (i: (typeof items)[number]) => [i.when?.mode, ...(i.verify ?? []).map((v) => v.when?.mode)].flat().filter(Boolean);
  assert.ok(items.some((i) => modes(i).includes('compose')));
  assert.ok(items.some((i) => modes(i).includes('kubernetes')));
});

test('pack text is our own: no run of 8 words copied from a seed page', {skip: haveSeeds ? false : 'shared/seeds is not beside the repository'}, () => {
  const seedRuns = new Set<string>();
  for (const f of readdirSync(SEEDS).filter((x) => x.endsWith('.txt'))) {
    const w = words(readFileSync(join(SEEDS, f), 'utf8'));
    for (let i = 0; i + 8 <= w.length; i++) seedRuns.add(w.slice(i, i + 8).join(' '));
  }
  for (const f of readdirSync(join(REPO, 'steps'))) {
    // Commands in backticks are facts that must stay exact; prose must not be copied.
    const w = words(readFileSync(join(REPO, 'steps', f), 'utf8').replace(/`[^`\n]*`/g, ' '));
    const copied = [];
    for (let i = 0; i + 8 <= w.length; i++) if (seedRuns.has(w.slice(i, i + 8).join(' '))) copied.push(w.slice(i, i + 8).join(' '));
    assert.deepEqual(copied, [], `${f} repeats seed text`);
  }
});
