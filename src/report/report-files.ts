/**
 * The report files of closed windows (`<report.dir>/<topic token>.<window start>.json`, `.csv`,
 * `.txt`), written off the consuming path.
 *
 * Contract (docs/report.md, "Files and records"): a window's files are written after its report
 * record is committed, by the process that committed it, in commit order, each whole (a temporary
 * file, then a rename). The writes are asynchronous: the consumers go on reading while the disk
 * works. `drain()` resolves once every queued window's files are written (or failed and logged),
 * which the report stage waits for before it calls itself idle (`--exit-when-idle`) and when it
 * stops. A crash between the commit and the write loses that window's files, as it did when the
 * write was synchronous: the report topic holds the report.
 *
 * Why asynchronous: `fs.writeFileSync` of three files per window blocked the event loop, so every
 * consumer of the process, for as long as the disk took; on a disk shared with a busy broker that
 * was 22% of the stage's CPU profile and more of its wall clock (docs/benchmarks.md).
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../system/observability/logging';
import { renderCsv, renderJson, renderText, reportFileNames } from './render';
import type { AlertDecision } from './rules';
import type { WindowReport } from './window';

/** Writes `<topic token>.<window-start>.json`, `.csv` and `.txt` (reportFileNames), each via a temporary file and a rename. Rejects with the file system's error. */
export async function writeReportFiles(dir: string, report: WindowReport, decision: AlertDecision, topic: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const names = reportFileNames(report, topic);
  const files: Array<[string, string]> = [
    [names.json, renderJson(report, decision)],
    [names.csv, renderCsv(report)],
    [names.txt, renderText(report, decision)],
  ];
  await Promise.all(
    files.map(async ([name, content]) => {
      const target = path.join(dir, name);
      const tmp = `${target}.${process.pid}.tmp`;
      await writeFile(tmp, content);
      await rename(tmp, target);
    }),
  );
}

/** Queues report-file writes and runs them one window after another (see the module comment). */
export class ReportFileWriter {
  private tail: Promise<void> = Promise.resolve();
  private queued = 0;

  /** `write` is the function that writes one window's files (writeReportFiles; replaceable in tests). */
  constructor(
    private readonly dir: string,
    private readonly topic: string,
    private readonly log: Logger,
    private readonly write: typeof writeReportFiles = writeReportFiles,
  ) {}

  /** Windows queued whose files are not written yet. */
  get pending(): number {
    return this.queued;
  }

  /**
   * Queues the files of one committed window; resolves once they are written, or once writing them
   * failed (logged: the report topic has the report). Never rejects. Windows are written in the
   * order they were queued.
   */
  enqueue(report: WindowReport, decision: AlertDecision): Promise<void> {
    this.queued++;
    const done = this.tail.then(async () => {
      try {
        await this.write(this.dir, report, decision, this.topic);
      } catch (err) {
        this.log.error('could not write report files; the report topic has the report', { window: report.id, dir: this.dir, error: (err as Error).message });
      } finally {
        this.queued--;
      }
    });
    this.tail = done;
    return done;
  }

  /** Resolves when every window queued so far has been written (or failed). */
  drain(): Promise<void> {
    return this.tail;
  }
}
