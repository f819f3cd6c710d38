import { type PartitionerArgs, Partitioners } from 'kafkajs';
import { createCachingPartitioner } from './partitioner';

function metadata(count: number): PartitionerArgs['partitionMetadata'] {
  return Array.from({ length: count }, (_, partitionId) => ({ partitionId, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }));
}

describe('createCachingPartitioner', () => {
  // Guards the contract that caching changes nothing: a source's records must land where kafkajs's
  // (and the Java client's) default partitioner puts them, whatever the order of keys and topics.
  it('assigns the same partitions as the DefaultPartitioner, also when keys, topics and counts alternate', () => {
    const cached = createCachingPartitioner();
    const plain = Partitioners.DefaultPartitioner();
    const keys = ['seed-1.log', 'seed-1.log', 'app/host-2.log', 'seed-1.log', 'LogFileGenerator.2026-11-26.log', 'é/ü.log', ''];
    for (const count of [1, 3, 10, 10, 7, 10]) {
      for (const topic of ['a', 'b', 'a']) {
        for (const key of keys) {
          const args = { topic, partitionMetadata: metadata(count), message: { key, value: 'x' } };
          expect(cached(args)).toBe(plain(args));
        }
      }
    }
  });

  it('keeps an explicit partition, and leaves records without a key to the round robin', () => {
    const cached = createCachingPartitioner();
    const args = (message: PartitionerArgs['message']): PartitionerArgs => ({ topic: 't', partitionMetadata: metadata(10), message });
    // Warm the cache with a key, then ask for the same key with an explicit partition.
    cached(args({ key: 'k', value: 'x' }));
    expect(cached(args({ key: 'k', value: 'x', partition: 7 }))).toBe(7);
    const spread = new Set(Array.from({ length: 20 }, () => cached(args({ key: null, value: 'x' }))));
    expect(spread.size).toBe(10);
  });
});
