import type {Report, ReportItem} from './model.js';
import {defineFormat} from './define.js';

const LEVEL: Record<string, string> = {fail: 'error', warn: 'warning', error: 'note', manual: 'note'};
const RANK: Record<string, string> = {critical: '9.5', high: '8.0', medium: '5.5', low: '3.0'};

/** SARIF 2.1.0: one rule per item, one result per open item, located at its evidence. */
export function toSarif(r: Report): string {
  const reported = r.items.filter((i) => LEVEL[i.status] !== undefined);
  return JSON.stringify(
    {
      $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
      version: '2.1.0',
      runs: [
        {
          tool: {
            driver: {
              name: 'shipshape',
              version: r.version,
              rules: r.items.map((i) => ({
                id: `${r.pack.id}/${i.id}`,
                name: i.id,
                shortDescription: {text: i.title},
                fullDescription: {text: i.why},
                help: {text: i.how},
                properties: {'security-severity': RANK[i.severity], tags: ['security', r.pack.id, i.section]},
              })),
            },
          },
          originalUriBaseIds: {ROOT: {uri: `file://${r.dir.endsWith('/') ? r.dir : `${r.dir}/`}`}},
          results: reported.map((i) => result(r, i)),
        },
      ],
    },
    null,
    2,
  );
}

function result(r: Report, i: ReportItem) {
  const located = i.evidence.filter((e) => e.file);
  return {
    ruleId: `${r.pack.id}/${i.id}`,
    level: LEVEL[i.status],
    message: {text: `${i.status.toUpperCase()}: ${i.message}`},
    ...(i.answer ? {properties: {answer: i.answer}} : {}),
    locations: located.slice(0, 10).map((e) => ({
      physicalLocation: {artifactLocation: {uri: e.file, uriBaseId: 'ROOT'}, ...(e.line ? {region: {startLine: e.line}} : {})},
      message: {text: e.detail},
    })),
  };
}

export const sarif = defineFormat({
  id: 'sarif',
  ext: 'sarif',
  summary: 'SARIF 2.1.0 for code-scanning dashboards.',
  render: (r) => `${toSarif(r)}\n`,
});
