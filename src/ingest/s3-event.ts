/**
 * Reading S3 event notifications (as delivered to Lambda, or inside an SQS message body) into one
 * entry per record. Pure: no I/O, no logging; the handler logs what this returns.
 */

/** The fields of an S3 event record this module reads; everything else is ignored. */
export interface S3EventRecordLike {
  eventSource?: unknown;
  eventName?: unknown;
  s3?: { bucket?: { name?: unknown }; object?: { key?: unknown; versionId?: unknown } };
}

/** What one record of an event asks for. `index` is the record's position in `Records`. */
export type ParsedRecord =
  | { index: number; kind: 'object'; eventName: string; bucket: string; key: string; versionId?: string }
  | { index: number; kind: 'skipped'; reason: string; eventName?: string }
  | { index: number; kind: 'invalid'; reason: string; bucket?: string; rawKey?: string };

/** A key in an event that does not decode; a permanent problem of that record. */
export class KeyDecodeError extends Error {
  override readonly name = 'KeyDecodeError';
}

/**
 * Decodes an object key as S3 writes it into event notifications: form-encoded, so `+` is a
 * space and everything else is percent-encoded UTF-8 (a literal `+` arrives as `%2B`).
 * Throws KeyDecodeError on a malformed percent sequence or bytes that are not UTF-8.
 */
export function decodeS3Key(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    throw new KeyDecodeError(`object key ${JSON.stringify(raw)} is not valid percent-encoded UTF-8`);
  }
}

/**
 * Turns an S3 event into one entry per record, in order. `s3:TestEvent` (sent when a notification
 * is configured; it has no Records) yields a single skipped entry; records that are not
 * ObjectCreated are skipped with the reason; records that cannot be read are `invalid` with the
 * reason. Never throws: a bad record must not hide the good ones beside it.
 */
export function parseS3Event(event: unknown): ParsedRecord[] {
  if (!isObject(event)) return [{ index: 0, kind: 'invalid', reason: 'event is not a JSON object' }];
  if (event.Event === 's3:TestEvent') return [{ index: 0, kind: 'skipped', reason: 'S3 test event', eventName: 's3:TestEvent' }];
  if (!Array.isArray(event.Records)) return [{ index: 0, kind: 'invalid', reason: 'event has no Records array' }];
  return event.Records.map((record: unknown, index) => parseRecord(record, index));
}

function parseRecord(record: unknown, index: number): ParsedRecord {
  if (!isObject(record)) return { index, kind: 'invalid', reason: 'record is not a JSON object' };
  const { eventSource, eventName, s3 } = record as S3EventRecordLike;
  if (eventSource !== 'aws:s3') return { index, kind: 'skipped', reason: `not an S3 record (eventSource ${JSON.stringify(eventSource)})` };
  if (typeof eventName !== 'string' || !eventName.startsWith('ObjectCreated:')) {
    return { index, kind: 'skipped', reason: 'not an ObjectCreated event', ...(typeof eventName === 'string' ? { eventName } : {}) };
  }
  const bucket = s3?.bucket?.name;
  const rawKey = s3?.object?.key;
  if (typeof bucket !== 'string' || bucket === '') return { index, kind: 'invalid', reason: 'record has no s3.bucket.name' };
  if (typeof rawKey !== 'string' || rawKey === '') return { index, kind: 'invalid', reason: 'record has no s3.object.key', bucket };
  let key: string;
  try {
    key = decodeS3Key(rawKey);
  } catch (err) {
    return { index, kind: 'invalid', reason: (err as Error).message, bucket, rawKey };
  }
  const versionId = s3?.object?.versionId;
  return { index, kind: 'object', eventName, bucket, key, ...(typeof versionId === 'string' && versionId ? { versionId } : {}) };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
