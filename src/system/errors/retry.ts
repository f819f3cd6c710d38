/**
 * The one retry loop: exponential backoff with full jitter up to a cap, an optional attempt limit and
 * time budget, a classification of what is worth retrying, an `onRetry` hook for the caller's log line
 * and metrics, and an AbortSignal that ends the wait at once (an actor being destroyed must not sit out
 * a 30 s backoff). Sleep, clock and randomness are injectable for tests.
 *
 * Why not a library: p-retry (9) and cockatiel (4) are ESM-only, which our CommonJS build and ts-jest
 * cannot require; exponential-backoff (3) cannot cut its sleep short on a stop nor take an injected sleep.
 */
import { LogpipeError, reasonOf } from './errors';

/**
 * The wait before retry number `attempt + 1` (attempt 0 follows the first failure): full jitter,
 * a uniform draw in [0, min(capMs, baseMs * 2^attempt)], rounded to a whole ms.
 */
export function backoffMs(attempt: number, baseMs = 200, capMs = 10_000, random: () => number = Math.random): number {
  return Math.round(random() * Math.min(capMs, baseMs * 2 ** attempt));
}

/** One failed attempt that will be retried, as the onRetry hook sees it. */
export interface RetryFailure {
  /** 1 for the first failure. */
  attempt: number;
  /** How long the loop waits before the next attempt. */
  delayMs: number;
  error: unknown;
  /** Since the first attempt started, by the injected clock. */
  elapsedMs: number;
}

export interface RetryOptions {
  /** Upper bound of the first wait; it doubles per failure up to capMs. Default 200. */
  baseMs?: number;
  /** Upper bound of any wait. Default 10 000. */
  capMs?: number;
  /** Attempts in all, the first included. Default: no limit. */
  maxAttempts?: number;
  /** No retry after a failure this many ms after the first attempt started. Default: no limit. */
  budgetMs?: number;
  /** Whether a failure is worth another attempt (e.g. isRetriable). Default: every failure is. */
  retriable?: (error: unknown) => boolean;
  /** Called before each wait (for the caller's log line, metric or clean-up); awaited; what it throws ends the loop. */
  onRetry?: (failure: RetryFailure) => void | Promise<void>;
  /** Aborting ends the loop: no further attempt, and a wait in progress ends at once. */
  signal?: AbortSignal;
  /** Waits ms, or less when `signal` aborts (it must resolve then, not reject). Default: a timer. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Milliseconds for the budget. Default Date.now. */
  now?: () => number;
  /** Uniform in [0, 1) for the jitter. Default Math.random. */
  random?: () => number;
}

/**
 * The loop gave up on a retriable failure (attempt limit or time budget reached); `cause` is the last
 * failure. Not retriable itself: whoever set the limits has decided.
 * Its message, `gave up after N attempts over T ms: <reason>`, becomes the dead-letter reason of an
 * object read that ran out of budget; the dead-letter metrics count it as `retries-exhausted` by that
 * opening (src/system/observability/metrics.ts).
 */
export class RetriesExhaustedError extends LogpipeError {
  constructor(
    readonly attempts: number,
    readonly elapsedMs: number,
    cause: unknown,
  ) {
    super(`gave up after ${attempts} attempts over ${elapsedMs} ms: ${reasonOf(cause)}`, { retriable: false, cause });
    this.name = 'RetriesExhaustedError';
  }
}

/** Waits ms with a timer, ending early (resolving) when signal aborts. */
export function sleepMs(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Runs `fn` until it resolves, and resolves with its value. Rejects with:
 * - the failure itself when `retriable` says no, or when `signal` aborted (after a failure: that failure;
 *   before the first attempt: the signal's reason);
 * - RetriesExhaustedError (cause: the last failure) when maxAttempts or budgetMs is reached;
 * - whatever onRetry threw.
 * `fn` receives the attempt number, 1 for the first.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const { baseMs = 200, capMs = 10_000, maxAttempts = Infinity, budgetMs = Infinity, retriable = () => true, onRetry, signal } = options;
  const sleep = options.sleep ?? sleepMs;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const started = now();
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw signal.reason;
    try {
      return await fn(attempt);
    } catch (error) {
      if (signal?.aborted || !retriable(error)) throw error;
      const elapsedMs = now() - started;
      if (attempt >= maxAttempts || elapsedMs >= budgetMs) throw new RetriesExhaustedError(attempt, elapsedMs, error);
      const delayMs = backoffMs(attempt - 1, baseMs, capMs, random);
      await onRetry?.({ attempt, delayMs, error, elapsedMs });
      await sleep(delayMs, signal);
      if (signal?.aborted) throw error;
    }
  }
}
