/** Buckets and queues on the local stack (moto), for the fault scenarios and the benchmark. */
import { CreateBucketCommand, PutBucketNotificationConfigurationCommand, PutBucketVersioningCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

/**
 * Creates `bucket` (with `versioned`, versioning on); with `sqs`, also a queue of the same name
 * that receives its ObjectCreated notifications (moto sends one test event first, which the service
 * skips). Returns the queue URL.
 */
export async function createBucket(s3: S3Client, bucket: string, o: { versioned?: boolean; sqs?: SQSClient } = {}): Promise<string | undefined> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  if (o.versioned) await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  return o.sqs ? notifyQueue(s3, o.sqs, bucket, bucket) : undefined;
}

/** Creates the SQS queue `queueName` and has `bucket` send it its ObjectCreated notifications; returns the queue URL. */
export async function notifyQueue(s3: S3Client, sqs: SQSClient, bucket: string, queueName: string): Promise<string> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: queueName }));
  if (!QueueUrl) throw new Error(`could not create the SQS queue ${queueName}`);
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
  if (!arn) throw new Error(`SQS queue ${queueName} has no ARN`);
  await s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: { QueueConfigurations: [{ QueueArn: arn, Events: ['s3:ObjectCreated:*'] }] } }));
  return QueueUrl;
}
