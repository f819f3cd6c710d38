/**
 * Trigger sources: what finds objects to ingest besides direct requests (the control API and
 * `logpipe ingest`). Each source is a plain module that feeds a sink (the watcher's queue) until it
 * is stopped; the S3WatcherActor starts the configured ones and stops them on destroy.
 */
import type { ObjectRef } from '../object-ref';
import type { RequestAnswer } from '../activity';
import type { JobOutcome } from '../trigger-queue';

/** Where a source hands objects (the TriggerQueue, through the watcher). */
export interface TriggerSink {
  /**
   * Asks for one object: answers at once (`busy`: not accepted, the source keeps what it can
   * redeliver). `onOutcome` is called once the object's job has finished (committed, dead-lettered
   * or found done). `version`: the version the source knows without a versionId (a listing's ETag).
   */
  offer(ref: ObjectRef, options?: { version?: string; onOutcome?: (outcome: JobOutcome) => void }): RequestAnswer;
  /** True while the queue has no room: a polling source waits rather than take work it must refuse. */
  full(): boolean;
}

export interface TriggerSource {
  /** Feeds `sink` until stop(); resolves once it has stopped. Never rejects: failures are logged and retried. */
  run(sink: TriggerSink): Promise<void>;
  /** Ends run() at its next wait or page; what was handed off stays handed off. */
  stop(): void;
}
