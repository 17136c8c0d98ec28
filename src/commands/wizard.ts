import {UsageError} from '../engine/session.js';
import {mark} from '../timing.js';
import {Wizard} from '../wizard/controller.js';

export interface WizardOptions {
  dir?: string;
  pack?: string;
  inputs: string[];
  plain: boolean;
}

/**
 * The interactive walk. A full terminal gets the Ink wizard; `--plain`, or a pipe on either
 * side, gets the line-by-line prompts; no terminal at all is refused with what to run instead.
 */
export async function wizardCommand(o: WizardOptions, out: NodeJS.WriteStream, err: NodeJS.WritableStream): Promise<number> {
  const inTty = Boolean(process.stdin.isTTY);
  const outTty = Boolean(out.isTTY);
  if (!o.plain && !inTty && !outTty) {
    err.write(
      'shipshape: there is no terminal to ask questions on.\n' +
        '  In CI or a script, run `shipshape check` (add --format json|sarif|junit).\n' +
        '  To answer line by line from a pipe or a file, run `shipshape --plain`.\n',
    );
    return 2;
  }
  const plain = o.plain || !inTty || !outTty;
  mark('wizard command');
  // Load the front end while the pack and the progress load: the first frame waits for both.
  const [wizard, ui] = await Promise.all([
    Wizard.open({dir: o.dir, pack: o.pack, inputs: o.inputs}).then((w) => (mark('wizard open'), w)),
    (plain ? import('../plain/plainWizard.js') : import('../ui/run.js')).then((m) => (mark('front end loaded'), m)),
  ]);
  if ('runPlain' in ui) {
    await wizard.ready();
    await ui.runPlain(wizard, out);
  }
  else await ui.runTui(wizard);
  return 0;
}

export {UsageError};
