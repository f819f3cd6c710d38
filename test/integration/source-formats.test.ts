/**
 * Formats per source (issue 15, parser.sources) through the real ingest path: `logpipe ingest`
 * against moto S3 and the broker. Two applications' logs in one bucket, under different prefixes, in
 * formats and zones of their own: each object is read with its rule's format and zone (event times
 * and levels), and the format that read it is in the "object ingested" log line and the summary.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createKafka, createS3 } from '../../src/system/kafka/clients';
import { packageRoot } from '../../src/system/config/paths';
import { quietLogger, readTopic, testConfig, uniqueName } from '../support/helpers';

const config = testConfig();
const s3 = createS3(config);
const kafka = createKafka(config, quietLogger().logger);
const bin = path.join(packageRoot(), 'dist', 'cli', 'main.js');
const bucket = uniqueName('it-sources');

/** Runs the CLI; returns its exit status, its JSON log lines and the summary (the last line). */
function logpipe(args: string[], env: NodeJS.ProcessEnv): { status: number | null; stderr: string; lines: Array<Record<string, unknown>>; summary: Record<string, unknown> } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, NODE_ENV: 'test', LOGPIPE_LOG_FORMAT: 'json', LOGPIPE_LOG_LEVEL: 'info', ...env }, timeout: 120_000 });
  const lines = r.stdout
    .trim()
    .split('\n')
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  return { status: r.status, stderr: r.stderr, lines, summary: lines[lines.length - 1] ?? {} };
}

// Service A writes log4j lines in Berlin time; service B a layout of its own, read by a regex and a
// time pattern (parser.timeFormat's language), in New York time. Neither zone is written on the
// lines, and `auto` reads none of B's levels.
const A_KEY = 'svc-a/2026/app.log';
const A_TEXT = ['2026-11-26 10:00:00,250 INFO  [main] a.Boot - started', '2026-11-26 10:00:01,500 ERROR [main] a.Db - connection lost', '\tat a.Db.connect(Db.java:42)', '2026-11-26 10:00:02,750 WARN  [main] a.Db - retrying'].join('\n') + '\n';
const B_KEY = 'svc-b/host-1/events.log';
const B_TEXT = ['26/11/26 04:30:00.100|debug|polling', '26/11/26 04:30:05.200|fatal|disk full', '26/11/26 04:30:09.300|info|recovered'].join('\n') + '\n';
const RULES = [
  { match: 'svc-a/', format: 'log4j', zone: 'Europe/Berlin' },
  { match: 'svc-b/**/*.log', format: 'regex', regex: '^(?<time>[^|]+)\\|(?<level>\\w+)\\|(?<message>.*)$', timeFormat: 'yy/MM/dd HH:mm:ss.SSS', zone: 'America/New_York' },
];

beforeAll(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: A_KEY, Body: A_TEXT }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: B_KEY, Body: B_TEXT }));
});
afterAll(() => s3.destroy());

describe('parser.sources through logpipe ingest', () => {
  it('reads each object with the format, time pattern and zone of the rule its key matches, and reports the format', async () => {
    const topic = uniqueName('it-sources');
    const env = { LOGPIPE_PARSER_SOURCES: JSON.stringify(RULES) };
    const a = logpipe(['ingest', `s3://${bucket}/${A_KEY}`, '--topic', topic], env);
    expect(a.status).toBe(0);
    const b = logpipe(['ingest', `s3://${bucket}/${B_KEY}`, '--topic', topic], env);
    expect(b.status).toBe(0);

    expect(a.summary).toMatchObject({ status: 'ingested', lines: 4, records: 3, format: 'log4j' });
    expect(b.summary).toMatchObject({ status: 'ingested', lines: 3, records: 3, format: 'regex' });
    expect(a.lines.find((l) => l.message === 'object ingested')).toMatchObject({ format: 'log4j', sourceRule: 'svc-a/' });
    expect(b.lines.find((l) => l.message === 'object ingested')).toMatchObject({ format: 'regex', sourceRule: 'svc-b/**/*.log' });

    const records = await readTopic(kafka, topic, 6);
    const of = (key: string): Array<[string, number]> => records.filter((r) => r.key === key).map((r) => [r.headers.level, r.timestamp]);
    // 10:00 in Berlin (UTC+1 in November) is 09:00 UTC.
    expect(of(A_KEY)).toEqual([
      ['INFO', Date.UTC(2026, 10, 26, 9, 0, 0, 250)],
      ['ERROR', Date.UTC(2026, 10, 26, 9, 0, 1, 500)],
      ['WARN', Date.UTC(2026, 10, 26, 9, 0, 2, 750)],
    ]);
    // 04:30 in New York (UTC-5 in November) is 09:30 UTC; fatal counts as ERROR.
    expect(of(B_KEY)).toEqual([
      ['DEBUG', Date.UTC(2026, 10, 26, 9, 30, 0, 100)],
      ['ERROR', Date.UTC(2026, 10, 26, 9, 30, 5, 200)],
      ['INFO', Date.UTC(2026, 10, 26, 9, 30, 9, 300)],
    ]);
  });

  // `logpipe ingest PATH`: rules see the absolute path (the identity of a file object), not the path as typed.
  it('a local file is matched by its absolute path', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-sources-'));
    const file = path.join(dir, 'svc-b', 'host-2', 'events.log');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, B_TEXT);
    const topic = uniqueName('it-sources-file');
    const r = logpipe(['ingest', file, '--topic', topic], { LOGPIPE_PARSER_SOURCES: JSON.stringify([{ ...RULES[1], match: '**/svc-b/**/*.log' }]) });
    expect(r.status).toBe(0);
    expect(r.summary).toMatchObject({ status: 'ingested', records: 3, format: 'regex' });
    const records = await readTopic(kafka, topic, 3);
    expect(records.map((x) => [x.headers.level, x.timestamp])).toEqual([
      ['DEBUG', Date.UTC(2026, 10, 26, 9, 30, 0, 100)],
      ['ERROR', Date.UTC(2026, 10, 26, 9, 30, 5, 200)],
      ['INFO', Date.UTC(2026, 10, 26, 9, 30, 9, 300)],
    ]);
  });

  it('a bad rule stops the command before anything is read, naming the rule and field', () => {
    const r = logpipe(['ingest', `s3://${bucket}/${A_KEY}`, '--topic', uniqueName('it-sources-bad')], { LOGPIPE_PARSER_SOURCES: JSON.stringify([{ match: 'svc-a/', zone: 'Mars/Olympus' }]) });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('"parser.sources[0].zone": "Mars/Olympus" (from env LOGPIPE_PARSER_SOURCES); unknown time zone "Mars/Olympus"');
  });
});
