/**
 * `logpipe demo`: the whole pipeline on the local stack, in one process tree. Three simulated hosts
 * write log lines in real time and upload what they wrote every few seconds (the original's cron
 * cycle, 20 minutes, shortened); each upload travels the local AWS chain (S3 notification → SQS →
 * Lambda → SSM → trigger.sh) to the service, whose actors ingest it; the report stage closes 60 s
 * windows and emails alerts to the SES emulator. Windows and emails are printed as they happen.
 *
 * Each run uses a log topic and recipient of its own, so earlier runs do not show up in its counts.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Kafka } from 'kafkajs';
import { startLocalChain } from '../devstack/chain';
import { up } from '../devstack/stack';
import { ensureIngestTopics } from '../ingest/topics';
import type { ReportDocument } from '../report/render';
import { createKafka, createS3 } from '../system/kafka/clients';
import type { LogpipeConfig } from '../system/config/config';
import type { Logger } from '../system/observability/logging';
import { startService } from '../system/runtime/service';
import { SimulatedHost } from './hosts';

export interface DemoOptions {
  /** Stop by itself after this many seconds (then wait for the last windows); undefined: until stop(). */
  durationSeconds?: number;
  hosts: number;
  /** Seconds between two uploads of a host. */
  cycleSeconds: number;
  /** Where the demo's own lines go (stdout). */
  print: (line: string) => void;
  /** The file the service's logs go to, named in the demo's banner. */
  logFile?: string;
  /** Resolves when the user asks to stop (Ctrl-C). */
  interrupted: Promise<void>;
}

export interface DemoSummary {
  topic: string;
  bucket: string;
  seconds: number;
  linesGenerated: number;
  errorsGenerated: number;
  objectsUploaded: number;
  windows: number;
  alerts: number;
  emails: number;
  reportsDir: string;
  inbox: string;
}

const BUCKET = 'logpipe-demo';

/** One upload cycle plus 10 s for the chain and the report stage's tick. */
const slack = (cycleSeconds: number): number => (cycleSeconds + 10) * 1000;

export async function runDemo(base: LogpipeConfig, logger: Logger, o: DemoOptions): Promise<DemoSummary> {
  const started = Date.now();
  const run = new Date(started).toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const topic = `logpipe.demo-${run}`;
  const recipient = `demo-${run}@example.com`;
  const config: LogpipeConfig = {
    ...base,
    kafka: { ...base.kafka, topic },
    // Lines reach the report stage one upload at a time: an object's lines can be one upload cycle
    // plus the chain's latency older than the newest line already read, and a partition is quiet
    // for a whole cycle between uploads. Both the watermark's lag and the idle close must exceed
    // that, or lines would count as late (docs/report.md, "Choosing the lateness and idle close").
    report: { ...base.report, emailTo: [recipient], allowedLatenessMs: slack(o.cycleSeconds), idleCloseMs: slack(o.cycleSeconds) },
  };
  const inbox = `${config.ses.endpoint}/`;
  o.print('Starting the local stack (Kafka, moto, SES emulator) ...');
  await up(config, (m) => logger.debug(m));
  const kafka = createKafka(config, logger, { clientIdSuffix: '-demo' });
  await createLogTopic(kafka, config, logger);
  o.print(`Starting logpipe (control server ${config.control.host}:${config.control.port}) and the local AWS chain ...`);
  const service = await startService(config, logger);
  let chain: Awaited<ReturnType<typeof startLocalChain>> | undefined;
  const s3 = createS3(config);
  const summary: DemoSummary = { topic, bucket: BUCKET, seconds: 0, linesGenerated: 0, errorsGenerated: 0, objectsUploaded: 0, windows: 0, alerts: 0, emails: 0, reportsDir: config.report.dir, inbox };
  const watchers: Array<() => Promise<void>> = [];
  try {
    chain = await startLocalChain(config, logger, { bucket: BUCKET });
    o.print('');
    o.print(`  uploads      s3://${BUCKET}/host-N/...  (moto, ${config.aws.endpoint})`);
    o.print(`  log topic    ${topic}`);
    o.print(`  reports      ${config.report.dir}/  and topic ${config.report.topic}`);
    o.print(`  emails       ${inbox}  (SES emulator inbox; to ${recipient})`);
    o.print(`  dashboard    ${service.url}/  (live windows, alerts, objects)`);
    o.print(`  metrics      ${service.url}/metrics  (Prometheus)   health ${service.url}/readyz`);
    if (o.logFile) o.print(`  service log  ${o.logFile}  (JSON lines; warnings and errors also shown here)`);
    o.print(`  ${o.hosts} hosts write lines in real time and upload every ${o.cycleSeconds} s; windows are ${config.report.windowSizeMs / 1000} s,`);
    o.print(`  closed ${config.report.allowedLatenessMs / 1000} s after their end (one upload cycle plus the chain's latency).`);
    o.print(o.durationSeconds ? `  Running for ${o.durationSeconds} s (Ctrl-C stops earlier).` : '  Ctrl-C stops.');
    o.print('');

    watchers.push(await watchReports(kafka, config, topic, (doc) => {
      summary.windows++;
      if (doc.alert.alert) summary.alerts++;
      const t = (ms: number): string => new Date(ms).toISOString().slice(11, 19);
      o.print(`window ${t(doc.startMs)}–${t(doc.endMs)}  ${doc.total} entries  ERROR ${doc.counts.ERROR}  WARN ${doc.counts.WARN}  INFO ${doc.counts.INFO}  DEBUG ${doc.counts.DEBUG}${doc.late ? `  late ${doc.late}` : ''}  ${doc.alert.alert ? '→ ALERT' : ''}`);
    }));
    watchers.push(watchInbox(config.ses.endpoint, recipient, (subject) => {
      summary.emails++;
      o.print(`email  "${subject}"  (${inbox})`);
    }));

    const hosts = Array.from({ length: o.hosts }, (_, i) => new SimulatedHost(i, Date.now(), { seed: started % 100_000 + i }));
    const deadline = o.durationSeconds ? started + o.durationSeconds * 1000 : Infinity;
    let stopping = false;
    void o.interrupted.then(() => (stopping = true));
    let nextUpload = Date.now() + o.cycleSeconds * 1000;
    const upload = async (): Promise<void> => {
      for (const host of hosts) {
        host.advance(Date.now());
        const cut = host.cut();
        if (!cut) continue;
        await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: cut.key, Body: cut.text }));
        summary.objectsUploaded++;
        summary.linesGenerated += cut.lines;
        summary.errorsGenerated += cut.errors;
        logger.info('uploaded', { component: 'demo', key: cut.key, lines: cut.lines });
      }
    };
    while (!stopping && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      for (const host of hosts) host.advance(Date.now());
      if (Date.now() >= nextUpload) {
        await upload();
        nextUpload += o.cycleSeconds * 1000;
      }
    }
    await upload();
    if (!stopping) {
      // The last uploads still travel the chain; their windows close once the report stage has been
      // idle for report.idleCloseMs. Wait for that (bounded), then summarise.
      o.print('Uploads stopped; waiting for the last windows to close ...');
      const until = Date.now() + 60_000;
      let lastChange = Date.now();
      let seen = summary.windows + summary.emails;
      while (!stopping && Date.now() < until && Date.now() - lastChange < config.report.idleCloseMs + 15_000) {
        await new Promise((r) => setTimeout(r, 500));
        if (summary.windows + summary.emails !== seen) {
          seen = summary.windows + summary.emails;
          lastChange = Date.now();
        }
      }
    }
  } finally {
    for (const stop of watchers) await stop().catch(() => undefined);
    await chain?.stop().catch(() => undefined);
    await service.stop();
    s3.destroy();
  }
  summary.seconds = Math.round((Date.now() - started) / 1000);
  return summary;
}

/**
 * Creates this run's log topic (and the ingest topics) before the service starts. The report stage
 * reads the log topic's partition count as it starts and, the broker not creating topics on demand,
 * fails while the topic is missing; the ingest publisher creates it in the background as it connects,
 * so without this the report stage raced it and logged "report stage could not start; retrying".
 */
export async function createLogTopic(kafka: Kafka, config: LogpipeConfig, logger: Logger): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureIngestTopics(admin, config, config.kafka.topic, logger);
  } finally {
    await admin.disconnect();
  }
}

/** Prints the report topic's records of `topic` as they are committed. */
async function watchReports(kafka: Kafka, config: LogpipeConfig, topic: string, onReport: (doc: ReportDocument) => void): Promise<() => Promise<void>> {
  const consumer = kafka.consumer({ groupId: `logpipe-demo-watch-${Date.now()}`, readUncommitted: false, maxWaitTimeInMs: 250 });
  await consumer.connect();
  await consumer.subscribe({ topic: config.report.topic, fromBeginning: false });
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (message.headers?.topic?.toString() !== topic || !message.value) return;
      onReport(JSON.parse(message.value.toString()) as ReportDocument);
    },
  });
  return () => consumer.disconnect();
}

/** Polls the SES emulator's store for emails to `recipient`, calling `onEmail` once per new one. */
function watchInbox(endpoint: string, recipient: string, onEmail: (subject: string) => void): () => Promise<void> {
  let seen = 0;
  let stopped = false;
  const poll = async (): Promise<void> => {
    while (!stopped) {
      try {
        const res = await fetch(`${endpoint}/store`);
        const { emails } = (await res.json()) as { emails: Array<{ subject: string; destination: { to: string[] } }> };
        const mine = emails.filter((e) => e.destination.to.some((t) => t.includes(recipient)));
        for (const e of mine.slice(seen)) onEmail(e.subject);
        seen = Math.max(seen, mine.length);
      } catch {
        // The emulator may be restarting; try again.
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
  const loop = poll();
  return async () => {
    stopped = true;
    await loop;
  };
}
