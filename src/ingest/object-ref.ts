/**
 * What to ingest: an S3 object (optionally one version) or a local file, and the identity of the
 * exact version that is ingested once.
 */
import crypto from 'node:crypto';

export type ObjectRef = { kind: 's3'; bucket: string; key: string; versionId?: string } | { kind: 'file'; path: string };

export interface ObjectMeta {
  /** Identity of this version: ingested once however many triggers name it. */
  id: string;
  /** Key or path: the record key (source id) and where the parser looks for a date. */
  name: string;
  size: number;
  lastModifiedMs: number;
  /**
   * S3 version id, or the ETag (or mtime+size for files) when the bucket is not versioned or the
   * version is S3's "null" one (written while it was not).
   */
  version: string;
  /** The S3 version id reads name: the one the request named (even "null"), else the one found. */
  versionId?: string;
  /** The S3 ETag (unquoted); re-reads of an unversioned object must match it. */
  etag?: string;
  /** Content-Encoding gzip or a .gz name; the first bytes decide in the end. */
  gzipHint: boolean;
}

/** `s3://bucket/key` or a path; throws an Error naming the input when it is neither. */
export function parseObjectRef(input: string): ObjectRef {
  if (input.startsWith('s3://')) {
    const rest = input.slice(5);
    const slash = rest.indexOf('/');
    if (slash <= 0 || slash === rest.length - 1) throw new Error(`"${input}" is not s3://BUCKET/KEY`);
    return { kind: 's3', bucket: rest.slice(0, slash), key: rest.slice(slash + 1) };
  }
  if (input.trim() === '') throw new Error('expected s3://BUCKET/KEY or a file path');
  return { kind: 'file', path: input };
}

export function describeRef(ref: ObjectRef): string {
  return ref.kind === 's3' ? `s3://${ref.bucket}/${ref.key}${ref.versionId ? `?versionId=${ref.versionId}` : ''}` : ref.path;
}

/** The object id of a version: readable, and stable across processes. */
export function objectId(ref: ObjectRef, version: string): string {
  return ref.kind === 's3' ? `s3://${ref.bucket}/${ref.key}#${version}` : `file://${ref.path}#${version}`;
}

/** Where a log record came from: its object version, as the ingest headers name it. */
export interface Provenance {
  /** The object id (see objectId). */
  id: string;
  bucket?: string;
  key?: string;
  path?: string;
  version: string;
}

/** The parts of an object id (objectId's output); undefined for anything else. */
export function parseObjectId(id: string): Provenance | undefined {
  const hash = id.lastIndexOf('#');
  if (hash < 0) return undefined;
  const ref = id.slice(0, hash);
  const version = id.slice(hash + 1);
  if (ref.startsWith('file://')) return { id, path: ref.slice('file://'.length), version };
  if (!ref.startsWith('s3://')) return undefined;
  const slash = ref.indexOf('/', 's3://'.length);
  if (slash < 0) return undefined;
  return { id, bucket: ref.slice('s3://'.length, slash), key: ref.slice(slash + 1), version };
}

/**
 * The provenance of a log record from its headers: the `object` header (the object id), or the
 * three headers records carried before it replaced them (`bucket`, `key` and `version`, or `path` and
 * `version`). Undefined for a record without either (another producer's).
 */
export function provenanceOf(headers: Record<string, string | Buffer | undefined> | undefined): Provenance | undefined {
  const get = (name: string): string | undefined => headers?.[name]?.toString();
  const object = get('object');
  if (object !== undefined) return parseObjectId(object);
  const version = get('version');
  if (version === undefined) return undefined;
  const bucket = get('bucket');
  const key = get('key');
  if (bucket !== undefined && key !== undefined) return { id: objectId({ kind: 's3', bucket, key }, version), bucket, key, version };
  const path = get('path');
  return path === undefined ? undefined : { id: objectId({ kind: 'file', path }, version), path, version };
}

/**
 * The ledger key of an object version ingested into a log topic: a version is ingested once per
 * topic (re-ingesting into another topic is a deliberate, separate copy).
 */
export function ledgerKey(topic: string, id: string): string {
  return `${topic} ${id}`;
}

/**
 * The transactional id for ingesting one object version. Two processes ingesting the same version
 * use the same id, so the broker fences the older one and only one writes (Kafka's zombie fencing).
 */
export function transactionalIdFor(prefix: string, id: string): string {
  return `${prefix}-${crypto.createHash('sha256').update(id).digest('hex').slice(0, 32)}`;
}
