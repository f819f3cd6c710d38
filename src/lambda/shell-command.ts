/**
 * The command line the Lambda asks SSM to run on the host: `'<script>' -- '<bucket>' '<key>'`.
 *
 * AWS-RunShellScript writes its `commands` into a script that `sh` runs, so the line is parsed by
 * a POSIX shell. Each argument is wrapped in single quotes, inside which a POSIX shell gives no
 * character a meaning except `'` itself; a `'` is written as `'\''` (close the quote, an escaped
 * quote, reopen). The shell therefore sees each argument as exactly one literal word, whatever it
 * contains: `"`, `;`, `$(...)`, backticks, globs, spaces, newlines, unicode.
 *
 * Two more rules make the line arrive unchanged:
 * - `--` goes before the bucket and key, so a key starting with `-` can never be read as an option
 *   by trigger.sh (which accepts and drops a leading `--`).
 * - Systems Manager replaces `{{ssm:name}}` references in command parameters with Parameter Store
 *   values before the host sees them. A `{{` inside a quoted word is therefore split as `{''{`:
 *   the shell joins the pieces into the same word, and the line never contains `{{`.
 */

/** S3's limit on an object key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/** Bucket names as S3 allows them today: 3–63 of a-z, 0-9, `.`, `-`, starting and ending alphanumeric. */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** An argument that cannot be carried to the host safely; permanent, retrying cannot help. */
export class UnsafeArgumentError extends Error {
  override readonly name = 'UnsafeArgumentError';
}

/**
 * Quotes one word for a POSIX shell: the shell reads the result back as exactly `value`.
 * Throws UnsafeArgumentError for a NUL byte, which no shell argument can hold.
 */
export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new UnsafeArgumentError('contains a NUL byte, which a shell argument cannot hold');
  return `'${value.replace(/'/g, `'\\''`)}'`.replace(/\{(?=\{)/g, `{''`);
}

/** Throws UnsafeArgumentError unless `bucket` is a valid S3 bucket name (current naming rules). */
export function assertBucketName(bucket: string): void {
  if (!BUCKET_NAME.test(bucket) || bucket.includes('..')) {
    throw new UnsafeArgumentError(`bucket name ${JSON.stringify(bucket)} is not a valid S3 bucket name`);
  }
}

/**
 * Throws UnsafeArgumentError unless `key` can be an S3 object key and survive the trip: non-empty,
 * at most 1024 UTF-8 bytes, no NUL byte, and well-formed Unicode (a lone surrogate has no UTF-8
 * form and would reach the host as U+FFFD, i.e. as another key).
 */
export function assertObjectKey(key: string): void {
  if (key === '') throw new UnsafeArgumentError('object key is empty');
  if (key.includes('\0')) throw new UnsafeArgumentError('object key contains a NUL byte, which a shell argument cannot hold');
  if (/\p{Cs}/u.test(key)) throw new UnsafeArgumentError('object key is not well-formed Unicode (lone surrogate)');
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > MAX_KEY_BYTES) throw new UnsafeArgumentError(`object key is ${bytes} bytes long; S3 allows at most ${MAX_KEY_BYTES}`);
}

/**
 * Builds the line `'<scriptPath>' -- '<bucket>' '<key>'` for AWS-RunShellScript. The script path
 * comes from validated configuration; bucket and key come from the event and are checked here.
 * Throws UnsafeArgumentError (permanent) when bucket or key cannot be carried safely.
 */
export function buildTriggerCommand(scriptPath: string, bucket: string, key: string): string {
  assertBucketName(bucket);
  assertObjectKey(key);
  return [shellQuote(scriptPath), '--', shellQuote(bucket), shellQuote(key)].join(' ');
}
