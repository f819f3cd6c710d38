import { Partitioners } from 'kafkajs';
import { IngestingPartitions } from './ingesting-partitions';

/** The partition kafkajs's default partitioner gives `key` among `count` (as ingest writes it). */
function partitionOf(key: string, count: number): number {
  const partitionMetadata = Array.from({ length: count }, (_, i) => ({ partitionId: i, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
  return Partitioners.DefaultPartitioner()({ topic: 'log', partitionMetadata, message: { key, value: null } });
}

function setUp(inProgress: Record<string, number>) {
  let ends = [{ partition: 0, offset: '0', high: '10', low: '0' }];
  let readUpTo = 10;
  const asked: number[] = [];
  const admin = { fetchTopicOffsets: async () => ends };
  const ledger = {
    topic: 'progress',
    hasReadUpTo: (required: ReadonlyMap<number, number>) => (required.get(0) ?? 0) <= readUpTo,
    inProgress: (_topic: string, sinceMs: number) => {
      asked.push(sinceMs);
      return new Map(Object.entries(inProgress).filter(([, at]) => at >= sinceMs));
    },
  };
  const parts = new IngestingPartitions(admin, ledger as never, () => 100_000);
  return { parts, asked, setEnds: (high: number) => (ends = [{ partition: 0, offset: '0', high: String(high), low: '0' }]), setRead: (n: number) => (readUpTo = n) };
}

describe('IngestingPartitions', () => {
  it('gives the partitions of the objects in progress with a commit within the stall limit', async () => {
    const { parts, asked } = setUp({ 's3://b/host-a.log': 99_000, 'old.log': 1_000 });
    const found = await parts.partitions('log', 8, 30_000);
    expect(asked).toEqual([70_000]);
    expect(found).toEqual(new Set([partitionOf('s3://b/host-a.log', 8)]));
    expect(await parts.partitions('log', 0, 30_000)).toEqual(new Set());
  });

  // Judging from a view behind the ingest could let a partition go idle while its object was in progress.
  it('answers undefined while the ledger view has not read up to where the topic ended one call ago', async () => {
    const { parts, setEnds, setRead } = setUp({});
    setRead(5);
    expect(await parts.partitions('log', 4, 30_000)).toBeUndefined();
    setRead(10);
    setEnds(20);
    // Up to where it ended at the previous call (10), not where it ends now (20): continuous ingest keeps the view behind the moment.
    expect(await parts.partitions('log', 4, 30_000)).toEqual(new Set());
    expect(await parts.partitions('log', 4, 30_000)).toBeUndefined();
    setRead(20);
    expect(await parts.partitions('log', 4, 30_000)).toEqual(new Set());
  });

  // The partitioner is made once per partition count: a topic that grew gets a new one.
  it('follows a change of the partition count', async () => {
    const keys = Array.from({ length: 20 }, (_, i) => `s3://b/host-${i}.log`);
    const { parts } = setUp(Object.fromEntries(keys.map((k) => [k, 99_000])));
    for (const count of [3, 3, 7, 3]) {
      expect(await parts.partitions('log', count, 30_000)).toEqual(new Set(keys.map((k) => partitionOf(k, count))));
    }
  });
});
