/**
 * The listing trigger: every `listIntervalMs`, lists each configured `bucket` or `bucket/prefix`
 * and hands the sink what is not ingested yet, so objects whose events never arrived are found.
 *
 * What it hands off (the dedupe): each object's current version unless the ledger has it done or
 * dead-lettered, and older versions whose ingest was interrupted (the ledger has them in
 * progress), so they are finished; older versions never begun are left alone. Versions are known
 * from what S3 lists (ListObjectVersions: the version id, or the ETag of an unversioned object),
 * without a HEAD. Without s3:ListBucketVersions (403) or where the store does not implement it
 * (501), it says so once per bucket in the log and lists current objects (ListObjectsV2: ETags
 * only); a versioned object's version id is then known from the job that resolved it earlier in
 * this process (learn()), so after a start each such object is handed off once more and found done.
 */
import { ListObjectsV2Command, ListObjectVersionsCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Clock } from '../clock';
import { listable } from '../horizon';
import { reasonOf } from '../../system/errors/errors';
import { ledgerKey, type ObjectMeta, type ObjectRef, objectId } from '../object-ref';
import type { ObjectProgress } from '../progress';
import type { Logger } from '../../system/observability/logging';
import type { TriggerSink, TriggerSource } from './source';

/** Version ids learned per object and ETag, at most (oldest forgotten first): about 100 bytes each. */
export const MAX_LEARNED_VERSION_IDS = 100_000;

export interface ListingSourceOptions {
  s3: Pick<S3Client, 'send'>;
  /** `bucket` or `bucket/prefix` entries (ingest.listings). */
  listings: string[];
  /** The wait from the end of one pass to the start of the next (ingest.listIntervalMs). */
  intervalMs: number;
  /** The log topic, part of the ledger key. */
  topic: string;
  /** The ledger's entry of a version by its ledger key (the fetcher's `known`). */
  known: (ledgerKey: string) => Promise<ObjectProgress | undefined>;
  clock: Clock;
  log: Logger;
  /** Version ids remembered at most (MAX_LEARNED_VERSION_IDS). */
  maxLearned?: number;
  /**
   * ingest.ledgerHorizonMs: versions last modified longer ago than this are not offered (unless the
   * ledger holds them in progress), see `listable`. 0 or absent: every version.
   */
  horizonMs?: number;
}

export class ListingSource implements TriggerSource {
  private stopped = false;
  /** Aborted by stop(): ends the wait between passes at once. */
  private readonly abort = new AbortController();
  /** Buckets whose versions cannot be listed: listed by current objects. */
  private readonly currentOnly = new Set<string>();
  /** Version ids of versioned objects by object and ETag, as jobs resolved them. */
  private readonly versionIds = new Map<string, string>();

  constructor(private readonly options: ListingSourceOptions) {}

  /** Lists every entry, then waits `intervalMs` (from the pass's end), until stop(). A failed entry is logged and skipped. */
  async run(sink: TriggerSink): Promise<void> {
    const { clock, log, listings, intervalMs } = this.options;
    while (!this.stopped) {
      for (const entry of listings) {
        if (this.stopped) break;
        await this.list(entry, sink).catch((err) => log.warn('listing failed', { listing: entry, error: reasonOf(err) }));
      }
      if (!this.stopped) await clock.sleep(intervalMs, this.abort.signal);
    }
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
  }

  /**
   * Lists one `bucket` or `bucket/prefix` entry now and hands the sink what is not ingested yet
   * (see the module comment). Rejects when S3 cannot be listed or the ledger cannot be read.
   */
  async list(entry: string, sink: TriggerSink): Promise<void> {
    const slash = entry.indexOf('/');
    const bucket = slash < 0 ? entry : entry.slice(0, slash);
    const prefix = slash < 0 ? undefined : entry.slice(slash + 1);
    if (!this.currentOnly.has(bucket)) {
      try {
        await this.listVersions(sink, bucket, prefix);
        return;
      } catch (err) {
        if (!cannotListVersions(err)) throw err;
        this.currentOnly.add(bucket);
        this.options.log.warn('cannot list object versions; listing current objects only (grant s3:ListBucketVersions to resume interrupted old versions)', { bucket, error: reasonOf(err) });
      }
    }
    await this.listCurrent(sink, bucket, prefix);
  }

  /** Remembers a versioned object's version id by its ETag (for listings without versions), as a job resolved it. */
  learn(ref: ObjectRef, meta: ObjectMeta): void {
    if (ref.kind !== 's3' || !meta.etag || !meta.versionId || meta.versionId === 'null') return;
    if (this.versionIds.size >= (this.options.maxLearned ?? MAX_LEARNED_VERSION_IDS)) this.versionIds.delete(this.versionIds.keys().next().value!);
    this.versionIds.set(versionIdsKey(ref, meta.etag), meta.versionId);
  }

  /** Whether a version the ledger does not hold is offered: not when older than the horizon (see `listable`). */
  private listable(lastModified: Date | undefined): boolean {
    return listable(lastModified?.getTime(), this.options.clock.now(), this.options.horizonMs ?? 0);
  }

  private known(ref: ObjectRef, version: string): Promise<ObjectProgress | undefined> {
    return this.options.known(ledgerKey(this.options.topic, objectId(ref, version)));
  }

  private async listVersions(sink: TriggerSink, bucket: string, prefix: string | undefined): Promise<void> {
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    do {
      const page = await this.options.s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker: keyMarker, VersionIdMarker: versionMarker }));
      for (const v of page.Versions ?? []) {
        if (!v.Key || v.Key.endsWith('/')) continue;
        const ref: ObjectRef = { kind: 's3', bucket, key: v.Key };
        const etag = stripQuotes(v.ETag);
        // "null": written while the bucket was not versioned; such a version is known by its ETag.
        const versionId = v.VersionId && v.VersionId !== 'null' ? v.VersionId : undefined;
        const version = versionId ?? etag;
        if (!version) continue;
        const known = await this.known(ref, version);
        if (v.IsLatest) {
          if (known && known.status !== 'in-progress') continue;
          if (!known && !this.listable(v.LastModified)) continue;
          sink.offer(versionId ? { ...ref, versionId } : ref, { version });
        } else if (known?.status === 'in-progress') {
          // An older version (or the last before a delete marker) left unfinished: named by its id, it is read as it was.
          sink.offer({ ...ref, versionId: v.VersionId ?? 'null' }, { version });
        }
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      versionMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (keyMarker && !this.stopped);
  }

  private async listCurrent(sink: TriggerSink, bucket: string, prefix: string | undefined): Promise<void> {
    let token: string | undefined;
    do {
      const page = await this.options.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        if (!o.Key || o.Key.endsWith('/')) continue;
        const ref: ObjectRef = { kind: 's3', bucket, key: o.Key };
        const etag = stripQuotes(o.ETag);
        if (!etag) continue;
        // A versioned object's id is its version id, which this listing does not show: known if a job resolved it.
        const versionId = this.versionIds.get(versionIdsKey(ref, etag));
        const known = await this.known(ref, versionId ?? etag);
        if (known && known.status !== 'in-progress') continue;
        if (!known && !this.listable(o.LastModified)) continue;
        sink.offer(versionId ? { ...ref, versionId } : ref, versionId ? {} : { version: etag });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token && !this.stopped);
  }
}

const stripQuotes = (etag: string | undefined): string => (etag ?? '').replace(/^"|"$/g, '');

function versionIdsKey(ref: Extract<ObjectRef, { kind: 's3' }>, etag: string): string {
  return `${ref.bucket}/${ref.key} ${etag}`;
}

/** S3 refuses ListObjectVersions (no s3:ListBucketVersions), or the store does not implement it. */
function cannotListVersions(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  return status === 403 || status === 501 || e.name === 'AccessDenied' || e.name === 'NotImplemented';
}
