import {readFile} from 'node:fs/promises';
import {join} from 'node:path';
import {globToRegExp, hasMagic, listFiles} from '../sources/glob.js';
import type {Pack} from './schema.js';

export interface Detection {
  pack: Pack;
  /** Rules that matched, e.g. `docker-compose.yml ~ the0-api`. */
  matched: string[];
}

/** Packs whose detect rules match files in `root`, most matches first. */
export async function detectPacks(root: string, packs: readonly Pack[]): Promise<Detection[]> {
  let files: string[] | undefined;
  const out: Detection[] = [];
  for (const pack of packs) {
    const matched: string[] = [];
    for (const rule of pack.detect) {
      const candidates = hasMagic(rule.file) ? (files ??= await listFiles(root, 4)).filter((f) => globToRegExp(rule.file).test(f)) : [rule.file];
      for (const f of candidates) {
        let text: string;
        try {
          text = await readFile(join(root, f), 'utf8');
        } catch {
          continue;
        }
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
