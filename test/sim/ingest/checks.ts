/**
 * The ingest invariants, checked against the broker's own logs (what any read_committed reader
 * would see), not against what the processes believe:
 * - every line of every uploaded version is on the log topic exactly once, in order, and each
 *   record is exactly one whole entry of the object (one line, or an entry with its stack trace);
 * - the ledger (progress topic) says `done` for every version, with its line count;
 * - no record belongs to a version nobody uploaded; no transaction is left undecided.
 */
import { provenanceOf } from '../../../src/ingest/object-ref';
import type { ObjectProgress } from '../../../src/ingest/progress';
import type { FakeBroker } from '../kafka/broker';
import type { SimObject } from '../objects';

export interface UploadedVersion {
  bucket: string;
  key: string;
  /** versionId, or the ETag in an unversioned bucket (the version in the `object` header). */
  version: string;
  object: SimObject;
}

const header = (h: Record<string, Buffer>, name: string): string | undefined => h[name]?.toString();

/** Violations of the log-topic invariant; empty when it holds. `complete`: every version must be whole. */
export function checkLogTopic(broker: FakeBroker, topic: string, uploads: UploadedVersion[], complete: boolean): string[] {
  const problems: string[] = [];
  const byVersion = new Map<string, UploadedVersion>(uploads.map((u) => [`${u.bucket}/${u.key}#${u.version}`, u]));
  const cursors = new Map<string, number>();
  const entryAt = new Map<string, Map<number, number>>();
  for (const u of uploads) entryAt.set(`${u.bucket}/${u.key}#${u.version}`, new Map(u.object.entries.map((e, i) => [e.firstLine, i])));
  const count = broker.partitionCount(topic);
  for (let p = 0; p < count; p++) {
    const log = broker.partition(topic, p);
    const undecided = log.undecided();
    if (undecided.length) problems.push(`${topic}/${p}: ${undecided.length} records in transactions never decided (first at offset ${undecided[0].offset})`);
    for (const r of log.committed()) {
      const provenance = provenanceOf(r.headers);
      const id = `${provenance?.bucket}/${provenance?.key}#${provenance?.version}`;
      const u = byVersion.get(id);
      if (!u) {
        problems.push(`${topic}/${p}@${r.offset}: a record of no uploaded version (${id})`);
        continue;
      }
      const cursor = cursors.get(id) ?? 0;
      const line = Number(header(r.headers, 'line'));
      const value = r.value?.toString() ?? '';
      const entryIndex = entryAt.get(id)!.get(cursor);
      const expected = entryIndex === undefined ? undefined : u.object.entries[entryIndex];
      if (line !== cursor + 1 || !expected || value !== expected.lines.join('\n')) {
        const what = line <= cursor ? `line ${line} again (duplicate)` : line > cursor + 1 ? `line ${line} (lines ${cursor + 1}..${line - 1} missing)` : 'a record that is not one whole entry';
        problems.push(`${id}: at ${topic}/${p}@${r.offset} expected the entry at line ${cursor + 1}, found ${what}: ${JSON.stringify(value.slice(0, 80))}`);
        if (problems.length > 20) return problems;
        // Resynchronise on the record's own line, so one fault is reported once.
        const own = entryAt.get(id)!.get(line - 1);
        if (own !== undefined) cursors.set(id, line - 1 + u.object.entries[own].lines.length);
        continue;
      }
      cursors.set(id, cursor + expected.lines.length);
    }
  }
  if (complete) {
    for (const u of uploads) {
      const id = `${u.bucket}/${u.key}#${u.version}`;
      const at = cursors.get(id) ?? 0;
      if (at !== u.object.lines.length) problems.push(`${id}: ${at} of ${u.object.lines.length} lines on the log topic`);
    }
  }
  return problems;
}

/** Violations of the ledger invariant: every version `done` with all its lines. */
export function checkLedger(broker: FakeBroker, progressTopic: string, logTopic: string, uploads: UploadedVersion[]): string[] {
  const latest = new Map<string, ObjectProgress | null>();
  for (const r of broker.partition(progressTopic, 0).committed()) {
    const key = r.key?.toString() ?? '';
    latest.set(key, r.value ? (JSON.parse(r.value.toString()) as ObjectProgress) : null);
  }
  const problems: string[] = [];
  for (const u of uploads) {
    const id = `${logTopic} s3://${u.bucket}/${u.key}#${u.version}`;
    const p = latest.get(id);
    if (!p) problems.push(`ledger: no progress for ${id}`);
    else if (p.status !== 'done' || p.lines !== u.object.lines.length) problems.push(`ledger: ${id} is ${p.status} with ${p.lines} of ${u.object.lines.length} lines${p.reason ? ` (${p.reason})` : ''}`);
  }
  return problems;
}
