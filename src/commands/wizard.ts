import {mark} from '../timing.js';
import {DIR, INPUT, PACK, defineCommand} from './define.js';

/**
 * The interactive walk. A full terminal gets the Ink wizard; `--plain`, or a pipe on either
 * side, gets the line-by-line prompts; no terminal at all is refused with what to run instead.
 */
export const walk = defineCommand({
  name: 'walk',
  summary: 'Walk the checklist item by item (the default command); progress is saved after every answer.',
  usage: '[walk] [--dir DIR] [--pack ID|FILE] [--input KEY=VALUE ...] [--as NAME] [--plain]',
  help: `Opens the wizard on the deployment in --dir (default: here). It runs every check, shows the
evidence, and asks a person only what no program can see. Each answer is written before the
screen moves on: answers to shipshape-answers.json in the deployment (commit it), where you left
off to your config directory.

--plain asks line by line (also chosen when stdin or stdout is not a terminal).
--as NAME records answers under this name (default: git's user.name, else the login name).`,
  options: {...DIR, ...PACK, ...INPUT, plain: {type: 'boolean'}, as: {type: 'string'}},
  async run(v, _pos, {out, err}) {
    const inTty = Boolean(process.stdin.isTTY);
    const outTty = Boolean(out.isTTY);
    if (!v.plain && !inTty && !outTty) {
      err.write(
        'shipshape: there is no terminal to ask questions on.\n' +
          '  In CI or a script, run `shipshape check` (add --format json|sarif|junit).\n' +
          '  To answer line by line from a pipe or a file, run `shipshape --plain`.\n',
      );
      return 2;
    }
    const plain = v.plain || !inTty || !outTty;
    mark('wizard command');
    // Load the front end while the pack and the progress load: the first frame waits for both.
    const {Wizard} = await import('../wizard/controller.js');
    const [wizard, ui] = await Promise.all([
      Wizard.open({dir: v.dir, pack: v.pack, inputs: v.input ?? [], who: v.as}).then((w) => {
        mark('wizard open');
        return w;
      }),
      (plain ? import('../plain/plainWizard.js') : import('../ui/load.js').then((m) => m.loadTui())).then((m) => {
        mark('front end loaded');
        return m;
      }),
    ]);
    // Personal progress that cannot be kept (no home directory, a file where its directory
    // should be, a symlinked progress file) is said plainly and the walk goes on: answers are
    // saved in the deployment, apart from it.
    const notice = () => (wizard.store.disabled ? progressNotice(wizard.store.disabled, wizard.answers.path) : undefined);
    if ('runPlain' in ui) {
      await wizard.ready();
      const said = notice();
      if (said) out.write(`${said}\n\n`);
      return (await ui.runPlain(wizard, out)) ?? 0;
    }
    await ui.runTui(wizard);
    // The full screen is gone now: say it where it stays readable.
    const said = notice();
    if (said) err.write(`${said}\n`);
    return 0;
  },
});

/** What a front end says when personal progress is not kept this run. */
export function progressNotice(reason: string, answersFile: string): string {
  return `Personal progress (where you left off) will not be kept this time: ${reason}\nYour answers are still saved in ${answersFile}.`;
}
