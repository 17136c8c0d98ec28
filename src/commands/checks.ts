import {defineCommand} from './define.js';

/** One line per check, with its params as JSON Schema says them (the README's table comes from here too). */
export const checks = defineCommand({
  name: 'checks',
  summary: 'List every check id and its parameters (for pack authors).',
  usage: 'checks',
  help: 'Lists every check a pack can name in verify:, with a summary and its parameters.',
  options: {},
  async run(_v, _pos, {out}) {
    const [{CHECKS}, {paramList}] = await Promise.all([import('../checks/index.js'), import('./paramList.js')]);
    for (const def of CHECKS.values()) {
      out.write(`${def.id}\n  ${def.summary}\n`);
      for (const [name, type] of paramList(def.params)) out.write(`    ${name}: ${type}\n`);
    }
    return 0;
  },
});
