import {readdir} from 'node:fs/promises';
import {join} from 'node:path';

const SKIP = new Set(['node_modules', '.git']);
const MAX_ENTRIES = 20_000;

/** `*` within a segment, `**` across segments, `?`, and `{a,b}` alternatives. */
export function globToRegExp(glob: string): RegExp {
  // Callers test many paths against few globs: each is translated once per run.
  let re = compiled.get(glob);
  if (!re) {
    if (compiled.size >= 1000) compiled.clear();
    compiled.set(glob, (re = translate(glob)));
  }
  return re;
}

const compiled = new Map<string, RegExp>();

function translate(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const slash = glob[i + 2] === '/';
        re += slash ? '(?:.*/)?' : '.*';
        i += slash ? 2 : 1;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '{') {
      const end = glob.indexOf('}', i);
      if (end < 0) re += '\\{';
      else {
        re += `(?:${glob
          .slice(i + 1, end)
          .split(',')
          .map((s) =>
            s
              .replace(/[.+^$()|[\]\\]/g, '\\$&')
              .replace(/\*/g, '[^/]*')
              .replace(/\?/g, '[^/]'),
          )
          .join('|')})`;
        i = end;
      }
    } else re += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function hasMagic(glob: string): boolean {
  return /[*?{]/.test(glob);
}

/**
 * Relative paths (with /) of what may be a file under root: every entry but a directory, so
 * regular files, symlinks and special files alike, skipping node_modules and .git; bounded.
 * Nothing is opened or followed here (a symlinked folder is not descended into): whoever reads a
 * match goes through src/deploy/read.ts, which reads regular files inside the root only and
 * turns a FIFO, socket, device, directory or a link out of the root into an error naming it,
 * instead of the match silently disappearing.
 */
export async function listFiles(root: string, maxDepth = 8): Promise<string[]> {
  const out: string[] = [];
  async function walk(rel: string, depth: number): Promise<void> {
    if (depth > maxDepth || out.length >= MAX_ENTRIES) return;
    let entries;
    try {
      entries = await readdir(join(root, rel), {withFileTypes: true});
    } catch {
      return;
    }
    for (const e of entries) {
      if (out.length >= MAX_ENTRIES) return;
      const child = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) {
        if (!SKIP.has(e.name)) await walk(child, depth + 1);
      } else out.push(child);
    }
  }
  await walk('', 0);
  return out.sort();
}
