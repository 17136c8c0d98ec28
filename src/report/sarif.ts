import {pathToFileURL} from 'node:url';
import type {Report, ReportItem} from './model.js';
import {defineFormat} from './define.js';

const LEVEL: Record<string, string> = {fail: 'error', warn: 'warning', error: 'note', manual: 'none'};
/** SARIF 2.1.0 section 3.27.9: a result that is not a failure says what it is; only a person can settle a manual item. */
const KIND: Record<string, string> = {manual: 'review'};

/** A waiver that holds: the item is skipped because a person accepted it, which SARIF says with a suppression. */
const waived = (i: ReportItem) => i.status === 'skip' && i.answer?.waiver !== undefined;
const RANK: Record<string, string> = {critical: '9.5', high: '8.0', medium: '5.5', low: '3.0'};

/**
 * SARIF 2.1.0: one rule per item, one result per open item, located at its evidence. An item for
 * a person is a result of kind `review` (level `none`, as the spec requires for a kind other than
 * `fail`); a waived item is a result with an accepted external suppression carrying the reason.
 */
export function toSarif(r: Report): string {
  const reported = r.items.filter((i) => LEVEL[i.status] !== undefined || waived(i));
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
                // pack: where the item comes from (the report's own pack, or one it extends).
                properties: {'security-severity': RANK[i.severity], tags: ['security', r.pack.id, i.section], pack: i.pack ?? r.pack.id},
              })),
            },
          },
          originalUriBaseIds: {ROOT: {uri: `${pathToFileURL(r.dir).href.replace(/\/?$/, '/')}`}},
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
  const w = waived(i) ? i.answer!.waiver! : undefined;
  return {
    ruleId: `${r.pack.id}/${i.id}`,
    ...(KIND[i.status] ? {kind: KIND[i.status]} : {}),
    level: w ? 'warning' : LEVEL[i.status],
    message: {text: `${w ? 'WAIVED' : i.status.toUpperCase()}: ${i.message}`},
    ...(w
      ? {
          suppressions: [
            {
              kind: 'external',
              status: 'accepted',
              justification: `${w.reason}${w.owner ? ` (owner ${w.owner})` : ''}${w.expires ? ` until ${w.expires}` : ''}`,
              properties: {by: i.answer!.by, at: i.answer!.at, ...(w.owner ? {owner: w.owner} : {}), ...(w.expires ? {expires: w.expires} : {})},
            },
          ],
        }
      : {}),
    ...(i.answer ? {properties: {answer: i.answer}} : {}),
    locations: located.slice(0, 10).map((e) => ({
      physicalLocation: {artifactLocation: {uri: encodeURI(e.file!), uriBaseId: 'ROOT'}, ...(e.line ? {region: {startLine: e.line}} : {})},
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
