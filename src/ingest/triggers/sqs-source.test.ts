/**
 * SqsSource against a mock SQS client (the integration and fault tests cover the real queue on
 * moto): what it hands the sink, when it deletes a message, visibility extension, backoff and
 * waiting while the queue is full, all on a ManualClock.
 */
import { PassThrough } from 'node:stream';
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { ManualClock } from '../clock';
import type { ObjectRef } from '../object-ref';
import type { RequestAnswer } from '../activity';
import type { JobOutcome } from '../trigger-queue';
import { createLogger } from '../../system/observability/logging';
import type { TriggerSink } from './source';
import { FULL_QUEUE_WAIT_MS, SqsSource } from './sqs-source';

const log = createLogger({ level: 'error', format: 'json', stream: new PassThrough() });
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const done: JobOutcome = { status: 'ingested', lines: 1, bytes: 1 };

const record = (key: string, extra: Record<string, unknown> = {}) => ({ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'logs' }, object: { key, ...extra } } });
const body = (...records: unknown[]): string => JSON.stringify({ Records: records });

/** A mock SQS client: each receive takes the next batch (or waits until stopped), records every command. */
function mockSqs(batches: Array<Array<{ Body: string; ReceiptHandle: string }> | Error>) {
  const commands: string[] = [];
  let release: () => void = () => undefined;
  const idle = new Promise<void>((r) => (release = r));
  return {
    commands,
    release,
    send: async (command: unknown): Promise<unknown> => {
      if (command instanceof ReceiveMessageCommand) {
        commands.push(`receive wait=${command.input.WaitTimeSeconds} visibility=${command.input.VisibilityTimeout} max=${command.input.MaxNumberOfMessages}`);
        const next = batches.shift();
        if (next === undefined) {
          await idle;
          return { Messages: [] };
        }
        if (next instanceof Error) throw next;
        return { Messages: next };
      }
      if (command instanceof DeleteMessageCommand) commands.push(`delete ${command.input.ReceiptHandle}`);
      else if (command instanceof ChangeMessageVisibilityCommand) commands.push(`extend ${command.input.ReceiptHandle} ${command.input.VisibilityTimeout}`);
      else throw new Error('unexpected SQS command');
      return {};
    },
  };
}

/** A sink that records offers and keeps their outcome callbacks; `answer` decides each offer's status. */
function mockSink(answer: (ref: ObjectRef) => RequestAnswer['status'] = () => 'queued') {
  const offers: string[] = [];
  const callbacks: Array<(o: JobOutcome) => void> = [];
  let full = false;
  const sink: TriggerSink = {
    offer: (ref, options = {}) => {
      const status = answer(ref);
      offers.push(`${ref.kind === 's3' ? `${ref.bucket}/${ref.key}${ref.versionId ? `@${ref.versionId}` : ''}` : ref.path} ${status}`);
      if (status !== 'busy' && options.onOutcome) callbacks.push(options.onOutcome);
      return { id: '', status };
    },
    full: () => full,
  };
  return { sink, offers, callbacks, setFull: (f: boolean) => (full = f) };
}

function source(sqs: ReturnType<typeof mockSqs>, clock: ManualClock) {
  return new SqsSource({ sqs: sqs as never, queueUrl: 'q', waitSeconds: 20, visibilityTimeoutSeconds: 30, clock, log, random: () => 1 });
}

describe('SqsSource', () => {
  it('hands each ObjectCreated object to the sink, decoded, and deletes the message once all have an outcome', async () => {
    const clock = new ManualClock();
    const sqs = mockSqs([[{ Body: body(record('a+b%2Bc.log'), record('v.log', { versionId: 'v7' }), { eventSource: 'aws:s3', eventName: 'ObjectRemoved:Delete' }), ReceiptHandle: 'm1' }]]);
    const s = mockSink();
    const src = source(sqs, clock);
    const running = src.run(s.sink);
    await flush();
    expect(s.offers).toEqual(['logs/a b+c.log queued', 'logs/v.log@v7 queued']);
    expect(sqs.commands).toEqual(['receive wait=20 visibility=30 max=10', 'receive wait=20 visibility=30 max=10']);
    s.callbacks[0](done);
    await flush();
    expect(sqs.commands.filter((c) => c.startsWith('delete'))).toEqual([]);
    s.callbacks[1](done);
    await flush();
    expect(sqs.commands.filter((c) => c.startsWith('delete'))).toEqual(['delete m1']);
    src.stop();
    sqs.release();
    await running;
  });

  it('deletes a message without objects (a test event, unreadable JSON) at once', async () => {
    const clock = new ManualClock();
    const sqs = mockSqs([[{ Body: JSON.stringify({ Event: 's3:TestEvent' }), ReceiptHandle: 't' }, { Body: 'not json', ReceiptHandle: 'j' }]]);
    const s = mockSink();
    const src = source(sqs, clock);
    const running = src.run(s.sink);
    await flush();
    expect(s.offers).toEqual([]);
    expect(sqs.commands.filter((c) => c.startsWith('delete'))).toEqual(['delete t', 'delete j']);
    src.stop();
    sqs.release();
    await running;
  });

  it('leaves a message with an object the sink refused for a later delivery', async () => {
    const clock = new ManualClock();
    const sqs = mockSqs([[{ Body: body(record('a.log'), record('b.log')), ReceiptHandle: 'm' }]]);
    const s = mockSink((ref) => (ref.kind === 's3' && ref.key === 'b.log' ? 'busy' : 'queued'));
    const src = source(sqs, clock);
    const running = src.run(s.sink);
    await flush();
    s.callbacks[0](done);
    await flush();
    expect(sqs.commands.filter((c) => !c.startsWith('receive'))).toEqual([]);
    src.stop();
    sqs.release();
    await running;
  });

  it('extends the visibility of a message in hand every half timeout, until its objects are done or the source stops', async () => {
    const clock = new ManualClock();
    const sqs = mockSqs([[{ Body: body(record('a.log')), ReceiptHandle: 'm1' }, { Body: body(record('b.log')), ReceiptHandle: 'm2' }]]);
    const s = mockSink();
    const src = source(sqs, clock);
    const running = src.run(s.sink);
    await flush();
    clock.advance(15_000);
    await flush();
    expect(sqs.commands.filter((c) => c.startsWith('extend'))).toEqual(['extend m1 30', 'extend m2 30']);
    s.callbacks[0](done);
    await flush();
    clock.advance(15_000);
    await flush();
    expect(sqs.commands.filter((c) => c.startsWith('extend'))).toEqual(['extend m1 30', 'extend m2 30', 'extend m2 30']);
    src.stop();
    expect(clock.pending()).toEqual([]);
    sqs.release();
    await running;
  });

  it('waits while the sink is full, and backs off after a failed receive', async () => {
    const clock = new ManualClock();
    const sqs = mockSqs([Object.assign(new Error('down'), { name: 'ServiceUnavailable' }), Object.assign(new Error('down'), { name: 'ServiceUnavailable' })]);
    const s = mockSink();
    s.setFull(true);
    const src = source(sqs, clock);
    const running = src.run(s.sink);
    await flush();
    expect(sqs.commands).toEqual([]);
    expect(clock.pending()).toEqual([FULL_QUEUE_WAIT_MS]);
    s.setFull(false);
    clock.advance(FULL_QUEUE_WAIT_MS);
    await flush();
    // Full jitter (random 1 here): 500 ms, then 1 s.
    expect(sqs.commands).toHaveLength(1);
    expect(clock.pending()).toEqual([500]);
    clock.advance(500);
    await flush();
    expect(sqs.commands).toHaveLength(2);
    expect(clock.pending()).toEqual([1000]);
    clock.advance(1000);
    await flush();
    expect(sqs.commands).toHaveLength(3);
    src.stop();
    sqs.release();
    await running;
  });

  // The retry helper's abort: a destroy must not sit out a receive backoff of up to 30 s.
  it('stop ends a receive backoff at once', async () => {
    const clock = new ManualClock();
    const sqs = mockSqs(Array.from({ length: 10 }, () => Object.assign(new Error('down'), { name: 'ServiceUnavailable' })));
    const src = source(sqs, clock);
    const running = src.run(mockSink().sink);
    for (let i = 0; i < 8; i++) {
      await flush();
      clock.advance(clock.pending()[0] ?? 0);
    }
    await flush();
    expect(clock.pending()).toEqual([30_000]);
    src.stop();
    await running;
    expect(clock.pending()).toEqual([]);
  });
});
