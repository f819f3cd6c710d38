/**
 * Issue 14 item 1: one job per object version, however the triggers name it. The real
 * S3WatcherActor, FileFetcherActor and LineStreamerActor run against an in-memory bucket (versioned
 * or not) and a model of the KafkaPublisherActor's contract (ledger, one writer per version, records
 * per version). Requests with and without a versionId, SQS duplicates and listing passes arrive at
 * once; the checks: a version reaches the fetcher's ingest at most once at a time, no version has two
 * writers at once or gets records after it was done, and every line of every version asked for is
 * committed exactly once, in order.
 *
 * The scheduler test interleaves all of it with fast-check's scheduler; a failure prints its seed and
 * path (LOGPIPE_FC_SEED=<seed> LOGPIPE_FC_PATH=<path> replays it; LOGPIPE_FC_RUNS=<n> runs more).
 */
import { PassThrough, Readable } from 'node:stream';
import fc from 'fast-check';
import type { Message } from 'kafkajs';
import { ListObjectsV2Command, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { PermanentError } from '../system/errors/errors';
import type { ObjectStore } from '../ingest/fetcher';
import { ledgerKey, objectId, type ObjectMeta, type ObjectRef } from '../ingest/object-ref';
import type { ObjectProgress } from '../ingest/progress';
import type { ParserCheckpoint } from '../model/parser';
import { createLogger } from '../system/observability/logging';
import FileFetcherActor, { type IngestOutcome } from './file-fetcher-actor';
import LineStreamerActor from './line-streamer-actor';
import S3WatcherActor, { type Trigger, type WatcherSettings } from './s3-watcher-actor';
import { watcherTestSettings } from './watcher-test-settings';
import { pooledFetcher, runningSlots, WorkerPool } from './worker-pool';

const log = createLogger({ level: 'error', format: 'json', stream: new PassThrough() });
const TOPIC = 't';
const BUCKET = 'logs';

/** Where the fakes let other work run first: nothing in the plain tests, the scheduler in the property. */
type Gate = (label: string) => Promise<void>;
const noGate: Gate = () => Promise.resolve();

interface Version {
  versionId?: string;
  etag: string;
  lines: string[];
  body: Buffer;
}

/** An S3 bucket in memory: every PUT adds a version (versioned) or replaces the object. */
class FakeBucket {
  readonly objects = new Map<string, Version[]>();
  private puts = 0;
  constructor(
    readonly versioned: boolean,
    private readonly gate: Gate,
  ) {}

  put(key: string, count: number): Version {
    const n = ++this.puts;
    const lines = Array.from({ length: count }, (_, i) => `10:00:${String(i % 60).padStart(2, '0')}.000 [main] ${i % 3 === 0 ? 'ERROR' : 'INFO'} app - ${key} put ${n} line ${i}`);
    const v: Version = { ...(this.versioned ? { versionId: `v${n}` } : {}), etag: `etag${n}`, lines, body: Buffer.from(lines.join('\n') + '\n') };
    this.objects.set(key, this.versioned ? [...(this.objects.get(key) ?? []), v] : [v]);
    return v;
  }

  current(key: string): Version | undefined {
    return this.objects.get(key)?.at(-1);
  }

  /** The version `ref` names now, as S3 resolves it. */
  named(ref: ObjectRef): Version | undefined {
    if (ref.kind !== 's3') return undefined;
    return ref.versionId ? this.objects.get(ref.key)?.find((v) => v.versionId === ref.versionId) : this.current(ref.key);
  }

  /** The object id of a version, as S3Store.head makes it. */
  id(key: string, v: Version): string {
    return objectId({ kind: 's3', bucket: BUCKET, key }, v.versionId ?? v.etag);
  }

  /** HEAD and GET as S3Store does them (a GET of an unversioned object must match the ETag). */
  store(): ObjectStore {
    return {
      head: async (ref) => {
        await this.gate(`head ${ref.kind === 's3' ? ref.key : ''}`);
        const v = this.named(ref);
        if (!v || ref.kind !== 's3') throw new PermanentError(`NoSuchKey: ${JSON.stringify(ref)}`);
        return { id: this.id(ref.key, v), name: ref.key, size: v.body.length, lastModifiedMs: Date.UTC(2026, 10, 25, 12), version: v.versionId ?? v.etag, versionId: v.versionId, etag: v.etag, gzipHint: false };
      },
      read: async (ref, meta, from, to) => {
        await this.gate(`read ${meta.id}`);
        if (ref.kind !== 's3') throw new Error('s3 only');
        const v = meta.versionId ? this.named({ ...ref, versionId: meta.versionId }) : this.current(ref.key);
        if (!v || v.etag !== meta.etag) throw new PermanentError('object changed while it was being ingested');
        const bytes = v.body.subarray(from, to === undefined ? undefined : to + 1);
        // Small chunks, so that a line is often split between two.
        const pieces: Buffer[] = [];
        for (let i = 0; i < bytes.length; i += 23) pieces.push(bytes.subarray(i, i + 23));
        return Readable.from(pieces);
      },
    };
  }

  /** ListObjectVersions and ListObjectsV2 (one page); `versionsDenied` answers the former 403. */
  s3(opts: { versionsDenied?: boolean } = {}) {
    const calls: string[] = [];
    return {
      calls,
      send: async (command: unknown): Promise<unknown> => {
        await this.gate('list');
        const etag = (v: Version): string => `"${v.etag}"`;
        if (command instanceof ListObjectVersionsCommand) {
          calls.push('ListObjectVersions');
          if (opts.versionsDenied) throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
          const versions = [...this.objects].flatMap(([key, vs]) => vs.map((v, i) => ({ Key: key, VersionId: v.versionId ?? 'null', IsLatest: i === vs.length - 1, ETag: etag(v), Size: v.body.length })).reverse());
          return { Versions: versions, IsTruncated: false };
        }
        if (command instanceof ListObjectsV2Command) {
          calls.push('ListObjectsV2');
          return { Contents: [...this.objects].map(([key, vs]) => ({ Key: key, ETag: etag(vs.at(-1)!), Size: vs.at(-1)!.body.length })), IsTruncated: false };
        }
        throw new Error('unexpected S3 command');
      },
    };
  }
}

/**
 * The KafkaPublisherActor as the fetcher and streamer use it: a ledger of progress per version and
 * the records committed per version. Records what the guarantees forbid instead of throwing, so a
 * test shows every violation.
 */
class FakePublisher {
  readonly ledger = new Map<string, ObjectProgress>();
  readonly records = new Map<string, string[]>();
  readonly begun = new Set<string>();
  readonly violations: string[] = [];
  readonly begins: string[] = [];
  constructor(private readonly gate: Gate) {}

  sendAndReceive = async (topic: string, id: string, ...args: unknown[]): Promise<unknown> => {
    await this.gate(`publisher.${topic} ${id}`);
    switch (topic) {
      case 'known':
        return this.ledger.get(id);
      case 'begin':
        if (this.begun.has(id)) this.violations.push(`two writers of ${id} at once`);
        this.begun.add(id);
        this.begins.push(id);
        return this.ledger.get(id);
      case 'commit': {
        const [records, progress] = args as [Message[], ObjectProgress];
        if (!this.begun.has(id)) throw new Error(`object ${id} was not begun`);
        if (this.ledger.get(id)?.status === 'done') this.violations.push(`records of ${id} committed after it was done`);
        this.records.set(id, [...(this.records.get(id) ?? []), ...records.map((r) => String(r.value))]);
        this.ledger.set(id, progress);
        return undefined;
      }
      case 'deadLetter':
        this.ledger.set(id, args[0] as ObjectProgress);
        return undefined;
      case 'finish':
        this.begun.delete(id);
        return undefined;
      default:
        throw new Error(`unexpected publisher message ${topic}`);
    }
  };
}

const settings = (over: Partial<WatcherSettings> = {}): WatcherSettings => watcherTestSettings({ parallelObjects: 4, maxQueuedObjects: 100, ...over });

/** The pipeline with real actors over the fakes; `ingests` counts fetcher ingests per version at the boundary. */
function pipeline(opts: { versioned: boolean; gate?: Gate; parallelObjects?: number; versionsDenied?: boolean; workers?: number }) {
  const gate = opts.gate ?? noGate;
  const bucket = new FakeBucket(opts.versioned, gate);
  // One publisher model for every worker: it stands for the broker (one ledger, one writer per
  // version across processes), so two workers writing one version at once is a violation.
  const publisher = new FakePublisher(gate);
  const store = bucket.store();
  const running = new Map<string, number>();
  const ingests: string[] = [];
  const violations: string[] = [];
  /** One ingest worker (issue 17: `logpipe start` runs several): a fetcher and its own streamer. */
  const worker = () => {
    const streamer = new LineStreamerActor();
    streamer.init({
      // The whole publisher: the streamer passes the fetcher's ledger messages on to it.
      publisher: publisher as never,
      options: { parser: { format: 'logback' }, maxLineBytes: 1024, batchMaxRecords: 3, batchMaxBytes: 1 << 20, maxInFlight: 1 },
      log,
      now: () => 0,
    });
    const fetcher = new FileFetcherActor();
    fetcher.init({
      topic: TOPIC,
      streamer: { sendAndReceive: (topic: string, ...args: unknown[]) => Promise.resolve().then(() => (streamer as unknown as Record<string, (...a: unknown[]) => unknown>)[topic](...args)) } as never,
      stores: { s3: store, file: store },
      fetch: { maxDecompressedBytes: 1 << 20, retryBudgetMs: 0, sleep: async () => undefined },
      log,
    });
    return {
      sendAndReceive: async (topic: string, ...args: unknown[]): Promise<unknown> => {
        if (topic !== 'ingest') return (fetcher as unknown as Record<string, (...a: unknown[]) => unknown>)[topic](...args);
        const [ref, meta] = args as [ObjectRef & { kind: 's3' }, ObjectMeta | undefined];
        // The version this call ingests: the one resolved for it, else the one its ref names now.
        const named = bucket.named(ref);
        const version = meta?.id ?? (named ? bucket.id(ref.key, named) : `${ref.key}#missing`);
        ingests.push(version);
        // Counted across workers: a version must not reach two workers' ingest at once either.
        const n = (running.get(version) ?? 0) + 1;
        running.set(version, n);
        if (n > 1) violations.push(`${version} reached the fetcher's ingest ${n} times at once`);
        try {
          return await (fetcher.ingest as (...a: unknown[]) => Promise<IngestOutcome>)(...args);
        } finally {
          running.set(version, running.get(version)! - 1);
        }
      },
    };
  };
  const pool = new WorkerPool(Array.from({ length: opts.workers ?? 1 }, worker));
  const boundary = pooledFetcher(pool);
  const s3 = bucket.s3({ versionsDenied: opts.versionsDenied });
  const watcher = new S3WatcherActor();
  watcher.init({ topic: TOPIC, fetcher: boundary as never, settings: settings({ parallelObjects: runningSlots(opts.parallelObjects ?? 4, pool.size) }), s3: s3 as never, log });
  /** Everything the guarantees forbid, from the boundary and the publisher. */
  const allViolations = (): string[] => [...violations, ...publisher.violations];
  return { bucket, publisher, watcher, ingests, s3, allViolations, store };
}

const ref = (key: string, versionId?: string): ObjectRef => ({ kind: 's3', bucket: BUCKET, key, ...(versionId ? { versionId } : {}) });
const ledgerId = (bucket: FakeBucket, key: string, v: Version): string => ledgerKey(TOPIC, bucket.id(key, v));
const settle = async (w: S3WatcherActor): Promise<void> => {
  for (let i = 0; i < 200 && w.pending() > 0; i++) await new Promise((r) => setTimeout(r, 1));
};
/** An in-progress entry committed before any line (a resume from the start). */
const interrupted = (id: string): ObjectProgress => ({ id, status: 'in-progress', byteOffset: 0, lines: 0, entries: 0, records: 0, parser: { format: undefined, dayMs: 0, lastTodMs: -1, lastTimeMs: 0, lines: 0 } as unknown as ParserCheckpoint, updatedAt: '' });

describe('one job per object version', () => {
  // The reproduction: POST /v1/ingest twice at once, with and without the versionId.
  it.each([
    ['with the versionId first', true],
    ['without the versionId first', false],
  ])('two requests for one version at once (%s) ingest it once', async (_name, versionFirst) => {
    const p = pipeline({ versioned: true });
    const v = p.bucket.put('a.log', 10);
    const named = { ref: ref('a.log', v.versionId), via: 'sqs' as Trigger };
    const plain = { ref: ref('a.log'), via: 'api' as Trigger };
    for (const r of versionFirst ? [named, plain] : [plain, named]) expect(p.watcher.request(r).status).toBe('queued');
    await settle(p.watcher);
    expect(p.allViolations()).toEqual([]);
    expect(p.ingests).toEqual([p.bucket.id('a.log', v)]);
    expect(p.publisher.records.get(ledgerId(p.bucket, 'a.log', v))).toEqual(v.lines);
  });

  // Merging must happen before the fetcher begins the second: a request that resolves while its
  // version runs joins the running job and has its outcome.
  it('a request without a versionId that resolves to a running version joins it, with its outcome', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    const gate: Gate = (label) => (label.startsWith('read') ? held : Promise.resolve());
    const p = pipeline({ versioned: true, gate });
    const v = p.bucket.put('a.log', 5);
    const first = p.watcher.ingest(ref('a.log', v.versionId));
    await new Promise((r) => setTimeout(r, 5));
    const second = p.watcher.ingest(ref('a.log'));
    await new Promise((r) => setTimeout(r, 5));
    release();
    const [a, b] = await Promise.all([first, second]);
    expect(a).toEqual(b);
    expect(a.status).toBe('ingested');
    expect(p.ingests).toHaveLength(1);
    expect(p.allViolations()).toEqual([]);
  });

  it('SQS duplicates of one event and a plain request make one job in an unversioned bucket too', async () => {
    const p = pipeline({ versioned: false });
    const v = p.bucket.put('b.log', 7);
    p.watcher.request({ ref: ref('b.log'), via: 'sqs' });
    p.watcher.request({ ref: ref('b.log'), via: 'sqs' });
    p.watcher.request({ ref: ref('b.log'), via: 'api' });
    await settle(p.watcher);
    expect(p.ingests).toEqual([p.bucket.id('b.log', v)]);
    expect(p.publisher.records.get(ledgerId(p.bucket, 'b.log', v))).toEqual(v.lines);
  });

  // A request without a versionId names the current version at the time it is resolved: an upload
  // after the running job resolved is a new version, not merged into the old one.
  it('a request without a versionId for a newer version than the running one gets its own job', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    const gate: Gate = (label) => (label.startsWith('read') ? held : Promise.resolve());
    const p = pipeline({ versioned: true, gate });
    const v1 = p.bucket.put('c.log', 4);
    const first = p.watcher.ingest(ref('c.log'));
    await new Promise((r) => setTimeout(r, 5));
    const v2 = p.bucket.put('c.log', 6);
    const second = p.watcher.ingest(ref('c.log'));
    await new Promise((r) => setTimeout(r, 5));
    release();
    await Promise.all([first, second]);
    expect(p.ingests.sort()).toEqual([p.bucket.id('c.log', v1), p.bucket.id('c.log', v2)].sort());
    expect(p.publisher.records.get(ledgerId(p.bucket, 'c.log', v1))).toEqual(v1.lines);
    expect(p.publisher.records.get(ledgerId(p.bucket, 'c.log', v2))).toEqual(v2.lines);
  });
});

describe('the listing recognises ingested versions', () => {
  // Issue 14 item 1: in a versioned bucket the listing checked the ledger by ETag, which never
  // matched a version id, so every pass queued every object again.
  it.each([
    ['versioned', true],
    ['unversioned', false],
  ])('a second pass over a %s bucket queues nothing', async (_name, versioned) => {
    const p = pipeline({ versioned });
    const v = p.bucket.put('a.log', 6);
    await p.watcher.list(BUCKET);
    await settle(p.watcher);
    expect(p.ingests).toEqual([p.bucket.id('a.log', v)]);
    await p.watcher.list(BUCKET);
    expect(p.watcher.pending()).toBe(0);
    await settle(p.watcher);
    expect(p.ingests).toHaveLength(1);
    expect(p.publisher.records.get(ledgerId(p.bucket, 'a.log', v))).toEqual(v.lines);
  });

  // Issue 14 item 6: a trigger without a versionId names the current version, so an older version
  // whose ingest was interrupted stays in progress; the listing finds it and finishes it.
  it('a trigger without a versionId ingests the current version; the listing finishes an interrupted older one', async () => {
    const p = pipeline({ versioned: true });
    const v1 = p.bucket.put('a.log', 5);
    p.publisher.ledger.set(ledgerId(p.bucket, 'a.log', v1), interrupted(ledgerId(p.bucket, 'a.log', v1)));
    const v2 = p.bucket.put('a.log', 3);
    await p.watcher.ingest(ref('a.log'));
    expect(p.ingests).toEqual([p.bucket.id('a.log', v2)]);
    expect(p.publisher.ledger.get(ledgerId(p.bucket, 'a.log', v1))?.status).toBe('in-progress');
    await p.watcher.list(BUCKET);
    await settle(p.watcher);
    expect(p.ingests).toEqual([p.bucket.id('a.log', v2), p.bucket.id('a.log', v1)]);
    expect(p.publisher.ledger.get(ledgerId(p.bucket, 'a.log', v1))?.status).toBe('done');
    expect(p.publisher.records.get(ledgerId(p.bucket, 'a.log', v1))).toEqual(v1.lines);
    // Versions never begun stay alone: the listing ingests current versions, and old ones only to finish them.
    const v3 = p.bucket.put('a.log', 2);
    p.bucket.put('a.log', 2);
    await p.watcher.list(BUCKET);
    await settle(p.watcher);
    expect(p.ingests).not.toContain(p.bucket.id('a.log', v3));
  });

  // Without s3:ListBucketVersions the listing lists current objects (ETags) and learns each one's
  // version id from the job that resolved it, so a second pass still queues nothing.
  it('without permission to list versions, lists current objects and still recognises what it ingested', async () => {
    const p = pipeline({ versioned: true, versionsDenied: true });
    const v = p.bucket.put('a.log', 4);
    await p.watcher.list(BUCKET);
    await settle(p.watcher);
    await p.watcher.list(BUCKET);
    await settle(p.watcher);
    expect(p.ingests).toEqual([p.bucket.id('a.log', v)]);
    expect(p.s3.calls).toEqual(['ListObjectVersions', 'ListObjectsV2', 'ListObjectsV2']);
  });

  // "One still in progress goes ahead": a pass while the version is being ingested joins that job.
  it('a pass while the version is being ingested joins the running job', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    const gate: Gate = (label) => (label.startsWith('read') ? held : Promise.resolve());
    const p = pipeline({ versioned: true, gate });
    const v = p.bucket.put('a.log', 5);
    const running = p.watcher.ingest(ref('a.log', v.versionId));
    await new Promise((r) => setTimeout(r, 5));
    await p.watcher.list(BUCKET);
    release();
    await running;
    await settle(p.watcher);
    expect(p.ingests).toEqual([p.bucket.id('a.log', v)]);
    expect(p.allViolations()).toEqual([]);
  });
});

/** One thing that happens to the watcher in the scheduler test. */
type Command = { kind: 'request'; via: Trigger; key: number; version: number | 'none' } | { kind: 'listing' };

describe('one job per object version: scheduled interleavings', () => {
  it('a version reaches the fetcher once at a time, has one writer, and is committed once, in order', async () => {
    const seed = process.env.LOGPIPE_FC_SEED === undefined ? undefined : Number(process.env.LOGPIPE_FC_SEED);
    const path = process.env.LOGPIPE_FC_PATH;
    const world = fc.record({
      versioned: fc.boolean(),
      // Per key: how many versions it has (the last is current) and the ledger's entry of each.
      keys: fc.array(fc.array(fc.constantFrom('none', 'done', 'in-progress'), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 2 }),
      parallelObjects: fc.integer({ min: 1, max: 3 }),
      // Ingest workers (issue 17): objects dealt to the least busy; a version still in one worker at a time.
      workers: fc.integer({ min: 1, max: 3 }),
      // No s3:ListBucketVersions: the listing lists current objects only.
      versionsDenied: fc.boolean(),
    });
    const command: fc.Arbitrary<Command> = fc.oneof(
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('request' as const), via: fc.constantFrom<Trigger>('api', 'sqs', 'cli'), key: fc.nat(1), version: fc.oneof(fc.constant('none' as const), fc.nat(2)) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('listing' as const) }) },
    );
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), world, fc.array(command, { minLength: 1, maxLength: 6 }), async (s, w, commands) => {
        const gate: Gate = (label) => s.schedule(Promise.resolve(), label);
        const p = pipeline({ versioned: w.versioned, gate, parallelObjects: w.parallelObjects, versionsDenied: w.versionsDenied, workers: w.workers });
        const keys = w.keys.map((states, k) => {
          const key = `k${k}.log`;
          // An unversioned bucket keeps only the last put.
          const versions = (w.versioned ? states : states.slice(-1)).map((state) => ({ state, v: p.bucket.put(key, 4 + k) }));
          for (const { state, v } of versions) {
            const id = ledgerId(p.bucket, key, v);
            if (state === 'done') p.publisher.ledger.set(id, { ...interrupted(id), status: 'done', lines: v.lines.length });
            if (state === 'in-progress') p.publisher.ledger.set(id, interrupted(id));
          }
          return { key, versions };
        });
        /** Versions that must be done at the end, and whether their lines must be on the topic. */
        const expected = new Map<string, { lines: string[]; committed: boolean }>();
        const expect_ = (key: string, entry: { state: string; v: Version }): void => {
          expected.set(ledgerId(p.bucket, key, entry.v), { lines: entry.v.lines, committed: entry.state !== 'done' });
        };
        const outcomes: Array<Promise<unknown>> = [];
        for (const c of commands) {
          if (c.kind === 'listing') {
            // Current versions, and older ones left in progress when the listing can see versions.
            for (const k of keys) {
              expect_(k.key, k.versions.at(-1)!);
              if (!w.versionsDenied) for (const e of k.versions.slice(0, -1)) if (e.state === 'in-progress') expect_(k.key, e);
            }
            outcomes.push(s.schedule(Promise.resolve(), 'listing').then(() => p.watcher.list(BUCKET)));
            continue;
          }
          const target = keys[c.key % keys.length];
          const entry = c.version === 'none' ? target.versions.at(-1)! : target.versions[c.version % target.versions.length];
          const r = c.version === 'none' || !entry.v.versionId ? ref(target.key) : ref(target.key, entry.v.versionId);
          expect_(target.key, c.version === 'none' ? target.versions.at(-1)! : entry);
          outcomes.push(
            s.schedule(Promise.resolve(), `request ${c.via} ${JSON.stringify(r)}`).then((): unknown => {
              if (c.via === 'cli') return p.watcher.ingest(r);
              return p.watcher.request({ ref: r, via: c.via });
            }),
          );
        }
        // Let everything run: scheduled steps in the scheduler's order, streams in between.
        for (let i = 0; i < 2000; i++) {
          await s.waitIdle();
          await new Promise((r) => setImmediate(r));
          if (s.count() === 0 && p.watcher.pending() === 0) break;
        }
        await Promise.all(outcomes);
        const problems = [...p.allViolations()];
        if (p.watcher.pending() !== 0) problems.push(`${p.watcher.pending()} objects still pending`);
        for (const [id, e] of expected) {
          const status = p.publisher.ledger.get(id)?.status;
          if (status !== 'done') problems.push(`${id} is ${status ?? 'not in the ledger'}, not done`);
          const records = p.publisher.records.get(id) ?? [];
          const want = e.committed ? e.lines : [];
          if (JSON.stringify(records) !== JSON.stringify(want)) problems.push(`${id}: ${records.length} records, expected ${want.length} (each line once, in order)`);
        }
        for (const id of p.publisher.records.keys()) if (!expected.has(id)) problems.push(`${id} was ingested, though nothing asked for it`);
        await p.watcher.destroy();
        expect(problems).toEqual([]);
      }),
      { numRuns: Number(process.env.LOGPIPE_FC_RUNS ?? 150), ...(seed !== undefined ? { seed, ...(path ? { path } : {}) } : {}), verbose: 1 },
    );
  });
});
