import { LEVELS } from '../model/levels';
import { decodePartial, encodePartial, type MergeState, type PartialRecord, WindowMerger } from './merge';
import { toReport, WindowAggregator, type WindowOptions, type WindowRecord, type WindowReport, type WindowResult } from './window';

const MIN = 60_000;
// A small message cap with more distinct messages than it: merged message tables must stay exact.
const OPTIONS: Partial<WindowOptions> = { sizeMs: MIN, allowedLatenessMs: 5_000, idleCloseMs: 10_000, maxErrorMessages: 3 };

function rec(timeMs: number, level: WindowRecord['level'] = 'INFO', source = 'a.log', message = 'm'): WindowRecord {
  return { timeMs, arrivalMs: timeMs, level, source, message };
}

/** A partition task (stage 1): its own aggregator, on a clock that never moves (no idle close by time). */
class Task {
  readonly agg = new WindowAggregator(OPTIONS, () => 0);
  constructor(readonly partition: number, public partitions: number) {}

  /** Processes records and emits what they closed. */
  add(...records: WindowRecord[]): PartialRecord {
    for (const r of records) this.agg.add(r);
    return this.partial(this.agg.poll(), false);
  }

  /** Goes idle: the aggregator closes everything (as its idle close would), the partial says idle. */
  idle(): PartialRecord {
    return this.partial(this.agg.closeAll(), true);
  }

  private partial(windows: WindowResult[], idle: boolean): PartialRecord {
    return { version: 1, partition: this.partition, partitions: this.partitions, windows, closedUntilMs: this.agg.snapshot().closedUntilMs, idle };
  }
}

function tasks(n: number): Task[] {
  return Array.from({ length: n }, (_, p) => new Task(p, n));
}

const brief = (reports: WindowReport[]): Array<[string, number, number]> => reports.map((r) => [r.id, r.total, r.late]);

/**
 * Records in index order, event time out of order by up to 4 s (< the allowed lateness, so none is
 * late in any subsequence), each with a partition; deterministic (an LCG, no Math.random).
 */
function generate(seed: number, count: number, partitions: number): Array<{ partition: number; record: WindowRecord }> {
  let s = seed;
  const next = (n: number): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) % n);
  return Array.from({ length: count }, (_, i) => {
    const level = LEVELS[next(LEVELS.length)];
    const record = rec(1_000_000 + i * 700 + next(4_000), level, `s${next(4)}.log`, `error ${next(8)}`);
    return { partition: next(partitions), record };
  });
}

type Schedule = 'round robin' | 'one partition at a time' | 'last partition first';

/** The partials the tasks emit when they process their records in `schedule`, then all go idle. */
function partials(schedule: Schedule, seed = 7, partitions = 3): PartialRecord[] {
  const ts = tasks(partitions);
  const mine = ts.map((t) => generate(seed, 600, partitions).filter((g) => g.partition === t.partition).map((g) => g.record));
  const out: PartialRecord[] = [];
  const batch = 15;
  const order = schedule === 'last partition first' ? [...ts].reverse() : ts;
  if (schedule === 'round robin') {
    for (let i = 0; mine.some((m) => i < m.length); i += batch) for (const t of ts) out.push(t.add(...mine[t.partition].slice(i, i + batch)));
  } else {
    for (const t of order) for (let i = 0; i < mine[t.partition].length; i += batch) out.push(t.add(...mine[t.partition].slice(i, i + batch)));
  }
  for (const t of order) out.push(t.idle());
  return out;
}

/** One aggregator over all records in index order: the truth the merged reports must equal. */
function single(seed = 7, partitions = 3): WindowReport[] {
  const agg = new WindowAggregator(OPTIONS, () => 0);
  const out: WindowReport[] = [];
  for (const { record } of generate(seed, 600, partitions)) {
    expect(agg.add(record).late).toBe(false);
    out.push(...agg.poll());
  }
  return [...out, ...agg.closeAll()].map(toReport);
}

describe('merging partition partials', () => {
  it.each<Schedule>(['round robin', 'one partition at a time', 'last partition first'])(
    'equals one aggregator over all records, processed %s',
    (schedule) => {
      const m = new WindowMerger(MIN);
      const steps = partials(schedule).map((p) => m.apply(p));
      const merged = steps.flat();
      expect(merged).toEqual(single());
      expect(merged.length).toBeGreaterThan(5);
      if (schedule === 'round robin') expect(steps.slice(0, -3).flat().length).toBeGreaterThan(0); // closes while running
      expect(m.describe()).toMatchObject({ open: [], pendingLate: 0 });
    },
  );

  it('keeps a window open while one partition lags, and closes it when that one catches up', () => {
    const [t0, t1] = tasks(2);
    const m = new WindowMerger(MIN);
    expect(m.apply(t0.add(rec(10_000), rec(70_000), rec(130_000)))).toEqual([]); // t0 past 125 000
    expect(m.apply(t1.add(rec(20_000)))).toEqual([]); // t1 at its watermark, 15 000
    expect(m.describe()).toEqual({
      open: ['60000@0', '60000@60000'],
      closedUntilMs: 15_000,
      partitions: [{ partition: 0, closedUntilMs: 125_000, idle: false }, { partition: 1, closedUntilMs: 15_000, idle: false }],
      pendingLate: 0,
    });
    expect(brief(m.apply(t1.add(rec(66_000))))).toEqual([['60000@0', 2, 0]]); // t1 past 61 000
    expect(m.describe()).toMatchObject({ open: ['60000@60000'], closedUntilMs: 61_000 });
    m.apply({ ...t1.add(), closedUntilMs: null }); // a partition's horizon only moves forward
    expect(m.describe().partitions[1].closedUntilMs).toBe(61_000);
  });

  it('does not wait for an idle partition, and waits for it again once it resumes', () => {
    const [t0, t1] = tasks(2);
    const m = new WindowMerger(MIN);
    expect(m.apply(t1.idle())).toEqual([]);
    expect(brief(m.apply(t0.add(rec(10_000), rec(70_000))))).toEqual([['60000@0', 1, 0]]);
    expect(m.apply(t1.add(rec(100_000)))).toEqual([]); // t1 resumes: not idle, nothing closed there
    expect(m.apply(t0.add(rec(130_000)))).toEqual([]); // t0 closed window 1; t1 holds it
    expect(brief(m.apply(t1.add(rec(126_000))))).toEqual([['60000@60000', 2, 0]]);
  });

  it('takes an idle partition as idle only while nothing lies beyond the offset it was read up to', () => {
    const [t0, t1] = tasks(2);
    const m = new WindowMerger(MIN);
    expect(m.hasIdleClaims()).toBe(false);
    m.apply({ ...t1.idle(), idleThrough: 5 });
    expect(m.hasIdleClaims()).toBe(true);
    m.observeEnds(new Map([[1, 5]]));
    expect(m.describe().partitions[1].idle).toBe(true);
    // Records behind t1's claim (its commit failed, or its owner has not fetched them yet): t1 holds
    // window 0 although its last partial said idle; an older, lower end observed later changes nothing.
    m.observeEnds(new Map([[1, 9]]));
    m.observeEnds(new Map([[1, 4]]));
    expect(m.describe().partitions[1].idle).toBe(false);
    expect(m.apply(t0.add(rec(10_000), rec(70_000)))).toEqual([]);
    // Its owner counts them and says idle again, read up to the end: the window closes with them.
    m.apply(t1.add(rec(20_000)));
    expect(brief(m.apply({ ...t1.idle(), idleThrough: 9 }))).toEqual([['60000@0', 2, 0]]);
    // The claim and the end survive a snapshot.
    const restored = new WindowMerger(MIN, JSON.parse(JSON.stringify(m.snapshot())) as MergeState);
    restored.observeEnds(new Map([[1, 10]]));
    expect(restored.describe().partitions[1].idle).toBe(false);
    expect(m.snapshot().progress[1]).toEqual({ partition: 1, closedUntilMs: expect.any(Number), idle: true, idleThrough: 9, end: 9 });
  });

  it('keeps trusting an idle partial without a claim (written by an older version)', () => {
    const [t0, t1] = tasks(2);
    const m = new WindowMerger(MIN);
    m.apply(t1.idle());
    m.observeEnds(new Map([[1, 100]]));
    expect(brief(m.apply(t0.add(rec(10_000), rec(70_000))))).toEqual([['60000@0', 1, 0]]);
  });

  it('closes every open window when all partitions are idle, and goes on normally after', () => {
    const [t0, t1] = tasks(2);
    const m = new WindowMerger(MIN);
    m.apply(t0.add(rec(10_000), rec(70_000)));
    expect(m.apply(t1.add(rec(30_000)))).toEqual([]); // t1 at 25 000 holds window 0
    expect(m.apply(t0.idle())).toEqual([]);
    expect(m.describe().open).toEqual(['60000@0', '60000@60000']);
    expect(brief(m.apply(t1.idle()))).toEqual([['60000@0', 2, 0], ['60000@60000', 1, 0]]);
    expect(m.describe()).toMatchObject({ open: [], closedUntilMs: 120_000 }); // the highest end closed, not +infinity
    expect(brief(m.apply(t0.add(rec(200_000), rec(300_000))))).toEqual([['60000@180000', 1, 0]]);
  });

  it('waits for a partition never heard from', () => {
    const [t0, t1, t2] = tasks(3);
    const m = new WindowMerger(MIN);
    m.apply(t0.add(rec(10_000), rec(200_000)));
    expect(m.apply(t1.add(rec(20_000), rec(200_000)))).toEqual([]);
    expect(m.describe().partitions[2]).toEqual({ partition: 2, closedUntilMs: null, idle: false });
    expect(brief(m.apply(t2.add(rec(200_000))))).toEqual([['60000@0', 2, 0]]);
  });

  it('reports a partial for an already closed window as late, with the next window that closes', () => {
    const [t0, t1] = tasks(2);
    let m = new WindowMerger(MIN);
    m.apply(t1.idle());
    expect(brief(m.apply(t0.add(rec(10_000), rec(70_000))))).toEqual([['60000@0', 1, 0]]);
    // t1 resumes with two records for window 0, which the merger closed without it.
    expect(m.apply(t1.add(rec(20_000), rec(30_000), rec(70_000)))).toEqual([]);
    expect(m.describe().pendingLate).toBe(2);
    m = new WindowMerger(MIN, JSON.parse(JSON.stringify(m.snapshot())) as MergeState); // pending survives a restart
    expect(m.apply(t0.add(rec(5_000), rec(130_000)))).toEqual([]); // a record late at t0 itself
    // Window 1: its own late (1, from t0) plus the pending 2.
    expect(brief(m.apply(t1.add(rec(126_000))))).toEqual([['60000@60000', 2, 3]]);
    expect(m.apply(t0.idle())).toEqual([]);
    expect(brief(m.apply(t1.idle()))).toEqual([['60000@120000', 2, 0]]); // 1 + 2 + 3 + 2 = all 8 records
  });

  it('counts the late of a late window too, and keeps late pending while no window closes', () => {
    const m = new WindowMerger(MIN);
    const [t0] = tasks(1);
    m.apply(t0.add(rec(10_000), rec(65_000))); // H = 60 000, exactly the end of window 0
    const [w0] = new Task(0, 1).add(rec(1_000), rec(2_000), rec(70_000)).windows;
    expect(m.apply({ ...t0.add(), windows: [{ ...w0, late: 4 }] })).toEqual([]);
    expect(m.closeAll()).toEqual([]); // nothing open: 2 + 4 stay pending
    expect(m.describe()).toMatchObject({ open: [], pendingLate: 6 });
    expect(brief(m.apply(t0.add(rec(130_000))))).toEqual([['60000@60000', 1, 6]]);
  });

  it('waits for partitions added to the topic, and ignores a stale smaller count', () => {
    const [t0, t1] = tasks(2);
    const m = new WindowMerger(MIN);
    m.apply(t0.add(rec(10_000), rec(70_000)));
    expect(brief(m.apply(t1.add(rec(10_000), rec(70_000))))).toEqual([['60000@0', 2, 0]]);
    t0.partitions = 3;
    expect(m.apply(t0.add(rec(130_000)))).toEqual([]); // partition 2, never heard from, holds window 1
    expect(m.apply(t1.add(rec(130_000)))).toEqual([]); // t1 still says 2 partitions
    expect(m.describe().partitions.map((p) => p.closedUntilMs)).toEqual([125_000, 125_000, null]);
    expect(brief(m.apply(new Task(2, 3).add(rec(100_000), rec(130_000))))).toEqual([['60000@60000', 3, 0]]);
  });
});

describe('snapshot and restore', () => {
  it('continues from a JSON round trip after every partial exactly like the uninterrupted merger', () => {
    const input = partials('round robin');
    const straight = new WindowMerger(MIN);
    const expected = input.map((p) => straight.apply(p));
    let m = new WindowMerger(MIN);
    const got = input.map((p) => {
      const out = m.apply(decodePartial(encodePartial(p)));
      const state = m.snapshot();
      const copy = JSON.parse(JSON.stringify(state)) as MergeState;
      expect(copy).toStrictEqual(state); // JSON-safe: no Infinity, undefined or Map
      m = new WindowMerger(MIN, copy);
      expect(m.snapshot()).toStrictEqual(state);
      return out;
    });
    expect(got).toEqual(expected);
    expect(m.snapshot()).toStrictEqual(straight.snapshot());
  });

  it('round-trips the empty state', () => {
    const state = new WindowMerger(MIN).snapshot();
    expect(state).toEqual({ version: 1, sizeMs: MIN, partitions: 0, closedUntilMs: null, pendingLate: 0, progress: [], open: [] });
    expect(new WindowMerger(MIN, state).snapshot()).toEqual(state);
  });

  it.each<[string, () => unknown, RegExp]>([
    ['a size of 0', () => new WindowMerger(0), /sizeMs must be a whole number > 0, got 0/],
    ['a fractional size', () => new WindowMerger(1.5), /sizeMs .* got 1.5/],
    ['a state of version 2', () => new WindowMerger(MIN, { ...new WindowMerger(MIN).snapshot(), version: 2 as 1 }), /version 2 is not supported/],
    ['a state of another size', () => new WindowMerger(MIN, new WindowMerger(1_000).snapshot()), /sizeMs 1000; this merger uses sizeMs 60000/],
    ['a state with bad progress', () => new WindowMerger(MIN, { ...new WindowMerger(MIN).snapshot(), progress: [{ partition: -1 } as never] }), /progress\[0\]/],
  ])('throws a RangeError for %s', (_, make, message) => {
    expect(make).toThrow(RangeError);
    expect(make).toThrow(message);
  });
});

describe('partial records', () => {
  const [t0] = tasks(2);
  const withWindow = t0.add(rec(10_000, 'ERROR', 'a.log', 'boom'), rec(70_000));
  const good = { version: 1, partition: 0, partitions: 2, windows: [], closedUntilMs: null, idle: false };
  const json = (patch: object): Buffer => Buffer.from(JSON.stringify({ ...good, ...patch }));
  const window0 = withWindow.windows[0];

  it('round-trips through encode and decode', () => {
    expect(withWindow.windows).toHaveLength(1);
    expect(decodePartial(encodePartial(withWindow))).toEqual(withWindow);
  });

  it.each<[string, Buffer | null, RegExp]>([
    ['no value', null, /no value/],
    ['bad JSON', Buffer.from('{"version":'), /not JSON/],
    ['a list', Buffer.from('[]'), /must be a JSON object/],
    ['version 2', json({ version: 2 }), /version must be 1, got 2/],
    ['no partition', json({ partition: undefined }), /partition must be a whole number >= 0, got nothing/],
    ['partition = partitions', json({ partition: 2 }), /partition 2 is out of range for 2 partitions/],
    ['partitions 0', json({ partitions: 0 }), /partitions must be a whole number >= 1, got 0/],
    ['a string horizon', json({ closedUntilMs: '5' }), /closedUntilMs must be a finite number or null, got "5"/],
    ['no idle flag', json({ idle: undefined }), /idle must be true or false, got nothing/],
    ['a negative idleThrough', json({ idle: true, idleThrough: -1 }), /idleThrough must be a whole number >= 0 when present, got -1/],
    ['windows not a list', json({ windows: {} }), /windows must be a list/],
    ['a window without total', json({ windows: [{ ...window0, total: undefined }] }), /windows\[0\]\.total must be a whole number/],
    ['a window with a wrong id', json({ windows: [{ ...window0, id: '60000@1' }] }), /windows\[0\]\.id must be "60000@0"/],
    ['a window not aligned', json({ windows: [{ ...window0, startMs: 5 }] }), /windows\[0\]\.startMs must be a whole multiple/],
    ['a bad source count', json({ windows: [{ ...window0, sources: { 'a.log': { total: 1, counts: {} } } }] }), /sources\["a.log"\]\.counts\.ERROR/],
  ])('rejects %s, naming the problem', (_, value, message) => {
    expect(() => decodePartial(value)).toThrow(message);
  });

  it('rejects a window of another size as a configuration mismatch, the merger unchanged', () => {
    const m = new WindowMerger(MIN);
    m.apply(t0.add(rec(130_000)));
    const before = m.snapshot();
    const other = new WindowAggregator({ ...OPTIONS, sizeMs: 10_000 }, () => 0);
    other.add(rec(1_000));
    const partial: PartialRecord = { ...good, version: 1, partition: 1, windows: other.closeAll(), closedUntilMs: 10_000 };
    expect(() => m.apply(partial)).toThrow(/window 10000@0 has sizeMs 10000, this merger merges sizeMs 60000/);
    expect(() => encodePartial({ ...partial, partition: 5 })).toThrow(/partition 5 is out of range/);
    expect(m.snapshot()).toStrictEqual(before);
  });
});
