// The lazy check families (src/checks/families.ts) against the one registry (src/checks/index.ts):
// a run that loads only the families its pack uses must find exactly the checks the registry
// holds, under the same ids, as the same objects.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {CHECKS} from '../../src/checks/index.js';
import {checksFor, familyNames, familyOf, loadFamily} from '../../src/checks/families.js';

describe('check families', () => {
  test('every registered check is found under its family, and the families hold nothing else', async () => {
    const names = familyNames();
    for (const id of CHECKS.keys()) assert.ok(names.includes(familyOf(id)), `${id}: its family ${familyOf(id)} is not listed in families.ts`);
    const loaded = (await Promise.all(names.map(loadFamily))).flat();
    assert.deepEqual(loaded.map((d) => d.id).sort(), [...CHECKS.keys()].sort());
    for (const def of loaded) assert.equal(def, CHECKS.get(def.id), `${def.id} is another object than the registry's`);
  });

  test('checksFor loads the asked ids and leaves unknown ones out', async () => {
    const got = await checksFor(['compose.ports-private', 'git.ignored', 'compose.no-such-check', 'nosuchfamily.x']);
    assert.deepEqual([...got.keys()].sort(), ['compose.ports-private', 'git.ignored']);
    assert.equal(got.get('git.ignored'), CHECKS.get('git.ignored'));
  });
});
