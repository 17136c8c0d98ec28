import {DIR, PACK, defineCommand} from './define.js';

export const progress = defineCommand({
  name: 'progress',
  summary: 'Show where personal progress is kept, or clear it (answers in the deployment stay).',
  usage: 'progress [--dir DIR] [--pack ID|FILE] [--reset]',
  help: `Shows the personal progress file for this deployment (where you left off, what you saw last,
for drift) and the deployment's answers file. --reset clears the personal progress only: the
answers recorded in the deployment are untouched (remove shipshape-answers.json to drop them).`,
  options: {...DIR, ...PACK, reset: {type: 'boolean'}},
  async run(v, _pos, {out}) {
    const [{openSession}, {hasProgress, progressFile, ProgressStore}, {readAnswers, answersPath}] = await Promise.all([
      import('../engine/session.js'),
      import('../store/progress.js'),
      import('../store/answers.js'),
    ]);
    const s = await openSession({dir: v.dir, pack: v.pack});
    const file = progressFile(s.root, s.pack.id);
    const a = readAnswers(s.root, s.pack.id);
    const answers = `answers: ${answersPath(s.root)} (${Object.keys(a.answers).length} answers, ${Object.keys(a.notes).length} notes)\n`;
    if (!hasProgress(s.root, s.pack.id)) {
      out.write(`no personal progress for ${s.root} (pack ${s.pack.id}); it would live at ${file}\n${answers}`);
      return 0;
    }
    const store = await ProgressStore.open(s.root, s.pack);
    if (v.reset) {
      store.reset();
      out.write(`cleared personal progress for ${s.root} (pack ${s.pack.id}): ${file}\nthe answers in the deployment are kept: ${answersPath(s.root)}\n`);
      return 0;
    }
    const p = store.get();
    out.write(`${file}\n  last saved ${p.updatedAt}${p.position ? `, left at ${p.position}` : ''}\n${answers}`);
    return 0;
  },
});
