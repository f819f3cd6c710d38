/**
 * Which bucket names and object keys logpipe accepts, wherever a request comes from: the trigger
 * Lambda (src/lambda/) refuses a record with them before anything is sent to a host, and the control
 * API's POST /v1/ingest (src/system/control/ingest-api.ts) refuses a request with them, with the same words.
 * Pure: no I/O.
 */

/** S3's limit on an object key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/** Bucket names as S3 allows them today: 3–63 of a-z, 0-9, `.`, `-`, starting and ending alphanumeric. */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Why `bucket` is not a valid S3 bucket name (current naming rules), or undefined when it is. */
export function bucketNameProblem(bucket: string): string | undefined {
  if (!BUCKET_NAME.test(bucket) || bucket.includes('..')) return `bucket name ${JSON.stringify(bucket.slice(0, 100))} is not a valid S3 bucket name`;
  return undefined;
}

/**
 * Why `key` cannot be an object key logpipe ingests, or undefined when it can: it must be non-empty,
 * at most 1024 UTF-8 bytes, hold no NUL byte (no shell argument, environment variable or C string on
 * the host can carry one) and be well-formed Unicode (a lone surrogate has no UTF-8 form and would
 * arrive as U+FFFD, that is as another key).
 */
export function objectKeyProblem(key: string): string | undefined {
  if (key === '') return 'object key is empty';
  if (key.includes('\0')) return 'object key contains a NUL byte, which cannot be carried to the host';
  if (/\p{Cs}/u.test(key)) return 'object key is not well-formed Unicode (lone surrogate)';
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > MAX_KEY_BYTES) return `object key is ${bytes} bytes long; S3 allows at most ${MAX_KEY_BYTES}`;
  return undefined;
}

/** One entry of an allow-list: a bucket, and a key prefix ("" for the whole bucket). */
export interface AllowedSource {
  bucket: string;
  prefix: string;
}

/** `BUCKET` or `BUCKET/PREFIX` (as in ingest.listings and ingest.allowedPrefixes) as an AllowedSource. */
export function parseAllowedSource(entry: string): AllowedSource {
  const slash = entry.indexOf('/');
  return slash < 0 ? { bucket: entry, prefix: '' } : { bucket: entry.slice(0, slash), prefix: entry.slice(slash + 1) };
}

/**
 * Whether s3://bucket/key is under one of `allowed`. An empty list allows everything (no
 * allow-list configured). Prefixes compare as plain strings: `logs/` does not match `logs-old/x`,
 * `logs` does.
 */
export function isAllowedSource(allowed: readonly AllowedSource[], bucket: string, key: string): boolean {
  return allowed.length === 0 || allowed.some((a) => a.bucket === bucket && key.startsWith(a.prefix));
}
