/**
 * The SSM Command document the trigger Lambda sends, and the only one its role may send
 * (infra/cloudformation.yaml, TriggerDocument): it runs trigger.sh, and nothing else, with three
 * parameters that SSM checks against `allowedPattern` before anything reaches a host:
 *
 * - `bucket`: an S3 bucket name;
 * - `key`: the object key percent-encoded (UTF-8, every byte but `A-Z a-z 0-9 . _ ~ / -`), so the
 *   parameter holds no character a shell, SSM (`{{ssm:...}}` references) or the agent gives a
 *   meaning, whatever the key holds; trigger.sh decodes it (`--key-encoding percent`);
 * - `version`: the S3 version id, or empty.
 *
 * The agent pastes parameter values into the script's text; the patterns are what make that safe,
 * so the document's runCommand quotes each value and the patterns keep `'` out. The Lambda's role
 * can no longer run arbitrary shell (AWS-RunShellScript), only this.
 *
 * infra/cloudformation.yaml holds the same document (its Content); a unit test compares the two.
 */
import { bucketNameProblem, MAX_KEY_BYTES, objectKeyProblem } from '../ingest/object-names';

/** Thrown for a bucket, key or version that cannot be sent; permanent, retrying cannot help. */
export class UnsafeArgumentError extends Error {
  override readonly name = 'UnsafeArgumentError';
}

/** The `allowedPattern` of each parameter, exactly as in the template. */
export const TRIGGER_PARAMETER_PATTERNS = {
  bucket: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$',
  // 1024 bytes of key, each byte at most 3 characters once encoded.
  key: `^[A-Za-z0-9._~/%-]{1,${3 * MAX_KEY_BYTES}}$`,
  // S3 version ids are URL-safe text of up to 1024 bytes; "" when the bucket is not versioned.
  version: '^[A-Za-z0-9._+/=-]{0,1024}$',
} as const;

export type TriggerParameters = { bucket: [string]; key: [string]; version?: [string] };

/** Bytes kept as they are by encodeKey; every other byte becomes %XX. */
const UNRESERVED = /^[A-Za-z0-9._~/-]$/;

/** Percent-encodes the UTF-8 bytes of `key` except `A-Z a-z 0-9 . _ ~ / -` (upper-case hex). */
export function encodeKey(key: string): string {
  let out = '';
  for (const byte of Buffer.from(key, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && UNRESERVED.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * The SendCommand parameters of TriggerDocument for one object. Throws UnsafeArgumentError when the
 * bucket or key is refused by the rules the control API applies too (src/ingest/object-names.ts:
 * a NUL byte, a lone surrogate, over 1024 bytes) or when the version id does not match its pattern.
 */
export function triggerParameters(bucket: string, key: string, versionId?: string): TriggerParameters {
  const problem = bucketNameProblem(bucket) ?? objectKeyProblem(key);
  if (problem) throw new UnsafeArgumentError(problem);
  const encoded = encodeKey(key);
  // Cannot fail for a key objectKeyProblem accepts; checked so that a change to either shows here.
  if (!new RegExp(TRIGGER_PARAMETER_PATTERNS.key).test(encoded)) throw new UnsafeArgumentError('object key does not fit the document\'s key pattern once encoded');
  if (versionId !== undefined && !new RegExp(TRIGGER_PARAMETER_PATTERNS.version).test(versionId)) {
    throw new UnsafeArgumentError(`version id ${JSON.stringify(versionId.slice(0, 100))} is not an S3 version id (${TRIGGER_PARAMETER_PATTERNS.version})`);
  }
  return { bucket: [bucket], key: [encoded], ...(versionId ? { version: [versionId] as [string] } : {}) };
}

/** An SSM Command document (schema 2.2) with aws:runShellScript steps, as far as logpipe uses it. */
export interface CommandDocument {
  schemaVersion: '2.2';
  description: string;
  parameters: Record<string, { type: 'String'; description: string; allowedPattern: string; default?: string }>;
  mainSteps: Array<{ action: 'aws:runShellScript'; name: string; inputs: { timeoutSeconds: string; runCommand: string[] } }>;
}

/**
 * The document's content for a trigger.sh at `scriptPath` (an absolute path of `A-Z a-z 0-9 . _ /
 * -`: it is pasted into the script) and an execution timeout. The template builds the same with
 * `${TriggerScriptPath}` and `${CommandTimeoutSeconds}`.
 */
export function triggerDocument(scriptPath: string, timeoutSeconds: string): CommandDocument {
  return {
    schemaVersion: '2.2',
    description: 'logpipe - ask the logpipe service on this host to ingest one S3 object (trigger.sh). Runs nothing else.',
    parameters: {
      bucket: { type: 'String', description: 'The S3 bucket.', allowedPattern: TRIGGER_PARAMETER_PATTERNS.bucket },
      key: { type: 'String', description: 'The object key, percent-encoded UTF-8 (all but A-Z a-z 0-9 . _ ~ / -).', allowedPattern: TRIGGER_PARAMETER_PATTERNS.key },
      version: { type: 'String', description: 'The S3 version id; empty for none.', allowedPattern: TRIGGER_PARAMETER_PATTERNS.version, default: '' },
    },
    mainSteps: [
      {
        action: 'aws:runShellScript',
        name: 'trigger',
        inputs: {
          timeoutSeconds: timeoutSeconds,
          runCommand: [`exec '${scriptPath}' --key-encoding percent --version-id '{{ version }}' -- '{{ bucket }}' '{{ key }}'`],
        },
      },
    ],
  };
}
