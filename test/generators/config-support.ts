// What the config generators' tests share: a weak fixture copied into a temp dir, the pack's
// checks run before and after a generation, step by step, and the Compose Specification's own
// JSON schema (test/fixtures/compose-spec) to validate every Compose file written.
import assert from 'node:assert/strict';
import {cpSync, readdirSync, readFileSync, renameSync, statSync} from 'node:fs';
import {join} from 'node:path';
import {Ajv, type ValidateFunction} from 'ajv';
import {parse} from 'yaml';
import {evaluate, openSession} from '../../src/engine/session.js';
import {planGeneration, writeGeneration} from '../../src/generators/run.js';
import {REPO, tempDir} from '../support/helpers.js';

export const FIXTURES = join(REPO, 'test', 'fixtures');

/** A copy of a fixture as a deployment: `env.fixture` files become `.env`, `gitignore.fixture` `.gitignore`. */
export function deployment(fixture: string): string {
  const dir = tempDir('shipshape-config-');
  cpSync(join(FIXTURES, fixture), dir, {recursive: true});
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name === 'env.fixture') renameSync(p, join(d, '.env'));
      else if (name === 'gitignore.fixture') renameSync(p, join(d, '.gitignore'));
    }
  };
  walk(dir);
  return dir;
}

export interface Step {
  item: string;
  check: string;
  status: string;
  message: string;
}

/** Every check step of the pack on the deployment, keyed `item #n check`. */
export async function steps(dir: string, pack: string, inputs: string[] = []): Promise<Map<string, Step>> {
  const session = await openSession({dir, pack, inputs});
  const out = new Map<string, Step>();
  for (const o of await evaluate(session)) {
    o.steps.forEach((s, n) => out.set(`${o.id} #${n} ${s.check}`, {item: o.id, check: s.check, status: s.result.status, message: s.result.message}));
  }
  return out;
}

/**
 * Generates the items (as `shipshape generate --item ... --write` does), and checks what the
 * issue asks of every config generator: the claimed items' checks pass, no check turns from
 * pass to fail, and a second run changes nothing.
 */
export async function generateAndProve(
  dir: string,
  pack: string,
  items: string[],
  inputs: string[] = [],
  /** The items run a second time (default: all); a secret generator's item makes a new value each time, by design. */
  again: string[] = items,
): Promise<{before: Map<string, Step>; after: Map<string, Step>; written: string[]; notes: string[]}> {
  const before = await steps(dir, pack, inputs);
  const claimedFailing = [...before.values()].filter((s) => items.includes(s.item) && (s.status === 'fail' || s.status === 'warn'));
  assert.ok(claimedFailing.length > 0, `the fixture should fail some check of ${items.join(', ')}`);
  const plan = await planGeneration({dir, pack, inputs, items});
  assert.ok(plan.changes.changes.length > 0, 'the generation changes some file');
  const {written} = await writeGeneration(plan);
  const after = await steps(dir, pack, inputs);
  for (const [key, s] of after) {
    const was = before.get(key);
    if (items.includes(s.item)) assert.ok(!['fail', 'error', 'warn'].includes(s.status), `${key} still ${s.status} after the generation: ${s.message}`);
    if (was?.status === 'pass') assert.equal(s.status, 'pass', `${key} turned from pass to ${s.status}: ${s.message}`);
  }
  const second = await planGeneration({dir, pack, inputs, items: again});
  assert.deepEqual(
    second.changes.changes.map((c) => c.path),
    [],
    `a second run changes nothing, but would change:\n${second.preview}`,
  );
  return {before, after, written, notes: plan.items.flatMap((i) => i.notes)};
}

let validator: ValidateFunction | undefined;

/** Asserts the text is a Compose file the Compose Specification's JSON schema accepts. */
export function assertComposeSpec(text: string, file: string): void {
  if (!validator) {
    const schema = JSON.parse(readFileSync(join(FIXTURES, 'compose-spec', 'compose-spec.json'), 'utf8'));
    const ajv = new Ajv({allErrors: true, strict: false, validateSchema: false});
    validator = ajv.compile(schema);
  }
  const data = parse(text, {merge: true, logLevel: 'error'});
  assert.ok(validator(data), `${file} does not validate against the Compose Specification: ${JSON.stringify(validator.errors, null, 2)}`);
}
