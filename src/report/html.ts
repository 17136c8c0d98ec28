import {SEVERITIES, SEVERITY_RANK, STATUS_WORD, type ItemStatus} from '../model/types.js';
import {answerLine, problemLine, where, type Report, type ReportItem} from './model.js';
import {defineFormat} from './define.js';

// One self-contained page: inline CSS and SVG, no script, no font or image fetched (a Content
// Security Policy forbids any), so it opens from a file:// URL, from a mail attachment or an
// artefact store the same way, and prints on paper with the colours kept. Text is escaped
// everywhere; evidence is the checks' redacted evidence, never a secret value.

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** The order statuses are drawn and counted in: what needs attention first. */
const ORDER: ItemStatus[] = ['fail', 'error', 'manual', 'warn', 'pass', 'skip'];
const COLOR: Record<ItemStatus, string> = {fail: '#c62828', error: '#8e24aa', manual: '#1565c0', warn: '#ef8f00', pass: '#2e7d32', skip: '#9e9e9e'};
const LABEL: Record<ItemStatus, string> = {fail: 'fail', error: 'undecided', manual: 'to confirm', warn: 'warn', pass: 'pass', skip: 'skipped'};

const needsAttention = (i: ReportItem) => i.status === 'fail' || i.status === 'error' || i.status === 'manual' || i.status === 'warn';

/** Failing first, then undecided, to confirm, warnings; the most severe first within each. */
function attentionOrder(a: ReportItem, b: ReportItem): number {
  return ORDER.indexOf(a.status) - ORDER.indexOf(b.status) || SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity];
}

interface SectionTotals {
  id: string;
  title: string;
  items: ReportItem[];
  counts: Record<ItemStatus, number>;
}

function zero(): Record<ItemStatus, number> {
  return {pass: 0, fail: 0, warn: 0, error: 0, skip: 0, manual: 0};
}

function sections(r: Report): SectionTotals[] {
  const out: SectionTotals[] = [];
  for (const i of r.items) {
    let s = out.find((x) => x.id === i.section);
    if (!s) out.push((s = {id: i.section, title: i.sectionTitle, items: [], counts: zero()}));
    s.items.push(i);
    s.counts[i.status]++;
  }
  return out;
}

/** A horizontal stacked bar per section, one segment per status, drawn to the same scale. */
function chart(secs: SectionTotals[]): string {
  const labelW = 250;
  const barW = 560;
  const rowH = 26;
  const top = 8;
  const legendH = 30;
  const max = Math.max(1, ...secs.map((s) => s.items.length));
  const h = top + secs.length * rowH + legendH;
  const rows = secs.map((s, n) => {
    const y = top + n * rowH;
    let x = labelW;
    const segs = ORDER.filter((st) => s.counts[st] > 0).map((st) => {
      const w = (s.counts[st] / max) * barW;
      const seg = `<rect class="seg seg-${st}" data-status="${st}" x="${x.toFixed(1)}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${COLOR[st]}"><title>${esc(`${s.title}: ${s.counts[st]} ${LABEL[st]}`)}</title></rect>`;
      x += w;
      return seg;
    });
    const label = s.title.length > 34 ? `${s.title.slice(0, 33)}…` : s.title;
    const bad = s.counts.fail + s.counts.error;
    return `<g class="row" data-section="${esc(s.id)}"><text x="${labelW - 8}" y="${y + rowH / 2 + 4}" text-anchor="end">${esc(label)}</text>${segs.join('')}<text class="n" x="${(x + 6).toFixed(1)}" y="${y + rowH / 2 + 4}">${s.items.length}${bad ? ` (${bad} open)` : ''}</text></g>`;
  });
  let lx = labelW;
  const legend = ORDER.map((st) => {
    const g = `<rect x="${lx}" y="${h - legendH + 10}" width="12" height="12" fill="${COLOR[st]}"/><text x="${lx + 16}" y="${h - legendH + 21}">${LABEL[st]}</text>`;
    lx += 20 + LABEL[st].length * 7.5 + 14;
    return g;
  });
  return `<svg class="chart" role="img" aria-labelledby="chart-title" viewBox="0 0 ${labelW + barW + 90} ${h}" width="100%" xmlns="http://www.w3.org/2000/svg"><title id="chart-title">Items per section by status</title>${rows.join('')}<g class="legend">${legend.join('')}</g></svg>`;
}

function badge(st: ItemStatus): string {
  return `<span class="badge b-${st}">${STATUS_WORD[st]}</span>`;
}

function sevBadge(sev: string): string {
  return `<span class="sev sev-${sev}">${esc(sev)}</span>`;
}

function itemHtml(i: ReportItem, o: {anchor: string; full: boolean; pack: string}): string {
  const limit = o.full ? 20 : 5;
  const ev = i.evidence.length
    ? `<ul class="evidence">${i.evidence
        .slice(0, limit)
        .map(
          (e) =>
            `<li>${where(e) ? `<code>${esc(where(e))}</code> ` : ''}${e.key && !e.detail.includes(e.key) ? `<code>${esc(e.key)}</code>: ` : ''}${esc(e.detail)}</li>`,
        )
        .join('')}${i.evidence.length > limit ? `<li>… ${i.evidence.length - limit} more</li>` : ''}</ul>`
    : '';
  const a = i.answer;
  const w = a?.waiver;
  const answer = a
    ? `<div class="answer a-${a.status}"><strong>${esc(a.status)}</strong> by ${esc(a.by)} on ${esc(a.at.slice(0, 10))}${a.note ? ` — ${esc(a.note)}` : ''}${a.date ? ` (done on ${esc(a.date)})` : ''}${
        w
          ? `<div class="waiver">Waiver: ${esc(w.reason)}${w.owner ? `; owner <strong>${esc(w.owner)}</strong>` : ''}${w.expires ? `; ${w.expired ? '<strong>expired</strong>' : 'until'} ${esc(w.expires)}` : ''}${w.unneeded ? '; no longer needed, remove it' : ''}</div>`
          : ''
      }</div>`
    : '';
  const note = i.note && i.note.text !== a?.note ? `<div class="note">Note by ${esc(i.note.by)}: ${esc(i.note.text)}</div>` : '';
  const fix = i.status === 'pass' || i.status === 'skip' ? '' : `<div class="how"><strong>How to fix:</strong> ${esc(i.how)}</div>`;
  const why = o.full ? `<div class="why"><strong>Why:</strong> ${esc(i.why)}</div>` : '';
  return `<article class="item st-${i.status}${o.full ? '' : ' compact'}" id="${o.anchor}-${esc(i.id)}" data-status="${i.status}" data-severity="${i.severity}"><h4>${badge(i.status)} ${sevBadge(i.severity)} ${esc(i.title)} <code class="id">${esc(i.id)}</code>${i.pack === undefined || i.pack === o.pack ? '' : ` <span class="from">from ${esc(i.pack)}</span>`}</h4><p class="msg">${esc(i.message)}</p>${answer}${note}${ev}${fix}${why}</article>`;
}

function totalsTable(secs: SectionTotals[], r: Report): string {
  const head = `<tr><th>section</th>${ORDER.map((s) => `<th><span class="dot" style="background:${COLOR[s]}"></span>${LABEL[s]}</th>`).join('')}<th>items</th></tr>`;
  const rows = secs.map(
    (s) =>
      `<tr><td><a href="#sec-${esc(s.id)}">${esc(s.title)}</a></td>${ORDER.map((st) => `<td>${s.counts[st] || ''}</td>`).join('')}<td>${s.items.length}</td></tr>`,
  );
  const sev = SEVERITIES.map((sv) => {
    const items = r.items.filter((i) => i.severity === sv);
    const c = zero();
    for (const i of items) c[i.status]++;
    return `<tr><td>${sevBadge(sv)}</td>${ORDER.map((st) => `<td>${c[st] || ''}</td>`).join('')}<td>${items.length}</td></tr>`;
  });
  return `<table class="totals"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table><table class="totals"><thead>${head.replace('<th>section</th>', '<th>severity</th>')}</thead><tbody>${sev.join('')}</tbody></table>`;
}

const CSS = `
:root{--fg:#1b1f23;--muted:#5f6b76;--bg:#fff;--card:#f6f8fa;--line:#d8dee4}
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1100px;padding:24px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:32px 0 8px;border-bottom:2px solid var(--line);padding-bottom:4px}h3{font-size:17px;margin:24px 0 8px}
h4{font-size:15px;margin:0 0 4px;font-weight:600}
.meta{color:var(--muted);margin:0 0 16px}.meta code{color:var(--fg)}
code{font:13px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--card);padding:1px 4px;border-radius:3px;overflow-wrap:anywhere}
.cards{display:flex;flex-wrap:wrap;gap:8px;margin:16px 0}
.card{flex:1 1 120px;border:1px solid var(--line);border-left:6px solid;border-radius:6px;padding:8px 12px;background:var(--card)}
.card b{display:block;font-size:26px;line-height:1.1}
.chart{max-width:100%;height:auto;font-size:12px;fill:var(--fg)}
.chart .n{fill:var(--muted)}
.totals{border-collapse:collapse;margin:12px 0;font-size:13px;width:100%}
.totals th,.totals td{border:1px solid var(--line);padding:3px 8px;text-align:right}.totals th:first-child,.totals td:first-child{text-align:left}
.dot{display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:4px}
.item{border:1px solid var(--line);border-left:6px solid #9e9e9e;border-radius:6px;padding:10px 14px;margin:10px 0;break-inside:avoid;page-break-inside:avoid}
.st-fail{border-left-color:${COLOR.fail}}.st-error{border-left-color:${COLOR.error}}.st-manual{border-left-color:${COLOR.manual}}.st-warn{border-left-color:${COLOR.warn}}.st-pass{border-left-color:${COLOR.pass}}
.badge{display:inline-block;font-size:11px;font-weight:700;letter-spacing:.04em;color:#fff;border-radius:3px;padding:1px 6px;vertical-align:1px}
${ORDER.map((s) => `.b-${s}{background:${COLOR[s]}}`).join('')}
.sev{display:inline-block;font-size:11px;border:1px solid var(--line);border-radius:3px;padding:0 5px;vertical-align:1px;color:var(--muted)}
.sev-critical{color:#fff;background:#000;border-color:#000}.sev-high{color:#b71c1c;border-color:#b71c1c}
.id{font-size:12px;color:var(--muted);background:none}
.from{font-size:12px;font-weight:normal;color:var(--muted)}
.msg{margin:4px 0}.evidence{margin:4px 0 4px 18px;padding:0;font-size:13px}.how,.why,.note{font-size:13px;margin:4px 0}.why{color:var(--muted)}
.answer{font-size:13px;background:#e8f0fe;border-radius:4px;padding:4px 8px;margin:6px 0}.a-declined{background:#fdecea}.a-waived{background:#fff4e5}
.problems{background:#fdecea;border-radius:6px;padding:8px 12px}
.compact{padding:6px 14px;margin:6px 0}.compact .msg{font-size:13px;color:var(--muted)}
footer{margin-top:40px;color:var(--muted);font-size:12px}
@media print{
  body{max-width:none;padding:0;font-size:11pt}
  *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
  a{color:inherit;text-decoration:none}
  h2{break-after:avoid}
}
`;

/** One HTML page: summary, chart per section, totals, the items that need attention, then every section. */
export function toHtml(r: Report): string {
  const secs = sections(r);
  const s = r.summary;
  const attention = r.items.filter(needsAttention).sort(attentionOrder);
  const inputs = Object.entries(r.inputs);
  const title = `${r.pack.title}: ${s.fail} fail, ${s.error} undecided, ${s.manual} to confirm`;
  const cards = ORDER.map((st) => `<div class="card" data-status="${st}" style="border-left-color:${COLOR[st]}"><b>${s[st]}</b>${LABEL[st]}</div>`).join('');
  const problems = r.problems.length
    ? `<div class="problems"><strong>Files that could not be read</strong> (items that need them could not be decided):<ul>${r.problems.map((p) => `<li><code>${esc(problemLine(p))}</code></li>`).join('')}</ul></div>`
    : '';
  const bySection = secs
    .map((sec) => {
      const items = [...sec.items].sort(attentionOrder);
      return `<section class="section" id="sec-${esc(sec.id)}"><h3>${esc(sec.title)} <span class="meta">${ORDER.filter((st) => sec.counts[st])
        .map((st) => `${sec.counts[st]} ${LABEL[st]}`)
        .join(', ')}</span></h3>${items.map((i) => itemHtml(i, {anchor: 'all', full: false, pack: r.pack.id})).join('')}</section>`;
    })
    .join('');
  const answered = r.items.filter((i) => i.answer);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="shipshape ${esc(r.version)}">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${esc(r.pack.title)}</h1>
<p class="meta">Deployment <code>${esc(r.dir)}</code> · pack <code>${esc(r.pack.id)}</code> ${esc(r.pack.version)} · shipshape ${esc(r.version)}${
    inputs.length ? ` · ${inputs.map(([k, v]) => `<code>${esc(k)}=${esc(v)}</code>`).join(' ')}` : ''
  }${r.answersFile ? ` · answers from <code>${esc(r.answersFile)}</code>` : ''}</p>
</header>
<main>
<div class="cards">${cards}</div>
${problems}
<h2>By section</h2>
${chart(secs)}
${totalsTable(secs, r)}
<h2 id="attention">Needs attention (${attention.length})</h2>
${attention.length ? attention.map((i) => itemHtml(i, {anchor: 'open', full: true, pack: r.pack.id})).join('\n') : '<p>Nothing fails, nothing is undecided, nothing waits for a person.</p>'}
<h2>Answers and waivers (${answered.length})</h2>
${
  answered.length
    ? `<ul class="answers">${answered.map((i) => `<li><a href="#all-${esc(i.id)}"><code>${esc(i.id)}</code></a> ${esc(answerLine(i.answer) ?? '')}</li>`).join('')}</ul>`
    : '<p>No answers recorded yet.</p>'
}
<h2>Every item</h2>
${bySection}
</main>
<footer>Made by shipshape ${esc(r.version)}. Evidence never holds a secret value, only its redaction. Statuses: ${ORDER.map((st) => `${STATUS_WORD[st]} = ${LABEL[st]}`).join(', ')}.</footer>
</body>
</html>
`;
}

export const html = defineFormat({
  id: 'html',
  ext: 'html',
  summary: 'One self-contained HTML page (no network, prints well): a chart per section, failing items first, answers and waivers.',
  render: (r) => toHtml(r),
});
