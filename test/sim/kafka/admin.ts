/**
 * kafkajs's admin client against the fake broker: the calls the code makes. fetchTopicOffsets
 * answers what kafkajs's admin answers, a ListOffsets at READ_COMMITTED: `offset` and `high` are
 * the last stable offset (an open transaction holds them back), not the high watermark.
 * fetchTopicOffsetsByTimestamp is Kafka's offsets-for-times look-up with kafkajs's fallback.
 */
import type { ClientContext } from './client';
import type { TopicSpec } from './broker';

export class FakeAdmin {
  constructor(private readonly ctx: ClientContext) {}

  async connect(): Promise<void> {
    await this.ctx.request('Metadata (admin)', () => undefined);
  }

  async disconnect(): Promise<void> {
    await this.ctx.request('Disconnect (admin)', () => undefined).catch(() => undefined);
  }

  async listTopics(): Promise<string[]> {
    return this.ctx.request('Metadata (topics)', () => this.ctx.broker.topicNames());
  }

  async createTopics(o: { topics: TopicSpec[]; waitForLeaders?: boolean }): Promise<boolean> {
    return this.ctx.request(`CreateTopics ${o.topics.map((t) => t.topic).join(',')}`, () => this.ctx.broker.createTopics(o.topics));
  }

  async deleteTopics(): Promise<void> {
    // Topics of a simulation live as long as its broker.
  }

  async fetchTopicMetadata(o: { topics: string[] }): Promise<{ topics: Array<{ name: string; partitions: Array<{ partitionId: number; leader: number; replicas: number[]; isr: number[]; partitionErrorCode: number; offlineReplicas: number[] }> }> }> {
    return this.ctx.request('Metadata', () => ({
      topics: o.topics.map((name) => ({
        name,
        partitions: Array.from({ length: this.ctx.broker.partitionCount(name) }, (_, partitionId) => ({ partitionId, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0, offlineReplicas: [] })),
      })),
    }));
  }

  async fetchTopicOffsets(topic: string): Promise<Array<{ partition: number; offset: string; high: string; low: string }>> {
    return this.ctx.request(`ListOffsets ${topic}`, () =>
      Array.from({ length: this.ctx.broker.partitionCount(topic) }, (_, partition) => {
        const lso = String(this.ctx.broker.latestOffset(topic, partition, true));
        return { partition, offset: lso, high: lso, low: '0' };
      }),
    );
  }

  /**
   * kafkajs's fetchTopicOffsetsByTimestamp: per partition, Kafka's offsets-for-times answer (a
   * ListOffsets by timestamp at READ_COMMITTED, see FakeBroker.offsetForTimestamp), and where the
   * broker finds none, the last stable offset kafkajs's admin substitutes (its fetchTopicOffsets).
   */
  async fetchTopicOffsetsByTimestamp(topic: string, timestamp?: number): Promise<Array<{ partition: number; offset: string }>> {
    return this.ctx.request(`ListOffsets ${topic} by timestamp ${timestamp ?? 'none'}`, () =>
      Array.from({ length: this.ctx.broker.partitionCount(topic) }, (_, partition) => {
        // kafkajs sends no timestamp as -1 (the latest offset).
        const found = timestamp === undefined ? -1 : this.ctx.broker.offsetForTimestamp(topic, partition, timestamp, true);
        return { partition, offset: String(found >= 0 ? found : this.ctx.broker.latestOffset(topic, partition, true)) };
      }),
    );
  }

  async fetchOffsets(o: { groupId: string; topics?: string[] }): Promise<Array<{ topic: string; partitions: Array<{ partition: number; offset: string; metadata: string | null }> }>> {
    return this.ctx.request(`OffsetFetch ${o.groupId}`, () =>
      (o.topics ?? []).map((topic) => ({
        topic,
        partitions: Array.from({ length: this.ctx.broker.partitionCount(topic) }, (_, partition) => ({
          partition,
          offset: String(this.ctx.broker.groups.committedOffset(o.groupId, topic, partition)),
          metadata: null,
        })),
      })),
    );
  }
}
