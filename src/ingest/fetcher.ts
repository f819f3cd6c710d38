/**
 * Reads an object's bytes, S3 or local file, without ever holding it in memory: a stream handed
 * chunk by chunk to an awaited consumer. Transient failures are retried with backoff and the read
 * resumes where it stopped (a Range request; for gzip, the stream is decompressed again and the
 * bytes already delivered are skipped). Permanent failures become a PermanentError with the reason.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { GetObjectCommand, HeadBucketCommand, HeadObjectCommand, type HeadObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { isRetriable, PermanentError, reasonOf } from '../system/errors/errors';
import { RetriesExhaustedError, retry } from '../system/errors/retry';
import { type ObjectMeta, type ObjectRef, objectId } from './object-ref';

/** Where object bytes come from. */
export interface ObjectStore {
  /** Metadata of the object (the version to ingest). Throws the store's error when it is missing. */
  head(ref: ObjectRef): Promise<ObjectMeta>;
  /** The raw (possibly compressed) bytes from `fromByte`, of exactly the version `meta` names. */
  read(ref: ObjectRef, meta: ObjectMeta, fromByte: number, toByte?: number): Promise<Readable>;
}

const stripQuotes = (etag: string | undefined): string => (etag ?? '').replace(/^"|"$/g, '');

export class S3Store implements ObjectStore {
  constructor(private readonly s3: S3Client) {}

  /**
   * HeadObject. Its 404 and 403 answers have no body, which the SDK reports as "NotFound: UnknownError"
   * or "Forbidden: UnknownError"; they become PermanentErrors whose reason says which of bucket, key or
   * version is missing (a HeadBucket tells a missing bucket from a missing key) or which permission
   * is lacking. The reasons start with S3's error codes (NoSuchBucket, NoSuchKey, AccessDenied).
   */
  async head(ref: ObjectRef): Promise<ObjectMeta> {
    if (ref.kind !== 's3') throw new Error('S3Store reads s3 objects only');
    let h: HeadObjectCommandOutput;
    try {
      h = await this.s3.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId }));
    } catch (err) {
      throw await this.explainHeadFailure(ref, err);
    }
    // Reads name the version the request named ("null" included), else the one found.
    const versionId = ref.versionId ?? (h.VersionId && h.VersionId !== 'null' ? h.VersionId : undefined);
    const etag = stripQuotes(h.ETag);
    // The identity: the version id, or the ETag for S3's "null" version (written while the bucket
    // was not versioned), whether or not the request names it, so that both name one version.
    const version = versionId && versionId !== 'null' ? versionId : etag;
    return {
      id: objectId(ref, version),
      versionId,
      etag,
      name: ref.key,
      size: h.ContentLength ?? 0,
      lastModifiedMs: h.LastModified?.getTime() ?? Date.now(),
      version,
      gzipHint: /gzip/i.test(h.ContentEncoding ?? '') || ref.key.endsWith('.gz'),
    };
  }

  private async explainHeadFailure(ref: Extract<ObjectRef, { kind: 's3' }>, err: unknown): Promise<unknown> {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const object = `s3://${ref.bucket}/${ref.key}${ref.versionId ? ` (version ${ref.versionId})` : ''}`;
    if (status === 403) {
      return new PermanentError(`AccessDenied: S3 refused to read ${object}; the credentials need s3:GetObject on it (and s3:ListBucket, without which a missing key also answers 403)`, { cause: err });
    }
    if (status !== 404) return err;
    try {
      await this.s3.send(new HeadBucketCommand({ Bucket: ref.bucket }));
    } catch (bucketErr) {
      const bucketStatus = (bucketErr as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (bucketStatus === 404) return new PermanentError(`NoSuchBucket: bucket "${ref.bucket}" does not exist; check the bucket name of ${object}`, { cause: err });
      // Anything else (403 without ListBucket, a transient failure) says nothing about the key: report it missing.
    }
    return ref.versionId
      ? new PermanentError(`NoSuchVersion: ${object} does not exist; check the key and the version id`, { cause: err })
      : new PermanentError(`NoSuchKey: ${object} does not exist; check the key`, { cause: err });
  }

  async read(ref: ObjectRef, meta: ObjectMeta, fromByte: number, toByte?: number): Promise<Readable> {
    if (ref.kind !== 's3') throw new Error('S3Store reads s3 objects only');
    const range = fromByte > 0 || toByte !== undefined ? `bytes=${fromByte}-${toByte ?? ''}` : undefined;
    try {
      const out = await this.s3.send(
        new GetObjectCommand({
          Bucket: ref.bucket,
          Key: ref.key,
          Range: range,
          // The same version on every (re)read: a version id when there is one, else the ETag.
          ...(meta.versionId ? { VersionId: meta.versionId } : meta.etag ? { IfMatch: `"${meta.etag}"` } : {}),
        }),
      );
      return out.Body as Readable;
    } catch (err) {
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 412) {
        throw new PermanentError(`object changed while it was being ingested (ETag is no longer ${meta.etag})`, { cause: err });
      }
      throw err;
    }
  }
}

/** Bytes per read of a local file (FileStore.read). */
export const FILE_READ_BYTES = 64 << 10;

export class FileStore implements ObjectStore {
  async head(ref: ObjectRef): Promise<ObjectMeta> {
    if (ref.kind !== 'file') throw new Error('FileStore reads files only');
    const abs = path.resolve(ref.path);
    let st: fs.Stats;
    try {
      st = await fs.promises.stat(abs);
    } catch (err) {
      throw new PermanentError(`cannot read ${abs}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
    }
    if (!st.isFile()) throw new PermanentError(`${abs} is not a regular file`);
    // Whole milliseconds, as S3's: the last-modified time is the event time of lines before the
    // first timed one, and a record timestamp must be an integer (kafkajs refuses a fraction).
    const lastModifiedMs = Math.floor(st.mtimeMs);
    const version = `${lastModifiedMs}-${st.size}`;
    return { id: objectId({ kind: 'file', path: abs }, version), name: abs, size: st.size, lastModifiedMs, version, gzipHint: abs.endsWith('.gz') };
  }

  async read(ref: ObjectRef, _meta: ObjectMeta, fromByte: number, toByte?: number): Promise<Readable> {
    if (ref.kind !== 'file') throw new Error('FileStore reads files only');
    // 64 KiB reads, about the size of the chunks an S3 body arrives in: a record's value is a view
    // into its chunk and keeps all of it until a full collection; 1 MiB chunks held 8–12 MiB more
    // at an ingest's peak at the same CPU (docs/benchmarks.md, "Ingest memory").
    return fs.createReadStream(path.resolve(ref.path), { start: fromByte, end: toByte, highWaterMark: FILE_READ_BYTES });
  }
}

export interface FetchOptions {
  /** Largest decompressed size accepted for a gzip object. */
  maxDecompressedBytes: number;
  /** How long transient failures are retried before the object is given up (dead-lettered). */
  retryBudgetMs: number;
  sleep?: (ms: number) => Promise<void>;
  onRetry?: (attempt: number, delayMs: number, error: unknown) => void;
}

/** Marks an error thrown by the consumer of the bytes: never retried here, passed through as is. */
class ConsumerError extends Error {
  constructor(readonly inner: unknown) {
    super('consumer failed');
  }
}

/**
 * Delivers the object's decompressed bytes from offset `fromByte` to `onChunk`, awaiting each call.
 * Resolves with the decompressed size once everything is delivered. Rejects with PermanentError
 * (dead-letter) or with whatever `onChunk` threw.
 */
export async function fetchObject(store: ObjectStore, ref: ObjectRef, meta: ObjectMeta, fromByte: number, onChunk: (chunk: Buffer) => Promise<void>, opts: FetchOptions): Promise<number> {
  let delivered = fromByte;
  let gzip: boolean | undefined;
  const attempt = async (): Promise<number> => {
    try {
      gzip ??= meta.gzipHint || (meta.size >= 2 && (await isGzipMagic(store, ref, meta)));
      delivered = gzip ? await readGzip(store, ref, meta, delivered, onChunk, opts.maxDecompressedBytes) : await readPlain(store, ref, meta, delivered, onChunk);
      return delivered;
    } catch (err) {
      // The next attempt resumes after the bytes already delivered.
      if (err instanceof DeliveredError) {
        delivered = err.delivered;
        throw err.inner;
      }
      throw err;
    }
  };
  try {
    return await retry(attempt, {
      budgetMs: opts.retryBudgetMs,
      retriable: (err) => !(err instanceof ConsumerError) && isRetriable(err),
      ...(opts.sleep ? { sleep: opts.sleep } : {}),
      onRetry: ({ attempt: n, delayMs, error }) => opts.onRetry?.(n, delayMs, error),
    });
  } catch (err) {
    if (err instanceof ConsumerError) throw err.inner;
    if (err instanceof RetriesExhaustedError) throw new PermanentError(err.message, { cause: err.cause });
    throw err instanceof PermanentError ? err : new PermanentError(gzipReason(err) ?? reasonOf(err), { cause: err });
  }
}

/** Carries how far delivery got when a read failed half-way. */
class DeliveredError extends Error {
  constructor(readonly inner: unknown, readonly delivered: number) {
    super('read failed');
  }
}

async function isGzipMagic(store: ObjectStore, ref: ObjectRef, meta: ObjectMeta): Promise<boolean> {
  const head: Buffer[] = [];
  for await (const chunk of await store.read(ref, meta, 0, 1)) head.push(chunk as Buffer);
  const b = Buffer.concat(head);
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

async function readPlain(store: ObjectStore, ref: ObjectRef, meta: ObjectMeta, from: number, onChunk: (c: Buffer) => Promise<void>): Promise<number> {
  let delivered = from;
  if (delivered >= meta.size) return delivered;
  try {
    for await (const chunk of await store.read(ref, meta, delivered)) {
      await deliver(onChunk, chunk as Buffer);
      delivered += (chunk as Buffer).length;
    }
  } catch (err) {
    throw err instanceof ConsumerError ? err : new DeliveredError(err, delivered);
  }
  return delivered;
}

async function readGzip(store: ObjectStore, ref: ObjectRef, meta: ObjectMeta, skip: number, onChunk: (c: Buffer) => Promise<void>, maxBytes: number): Promise<number> {
  // gzip cannot be entered mid-stream: decompress from the start, drop what was delivered before.
  let position = 0;
  const gunzip = zlib.createGunzip();
  const source = await store.read(ref, meta, 0);
  source.on('error', (err) => gunzip.destroy(err));
  source.pipe(gunzip);
  try {
    for await (const chunk of gunzip) {
      const c = chunk as Buffer;
      const end = position + c.length;
      if (end > maxBytes) throw new PermanentError(`decompressed size over the limit of ${maxBytes} bytes (ingest.maxDecompressedBytes)`);
      if (end > skip) await deliver(onChunk, position >= skip ? c : c.subarray(skip - position));
      position = end;
    }
  } catch (err) {
    source.destroy();
    throw err instanceof ConsumerError || err instanceof PermanentError ? err : new DeliveredError(err, Math.max(skip, position));
  }
  return position;
}

async function deliver(onChunk: (c: Buffer) => Promise<void>, chunk: Buffer): Promise<void> {
  try {
    await onChunk(chunk);
  } catch (err) {
    throw new ConsumerError(err);
  }
}

function gzipReason(err: unknown): string | undefined {
  const code = (err as { code?: string }).code;
  return code && code.startsWith('Z_') ? `corrupt gzip: ${(err as Error).message}` : undefined;
}
