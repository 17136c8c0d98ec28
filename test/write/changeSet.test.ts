import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {maskSecrets, preview, type ChangeSet} from '../../src/write/changeSet.js';
import {diffItems, merge3, splitLines, unifiedDiff} from '../../src/write/diff.js';
import {git, lines, tempDir} from '../support/helpers.js';

const SECRET = 'Zx9!q/w+e r%t=y';

describe('maskSecrets', () => {
  test('the secret, its URL-encoded and its base64 forms all become markers', () => {
    const b64 = Buffer.from(SECRET).toString('base64');
    const text = `raw=${SECRET}\nurl=postgres://u:${encodeURIComponent(SECRET)}@db\nb64=${b64}\nb64url=${Buffer.from(SECRET).toString('base64url')}\n`;
    const out = maskSecrets(text, [SECRET]);
    assert.equal(out, 'raw=[secret: 15 chars]\nurl=postgres://u:[secret: 15 chars]@db\nb64=[secret: 15 chars]\nb64url=[secret: 15 chars]\n');
  });

  test('longest first, short secrets too, and never inside a marker', () => {
    const out = maskSecrets('abcdef abc 64 chars ab', ['abc', 'abcdef', '64', 'chars', 'ab']);
    assert.equal(out, '[secret: 6 chars] [secret: 3 chars] [secret: 2 chars] [secret: 5 chars] [secret: 2 chars #2]');
  });

  test('no secrets, empty secrets: the text as it is', () => {
    assert.equal(maskSecrets('a=b', []), 'a=b');
    assert.equal(maskSecrets('a=b', ['']), 'a=b');
  });

  test('regular-expression characters in a secret are taken literally', () => {
    assert.equal(maskSecrets('x=.*+?^${}()|[]\\ y=ab', ['.*+?^${}()|[]\\']), 'x=[secret: 14 chars] y=ab');
  });
});

describe('preview', () => {
  const cs: ChangeSet = {
    changes: [
      {
        path: '.env',
        before: lines('# app', 'A=1', 'B=2', 'C=3', 'D=4', 'E=5', 'F=6', 'JWT_SECRET=old-weak-value', 'G=7'),
        after: lines('# app', 'A=1', 'B=2', 'C=3', 'D=4', 'E=5', 'F=6', `JWT_SECRET='${SECRET}'`, 'G=7'),
        secret: true,
      },
      {path: 'secrets/key.pem', before: undefined, after: '-----BEGIN KEY-----\nAAAA\nBBBB\n-----END KEY-----', secret: true},
    ],
    secrets: [SECRET, 'old-weak-value', '-----BEGIN KEY-----\nAAAA\nBBBB\n-----END KEY-----'],
    summary: ['JWT_SECRET in .env', 'secrets/key.pem'],
  };

  test('a unified diff of every file, with secrets masked, new and old', () => {
    assert.equal(
      preview(cs),
      [
        '--- a/.env',
        '+++ b/.env',
        '@@ -5,5 +5,5 @@',
        ' D=4',
        ' E=5',
        ' F=6',
        '-JWT_SECRET=[secret: 14 chars]',
        "+JWT_SECRET='[secret: 15 chars]'",
        ' G=7',
        '--- /dev/null',
        '+++ b/secrets/key.pem',
        '@@ -0,0 +1 @@',
        '+[secret: 47 chars]',
        '\\ No newline at end of file',
        '',
      ].join('\n'),
    );
    assert.ok(!preview(cs).includes('AAAA'));
  });

  test('a new value as long as the old one still shows as a change, with a marker of its own', () => {
    const old = 'a'.repeat(64);
    const fresh = 'b'.repeat(64);
    const shown = preview({
      changes: [{path: '.env', before: `JWT_SECRET=${old}\n`, after: `JWT_SECRET=${fresh}\n`, secret: true}],
      secrets: [fresh, old],
      summary: [],
    });
    assert.match(shown, /^-JWT_SECRET=\[secret: 64 chars #2\]$/m);
    assert.match(shown, /^\+JWT_SECRET=\[secret: 64 chars\]$/m);
    assert.ok(!shown.includes(old) && !shown.includes(fresh));
  });

  test('an unchanged file shows nothing', () => {
    assert.equal(preview({changes: [{path: 'a', before: 'x\n', after: 'x\n', secret: false}], secrets: [], summary: []}), '');
  });
});

/** Deterministic pseudo-random numbers, so a failure repeats. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function mutate(text: string, next: () => number): string {
  const ls = splitLines(text);
  for (let n = Math.floor(next() * 6); n >= 0; n--) {
    const at = Math.floor(next() * (ls.length + 1));
    const r = next();
    if (r < 0.3) ls.splice(at, 1);
    else if (r < 0.6) ls.splice(at, 0, `inserted ${Math.floor(next() * 1000)}\n`);
    else if (at < ls.length) ls[at] = `changed ${Math.floor(next() * 1000)}\n`;
  }
  if (next() < 0.2 && ls.length > 0) ls[ls.length - 1] = ls.at(-1)!.replace(/\n$/, '');
  return ls.join('');
}

describe('unifiedDiff', () => {
  test('git apply turns before into after with our diff (random edits, CRLF, missing final newlines)', () => {
    const dir = tempDir();
    git(dir, 'init', '-q');
    const next = rng(7);
    const base = Array.from({length: 60}, (_, i) => `line ${i % 9 === 0 ? 'same' : i}\n`).join('');
    for (let round = 0; round < 25; round++) {
      const before = round % 5 === 0 ? base.replace(/\n/g, '\r\n') : mutate(base, next);
      const after = mutate(before, next);
      const patch = unifiedDiff('f.txt', before, after);
      if (before === after) {
        assert.equal(patch, '');
        continue;
      }
      writeFileSync(join(dir, 'f.txt'), before);
      writeFileSync(join(dir, 'p.diff'), patch);
      execFileSync('git', ['apply', '--whitespace=nowarn', 'p.diff'], {cwd: dir});
      assert.equal(readFileSync(join(dir, 'f.txt'), 'utf8'), after, `round ${round}:\n${patch}`);
    }
  });

  test('huge inputs finish quickly and stay correct', () => {
    const a = Array.from({length: 20_000}, (_, i) => `a${i}\n`);
    const b = Array.from({length: 20_000}, (_, i) => `b${i}\n`);
    const started = performance.now();
    const ops = diffItems(a, b);
    assert.ok(performance.now() - started < 5000);
    assert.deepEqual(
      ops.filter((o) => o.kind !== 'insert').map((o) => o.item),
      a,
    );
    assert.deepEqual(
      ops.filter((o) => o.kind !== 'delete').map((o) => o.item),
      b,
    );
  });
});

describe('merge3', () => {
  const chars = (s: string) => [...s];
  test('applies both sides changes where they do not meet', () => {
    assert.deepEqual(merge3(chars('abcdefgh'), chars('Abcdefgh'), chars('abcdefgH'), () => undefined)?.join(''), 'AbcdefgH');
  });
  test('an insertion at the edge of a replacement is no conflict; two insertions at one point are', () => {
    assert.deepEqual(merge3(chars('a:1#'), chars('a:  1  #'), chars('a:2#'), () => undefined)?.join(''), 'a:  2  #');
    assert.equal(
      merge3(chars('ab'), chars('aXb'), chars('aYb'), () => undefined),
      undefined,
    );
  });
  test('the same change on both sides is no conflict; differing ones go to resolve', () => {
    assert.deepEqual(merge3(chars('abc'), chars('aXc'), chars('aXc'), () => undefined)?.join(''), 'aXc');
    assert.equal(
      merge3(chars('abc'), chars('aXc'), chars('aYc'), () => undefined),
      undefined,
    );
    assert.deepEqual(merge3(chars('abc'), chars('aXc'), chars('aYc'), (_b, _o, theirs) => theirs)?.join(''), 'aYc');
  });
});
