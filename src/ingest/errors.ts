/**
 * The names ingest has used for the project's error classification and backoff, kept while
 * src/actors/s3-watcher-actor.ts (being rewritten elsewhere) and the simulation's test/sim/report/node.ts
 * and test/sim/s3/store.ts still import them: new code imports src/system/errors/errors.ts (LogpipeError, isRetriable) and src/system/errors/retry.ts (retry).
 */
export { PermanentError, reasonOf, isRetriable as isTransient } from '../system/errors/errors';
export { backoffMs } from '../system/errors/retry';
