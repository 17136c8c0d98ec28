import type {Context} from '../engine/context.js';
import type {ChangeSet} from '../write/changeSet.js';
import type {Edits, Made} from './targets.js';

export type {Made};

/** Options a pack (or the command line) can pass to a generator. */
export interface GeneratorOptions {
  /** Bytes of randomness (hex, base64url), or characters (password). */
  length?: number;
  /** RSA key size. */
  bits?: number;
  /** NKEY role (operator, account, user, server, cluster, curve). */
  role?: string;
  /** Text before the random part (identifier). */
  prefix?: string;
  // Config generators (reverse proxy, backups, firewall):
  /** Which form the config takes: caddy or nginx for the reverse proxy. */
  variant?: string;
  /** Whose needs shape the config: zitadel (h2c/gRPC), mcp (Server-Sent Events) or web; default from the pack. */
  system?: string;
  /** The public name the proxy answers for; default from the deployment (ZITADEL's ExternalDomain, DOMAIN in .env). */
  domain?: string;
  /** host:port the proxy forwards to. */
  upstream?: string;
  /** TLS certificate and key paths; without them Caddy gets its own (automatic HTTPS). */
  certificate?: string;
  certificateKey?: string;
  /** Seconds a proxied response may stay quiet (Server-Sent Events). */
  timeout?: number;
  /** Days to keep backups. */
  retention?: number;
  /** The daily time (HH:MM, UTC on the host's clock) a scheduled job runs. */
  schedule?: string;
  /** A directory on the host (where backups go). */
  directory?: string;
  /** Ports to open: 22/tcp, 443, 60000:61000/udp. */
  ports?: readonly (string | number)[];
  // Config generators that edit existing files (compose-harden, docker-daemon-logs, helm-values-harden):
  /** compose-harden: an override file beside the base (default) or the files themselves. */
  mode?: 'override' | 'in-place';
  /** The file to write: the override file, daemon.json (absolute, or relative to the deployment), a values file. */
  file?: string;
  /** Only these parts of what the generator does (compose-harden: ports, restart, logging, ...). */
  only?: readonly string[];
  /** Only these services (compose-harden). */
  services?: readonly string[];
  /** Services whose ports also go to loopback, besides databases, brokers and consoles (compose-harden). */
  private?: readonly string[];
  /** What happens to a published port that must not reach beyond the host: bound to 127.0.0.1 (default) or removed. */
  publish?: 'loopback' | 'remove';
  /** Memory limit (Compose size, 512M; Kubernetes quantity, 512Mi). */
  memory?: string;
  /** CPU limit (Compose: 1.5; Kubernetes: 500m). */
  cpus?: string | number;
  /** Per-service limits, overriding memory and cpus. */
  limits?: Readonly<Record<string, {memory?: string; cpus?: string | number}>>;
  /** Log rotation: size of one file (10m) and files kept (3). */
  logMaxSize?: string;
  logMaxFile?: number;
  /** Tags for images on latest, by service or image name; without one the image is left and a note says so. */
  tags?: Readonly<Record<string, string>>;
  /** More environment keys to treat as credentials than the one secret-name rule finds (MINIO_ROOT_USER). */
  keys?: readonly string[];
  /** helm-values-harden: the Secret the chart reads credentials from (global.existingSecret). */
  existingSecret?: string;
  /** helm-values-harden: the namespace of the Secrets written; the manifest file for them. */
  namespace?: string;
  secretFile?: string;
  /** helm-values-harden: replicas of each stateless workload. */
  replicas?: number;
  /** helm-values-harden: the public names for the ingress, and the Secret holding their certificate. */
  hosts?: readonly string[];
  tlsSecret?: string;
}

export interface GenerateInput {
  ctx: Context;
  /** Where the value goes (the item's `into:`). */
  into: readonly string[];
  options: GeneratorOptions;
  /** The run's edits so far: items of one run build on each other's changes. A fresh one when absent. */
  edits?: Edits;
}

export interface Generation {
  changes: ChangeSet;
  /** The values made, for --show and for tests; never printed otherwise. */
  made: Made;
  /** What a person must do next (restart, delete a plaintext file, retire the old value). */
  notes: string[];
}

/**
 * One generator: it returns a change set and never writes by itself. Adding one is a file with
 * a GeneratorDef and a line in index.ts.
 */
export interface GeneratorDef {
  id: string;
  summary: string;
  /** A config generator writes files of its own choosing: it needs no `into:`. */
  config?: boolean;
  generate(input: GenerateInput): Promise<Generation>;
}

export function defineGenerator(def: GeneratorDef): GeneratorDef {
  return def;
}

/** Most generators make a value and put it into the item's targets: this is that, once. */
export function secretGenerator(id: string, summary: string, make: (o: GeneratorOptions) => Made | Promise<Made>): GeneratorDef {
  return {
    id,
    summary,
    async generate(input) {
      const {Edits, writeTargets} = await import('./targets.js');
      const edits = input.edits ?? new Edits(input.ctx);
      const made = await make(input.options);
      const notes = await writeTargets(input.ctx, input.into, made, edits);
      // Worked out when asked for: in a run, items share one Edits and only the run's final change set is used.
      return {
        get changes() {
          return edits.changeSet();
        },
        made,
        notes,
      };
    },
  };
}
