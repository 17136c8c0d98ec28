import {UsageError} from '../model/errors.js';
import {DIR, INPUT, PACK, defineCommand} from './define.js';

export const rotate = defineCommand({
  name: 'rotate',
  summary: 'Rotate one secret step by step (write, restart, check, retire the old value); an interrupted rotation resumes.',
  usage:
    'rotate --item ID [--dir DIR] [--pack ID|FILE] [--input KEY=VALUE ...] [--yes] [--restart | --restarted]\n      [--retired] [--replace-existing ID] [--kubeseal-cert FILE] [--show] [--abandon]',
  help: `Walks the rotation of the secret an item generates, one step at a time:
  1. write: a new value everywhere it lives (the masked preview first; all files or none, 0600,
     the old value kept in a 0600 backup); a JWT secret warns that every session ends;
  2. restart: the command that restarts what reads it is shown (docker compose up -d
     --force-recreate SERVICE..., or kubectl rollout restart) and run only when confirmed;
  3. verify: the item's checks run again on the new files;
  4. retire: retire the old value where it lives outside the deployment, then delete the backups.
The step reached is saved in your personal progress after each step, so a rotation that is
stopped or killed resumes at the same step, without a second new value. No value is ever saved
there: the new one is read back from the files it was written to.

Questions are asked on the terminal, or read one per line from a pipe (y or n; at the restart:
r to run the command, d when you restarted by hand). With no one to answer, the rotation stops
before the step and says how to go on. Flags answer ahead: --yes (write), --restart (run the
command) or --restarted (done by hand), --retired (the old value is retired).
A value that must not be replaced lightly (ZITADEL's masterkey) asks for its item id typed, or
--replace-existing ID. --kubeseal-cert FILE (the output of kubeseal --fetch-cert) writes a
Kubernetes Secret as a SealedSecret. --show prints the new value; --abandon forgets a rotation
under way (the files stay as they are).

Only a secret rotates: an item whose generator writes configuration (compose-harden, backups,
reverse-proxy, ...) is refused; write that with \`shipshape generate --item ID\`. A rotation
needs personal progress to resume from: when it cannot be saved (SHIPSHAPE_PROGRESS_DIR is not
a directory you can write), it stops before writing anything, exit 2. A progress file that
cannot be read is set aside and the rotation stops (exit 2): look at it, then run again.

Exit codes: 0 done or stopped before a step; 1 the checks fail after the write, or the restart
command failed; 2 usage error, or progress that cannot be read or saved.`,
  options: {
    ...DIR,
    ...PACK,
    ...INPUT,
    item: {type: 'string'},
    yes: {type: 'boolean'},
    restart: {type: 'boolean'},
    restarted: {type: 'boolean'},
    retired: {type: 'boolean'},
    'replace-existing': {type: 'string'},
    'kubeseal-cert': {type: 'string'},
    show: {type: 'boolean'},
    abandon: {type: 'boolean'},
  },
  async run(v, _pos, {out}) {
    if (!v.item) throw new UsageError('--item ID: name the item whose secret to rotate');
    if (v.restart && v.restarted) throw new UsageError('--restart runs the command, --restarted says you did it by hand: give one of them');
    if (v['replace-existing'] !== undefined && v['replace-existing'] !== v.item)
      throw new UsageError(`--replace-existing ${v['replace-existing']}: it must name the item rotated (${v.item})`);
    if (v['kubeseal-cert']) {
      const {resolve} = await import('node:path');
      const {KUBESEAL_CERT_ENV} = await import('../generators/targets.js');
      process.env[KUBESEAL_CERT_ENV] = resolve(v['kubeseal-cert']);
    }
    const [{openSession}, {ProgressStore}, {rotate: run}, {PlainIO, InputEnded}] = await Promise.all([
      import('../engine/session.js'),
      import('../store/progress.js'),
      import('../generators/rotate.js'),
      import('../plain/plainIO.js'),
    ]);
    const session = await openSession({dir: v.dir, pack: v.pack, inputs: v.input ?? []});
    const store = await ProgressStore.open(session.root, session.pack);
    // A damaged progress file (a step no rotation has, say) is set aside, never guessed at.
    const recovered = store.recovered
      ? `The saved progress file could not be read; it was kept as ${store.recovered}. A rotation recorded there is not resumed: look at it (it holds no value), finish or undo that rotation by hand, then run shipshape rotate again.`
      : undefined;
    if (v.abandon) {
      if (recovered) out.write(`${recovered}\n`);
      const had = store.get().rotations[v.item];
      store.setRotation(v.item, undefined);
      out.write(
        had ? `The rotation of ${v.item} is forgotten (it was at: ${had.step}); the files stay as they are.\n` : `No rotation of ${v.item} is under way.\n`,
      );
      return 0;
    }
    if (store.disabled) throw new UsageError(`nothing was written: a rotation needs personal progress to resume from: ${store.disabled}`);
    if (recovered) throw new UsageError(recovered);
    const io = new PlainIO(process.stdin, out);
    // Nobody left to answer (the end of a pipe, Ctrl+C): the rotation stops before the step.
    const ask = async <T>(q: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await q();
      } catch (err) {
        if (err instanceof InputEnded) return undefined;
        throw err;
      }
    };
    const yesNo = (question: string) =>
      ask(async () => {
        const r = await io.choose(
          question,
          [
            {key: 'y', name: 'yes', value: 'y'},
            {key: 'n', name: 'no, not now', value: 'n'},
          ],
          undefined,
        );
        return r === 'y';
      });
    try {
      const outcome = await run(
        session,
        store,
        v.item,
        {
          say: (line) => io.say(line),
          confirm: async (question) => {
            if (question.startsWith('Write') && v.yes) return true;
            if (question.startsWith('Is the old value retired') && v.retired) return true;
            return yesNo(question);
          },
          restart: async (command) => {
            if (v.restart) return command ? 'run' : 'done';
            if (v.restarted) return 'done';
            const r = await ask(() =>
              io.choose(
                command ? 'Restart now?' : 'Restarted?',
                [
                  ...(command ? [{key: 'r', name: 'run the command shown', value: 'run' as const}] : []),
                  {key: 'd', name: 'done: I restarted them myself', value: 'done' as const},
                  {key: 'q', name: 'not now (stop here; it is saved)', value: 'quit' as const},
                ],
                undefined,
              ),
            );
            return r === 'run' || r === 'done' ? r : undefined;
          },
          typed: async (question, expected) => {
            if (v['replace-existing'] === expected) return true;
            const r = await ask(() => io.text(question, {expected: `the item id ${expected}, or an empty line to leave it`}));
            return r?.trim() === expected;
          },
          show: v.show ? (label, value) => io.say(`${label}: ${value}`) : undefined,
        },
        {replaceExisting: v['replace-existing'] === v.item},
      );
      return outcome.code;
    } catch (err) {
      if (err instanceof Error && err.name === 'WriteError') throw new UsageError(err.message);
      if (err instanceof Error && err.name === 'ScriptError')
        throw new UsageError(`line ${(err as Error & {line: number}).line} of the answers: ${err.message}`);
      throw err;
    } finally {
      io.close();
    }
  },
});
