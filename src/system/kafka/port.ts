/**
 * The Kafka port of the report stage and the compacted-topic readers: the part of a Kafka client
 * they use, and nothing more. It is the kafkajs shape (a subset of kafkajs's own types), so that
 * kafkajs's `Kafka` and the simulation's fake (test/sim/kafka) implement it as they are, and
 * rdkafka-port.ts implements it on librdkafka's own API (kafka.client = librdkafka).
 *
 * What every implementation must keep (the report stage's exactly-once rests on it):
 * - consumers read committed records only (read_committed), never commit offsets on their own, and
 *   hand a partition's records to `eachBatch` in offset order, one batch at a time;
 * - END_BATCH_PROCESS reports how far a partition has been read, transaction markers and aborted
 *   records included (`batchSize` 0 for a batch that carried no record);
 * - GROUP_JOIN carries the new assignment; REBALANCING, CRASH and STOP say the assignment is gone;
 * - a transactional producer fences its id's previous owner at its first transaction (not at
 *   connect: takeOver's `beforeFence` may still refuse), and a fenced producer's commit fails;
 * - `sendOffsets` commits the consumer group's offsets in the transaction.
 */
import type { Admin, Consumer, ConsumerConfig, ProducerConfig, Transaction } from 'kafkajs';

/** A consumer as the stage and the views use it. */
export type ConsumerPort = Pick<Consumer, 'connect' | 'disconnect' | 'subscribe' | 'run' | 'seek' | 'on' | 'events'>;

/** One transaction: records and consumer offsets, committed or aborted together. */
export type TransactionPort = Pick<Transaction, 'send' | 'sendOffsets' | 'commit' | 'abort'>;

/** A transactional producer: `transaction()` begins one (the first also fences the id's previous owner). */
export interface ProducerPort {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  transaction(): Promise<TransactionPort>;
}

/** What makes the clients: kafkajs's `Kafka` is one. */
export interface KafkaPort {
  consumer(config: ConsumerConfig): ConsumerPort;
  producer(config?: ProducerConfig): ProducerPort;
  /** Metadata and offsets (kafkajs on every client: the admin calls are few and off the hot path). */
  admin(): Admin;
}

/**
 * kafkajs's consumer event names (`consumer.events`), which every ConsumerPort carries: the
 * librdkafka port and the simulation's fake emit the same ones.
 */
export const CONSUMER_EVENTS = {
  HEARTBEAT: 'consumer.heartbeat',
  COMMIT_OFFSETS: 'consumer.commit_offsets',
  GROUP_JOIN: 'consumer.group_join',
  FETCH_START: 'consumer.fetch_start',
  FETCH: 'consumer.fetch',
  START_BATCH_PROCESS: 'consumer.start_batch_process',
  END_BATCH_PROCESS: 'consumer.end_batch_process',
  CONNECT: 'consumer.connect',
  DISCONNECT: 'consumer.disconnect',
  STOP: 'consumer.stop',
  CRASH: 'consumer.crash',
  REBALANCING: 'consumer.rebalancing',
  RECEIVED_UNSUBSCRIBED_TOPICS: 'consumer.received_unsubscribed_topics',
  REQUEST: 'consumer.network.request',
  REQUEST_TIMEOUT: 'consumer.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'consumer.network.request_queue_size',
} as const;
