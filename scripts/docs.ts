// Rewrites the generated parts of README.md (commands, exit codes, check reference) from the registries.
import {readFileSync, writeFileSync} from 'node:fs';
import {replaceDocs} from '../src/commands/docs.js';

const readme = readFileSync('README.md', 'utf8');
const next = await replaceDocs(readme, process.cwd());
if (next !== readme) writeFileSync('README.md', next);
console.log(next === readme ? 'README.md generated parts are up to date' : 'README.md generated parts rewritten');
