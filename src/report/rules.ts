/**
 * Alert rules over a closed window. Pure: the only state, the start of the last alerted window, is
 * passed in and handed back, so the caller stores it with the rest of the report state.
 */
import { type Level, LEVELS } from '../model/levels';
import type { WindowReport } from './window';

export interface AlertRules {
  /** Alert when a level's count is greater than its threshold; `{ ERROR: 1 }` means "more than 1". */
  thresholds: Partial<Record<Level, number>>;
  /** Alert when ERROR / total is greater than this fraction (0..1); undefined: no share rule. */
  errorShare: number | undefined;
  /** Share rules apply only to windows with at least this many entries. */
  minTotal: number;
  /**
   * 0: every breaching window alerts. Otherwise a breach is not alerted when its window starts less
   * than realertMs from the window of the previous alert (window start times, so the decision does
   * not depend on when it is made).
   */
  realertMs: number;
}

/** The original's rule: more than 1 ERROR in a window, every such window alerted. */
export const DEFAULT_ALERT_RULES: Readonly<AlertRules> = {
  thresholds: { ERROR: 1 },
  errorShare: undefined,
  minTotal: 0,
  realertMs: 0,
};

export interface AlertDecision {
  /** Send an alert for this window. */
  alert: boolean;
  /** One human-readable sentence per rule that fired; empty when none did. */
  reasons: string[];
  /** Why a breaching window is not alerted; undefined otherwise. */
  suppressed: string | undefined;
  /** The value to pass as `lastAlertStartMs` for the next window. */
  lastAlertStartMs: number | undefined;
}

/**
 * Validates rules over the defaults (a given `thresholds` replaces the default one entirely).
 * Throws a RangeError naming the first bad setting.
 */
export function resolveAlertRules(rules: Partial<AlertRules> = {}): AlertRules {
  const r: AlertRules = { ...DEFAULT_ALERT_RULES, ...rules, thresholds: { ...(rules.thresholds ?? DEFAULT_ALERT_RULES.thresholds) } };
  for (const [level, value] of Object.entries(r.thresholds)) {
    if (!(LEVELS as readonly string[]).includes(level)) throw new RangeError(`alert threshold for unknown level "${level}" (levels: ${LEVELS.join(', ')})`);
    if (!Number.isSafeInteger(value) || (value as number) < 0) throw new RangeError(`alert threshold for ${level} must be a whole number >= 0, got ${String(value)}`);
  }
  if (r.errorShare !== undefined && !(r.errorShare >= 0 && r.errorShare < 1)) {
    throw new RangeError(`alert errorShare must be a fraction from 0 to below 1, got ${String(r.errorShare)}`);
  }
  for (const key of ['minTotal', 'realertMs'] as const) {
    if (!Number.isSafeInteger(r[key]) || r[key] < 0) throw new RangeError(`alert ${key} must be a whole number >= 0, got ${String(r[key])}`);
  }
  return r;
}

/**
 * Which rules the window breaches, as human-readable reasons (thresholds in LEVELS order, then the
 * share rule). Does not validate `rules`; resolveAlertRules() does.
 */
export function breaches(report: WindowReport, rules: AlertRules): string[] {
  const reasons: string[] = [];
  for (const level of LEVELS) {
    const threshold = rules.thresholds[level];
    if (threshold !== undefined && report.counts[level] > threshold) {
      reasons.push(`${report.counts[level]} ${level} ${plural(report.counts[level], 'entry', 'entries')}, more than the threshold of ${threshold}`);
    }
  }
  if (rules.errorShare !== undefined && report.total > 0 && report.total >= rules.minTotal) {
    const share = report.counts.ERROR / report.total;
    if (share > rules.errorShare) {
      reasons.push(`ERROR share ${percent(share)} (${report.counts.ERROR} of ${report.total}), more than ${percent(rules.errorShare)}`);
    }
  }
  return reasons;
}

/**
 * Decides whether a closed window alerts. `lastAlertStartMs` is the start of the last window that
 * alerted (undefined if none); windows may be decided out of order (merged partials, late closes),
 * so suppression looks at the distance either way. A suppressed breach does not move the last
 * alert, so a breach lasting longer than realertMs alerts again.
 */
export function decideAlert(report: WindowReport, rules: AlertRules, lastAlertStartMs: number | undefined): AlertDecision {
  const reasons = breaches(report, rules);
  if (reasons.length === 0) return { alert: false, reasons, suppressed: undefined, lastAlertStartMs };
  if (rules.realertMs > 0 && lastAlertStartMs !== undefined && Math.abs(report.startMs - lastAlertStartMs) < rules.realertMs) {
    const suppressed = `the window of the previous alert starts ${Math.abs(report.startMs - lastAlertStartMs)} ms away, less than realertMs ${rules.realertMs}`;
    return { alert: false, reasons, suppressed, lastAlertStartMs };
  }
  return { alert: true, reasons, suppressed: undefined, lastAlertStartMs: Math.max(report.startMs, lastAlertStartMs ?? -Infinity) };
}

function plural(n: number, one: string, many: string): string {
  return n === 1 ? one : many;
}

function percent(fraction: number): string {
  return `${Number((fraction * 100).toFixed(2))}%`;
}
