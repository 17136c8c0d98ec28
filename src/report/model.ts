import type {FinalItem} from '../engine/answers.js';
import {ITEM_STATUSES, SEVERITY_RANK, type Evidence, type ItemStatus, type Severity} from '../model/types.js';
import type {Pack} from '../pack/schema.js';
import {VERSION} from '../version.js';

export interface ReportItem {
  id: string;
  section: string;
  sectionTitle: string;
  title: string;
  severity: Severity;
  status: ItemStatus;
  message: string;
  evidence: Evidence[];
  how: string;
  why: string;
}

export interface Report {
  version: string;
  pack: {id: string; title: string; version: string};
  dir: string;
  inputs: Record<string, string>;
  items: ReportItem[];
  summary: Record<ItemStatus, number>;
}

export function buildReport(pack: Pack, dir: string, inputs: Record<string, string>, finals: readonly FinalItem[]): Report {
  const byId = new Map(finals.map((f) => [f.id, f]));
  const items: ReportItem[] = [];
  for (const section of pack.sections) {
    for (const item of section.items) {
      const f = byId.get(item.id);
      if (!f) continue;
      items.push({id: item.id, section: section.id, sectionTitle: section.title, title: item.title, severity: item.severity, status: f.status, message: f.message, evidence: f.evidence, how: item.how, why: item.why});
    }
  }
  const summary = Object.fromEntries(ITEM_STATUSES.map((s) => [s, 0])) as Record<ItemStatus, number>;
  for (const i of items) summary[i.status]++;
  return {version: VERSION, pack: {id: pack.id, title: pack.title, version: pack.version}, dir, inputs, items, summary};
}

/** Items that fail at or above the threshold: what makes `check` exit 1. */
export function failing(report: Report, threshold: Severity): ReportItem[] {
  return report.items.filter((i) => i.status === 'fail' && SEVERITY_RANK[i.severity] >= SEVERITY_RANK[threshold]);
}

export function where(e: Evidence): string {
  return e.file ? `${e.file}${e.line ? `:${e.line}` : ''}` : '';
}
