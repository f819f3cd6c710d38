import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import type { Kafka } from 'kafkajs';
import { CLOCK_SKEW_MS } from '../ingest/horizon';
import { Ledger } from '../ingest/ledger';
import { ledgerKey, objectId } from '../ingest/object-ref';
import { encodeProgress, type ObjectProgress } from '../ingest/progress';
import { createLogger } from '../system/observability/logging';
import { ingestingLedger } from './ingesting-partitions';

const log = createLogger({ level: 'error', format: 'json', stream: new PassThrough() });
const HOUR = 3_600_000;

/** One progress record as the topic holds it: its object, status, updatedAt and Kafka timestamp. */
interface Rec {
  key: number;
  status: 'in-progress' | 'done';
  updatedAt: number;
  ts: number;
}

const idOf = (key: number): string => ledgerKey('logs', objectId({ kind: 's3', bucket: 'b', key: `k${key}.log` }, 'v1'));

const encode = (r: Rec): { key: Buffer; value: Buffer } => {
  const p: ObjectProgress = { id: idOf(r.key), status: r.status, byteOffset: 1, lines: 1, entries: 1, records: 1, updatedAt: new Date(r.updatedAt).toISOString() };
  return { key: Buffer.from(p.id), value: encodeProgress(p) };
};

type EachBatch = (p: { batch: { messages: Array<{ key: Buffer | null; value: Buffer | null }> } }) => Promise<void>;

/**
 * A kafkajs stand-in over one partition holding `before` (what the topic held when the ledger
 * started): its admin answers offsets-for-times as Kafka does (the earliest offset stamped at or
 * after the time, else the end), and its consumer hands the ledger the records from the offset
 * the ledger seeks to. `deliver` hands it records appended later.
 */
function standIn(before: Rec[]): { kafka: Kafka; asked: number[]; deliver: (rs: Rec[]) => Promise<void>; start: () => Promise<void> } {
  let each: EachBatch | undefined;
  let from = 0;
  const asked: number[] = [];
  const consumer = {
    events: {},
    on: () => undefined,
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async (o: { eachBatch: EachBatch }) => void (each = o.eachBatch),
    seek: ({ offset }: { offset: string }) => void (from = Number(offset)),
    disconnect: async () => undefined,
  };
  const admin = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    fetchTopicOffsetsByTimestamp: async (_topic: string, ms: number) => {
      asked.push(ms);
      const i = before.findIndex((r) => r.ts >= ms);
      return [{ partition: 0, offset: String(i < 0 ? before.length : i) }];
    },
  };
  const deliver = async (rs: Rec[]): Promise<void> => {
    if (rs.length) await each!({ batch: { messages: rs.map(encode) } });
  };
  return { kafka: { consumer: () => consumer, admin: () => admin } as unknown as Kafka, asked, deliver, start: () => deliver(before.slice(from)) };
}

describe('the report stage ingest ledger (ingestingLedger)', () => {
  it('begins at report.ingestStallMs plus the clock skew before its start, objects in progress only', async () => {
    const start = Date.UTC(2026, 11, 5, 12);
    const before: Rec[] = [
      { key: 1, status: 'in-progress', updatedAt: start - 3 * HOUR, ts: start - 3 * HOUR },
      { key: 2, status: 'in-progress', updatedAt: start - 60_000, ts: start - 60_000 },
      { key: 3, status: 'done', updatedAt: start - 30_000, ts: start - 30_000 },
    ];
    const s = standIn(before);
    const l = ingestingLedger(s.kafka, 'progress', log, { stallMs: 120_000, now: () => start, compactionAdvice: false });
    await l.start();
    await s.start();
    expect(s.asked).toEqual([start - 120_000 - CLOCK_SKEW_MS]);
    expect(l.readFromMs).toBe(start - 120_000 - CLOCK_SKEW_MS);
    expect([...l.startOffsets()]).toEqual([[0, 1]]);
    expect([...l.inProgress('logs', start - 120_000)]).toEqual([['k2.log', start - 60_000]]);
    // The done object is not held; the one older than the horizon was never read.
    expect(l.size).toBe(1);
    await l.stop();
  });

  // The bound the horizon rests on (Ledger's class comment): each record stamped no earlier than
  // its updatedAt minus the clock skew, in any append order, asked inProgress(t − stall) for any t
  // from the start on. Every answer must be the one a ledger read from the topic's beginning
  // gives. Fails when the horizon leaves out the skew or is shorter than the stall.
  it('answers inProgress(t − stall), for every t from its start on, as a ledger read whole does', async () => {
    const start = Date.UTC(2026, 11, 5, 12);
    const rec = fc.record({
      key: fc.integer({ min: 0, max: 5 }),
      status: fc.constantFrom<Rec['status']>('in-progress', 'in-progress', 'done'),
      // The committing process's clock when it made the record: from hours before the start to an
      // hour after, often near start − stall (as a multiple of the stall), where the bound is tight.
      updatedAt: fc.oneof(fc.integer({ min: -4 * HOUR, max: HOUR }), fc.double({ min: -1.5, max: -0.5, noNaN: true }).map((f) => ({ stalls: f })), fc.constant({ stalls: -1 })),
      // The Kafka timestamp: later (the client encodes the request after), or up to the skew earlier, often nearly the whole skew.
      stampedAfterMs: fc.oneof(fc.integer({ min: -CLOCK_SKEW_MS, max: 60_000 }), fc.integer({ min: -CLOCK_SKEW_MS, max: -CLOCK_SKEW_MS + 60_000 }), fc.constant(-CLOCK_SKEW_MS)),
      // When the broker appends it (offset order), after the record was made.
      appendedAfterMs: fc.integer({ min: 0, max: 120_000 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(rec, { maxLength: 40 }), fc.integer({ min: 1_000, max: 30 * 60_000 }), fc.array(fc.integer({ min: 0, max: 2 * HOUR }), { minLength: 1, maxLength: 5 }), async (recs, stallMs, asks) => {
        const appended = recs
          .map((r) => ({ ...r, updatedAt: start + (typeof r.updatedAt === 'number' ? r.updatedAt : Math.round(r.updatedAt.stalls * stallMs)) }))
          .map((r) => ({ rec: { key: r.key, status: r.status, updatedAt: r.updatedAt, ts: r.updatedAt + r.stampedAfterMs }, at: r.updatedAt + r.appendedAfterMs }))
          .sort((a, b) => a.at - b.at);
        const before = appended.filter((a) => a.at < start).map((a) => a.rec);
        const after = appended.filter((a) => a.at >= start).map((a) => a.rec);
        const s = standIn(before);
        const bounded = ingestingLedger(s.kafka, 'progress', log, { stallMs, now: () => start, compactionAdvice: false });
        await bounded.start();
        await s.start();
        await s.deliver(after);
        const w = standIn([...before, ...after]);
        const whole = new Ledger(w.kafka, 'progress', log, { inProgressOnly: true, compactionAdvice: false });
        await whole.start();
        await w.start();
        for (const t of asks) expect([...bounded.inProgress('logs', start + t - stallMs)].sort()).toEqual([...whole.inProgress('logs', start + t - stallMs)].sort());
        await bounded.stop();
        await whole.stop();
      }),
      { numRuns: 1_000 },
    );
  });
});
