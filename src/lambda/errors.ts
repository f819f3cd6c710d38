/**
 * Whether a failed AWS call is worth retrying. The Lambda throws on retriable failures, so that
 * Lambda retries the whole event (duplicates are harmless: ingestion dedupes per object version),
 * and reports permanent ones without throwing, so that a bad record or a misconfiguration does not
 * turn into a retry storm. The classification is the project's one (src/system/errors/errors.ts).
 */
export { isRetriable } from '../system/errors/errors';

/** A short, loggable description of an error: its name and message, nothing else. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
