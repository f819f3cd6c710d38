/**
 * What the watcher (src/actors/s3-watcher-actor.ts) answers, as plain data: the control plane
 * (src/system/control/) reads these without importing the actor, since system/control sits below
 * src/actors in the dependency layering (src/system/README.md).
 */

/** An object as activity() reports it: plain data for the dashboard (src/system/control/dashboard/dashboard-data.ts). */
export interface ObjectActivity {
  /** The object as requested: `s3://bucket/key` (with `?versionId=` when given) or a path. */
  id: string;
  /** failed: the last attempt failed with a retriable error and a retry is scheduled (reason says why). */
  status: 'queued' | 'running' | 'ingested' | 'dead-letter' | 'failed';
  /** Lines and decompressed bytes committed (from the object's start). */
  lines: number;
  bytes: number;
  /** Decompressed size when known. */
  totalBytes: number | null;
  reason?: string;
  /** First attempt's start; when the outcome came. Epoch ms. */
  startedMs?: number;
  finishedMs?: number;
}

/** What the watcher's request() answers: queued, merged into a queued request, or refused (busy). */
export interface RequestAnswer {
  /** The request id: the object as `s3://bucket/key` (with `?versionId=` when given). */
  id: string;
  status: 'queued' | 'merged' | 'busy';
  reason?: string;
}
