/**
 * kafka.topicProfile msk-serverless on the real broker, configured like MSK Serverless: topics carry
 * no message.timestamp setting (so the broker's default applies, Kafka 4: at most 1 h ahead) and
 * max.message.bytes is at most 8 MiB. Ingest + report end to end with lines dated far ahead and
 * long ago, the size bounds, and what the standard profile does on such a topic.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Admin, ConfigResourceTypes } from 'kafkajs';
import type { ReportDocument } from '../../src/report/render';
import { createKafka } from '../../src/system/kafka/clients';
import { packageRoot } from '../../src/system/config/paths';
import { MSK_SERVERLESS_MAX_MESSAGE_BYTES } from '../../src/system/config/topic-settings';
import { quietLogger, readTopic, testConfig, uniqueName } from '../support/helpers';

const bin = path.join(packageRoot(), 'dist', 'cli', 'main.js');
const config = testConfig();
const kafka = createKafka(config, quietLogger().logger);
const DAY = 86_400_000;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  const child: ChildProcess = spawn(process.execPath, [bin, ...args], { env: { ...process.env, NODE_ENV: 'test', LOGPIPE_LOG_FORMAT: 'json', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.once('exit', (status) => resolve({ status, stdout, stderr })));
}

/** Every topic of one test under a name of its own, with the profile. */
function profileEnv(profile: string, over: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv & { LOGPIPE_KAFKA_TOPIC: string } {
  const base = uniqueName('it-profile');
  return {
    LOGPIPE_KAFKA_TOPIC_PROFILE: profile,
    LOGPIPE_KAFKA_TOPIC: `${base}.lines`,
    LOGPIPE_KAFKA_TOPIC_PARTITIONS: '2',
    LOGPIPE_KAFKA_PROGRESS_TOPIC: `${base}.progress`,
    LOGPIPE_KAFKA_DEAD_LETTER_TOPIC: `${base}.dead`,
    LOGPIPE_REPORT_TOPIC: `${base}.reports`,
    LOGPIPE_REPORT_PARTIALS_TOPIC: `${base}.partials`,
    LOGPIPE_REPORT_STATE_TOPIC: `${base}.state`,
    LOGPIPE_REPORT_GROUP_ID: `${base}-g`,
    LOGPIPE_REPORT_IDLE_CLOSE_MS: '1500',
    LOGPIPE_REPORT_EMAIL_TRANSPORT: 'file',
    LOGPIPE_LOG_LEVEL: 'info',
    ...over,
  };
}

/** A log file named for `dayMs` (its lines' date) and modified at `mtimeMs`. */
function logFile(dir: string, dayMs: number, lines: string[], mtimeMs = Date.now()): string {
  const file = path.join(dir, `LogFileGenerator.${new Date(dayMs).toISOString().slice(0, 10)}.log`);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  fs.utimesSync(file, new Date(mtimeMs), new Date(mtimeMs));
  return file;
}

async function withAdmin<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** A topic's settings as the broker reports them: name → [value, isDefault]. */
async function topicSettings(topic: string): Promise<Map<string, [string, boolean]>> {
  const { resources } = await withAdmin((admin) => admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }] }));
  return new Map(resources[0].configEntries.map((e) => [e.configName, [e.configValue, e.isDefault] as [string, boolean]]));
}

describe('kafka.topicProfile msk-serverless', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-profile-'));
  });

  it('ingest + report end to end: topics with only Serverless settings, lines dated 2 days ahead and in 2020 counted in their own windows', async () => {
    const env = profileEnv('msk-serverless', { LOGPIPE_REPORT_DIR: path.join(dir, 'reports'), LOGPIPE_REPORT_OUTBOX_DIR: path.join(dir, 'outbox'), LOGPIPE_REPORT_FUTURE_SKEW_MS: String(7 * DAY) });
    const topic = env.LOGPIPE_KAFKA_TOPIC;
    const old = Date.UTC(2020, 0, 1);
    const ahead = Math.floor((Date.now() + 2 * DAY) / DAY) * DAY;
    const oldFile = logFile(dir, old, ['10:00:00.000 [main] ERROR app.Db - old failure', '10:00:30.000 [main] INFO app.Db - old info', '10:01:10.000 [main] WARN app.Db - old warning'], old + DAY);
    // A host whose clock is two days ahead: its file is dated and modified then.
    const aheadFile = logFile(dir, ahead, ['12:00:00.000 [main] ERROR app.Api - from the future', '12:00:05.000 [main] ERROR app.Api - from the future'], ahead + DAY);
    const before = Date.now();
    for (const file of [oldFile, aheadFile]) {
      const r = await run(['ingest', file, '--topic', topic], env);
      expect({ status: r.status, stderr: r.stderr.slice(-2000) }).toEqual({ status: 0, stderr: expect.any(String) });
    }
    const after = Date.now();

    // The topics carry only settings Serverless accepts: no message.timestamp override, max.message.bytes <= 8 MiB.
    const lines = await topicSettings(topic);
    expect(lines.get('message.timestamp.after.max.ms')).toEqual(['3600000', true]);
    expect(lines.get('message.timestamp.before.max.ms')?.[1]).toBe(true);
    expect(Number(lines.get('max.message.bytes')?.[0])).toBeLessThanOrEqual(MSK_SERVERLESS_MAX_MESSAGE_BYTES);

    // Record timestamp = ingest time (accepted by the 1 h limit); event time in the `time` header.
    const records = await readTopic(kafka, topic, 5);
    expect(records).toHaveLength(5);
    for (const r of records) {
      expect(r.timestamp).toBeGreaterThanOrEqual(before - 1000);
      expect(r.timestamp).toBeLessThanOrEqual(after + 1000);
    }
    expect(records.map((r) => Number(r.headers.time)).sort((a, b) => a - b)).toEqual([
      old + 10 * 3_600_000,
      old + 10 * 3_600_000 + 30_000,
      old + 10 * 3_600_000 + 70_000,
      ahead + 12 * 3_600_000,
      ahead + 12 * 3_600_000 + 5_000,
    ]);

    const report = await run(['report', '--exit-when-idle', '--topic', topic], env);
    expect({ status: report.status, stderr: report.stderr.slice(-2000) }).toEqual({ status: 0, stderr: expect.any(String) });
    const reports = report.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as ReportDocument).sort((a, b) => a.startMs - b.startMs);
    // Windows by event time, not by the ingest time of the record timestamps.
    expect(reports.map((r) => [r.startMs, r.counts.ERROR, r.counts.INFO, r.counts.WARN, r.total])).toEqual([
      [old + 10 * 3_600_000, 1, 1, 0, 2],
      [old + 10 * 3_600_000 + 60_000, 0, 0, 1, 1],
      [ahead + 12 * 3_600_000, 2, 0, 0, 2],
    ]);
    for (const t of [env.LOGPIPE_REPORT_PARTIALS_TOPIC!, env.LOGPIPE_REPORT_STATE_TOPIC!]) {
      expect((await topicSettings(t)).get('max.message.bytes')?.[0]).toBe(String(MSK_SERVERLESS_MAX_MESSAGE_BYTES));
    }
  });

  // Without the profile the record timestamp is the event time, which such a topic refuses:
  // the broker says INVALID_TIMESTAMP, and logpipe refuses to start rather than lose the batch.
  it('standard profile on a topic created with Serverless settings: the broker refuses a line 2 h ahead; logpipe refuses to start and names the fix', async () => {
    const env = profileEnv('standard');
    const topic = env.LOGPIPE_KAFKA_TOPIC;
    await withAdmin((admin) => admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: String(MSK_SERVERLESS_MAX_MESSAGE_BYTES) }] }], waitForLeaders: true }));
    const producer = kafka.producer();
    await producer.connect();
    try {
      await expect(producer.send({ topic, messages: [{ value: 'x', timestamp: String(Date.now() + 2 * 3_600_000) }] })).rejects.toMatchObject({ type: 'INVALID_TIMESTAMP' });
      // What the profile writes instead: the ingest time, the event time in a header.
      await producer.send({ topic, messages: [{ value: 'x', headers: { time: String(Date.now() + 2 * 3_600_000) } }] });
    } finally {
      await producer.disconnect();
    }
    const file = logFile(dir, Date.UTC(2026, 0, 1), ['10:00:00.000 [main] INFO a.B - hello']);
    const refused = await run(['ingest', file, '--topic', topic], env);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain(`topic "${topic}" refuses record timestamps beyond message.timestamp.after.max.ms=3600000`);
    expect(refused.stderr).toContain('set kafka.topicProfile to msk-serverless');
    const accepted = await run(['ingest', file, '--topic', topic], { ...env, LOGPIPE_KAFKA_TOPIC_PROFILE: 'msk-serverless' });
    expect({ status: accepted.status, stderr: accepted.stderr.slice(-2000) }).toEqual({ status: 0, stderr: expect.any(String) });
  });

  it('splits a batch larger than the topic allows into requests that fit; refuses sizes that cannot fit, naming the key', async () => {
    // One batch of 15 MB (1,500 lines of 10 kB): in requests of 1,000 records it would be a 10 MB record batch, over 8 MiB.
    const env = profileEnv('msk-serverless', { LOGPIPE_INGEST_BATCH_MAX_BYTES: String(64 << 20), LOGPIPE_INGEST_BATCH_MAX_RECORDS: '100000' });
    const topic = env.LOGPIPE_KAFKA_TOPIC;
    const lines = Array.from({ length: 1500 }, (_, i) => `10:00:${String(i % 60).padStart(2, '0')}.000 [main] INFO a.B - ${String(i).padStart(5, '0')} ${'x'.repeat(10_000)}`);
    const file = logFile(dir, Date.UTC(2026, 0, 1), lines);
    const r = await run(['ingest', file, '--topic', topic], env);
    expect({ status: r.status, stderr: r.stderr.slice(-2000) }).toEqual({ status: 0, stderr: expect.any(String) });
    expect(Number((await topicSettings(topic)).get('max.message.bytes')?.[0])).toBe(MSK_SERVERLESS_MAX_MESSAGE_BYTES);
    const records = await readTopic(kafka, topic, 1500);
    expect(records).toHaveLength(1500);
    expect(new Set(records.map((x) => x.headers.line)).size).toBe(1500);

    const tooBig = await run(['ingest', file, '--topic', topic], { ...env, LOGPIPE_PARSER_MAX_ENTRY_BYTES: String(8 << 20) });
    expect(tooBig.status).not.toBe(0);
    expect(tooBig.stderr).toContain('invalid configuration value for "parser.maxEntryBytes": 8388608');

    // A state topic created by hand with the broker's 1 MiB default cannot hold the report windows.
    const state = env.LOGPIPE_REPORT_STATE_TOPIC!;
    await withAdmin((admin) => admin.createTopics({ topics: [{ topic: state, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }], waitForLeaders: true }));
    const report = await run(['report', '--exit-when-idle', '--topic', topic], { ...env, LOGPIPE_REPORT_DIR: path.join(dir, 'reports') });
    expect(report.status).not.toBe(0);
    expect(report.stderr).toMatch(new RegExp(`topic "${state.replace(/\./g, '\\.')}" has max\\.message\\.bytes 1048588: .*lower report\\.maxErrorMessages to at most \\d+`));
  });
});
