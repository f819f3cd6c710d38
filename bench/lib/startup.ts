/**
 * The start-up measurement (bench section `startup`, issue 17 item 7): how long `logpipe ingest` of
 * a ten-line file and `logpipe report --exit-when-idle` over an empty log topic take when the
 * progress topic and the report state topic hold N objects / N closed windows of history, next to
 * the same commands on empty history topics in the same run.
 *
 * History is written straight to the topics (a plain producer, batches of 1,000 objects or windows, under the broker's 1 MiB default), shaped like what
 * logpipe writes: per object, the `in-progress` and `done` progress records of a real ingest with
 * the object id changed; per closed window, a task-state and a merge-state record (real ones, taken
 * from a report run over a small object) superseding the previous ones under the same keys, then
 * tombstones for those keys so the measured run starts fresh and exits at once. The topics are
 * created by logpipe's own ensureIngestTopics / ensureReportTopics, so they carry exactly the
 * settings logpipe creates them with (compaction included).
 *
 * The history's progress records are stamped HISTORY_AGE_MS ago (their Kafka timestamps): objects
 * ingested a month ago, before the default ingest.ledgerHorizonMs (15 days), so the measured
 * `logpipe ingest` reads from the horizon on; the same ingest with ingest.ledgerHorizonMs=0 (the
 * whole ledger, what every start did before the horizon) runs in the same rounds.
 *
 * The report stage's ledger reads the progress topic from report.ingestStallMs (plus the clock
 * skew) before its start (docs/report.md, "Start-up"), so the measured `logpipe report` skips the
 * month-old history; the same report with report.ingestStallMs beyond the history's age
 * (REPORT_WHOLE_STALL_MS: its horizon falls before every record, so its ledger reads the whole
 * progress topic, as every report start did before) runs in the same rounds. Nothing of the
 * history is in progress, so the longer stall changes nothing else the run does.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Admin, ConfigResourceTypes, type Kafka, type Message } from 'kafkajs';
import { ensureIngestTopics } from '../../src/ingest/topics';
import { ensureReportTopics } from '../../src/system/kafka/topics';
import type { LogpipeConfig } from '../../src/system/config/config';
import { failure, run } from './proc';
import { median } from './stats';

export interface StartupTopics {
  log: string;
  progress: string;
  state: string;
  partials: string;
  report: string;
  deadLetter: string;
  group: string;
}

export interface StartupPoint {
  /** Objects ingested and windows closed before the measured start. */
  history: number;
  /** Bytes written to the progress and state topics for the history. */
  progressWrittenBytes: number;
  stateWrittenBytes: number;
  /** Bytes the broker holds for them when the measured runs start (after compaction had its chance). */
  progressBytes: number;
  stateBytes: number;
  /** Wall seconds from spawn to exit, per round, then the median. */
  ingestRounds: number[];
  reportRounds: number[];
  /** `logpipe report` with report.ingestStallMs = REPORT_WHOLE_STALL_MS: its ledger reads the whole progress topic, as before its horizon. */
  reportWholeRounds: number[];
  reportWholeSeconds?: number;
  /** `logpipe ingest` with ingest.ledgerHorizonMs=0: the whole ledger read, as before the horizon. */
  ingestWholeRounds: number[];
  ingestWholeSeconds?: number;
  /** Peak RSS of each `logpipe ingest` (its summary), per round: with the horizon, whole, empty. */
  ingestPeakRss: number[];
  ingestWholePeakRss: number[];
  ingestEmptyPeakRss: number[];
  ingestSeconds?: number;
  reportSeconds?: number;
  /** The same commands on empty history topics, measured in the same rounds (the peer). */
  ingestEmptyRounds: number[];
  reportEmptyRounds: number[];
  ingestEmptySeconds?: number;
  reportEmptySeconds?: number;
  /** Seconds to write the history and to wait for compaction (not part of the measurement). */
  prepareSeconds: number;
  compactionWaitSeconds: number;
  error?: string;
}

export interface StartupResults {
  rounds: number;
  /** Value sizes of the history records (from a real ingest and report run). */
  recordBytes: { progress: number; task: number; merge: number };
  /** The settings the history topics were created with (logpipe's own). */
  topicSettings: Record<string, string>;
  points: StartupPoint[];
  commands: Record<string, string>;
}

export interface StartupContext {
  kafka: Kafka;
  admin: Admin;
  config: LogpipeConfig;
  cli: string[];
  env: NodeJS.ProcessEnv;
  /** Run id: every topic and group made here starts with it. */
  id: string;
  /** Where the ten-line files and report files go. */
  work: string;
  logFile: string;
  /** The local broker's data directory (topic sizes). */
  kafkaDataDir: string;
  /** Topics made here are added, so the caller removes them whatever happens. */
  topics: Set<string>;
  log: (line: string) => void;
  interrupted: () => boolean;
}

/**
 * Waits until the broker's log cleaner has had its chance: the two topics' bytes on disk unchanged
 * over three polls 5 s apart (the cleaner wakes every 15 s by default), at most `maxMs`.
 */
async function settle(dataDir: string, topics: string[], maxMs: number): Promise<number> {
  const t0 = Date.now();
  let last = -1;
  let same = 0;
  while (Date.now() - t0 < maxMs) {
    const now = topics.reduce((a, t) => a + topicBytes(dataDir, t), 0);
    same = now === last ? same + 1 : 0;
    if (same >= 3) break;
    last = now;
    await new Promise((r) => setTimeout(r, 5_000));
  }
  return (Date.now() - t0) / 1000;
}

/** The whole section: templates, the empty peer, then each history size in turn (its topics removed after). */
export async function measureStartup(ctx: StartupContext, sizes: number[], rounds: number): Promise<StartupResults> {
  const env = (t: StartupTopics): NodeJS.ProcessEnv => ({ ...startupEnv(ctx.env, t), LOGPIPE_REPORT_DIR: path.join(ctx.work, 'startup-reports') });
  const make = async (tag: string): Promise<StartupTopics> => {
    const t = startupTopics(ctx.id, tag);
    for (const name of [t.log, t.progress, t.state, t.partials, t.report, t.deadLetter]) ctx.topics.add(name);
    await createStartupTopics(ctx.admin, ctx.config, t);
    return t;
  };
  const drop = async (t: StartupTopics): Promise<void> => {
    const names = [t.log, t.progress, t.state, t.partials, t.report, t.deadLetter];
    const existing = new Set(await ctx.admin.listTopics());
    await ctx.admin.deleteTopics({ topics: names.filter((n) => existing.has(n)), timeout: 30_000 }).catch(() => undefined);
    for (const n of names) ctx.topics.delete(n);
  };
  let files = 0;
  const tenLines = (): string => {
    const file = path.join(ctx.work, `startup-${files++}.log`);
    const at = Date.parse('2026-01-01T00:00:00Z') + files * 60_000;
    fs.writeFileSync(file, Array.from({ length: 10 }, (_, i) => `${new Date(at + i * 1000).toISOString()} ${i < 2 ? 'ERROR' : 'INFO'} startup line ${i}\n`).join(''));
    return file;
  };

  // Templates: what one real ingest and one real report commit.
  const tpl = await make('tpl');
  await timeIngest(ctx.cli, env(tpl), tpl, tenLines(), ctx.logFile);
  await timeReport(ctx.cli, env(tpl), tpl, ctx.logFile);
  const progress = (await readAll(ctx.kafka, tpl.progress, ctx.admin)).filter((r) => r.value && r.key.startsWith(`${tpl.log} `));
  const state = await readAll(ctx.kafka, tpl.state, ctx.admin);
  const task = state.filter((r) => r.key.startsWith('task ') && r.value).pop()?.value;
  const merge = state.filter((r) => r.key.startsWith('merge ') && r.value).pop()?.value;
  if (!progress.length || !task || !merge) throw new Error('startup: the template run committed no progress or state records');
  const templates = { inProgress: progress[0].value as Buffer, done: progress[progress.length - 1].value as Buffer, task, merge };
  const described = await ctx.admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: tpl.progress }] });
  const topicSettings = Object.fromEntries(
    (described.resources[0]?.configEntries ?? []).filter((e) => /^(cleanup\.policy|segment\.(bytes|ms)|min\.cleanable\.dirty\.ratio|delete\.retention\.ms)$/.test(e.configName)).map((e) => [e.configName, e.configValue]),
  );
  await drop(tpl);

  const empty = await make('empty');
  const points: StartupPoint[] = [];
  let commands: Record<string, string> = {};
  for (const n of sizes) {
    if (ctx.interrupted()) break;
    const t = await make(`h${n}`);
    const point: StartupPoint = {
      history: n, progressWrittenBytes: 0, stateWrittenBytes: 0, progressBytes: 0, stateBytes: 0,
      ingestRounds: [], reportRounds: [], ingestEmptyRounds: [], reportEmptyRounds: [], prepareSeconds: 0, compactionWaitSeconds: 0,
      ingestWholeRounds: [], reportWholeRounds: [], ingestPeakRss: [], ingestWholePeakRss: [], ingestEmptyPeakRss: [],
    };
    points.push(point);
    try {
      ctx.log(`startup: writing ${n.toLocaleString('en-US')} objects and windows of history`);
      const t0 = Date.now();
      await writeHistory(ctx.kafka, t, n, templates, Date.now() - HISTORY_AGE_MS);
      point.prepareSeconds = (Date.now() - t0) / 1000;
      point.progressWrittenBytes = topicBytes(ctx.kafkaDataDir, t.progress);
      point.stateWrittenBytes = topicBytes(ctx.kafkaDataDir, t.state);
      point.compactionWaitSeconds = await settle(ctx.kafkaDataDir, [t.progress, t.state], 120_000);
      point.progressBytes = topicBytes(ctx.kafkaDataDir, t.progress);
      point.stateBytes = topicBytes(ctx.kafkaDataDir, t.state);
      for (let r = 0; r < rounds && !ctx.interrupted(); r++) {
        // Interleaved, so drift on the shared machine hits both alike.
        const e = await timeIngest(ctx.cli, env(empty), empty, tenLines(), ctx.logFile);
        const h = await timeIngest(ctx.cli, env(t), t, tenLines(), ctx.logFile);
        const w = await timeIngest(ctx.cli, { ...env(t), LOGPIPE_INGEST_LEDGER_HORIZON_MS: '0' }, t, tenLines(), ctx.logFile);
        point.ingestEmptyRounds.push(e.seconds);
        point.ingestRounds.push(h.seconds);
        point.ingestWholeRounds.push(w.seconds);
        if (e.peakRssBytes) point.ingestEmptyPeakRss.push(e.peakRssBytes);
        if (h.peakRssBytes) point.ingestPeakRss.push(h.peakRssBytes);
        if (w.peakRssBytes) point.ingestWholePeakRss.push(w.peakRssBytes);
        point.reportEmptyRounds.push(await timeReport(ctx.cli, env(empty), empty, ctx.logFile));
        point.reportRounds.push(await timeReport(ctx.cli, env(t), t, ctx.logFile));
        point.reportWholeRounds.push(await timeReport(ctx.cli, { ...env(t), LOGPIPE_REPORT_INGEST_STALL_MS: String(REPORT_WHOLE_STALL_MS) }, t, ctx.logFile));
      }
      commands = {
        ingest: `LOGPIPE_KAFKA_PROGRESS_TOPIC=${t.progress} logpipe ingest <ten-line file> --topic ${t.log}`,
        report: `LOGPIPE_REPORT_STATE_TOPIC=${t.state} LOGPIPE_KAFKA_PROGRESS_TOPIC=${t.progress} LOGPIPE_REPORT_GROUP_ID=${t.group} logpipe report --exit-when-idle --topic ${t.log}`,
      };
    } catch (err) {
      point.error = err instanceof Error ? err.message : String(err);
    }
    point.ingestSeconds = median(point.ingestRounds);
    point.ingestWholeSeconds = median(point.ingestWholeRounds);
    point.reportSeconds = median(point.reportRounds);
    point.reportWholeSeconds = median(point.reportWholeRounds);
    point.ingestEmptySeconds = median(point.ingestEmptyRounds);
    point.reportEmptySeconds = median(point.reportEmptyRounds);
    await drop(t);
  }
  await drop(empty);
  return { rounds, recordBytes: { progress: templates.done.length, task: task.length, merge: merge.length }, topicSettings, points, commands };
}

/** How old the written history is (its progress records' timestamps): older than the default ledger horizon. */
export const HISTORY_AGE_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * report.ingestStallMs for the "whole ledger" report run: longer than the history's age plus the
 * clock skew, so the report stage's ledger horizon lies before every history record.
 */
export const REPORT_WHOLE_STALL_MS = HISTORY_AGE_MS + 2 * 24 * 60 * 60 * 1000;

/** Topic names of one history size (`tag`) under the run's prefix. */
export function startupTopics(prefix: string, tag: string): StartupTopics {
  const t = (s: string): string => `${prefix}-startup-${tag}-${s}`;
  return { log: t('log'), progress: t('progress'), state: t('state'), partials: t('partials'), report: t('report'), deadLetter: t('dlq'), group: t('group') };
}

/** The configuration of a logpipe run on these topics, as environment variables. */
export function startupEnv(base: NodeJS.ProcessEnv, t: StartupTopics): NodeJS.ProcessEnv {
  return {
    ...base,
    LOGPIPE_KAFKA_PROGRESS_TOPIC: t.progress,
    LOGPIPE_KAFKA_DEAD_LETTER_TOPIC: t.deadLetter,
    LOGPIPE_REPORT_STATE_TOPIC: t.state,
    LOGPIPE_REPORT_PARTIALS_TOPIC: t.partials,
    LOGPIPE_REPORT_TOPIC: t.report,
    LOGPIPE_REPORT_GROUP_ID: t.group,
  };
}

/** Creates the topics of `t` with logpipe's own functions (so with its topic settings). */
export async function createStartupTopics(admin: Admin, config: LogpipeConfig, t: StartupTopics): Promise<void> {
  const c: LogpipeConfig = {
    ...config,
    kafka: { ...config.kafka, progressTopic: t.progress, deadLetterTopic: t.deadLetter, topicPartitions: 1 },
    report: { ...config.report, stateTopic: t.state, partialsTopic: t.partials, topic: t.report, groupId: t.group },
  };
  await ensureIngestTopics(admin, c, t.log);
  await ensureReportTopics(admin, c);
}

/** Every record of `topic` (read uncommitted: templates only), oldest first. */
export async function readAll(kafka: Kafka, topic: string, admin: Admin): Promise<Array<{ key: string; value: Buffer | null }>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  const total = offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
  const out: Array<{ key: string; value: Buffer | null }> = [];
  if (total === 0) return out;
  const consumer = kafka.consumer({ groupId: `${topic}-template-${Date.now()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const high = new Map(offsets.map((o) => [o.partition, Number(o.high)]));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${topic}: not read within 60 s`)), 60_000);
    void consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) out.push({ key: m.key?.toString() ?? '', value: m.value });
        if (Number(batch.lastOffset()) + 1 >= (high.get(batch.partition) ?? 0)) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return out;
}

/** Bytes of `topic`'s partitions on the broker (describeLogDirs is not in kafkajs: the local stack's data directory). */
export function topicBytes(dataDir: string, topic: string): number {
  let total = 0;
  if (!fs.existsSync(dataDir)) return 0;
  for (const dir of fs.readdirSync(dataDir)) {
    if (!dir.startsWith(`${topic}-`) || !/^\d+$/.test(dir.slice(topic.length + 1))) continue;
    for (const f of fs.readdirSync(path.join(dataDir, dir))) if (f.endsWith('.log')) total += fs.statSync(path.join(dataDir, dir, f)).size;
  }
  return total;
}

/**
 * Writes `n` objects of ingest history to the progress topic (an in-progress then a done record per
 * object, from the templates) and `n` closed windows of report history to the state topic (a task-
 * and a merge-state record per window under `taskKey` / `mergeKey`, then tombstones for both).
 * The progress records are stamped from `atMs` on, a millisecond apart (their Kafka timestamps).
 */
export async function writeHistory(kafka: Kafka, t: StartupTopics, n: number, templates: { inProgress: Buffer; done: Buffer; task: Buffer; merge: Buffer }, atMs: number): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const batch = 1_000;
    const inProgress = JSON.parse(templates.inProgress.toString('utf8')) as { id: string };
    const done = JSON.parse(templates.done.toString('utf8')) as { id: string };
    for (let i = 0; i < n; i += batch) {
      const messages: Message[] = [];
      for (let j = i; j < Math.min(n, i + batch); j++) {
        const id = `${t.log} s3://bench-history/objects/${j}.log.gz#v${j}`;
        const timestamp = String(atMs + j);
        messages.push({ key: id, value: JSON.stringify({ ...inProgress, id }), timestamp }, { key: id, value: JSON.stringify({ ...done, id }), timestamp });
      }
      await producer.send({ topic: t.progress, acks: -1, messages });
    }
    const taskKey = `task ${t.group} ${t.log} 0`;
    const mergeKey = `merge ${t.group} ${t.log}`;
    for (let i = 0; i < n; i += batch) {
      const messages: Message[] = [];
      for (let j = i; j < Math.min(n, i + batch); j++) messages.push({ key: taskKey, value: templates.task }, { key: mergeKey, value: templates.merge });
      await producer.send({ topic: t.state, acks: -1, messages });
    }
    await producer.send({ topic: t.state, acks: -1, messages: [{ key: taskKey, value: null }, { key: mergeKey, value: null }] });
  } finally {
    await producer.disconnect();
  }
}

/** One timed `logpipe ingest FILE --topic LOG`, with the peak RSS its summary gives; throws when it fails. */
export async function timeIngest(cli: string[], env: NodeJS.ProcessEnv, t: StartupTopics, file: string, logFile: string): Promise<{ seconds: number; peakRssBytes?: number }> {
  const r = await run(cli[0], [...cli.slice(1), 'ingest', file, '--topic', t.log], { env, stderrFile: logFile, timeoutMs: 900_000 });
  if (r.code !== 0) throw new Error(failure('logpipe ingest (startup)', r, logFile));
  let peakRssBytes: number | undefined;
  try {
    const summary = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as { peakRssBytes?: unknown };
    if (typeof summary.peakRssBytes === 'number') peakRssBytes = summary.peakRssBytes;
  } catch {
    // No summary line: the time alone.
  }
  return { seconds: r.wallSeconds, ...(peakRssBytes ? { peakRssBytes } : {}) };
}

/** One timed `logpipe report --exit-when-idle --topic LOG`; throws when it fails. */
export async function timeReport(cli: string[], env: NodeJS.ProcessEnv, t: StartupTopics, logFile: string): Promise<number> {
  const r = await run(cli[0], [...cli.slice(1), 'report', '--exit-when-idle', '--topic', t.log], { env, stderrFile: logFile, stdoutFile: '/dev/null', timeoutMs: 900_000 });
  if (r.code !== 0) throw new Error(failure('logpipe report (startup)', r, logFile));
  return r.wallSeconds;
}
