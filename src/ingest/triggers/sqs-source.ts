/**
 * The SQS trigger: long-polls a queue of S3 event notifications and hands each object the
 * notifications name to the sink. A message is deleted only once every object it names is
 * committed, dead-lettered or found done; until then its visibility is extended every half
 * `visibilityTimeoutSeconds` (big objects outlast the timeout). A message with an object the sink
 * refused (queue full) is left to come back; so is every message unfinished at stop. Records that
 * are not ObjectCreated, or cannot be read, are logged and skipped (src/ingest/s3-event.ts).
 */
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Clock } from '../clock';
import { reasonOf } from '../../system/errors/errors';
import { retry } from '../../system/errors/retry';
import type { ObjectRef } from '../object-ref';
import { parseS3Event } from '../s3-event';
import type { Logger } from '../../system/observability/logging';
import type { JobOutcome } from '../trigger-queue';
import type { TriggerSink, TriggerSource } from './source';

/** How long to wait before polling again while the sink is full. */
export const FULL_QUEUE_WAIT_MS = 500;
/** Backoff of failed receives: full jitter from 500 ms doubling to 30 s. */
export const RECEIVE_RETRY_BASE_MS = 500;
export const RECEIVE_RETRY_CAP_MS = 30_000;
/** Messages asked for per receive (SQS's maximum). */
const MAX_MESSAGES = 10;

export interface SqsSourceOptions {
  sqs: Pick<SQSClient, 'send'>;
  queueUrl: string;
  /** Long-poll wait per receive (ingest.sqsWaitSeconds). */
  waitSeconds: number;
  /** Visibility of a received message, renewed while its objects stream (ingest.visibilityTimeoutSeconds). */
  visibilityTimeoutSeconds: number;
  clock: Clock;
  log: Logger;
  /** Jitter of the receive backoff (Math.random). */
  random?: () => number;
}

export class SqsSource implements TriggerSource {
  private stopped = false;
  /** Aborted by stop(): ends a wait (full queue, receive backoff) at once. */
  private readonly abort = new AbortController();
  /** Visibility extenders of the messages in hand, cancelled at stop (their messages come back). */
  private readonly extenders = new Set<() => void>();

  constructor(private readonly options: SqsSourceOptions) {}

  async run(sink: TriggerSink): Promise<void> {
    const { sqs, queueUrl, waitSeconds, visibilityTimeoutSeconds, clock, log } = this.options;
    while (!this.stopped) {
      if (sink.full()) {
        await clock.sleep(FULL_QUEUE_WAIT_MS, this.abort.signal);
        continue;
      }
      let received;
      try {
        // A failed receive is retried for as long as it fails (a new backoff after each success); only stop() ends it.
        received = await retry(
          () => sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: MAX_MESSAGES, WaitTimeSeconds: waitSeconds, VisibilityTimeout: visibilityTimeoutSeconds })),
          {
            baseMs: RECEIVE_RETRY_BASE_MS,
            capMs: RECEIVE_RETRY_CAP_MS,
            signal: this.abort.signal,
            sleep: (ms, signal) => clock.sleep(ms, signal),
            now: () => clock.now(),
            ...(this.options.random ? { random: this.options.random } : {}),
            onRetry: ({ delayMs, error }) => {
              log.warn('SQS receive failed, retrying', { queue: queueUrl, delayMs, error: reasonOf(error) });
            },
          },
        );
      } catch {
        continue;
      }
      for (const m of received.Messages ?? []) void this.handle(sink, m.Body ?? '', m.ReceiptHandle ?? '');
    }
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
    for (const cancel of this.extenders) cancel();
    this.extenders.clear();
  }

  /** Hands one message's objects to the sink; deletes the message once all have an outcome. Never rejects. */
  private async handle(sink: TriggerSink, body: string, receipt: string): Promise<void> {
    const { sqs, queueUrl, log } = this.options;
    let event: unknown;
    try {
      event = JSON.parse(body);
    } catch {
      event = undefined;
    }
    const records = parseS3Event(event);
    for (const r of records) if (r.kind !== 'object') log.info('SQS record ignored', { reason: r.reason });
    const refs: ObjectRef[] = records.flatMap((r) => (r.kind === 'object' ? [{ kind: 's3' as const, bucket: r.bucket, key: r.key, ...(r.versionId ? { versionId: r.versionId } : {}) }] : []));
    const stopExtending = this.extendVisibility(receipt);
    try {
      const outcomes = await Promise.all(
        refs.map(
          (ref) =>
            new Promise<JobOutcome | undefined>((resolve) => {
              // Queue full: leave the message for a later delivery.
              if (sink.offer(ref, { onOutcome: resolve }).status === 'busy') resolve(undefined);
            }),
        ),
      );
      if (outcomes.some((o) => o === undefined)) return;
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: receipt }));
    } catch (err) {
      log.warn('could not delete an SQS message; it will be delivered again (ingest dedupes)', { error: reasonOf(err) });
    } finally {
      stopExtending();
    }
  }

  /** Renews the message's visibility every half timeout (at least every second) until the returned function is called. */
  private extendVisibility(receipt: string): () => void {
    const { sqs, queueUrl, visibilityTimeoutSeconds, clock, log } = this.options;
    const everyMs = Math.max(1000, (visibilityTimeoutSeconds * 1000) / 2);
    let cancelNext: () => void = () => undefined;
    const cancel = (): void => {
      cancelNext();
      this.extenders.delete(cancel);
    };
    const next = (): void => {
      cancelNext = clock.schedule(everyMs, () => {
        sqs
          .send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: receipt, VisibilityTimeout: visibilityTimeoutSeconds }))
          .catch((err: unknown) => log.warn('could not extend message visibility', { error: reasonOf(err) }));
        next();
      });
    };
    if (!this.stopped) {
      next();
      this.extenders.add(cancel);
    }
    return cancel;
  }
}
