/** Watcher settings for the actor unit tests: no SQS, no listing, small limits; `over` replaces any of them. */
import type { WatcherSettings } from './s3-watcher-actor';

export function watcherTestSettings(over: Partial<WatcherSettings> = {}): WatcherSettings {
  return {
    parallelObjects: 1,
    maxQueuedObjects: 10,
    maxAttempts: 3,
    sqsQueueUrl: '',
    sqsWaitSeconds: 0,
    visibilityTimeoutSeconds: 30,
    listings: [],
    listIntervalMs: 1000,
    ledgerHorizonMs: 0,
    ...over,
  };
}
