import {answerLine, where, type Report} from './model.js';
import {defineFormat} from './define.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** JUnit XML: a suite per section, a test case per item; fail -> failure, error -> error, the rest skipped or passed. */
export function toJunit(r: Report): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const sections = [...new Set(r.items.map((i) => i.section))];
  const count = (s: string) => r.items.filter((i) => i.status === s).length;
  out.push(
    `<testsuites name="shipshape ${esc(r.pack.id)}" tests="${r.items.length}" failures="${count('fail')}" errors="${count('error')}" skipped="${count('skip') + count('manual')}">`,
  );
  for (const id of sections) {
    const items = r.items.filter((i) => i.section === id);
    const n = (s: string) => items.filter((i) => i.status === s).length;
    out.push(
      `  <testsuite name="${esc(items[0]!.sectionTitle)}" tests="${items.length}" failures="${n('fail')}" errors="${n('error')}" skipped="${n('skip') + n('manual')}">`,
    );
    for (const i of items) {
      const said = answerLine(i.answer);
      const body = [
        ...i.evidence.map((e) => `${where(e)} ${e.key ?? ''} ${e.detail}`.trim()),
        ...(said ? [`answer: ${said}`] : []),
        ...(i.status === 'fail' ? [`how to fix: ${i.how}`] : []),
      ].join('\n');
      out.push(`    <testcase classname="${esc(`${r.pack.id}.${i.section}`)}" name="${esc(`${i.id}: ${i.title}`)}">`);
      if (i.status === 'fail') out.push(`      <failure message="${esc(i.message)}" type="${i.severity}">${esc(body)}</failure>`);
      else if (i.status === 'error') out.push(`      <error message="${esc(i.message)}">${esc(body)}</error>`);
      else if (i.status === 'skip' || i.status === 'manual') out.push(`      <skipped message="${esc(`${i.status}: ${i.message}`)}"/>`);
      else if (i.status === 'warn') out.push(`      <system-out>${esc(`WARN: ${i.message}\n${body}`)}</system-out>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}

export const junit = defineFormat({
  id: 'junit',
  ext: 'xml',
  summary: 'JUnit XML: one test case per item; items for a person are skipped.',
  render: (r) => toJunit(r),
});
