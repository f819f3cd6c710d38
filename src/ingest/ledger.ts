/**
 * The ingest ledger: the compacted progress topic read with read_committed into a map of object id →
 * latest progress. Every instance reads all of it, so a version committed anywhere is known
 * everywhere; a `done` entry makes later triggers for that version no-ops.
 */
import type { KafkaPort } from '../system/kafka/port';
import { CompactedTopicView } from '../system/kafka/compacted-view';
import type { Logger } from '../system/observability/logging';
import { parseObjectId } from './object-ref';
import { decodeProgress, encodeProgress, type ObjectProgress } from './progress';

export interface LedgerOptions {
  /**
   * Hold only objects in progress: get() answers undefined for a done or dead-lettered object. For
   * readers that need inProgress() only (the report stage): the topic keeps a done record for every
   * object version ever ingested (that is what makes later triggers no-ops), so a full ledger's
   * memory and inProgress() scans grow with history; this one's follow the objects in progress.
   */
  inProgressOnly?: boolean;
  /** See CompactedViewOptions.compactionAdvice. */
  compactionAdvice?: boolean;
}

export class Ledger extends CompactedTopicView<ObjectProgress> {
  constructor(kafka: KafkaPort, topic: string, log: Logger, options: LedgerOptions = {}) {
    // Progress records are keyed by their object id.
    super(kafka, topic, log, (_key, value) => decodeProgress(value), 'logpipe-ledger', {
      ...(options.inProgressOnly ? { retain: (p: ObjectProgress) => p.status === 'in-progress' } : {}),
      ...(options.compactionAdvice === undefined ? {} : { compactionAdvice: options.compactionAdvice }),
    });
  }

  /** Records progress committed by this process, so it is known before the consumer reads it back. */
  remember(progress: ObjectProgress): void {
    const known = this.get(progress.id);
    if (!known || known.status !== 'done') this.set(progress.id, progress, encodeProgress(progress));
  }

  /**
   * The objects of `logTopic` in progress whose last commit is not older than `sinceMs` (epoch ms), by
   * their record key (the source: an S3 key or a file path), with that commit's time.
   */
  inProgress(logTopic: string, sinceMs: number): Map<string, number> {
    const out = new Map<string, number>();
    const prefix = `${logTopic} `;
    for (const [id, p] of this.entries) {
      if (p.status !== 'in-progress' || !id.startsWith(prefix)) continue;
      const at = Date.parse(p.updatedAt);
      if (!(at >= sinceMs)) continue;
      const source = sourceOf(id.slice(prefix.length));
      if (source !== undefined) out.set(source, Math.max(at, out.get(source) ?? at));
    }
    return out;
  }
}

/** The record key of an object id (objectId: `s3://bucket/key#version` or `file://path#version`). */
export function sourceOf(objectId: string): string | undefined {
  const parts = parseObjectId(objectId);
  return parts?.key ?? parts?.path;
}
