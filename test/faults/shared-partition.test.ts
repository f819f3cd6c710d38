/**
 * Fault suite R1b: two objects share a log-topic partition. `logpipe start` ingests two hosts' logs
 * at once whose S3 keys (the record key) hash to the same partition of the log topic, 20 minutes of
 * event time apart: the partition holds them interleaved batch by batch. The report stage must count
 * each window whole: every window reported once with the generator's counts (per level and per
 * object), no line late, and the log topic holds every line once.
 *
 * What it guards: a watermark that follows the highest event time of the partition jumps ahead to
 * the later object as soon as its first batch is in, and the earlier object's following lines fall
 * into windows already closed (counted as late, the window counts short). The report stage keeps a
 * watermark per source (window.ts); this is the end-to-end check of it.
 *
 * The report stage closes windows only when it has caught up with its partition (on its once-a-second
 * tick), so the fault shows only if it keeps up with ingest, as it does when S3 is slower than Kafka
 * (the usual case outside a test). S3 reads go through a TCP proxy in front of moto that passes at
 * most S3_BYTES_PER_SECOND per connection: without it ingest outruns the report stage here, which
 * then closes every window at the end, whole, and the scenario would pass with the fault present.
 *
 * The later object is triggered once the earlier one's first records are in the topic, not at the
 * very same moment: per-source watermarks hold the partition back only for sources it has seen, so
 * a later object whose first batch came first, with a tick closing windows before the earlier
 * object's first batch arrived, would still make that object's first lines late.
 */
import fs from 'node:fs';
import type { CountsWithTotal, TruthWindow } from '../../src/generator/truth';
import { LEVELS } from '../../src/model/levels';
import { decodePartial } from '../../src/report/merge';
import { faultScenario } from '../support/fault-scenario';
import { eventually, readTopic, topicOffsets } from '../support/helpers';
import { MotoProxy } from '../support/moto-proxy';
import { type CommittedReports, generateLogs } from '../support/service';

const scenario = faultScenario('R1b');
const { config, kafka, bucket, topic, group, dir, partitionOf } = scenario;

const LINES_PER_OBJECT = 60_000;
const BATCH_MAX_RECORDS = 2_000;
/** Event-time distance between the two objects' starts. */
const OFFSET_MINUTES = 20;
/** Fewer switches between the objects in the partition than this and they did not interleave: the scenario did not happen. */
const MIN_SWITCHES = 4;
/** S3 read rate per connection (each object is one GET): about 13 s per 60,000-line object (6.9 MB). */
const S3_BYTES_PER_SECOND = 512 * 1024;

/** The first of `prefix-0.log`, `prefix-1.log`, … that goes to `partition`. */
function keyInPartition(prefix: string, partition: number): string {
  for (let i = 0; i < 10_000; i++) {
    const key = `${prefix}-${i}.log`;
    if (partitionOf(key) === partition) return key;
  }
  throw new Error(`no key ${prefix}-N.log (N < 10000) goes to partition ${partition} of ${config.kafka.topicPartitions}`);
}

/** What a window report must say: its start, counts and total, per object (by S3 key), and no late lines. */
interface ExpectedWindow extends CountsWithTotal {
  startMs: number;
  sources: Record<string, CountsWithTotal>;
  late: number;
}

/** The windows of several objects' truths summed per window; each object's counts under its S3 key. */
function expectedWindows(objects: Array<{ key: string; truth: TruthWindow[] }>): ExpectedWindow[] {
  const byStart = new Map<number, ExpectedWindow>();
  for (const { key, truth } of objects) {
    for (const w of truth) {
      let e = byStart.get(w.startMs);
      if (!e) byStart.set(w.startMs, (e = { startMs: w.startMs, counts: { ...w.counts }, total: w.total, sources: {}, late: 0 }));
      else {
        for (const level of LEVELS) e.counts[level] += w.counts[level];
        e.total += w.total;
      }
      e.sources[key] = { counts: { ...w.counts }, total: w.total };
    }
  }
  return [...byStart.values()].sort((a, b) => a.startMs - b.startMs);
}

describe('R1b two objects interleaved in one log-topic partition', () => {
  it('counts each window whole: the generator\'s counts, no late lines, every line once', async () => {
    // The earlier object's lines are the ones a watermark running ahead would make late.
    const earlier = generateLogs(dir, { seed: 51, instances: 1, linesPerHost: LINES_PER_OBJECT, start: '2026-11-25T10:00:00Z' });
    const later = generateLogs(dir, { seed: 52, instances: 1, linesPerHost: LINES_PER_OBJECT, start: `2026-11-25T10:${OFFSET_MINUTES}:00Z` });
    const earlierKey = 'shared/LogFileGenerator.2026-11-25.early.log';
    const partition = partitionOf(earlierKey);
    const laterKey = keyInPartition('shared/LogFileGenerator.2026-11-25.late', partition);
    const objects = [
      { key: earlierKey, file: earlier.files[0], truth: earlier.truth },
      { key: laterKey, file: later.files[0], truth: later.truth },
    ];
    const expected = expectedWindows(objects);
    const total = objects.length * LINES_PER_OBJECT;
    for (const o of objects) await scenario.upload(o.key, fs.readFileSync(o.file));

    const proxy = await MotoProxy.start(config.aws.endpoint, { bytesPerSecond: S3_BYTES_PER_SECOND });
    scenario.cleanup(() => proxy.close());
    const svc = await scenario.start({
      // Idle close: also how long a source may pause before it stops holding the partition's watermark back.
      ...scenario.reportEnv(10_000),
      LOGPIPE_AWS_ENDPOINT: `http://127.0.0.1:${proxy.port}`,
      LOGPIPE_INGEST_PARALLEL_OBJECTS: '2',
      // Many transactions per object: many chances for the report stage to catch up between them.
      LOGPIPE_INGEST_BATCH_MAX_RECORDS: String(BATCH_MAX_RECORDS),
      LOGPIPE_LOG_LEVEL: 'info',
    });
    expect(await svc.trigger(bucket, earlierKey)).toBe(202);
    await eventually('the earlier object\'s first records in the log topic', async () => ((await topicOffsets(kafka, topic)) > 0 ? true : undefined), 120_000);
    expect(await svc.trigger(bucket, laterKey)).toBe(202);

    const ledger = await scenario.outcomes(objects.map((o) => o.key), 300_000);
    for (const o of objects) expect([o.key, ledger.get(o.key)?.status, ledger.get(o.key)?.lines]).toEqual([o.key, 'done', LINES_PER_OBJECT]);
    // The last window closes last (the partition's horizon only moves forward): once it is
    // reported, every window that will be is. Waiting for all of them would time out on a failure.
    const lastStartMs = expected[expected.length - 1].startMs;
    const reports: CommittedReports = await eventually(
      'the last window reported',
      async () => {
        const got = await scenario.reports();
        return got.docs.some((d) => d.startMs === lastStartMs) ? got : undefined;
      },
      240_000,
    );

    // The log topic: every line once, in order per object, all in the one partition, interleaved.
    const lines = await scenario.readLog(total, 3000, 120_000);
    expect(lines).toHaveLength(total);
    expect([...new Set(lines.map((r) => r.partition))]).toEqual([partition]);
    for (const o of objects) {
      expect(lines.filter((r) => r.key === o.key).map((r) => r.value.toString())).toEqual(fs.readFileSync(o.file, 'utf8').trimEnd().split('\n'));
    }
    const inOrder = [...lines].sort((a, b) => a.offset - b.offset);
    const switches = inOrder.filter((r, i) => i > 0 && r.key !== inOrder[i - 1].key).length;
    const firstLater = inOrder.findIndex((r) => r.key === laterKey);
    const earlierBehind = inOrder.slice(firstLater).filter((r) => r.key === earlierKey).length;
    expect(switches).toBeGreaterThanOrEqual(MIN_SWITCHES);

    // The partition's task closed windows while the earlier object was still being ingested: the
    // moment a watermark running ahead does its harm; without it the scenario did not happen. Its
    // closed windows are in its partial records (partials topic; record time = when written).
    const logged = svc.log().split('\n').flatMap((l) => {
      try {
        return [JSON.parse(l) as { message?: string; object?: string; timestamp: string }];
      } catch {
        return []; // not a JSON log line (or one still being written)
      }
    });
    const earlierDoneAt = logged.find((e) => e.message === 'object ingested' && e.object === `s3://${bucket}/${earlierKey}`)?.timestamp;
    expect(earlierDoneAt).toBeDefined();
    const partials = (await readTopic(kafka, config.report.partialsTopic, 0, 1500, 60_000)).filter((r) => r.key === `${group} ${topic} ${partition}`);
    const closedWhileInterleaved = partials.filter((r) => r.timestamp < Date.parse(earlierDoneAt!)).reduce((n, r) => n + decodePartial(r.value).windows.length, 0);
    process.stdout.write(`[R1b] partition ${partition}: ${switches} switches between the objects, ${earlierBehind} lines of the earlier object after the later one's first; ${closedWhileInterleaved} windows closed before the earlier object was ingested\n`);
    expect(closedWhileInterleaved).toBeGreaterThan(0);

    // The report topic: each window once, whole, nothing late.
    expect(reports.duplicates).toEqual([]);
    const late = reports.docs.reduce((n, d) => n + d.late, 0);
    // The summary first (a readable failure), then every window in full.
    const counted = reports.docs.reduce((n, d) => n + d.total, 0);
    expect({ windows: reports.docs.length, counted, late }).toEqual({ windows: expected.length, counted: total, late: 0 });
    expect(reports.docs.map((d) => ({ startMs: d.startMs, counts: d.counts, total: d.total, sources: d.sources, late: d.late }))).toEqual(expected);
    expect(svc.child.exitCode).toBeNull();

    const minutes = (ms: number): string => new Date(ms).toISOString().slice(11, 16);
    scenario.record({
      scenario: `two objects in one log-topic partition, ingested at once (\`logpipe start\`; 2 × ${LINES_PER_OBJECT.toLocaleString('en')} lines, event time ${minutes(earlier.truth[0].startMs)}–${minutes(earlier.truth[earlier.truth.length - 1].endMs)} and ${minutes(later.truth[0].startMs)}–${minutes(later.truth[later.truth.length - 1].endMs)}, ${expected.length} windows)`,
      injected: `S3 keys chosen to hash to the same partition (${partition} of ${config.kafka.topicPartitions}); the earlier object triggered first, the later one as soon as the first's records were in the topic; ingest.parallelObjects 2, batches of ${BATCH_MAX_RECORDS.toLocaleString('en')} lines, S3 reads throttled to ${S3_BYTES_PER_SECOND / 1024} KiB/s per connection (a proxy in front of moto) so that the report stage keeps up and closes windows while both objects are ingested: ${switches} switches between the objects in the partition, ${earlierBehind.toLocaleString('en')} lines of the earlier object behind the later one's first, ${closedWhileInterleaved} windows closed in the partition before the earlier object was ingested`,
      checked: 'log topic (read_committed): every line once, in order per object, all in that partition; report topic: each window once with the generator\'s counts (per level, total, per object), late = 0 in every window; the service kept running',
      result: `pass (${reports.docs.length} windows, 0 late)`,
    });
  });
});
