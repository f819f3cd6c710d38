/**
 * What the benchmark needs from the local stack and its clients: the stack up (started only when
 * not running, never stopped: other work may use it), topics created exactly as logpipe creates its
 * log topic, buckets and queues with unique names, and everything it made removed afterwards.
 * Every name starts with "bench-<run id>" so a run only ever deletes its own things. Creating a
 * bucket and its notification queue, and reading the SES emulator, are the tests' helpers
 * (test/support/aws.ts, test/support/helpers.ts).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { DeleteBucketCommand, DeleteObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { DeleteQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Admin } from 'kafkajs';
import { ensureIngestTopics } from '../../src/ingest/topics';
import type { LogpipeConfig } from '../../src/system/config/config';
import { lastJsonLine, run } from './proc';

/** `logpipe dev up` (idempotent); returns the services it started, which stay running. */
export async function stackUp(cli: string[], logFile: string): Promise<{ started: string[]; alreadyRunning: string[] }> {
  const r = await run(cli[0], [...cli.slice(1), 'dev', 'up'], { stderrFile: logFile, env: { ...process.env, LOGPIPE_LOG_FORMAT: 'json' }, stdoutFile: `${logFile}.dev-up` });
  if (r.code !== 0) throw new Error(`logpipe dev up failed (exit ${r.code}); see ${logFile}`);
  // The CLI logs to stderr; its last line names what it started.
  const text = fs.readFileSync(logFile, 'utf8');
  const ready = text.split('\n').filter((l) => l.includes('local stack ready')).pop();
  const parsed = ready ? lastJsonLine<{ started?: string[]; alreadyRunning?: string[] }>(ready) : undefined;
  return { started: parsed?.started ?? [], alreadyRunning: parsed?.alreadyRunning ?? [] };
}

/** `logpipe dev status --json`: each service with its version description. */
export function stackStatus(cli: string[]): Array<{ name: string; state: string; description?: string }> {
  try {
    return JSON.parse(execFileSync(cli[0], [...cli.slice(1), 'dev', 'status', '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as Array<{ name: string; state: string; description?: string }>;
  } catch (err) {
    const out = (err as { stdout?: string }).stdout;
    return out ? (JSON.parse(out) as Array<{ name: string; state: string; description?: string }>) : [];
  }
}

/**
 * Topics for the peers, created by the same function logpipe uses for its log topic (partitions,
 * message size and timestamp settings), so every tool writes to and reads from the same kind of topic.
 */
export async function createLogTopics(admin: Admin, config: LogpipeConfig, topics: string[]): Promise<void> {
  for (const t of topics) await ensureIngestTopics(admin, config, t);
}

/** Deletes topics this run made; failures (already gone) are ignored. Frees the broker's disk. */
export async function deleteTopics(admin: Admin, topics: string[]): Promise<void> {
  if (!topics.length) return;
  const existing = new Set(await admin.listTopics());
  const mine = topics.filter((t) => existing.has(t));
  if (mine.length) await admin.deleteTopics({ topics: mine, timeout: 30_000 }).catch(() => undefined);
}

/** Empties and deletes a bucket this run created (moto keeps objects in memory and on disk). */
export async function deleteBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    for (;;) {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
      for (const o of page.Contents ?? []) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.Key }));
      if (!page.IsTruncated) break;
    }
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  } catch {
    // Already gone, or moto restarted: nothing left to free.
  }
}

export async function deleteQueue(sqs: SQSClient, queueUrl: string): Promise<void> {
  await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => undefined);
}
