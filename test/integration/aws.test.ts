import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommandInvocationCommand, ListCommandsCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import { createS3, createSqs, createSsm } from '../../src/system/kafka/clients';
import { testConfig, uniqueName } from '../support/helpers';

const config = testConfig();
const s3 = createS3(config);
const sqs = createSqs(config);
const ssm = createSsm(config);

afterAll(() => {
  s3.destroy();
  sqs.destroy();
  ssm.destroy();
});

describe('moto S3', () => {
  it('puts, gets and lists an object', async () => {
    const bucket = uniqueName('it-s3');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const body = '06:00:00.001 [main] ERROR x - ünïcode\n';
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'logs/a.log', Body: body }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'logs/b.log', Body: 'b' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'logs/a.log' }));
    expect(await got.Body?.transformToString('utf8')).toBe(body);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'logs/' }));
    expect(listed.Contents?.map((o) => [o.Key, o.Size])).toEqual([
      ['logs/a.log', Buffer.byteLength(body)],
      ['logs/b.log', 1],
    ]);
  });
});

describe('moto S3 event notifications to SQS', () => {
  it('a PutObject delivers an ObjectCreated event whose encoded key decodes to the original', async () => {
    const bucket = uniqueName('it-events');
    const queueName = uniqueName('it-events');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: queueName }));
    const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: bucket,
        NotificationConfiguration: { QueueConfigurations: [{ QueueArn: attrs.Attributes?.QueueArn, Events: ['s3:ObjectCreated:*'] }] },
      }),
    );
    const key = 'logs/host a/LogFileGenerator.2026-11-26+ü.log';
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' }));

    const records: Array<{ eventName: string; s3: { bucket: { name: string }; object: { key: string } } }> = [];
    const deadline = Date.now() + 30_000;
    while (records.length === 0 && Date.now() < deadline) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      for (const m of Messages) {
        const body = JSON.parse(m.Body ?? '{}') as { Event?: string; Records?: typeof records };
        // Setting the configuration sends a test event without Records; it is not an object.
        if (body.Event === 's3:TestEvent') expect(body.Records).toBeUndefined();
        else records.push(...(body.Records ?? []));
        await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle }));
      }
    }
    expect(records).toHaveLength(1);
    expect(records[0].eventName).toMatch(/^ObjectCreated:/);
    expect(records[0].s3.bucket.name).toBe(bucket);
    // S3 encodes keys in events: '+' stands for a space, the rest is percent-encoded.
    expect(decodeURIComponent(records[0].s3.object.key.replace(/\+/g, ' '))).toBe(key);
  });
});

describe('moto SSM', () => {
  it('records an AWS-RunShellScript SendCommand, readable with ListCommands and GetCommandInvocation', async () => {
    const instance = `i-${uniqueName('it').replace(/[^a-z0-9]/g, '')}`;
    const commands = ["/opt/logpipe/shell/trigger.sh 'bucket' 'key with space'"];
    const sent = await ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [instance], Parameters: { commands } }));
    const id = sent.Command?.CommandId;
    expect(id).toEqual(expect.any(String));
    const listed = await ssm.send(new ListCommandsCommand({ CommandId: id }));
    expect(listed.Commands).toHaveLength(1);
    expect(listed.Commands?.[0]).toMatchObject({ DocumentName: 'AWS-RunShellScript', InstanceIds: [instance], Parameters: { commands } });
    const invocation = await ssm.send(new GetCommandInvocationCommand({ CommandId: id, InstanceId: instance }));
    expect(invocation.Status).toBe('Success');
  });
});
