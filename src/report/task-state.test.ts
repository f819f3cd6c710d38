import { restoredWindowState, type TaskState, type TaskWindowState } from './task-state';
import { WindowAggregator, type WindowResult } from './window';

const MIN = 60_000;
const OPTIONS = { closeOnAdd: false };

/** An aggregator holding three open windows, on a fixed clock. */
function aggregatorWithWindows(): WindowAggregator {
  const agg = new WindowAggregator(OPTIONS, () => 0);
  for (const t of [10, MIN + 10, 2 * MIN + 10]) {
    agg.add({ timeMs: t, arrivalMs: t, level: 'ERROR', source: 'a.log', message: `boom ${t}` });
    agg.add({ timeMs: t + 1, arrivalMs: t + 1, level: 'INFO', source: 'b.log', message: '' });
  }
  return agg;
}

function task(window: TaskState['window'], layout?: 2): TaskState {
  return { kind: 'task', ...(layout ? { layout } : {}), window, nextOffset: 42, sentHorizon: null, sentIdle: false };
}

const record = (w: WindowResult): TaskWindowState => ({ kind: 'task-window', window: w });

describe('restoredWindowState', () => {
  it('layout 2: the open windows are the window records, in start order; nothing to rewrite', () => {
    const agg = aggregatorWithWindows();
    const full = agg.snapshot();
    const records: Array<[string, TaskWindowState | undefined]> = [...full.open].reverse().map((w) => [`k ${w.startMs}`, record(w)]);
    records.push(['k deleted', undefined]);
    const restored = restoredWindowState(task(agg.snapshot({ open: false }), 2), records);
    expect(restored).toEqual({ window: full, rewrite: undefined });
    const again = new WindowAggregator(OPTIONS, () => 0);
    again.restore(restored.window!);
    expect(again.snapshot()).toEqual(full);
  });

  // A state written before layout 2 (every open window in the task record) must still be read, and
  // the task's first commit must write its windows as records, or a restore of that commit's
  // layout-2 record would find no open windows and lose their counts.
  it('layout 1 (no layout field): the task record\'s own windows; the first commit rewrites them all and deletes window records it does not know', () => {
    const agg = aggregatorWithWindows();
    const legacy = JSON.parse(JSON.stringify(task(agg.snapshot()))) as TaskState;
    const leftover = agg.snapshot().open[0];
    const restored = restoredWindowState(legacy, [['k left over', record(leftover)], ['k gone', undefined]]);
    expect(restored).toEqual({ window: agg.snapshot(), rewrite: { all: true, stale: ['k left over'] } });
    const again = new WindowAggregator(OPTIONS, () => 0);
    again.restore(restored.window!);
    expect(again.takeChanges({ all: restored.rewrite!.all }).open).toEqual(agg.snapshot().open);
  });

  it('no task record: a fresh task; window records without one are deleted on its first commit', () => {
    expect(restoredWindowState(undefined, [])).toEqual({ window: undefined, rewrite: undefined });
    const w = aggregatorWithWindows().snapshot().open[0];
    expect(restoredWindowState(undefined, [['k x', record(w)], ['k y', undefined]])).toEqual({ window: undefined, rewrite: { all: false, stale: ['k x'] } });
  });
});
