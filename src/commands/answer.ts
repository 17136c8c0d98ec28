import {UsageError} from '../model/errors.js';
import {DIR, INPUT, PACK, defineCommand} from './define.js';

export const answer = defineCommand({
  name: 'answer',
  summary: 'Record an answer for one item without the wizard, for scripts and CI.',
  usage:
    'answer ITEM (--confirm | --decline | --waive --reason TEXT [--owner NAME] [--expires YYYY-MM-DD])\n      [--note TEXT] [--date YYYY-MM-DD] [--as NAME] [--dir DIR] [--pack ID|FILE] [--input KEY=VALUE ...]',
  help: `Records what a person says about one item in the deployment's answers file
(shipshape-answers.json), exactly as the wizard would: who (--as, else git's user.name, else the
login name), when, and the note. An item whose checks alone decide it cannot be confirmed; an
item with checks and a question runs its checks first, so that a later change in what they show
asks for a new confirmation.

Exit codes: 0 recorded; 2 unknown item, bad date, missing reason or a refused confirmation.`,
  options: {
    ...DIR,
    ...PACK,
    ...INPUT,
    confirm: {type: 'boolean'},
    decline: {type: 'boolean'},
    waive: {type: 'boolean'},
    reason: {type: 'string'},
    owner: {type: 'string'},
    expires: {type: 'string'},
    date: {type: 'string'},
    note: {type: 'string'},
    as: {type: 'string'},
  },
  positionals: {min: 1, max: 1},
  async run(v, [itemId], io) {
    const kinds = (['confirm', 'decline', 'waive'] as const).filter((k) => v[k]);
    if (kinds.length !== 1) throw new UsageError('say exactly one of --confirm, --decline or --waive');
    const kind = kinds[0]!;
    if (kind !== 'waive' && (v.reason !== undefined || v.owner !== undefined || v.expires !== undefined)) {
      throw new UsageError('--reason, --owner and --expires go with --waive');
    }
    const {Wizard, AnswerError} = await import('../wizard/controller.js');
    const wizard = await Wizard.open({dir: v.dir, pack: v.pack, inputs: v.input ?? [], who: v.as});
    if (!wizard.getSnapshot().items.some((i) => i.id === itemId)) {
      const ids = wizard.getSnapshot().items.map((i) => i.id);
      const near = ids.filter((id) => id.includes(itemId!) || itemId!.includes(id)).slice(0, 5);
      throw new UsageError(
        `no item ${itemId} in pack ${wizard.getSnapshot().pack.id}${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}; shipshape check --format json lists every id`,
      );
    }
    await wizard.ready();
    try {
      const by = wizard.who;
      if (kind === 'confirm') {
        await wizard.run([itemId!]);
        wizard.confirm(itemId!, {by, note: v.note, date: v.date});
      } else if (kind === 'decline') wizard.decline(itemId!, {by, note: v.note});
      else wizard.waive(itemId!, {by, note: v.note, reason: v.reason, owner: v.owner, expires: v.expires});
      if (v.note !== undefined && kind !== 'decline') wizard.note(itemId!, v.note, by);
    } catch (err) {
      if (err instanceof AnswerError) throw new UsageError(`${itemId}: ${err.message}`);
      throw err;
    } finally {
      wizard.close();
    }
    const item = wizard.getSnapshot().items.find((i) => i.id === itemId)!;
    io.out.write(
      `${itemId}: ${kind === 'confirm' ? 'confirmed' : kind === 'decline' ? 'declined' : 'waived'} by ${wizard.who}, recorded in ${wizard.getSnapshot().answersFile}\n  now ${item.status}: ${item.message}\n`,
    );
    return 0;
  },
});
