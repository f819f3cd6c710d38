/**
 * The Lambda's conversation with Systems Manager: the SendCommand request that runs trigger.sh on
 * the host, and polling GetCommandInvocation until a command ends. The SSM client and the clock
 * come in as arguments, so tests drive both without a network or real time.
 */
import {
  GetCommandInvocationCommand,
  type GetCommandInvocationCommandOutput,
  type SendCommandCommand,
  type SendCommandCommandInput,
  type SendCommandCommandOutput,
} from '@aws-sdk/client-ssm';
import type { LambdaConfig } from './config';
import type { TriggerParameters } from './trigger-document';

/** The part of SSMClient the Lambda uses; an SSMClient satisfies it, tests pass a fake. */
export interface SsmClientLike {
  send(command: SendCommandCommand): Promise<SendCommandCommandOutput>;
  send(command: GetCommandInvocationCommand): Promise<GetCommandInvocationCommandOutput>;
}

/** Time as the Lambda sees it; injected so that waiting is testable without real delays. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Polling delays: the first, the growth factor per poll, and the cap. */
export interface Backoff {
  initialDelayMs: number;
  factor: number;
  maxDelayMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialDelayMs: 250, factor: 2, maxDelayMs: 5000 };

const TERMINAL_STATUSES = new Set(['Success', 'Failed', 'Cancelled', 'TimedOut']);

/** How one instance's invocation of a command ended, or where it stood when the wait ran out. */
export interface InvocationResult {
  instanceId: string;
  /** SSM's status (Success, Failed, InProgress, ...), or `NotYetVisible` before SSM knows the invocation. */
  status: string;
  terminal: boolean;
  /** The script's exit code, -1 while it has none. */
  responseCode?: number;
  /** The end of the script's stderr, for the log when it failed. */
  stderr?: string;
}

/** Longest stderr excerpt kept per invocation; trigger.sh writes a single line. */
const STDERR_EXCERPT_CHARS = 500;

/**
 * The SendCommand request running the trigger document (config.documentName) with `parameters`
 * (built by triggerParameters) on the configured target. The command timeout is SSM's delivery
 * timeout (TimeoutSeconds); the script's own limit is fixed in the document.
 */
export function sendCommandInput(config: LambdaConfig, parameters: TriggerParameters): SendCommandCommandInput {
  const { target, commandTimeoutSeconds } = config;
  return {
    DocumentName: config.documentName,
    ...(target.kind === 'instances'
      ? { InstanceIds: target.instanceIds }
      : { Targets: [{ Key: `tag:${target.key}`, Values: [target.value] }] }),
    Parameters: { ...parameters },
    TimeoutSeconds: commandTimeoutSeconds,
    Comment: 'logpipe: ingest an S3 object (shell/trigger.sh)',
  };
}

/**
 * Polls GetCommandInvocation for one instance until the invocation reaches a terminal status or
 * the clock passes `deadlineMs`, sleeping with exponential backoff between polls.
 * InvocationDoesNotExist right after SendCommand is normal and means "not yet". Any other error
 * from SSM is thrown unchanged for the caller to classify.
 */
export async function waitForInvocation(
  ssm: SsmClientLike,
  clock: Clock,
  request: { commandId: string; instanceId: string; deadlineMs: number; backoff?: Backoff },
): Promise<InvocationResult> {
  const { commandId, instanceId, deadlineMs, backoff = DEFAULT_BACKOFF } = request;
  let delayMs = backoff.initialDelayMs;
  let last: InvocationResult = { instanceId, status: 'NotYetVisible', terminal: false };
  for (;;) {
    try {
      const out = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
      const status = out.Status ?? 'Pending';
      last = {
        instanceId,
        status,
        terminal: TERMINAL_STATUSES.has(status),
        ...(out.ResponseCode !== undefined ? { responseCode: out.ResponseCode } : {}),
        ...(out.StandardErrorContent ? { stderr: out.StandardErrorContent.trim().slice(-STDERR_EXCERPT_CHARS) } : {}),
      };
      if (last.terminal) return last;
    } catch (err) {
      if ((err as { name?: unknown }).name !== 'InvocationDoesNotExist') throw err;
    }
    const remainingMs = deadlineMs - clock.now();
    if (remainingMs <= 0) return last;
    await clock.sleep(Math.min(delayMs, remainingMs));
    delayMs = Math.min(delayMs * backoff.factor, backoff.maxDelayMs);
  }
}
