import { PassThrough } from 'node:stream';
import type { Kafka } from 'kafkajs';
import { createLogger } from '../system/observability/logging';
import { CLOCK_SKEW_MS } from './horizon';
import { Ledger, type LedgerOptions, sourceOf } from './ledger';
import { ledgerKey, objectId } from './object-ref';
import { encodeProgress, type ObjectProgress } from './progress';

const log = createLogger({ level: 'error', format: 'json', stream: new PassThrough() });

type EachBatch = (p: { batch: { messages: Array<{ key: Buffer | null; value: Buffer | null }> } }) => Promise<void>;

/**
 * A Ledger over a kafkajs stand-in whose records the test hands in; `byTimestamp`: the offsets its
 * admin answers to an offsets-for-times look-up (and the timestamps it was asked for).
 */
async function ledger(options: LedgerOptions = {}, byTimestamp: { offsets: Array<{ partition: number; offset: string }>; asked: number[] } = { offsets: [], asked: [] }): Promise<{ l: Ledger; put: (p: ObjectProgress) => Promise<void> }> {
  let each: EachBatch | undefined;
  const consumer = { events: {}, on: () => undefined, connect: async () => undefined, subscribe: async () => undefined, run: async (o: { eachBatch: EachBatch }) => void (each = o.eachBatch), seek: () => undefined, disconnect: async () => undefined };
  const admin = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    fetchTopicOffsetsByTimestamp: async (_topic: string, ms: number) => (byTimestamp.asked.push(ms), byTimestamp.offsets),
  };
  const l = new Ledger({ consumer: () => consumer, admin: () => admin } as unknown as Kafka, 'progress', log, { compactionAdvice: false, ...options });
  await l.start();
  return { l, put: (p) => each!({ batch: { messages: [{ key: Buffer.from(p.id), value: encodeProgress(p) }] } }) };
}

const progress = (id: string, status: ObjectProgress['status'], updatedAt: string): ObjectProgress => ({
  id,
  status,
  byteOffset: 1,
  lines: 1,
  entries: 1,
  records: 1,
  parser: { format: undefined, dayMs: 0, lastTodMs: -1, lastTimeMs: 0, lines: 1 },
  updatedAt,
});

describe('Ledger', () => {
  it('sourceOf gives back the record key of an object id, whatever the key holds', () => {
    for (const key of ['logs/a.log', 'a#b#c.log', 'x/../../etc/passwd', 'ünï 🚀 #1']) {
      expect(sourceOf(objectId({ kind: 's3', bucket: 'b', key }, 'v1'))).toBe(key);
    }
    expect(sourceOf(objectId({ kind: 'file', path: '/var/log/app#1.log' }, '123-4'))).toBe('/var/log/app#1.log');
    expect(sourceOf('no version')).toBeUndefined();
  });

  // The report stage keeps a partition from going idle while an object writing to it is ingested.
  it('lists the objects of one log topic in progress that committed since a time, by source', async () => {
    const { l, put } = await ledger();
    const t0 = Date.UTC(2026, 11, 5, 10, 0, 0);
    const at = (ms: number): string => new Date(ms).toISOString();
    await put(progress(ledgerKey('logs', objectId({ kind: 's3', bucket: 'b', key: 'a.log' }, 'v1')), 'in-progress', at(t0)));
    await put(progress(ledgerKey('logs', objectId({ kind: 's3', bucket: 'b', key: 'done.log' }, 'v1')), 'done', at(t0)));
    await put(progress(ledgerKey('logs', objectId({ kind: 's3', bucket: 'b', key: 'old.log' }, 'v1')), 'in-progress', at(t0 - 600_000)));
    await put(progress(ledgerKey('other', objectId({ kind: 's3', bucket: 'b', key: 'b.log' }, 'v1')), 'in-progress', at(t0)));
    expect([...l.inProgress('logs', t0 - 120_000)]).toEqual([['a.log', t0]]);
    await l.stop();
  });

  // The report stage's ledger: the topic keeps a done record for every object ever ingested, and
  // holding them all made its memory and every tick's inProgress() scan grow with history.
  it('holds only objects in progress with inProgressOnly: a done record drops the object, a full ledger keeps it', async () => {
    const t0 = Date.UTC(2026, 11, 5, 10, 0, 0);
    const at = new Date(t0).toISOString();
    const id = ledgerKey('logs', objectId({ kind: 's3', bucket: 'b', key: 'a.log' }, 'v1'));
    const live = await ledger({ inProgressOnly: true });
    const full = await ledger();
    for (const { put } of [live, full]) {
      await put(progress(id, 'in-progress', at));
      await put(progress(ledgerKey('logs', objectId({ kind: 's3', bucket: 'b', key: 'dead.log' }, 'v1')), 'dead-letter', at));
    }
    expect([...live.l.inProgress('logs', t0 - 1)]).toEqual([['a.log', t0]]);
    expect(live.l.size).toBe(1);
    for (const { put } of [live, full]) await put(progress(id, 'done', at));
    expect(live.l.size).toBe(0);
    expect(live.l.get(id)).toBeUndefined();
    expect([...live.l.inProgress('logs', t0 - 1)]).toEqual([]);
    expect(full.l.size).toBe(2);
    expect(full.l.get(id)?.status).toBe('done');
    await live.l.stop();
    await full.l.stop();
  });

  // Start-up bounded by what is live: the ledger begins at the horizon's offsets, counts what it
  // skipped as read (a report stage or a barrier wait must not wait for it), and says which
  // versions it cannot answer for alone.
  it('with a horizon, begins at the offsets of its timestamp and holds all of a version only when modified after it', async () => {
    const DAY = 24 * 60 * 60 * 1000;
    const now = Date.UTC(2026, 11, 5);
    const byTimestamp = { offsets: [{ partition: 0, offset: '5' }, { partition: 1, offset: '0' }], asked: [] as number[] };
    const { l } = await ledger({ horizonMs: 15 * DAY, now: () => now }, byTimestamp);
    expect(byTimestamp.asked).toEqual([now - 15 * DAY - CLOCK_SKEW_MS]);
    expect(l.readFromMs).toBe(now - 15 * DAY - CLOCK_SKEW_MS);
    expect([...l.startOffsets()]).toEqual([[0, 5], [1, 0]]);
    expect(l.hasReadUpTo(new Map([[0, 5], [1, 0]]))).toBe(true);
    expect(l.hasReadUpTo(new Map([[0, 6]]))).toBe(false);
    expect(l.holdsAllOf(now - 15 * DAY)).toBe(true);
    expect(l.holdsAllOf(now - 16 * DAY)).toBe(false);
    expect(l.holdsAllOf(undefined)).toBe(false);
    await l.stop();

    const whole = await ledger({ horizonMs: 0 });
    expect(whole.l.readFromMs).toBeUndefined();
    expect(whole.l.startOffsets().size).toBe(0);
    expect(whole.l.holdsAllOf(0)).toBe(true);
    expect(whole.l.holdsAllOf(undefined)).toBe(true);
    await whole.l.stop();
  });
});
