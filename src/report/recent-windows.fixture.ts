/**
 * Test fixture (not built into dist): a RecentWindow as the report stage hands it to the dashboard,
 * for the dashboard's unit and browser tests. Defaults: a 60 s window of 5 INFO lines on
 * `logpipe.lines`, reported when it ended, no alert; `over` replaces any field.
 */
import { emptyCounts } from '../model/levels';
import type { RecentWindow } from './recent-windows';

const MINUTE = 60_000;

export function recentWindow(startMs: number, over: Partial<RecentWindow> = {}): RecentWindow {
  const stamp = new Date(startMs).toISOString().replace('.000Z', 'Z').replace(/:/g, '-');
  return {
    id: `60000@${startMs}`,
    startMs,
    endMs: startMs + MINUTE,
    counts: { ...emptyCounts(), INFO: 5 },
    total: 5,
    late: 0,
    future: 0,
    alert: false,
    reasons: [],
    suppressed: null,
    email: null,
    files: { json: `logpipe_2elines.${stamp}.json`, txt: `logpipe_2elines.${stamp}.txt` },
    reportedMs: startMs + MINUTE,
    ...over,
  };
}
