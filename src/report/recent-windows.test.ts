import { emptyCounts } from '../model/levels';
import { RecentWindows } from './recent-windows';
import type { AlertDecision } from './rules';
import { windowId, type WindowReport } from './window';

const START = Date.UTC(2026, 10, 26, 10, 41);

function report(startMs: number, errors: number): WindowReport {
  const counts = { ...emptyCounts(), ERROR: errors, INFO: 10 };
  return { id: windowId(60_000, startMs), sizeMs: 60_000, startMs, endMs: startMs + 60_000, counts, total: errors + 10, sources: {}, topErrors: [], firstEventMs: startMs, lastEventMs: startMs + 59_000, late: 1, future: 0 };
}

const quiet: AlertDecision = { alert: false, reasons: [], suppressed: undefined, lastAlertStartMs: undefined };
const alerting: AlertDecision = { alert: true, reasons: ['3 ERROR entries, more than the threshold of 1'], suppressed: undefined, lastAlertStartMs: START };
const suppressed: AlertDecision = { alert: false, reasons: ['2 ERROR entries, more than the threshold of 1'], suppressed: 'the previous alert is 60000 ms away', lastAlertStartMs: START };

describe('RecentWindows', () => {
  it('keeps what the dashboard needs of a window, with its report files', () => {
    const recent = new RecentWindows(true, 'logpipe.lines');
    recent.add(report(START, 3), alerting, START + 70_000);
    expect(recent.list()).toEqual([
      {
        id: `60000@${START}`,
        startMs: START,
        endMs: START + 60_000,
        counts: { ...emptyCounts(), ERROR: 3, INFO: 10 },
        total: 13,
        late: 1,
        future: 0,
        alert: true,
        reasons: ['3 ERROR entries, more than the threshold of 1'],
        suppressed: null,
        email: 'pending',
        files: { json: 'logpipe_2elines.2026-11-26T10-41-00Z.json', txt: 'logpipe_2elines.2026-11-26T10-41-00Z.txt' },
        reportedMs: START + 70_000,
      },
    ]);
  });

  // The dashboard's alert list shows what became of each alert email.
  it('tracks the email state: pending until sent or failed for good; suppressed and disabled as decided', () => {
    const recent = new RecentWindows(true, 'logpipe.lines');
    recent.add(report(START, 0), quiet, 0);
    recent.add(report(START + 60_000, 3), alerting, 0);
    recent.add(report(START + 120_000, 2), suppressed, 0);
    recent.add(report(START + 180_000, 3), alerting, 0);
    recent.email(`60000@${START + 60_000}`, 'sent');
    recent.email(`60000@${START + 180_000}`, 'failed');
    // A state once final stays; unknown windows are ignored.
    recent.email(`60000@${START + 180_000}`, 'sent');
    recent.email('60000@0', 'sent');
    expect(recent.list().map((w) => w.email)).toEqual([null, 'sent', 'suppressed', 'failed']);
    const off = new RecentWindows(false, 'logpipe.lines');
    off.add(report(START, 3), alerting, 0);
    expect(off.list()[0].email).toBe('disabled');
  });

  it('holds at most `capacity` windows, dropping the oldest published; a republished window replaces its entry', () => {
    const recent = new RecentWindows(true, 'logpipe.lines', 3);
    for (let i = 0; i < 5; i++) recent.add(report(START + i * 60_000, 0), quiet, i);
    expect(recent.list().map((w) => w.startMs)).toEqual([START + 120_000, START + 180_000, START + 240_000]);
    recent.add(report(START + 120_000, 5), alerting, 9);
    expect(recent.list().map((w) => [w.startMs, w.counts.ERROR])).toEqual([
      [START + 180_000, 0],
      [START + 240_000, 0],
      [START + 120_000, 5],
    ]);
  });

  it('hands out copies: changing one does not change what it holds', () => {
    const recent = new RecentWindows(true, 'logpipe.lines');
    recent.add(report(START, 3), alerting, 0);
    const [w] = recent.list();
    w.counts.ERROR = 99;
    w.reasons.push('x');
    expect(recent.list()[0]).toMatchObject({ counts: { ERROR: 3 }, reasons: ['3 ERROR entries, more than the threshold of 1'] });
  });
});
