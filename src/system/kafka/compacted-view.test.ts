import { PassThrough } from 'node:stream';
import type { Kafka } from 'kafkajs';
import { BARRIER_KEY_PREFIX, CompactedTopicView } from './compacted-view';
import { createLogger } from '../observability/logging';

const log = createLogger({ level: 'error', format: 'json', stream: new PassThrough() });

type EachBatch = (p: { batch: { messages: Array<{ key: Buffer | null; value: Buffer | null }> } }) => Promise<void>;

/** A kafkajs stand-in with one consumer whose records the test hands in, in topic order. */
function fakeKafka(): { kafka: Kafka; deliver: (key: string, value: string | null) => Promise<void>; endBatch: (partition: number, lastOffset: number) => void } {
  let each: EachBatch | undefined;
  const listeners = new Map<string, (e: { payload: { partition: number; lastOffset: string } }) => void>();
  const consumer = {
    events: { CRASH: 'consumer.crash', END_BATCH_PROCESS: 'consumer.end_batch_process' },
    on: (event: string, listener: (e: { payload: { partition: number; lastOffset: string } }) => void) => void listeners.set(event, listener),
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async (o: { eachBatch: EachBatch }) => {
      each = o.eachBatch;
    },
    seek: () => undefined,
    disconnect: async () => undefined,
  };
  return {
    kafka: { consumer: () => consumer } as unknown as Kafka,
    deliver: async (key, value) => {
      if (!each) throw new Error('the view is not running');
      await each({ batch: { messages: [{ key: Buffer.from(key), value: value === null ? null : Buffer.from(value) }] } });
    },
    endBatch: (partition, lastOffset) => listeners.get(consumer.events.END_BATCH_PROCESS)?.({ payload: { partition, lastOffset: String(lastOffset) } }),
  };
}

async function view(options: ConstructorParameters<typeof CompactedTopicView>[5] = {}): Promise<{ v: CompactedTopicView<{ n: number }>; decoded: string[]; deliver: (key: string, value: string | null) => Promise<void> }> {
  const { kafka, deliver } = fakeKafka();
  const decoded: string[] = [];
  const v = new CompactedTopicView<{ n: number }>(kafka, 'state', log, (key, value) => {
    decoded.push(`${key}=${value.toString()}`);
    return JSON.parse(value.toString()) as { n: number };
  }, 'test', options);
  await v.start();
  return { v, decoded, deliver };
}

describe('CompactedTopicView', () => {
  // The report stage lets no partition go idle while its ledger view is behind the progress topic.
  it('knows whether it has read each partition up to given end offsets', async () => {
    const { kafka, endBatch } = fakeKafka();
    const v = new CompactedTopicView<{ n: number }>(kafka, 'progress', log, () => ({ n: 0 }), 'test');
    await v.start();
    expect(v.hasReadUpTo(new Map())).toBe(true);
    expect(v.hasReadUpTo(new Map([[0, 0]]))).toBe(true); // an empty partition
    expect(v.hasReadUpTo(new Map([[0, 3]]))).toBe(false);
    endBatch(0, 1);
    expect(v.hasReadUpTo(new Map([[0, 3]]))).toBe(false);
    endBatch(0, 2); // a batch of a transaction marker only counts too
    expect(v.hasReadUpTo(new Map([[0, 3]]))).toBe(true);
    expect(v.hasReadUpTo(new Map([[0, 3], [1, 1]]))).toBe(false);
    await v.stop();
  });

  // The report stage's state topic is shared by every group and log topic: records of keys the
  // view does not keep must be neither decoded nor held.
  it('skips the records of keys it does not keep, without decoding them', async () => {
    const { v, decoded, deliver } = await view({ keep: (key) => key.startsWith('mine ') });
    await deliver('theirs 1', '{"n":1}');
    await deliver('mine 1', '{"n":2}');
    await deliver('theirs 1', null);
    expect(v.get('theirs 1')).toBeUndefined();
    expect(v.get('mine 1')).toEqual({ n: 2 });
    expect(decoded).toEqual(['mine 1={"n":2}']);
  });

  // Regression guard for the decode skip: reading back this process's own commit must not decode
  // it, yet the view must still end with the topic's last value whatever the interleaving.
  it('does not decode its own commits when it reads them back, and still ends with the last value of the topic', async () => {
    const { v, decoded, deliver } = await view();
    v.set('k', { n: 1 }, Buffer.from('{"n":1}'));
    await deliver('k', '{"n":1}');
    expect(decoded).toEqual([]);
    expect(v.get('k')).toEqual({ n: 1 });

    // Two commits set before either is read back: the older is decoded, the newer is not, and the
    // view never goes back to the older one while it reads it back (issue 14 item 3: it did).
    v.set('k', { n: 2 }, Buffer.from('{"n":2}'));
    v.set('k', { n: 3 }, Buffer.from('{"n":3}'));
    await deliver('k', '{"n":2}');
    expect(v.get('k')).toEqual({ n: 3 });
    await deliver('k', '{"n":3}');
    expect(v.get('k')).toEqual({ n: 3 });
    expect(decoded).toEqual(['k={"n":2}']);

    // Another writer's record after ours is decoded and wins; a tombstone deletes.
    await deliver('k', '{"n":4}');
    expect(v.get('k')).toEqual({ n: 4 });
    await deliver('k', null);
    expect(v.get('k')).toBeUndefined();
    await v.stop();
  });

  // Issue 14 item 3: a take-over must read the previous owner's last commit, which may lie past the
  // last stable offset that ListOffsets reports. The barrier is read only after everything before it.
  it('syncThrough resolves once the barrier it wrote is read back, after every record before it', async () => {
    const { v, deliver } = await view({ keep: (key) => key.startsWith('mine ') });
    let barrier = '';
    let synced = false;
    const sync = v
      .syncThrough(async (key) => {
        barrier = key;
      })
      .then(() => (synced = true));
    await new Promise((r) => setImmediate(r));
    expect(barrier.startsWith(BARRIER_KEY_PREFIX)).toBe(true);
    await deliver('mine 1', '{"n":7}');
    expect(synced).toBe(false);
    // Another process's barrier does not end this one's wait.
    await deliver(`${BARRIER_KEY_PREFIX}someone-else`, null);
    await new Promise((r) => setImmediate(r));
    expect(synced).toBe(false);
    await deliver(barrier, null);
    await sync;
    expect(v.get('mine 1')).toEqual({ n: 7 });
    expect(v.size).toBe(1);
    await v.stop();
  });

  it('syncThrough rejects (retriable) when writing the barrier fails or it is not read back in time', async () => {
    const { v } = await view();
    await expect(v.syncThrough(async () => Promise.reject(new Error('fenced')))).rejects.toThrow('fenced');
    await expect(v.syncThrough(async () => undefined, 50)).rejects.toMatchObject({ retriable: true });
    await v.stop();
  });

  // A pin is this process's own word; after a take-over the topic's value (the previous owner's
  // last commit) is the truth.
  it('release() drops this process\'s pin so get() answers with what the topic holds', async () => {
    const { v, deliver } = await view();
    v.set('k', { n: 1 }, Buffer.from('{"n":1}'));
    await deliver('k', '{"n":5}');
    expect(v.get('k')).toEqual({ n: 1 });
    v.release('k');
    expect(v.get('k')).toEqual({ n: 5 });
    await v.stop();
  });
});
