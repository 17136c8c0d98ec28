// `g` on an item: the wizard prepares the generator's change, shows it with every secret masked,
// writes only when told to, and shows what was written and the item's status once its checks
// ran again. Driven with real keys against a real Wizard on copies of real deployments; frames
// are polled, never waited on a clock.
import {KEY, renderInk, type Rendered} from '../support/inkHarness.js';
import assert from 'node:assert/strict';
import {cpSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {afterEach, beforeEach, describe, test} from 'node:test';
import {App} from '../../src/ui/App.js';
import {Wizard} from '../../src/wizard/controller.js';
import {initialNav} from '../../src/wizard/navigation.js';
import {REPO, tempDir} from '../support/helpers.js';

let dir: string;
let wizard: Wizard;
let ui: Rendered;

async function settled(w: Wizard): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (w.getSnapshot().running > 0 || w.getSnapshot().items.some((i) => i.status === 'pending' && i.applicable)) {
    if (Date.now() > deadline) throw new Error('checks did not finish');
    await new Promise((r) => setImmediate(r));
  }
}

/** The wizard opened on one item, its checks done and keys taken. */
async function openAt(itemId: string, o: {pack?: string; size?: {columns: number; rows: number}} = {}): Promise<void> {
  wizard = await Wizard.open({dir, pack: o.pack, who: 'alice'});
  ui = await renderInk(<App wizard={wizard} initial={{...initialNav, screen: 'item', itemId}} />, o.size ?? {columns: 100, rows: 30});
  await wizard.run();
  await settled(wizard);
  await ui.waitFor((f) => f.includes('q quit'), 'the key hints');
}

const envValue = (key: string): string | undefined =>
  readFileSync(join(dir, '.env'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${key}=`))
    ?.slice(key.length + 1);

/** Every frame drawn so far, joined, with line breaks and padding gone: a value split across rows still shows. */
const everything = () =>
  ui.stdout.frames
    .join('')
    .replace(/\u001B\[[0-9;?]*[A-Za-z]/g, '')
    .replace(/\s+/g, '');

/** True when any 12 characters of the value were ever drawn. */
function shown(value: string): boolean {
  const all = everything();
  for (let n = 0; n + 12 <= value.length; n++) if (all.includes(value.slice(n, n + 12))) return true;
  return false;
}

const item = (id: string) => wizard.getSnapshot().items.find((i) => i.id === id);

beforeEach(() => {
  dir = tempDir('shipshape-generate-');
  process.env.SHIPSHAPE_PROGRESS_DIR = tempDir('shipshape-progress-');
});

afterEach(() => {
  ui?.unmount();
  wizard?.close();
});

describe('g on the demo', () => {
  beforeEach(() => cpSync(join(REPO, 'examples', 'the0-compose'), dir, {recursive: true}));

  test('jwt-secret-strong: a masked preview, nothing written until enter, then the files, the backup and PASS', async () => {
    const old = envValue('JWT_SECRET')!;
    await openAt('jwt-secret-strong');
    const before = await ui.waitFor((f) => f.includes('JWT_SECRET is long, random'), 'the item');
    assert.match(before, /^FAIL {2}/m);
    assert.match(before, /Generate: press g for a new value \(hex32\)/, 'the item says it can generate');
    assert.match(before, /g generate/, 'and the footer says how');
    await ui.press('g');
    const preview = await ui.waitFor((f) => f.includes('Preview (secret values masked)'), 'the preview');
    assert.match(preview, /^Will write$/m);
    assert.match(preview, /^ {2}JWT_SECRET in \.env$/m);
    assert.match(preview, /^-JWT_SECRET=\[secret: 51 chars\]$/m, 'the old value, masked');
    assert.match(preview, /^\+JWT_SECRET=\[secret: 64 chars\]$/m, 'the new value, masked');
    assert.match(preview, /enter\/y write the files .*esc back to the item/);
    assert.equal(envValue('JWT_SECRET'), old, 'nothing is written by a preview');
    assert.ok(!shown(old), 'the old value never shows');

    await ui.press(KEY.enter);
    const done = await ui.waitFor((f) => /Checked again: PASS/.test(f), 'the result once the checks ran again');
    assert.match(done, /Written: \.env/);
    assert.match(done, /Backups: \.env\.shipshape-backup-\S+/);
    const now = envValue('JWT_SECRET')!;
    assert.match(now, /^[0-9a-f]{64}$/);
    assert.notEqual(now, old);
    assert.equal(statSync(join(dir, '.env')).mode & 0o777, 0o600, 'a file holding secrets is 0600');
    const backup = readdirSync(dir).find((f) => f.startsWith('.env.shipshape-backup-'));
    assert.ok(backup, 'a backup of the replaced file');
    assert.equal(statSync(join(dir, backup)).mode & 0o777, 0o600);
    assert.equal(item('jwt-secret-strong')?.status, 'pass');
    assert.ok(!shown(now), 'the generated value is never drawn');

    await ui.press(KEY.esc);
    const back = await ui.waitFor((f) => f.includes('JWT_SECRET is long, random') && /^PASS {2}/m.test(f), 'the item, now passing');
    assert.doesNotMatch(back, /Written:/);
    assert.ok(!shown(now));
  });

  test('esc on the preview leaves the files as they are', async () => {
    const text = readFileSync(join(dir, '.env'), 'utf8');
    await openAt('jwt-secret-strong');
    await ui.press('g');
    await ui.waitFor((f) => f.includes('Preview (secret values masked)'), 'the preview');
    await ui.press(KEY.esc);
    await ui.waitFor((f) => f.includes('nothing written') && f.includes('How to fix'), 'back on the item');
    assert.equal(readFileSync(join(dir, '.env'), 'utf8'), text);
    assert.equal(
      readdirSync(dir).some((f) => f.includes('backup')),
      false,
    );
  });

  test('at 50x12 the preview scrolls, says so, and every frame fits', async () => {
    const size = {columns: 50, rows: 12};
    await openAt('jwt-secret-strong', {size});
    await ui.press('g');
    const top = await ui.waitFor((f) => f.includes('Generate: JWT_SECRET') && f.includes('Will write'), 'the top of the preview');
    assert.match(top, /^↓ \d+ more lines · ↓\/PgDn/m, 'a preview taller than the terminal says so');
    let f = top;
    const seen = new Set<string>();
    for (let n = 0; n < 40 && /^↓ /m.test(f); n++) {
      const lines = f.split('\n');
      assert.ok(lines.length <= size.rows - 1, `${lines.length} rows:\n${f}`);
      for (const l of lines) assert.ok([...l].length <= size.columns, `too wide: ${l}`);
      for (const l of lines) seen.add(l.trim());
      const before = f;
      await ui.press(KEY.down);
      f = await ui.waitFor((g) => g !== before, 'the preview to scroll');
    }
    for (const l of f.split('\n')) seen.add(l.trim());
    assert.ok(seen.has('+JWT_SECRET=[secret: 64 chars]'), 'the changed line was reachable');
    assert.ok(
      [...seen].some((l) => l.startsWith('Press enter to write')),
      'and so was what enter does',
    );
  });

  test('an item without a generator says so', async () => {
    await openAt('named-accounts');
    const f = await ui.waitFor((f) => f.includes('People use their own named accounts'), 'the item');
    assert.doesNotMatch(f, /g generate/, 'no hint for what the item cannot do');
    await ui.press('g');
    const said = await ui.waitFor((f) => f.includes('this item has no generator'), 'the answer');
    assert.doesNotMatch(said, /not part of this version/);
  });

  test('help lists the generate keys, and no "not part of this version"', async () => {
    await openAt('jwt-secret-strong');
    await ui.press('?');
    const f = await ui.waitFor((f) => f.includes('Keys (answers are saved'), 'help');
    assert.match(f, /Generate {4}.*enter\/y write the files/);
    assert.doesNotMatch(f, /not part of this version/);
  });
});

// A guarded generator: a ZITADEL masterkey encrypts data, so an existing one is replaced only
// when the person types the item id.
const MASTERKEY_PACK = `schema: 1
id: zk
title: ZITADEL masterkey
version: 1.0.0
description: One guarded secret.
sections:
  - id: keys
    title: Keys
    items:
      - id: zitadel-masterkey
        title: The ZITADEL masterkey is random
        why: It encrypts ZITADEL's data.
        how: Generate 32 random letters and digits, only on a fresh installation.
        severity: critical
        source: {system: test, section: generate}
        verify:
          - check: secret.strength
            with: {keys: [ZITADEL_MASTERKEY], required: true, minBits: 128}
        generate:
          generator: zitadel-masterkey
          into: [".env:ZITADEL_MASTERKEY"]
`;

describe('a value that already exists', () => {
  beforeEach(() => {
    writeFileSync(join(dir, 'zk.yaml'), MASTERKEY_PACK);
    writeFileSync(join(dir, '.env'), 'ZITADEL_MASTERKEY=short\n', {mode: 0o600});
  });

  test('is refused with the reason, and replaced only after the item id is typed', async () => {
    await openAt('zitadel-masterkey', {pack: join(dir, 'zk.yaml')});
    await ui.press('g');
    const refused = await ui.waitFor((f) => f.includes('Could not generate'), 'the refusal');
    assert.match(refused.replace(/\n\s*/g, ' '), /a value already exists\. ZITADEL encrypts its data with the masterkey/);
    assert.doesNotMatch(refused, /--replace-existing/, "the command line's way out is not this screen's");
    assert.match(refused, /Press r to replace it anyway/);
    assert.equal(envValue('ZITADEL_MASTERKEY'), 'short');

    await ui.press('r');
    await ui.waitFor((f) => f.includes('Replace the existing value of zitadel-masterkey'), 'the typed confirmation');
    await ui.type('yes');
    await ui.press(KEY.enter);
    await ui.waitFor((f) => f.includes('! type the item id exactly: zitadel-masterkey'), 'a wrong answer refused');
    await ui.press(KEY.backspace, KEY.backspace, KEY.backspace);
    await ui.type('zitadel-masterkey');
    await ui.press(KEY.enter);
    const preview = await ui.waitFor((f) => f.includes('Preview (secret values masked)'), 'the preview of the replacement');
    assert.match(preview, /This REPLACES the existing value/);
    assert.equal(envValue('ZITADEL_MASTERKEY'), 'short', 'still nothing written');

    await ui.press(KEY.enter);
    await ui.waitFor((f) => /Checked again: PASS/.test(f), 'the new status');
    const key = envValue('ZITADEL_MASTERKEY')!;
    assert.match(key, /^[A-Za-z0-9]{32}$/);
    assert.ok(!shown(key), 'the masterkey is never drawn');
    assert.ok(existsSync(join(dir, '.env')));
  });

  test('esc in the typed confirmation replaces nothing', async () => {
    await openAt('zitadel-masterkey', {pack: join(dir, 'zk.yaml')});
    await ui.press('g');
    await ui.waitFor((f) => f.includes('Press r to replace it anyway'), 'the refusal');
    await ui.press('r');
    await ui.waitFor((f) => f.includes('Replace the existing value'), 'the typed confirmation');
    await ui.press(KEY.esc);
    await ui.waitFor((f) => f.includes('nothing replaced'), 'the cancel');
    assert.equal(envValue('ZITADEL_MASTERKEY'), 'short');
  });
});
