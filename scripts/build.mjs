// Bundles the CLI into one ESM file. The wizard (React + Ink) is reached only through a
// dynamic import, so with splitting on it lands in its own chunk and `--version`, `--help`
// and `check` never load it.
import * as esbuild from 'esbuild';
import {spawnSync} from 'node:child_process';
import {rmSync} from 'node:fs';

rmSync('dist', {recursive: true, force: true});
const result = await esbuild.build({
  entryPoints: {cli: 'src/cli.ts'},
  outdir: 'dist',
  outExtension: {'.js': '.mjs'},
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  jsx: 'automatic',
  define: {'process.env.NODE_ENV': '"production"'},
  alias: {'react-devtools-core': './src/ui/devtools-stub.ts', 'is-in-ci': './src/ui/is-in-ci-stub.ts'},
  banner: {
    js: "#!/usr/bin/env node\nimport {createRequire as __shipshapeRequire} from 'node:module'; const require = __shipshapeRequire(import.meta.url);",
  },
  minify: true,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
// Built-in packs are validated here once; the bundle reads the result instead of parsing YAML.
const cache = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/pack-cache.ts'], {stdio: 'inherit'});
if (cache.status !== 0) process.exit(cache.status ?? 1);
console.log(`built dist/ (${(bytes / 1024).toFixed(0)} KiB in ${Object.keys(result.metafile.outputs).length} files)`);
