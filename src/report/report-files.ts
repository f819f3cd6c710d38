/**
 * The report files of a window: `<report.dir>/<topic token>.<window-start>.json`, `.csv` and `.txt`,
 * written after the window's report is committed. The report topic holds the report; the files are
 * idempotent rewrites of it (a window reported again after a crash rewrites the same names).
 */
import fs from 'node:fs';
import path from 'node:path';
import { renderCsv, renderJson, renderText, reportFileNames } from './render';
import type { AlertDecision } from './rules';
import type { WindowReport } from './window';

/** Writes `<topic token>.<window-start>.json`, `.csv` and `.txt` (reportFileNames; each via a temporary file and a rename). */
export function writeReportFiles(dir: string, report: WindowReport, decision: AlertDecision, topic: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const names = reportFileNames(report, topic);
  const files: Array<[string, string]> = [
    [names.json, renderJson(report, decision)],
    [names.csv, renderCsv(report)],
    [names.txt, renderText(report, decision)],
  ];
  for (const [name, content] of files) {
    const target = path.join(dir, name);
    const tmp = `${target}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, content);
    fs.renameSync(tmp, target);
  }
}
