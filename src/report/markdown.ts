import {answerLine, fromPack, problemLine, where, type Report} from './model.js';
import {defineFormat} from './define.js';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

export function toMarkdown(r: Report): string {
  const out: string[] = [];
  out.push(`# ${r.pack.title}`, '', `Pack \`${r.pack.id}\` ${r.pack.version}, deployment \`${r.dir}\`, shipshape ${r.version}.`, '');
  const s = r.summary;
  out.push(`**${s.pass} pass, ${s.fail} fail, ${s.warn} warn, ${s.error} error, ${s.manual} to confirm, ${s.skip} skipped.**`, '');
  if (r.problems.length > 0) {
    out.push('**Files that could not be read** (items that need them could not be decided):', '');
    for (const p of r.problems) out.push(`- \`${problemLine(p)}\``);
    out.push('');
  }
  let section = '';
  for (const i of r.items) {
    if (i.section !== section) {
      section = i.section;
      out.push(`## ${i.sectionTitle}`, '', '| status | severity | item | result | evidence | how to fix |', '|---|---|---|---|---|---|');
    }
    const ev = i.evidence
      .slice(0, 5)
      .map((e) => cell(`${where(e) ? `\`${where(e)}\` ` : ''}${e.detail}`))
      .join('<br>');
    const said = answerLine(i.answer);
    const fix = i.status === 'pass' || i.status === 'skip' ? '' : cell(i.how);
    out.push(
      `| ${i.status.toUpperCase()} | ${i.severity} | ${cell(i.title)} (\`${i.id}\`${fromPack(r, i)}) | ${cell(i.message)}${said ? `<br>answer: ${cell(said)}` : ''} | ${ev} | ${fix} |`,
    );
    const next = r.items[r.items.indexOf(i) + 1];
    if (!next || next.section !== section) out.push('');
  }
  return out.join('\n');
}

export const markdown = defineFormat({
  id: 'markdown',
  ext: 'md',
  summary: 'Markdown for a wiki page or a pull request.',
  render: (r) => toMarkdown(r),
});
