import { PassThrough } from 'node:stream';
import type { Kafka } from 'kafkajs';
import { CompactedTopicView } from './compacted-view';
import { createLogger } from './logging';

const log = createLogger({ level: 'error', format: 'json', stream: new PassThrough() });

type EachMessage = (p: { message: { key: Buffer | null; value: Buffer | null } }) => Promise<void>;

/** A kafkajs stand-in with one consumer whose records the test hands in, in topic order. */
function fakeKafka(): { kafka: Kafka; deliver: (key: string, value: string | null) => Promise<void> } {
  let each: EachMessage | undefined;
  const consumer = {
    events: { CRASH: 'consumer.crash', END_BATCH_PROCESS: 'consumer.end_batch_process' },
    on: () => undefined,
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async (o: { eachMessage: EachMessage }) => {
      each = o.eachMessage;
    },
    seek: () => undefined,
    disconnect: async () => undefined,
  };
  return {
    kafka: { consumer: () => consumer } as unknown as Kafka,
    deliver: async (key, value) => {
      if (!each) throw new Error('the view is not running');
      await each({ message: { key: Buffer.from(key), value: value === null ? null : Buffer.from(value) } });
    },
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

    // Two commits set before either is read back: the older is decoded, the newer is not, and
    // the view ends with the newer one.
    v.set('k', { n: 2 }, Buffer.from('{"n":2}'));
    v.set('k', { n: 3 }, Buffer.from('{"n":3}'));
    await deliver('k', '{"n":2}');
    expect(v.get('k')).toEqual({ n: 2 });
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
});
