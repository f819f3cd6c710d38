/**
 * One logpipe process's ingest worker in the simulation: the real FileFetcherActor,
 * LineStreamerActor and KafkaPublisherActor (with the real ObjectPublisher and Ledger), wired the
 * way FileFetcherActor.initialize wires them, on the fake Kafka and the in-memory S3, all running
 * as one simulated process. Actor messages are direct calls (comedy's in-memory actors hand
 * messages over without copying them).
 */
import FileFetcherActor, { type IngestOutcome } from '../../../src/actors/file-fetcher-actor';
import KafkaPublisherActor from '../../../src/actors/kafka-publisher-actor';
import LineStreamerActor from '../../../src/actors/line-streamer-actor';
import type { ObjectStore } from '../../../src/ingest/fetcher';
import { Ledger } from '../../../src/ingest/ledger';
import type { ObjectRef } from '../../../src/ingest/object-ref';
import type { LogpipeConfig } from '../../../src/system/config/config';
import { Metrics } from '../../../src/system/observability/metrics';
import type { FakeBroker } from '../kafka/broker';
import { FakeKafka } from '../kafka/client';
import { SimProcess } from '../runtime/process';
import { simLogger } from '../runtime/logger';
import type { World } from '../runtime/world';
import type { MemoryS3 } from '../s3/store';

export interface IngestTuning {
  batchMaxRecords: number;
  maxInFlight: number;
  fetchMaxBatches: number;
}

/** An actor as comedy's sendAndReceive reaches it: the handler runs after the message is delivered. */
function port<A extends object>(actor: A): { sendAndReceive(topic: string, ...args: unknown[]): Promise<never> } {
  return {
    sendAndReceive: (topic: string, ...args: unknown[]) =>
      Promise.resolve().then(() => (actor as unknown as Record<string, (...a: unknown[]) => unknown>)[topic](...args)) as Promise<never>,
  };
}

export class IngestNode {
  readonly proc: SimProcess;
  readonly kafka: FakeKafka;
  readonly ledger: Ledger;
  readonly publisher = new KafkaPublisherActor();
  readonly streamer = new LineStreamerActor();
  readonly fetcher = new FileFetcherActor();
  private started: Promise<void> | undefined;

  constructor(
    readonly name: string,
    world: World,
    broker: FakeBroker,
    s3: MemoryS3,
    config: LogpipeConfig,
    tuning: IngestTuning,
    metrics: Metrics,
  ) {
    this.proc = new SimProcess(name);
    this.kafka = new FakeKafka({ broker, world, process: this.proc, fetchMaxBatches: tuning.fetchMaxBatches });
    const kafka = this.kafka.asKafka();
    const log = simLogger(world, name);
    this.ledger = new Ledger(kafka, config.kafka.progressTopic, log);
    const admin = kafka.admin();
    const store: ObjectStore = s3.storeFor(this.proc);
    this.publisher.init({
      kafka,
      admin,
      ledger: this.ledger,
      topics: { log: config.kafka.topic, progress: config.kafka.progressTopic, deadLetter: config.kafka.deadLetterTopic },
      transactionalIdPrefix: config.kafka.transactionalIdPrefix,
      log,
      metrics,
    });
    this.streamer.init({
      publisher: port(this.publisher),
      options: { parser: config.parser, maxLineBytes: config.ingest.maxLineBytes, batchMaxRecords: tuning.batchMaxRecords, batchMaxBytes: config.ingest.batchMaxBytes, maxInFlight: tuning.maxInFlight },
      log,
      metrics,
    });
    this.fetcher.init({
      topic: config.kafka.topic,
      streamer: port(this.streamer) as never,
      stores: { s3: store, file: store },
      fetch: { maxDecompressedBytes: config.ingest.maxDecompressedBytes, retryBudgetMs: config.ingest.retryBudgetMs },
      log,
      metrics,
    });
  }

  /**
   * Starts the ledger the way the actor does once its clients exist: KafkaPublisherActor.initialize
   * builds clients from the configuration (which the simulation replaces with its own), then runs
   * its private connect(), retrying with backoff until the ledger runs; messages wait for it.
   */
  start(): Promise<void> {
    this.started ??= this.proc.run(() => {
      const actor = this.publisher as unknown as { ready: Promise<void>; connect(): Promise<void> };
      actor.ready = actor.connect();
      return actor.ready;
    });
    return this.started;
  }

  /** An ingest request as the watcher sends it: resolves with the outcome, rejects when a retry can help. */
  ingest(ref: ObjectRef): Promise<IngestOutcome> {
    return this.proc.run(async () => {
      await this.start();
      return this.fetcher.ingest(ref);
    });
  }

  get status(): SimProcess['status'] {
    return this.proc.status;
  }
}
