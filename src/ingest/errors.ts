/**
 * Whether a retry can help. Ingest retries transient failures with backoff and dead-letters
 * permanent ones with the reason; the Lambda throws on transient SendCommand failures (Lambda
 * retries the event) and reports permanent ones. This module is the one place that decides.
 */

/** A failure no retry can fix: the object goes to the dead-letter topic with `reason`. */
export class PermanentError extends Error {
  constructor(readonly reason: string, options?: { cause?: unknown }) {
    super(reason, options);
    this.name = 'PermanentError';
  }
}

const TRANSIENT_NAMES = new Set([
  // AWS throttling and transient server trouble (throttling may come with HTTP 400).
  'SlowDown', 'ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded', 'RequestTimeout',
  'RequestTimeoutException', 'InternalError', 'InternalServerError', 'InternalServerException', 'ServiceUnavailable',
  'ServiceUnavailableException', 'TimeoutError', 'NetworkingError',
  // kafkajs, when a broker is unreachable or slow.
  'KafkaJSConnectionError', 'KafkaJSRequestTimeoutError', 'KafkaJSNumberOfRetriesExceeded', 'KafkaJSBrokerNotFound', 'KafkaJSLockTimeout',
]);
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'UND_ERR_SOCKET']);
const PERMANENT_NAMES = new Set(['NoSuchKey', 'NoSuchBucket', 'NotFound', 'AccessDenied', 'InvalidObjectState', 'InvalidRange', 'NoSuchVersion', 'Forbidden']);

/** True when retrying the same request later may succeed. */
export function isTransient(err: unknown): boolean {
  if (err instanceof PermanentError) return false;
  const e = err as { name?: string; code?: string; retriable?: boolean; $retryable?: unknown; $metadata?: { httpStatusCode?: number }; cause?: unknown; message?: string };
  if (!e || typeof e !== 'object') return false;
  if (e.name && PERMANENT_NAMES.has(e.name)) return false;
  if (e.$retryable || e.retriable === true) return true;
  if ((e.name && TRANSIENT_NAMES.has(e.name)) || (e.code && TRANSIENT_CODES.has(e.code))) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500 || status === 429 || status === 408;
  if (e.message && /socket hang up|ECONNRESET|ECONNREFUSED|premature close|aborted/i.test(e.message)) return true;
  return e.cause !== undefined && e.cause !== err ? isTransient(e.cause) : false;
}

/** A permanent failure's reason for the dead-letter record, e.g. "NoSuchKey: The specified key does not exist." */
export function reasonOf(err: unknown): string {
  if (err instanceof PermanentError) return err.reason;
  const e = err as { name?: string; message?: string; code?: string };
  const name = e?.name && e.name !== 'Error' ? e.name : e?.code;
  return `${name ? `${name}: ` : ''}${e?.message ?? String(err)}`;
}

/** Exponential backoff with full jitter: attempt 0 waits up to baseMs, doubling to capMs. */
export function backoffMs(attempt: number, baseMs = 200, capMs = 10_000, random: () => number = Math.random): number {
  return Math.round(random() * Math.min(capMs, baseMs * 2 ** attempt));
}
