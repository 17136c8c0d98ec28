import type {Report} from './model.js';

/** The document shared/DESIGN.md promises to CI and other tools; keep its shape stable. */
export function toJson(r: Report): string {
  return JSON.stringify(
    {
      tool: 'shipshape',
      version: r.version,
      pack: r.pack.id,
      dir: r.dir,
      items: r.items.map((i) => ({
        id: i.id,
        section: i.section,
        title: i.title,
        severity: i.severity,
        status: i.status,
        message: i.message,
        evidence: i.evidence.map((e) => ({file: e.file ?? null, line: e.line ?? null, key: e.key ?? null, detail: e.detail})),
      })),
      summary: r.summary,
    },
    null,
    2,
  );
}
