import {randomBytes, randomInt} from 'node:crypto';

/**
 * Characters a generated password may use: URL-unreserved characters only (RFC 3986), so the
 * value stays the same bare in a .env line, through Compose interpolation, inside a connection
 * URL it is interpolated into (mongodb://root:${PASSWORD}@mongo), and in the0's CLI, which
 * refuses `#`. 66 characters: 6.04 bits each, 193 bits for the default 32.
 */
export const PASSWORD_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~';

/** `n` characters drawn uniformly from the alphabet with node:crypto's CSPRNG (no modulo bias). */
export function randomString(n: number, alphabet: string): string {
  let out = '';
  for (let i = 0; i < n; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** `n` random bytes from node:crypto's CSPRNG. */
export function random(n: number): Buffer {
  return randomBytes(n);
}

/** A length option, bounded so a typo cannot ask for a megabyte or a guessable value. */
export function lengthOf(asked: number | undefined, fallback: number, min: number, max = 1024): number {
  const n = asked ?? fallback;
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`length ${n}: choose a whole number from ${min} to ${max}`);
  return n;
}
