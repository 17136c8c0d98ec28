import type {ReportFormat} from './define.js';
import {html} from './html.js';
import {json} from './json.js';
import {junit} from './junit.js';
import {markdown} from './markdown.js';
import {sarif} from './sarif.js';
import {text} from './text.js';

/** Every report format. Adding one: a file that exports a ReportFormat, and one line here. */
export const FORMATS: readonly ReportFormat[] = [text, json, markdown, sarif, junit, html];

export function formatById(id: string): ReportFormat | undefined {
  return FORMATS.find((f) => f.id === id);
}
