import {unifiedDiff} from './diff.js';

/** One file a generator wants written. */
export interface FileChange {
  /** Path relative to the deployment root, forward slashes. */
  path: string;
  /** The file's text when the change was computed; undefined = a new file. Apply refuses if the file on disk no longer matches (someone edited it meanwhile). */
  before: string | undefined;
  after: string;
  /** The file holds secrets: written 0600 (a stricter existing mode is kept). */
  secret: boolean;
  /** Optional: re-parse the written text and say what is wrong (undefined = fine). */
  verify?: (written: string) => string | undefined;
}

/** Everything one generation writes, applied all files or none by applyChangeSet. */
export interface ChangeSet {
  changes: FileChange[];
  /**
   * Values that must never be printed: masked in every preview. A generator that replaces a
   * secret lists the old value too, since the preview shows the lines it removes.
   */
  secrets: string[];
  /** One line per change for people: "JWT_SECRET in .env", ... */
  summary: string[];
}

/**
 * A unified diff of every file (`---`/`+++`, `@@` hunks, 3 lines of context), secret values
 * masked. The texts are masked before they are compared, so a secret that spans lines (a PEM
 * key) is masked whole rather than line by line.
 */
export function preview(cs: ChangeSet): string {
  return cs.changes
    .map((c) =>
      unifiedDiff(maskSecrets(c.path, cs.secrets), c.before === undefined ? undefined : maskSecrets(c.before, cs.secrets), maskSecrets(c.after, cs.secrets)),
    )
    .join('');
}

/**
 * Every occurrence of each secret, and of its URL-encoded and base64 forms (how secrets end up
 * in connection strings and basic-auth headers), replaced by `[secret: N chars]` (`#2`... for
 * further secrets of the same length). One pass,
 * longest form first, so a short secret never matches inside a longer one or inside a marker.
 * Secrets of any length are masked: a short one is still a secret.
 */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  const markers = new Map<string, string>();
  // Distinct secrets of one length get distinct markers (`#2`, `#3`): a new value as long as the
  // old one must still show as a change once both sides are masked.
  const ofLength = new Map<number, number>();
  for (const s of new Set(secrets)) {
    if (s === '') continue;
    const length = [...s].length;
    const nth = (ofLength.get(length) ?? 0) + 1;
    ofLength.set(length, nth);
    const marker = nth === 1 ? `[secret: ${length} chars]` : `[secret: ${length} chars #${nth}]`;
    for (const form of formsOf(s)) if (!markers.has(form) || form === s) markers.set(form, marker);
  }
  if (markers.size === 0) return text;
  const forms = [...markers.keys()].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
  const re = new RegExp(forms.map(escapeRegExp).join('|'), 'g');
  return text.replace(re, (m) => markers.get(m)!);
}

function formsOf(s: string): string[] {
  const b64 = Buffer.from(s, 'utf8').toString('base64');
  const forms = [s, encodeURIComponent(s), b64, b64.replace(/=+$/, ''), Buffer.from(s, 'utf8').toString('base64url')];
  return forms.filter((f) => f !== '');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
