import {isIPv4, isIPv6} from 'node:net';

/**
 * `net.isIP`, without its cost on the common case: Node's IPv6 pattern takes several
 * milliseconds to compile on first use, and most hosts a check sees are names. Only text with a
 * colon can be an IPv6 address, so only that reaches it.
 */
export function ipFamily(host: string): 0 | 4 | 6 {
  if (host.includes(':')) return isIPv6(host) ? 6 : 0;
  return isIPv4(host) ? 4 : 0;
}
