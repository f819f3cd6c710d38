/**
 * An in-memory S3: buckets with versions (or, unversioned, one current object whose ETag changes
 * on overwrite), read through the ObjectStore interface the fetcher uses (src/ingest/fetcher.ts).
 * Reads come as small chunks, each a request over the simulated network (so a read interleaves
 * with everything else, stops with a paused or crashed process, and can fail half-way); a failed
 * request throws what the AWS SDK throws on a dropped connection (transient).
 *
 * Contract kept from S3Store: head() answers the version a ref names (its versionId, else the
 * current one; the id is objectId(ref, versionId ?? etag)); read() returns exactly that version's
 * bytes or fails with a PermanentError when an unversioned object changed (If-Match).
 */
import { Readable } from 'node:stream';
import { PermanentError } from '../../../src/system/errors/errors';
import type { ObjectStore } from '../../../src/ingest/fetcher';
import { type ObjectMeta, type ObjectRef, objectId } from '../../../src/ingest/object-ref';
import type { SimProcess } from '../runtime/process';
import type { World } from '../runtime/world';

export interface StoredVersion {
  bucket: string;
  key: string;
  versionId: string | undefined;
  etag: string;
  body: Buffer;
  lastModifiedMs: number;
}

/** What the AWS SDK throws when a connection drops mid-request (isTransient says retry). */
export function s3Outage(): Error {
  return Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET', $metadata: {} });
}

export class MemoryS3 {
  private readonly buckets = new Map<string, { versioned: boolean; objects: Map<string, StoredVersion[]> }>();
  private etags = 0;
  /** Bytes per chunk of a read: a range drawn per chunk (Math.random is the world's seeded one). */
  chunkBytes: [number, number] = [40, 200];
  /** Virtual ms the first GetObject of a key waits before it is answered (a slow or throttled read), by key. */
  readonly firstReadDelayMs = new Map<string, number>();

  constructor(private readonly world: World) {}

  createBucket(bucket: string, versioned: boolean): void {
    this.buckets.set(bucket, { versioned, objects: new Map() });
  }

  /** PutObject: a new version (versioned bucket) or a replacement (unversioned); returns it. */
  put(bucket: string, key: string, body: Buffer): StoredVersion {
    const b = this.bucket(bucket);
    const n = ++this.etags;
    const v: StoredVersion = { bucket, key, versionId: b.versioned ? `v${String(n).padStart(4, '0')}` : undefined, etag: `etag${n}`, body, lastModifiedMs: this.world.now };
    const versions = b.objects.get(key) ?? [];
    if (b.versioned) versions.push(v);
    else versions.splice(0, versions.length, v);
    b.objects.set(key, versions);
    this.world.trace(`s3 put ${bucket}/${key} ${v.versionId ?? v.etag} (${body.length} bytes)`);
    return v;
  }

  versions(bucket: string, key: string): StoredVersion[] {
    return [...(this.bucket(bucket).objects.get(key) ?? [])];
  }

  /** Every version stored (the oracle's list of what must end up ingested), oldest first. */
  allVersions(): StoredVersion[] {
    return [...this.buckets.values()].flatMap((b) => [...b.objects.values()].flat());
  }

  /** The ObjectStore a process's fetcher uses: every call is that process's request. */
  storeFor(proc: SimProcess): ObjectStore {
    return {
      head: (ref) => this.world.request(proc, `HeadObject ${describe(ref)}`, () => this.head(ref), s3Outage),
      read: async (ref, meta, fromByte, toByte) => {
        const delay = ref.kind === 's3' ? this.firstReadDelayMs.get(ref.key) : undefined;
        if (delay !== undefined && ref.kind === 's3') {
          this.firstReadDelayMs.delete(ref.key);
          this.world.trace(`s3 GetObject ${describe(ref)} held up for ${delay} ms`);
          await this.world.sleep(proc, delay);
        }
        const v = await this.world.request(proc, `GetObject ${describe(ref)} from ${fromByte}`, () => this.find(ref, meta), s3Outage);
        const end = Math.min(v.body.length, toByte === undefined ? v.body.length : toByte + 1);
        const world = this.world;
        const [min, max] = this.chunkBytes;
        async function* chunks(): AsyncGenerator<Buffer> {
          for (let at = fromByte; at < end; ) {
            const size = min + Math.floor(Math.random() * (max - min + 1));
            const chunk = await world.request(proc, `GetObject-chunk ${describe(ref)} @${at}`, () => v.body.subarray(at, Math.min(end, at + size)), s3Outage);
            at += chunk.length;
            yield chunk;
          }
        }
        return Readable.from(chunks(), { objectMode: false });
      },
    };
  }

  private head(ref: ObjectRef): ObjectMeta {
    if (ref.kind !== 's3') throw new Error('MemoryS3 holds s3 objects only');
    const versions = this.bucket(ref.bucket).objects.get(ref.key) ?? [];
    const v = ref.versionId ? versions.find((x) => x.versionId === ref.versionId) : versions[versions.length - 1];
    if (!v) throw new PermanentError(ref.versionId ? `NoSuchVersion: s3://${ref.bucket}/${ref.key} (version ${ref.versionId}) does not exist` : `NoSuchKey: s3://${ref.bucket}/${ref.key} does not exist`);
    const version = v.versionId ?? v.etag;
    return { id: objectId(ref, version), versionId: v.versionId, etag: v.etag, name: ref.key, size: v.body.length, lastModifiedMs: v.lastModifiedMs, version, gzipHint: false };
  }

  private find(ref: ObjectRef, meta: ObjectMeta): StoredVersion {
    if (ref.kind !== 's3') throw new Error('MemoryS3 holds s3 objects only');
    const versions = this.bucket(ref.bucket).objects.get(ref.key) ?? [];
    const v = meta.versionId ? versions.find((x) => x.versionId === meta.versionId) : versions.find((x) => x.etag === meta.etag);
    if (!v) {
      if (meta.versionId) throw new PermanentError(`NoSuchVersion: s3://${ref.bucket}/${ref.key} (version ${meta.versionId}) does not exist`);
      throw new PermanentError(`object changed while it was being ingested (ETag is no longer ${meta.etag})`);
    }
    return v;
  }

  private bucket(name: string): { versioned: boolean; objects: Map<string, StoredVersion[]> } {
    const b = this.buckets.get(name);
    if (!b) throw new PermanentError(`NoSuchBucket: bucket "${name}" does not exist`);
    return b;
  }
}

function describe(ref: ObjectRef): string {
  return ref.kind === 's3' ? `${ref.key}${ref.versionId ? `?${ref.versionId}` : ''}` : ref.path;
}
