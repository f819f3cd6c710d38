/**
 * The ingest ledger: the compacted progress topic read with read_committed into a map of object id →
 * latest progress. Every instance reads all of it, so a version committed anywhere is known
 * everywhere; a `done` entry makes later triggers for that version no-ops.
 */
import type { Kafka } from 'kafkajs';
import { CompactedTopicView } from '../system/compacted-view';
import type { Logger } from '../system/logging';
import { decodeProgress, encodeProgress, type ObjectProgress } from './progress';

export class Ledger extends CompactedTopicView<ObjectProgress> {
  constructor(kafka: Kafka, topic: string, log: Logger) {
    // Progress records are keyed by their object id.
    super(kafka, topic, log, (_key, value) => decodeProgress(value), 'logpipe-ledger');
  }

  /** Records progress committed by this process, so it is known before the consumer reads it back. */
  remember(progress: ObjectProgress): void {
    const known = this.get(progress.id);
    if (!known || known.status !== 'done') this.set(progress.id, progress, encodeProgress(progress));
  }
}
