// The README's promises: it opens with the two commands, and its check reference is the
// registry's, not a hand-written copy that can drift.
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {test} from 'node:test';
import {CHECKS} from '../../src/checks/index.js';
import {replaceDocs} from '../../src/commands/docs.js';
import {REPO} from '../support/helpers.js';

const readme = readFileSync(join(REPO, 'README.md'), 'utf8');

test('the README opens with the demo and test commands', () => {
  const head = readme.split('\n').slice(0, 8).join('\n');
  assert.match(head, /^npm ci && npm start\b/m);
  assert.match(head, /^npm ci && npm test\b/m);
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {scripts: Record<string, string>};
  assert.ok(pkg.scripts.start?.includes('examples/the0-compose'));
  assert.ok(pkg.scripts.test);
});

test('the generated parts (demo output, commands, exit codes, check reference) are current (npm run docs)', async () => {
  assert.equal(await replaceDocs(readme, REPO), readme);
  for (const id of CHECKS.keys()) assert.ok(readme.includes(`**\`${id}\`**`), `${id} is not documented`);
});

test('CI runs the README test command', () => {
  const ci = readFileSync(join(REPO, '.ci', 'run'), 'utf8');
  assert.match(ci, /npm ci/);
  assert.match(ci, /npm test/);
});
