/**
 * Fault suite R3: S3 becomes unreachable mid-fetch. moto keeps its objects in memory, so a restart
 * would lose the object; the outage is injected in front of it instead: a TCP proxy between the
 * service and moto that drops every connection and refuses new ones for 15 s. The fetch retries with
 * backoff and resumes with a Range request; the object's lines are on the log topic exactly once.
 */
import net from 'node:net';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createKafka, createS3 } from '../../src/system/kafka/clients';
import { eventually, freePort, quietLogger, readTopic, testConfig, topicOffsets, uniqueName } from '../integration/helpers';
import { recordScenario } from './reliability';
import { startServiceProcess, type ServiceProcess } from './service';

jest.setTimeout(600_000);

const config = testConfig();
const s3 = createS3(config);
const kafka = createKafka(config, quietLogger().logger);
const bucket = uniqueName('faults-r3');
const topic = uniqueName('faults-r3-lines');
const motoPort = Number(new URL(config.aws.endpoint).port);

/** A TCP proxy to moto that can be cut: cut() destroys every connection and refuses new ones until heal(). */
class CuttableProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  connections = 0;
  constructor(readonly port: number) {}

  async open(): Promise<void> {
    this.server = net.createServer((client) => {
      this.connections++;
      const upstream = net.connect(motoPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', () => r()));
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  }
}

let service: ServiceProcess | undefined;
let proxy: CuttableProxy | undefined;
afterAll(async () => {
  await service?.stop();
  await proxy?.cut();
  s3.destroy();
});

describe('R3 S3 outage mid-fetch', () => {
  it('retries, resumes by Range, and commits every line exactly once', async () => {
    const n = 400_000;
    const text = Array.from({ length: n }, (_, i) => `10:${String(Math.floor(i / 10_000) % 60).padStart(2, '0')}:00.000 [main] INFO app.S3 - line ${i} ${'p'.repeat(60)}`).join('\n') + '\n';
    const key = 'outage/LogFileGenerator.2026-11-25.log';
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: text }));
    proxy = new CuttableProxy(await freePort());
    await proxy.open();
    service = await startServiceProcess({
      LOGPIPE_KAFKA_TOPIC: topic,
      LOGPIPE_REPORT_ENABLED: 'false',
      LOGPIPE_AWS_ENDPOINT: `http://127.0.0.1:${proxy.port}`,
      LOGPIPE_INGEST_BATCH_MAX_RECORDS: '5000',
      LOGPIPE_LOG_LEVEL: 'info',
    });
    expect(await service.trigger(bucket, key)).toBe(202);
    // Cut once some batches are committed, well before the end.
    await eventually('some committed batches', async () => ((await topicOffsets(kafka, topic)) >= 20_000 ? true : undefined), 120_000);
    await proxy.cut();
    await new Promise((r) => setTimeout(r, 15_000));
    await proxy.open();
    const records = await readTopic(kafka, topic, n, 3000, 300_000);
    expect(records).toHaveLength(n);
    expect(new Set(records.map((r) => r.value.toString())).size).toBe(n);
    expect(records.map((r) => r.value.toString())).toEqual(text.trimEnd().split('\n'));
    expect(service.child.exitCode).toBeNull();
    const resumed = /resum|Range|retry/i.test(service.log());
    recordScenario({
      id: 'R3',
      scenario: 'S3 unreachable mid-fetch (400,000-line object)',
      injected: 'every connection to moto dropped and new ones refused for 15 s (TCP proxy), once 20,000 lines were committed',
      checked: 'the log topic (read_committed) holds every line exactly once, in order; the service kept running',
      result: `pass${resumed ? ' (retried and resumed)' : ''}`,
    });
  });
});
