/**
 * Ingest progress of one object version, the value of the compacted progress topic (key = object id).
 * Committed in the same transaction as the object's lines, so after a crash the object resumes at
 * `byteOffset` with the parser state `parser`, and a `done` record is the ledger entry that makes
 * later triggers for the same version no-ops.
 */
import type { ParserCheckpoint } from '../model/parser';

export type ObjectStatus = 'in-progress' | 'done' | 'dead-letter';

export interface ObjectProgress {
  id: string;
  status: ObjectStatus;
  /** Offset (in the decompressed stream) of the first line not yet committed. */
  byteOffset: number;
  /** Lines, entries and records committed so far. */
  lines: number;
  entries: number;
  records: number;
  /** The parser's state at byteOffset; absent in a start record (nothing read yet). */
  parser?: ParserCheckpoint;
  /** Why the object was dead-lettered. */
  reason?: string;
  updatedAt: string;
}

/** Decodes a progress record; undefined for a tombstone or something that is not one of ours. */
export function decodeProgress(value: Buffer | null): ObjectProgress | undefined {
  if (!value || value.length === 0) return undefined;
  try {
    const p = JSON.parse(value.toString('utf8')) as ObjectProgress;
    return typeof p.id === 'string' && typeof p.byteOffset === 'number' ? p : undefined;
  } catch {
    return undefined;
  }
}

export function encodeProgress(p: ObjectProgress): Buffer {
  return Buffer.from(JSON.stringify(p));
}

/**
 * The record a version's ingest commits when it starts with no progress (see KafkaPublisherActor.begin):
 * in progress, nothing read. Resuming from it is starting from the beginning.
 */
export function startProgress(id: string, nowMs: number): ObjectProgress {
  return { id, status: 'in-progress', byteOffset: 0, lines: 0, entries: 0, records: 0, updatedAt: new Date(nowMs).toISOString() };
}

/** Whether a progress record says nothing was read yet (a start record). */
export function isStartProgress(p: ObjectProgress): boolean {
  return p.status === 'in-progress' && p.byteOffset === 0 && p.lines === 0 && p.records === 0;
}
