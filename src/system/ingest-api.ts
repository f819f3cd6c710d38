/**
 * `POST /v1/ingest` of the control server: `{bucket, key, versionId?}` → 202 `{id, status}` once
 * the request is queued (`queued`, or `merged` with one already waiting), 400 `{error}` naming what
 * is wrong with the body, 503 `{error}` when the ingest queue is full.
 */
import type http from 'node:http';
import type { ActorRef } from 'comedy';
import type { RequestAnswer } from '../actors/s3-watcher-actor';
import type { ObjectRef } from '../ingest/object-ref';
import { sendJson } from './control-server';

const MAX_BODY_BYTES = 64 * 1024;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Validates a request body; returns the object or a reason. */
export function parseIngestBody(body: unknown): ObjectRef | { error: string } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { error: 'body must be a JSON object {"bucket": ..., "key": ..., "versionId"?: ...}' };
  const { bucket, key, versionId, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length) return { error: `unknown field ${JSON.stringify(unknown[0])}: expected bucket, key, versionId` };
  if (typeof bucket !== 'string' || !BUCKET.test(bucket)) return { error: `bucket ${JSON.stringify(bucket)} is not an S3 bucket name` };
  if (typeof key !== 'string' || key.length === 0) return { error: 'key must be a non-empty string' };
  if (Buffer.byteLength(key) > 1024) return { error: `key is ${Buffer.byteLength(key)} bytes; S3 keys have at most 1024` };
  if (versionId !== undefined && (typeof versionId !== 'string' || versionId === '')) return { error: 'versionId must be a non-empty string when given' };
  return { kind: 's3', bucket, key, ...(versionId ? { versionId } : {}) };
}

export function ingestHandler(watcher: Pick<ActorRef, 'sendAndReceive'>) {
  return async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    let text: string;
    try {
      text = await readBody(req);
    } catch (err) {
      sendJson(res, 413, { error: (err as Error).message });
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
    const answer = (await watcher.sendAndReceive('request', { ref, via: 'api' })) as RequestAnswer;
    if (answer.status === 'busy') sendJson(res, 503, { error: `not accepted, try again later: ${answer.reason}` });
    else sendJson(res, 202, { id: answer.id, status: answer.status });
  };
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`body over ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
