/**
 * `npm run bench [-- --quick]`: logpipe against the tools a user would otherwise reach for, on the
 * same data, the same broker, in the same run, each writing to or reading from a fresh topic.
 *
 *   1. ingest   S3 object → `logpipe ingest` vs kcat -P, Kafka's ProducerPerformance, a naive kafkajs loop
 *   2. report   the ingested topic → `logpipe report --exit-when-idle` vs the bare kafkajs consumer (bench/alt-client.ts),
 *               kcat -C, Kafka's ConsumerPerformance
 *   3. latency  PutObject of a small object with an error burst → alert email at the SES emulator (`logpipe start`,
 *               one per settings profile side by side; where each 100 ms goes, from their debug logs)
 *   4. memory   peak RSS of `logpipe ingest` over object sizes
 *   5. parser   bench/parse.ts (lines/s on one core)
 *   6. startup  `logpipe ingest` / `logpipe report --exit-when-idle` start-up after N objects and closed
 *               windows of history, next to the same commands on empty history topics (bench/lib/startup.ts)
 *   7. cores    `logpipe start` with 1..N forked workers pinned to 1..N cores, 1 object vs N objects, vs
 *               kcat -P under the same taskset; two `logpipe start` sharing one SQS queue vs one (bench/lib/cores.ts)
 *
 * The local stack is brought up when needed (and left running). Data comes from `logpipe generate
 * --fast --seed N`. Measurements 1 and 2 run `rounds` times, tools interleaved per round so drift
 * on a shared machine hits every tool alike; tables show medians, bench/results/<timestamp>.json
 * keeps every run. docs/benchmarks.md gets the tables between its `bench:<mode>` markers.
 * Goals are reported, never asserted: the exit code is 0 unless the benchmark itself could not run.
 *
 * Options: --quick (about 50 MB, under 3 minutes), --seed N, --rounds N, --skip ingest,report,latency,memory,parser,startup,cores,
 *          --no-docs (results file only), --render FILE (rewrite the docs block from a results file, measure nothing).
 *
 * Everything made here is named bench-<run id>-... and removed at the end (topics, bucket, queue);
 * processes are started in their own process groups and only those are ever killed.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Kafka, logLevel } from 'kafkajs';
import { formatLine } from '../src/generator/lines';
import { loadConfig, type LogpipeConfig } from '../src/system/config/config';
import { createS3, createSqs } from '../src/system/kafka/clients';
import { packageRoot } from '../src/system/config/paths';
import { loadLibrdkafka } from '../src/system/kafka/librdkafka';
import { describeMachine } from './machine';
import { dataDir, derive, generateBase, type DataFile } from './lib/data';
import { writeDocs } from './lib/doc';
import { ensureKafkaTools, parseConsumerPerformance, parseProducerPerformance, type KafkaTools } from './lib/kafka-tools';
import { failure, haveGnuTime, killGroup, killTracked, lastJsonLine, run, track, untrack } from './lib/proc';
import { createProgress, type Progress } from './lib/progress';
import { measureCores } from './lib/cores';
import { measureStartup } from './lib/startup';
import type { BenchResults, LatencySample, MemoryPoint, Stage, ToolRun, ToolSummary } from './lib/results';
import { createLogTopics, deleteBucket, deleteQueue, deleteTopics, stackStatus, stackUp } from './lib/stack';
import { createBucket, notifyQueue } from '../test/support/aws';
import { eventually, freePort, sesEmails } from '../test/support/helpers';
import { median, percentile, ratio } from './lib/stats';
import { breakdown, HOPS, type Hop, parseLog, type UploadMark } from './lib/latency-breakdown';

// ---------------------------------------------------------------------------------------------
// Profiles

interface Profile {
  mode: 'quick' | 'full';
  seed: number;
  rounds: number;
  /** Lines of the object the ingest and report comparisons use (117 bytes per line on average). */
  compareLines: number;
  /** Object sizes (lines) of the memory measurement; compareLines among them reuses the ingest rounds. */
  memoryLines: number[];
  /** Lines generated; other sizes are cut from or concatenated of it. */
  baseLines: number;
  naiveSeconds: number;
  latencyObjects: number;
  parseLines: number;
  parseRounds: number;
  /** History sizes (objects ingested and windows closed) of the start-up measurement, and its rounds. */
  startupHistory: number[];
  startupRounds: number;
  /** Lines of each object of the cores section, its rounds, and the objects of its scale-out part. */
  coresLines: number;
  coresRounds: number;
  scaleOutObjects: number;
}

/**
 * The full profile is scaled down from the issue's 1 GB comparison: on the 2-core development
 * machine logpipe ingests about 38,000 lines/s, so one 1 GB object (9 M lines) takes about 240 s and
 * the memory measurement's 1 GB and 2 GB objects alone about 720 s, plus about 85 s to upload them
 * to moto. Three comparison rounds at 1 GB would add another 3 × (240 s + report ≈ 265 s + peers),
 * about 1,700 s, far over the 20-minute budget; at 0.9 M lines (≈ 105 MB) they take about 250 s.
 * The 1 GB and 2 GB objects are still ingested once each (memory), with kcat beside them.
 */
const PROFILES: Record<'quick' | 'full', Profile> = {
  quick: { mode: 'quick', seed: 1, rounds: 3, compareLines: 450_000, memoryLines: [90_000, 225_000, 450_000], baseLines: 450_000, naiveSeconds: 5, latencyObjects: 5, parseLines: 500_000, parseRounds: 3, startupHistory: [1_000, 10_000], startupRounds: 1, coresLines: 150_000, coresRounds: 1, scaleOutObjects: 4 },
  full: { mode: 'full', seed: 1, rounds: 3, compareLines: 900_000, memoryLines: [900_000, 9_000_000, 18_000_000], baseLines: 9_000_000, naiveSeconds: 10, latencyObjects: 20, parseLines: 2_000_000, parseRounds: 5, startupHistory: [10_000, 1_000_000], startupRounds: 2, coresLines: 300_000, coresRounds: 2, scaleOutObjects: 4 },
};

const SCALE_NOTES: Record<'quick' | 'full', string> = {
  quick: 'Quick run: the comparison object is about 50 MB (450,000 lines); memory at about 10, 25 and 50 MB; 5 latency objects; the naive loop capped at 5 s. Same shape as the full run, for a check under 3 minutes.',
  full:
    'Scaled down from the issue\'s 1 GB comparison: logpipe ingests about 38,000 lines/s here, so one 1 GB object takes about 4 minutes; three comparison rounds at 1 GB plus the report over it and the 1 GB and 2 GB memory objects would take about 40 minutes, twice the 20-minute budget. ' +
    'The ingest and report comparisons therefore use a 0.9 M-line object (about 105 MB, 3 rounds); the 1 GB and 2 GB objects are ingested once each for the memory measurement, with kcat beside them on the same file.',
};

const STEPS = ['ingest', 'report', 'latency', 'memory', 'parser', 'startup', 'cores'] as const;
type StepName = (typeof STEPS)[number];

interface Args {
  profile: Profile;
  skip: Set<StepName>;
  docs: boolean;
}

function parseArgs(argv: string[]): Args {
  const quick = argv.includes('--quick');
  const profile = { ...PROFILES[quick ? 'quick' : 'full'] };
  const skip = new Set<StepName>();
  let docs = true;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') continue;
    else if (a === '--seed') profile.seed = Number(value());
    else if (a === '--rounds') profile.rounds = Number(value());
    else if (a === '--no-docs') docs = false;
    else if (a === '--skip') {
      for (const s of value().split(',')) {
        if (!STEPS.includes(s as StepName)) usage(`unknown step "${s}" (steps: ${STEPS.join(', ')})`);
        skip.add(s as StepName);
      }
    } else usage(`unknown option ${a}`);
  }
  if (!Number.isInteger(profile.seed) || !Number.isInteger(profile.rounds) || profile.rounds < 1) usage('--seed and --rounds take integers (rounds ≥ 1)');
  return { profile, skip, docs };
}

function usage(problem: string): never {
  process.stderr.write(`bench: ${problem}\nusage: npm run bench [-- --quick] [--seed N] [--rounds N] [--skip ${STEPS.join(',')}] [--no-docs] | [-- --render FILE]\n`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// Context shared by the steps

interface Ctx {
  id: string;
  root: string;
  work: string;
  /** All children's stderr, in order. */
  logFile: string;
  config: LogpipeConfig;
  broker: string;
  /** argv prefix of the logpipe command: node dist/cli/main.js. */
  cli: string[];
  env: NodeJS.ProcessEnv;
  admin: ReturnType<Kafka['admin']>;
  s3: ReturnType<typeof createS3>;
  sqs: ReturnType<typeof createSqs>;
  progress: Progress;
  profile: Profile;
  tools: KafkaTools | string;
  kcat: string | undefined;
  /** Things to remove at the end, whatever happens. */
  topics: Set<string>;
  buckets: Set<string>;
  queues: Set<string>;
}

const MB = 1e6;

/** A command line for the docs: `node` for this Node, paths relative to the package root, quoted when needed. */
function display(ctx: Pick<Ctx, 'root'>, argv: string[]): string {
  return argv
    .map((a) => (a === process.execPath ? 'node' : a.startsWith(ctx.root + path.sep) ? path.relative(ctx.root, a) : a))
    .map((a) => (/^[\w@%+=:,./-]+$/.test(a) || a === '>' ? a : `'${a.replace(/'/g, `'\\''`)}'`))
    .join(' ');
}

const fmtRate = (x: number): string => Math.round(x).toLocaleString('en-US');

// ---------------------------------------------------------------------------------------------
// 1. Ingest

interface IngestSummary {
  status: string;
  lines: number;
  bytes: number;
  seconds: number;
  linesPerSecond: number;
  peakRssBytes: number;
}

/** The ingest row of logpipe on librdkafka, beside the configured client's "logpipe ingest". */
const LOGPIPE_LIBRDKAFKA = 'logpipe ingest (librdkafka)';

/**
 * Why logpipe's ingest on librdkafka gets no row of its own in this run, or undefined when it
 * does: the configured client is kafkajs and @confluentinc/kafka-javascript loads (an optional
 * dependency, README "The native Kafka client").
 */
function librdkafkaRowUnavailable(config: LogpipeConfig): string | undefined {
  if (config.kafka.client === 'librdkafka') return 'kafka.client is librdkafka: the "logpipe ingest" row is that client';
  try {
    loadLibrdkafka();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * `logpipe ingest s3://bucket/key --topic T` once; the summary is its last stdout line. `client`:
 * run it with that kafka.client (LOGPIPE_KAFKA_CLIENT) as the tool LOGPIPE_LIBRDKAFKA; absent, the
 * configured client as "logpipe ingest".
 */
async function logpipeIngest(ctx: Ctx, bucket: string, key: string, data: DataFile, topic: string, round: number, client?: 'librdkafka'): Promise<{ run: ToolRun; argv: string[] }> {
  const argv = [...ctx.cli, 'ingest', `s3://${bucket}/${key}`, '--topic', topic];
  const env = client ? { ...ctx.env, LOGPIPE_KAFKA_CLIENT: client } : ctx.env;
  const r = await run(argv[0], argv.slice(1), { env, stderrFile: ctx.logFile, measureRss: true, timeoutMs: (data.lines / 2000 + 120) * 1000 });
  const s = lastJsonLine<IngestSummary>(r.stdout);
  const ok = r.code === 0 && s?.status === 'ingested' && s.lines === data.lines;
  const tool = client ? LOGPIPE_LIBRDKAFKA : 'logpipe ingest';
  const error = ok ? undefined : r.code !== 0 ? failure(tool, r, ctx.logFile) : `${tool}: status ${s?.status}, ${s?.lines} of ${data.lines} lines`;
  const lines = s?.lines ?? 0;
  return {
    argv: client ? [`LOGPIPE_KAFKA_CLIENT=${client}`, ...argv] : argv,
    run: {
      tool, round, topic, ok, error, lines,
      wallSeconds: r.wallSeconds, wallLinesPerSecond: lines / r.wallSeconds,
      reportedLinesPerSecond: s?.linesPerSecond, linesPerSecond: s?.linesPerSecond ?? lines / r.wallSeconds,
      peakRssBytes: s?.peakRssBytes ?? r.peakRssBytes,
      detail: { summary: s, gnuTimePeakRssBytes: r.peakRssBytes },
    },
  };
}

async function kcatProduce(ctx: Ctx, data: DataFile, topic: string, round: number): Promise<{ run: ToolRun; argv: string[] }> {
  // acks=all spelled out (librdkafka's default too): every producer here waits for the full ISR.
  const argv = ['kcat', '-P', '-b', ctx.broker, '-t', topic, '-l', data.file, '-X', 'acks=all'];
  const r = await run(argv[0], argv.slice(1), { stderrFile: ctx.logFile, measureRss: true, timeoutMs: (data.lines / 5000 + 60) * 1000 });
  const ok = r.code === 0;
  return {
    argv,
    run: {
      tool: 'kcat -P', round, topic, ok, error: ok ? undefined : failure('kcat -P', r, ctx.logFile), lines: ok ? data.lines : 0,
      wallSeconds: r.wallSeconds, wallLinesPerSecond: ok ? data.lines / r.wallSeconds : 0, linesPerSecond: ok ? data.lines / r.wallSeconds : 0,
      peakRssBytes: r.peakRssBytes,
    },
  };
}

async function producerPerformance(ctx: Ctx, tools: KafkaTools, lines: number, topic: string, round: number): Promise<{ run: ToolRun; argv: string[] }> {
  const argv = ['java', '-cp', tools.classpath, 'org.apache.kafka.tools.ProducerPerformance', '--topic', topic, '--num-records', String(lines),
    '--record-size', '117', '--throughput', '-1', '--producer-props', `bootstrap.servers=${ctx.broker}`, 'acks=all'];
  const r = await run(argv[0], argv.slice(1), { stderrFile: ctx.logFile, measureRss: true, timeoutMs: (lines / 5000 + 60) * 1000 });
  const p = parseProducerPerformance(r.stdout);
  const ok = r.code === 0 && p?.records === lines;
  return {
    argv,
    run: {
      tool: 'ProducerPerformance', round, topic, ok, error: ok ? undefined : failure('ProducerPerformance', r, ctx.logFile), lines: p?.records ?? 0,
      wallSeconds: r.wallSeconds, wallLinesPerSecond: (p?.records ?? 0) / r.wallSeconds,
      reportedLinesPerSecond: p?.recordsPerSecond, linesPerSecond: p?.recordsPerSecond ?? 0, peakRssBytes: r.peakRssBytes, detail: { output: p },
    },
  };
}

async function naiveLoop(ctx: Ctx, data: DataFile, topic: string, round: number): Promise<{ run: ToolRun; argv: string[] }> {
  const argv = [process.execPath, '-r', 'ts-node/register/transpile-only', path.join(ctx.root, 'bench', 'naive-producer.ts'), '--file', data.file,
    '--topic', topic, '--brokers', ctx.broker, '--seconds', String(ctx.profile.naiveSeconds)];
  const r = await run(argv[0], argv.slice(1), { cwd: ctx.root, stderrFile: ctx.logFile, measureRss: true, timeoutMs: (ctx.profile.naiveSeconds + 60) * 1000 });
  const s = lastJsonLine<{ lines: number; seconds: number; linesPerSecond: number }>(r.stdout);
  const ok = r.code === 0 && !!s && s.lines > 0;
  return {
    argv,
    run: {
      tool: 'naive kafkajs loop', round, topic, ok, error: ok ? undefined : failure('naive kafkajs loop', r, ctx.logFile), lines: s?.lines ?? 0,
      wallSeconds: r.wallSeconds, wallLinesPerSecond: (s?.lines ?? 0) / r.wallSeconds,
      reportedLinesPerSecond: s?.linesPerSecond, linesPerSecond: s?.linesPerSecond ?? 0, peakRssBytes: r.peakRssBytes, detail: { loopSeconds: s?.seconds },
    },
  };
}

/**
 * Records in a topic written by a non-transactional producer (kcat, ProducerPerformance, the naive
 * loop): the sum of the partitions' high watermarks. A peer's run counts only if all its records
 * arrived. (Transactional topics also hold commit markers, so logpipe's are checked by its summary.)
 */
async function recordsIn(ctx: Ctx, topic: string): Promise<number> {
  const offsets = await ctx.admin.fetchTopicOffsets(topic);
  return offsets.reduce((a, o) => a + Number(o.high) - Number(o.low), 0);
}

async function verifyCount(ctx: Ctx, x: { run: ToolRun; argv: string[] }, expected: number): Promise<{ run: ToolRun; argv: string[] }> {
  if (!x.run.ok || !x.run.topic) return x;
  const found = await recordsIn(ctx, x.run.topic);
  if (found !== expected) {
    x.run.ok = false;
    x.run.error = `${x.run.tool}: ${found} records in ${x.run.topic}, expected ${expected}`;
  }
  return x;
}

/** Per-tool medians over the ok runs, and logpipe's ratio to each. */
function summarise(runs: ToolRun[], order: Array<{ tool: string; basis: string; unavailable?: string }>, bytesPerLine: number): ToolSummary[] {
  const out = order.map(({ tool, basis, unavailable }): ToolSummary => {
    const mine = runs.filter((r) => r.tool === tool);
    const ok = mine.filter((r) => r.ok);
    const rate = median(ok.map((r) => r.linesPerSecond));
    const rss = ok.map((r) => r.peakRssBytes).filter((x): x is number => x !== undefined);
    return {
      tool, basis, runs: mine.length, okRuns: ok.length, unavailable: mine.length ? undefined : unavailable,
      linesPerSecond: rate, wallLinesPerSecond: median(ok.map((r) => r.wallLinesPerSecond)),
      mbPerSecond: rate === undefined ? undefined : (rate * bytesPerLine) / MB, peakRssBytes: median(rss),
    };
  });
  const base = out[0]?.linesPerSecond;
  for (const s of out) s.logpipeRatio = ratio(base, s.linesPerSecond);
  return out;
}

async function measureIngest(ctx: Ctx, bucket: string, key: string, data: DataFile): Promise<{ stage: Stage; reportTopic?: string }> {
  const runs: ToolRun[] = [];
  const commands: Record<string, string> = {};
  let reportTopic: string | undefined;
  const tools = ctx.tools;
  const rdkUnavailable = librdkafkaRowUnavailable(ctx.config);
  for (let round = 1; round <= ctx.profile.rounds; round++) {
    const topics = { lp: `${ctx.id}-ingest-logpipe-r${round}`, rdk: `${ctx.id}-ingest-logpipe-rdk-r${round}`, kcat: `${ctx.id}-ingest-kcat-r${round}`, pp: `${ctx.id}-ingest-pp-r${round}`, naive: `${ctx.id}-ingest-naive-r${round}` };
    const wanted = [topics.lp, ...(rdkUnavailable ? [] : [topics.rdk]), ...(ctx.kcat ? [topics.kcat] : []), ...(typeof tools !== 'string' ? [topics.pp] : []), topics.naive];
    wanted.forEach((t) => ctx.topics.add(t));
    // Topics exist before any clock starts: creating them is not part of anyone's time.
    await createLogTopics(ctx.admin, ctx.config, wanted);
    const record = (what: string, x: { run: ToolRun; argv: string[] }): void => {
      runs.push(x.run);
      commands[what] ??= display(ctx, x.argv);
      ctx.progress.log(`  round ${round} ${x.run.tool}: ${x.run.ok ? `${fmtRate(x.run.linesPerSecond)} lines/s` : x.run.error}${x.run.peakRssBytes ? `, peak RSS ${Math.round(x.run.peakRssBytes / 2 ** 20)} MiB` : ''}`);
    };
    record('logpipe ingest', await logpipeIngest(ctx, bucket, key, data, topics.lp, round));
    if (!rdkUnavailable) record(LOGPIPE_LIBRDKAFKA, await logpipeIngest(ctx, bucket, key, data, topics.rdk, round, 'librdkafka'));
    if (ctx.kcat) record('kcat -P', await verifyCount(ctx, await kcatProduce(ctx, data, topics.kcat, round), data.lines));
    if (typeof tools !== 'string') record('ProducerPerformance', await verifyCount(ctx, await producerPerformance(ctx, tools, data.lines, topics.pp, round), data.lines));
    const naive = await naiveLoop(ctx, data, topics.naive, round);
    record('naive kafkajs loop', await verifyCount(ctx, naive, naive.run.lines));
    // The first round's logpipe topic is the report stage's input; everything else is freed now.
    const lpOk = runs.find((r) => r.tool === 'logpipe ingest' && r.round === round)?.ok;
    if (!reportTopic && lpOk) reportTopic = topics.lp;
    const done = wanted.filter((t) => t !== reportTopic);
    await deleteTopics(ctx.admin, done);
    done.forEach((t) => ctx.topics.delete(t));
  }
  const bytesPerLine = data.bytes / data.lines;
  const tools2 = [
    { tool: 'logpipe ingest', basis: `logpipe's summary (lines / seconds of the ingest), kafka.client ${ctx.config.kafka.client}` },
    { tool: LOGPIPE_LIBRDKAFKA, basis: 'logpipe\'s summary, kafka.client librdkafka (LOGPIPE_KAFKA_CLIENT)', unavailable: rdkUnavailable },
    { tool: 'kcat -P', basis: 'wall clock of the kcat process', unavailable: 'kcat is not installed (apt-get install -y kcat)' },
    { tool: 'ProducerPerformance', basis: 'the tool\'s records/sec', unavailable: typeof tools === 'string' ? tools : undefined },
    { tool: 'naive kafkajs loop', basis: `lines acknowledged in the first ${ctx.profile.naiveSeconds} s of the loop` },
  ];
  return { stage: { lines: data.lines, bytes: data.bytes, tools: summarise(runs, tools2, bytesPerLine), runs, commands }, reportTopic };
}

// ---------------------------------------------------------------------------------------------
// 2. Report

async function measureReport(ctx: Ctx, topic: string, data: DataFile): Promise<NonNullable<BenchResults['report']>> {
  const runs: ToolRun[] = [];
  const commands: Record<string, string> = {};
  let windows: number | undefined;
  let countedLines: number | undefined;
  const loadAverages: number[] = [];
  const tools = ctx.tools;
  const consumerConfig = path.join(ctx.work, 'consumer.properties');
  // The same isolation as logpipe's report stage (and librdkafka's default): committed records only.
  fs.writeFileSync(consumerConfig, 'isolation.level=read_committed\n');
  const record = (what: string, round: number, argv: string[], r: ToolRun): void => {
    runs.push(r);
    commands[what] ??= display(ctx, argv);
    ctx.progress.log(`  round ${round} ${r.tool}: ${r.ok ? `${fmtRate(r.linesPerSecond)} lines/s` : r.error}`);
  };
  for (let round = 1; round <= ctx.profile.rounds; round++) {
    // logpipe report: a fresh group reads the topic from the start; reports and emails go to temp dirs.
    const dir = path.join(ctx.work, `report-r${round}`);
    fs.mkdirSync(dir, { recursive: true });
    const env = {
      ...ctx.env,
      LOGPIPE_REPORT_EMAIL_TRANSPORT: 'file',
      LOGPIPE_REPORT_OUTBOX_DIR: path.join(dir, 'outbox'),
      LOGPIPE_REPORT_DIR: path.join(dir, 'reports'),
      LOGPIPE_REPORT_IDLE_CLOSE_MS: '1000',
    };
    const argv = [...ctx.cli, 'report', '--exit-when-idle', '--topic', topic, '--group', `${ctx.id}-report-r${round}`];
    const out = path.join(dir, 'windows.jsonl');
    loadAverages.push(os.loadavg()[0]);
    const r = await run(argv[0], argv.slice(1), { env, stdoutFile: out, stderrFile: ctx.logFile, measureRss: true, timeoutMs: (data.lines / 2000 + 120) * 1000 });
    // Each stdout line is one window's report; their totals must add up to the lines ingested.
    let total = 0;
    let n = 0;
    for (const line of fs.readFileSync(out, 'utf8').split('\n')) {
      if (!line.startsWith('{')) continue;
      total += (JSON.parse(line) as { total?: number }).total ?? 0;
      n++;
    }
    windows ??= n;
    countedLines ??= total;
    const ok = r.code === 0 && total === data.lines;
    record('logpipe report', round, argv, {
      tool: 'logpipe report', round, topic, ok, lines: total,
      error: ok ? undefined : r.code !== 0 ? failure('logpipe report', r, ctx.logFile) : `logpipe report counted ${total} of ${data.lines} lines`,
      wallSeconds: r.wallSeconds, wallLinesPerSecond: data.lines / r.wallSeconds, linesPerSecond: data.lines / r.wallSeconds,
      peakRssBytes: r.peakRssBytes, detail: { windows: n, env: { LOGPIPE_REPORT_IDLE_CLOSE_MS: '1000', LOGPIPE_REPORT_EMAIL_TRANSPORT: 'file' } },
    });
    // Thousands of report files per run: only the count matters here.
    fs.rmSync(dir, { recursive: true, force: true });

    // The same client as logpipe report (kafkajs, read_committed, a fresh group) doing nothing but
    // count what it reads: what the report stage adds on top of reading is the ratio to this row.
    const bargv = [process.execPath, '-r', 'ts-node/register/transpile-only', path.join(ctx.root, 'bench', 'alt-client.ts'), '--child', 'consume', '--client', 'kafkajs',
      '--topic', topic, '--expected', String(data.lines), '--file', data.file];
    const b = await run(bargv[0], bargv.slice(1), { cwd: ctx.root, env: ctx.env, stderrFile: ctx.logFile, measureRss: true, timeoutMs: (data.lines / 5000 + 120) * 1000 });
    const bs = lastJsonLine<{ lines?: number; seconds?: number; linesPerSecond?: number; error?: string }>(b.stdout);
    const bok = b.code === 0 && bs?.lines === data.lines;
    record('kafkajs consumer (bare)', round, bargv, {
      tool: 'kafkajs consumer (bare)', round, topic, ok: bok, lines: bs?.lines ?? 0,
      error: bok ? undefined : b.code !== 0 ? failure('kafkajs consumer (bare)', b, ctx.logFile) : `the bare consumer read ${bs?.lines ?? 0} of ${data.lines}`,
      wallSeconds: b.wallSeconds, wallLinesPerSecond: (bs?.lines ?? 0) / b.wallSeconds, reportedLinesPerSecond: bs?.linesPerSecond, linesPerSecond: bs?.linesPerSecond ?? 0,
      peakRssBytes: b.peakRssBytes, detail: { seconds: bs?.seconds },
    });

    if (ctx.kcat) {
      const kargv = ['kcat', '-C', '-b', ctx.broker, '-t', topic, '-e', '-o', 'beginning', '-q', '-X', 'isolation.level=read_committed'];
      const k = await run(kargv[0], kargv.slice(1), { stdoutFile: '/dev/null', stderrFile: ctx.logFile, measureRss: true, timeoutMs: (data.lines / 5000 + 60) * 1000 });
      const kok = k.code === 0;
      record('kcat -C', round, [...kargv, '>', '/dev/null'], {
        tool: 'kcat -C', round, topic, ok: kok, error: kok ? undefined : failure('kcat -C', k, ctx.logFile), lines: kok ? data.lines : 0,
        wallSeconds: k.wallSeconds, wallLinesPerSecond: data.lines / k.wallSeconds, linesPerSecond: data.lines / k.wallSeconds, peakRssBytes: k.peakRssBytes,
      });
    }
    if (typeof tools !== 'string') {
      const cargv = ['java', '-cp', tools.classpath, 'org.apache.kafka.tools.ConsumerPerformance', '--bootstrap-server', ctx.broker, '--topic', topic,
        '--messages', String(data.lines), '--group', `${ctx.id}-cp-r${round}`, '--timeout', '60000', '--consumer.config', consumerConfig];
      const c = await run(cargv[0], cargv.slice(1), { stderrFile: ctx.logFile, measureRss: true, timeoutMs: (data.lines / 5000 + 120) * 1000 });
      const p = parseConsumerPerformance(c.stdout);
      const consumed = Number(p?.['data.consumed.in.nMsg'] ?? 0);
      const rate = Number(p?.['nMsg.sec'] ?? 0);
      const cok = c.code === 0 && consumed === data.lines;
      record('ConsumerPerformance', round, cargv, {
        tool: 'ConsumerPerformance', round, topic, ok: cok, lines: consumed,
        error: cok ? undefined : c.code !== 0 ? failure('ConsumerPerformance', c, ctx.logFile) : `ConsumerPerformance consumed ${consumed} of ${data.lines}`,
        wallSeconds: c.wallSeconds, wallLinesPerSecond: consumed / c.wallSeconds, reportedLinesPerSecond: rate, linesPerSecond: rate,
        peakRssBytes: c.peakRssBytes, detail: { output: p },
      });
    }
  }
  const bytesPerLine = data.bytes / data.lines;
  const tools2 = [
    { tool: 'logpipe report', basis: 'wall clock of `logpipe report --exit-when-idle` (start-up, group join and the 1 s idle close included)' },
    { tool: 'kafkajs consumer (bare)', basis: 'its own clock, from creating the consumer (group join included) to the last record; `bench/alt-client.ts --child consume --client kafkajs`' },
    { tool: 'kcat -C', basis: 'wall clock of the kcat process', unavailable: 'kcat is not installed (apt-get install -y kcat)' },
    { tool: 'ConsumerPerformance', basis: 'the tool\'s nMsg.sec (group join included)', unavailable: typeof tools === 'string' ? tools : undefined },
  ];
  return { lines: data.lines, bytes: data.bytes, tools: summarise(runs, tools2, bytesPerLine), runs, commands, windows, countedLines, loadAverages };
}

// ---------------------------------------------------------------------------------------------
// 3. Upload → email latency

/** An object with `errors` ERROR lines among 60 lines, all inside the window of minute `i` of its day. */
function burstObject(i: number, day: number, errors: number): { body: string; firstMs: number } {
  const firstMs = day + i * 60_000;
  const lines: string[] = [];
  for (let s = 0; s < 60; s++) {
    const level = s < errors ? 'ERROR' : 'INFO';
    lines.push(formatLine(firstMs + s * 900, 'bench-latency', level, `${level === 'ERROR' ? 'payment failed' : 'request served'} object=${i} seq=${s}`));
  }
  return { body: `${lines.join('\n')}\n`, firstMs };
}

/**
 * The settings compared by the latency section, both measured in the same run with their uploads
 * alternating: the ones docs/operations.md recommends for alerting ("Alerting settings"; keep the
 * two in step), and the ones earlier runs measured (the peer).
 */
export const LATENCY_PROFILES: Array<{ name: string; env: Record<string, string> }> = [
  { name: 'alerting (docs/operations.md)', env: { LOGPIPE_REPORT_IDLE_CLOSE_MS: '300', LOGPIPE_INGEST_SQS_WAIT_SECONDS: '20' } },
  { name: 'earlier runs', env: { LOGPIPE_REPORT_IDLE_CLOSE_MS: '1000', LOGPIPE_INGEST_SQS_WAIT_SECONDS: '1' } },
];

type LatencyProfileResult = NonNullable<NonNullable<BenchResults['latency']>['profiles']>[number];

/** One `logpipe start` of the latency section: its own bucket, queue, topic, group, recipient and log. */
interface LatencyService {
  name: string;
  bucket: string;
  recipient: string;
  env: Record<string, string>;
  settings: Record<string, unknown>;
  logFile: string;
  argv: string[];
  child: ReturnType<typeof spawn>;
  exited: Promise<number | null>;
  port: number;
  samples: LatencySample[];
  marks: Map<number, UploadMark>;
  startedMs: number;
  cpuSeconds?: number;
  wallSeconds?: number;
}

async function startLatencyService(ctx: Ctx, index: number, profile: (typeof LATENCY_PROFILES)[number]): Promise<LatencyService> {
  const tag = `${ctx.id}-latency${index}`;
  const bucket = tag;
  ctx.buckets.add(bucket);
  await createBucket(ctx.s3, bucket);
  const queueUrl = await notifyQueue(ctx.s3, ctx.sqs, bucket, tag);
  ctx.queues.add(queueUrl);
  ctx.topics.add(tag);
  await createLogTopics(ctx.admin, ctx.config, [tag]);
  const port = await freePort();
  const recipient = `${tag}@example.com`;
  const env: Record<string, string> = {
    LOGPIPE_KAFKA_TOPIC: tag,
    LOGPIPE_CONTROL_PORT: String(port),
    LOGPIPE_INGEST_SQS_QUEUE_URL: queueUrl,
    LOGPIPE_REPORT_GROUP_ID: tag,
    LOGPIPE_REPORT_EMAIL_TRANSPORT: 'ses',
    LOGPIPE_REPORT_EMAIL_TO: recipient,
    LOGPIPE_REPORT_DIR: path.join(ctx.work, `${tag}-reports`),
    // The breakdown reads the debug lines along the path (bench/lib/latency-breakdown.ts).
    LOGPIPE_LOG_LEVEL: 'debug',
    ...profile.env,
  };
  const fullEnv = { ...ctx.env, ...env };
  // The effective settings, as the service sees them (the watermark and trigger keys are reported).
  const effective = JSON.parse(execFileSync(ctx.cli[0], [...ctx.cli.slice(1), 'config'], { env: fullEnv, encoding: 'utf8' })) as Record<string, Record<string, unknown>>;
  const settings = {
    'report.windowMode': effective.report?.windowMode,
    'report.windowSizeMs': effective.report?.windowSizeMs,
    'report.allowedLatenessMs': effective.report?.allowedLatenessMs,
    'report.idleCloseMs': effective.report?.idleCloseMs,
    'report.alertThresholds': effective.report?.alertThresholds,
    'report.emailTransport': effective.report?.emailTransport,
    'ingest.sqsWaitSeconds': effective.ingest?.sqsWaitSeconds,
    'ingest.workerMode': effective.ingest?.workerMode,
    'log.level': effective.log?.level,
  };
  const argv = [...ctx.cli, 'start'];
  const logFile = path.join(ctx.work, `${tag}-service.log`);
  const out = fs.openSync(logFile, 'a');
  const child = spawn(argv[0], argv.slice(1), { env: fullEnv, stdio: ['ignore', out, out], detached: true });
  fs.closeSync(out);
  if (child.pid) track(child.pid);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { name: profile.name, bucket, recipient, env, settings, logFile, argv, child, exited, port, samples: [], marks: new Map(), startedMs: Date.now() };
}

/** CPU seconds (user + system) the process has used so far, from /proc; undefined where there is none. */
function cpuSecondsOf(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/**
 * The service's CPU over its whole run (start-up, the uploads, the idle time between them), read
 * before any service is stopped (a shutdown takes seconds): what a change to its timers costs.
 */
function readLatencyServiceCpu(s: LatencyService): void {
  s.cpuSeconds = cpuSecondsOf(s.child.pid);
  s.wallSeconds = (Date.now() - s.startedMs) / 1000;
}

async function stopLatencyService(s: LatencyService): Promise<void> {
  // Only the service started above is stopped: SIGTERM (clean shutdown), SIGKILL after 30 s.
  if (s.child.pid) killGroup(s.child.pid, 'SIGTERM');
  const code = await Promise.race([s.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000).unref())]);
  if (code === 'timeout' && s.child.pid) killGroup(s.child.pid);
  if (s.child.pid) untrack(s.child.pid);
}

/** Uploads object i to one service and waits for its email; the sample and the breakdown's marks go to the service. */
async function uploadAndWait(ctx: Ctx, s: LatencyService, i: number, windowMs: number): Promise<void> {
  const warmUp = i === 0;
  // A fixed day far from today's windows; object i fills minute i, so each object is its own window.
  const day = Date.UTC(2026, 1, 1);
  const key = `latency/${i}/LogFileGenerator.2026-02-01.log`;
  const { body, firstMs } = burstObject(i, day, 10);
  const windowId = `${windowMs}@${Math.floor(firstMs / windowMs) * windowMs}`;
  const t0 = Date.now();
  await ctx.s3.send(new PutObjectCommand({ Bucket: s.bucket, Key: key, Body: body }));
  try {
    const at = await eventually(`the email of ${key}`, async () => ((await sesEmails(ctx.config.ses.endpoint, s.recipient)).some((e) => e.body?.text?.includes(`window ${windowId}`)) ? Date.now() : undefined), 60_000, 50);
    s.samples.push({ object: i, key, warmUp, seconds: (at - t0) / 1000 });
    if (!warmUp) s.marks.set(i, { key, windowId, t0Ms: t0, seenMs: at });
    ctx.progress.log(`  ${s.name}, object ${i}${warmUp ? ' (warm-up)' : ''}: ${((at - t0) / 1000).toFixed(2)} s`);
  } catch (err) {
    s.samples.push({ object: i, key, warmUp, error: (err as Error).message });
    ctx.progress.log(`  ${s.name}, object ${i}: ${(err as Error).message}`);
  }
}

function summariseLatency(ctx: Ctx, s: LatencyService): LatencyProfileResult {
  const measured = s.samples.filter((x) => !x.warmUp && x.seconds !== undefined).map((x) => x.seconds as number);
  const entries = fs.existsSync(s.logFile) ? parseLog(fs.readFileSync(s.logFile, 'utf8')) : [];
  const perObject: Array<Record<Hop, number>> = [];
  const unexplained: string[] = [];
  for (const [i, mark] of s.marks) {
    const b = breakdown(entries, mark);
    if (b.ok) perObject.push(b.hops);
    else unexplained.push(`object ${i}: no \`${b.missing}\``);
  }
  const hops = HOPS.map((hop) => {
    const xs = perObject.map((h) => h[hop]);
    return { hop, p50Ms: percentile(xs, 50), p90Ms: percentile(xs, 90) };
  });
  return {
    name: s.name, settings: s.settings, env: s.env, samples: s.samples, measured: measured.length,
    p50Seconds: percentile(measured, 50), p90Seconds: percentile(measured, 90), p95Seconds: percentile(measured, 95),
    minSeconds: measured.length ? Math.min(...measured) : undefined, maxSeconds: measured.length ? Math.max(...measured) : undefined,
    breakdown: { objects: perObject.length, hops, unexplained },
    cpuSeconds: s.cpuSeconds, wallSeconds: s.wallSeconds,
    command: `${Object.entries(s.env).map(([k, v]) => `${k}=${k.endsWith('_DIR') ? '<tmp>' : v}`).join(' ')} ${display(ctx, s.argv)}`,
  };
}

/**
 * Upload → alert email through `logpipe start`, for each of LATENCY_PROFILES: one service per
 * profile, running side by side, each sent a warm-up object and then `latencyObjects` objects,
 * alternating between the services (one upload in flight at a time), so load on the shared machine
 * hits both alike. Per object, the service's debug log says where the time went.
 */
async function measureLatency(ctx: Ctx): Promise<NonNullable<BenchResults['latency']>> {
  const services: LatencyService[] = [];
  const windowMs = Number(ctx.config.report.windowSizeMs);
  // The machine is shared: its load (1-minute average) before and after says how far to trust the numbers.
  const loadBefore = os.loadavg()[0];
  try {
    for (const [i, p] of LATENCY_PROFILES.entries()) services.push(await startLatencyService(ctx, i, p));
    for (const s of services) {
      await eventually(`the service "${s.name}" to be ready`, async () => ((await fetch(`http://127.0.0.1:${s.port}/readyz`).catch(() => undefined))?.status === 200 ? true : undefined), 60_000);
    }
    for (let i = 0; i <= ctx.profile.latencyObjects; i++) {
      // Alternate which service goes first, so neither always follows the other's email.
      const order = i % 2 === 0 ? services : [...services].reverse();
      for (const s of order) await uploadAndWait(ctx, s, i, windowMs);
    }
  } finally {
    for (const s of services) readLatencyServiceCpu(s);
    for (const s of services) await stopLatencyService(s);
  }
  const profiles = services.map((s) => summariseLatency(ctx, s));
  const main = profiles[0];
  return {
    settings: main.settings, env: main.env, samples: main.samples, measured: main.measured,
    p50Seconds: main.p50Seconds, p95Seconds: main.p95Seconds, minSeconds: main.minSeconds, maxSeconds: main.maxSeconds,
    profiles,
    loadAverage: { before: loadBefore, after: os.loadavg()[0] },
    commands: {
      ...Object.fromEntries(profiles.map((p) => [`service (${p.name})`, p.command])),
      upload: 'PutObject (AWS SDK) of a 60-line object, 10 ERROR lines first, into a bucket notifying the service\'s SQS queue; then GET http://127.0.0.1:8005/store every 50 ms until an email to the service\'s recipient names the window',
    },
  };
}

// ---------------------------------------------------------------------------------------------
// 4. Memory

async function upload(ctx: Ctx, data: DataFile, bucket: string, key: string): Promise<{ seconds: number; argv: string[] }> {
  const argv = [...ctx.cli, 'upload', data.file, '--bucket', bucket, '--key', key];
  const r = await run(argv[0], argv.slice(1), { env: ctx.env, stderrFile: ctx.logFile, timeoutMs: (data.bytes / MB + 120) * 1000 });
  if (r.code !== 0) throw new Error(failure(`logpipe upload of ${path.basename(data.file)}`, r, ctx.logFile));
  return { seconds: r.wallSeconds, argv };
}

async function measureMemory(ctx: Ctx, bucket: string, files: DataFile[], ingest: Stage | undefined): Promise<NonNullable<BenchResults['memory']>> {
  const points: MemoryPoint[] = [];
  const commands: Record<string, string> = {};
  for (const data of files) {
    const fromRounds = ingest && ingest.lines === data.lines ? ingest.runs.filter((r) => r.tool === 'logpipe ingest' && r.ok) : [];
    if (fromRounds.length) {
      const kcat = ingest?.tools.find((t) => t.tool === 'kcat -P')?.linesPerSecond;
      points.push({
        lines: data.lines, bytes: data.bytes, source: `ingest rounds (median of ${fromRounds.length})`,
        peakRssBytes: median(fromRounds.map((r) => r.peakRssBytes ?? 0)), linesPerSecond: median(fromRounds.map((r) => r.linesPerSecond)), kcatLinesPerSecond: kcat,
      });
      continue;
    }
    const key = `memory/${path.basename(data.file)}`;
    const point: MemoryPoint = { lines: data.lines, bytes: data.bytes, source: 'one run' };
    try {
      ctx.progress.log(`  uploading ${(data.bytes / MB).toFixed(0)} MB to moto`);
      const up = await upload(ctx, data, bucket, key);
      commands.upload ??= display(ctx, up.argv);
      point.uploadSeconds = up.seconds;
      const topic = `${ctx.id}-memory-${data.lines}`;
      ctx.topics.add(topic);
      await createLogTopics(ctx.admin, ctx.config, [topic]);
      const lp = await logpipeIngest(ctx, bucket, key, data, topic, 1);
      commands['logpipe ingest'] ??= display(ctx, lp.argv);
      await deleteTopics(ctx.admin, [topic]);
      ctx.topics.delete(topic);
      if (lp.run.ok) {
        point.peakRssBytes = lp.run.peakRssBytes;
        point.linesPerSecond = lp.run.linesPerSecond;
      } else point.error = lp.run.error;
      ctx.progress.log(`  ${(data.bytes / MB).toFixed(0)} MB: ${lp.run.ok ? `peak RSS ${Math.round((lp.run.peakRssBytes ?? 0) / 2 ** 20)} MiB, ${fmtRate(lp.run.linesPerSecond)} lines/s` : lp.run.error}`);
      if (ctx.kcat) {
        // kcat on the same file, for the ratio at this size.
        const ktopic = `${ctx.id}-memory-kcat-${data.lines}`;
        ctx.topics.add(ktopic);
        await createLogTopics(ctx.admin, ctx.config, [ktopic]);
        const k = await verifyCount(ctx, await kcatProduce(ctx, data, ktopic, 1), data.lines);
        commands['kcat -P'] ??= display(ctx, k.argv);
        if (k.run.ok) point.kcatLinesPerSecond = k.run.linesPerSecond;
        await deleteTopics(ctx.admin, [ktopic]);
        ctx.topics.delete(ktopic);
      }
    } catch (err) {
      point.error = (err as Error).message;
    } finally {
      // moto holds objects in memory: drop each big one as soon as it has been measured.
      await ctx.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
    }
    points.push(point);
  }
  return { points, commands };
}

// ---------------------------------------------------------------------------------------------
// 5. Parser

async function measureParser(ctx: Ctx): Promise<NonNullable<BenchResults['parser']>> {
  const argv = [process.execPath, '-r', 'ts-node/register/transpile-only', path.join(ctx.root, 'bench', 'parse.ts'), '--lines', String(ctx.profile.parseLines), '--rounds', String(ctx.profile.parseRounds)];
  const r = await run(argv[0], argv.slice(1), { cwd: ctx.root, stderrFile: ctx.logFile, timeoutMs: 600_000 });
  const m = /results: (\S+)/.exec(r.stdout);
  if (r.code !== 0 || !m) throw new Error(failure('bench/parse.ts', r, ctx.logFile));
  const file = path.resolve(ctx.root, m[1]);
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { lines: number; results: Array<{ name: string; linesPerSecond: number; rounds: number[] }> };
  return { lines: parsed.lines, rounds: ctx.profile.parseRounds, results: parsed.results, resultsFile: path.relative(ctx.root, file), command: display(ctx, argv).replace(/^node -r ts-node\/register\/transpile-only /, 'ts-node --transpile-only ') };
}

// ---------------------------------------------------------------------------------------------
// Main

function versionOf(cmd: string, args: string[], pick: (out: string) => string | undefined): string | undefined {
  try {
    return pick(execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  } catch {
    return undefined;
  }
}

/** Expected seconds per step on the development machine: the progress bar's weights only. */
function weights(p: Profile): Record<string, number> {
  const r = p.rounds;
  return {
    preflight: 8,
    data: p.baseLines / 400_000 + p.memoryLines.reduce((a, b) => a + b, 0) / 3_000_000,
    // logpipe on kafkajs, on librdkafka (about 150,000 lines/s), the peers
    ingest: r * (p.compareLines / 36_000 + p.compareLines / 150_000 + 3 + p.compareLines / 300_000 + p.naiveSeconds + 8) + p.compareLines / 300_000,
    // logpipe report, the bare kafkajs consumer (about 190,000 lines/s and 3 s to start), the peers
    report: r * (p.compareLines / 32_000 + p.compareLines / 190_000 + 3 + p.compareLines / 200_000 + 8),
    latency: 15 + (p.latencyObjects + 1) * 2 * 2.5,
    memory: p.memoryLines.filter((l) => l !== p.compareLines).reduce((a, l) => a + l / 36_000 + l / 330_000 + l / 300_000 + 4, 0),
    parser: (p.parseLines * p.parseRounds) / 1_500_000 + 4,
    // Writing history runs at about 4,000 objects/s here; each round is four starts of about 2-15 s.
    startup: 20 + p.startupHistory.reduce((a, n) => a + n / 4_000 + 30 + p.startupRounds * (55 + n / 12_000), 0),
  };
}

async function main(): Promise<void> {
  const render = process.argv.indexOf('--render');
  if (render > 0) {
    const file = path.resolve(process.argv[render + 1] ?? usage('--render needs a results file'));
    writeDocs(path.join(packageRoot(), 'docs', 'benchmarks.md'), JSON.parse(fs.readFileSync(file, 'utf8')) as BenchResults, path.relative(packageRoot(), file));
    process.stdout.write(`docs/benchmarks.md: ${path.relative(packageRoot(), file)}\n`);
    return;
  }
  const args = parseArgs(process.argv.slice(2));
  const { profile } = args;
  const started = Date.now();
  const root = packageRoot();
  const when = new Date();
  const id = `bench-${when.toISOString().replace(/[-:T]/g, '').slice(0, 14)}`;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `logpipe-${id}-`));
  const logFile = path.join(work, 'bench.log');
  const w = weights(profile);
  const planned = ['preflight', 'data', ...STEPS.filter((s) => !args.skip.has(s))];
  const progress = createProgress(planned.reduce((a, s) => a + (w[s] ?? 1), 0));
  const stepSeconds: Record<string, number> = {};
  let stepStart = Date.now();
  const begin = (step: string, label: string): void => {
    stepStart = Date.now();
    progress.begin(label, w[step] ?? 1);
  };
  const end = (step: string): void => {
    stepSeconds[step] = Number(((Date.now() - stepStart) / 1000).toFixed(1));
    progress.end();
  };
  progress.log(`${profile.mode} run ${id}; logs and temporary files in ${work}`);

  // --- preflight: dist, the stack, the peers
  begin('preflight', 'preflight: build, local stack, peers');
  const cliJs = path.join(root, 'dist', 'cli', 'main.js');
  if (!fs.existsSync(cliJs)) {
    progress.log('dist/ is missing: npm run build');
    const b = await run('npm', ['run', '-s', 'build'], { cwd: root, stderrFile: logFile, stdoutFile: `${logFile}.build` });
    if (b.code !== 0) throw new Error(failure('npm run build', b, logFile));
  }
  const cli = [process.execPath, cliJs];
  const stack = await stackUp(cli, logFile);
  progress.log(stack.started.length ? `started ${stack.started.join(', ')} (left running; npm run dev:down stops them)` : 'local stack already running');
  const config = loadConfig().config;
  const broker = config.kafka.brokers[0];
  const stackDir = path.resolve(root, config.stack.dir);
  const tools = await ensureKafkaTools(stackDir, logFile);
  if (typeof tools === 'string') progress.log(`Kafka tools unavailable: ${tools}`);
  const kcatVersion = versionOf('kcat', ['-V'], (o) => o.split('\n').find((l) => l.startsWith('Version'))?.trim());
  if (!kcatVersion) progress.log('kcat unavailable: apt-get install -y kcat');
  if (!haveGnuTime()) progress.log('/usr/bin/time is missing: peak RSS of the peers is not measured');
  const statuses = stackStatus(cli);
  const desc = (n: string): string | undefined => statuses.find((s) => s.name === n)?.description;
  const described = describeMachine();
  const machine = {
    ...described,
    kafka: desc('kafka'),
    moto: desc('moto'),
    ses: desc('ses'),
    kcat: kcatVersion ? `${/Version (\S+)/.exec(kcatVersion)?.[1] ?? kcatVersion} (librdkafka ${/librdkafka (\S+)/.exec(kcatVersion)?.[1] ?? '?'})` : undefined,
    kafkajs: (JSON.parse(fs.readFileSync(path.join(root, 'node_modules', 'kafkajs', 'package.json'), 'utf8')) as { version: string }).version,
  };
  const git = versionOf('git', ['-C', root, 'rev-parse', 'HEAD'], (o) => o.trim());
  const dirty = versionOf('git', ['-C', root, 'status', '--porcelain'], (o) => o.trim());
  const kafka = new Kafka({ clientId: 'logpipe-bench', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ctx: Ctx = {
    id, root, work, logFile, config, broker, cli, env: { ...process.env, LOGPIPE_LOG_FORMAT: 'json' }, admin,
    s3: createS3(config), sqs: createSqs(config), progress, profile, tools, kcat: kcatVersion,
    topics: new Set(), buckets: new Set(), queues: new Set(),
  };
  // Ctrl-C: the terminal's SIGINT does not reach the children (each leads its own process group), so
  // the running one is killed here by its group id; later steps are skipped and what this run made is removed.
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    progress.log('interrupted: stopping the running measurement, then cleaning up');
    killTracked();
  });
  end('preflight');

  const results: BenchResults = {
    benchmark: 'bench', mode: profile.mode, when: when.toISOString(), totalSeconds: 0, machine,
    git: git ? { commit: git, dirty: !!dirty } : undefined,
    profile: { ...profile }, scaleNote: SCALE_NOTES[profile.mode],
    data: { seed: profile.seed, generateCommand: '', files: [] },
    stack, skipped: {}, stepSeconds,
  };
  const bucket = `${id}-data`;
  try {
    // --- data (only the ingest, report and memory steps read it)
    const needData = !(args.skip.has('ingest') && args.skip.has('report') && args.skip.has('memory') && args.skip.has('cores'));
    begin('data', needData ? 'data: generate and upload' : 'data: not needed by the steps run');
    const data = needData
      ? await (async () => {
          const base = await generateBase(cli, profile.seed, profile.baseLines, logFile);
          results.data.generateCommand = display(ctx, base.command);
          const compare = await derive(base, profile.compareLines);
          const memoryFiles: DataFile[] = [];
          for (const l of profile.memoryLines) memoryFiles.push(await derive(base, l));
          const cores = await derive(base, profile.coresLines);
          for (const f of [base, compare, ...memoryFiles, cores]) {
            if (!results.data.files.some((x) => x.lines === f.lines)) results.data.files.push({ lines: f.lines, bytes: f.bytes, origin: f.origin });
          }
          progress.log(`data in ${dataDir()}: ${results.data.files.map((f) => `${f.lines.toLocaleString('en-US')} lines (${(f.bytes / MB).toFixed(1)} MB, ${f.origin})`).join('; ')}`);
          ctx.buckets.add(bucket);
          await createBucket(ctx.s3, bucket);
          const compareKey = `compare/${path.basename(compare.file)}`;
          if (!args.skip.has('ingest')) {
            const up = await upload(ctx, compare, bucket, compareKey);
            progress.log(`uploaded ${(compare.bytes / MB).toFixed(1)} MB in ${up.seconds.toFixed(1)} s`);
          }
          return { compare, compareKey, memoryFiles, cores };
        })()
      : undefined;
    end('data');

    // --- 1. ingest
    let reportTopic: string | undefined;
    if (!args.skip.has('ingest') && data && !interrupted) {
      begin('ingest', `ingest: ${profile.rounds} rounds × 4 tools, ${(data.compare.bytes / MB).toFixed(0)} MB`);
      const r = await measureIngest(ctx, bucket, data.compareKey, data.compare);
      results.ingest = r.stage;
      reportTopic = r.reportTopic;
      end('ingest');
    } else results.skipped.ingest = interrupted ? 'interrupted' : '--skip ingest';

    // --- 2. report (over the first round's logpipe topic)
    if (!args.skip.has('report') && !interrupted) {
      if (reportTopic && data) {
        begin('report', `report: ${profile.rounds} rounds × 4 tools`);
        results.report = await measureReport(ctx, reportTopic, data.compare);
        end('report');
      } else results.skipped.report = 'no topic ingested by logpipe to read (the ingest step was skipped or failed)';
    } else results.skipped.report = interrupted ? 'interrupted' : '--skip report';
    if (reportTopic) {
      await deleteTopics(admin, [reportTopic]);
      ctx.topics.delete(reportTopic);
    }

    // --- 3. latency
    if (!args.skip.has('latency') && !interrupted) {
      begin('latency', `latency: ${profile.latencyObjects} objects + 1 warm-up through logpipe start`);
      results.latency = await measureLatency(ctx);
      end('latency');
    } else results.skipped.latency = interrupted ? 'interrupted' : '--skip latency';

    // --- 4. memory
    if (!args.skip.has('memory') && data && !interrupted) {
      begin('memory', `memory: logpipe ingest of ${data.memoryFiles.map((f) => `${(f.bytes / MB).toFixed(0)} MB`).join(', ')}`);
      results.memory = await measureMemory(ctx, bucket, data.memoryFiles, results.ingest);
      end('memory');
    } else results.skipped.memory = interrupted ? 'interrupted' : '--skip memory';

    // --- 5. parser
    if (!args.skip.has('parser') && !interrupted) {
      begin('parser', 'parser: bench/parse.ts');
      results.parser = await measureParser(ctx);
      end('parser');
    } else results.skipped.parser = interrupted ? 'interrupted' : '--skip parser';

    // --- 6. startup
    if (!args.skip.has('startup') && !interrupted) {
      begin('startup', `startup: ${profile.startupHistory.map((n) => n.toLocaleString('en-US')).join(' and ')} objects and windows of history`);
      results.startup = await measureStartup(
        {
          kafka, admin, config, cli, env: ctx.env, id, work, logFile, topics: ctx.topics,
          kafkaDataDir: path.join(stackDir, 'kafka', 'data'), log: (line) => progress.log(line), interrupted: () => interrupted,
        },
        profile.startupHistory,
        profile.startupRounds,
      );
      end('startup');
    } else results.skipped.startup = interrupted ? 'interrupted' : '--skip startup';

    // --- 7. cores
    if (!args.skip.has('cores') && data && !interrupted) {
      begin('cores', `cores: 1..${os.availableParallelism()} cores × 1 and ${os.availableParallelism()} objects of ${profile.coresLines.toLocaleString('en-US')} lines vs kcat -P; scale-out over SQS`);
      results.cores = await measureCores(
        { kafka, admin, config, s3: ctx.s3, sqs: ctx.sqs, cli, env: ctx.env, id, work, logFile, topics: ctx.topics, buckets: ctx.buckets, queues: ctx.queues, kcat: !!kcatVersion, log: (line) => progress.log(line), interrupted: () => interrupted },
        data.cores,
        { rounds: profile.coresRounds, scaleOutObjects: profile.scaleOutObjects },
      );
      end('cores');
    } else results.skipped.cores = interrupted ? 'interrupted' : '--skip cores';
  } finally {
    await deleteTopics(admin, [...ctx.topics]).catch(() => undefined);
    // Consumer groups this run made (all named after its id; the report stage adds "-merge" ones).
    const groups = await admin.listGroups().then((g) => g.groups.map((x) => x.groupId).filter((x) => x.startsWith(`${id}-`))).catch(() => []);
    if (groups.length) await admin.deleteGroups(groups).catch(() => undefined);
    for (const b of ctx.buckets) await deleteBucket(ctx.s3, b);
    for (const q of ctx.queues) await deleteQueue(ctx.sqs, q);
    await admin.disconnect().catch(() => undefined);
    ctx.s3.destroy();
    ctx.sqs.destroy();
  }

  results.totalSeconds = Number(((Date.now() - started) / 1000).toFixed(1));
  const out = path.join(root, 'bench', 'results', `${when.toISOString().replace(/[:.]/g, '-')}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  if (args.docs) writeDocs(path.join(root, 'docs', 'benchmarks.md'), results, path.relative(root, out));
  progress.stop();
  process.stdout.write(summaryText(results, path.relative(root, out), args.docs));
  // kafkajs and the AWS SDK may keep sockets for a moment; nothing is left to wait for.
  process.exit(0);
}

/** The terminal summary: the headline numbers with ratios. */
function summaryText(r: BenchResults, file: string, docs: boolean): string {
  const lines: string[] = [`\n${r.mode} benchmark finished in ${r.totalSeconds.toFixed(0)} s (goal: ${r.mode === 'quick' ? '180' : '1,200'} s)`];
  const stage = (name: string, s: Stage | undefined): void => {
    if (!s) return;
    lines.push(`${name} (${s.lines.toLocaleString('en-US')} lines, ${(s.bytes / MB).toFixed(0)} MB), median lines/s:`);
    s.tools.forEach((t, i) => {
      // A second logpipe row (the other Kafka client) is logpipe too: its own ratio to kcat -P.
      const kcat = s.tools.find((k) => k.tool === 'kcat -P')?.linesPerSecond;
      const ratioText = i === 0 ? '' : t.tool.startsWith('logpipe') ? `  ÷ kcat -P ${t.linesPerSecond !== undefined && kcat ? (t.linesPerSecond / kcat).toFixed(3) : '-'}` : `  logpipe/peer ${t.logpipeRatio?.toFixed(3) ?? '-'}`;
      lines.push(`  ${t.tool.padEnd(28)} ${t.linesPerSecond === undefined ? `not measured: ${t.unavailable ?? 'no successful run'}` : `${fmtRate(t.linesPerSecond).padStart(11)}${ratioText}`}`);
    });
  };
  stage('ingest', r.ingest);
  stage('report', r.report);
  if (r.latency) {
    lines.push(`upload → email: p50 ${r.latency.p50Seconds?.toFixed(2) ?? '-'} s (goal ≤ 1 s, not asserted), p95 ${r.latency.p95Seconds?.toFixed(2) ?? '-'} s over ${r.latency.measured} objects`);
    for (const p of r.latency.profiles ?? []) {
      lines.push(`  ${p.name}: p50 ${p.p50Seconds?.toFixed(2) ?? '-'} s, p90 ${p.p90Seconds?.toFixed(2) ?? '-'} s, CPU ${p.cpuSeconds?.toFixed(1) ?? '-'} s in ${p.wallSeconds?.toFixed(0) ?? '-'} s; hops p50/p90 ms: ${p.breakdown.hops.map((h) => `${h.hop} ${h.p50Ms ?? '-'}/${h.p90Ms ?? '-'}`).join(', ')}`);
    }
  }
  if (r.memory) lines.push(`memory: ${r.memory.points.map((p) => `${(p.bytes / MB).toFixed(0)} MB → ${p.peakRssBytes ? `${Math.round(p.peakRssBytes / 2 ** 20)} MiB` : p.error ?? '-'}`).join(', ')}`);
  if (r.parser) lines.push(`parser: ${r.parser.results.map((p) => `${p.name} ${fmtRate(p.linesPerSecond)} lines/s`).join('; ')}`);
  for (const p of r.startup?.points ?? []) {
    const s = (x: number | undefined): string => (x === undefined ? '?' : `${x.toFixed(1)} s`);
    lines.push(`startup after ${p.history.toLocaleString('en-US')}: ingest ${s(p.ingestSeconds)} (whole ledger ${s(p.ingestWholeSeconds)}, empty ${s(p.ingestEmptySeconds)}), report ${s(p.reportSeconds)} (whole ledger ${s(p.reportWholeSeconds)}, empty ${s(p.reportEmptySeconds)})${p.error ? `; ${p.error}` : ''}`);
  }
  for (const c of r.cores?.cases ?? []) {
    lines.push(`cores: ${c.objects} object(s) on ${c.cores} core(s): logpipe ${c.logpipeLinesPerSecond === undefined ? '-' : fmtRate(c.logpipeLinesPerSecond)} lines/s, kcat -P ${c.kcatLinesPerSecond === undefined ? '-' : fmtRate(c.kcatLinesPerSecond)}, ratio ${c.ratio?.toFixed(3) ?? '-'}${c.exact ? '' : ' (NOT exact)'}`);
  }
  const so = r.cores?.scaleOut;
  if (so) lines.push(`scale-out over SQS (${so.objects} objects): 1 process ${so.oneLinesPerSecond === undefined ? '-' : fmtRate(so.oneLinesPerSecond)} lines/s, 2 processes ${so.twoLinesPerSecond === undefined ? '-' : fmtRate(so.twoLinesPerSecond)} (×${so.ratio?.toFixed(2) ?? '-'})${so.exact ? '' : ' (NOT exact)'}`);
  lines.push(`results: ${file}${docs ? '; tables: docs/benchmarks.md' : ''}`, '');
  return lines.join('\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`\nbench: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
