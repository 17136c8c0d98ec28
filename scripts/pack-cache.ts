// Build step: validate every built-in pack with the full loader and write dist/packs.json.
// A built-in pack that does not load fails the build, with its located errors.
import {readFileSync, writeFileSync} from 'node:fs';
import {basename, dirname} from 'node:path';
import {CHECKS} from '../src/checks/index.js';
import {builtinPackFiles} from '../src/pack/builtin.js';
import {GENERATORS} from '../src/generators/index.js';
import {packHash, type PackCacheFile} from '../src/pack/cache.js';
import {loadPackFile, PackLoadError} from '../src/pack/load.js';
import {VERSION} from '../src/version.js';

const out: PackCacheFile = {version: VERSION, entries: []};
try {
  for (const file of builtinPackFiles()) {
    const {pack, files} = await loadPackFile(file, CHECKS, {generators: GENERATORS});
    const bases = files.slice(1);
    // A base outside steps/ cannot be checked at run time: such a pack is not cached.
    if (bases.some((b) => dirname(b) !== dirname(file))) continue;
    out.entries.push({
      file: basename(file),
      sha256: packHash(files.map((f) => readFileSync(f, 'utf8'))),
      pack: JSON.stringify(pack),
      ...(bases.length > 0 ? {bases: bases.map((b) => basename(b))} : {}),
    });
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
