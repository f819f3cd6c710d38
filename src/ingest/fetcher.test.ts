import { HeadBucketCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { PermanentError } from '../system/errors/errors';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FILE_READ_BYTES, FileStore, S3Store } from './fetcher';

/** The SDK's error for an answer without a body (HEAD): name from the status, message "UnknownError". */
const bodiless = (status: number, name: string): Error => Object.assign(new Error('UnknownError'), { name, $metadata: { httpStatusCode: status } });

/** An S3 client answering HeadObject and HeadBucket with the given outcomes. */
function s3(answers: { object: Error | Record<string, unknown>; bucket?: Error }): S3Client {
  return {
    send: async (command: unknown) => {
      if (command instanceof HeadObjectCommand) {
        if (answers.object instanceof Error) throw answers.object;
        return answers.object;
      }
      if (command instanceof HeadBucketCommand) {
        if (answers.bucket) throw answers.bucket;
        return {};
      }
      throw new Error('unexpected command');
    },
  } as unknown as S3Client;
}

async function reasonOfHead(client: S3Client, versionId?: string): Promise<string> {
  const err = await new S3Store(client).head({ kind: 's3', bucket: 'logs', key: 'a/b.log', versionId }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PermanentError);
  return (err as PermanentError).reason;
}

describe('S3Store.head', () => {
  // HEAD answers carry no error body: the dead-letter reason was "NotFound: UnknownError", which said
  // neither what was missing nor what to do.
  it('tells a missing bucket from a missing key', async () => {
    expect(await reasonOfHead(s3({ object: bodiless(404, 'NotFound'), bucket: bodiless(404, 'NotFound') }))).toBe(
      'NoSuchBucket: bucket "logs" does not exist; check the bucket name of s3://logs/a/b.log',
    );
    expect(await reasonOfHead(s3({ object: bodiless(404, 'NotFound') }))).toBe('NoSuchKey: s3://logs/a/b.log does not exist; check the key');
    expect(await reasonOfHead(s3({ object: bodiless(404, 'NotFound') }), 'v1')).toBe('NoSuchVersion: s3://logs/a/b.log (version v1) does not exist; check the key and the version id');
  });

  it('reports a missing key when the bucket cannot be asked about (403 without s3:ListBucket)', async () => {
    expect(await reasonOfHead(s3({ object: bodiless(404, 'NotFound'), bucket: bodiless(403, 'Forbidden') }))).toMatch(/^NoSuchKey: /);
  });

  it('names the permissions a 403 lacks', async () => {
    expect(await reasonOfHead(s3({ object: bodiless(403, 'Forbidden') }))).toBe(
      'AccessDenied: S3 refused to read s3://logs/a/b.log; the credentials need s3:GetObject on it (and s3:ListBucket, without which a missing key also answers 403)',
    );
  });

  it('passes other failures through for the caller to retry', async () => {
    const throttled = bodiless(503, 'SlowDown');
    await expect(new S3Store(s3({ object: throttled })).head({ kind: 's3', bucket: 'logs', key: 'k' })).rejects.toBe(throttled);
  });

  it('returns the metadata of an object that exists', async () => {
    const meta = await new S3Store(s3({ object: { ETag: '"abc"', ContentLength: 12, LastModified: new Date(0) } })).head({ kind: 's3', bucket: 'logs', key: 'k.gz' });
    expect(meta).toMatchObject({ id: 's3://logs/k.gz#abc', etag: 'abc', size: 12, version: 'abc', gzipHint: true });
  });

  // Issue 14 item 1: one id per version however it is named. The version S3 calls "null" (written
  // while the bucket was not versioned) was `#null` when a request named it and `#<ETag>` when not.
  it('knows the "null" version by its ETag whether or not the request names it, and reads it by its id', async () => {
    const answer = { VersionId: 'null', ETag: '"e1"', ContentLength: 3, LastModified: new Date(0) };
    const named = await new S3Store(s3({ object: answer })).head({ kind: 's3', bucket: 'logs', key: 'k', versionId: 'null' });
    const plain = await new S3Store(s3({ object: answer })).head({ kind: 's3', bucket: 'logs', key: 'k' });
    expect(named).toMatchObject({ id: 's3://logs/k#e1', version: 'e1', versionId: 'null', etag: 'e1' });
    expect(plain).toMatchObject({ id: 's3://logs/k#e1', version: 'e1', etag: 'e1' });
    expect(plain.versionId).toBeUndefined();
  });

  it('knows a versioned object by its version id whether or not the request names it', async () => {
    const answer = { VersionId: 'v7', ETag: '"e1"', ContentLength: 3, LastModified: new Date(0) };
    const named = await new S3Store(s3({ object: answer })).head({ kind: 's3', bucket: 'logs', key: 'k', versionId: 'v7' });
    const plain = await new S3Store(s3({ object: answer })).head({ kind: 's3', bucket: 'logs', key: 'k' });
    expect(named).toMatchObject({ id: 's3://logs/k#v7', version: 'v7', versionId: 'v7' });
    expect(plain).toMatchObject({ id: 's3://logs/k#v7', version: 'v7', versionId: 'v7' });
  });
});

describe('FileStore.head', () => {
  // A file's mtime has sub-millisecond digits; it is the event time of lines before the first timed
  // one, and kafkajs refuses a record timestamp that is not an integer ("Cannot convert
  // 1796507728080.3987 to a BigInt"): such a file was dead-lettered after every attempt failed.
  it('gives whole milliseconds as the last-modified time, as in the version', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-filestore-'));
    try {
      const file = path.join(dir, 'a.log');
      fs.writeFileSync(file, 'not a timed line\n');
      fs.utimesSync(file, 1_796_507_728.0803987, 1_796_507_728.0803987);
      const meta = await new FileStore().head({ kind: 'file', path: file });
      expect(meta.lastModifiedMs).toBe(1_796_507_728_080);
      expect(meta.version).toBe(`1796507728080-${'not a timed line\n'.length}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('FileStore.read', () => {
  // A record value is a view into the chunk it was read in and keeps the whole chunk alive until a
  // full collection: reads of S3's size, not 1 MiB (docs/benchmarks.md, "Ingest memory").
  it('reads a file in chunks of at most FILE_READ_BYTES (64 KiB), the requested range whole', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-read-'));
    const file = path.join(dir, 'a.log');
    const body = Buffer.alloc(300_000, 'x');
    fs.writeFileSync(file, body);
    const store = new FileStore();
    const ref = { kind: 'file' as const, path: file };
    const meta = await store.head(ref);
    const chunks: Buffer[] = [];
    for await (const c of await store.read(ref, meta, 1000)) chunks.push(c as Buffer);
    expect(FILE_READ_BYTES).toBe(64 << 10);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(64 << 10);
    expect(Buffer.concat(chunks).equals(body.subarray(1000))).toBe(true);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
