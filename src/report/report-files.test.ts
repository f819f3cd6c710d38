import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { reportFileNames } from './render';
import { writeReportFiles } from './report-files';
import { resolveWindowOptions, WindowAggregator } from './window';

const START = Date.UTC(2026, 10, 25, 10, 0, 0);

function report(levels: Array<'INFO' | 'ERROR'>) {
  const agg = new WindowAggregator(resolveWindowOptions({ mode: 'event', sizeMs: 60_000, closeOnAdd: false }), () => START);
  levels.forEach((level, i) => agg.add({ timeMs: START + i, arrivalMs: START, level, source: 'host-a', message: level === 'ERROR' ? 'disk full' : '' }));
  return agg.flushOpen()[0];
}

describe('writeReportFiles', () => {
  it('writes the window as JSON, CSV and text under names that carry the topic token and the window start, and rewrites them whole', () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-report-files-')), 'reports');
    const decision = { alert: false, reasons: [], suppressed: undefined, lastAlertStartMs: undefined };
    try {
      writeReportFiles(dir, report(['INFO', 'INFO']), decision, 'logpipe.lines');
      const names = reportFileNames({ startMs: START }, 'logpipe.lines');
      expect(fs.readdirSync(dir).sort()).toEqual([names.csv, names.json, names.txt].sort());
      expect(names.json).toBe('logpipe_2elines.2026-11-25T10-00-00Z.json');
      expect(JSON.parse(fs.readFileSync(path.join(dir, names.json), 'utf8'))).toMatchObject({ total: 2 });
      // Written again (the window reported again after a crash): the same names, the new content, no temporary file left.
      writeReportFiles(dir, report(['INFO', 'INFO', 'ERROR']), decision, 'logpipe.lines');
      expect(fs.readdirSync(dir).sort()).toEqual([names.csv, names.json, names.txt].sort());
      expect(JSON.parse(fs.readFileSync(path.join(dir, names.json), 'utf8'))).toMatchObject({ total: 3 });
      expect(fs.readFileSync(path.join(dir, names.txt), 'utf8')).toContain('ERROR');
      expect(fs.readFileSync(path.join(dir, names.csv), 'utf8').length).toBeGreaterThan(0);
    } finally {
      fs.rmSync(path.dirname(dir), { recursive: true, force: true });
    }
  });

  it('throws when the directory cannot be made (the stage logs it; the report topic has the report)', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-report-files-')), 'not-a-dir');
    fs.writeFileSync(file, '');
    try {
      expect(() => writeReportFiles(path.join(file, 'reports'), report(['INFO']), { alert: false, reasons: [], suppressed: undefined, lastAlertStartMs: undefined }, 't')).toThrow();
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });
});
