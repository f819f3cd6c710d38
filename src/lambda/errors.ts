/**
 * Whether a failed AWS call is worth retrying. The Lambda throws on retriable failures, so that
 * Lambda retries the whole event (duplicates are harmless: ingestion dedupes per object version),
 * and reports permanent ones without throwing, so that a bad record or a misconfiguration does not
 * turn into a retry storm.
 */

/** Error names AWS uses for throttling and transient server trouble. */
const RETRIABLE_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalServerError',
  'InternalError',
  'InternalServerException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);

/** Node's codes for network failures on the way to the endpoint. */
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ENETUNREACH', 'EHOSTUNREACH']);

/**
 * True when retrying the same call later can succeed: throttling, HTTP 429 and 5xx, errors the
 * SDK marks `$retryable`, timeouts and network failures. Everything else (validation errors,
 * access denied, unknown instances, bugs) is permanent.
 */
export function isRetriable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, code, $retryable, $metadata } = error as {
    name?: unknown;
    code?: unknown;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: unknown };
  };
  if ($retryable) return true;
  const status = $metadata?.httpStatusCode;
  if (typeof status === 'number' && (status === 429 || status >= 500)) return true;
  if (typeof name === 'string' && RETRIABLE_NAMES.has(name)) return true;
  return typeof code === 'string' && NETWORK_CODES.has(code);
}

/** A short, loggable description of an error: its name and message, nothing else. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
