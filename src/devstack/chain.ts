/**
 * Dev only: the whole AWS edge on the local emulators, wired as in production:
 *
 *   PutObject (moto S3) → S3 notification → SQS queue (moto) → LocalLambdaRunner → the real Lambda
 *   handler → SSM SendCommand of the trigger document (created in moto from trigger-document.ts,
 *   the template's TriggerDocument) → LocalSsmAgent (allowedPattern checks, parameters pasted in)
 *   → `sh` → shell/trigger.sh → POST /v1/ingest of the running `logpipe start` → the actors
 *   ingest the object.
 *
 * `logpipe dev chain` runs it until Ctrl-C; the demo and the end-to-end tests start it in-process.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, HeadBucketCommand, PutBucketNotificationConfigurationCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { CreateDocumentCommand, DeleteDocumentCommand } from '@aws-sdk/client-ssm';
import { createHandler } from '../lambda/handler';
import { loadLambdaConfig } from '../lambda/config';
import { type CommandDocument, triggerDocument } from '../lambda/trigger-document';
import { createS3, createSqs, createSsm } from '../system/kafka/clients';
import type { LogpipeConfig } from '../system/config/config';
import type { Logger } from '../system/observability/logging';
import { packageRoot } from '../system/config/paths';
import { LocalLambdaRunner } from './lambda-runner';
import { LocalSsmAgent } from './ssm-agent';

/** The instance id the local Lambda targets and the local agent answers to. */
export const LOCAL_INSTANCE_ID = 'i-0123456789abcdef0';

export interface LocalChainOptions {
  bucket: string;
  /** Queue receiving the bucket's notifications; default `logpipe-s3-events-<bucket>`. */
  queueName?: string;
  instanceId?: string;
  /** trigger.sh to run; default the repository's shell/trigger.sh. */
  scriptPath?: string;
  /** The trigger document's content; default trigger-document.ts's for scriptPath (the template's TriggerDocument, which a unit test keeps equal). */
  document?: CommandDocument;
}

export interface LocalChain {
  bucket: string;
  /** The trigger document created in moto for this chain. */
  documentName: string;
  queueUrl: string;
  agent: LocalSsmAgent;
  runner: LocalLambdaRunner;
  stop(): Promise<void>;
}

export async function startLocalChain(config: LogpipeConfig, logger: Logger, options: LocalChainOptions): Promise<LocalChain> {
  if (!config.aws.endpoint) throw new Error('the local chain needs aws.endpoint to point at moto (it is dev only)');
  const { bucket } = options;
  const instanceId = options.instanceId ?? LOCAL_INSTANCE_ID;
  const s3 = createS3(config);
  const sqs = createSqs(config);
  const ssm = createSsm(config);

  const exists = await s3.send(new HeadBucketCommand({ Bucket: bucket })).then(
    () => true,
    () => false,
  );
  if (!exists) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const queueName = options.queueName ?? `logpipe-s3-events-${bucket}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 80);
  const { QueueUrl: queueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: queueName }));
  if (!queueUrl) throw new Error(`could not create the SQS queue ${queueName}`);
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  const queueArn = attrs.Attributes?.QueueArn;
  if (!queueArn) throw new Error(`SQS queue ${queueName} has no ARN`);
  await s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: bucket,
      NotificationConfiguration: { QueueConfigurations: [{ QueueArn: queueArn, Events: ['s3:ObjectCreated:*'] }] },
    }),
  );

  // The trigger document, one per chain (chains of parallel tests share moto): created afresh, so a
  // changed document is the one that runs.
  const documentName = `logpipe-trigger-${bucket}`.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 128);
  const document = options.document ?? triggerDocument(options.scriptPath ?? path.join(packageRoot(), 'shell', 'trigger.sh'), '60');
  await ssm.send(new DeleteDocumentCommand({ Name: documentName })).catch(() => undefined);
  await ssm.send(new CreateDocumentCommand({ Name: documentName, DocumentType: 'Command', DocumentFormat: 'JSON', Content: JSON.stringify(document) }));

  const lambdaConfig = loadLambdaConfig({
    LOGPIPE_TARGET_INSTANCE_IDS: instanceId,
    LOGPIPE_DOCUMENT_NAME: documentName,
    AWS_REGION: config.aws.region,
    LOGPIPE_SSM_ENDPOINT: config.aws.endpoint,
  });
  const handler = createHandler({ config: lambdaConfig, ssm, logger: logger.child({ component: 'lambda' }) });
  const runner = new LocalLambdaRunner({ sqs, queueUrl, handler, log: logger.child({ component: 'local-lambda' }) });
  // trigger.sh reads its settings from the service's env file only, as on a host.
  const envDir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-chain-env-'));
  const envFile = path.join(envDir, 'env');
  const settings: Record<string, string> = { LOGPIPE_CONTROL_PORT: String(config.control.port), LOGPIPE_CONTROL_SOCKET: config.control.socket, LOGPIPE_CONTROL_TOKEN: config.control.token };
  fs.writeFileSync(envFile, Object.entries(settings).map(([k, v]) => `${k}='${v}'\n`).join(''), { mode: 0o600 });
  const agent = new LocalSsmAgent({
    ssm,
    instanceId,
    documentName,
    log: logger.child({ component: 'local-ssm-agent' }),
    env: { LOGPIPE_ENV_FILE: envFile },
  });
  await agent.start();
  runner.start();
  logger.info('local AWS chain running', { component: 'dev', bucket, queueUrl, instanceId, document: documentName });
  return {
    bucket,
    documentName,
    queueUrl,
    agent,
    runner,
    async stop() {
      await runner.stop();
      await agent.stop();
      for (const c of [s3, sqs, ssm]) c.destroy();
      fs.rmSync(envDir, { recursive: true, force: true });
    },
  };
}
