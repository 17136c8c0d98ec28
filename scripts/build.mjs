// Bundles the CLI: dist/shipshape.cjs, the whole program as one CommonJS script, and
// dist/cli.cjs, the small launcher that compiles it with V8's code cache (src/launch.ts says
// why). Modules reached through a dynamic import (the wizard's React and Ink, the report
// formats, the check families) stay lazy: esbuild wraps each and runs it when first imported,
// so `--version`, `--help` and `check` never run React.
import * as esbuild from 'esbuild';
import {spawnSync} from 'node:child_process';
import {createHash, randomUUID} from 'node:crypto';
import {readFileSync, rmSync, writeFileSync} from 'node:fs';
import {fileURLToPath, pathToFileURL} from 'node:url';

// A CommonJS script cannot hold a top-level await. Ink has two, both behind its DEV switch
// (React DevTools, which the bundle stubs, and its own package.json for them); yoga-layout's
// is the WebAssembly start, moved into ready() by scripts/yoga-shim.mjs. Three more patches are
// for speed: see each. Every replacement must find its text as often as written, and every
// patch must be used: a new Ink, yoga or string-width fails the build here rather than
// misbehave or quietly lose the patch.
/** Keep in step with src/launch.ts, which calls what the file holds. */
// "use strict" first: the program was ES modules, strict throughout, and esbuild's own directive
// comes after the banner below, where it is only a string.
const WRAPPER = ['(function (exports, require, module, __filename, __dirname) {"use strict";', '\n})'];
const inkStringWidth = fileURLToPath(import.meta.resolve('string-width', pathToFileURL('node_modules/ink/package.json')));
const PATCHES = [
  {
    file: /[\\/]ink[\\/]build[\\/]reconciler\.js$/,
    replace: [
      ["await import('./devtools.js');", 'void 0;', 1],
      ['? await loadPackageJson()', '? {name: undefined, version: undefined}', 1],
    ],
  },
  // yoga fetches its own data: URL whenever `fetch` exists, which loads all of Node's fetch
  // (undici) for nothing: without it, it decodes the same bytes itself.
  {file: /[\\/]yoga-layout[\\/]dist[\\/]binaries[\\/]yoga-wasm-base64-esm\.js$/, replace: [['"function"!=typeof fetch', '!0', 2]]},
  // string-width (the copy Ink loads, not the older one wrap-ansi keeps) builds its RGI emoji
  // pattern when loaded and tests every cluster of a line that is not all ASCII against it:
  // building it costs some 30 ms of V8 work at every start of the wizard, for a middle dot. Every
  // RGI emoji holds a non-ASCII code point with the Emoji property, or is a keycap (U+20E3)
  // (test/ui/stringWidth.test.ts), so a cluster with neither skips it, and it is built on first need.
  {
    file: /[\\/]string-width[\\/]index\.js$/,
    only: inkStringWidth,
    replace: [
      [
        'const rgiEmojiRegex = /^\\p{RGI_Emoji}$/v;',
        'let rgiEmojiPattern;\nconst rgiEmojiRegex = {test: (s) => /(?![\\0-\\x7f])\\p{Emoji}|\\u20e3/u.test(s) && (rgiEmojiPattern ??= /^\\p{RGI_Emoji}$/v).test(s)};',
        1,
      ],
    ],
  },
  // yaml's parser reads process.env.LOG_TOKENS once per token (a debugging switch): a lookup in
  // the environment each time, some 40 ms of a 450 KB Compose file. Read once, when loaded.
  {
    file: /[\\/]yaml[\\/]dist[\\/]parse[\\/]parser\.js$/,
    replace: [
      ['        if (node_process.env.LOG_TOKENS)', '        if (LOG_TOKENS)', 1],
      ['class Parser {', 'const LOG_TOKENS = node_process.env.LOG_TOKENS;\nclass Parser {', 1],
    ],
  },
];
// `await import('node:fs')` in a CommonJS bundle stays a real dynamic import, which a script
// compiled by vm.Script cannot make (Node 20.17 has no default loader for it): such imports of
// Node's own modules become a require, wrapped as a lazy module like any other.
const builtinImports = {
  name: 'builtin-dynamic-imports',
  setup(build) {
    build.onResolve({filter: /^node:/}, (args) => (args.kind === 'dynamic-import' ? {path: args.path, namespace: 'builtin'} : undefined));
    build.onLoad({filter: /.*/, namespace: 'builtin'}, ({path}) => ({contents: `module.exports = require(${JSON.stringify(path)});`, loader: 'js'}));
  },
};
const used = new Set();
let zodLocales = false;
const patched = {
  name: 'patched-dependencies',
  setup(build) {
    build.onResolve({filter: /^yoga-layout$/}, () => ({path: new URL('./yoga-shim.mjs', import.meta.url).pathname}));
    // zod re-exports every one of its 40-odd message locales as `z.locales`, a tenth of the
    // bundle that a start must read; Shipshape speaks English only (zod's default, set by zod
    // itself from locales/en.js). The build fails if zod's locales folder moves.
    build.onLoad({filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/}, ({path}) => {
      if (!readFileSync(path, 'utf8').includes('export { default as en } from "./en.js";'))
        throw new Error(`${path}: zod's locales changed (update scripts/build.mjs)`);
      zodLocales = true;
      return {contents: 'export { default as en } from "./en.js";\n', loader: 'js'};
    });
    for (const patch of PATCHES) {
      build.onLoad({filter: patch.file}, ({path}) => {
        if (patch.only && path !== patch.only) return undefined;
        let text = readFileSync(path, 'utf8');
        for (const [from, to, times] of patch.replace) {
          const found = text.split(from).length - 1;
          if (found !== times) throw new Error(`${path}: expected ${times} of ${from}, found ${found} (update scripts/build.mjs)`);
          text = text.replaceAll(from, to);
        }
        used.add(patch);
        return {contents: text, loader: 'js'};
      });
    }
  },
};

rmSync('dist', {recursive: true, force: true});
// SHIPSHAPE_BUILD_DEBUG=1 keeps names readable, for a CPU profile.
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  minify: process.env.SHIPSHAPE_BUILD_DEBUG !== '1',
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
};
const program = await esbuild.build({
  ...common,
  entryPoints: {shipshape: 'src/cli.ts'},
  outdir: 'dist',
  outExtension: {'.js': '.cjs'},
  format: 'cjs',
  jsx: 'automatic',
  // SHIPSHAPE_BUILD_ID: new at every build, the key of caches made by this build (src/pack/userCache.ts).
  define: {'process.env.NODE_ENV': '"production"', 'import.meta.url': '__shipshapeUrl', SHIPSHAPE_BUILD_ID: JSON.stringify(randomUUID())},
  alias: {'react-devtools-core': './src/ui/devtools-stub.ts', 'is-in-ci': './src/ui/is-in-ci-stub.ts'},
  banner: {js: "const __shipshapeUrl = require('node:url').pathToFileURL(__filename).href;"},
  plugins: [patched, builtinImports],
});
const dynamic = Object.values(program.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.kind === 'dynamic-import' && i.external));
if (dynamic.length > 0)
  throw new Error(`scripts/build.mjs: the bundle would import at run time, which the launcher cannot: ${dynamic.map((i) => i.path).join(', ')}`);
if (!zodLocales) throw new Error("scripts/build.mjs: zod's locales index was not found to trim");
for (const patch of PATCHES) if (!used.has(patch)) throw new Error(`scripts/build.mjs: the patch for ${patch.only ?? patch.file} found no file to patch`);
// The launcher reads the bundle as Latin-1, a third faster than UTF-8 and a one-byte string for
// V8: so the bundle must be ASCII. esbuild escapes strings and names, not regular expressions.
const text = readFileSync('dist/shipshape.cjs', 'utf8').replace(/(\\?)([^\0-\x7f])/g, (_, slash, ch) => {
  if (slash) throw new Error(`dist/shipshape.cjs: an escaped non-ASCII character (${ch}) cannot be rewritten`);
  return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
});
// Wrapped here as Node wraps a CommonJS module, so the launcher compiles the file's text as it
// is read: no second 2.4 MB copy of the program made at every start.
writeFileSync('dist/shipshape.cjs', `${WRAPPER[0]}${text}${WRAPPER[1]}`);
const hash = createHash('sha256').update(readFileSync('dist/shipshape.cjs')).digest('hex').slice(0, 16);
const launcher = await esbuild.build({
  ...common,
  entryPoints: {cli: 'src/launch.ts'},
  outdir: 'dist',
  outExtension: {'.js': '.cjs'},
  format: 'cjs',
  define: {SHIPSHAPE_BUNDLE_HASH: JSON.stringify(hash)},
  banner: {js: '#!/usr/bin/env node'},
});
const outputs = {...program.metafile.outputs, ...launcher.metafile.outputs};
const bytes = Object.values(outputs).reduce((n, o) => n + o.bytes, 0);
// Built-in packs are validated here once; the bundle reads the result instead of parsing YAML.
const cache = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/pack-cache.ts'], {stdio: 'inherit'});
if (cache.status !== 0) process.exit(cache.status ?? 1);
console.log(`built dist/ (${(bytes / 1024).toFixed(0)} KiB in ${Object.keys(outputs).length} files)`);
