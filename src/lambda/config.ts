/**
 * The Lambda's configuration: read from its environment variables once per container (cold
 * start), validated strictly, and turned into a typed object. Every variable is documented in
 * src/lambda/README.md. An empty variable counts as unset (templates often pass "" for "none").
 */

/** Where the command runs: a fixed list of instances, or every instance carrying one EC2 tag. */
export type LambdaTarget = { kind: 'instances'; instanceIds: string[] } | { kind: 'tag'; key: string; value: string };

export interface LambdaConfig {
  target: LambdaTarget;
  /** Name of the SSM Command document that runs trigger.sh (TriggerDocument; trigger-document.ts). */
  documentName: string;
  region: string;
  /** SSM's delivery timeout and the script's execution timeout, in seconds. */
  commandTimeoutSeconds: number;
  /** Whether to poll GetCommandInvocation until each command ends. */
  waitForResult: boolean;
  /** SSM endpoint override, for a local emulator (moto); the SDK's default when undefined. */
  ssmEndpoint?: string;
}

/** Invalid configuration; the message names each bad variable, its value and what was expected. */
export class LambdaConfigError extends Error {
  override readonly name = 'LambdaConfigError';
}

/** SSM document names: 3–128 of A-Z a-z 0-9 _ - . (AWS- and Amazon- names are AWS's own). */
const DOCUMENT_NAME = /^[A-Za-z0-9_.-]{3,128}$/;
export const DEFAULT_COMMAND_TIMEOUT_SECONDS = 60;
/** SendCommand's TimeoutSeconds is at least 30 and at most 2592000; this also bounds the wait, to a runShellScript step's most (172800). */
export const MIN_COMMAND_TIMEOUT_SECONDS = 30;
export const MAX_COMMAND_TIMEOUT_SECONDS = 172_800;
/** SendCommand takes at most 50 instance IDs. */
const MAX_INSTANCE_IDS = 50;

const INSTANCE_ID = /^(i|mi)-[0-9a-f]{8,17}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/**
 * Reads and validates the configuration from `env` (process.env in Lambda). Throws one
 * LambdaConfigError listing every problem, each naming the variable and its value.
 */
export function loadLambdaConfig(env: Record<string, string | undefined>): LambdaConfig {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };
  const bad = (name: string, value: string, expected: string): void => {
    problems.push(`${name}=${JSON.stringify(value)} is invalid: expected ${expected}`);
  };

  const target = readTarget(read('LOGPIPE_TARGET_INSTANCE_IDS'), read('LOGPIPE_TARGET_TAG'), bad, problems);

  const documentName = read('LOGPIPE_DOCUMENT_NAME');
  if (documentName === undefined) problems.push('LOGPIPE_DOCUMENT_NAME is not set: the name of the SSM document that runs trigger.sh (the stack\'s TriggerDocument)');
  else if (!DOCUMENT_NAME.test(documentName) || /^(AWS|Amazon)-/i.test(documentName)) {
    // AWS-RunShellScript and the like run whatever they are given: never the trigger.
    bad('LOGPIPE_DOCUMENT_NAME', documentName, 'the name of your own SSM Command document (3-128 of A-Z a-z 0-9 _ - ., not an AWS- or Amazon- document)');
  }

  const region = read('AWS_REGION');
  if (region === undefined) problems.push('AWS_REGION is not set (Lambda sets it; set it when running elsewhere)');
  else if (!REGION.test(region)) bad('AWS_REGION', region, 'an AWS region such as eu-west-1');

  const timeoutText = read('LOGPIPE_COMMAND_TIMEOUT_SECONDS');
  const commandTimeoutSeconds = timeoutText === undefined ? DEFAULT_COMMAND_TIMEOUT_SECONDS : Number(timeoutText);
  if (timeoutText !== undefined && !(/^\d+$/.test(timeoutText) && commandTimeoutSeconds >= MIN_COMMAND_TIMEOUT_SECONDS && commandTimeoutSeconds <= MAX_COMMAND_TIMEOUT_SECONDS)) {
    bad('LOGPIPE_COMMAND_TIMEOUT_SECONDS', timeoutText, `a whole number of seconds from ${MIN_COMMAND_TIMEOUT_SECONDS} to ${MAX_COMMAND_TIMEOUT_SECONDS}`);
  }

  const waitText = read('LOGPIPE_WAIT_FOR_RESULT');
  const waitForResult = waitText === 'true';
  if (waitText !== undefined && waitText !== 'true' && waitText !== 'false') bad('LOGPIPE_WAIT_FOR_RESULT', waitText, 'true or false');
  if (waitForResult && target?.kind === 'tag') {
    problems.push('LOGPIPE_WAIT_FOR_RESULT="true" needs LOGPIPE_TARGET_INSTANCE_IDS: a tag target resolves to instances only after the command is sent');
  }

  const ssmEndpoint = read('LOGPIPE_SSM_ENDPOINT');
  if (ssmEndpoint !== undefined && !isHttpUrl(ssmEndpoint)) bad('LOGPIPE_SSM_ENDPOINT', ssmEndpoint, 'an http:// or https:// URL');

  if (problems.length > 0 || target === undefined || region === undefined || documentName === undefined) {
    throw new LambdaConfigError(`invalid Lambda configuration: ${problems.join('; ')}`);
  }
  return { target, documentName, region, commandTimeoutSeconds, waitForResult, ...(ssmEndpoint ? { ssmEndpoint } : {}) };
}

function readTarget(
  instanceIds: string | undefined,
  tag: string | undefined,
  bad: (name: string, value: string, expected: string) => void,
  problems: string[],
): LambdaTarget | undefined {
  if (instanceIds !== undefined && tag !== undefined) {
    problems.push('LOGPIPE_TARGET_INSTANCE_IDS and LOGPIPE_TARGET_TAG are both set: set exactly one');
    return undefined;
  }
  if (instanceIds !== undefined) {
    const ids = instanceIds.split(',').map((id) => id.trim());
    if (ids.length > MAX_INSTANCE_IDS || !ids.every((id) => INSTANCE_ID.test(id))) {
      bad('LOGPIPE_TARGET_INSTANCE_IDS', instanceIds, `1 to ${MAX_INSTANCE_IDS} comma-separated instance IDs such as i-0123456789abcdef0`);
      return undefined;
    }
    return { kind: 'instances', instanceIds: [...new Set(ids)] };
  }
  if (tag !== undefined) {
    const eq = tag.indexOf('=');
    const key = eq < 0 ? '' : tag.slice(0, eq).trim();
    const value = eq < 0 ? '' : tag.slice(eq + 1).trim();
    if (key === '' || value === '' || key.length > 128 || value.length > 256) {
      bad('LOGPIPE_TARGET_TAG', tag, 'Key=Value of an EC2 tag, such as Role=logpipe');
      return undefined;
    }
    return { kind: 'tag', key, value };
  }
  problems.push('no target: set LOGPIPE_TARGET_INSTANCE_IDS (comma-separated instance IDs) or LOGPIPE_TARGET_TAG (Key=Value)');
  return undefined;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
