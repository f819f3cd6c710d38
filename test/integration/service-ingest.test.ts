/**
 * The running service ingests through its three triggers: the control API (also through
 * `logpipe trigger` and shell/trigger.sh), S3 event notifications on SQS, and periodic listing.
 * However many of them name an object, its lines are on the log topic once.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { CreateBucketCommand, PutBucketNotificationConfigurationCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { startService, type RunningService } from '../../src/system/runtime/service';
import { createKafka, createS3, createSqs } from '../../src/system/kafka/clients';
import { packageRoot } from '../../src/system/config/paths';
import { eventually, freePort, quietLogger, readTopic, testConfig, uniqueName } from '../support/helpers';

const base = testConfig();
const s3 = createS3(base);
const sqs = createSqs(base);
const kafka = createKafka(base, quietLogger().logger);
const bucket = uniqueName('it-svc');
const topic = uniqueName('it-svc-lines');
let queueUrl = '';
let service: RunningService;
let port = 0;

const lines = (n: number, tag: string): string => Array.from({ length: n }, (_, i) => `10:00:${String(i % 60).padStart(2, '0')}.000 [main] ${i % 10 === 0 ? 'ERROR' : 'INFO '} app - ${tag} ${i}`).join('\n') + '\n';

beforeAll(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: bucket }))).QueueUrl ?? '';
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
  await s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: { QueueConfigurations: [{ QueueArn: arn, Events: ['s3:ObjectCreated:*'] }] } }));
  const config = {
    ...base,
    kafka: { ...base.kafka, topic },
    control: { ...base.control, host: '127.0.0.1', port: 0 },
    ingest: { ...base.ingest, sqsQueueUrl: queueUrl, sqsWaitSeconds: 1, listings: [`${bucket}/listed/`], listIntervalMs: 1000 },
  };
  service = await startService(config, quietLogger().logger);
  port = Number(new URL(service.url).port);
});

afterAll(async () => {
  await service?.stop();
  s3.destroy();
  sqs.destroy();
});

/** Runs a program without blocking this process, which hosts the service it talks to. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { env, encoding: 'utf8' }, (err, stdout, stderr) => resolve({ status: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

async function post(body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${service.url}/v1/ingest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('logpipe start: ingest triggers', () => {
  it('an object named by SQS, the API and the listing is ingested once; its SQS message is deleted', async () => {
    const key = 'listed/LogFileGenerator.2026-11-25.log';
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: lines(3000, 'triple') }));
    const answer = await post({ bucket, key });
    expect(answer.status).toBe(202);
    expect(answer.json).toEqual({ id: `s3://${bucket}/${key}`, status: expect.stringMatching(/^(queued|merged)$/) });
    // Let the listing (every second) and the SQS poll name it again while and after it runs.
    await new Promise((r) => setTimeout(r, 3000));
    expect((await post({ bucket, key })).status).toBe(202);
    const records = await readTopic(kafka, topic, 3000, 3000);
    expect(records.filter((r) => r.value.toString().includes('triple'))).toHaveLength(3000);
    await eventually('the SQS queue to be empty', async () => {
      const a = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
      return Number(a.Attributes?.ApproximateNumberOfMessages) + Number(a.Attributes?.ApproximateNumberOfMessagesNotVisible) === 0 ? true : undefined;
    });
  });

  it('answers 400 with the reason for an invalid body', async () => {
    expect(await post('{not json')).toMatchObject({ status: 400, json: { error: expect.stringContaining('not JSON') } });
    expect(await post({ bucket: 'Bad_Bucket', key: 'k' })).toMatchObject({ status: 400, json: { error: 'bucket name "Bad_Bucket" is not a valid S3 bucket name' } });
    expect(await post({ bucket, key: '' })).toMatchObject({ status: 400, json: { error: 'key must be a non-empty string' } });
    expect(await post({ bucket, key: 'k', extra: 1 })).toMatchObject({ status: 400, json: { error: expect.stringContaining('unknown field "extra"') } });
  });

  it('logpipe trigger and shell/trigger.sh ask the service; hostile keys arrive unchanged', async () => {
    const key = "odd/it's $(touch /tmp/logpipe-canary) `x` ; \"q\" -- ü.log";
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: lines(10, 'hostile') }));
    const env = { ...process.env, NODE_ENV: 'test', LOGPIPE_CONTROL_PORT: String(port) };
    const cli = await run(process.execPath, [path.join(packageRoot(), 'dist', 'cli', 'main.js'), 'trigger', bucket, key], env);
    expect(cli.status).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ id: `s3://${bucket}/${key}` });
    // trigger.sh reads the port from the service's env file, not its environment.
    const envFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-it-env-')), 'env');
    fs.writeFileSync(envFile, `LOGPIPE_CONTROL_PORT='${port}'\n`);
    const sh = await run('bash', [path.join(packageRoot(), 'shell', 'trigger.sh'), '--', bucket, key], { ...env, LOGPIPE_ENV_FILE: envFile });
    expect(sh.status).toBe(0);
    const records = await readTopic(kafka, topic, 1, 3000);
    expect(records.filter((r) => r.key === key)).toHaveLength(10);
    expect(fs.existsSync('/tmp/logpipe-canary')).toBe(false);
    const down = await run(process.execPath, [path.join(packageRoot(), 'dist', 'cli', 'main.js'), 'trigger', bucket, key], { ...env, LOGPIPE_CONTROL_PORT: '1' });
    expect(down.status).toBe(3);
    expect(down.stderr).toContain('not reachable at http://127.0.0.1:1/v1/ingest');
  });
});

describe('logpipe start: SIGTERM mid-object', () => {
  // Shutdown commits or drops the batch in hand, exits 0, and the next start finishes the object once.
  it('exits 0 within seconds, and a restart completes the object exactly once', async () => {
    const key = 'sigterm/LogFileGenerator.2026-11-25.log';
    const n = 150_000;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: lines(n, 'term') }));
    const termTopic = uniqueName('it-term');
    const servicePort = String(await freePort());
    const env = { ...process.env, NODE_ENV: 'test', LOGPIPE_KAFKA_TOPIC: termTopic, LOGPIPE_CONTROL_PORT: servicePort, LOGPIPE_INGEST_BATCH_MAX_RECORDS: '2000', LOGPIPE_LOG_LEVEL: 'info' };
    const bin = path.join(packageRoot(), 'dist', 'cli', 'main.js');
    // The services' logs go to a file that is printed if the test fails.
    const logFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-term-')), 'service.log');
    // `exited` gives the process 30 s from the signal (not from its start: reading the topic before
    // the signal took longer than that on a loaded CI machine, and the test failed a clean run).
    const start = (): { exited: () => Promise<number | null | 'still running'>; kill: (s: NodeJS.Signals) => void } => {
      const out = fs.openSync(logFile, 'a');
      const child: ChildProcess = spawn(process.execPath, [bin, 'start'], { env, stdio: ['ignore', out, out] });
      fs.closeSync(out);
      const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      let signalled = 0;
      return {
        exited: () => {
          const wait = Math.max(0, 30_000 - (signalled ? Date.now() - signalled : 0));
          return Promise.race([exit, new Promise<'still running'>((r) => setTimeout(() => r('still running'), wait))]).finally(() => child.kill('SIGKILL'));
        },
        kill: (s) => {
          signalled ||= Date.now();
          child.kill(s);
        },
      };
    };
    const trigger = (): Promise<true> =>
      eventually('the service to accept the request', async () => {
        const res = await fetch(`http://127.0.0.1:${servicePort}/v1/ingest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ bucket, key }) }).catch(() => undefined);
        return res?.status === 202 ? true : undefined;
      });
    try {
      const first = start();
      await trigger();
      await eventually('some committed records', async () => ((await readTopic(kafka, termTopic, 1, 200, 3000)).length > 0 ? true : undefined), 60_000);
      first.kill('SIGTERM');
      expect(await first.exited()).toBe(0);

      const second = start();
      await trigger();
      const records = await readTopic(kafka, termTopic, n, 3000, 120_000);
      second.kill('SIGTERM');
      expect(await second.exited()).toBe(0);
      expect(records.filter((r) => r.value.toString().includes(' term '))).toHaveLength(n);
      expect(new Set(records.map((r) => r.value.toString())).size).toBe(n);
    } catch (err) {
      process.stderr.write(`--- service log (${logFile}), last lines:\n${fs.readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n')}\n`);
      throw err;
    }
  }, 240_000);
});
