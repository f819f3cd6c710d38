/**
 * `POST /v1/ingest` of the control server: `{bucket, key, versionId?}` → 202 `{id, status}` once
 * the request is queued (`queued`, or `merged` with one already waiting), 400 `{error}` naming what
 * is wrong with the body (bucket names and keys by the rules the trigger Lambda applies too,
 * src/ingest/object-names.ts), 403 `{error}` for an object outside ingest.allowedPrefixes when that
 * list is set, 413 for a body over 64 KiB, 415 unless the content type is application/json, 503
 * `{error}` when the ingest queue is full.
 *
 * Requiring application/json also keeps web pages out: a browser sends that type cross-origin only
 * after a CORS preflight, which this server never grants.
 */
import type http from 'node:http';
import type { ActorRef } from 'comedy';
import type { RequestAnswer } from '../../ingest/activity';
import { type AllowedSource, bucketNameProblem, isAllowedSource, objectKeyProblem, parseAllowedSource } from '../../ingest/object-names';
import type { ObjectRef } from '../../ingest/object-ref';
import { sendJson } from './control-server';
import type { Logger } from '../observability/logging';

const MAX_BODY_BYTES = 64 * 1024;
/**
 * After a 413, how much more of the body is read and dropped before the connection is cut: reading
 * on lets the client see the answer (closing with unread data makes TCP reset the connection).
 */
const MAX_DISCARD_BYTES = 1024 * 1024;

/** Validates a request body; returns the object or a reason. */
export function parseIngestBody(body: unknown): ObjectRef | { error: string } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { error: 'body must be a JSON object {"bucket": ..., "key": ..., "versionId"?: ...}' };
  const { bucket, key, versionId, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length) return { error: `unknown field ${JSON.stringify(unknown[0].slice(0, 100))}: expected bucket, key, versionId` };
  if (bucket === undefined) return { error: 'missing field "bucket"' };
  if (typeof bucket !== 'string') return { error: `bucket must be a string, got ${typeName(bucket)}` };
  const bucketProblem = bucketNameProblem(bucket);
  if (bucketProblem) return { error: bucketProblem };
  if (key === undefined) return { error: 'missing field "key"' };
  if (typeof key !== 'string') return { error: `key must be a string, got ${typeName(key)}` };
  if (key.length === 0) return { error: 'key must be a non-empty string' };
  const keyProblem = objectKeyProblem(key);
  if (keyProblem) return { error: keyProblem };
  if (versionId !== undefined && (typeof versionId !== 'string' || versionId === '')) return { error: 'versionId must be a non-empty string when given' };
  return { kind: 's3', bucket, key, ...(versionId ? { versionId } : {}) };
}

const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`);

/** Whether a Content-Type header names JSON: application/json, parameters such as charset allowed. */
export function isJsonContentType(header: string | undefined): boolean {
  return header !== undefined && /^application\/json\s*(;|$)/i.test(header.trim());
}

export interface IngestApiOptions {
  /** ingest.allowedPrefixes: BUCKET or BUCKET/PREFIX entries; empty allows every bucket. */
  allowedPrefixes?: readonly string[];
  /** Where refusals of the allow-list are logged (a warning each). */
  logger?: Logger;
}

/** The handler of POST /v1/ingest; `watcher` receives each accepted request (`request` message). */
export function ingestHandler(watcher: Pick<ActorRef, 'sendAndReceive'>, options: IngestApiOptions = {}) {
  const allowed: AllowedSource[] = (options.allowedPrefixes ?? []).map(parseAllowedSource);
  return async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const type = req.headers['content-type'];
    if (!isJsonContentType(type)) {
      sendJson(res, 415, { error: `content-type must be application/json, got ${type === undefined ? 'none' : JSON.stringify(type.slice(0, 100))}` });
      return;
    }
    const text = await readBody(req);
    if (text === undefined) {
      sendJson(res, 413, { error: `body over ${MAX_BODY_BYTES} bytes; an ingest request is {"bucket": ..., "key": ..., "versionId"?: ...}` });
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      sendJson(res, 400, { error: `body is not JSON: ${(err as Error).message}` });
      return;
    }
    const ref = parseIngestBody(body);
    if ('error' in ref) {
      sendJson(res, 400, ref);
      return;
    }
    if (ref.kind === 's3' && !isAllowedSource(allowed, ref.bucket, ref.key)) {
      options.logger?.warn('ingest request refused', { bucket: ref.bucket, key: ref.key.slice(0, 200), reason: 'outside ingest.allowedPrefixes' });
      sendJson(res, 403, { error: `s3://${ref.bucket}/${ref.key} is outside ingest.allowedPrefixes: this service ingests only from the buckets and prefixes listed there` });
      return;
    }
    const answer = (await watcher.sendAndReceive('request', { ref, via: 'api' })) as RequestAnswer;
    if (answer.status === 'busy') sendJson(res, 503, { error: `not accepted, try again later: ${answer.reason}` });
    else sendJson(res, 202, { id: answer.id, status: answer.status });
  };
}

/**
 * The body as text, or undefined once it is over MAX_BODY_BYTES (declared or streamed): the rest is
 * then read and dropped, up to MAX_DISCARD_BYTES, after which the connection is cut. Rejects if the
 * client aborts.
 */
function readBody(req: http.IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = Number(req.headers['content-length']) > MAX_BODY_BYTES;
    if (over) resolve(undefined);
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (over) {
        if (size > MAX_BODY_BYTES + MAX_DISCARD_BYTES) req.socket.destroy();
        return;
      }
      if (size > MAX_BODY_BYTES) {
        over = true;
        chunks.length = 0;
        resolve(undefined);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
