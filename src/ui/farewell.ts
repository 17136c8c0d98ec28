import type {Snapshot} from '../wizard/controller.js';

/** A path as a shell reads it: quoted only when it must be. */
function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * What stays on the terminal after the wizard closes: where the answers are, and the command
 * that comes back to this deployment where the person left off.
 */
export function farewell(snap: Pick<Snapshot, 'root' | 'pack' | 'chosenBy' | 'answersFile' | 'answersProblem' | 'done' | 'total'>): string {
  const again = `shipshape --dir ${shellWord(snap.root)}${snap.chosenBy === '--pack' ? ` --pack ${shellWord(snap.pack.id)}` : ''}`;
  const saved = snap.answersProblem
    ? `Answers could not be saved: ${snap.answersProblem}`
    : `Answers are saved in ${snap.answersFile} (commit it with the deployment; shipshape check reads it).`;
  return `${saved}\n${snap.done} of ${snap.total} done. To go on where you left off: ${again}\n`;
}
