import {errorMessage} from '../sources/errors.js';

/** Shared by the network families; exports no check (index.ts registers families, not this). */

export function codeOf(err: unknown): string | undefined {
  const code = (err as {code?: unknown}).code;
  return typeof code === 'string' ? code : undefined;
}

const WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the server',
  ENOTFOUND: 'DNS name not found',
  EAI_AGAIN: 'DNS lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'address not available',
};

/** A socket, HTTP or TLS failure in words: `connection refused`, `wrong version number (ERR_SSL_...)`. */
export function describeSocketError(err: unknown): string {
  const code = codeOf(err);
  if (code && WORDS[code]) return WORDS[code];
  if (code?.startsWith('HPE_')) return `malformed HTTP response (${code})`;
  // OpenSSL's reason without its file and line noise.
  const msg = errorMessage(err);
  const ssl = /:SSL routines:[^:]*:([^:]+):/.exec(msg)?.[1] ?? /routines::([^:]+)/.exec(msg)?.[1];
  const text = ssl ?? msg.split('\n')[0] ?? msg;
  return code && !text.includes(code) ? `${text} (${code})` : text;
}
