import {readDeploymentFile, realRootSync} from '../deploy/read.js';
import {GENERIC_PACKS} from './builtin.js';
import {globToRegExp, hasMagic, listFiles} from '../sources/glob.js';
import type {Pack} from './schema.js';

export interface Detection {
  pack: Pack;
  /** Rules that matched, e.g. `docker-compose.yml ~ the0-api`. */
  matched: string[];
}

/**
 * Packs whose detect rules match files in `root`: product packs before generic ones
 * (GENERIC_PACKS), then most matches first. Files are read by the
 * deployment rule (src/deploy/read.ts): only regular files inside the root, bounded; anything
 * else (a FIFO, a device, a link out of the root) matches no rule here, and the checks that read
 * it report it with its location.
 */
export async function detectPacks(root: string, packs: readonly Pack[]): Promise<Detection[]> {
  let files: Promise<string[]> | undefined;
  const realRoot = realRootSync(root);
  // Each file is read once, however many rules name it; every rule of every pack is judged at
  // once, so the reads overlap instead of waiting on each other.
  const texts = new Map<string, Promise<string | undefined>>();
  const textOf = (f: string) => {
    let t = texts.get(f);
    if (!t) {
      t = readDeploymentFile(root, f, {realRoot}).then(
        (b) => b.toString('utf8'),
        () => undefined,
      );
      texts.set(f, t);
    }
    return t;
  };
  const judge = async (rule: Pack['detect'][number]): Promise<string | undefined> => {
    const candidates = hasMagic(rule.file) ? (await (files ??= listFiles(root, 4))).filter((f) => globToRegExp(rule.file).test(f)) : [rule.file];
    for (const f of candidates) {
      const text = await textOf(f);
      if (text === undefined) continue;
      if (rule.contains === undefined || new RegExp(rule.contains, 'm').test(text)) return rule.contains ? `${f} ~ /${rule.contains}/` : f;
    }
    return undefined;
  };
  const judged = await Promise.all(packs.map(async (pack) => ({pack, matched: (await Promise.all(pack.detect.map(judge))).filter((m) => m !== undefined)})));
  const out = judged.filter((d) => d.matched.length > 0);
  const generic = (d: Detection) => (GENERIC_PACKS.has(d.pack.id) ? 1 : 0);
  return out.sort((a, b) => generic(a) - generic(b) || b.matched.length - a.matched.length);
}

export interface DetectionChoice {
  /** The pack that runs: the first (in detectPacks' order) that no other detected pack covers. */
  chosen?: Detection;
  /** Every pack whose rules matched, in detectPacks' order, with what became of it. */
  all: (Detection & {
    /** A detected pack that extends this one: its items run as part of that pack. */
    coveredBy?: string;
  })[];
}

/**
 * Several packs can recognise one folder: the0's Compose deployment is also a Compose folder.
 * A pack another detected pack extends is covered by it (its items run there), so it is not
 * chosen on its own; among the rest, the first in detectPacks' order wins (a product pack before
 * a generic one, then the most matching rules).
 */
export function choosePack(found: readonly Detection[]): DetectionChoice {
  const all = found.map((d): DetectionChoice['all'][number] => {
    const coveredBy = found.find((o) => o !== d && (o.pack.composedOf ?? []).includes(d.pack.id))?.pack.id;
    return coveredBy ? {...d, coveredBy} : {...d};
  });
  return {chosen: all.find((d) => !d.coveredBy), all};
}

/** Why a pack was or was not chosen, one line each, for `packs detect` and for `check` on stderr. */
export function describeChoice(c: DetectionChoice): string[] {
  return c.all.map((d) => {
    const why = d.matched.join(', ');
    if (d === c.chosen) return `${d.pack.id}: chosen, matched ${why}`;
    if (d.coveredBy) return `${d.pack.id}: matched ${why}; runs as part of ${d.coveredBy}, which extends it`;
    return `${d.pack.id}: matched ${why}; also applies, run it with --pack ${d.pack.id}`;
  });
}
