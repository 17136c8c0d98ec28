// The pack format's JSON Schema: shipped, up to date, and in agreement with the loader.
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';
// ajv comes with conf (a dependency); the test uses it as an editor would use the schema.
import {Ajv2020} from 'ajv/dist/2020.js';
import {parse} from 'yaml';
import {CHECKS} from '../../src/checks/index.js';
import {GENERATORS} from '../../src/generators/index.js';
import {builtinPackFiles} from '../../src/pack/builtin.js';
import {packJsonSchemaText, SCHEMA_FILE} from '../../src/pack/jsonSchema.js';
import {parsePack} from '../../src/pack/load.js';
import {REPO} from '../support/helpers.js';

const shipped = readFileSync(join(REPO, SCHEMA_FILE), 'utf8');
const validate = new Ajv2020({strict: false, allErrors: true}).compile(JSON.parse(shipped) as object);

const SMALL = `# yaml-language-server: $schema=../schema/pack.schema.json
schema: 1
id: small
title: Small pack
version: 1.0.0
description: One item.
sections:
  - id: main
    title: Main
    items:
      - id: pinned
        title: Images are pinned
        why: Drift.
        how: Pin them.
        severity: medium
        source: {system: Test, section: Main}
        verify:
          - check: compose.ports-private
            with: {services: [postgres]}
        generate: {generator: hex32}
`;

describe('schema/pack.schema.json', () => {
  test('is what npm run docs makes from the zod schema and the registries (run npm run docs when this fails)', () => {
    assert.ok(shipped === packJsonSchemaText(CHECKS, GENERATORS.keys()), `${SCHEMA_FILE} is stale: run npm run docs`);
  });

  test('is shipped in the package', () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {files: string[]};
    assert.ok(pkg.files.includes('schema'));
  });

  test('every built-in pack is valid by the schema', () => {
    for (const f of builtinPackFiles()) {
      // Merge keys (<<: *anchor) as the loader and editors read them.
      const ok = validate(parse(readFileSync(f, 'utf8'), {merge: true}));
      assert.ok(ok, `${f}: ${JSON.stringify(validate.errors?.slice(0, 3), null, 2)}`);
    }
  });

  test('a pack with a yaml-language-server line loads, and is valid by the schema', () => {
    assert.equal(parsePack(SMALL, 'small.yaml', CHECKS, {generators: GENERATORS}).id, 'small');
    assert.ok(validate(parse(SMALL)), JSON.stringify(validate.errors));
  });

  test('composition fields are in the schema: extends (both forms), override, drop', () => {
    const composed = SMALL.replace(
      'description: One item.\n',
      [
        'description: One item.',
        'extends: [compose, {pack: kubernetes, when: {mode: kubernetes}}]',
        'override:',
        '  - {id: resource-limits, severity: low}',
        'drop:',
        '  - {id: healthchecks, reason: probed by the load balancer}',
        '',
      ].join('\n'),
    );
    assert.ok(validate(parse(composed)), JSON.stringify(validate.errors));
    assert.equal(validate(parse(composed.replace(', reason: probed by the load balancer', ''))), false);
    assert.equal(validate(parse(composed.replace('severity: low', 'severity: lowest'))), false);
  });

  test('editors are told about unknown keys, unknown check ids, wrong check params and unknown generators', () => {
    const cases: [string, string, RegExp][] = [
      ['title: Small pack', 'titel: Small pack', /additionalProperties|required/],
      ['check: compose.ports-private', 'check: compose.ports-closed', /anyOf|const/],
      ['with: {services: [postgres]}', 'with: {services: postgres}', /type/],
      ['with: {services: [postgres]}', 'with: {hosts: [db]}', /additionalProperties/],
      ['generator: hex32', 'generator: hex64', /enum/],
      ['severity: medium', 'severity: urgent', /enum/],
    ];
    for (const [from, to, keyword] of cases) {
      const broken = SMALL.replace(from, to);
      assert.notEqual(broken, SMALL);
      assert.equal(validate(parse(broken)), false, to);
      assert.match(validate.errors!.map((e) => e.keyword).join(' '), keyword, to);
    }
  });

  test('describes each check with its summary, for completion', () => {
    const schema = JSON.parse(shipped) as {$defs: {verifyStep: {properties: {check: {anyOf: {const: string; description: string}[]}}}}};
    const listed = schema.$defs.verifyStep.properties.check.anyOf;
    assert.equal(listed.length, CHECKS.size);
    assert.equal(listed.find((c) => c.const === 'env.present')?.description, CHECKS.get('env.present')!.summary);
  });
});
