// Rewrites the check reference in README.md from the registry.
import {readFileSync, writeFileSync} from 'node:fs';
import {replaceChecksDoc} from '../src/commands/checksDoc.js';

const readme = readFileSync('README.md', 'utf8');
const next = replaceChecksDoc(readme);
if (next !== readme) writeFileSync('README.md', next);
console.log(next === readme ? 'README.md check reference is up to date' : 'README.md check reference rewritten');
