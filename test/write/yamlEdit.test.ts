import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {isMap} from 'yaml';
import {SourceError} from '../../src/sources/errors.js';
import {parseYaml} from '../../src/sources/yamlDoc.js';
import {editYaml, setYamlIn} from '../../src/write/yamlEdit.js';

/** A compose file as people write it: comments everywhere, an anchor, aliases, merge keys, odd spacing. */
const COMPOSE = `# Production stack for the0
# (reviewed 2026-07)

x-common: &common   # shared by every service
  restart: unless-stopped
  logging:
    driver: json-file
    options: {max-size: "10m", max-file: "3"}

x-env: &env
  TZ: UTC

services:
  api:
    <<: *common
    image: "ghcr.io/acme/api:1.2"   # pinned, bump with care
    environment:
      <<: *env
      JWT_SECRET: \${JWT_SECRET:?set it in .env}
      LONG_FLAGS: --alpha --beta --gamma --delta --epsilon --zeta --eta --theta --iota --kappa --lambda
    ports:
    - "8080:8080"   # public
    - '9090:9090'

  db:
    <<: *common
    image: postgres:16    # major upgrades need a dump
    command: [postgres, -c, "max_connections=200"]
    volumes:
      - data:/var/lib/postgresql/data

volumes:
  data: {}
`;

/** Lines of `after` equal those of `before` except at the given 0-based indexes. */
function onlyLinesChanged(before: string, after: string, changed: Record<number, string>): void {
  const b = before.split('\n');
  const a = after.split('\n');
  assert.equal(a.length, b.length, `line count changed:\n${after}`);
  for (let i = 0; i < b.length; i++) assert.equal(a[i], changed[i] ?? b[i], `line ${i + 1}`);
}

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle));

describe('setYamlIn', () => {
  test('changes one value; comments, anchors, aliases, merge keys and layout elsewhere stay byte for byte', () => {
    const out = setYamlIn(COMPOSE, ['services', 'api', 'image'], 'ghcr.io/acme/api:1.3', 'compose.yaml');
    const i = lineOf(COMPOSE, 'image: "ghcr');
    onlyLinesChanged(COMPOSE, out, {[i]: '    image: "ghcr.io/acme/api:1.3"   # pinned, bump with care'});
    const y = parseYaml(out, 'compose.yaml').data as {services: {api: {restart: string; environment: Record<string, string>}; db: {restart: string}}};
    // The merges still resolve.
    assert.equal(y.services.api.restart, 'unless-stopped');
    assert.equal(y.services.db.restart, 'unless-stopped');
    assert.equal(y.services.api.environment.TZ, 'UTC');
  });

  test('adds a key next to its siblings, touching no other line', () => {
    const out = setYamlIn(COMPOSE, ['services', 'api', 'environment', 'API_TOKEN_FILE'], '/run/secrets/api_token', 'compose.yaml');
    const at = lineOf(COMPOSE, 'LONG_FLAGS');
    const lines = COMPOSE.split('\n');
    lines.splice(at + 1, 0, '      API_TOKEN_FILE: /run/secrets/api_token');
    assert.equal(out, lines.join('\n'));
  });

  test('a value that would read as another type is quoted, and reads back as written', () => {
    for (const value of ['yes', '8080:80', 'a: b', '#not a comment', '010', 'null', '*alias', '']) {
      const out = setYamlIn(COMPOSE, ['services', 'db', 'image'], value, 'compose.yaml');
      assert.equal(parseYaml(out, 'compose.yaml').doc.getIn(['services', 'db', 'image']), value);
      const i = lineOf(COMPOSE, 'image: postgres');
      onlyLinesChanged(COMPOSE, out, {[i]: out.split('\n')[i]!});
      assert.match(out.split('\n')[i]!, /# major upgrades need a dump$/);
    }
  });

  test('strings YAML 1.1 readers would take for booleans or numbers are quoted too', () => {
    for (const value of ['yes', 'on', 'Off', 'y', '1:20', '0o17', '1_000']) {
      const out = setYamlIn('image: postgres:16  # db\n', ['image'], value, 'compose.yaml');
      assert.equal(out, `image: "${value}"  # db\n`);
    }
    assert.equal(setYamlIn('image: postgres:16\n', ['image'], 'postgres:17'), 'image: postgres:17\n');
  });

  test('numbers and nested maps', () => {
    const out = setYamlIn(COMPOSE, ['services', 'db', 'deploy'], {resources: {limits: {memory: '1g'}}}, 'compose.yaml');
    assert.deepEqual((parseYaml(out, 'compose.yaml').data as {services: {db: {deploy: unknown}}}).services.db.deploy, {resources: {limits: {memory: '1g'}}});
    assert.ok(out.startsWith(COMPOSE.slice(0, COMPOSE.indexOf('  db:'))), 'everything before db is untouched');
  });

  test('odd spacing on the edited line itself is kept; a block scalar is replaced whole', () => {
    const odd = "a:   1   # c\nb:\n    - x\n    -   y\nc: 'single'\nd: >\n  folded\n  text\ne: end\n";
    assert.equal(setYamlIn(odd, ['a'], 2), odd.replace('1', '2'));
    assert.equal(setYamlIn(odd, ['b', 1], 'z'), odd.replace('-   y', '-   z'));
    assert.equal(setYamlIn(odd, ['c'], 'x y'), odd.replace("'single'", "'x y'"));
    assert.equal(setYamlIn(odd, ['d'], 'new text'), odd.replace('>\n  folded\n  text\n', '>-\n  new text\n'));
  });

  test('a CRLF file stays CRLF', () => {
    const crlf = COMPOSE.replace(/\n/g, '\r\n');
    const out = setYamlIn(crlf, ['services', 'api', 'image'], 'x:2', 'compose.yaml');
    assert.equal(out, setYamlIn(COMPOSE, ['services', 'api', 'image'], 'x:2', 'compose.yaml').replace(/\n/g, '\r\n'));
  });

  test('an empty file gets the value', () => {
    assert.equal(setYamlIn('', ['a', 'b'], 1, 'values.yaml'), 'a:\n  b: 1\n');
  });

  test('a broken file is refused with its name and place', () => {
    assert.throws(
      () => setYamlIn('services:\n  api: [\n', ['services', 'api'], 'x', 'compose.yaml'),
      (err: unknown) => err instanceof SourceError && err.file === 'compose.yaml' && err.line !== undefined,
    );
    assert.throws(() => setYamlIn('a: 1\n', ['a', 'b'], 'x', 'compose.yaml'), /^Error: compose\.yaml: cannot set a\.b: /);
  });
});

describe('editYaml', () => {
  test('several edits in one go; the lines around them stay', () => {
    const out = editYaml(
      COMPOSE,
      (doc) => {
        doc.setIn(['x-common', 'restart'], 'always');
        doc.deleteIn(['services', 'api', 'ports', 1]);
      },
      'compose.yaml',
    );
    const restart = lineOf(COMPOSE, 'restart: unless-stopped');
    const lines = COMPOSE.split('\n');
    lines[restart] = '  restart: always';
    lines.splice(lineOf(COMPOSE, "- '9090:9090'"), 1);
    assert.equal(out, lines.join('\n'));
  });

  test('an edit that changes nothing returns the text itself', () => {
    assert.equal(
      editYaml(COMPOSE, (doc) => doc.setIn(['services', 'db', 'image'], 'postgres:16')),
      COMPOSE,
    );
  });

  test('the anchor and its aliases survive a change inside the anchored map', () => {
    const out = editYaml(COMPOSE, (doc) => {
      const env = doc.getIn(['x-env'], true);
      assert.ok(isMap(env));
      env.set('LANG', 'C.UTF-8');
    });
    assert.match(out, /^x-env: &env\n {2}TZ: UTC\n {2}LANG: C\.UTF-8\n/m);
    assert.equal(out.match(/<<: \*env/g)?.length, 1);
    const y = parseYaml(out, 'compose.yaml').data as {services: {api: {environment: Record<string, string>}}};
    assert.equal(y.services.api.environment.LANG, 'C.UTF-8');
  });
});
