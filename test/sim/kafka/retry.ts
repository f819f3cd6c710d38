/**
 * kafkajs's retry behaviour, as its clients apply it to broker requests: errors whose `retriable`
 * is not false are retried with randomised exponential backoff (initial 300 ms, factor 0.2,
 * multiplier 2, 5 retries); when retries run out, KafkaJSNumberOfRetriesExceeded carries the last
 * error; a non-retriable error passes through. Sleeps are the process's (virtual time).
 */
import { KafkaJSNumberOfRetriesExceeded } from 'kafkajs';

export interface RetryOptions {
  retries?: number;
  initialRetryTime?: number;
  maxRetryTime?: number;
  factor?: number;
  multiplier?: number;
}

export const RETRY_DEFAULTS = { retries: 5, initialRetryTime: 300, maxRetryTime: 30_000, factor: 0.2, multiplier: 2 };

const UNRECOVERABLE = ['RangeError', 'ReferenceError', 'SyntaxError', 'TypeError'];

/** kafkajs's test for "retry this": anything not marked retriable=false, except programming errors. */
export function isRetriable(err: unknown): boolean {
  const e = err as { retriable?: boolean; name?: string };
  return e?.retriable !== false && !UNRECOVERABLE.includes(e?.name ?? '');
}

export function randomFromRetryTime(factor: number, retryTime: number): number {
  const delta = factor * retryTime;
  return Math.ceil(Math.random() * 2 * delta + (retryTime - delta));
}

/**
 * Runs `fn` until it resolves, retrying as kafkajs does. `bail(err)` inside fn stops at once with
 * that error. `shouldRetry` narrows what is retried (default: isRetriable).
 */
export async function withRetry<T>(
  sleep: (ms: number) => Promise<void>,
  fn: (bail: (err: unknown) => never, retryCount: number) => Promise<T>,
  options: RetryOptions = {},
  shouldRetry: (err: unknown) => boolean = isRetriable,
): Promise<T> {
  const o = { ...RETRY_DEFAULTS, ...options };
  let retryTime = randomFromRetryTime(o.factor, o.initialRetryTime);
  class Bail {
    constructor(readonly err: unknown) {}
  }
  const bail = (err: unknown): never => {
    throw new Bail(err);
  };
  for (let retryCount = 0; ; retryCount++) {
    try {
      return await fn(bail, retryCount);
    } catch (err) {
      if (err instanceof Bail) throw err.err;
      if (!shouldRetry(err)) throw err;
      if (retryCount >= o.retries) throw new KafkaJSNumberOfRetriesExceeded(err as Error, { retryCount, retryTime });
      await sleep(retryTime);
      retryTime = Math.min(randomFromRetryTime(o.factor, retryTime) * o.multiplier, o.maxRetryTime);
    }
  }
}
