import {where, type Report} from './model.js';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

export function toMarkdown(r: Report): string {
  const out: string[] = [];
  out.push(`# ${r.pack.title}`, '', `Pack \`${r.pack.id}\` ${r.pack.version}, deployment \`${r.dir}\`, shipshape ${r.version}.`, '');
  const s = r.summary;
  out.push(`**${s.pass} pass, ${s.fail} fail, ${s.warn} warn, ${s.error} error, ${s.manual} to confirm, ${s.skip} skipped.**`, '');
  let section = '';
  for (const i of r.items) {
    if (i.section !== section) {
      section = i.section;
      out.push(`## ${i.sectionTitle}`, '', '| status | severity | item | result | evidence |', '|---|---|---|---|---|');
    }
    const ev = i.evidence.slice(0, 5).map((e) => cell(`${where(e) ? `\`${where(e)}\` ` : ''}${e.detail}`)).join('<br>');
    out.push(`| ${i.status.toUpperCase()} | ${i.severity} | ${cell(i.title)} (\`${i.id}\`) | ${cell(i.message)} | ${ev} |`);
    const next = r.items[r.items.indexOf(i) + 1];
    if (!next || next.section !== section) out.push('');
  }
  return out.join('\n');
}
