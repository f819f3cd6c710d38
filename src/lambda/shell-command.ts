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

import { bucketNameProblem, MAX_KEY_BYTES, objectKeyProblem } from '../ingest/object-names';

export { MAX_KEY_BYTES };

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

/** Throws UnsafeArgumentError unless `bucket` is a valid S3 bucket name (src/ingest/object-names.ts). */
export function assertBucketName(bucket: string): void {
  const problem = bucketNameProblem(bucket);
  if (problem) throw new UnsafeArgumentError(problem);
}

/**
 * Throws UnsafeArgumentError unless `key` can be ingested (src/ingest/object-names.ts, the rule the
 * control API applies too): non-empty, at most 1024 UTF-8 bytes, no NUL byte, well-formed Unicode.
 */
export function assertObjectKey(key: string): void {
  const problem = objectKeyProblem(key);
  if (problem) throw new UnsafeArgumentError(problem);
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
