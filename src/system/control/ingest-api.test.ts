import http from 'node:http';
import { PassThrough } from 'node:stream';
import { ControlServer } from './control-server';
import { ingestHandler, isJsonContentType, parseIngestBody } from './ingest-api';
import { createLogger } from '../observability/logging';

const logger = createLogger({ level: 'error', format: 'json', stream: new PassThrough() });

describe('parseIngestBody', () => {
  // Each refusal names the field and what was wrong with it, so a caller can fix the request.
  it.each([
    [[], 'body must be a JSON object {"bucket": ..., "key": ..., "versionId"?: ...}'],
    ['text', 'body must be a JSON object {"bucket": ..., "key": ..., "versionId"?: ...}'],
    [null, 'body must be a JSON object {"bucket": ..., "key": ..., "versionId"?: ...}'],
    [{ key: 'k' }, 'missing field "bucket"'],
    [{ bucket: 'logs' }, 'missing field "key"'],
    [{ bucket: 42, key: 'k' }, 'bucket must be a string, got a number'],
    [{ bucket: 'logs', key: ['k'] }, 'key must be a string, got an array'],
    [{ bucket: 'logs', key: null }, 'key must be a string, got null'],
    [{ bucket: 'logs', key: { a: 1 } }, 'key must be a string, got an object'],
    [{ bucket: 'Not_A_Bucket', key: 'k' }, 'bucket name "Not_A_Bucket" is not a valid S3 bucket name'],
    [{ bucket: 'logs', key: '' }, 'key must be a non-empty string'],
    [{ bucket: 'logs', key: 'k', versionId: 7 }, 'versionId must be a non-empty string when given'],
    [{ bucket: 'logs', key: 'k', extra: true }, 'unknown field "extra": expected bucket, key, versionId'],
    [JSON.parse('{"bucket":"logs","key":"k","__proto__":{"x":1}}'), 'unknown field "__proto__": expected bucket, key, versionId'],
    // The keys the trigger Lambda refuses, refused with the same words (src/ingest/object-names.ts).
    [{ bucket: 'logs', key: 'a\0b' }, 'object key contains a NUL byte, which cannot be carried to the host'],
    [{ bucket: 'logs', key: 'a\ud800b' }, 'object key is not well-formed Unicode (lone surrogate)'],
    [{ bucket: 'logs', key: 'k'.repeat(1025) }, 'object key is 1025 bytes long; S3 allows at most 1024'],
    [{ bucket: 'a..b', key: 'k' }, 'bucket name "a..b" is not a valid S3 bucket name'],
  ])('refuses %j: %s', (body, error) => {
    expect(parseIngestBody(body)).toEqual({ error });
  });

  it('accepts bucket, key and an optional versionId', () => {
    expect(parseIngestBody({ bucket: 'logs', key: 'a/b.log' })).toEqual({ kind: 's3', bucket: 'logs', key: 'a/b.log' });
    expect(parseIngestBody({ bucket: 'logs', key: 'a', versionId: 'v1' })).toEqual({ kind: 's3', bucket: 'logs', key: 'a', versionId: 'v1' });
  });
});

describe('isJsonContentType', () => {
  it.each([
    ['application/json', true],
    ['Application/JSON; charset=utf-8', true],
    ['application/json;charset=UTF-8', true],
    [undefined, false],
    ['text/plain;charset=UTF-8', false],
    ['application/x-www-form-urlencoded', false],
    ['application/jsonp', false],
    ['multipart/form-data; boundary=x', false],
  ])('%s → %s', (header, expected) => {
    expect(isJsonContentType(header)).toBe(expected);
  });
});

describe('POST /v1/ingest', () => {
  const requests: unknown[] = [];
  const watcher = {
    sendAndReceive: async (_topic: string, ...args: unknown[]) => {
      requests.push(args[0]);
      return { id: 's3://logs/k', status: 'queued' };
    },
  };
  let server: ControlServer;
  let port = 0;

  beforeAll(async () => {
    server = new ControlServer({ host: '127.0.0.1', port: 0, logger, readiness: [] });
    server.route('POST', '/v1/ingest', ingestHandler(watcher as never, { allowedPrefixes: ['logs/app/', 'archive'] }));
    port = (await server.listen()).port;
  });
  afterAll(() => server.close());
  beforeEach(() => (requests.length = 0));

  /** POSTs `chunks` one by one (chunked, `delayMs` apart) and resolves with the answer. */
  function post(chunks: Buffer[], headers: http.OutgoingHttpHeaders, delayMs = 0): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/v1/ingest', method: 'POST', headers }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      void (async () => {
        for (const c of chunks) {
          if (req.destroyed) return;
          req.write(c);
          if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
        }
        req.end();
      })();
    });
  }

  it('queues a valid request: 202 with the id', async () => {
    const res = await post([Buffer.from('{"bucket":"logs","key":"app/k"}')], { 'content-type': 'application/json' });
    expect(res).toEqual({ status: 202, body: '{"id":"s3://logs/k","status":"queued"}' });
    expect(requests).toEqual([{ ref: { kind: 's3', bucket: 'logs', key: 'app/k' }, via: 'api' }]);
    expect((await post([Buffer.from('{"bucket":"archive","key":"any/thing"}')], { 'content-type': 'application/json' })).status).toBe(202);
  });

  // ingest.allowedPrefixes: whoever reaches the API must not make the service read other buckets
  // (with the host's role) or keys outside the configured prefixes.
  it.each([
    ['another bucket', { bucket: 'secrets', key: 'app/k' }],
    ['the bucket outside the prefix', { bucket: 'logs', key: 'other/k' }],
    ['a prefix look-alike', { bucket: 'logs', key: 'app-old/k' }],
  ])('answers 403 naming ingest.allowedPrefixes for %s, queueing nothing', async (_what, body) => {
    const res = await post([Buffer.from(JSON.stringify(body))], { 'content-type': 'application/json' });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toEqual({ error: `s3://${body.bucket}/${body.key} is outside ingest.allowedPrefixes: this service ingests only from the buckets and prefixes listed there` });
    expect(requests).toEqual([]);
  });

  // A browser sends text/plain or form types cross-origin without asking; application/json it cannot.
  it('answers 415 naming the content type unless it is application/json', async () => {
    const res = await post([Buffer.from('{"bucket":"logs","key":"k"}')], { 'content-type': 'text/plain;charset=UTF-8' });
    expect(res).toEqual({ status: 415, body: '{"error":"content-type must be application/json, got \\"text/plain;charset=UTF-8\\""}' });
    expect((await post([Buffer.from('{}')], {})).status).toBe(415);
    expect(requests).toEqual([]);
  });

  it('answers 400 with the parser message for a body that is not JSON', async () => {
    const res = await post([Buffer.from('{"bucket": "logs", ')], { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toMatch(/^body is not JSON: /);
  });

  // The old reader destroyed the socket on overflow: the client saw a reset, never the 413.
  it.each([
    ['declared with Content-Length', { 'content-length': String(100 * 1024) }, 0],
    ['chunked, without a length', { 'transfer-encoding': 'chunked' }, 0],
    ['chunked and slow', { 'transfer-encoding': 'chunked' }, 20],
  ])('answers 413 with the limit for a body over 64 KiB (%s)', async (_what, headers, delayMs) => {
    const chunks = Array.from({ length: 25 }, () => Buffer.alloc(4096, 'a'));
    const res = await post(chunks, { 'content-type': 'application/json', ...headers }, delayMs);
    expect(res).toEqual({ status: 413, body: '{"error":"body over 65536 bytes; an ingest request is {\\"bucket\\": ..., \\"key\\": ..., \\"versionId\\"?: ...}"}' });
    expect(requests).toEqual([]);
  });
});
