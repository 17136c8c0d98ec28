import {openSession} from '../engine/session.js';
import {hasProgress, progressFile, ProgressStore} from '../store/progress.js';

export async function progressCommand(o: {dir?: string; pack?: string; reset: boolean}, out: NodeJS.WritableStream): Promise<number> {
  const s = await openSession({dir: o.dir, pack: o.pack});
  const file = progressFile(s.root, s.pack.id);
  if (!hasProgress(s.root, s.pack.id)) {
    out.write(`no saved progress for ${s.root} (pack ${s.pack.id}); it would live at ${file}\n`);
    return 0;
  }
  const store = await ProgressStore.open(s.root, s.pack);
  if (o.reset) {
    store.reset();
    out.write(`cleared saved progress for ${s.root} (pack ${s.pack.id})\n`);
    return 0;
  }
  const p = store.get();
  out.write(`${file}\n  ${Object.keys(p.answers).length} answers, last saved ${p.updatedAt}${p.position ? `, left at ${p.position}` : ''}\n`);
  return 0;
}
