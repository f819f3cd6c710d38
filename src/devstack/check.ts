/**
 * `logpipe dev check`: proves the stack does real work, not just that ports are open.
 * Kafka: an aborted and a committed transaction, read back by a read_committed consumer that must see
 * exactly the committed records. moto: an S3 object written and read back. SES: the emulator answers.
 */
import crypto from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Partitioners, type Kafka } from 'kafkajs';
import { httpOk } from './moto';

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

export interface KafkaRoundTrip {
  committed: number;
  aborted: number;
  seenCommitted: number;
  seenAborted: number;
  elapsedMs: number;
}

/**
 * Writes `aborted` records in a transaction it aborts, then `committed` records in one it commits, to
 * `topic` (created with 3 partitions if missing), and reads the topic back with read_committed until
 * all committed records of this run arrived or `timeoutMs` passed.
 */
export async function kafkaRoundTrip(kafka: Kafka, topic: string, opts: { committed?: number; aborted?: number; timeoutMs?: number } = {}): Promise<KafkaRoundTrip> {
  const committed = opts.committed ?? 1000;
  const aborted = opts.aborted ?? 10;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const run = crypto.randomUUID();
  const started = Date.now();

  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }

  const producer = kafka.producer({
    transactionalId: `logpipe-check-${run}`,
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const batch = (kind: string, n: number) =>
    Array.from({ length: n }, (_, i) => ({ key: `${kind}-${i % 7}`, value: `${kind} ${i}`, headers: { run, kind } }));
  try {
    const abortTx = await producer.transaction();
    await abortTx.send({ topic, messages: batch('aborted', aborted), acks: -1 });
    await abortTx.abort();
    const commitTx = await producer.transaction();
    await commitTx.send({ topic, messages: batch('committed', committed), acks: -1 });
    await commitTx.commit();
  } finally {
    await producer.disconnect();
  }

  const consumer = kafka.consumer({ groupId: `logpipe-check-${run}`, readUncommitted: false });
  let seenCommitted = 0;
  let seenAborted = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read back ${seenCommitted} of ${committed} committed records within ${timeoutMs} ms`)), timeoutMs);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            if (message.headers?.run?.toString() !== run) return;
            if (message.headers.kind?.toString() === 'aborted') seenAborted++;
            else seenCommitted++;
            if (seenCommitted >= committed) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return { committed, aborted, seenCommitted, seenAborted, elapsedMs: Date.now() - started };
}

/** Writes an object to S3 and reads it back; resolves to the bytes read. */
export async function s3RoundTrip(s3: S3Client, bucket: string): Promise<string> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch((err: Error) => {
    if (err.name !== 'BucketAlreadyOwnedByYou' && err.name !== 'BucketAlreadyExists') throw err;
  });
  const key = `check/${crypto.randomUUID()}.txt`;
  const body = `logpipe dev check ${new Date().toISOString()}`;
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const text = (await got.Body?.transformToString()) ?? '';
  if (text !== body) throw new Error(`read back ${JSON.stringify(text)} from s3://${bucket}/${key}, wrote ${JSON.stringify(body)}`);
  return text;
}

/** Runs every check; never throws, each failure is a result with its reason. */
export async function runChecks(deps: { kafka: Kafka; topic: string; s3: S3Client; bucket: string; sesEndpoint: string }): Promise<CheckResult[]> {
  const attempt = async (name: string, fn: () => Promise<string>): Promise<CheckResult> => {
    try {
      return { name, ok: true, detail: await fn() };
    } catch (err) {
      return { name, ok: false, detail: (err as Error).message };
    }
  };
  return [
    await attempt('kafka', async () => {
      const r = await kafkaRoundTrip(deps.kafka, deps.topic);
      if (r.seenAborted !== 0 || r.seenCommitted !== r.committed) {
        throw new Error(`read_committed saw ${r.seenCommitted}/${r.committed} committed and ${r.seenAborted} aborted records`);
      }
      return `${r.committed} records through a committed transaction read back exactly once on ${deps.topic}; ${r.aborted} aborted records invisible (${r.elapsedMs} ms)`;
    }),
    await attempt('s3', async () => {
      await s3RoundTrip(deps.s3, deps.bucket);
      return `object written and read back in bucket ${deps.bucket}`;
    }),
    await attempt('ses', async () => {
      const url = `${deps.sesEndpoint.replace(/\/$/, '')}/health-check`;
      if (!(await httpOk(url))) throw new Error(`no answer from ${url}`);
      return `emulator answering; inbox at ${deps.sesEndpoint}`;
    }),
  ];
}
