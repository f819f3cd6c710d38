import fc from 'fast-check';
import { CLOCK_SKEW_MS, ledgerReadFromMs, listable, readsAllOf } from './horizon';

const DAY = 24 * 60 * 60 * 1000;

/** One record of the progress topic: a version's key, its status, and the timestamp it was stamped with. */
interface Rec {
  key: number;
  status: 'in-progress' | 'done';
  ts: number;
}

/** Kafka's offsets-for-times: the first offset whose timestamp is at or after `ms`, else the end. */
const offsetForTime = (topic: Rec[], ms: number): number => {
  const i = topic.findIndex((r) => r.ts >= ms);
  return i < 0 ? topic.length : i;
};

/** The latest status of `key` among `records`, as a compacted view holds it. */
const latest = (records: Rec[], key: number): Rec['status'] | undefined => {
  let out: Rec['status'] | undefined;
  for (const r of records) if (r.key === key) out = r.status;
  return out;
};

describe('ledger horizon', () => {
  it('reads from horizon + clock skew before the start; 0 means the whole topic', () => {
    expect(ledgerReadFromMs(100 * DAY, 15 * DAY)).toBe(85 * DAY - CLOCK_SKEW_MS);
    expect(ledgerReadFromMs(100 * DAY, 0)).toBeUndefined();
    expect(readsAllOf(undefined, 0)).toBe(true);
    const from = 85 * DAY - CLOCK_SKEW_MS;
    expect(readsAllOf(from, 85 * DAY)).toBe(true);
    expect(readsAllOf(from, 85 * DAY - 1)).toBe(false);
  });

  it('listings skip versions older than the horizon, and nothing without one', () => {
    expect(listable(10 * DAY, 30 * DAY, 15 * DAY)).toBe(false);
    expect(listable(15 * DAY, 30 * DAY, 15 * DAY)).toBe(true);
    expect(listable(10 * DAY, 30 * DAY, 0)).toBe(true);
    expect(listable(undefined, 30 * DAY, 15 * DAY)).toBe(true);
  });

  // The model: the whole topic's latest record per version is the truth (what a ledger without a
  // horizon answers). A ledger that reads from the horizon, and looks a version up in the part it
  // skipped only when readsAllOf says it may lie there, must answer the same for every version
  // triggered at any time after its start, whatever the interleaving of versions, commit times and
  // clock skews (within CLOCK_SKEW_MS): a done version is never taken for a new one.
  it('a ledger read from the horizon plus recall answers what the whole topic says, for every trigger', () => {
    const version = fc.record({
      modifiedDay: fc.integer({ min: 0, max: 60 }),
      // Commits: minutes after the upload, stamped by clocks up to the allowed skew off.
      commits: fc.array(fc.record({ afterMs: fc.integer({ min: 0, max: 20 * DAY }), skewMs: fc.integer({ min: -CLOCK_SKEW_MS, max: CLOCK_SKEW_MS }) }), { minLength: 0, maxLength: 3 }),
      finished: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(version, { minLength: 1, maxLength: 30 }), fc.integer({ min: 0, max: 90 }), fc.integer({ min: 1, max: 30 }), (versions, startDay, horizonDays) => {
        const startMs = startDay * DAY;
        const horizonMs = horizonDays * DAY;
        // The topic: every commit made before the ledger starts, in commit (offset) order.
        const commits: Array<Rec & { at: number }> = [];
        versions.forEach((v, key) => {
          const modified = v.modifiedDay * DAY;
          const times = v.commits.map((c) => modified + c.afterMs).sort((a, b) => a - b);
          times.forEach((at, i) => {
            const ts = at + v.commits[i].skewMs;
            if (at < startMs) commits.push({ key, at, ts, status: v.finished && i === times.length - 1 ? 'done' : 'in-progress' });
          });
        });
        const topic = commits.sort((a, b) => a.at - b.at);
        const readFrom = ledgerReadFromMs(startMs, horizonMs);
        const first = readFrom === undefined ? 0 : offsetForTime(topic, readFrom);
        const read = topic.slice(first);
        versions.forEach((v, key) => {
          const modified = v.modifiedDay * DAY;
          // A trigger of this version after the ledger started (its LastModified as the store says it).
          let answer = latest(read, key);
          if (answer === undefined && !readsAllOf(readFrom, modified)) answer = latest(topic.slice(0, first), key);
          expect(answer).toBe(latest(topic, key));
        });
      }),
      { numRuns: 500 },
    );
  });
});
