import { PassThrough, Readable } from 'node:stream';
import { streamerWithPublisher } from './streamer-port.fixture';
import zlib from 'node:zlib';
import type { ObjectStore } from '../ingest/fetcher';
import type { ObjectMeta, ObjectRef } from '../ingest/object-ref';
import type { ObjectProgress } from '../ingest/progress';
import { createLogger } from '../system/observability/logging';
import FileFetcherActor from './file-fetcher-actor';

const log = createLogger({ level: 'error', format: 'json', stream: new PassThrough() });
const ref: ObjectRef = { kind: 's3', bucket: 'b', key: 'logs/a.log' };

/** An in-memory object store; `fail` makes head throw the given error. */
function store(bytes: Buffer, fail?: Error): ObjectStore & { reads: number[] } {
  const reads: number[] = [];
  return {
    reads,
    async head(r: ObjectRef): Promise<ObjectMeta> {
      if (fail) throw fail;
      return { id: `s3://b/${r.kind === 's3' ? r.key : ''}#v1`, name: 'logs/a.log', size: bytes.length, lastModifiedMs: 0, version: 'v1', gzipHint: false };
    },
    async read(_r: ObjectRef, _m: ObjectMeta, from: number, to?: number): Promise<Readable> {
      reads.push(from);
      return Readable.from([bytes.subarray(from, to === undefined ? undefined : to + 1)]);
    },
  };
}

function progress(over: Partial<ObjectProgress>): ObjectProgress {
  return { id: 't s3://b/logs/a.log#v1', status: 'in-progress', byteOffset: 0, lines: 0, entries: 0, records: 0, parser: { format: 'logback', dayMs: 0, lastTodMs: -1, lastTimeMs: 0, lines: 0 }, updatedAt: '', ...over };
}

/** Fake streamer and publisher recording the messages they get. */
function ports(opts: { known?: ObjectProgress; committed?: ObjectProgress; chunkError?: Error } = {}) {
  const messages: string[] = [];
  const chunks: Buffer[] = [];
  const deadLetters: ObjectProgress[] = [];
  return {
    messages,
    chunks,
    deadLetters,
    streamer: {
      sendAndReceive: async (topic: string, ...args: unknown[]) => {
        messages.push(`streamer.${topic}`);
        if (topic === 'chunk') {
          if (opts.chunkError) throw opts.chunkError;
          chunks.push(args[1] as Buffer);
        }
        if (topic === 'end') return progress({ status: 'done', byteOffset: Buffer.concat(chunks).length, lines: 2, records: 2 });
        return undefined;
      },
    },
    publisher: {
      sendAndReceive: async (topic: string, ...args: unknown[]) => {
        messages.push(`publisher.${topic}`);
        if (topic === 'known') return opts.known;
        if (topic === 'begin') return opts.committed;
        if (topic === 'deadLetter') deadLetters.push(args[1] as ObjectProgress);
        return undefined;
      },
    },
  };
}

function fetcher(s: ObjectStore, p: ReturnType<typeof ports>): FileFetcherActor {
  const f = new FileFetcherActor();
  f.init({ topic: 't', streamer: streamerWithPublisher(p.streamer, p.publisher) as never, stores: { s3: s, file: s }, fetch: { maxDecompressedBytes: 1 << 20, retryBudgetMs: 1000, sleep: async () => undefined }, log });
  return f;
}

const DATA = Buffer.from('10:00:00.000 [m] INFO a - one\n10:00:01.000 [m] ERROR a - two\n');

describe('FileFetcherActor', () => {
  it('takes the object over, streams it, ends it and releases the producer', async () => {
    const p = ports();
    const out = await fetcher(store(DATA), p).ingest(ref);
    expect(out).toMatchObject({ id: 't s3://b/logs/a.log#v1', status: 'ingested', lines: 2, resumed: false });
    expect(p.messages).toEqual(['publisher.known', 'publisher.begin', 'streamer.begin', 'streamer.chunk', 'streamer.end', 'publisher.finish']);
    expect(Buffer.concat(p.chunks)).toEqual(DATA);
  });

  it('skips a version the ledger has as done, without taking it over', async () => {
    const p = ports({ known: progress({ status: 'done', lines: 7 }) });
    expect(await fetcher(store(DATA), p).ingest(ref)).toMatchObject({ status: 'duplicate', lines: 7 });
    expect(p.messages).toEqual(['publisher.known']);
  });

  it('resumes from the committed offset with a Range read', async () => {
    const s = store(DATA);
    const p = ports({ committed: progress({ byteOffset: 30, lines: 1 }) });
    expect(await fetcher(s, p).ingest(ref)).toMatchObject({ status: 'ingested', resumed: true });
    expect(s.reads).toContain(30);
    expect(Buffer.concat(p.chunks).toString()).toBe(DATA.subarray(30).toString());
  });

  it('dead-letters an object whose metadata says NoSuchKey, under its name', async () => {
    const p = ports();
    const missing = Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    const out = await fetcher(store(DATA, missing), p).ingest(ref);
    expect(out).toMatchObject({ status: 'dead-letter', reason: 'NoSuchKey: The specified key does not exist.', id: 't s3://b/logs/a.log#unreadable' });
    expect(p.deadLetters).toHaveLength(1);
  });

  it('dead-letters a corrupt gzip with the reason and forgets the stream', async () => {
    const gz = zlib.gzipSync(DATA);
    const p = ports();
    const out = await fetcher(store(gz.subarray(0, gz.length - 12)), p).ingest(ref);
    expect(out).toMatchObject({ status: 'dead-letter', reason: expect.stringMatching(/corrupt gzip|unexpected end/) });
    expect(p.messages).toEqual(expect.arrayContaining(['streamer.abort', 'publisher.deadLetter', 'publisher.finish']));
  });

  // Kafka failing under a batch is not the object's fault: the call fails, progress stays, a retry resumes.
  it('rejects when the streamer (Kafka) fails, and still releases the producer', async () => {
    const p = ports({ chunkError: Object.assign(new Error('broker down'), { name: 'KafkaJSConnectionError' }) });
    await expect(fetcher(store(DATA), p).ingest(ref)).rejects.toThrow('broker down');
    expect(p.messages.slice(-2)).toEqual(['streamer.abort', 'publisher.finish']);
    expect(p.deadLetters).toHaveLength(0);
  });

  // The dashboard's progress of running objects: the ledger's committed progress, by version.
  it('activity() lists the objects being ingested with their committed progress, none once finished', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const p = ports({ known: undefined });
    const publisher = {
      sendAndReceive: async (topic: string, ...args: unknown[]) => {
        if (topic === 'known' && args[0] === 't s3://b/logs/a.log#v1' && p.messages.includes('streamer.begin')) return progress({ lines: 1, byteOffset: 30 });
        return p.publisher.sendAndReceive(topic, ...args);
      },
    };
    const streamer = {
      sendAndReceive: async (topic: string, ...args: unknown[]) => {
        if (topic === 'chunk') await gate;
        return p.streamer.sendAndReceive(topic, ...args);
      },
    };
    const f = new FileFetcherActor();
    f.init({ topic: 't', streamer: streamerWithPublisher(streamer, publisher) as never, stores: { s3: store(DATA), file: store(DATA) }, fetch: { maxDecompressedBytes: 1 << 20, retryBudgetMs: 1000 }, log });
    expect(await f.activity()).toEqual([]);
    const done = f.ingest(ref);
    await new Promise((r) => setTimeout(r, 20));
    expect(await f.activity()).toEqual([{ id: 't s3://b/logs/a.log#v1', object: 's3://b/logs/a.log', lines: 1, bytes: 30, totalBytes: DATA.length, startedAt: expect.any(String) }]);
    release();
    await done;
    expect(await f.activity()).toEqual([]);
  });

  it('metrics() returns its registry as JSON, with the read retries it counted', async () => {
    const flaky = store(DATA);
    let failures = 1;
    const head = flaky.head.bind(flaky);
    flaky.head = async (r) => {
      if (failures-- > 0) throw Object.assign(new Error('slow down'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } });
      return head(r);
    };
    const f = fetcher(flaky, ports());
    await f.ingest(ref);
    const json = await f.metrics();
    expect(json.find((m) => m.name === 'logpipe_ingest_read_retries_total')?.values).toEqual([{ value: 1, labels: { operation: 'head' } }]);
  });
});

describe('FileFetcherActor: one ingest per version at a time', () => {
  // Issue 14 item 1, defense in depth: the streamer and publisher key their state by version, so two
  // ingests of one version in one process (named with and without its versionId) must not both
  // begin: the second waits for the first and then finds the version done.
  it('runs a second ingest of a version being ingested only after the first, which it then finds done', async () => {
    const ledger = new Map<string, ObjectProgress>();
    const begun = new Set<string>();
    const overlaps: string[] = [];
    const chunks: Buffer[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const publisher = {
      sendAndReceive: async (topic: string, id: string) => {
        if (topic === 'known') return ledger.get(id);
        if (topic === 'begin') {
          if (begun.has(id)) overlaps.push(id);
          begun.add(id);
          return ledger.get(id);
        }
        if (topic === 'finish') begun.delete(id);
        return undefined;
      },
    };
    const streamer = {
      sendAndReceive: async (topic: string, id: string, bytes?: Buffer) => {
        if (topic === 'chunk') {
          await gate;
          chunks.push(bytes!);
        }
        if (topic !== 'end') return undefined;
        const done = progress({ id, status: 'done', byteOffset: DATA.length, lines: 2, records: 2 });
        ledger.set(id, done);
        return done;
      },
    };
    const f = new FileFetcherActor();
    f.init({ topic: 't', streamer: streamerWithPublisher(streamer, publisher) as never, stores: { s3: store(DATA), file: store(DATA) }, fetch: { maxDecompressedBytes: 1 << 20, retryBudgetMs: 1000 }, log });
    const first = f.ingest(ref);
    await new Promise((r) => setTimeout(r, 20));
    const second = f.ingest({ ...ref, versionId: 'v1' });
    await new Promise((r) => setTimeout(r, 20));
    release();
    const outcomes = await Promise.all([first, second]);
    expect(overlaps).toEqual([]);
    expect(outcomes.map((o) => o.status)).toEqual(['ingested', 'duplicate']);
    expect(Buffer.concat(chunks)).toEqual(DATA);
  });
});

describe('FileFetcherActor.resolve', () => {
  // The watcher keys its jobs by the version resolve() finds, and hands it back to ingest().
  it('answers the version a request names; ingest() of that answer reads no metadata again', async () => {
    const s = store(DATA);
    let heads = 0;
    const head = s.head.bind(s);
    s.head = async (r) => {
      heads++;
      return head(r);
    };
    const f = fetcher(s, ports());
    const resolution = await f.resolve(ref);
    expect(resolution).toEqual({ meta: expect.objectContaining({ id: 's3://b/logs/a.log#v1', version: 'v1' }) });
    const out = await f.ingest(ref, (resolution as { meta: ObjectMeta }).meta);
    expect(out).toMatchObject({ id: 't s3://b/logs/a.log#v1', status: 'ingested' });
    expect(heads).toBe(1);
  });

  it('answers the reason when the object cannot be read for good, and rejects when a retry can help', async () => {
    const missing = Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    await expect(fetcher(store(DATA, missing), ports()).resolve(ref)).resolves.toEqual({ reason: 'NoSuchKey: The specified key does not exist.' });
    const slow = Object.assign(new Error('slow down'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } });
    const f = new FileFetcherActor();
    const p = ports();
    f.init({ topic: 't', streamer: streamerWithPublisher(p.streamer, p.publisher) as never, stores: { s3: store(DATA, slow), file: store(DATA) }, fetch: { maxDecompressedBytes: 1 << 20, retryBudgetMs: 0 }, log });
    await expect(f.resolve(ref)).rejects.toThrow('slow down');
  });
});
