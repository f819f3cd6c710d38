import type { Producer, Transaction } from 'kafkajs';
import { withSimKafka } from './sim-kafka.fixture';
import { Lock, takeOver, transactionalProducer, TransactionalWriter } from './transaction';

const STATE = 'report-state';
const OUT = 'report-out';
const LOG = 'log';

function createTopics(env: { broker: { createTopics(specs: Array<{ topic: string }>): boolean } }): void {
  env.broker.createTopics([{ topic: STATE }, { topic: OUT }, { topic: LOG }]);
}

describe('Lock', () => {
  it('runs calls one after another, and a rejected call does not stop the next', async () => {
    const lock = new Lock();
    const order: string[] = [];
    let release!: () => void;
    const first = lock.run(() => new Promise<void>((r) => (release = r)).then(() => void order.push('first')));
    const second = lock.run(async () => {
      order.push('second');
      throw new Error('second failed');
    });
    const third = lock.run(async () => void order.push('third'));
    await Promise.resolve();
    expect(order).toEqual([]);
    release();
    await first;
    await expect(second).rejects.toThrow('second failed');
    await third;
    expect(order).toEqual(['first', 'second', 'third']);
  });
});

describe('TransactionalWriter on the in-memory Kafka', () => {
  it('commits the records and the consumer offsets of one transaction together', () =>
    withSimKafka(async (env) => {
      createTopics(env);
      const producer = transactionalProducer(env.kafka('p1'), 'tid-a');
      const view = await env.stateView(STATE);
      expect(await takeOver(producer, view, STATE, 'k')).toBeUndefined();
      const failures: number[] = [];
      const writer = new TransactionalWriter(producer, () => new Error('dropped'), () => failures.push(1));
      await writer.commit(async (txn) => {
        await txn.send({ topic: OUT, messages: [{ key: 'a', value: '1' }] });
        await txn.sendOffsets({ consumerGroupId: 'g', topics: [{ topic: LOG, partitions: [{ partition: 0, offset: '5' }] }] });
      });
      expect(await env.committed(OUT)).toEqual([{ key: 'a', value: '1' }]);
      expect(env.broker.groups.committedOffset('g', LOG, 0)).toBe(5);
      expect(failures).toEqual([]);
      expect(writer.dropped).toBe(false);
      await producer.disconnect();
    }));

  it('aborts on a failed write, drops itself and calls onFailure once; later commits refuse before they begin', () =>
    withSimKafka(async (env) => {
      createTopics(env);
      const producer = transactionalProducer(env.kafka('p1'), 'tid-b');
      await takeOver(producer, await env.stateView(STATE), STATE, 'k');
      let failures = 0;
      const writer = new TransactionalWriter(producer, () => new Error('writer dropped'), () => failures++);
      await expect(
        writer.commit(async (txn) => {
          await txn.send({ topic: OUT, messages: [{ key: 'b', value: '2' }] });
          await txn.sendOffsets({ consumerGroupId: 'g', topics: [{ topic: LOG, partitions: [{ partition: 0, offset: '9' }] }] });
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(failures).toBe(1);
      expect(writer.dropped).toBe(true);
      expect(await env.committed(OUT)).toEqual([]);
      expect(env.broker.partition(OUT, 0).undecided()).toEqual([]);
      expect(env.broker.groups.committedOffset('g', LOG, 0)).not.toBe(9);
      const write = jest.fn(async () => undefined);
      await expect(writer.commit(write)).rejects.toThrow('writer dropped');
      expect(write).not.toHaveBeenCalled();
      expect(failures).toBe(1);
      await producer.disconnect();
    }));

  it('take-over fences the previous owner (its next commit fails) and restores the last committed state', () =>
    withSimKafka(async (env) => {
      createTopics(env);
      const old = transactionalProducer(env.kafka('old'), 'tid-c');
      await takeOver(old, await env.stateView(STATE, 'old-view'), STATE, 'merge g t');
      let oldFailures = 0;
      const oldWriter = new TransactionalWriter(old, () => new Error('dropped'), () => oldFailures++);
      const saved = { kind: 'merge', merger: { windows: [] }, nextOffset: 3, lastAlertStartMs: null };
      await oldWriter.commit((txn) => txn.send({ topic: STATE, messages: [{ key: 'merge g t', value: JSON.stringify(saved) }] }).then(() => undefined));

      const successor = transactionalProducer(env.kafka('new'), 'tid-c');
      expect(await takeOver(successor, await env.stateView(STATE, 'new-view'), STATE, 'merge g t')).toEqual(saved);

      await expect(oldWriter.commit((txn) => txn.send({ topic: OUT, messages: [{ key: 'zombie', value: 'x' }] }).then(() => undefined))).rejects.toThrow();
      expect(oldFailures).toBe(1);
      expect(await env.committed(OUT)).toEqual([]);
      await old.disconnect().catch(() => undefined);
      await successor.disconnect();
    }));

  it('a take-over refused by beforeFence fences nothing and releases its producer', () =>
    withSimKafka(async (env) => {
      createTopics(env);
      const owner = transactionalProducer(env.kafka('owner'), 'tid-d');
      await takeOver(owner, await env.stateView(STATE, 'owner-view'), STATE, 'k');
      const writer = new TransactionalWriter(owner, () => new Error('dropped'), () => undefined);

      const refused = transactionalProducer(env.kafka('stalled'), 'tid-d');
      const disconnect = jest.spyOn(refused, 'disconnect');
      await expect(
        takeOver(refused, await env.stateView(STATE, 'stalled-view'), STATE, 'k', {
          beforeFence: () => {
            throw new Error('not after a stall');
          },
        }),
      ).rejects.toThrow('not after a stall');
      expect(disconnect).toHaveBeenCalled();

      await writer.commit((txn) => txn.send({ topic: OUT, messages: [{ key: 'still-mine', value: '1' }] }).then(() => undefined));
      expect(await env.committed(OUT)).toEqual([{ key: 'still-mine', value: '1' }]);
      await owner.disconnect();
    }));
});

describe('TransactionalWriter (mocked producer)', () => {
  function mockProducer(): { producer: Producer; txn: jest.Mocked<Pick<Transaction, 'commit' | 'abort'>>; transaction: jest.Mock; disconnect: jest.Mock } {
    const txn = { commit: jest.fn(async () => undefined), abort: jest.fn(async () => undefined) } as unknown as jest.Mocked<Pick<Transaction, 'commit' | 'abort'>>;
    const transaction = jest.fn(async () => txn);
    const disconnect = jest.fn(async () => undefined);
    return { producer: { transaction, disconnect } as unknown as Producer, txn, transaction, disconnect };
  }

  it('stays usable when the transaction could not even begin (nothing was written)', async () => {
    const m = mockProducer();
    m.transaction.mockRejectedValueOnce(new Error('coordinator not available'));
    const onFailure = jest.fn();
    const writer = new TransactionalWriter(m.producer, () => new Error('dropped'), onFailure);
    await expect(writer.commit(async () => undefined)).rejects.toThrow('coordinator not available');
    expect(writer.dropped).toBe(false);
    expect(onFailure).not.toHaveBeenCalled();
    await writer.commit(async () => undefined);
    expect(m.txn.commit).toHaveBeenCalledTimes(1);
  });

  it('a failed commit aborts too, and a failed abort does not hide the commit error', async () => {
    const m = mockProducer();
    m.txn.commit.mockRejectedValueOnce(new Error('fenced'));
    m.txn.abort.mockRejectedValueOnce(new Error('abort failed'));
    const onFailure = jest.fn();
    const writer = new TransactionalWriter(m.producer, () => new Error('dropped'), onFailure);
    await expect(writer.commit(async () => undefined)).rejects.toThrow('fenced');
    expect(m.txn.abort).toHaveBeenCalledTimes(1);
    expect(onFailure).toHaveBeenCalledTimes(1);
  });

  it('dropAfterWork waits for the transaction in hand, then drops and disconnects', async () => {
    const m = mockProducer();
    const writer = new TransactionalWriter(m.producer, () => new Error('dropped'), () => undefined);
    let finish!: () => void;
    const inHand = writer.lock.run(() => writer.commit(() => new Promise<void>((r) => (finish = r))));
    const dropped = writer.dropAfterWork();
    await new Promise((r) => setImmediate(r));
    expect(m.disconnect).not.toHaveBeenCalled();
    expect(writer.dropped).toBe(false);
    finish();
    await inHand;
    await dropped;
    expect(m.txn.commit).toHaveBeenCalledTimes(1);
    expect(m.disconnect).toHaveBeenCalledTimes(1);
    expect(writer.dropped).toBe(true);
  });

  it('disconnectAfterWork releases the producer without dropping; dropNow drops at once and never rejects', async () => {
    const m = mockProducer();
    const writer = new TransactionalWriter(m.producer, () => new Error('dropped'), () => undefined);
    await writer.disconnectAfterWork();
    expect(m.disconnect).toHaveBeenCalledTimes(1);
    expect(writer.dropped).toBe(false);
    m.disconnect.mockRejectedValueOnce(new Error('already gone'));
    await writer.dropNow();
    expect(writer.dropped).toBe(true);
  });
});
