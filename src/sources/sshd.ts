// The OpenSSH server's configuration as data: sshd_config with its Include files, read the way
// sshd reads it for its global settings, and the `sshd -T` dump. Judging the values is the
// host.ssh-option check's (src/checks/host-ssh.ts).
//
// sshd's rules, from sshd_config(5) and servconf.c:
// - keywords are case-insensitive; `Keyword value` or `Keyword=value`; `#` starts a comment;
// - for most keywords the first value obtained wins (a drop-in read by an Include near the top
//   beats the main file's own line further down);
// - Include takes several paths, each a glob(7) pattern expanded in lexical order, relative ones
//   under /etc/ssh; a pattern that matches nothing is ignored; nesting stops at 16 levels (here a
//   file is read once in each Match state, so includes that loop end, and at most 256 files);
// - a Match block runs to the next Match or to the end of the file it is in (a Match inside an
//   included file ends with that file); for the global settings no connection is known, so only
//   `Match all` applies, and everything inside any other Match block is ignored;
// - ChallengeResponseAuthentication is the old name of KbdInteractiveAuthentication.
import {lines} from './textLines.js';

/** One effective setting, where it was set. */
export interface SshdSetting {
  /** The keyword as written, e.g. `PermitRootLogin`. */
  keyword: string;
  /** The arguments as written, joined by one space. */
  value: string;
  /** The file it was read from (its path on the host) and the 1-based line. */
  file: string;
  line: number;
}

/** How the parser reaches the host's files: paths are as on the host (absolute). */
export interface SshdFiles {
  /** The file's text; undefined when nothing is there. Throws when it is there but cannot be read. */
  read(path: string): Promise<string | undefined>;
  /** The names in a folder; undefined when there is no such folder. */
  list(dir: string): Promise<string[] | undefined>;
}

export interface SshdConfig {
  /** Effective global settings by lower-case canonical keyword. */
  settings: Map<string, SshdSetting>;
  /** Every file read, in the order sshd reads them. */
  files: string[];
}

/** sshd's limit on nested Include. */
const MAX_DEPTH = 16;
/** At most this many files are read for one configuration. */
const MAX_FILES = 256;

/** Old keyword -> the one sshd stores it under (lower case). */
const ALIASES: Record<string, string> = {
  challengeresponseauthentication: 'kbdinteractiveauthentication',
  skeyauthentication: 'kbdinteractiveauthentication',
  dsaauthentication: 'pubkeyauthentication',
};

/** The keyword sshd stores a setting under (lower case). */
export function canonicalKeyword(keyword: string): string {
  const k = keyword.toLowerCase();
  return ALIASES[k] ?? k;
}

/** A line's keyword and arguments, or undefined for a blank or comment line. Quotes group words; a word starting with # ends the line. */
export function splitLine(raw: string): {keyword: string; args: string[]} | undefined {
  const line = raw.trim();
  if (line === '' || line.startsWith('#')) return undefined;
  const m = /^([^\s=]+)\s*(?:=\s*)?(.*)$/.exec(line);
  if (!m) return undefined;
  const args: string[] = [];
  const rest = m[2]!;
  let i = 0;
  while (i < rest.length) {
    while (i < rest.length && /\s/.test(rest[i]!)) i++;
    if (i >= rest.length || rest[i] === '#') break;
    if (rest[i] === '"') {
      const end = rest.indexOf('"', i + 1);
      args.push(end < 0 ? rest.slice(i + 1) : rest.slice(i + 1, end));
      i = end < 0 ? rest.length : end + 1;
    } else {
      let j = i;
      while (j < rest.length && !/\s/.test(rest[j]!)) j++;
      args.push(rest.slice(i, j));
      i = j;
    }
  }
  return {keyword: m[1]!, args};
}

/** A glob(7) pattern for one path segment as a regular expression (`*`, `?`, `[...]`; a leading dot only matched by a dot). */
function segmentRegExp(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = seg.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        const body = seg
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^$()|{}\\]/g, '\\$&');
  }
  // As glob(3): a wildcard never matches a leading dot; a pattern that starts with one matches it.
  // A bracket JavaScript refuses (a range backwards, such as [z-a]) throws: the caller says where.
  return new RegExp(`^${seg.startsWith('.') ? '' : '(?!\\.)'}${re}$`);
}

const MAGIC = /[*?[]/;

/**
 * The paths an Include pattern names, in lexical order (glob(3) sorts); relative patterns are under
 * /etc/ssh. A pattern that is not a valid glob throws, its message starting with `at` (file:line).
 */
export async function expandInclude(pattern: string, io: SshdFiles, at?: string): Promise<string[]> {
  const abs = pattern.startsWith('/') ? pattern : `/etc/ssh/${pattern}`;
  const segments = abs.split('/').filter((s) => s !== '');
  let found = ['/'];
  for (const seg of segments) {
    const next: string[] = [];
    for (const dir of found) {
      const base = dir === '/' ? '' : dir;
      if (!MAGIC.test(seg)) {
        next.push(`${base}/${seg}`);
        continue;
      }
      let re: RegExp;
      try {
        re = segmentRegExp(seg);
      } catch {
        throw new Error(`${at ? `${at}: ` : ''}Include pattern ${JSON.stringify(pattern)} is not a valid glob (${seg})`);
      }
      const names = await io.list(dir);
      for (const n of (names ?? []).filter((x) => re.test(x)).sort()) next.push(`${base}/${n}`);
    }
    found = next;
  }
  return found;
}

/**
 * The global settings of an sshd_config and everything it includes, as sshd reads them with no
 * connection known. Throws when the main file is missing or unreadable (the caller says which);
 * an included file that cannot be read throws too, since sshd would refuse to start.
 */
export async function parseSshdConfig(main: string, io: SshdFiles): Promise<SshdConfig> {
  const settings = new Map<string, SshdSetting>();
  const files: string[] = [];
  // A file read again in the same state (inside a Match block that applies or not) cannot change
  // the first values: drop-ins that include each other are read once.
  const done = new Set<string>();

  async function parse(path: string, active: boolean, depth: number, required: boolean, at?: string): Promise<void> {
    const state = `${active ? 'on' : 'off'} ${path}`;
    if (done.has(state)) return;
    const text = await io.read(path);
    if (text === undefined) {
      if (required) throw Object.assign(new Error(`${path} does not exist`), {code: 'ENOENT'});
      return;
    }
    if (done.size >= MAX_FILES) throw new Error(`${at ?? path}: more than ${MAX_FILES} files included`);
    done.add(state);
    if (!files.includes(path)) files.push(path);
    // A Match block ends with the file it is in: each file starts in its includer's state.
    let on = active;
    const all = lines(text.replace(/^\uFEFF/, ''));
    for (let n = 0; n < all.length; n++) {
      const parsed = splitLine(all[n]!);
      if (!parsed) continue;
      const key = canonicalKeyword(parsed.keyword);
      if (key === 'match') {
        // Inside an Include from a block that does not apply, nothing ever applies (sshd's NEVERMATCH).
        on = active && parsed.args.length === 1 && parsed.args[0]!.toLowerCase() === 'all';
        continue;
      }
      if (key === 'include') {
        if (depth + 1 > MAX_DEPTH) throw new Error(`${path}:${n + 1}: Include nested more than ${MAX_DEPTH} deep`);
        for (const pattern of parsed.args) {
          const at = `${path}:${n + 1}`;
          for (const p of await expandInclude(pattern, io, at)) await parse(p, on, depth + 1, false, at);
        }
        continue;
      }
      if (!on || settings.has(key)) continue;
      settings.set(key, {keyword: parsed.keyword, value: parsed.args.join(' '), file: path, line: n + 1});
    }
  }

  await parse(main, true, 0, true);
  return {settings, files};
}

/** `sshd -T` output: one `keyword value` per line, keywords in lower case. The first line of a repeated keyword is kept. */
export function parseSshdT(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of lines(stdout)) {
    const m = /^([a-z0-9]+)(?:\s+(.*))?$/.exec(raw.trim());
    if (!m) continue;
    const key = canonicalKeyword(m[1]!);
    if (!out.has(key)) out.set(key, (m[2] ?? '').trim());
  }
  return out;
}
