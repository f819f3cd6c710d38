/**
 * Helpers of the tests that use the local stack (integration, faults) and of the benchmark: its
 * configuration, a quiet logger, unique names, free ports, polling, topic readers and SES
 * emulators. bench/ imports this file outside jest: nothing here may use jest's globals.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { ObjectProgress } from '../../src/ingest/progress';
import { loadConfig, type LogpipeConfig } from '../../src/system/config/config';
import { createLogger, type Logger } from '../../src/system/observability/logging';

export function testConfig(): LogpipeConfig {
  return loadConfig().config;
}

/** A logger that keeps kafkajs's retry chatter out of the test output; returns what it wrote. */
export function quietLogger(): { logger: Logger; text: () => string } {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.toString()));
  return { logger: createLogger({ level: 'info', format: 'json', stream }), text: () => chunks.join('') };
}

/** A name no other test run uses, for topics, buckets, queues and groups. */
/**
 * A progress record of `lines` lines for a publisher or takeover test: offsets and counts derived
 * from `lines`, a parser checkpoint, a dead-letter reason when the status needs one.
 */
export function progressOf(id: string, lines: number, status: ObjectProgress['status'] = 'in-progress'): ObjectProgress {
  return {
    id,
    status,
    byteOffset: lines * 10,
    lines,
    entries: lines,
    records: lines,
    parser: { format: undefined, dayMs: 0, lastTodMs: -1, lastTimeMs: 0, lines },
    updatedAt: new Date(0).toISOString(),
    ...(status === 'dead-letter' ? { reason: 'NoSuchKey: gone' } : {}),
  };
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/**
 * Polls `fn` every `everyMs` until it returns a value other than undefined, or fails after
 * `timeoutMs`. A throw counts as "not yet" (a topic still being created, a service still
 * starting); the last one is reported at the timeout.
 */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface ReadRecord {
  key: string;
  value: Buffer;
  timestamp: number;
  headers: Record<string, string>;
  partition: number;
  offset: number;
}

/**
 * Consumes a topic from the beginning with read_committed, handing each batch to `onBatch`, until
 * `done()` holds and nothing more came for `idleMs` (so extra records would be seen), or `timeoutMs`.
 */
async function consumeTopic(
  kafka: import('kafkajs').Kafka,
  topic: string,
  onBatch: (batch: import('kafkajs').Batch) => void,
  done: () => boolean,
  idleMs: number,
  timeoutMs: number,
): Promise<void> {
  const consumer = kafka.consumer({ groupId: uniqueName('it-reader'), readUncommitted: false, maxWaitTimeInMs: 200, maxBytes: 50 << 20 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let last = Date.now();
    await consumer.run({
      eachBatch: async ({ batch }) => {
        onBatch(batch);
        last = Date.now();
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !(done() && Date.now() - last > idleMs)) await new Promise((r) => setTimeout(r, 100));
  } finally {
    await consumer.disconnect();
  }
}

function readRecordOf(batch: import('kafkajs').Batch, m: import('kafkajs').KafkaMessage): ReadRecord {
  return {
    key: m.key?.toString() ?? '',
    value: m.value ?? Buffer.alloc(0),
    timestamp: Number(m.timestamp),
    headers: Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, String(v)])),
    partition: batch.partition,
    offset: Number(m.offset),
  };
}

/** Reads a topic's records (read_committed) in partition and offset order; see consumeTopic for when it stops. */
export async function readTopic(kafka: import('kafkajs').Kafka, topic: string, expected: number, idleMs = 1500, timeoutMs = 120_000): Promise<ReadRecord[]> {
  const out: ReadRecord[] = [];
  await consumeTopic(
    kafka,
    topic,
    (batch) => {
      for (const m of batch.messages) out.push(readRecordOf(batch, m));
    },
    () => out.length >= expected,
    idleMs,
    timeoutMs,
  );
  return out.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

/**
 * Reads a topic (read_committed) from the beginning up to the end offsets it had when the call
 * started: every record committed before the call, in partition and offset order. For topics whose
 * record count is not known (the progress topic): reading "until idle" read nothing at all when the
 * group join took longer than the idle time on a loaded machine. Progress comes from every fetched
 * batch, transaction markers and aborted records included (END_BATCH_PROCESS).
 */
export async function readTopicToEnd(kafka: import('kafkajs').Kafka, topic: string, timeoutMs = 120_000): Promise<ReadRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, number>;
  try {
    ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
  } finally {
    await admin.disconnect();
  }
  const out: ReadRecord[] = [];
  const reached = new Map<number, number>();
  const done = (): boolean => [...ends].every(([partition, end]) => (reached.get(partition) ?? 0) >= end);
  if (done()) return out;
  const consumer = kafka.consumer({ groupId: uniqueName('it-reader'), readUncommitted: false, maxWaitTimeInMs: 200, maxBytes: 50 << 20 });
  await consumer.connect();
  try {
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => reached.set(payload.partition, Math.max(reached.get(payload.partition) ?? 0, Number(payload.lastOffset) + 1)));
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) out.push(readRecordOf(batch, m));
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`${topic} not read to its end offsets ${JSON.stringify([...ends])} within ${timeoutMs} ms (reached ${JSON.stringify([...reached])})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await consumer.disconnect();
  }
  return out.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

/** Counts a topic's records (read_committed) without keeping them. */
export async function countTopic(kafka: import('kafkajs').Kafka, topic: string, expected: number, idleMs = 2000, timeoutMs = 300_000): Promise<number> {
  let count = 0;
  await consumeTopic(kafka, topic, (batch) => (count += batch.messages.length), () => count >= expected, idleMs, timeoutMs);
  return count;
}

/** Sum of a topic's high watermarks: 0 while it does not exist or its partitions have no leader yet. */
export async function topicOffsets(kafka: import('kafkajs').Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) return 0;
    return (await admin.fetchTopicOffsets(topic).catch(() => [])).reduce((n, o) => n + Number(o.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/** An email as the SES emulator (aws-ses-v2-local) stores it, the fields the tests read. */
export interface StoredEmail {
  subject: string;
  destination: { to: string[] };
  body?: { text?: string; html?: string };
  attachments: Array<{ filename: string; contentType: string }>;
}

/** The emails an SES emulator at `endpoint` holds for a recipient containing `to`, in arrival order. */
export async function sesEmails(endpoint: string, to: string): Promise<StoredEmail[]> {
  const res = await fetch(`${endpoint}/store`);
  if (!res.ok) throw new Error(`GET ${endpoint}/store answered HTTP ${res.status}`);
  const { emails } = (await res.json()) as { emails: StoredEmail[] };
  return emails.filter((e) => e.destination.to.some((t) => t.includes(to)));
}

/** An SES emulator of a test's own (the stack's one is shared by every test run). */
export interface SesEmulator {
  endpoint: string;
  /** Stops it (SIGTERM) and waits for the exit; its stored emails are gone with it. */
  stop(): Promise<void>;
}

/**
 * Starts aws-ses-v2-local on 127.0.0.1:`port` and waits until it answers its health check, so a
 * test can stop it and start another on the same port (an SES outage) without touching the stack's.
 */
export async function startSesEmulator(port: number): Promise<SesEmulator> {
  const cli = path.join(path.dirname(require.resolve('aws-ses-v2-local/package.json')), 'dist', 'cli.js');
  const child = spawn(process.execPath, [cli, '--port', String(port), '--host', '127.0.0.1'], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await eventually(`the SES emulator on port ${port}`, async () => {
      if (child.exitCode !== null) throw new Error(`it exited with code ${child.exitCode} (port taken?)`);
      return (await fetch(`${endpoint}/health-check`).catch(() => undefined))?.ok ? true : undefined;
    }, 30_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    endpoint,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The value of one series (name with its labels, as printed) of a Prometheus text answer; undefined if it is not there. */
export function metricValue(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
