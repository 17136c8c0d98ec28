import {existsSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import type {Context} from '../engine/context.js';
import {packageRoot} from '../pack/builtin.js';
import type {Generation} from './define.js';
import {Edits} from './targets.js';

// What the config generators (reverse proxy, backups, firewall) share: the templates under
// templates/, a small renderer for them, and the change set of whole files they return.

/** The templates/ directory beside steps/ in the package (shipped through package.json "files"). */
function templatesDir(): string {
  const dir = join(packageRoot(), 'templates');
  if (!existsSync(join(dir, 'README.md'))) throw new Error(`${dir} is missing from this installation of Shipshape: reinstall it`);
  return dir;
}

const cache = new Map<string, string>();

/** A template's text, e.g. `proxy/Caddyfile`. */
export function readTemplate(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(join(templatesDir(), name), 'utf8');
    cache.set(name, text);
  }
  return text;
}

export type TemplateValues = Record<string, string | number | boolean | undefined>;

/**
 * Fills a template: `{{name}}` becomes the value; a line holding only `{{#name}}` or `{{^name}}`
 * opens a block kept when the value is truthy (`#`) or falsy (`^`), closed by a line `{{/name}}`.
 * Values go in as they are, so every generator validates them first (a domain, a path, a port):
 * a value that could end a directive or start a new line never reaches a template. A name the
 * values lack is a programming error, never an empty string in someone's config.
 */
export function render(template: string, values: TemplateValues, name = 'template'): string {
  const out: string[] = [];
  const keep: boolean[] = [];
  const lines = template.split('\n');
  lines.forEach((line, i) => {
    const block = /^\s*\{\{([#^/])([A-Za-z][A-Za-z0-9]*)\}\}\s*$/.exec(line);
    if (block) {
      const [, sign, key] = block;
      if (sign === '/') {
        if (keep.length === 0) throw new Error(`${name}:${i + 1}: {{/${key}}} closes nothing`);
        keep.pop();
      } else {
        if (!(key! in values)) throw new Error(`${name}:${i + 1}: no value for block ${key}`);
        keep.push(sign === '#' ? Boolean(values[key!]) : !values[key!]);
      }
      return;
    }
    if (keep.includes(false)) return;
    out.push(
      line.replace(/\{\{([A-Za-z][A-Za-z0-9]*)\}\}/g, (_m, key: string) => {
        const v = values[key];
        if (v === undefined || typeof v === 'boolean') throw new Error(`${name}:${i + 1}: no value for {{${key}}}`);
        return String(v);
      }),
    );
  });
  if (keep.length > 0) throw new Error(`${name}: a block is never closed`);
  const text = out.join('\n');
  const left = /\{\{[#^/]?[A-Za-z][A-Za-z0-9]*\}\}/.exec(text);
  if (left) throw new Error(`${name}: ${left[0]} is left over (a block marker must stand alone on its line)`);
  return text;
}

/** Where a config generator writes: the item's `file:PATH` targets in order, else the defaults. */
export function outputPaths(into: readonly string[]): string[] {
  return into.filter((t) => t.startsWith('file:')).map((t) => t.slice(5).replace(/^\.\//, ''));
}

/**
 * Whole files into the run's edits (items of one run share them): a file already holding exactly
 * the text is left out, so generating over the result changes nothing. None of these files holds
 * a secret.
 */
export async function wholeFiles(
  ctx: Context,
  given: Edits | undefined,
  files: {path: string; text: string; what: string}[],
  notes: string[],
): Promise<Generation> {
  const edits = given ?? new Edits(ctx);
  for (const f of files) {
    const before = ctx.isFile(f.path) ? await ctx.readText(f.path) : undefined;
    if (before === f.text) continue;
    await edits.edit(f.path, false, () => f.text, `${f.what}: ${f.path}${before === undefined ? ' (new)' : ''}`);
  }
  return {
    // Worked out when asked for: in a run, only the run's final change set is used.
    get changes() {
      return edits.changeSet();
    },
    made: {value: ''},
    notes,
  };
}

/** No files: only a note saying what is missing and how to give it. */
export function nothing(note: string): Generation {
  return {changes: {changes: [], secrets: [], summary: []}, made: {value: ''}, notes: [note]};
}

// Values that go into configs and scripts as they are: each pattern admits no space, quote,
// semicolon, brace, `$` or newline, so none can end a directive or a shell word.
export const DOMAIN = /^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
export const HOST_PORT = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/;
export const ABS_PATH = /^\/[A-Za-z0-9._@+/-]*$/;
export const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** A name for units and files from the pack id (or the option), safe in file names and unit names. */
export function deploymentName(ctx: Context, given: string | undefined): string {
  const name = (given ?? ctx.pack.id)
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (!NAME.test(name)) throw new Error(`name ${given ?? ctx.pack.id}: use letters, digits and dashes`);
  return name;
}

/** A path inside the deployment, never outside it. */
export function safeRel(path: string): string {
  if (path.startsWith('/') || path.split('/').some((p) => p === '..' || p === '') || !/^[A-Za-z0-9._/@+-]+$/.test(path))
    throw new Error(`${path}: a relative path inside the deployment, without .. or spaces`);
  return path;
}
