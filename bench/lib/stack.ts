/**
 * What the benchmark needs from the local stack and its clients: the stack up (started only when
 * not running, never stopped: other work may use it), topics created exactly as logpipe creates its
 * log topic, buckets and queues with unique names, and everything it made removed afterwards.
 * Every name starts with "bench-<run id>" so a run only ever deletes its own things.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  PutBucketNotificationConfigurationCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
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

export async function createBucket(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
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

/** An SQS queue receiving the bucket's ObjectCreated notifications; returns its URL. */
export async function notifyQueue(s3: S3Client, sqs: SQSClient, bucket: string, queueName: string): Promise<string> {
  const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: queueName }))).QueueUrl ?? '';
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
  await s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: { QueueConfigurations: [{ QueueArn: arn, Events: ['s3:ObjectCreated:*'] }] } }));
  return queueUrl;
}

export async function deleteQueue(sqs: SQSClient, queueUrl: string): Promise<void> {
  await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => undefined);
}

export interface StoredEmail {
  destination?: { to?: string[] };
  subject?: string;
  body?: { text?: string };
  at?: number;
}

/** The SES emulator's stored emails sent to `recipient` (its /store holds every email it received). */
export async function emailsTo(sesEndpoint: string, recipient: string): Promise<StoredEmail[]> {
  const res = await fetch(`${sesEndpoint.replace(/\/$/, '')}/store`);
  if (!res.ok) throw new Error(`GET /store: HTTP ${res.status}`);
  const store = (await res.json()) as { emails?: StoredEmail[] };
  return (store.emails ?? []).filter((e) => e.destination?.to?.includes(recipient));
}
