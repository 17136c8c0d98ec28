import {readDeploymentFile, realRootSync} from '../deploy/read.js';
import {globToRegExp, hasMagic, listFiles} from '../sources/glob.js';
import type {Pack} from './schema.js';

export interface Detection {
  pack: Pack;
  /** Rules that matched, e.g. `docker-compose.yml ~ the0-api`. */
  matched: string[];
}

/**
 * Packs whose detect rules match files in `root`, most matches first. Files are read by the
 * deployment rule (src/deploy/read.ts): only regular files inside the root, bounded; anything
 * else (a FIFO, a device, a link out of the root) matches no rule here, and the checks that read
 * it report it with its location.
 */
export async function detectPacks(root: string, packs: readonly Pack[]): Promise<Detection[]> {
  let files: string[] | undefined;
  const realRoot = realRootSync(root);
  // Each file is read once, however many rules name it.
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
  const out: Detection[] = [];
  for (const pack of packs) {
    const matched: string[] = [];
    for (const rule of pack.detect) {
      const candidates = hasMagic(rule.file) ? (files ??= await listFiles(root, 4)).filter((f) => globToRegExp(rule.file).test(f)) : [rule.file];
      for (const f of candidates) {
        const text = await textOf(f);
        if (text === undefined) continue;
        if (rule.contains === undefined || new RegExp(rule.contains, 'm').test(text)) {
          matched.push(rule.contains ? `${f} ~ /${rule.contains}/` : f);
          break;
        }
      }
    }
    if (matched.length > 0) out.push({pack, matched});
  }
  return out.sort((a, b) => b.matched.length - a.matched.length);
}
