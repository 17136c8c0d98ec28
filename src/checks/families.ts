import type {CheckDef} from './define.js';

type Module = Record<string, unknown>;

/**
 * Where each family's checks live, so that a run loads only the families its pack uses: a
 * the0 deployment on Compose never loads the TLS, HTTP or ZITADEL checks, nor the Node
 * modules they start with. The family is the part of a check id before the first dot; the
 * registry in index.ts stays the one list of every check, and a test holds the two together
 * (every check in it is found here under its family, and nothing else is).
 */
const FAMILIES: Readonly<Record<string, readonly (() => Promise<Module>)[]>> = {
  env: [() => import('./env.js')],
  secret: [() => import('./secrets.js')],
  compose: [() => import('./compose.js'), () => import('./compose-hardening.js')],
  helm: [() => import('./helm.js')],
  k8s: [() => import('./k8s.js'), () => import('./k8s-workloads.js')],
  git: [() => import('./git.js')],
  net: [() => import('./net.js')],
  dns: [() => import('./dns.js')],
  files: [() => import('./files.js')],
  tls: [() => import('./tls.js')],
  http: [() => import('./http.js')],
  format: [() => import('./formats.js')],
  host: [
    () => import('./host-backups.js'),
    () => import('./host-disk.js'),
    () => import('./host-firewall.js'),
    () => import('./host-firewall-files.js'),
    () => import('./host-services.js'),
    () => import('./host-ssh.js'),
    () => import('./host-units.js'),
    () => import('./host-updates.js'),
  ],
  discord: [() => import('./discord.js')],
  postgres: [() => import('./postgres.js')],
  redis: [() => import('./redis.js')],
  nats: [() => import('./nats.js')],
  zitadel: [() => import('./zitadel.js')],
  hoodcloud: [() => import('./hoodcloud.js')],
  vault: [() => import('./vault.js')],
};

export function familyOf(checkId: string): string {
  const dot = checkId.indexOf('.');
  return dot < 0 ? checkId : checkId.slice(0, dot);
}

export function familyNames(): string[] {
  return Object.keys(FAMILIES);
}

function isCheck(v: unknown): v is CheckDef {
  return typeof v === 'object' && v !== null && typeof (v as CheckDef).id === 'string' && typeof (v as CheckDef).run === 'function';
}

/** A family's checks, from its modules' exports (single checks, or lists of them). */
export async function loadFamily(family: string): Promise<CheckDef[]> {
  const modules = await Promise.all((FAMILIES[family] ?? []).map((load) => load()));
  const out: CheckDef[] = [];
  for (const m of modules) {
    for (const v of Object.values(m)) {
      for (const def of Array.isArray(v) ? v : [v]) if (isCheck(def) && familyOf(def.id) === family && !out.includes(def)) out.push(def);
    }
  }
  return out;
}

/**
 * The checks with these ids, loading only their families. An id of no known family, or not
 * in its family, is left out: the run reports it as an unknown check.
 */
export async function checksFor(ids: Iterable<string>): Promise<Map<string, CheckDef>> {
  const wanted = new Set(ids);
  const families = [...new Set([...wanted].map(familyOf))];
  const loaded = await Promise.all(families.map(loadFamily));
  const map = new Map<string, CheckDef>();
  for (const def of loaded.flat()) if (wanted.has(def.id)) map.set(def.id, def);
  return map;
}
