import {defineGenerator} from './define.js';
import {deploymentName, outputPaths, readTemplate, render, safeRel, wholeFiles} from './template.js';

// The host firewall from templates/firewall: a ufw script that denies incoming traffic by
// default and opens only the chosen ports. ufw does not see Docker-published ports: the script
// and the notes say so.

/** SSH and the web: what a host behind a reverse proxy needs open. */
const DEFAULT_PORTS = ['22/tcp', '80/tcp', '443/tcp'];
const NAMES: Record<string, string> = {'22': 'ssh', '80': 'http', '443': 'https'};
/** A port or range, with an optional protocol: 22, 443/tcp, 60000:61000/udp. */
const PORT = /^(\d{1,5})(?::(\d{1,5}))?(?:\/(tcp|udp))?$/;

export const firewall = defineGenerator({
  id: 'firewall',
  config: true,
  summary:
    'A ufw script from templates/firewall: incoming traffic denied by default, only the chosen ports open (SSH rate limited); notes that Docker-published ports bypass ufw.',
  async generate({ctx, into, options, edits}) {
    const name = deploymentName(ctx, undefined);
    const ports = (options.ports ?? DEFAULT_PORTS).map((p) => String(p).trim());
    const rules: string[] = [];
    for (const p of [...new Set(ports)]) {
      const m = PORT.exec(p);
      const [lo, hi] = m ? [Number(m[1]), m[2] === undefined ? undefined : Number(m[2])] : [0, undefined];
      if (!m || lo < 1 || lo > 65535 || (hi !== undefined && (hi <= lo || hi > 65535)))
        throw new Error(`port ${p}: write a port (22), a port and protocol (443/tcp) or a range with its protocol (60000:61000/udp)`);
      if (hi !== undefined && m[3] === undefined) throw new Error(`port ${p}: ufw needs a protocol for a range (${p}/tcp or ${p}/udp)`);
      const label = NAMES[m[1]!] ?? `port ${p}`;
      // SSH is limited, not merely allowed: ufw refuses an address after six connections in 30 seconds.
      if (m[1] === '22' && hi === undefined && m[3] !== 'udp') rules.push(`ufw limit ${p} comment '${label} (rate limited)'`);
      else rules.push(`ufw allow ${p} comment '${label}'`);
    }
    const path = safeRel(options.file ?? outputPaths(into)[0] ?? 'firewall/ufw.sh');
    const text = render(readTemplate('firewall/ufw.sh'), {name, portList: ports.join(', '), rules: rules.join('\n')}, 'ufw.sh');
    const notes = [
      `run it as root on the host: sh ${path}`,
      "Docker-published ports bypass ufw (Docker puts its own rules, the DOCKER-USER chain among them, before ufw's): bind published ports to 127.0.0.1 or filter them in DOCKER-USER",
    ];
    if (!ports.some((p) => /^22(\/tcp)?$/.test(p)))
      notes.push('port 22 is not in the list: if you reach this host over SSH on port 22, enabling ufw cuts you off; add your SSH port first');
    return wholeFiles(ctx, edits, [{path, text, what: `ufw script (open: ${ports.join(', ')})`}], notes);
  },
});
