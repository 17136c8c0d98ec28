// What the firewall tools print, as data: `ufw status verbose`, `nft list ruleset` and
// `iptables -S INPUT`. Judging the result (is incoming traffic denied?) is host.firewall's.
import {lines} from './textLines.js';

/** What `ufw status verbose` says about the default for incoming traffic. */
export interface UfwStatus {
  /** `active`, `inactive`; undefined when there is no Status line. */
  status?: string;
  /** The whole `Default: ...` line. */
  defaultLine?: string;
  /** deny, reject, allow; undefined when the Default line names none. */
  incoming?: string;
}

/** The status and incoming default of `ufw status verbose`, the two things host.firewall judges. */
export function parseUfwStatus(out: string): UfwStatus {
  const status = /^Status:\s*(\S+)/m.exec(out)?.[1];
  const defaultLine = /^Default:.*$/m.exec(out)?.[0];
  const incoming = defaultLine ? /(\w+)\s*\(incoming\)/.exec(defaultLine)?.[1] : undefined;
  return {status, defaultLine, incoming};
}

/** One chain of an nftables ruleset, with what decides its default. */
export interface NftChain {
  family: string;
  table: string;
  name: string;
  type?: string;
  hook?: string;
  policy?: string;
  lastRule?: string;
}

/** The chains of `nft list ruleset`, with their hook, policy and last rule, so the input default can be read. */
export function parseNft(text: string): NftChain[] {
  const out: NftChain[] = [];
  let depth = 0;
  let family = '';
  let table = '';
  let chain: NftChain | undefined;
  let chainDepth = 0;
  for (const raw of lines(text)) {
    const line = raw.trim();
    const atTop = depth === 0;
    const t = atTop ? /^table\s+(\S+)\s+(\S+)\s*\{/.exec(line) : null;
    if (t) {
      family = t[1]!;
      table = t[2]!;
    }
    const c = depth === 1 && !chain ? /^chain\s+(\S+)\s*\{/.exec(line) : null;
    if (c) {
      chain = {family, table, name: c[1]!};
      out.push(chain);
      chainDepth = depth + 1;
    } else if (chain && depth === chainDepth && line !== '' && !line.startsWith('#') && line !== '}') {
      const hook = /\btype\s+(\w+)\s+hook\s+(\w+)/.exec(line);
      if (hook) {
        chain.type = hook[1];
        chain.hook = hook[2];
        chain.policy = /\bpolicy\s+(\w+)/.exec(line)?.[1];
      } else if (!/^(?:comment|devices?|flags)\b/.test(line)) chain.lastRule = line;
    }
    for (const ch of line.replace(/"[^"]*"/g, '')) {
      if (ch === '{') depth++;
      else if (ch === '}') depth = Math.max(0, depth - 1);
    }
    if (chain && depth < chainDepth) chain = undefined;
  }
  return out;
}

/** A final rule that drops or rejects whatever reached it, with no match of its own. */
const CATCH_ALL_NFT = /^(?:(?:counter(?:\s+packets\s+\d+\s+bytes\s+\d+)?|log(?:\s+prefix\s+"[^"]*")?(?:\s+level\s+\w+)?)\s+)*(?:drop|reject(?:\s+with\s+.+)?)$/;

/** Whether a chain denies by default: policy drop, or a last rule that drops or rejects everything. */
export function nftChainDenies(c: NftChain): boolean {
  return c.policy === 'drop' || (c.lastRule !== undefined && CATCH_ALL_NFT.test(c.lastRule));
}

/** Whether `iptables -S INPUT` (or ip6tables) denies by default: policy DROP, or a final rule that drops or rejects everything; and the policy, to show. */
export function iptablesDenies(out: string): {denies: boolean; policy: string} {
  const all = lines(out).map((l) => l.trim());
  const policy = /^-P INPUT (\S+)/.exec(all.find((l) => l.startsWith('-P INPUT')) ?? '')?.[1] ?? 'unknown';
  const last = all.filter((l) => l.startsWith('-A INPUT')).at(-1) ?? '';
  const catchAll = /^-A INPUT(?: -m comment --comment (?:"[^"]*"|\S+))? -j (?:DROP|REJECT(?: --reject-with \S+)?)$/.test(last);
  return {denies: policy === 'DROP' || catchAll, policy};
}
