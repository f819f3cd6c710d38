/**
 * LineStreamerActor: turns an object's bytes into batches of log records (LineStreamer: split,
 * parse, batch) and hands each batch, with the object's progress, to the KafkaPublisherActor, its
 * child (created and supervised here). It awaits the publisher with a bounded number of batches in
 * flight, so a slow broker holds the fetcher and memory stays flat whatever the object's size.
 *
 * Messages (from its parent, the FileFetcherActor): claim(id) → the version's committed progress
 * (the publisher's take-over), begin(object), chunk(id, bytes), end(id) → committed progress,
 * abort(id) → progress so far, deadLetter(id, progress, details), finish(id); known(id) → the
 * ledger's progress. The ledger messages pass on to the publisher: every message goes from a
 * parent to its child, and the answer comes back up.
 */
import type { Actor } from 'comedy';
import type { Message } from 'kafkajs';
import type { ObjectProgress } from '../ingest/progress';
import { type Batch, LineStreamer, type ObjectContext, type ResumePoint, type StreamerOptions } from '../ingest/streamer';
import { actorContext, type ActorParameters, createSupervisedChild } from './actor-context';
import type { Logger } from '../system/observability/logging';
import { Metrics } from '../system/observability/metrics';

/** What the streamer needs to know of an object (all plain data: it crosses actor boundaries). */
export interface StreamedObject {
  id: string;
  context: ObjectContext;
  /** Committed progress to continue from, if the object was interrupted before. */
  resume?: ObjectProgress;
}

/** The publisher as the streamer uses it: its supervised child actor or, in tests, a plain object. */
export interface PublisherPort {
  sendAndReceive(topic: 'commit', id: string, records: Message[], progress: ObjectProgress): Promise<void>;
  sendAndReceive(topic: 'known', id: string): Promise<ObjectProgress | undefined>;
  sendAndReceive(topic: 'begin', id: string, lastModifiedMs?: number): Promise<ObjectProgress | undefined>;
  sendAndReceive(topic: 'deadLetter', id: string, progress: ObjectProgress, details: Record<string, string>): Promise<void>;
  sendAndReceive(topic: 'finish', id: string): Promise<void>;
}

export interface StreamerDeps {
  publisher: PublisherPort;
  options: StreamerOptions;
  log: Logger;
  /** Stamps the progress records' updatedAt; default Date.now. */
  now?: () => number;
  /** The batches-in-flight gauge; a registry of its own if absent. */
  metrics?: Metrics;
  /** Tests only: see ActorParameters.faults. */
  faults?: ActorParameters['faults'];
}

interface Streaming {
  streamer: LineStreamer;
  last: ObjectProgress | undefined;
}

export default class LineStreamerActor {
  private deps!: StreamerDeps;
  private readonly objects = new Map<string, Streaming>();
  private metrics!: Metrics;
  /** What this actor has added to the in-flight gauge (other streamers may share the process's gauge). */
  private reportedInFlight = 0;

  private publisherChild: { destroy(): Promise<void> } | undefined;

  /** comedy entry point: creates and supervises the publisher (in-memory: batches never cross a process). */
  async initialize(self: Actor): Promise<void> {
    const params = self.getCustomParameters() as ActorParameters;
    const { config, root, logger } = actorContext(params, 'LineStreamerActor');
    const publisher = await createSupervisedChild(self, 'kafka-publisher-actor', {
      childConfig: { mode: 'in-memory', customParameters: { ...params, logger: root, refs: {} } },
      inProcess: true,
      config,
      log: logger,
    });
    this.publisherChild = publisher;
    this.init({
      publisher: publisher as unknown as PublisherPort,
      ...(params.faults ? { faults: params.faults } : {}),
      options: {
        parser: config.parser,
        maxLineBytes: config.ingest.maxLineBytes,
        batchMaxRecords: config.ingest.batchMaxRecords,
        batchMaxBytes: config.ingest.batchMaxBytes,
        maxInFlight: config.ingest.maxInFlightBatches,
        eventTime: config.kafka.topicProfile === 'msk-serverless' ? 'header' : 'timestamp',
      },
      log: logger,
      metrics: params.metrics,
    });
  }

  init(deps: StreamerDeps): void {
    this.deps = deps;
    this.metrics = deps.metrics ?? new Metrics();
  }

  /** comedy destroys the publisher before this runs; its supervisor must not restart it any more. */
  async destroy(): Promise<void> {
    await this.publisherChild?.destroy();
  }

  /** The ledger's progress of a version (the publisher's; no fencing). */
  known(id: string): Promise<ObjectProgress | undefined> {
    return this.deps.publisher.sendAndReceive('known', id);
  }

  /**
   * Takes a version over for this process (KafkaPublisherActor.begin: fences every other writer,
   * then reads the ledger): resolves with its committed progress, undefined if none. begin() it
   * from there, or deadLetter() it; finish() it in any case. `lastModifiedMs`: the version's, when
   * known (a version older than the ledger's horizon is looked up in the part it skipped).
   */
  claim(id: string, lastModifiedMs?: number): Promise<ObjectProgress | undefined> {
    return this.deps.publisher.sendAndReceive('begin', id, lastModifiedMs);
  }

  /** Dead-letters a claimed version with the progress it stopped at (one transaction on the publisher). */
  deadLetter(id: string, progress: ObjectProgress, details: Record<string, string>): Promise<void> {
    return this.deps.publisher.sendAndReceive('deadLetter', id, progress, details);
  }

  /** Releases a claimed version: forgets its stream if one is left, and the publisher's producer. */
  async finish(id: string): Promise<void> {
    this.objects.delete(id);
    this.updateInFlight();
    await this.deps.publisher.sendAndReceive('finish', id);
  }

  /**
   * Starts streaming an object, from its committed progress if it has one. Throws if the object is
   * being streamed already: two byte streams must never feed one parser (end or abort it first).
   */
  begin(object: StreamedObject): void {
    if (this.objects.has(object.id)) throw new Error(`object ${object.id} is already being streamed`);
    const now = this.deps.now ?? Date.now;
    const state: Streaming = { streamer: undefined as unknown as LineStreamer, last: object.resume };
    const progressOf = (batch: Batch): ObjectProgress => ({
      id: object.id,
      status: batch.last ? 'done' : 'in-progress',
      byteOffset: batch.byteOffset,
      lines: batch.lines,
      entries: batch.entries,
      records: (state.last?.records ?? 0) + batch.records.length,
      parser: batch.parser,
      updatedAt: new Date(now()).toISOString(),
    });
    const r = object.resume;
    const resume: ResumePoint | undefined = r ? { byteOffset: r.byteOffset, lines: r.lines, entries: r.entries, parser: r.parser } : undefined;
    // No clock: a record's timestamp is its entry's event time (or, options.eventTime 'header', the producer's send time).
    state.streamer = new LineStreamer(object.context, this.deps.options, async (batch) => {
      const progress = progressOf(batch);
      try {
        await this.deps.publisher.sendAndReceive('commit', object.id, batch.records, progress);
      } finally {
        // After the streamer has taken the batch out of its in-flight set (a few microtasks later).
        setImmediate(() => this.updateInFlight());
      }
      state.last = progress;
    }, resume);
    this.objects.set(object.id, state);
  }

  /** Feeds bytes of the object; resolves when the batches they completed are within the in-flight bound. */
  async chunk(id: string, bytes: Buffer): Promise<void> {
    const s = this.streaming(id);
    this.deps.faults?.('streamer.chunk', id);
    try {
      await s.streamer.push(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes));
    } finally {
      this.updateInFlight();
    }
  }

  /** Ends the object; resolves with its final committed progress once every batch is committed. */
  async end(id: string): Promise<ObjectProgress | undefined> {
    const s = this.streaming(id);
    try {
      await s.streamer.end();
      return s.last;
    } finally {
      this.objects.delete(id);
      this.updateInFlight();
    }
  }

  /**
   * Gives the object up after a failure: waits for batches still being committed, then forgets it.
   * Resolves with the progress committed so far.
   */
  async abort(id: string): Promise<ObjectProgress | undefined> {
    const s = this.objects.get(id);
    this.objects.delete(id);
    await s?.streamer.settle();
    this.updateInFlight();
    return s?.last;
  }

  /**
   * Brings logpipe_ingest_batches_in_flight up to date with this actor's objects: after each chunk
   * (new batches cut) and each commit (one fewer).
   */
  private updateInFlight(): void {
    let n = 0;
    for (const s of this.objects.values()) n += s.streamer.inFlightBatches;
    this.metrics.batchesInFlight.inc(n - this.reportedInFlight);
    this.reportedInFlight = n;
  }

  private streaming(id: string): Streaming {
    const s = this.objects.get(id);
    if (!s) throw new Error(`object ${id} is not being streamed`);
    return s;
  }
}
