/**
 * The S3-event Lambda: for every ObjectCreated record, asks Systems Manager to run the trigger
 * document (trigger-document.ts: trigger.sh and nothing else, with the bucket, the encoded key and
 * the version id as parameters) on the host, which asks `logpipe start` to ingest the object. Bundled by scripts/package-lambda.ts into dist/lambda.zip; the Lambda's
 * handler setting is `index.handler`. Environment variables: src/lambda/README.md.
 *
 * Failure policy: a record that can never succeed (undecodable key, unsafe argument, SSM refusing
 * the request) is reported in the result and logged, and the event is not retried for it; when
 * SendCommand fails in a way a retry can fix (throttling, 5xx, network), the handler throws after
 * trying every record, so that Lambda retries the event. Records sent twice are harmless:
 * ingestion dedupes per object version.
 */
import { SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { createLogger, type Logger } from '../system/observability/logging';
import { loadLambdaConfig, type LambdaConfig } from './config';
import { describeError, isRetriable } from './errors';
import { parseS3Event, type ParsedRecord } from '../ingest/s3-event';
import { triggerParameters, type TriggerParameters, UnsafeArgumentError } from './trigger-document';
import { DEFAULT_BACKOFF, sendCommandInput, systemClock, waitForInvocation, type Backoff, type Clock, type InvocationResult, type SsmClientLike } from './ssm-command';

/**
 * What happened to one record:
 * - `skipped`: not an object creation (test event, deletion, ...); nothing to do.
 * - `rejected`: permanent failure; nothing ran and a retry cannot help (`reason` says why).
 * - `sent`: SSM accepted the command; not waited for (or it could not be followed: `reason`).
 * - `succeeded` / `failed`: waited; every invocation succeeded / one ended Failed, Cancelled or TimedOut.
 * - `pending`: waited until the time ran out; the command may still finish.
 * - `retriable`: SendCommand failed in a way a retry can fix; the handler throws.
 */
export type RecordStatus = 'skipped' | 'rejected' | 'sent' | 'succeeded' | 'failed' | 'pending' | 'retriable';

export interface RecordOutcome {
  /** Position of the record in the event's Records. */
  index: number;
  status: RecordStatus;
  bucket?: string;
  key?: string;
  commandId?: string;
  reason?: string;
  invocations?: InvocationResult[];
}

export interface HandlerResult {
  outcomes: RecordOutcome[];
}

/** Thrown when at least one record failed retriably; Lambda then retries the whole event. */
export class RetriableTriggerError extends Error {
  override readonly name = 'RetriableTriggerError';

  constructor(
    message: string,
    readonly outcomes: RecordOutcome[],
  ) {
    super(message);
  }
}

/** The part of the Lambda context the handler reads. */
export interface LambdaContextLike {
  awsRequestId?: string;
  getRemainingTimeInMillis?(): number;
}

export interface HandlerDeps {
  config: LambdaConfig;
  ssm: SsmClientLike;
  logger: Logger;
  clock?: Clock;
  backoff?: Backoff;
}

export type S3EventHandler = (event: unknown, context?: LambdaContextLike) => Promise<HandlerResult>;

/** Waiting stops this long before Lambda's own timeout, to leave time to log and return. */
const DEADLINE_MARGIN_MS = 2000;

/**
 * Builds the handler from its dependencies. The handler resolves with one outcome per record
 * (one for an event without Records) and throws RetriableTriggerError when any record's
 * SendCommand failed retriably, after every record has been tried.
 */
export function createHandler(deps: HandlerDeps): S3EventHandler {
  const { config, ssm, clock = systemClock, backoff = DEFAULT_BACKOFF } = deps;

  return async (event, context) => {
    const log = deps.logger.child(context?.awsRequestId ? { requestId: context.awsRequestId } : {});
    const startedMs = clock.now();
    const waitBudgetMs = Math.min(config.commandTimeoutSeconds * 1000, (context?.getRemainingTimeInMillis?.() ?? Infinity) - DEADLINE_MARGIN_MS);
    const deadlineMs = startedMs + waitBudgetMs;

    const outcomes: RecordOutcome[] = [];
    for (const record of parseS3Event(event)) {
      const outcome = await processRecord(record);
      logOutcome(log, outcome);
      outcomes.push(outcome);
    }

    const counts: Partial<Record<RecordStatus, number>> = {};
    for (const { status } of outcomes) counts[status] = (counts[status] ?? 0) + 1;
    log.info('event processed', { records: outcomes.length, ...counts, durationMs: clock.now() - startedMs });

    const retriable = outcomes.filter((o) => o.status === 'retriable');
    if (retriable.length > 0) {
      throw new RetriableTriggerError(`${retriable.length} of ${outcomes.length} records failed retriably (first: ${retriable[0].reason}); Lambda retries the event`, outcomes);
    }
    return { outcomes };

    async function processRecord(record: ParsedRecord): Promise<RecordOutcome> {
      const { index } = record;
      if (record.kind === 'skipped') return { index, status: 'skipped', reason: record.reason };
      if (record.kind === 'invalid') return { index, status: 'rejected', reason: record.reason, ...(record.bucket ? { bucket: record.bucket } : {}) };
      const { bucket, key, versionId } = record;

      let parameters: TriggerParameters;
      try {
        parameters = triggerParameters(bucket, key, versionId);
      } catch (err) {
        if (err instanceof UnsafeArgumentError) return { index, status: 'rejected', bucket, key, reason: err.message };
        throw err;
      }

      let commandId: string | undefined;
      try {
        commandId = (await ssm.send(new SendCommandCommand(sendCommandInput(config, parameters)))).Command?.CommandId;
      } catch (err) {
        return { index, status: isRetriable(err) ? 'retriable' : 'rejected', bucket, key, reason: `SendCommand failed: ${describeError(err)}` };
      }
      if (!commandId) return { index, status: 'rejected', bucket, key, reason: 'SendCommand answered without a CommandId' };
      const sent: RecordOutcome = { index, status: 'sent', bucket, key, commandId };

      const instanceIds = config.waitForResult && config.target.kind === 'instances' ? config.target.instanceIds : [];
      if (instanceIds.length === 0) return sent;
      const invocations: InvocationResult[] = [];
      try {
        for (const instanceId of instanceIds) invocations.push(await waitForInvocation(ssm, clock, { commandId, instanceId, deadlineMs, backoff }));
      } catch (err) {
        // The command was delivered; only watching it failed. Retrying the event would send it again for nothing.
        return { ...sent, reason: `could not follow the command: ${describeError(err)}` };
      }
      const status = invocations.some((i) => i.terminal && i.status !== 'Success')
        ? 'failed'
        : invocations.every((i) => i.status === 'Success')
          ? 'succeeded'
          : 'pending';
      return { ...sent, status, invocations };
    }
  };
}

/** One log line per record: info when it went as planned, warn when it needs a human, error when rejected. */
function logOutcome(log: Logger, outcome: RecordOutcome): void {
  const messages: Record<RecordStatus, [level: 'info' | 'warn' | 'error', message: string]> = {
    skipped: ['info', 'record skipped'],
    rejected: ['error', 'record rejected'],
    sent: ['info', outcome.reason ? 'command sent, result unknown' : 'command sent'],
    succeeded: ['info', 'command succeeded'],
    failed: ['warn', 'command failed on the host'],
    pending: ['warn', 'command still running when the wait ended'],
    retriable: ['warn', 'command not sent, will be retried'],
  };
  const [level, message] = messages[outcome.status];
  log.log(level, message, { ...outcome });
}

let cold: S3EventHandler | Error | undefined;

/**
 * The Lambda entry point. On the first call in a container it reads and validates the
 * configuration from the environment and creates the SSM client; an invalid configuration is
 * logged once and thrown on every call (nothing can be processed until it is fixed).
 */
export async function handler(event: unknown, context?: LambdaContextLike): Promise<HandlerResult> {
  cold ??= coldStart();
  if (cold instanceof Error) throw cold;
  return cold(event, context);
}

function coldStart(): S3EventHandler | Error {
  // Straight to stdout, one JSON object per line: console.log would let Lambda prefix each line.
  const logger = createLogger({ level: 'info', format: 'json', stream: process.stdout }).child({ component: 'lambda' });
  try {
    const config = loadLambdaConfig(process.env);
    const ssm = new SSMClient({ region: config.region, ...(config.ssmEndpoint ? { endpoint: config.ssmEndpoint } : {}) });
    logger.info('configured', { ...config });
    return createHandler({ config, ssm, logger });
  } catch (err) {
    logger.error('invalid configuration', { error: err });
    return err instanceof Error ? err : new Error(String(err));
  }
}
