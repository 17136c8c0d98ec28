// The settings model: where a value lives (a .env line, a Compose service's environment, the
// password inside a URL, a Helm values path). Checks read settings through it; generators and
// writers use it to find every copy they must replace.
import {z} from 'zod';
import type {Context} from '../engine/context.js';
import type {Evidence} from '../model/types.js';

/**
 * One place a setting is given a value: a line of a .env file, a service's environment in a
 * Compose file, the password inside a connection URL, or a Helm values path. A credential may
 * be written in several of these, and every copy matters.
 */
export interface Occurrence {
  key: string;
  value: string | undefined;
  file?: string;
  line?: number;
  /** Human words for where: `.env`, `service the0-api`, `chart default`. */
  where: string;
  /** Compose service, when it comes from one. */
  service?: string;
  /** True when written out in a Compose or values file rather than drawn from .env or a Secret. */
  literal: boolean;
}

/** An environment variable name, as every selector takes it. */
export const EnvKey = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'an environment variable name');

/** Where to look for a setting; shared by every check that reads values. */
export const SelectorShape = {
  /** Environment variable names: read from the .env files and every Compose service's environment. */
  keys: z.array(EnvKey).default([]),
  /** Variables holding URLs (DATABASE_URL, MONGO_URI): the password inside counts as a copy. */
  urls: z.array(EnvKey).default([]),
  /** Helm values paths, e.g. `postgresql.password` or `the0Api.env.JWT_SECRET`. */
  helm: z.array(z.string().min(1)).default([]),
  /** Only these Compose services (default: all). */
  services: z.array(z.string()).optional(),
  /** A Helm path that, when non-empty, means the chart takes these secrets from an existing Secret. */
  externalWhen: z.string().optional(),
};

export type Selector = {
  keys: string[];
  urls: string[];
  helm: string[];
  services?: string[] | undefined;
  externalWhen?: string | undefined;
};

export interface Collected {
  occurrences: Occurrence[];
  /** Notes for the evidence, e.g. that values come from an existing Secret. */
  notes: Evidence[];
}

/** Every copy of the selected settings, in every file read: a credential may be written in several places, and each counts. */
export async function collect(ctx: Context, sel: Selector): Promise<Collected> {
  const occurrences: Occurrence[] = [];
  const notes: Evidence[] = [];
  const envFiles = await ctx.envFiles();
  const envNames = new Set(envFiles.map((e) => e.file));

  const wanted = [...sel.keys, ...sel.urls];
  for (const env of envFiles) {
    for (const key of wanted) {
      const e = env.entries.get(key);
      if (e) push(key, e.value, {file: env.file, line: e.line, where: env.file, literal: false});
    }
  }

  const compose = await ctx.compose();
  if (compose) {
    for (const svc of compose.services.values()) {
      if (sel.services && !sel.services.includes(svc.name)) continue;
      for (const key of wanted) {
        const v = svc.environment.get(key);
        if (!v) continue;
        if (v.envFile && envNames.has(v.envFile)) continue; // that file's own line is already a copy
        const from = v.interpolation?.soleRef;
        // Only a .env this collection reads already holds the copy; otherwise it counts at the Compose line.
        const dotenvRead = compose.dotenv !== undefined && envNames.has(compose.dotenv.file);
        const drawnFromDotenv =
          dotenvRead &&
          ((v.raw === undefined && compose.dotenv!.entries.has(key)) ||
            (from !== undefined && !v.interpolation?.usedDefault && compose.dotenv!.entries.has(from)));
        if (drawnFromDotenv && from !== undefined && from !== key) {
          // Drawn from a .env key of another name: that key is the copy, reported under this name.
          const src = compose.dotenv!.entries.get(from)!;
          push(key, v.value, {
            file: compose.dotenv!.file,
            line: src.line,
            where: `${compose.dotenv!.file} (${from}, used by service ${svc.name})`,
            service: svc.name,
            literal: false,
          });
          continue;
        }
        if (drawnFromDotenv) continue;
        push(key, v.value, {file: v.file, line: v.line, where: `service ${svc.name}`, service: svc.name, literal: v.literal});
      }
    }
  }

  const helm = await ctx.helm();
  if (helm && sel.helm.length > 0) {
    const external = sel.externalWhen ? helm.get(sel.externalWhen) : undefined;
    if (external && typeof external.value === 'string' && external.value !== '') {
      notes.push({
        file: external.file,
        line: external.line,
        key: sel.externalWhen,
        detail: `the chart reads these from the existing Secret "${external.value}"`,
      });
    } else {
      for (const path of sel.helm) {
        const v = helm.get(path);
        if (!v) continue;
        const value = v.value === null || v.value === undefined ? undefined : typeof v.value === 'object' ? undefined : String(v.value);
        if (typeof v.value === 'object' && v.value !== null) continue; // e.g. a valueFrom block, not a literal
        push(path, value, {file: v.file, line: v.line, where: v.chartDefault ? 'chart default (no values file sets it)' : `values ${path}`, literal: true});
      }
    }
  }
  return {occurrences: expandUrls(occurrences, sel.urls), notes};

  function push(key: string, value: string | undefined, o: Omit<Occurrence, 'key' | 'value'>) {
    occurrences.push({key, value, ...o});
  }
}

/** Replaces each URL-valued occurrence by the password inside it (when it has one). */
function expandUrls(list: Occurrence[], urlKeys: readonly string[]): Occurrence[] {
  const out: Occurrence[] = [];
  for (const o of list) {
    if (!urlKeys.includes(o.key)) {
      out.push(o);
      continue;
    }
    const password = urlPassword(o.value);
    if (password !== undefined) out.push({...o, key: `${o.key} (password in URL)`, value: password});
  }
  return out;
}

/** The password inside a connection URL (decoded), since it is a copy of the database password too. */
export function urlPassword(value: string | undefined): string | undefined {
  if (!value) return undefined;
  let raw: string | undefined;
  try {
    raw = new URL(value).password;
  } catch {
    // Multi-host URIs (mongodb://u:p@h1:27017,h2:27017/db) are not WHATWG URLs: read the userinfo directly.
    raw = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^:@/?#]*:([^/?#]*)@/.exec(value)?.[1];
  }
  if (!raw) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw; // a stray % that is not an escape: the password as written
  }
}

/** Evidence for one copy, naming where it is (a service, a chart default) when the file alone does not say. */
export function evidenceOf(o: Occurrence, detail: string): Evidence {
  // `.env: ...` after `.env:12` says nothing new; other places (a service, a chart default) do.
  return {file: o.file, line: o.line, key: o.key, detail: o.where === o.file ? detail : `${o.where}: ${detail}`};
}
