/**
 * Issue 17 item 3, second part: is the report stage CPU-bound next to N forked ingest workers?
 * One `logpipe start` (report stage on, in the service process) with ingest.workers = N (the
 * machine's cores) ingests N objects; measured: the ingest span (first POST /v1/ingest to the last
 * "object ingested"), the CPU seconds of the service process (the report stage, the watcher, the
 * control API) and of the workers over that span, the report stage's consumer lag when ingest ends
 * and how long it then takes to reach 0 (GET /metrics, logpipe_report_consumer_lag_records), and
 * the same ingest with the report stage off, interleaved per round.
 *
 *   npx ts-node --transpile-only bench/report-beside-workers.ts --file <log file> [--rounds 2]
 * (the local stack running; the file is uploaded N times under different keys).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { Kafka, logLevel } from 'kafkajs';
import { loadConfig } from '../src/system/config/config';
import { createS3 } from '../src/system/kafka/clients';
import { packageRoot } from '../src/system/config/paths';
import { createBucket } from '../test/support/aws';
import { eventually, freePort, metricValue } from '../test/support/helpers';
import { createLogTopics, deleteBucket, deleteTopics } from './lib/stack';

const argv = process.argv.slice(2);
const arg = (name: string, dflt?: string): string => {
  const i = argv.indexOf(name);
  if (i >= 0 && argv[i + 1] !== undefined) return argv[i + 1]!;
  if (dflt === undefined) throw new Error(`${name} is required`);
  return dflt;
};
const file = arg('--file');
const rounds = Number(arg('--rounds', '2'));
const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n').length;

const cpuOf = (pid: number): number => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
};
const childrenOf = (pid: number): number[] => fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);

async function main(): Promise<void> {
  const config = loadConfig().config;
  const cores = os.availableParallelism();
  const id = `rbw-${Date.now().toString(36)}`;
  const s3 = createS3(config);
  const kafka = new Kafka({ clientId: id, brokers: config.kafka.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const bucket = `${id}-data`;
  await createBucket(s3, bucket);
  const body = fs.readFileSync(file);
  const keys = Array.from({ length: cores }, (_, i) => `rbw/obj-${i}/LogFileGenerator.2026-01-01.log`);
  for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const cli = [process.execPath, path.join(packageRoot(), 'dist', 'cli', 'main.js')];
  const out: unknown[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const report of [true, false]) {
      const topic = `${id}-r${round}-${report ? 'report' : 'plain'}`;
      await createLogTopics(admin, config, [topic]);
      const port = await freePort();
      const logFile = path.join(os.tmpdir(), `${topic}.log`);
      const fd = fs.openSync(logFile, 'w');
      const child = spawn(cli[0]!, [...cli.slice(1), 'start'], {
        env: {
          ...process.env, LOGPIPE_LOG_FORMAT: 'json', LOGPIPE_LOG_LEVEL: 'info', LOGPIPE_CONTROL_PORT: String(port), LOGPIPE_KAFKA_TOPIC: topic,
          LOGPIPE_INGEST_WORKER_MODE: 'forked', LOGPIPE_INGEST_WORKERS: String(cores), LOGPIPE_REPORT_ENABLED: String(report),
          LOGPIPE_REPORT_GROUP_ID: `${topic}-group`, LOGPIPE_REPORT_DIR: path.join(os.tmpdir(), `${topic}-reports`), LOGPIPE_REPORT_EMAIL_TRANSPORT: 'file',
          LOGPIPE_REPORT_OUTBOX_DIR: path.join(os.tmpdir(), `${topic}-outbox`), LOGPIPE_REPORT_IDLE_CLOSE_MS: '1000',
        },
        stdio: ['ignore', fd, fd],
      });
      fs.closeSync(fd);
      const pid = child.pid!;
      const exited = new Promise((r) => child.once('exit', r));
      try {
        await eventually('ready', async () => ((await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200 ? true : undefined), 60_000, 100);
        await eventually('workers', async () => (childrenOf(pid).length >= cores ? true : undefined), 60_000, 100);
        // The report stage has its partitions before the clock starts.
        if (report) await eventually('partitions', async () => (fs.readFileSync(logFile, 'utf8').includes('log-topic partitions assigned') ? true : undefined), 60_000, 100);
        const workers = childrenOf(pid);
        const cpu0 = { service: cpuOf(pid), workers: workers.reduce((a, w) => a + cpuOf(w), 0) };
        const t0 = Date.now();
        for (const key of keys) await fetch(`http://127.0.0.1:${port}/v1/ingest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ bucket, key }) });
        const ingested = (): number => fs.readFileSync(logFile, 'utf8').split('\n').filter((l) => l.includes('"message":"object ingested"')).length;
        let maxLag = 0;
        await eventually('ingested', async () => {
          if (report) {
            const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
            const lag = text.split('\n').filter((l) => l.startsWith('logpipe_report_consumer_lag_records{')).reduce((a, l) => a + Number(l.split(' ').pop()), 0);
            maxLag = Math.max(maxLag, lag);
          }
          return ingested() >= keys.length ? true : undefined;
        }, 600_000, 100);
        const t1 = Date.now();
        const cpu1 = { service: cpuOf(pid), workers: workers.reduce((a, w) => a + cpuOf(w), 0) };
        let lagAtEnd: number | undefined;
        let caughtUpSeconds: number | undefined;
        if (report) {
          const lagNow = async (): Promise<number> => {
            const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
            return text.split('\n').filter((l) => l.startsWith('logpipe_report_consumer_lag_records{')).reduce((a, l) => a + Number(l.split(' ').pop()), 0);
          };
          lagAtEnd = await lagNow();
          await eventually('lag 0', async () => ((await lagNow()) === 0 ? true : undefined), 600_000, 100);
          caughtUpSeconds = (Date.now() - t1) / 1000;
          void metricValue;
        }
        const seconds = (t1 - t0) / 1000;
        const row = {
          round, report, cores, objects: keys.length, lines: keys.length * lines, seconds, linesPerSecond: (keys.length * lines) / seconds,
          serviceCpuSeconds: cpu1.service - cpu0.service, workersCpuSeconds: cpu1.workers - cpu0.workers,
          serviceCoreShare: (cpu1.service - cpu0.service) / seconds, maxLagDuringIngest: report ? maxLag : undefined, lagAtEnd, caughtUpSeconds, load1: os.loadavg()[0],
        };
        out.push(row);
        process.stdout.write(`${JSON.stringify(row)}\n`);
      } finally {
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
        await deleteTopics(admin, [topic]).catch(() => undefined);
      }
    }
  }
  await deleteBucket(s3, bucket).catch(() => undefined);
  await admin.disconnect();
  s3.destroy();
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
