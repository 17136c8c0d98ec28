/**
 * dist/cli.cjs: starts the bundle (dist/shipshape.cjs) with V8's code cache. Itself built as
 * CommonJS (an ES module entry costs Node its ESM loader first, some 10 ms).
 *
 * Compiling the bundle's JavaScript was the largest single cost of a start (about a third of a
 * `check`), and Node 20 keeps no code cache for ES modules. So the program is bundled as one
 * CommonJS script and compiled here through `vm.Script` with the bytecode V8 produced on an
 * earlier run of the same command: V8 then skips parsing and compiling everything that run
 * already compiled. A cache is kept per command (a `check` and the wizard touch different
 * code), written once, at the end of a run that did real work (exit 0, 1 or 3), atomically,
 * into the user's cache directory; its name holds the bundle's hash, its size and time, and
 * Node's version, so a changed bundle or another Node never meets an old cache. A cache V8
 * refuses anyway (its own checks of version and flags) is compiled from source and replaced.
 * SHIPSHAPE_CACHE=0 turns it off (for measuring the cold start).
 */
import {closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {createHash, randomBytes} from 'node:crypto';
import {createRequire} from 'node:module';
import {dirname, join} from 'node:path';
import {Script} from 'node:vm';
import {cacheDir, makeTrustedDir, mine, trustedDir} from './deploy/cacheDir.js';
import {VERSION} from './version.js';

declare const SHIPSHAPE_BUNDLE_HASH: string;

/** Every cache file of this build starts with this (then the bundle's size and time). */
const BUILD = `code-${SHIPSHAPE_BUNDLE_HASH}`;

/** Length of the SHA-256 that heads a cache file. */
const DIGEST = 32;

const bundle = join(__dirname, 'shipshape.cjs');
const args = process.argv.slice(2);
// `--version` (as main() reads it) is answered here: scripts ask it often, and it needs nothing else.
if (args[0] === '--version' || (args.length === 1 && args[0] === '-V')) {
  // A reader that goes away first (`shipshape --version | true`) is no error, as in src/cli.ts.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
  process.stdout.write(`${VERSION}\n`);
} else start();

function start(): void {
  // ASCII by construction (scripts/build.mjs): read as Latin-1, the fastest decoding.
  const source = readFileSync(bundle, 'latin1');
  const cacheFile = cachePath();
  let cachedData = cacheFile ? readCache(cacheFile) : undefined;
  // The file is one function expression, wrapped at build time as Node wraps a CommonJS module
  // (scripts/build.mjs), so its text is compiled as read, without a copy.
  const script = new Script(source, {filename: bundle, cachedData});
  const state = !cacheFile ? 'off' : cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'used';
  if (process.env.SHIPSHAPE_TIMING === '1') process.stderr.write(`shipshape-mark code cache ${state} ${performance.now().toFixed(1)}\n`);
  if (cacheFile && (state === 'none' || state === 'rejected')) process.once('exit', (code) => keep(cacheFile, code, script));
  // Two megabytes V8 has copied what it needs from: not kept for the life of the process.
  cachedData = undefined;
  const run = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;
  const module = {exports: {}};
  run.call(module.exports, module.exports, createRequire(bundle), module, bundle, dirname(bundle));
}

/** Where this command's cache lives, or none (turned off, or no home to keep it in). */
function cachePath(): string | undefined {
  const dir = cacheDir();
  if (!dir) return undefined;
  // The command's name, as main() will read it; --version and --help have their own, small one.
  const args = process.argv.slice(2);
  const word = args[0];
  const info = args.some((a) => a === '--version' || a === '-V' || a === '--help' || a === '-h');
  const command = info ? 'info' : word === undefined || word.startsWith('-') ? 'walk' : /^[a-z]{1,16}$/.test(word) ? word : undefined;
  if (!command) return undefined;
  let stamp: string;
  try {
    const s = statSync(bundle);
    stamp = `${s.size.toString(36)}-${Math.trunc(s.mtimeMs).toString(36)}`;
  } catch {
    return undefined;
  }
  // V8 refuses a cache made under other flags: each set of Node options keeps its own.
  const options = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ').trim();
  const flags = options ? createHash('sha256').update(options).digest('hex').slice(0, 8) : 'plain';
  return join(dir, `${BUILD}-${stamp}-${process.version}-${process.arch}-${flags}-${command}.bin`);
}

/**
 * The cache's bytes, when they are what was written: V8 does not check the integrity of code
 * cache data (a damaged file aborts the process in its deserializer), so each file starts with
 * the SHA-256 of the rest, checked here (about 2 ms for 2 MB). Only a regular file is read, never
 * through a link, never a FIFO that would block the start, at most 64 MiB. Anything else counts
 * as no cache, and is replaced at exit.
 */
function readCache(file: string): Buffer | undefined {
  let fd: number | undefined;
  try {
    if (!trustedDir(dirname(file))) return undefined;
    fd = openSync(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
    const s = fstatSync(fd);
    if (!s.isFile() || s.size > 64 * 1024 * 1024 || !mine(s.uid)) return undefined;
    const bytes = readFileSync(fd);
    const data = bytes.subarray(DIGEST);
    return bytes.length > DIGEST && createHash('sha256').update(data).digest().equals(bytes.subarray(0, DIGEST)) ? data : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Writes the bytecode this run compiled, when the run did real work; a cache that cannot be kept is no error. */
function keep(file: string, code: number, script: Script): void {
  if (code !== 0 && code !== 1 && code !== 3) return;
  const dir = dirname(file);
  const tmp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  let created = false;
  try {
    if (!makeTrustedDir(dirname(dir), dir)) return;
    // A new file (never through a link someone left at the name), moved over the old one whole.
    const data = script.createCachedData();
    writeFileSync(tmp, Buffer.concat([createHash('sha256').update(data).digest(), data]), {flag: 'wx', mode: 0o600});
    created = true;
    renameSync(tmp, file);
    created = false;
    prune(dir);
  } catch {
    if (created) rmSync(tmp, {force: true});
  }
}

/** Caches kept at most (a few commands, each perhaps for two builds or two sets of Node options). */
const MAX_CACHES = 24;

/**
 * Keeps the folder small: the code caches written longest ago beyond MAX_CACHES (older builds
 * first, whichever commands they were for), and temp files a killed run left an hour ago or more.
 */
function prune(dir: string): void {
  const now = Date.now();
  const caches: {name: string; t: number}[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.startsWith('code-')) continue;
    const t = lstatSync(join(dir, name)).mtimeMs;
    if (name.endsWith('.tmp') && now - t > 3_600_000) rmSync(join(dir, name), {force: true});
    else if (name.endsWith('.bin')) caches.push({name, t});
  }
  caches.sort((a, b) => b.t - a.t);
  for (const {name} of caches.slice(MAX_CACHES)) rmSync(join(dir, name), {force: true});
}
