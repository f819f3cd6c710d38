/**
 * librdkafka's errors as logpipe's: a LogpipeError whose `retriable` says whether trying again (with
 * a new client where the old one is dead) can help, so isRetriable (src/system/errors) needs no
 * knowledge of the binding. The binding's own error object stays the cause.
 */
import { LogpipeError } from '../../errors/errors';
import type { LibrdkafkaErrorLike } from './api';

/**
 * librdkafka's codes of passing trouble that its own flags may leave unmarked: a broker down or
 * unreachable, a request or operation timed out, a full local queue. (A transaction that must be
 * aborted, isTxnRequiresAbort, is retriable too: abort and try again.) Names as in the binding's CODES.ERRORS.
 */
export const TRANSIENT_CODES: Record<string, number> = {
  ERR__TRANSPORT: -195, // a broker connection failed
  ERR__ALL_BROKERS_DOWN: -187,
  ERR__RESOLVE: -193, // a broker name did not resolve (DNS)
  ERR__TIMED_OUT: -185,
  ERR__TIMED_OUT_QUEUE: -166,
  ERR__MSG_TIMED_OUT: -192,
  ERR__QUEUE_FULL: -184,
  ERR__RETRY: -153,
  ERR__PREV_IN_PROGRESS: -177,
};

/**
 * Permanent whatever the flags say: the producer was fenced by a newer one with its transactional id
 * (it must stop writing; the newer owner continues), authentication or authorization failed, a
 * record is too large, or the client is in a fatal state.
 */
export const PERMANENT_CODES: Record<string, number> = {
  ERR__FENCED: -144,
  ERR_PRODUCER_FENCED: 90,
  ERR_INVALID_PRODUCER_EPOCH: 47,
  ERR__AUTHENTICATION: -169,
  ERR_TOPIC_AUTHORIZATION_FAILED: 29,
  ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 53,
  ERR_MSG_SIZE_TOO_LARGE: 10,
  ERR__FATAL: -150,
};
const TRANSIENT = new Set(Object.values(TRANSIENT_CODES));
const PERMANENT = new Set(Object.values(PERMANENT_CODES));

/** True for librdkafka's error objects (the binding's LibrdKafkaError and the `err` of its callbacks). */
export function isLibrdkafkaError(err: unknown): err is LibrdkafkaErrorLike {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'number' && ('isFatal' in err || 'isRetriable' in err || 'origin' in err);
}

/**
 * A LogpipeError for a librdkafka failure of `action` ("commit the transaction"): retriable unless
 * fatal, fenced, refused for authentication or authorization, or too large. A non-librdkafka error
 * is returned as it is.
 */
export function fromLibrdkafka(err: unknown, action: string): unknown {
  if (!isLibrdkafkaError(err)) return err;
  const permanent = err.isFatal === true || PERMANENT.has(err.code);
  const retriable = !permanent && (err.isRetriable === true || err.isTxnRequiresAbort === true || TRANSIENT.has(err.code));
  return new LogpipeError(`librdkafka: cannot ${action}: ${err.message} (code ${err.code}${err.isFatal ? ', fatal' : ''})`, { retriable, cause: err });
}
