/**
 * Errors that say whether a retry can help, and the one place that decides it for foreign errors.
 *
 * Our own failures are `LogpipeError`s carrying `retriable` (kafkajs's pattern: KafkaJSError.retriable).
 * Errors from the clients we use are classified by `isRetriable` with each client's own signals:
 * - the AWS SDK: its own retry classification (@smithy/core/retry: throttling, transient, server
 *   errors, `$retryable`), else the HTTP status (408 also retriable; any other 4xx not);
 * - kafkajs: the error's `retriable` flag;
 * - nodemailer: the SMTP reply code (4xx retriable, 5xx not), else whether the connection failed;
 * - TLS: a certificate that cannot be verified is never retriable, whoever reports it;
 * - Node: the network error codes of a connection refused, reset, timed out or not resolved; for a
 *   file writer, isRetriableFileError: a full disk or too many open files.
 * Callers act on the answer: ingest retries retriable failures with backoff and dead-letters the
 * rest with `reasonOf`; the Lambda throws on retriable SendCommand failures (Lambda retries the
 * event) and reports the rest; the email outbox keeps a retriable email and drops the rest.
 */
import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';
import { KafkaJSLockTimeout, KafkaJSNumberOfRetriesExceeded } from 'kafkajs';

/** A failure of ours that says whether retrying the same operation later may succeed. */
export class LogpipeError extends Error {
  readonly retriable: boolean;

  constructor(message: string, options: { retriable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LogpipeError';
    this.retriable = options.retriable;
  }
}

/** A failure no retry can fix: the object goes to the dead-letter topic with `reason`. */
export class PermanentError extends LogpipeError {
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, { retriable: false, cause: options?.cause });
    // Set by hand, not from the class: the Lambda's bundle is minified, which renames classes.
    this.name = 'PermanentError';
  }
}

/**
 * Node's codes for a connection refused, reset, aborted or timed out and for a name not resolved
 * (undici's UND_ERR_SOCKET for a socket closed under a request), and nodemailer's codes for a failed
 * or broken connection, a DNS failure or a proxy failure. Every one may be cured by trying again.
 */
const NETWORK_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET',
  'ECONNECTION', 'ESOCKET', 'EDNS', 'EPROXY',
]);

/**
 * Node's TLS verification error codes (tls.TLSSocket#authorizationError, checkServerIdentity): the
 * peer's certificate cannot be trusted, and the same certificate fails again on every attempt.
 */
const CERTIFICATE_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** True when `err` or one of its causes is a TLS certificate verification failure. */
export function isCertificateFailure(err: unknown): boolean {
  return causeChain(err).some((e) => e.code !== undefined && CERTIFICATE_CODES.has(e.code));
}

/** A stream or socket that broke mid-request without a code (e.g. "socket hang up", "premature close"). */
const BROKEN_CONNECTION_MESSAGE = /socket hang up|ECONNRESET|ECONNREFUSED|premature close|aborted/i;

/** The fields of the foreign errors isRetriable reads. */
interface ForeignError {
  name?: string;
  message?: string;
  code?: string;
  /** kafkajs */
  retriable?: boolean;
  /** nodemailer: the SMTP reply code, and the Node code under its own. */
  responseCode?: number;
  originalCode?: string;
  /** AWS SDK service exceptions */
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  cause?: unknown;
}

/** True when retrying the same request later may succeed; false for anything not known to be so (a bug is not retried). */
export function isRetriable(err: unknown): boolean {
  return retriableAt(err, 0);
}

function retriableAt(err: unknown, depth: number): boolean {
  if (err instanceof LogpipeError) return err.retriable;
  if (!err || typeof err !== 'object') return false;
  const e = err as ForeignError;
  // Before kafkajs's flag: its connection error says retriable even when the certificate was refused.
  if (e.code && CERTIFICATE_CODES.has(e.code)) return false;
  // An SMTP reply decides by itself: 421 "service not available" is worth a retry, 550 never is.
  if (typeof e.responseCode === 'number') return e.responseCode >= 400 && e.responseCode < 500;
  // kafkajs gives up with these after its own retries of a retriable failure, or when a lock stays
  // held by a slow request; our callers' longer backoff may outlast the outage.
  if (err instanceof KafkaJSNumberOfRetriesExceeded) return e.cause === undefined || retriableAt(e.cause, depth + 1);
  if (err instanceof KafkaJSLockTimeout) return true;
  if (e.retriable === true) return true;
  // The SDK's classification of this error alone (depth past its limit: it does not walk the cause
  // chain, which is walked below, where our own PermanentError in the chain still counts).
  const sdk = err as Parameters<typeof isTransientError>[0];
  if (isThrottlingError(sdk) || isTransientError(sdk, Number.MAX_SAFE_INTEGER) || isServerError(sdk) || e.$fault === 'server') return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined) return status === 408;
  if ((e.code && NETWORK_CODES.has(e.code)) || (e.originalCode && NETWORK_CODES.has(e.originalCode))) return true;
  if (e.message && BROKEN_CONNECTION_MESSAGE.test(e.message)) return true;
  return e.cause !== undefined && e.cause !== err && depth < 10 ? retriableAt(e.cause, depth + 1) : false;
}

/**
 * File-system failures of a writer that go away on their own: a full disk or quota, too many open
 * files, a busy file, an interrupted call. Apart from isRetriable because only a writer meets them as
 * passing trouble (the email outbox); an unwritable path (EACCES, EROFS, ENOTDIR, …) stays unwritable.
 */
const FILE_SYSTEM_PASSING_CODES = new Set(['ENOSPC', 'EDQUOT', 'EMFILE', 'ENFILE', 'EBUSY', 'EAGAIN', 'EINTR']);

/** True when writing a file again later may succeed (see FILE_SYSTEM_PASSING_CODES); LogpipeErrors say for themselves. */
export function isRetriableFileError(err: unknown): boolean {
  if (err instanceof LogpipeError) return err.retriable;
  return FILE_SYSTEM_PASSING_CODES.has((err as { code?: string } | null)?.code ?? '');
}

/** A permanent failure's reason for the dead-letter record, e.g. "NoSuchKey: The specified key does not exist." */
export function reasonOf(err: unknown): string {
  if (err instanceof PermanentError) return err.reason;
  const e = err as { name?: string; message?: string; code?: string };
  const name = e?.name && e.name !== 'Error' ? e.name : e?.code;
  return `${name ? `${name}: ` : ''}${e?.message ?? String(err)}`;
}

/** The error and its causes, outermost first (wrappers such as kafkajs's retrier keep the original as `cause`). */
export function causeChain(err: unknown): Array<Error & { code?: string }> {
  const out: Array<Error & { code?: string }> = [];
  let e: unknown = err;
  while (e instanceof Error && !out.includes(e) && out.length < 10) {
    out.push(e);
    e = (e as { cause?: unknown }).cause;
  }
  return out;
}
