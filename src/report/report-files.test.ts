import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { reportFileNames } from './render';
import { PassThrough } from 'node:stream';
import { createLogger } from '../system/observability/logging';
import { ReportFileWriter, writeReportFiles } from './report-files';
import type { AlertDecision } from './rules';
import type { WindowReport } from './window';
import { resolveWindowOptions, WindowAggregator } from './window';

const START = Date.UTC(2026, 10, 25, 10, 0, 0);

function report(levels: Array<'INFO' | 'ERROR'>) {
  const agg = new WindowAggregator(resolveWindowOptions({ mode: 'event', sizeMs: 60_000, closeOnAdd: false }), () => START);
  levels.forEach((level, i) => agg.add({ timeMs: START + i, arrivalMs: START, level, source: 'host-a', message: level === 'ERROR' ? 'disk full' : '' }));
  return agg.flushOpen()[0];
}

describe('writeReportFiles', () => {
  it('writes the window as JSON, CSV and text under names that carry the topic token and the window start, and rewrites them whole', async () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-report-files-')), 'reports');
    const decision = { alert: false, reasons: [], suppressed: undefined, lastAlertStartMs: undefined };
    try {
      await writeReportFiles(dir, report(['INFO', 'INFO']), decision, 'logpipe.lines');
      const names = reportFileNames({ startMs: START }, 'logpipe.lines');
      expect(fs.readdirSync(dir).sort()).toEqual([names.csv, names.json, names.txt].sort());
      expect(names.json).toBe('logpipe_2elines.2026-11-25T10-00-00Z.json');
      expect(JSON.parse(fs.readFileSync(path.join(dir, names.json), 'utf8'))).toMatchObject({ total: 2 });
      // Written again (the window reported again after a crash): the same names, the new content, no temporary file left.
      await writeReportFiles(dir, report(['INFO', 'INFO', 'ERROR']), decision, 'logpipe.lines');
      expect(fs.readdirSync(dir).sort()).toEqual([names.csv, names.json, names.txt].sort());
      expect(JSON.parse(fs.readFileSync(path.join(dir, names.json), 'utf8'))).toMatchObject({ total: 3 });
      expect(fs.readFileSync(path.join(dir, names.txt), 'utf8')).toContain('ERROR');
      expect(fs.readFileSync(path.join(dir, names.csv), 'utf8').length).toBeGreaterThan(0);
    } finally {
      fs.rmSync(path.dirname(dir), { recursive: true, force: true });
    }
  });

  it('rejects when the directory cannot be made (the writer logs it; the report topic has the report)', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-report-files-')), 'not-a-dir');
    fs.writeFileSync(file, '');
    try {
      await expect(writeReportFiles(path.join(file, 'reports'), report(['INFO']), { alert: false, reasons: [], suppressed: undefined, lastAlertStartMs: undefined }, 't')).rejects.toThrow();
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });
});

const DECISION: AlertDecision = { alert: true, reasons: ['2 ERROR entries'], suppressed: undefined, lastAlertStartMs: START };

function windowAt(startMs: number): WindowReport {
  const agg = new WindowAggregator(resolveWindowOptions({ mode: 'event', sizeMs: 60_000, closeOnAdd: false }), () => startMs);
  for (let i = 0; i < 2; i++) agg.add({ timeMs: startMs + i, arrivalMs: startMs + i, level: 'ERROR', source: 'a.log', message: 'boom' });
  return agg.flushOpen()[0];
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
