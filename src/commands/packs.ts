import {defineCommand} from './define.js';

export const packs = defineCommand({
  name: 'packs',
  summary: 'List the built-in packs.',
  usage: 'packs',
  help: 'Lists the built-in packs: id, version, number of items, title and file.',
  options: {},
  async run(_v, _pos, {out}) {
    const {loadBuiltins} = await import('../engine/session.js');
    for (const {pack, file} of await loadBuiltins()) {
      const items = pack.sections.reduce((n, s) => n + s.items.length, 0);
      out.write(
        `${pack.id.padEnd(16)} ${pack.version.padEnd(8)} ${String(items).padStart(3)} ${items === 1 ? 'item ' : 'items'}  ${pack.title}\n${' '.repeat(17)}${file}\n`,
      );
    }
    return 0;
  },
});
