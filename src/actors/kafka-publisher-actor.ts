/**
 * KafkaPublisherActor: commits batches of log records to Kafka exactly once. One transactional
 * producer per object being ingested, fenced per object version (see ObjectPublisher); the progress
 * ledger lives here too, so "was this version ingested?" has one answer per process.
 *
 * Messages (all from its parent, the LineStreamerActor, which supervises it): known(id), begin(id),
 * commit(id, records, progress), deadLetter(id, progress, details), finish(id). Every message is
 * awaited by its sender (sendAndReceive): that is the backpressure. A restart (a new instance)
 * builds new clients and reads the ledger again; the producers of the old one are closed, so their
 * open transactions abort and the versions resume from their last commit.
 */
import type { Actor } from 'comedy';
import type { Admin, Kafka, Message } from 'kafkajs';
import { reasonOf } from '../system/errors/errors';
import { retry } from '../system/errors/retry';
import { Ledger } from '../ingest/ledger';
import { ensureIngestTopics } from '../ingest/topics';
import { transactionalIdFor } from '../ingest/object-ref';
import { isStartProgress, type ObjectProgress, startProgress } from '../ingest/progress';
import { ObjectPublisher, type PublisherTopics, type VersionPublisher } from '../ingest/publisher';
import { LibrdkafkaObjectPublisher } from '../ingest/publisher-librdkafka';
import { createKafka } from '../system/kafka/clients';
import { forwardLibrdkafkaLogs, librdkafkaConfigFor, loadLibrdkafka } from '../system/kafka/librdkafka';
import { kafkaClientOf, type LogpipeConfig } from '../system/config/config';
import type { Logger } from '../system/observability/logging';
import { actorContext, type ActorParameters } from './actor-context';
import { Metrics } from '../system/observability/metrics';

export interface PublisherDeps {
  kafka: Kafka;
  admin: Admin;
  ledger: Ledger;
  topics: PublisherTopics;
  transactionalIdPrefix: string;
  log: Logger;
  /**
   * Creates the topics this actor writes if they are missing; runs once Kafka is reachable. May
   * resolve with the byte budget of a produce request of log records (ObjectPublisher's maxRequestBytes).
   */
  ensureTopics?: () => Promise<number | void>;
  /**
   * Opens the producer of one object version, its log records in requests of at most
   * `maxRequestBytes` (ensureTopics's budget, when known). Default: ObjectPublisher on `kafka`;
   * initialize() chooses by kafka.client; tests replace it.
   */
  open?: (transactionalId: string, options: { maxRequestBytes?: number }) => Promise<VersionPublisher>;
  /** Lines, bytes, records and commit latency are counted here; a registry of its own if absent. */
  metrics?: Metrics;
  /** The bootstrap brokers, named in the log while Kafka cannot be used. */
  brokers?: readonly string[];
  /** Stamps start records' updatedAt; default Date.now. */
  now?: () => number;
  /** Tests only: see ActorParameters.faults. */
  faults?: ActorParameters['faults'];
}

export default class KafkaPublisherActor {
  private deps!: PublisherDeps;
  private readonly producers = new Map<string, VersionPublisher>();
  /** Lines and bytes committed per begun object, so the metrics count each commit's increment once. */
  private readonly counted = new Map<string, { lines: number; bytes: number }>();
  private metrics!: Metrics;
  private ownsClients = false;
  private ready: Promise<void> = Promise.resolve();
  /** Budget of a produce request of log records, from ensureTopics; none until it says. */
  private maxRequestBytes: number | undefined;
  /** Aborted on destroy: ends the connection retries, and a wait between two attempts at once. */
  private readonly stop = new AbortController();

  /**
   * comedy entry point: builds Kafka clients and the ledger from the configuration. Kafka may be
   * down: connecting goes on in the background with backoff, and messages wait for it.
   */
  initialize(self: Actor): void {
    const params = self.getCustomParameters() as ActorParameters;
    const { config, logger, topic } = actorContext(params, 'KafkaPublisherActor');
    const kafka = createKafka(config, logger, { clientIdSuffix: '-publisher' });
    const admin = kafka.admin();
    const ledger = new Ledger(kafka, config.kafka.progressTopic, logger, {
      compactionAdvice: config.kafka.topicProfile !== 'msk-serverless',
      horizonMs: config.ingest.ledgerHorizonMs,
    });
    const topics: PublisherTopics = { log: topic, progress: config.kafka.progressTopic, deadLetter: config.kafka.deadLetterTopic };
    this.ownsClients = true;
    this.init({
      kafka,
      admin,
      ledger,
      topics,
      transactionalIdPrefix: config.kafka.transactionalIdPrefix,
      log: logger,
      ensureTopics: () => ensureIngestTopics(admin, config, topic, logger),
      metrics: params.metrics,
      brokers: config.kafka.brokers,
      ...publisherOpener(config, logger, topics),
      ...(params.faults ? { faults: params.faults } : {}),
    });
    this.ready = this.connect();
    this.ready.catch(() => undefined);
  }

  /** Sets the dependencies (tests call this instead of initialize; their ledger is running). */
  init(deps: PublisherDeps): void {
    this.deps = deps;
    this.metrics = deps.metrics ?? new Metrics();
  }

  /** The committed status of an object version as far as this process has read: no fencing. */
  async known(id: string): Promise<ObjectProgress | undefined> {
    await this.ready;
    return this.deps.ledger.get(id);
  }

  /**
   * Takes over an object version: opens its producer and fences every other writer of the version
   * (in this or any process), then reads the ledger up to a barrier committed after the fence, so
   * the previous writer's last commit is known. Resolves with the version's committed progress,
   * undefined if none. Only then may anything be resumed from it: reading first would let a writer
   * that is fenced later commit past what was read (a batch written twice).
   *
   * One writer per version in this process: a begin for a version already begun is refused (the
   * caller must finish the first; two streams of one version would feed one producer).
   *
   * A version with no progress yet gets a start record (in progress, nothing read) before anything
   * else, so that the ledger knows from now on that it writes to its source's partition: the report
   * stage holds that partition's windows open while the version is in progress. Known only from
   * its first batch, a version whose first batch was held up (a broker outage right after it
   * started) held nothing: the other sources' windows closed without its lines, and they all came
   * late (fault scenario R2, every first window two thirds of its lines). A start record counts as
   * no progress: begin resolves with undefined for it. A version resumed in progress commits its
   * progress again with a fresh updatedAt, for the same reason.
   *
   * `lastModifiedMs`: the version's LastModified (or mtime), undefined when not known. A version the
   * ledger has no entry for that may be older than its horizon (Ledger.holdsAllOf) is looked up in
   * the part of the progress topic the ledger skipped (Ledger.recall) before anything is written:
   * a version ingested long ago stays a no-op, one interrupted long ago resumes.
   */
  async begin(id: string, lastModifiedMs?: number): Promise<ObjectProgress | undefined> {
    await this.ready;
    if (this.producers.has(id)) throw new Error(`object ${id} is already being ingested by this process`);
    const open = this.deps.open ?? ((tid: string, options: { maxRequestBytes?: number }) => ObjectPublisher.open(this.deps.kafka, tid, this.deps.topics, options));
    const producer = await open(transactionalIdFor(this.deps.transactionalIdPrefix, id), { maxRequestBytes: this.maxRequestBytes });
    this.producers.set(id, producer);
    try {
      await this.deps.ledger.syncThrough((key) => producer.fence(key));
    } catch (err) {
      await this.finish(id);
      throw err;
    }
    this.deps.ledger.release(id);
    let committed = this.deps.ledger.get(id);
    if (committed === undefined && !this.deps.ledger.holdsAllOf(lastModifiedMs)) {
      try {
        committed = await this.deps.ledger.recall(id);
      } catch (err) {
        await this.finish(id);
        throw err;
      }
    }
    this.counted.set(id, { lines: committed?.lines ?? 0, bytes: committed?.byteOffset ?? 0 });
    if (committed !== undefined && committed.status !== 'in-progress') return committed;
    // A start record for a version with no progress; for one resumed, its progress again with the
    // time of this take-over: the report stage holds a partition for an object in progress only
    // while its last commit is younger than report.ingestStallMs, and a version resumed after a
    // long outage or restart must hold it again before its next batch.
    const now = new Date((this.deps.now ?? Date.now)()).toISOString();
    const held: ObjectProgress = committed === undefined ? startProgress(id, Date.parse(now)) : { ...committed, updatedAt: now };
    try {
      await producer.commit([], held);
    } catch (err) {
      await this.finish(id);
      throw err;
    }
    this.deps.ledger.remember(held);
    return committed === undefined || isStartProgress(committed) ? undefined : committed;
  }

  /** One transaction: the records and the object's progress. Throws if the object was not begun. */
  async commit(id: string, records: Message[], progress: ObjectProgress): Promise<void> {
    const producer = this.producer(id);
    this.deps.faults?.('publisher.commit', id);
    // Counted before: a publisher may empty `records` once they are queued (VersionPublisher.commit).
    const tally = tallyRecords(records);
    const timer = this.metrics.commitSeconds.startTimer();
    try {
      await producer.commit(records, progress);
    } catch (err) {
      this.metrics.commitFailures.inc();
      throw err;
    }
    const seconds = timer();
    // Debug: one line per transaction (thousands of lines), for the latency breakdown of `npm run bench`.
    this.deps.log.debug('batch committed', { object: id, records: tally.records, status: progress.status, ms: Math.round(seconds * 1000) });
    this.deps.ledger.remember(progress);
    this.countCommitted(id, tally, progress);
  }

  async deadLetter(id: string, progress: ObjectProgress, details: Record<string, string>): Promise<void> {
    await this.producer(id).deadLetter(progress, details);
    this.deps.ledger.remember(progress);
    this.deps.log.warn('object dead-lettered', { id, reason: progress.reason });
  }

  /** Releases the object's producer. */
  async finish(id: string): Promise<void> {
    const producer = this.producers.get(id);
    this.producers.delete(id);
    this.counted.delete(id);
    await producer?.close().catch(() => undefined);
  }

  async destroy(): Promise<void> {
    this.stop.abort(new Error('publisher stopped while connecting'));
    // Let a connection attempt in progress finish or fail first: stopping the ledger while it is
    // still starting would leave its consumer running on.
    await this.ready.catch(() => undefined);
    await Promise.all([...this.producers.keys()].map((id) => this.finish(id)));
    if (this.ownsClients) {
      await this.deps.ledger.stop().catch(() => undefined);
      await this.deps.admin.disconnect().catch(() => undefined);
    }
  }

  /** Connects the admin client, creates missing topics and starts the ledger, retrying with backoff until it works or the actor stops. */
  private async connect(): Promise<void> {
    await retry(
      async () => {
        await this.deps.admin.connect();
        if (this.stop.signal.aborted) throw this.stop.signal.reason;
        // Here rather than at start-up: Kafka may come up after the service does.
        const budget = await this.deps.ensureTopics?.();
        if (typeof budget === 'number') this.maxRequestBytes = budget;
        await this.deps.ledger.start();
      },
      {
        baseMs: 500,
        capMs: 30_000,
        signal: this.stop.signal,
        onRetry: async ({ delayMs, error }) => {
          this.deps.log.warn('Kafka not reachable or the ingest topics not created; retrying', { brokers: this.deps.brokers, delayMs, error: reasonOf(error) });
          await this.deps.ledger.stop().catch(() => undefined);
        },
      },
    );
  }

  /** Counts what one committed transaction added: progress is cumulative, records are this batch's. */
  private countCommitted(id: string, tally: RecordTally, progress: ObjectProgress): void {
    const m = this.metrics;
    const before = this.counted.get(id) ?? { lines: 0, bytes: 0 };
    m.linesIngested.inc(Math.max(0, progress.lines - before.lines));
    m.bytesIngested.inc(Math.max(0, progress.byteOffset - before.bytes));
    this.counted.set(id, { lines: progress.lines, bytes: progress.byteOffset });
    m.recordsIngested.inc(tally.records);
    // One labelled increment per batch, not per record.
    if (tally.truncated) m.flaggedRecords.inc({ flag: 'truncated' }, tally.truncated);
    if (tally.unparsed) m.flaggedRecords.inc({ flag: 'unparsed' }, tally.unparsed);
  }

  private producer(id: string): VersionPublisher {
    const p = this.producers.get(id);
    if (!p) throw new Error(`object ${id} was not begun (or already finished) on this publisher`);
    return p;
  }
}

/**
 * The `open` dependency for the ingest stage's client (kafkaClientOf: ingest.kafkaClient, else
 * kafka.client): none for kafkajs (the actor's default, ObjectPublisher);
 * for librdkafka, a LibrdkafkaObjectPublisher per object version. The binding is loaded here, when
 * the actor starts, so a missing package fails the start with its install hint (loadLibrdkafka)
 * rather than the first object. The ledger and topic administration stay on kafkajs.
 */
export function publisherOpener(config: LogpipeConfig, logger: Logger, topics: PublisherTopics): Pick<PublisherDeps, 'open'> {
  if (kafkaClientOf(config, 'ingest') !== 'librdkafka') return {};
  const rdkafka = loadLibrdkafka();
  const connection = librdkafkaConfigFor(config, { clientIdSuffix: '-publisher' });
  return { open: (transactionalId, options) => LibrdkafkaObjectPublisher.open(rdkafka, connection, transactionalId, topics, options, (producer) => forwardLibrdkafkaLogs(producer, logger)) };
}

/** What one batch adds to the record metrics. */
interface RecordTally {
  records: number;
  truncated: number;
  unparsed: number;
}

function tallyRecords(records: Message[]): RecordTally {
  let truncated = 0;
  let unparsed = 0;
  for (const r of records) {
    const flags = r.headers?.flags;
    if (typeof flags !== 'string') continue;
    if (flags.includes('truncated')) truncated++;
    if (flags.includes('unparsed')) unparsed++;
  }
  return { records: records.length, truncated, unparsed };
}
