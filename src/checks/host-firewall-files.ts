// host.firewall-config: the firewall the host loads at boot denies incoming traffic by default,
// as its configuration files say: ufw (ufw.conf and /etc/default/ufw), nftables
// (/etc/nftables.conf and what it includes, with nftables.service enabled), firewalld (its
// default zone) or iptables-persistent (/etc/iptables/rules.v4). A ufw installed but switched off
// (as Ubuntu ships it) leaves it to the others. It needs no root and reads a copy of a host's
// tree as well; host.firewall asks the running kernel.
import {posix} from 'node:path';
import {z} from 'zod';
import {result, type CheckResult, type Evidence} from '../model/types.js';
import {errorMessage} from '../sources/errors.js';
import {iptablesDenies, nftChainDenies, parseNft, type NftChain} from '../sources/firewall.js';
import {expandInclude} from '../sources/sshd.js';
import {lines} from '../sources/textLines.js';
import {defineCheck} from './define.js';
import {readHostText, Root, underRoot, unreadable, type HostText} from './host-root.js';
import {hostSshdFiles} from './host-ssh.js';
import {unitEnabled} from './host-units.js';

/** `KEY=value` or `KEY="value"` in a shell-style settings file, with its line. */
function shellSetting(text: string, key: string): {value: string; line: number} | undefined {
  let found: {value: string; line: number} | undefined;
  lines(text).forEach((l, n) => {
    const m = new RegExp(`^\\s*${key}\\s*=\\s*["']?([^"'#\\s]*)`).exec(l);
    if (m) found = {value: m[1]!, line: n + 1};
  });
  return found;
}

type Verdict = CheckResult | undefined;

async function read(root: string, file: string): Promise<HostText> {
  return readHostText(root, file);
}

/** ufw's verdict; `off` when ufw is installed but not enabled, the result to give if no other firewall is set up. */
async function ufw(root: string): Promise<Verdict | {off: CheckResult}> {
  const conf = '/etc/ufw/ufw.conf';
  const defaults = '/etc/default/ufw';
  const c = await read(root, conf);
  if ('missing' in c) return undefined;
  if ('error' in c) return result('error', unreadable(conf, c), [{file: conf, detail: c.error}]);
  const enabled = shellSetting(c.text, 'ENABLED');
  if (enabled?.value.toLowerCase() !== 'yes') {
    // Ubuntu installs ufw switched off: a host may well use another firewall, so ufw only decides when none is set up.
    return {
      off: result(
        'fail',
        'ufw is installed but not enabled at boot (ENABLED=no), and no other firewall is set up: `ufw default deny incoming`, allow what you serve, then `ufw enable`',
        [{file: conf, ...(enabled ? {line: enabled.line} : {}), key: 'ENABLED', detail: `ENABLED=${enabled?.value ?? '(not set)'}`}],
      ),
    };
  }
  const d = await read(root, defaults);
  if ('error' in d) return result('error', unreadable(defaults, d), [{file: defaults, detail: d.error}]);
  const policy = 'text' in d ? shellSetting(d.text, 'DEFAULT_INPUT_POLICY') : undefined;
  const on: Evidence = {file: conf, line: enabled.line, key: 'ENABLED', detail: 'ENABLED=yes'};
  const at: Evidence = {
    file: defaults,
    ...(policy ? {line: policy.line} : {}),
    key: 'DEFAULT_INPUT_POLICY',
    detail: `DEFAULT_INPUT_POLICY=${policy?.value ?? '(not set: ACCEPT)'}`,
  };
  const value = policy?.value.toUpperCase() ?? 'ACCEPT';
  if (value === 'DROP' || value === 'REJECT')
    return result('pass', `ufw is enabled at boot and ${value === 'DROP' ? 'drops' : 'rejects'} incoming traffic by default`, [on, at]);
  return result('fail', `ufw is enabled but accepts incoming traffic by default (DEFAULT_INPUT_POLICY=${value}): \`ufw default deny incoming\``, [at, on]);
}

/** nft's limit on nested include. */
const NFT_MAX_DEPTH = 16;
/** At most this many files are read for one ruleset. */
const NFT_MAX_FILES = 256;

/** A ruleset file and those it includes (`include "/etc/nftables.d/*.nft"`), each read once, in the order nft reads them; or why not. */
async function nftFiles(root: string, main: string, mainText: string): Promise<{files: {file: string; text: string}[]} | {problem: CheckResult}> {
  const io = hostSshdFiles(root);
  const files: {file: string; text: string}[] = [];
  const seen = new Set<string>();
  const problem = (file: string, detail: string): {problem: CheckResult} => ({
    problem: result('error', `cannot read the nftables ruleset: ${detail}`, [{file, detail}]),
  });
  async function walk(file: string, text: string, depth: number): Promise<{problem: CheckResult} | undefined> {
    seen.add(file);
    files.push({file, text});
    const all = lines(text);
    for (let n = 0; n < all.length; n++) {
      const m = /^\s*include\s+"([^"]+)"/.exec(all[n]!);
      if (!m) continue;
      const at = `${file}:${n + 1}`;
      if (depth + 1 > NFT_MAX_DEPTH) return problem(file, `${at}: include nested more than ${NFT_MAX_DEPTH} deep`);
      // Relative paths are under nft's include directory, /etc; `..` never leaves the host's /.
      const pattern = posix.resolve('/etc', m[1]!);
      let paths: string[];
      try {
        paths = await expandInclude(pattern, io, at);
      } catch (err) {
        return problem(file, errorMessage(err));
      }
      for (const path of paths) {
        if (seen.has(path)) continue;
        if (seen.size >= NFT_MAX_FILES) return problem(file, `${at}: more than ${NFT_MAX_FILES} files included`);
        const t = await read(root, path);
        if ('missing' in t) {
          // A pattern with wildcards that matches nothing is fine for nft; a named file that is not there stops the load.
          if (/[*?[]/.test(m[1]!)) continue;
          return problem(path, `${at}: include "${m[1]}": ${path} does not exist, so nft refuses to load ${main}`);
        }
        if ('error' in t) return problem(path, `${at}: include "${m[1]}": ${unreadable(path, t)}`);
        const r = await walk(path, t.text, depth + 1);
        if (r) return r;
      }
    }
    return undefined;
  }
  const r = await walk(main, mainText, 0);
  return r ?? {files};
}

async function nftables(root: string): Promise<Verdict> {
  const file = '/etc/nftables.conf';
  const unit = await unitEnabled(root, 'nftables.service');
  if (!unit.enabled) return undefined;
  const t = await read(root, file);
  if ('missing' in t) return result('fail', `nftables.service is enabled but ${file} does not exist: nothing is loaded at boot`, unit.evidence);
  if ('error' in t) return result('error', unreadable(file, t), [{file, detail: t.error}]);
  const set = await nftFiles(root, file, t.text);
  if ('problem' in set) return set.problem;
  const evidence: Evidence[] = [];
  const input: NftChain[] = [];
  for (const f of set.files) {
    const all = lines(f.text);
    const lineOf = (name: string) => {
      const n = all.findIndex((l) => new RegExp(`^\\s*chain\\s+${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*\\{`).test(l));
      return n >= 0 ? {line: n + 1} : {};
    };
    for (const ch of parseNft(f.text).filter((c) => c.hook === 'input' && c.type === 'filter' && ['ip', 'ip6', 'inet'].includes(c.family))) {
      input.push(ch);
      evidence.push({
        file: f.file,
        ...lineOf(ch.name),
        key: `${ch.family} ${ch.table} ${ch.name}`,
        detail: `hook input, policy ${ch.policy ?? 'accept'}${nftChainDenies(ch) && ch.policy !== 'drop' ? `, ends with ${ch.lastRule}` : ''}`,
      });
    }
  }
  const what = set.files.length === 1 ? file : `${file} and the ${set.files.length - 1} files it includes`;
  if (input.length === 0)
    return result('fail', `${what} ${set.files.length === 1 ? 'has' : 'have'} no input chain: incoming traffic is accepted`, [
      {file, detail: 'no chain with hook input'},
    ]);
  const v4 = input.some((ch) => nftChainDenies(ch) && (ch.family === 'ip' || ch.family === 'inet'));
  const v6 = input.some((ch) => nftChainDenies(ch) && (ch.family === 'ip6' || ch.family === 'inet'));
  if (v4 && v6) return result('pass', `nftables loads ${what} at boot, and its input chain drops by default`, evidence);
  if (v4 || v6)
    return result('warn', `${what} drops incoming ${v4 ? 'IPv4' : 'IPv6'} by default, but not ${v4 ? 'IPv6' : 'IPv4'}: use an inet table`, evidence);
  return result('fail', `${what} accepts incoming traffic by default: give the input chain \`policy drop;\``, evidence);
}

async function firewalld(root: string): Promise<Verdict> {
  const unit = await unitEnabled(root, 'firewalld.service');
  if (!unit.enabled) return undefined;
  const file = '/etc/firewalld/firewalld.conf';
  const t = await read(root, file);
  if ('error' in t) return result('error', unreadable(file, t), [{file, detail: t.error}]);
  const zone = 'text' in t ? shellSetting(t.text, 'DefaultZone') : undefined;
  const name = zone?.value || 'public';
  const at: Evidence = {file, ...(zone ? {line: zone.line} : {}), key: 'DefaultZone', detail: `DefaultZone=${name}`};
  if (name === 'trusted') return result('fail', 'firewalld is enabled, but its default zone is trusted, which accepts everything', [at]);
  const z = await read(root, `/etc/firewalld/zones/${name}.xml`);
  if ('text' in z && /<zone[^>]*\btarget="ACCEPT"/.test(z.text))
    return result('fail', `firewalld's default zone ${name} has target ACCEPT`, [{file: `/etc/firewalld/zones/${name}.xml`, detail: 'target="ACCEPT"'}]);
  return result('pass', `firewalld is enabled at boot; its default zone ${name} rejects what it does not allow`, [at, ...unit.evidence]);
}

async function iptablesPersistent(root: string): Promise<Verdict> {
  const unit = await unitEnabled(root, 'netfilter-persistent.service');
  if (!unit.enabled) return undefined;
  const file = '/etc/iptables/rules.v4';
  const t = await read(root, file);
  if ('missing' in t) return result('fail', `netfilter-persistent is enabled but ${file} does not exist`, unit.evidence);
  if ('error' in t) return result('error', unreadable(file, t), [{file, detail: t.error}]);
  // iptables-save writes the policy as `:INPUT DROP [0:0]`; iptables -S as `-P INPUT DROP`.
  const all = lines(t.text);
  const asS = all.map((l) => l.replace(/^:INPUT\s+(\S+).*$/, '-P INPUT $1')).join('\n');
  const v = iptablesDenies(asS);
  const n = all.findIndex((l) => /^:INPUT\s/.test(l));
  const at: Evidence = {file, ...(n >= 0 ? {line: n + 1} : {}), key: 'INPUT', detail: `policy ${v.policy}`};
  if (v.denies) return result('pass', `iptables-persistent loads ${file} at boot, which drops incoming traffic by default`, [at]);
  return result('fail', `${file} accepts incoming traffic by default (:INPUT ${v.policy}): set :INPUT DROP and allow what you serve`, [at]);
}

export const firewallConfig = defineCheck({
  id: 'host.firewall-config',
  summary:
    'The firewall loaded at boot denies incoming traffic by default, as its files say: ufw (ENABLED=yes, DEFAULT_INPUT_POLICY DROP or REJECT; a ufw installed but off leaves it to the others), else nftables (/etc/nftables.conf and the files it includes, with an input chain with policy drop), else firewalld (a default zone other than trusted), else iptables-persistent (:INPUT DROP). Needs no root; fails when none is set up.',
  params: z.strictObject({root: Root}),
  run: async (_ctx, p) => {
    const u = await ufw(p.root);
    if (u && !('off' in u)) return u;
    for (const tool of [nftables, firewalld, iptablesPersistent]) {
      const r = await tool(p.root);
      if (r) return r;
    }
    if (u) return u.off;
    return result(
      'fail',
      `no firewall is set up to start at boot${underRoot(p.root)} (looked for ufw, nftables, firewalld and iptables-persistent): install ufw, then \`ufw default deny incoming\`, allow ssh and what you serve, and \`ufw enable\``,
    );
  },
});
