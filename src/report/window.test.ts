import fc from 'fast-check';
import type { Level } from '../model/levels';
import { DEFAULT_WINDOW_OPTIONS, mergeWindowResults, resolveWindowOptions, TOP_ERRORS, toReport, WindowAggregator, type WindowOptions, type WindowRecord, type WindowResult } from './window';

const MIN = 60_000;

function rec(timeMs: number, level: Level = 'INFO', source = 'a.log', message = 'm', arrivalMs = timeMs): WindowRecord {
  return { timeMs, arrivalMs, level, source, message };
}

/** An aggregator on a hand-driven clock. */
function setup(options: Partial<WindowOptions> = {}, start = 0): { agg: WindowAggregator; clock: { now: number } } {
  const clock = { now: start };
  return { agg: new WindowAggregator(options, () => clock.now), clock };
}

describe('window boundaries', () => {
  // [start, start + size): a record exactly at the end belongs to the next window.
  it.each<[number, string]>([
    [0, '60000@0'],
    [59_999, '60000@0'],
    [60_000, '60000@60000'],
    [119_999, '60000@60000'],
    [-1, '60000@-60000'],
  ])('a record at %d ms goes to %s', (timeMs, id) => {
    expect(setup().agg.add(rec(timeMs)).windowId).toBe(id);
  });

  it('counts a record at the end in the next window', () => {
    const { agg } = setup();
    for (const t of [0, 59_999, 60_000]) agg.add(rec(t));
    const results = agg.closeAll();
    expect(results.map((r) => [r.id, r.startMs, r.endMs, r.total])).toEqual([
      ['60000@0', 0, 60_000, 2],
      ['60000@60000', 60_000, 120_000, 1],
    ]);
  });

  it('uses the configured size', () => {
    const { agg } = setup({ sizeMs: 10_000 });
    expect(agg.add(rec(25_000)).windowId).toBe('10000@20000');
  });
});

describe('event-time closing', () => {
  // The window [0, 60000) closes once the watermark (max event time − 5000) reaches 60000.
  it.each<[number, boolean]>([
    [64_999, false],
    [65_000, true],
    [200_000, true],
  ])('after a record at %d ms, window 0 closed: %s', (t, closed) => {
    const { agg } = setup();
    agg.add(rec(10_000));
    agg.add(rec(t));
    expect(agg.poll().map((r) => r.id)).toEqual(closed ? ['60000@0'] : []);
    expect(agg.watermarkMs).toBe(t - 5_000);
  });

  it('counts out-of-order records within the allowed lateness', () => {
    const { agg } = setup();
    for (const t of [50_000, 62_000, 59_000, 64_000]) expect(agg.add(rec(t)).late).toBe(false);
    agg.add(rec(66_000));
    const [w0] = agg.poll();
    expect([w0.id, w0.total, w0.firstEventMs, w0.lastEventMs, w0.late]).toEqual(['60000@0', 2, 50_000, 59_000, 0]);
  });

  it('reports a record for a closed window as late, with the next window that closes', () => {
    const { agg } = setup();
    agg.add(rec(10_000));
    agg.add(rec(70_000)); // watermark 65000 closes window 0
    expect(agg.add(rec(20_000, 'ERROR'))).toEqual({ windowId: '60000@0', late: true, future: false });
    expect(agg.add(rec(59_999))).toEqual({ windowId: '60000@0', late: true, future: false });
    expect(agg.lateUnreported).toBe(2);
    const [w0] = agg.poll();
    expect([w0.total, w0.counts.ERROR, w0.late]).toEqual([1, 0, 0]);
    agg.add(rec(130_000)); // closes window 1
    const [w1] = agg.poll();
    expect([w1.id, w1.total, w1.late]).toEqual(['60000@60000', 1, 2]);
    expect(agg.lateUnreported).toBe(0);
  });

  it('closes windows in start order, late records going with the first', () => {
    const { agg } = setup({ allowedLatenessMs: 0 });
    agg.add(rec(10_000));
    agg.add(rec(70_000));
    agg.add(rec(130_000)); // closes 0 and 60000
    agg.add(rec(5_000)); // late
    agg.add(rec(250_000)); // closes 120000
    expect(agg.poll().map((r) => [r.id, r.late])).toEqual([
      ['60000@0', 0],
      ['60000@60000', 0],
      ['60000@120000', 1],
    ]);
  });

  it('gives the same windows however the records are polled', () => {
    const times = [1_000, 61_000, 30_000, 66_000, 40_000, 130_000, 70_000, 200_000, 10_000];
    const once = setup().agg;
    for (const t of times) once.add(rec(t));
    const batched = setup().agg;
    const fromBatched: WindowResult[] = [];
    for (const t of times) {
      batched.add(rec(t));
      fromBatched.push(...batched.poll());
    }
    expect(fromBatched).toEqual(once.poll());
  });
});

describe('idle close', () => {
  it('closes every open window after idleCloseMs of wall-clock time without records', () => {
    const { agg, clock } = setup({ idleCloseMs: 10_000 }, 1_000_000);
    agg.add(rec(10_000));
    agg.add(rec(61_000));
    clock.now += 9_999;
    expect(agg.poll()).toEqual([]);
    clock.now += 1;
    expect(agg.poll().map((r) => r.id)).toEqual(['60000@0', '60000@60000']);
    expect(agg.openWindows).toBe(0);
  });

  it('restarts the idle timer on every record', () => {
    const { agg, clock } = setup({ idleCloseMs: 10_000 });
    agg.add(rec(10_000));
    clock.now = 6_000;
    agg.add(rec(11_000));
    clock.now = 15_999;
    expect(agg.poll()).toEqual([]);
    clock.now = 16_000;
    expect(agg.poll()).toHaveLength(1);
  });

  it('treats records for an idle-closed window as late and opens later windows', () => {
    const { agg, clock } = setup({ idleCloseMs: 10_000 });
    agg.add(rec(10_000));
    clock.now = 10_000;
    agg.poll();
    expect(agg.add(rec(20_000)).late).toBe(true);
    expect(agg.add(rec(60_000)).late).toBe(false);
    const [next] = agg.closeAll();
    expect([next.id, next.total, next.late]).toEqual(['60000@60000', 1, 1]);
  });
});

describe('processing-time mode', () => {
  it('windows by arrival time and closes when the clock reaches the end', () => {
    const { agg, clock } = setup({ mode: 'processing' });
    // Event times far in the past: only arrival time decides the window.
    expect(agg.add(rec(5, 'ERROR', 'a', 'x', 1_000)).windowId).toBe('60000@0');
    expect(agg.add(rec(200_000, 'INFO', 'a', 'x', 59_999)).windowId).toBe('60000@0');
    expect(agg.add(rec(7, 'INFO', 'a', 'x', 60_000)).windowId).toBe('60000@60000');
    clock.now = 59_999;
    expect(agg.poll()).toEqual([]);
    clock.now = 60_000;
    const [w0] = agg.poll();
    expect([w0.id, w0.total, w0.counts.ERROR, w0.firstEventMs, w0.lastEventMs]).toEqual(['60000@0', 2, 1, 5, 200_000]);
    // An arrival stamped before the clock closed its window is late.
    expect(agg.add(rec(1, 'INFO', 'a', 'x', 59_000)).late).toBe(true);
    clock.now = 120_000;
    const [w1] = agg.poll();
    expect([w1.id, w1.total, w1.late]).toEqual(['60000@60000', 1, 1]);
  });

  it('does not close on event time or idleness', () => {
    const { agg, clock } = setup({ mode: 'processing', idleCloseMs: 1_000 });
    agg.add(rec(10_000_000, 'INFO', 'a', 'x', 0));
    clock.now = 30_000;
    expect(agg.poll()).toEqual([]);
  });
});

describe('window result', () => {
  it('counts per level and per source, sources sorted', () => {
    const { agg } = setup();
    const input: Array<[Level, string]> = [
      ['ERROR', 'b.log'],
      ['WARN', 'a.log'],
      ['INFO', 'b.log'],
      ['DEBUG', 'a.log'],
      ['TRACE', 'a.log'],
      ['UNPARSED', 'b.log'],
      ['ERROR', 'a.log'],
    ];
    input.forEach(([level, source], i) => agg.add(rec(i, level, source)));
    const [w] = agg.closeAll();
    expect(w.counts).toEqual({ ERROR: 2, WARN: 1, INFO: 1, DEBUG: 1, TRACE: 1, UNPARSED: 1 });
    expect(w.total).toBe(7);
    expect(Object.keys(w.sources)).toEqual(['a.log', 'b.log']);
    expect(w.sources['a.log']).toEqual({ counts: { ERROR: 1, WARN: 1, INFO: 0, DEBUG: 1, TRACE: 1, UNPARSED: 0 }, total: 4 });
    expect(w.sources['b.log']).toEqual({ counts: { ERROR: 1, WARN: 0, INFO: 1, DEBUG: 0, TRACE: 0, UNPARSED: 1 }, total: 3 });
  });

  it('lists the most frequent ERROR messages, only ERROR ones, at most TOP_ERRORS', () => {
    const { agg } = setup();
    let t = 0;
    for (let i = 0; i < 12; i++) for (let k = 0; k <= i; k++) agg.add(rec(t++, 'ERROR', 'a', `error ${i}`));
    for (let k = 0; k < 50; k++) agg.add(rec(t++, 'WARN', 'a', 'a warning'));
    const [w] = agg.closeAll();
    expect(w.topErrors).toHaveLength(TOP_ERRORS);
    expect(w.topErrors[0]).toEqual({ message: 'error 11', count: 12 });
    expect(w.topErrors[9]).toEqual({ message: 'error 2', count: 3 });
    expect(w.errorMessages).toHaveLength(12);
    expect(w.errorMessages.some((e) => e.message === 'a warning')).toBe(false);
    expect(toReport(w)).not.toHaveProperty('errorMessages');
  });

  it('keeps at most maxErrorMessages messages, the same ones with exact counts in any arrival order', () => {
    const messages = Array.from({ length: 40 }, (_, i) => `distinct error ${i}`);
    const inputs = [messages, [...messages].reverse(), messages.filter((_, i) => i % 2 === 0).concat(messages.filter((_, i) => i % 2 === 1))];
    const tables = inputs.map((order) => {
      const { agg } = setup({ maxErrorMessages: 5 });
      // Every message three times, interleaved, so an evicted-then-readmitted count would show.
      for (let round = 0; round < 3; round++) order.forEach((m, i) => agg.add(rec(i, 'ERROR', 'a', m)));
      const [w] = agg.closeAll();
      expect(w.counts.ERROR).toBe(120);
      return w.errorMessages;
    });
    expect(tables[0]).toHaveLength(5);
    for (const e of tables[0]) expect(e.count).toBe(3);
    expect(tables[1]).toEqual(tables[0]);
    expect(tables[2]).toEqual(tables[0]);
  });

  it('tracks no messages with maxErrorMessages 0', () => {
    const { agg } = setup({ maxErrorMessages: 0 });
    agg.add(rec(0, 'ERROR', 'a', 'boom'));
    const [w] = agg.closeAll();
    expect([w.counts.ERROR, w.topErrors]).toEqual([1, []]);
  });

  it('rejects a record with a time that is not a number, unchanged', () => {
    const { agg } = setup();
    expect(() => agg.add(rec(Number.NaN))).toThrow(RangeError);
    expect(agg.openWindows).toBe(0);
  });
});

describe('options', () => {
  it.each<[Partial<WindowOptions>, string]>([
    [{ sizeMs: 0 }, 'sizeMs'],
    [{ sizeMs: 1.5 }, 'sizeMs'],
    [{ idleCloseMs: -1 }, 'idleCloseMs'],
    [{ allowedLatenessMs: -1 }, 'allowedLatenessMs'],
    [{ maxErrorMessages: Number.NaN }, 'maxErrorMessages'],
    [{ mode: 'wall' as never }, 'mode'],
  ])('rejects %j naming %s', (options, name) => {
    expect(() => resolveWindowOptions(options)).toThrow(name);
  });

  it('defaults to 60 s event-time windows, 5 s lateness, 10 s idle close and source idleness, 1000 messages', () => {
    expect(resolveWindowOptions()).toEqual({ mode: 'event', sizeMs: 60_000, allowedLatenessMs: 5_000, idleCloseMs: 10_000, sourceIdleMs: 10_000, maxErrorMessages: 1_000, futureSkewMs: 300_000, closeOnAdd: true });
  });
});

describe('closeOnAdd: false', () => {
  it('counts a backlog of two sources that each start early, and closes only when told', () => {
    const { agg } = setup({ closeOnAdd: false, allowedLatenessMs: 0 });
    // One source's whole file, then another's over the same minutes (objects ingested one after another).
    for (let m = 0; m < 3; m++) agg.add(rec(m * MIN + 1, 'INFO', 'host-1'));
    for (let m = 0; m < 3; m++) agg.add(rec(m * MIN + 2, 'ERROR', 'host-2'));
    expect(agg.poll()).toEqual([]);
    expect(agg.closedUntil).toBeNull();
    agg.closeToWatermark();
    const closed = agg.poll();
    expect(closed.map((w) => [w.startMs, w.total, w.late])).toEqual([
      [0, 2, 0],
      [MIN, 2, 0],
    ]);
    // Both sources are active: the watermark is the lower of their highest event times.
    expect(agg.closedUntil).toBe(2 * MIN + 1);
    expect(agg.openWindows).toBe(1);
    // After the horizon moved, an old record is late as before.
    expect(agg.add(rec(5, 'INFO', 'host-3')).late).toBe(true);
  });

  it('flushOpen hands out open windows without closing them; later records count anew', () => {
    const { agg } = setup({ closeOnAdd: false, allowedLatenessMs: 0 });
    agg.add(rec(1, 'ERROR', 'a', 'boom'));
    agg.add(rec(MIN + 1, 'INFO', 'a'));
    const first = agg.flushOpen();
    expect(first.map((w) => [w.startMs, w.total])).toEqual([
      [0, 1],
      [MIN, 1],
    ]);
    expect(agg.openWindows).toBe(0);
    expect(agg.closedUntil).toBeNull();
    expect(agg.add(rec(2, 'ERROR', 'b', 'boom')).late).toBe(false);
    const second = agg.flushOpen();
    expect(second.map((w) => [w.startMs, w.total])).toEqual([[0, 1]]);
    expect(mergeWindowResults(first[0], second[0])).toMatchObject({ total: 2, topErrors: [{ message: 'boom', count: 2 }] });
  });

  it('with closeOnAdd (the default) the second source of such a backlog is late', () => {
    const { agg } = setup({ allowedLatenessMs: 0 });
    for (let m = 0; m < 3; m++) agg.add(rec(m * MIN + 1, 'INFO', 'host-1'));
    expect(agg.add(rec(2, 'ERROR', 'host-2')).late).toBe(true);
  });
});

/** Records over three windows and three sources, with repeated and distinct ERROR messages. */
function sampleRecords(): WindowRecord[] {
  const levels: Level[] = ['ERROR', 'WARN', 'INFO', 'DEBUG', 'TRACE', 'UNPARSED'];
  return Array.from({ length: 300 }, (_, i) => rec((i * 7_919) % (3 * MIN), levels[i % 6], `host-${i % 3}`, i % 4 === 0 ? 'disk full' : `error ${i % 17}`));
}

/** Closes everything and returns the result of window 0. */
function window0(records: WindowRecord[], options: Partial<WindowOptions>): WindowResult {
  const { agg } = setup(options);
  for (const r of records) agg.add(r);
  const w = agg.closeAll().find((r) => r.startMs === 0);
  if (!w) throw new Error('window 0 missing');
  return w;
}

describe('mergeWindowResults', () => {
  // Far-off windows cannot close while the records are added.
  const options = { maxErrorMessages: 4, allowedLatenessMs: 10 * MIN };
  const records = sampleRecords().filter((r) => r.timeMs < MIN);
  // Three consumers' partials; each sees every source and some of each message.
  const parts = [0, 1, 2].map((k) => window0(records.filter((_, i) => i % 3 === k), options));

  it('is commutative, down to key order', () => {
    const [a, b] = parts;
    expect(JSON.stringify(mergeWindowResults(a, b))).toBe(JSON.stringify(mergeWindowResults(b, a)));
  });

  it('is associative', () => {
    const [a, b, c] = parts;
    expect(JSON.stringify(mergeWindowResults(mergeWindowResults(a, b), c))).toBe(JSON.stringify(mergeWindowResults(a, mergeWindowResults(b, c))));
  });

  it('equals one aggregator over all records, message table included', () => {
    const [a, b, c] = parts;
    expect(mergeWindowResults(mergeWindowResults(a, b), c)).toEqual(window0(records, options));
  });

  it('adds late counts and takes the widest event-time range', () => {
    const a = { ...parts[0], late: 2, firstEventMs: 5, lastEventMs: 100 };
    const b = { ...parts[1], late: 3, firstEventMs: 1, lastEventMs: 50 };
    const m = mergeWindowResults(a, b);
    expect([m.late, m.firstEventMs, m.lastEventMs]).toEqual([5, 1, 100]);
  });

  it('refuses results of different windows', () => {
    const other = { ...parts[0], id: '60000@60000', startMs: MIN, endMs: 2 * MIN };
    expect(() => mergeWindowResults(parts[0], other)).toThrow('different windows');
  });
});

describe('snapshot and restore', () => {
  it('continues from a JSON round trip exactly like the original', () => {
    const records = sampleRecords();
    const first = records.slice(0, 150);
    const rest = records.slice(150);
    const { agg: original, clock } = setup({ allowedLatenessMs: 1_000 });
    for (const r of first) original.add(r);
    const state = JSON.parse(JSON.stringify(original.snapshot())) as ReturnType<WindowAggregator['snapshot']>;
    expect(state.open.length + state.closed.length).toBeGreaterThan(0);
    expect(state.pendingLate).toBeGreaterThan(0);

    const restored = new WindowAggregator({ allowedLatenessMs: 1_000 }, () => clock.now);
    restored.restore(state);
    expect(restored.snapshot()).toEqual(original.snapshot());
    for (const r of rest) expect(restored.add(r)).toEqual(original.add(r));
    expect(restored.closeAll()).toEqual(original.closeAll());
  });

  it('round-trips the empty state', () => {
    const { agg } = setup();
    const state = JSON.parse(JSON.stringify(agg.snapshot())) as ReturnType<WindowAggregator['snapshot']>;
    expect(state).toMatchObject({ maxEventMs: null, closedUntilMs: null, open: [], closed: [] });
    const fresh = setup().agg;
    fresh.restore(state);
    expect(fresh.snapshot()).toEqual(agg.snapshot());
  });

  it('restarts the idle timer: downtime is not idleness', () => {
    const { agg, clock } = setup({ idleCloseMs: 10_000 });
    agg.add(rec(10_000));
    const state = agg.snapshot();
    clock.now = 3_600_000;
    const restarted = new WindowAggregator({ idleCloseMs: 10_000 }, () => clock.now);
    restarted.restore(state);
    expect(restarted.poll()).toEqual([]);
    clock.now += 10_000;
    expect(restarted.poll()).toHaveLength(1);
  });

  // The report stage keeps a task's open windows as records of their own and writes only those
  // takeChanges() names: a store fed the changes must hold the full snapshot's windows at every step.
  it('takeChanges: a store of per-window records fed the changes equals the full snapshot, through closes, flushes and a restore', () => {
    const records = sampleRecords();
    const { agg, clock } = setup({ allowedLatenessMs: 1_000, closeOnAdd: false });
    const store = new Map<number, WindowResult>();
    const apply = (a: WindowAggregator, all = false): void => {
      const { open, removed } = a.takeChanges({ all });
      for (const w of open) store.set(w.startMs, JSON.parse(JSON.stringify(w)) as WindowResult);
      for (const start of removed) store.delete(start);
      const full = a.snapshot();
      expect([...store.values()].sort((x, y) => x.startMs - y.startMs)).toEqual(full.open);
      expect(a.snapshot({ open: false })).toEqual({ ...full, open: [] });
    };
    let current = agg;
    records.forEach((r, i) => {
      current.add(r);
      if (i % 17 === 0) apply(current);
      if (i % 41 === 0) {
        current.closeToWatermark();
        current.poll();
        apply(current);
      }
      if (i % 97 === 0) {
        current.flushOpen();
        apply(current);
      }
      if (i === 120) {
        // A restore starts with nothing changed: the store already holds its windows.
        const restored = new WindowAggregator({ allowedLatenessMs: 1_000, closeOnAdd: false }, () => clock.now);
        restored.restore({ ...current.snapshot({ open: false }), open: [...store.values()].sort((x, y) => x.startMs - y.startMs) });
        expect(restored.takeChanges()).toEqual({ open: [], removed: [] });
        current = restored;
      }
    });
    apply(current);
    expect(store.size).toBeGreaterThan(0);
    current.closeAll();
    apply(current);
    expect(store.size).toBe(0);
  });

  it('takeChanges({ all: true }) names every open window (a state written before windows had records of their own)', () => {
    const { agg } = setup({ closeOnAdd: false });
    for (const t of [0, MIN, 2 * MIN]) agg.add(rec(t));
    agg.takeChanges();
    expect(agg.takeChanges().open).toEqual([]);
    expect(agg.takeChanges({ all: true }).open.map((w) => w.startMs)).toEqual([0, MIN, 2 * MIN]);
  });

  it.each<[Partial<WindowOptions>, string]>([
    [{ sizeMs: 30_000 }, 'sizeMs 60000'],
    [{ mode: 'processing' }, 'event time'],
  ])('refuses a snapshot taken with other options (%j)', (options, message) => {
    const state = setup().agg.snapshot();
    expect(() => setup(options).agg.restore(state)).toThrow(message);
  });
});

describe('per-source watermark', () => {
  const T = 1_800_000_000_000 - (1_800_000_000_000 % MIN);

  it('two sources interleaved batch by batch, 20 minutes apart: windows close at the pace of the one behind, nothing late', () => {
    const { agg, clock } = setup({ closeOnAdd: false, sourceIdleMs: 10_000, allowedLatenessMs: 5_000 });
    const out: WindowResult[] = [];
    // Each "batch": 30 s of source a's event time at T, then 30 s of b's at T + 20 min; the owner closes
    // to the watermark between batches (the report stage does when a partition has caught up).
    for (let i = 0; i < 10; i++) {
      for (let s = 0; s < 30; s++) agg.add(rec(T + i * 30_000 + s * 1000, 'INFO', 'a.log'));
      for (let s = 0; s < 30; s++) agg.add(rec(T + 20 * MIN + i * 30_000 + s * 1000, 'INFO', 'b.log'));
      clock.now += 500;
      agg.closeToWatermark();
      out.push(...agg.poll());
    }
    expect(agg.watermarkMs).toBe(T + 299_000 - 5_000);
    expect(out.map((w) => w.startMs - T)).toEqual([0, MIN, 2 * MIN, 3 * MIN]);
    expect(out.every((w) => w.total === 60 && w.late === 0)).toBe(true);
    expect(agg.lateUnreported).toBe(0);
    out.push(...agg.closeAll());
    expect(out.reduce((n, w) => n + w.total, 0)).toBe(600);
  });

  it('a source that has been quiet for sourceIdleMs stops holding the watermark back', () => {
    const { agg, clock } = setup({ closeOnAdd: false, sourceIdleMs: 10_000, allowedLatenessMs: 0 });
    agg.add(rec(T, 'INFO', 'done.log'));
    agg.add(rec(T + 10 * MIN, 'INFO', 'live.log'));
    expect(agg.watermarkMs).toBe(T);
    clock.now += 9_999;
    agg.add(rec(T + 11 * MIN, 'INFO', 'live.log'));
    expect(agg.watermarkMs).toBe(T);
    clock.now += 1;
    expect(agg.watermarkMs).toBe(T + 11 * MIN);
    // It comes back later with old records: they are late, as without sources.
    agg.closeToWatermark();
    expect(agg.add(rec(T + MIN, 'INFO', 'done.log')).late).toBe(true);
  });

  it('keeps the sources in the snapshot; their idle clocks restart on restore', () => {
    const { agg, clock } = setup({ closeOnAdd: false, sourceIdleMs: 10_000, allowedLatenessMs: 0 });
    agg.add(rec(T, 'INFO', 'slow.log'));
    agg.add(rec(T + 5 * MIN, 'INFO', 'fast.log'));
    const state = JSON.parse(JSON.stringify(agg.snapshot()));
    expect(state.sources).toEqual([['slow.log', T], ['fast.log', T + 5 * MIN]]);
    const next = setup({ closeOnAdd: false, sourceIdleMs: 10_000, allowedLatenessMs: 0 }, clock.now + 60_000);
    next.agg.restore(state);
    expect(next.agg.watermarkMs).toBe(T);
    next.clock.now += 10_000;
    expect(next.agg.watermarkMs).toBe(T + 5 * MIN);
  });

  it('restores a snapshot without sources (older state): the watermark follows the highest event time', () => {
    const { agg } = setup({ closeOnAdd: false, allowedLatenessMs: 0 });
    agg.add(rec(T, 'INFO', 'x.log'));
    const { sources: _dropped, ...old } = agg.snapshot();
    const { agg: next } = setup({ closeOnAdd: false, allowedLatenessMs: 0 });
    next.restore({ ...old, maxEventMs: T + MIN });
    expect(next.watermarkMs).toBe(T + MIN);
  });
});

describe('future-dated records (report.futureSkewMs)', () => {
  const T = Date.UTC(2026, 10, 20, 10, 0);
  const YEAR = 365 * 24 * 60 * MIN;
  const DEFAULT_LATENESS = DEFAULT_WINDOW_OPTIONS.allowedLatenessMs;
  // Read at the time of its neighbours plus a few seconds: a live stream.
  const live = (timeMs: number, level: Level = 'INFO', source = 'a.log', readMs = timeMs + 3_000): WindowRecord => rec(timeMs, level, source, 'm', readMs);

  it('does not poison the partition: the next upload\'s ERRORs are counted and reported, not late', () => {
    // The reproduction: one record a year ahead, the sources go quiet, then 40 ERRORs.
    const { agg, clock } = setup({ idleCloseMs: 10_000 }, T);
    for (let i = 0; i < 120; i++) agg.add(live(T + i * 1_000));
    const poisoned = agg.add(live(T + YEAR, 'ERROR', 'a.log', T + 121_000));
    expect(poisoned).toEqual({ windowId: `60000@${T + 60_000}`, late: false, future: true });
    clock.now = T + 200_000;
    const first = agg.poll(); // idle: every open window closes
    expect(first.map((w) => [w.startMs - T, w.total, w.future])).toEqual([
      [0, 60, 0],
      [MIN, 61, 1],
    ]);
    expect(agg.closedUntil).toBe(T + 2 * MIN);
    for (let i = 0; i < 40; i++) expect(agg.add(live(T + 2 * MIN + 30_000 + i * 100, 'ERROR', 'b.log', T + 205_000)).late).toBe(false);
    clock.now = T + 300_000;
    const second = agg.poll();
    expect(second.map((w) => [w.startMs - T, w.counts.ERROR, w.late, w.future])).toEqual([[2 * MIN, 40, 0, 0]]);
  });

  it('counts at its source\'s newest time, else the partition\'s, else the time it was read', () => {
    const { agg } = setup({}, T);
    expect(agg.add(live(T + YEAR, 'WARN', 'x.log', T)).windowId).toBe(`60000@${T}`); // nothing seen yet: read at T
    agg.add(live(T + 5 * MIN, 'INFO', 'a.log'));
    agg.add(live(T + 7 * MIN, 'INFO', 'b.log'));
    expect(agg.add(live(T + YEAR, 'WARN', 'a.log', T + 7 * MIN + 3_000)).windowId).toBe(`60000@${T + 5 * MIN}`); // a's newest
    expect(agg.add(live(T + YEAR, 'WARN', 'c.log', T + 7 * MIN + 3_000)).windowId).toBe(`60000@${T + 7 * MIN}`); // the partition's newest
    expect(agg.watermarkMs).toBe(T + 5 * MIN - DEFAULT_LATENESS);
  });

  it('believes a record within the skew, and a past one however old', () => {
    const { agg } = setup({ futureSkewMs: 60_000 }, T);
    expect(agg.add(live(T + 60_000, 'INFO', 'a.log', T)).future).toBe(false);
    expect(agg.add(live(T + 60_001, 'INFO', 'a.log', T)).future).toBe(true);
    expect(agg.add(live(T - YEAR, 'INFO', 'a.log', T)).future).toBe(false);
  });

  it('is only flagged in processing time, where every record counts at its arrival', () => {
    const { agg } = setup({ mode: 'processing' }, T);
    expect(agg.add(live(T + YEAR, 'ERROR', 'a.log', T + 1_000))).toEqual({ windowId: `60000@${T}`, late: false, future: true });
    expect(agg.closeAll().map((w) => [w.total, w.future, w.firstEventMs])).toEqual([[1, 1, T + 1_000]]);
  });

  it('keeps the figure through snapshot, restore, merge and the report', () => {
    const { agg } = setup({}, T);
    agg.add(live(T));
    agg.add(live(T + YEAR, 'INFO', 'a.log', T));
    const copy = setup({}, T).agg;
    copy.restore(JSON.parse(JSON.stringify(agg.snapshot())) as ReturnType<WindowAggregator['snapshot']>);
    copy.add(live(T + YEAR, 'INFO', 'a.log', T));
    const [w] = copy.closeAll();
    expect(w.future).toBe(2);
    expect(mergeWindowResults(w, w).future).toBe(4);
    expect(toReport(w).future).toBe(2);
    // A partial written before the figure existed merges as 0.
    const old = { ...w } as Partial<WindowResult>;
    delete old.future;
    expect(mergeWindowResults(old as WindowResult, w).future).toBe(2);
  });

  it('property: inserting future-dated records changes no other record\'s fate, and every record counts once', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ offsetMs: fc.integer({ min: 0, max: 10 * MIN }), jitterMs: fc.integer({ min: -4_000, max: 0 }), source: fc.constantFrom('a.log', 'b.log', 'c.log') }), { minLength: 1, maxLength: 60 }),
        fc.array(fc.record({ at: fc.nat(), aheadMs: fc.integer({ min: 5 * MIN + 1, max: 10 * YEAR }), source: fc.constantFrom('a.log', 'b.log', 'z.log') }), { maxLength: 10 }),
        (normal, futures) => {
          // Believable records in rising order with a little disorder, each read 3 s after its time.
          const sorted = [...normal].sort((x, y) => x.offsetMs - y.offsetMs);
          const plain = sorted.map((n) => live(T + n.offsetMs + n.jitterMs, 'INFO', n.source));
          const mixed: Array<{ record: WindowRecord; future: boolean }> = plain.map((record) => ({ record, future: false }));
          for (const f of futures) {
            const at = f.at % (mixed.length + 1);
            const readMs = at > 0 ? mixed[at - 1].record.arrivalMs : T;
            mixed.splice(at, 0, { record: live(readMs + f.aheadMs, 'ERROR', f.source, readMs), future: true });
          }
          const a = setup({}, T).agg;
          const b = setup({}, T).agg;
          const fatesA = plain.map((r) => a.add(r).late);
          let futureInWindows = 0;
          const fatesB = mixed.flatMap(({ record, future }) => {
            const outcome = b.add(record);
            expect(outcome.future).toBe(future);
            if (future && !outcome.late) futureInWindows++;
            return future ? [] : [outcome.late];
          });
          expect(fatesB).toEqual(fatesA);
          const ra = a.closeAll();
          const rb = b.closeAll();
          const counted = (rs: WindowResult[]): number => rs.reduce((sum, w) => sum + w.total + w.late, 0) + b.lateUnreported;
          expect(counted(rb)).toBe(mixed.length);
          expect(rb.reduce((sum, w) => sum + w.future, 0)).toBe(futureInWindows);
          // Without the future-dated ERRORs, each window holds what it held without them.
          const infoOf = (rs: WindowResult[]): Array<[number, number]> => rs.filter((w) => w.counts.INFO > 0).map((w) => [w.startMs, w.counts.INFO]);
          expect(infoOf(rb)).toEqual(infoOf(ra));
        },
      ),
    );
  });
});
