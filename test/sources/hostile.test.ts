// Hostile input for the parsers (issue 19, parts 1, 2, 3, 5, 6 and 12), at the probe's sizes or
// larger. Each case runs in a child process: a node:test timeout cannot interrupt a synchronous
// function (a test that blocks for a minute still passes), so the work runs where the test's own
// timeout can stop it, and where a library warning written to stderr can be seen.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {describe, test, type TestContext} from 'node:test';
import {pathToFileURL} from 'node:url';
import {REPO, runCli, tempDir, writeFiles} from '../support/helpers.js';

const ROOT = pathToFileURL(`${REPO}/`).href;

/** What `caught(fn)` gives in a child: the error's name, message and place, or null. */
interface Caught {
  name: string;
  message: string;
  file?: string;
  line?: number;
  col?: number;
}

/**
 * Runs `body` (plain JavaScript, the body of an async function) in a fresh `node --import tsx`.
 * In it, `src('src/x.ts')` imports one of our modules, and `caught(fn)` runs fn and describes
 * what it throws. Returns what the body returns (through JSON) and everything on stderr.
 */
function isolated<T>(t: TestContext, body: string): Promise<{value: T; stderr: string}> {
  const code = [
    `const src = (p) => import(new URL(p, ${JSON.stringify(ROOT)}).href);`,
    'const caught = (fn) => { try { fn(); return null; } catch (e) { return {name: e.name, message: e.message, file: e.file, line: e.line, col: e.col}; } };',
    `const value = await (async () => {\n${body}\n})();`,
    'process.stdout.write(JSON.stringify(value ?? null));',
  ].join('\n');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: t.signal,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => (status === 0 ? resolve({value: JSON.parse(stdout) as T, stderr}) : reject(new Error(`child exited ${status}:\n${stderr}`))));
  });
}

/** No library warning (yaml's process.emitWarning) and no stack on stderr. */
function assertQuiet(stderr: string): void {
  assert.doesNotMatch(stderr, /Warning|warning/, stderr);
  assert.doesNotMatch(stderr, /^\s+at /m, stderr);
}

/** A SourceError at file:line, whose message matches. */
function assertLocated(c: Caught | null, file: string, line: number, message: RegExp): void {
  assert.ok(c, 'expected an error, got none');
  assert.equal(c.name, 'SourceError', `${c.name}: ${c.message}`);
  assert.equal(c.file, file, c.message);
  assert.equal(c.line, line, c.message);
  assert.ok(typeof c.col === 'number' && c.col >= 1, `no column: ${JSON.stringify(c)}`);
  assert.match(c.message, message);
  assert.doesNotMatch(c.message, /call stack/);
}

const SLOW = {timeout: 20_000};

describe('hostile .env (issue 19.1)', () => {
  test('100,000 repeats of one key keep every line, in linear time (was n², 63 s for 40,000)', SLOW, async (t) => {
    const {value, stderr} = await isolated<{count: number; first: number; last: number; value: string; line: number}>(
      t,
      `
      const {parseEnvText} = await src('src/sources/envFile.ts');
      const parts = ['A=1', 'JWT_SECRET=first'];
      for (let i = 0; i < 100000; i++) parts.push('JWT_SECRET=x' + i);
      const env = parseEnvText(parts.join('\\n') + '\\n', '.env');
      const lines = env.duplicates.get('JWT_SECRET');
      const e = env.entries.get('JWT_SECRET');
      return {count: lines.length, first: lines[0], last: lines.at(-1), value: e.value, line: e.line};
      `,
    );
    assert.deepEqual(value, {count: 100_001, first: 2, last: 100_002, value: 'x99999', line: 100_002});
    assertQuiet(stderr);
  });
});

describe('hostile secrets (issue 19.2)', () => {
  test('near-repetitive values are redacted in linear time (was a backtracking regex: 12.9 s for 200,000)', SLOW, async (t) => {
    const {value} = await isolated<string[]>(
      t,
      `
      const {redact, isPlaceholder, display} = await src('src/engine/redact.ts');
      const n = 1000000;
      const values = ['a'.repeat(n) + 'b', 'ab'.repeat(n / 2) + 'a', '<' + 'Ab1-'.repeat(n / 4), 'changeme'.repeat(n / 8)];
      const out = values.map((v) => display('JWT_SECRET', v) + ' ' + isPlaceholder(v));
      out.push(redact('xyz'.repeat(n / 3)));
      return out;
      `,
    );
    assert.equal(value.length, 5);
    assert.match(value[0]!, /^1000001 chars, hex, ~\d+ bits false$/);
    assert.match(value[3]!, /^1000000 chars, a-z, ~\d+ bits true$/);
    // A whole repetition still counts as little as its unit.
    assert.match(value[4]!, /^999999 chars, a-z, ~14 bits$/);
    for (const line of value) assert.doesNotMatch(line, /aaaaa|ababa|Ab1-A/, 'a redaction shows part of the value');
  });
});

describe('hostile YAML: aliases (issue 19.3)', () => {
  test('10,000 aliases of a 20,000-item list are refused at an alias, not after blaming every alias (was 19.4 s for 2,000)', SLOW, async (t) => {
    const {value, stderr} = await isolated<{err: Caught | null; line: number}>(
      t,
      `
      const {parseYaml} = await src('src/sources/yamlDoc.ts');
      const lines = ['services:', '  api:', '    image: x', 'x-big: &big'];
      for (let i = 0; i < 20000; i++) lines.push('  - item' + i);
      lines.push('x-refs:');
      const firstRef = lines.length + 1;
      for (let i = 0; i < 10000; i++) lines.push('  k' + i + ': *big');
      return {err: caught(() => parseYaml(lines.join('\\n') + '\\n', 'docker-compose.yml')), line: firstRef};
      `,
    );
    // Each alias adds 20,000 nodes: the sixth passes 100,000.
    assertLocated(value.err, 'docker-compose.yml', value.line + 5, /invalid YAML: aliases here expand to more than 100,000 nodes/);
    assertQuiet(stderr);
  });

  test("yaml's own alias-count rule still applies, at the alias that passes it", SLOW, async (t) => {
    const {value} = await isolated<Caught | null>(
      t,
      `
      const {parseYaml} = await src('src/sources/yamlDoc.ts');
      const lines = ['x: &x 1'];
      for (let i = 0; i < 1200; i++) lines.push('k' + i + ': *x');
      return caught(() => parseYaml(lines.join('\\n') + '\\n', 'values.yaml'));
      `,
    );
    // The anchor counts once and each alias once more: the 1,000th alias makes 1,001.
    assertLocated(value, 'values.yaml', 1001, /Excessive alias count/);
  });

  test('40,000 anchors each aliased once resolve in linear time (yaml scans all earlier anchors per alias: minutes)', SLOW, async (t) => {
    const {value} = await isolated<{n: number; last: string}>(
      t,
      `
      const {parseYaml} = await src('src/sources/yamlDoc.ts');
      const lines = ['anchors:'];
      for (let i = 0; i < 40000; i++) lines.push('  - &a' + i + ' v' + i);
      lines.push('refs:');
      for (let i = 0; i < 40000; i++) lines.push('  - *a' + i);
      const y = parseYaml(lines.join('\\n') + '\\n', 'values.yaml');
      return {n: y.data.refs.length, last: y.data.refs.at(-1)};
      `,
    );
    assert.deepEqual(value, {n: 40_000, last: 'v39999'});
  });

  test('an alias inside the node it names (a cycle), to no anchor, or merging a non-mapping: located', SLOW, async (t) => {
    const {value} = await isolated<(Caught | null)[]>(
      t,
      `
      const {parseYaml} = await src('src/sources/yamlDoc.ts');
      return ['a: 1\\nb: &b\\n  c: [*b]\\n', 'a: 1\\nb: *nope\\n', 'base: &base [1]\\nsvc:\\n  <<: *base\\n'].map((t) => caught(() => parseYaml(t, 'c.yaml')));
      `,
    );
    assertLocated(value[0]!, 'c.yaml', 3, /\*b is inside the node it names \(a cycle\)/);
    assertLocated(value[1]!, 'c.yaml', 2, /Unresolved alias .*: nope$/);
    assertLocated(value[2]!, 'c.yaml', 3, /<< merges a mapping/);
  });
});

describe('hostile YAML: nesting (issue 19.5)', () => {
  test('2,000 levels in every shape are refused at the 257th level, located (was "Maximum call stack size exceeded")', SLOW, async (t) => {
    const {value, stderr} = await isolated<{shape: string; err: Caught | null}[]>(
      t,
      `
      const {parseYaml, parseYamlStream} = await src('src/sources/yamlDoc.ts');
      const n = 2000;
      const block = () => { const l = ['services:']; for (let i = 0; i < n; i++) l.push(' '.repeat(i + 1) + 'a:'); l.push('name: after'); return l.join('\\n') + '\\n'; };
      const shapes = {
        block: block(),
        dashes: '- '.repeat(n) + 'x\\n- y\\n',
        questions: '? '.repeat(n) + 'x\\nz: 1\\n',
        flow: 'x: ' + '['.repeat(n) + ']'.repeat(n) + '\\ny: 1\\n',
        flowMaps: 'x: ' + '{a: '.repeat(n) + '1' + '}'.repeat(n) + '\\n',
        flowPairs: 'x: ' + '[a: '.repeat(n) + '1' + ']'.repeat(n) + '\\n',
        compact: '- a: '.repeat(n) + 'x\\nz: 1\\n',
        unclosed: 'x: ' + '['.repeat(100000) + '\\n',
      };
      const out = Object.entries(shapes).map(([shape, text]) => ({shape, err: caught(() => parseYaml(text, 'deep.yaml'))}));
      out.push({shape: 'manifests', err: caught(() => parseYamlStream('kind: A\\n---\\n' + shapes.block, 'deep.yaml'))});
      return out;
      `,
    );
    const lines: Record<string, number> = {block: 257, manifests: 259};
    for (const {shape, err} of value) {
      assert.ok(err, `${shape}: accepted`);
      assertLocated(err, 'deep.yaml', lines[shape] ?? 1, /nested deeper than 256 levels/);
    }
    assertQuiet(stderr);
  });

  test('256 levels are still read', SLOW, async (t) => {
    const {value} = await isolated<{block: unknown; flow: unknown}>(
      t,
      `
      const {parseYaml} = await src('src/sources/yamlDoc.ts');
      const l = []; for (let i = 0; i < 255; i++) l.push(' '.repeat(i) + 'a:'); l.push(' '.repeat(255) + 'a: end');
      const depth = (v) => { let d = 0; while (v && typeof v === 'object') { v = Array.isArray(v) ? v[0] : v.a; d++; } return [d, v]; };
      return {block: depth(parseYaml(l.join('\\n') + '\\n', 'ok.yaml').data), flow: depth(parseYaml('['.repeat(256) + 'end' + ']'.repeat(256), 'ok.yaml').data)};
      `,
    );
    assert.deepEqual(value, {block: [256, 'end'], flow: [256, 'end']});
  });

  test('aliases that stack nesting past the limit are refused at the alias', SLOW, async (t) => {
    const {value} = await isolated<Caught | null>(
      t,
      `
      const {parseYaml} = await src('src/sources/yamlDoc.ts');
      const l = ['a0: &a0 ' + '['.repeat(100) + ']'.repeat(100)];
      for (let i = 1; i < 5; i++) l.push('a' + i + ': &a' + i + ' ' + '['.repeat(100) + '*a' + (i - 1) + ']'.repeat(100));
      return caught(() => parseYaml(l.join('\\n') + '\\n', 'deep.yaml'));
      `,
    );
    assertLocated(value, 'deep.yaml', 3, /the alias \*a1 nests its value deeper than 256 levels/);
  });

  test('interpolation nested 100,000 deep is a located error, not a stack overflow', SLOW, async () => {
    const dir = tempDir();
    const deep = `${'${A:-'.repeat(100_000)}x${'}'.repeat(100_000)}`;
    writeFiles(dir, {'compose.yaml': `services:\n  api:\n    image: x\n    environment:\n      JWT_SECRET: '${deep}'\n`});
    const {contextFor} = await import('../support/helpers.js');
    await assert.rejects(contextFor(dir).compose(), (err: Error & {line?: number; file?: string}) => {
      assert.equal(err.name, 'SourceError', err.message);
      assert.equal(err.file, 'compose.yaml');
      assert.equal(err.line, 5);
      assert.match(err.message, /interpolation: .*nest more than 64 deep/);
      return true;
    });
  });

  test('check on a compose file nested 2,000 deep: every item that needs it says file:line and why', SLOW, async () => {
    const dir = tempDir();
    const deep = ['x-deep:', ...Array.from({length: 2000}, (_, i) => `${' '.repeat(i + 2)}a:`), 'volumes:', '  data: {}'];
    writeFiles(dir, {
      'docker-compose.yml': `services:\n  postgres:\n    image: postgres:16\n${deep.join('\n')}\n`,
      '.env': 'POSTGRES_PASSWORD=Vq7Lr2Xc9Tn4Hs8Kd3Wm6Bz1Pf5Gy0Ja\n',
    });
    const r = await runCli(['check', '--dir', dir, '--pack', 'the0', '--format', 'json'], {timeoutMs: 20_000});
    assert.doesNotMatch(r.stderr, /internal error|Warning/, r.stderr);
    const report = JSON.parse(r.stdout) as {items: {status: string; message: string; evidence: {file: string | null; line: number | null}[]}[]};
    const errors = report.items.filter((i) => i.status === 'error');
    assert.ok(errors.length > 0);
    for (const e of errors) {
      assert.match(e.message, /docker-compose\.yml:260:\d+: YAML nested deeper than 256 levels/, e.message);
      assert.ok(
        e.evidence.some((ev) => ev.file === 'docker-compose.yml' && ev.line === 260),
        JSON.stringify(e.evidence),
      );
    }
  });
});

describe('hostile YAML: large mappings (issue 19.6)', () => {
  // yaml's uniqueKeys compares each key with every earlier one: 11.9 s for 40,000 keys.
  const MANY = `
      const l = ['services:', '  api:', '    image: x', 'x-many:'];
      for (let i = 0; i < 60000; i++) l.push('  key' + i + ': v');
      const text = l.join('\\n') + '\\n';`;

  test('a key repeated after 60,000 others is found, at its place, in linear time', SLOW, async (t) => {
    const {value} = await isolated<Caught | null>(
      t,
      `const {parseYaml} = await src('src/sources/yamlDoc.ts');${MANY}\nreturn caught(() => parseYaml(text + '  key5: again\\n', 'docker-compose.yml'));`,
    );
    assertLocated(value, 'docker-compose.yml', 60_005, /invalid YAML: Map keys must be unique/);
    assert.equal(value!.col, 3);
  });

  test('60,000 keys parse, and each is located without a scan of the mapping', SLOW, async (t) => {
    const {value} = await isolated<number>(
      t,
      `const {parseYaml, lineOf} = await src('src/sources/yamlDoc.ts');${MANY}
      const y = parseYaml(text, 'docker-compose.yml');
      let found = 0;
      for (let i = 0; i < 60000; i++) if (lineOf(y, ['x-many', 'key' + i]) === i + 5) found++;
      return found;`,
    );
    assert.equal(value, 60_000);
  });

  test('a manifest with 60,000 keys parses in linear time', SLOW, async (t) => {
    const {value} = await isolated<number>(
      t,
      `const {parseManifests} = await src('src/sources/manifests.ts');${MANY}
      const m = parseManifests('kind: ConfigMap\\nmetadata: {name: big}\\ndata:\\n' + l.slice(4).join('\\n') + '\\n', 'big.yaml');
      return Object.keys(m[0].data.data).length;`,
    );
    assert.equal(value, 60_000);
  });
});

describe('hostile YAML: complex keys (issue 19.12)', () => {
  test('a list or mapping as a key is a located error, and nothing reaches stderr', SLOW, async (t) => {
    const {value, stderr} = await isolated<(Caught | null)[]>(
      t,
      `
      const {parseYaml, parseYamlStream} = await src('src/sources/yamlDoc.ts');
      return [
        caught(() => parseYaml('a: 1\\n? [a, b]\\n: 1\\n', 'k.yaml')),
        caught(() => parseYaml('a: 1\\nb: {? {x: 1} : 2}\\n', 'k.yaml')),
        caught(() => parseYaml('l: &l [1]\\n*l : 2\\n', 'k.yaml')),
        caught(() => parseYamlStream('kind: A\\n---\\n? [a]\\n: 1\\n', 'k.yaml')),
        caught(() => parseYaml('? ' + '? '.repeat(200) + 'x\\n', 'k.yaml')),
      ];
      `,
    );
    const lines = [2, 2, 2, 3, 1];
    for (const [n, c] of value.entries()) assertLocated(c, 'k.yaml', lines[n]!, /a mapping key must be a single value, not a list or a mapping/);
    assertQuiet(stderr);
  });
});
