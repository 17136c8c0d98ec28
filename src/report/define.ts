import type {Report} from './model.js';

export interface RenderOptions {
  color: boolean;
  /** Show evidence for passing items too. */
  verbose?: boolean;
}

/** One output format: its id (for --format), the file extension for --out, and how it renders. */
export interface ReportFormat {
  id: string;
  ext: string;
  summary: string;
  render(report: Report, o: RenderOptions): string;
}

export function defineFormat(def: ReportFormat): ReportFormat {
  return def;
}
