import {basename, resolve} from 'node:path';
import {Document, isCollection, isScalar, visit} from 'yaml';
import type {CheckDef} from '../checks/define.js';
import {readDeploymentFile, realRootSync} from '../deploy/read.js';
import {parseEnvText} from '../sources/envFile.js';
import {listFiles} from '../sources/glob.js';
import {parseYaml} from '../sources/yamlDoc.js';

/**
 * `shipshape packs new`: a first pack for a deployment, from the files in its folder. It only
 * uses the generic checks (env, secret, compose, helm, k8s, git, files), fills their params from
 * what it finds (secret-looking keys in .env, datastore services in Compose), and keeps an item
 * only when the check exists and takes those params, so what it writes always passes `packs lint`.
 */

export interface ScaffoldFound {
  env: string[];
  compose?: string;
  services: string[];
  datastores: string[];
  secretKeys: string[];
  helmValues: string[];
  manifests: string[];
}

const COMPOSE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];
const DATASTORE =
  /postgres|postgis|timescale|mysql|mariadb|mongo|redis|valkey|keydb|nats|minio|rabbitmq|kafka|elasticsearch|opensearch|clickhouse|etcd|memcached/i;
const SECRETISH = /SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|PRIVATE_?KEY|MASTER_?KEY|ENCRYPTION_?KEY|SIGNING_?KEY|CREDENTIAL/i;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** What the folder holds that a pack can check. Reads by the deployment rule: regular files inside the root, bounded. */
export async function survey(root: string): Promise<ScaffoldFound> {
  const realRoot = realRootSync(root);
  const files = await listFiles(root, 4);
  const text = async (f: string) => {
    try {
      return (await readDeploymentFile(root, f, {realRoot})).toString('utf8');
    } catch {
      return undefined;
    }
  };
  const found: ScaffoldFound = {env: [], services: [], datastores: [], secretKeys: [], helmValues: [], manifests: []};
  for (const f of files) {
    const name = basename(f);
    // .env and app.env, but not .env.example: a template is not the deployment's settings.
    if ((name === '.env' || name.endsWith('.env')) && !/example|sample|template|dist/i.test(f)) found.env.push(f);
  }
  found.env = found.env.slice(0, 8);
  for (const f of found.env) {
    const t = await text(f);
    if (t === undefined) continue;
    try {
      for (const key of parseEnvText(t, f).entries.keys())
        if (SECRETISH.test(key) && ENV_KEY.test(key) && !found.secretKeys.includes(key)) found.secretKeys.push(key);
    } catch {
      /* a malformed .env: env.present will say where */
    }
  }
  found.compose = COMPOSE_NAMES.find((n) => files.includes(n));
  if (found.compose) {
    const data = yamlData(await text(found.compose), found.compose);
    const services = isRecord(data) && isRecord(data.services) ? data.services : {};
    for (const [name, svc] of Object.entries(services)) {
      found.services.push(name);
      const image = isRecord(svc) && typeof svc.image === 'string' ? svc.image : '';
      if (DATASTORE.test(name) || DATASTORE.test(image)) found.datastores.push(name);
    }
  }
  for (const f of files) {
    if (
      !/\.ya?ml$/.test(f) ||
      COMPOSE_NAMES.includes(f) ||
      /(^|\/)templates\//.test(f) ||
      /(^|\/)(Chart|compose\.override|docker-compose\.override)\.ya?ml$/.test(f)
    )
      continue;
    if (/(^|\/)values[^/]*\.ya?ml$/.test(f)) {
      found.helmValues.push(f);
      continue;
    }
    const t = await text(f);
    if (t && /^apiVersion:/m.test(t) && /^kind:/m.test(t)) found.manifests.push(f);
  }
  return found;
}

function yamlData(text: string | undefined, file: string): unknown {
  if (text === undefined) return undefined;
  try {
    return parseYaml(text, file).data;
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

interface DraftItem {
  id: string;
  title: string;
  why: string;
  how: string;
  severity: 'critical' | 'high' | 'medium' | 'low';
  source: {system: string; section: string};
  verify?: {check: string; with?: Record<string, unknown>}[];
  confirm?: string;
}

const SOURCE = 'Shipshape packs new';

export interface ScaffoldOptions {
  /** Pack id; default: the folder's name as a slug. */
  id?: string;
  /** Put in the `# yaml-language-server: $schema=` line so editors complete and check the file. */
  schemaRef?: string;
}

/** A pack's YAML text for the folder, with a comment saying what was found. */
export function scaffoldPack(root: string, found: ScaffoldFound, checks: ReadonlyMap<string, CheckDef>, o: ScaffoldOptions = {}): string {
  const id = o.id ?? slug(basename(resolve(root)));
  const usable = (item: DraftItem): boolean =>
    (item.verify ?? []).every((step) => {
      const def = checks.get(step.check);
      return def?.params.safeParse(step.with ?? {}).success === true;
    });
  const sections: {id: string; title: string; items: DraftItem[]}[] = [];
  const add = (sectionId: string, title: string, items: DraftItem[]) => {
    const kept = items.filter(usable);
    if (kept.length > 0) sections.push({id: sectionId, title, items: kept});
  };
  const envFiles = found.env.length > 0 ? found.env : [];
  if (envFiles.length > 0) {
    const envItems: DraftItem[] = envFiles.map((f, n) => ({
      id: n === 0 ? 'env-file-valid' : `env-file-valid-${n + 1}`,
      title: `${f} is well formed`,
      why: 'A line that is not KEY=value is silently dropped by the tools that read it, and the setting it meant is missing.',
      how: `Fix the lines shipshape points at in ${f}.`,
      severity: 'medium',
      source: {system: SOURCE, section: 'Settings'},
      verify: [{check: 'env.present', with: {file: f}}],
    }));
    envItems.push(
      {
        id: 'env-not-committed',
        title: 'Settings files are not committed',
        why: 'A committed .env leaks every secret in it to whoever can read the repository, forever.',
        how: `Remove them from git (git rm --cached) and list them in .gitignore: ${envFiles.join(', ')}.`,
        severity: 'critical',
        source: {system: SOURCE, section: 'Settings'},
        verify: [{check: 'git.not-tracked', with: {paths: envFiles}}],
      },
      {
        id: 'env-file-private',
        title: 'Settings files are readable by their owner only',
        why: 'Other users on the host can read secrets from a world-readable file.',
        how: `chmod 600 ${envFiles.join(' ')}`,
        severity: 'high',
        source: {system: SOURCE, section: 'Settings'},
        verify: [{check: 'files.mode', with: {paths: envFiles, max: '0600'}}],
      },
    );
    if (found.secretKeys.length > 0) {
      envItems.push(
        {
          id: 'secrets-not-default',
          title: 'Secrets are not defaults or placeholders',
          why: 'Example values are public: anyone who read the example can use them.',
          how: `Generate a fresh value for each of ${found.secretKeys.join(', ')}.`,
          severity: 'critical',
          source: {system: SOURCE, section: 'Secrets'},
          verify: [{check: 'secret.not-default', with: {keys: found.secretKeys}}],
        },
        {
          id: 'secrets-strong',
          title: 'Secrets are long and random',
          why: 'A short or guessable secret falls to an offline guess.',
          how: 'Use at least 32 random bytes, e.g. `openssl rand -hex 32`.',
          severity: 'high',
          source: {system: SOURCE, section: 'Secrets'},
          verify: [{check: 'secret.strength', with: {keys: found.secretKeys}}],
        },
      );
    }
    add('settings', 'Settings and secrets', envItems);
  }
  if (found.compose) {
    const compose: DraftItem[] = [];
    if (found.datastores.length > 0) {
      compose.push({
        id: 'datastores-private',
        title: 'Databases and brokers publish no port beyond loopback',
        why: 'A datastore on a public port is found by scanners within hours; Docker publishes past ufw.',
        how: 'Drop their `ports:` or bind them to 127.0.0.1 (e.g. "127.0.0.1:5432:5432").',
        severity: 'critical',
        source: {system: SOURCE, section: 'Compose'},
        verify: [{check: 'compose.ports-private', with: {services: found.datastores}}],
      });
    }
    compose.push(
      {
        id: 'images-pinned',
        title: 'Images are pinned to a version',
        why: 'A floating tag changes what runs without anyone deciding to.',
        how: 'Name a version tag (or a digest) on every image.',
        severity: 'medium',
        source: {system: SOURCE, section: 'Compose'},
        verify: [{check: 'compose.image-pinned'}],
      },
      {
        id: 'docker-socket',
        title: 'No service mounts the Docker socket or runs privileged',
        why: 'Either one is root on the host for whoever controls that container.',
        how: 'Remove the /var/run/docker.sock mount and `privileged: true`, or accept the risk in writing.',
        severity: 'high',
        source: {system: SOURCE, section: 'Compose'},
        verify: [{check: 'compose.docker-socket'}],
      },
      {
        id: 'resource-limits',
        title: 'Services have memory and CPU limits',
        why: 'One runaway container can starve every other service on the host.',
        how: 'Set deploy.resources.limits (memory, cpus) on each service.',
        severity: 'low',
        source: {system: SOURCE, section: 'Compose'},
        verify: [{check: 'compose.resource-limits', with: {level: 'warn'}}],
      },
    );
    add('compose', 'Compose', compose);
  }
  if (found.helmValues.length > 0) {
    add('helm', 'Helm values', [
      {
        id: 'helm-images-pinned',
        title: 'Chart images are pinned',
        why: 'A floating tag changes what runs on the next pod restart.',
        how: 'Set image tags (or digests) in the values file.',
        severity: 'medium',
        source: {system: SOURCE, section: 'Helm'},
        verify: [{check: 'helm.image-pinned'}],
      },
      {
        id: 'helm-no-plaintext-secrets',
        title: 'No secret is written in plain text in the values',
        why: 'Values files are committed and shared; secrets in them leak with them.',
        how: 'Reference an existing Secret (SealedSecret, ExternalSecret) instead.',
        severity: 'critical',
        source: {system: SOURCE, section: 'Helm'},
        verify: [{check: 'helm.no-plaintext-secrets'}],
      },
    ]);
  }
  if (found.manifests.length > 0) {
    add('kubernetes', 'Kubernetes', [
      {
        id: 'k8s-no-secret-data',
        title: 'No plaintext Secret is committed',
        why: 'A Secret manifest is only base64: committing one publishes its values.',
        how: 'Use a SealedSecret or an ExternalSecret.',
        severity: 'critical',
        source: {system: SOURCE, section: 'Kubernetes'},
        verify: [{check: 'k8s.no-secret-data'}],
      },
      {
        id: 'k8s-images-pinned',
        title: 'Workload images are pinned',
        why: 'A floating tag changes what runs on the next pod restart.',
        how: 'Name a version tag (or a digest) on every container image.',
        severity: 'medium',
        source: {system: SOURCE, section: 'Kubernetes'},
        verify: [{check: 'k8s.image-pinned'}],
      },
      {
        id: 'k8s-resource-limits',
        title: 'Workloads set resource limits',
        why: 'A pod without limits can take a node down with it.',
        how: 'Set resources.limits on every container.',
        severity: 'low',
        source: {system: SOURCE, section: 'Kubernetes'},
        verify: [{check: 'k8s.resource-limits'}],
      },
      {
        id: 'k8s-security-context',
        title: 'Containers run as non-root with a read-only root filesystem',
        why: 'A compromised container that is root, writable and privileged reaches further.',
        how: 'Set runAsNonRoot, readOnlyRootFilesystem, capabilities.drop [ALL] and allowPrivilegeEscalation false.',
        severity: 'medium',
        source: {system: SOURCE, section: 'Kubernetes'},
        verify: [{check: 'k8s.security-context'}],
      },
    ]);
  }
  add('operations', 'Operations', [
    {
      id: 'backup-restored',
      title: 'A backup was restored recently',
      why: 'A backup nobody restored is a hope, not a backup.',
      how: 'Restore the latest backup into a scratch instance and check the data.',
      severity: 'high',
      source: {system: SOURCE, section: 'Operations'},
      confirm: 'Has a backup of this deployment been restored successfully in the last three months?',
    },
  ]);

  const detect = detectRules(found);
  const files: Record<string, unknown> = {};
  if (found.env.length > 0 && !(found.env.length === 1 && found.env[0] === '.env')) files.env = found.env;
  if (found.helmValues.length > 0) files.helmValues = found.helmValues;
  if (found.manifests.length > 0) files.manifests = found.manifests;
  const pack = {
    schema: 1,
    id,
    title: `${id} production checklist`,
    version: '0.1.0',
    description: `Started by shipshape packs new from ${describe(found)}. Edit the words, add items, and run shipshape packs lint.`,
    ...(detect.length > 0 ? {detect} : {}),
    ...(Object.keys(files).length > 0 ? {files} : {}),
    sections,
  };
  const head = [
    ...(o.schemaRef ? [`# yaml-language-server: $schema=${o.schemaRef}`] : []),
    `# A first pack for ${basename(resolve(root))}, from its files. Every check below is a generic one;`,
    '# shipshape checks lists them all. Lint with: shipshape packs lint <this file>',
  ];
  // No anchors for lists used twice, and the small mappings (source, with) on one line each.
  const doc = new Document(pack, {aliasDuplicateObjects: false});
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && (pair.key.value === 'source' || pair.key.value === 'with') && isCollection(pair.value)) pair.value.flow = true;
    },
  });
  return `${head.join('\n')}\n${doc.toString({lineWidth: 0, flowCollectionPadding: false})}`;
}

function detectRules(found: ScaffoldFound): {file: string; contains?: string}[] {
  if (found.compose) {
    // A service that is not a datastore names the product better than `postgres` would.
    const own = found.services.find((s) => !found.datastores.includes(s)) ?? found.services[0];
    return [own ? {file: found.compose, contains: `^\\s+${escapeRegExp(own)}:`} : {file: found.compose}];
  }
  const first = found.helmValues[0] ?? found.manifests[0] ?? found.env[0];
  return first ? [{file: first}] : [];
}

function describe(found: ScaffoldFound): string {
  const parts = [
    ...found.env,
    ...(found.compose ? [`${found.compose} (${found.services.length} services)`] : []),
    ...(found.helmValues.length ? [`${found.helmValues.length} Helm values file(s)`] : []),
    ...(found.manifests.length ? [`${found.manifests.length} manifest(s)`] : []),
  ];
  return parts.length > 0 ? parts.join(', ') : 'an empty folder';
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function slug(name: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return s || 'my-pack';
}
