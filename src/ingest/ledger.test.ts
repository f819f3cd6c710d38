import { PassThrough } from 'node:stream';
import type { Kafka } from 'kafkajs';
import { createLogger } from '../system/logging';
import { Ledger, sourceOf } from './ledger';
import { ledgerKey, objectId } from './object-ref';
import { encodeProgress, type ObjectProgress } from './progress';

const log = createLogger({ level: 'error', format: 'json', stream: new PassThrough() });

type EachMessage = (p: { message: { key: Buffer | null; value: Buffer | null } }) => Promise<void>;

/** A Ledger over a kafkajs stand-in whose records the test hands in. */
async function ledger(): Promise<{ l: Ledger; put: (p: ObjectProgress) => Promise<void> }> {
  let each: EachMessage | undefined;
  const consumer = { events: {}, on: () => undefined, connect: async () => undefined, subscribe: async () => undefined, run: async (o: { eachMessage: EachMessage }) => void (each = o.eachMessage), seek: () => undefined, disconnect: async () => undefined };
  const l = new Ledger({ consumer: () => consumer } as unknown as Kafka, 'progress', log);
  await l.start();
  return { l, put: (p) => each!({ message: { key: Buffer.from(p.id), value: encodeProgress(p) } }) };
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
});
