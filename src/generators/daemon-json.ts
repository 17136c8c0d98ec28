// docker-daemon-logs: log rotation for every container of a Docker host, in its daemon.json,
// merged into the file that is there (every other key kept). Shipshape writes only inside the
// deployment: a daemon.json outside it (/etc/docker/daemon.json) is merged and staged under
// host/ (the place the packs read host files from), for the person to install as root.
import {readFile} from 'node:fs/promises';
import {isAbsolute, relative, resolve, sep} from 'node:path';
import {jsonError, lineCol} from '../sources/json.js';
import {defineGenerator, type Generation} from './define.js';
import {Edits} from './targets.js';

export const DAEMON_JSON = '/etc/docker/daemon.json';
const MAX_BYTES = 1024 * 1024;
/** Drivers that keep no unbounded file on the host (as host.docker-logs judges them). */
const BOUNDED = new Set(['local', 'journald', 'syslog', 'fluentd', 'gelf', 'awslogs', 'splunk', 'gcplogs', 'logentries', 'etwlogs', 'none']);

export const daemonLogs = defineGenerator({
  id: 'docker-daemon-logs',
  summary: "Log rotation (json-file log-opts max-size and max-file) merged into Docker's daemon.json, every other key kept.",
  config: true,
  async generate({ctx, options, edits: given}): Promise<Generation> {
    const edits = given ?? new Edits(ctx);
    const notes: string[] = [];
    const target = options.file ?? DAEMON_JSON;
    const abs = isAbsolute(target) ? resolve(target) : resolve(ctx.root, target);
    const rel = relative(ctx.root, abs);
    const inside = rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
    const path = inside ? rel.split(sep).join('/') : `host${abs.split(sep).join('/')}`;
    let text: string | undefined;
    if (inside) text = ctx.isFile(path) ? await ctx.readText(path) : undefined;
    else text = await readHostFile(abs);
    const merged = mergeLogRotation(text, target, {maxSize: options.logMaxSize ?? '10m', maxFile: options.logMaxFile ?? 3}, notes);
    if (merged !== undefined) {
      await edits.edit(path, false, () => merged, `${target}: log-opts max-size ${options.logMaxSize ?? '10m'}, max-file ${options.logMaxFile ?? 3}`);
      if (!inside)
        notes.push(`${target} is outside the deployment: the merged file is written to ${path}; install it as root: sudo install -m 0644 ${path} ${target}`);
      notes.push(
        'restart Docker (systemctl restart docker) and recreate the containers (docker compose up -d --force-recreate): the options apply only to containers created afterwards',
      );
      notes.push('if dockerd is started with --log-opt flags, remove them: dockerd refuses a setting given both as a flag and in daemon.json');
    }
    return {
      get changes() {
        return edits.changeSet();
      },
      made: {value: ''},
      notes,
    };
  },
});

async function readHostFile(abs: string): Promise<string | undefined> {
  try {
    const buf = await readFile(abs);
    if (buf.length > MAX_BYTES) throw new Error(`${abs} is larger than ${MAX_BYTES} bytes`);
    return buf.toString('utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'EACCES' || code === 'EPERM')
      throw new Error(`${abs}: cannot read it (${code}); run as root, or copy it into the deployment and pass its path as file:`);
    throw err;
  }
}

/**
 * daemon.json with log rotation merged in: the text to write, or undefined when it already
 * rotates. A file that is not JSON, or not one JSON object, is refused with its line and column.
 */
export function mergeLogRotation(text: string | undefined, shown: string, want: {maxSize: string; maxFile: number}, notes: string[] = []): string | undefined {
  const body = text?.replace(/^\uFEFF/, '');
  if (body === undefined || body.trim() === '') {
    return `${JSON.stringify({'log-driver': 'json-file', 'log-opts': {'max-size': want.maxSize, 'max-file': String(want.maxFile)}}, null, 2)}\n`;
  }
  let cfg: unknown;
  try {
    cfg = JSON.parse(body);
  } catch {
    const bad = jsonError(body) ?? {at: 0, what: 'not valid JSON'};
    const {line, col} = lineCol(body, bad.at);
    throw new Error(`${shown}:${line}:${col}: not valid JSON: ${bad.what}; fix it first (dockerd does not start with it either)`);
  }
  if (typeof cfg !== 'object' || cfg === null || Array.isArray(cfg)) {
    const at = body.length - body.trimStart().length;
    const {line, col} = lineCol(body, at);
    throw new Error(
      `${shown}:${line}:${col}: daemon.json must be one JSON object ({...}), not ${Array.isArray(cfg) ? 'a list' : cfg === null ? 'null' : typeof cfg}`,
    );
  }
  const c = cfg as Record<string, unknown>;
  const driver = c['log-driver'];
  if (driver !== undefined && typeof driver !== 'string') throw new Error(`${shown}:${keyAt(body, 'log-driver')}: log-driver must be a string`);
  if (typeof driver === 'string' && driver !== 'json-file') {
    if (BOUNDED.has(driver)) notes.push(`${shown}: containers log with ${driver}, which does not grow without bound: nothing to change`);
    else notes.push(`${shown}: containers log with ${driver}; left as it is`);
    return undefined;
  }
  const opts = c['log-opts'];
  if (opts !== undefined && (typeof opts !== 'object' || opts === null || Array.isArray(opts)))
    throw new Error(`${shown}:${keyAt(body, 'log-opts')}: log-opts must be an object of strings`);
  const o = {...((opts ?? {}) as Record<string, unknown>)};
  const size = typeof o['max-size'] === 'string' ? o['max-size'].trim() : undefined;
  const sizeOk = size !== undefined && size !== '' && size !== '-1';
  if (sizeOk && o['max-file'] !== undefined) return undefined;
  if (!sizeOk) o['max-size'] = want.maxSize;
  if (o['max-file'] === undefined) o['max-file'] = String(want.maxFile);
  c['log-opts'] = o;
  const indent = /\n([ \t]+)"/.exec(body)?.[1] ?? '  ';
  return `${JSON.stringify(c, null, indent)}\n`;
}

function keyAt(text: string, key: string): string {
  const at = text.indexOf(`"${key}"`);
  const {line, col} = lineCol(text, Math.max(at, 0));
  return `${line}:${col}`;
}
