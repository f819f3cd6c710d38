import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { createLogger } from '../system/logging';
import { renderCsv, renderJson, renderText, reportFileNames } from './render';
import { ReportFileWriter, writeReportFiles } from './report-files';
import type { AlertDecision } from './rules';
import { WindowAggregator, type WindowReport } from './window';

const START = Date.UTC(2026, 10, 26, 10, 41);
const DECISION: AlertDecision = { alert: true, reasons: ['2 ERROR entries'], suppressed: undefined, lastAlertStartMs: START };

function windowAt(startMs: number): WindowReport {
  const agg = new WindowAggregator({}, () => 0);
  for (let i = 0; i < 2; i++) agg.add({ timeMs: startMs + i, arrivalMs: startMs + i, level: 'ERROR', source: 'a.log', message: 'boom' });
  return agg.closeAll()[0];
}

function silentLog(): { log: ReturnType<typeof createLogger>; lines: string[] } {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (d: Buffer) => lines.push(d.toString()));
  return { log: createLogger({ level: 'error', format: 'json', stream }), lines };
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-report-files-'));
}

describe('writeReportFiles', () => {
  it('writes the three files of a window whole, creating the directory, and leaves no temporary file', async () => {
    const dir = path.join(tempDir(), 'nested', 'reports');
    const report = windowAt(START);
    await writeReportFiles(dir, report, DECISION, 'logpipe.lines');
    const names = reportFileNames(report, 'logpipe.lines');
    expect(fs.readdirSync(dir).sort()).toEqual([names.csv, names.json, names.txt].sort());
    expect(fs.readFileSync(path.join(dir, names.json), 'utf8')).toBe(renderJson(report, DECISION));
    expect(fs.readFileSync(path.join(dir, names.csv), 'utf8')).toBe(renderCsv(report));
    expect(fs.readFileSync(path.join(dir, names.txt), 'utf8')).toBe(renderText(report, DECISION));
  });
});

describe('ReportFileWriter', () => {
  // The stage calls onReport (the CLI's stdout line) once a window's files are written, and counts
  // itself idle only with nothing pending: both rely on this order and on drain().
  it('writes windows one after another in the order queued; pending counts what is not written; drain waits for all', async () => {
    const order: string[] = [];
    const releases: Array<() => void> = [];
    const slowWrite = (_dir: string, report: WindowReport): Promise<void> =>
      new Promise<void>((resolve) => {
        order.push(`start ${report.startMs}`);
        releases.push(() => {
          order.push(`end ${report.startMs}`);
          resolve();
        });
      });
    const writer = new ReportFileWriter('unused', 't', silentLog().log, slowWrite);
    const done: number[] = [];
    for (const start of [START, START + 60_000, START + 120_000]) void writer.enqueue(windowAt(start), DECISION).then(() => done.push(start));
    expect(writer.pending).toBe(3);
    let drained = false;
    void writer.drain().then(() => (drained = true));
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setImmediate(r));
      expect(releases).toHaveLength(i + 1);
      releases[i]();
      await new Promise((r) => setImmediate(r));
      expect(writer.pending).toBe(2 - i);
      expect(drained).toBe(i === 2);
    }
    expect(order).toEqual([`start ${START}`, `end ${START}`, `start ${START + 60_000}`, `end ${START + 60_000}`, `start ${START + 120_000}`, `end ${START + 120_000}`]);
    expect(done).toEqual([START, START + 60_000, START + 120_000]);
  });

  it('logs a failed write and goes on with the next window; never rejects', async () => {
    const { log, lines } = silentLog();
    const file = path.join(tempDir(), 'a-file');
    fs.writeFileSync(file, 'not a directory');
    const failing = new ReportFileWriter(path.join(file, 'reports'), 't', log);
    await expect(failing.enqueue(windowAt(START), DECISION)).resolves.toBeUndefined();
    expect(failing.pending).toBe(0);
    expect(lines.join('')).toContain('could not write report files');

    const dir = tempDir();
    const writer = new ReportFileWriter(dir, 't', log);
    await writer.enqueue(windowAt(START), DECISION);
    expect(fs.readdirSync(dir)).toHaveLength(3);
  });
});
