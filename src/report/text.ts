import type {ItemStatus} from '../model/types.js';
import {answerLine, fromPack, problemLine, type Report} from './model.js';
import {evidenceLine, STATUS_WORD, count} from '../model/types.js';
import {defineFormat} from './define.js';

const COLOR: Record<ItemStatus, string> = {pass: '32', fail: '31', warn: '33', error: '35', skip: '90', manual: '36'};

export interface TextOptions {
  color: boolean;
  /** Show evidence for passing items too. */
  verbose?: boolean;
}

/** A readable table: status words always present, colour only as an extra. */
export function toText(r: Report, o: TextOptions): string {
  const paint = (s: ItemStatus, text: string) => (o.color ? `\u001b[${COLOR[s]}m${text}\u001b[0m` : text);
  const bold = (t: string) => (o.color ? `\u001b[1m${t}\u001b[0m` : t);
  const lines: string[] = [];
  const inputs = Object.entries(r.inputs)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  lines.push(bold(`${r.pack.title} (pack ${r.pack.id} ${r.pack.version})`));
  lines.push(`${r.dir}${inputs ? `  [${inputs}]` : ''}`);
  if (r.problems.length > 0) {
    lines.push('', bold('Files that could not be read (items that need them are errors):'));
    for (const p of r.problems) lines.push(`  ${problemLine(p)}`);
  }
  let section = '';
  for (const i of r.items) {
    if (i.section !== section) {
      section = i.section;
      lines.push('', bold(i.sectionTitle));
    }
    const status = paint(i.status, STATUS_WORD[i.status].padEnd(6));
    lines.push(`  ${status} ${i.severity.padEnd(8)} ${i.title}${fromPack(r, i)}`);
    const quiet = i.status === 'pass' || i.status === 'skip';
    if (quiet && !o.verbose) continue;
    lines.push(`         ${i.id}: ${i.message}`);
    const said = answerLine(i.answer);
    if (said && !i.message.includes(said.slice(0, 20))) lines.push(`         answer: ${said}`);
    for (const e of i.evidence.slice(0, 8)) lines.push(`           ${evidenceLine(e)}`);
    if (i.evidence.length > 8) lines.push(`           … ${i.evidence.length - 8} more`);
  }
  const s = r.summary;
  lines.push(
    '',
    `${s.pass} pass, ${s.fail} fail, ${s.warn} warn, ${s.error} error, ${s.manual} to confirm, ${s.skip} skipped (${count(r.items.length, 'item')})`,
  );
  return `${lines.join('\n')}\n`;
}

export const text = defineFormat({
  id: 'text',
  ext: 'txt',
  summary: 'A readable table for a terminal: status words always, colour as an extra.',
  render: (r, o) => toText(r, o),
});
