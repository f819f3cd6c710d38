/**
 * The ledger horizon (docs/ingest.md, "Ledger horizon"): an ingest process reads the progress topic
 * from `horizonMs` before its start, not from the beginning, so its start-up and memory follow what
 * was ingested recently instead of every object version ever ingested. The records it skipped can
 * only belong to versions modified before the horizon; those are the only ones whose ledger entry
 * the process may not hold, and the only ones that need a look-up of the older part of the topic.
 *
 * Pure decisions, no I/O: the Ledger and the listing source call them.
 */

/**
 * How far a clock may be off: between S3 (LastModified) or a file system (mtime) and the hosts that
 * stamp progress records (their CreateTime), or the broker under LogAppendTime. Every record of a
 * version is stamped no earlier than the version's LastModified minus this.
 */
export const CLOCK_SKEW_MS = 60 * 60 * 1000;

/**
 * The timestamp a ledger starting at `startMs` begins reading at; undefined for a horizon of 0
 * (read the whole topic).
 */
export function ledgerReadFromMs(startMs: number, horizonMs: number): number | undefined {
  return horizonMs > 0 ? startMs - horizonMs - CLOCK_SKEW_MS : undefined;
}

/**
 * Whether a ledger that began reading at `readFromMs` (ledgerReadFromMs) has read every record of a
 * version last modified at `lastModifiedMs`: its records are stamped at or after
 * lastModifiedMs − CLOCK_SKEW_MS. When false, the version's entry may lie in the part not read.
 */
export function readsAllOf(readFromMs: number | undefined, lastModifiedMs: number): boolean {
  return readFromMs === undefined || lastModifiedMs - CLOCK_SKEW_MS >= readFromMs;
}

/**
 * Whether a listing offers a version last modified at `lastModifiedMs` at `nowMs`: not when it is
 * older than the horizon. A listing re-lists every object on every pass; a version older than the
 * horizon is either in the ledger's unread part (ingested long ago) or was never ingested, and
 * telling which costs a read of that part each time. An explicit trigger (`logpipe ingest`, the
 * control API, SQS) still ingests such a version, after that read.
 */
export function listable(lastModifiedMs: number | undefined, nowMs: number, horizonMs: number): boolean {
  return horizonMs <= 0 || lastModifiedMs === undefined || lastModifiedMs >= nowMs - horizonMs;
}
