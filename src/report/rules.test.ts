import { emptyCounts, type LevelCounts } from '../model/levels';
import { type AlertRules, breaches, decideAlert, DEFAULT_ALERT_RULES, resolveAlertRules } from './rules';
import type { WindowReport } from './window';

const MIN = 60_000;

function report(counts: Partial<LevelCounts>, startMs = 0): WindowReport {
  const c = { ...emptyCounts(), ...counts };
  const total = Object.values(c).reduce((a, b) => a + b, 0);
  return { id: `60000@${startMs}`, sizeMs: MIN, startMs, endMs: startMs + MIN, counts: c, total, sources: {}, topErrors: [], firstEventMs: startMs, lastEventMs: startMs, late: 0, future: 0 };
}

const rules = (r: Partial<AlertRules>): AlertRules => resolveAlertRules(r);

describe('default rule: more than 1 ERROR', () => {
  it.each<[number, boolean]>([
    [0, false],
    [1, false],
    [2, true],
    [7, true],
  ])('%d ERROR alerts: %s', (errors, alert) => {
    const d = decideAlert(report({ ERROR: errors, INFO: 100 }), resolveAlertRules(), undefined);
    expect(d.alert).toBe(alert);
    expect(d.reasons).toEqual(alert ? [`${errors} ERROR entries, more than the threshold of 1`] : []);
  });

  it('is the original rule', () => {
    expect(DEFAULT_ALERT_RULES).toEqual({ thresholds: { ERROR: 1 }, errorShare: undefined, minTotal: 0, realertMs: 0 });
  });
});

describe('breaches', () => {
  it.each<[string, Partial<AlertRules>, Partial<LevelCounts>, string[]]>([
    ['a WARN threshold replaces the ERROR one', { thresholds: { WARN: 3 } }, { ERROR: 5, WARN: 3 }, []],
    ['WARN over its threshold', { thresholds: { WARN: 3 } }, { WARN: 4 }, ['4 WARN entries, more than the threshold of 3']],
    ['thresholds report in level order', { thresholds: { UNPARSED: 0, ERROR: 0 } }, { ERROR: 1, UNPARSED: 2 }, ['1 ERROR entry, more than the threshold of 0', '2 UNPARSED entries, more than the threshold of 0']],
    ['share below minTotal does not apply', { thresholds: {}, errorShare: 0.05, minTotal: 100 }, { ERROR: 10, INFO: 40 }, []],
    ['share over the limit', { thresholds: {}, errorShare: 0.05, minTotal: 100 }, { ERROR: 6, INFO: 94 }, ['ERROR share 6% (6 of 100), more than 5%']],
    ['share at the limit is not over it', { thresholds: {}, errorShare: 0.05, minTotal: 100 }, { ERROR: 5, INFO: 95 }, []],
    ['share of an empty window', { thresholds: {}, errorShare: 0 }, {}, []],
    ['threshold and share together', { errorShare: 0.1 }, { ERROR: 2, INFO: 8 }, ['2 ERROR entries, more than the threshold of 1', 'ERROR share 20% (2 of 10), more than 10%']],
  ])('%s', (_name, r, counts, reasons) => {
    expect(breaches(report(counts), rules(r))).toEqual(reasons);
  });
});

describe('re-alert suppression', () => {
  // [previous alert's window start, this window's start, realertMs, alerts]
  it.each<[number | undefined, number, number, boolean]>([
    [undefined, 5 * MIN, 10 * MIN, true],
    [0, MIN, 0, true],
    [0, 0, 0, true],
    [0, 9 * MIN, 10 * MIN, false],
    [0, 10 * MIN, 10 * MIN, true],
    [10 * MIN, MIN, 10 * MIN, false],
    [20 * MIN, 0, 10 * MIN, true],
  ])('previous %s, window %d, realertMs %d: alerts %s', (last, start, realertMs, alert) => {
    const d = decideAlert(report({ ERROR: 5 }, start), rules({ realertMs }), last);
    expect(d.alert).toBe(alert);
    expect(d.reasons).toHaveLength(1);
    expect(d.suppressed === undefined).toBe(alert);
    expect(d.lastAlertStartMs).toBe(alert ? Math.max(start, last ?? -Infinity) : last);
  });

  it('alerts again once a lasting breach passes realertMs', () => {
    const r = rules({ realertMs: 3 * MIN });
    let last: number | undefined;
    const alerted: number[] = [];
    for (let i = 0; i < 8; i++) {
      const d = decideAlert(report({ ERROR: 2 }, i * MIN), r, last);
      if (d.alert) alerted.push(i);
      last = d.lastAlertStartMs;
    }
    expect(alerted).toEqual([0, 3, 6]);
  });

  it('keeps the last alert through windows that do not breach', () => {
    const d = decideAlert(report({ ERROR: 1 }, 2 * MIN), rules({ realertMs: MIN }), 0);
    expect(d).toEqual({ alert: false, reasons: [], suppressed: undefined, lastAlertStartMs: 0 });
  });
});

describe('resolveAlertRules', () => {
  it.each<[Partial<AlertRules>, string]>([
    [{ thresholds: { FATAL: 1 } as never }, 'unknown level "FATAL"'],
    [{ thresholds: { ERROR: -1 } }, 'threshold for ERROR'],
    [{ thresholds: { WARN: 0.5 } }, 'threshold for WARN'],
    [{ errorShare: 1 }, 'errorShare'],
    [{ errorShare: -0.1 }, 'errorShare'],
    [{ errorShare: Number.NaN }, 'errorShare'],
    [{ minTotal: -1 }, 'minTotal'],
    [{ realertMs: 1.5 }, 'realertMs'],
  ])('rejects %j naming the setting', (r, message) => {
    expect(() => resolveAlertRules(r)).toThrow(message);
  });

  it('copies the thresholds, so changing them later does not change the rules', () => {
    const thresholds = { ERROR: 3 };
    const r = resolveAlertRules({ thresholds });
    thresholds.ERROR = 0;
    expect(r.thresholds).toEqual({ ERROR: 3 });
  });
});
