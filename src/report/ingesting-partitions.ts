/**
 * Which log-topic partitions an object still being ingested writes to, from the ingest ledger (the
 * progress topic): the report stage's tick keeps such a partition from going idle.
 */
import { type Admin, Partitioners } from 'kafkajs';
import { Ledger } from '../ingest/ledger';
import type { KafkaPort } from '../system/kafka/port';
import type { Logger } from '../system/observability/logging';

/**
 * The report stage's view of the ingest ledger: objects in progress only, read from
 * `stallMs` (report.ingestStallMs) plus CLOCK_SKEW_MS before now, not from the topic's beginning.
 * IngestingPartitions asks it nothing but inProgress(now − stallMs) with `now` from the same clock,
 * at or after this call, and a record stamped before that horizon cannot change such an answer
 * (Ledger's class comment): its start-up follows what was ingested in the last stall period, not
 * every object version ever ingested (docs/report.md, "Start-up"). Not for a reader that asks
 * anything else of the ledger (get() of a done version: the ingest's own ledger).
 */
export function ingestingLedger(kafka: KafkaPort, progressTopic: string, log: Logger, o: { stallMs: number; now: () => number; compactionAdvice: boolean }): Ledger {
  return new Ledger(kafka, progressTopic, log, { inProgressOnly: true, compactionAdvice: o.compactionAdvice, horizonMs: o.stallMs, now: o.now });
}

export class IngestingPartitions {
  /** The progress topic's end offsets at the previous call. */
  private endsBefore: Map<number, number> | undefined;
  /**
   * The source → partition function for the last partition count seen (made once per count, not on
   * every tick: kafkajs's DefaultPartitioner() builds its state per call).
   */
  private partitionOf: { topic: string; count: number; of: (source: string) => number } | undefined;

  /** `ledger`: a started in-progress-only view of the progress topic; `admin`: a connected admin client. */
  constructor(
    private readonly admin: Pick<Admin, 'fetchTopicOffsets'>,
    private readonly ledger: Pick<Ledger, 'topic' | 'hasReadUpTo' | 'inProgress'>,
    private readonly now: () => number,
  ) {}

  /**
   * Partitions of the log topic that an object in progress in the ingest ledger writes to (its key's
   * partition), with a commit less than report.ingestStallMs old. Such a partition is not idle even
   * when caught up and quiet: its object resumes after an outage, and closing its windows now would
   * make the rest of their records late (fault scenario R2 on a slow machine: ingest came back more
   * than idleCloseMs after the report stage did). An object is in the ledger from its start record
   * (KafkaPublisherActor.begin), before its first batch; one not started yet holds nothing.
   *
   * Undefined (any partition may be) while this process's ledger view has not read the progress
   * topic up to where it ended one tick ago (the first tick: where it ends now): its consumer was
   * replaced after an outage, or it is still reading the topic at start-up. Judging from a view
   * behind the ingest could let a partition go idle while its object was in progress. Not "up to
   * where it ends now": under continuous ingest the view is always a few records behind the end of
   * the moment, and no partition would ever go idle.
   *
   * @param logTopic the log topic, of `partitionCount` partitions
   * @param stallMs report.ingestStallMs: objects whose last commit is older than this are not counted
   */
  async partitions(logTopic: string, partitionCount: number, stallMs: number): Promise<Set<number> | undefined> {
    const ends = new Map((await this.admin.fetchTopicOffsets(this.ledger.topic)).map((o) => [o.partition, Number(o.high)]));
    const required = this.endsBefore ?? ends;
    this.endsBefore = ends;
    if (!this.ledger.hasReadUpTo(required)) return undefined;
    const out = new Set<number>();
    if (partitionCount === 0) return out;
    if (this.partitionOf?.count !== partitionCount || this.partitionOf.topic !== logTopic) {
      const partitionMetadata = Array.from({ length: partitionCount }, (_, i) => ({ partitionId: i, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
      const partitioner = Partitioners.DefaultPartitioner();
      this.partitionOf = { topic: logTopic, count: partitionCount, of: (source) => partitioner({ topic: logTopic, partitionMetadata, message: { key: source, value: null } }) };
    }
    for (const source of this.ledger.inProgress(logTopic, this.now() - stallMs).keys()) out.add(this.partitionOf.of(source));
    return out;
  }
}
