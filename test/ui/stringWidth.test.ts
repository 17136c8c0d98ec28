// The build lets string-width skip its RGI emoji pattern for a cluster with no non-ASCII Emoji
// code point and no keycap mark (scripts/build.mjs, the string-width patch). That is only sound
// if every RGI emoji has one of them: checked here for every single code point, and for the
// keycaps, the one kind of RGI sequence built on ASCII (the others are made of non-ASCII emoji by
// Unicode's definition: regional indicators, tag sequences, modifier and ZWJ sequences).
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {test} from 'node:test';
import {REPO} from '../support/helpers.js';

// The guard exactly as the build writes it into string-width: read from scripts/build.mjs, where
// it is a regular expression literal inside a string literal (backslashes doubled).
const patch = /test: \(s\) => \/(.+?)\/u\.test\(s\) && \(rgiEmojiPattern/.exec(readFileSync(join(REPO, 'scripts', 'build.mjs'), 'utf8'));
assert.ok(patch, 'scripts/build.mjs no longer holds the string-width guard this test reads');
const guard = new RegExp(patch[1]!.replaceAll('\\\\', '\\'), 'u');

test('every RGI emoji passes the guard that lets string-width skip its emoji pattern', () => {
  // Built from a string: TypeScript's target here predates the `v` flag in a literal.
  // biome-ignore lint/complexity/useRegexLiterals: see above
  const rgi = new RegExp('^\\p{RGI_Emoji}$', 'v');
  const missed: string[] = [];
  for (let cp = 0; cp <= 0x10ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const s = String.fromCodePoint(cp);
    if (rgi.test(s) && !guard.test(s)) missed.push(cp.toString(16));
  }
  assert.deepEqual(missed, []);
  for (const c of '0123456789#*') {
    assert.equal(rgi.test(`${c}\ufe0f\u20e3`), true, `keycap ${c}`);
    assert.equal(guard.test(`${c}\ufe0f\u20e3`), true, `keycap ${c}`);
  }
  for (const seq of [
    '\u{1f1e9}\u{1f1ea}',
    '\u{1f44d}\u{1f3fd}',
    '\u{1f468}\u200d\u{1f469}\u200d\u{1f467}',
    '\u{1f3f4}\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}',
  ]) {
    assert.equal(rgi.test(seq) && guard.test(seq), true, seq);
  }
  // What the wizard's screens show beyond ASCII never needs the pattern: digits, a middle dot,
  // an ellipsis, arrows, a pointer, blocks, a spinner frame, an accent.
  for (const c of ['8', '#', '\u00b7', '\u2026', '\u2191', '\u2193', '\u25b8', '\u2588', '\u2591', '\u2593', '\u2819', '\u00e9'])
    assert.equal(guard.test(c), false, c);
});
