/**
 * Dev only: invokes the real Lambda handler (src/lambda) the way AWS would for an S3 notification,
 * against moto. The bucket notifies an SQS queue (moto delivers S3 events to SQS, not to a local
 * function); this runner long-polls that queue and calls the handler with each message's event.
 * A message is deleted once the handler returns; when it throws (a retriable failure), the message
 * stays and comes back after its visibility timeout, as Lambda retries an asynchronous invocation.
 */
import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { HandlerResult, S3EventHandler } from '../lambda/handler';
import type { Logger } from '../system/observability/logging';

export interface LambdaRunnerOptions {
  sqs: Pick<SQSClient, 'send'>;
  queueUrl: string;
  handler: S3EventHandler;
  log: Logger;
  /** Long-polling wait per receive, in seconds (0–20). */
  waitSeconds?: number;
}

export class LocalLambdaRunner {
  private stopped = false;
  private loop: Promise<void> | undefined;
  private abort = new AbortController();
  /** Every invocation's result (or error message), for tests and the demo's summary. */
  readonly invocations: Array<HandlerResult | { error: string }> = [];

  constructor(private readonly o: LambdaRunnerOptions) {}

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { sqs, queueUrl, handler, log } = this.o;
    let requests = 0;
    while (!this.stopped) {
      let messages;
      try {
        const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: this.o.waitSeconds ?? 1, VisibilityTimeout: 30 }), { abortSignal: this.abort.signal });
        messages = out.Messages ?? [];
      } catch (err) {
        if (this.stopped) return;
        log.warn('receiving S3 notifications failed; retrying', { error: err instanceof Error ? err.message : String(err) });
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      for (const m of messages) {
        let event: unknown;
        try {
          event = JSON.parse(m.Body ?? '');
        } catch {
          event = m.Body;
        }
        const context = { awsRequestId: `local-${++requests}`, getRemainingTimeInMillis: () => 60_000 };
        try {
          this.invocations.push(await handler(event, context));
          await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
        } catch (err) {
          const error = err instanceof Error ? err.message : String(err);
          this.invocations.push({ error });
          log.warn('the Lambda handler failed; the event comes back for a retry', { requestId: context.awsRequestId, error });
        }
      }
    }
  }
}
