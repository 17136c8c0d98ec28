// Build step: validate every built-in pack with the full loader and write dist/packs.json.
// A built-in pack that does not load fails the build, with its located errors.
import {readFileSync, writeFileSync} from 'node:fs';
import {basename} from 'node:path';
import {CHECKS} from '../src/checks/index.js';
import {builtinPackFiles} from '../src/pack/builtin.js';
import {sha256, type PackCacheFile} from '../src/pack/cache.js';
import {loadPackFile, PackLoadError} from '../src/pack/load.js';
import {VERSION} from '../src/version.js';

const out: PackCacheFile = {version: VERSION, entries: []};
try {
  for (const file of builtinPackFiles()) {
    const {pack} = await loadPackFile(file, CHECKS);
    out.entries.push({file: basename(file), sha256: sha256(readFileSync(file, 'utf8')), pack});
  }
} catch (err) {
  if (err instanceof PackLoadError) {
    console.error(`a built-in pack does not load:\n${err.message}`);
    process.exit(1);
  }
  throw err;
}
writeFileSync('dist/packs.json', JSON.stringify(out));
console.log(`validated ${out.entries.length} built-in packs into dist/packs.json`);
