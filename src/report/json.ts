import type {Report} from './model.js';
import {defineFormat} from './define.js';

/** The document shared/DESIGN.md promises to CI and other tools; keep its shape stable. */
export function toJson(r: Report): string {
  return JSON.stringify(
    {
      tool: 'shipshape',
      version: r.version,
      pack: r.pack.id,
      dir: r.dir,
      answersFile: r.answersFile ?? null,
      problems: r.problems.map((p) => ({file: p.file, line: p.line ?? null, message: p.message})),
      items: r.items.map((i) => ({
        id: i.id,
        section: i.section,
        // Added to the contract: the pack the item comes from (its own, or one it extends).
        pack: i.pack ?? r.pack.id,
        title: i.title,
        severity: i.severity,
        status: i.status,
        message: i.message,
        evidence: i.evidence.map((e) => ({file: e.file ?? null, line: e.line ?? null, key: e.key ?? null, detail: e.detail})),
        how: i.how,
        answer: i.answer ?? null,
        note: i.note ?? null,
      })),
      summary: r.summary,
    },
    null,
    2,
  );
}

export const json = defineFormat({
  id: 'json',
  ext: 'json',
  summary: 'One JSON document, the shape shared/DESIGN.md promises to CI.',
  render: (r) => `${toJson(r)}\n`,
});
