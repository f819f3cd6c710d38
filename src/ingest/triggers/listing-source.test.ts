/**
 * ListingSource against a mock S3 client and ledger (the integration and fault tests cover real
 * listings on moto): what a pass hands the sink and what the ledger lets it skip, paging, the
 * fallback to current objects without s3:ListBucketVersions, and the interval on a ManualClock.
 */
import { PassThrough } from 'node:stream';
import { ListObjectsV2Command, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { ManualClock } from '../clock';
import { ledgerKey, objectId, type ObjectMeta } from '../object-ref';
import type { ObjectProgress } from '../progress';
import { createLogger } from '../../system/observability/logging';
import { ListingSource } from './listing-source';
import type { TriggerSink } from './source';

const log = createLogger({ level: 'error', format: 'json', stream: new PassThrough() });
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const TOPIC = 't';

type Version = { Key: string; VersionId?: string; IsLatest?: boolean; ETag?: string; LastModified?: Date };

/** Pages of ListObjectVersions (or a 403), one page of ListObjectsV2 made of the latest versions. */
function mockS3(pages: Version[][], opts: { versionsDenied?: boolean } = {}) {
  const calls: string[] = [];
  return {
    calls,
    send: async (command: unknown): Promise<unknown> => {
      if (command instanceof ListObjectVersionsCommand) {
        calls.push(`versions ${command.input.Bucket} ${command.input.Prefix ?? ''} ${command.input.KeyMarker ?? ''}`.trim());
        if (opts.versionsDenied) throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
        const i = command.input.KeyMarker ? Number(command.input.KeyMarker) : 0;
        return { Versions: pages[i], IsTruncated: i + 1 < pages.length, NextKeyMarker: String(i + 1), NextVersionIdMarker: 'x' };
      }
      if (command instanceof ListObjectsV2Command) {
        calls.push(`current ${command.input.Bucket} ${command.input.Prefix ?? ''}`.trim());
        return { Contents: pages.flat().filter((v) => v.IsLatest).map((v) => ({ Key: v.Key, ETag: v.ETag, LastModified: v.LastModified })), IsTruncated: false };
      }
      throw new Error('unexpected S3 command');
    },
  };
}

function mockSink() {
  const offers: string[] = [];
  const sink: TriggerSink = {
    offer: (ref, options = {}) => {
      offers.push(`${ref.kind === 's3' ? `${ref.bucket}/${ref.key}${ref.versionId ? `@${ref.versionId}` : ''}` : ref.path}${options.version ? ` as ${options.version}` : ''}`);
      return { id: '', status: 'queued' };
    },
    full: () => false,
  };
  return { sink, offers };
}

const progress = (status: ObjectProgress['status']): ObjectProgress => ({ id: '', status, byteOffset: 0, lines: 0, entries: 0, records: 0, updatedAt: '' }) as unknown as ObjectProgress;

function listing(s3: ReturnType<typeof mockS3>, ledger: Record<string, ObjectProgress['status']> = {}, over: { listings?: string[]; clock?: ManualClock; maxLearned?: number; horizonMs?: number } = {}) {
  const asked: string[] = [];
  const src = new ListingSource({
    s3: s3 as never,
    listings: over.listings ?? ['logs'],
    intervalMs: 10_000,
    topic: TOPIC,
    known: async (id) => {
      asked.push(id);
      const status = ledger[id];
      return status ? progress(status) : undefined;
    },
    clock: over.clock ?? new ManualClock(),
    log,
    ...(over.maxLearned !== undefined ? { maxLearned: over.maxLearned } : {}),
    ...(over.horizonMs !== undefined ? { horizonMs: over.horizonMs } : {}),
  });
  return { src, asked };
}

const key = (k: string, version: string): string => ledgerKey(TOPIC, objectId({ kind: 's3', bucket: 'logs', key: k }, version));

describe('ListingSource', () => {
  it('hands off current versions the ledger has not done and older versions it has in progress; skips folders', async () => {
    const s3 = mockS3([
      [
        { Key: 'new.log', VersionId: 'n1', IsLatest: true, ETag: '"en"' },
        { Key: 'done.log', VersionId: 'd2', IsLatest: true, ETag: '"ed"' },
        { Key: 'done.log', VersionId: 'd1', IsLatest: false, ETag: '"ed1"' },
        { Key: 'half.log', VersionId: 'h2', IsLatest: true, ETag: '"eh2"' },
        { Key: 'half.log', VersionId: 'h1', IsLatest: false, ETag: '"eh1"' },
        { Key: 'dead.log', VersionId: 'x1', IsLatest: true, ETag: '"ex"' },
        { Key: 'plain.log', VersionId: 'null', IsLatest: true, ETag: '"ep"' },
        { Key: 'folder/', VersionId: 'f', IsLatest: true, ETag: '"ef"' },
      ],
    ]);
    const { src, asked } = listing(s3, { [key('done.log', 'd2')]: 'done', [key('half.log', 'h2')]: 'done', [key('half.log', 'h1')]: 'in-progress', [key('dead.log', 'x1')]: 'dead-letter' });
    const s = mockSink();
    await src.list('logs', s.sink);
    expect(s.offers).toEqual(['logs/new.log@n1 as n1', 'logs/half.log@h1 as h1', 'logs/plain.log as ep']);
    expect(asked).toContain(key('plain.log', 'ep'));
    expect(asked).not.toContain(key('folder/', 'f'));
  });

  it('hands off a current version the ledger has in progress (to finish it)', async () => {
    const s3 = mockS3([[{ Key: 'a.log', VersionId: 'a1', IsLatest: true, ETag: '"e"' }]]);
    const { src } = listing(s3, { [key('a.log', 'a1')]: 'in-progress' });
    const s = mockSink();
    await src.list('logs', s.sink);
    expect(s.offers).toEqual(['logs/a.log@a1 as a1']);
  });

  it('follows the pages of a truncated listing, with the prefix of a bucket/prefix entry', async () => {
    const s3 = mockS3([[{ Key: 'p/a.log', VersionId: 'a', IsLatest: true, ETag: '"1"' }], [{ Key: 'p/b.log', VersionId: 'b', IsLatest: true, ETag: '"2"' }]]);
    const { src } = listing(s3);
    const s = mockSink();
    await src.list('logs/p/', s.sink);
    expect(s3.calls).toEqual(['versions logs p/', 'versions logs p/ 1']);
    expect(s.offers).toEqual(['logs/p/a.log@a as a', 'logs/p/b.log@b as b']);
  });

  it('without s3:ListBucketVersions lists current objects from then on, and knows versioned ones by the version ids jobs resolved', async () => {
    const s3 = mockS3([[{ Key: 'a.log', VersionId: 'a1', IsLatest: true, ETag: '"ea"' }, { Key: 'b.log', VersionId: 'b1', IsLatest: true, ETag: '"eb"' }]], { versionsDenied: true });
    const { src, asked } = listing(s3, { [key('a.log', 'a1')]: 'done' });
    const s = mockSink();
    await src.list('logs', s.sink);
    // Unknown version ids: each object by its ETag.
    expect(s.offers).toEqual(['logs/a.log as ea', 'logs/b.log as eb']);
    src.learn({ kind: 's3', bucket: 'logs', key: 'a.log' }, { id: '', name: 'a.log', size: 1, lastModifiedMs: 0, version: 'a1', versionId: 'a1', etag: 'ea', gzipHint: false } satisfies ObjectMeta);
    src.learn({ kind: 's3', bucket: 'logs', key: 'b.log' }, { id: '', name: 'b.log', size: 1, lastModifiedMs: 0, version: 'b1', versionId: 'b1', etag: 'eb', gzipHint: false });
    s.offers.length = 0;
    asked.length = 0;
    await src.list('logs', s.sink);
    expect(s3.calls).toEqual(['versions logs', 'current logs', 'current logs']);
    expect(asked).toEqual([key('a.log', 'a1'), key('b.log', 'b1')]);
    // a.log is done under its version id; b.log is named by it.
    expect(s.offers).toEqual(['logs/b.log@b1']);
  });

  it('forgets the oldest learned version id beyond its bound', async () => {
    const s3 = mockS3([[{ Key: 'a.log', VersionId: 'a1', IsLatest: true, ETag: '"ea"' }, { Key: 'b.log', VersionId: 'b1', IsLatest: true, ETag: '"eb"' }]], { versionsDenied: true });
    const { src } = listing(s3, {}, { maxLearned: 1 });
    const meta = (k: string, v: string, e: string): ObjectMeta => ({ id: '', name: k, size: 1, lastModifiedMs: 0, version: v, versionId: v, etag: e, gzipHint: false });
    src.learn({ kind: 's3', bucket: 'logs', key: 'a.log' }, meta('a.log', 'a1', 'ea'));
    src.learn({ kind: 's3', bucket: 'logs', key: 'b.log' }, meta('b.log', 'b1', 'eb'));
    // Not learned: the version id "null", and an object without an ETag.
    src.learn({ kind: 's3', bucket: 'logs', key: 'a.log' }, meta('a.log', 'null', 'ea'));
    const s = mockSink();
    await src.list('logs', s.sink);
    expect(s.offers).toEqual(['logs/a.log as ea', 'logs/b.log@b1']);
  });

  it('rejects when S3 refuses the listing for another reason', async () => {
    const s3 = { send: async () => Promise.reject(Object.assign(new Error('no such bucket'), { name: 'NoSuchBucket', $metadata: { httpStatusCode: 404 } })) };
    const { src } = listing(s3 as never);
    await expect(src.list('logs', mockSink().sink)).rejects.toThrow('no such bucket');
  });

  it('runs a pass over every entry, then waits the interval from the pass end; a failed entry does not stop the others', async () => {
    const clock = new ManualClock();
    const calls: string[] = [];
    const s3 = {
      send: async (command: unknown) => {
        const input = (command as ListObjectVersionsCommand).input;
        calls.push(`${input.Bucket} at ${clock.now()}`);
        if (input.Bucket === 'broken') throw Object.assign(new Error('timeout'), { name: 'TimeoutError' });
        return { Versions: [{ Key: 'a.log', VersionId: 'a1', IsLatest: true, ETag: '"e"' }], IsTruncated: false };
      },
    };
    const { src } = listing(s3 as never, {}, { listings: ['broken', 'logs'], clock });
    const s = mockSink();
    const running = src.run(s.sink);
    await flush();
    expect(calls).toEqual(['broken at 0', 'logs at 0']);
    clock.advance(9_999);
    await flush();
    expect(calls).toHaveLength(2);
    clock.advance(1);
    await flush();
    expect(calls).toEqual(['broken at 0', 'logs at 0', 'broken at 10000', 'logs at 10000']);
    expect(s.offers).toEqual(['logs/a.log@a1 as a1', 'logs/a.log@a1 as a1']);
    src.stop();
    clock.advance(500);
    await running;
  });

  // The ledger horizon (docs/ingest.md): a version older than it may be done in the part of the
  // ledger an ingest process no longer reads; offering it on every pass would read that part each
  // time. Versions the ledger holds in progress are still offered, so they finish.
  it('with a horizon, skips versions the ledger does not hold that were modified before it, in both listings', async () => {
    const DAY = 24 * 60 * 60 * 1000;
    const clock = new ManualClock(100 * DAY);
    const old = new Date(80 * DAY);
    const recent = new Date(90 * DAY);
    const pages: Version[][] = [[
      { Key: 'old.log', VersionId: 'o1', IsLatest: true, ETag: '"e1"', LastModified: old },
      { Key: 'old-running.log', VersionId: 'r1', IsLatest: true, ETag: '"e2"', LastModified: old },
      { Key: 'new.log', VersionId: 'n1', IsLatest: true, ETag: '"e3"', LastModified: recent },
    ]];
    for (const denied of [false, true]) {
      const s3 = mockS3(pages, { versionsDenied: denied });
      const running = denied ? key('old-running.log', 'e2') : key('old-running.log', 'r1');
      const { src } = listing(s3, { [running]: 'in-progress' }, { clock, horizonMs: 15 * DAY });
      const { sink, offers } = mockSink();
      await src.list('logs', sink);
      expect(offers.map((o) => o.split(/[@ ]/)[0]).sort()).toEqual(['logs/new.log', 'logs/old-running.log']);
      const all = listing(mockS3(pages, { versionsDenied: denied }), { [running]: 'in-progress' }, { clock, horizonMs: 0 });
      const every = mockSink();
      await all.src.list('logs', every.sink);
      expect(every.offers).toHaveLength(3);
    }
  });
});
