// Rewrites the generated parts of README.md (commands, exit codes, check reference) and
// schema/pack.schema.json from the registries.
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {replaceDocs} from '../src/commands/docs.js';
import {CHECKS} from '../src/checks/index.js';
import {GENERATORS} from '../src/generators/index.js';
import {packJsonSchemaText, SCHEMA_FILE} from '../src/pack/jsonSchema.js';

const readme = readFileSync('README.md', 'utf8');
const next = await replaceDocs(readme, process.cwd());
if (next !== readme) writeFileSync('README.md', next);
console.log(next === readme ? 'README.md generated parts are up to date' : 'README.md generated parts rewritten');

// The pack format's JSON Schema, shipped for editors (test/pack/schema.test.ts fails when stale).
const schemaText = packJsonSchemaText(CHECKS, GENERATORS.keys());
mkdirSync('schema', {recursive: true});
const oldSchema = existsSync(SCHEMA_FILE) ? readFileSync(SCHEMA_FILE, 'utf8') : '';
if (oldSchema !== schemaText) writeFileSync(SCHEMA_FILE, schemaText);
console.log(oldSchema === schemaText ? `${SCHEMA_FILE} is up to date` : `${SCHEMA_FILE} rewritten`);
