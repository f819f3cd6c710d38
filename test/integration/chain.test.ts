/**
 * The whole AWS edge on the emulators: PutObject in moto S3 → S3 notification on SQS → the real
 * Lambda handler (local runner) → SSM SendCommand recorded by moto → the local SSM agent runs
 * shell/trigger.sh → the running service ingests. Hostile keys run nothing but the trigger.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { type LocalChain, startLocalChain } from '../../src/devstack/chain';
import { provenanceOf } from '../../src/ingest/object-ref';
import { createKafka, createS3 } from '../../src/system/kafka/clients';
import { startService, type RunningService } from '../../src/system/runtime/service';
import { eventually, quietLogger, readTopic, testConfig, uniqueName } from '../support/helpers';

const base = testConfig();
const s3 = createS3(base);
const kafka = createKafka(base, quietLogger().logger);
const bucket = uniqueName('it-chain');
const topic = uniqueName('it-chain-lines');
const canaryDir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-canary-'));
const canary = path.join(canaryDir, 'pwned');
let service: RunningService;
let chain: LocalChain;

beforeAll(async () => {
  const serviceConfig = { ...base, kafka: { ...base.kafka, topic }, control: { ...base.control, host: '127.0.0.1', port: 0 }, report: { ...base.report, enabled: false } };
  service = await startService(serviceConfig, quietLogger().logger);
  const port = Number(new URL(service.url).port);
  chain = await startLocalChain({ ...base, control: { ...base.control, port } }, quietLogger().logger, { bucket });
});

afterAll(async () => {
  await chain?.stop();
  await service?.stop();
  s3.destroy();
});

const body = (tag: string): string => `10:00:00.000 [main] ERROR app - ${tag} one\n10:00:01.000 [main] INFO app - ${tag} two\n`;

describe('the local AWS chain', () => {
  it('ingests uploaded objects under their exact keys; hostile keys run nothing but the trigger', async () => {
    const keys = [
      'logs/LogFileGenerator.2026-11-25.log',
      `logs/$(touch ${canary}).log`,
      `logs/\`touch ${canary}\`.log`,
      `logs/a; touch ${canary}; b.log`,
      `logs/it's "quoted" & | > < *.log`,
      '-rf --help.log',
      'logs/ünïcödé 日本語 🚀.log',
      'logs/plus+and%20percent.log',
      `logs/${'long-'.repeat(150)}.log`,
      // A key with a newline is valid in S3 but moto's server refuses to store it; the Lambda's
      // quoting of such keys is proven in test/integration/lambda.test.ts and its unit tests.
    ];
    for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body(key.slice(0, 20)) }));

    const records = await eventually(
      'every object on the log topic',
      async () => {
        const got = await readTopic(kafka, topic, keys.length * 2, 1000, 20_000);
        return new Set(got.map((r) => r.key)).size >= keys.length ? got : undefined;
      },
      90_000,
    );
    expect(new Set(records.map((r) => r.key))).toEqual(new Set(keys));
    expect(records).toHaveLength(keys.length * 2);
    for (const key of keys) expect(records.filter((r) => r.key === key && provenanceOf(r.headers)?.bucket === bucket)).toHaveLength(2);
    expect(fs.existsSync(canary)).toBe(false);
    // Every trigger the agent ran succeeded; each object was sent through SSM.
    expect(chain.agent.runs.length).toBeGreaterThanOrEqual(keys.length);
    expect(chain.agent.runs.every((r) => r.exitCode === 0)).toBe(true);
  });
});
