/**
 * Kafka clients compared on logpipe's own records: kafkajs (logpipe's ObjectPublisher, as `logpipe
 * ingest` uses it), @platformatic/kafka (pure JavaScript) and @confluentinc/kafka-javascript
 * (librdkafka), each behind the publisher interface (`commit(records, progress)`, one transaction per
 * batch with the object's progress record), against kcat -P on the same file; then reading
 * (read_committed) the kafkajs topic back with each client and kcat -C.
 *
 * The records are the ones `logpipe ingest` writes: the file goes through LineStreamer (split, parse,
 * batch: same key, value, timestamp and headers, same batch size from the configuration); only the
 * Kafka client differs. S3 and the actors are left out, so the rates are a ceiling for ingest with
 * that client. The alternative clients are not dependencies of logpipe: each is loaded from a
 * directory of its own (`npm install` into a scratch directory), given by a flag or variable:
 *
 *   --platformatic-dir DIR  (LOGPIPE_BENCH_PLATFORMATIC_DIR)  DIR/node_modules/@platformatic/kafka
 *   --confluent-dir DIR     (LOGPIPE_BENCH_CONFLUENT_DIR)     DIR/node_modules/@confluentinc/kafka-javascript
 *
 * Each measurement is a child process of its own (same start for every client: fresh heap, fresh
 * connections), the clients interleaved within each round; the table shows medians over --rounds.
 * Produce rates run from opening the publisher (connect, InitProducerId) to the last commit; kcat's
 * is its process's wall clock. Consume rates run from creating the consumer (group join included) to
 * the last expected record; kcat's is its wall clock. Every produced topic is counted back with
 * kcat (read_committed) and must hold exactly the records written.
 *
 * Usage: ts-node --transpile-only bench/alt-client.ts [--file F] [--rounds 3]
 *          [--clients none,kafkajs,librdkafka,platformatic,confluent,confluent-native,kcat] [--consumers kafkajs,platformatic,confluent,kcat]
 *          [--batch-records N] [--chunk-records N] [--strip-headers a,b] [--platformatic-dir DIR] [--confluent-dir DIR]
 *          [--json OUT]
 */
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { ObjectPublisher, type PublisherTopics } from '../src/ingest/publisher';
import { LibrdkafkaObjectPublisher } from '../src/ingest/publisher-librdkafka';
import { librdkafkaConfigFor, loadLibrdkafka } from '../src/system/kafka/librdkafka';
import type { ObjectProgress } from '../src/ingest/progress';
import { LineStreamer } from '../src/ingest/streamer';
import { ensureIngestTopics } from '../src/ingest/topics';
import { loadConfig, type LogpipeConfig } from '../src/system/config/config';
import { median } from './lib/stats';

type Publisher = Pick<ObjectPublisher, 'commit' | 'close'>;
/** "none" discards each batch: what splitting, parsing and building the records cost without any client. */
/** "confluent-native" is the same library through its own (node-rdkafka) API: no promise per record. */
/** "librdkafka" is logpipe's own LibrdkafkaObjectPublisher (kafka.client librdkafka), from logpipe's node_modules. */
const PRODUCERS = ['none', 'kafkajs', 'librdkafka', 'platformatic', 'confluent', 'confluent-native', 'kcat'] as const;
const CONSUMERS = ['kafkajs', 'platformatic', 'confluent', 'kcat'] as const;
type ClientName = (typeof PRODUCERS)[number];

interface Options {
  file: string;
  rounds: number;
  producers: ClientName[];
  consumers: ClientName[];
  batchRecords?: number;
  chunkRecords?: number;
  /** Header names removed from every record before it is sent: what those headers cost (not what logpipe writes). */
  stripHeaders?: string[];
  platformaticDir?: string;
  confluentDir?: string;
  json?: string;
}

/** What a child prints (one JSON line). */
interface RunResult {
  client: string;
  mode: 'produce' | 'consume';
  lines: number;
  records: number;
  seconds: number;
  linesPerSecond: number;
  cpuSeconds?: number;
  peakRssBytes?: number;
  error?: string;
}

// ---------------------------------------------------------------------------------------------
// Loading the alternative clients from their own directories

/** A real dynamic import: TypeScript's CommonJS output would turn `import()` into require(), which cannot load ES modules here. */
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<Record<string, unknown>>;

/**
 * @platformatic/kafka declares Node >= 22.22 and calls Promise.withResolvers (Node 22); logpipe runs
 * on Node 20. The one missing function is supplied, as its specification defines it, so that the
 * client can be measured here; nothing else of it needed Node 22 in these runs.
 */
function supplyPromiseWithResolvers(): void {
  const P = Promise as unknown as { withResolvers?: () => unknown };
  P.withResolvers ??= () => {
    let resolve!: (v: unknown) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

async function loadPlatformatic(dir: string | undefined): Promise<PlatformaticModule> {
  supplyPromiseWithResolvers();
  return (await importModule(resolveIn(dir, '@platformatic/kafka', '--platformatic-dir'))) as unknown as PlatformaticModule;
}

function resolveIn(dir: string | undefined, pkg: string, flag: string): string {
  if (!dir) throw new Error(`${pkg}: no directory given (${flag} DIR, DIR/node_modules/${pkg} installed with npm install ${pkg})`);
  try {
    return require.resolve(pkg, { paths: [path.resolve(dir)] });
  } catch {
    throw new Error(`${pkg} is not installed under ${path.resolve(dir)} (expected ${path.join(path.resolve(dir), 'node_modules', pkg)}; npm install ${pkg} there)`);
  }
}

// The alternative clients' types are not available to this package: their surfaces are declared
// here as far as this script uses them.
interface PlatformaticTransaction {
  send(o: { messages: unknown[] }): Promise<unknown>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}
interface PlatformaticModule {
  Producer: new (o: Record<string, unknown>) => { beginTransaction(): Promise<PlatformaticTransaction>; close(): Promise<void> };
  Consumer: new (o: Record<string, unknown>) => {
    consume(o: Record<string, unknown>): Promise<AsyncIterable<unknown> & { close(): Promise<void> }>;
    close(force?: boolean): Promise<void>;
  };
  compatibilityPartitioner: (...args: unknown[]) => number;
  stringSerializer: (v: unknown) => Buffer | undefined;
  FetchIsolationLevels: { READ_COMMITTED: number };
}
interface ConfluentModule {
  KafkaJS: { Kafka: new (o: Record<string, unknown>) => ConfluentKafka };
  Producer: new (conf: Record<string, unknown>) => NativeProducer;
}
type Done = (err: Error | null) => void;
interface NativeProducer {
  connect(o: Record<string, unknown>, cb: Done): void;
  disconnect(cb: Done): void;
  initTransactions(timeoutMs: number, cb: Done): void;
  beginTransaction(cb: Done): void;
  commitTransaction(timeoutMs: number, cb: Done): void;
  abortTransaction(timeoutMs: number, cb: Done): void;
  produce(topic: string, partition: number | null, value: Buffer, key: string, timestamp: number, opaque: unknown, headers: Array<Record<string, string>>): boolean;
}
interface ConfluentKafka {
  producer(o: Record<string, unknown>): {
    connect(): Promise<void>;
    disconnect(): Promise<void>;
    transaction(): Promise<{ send(o: { topic: string; messages: unknown[] }): Promise<unknown>; commit(): Promise<void>; abort(): Promise<void> }>;
  };
  consumer(o: Record<string, unknown>): {
    connect(): Promise<void>;
    disconnect(): Promise<void>;
    subscribe(o: { topics: string[] }): Promise<void>;
    run(o: { eachBatch: (p: { batch: { messages: unknown[] } }) => Promise<void> }): Promise<void>;
  };
}

// ---------------------------------------------------------------------------------------------
// Publishers: the same commit(records, progress) contract as ObjectPublisher

function progressRecord(progress: ObjectProgress): { key: string; value: Buffer } {
  return { key: progress.id, value: Buffer.from(JSON.stringify(progress)) };
}

async function platformaticPublisher(o: Options, brokers: string[], transactionalId: string, topics: PublisherTopics): Promise<Publisher> {
  const kafka = await loadPlatformatic(o.platformaticDir);
  const producer = new kafka.Producer({
    clientId: 'logpipe-bench-platformatic',
    bootstrapBrokers: brokers,
    transactionalId,
    idempotent: true,
    acks: -1,
    // The Java client's partitions (what kafkajs's DefaultPartitioner computes), not the library's default.
    partitioner: kafka.compatibilityPartitioner,
    // Keys and header values are strings as logpipe builds them; values are Buffers already.
    serializers: { key: kafka.stringSerializer, value: (v: unknown) => v as Buffer, headerKey: kafka.stringSerializer, headerValue: kafka.stringSerializer },
  });
  return {
    async commit(records: Message[], progress: ObjectProgress): Promise<void> {
      const tx = await producer.beginTransaction();
      try {
        const messages: unknown[] = records.map((r) => ({ topic: topics.log, key: r.key, value: r.value, timestamp: BigInt(r.timestamp as string), headers: r.headers }));
        messages.push({ topic: topics.progress, ...progressRecord(progress) });
        await tx.send({ messages });
        await tx.commit();
      } catch (err) {
        await tx.abort().catch(() => undefined);
        throw err;
      }
    },
    close: () => producer.close(),
  };
}

async function confluentPublisher(o: Options, brokers: string[], transactionalId: string, topics: PublisherTopics): Promise<Publisher> {
  const { KafkaJS } = require(resolveIn(o.confluentDir, '@confluentinc/kafka-javascript', '--confluent-dir')) as ConfluentModule;
  const kafka = new KafkaJS.Kafka({ kafkaJS: { brokers, clientId: 'logpipe-bench-confluent', logLevel: 1 } });
  const producer = kafka.producer({
    kafkaJS: { transactionalId, idempotent: true, acks: -1, maxInFlightRequests: 5 },
    // The Java client's partitions; librdkafka's default (consistent_random, CRC32) would differ.
    partitioner: 'murmur2_random',
  });
  await producer.connect();
  return {
    async commit(records: Message[], progress: ObjectProgress): Promise<void> {
      const tx = await producer.transaction();
      try {
        // The compat layer rewrites the messages it is given (headers, timestamps): copies go in.
        await tx.send({ topic: topics.log, messages: records.map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp, headers: { ...r.headers } })) });
        await tx.send({ topic: topics.progress, messages: [progressRecord(progress)] });
        await tx.commit();
      } catch (err) {
        await tx.abort().catch(() => undefined);
        throw err;
      }
    },
    close: () => producer.disconnect(),
  };
}

/** librdkafka through the library's own API: records are queued without a promise each; commitTransaction flushes them. */
async function confluentNativePublisher(o: Options, brokers: string[], transactionalId: string, topics: PublisherTopics): Promise<Publisher> {
  const { Producer } = require(resolveIn(o.confluentDir, '@confluentinc/kafka-javascript', '--confluent-dir')) as ConfluentModule;
  const producer = new Producer({
    'bootstrap.servers': brokers.join(','),
    'client.id': 'logpipe-bench-confluent-native',
    'transactional.id': transactionalId,
    'enable.idempotence': true,
    acks: -1,
    partitioner: 'murmur2_random',
    // Room for a whole batch in librdkafka's queue (default 100,000 messages, 1 GiB).
    'queue.buffering.max.messages': 1_000_000,
  });
  const call = (f: (cb: Done) => void): Promise<void> => new Promise((resolve, reject) => f((err) => (err ? reject(err) : resolve())));
  await call((cb) => producer.connect({}, cb));
  await call((cb) => producer.initTransactions(30_000, cb));
  return {
    async commit(records: Message[], progress: ObjectProgress): Promise<void> {
      await call((cb) => producer.beginTransaction(cb));
      try {
        for (const r of records) {
          const headers = Object.entries(r.headers as Record<string, string>).map(([k, v]) => ({ [k]: v }));
          producer.produce(topics.log, null, r.value as Buffer, r.key as string, Number(r.timestamp), undefined, headers);
        }
        const p = progressRecord(progress);
        producer.produce(topics.progress, null, p.value, p.key, Date.now(), undefined, []);
        await call((cb) => producer.commitTransaction(60_000, cb));
      } catch (err) {
        await call((cb) => producer.abortTransaction(30_000, cb)).catch(() => undefined);
        throw err;
      }
    },
    close: () => call((cb) => producer.disconnect(cb)),
  };
}

async function openPublisher(client: string, o: Options, config: LogpipeConfig, transactionalId: string, topics: PublisherTopics): Promise<Publisher> {
  const brokers = config.kafka.brokers;
  if (client === 'none') return { commit: async () => undefined, close: async () => undefined };
  if (client === 'kafkajs') {
    const kafka = new Kafka({ clientId: 'logpipe-bench-kafkajs', brokers, logLevel: logLevel.NOTHING });
    return ObjectPublisher.open(kafka, transactionalId, topics, o.chunkRecords ? { sendChunkRecords: o.chunkRecords } : {});
  }
  if (client === 'librdkafka') {
    const rdkafka = loadLibrdkafka();
    return LibrdkafkaObjectPublisher.open(rdkafka, librdkafkaConfigFor(config, { clientIdSuffix: '-bench' }), transactionalId, topics);
  }
  if (client === 'platformatic') return platformaticPublisher(o, brokers, transactionalId, topics);
  if (client === 'confluent') return confluentPublisher(o, brokers, transactionalId, topics);
  if (client === 'confluent-native') return confluentNativePublisher(o, brokers, transactionalId, topics);
  throw new Error(`no publisher for client ${client}`);
}

// ---------------------------------------------------------------------------------------------
// Child processes: one measurement each

/** Streams the file through LineStreamer into the client's publisher, as `logpipe ingest` does. */
async function produceChild(client: string, o: Options, topic: string): Promise<RunResult> {
  const config = loadConfig().config;
  const name = path.basename(o.file);
  const stat = fs.statSync(o.file);
  // A stand-in for the S3 version (an ETag of the same length as moto's multipart ones).
  const version = `${crypto.createHash('md5').update(`${name}:${stat.size}:${stat.mtimeMs}`).digest('hex')}-7`;
  const topics = { log: topic, progress: config.kafka.progressTopic, deadLetter: config.kafka.deadLetterTopic };
  const id = `${topic} bench-alt-client/${name}#${version}`;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const publisher = await openPublisher(client, o, config, `logpipe-bench-${client}-${crypto.randomUUID()}`, topics);
  let records = 0;
  let lines = 0;
  const streamer = new LineStreamer(
    { source: name, headers: { object: `s3://bench-alt-client-data/${name}#${version}` }, name, lastModifiedMs: stat.mtimeMs },
    {
      parser: config.parser,
      maxLineBytes: config.ingest.maxLineBytes,
      batchMaxRecords: o.batchRecords ?? config.ingest.batchMaxRecords,
      batchMaxBytes: config.ingest.batchMaxBytes,
      maxInFlight: config.ingest.maxInFlightBatches,
    },
    async (batch) => {
      records += batch.records.length;
      lines = batch.lines;
      if (o.stripHeaders) for (const r of batch.records) for (const h of o.stripHeaders) delete (r.headers as Record<string, string>)[h];
      const progress: ObjectProgress = {
        id, status: batch.last ? 'done' : 'in-progress', byteOffset: batch.byteOffset, lines: batch.lines, entries: batch.entries,
        records, parser: batch.parser, updatedAt: new Date().toISOString(),
      };
      await publisher.commit(batch.records, progress);
    },
  );
  // The same chunking as S3 downloads give (about 64 KiB).
  for await (const chunk of fs.createReadStream(o.file, { highWaterMark: 64 * 1024 }) as AsyncIterable<Buffer>) await streamer.push(chunk);
  await streamer.end();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  await publisher.close();
  return { client, mode: 'produce', lines, records, seconds, linesPerSecond: lines / seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssBytes: process.resourceUsage().maxRSS * 1024 };
}

/** Reads the topic from the start (read_committed, a fresh group) until `expected` records came. */
async function consumeChild(client: string, o: Options, topic: string, expected: number): Promise<RunResult> {
  const config = loadConfig().config;
  const brokers = config.kafka.brokers;
  const groupId = `logpipe-bench-consume-${client}-${crypto.randomUUID()}`;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let count = 0;
  let done!: () => void;
  const reached = new Promise<void>((resolve) => (done = resolve));
  let stop: () => Promise<void>;
  if (client === 'kafkajs') {
    const consumer = new Kafka({ clientId: 'logpipe-bench-kafkajs', brokers, logLevel: logLevel.NOTHING }).consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 250 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        count += batch.messages.length;
        if (count >= expected) done();
      },
    });
    stop = () => consumer.disconnect();
  } else if (client === 'platformatic') {
    const kafka = await loadPlatformatic(o.platformaticDir);
    const consumer = new kafka.Consumer({ clientId: 'logpipe-bench-platformatic', bootstrapBrokers: brokers, groupId, isolationLevel: kafka.FetchIsolationLevels.READ_COMMITTED, maxWaitTime: 250 });
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
    void (async () => {
      for await (const _ of stream) {
        if (++count >= expected) {
          done();
          break;
        }
      }
    })();
    stop = async () => {
      await stream.close().catch(() => undefined);
      await consumer.close(true);
    };
  } else if (client === 'confluent') {
    const { KafkaJS } = require(resolveIn(o.confluentDir, '@confluentinc/kafka-javascript', '--confluent-dir')) as ConfluentModule;
    const consumer = new KafkaJS.Kafka({ kafkaJS: { brokers, clientId: 'logpipe-bench-confluent', logLevel: 1 } }).consumer({
      kafkaJS: { groupId, fromBeginning: true, autoCommit: false },
      'isolation.level': 'read_committed',
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic] });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        count += batch.messages.length;
        if (count >= expected) done();
      },
    });
    stop = () => consumer.disconnect();
  } else {
    throw new Error(`no consumer for client ${client}`);
  }
  await reached;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  await stop();
  return { client, mode: 'consume', lines: count, records: count, seconds, linesPerSecond: count / seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssBytes: process.resourceUsage().maxRSS * 1024 };
}

// ---------------------------------------------------------------------------------------------
// The parent: rounds, topics, kcat, verification, the table

function spawnTimed(cmd: string, args: string[], stdout: 'pipe' | 'ignore', logFile: string): Promise<{ code: number | null; seconds: number; stdout: string; cpuSeconds?: number; peakRssBytes?: number }> {
  const timeFile = `${logFile}.time-${process.hrtime.bigint()}`;
  const gnuTime = fs.existsSync('/usr/bin/time');
  const [c, a] = gnuTime ? ['/usr/bin/time', ['-f', '%U %S %M', '-o', timeFile, cmd, ...args]] : [cmd, args];
  const err = fs.openSync(logFile, 'a');
  fs.writeSync(err, `\n$ ${[cmd, ...args].join(' ')}\n`);
  const t0 = process.hrtime.bigint();
  const child = spawn(c, a, { stdio: ['ignore', stdout, err] });
  fs.closeSync(err);
  const out: Buffer[] = [];
  child.stdout?.on('data', (d: Buffer) => out.push(d));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      let cpuSeconds: number | undefined;
      let peakRssBytes: number | undefined;
      if (gnuTime && fs.existsSync(timeFile)) {
        const [u, s, m] = fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
        cpuSeconds = u + s;
        peakRssBytes = m * 1024;
        fs.rmSync(timeFile, { force: true });
      }
      resolve({ code, seconds, stdout: Buffer.concat(out).toString('utf8'), cpuSeconds, peakRssBytes });
    });
  });
}

/** Committed records in a topic, counted by kcat (read_committed, from the start to the end). */
function kcatCount(broker: string, topic: string): number {
  const r = spawnSync('kcat', ['-C', '-b', broker, '-t', topic, '-e', '-q', '-o', 'beginning', '-X', 'isolation.level=read_committed', '-f', '.'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`kcat -C on ${topic} failed: ${r.stderr}`);
  return r.stdout.length;
}

async function child(mode: 'produce' | 'consume', client: string, o: Options, topic: string, expected: number, logFile: string): Promise<RunResult> {
  const args = [
    '-r', 'ts-node/register/transpile-only', __filename, '--child', mode, '--client', client, '--topic', topic, '--expected', String(expected), '--file', o.file,
    ...(o.batchRecords ? ['--batch-records', String(o.batchRecords)] : []),
    ...(o.chunkRecords ? ['--chunk-records', String(o.chunkRecords)] : []),
    ...(o.stripHeaders ? ['--strip-headers', o.stripHeaders.join(',')] : []),
    ...(o.platformaticDir ? ['--platformatic-dir', o.platformaticDir] : []),
    ...(o.confluentDir ? ['--confluent-dir', o.confluentDir] : []),
  ];
  const r = await spawnTimed(process.execPath, args, 'pipe', logFile);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    const result = JSON.parse(line) as RunResult;
    if (r.code !== 0 || result.error) throw new Error(result.error ?? `exit code ${r.code}`);
    return result;
  } catch (err) {
    return { client, mode, lines: 0, records: 0, seconds: r.seconds, linesPerSecond: 0, error: `${(err as Error).message} (log: ${logFile})` };
  }
}

function fileLines(file: string): number {
  let n = 0;
  const buf = fs.readFileSync(file);
  for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) n++;
  return n;
}

async function parent(o: Options): Promise<void> {
  const { config } = loadConfig();
  const broker = config.kafka.brokers[0];
  const id = `bench-alt-${Date.now()}`;
  const logFile = path.join(os.tmpdir(), `logpipe-${id}.log`);
  const kafka = new Kafka({ clientId: 'logpipe-bench', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const lines = fileLines(o.file);
  const bytes = fs.statSync(o.file).size;
  const topics: string[] = [];
  const runs: Array<RunResult & { round: number; topic: string }> = [];
  const say = (s: string): void => void process.stderr.write(`${s}\n`);
  say(`${id}: ${path.basename(o.file)} (${lines.toLocaleString('en-US')} lines, ${(bytes / 1e6).toFixed(1)} MB); log ${logFile}`);
  try {
    for (let round = 1; round <= o.rounds; round++) {
      let source: { topic: string; records: number } | undefined;
      for (const client of o.producers) {
        const topic = `${id}-p-${client}-r${round}`;
        topics.push(topic);
        await ensureIngestTopics(admin, config, topic);
        let r: RunResult;
        if (client === 'kcat') {
          const k = await spawnTimed('kcat', ['-P', '-b', broker, '-t', topic, '-l', o.file, '-X', 'acks=all'], 'ignore', logFile);
          r = { client, mode: 'produce', lines, records: lines, seconds: k.seconds, linesPerSecond: lines / k.seconds, cpuSeconds: k.cpuSeconds, peakRssBytes: k.peakRssBytes, error: k.code === 0 ? undefined : `kcat exit ${k.code}` };
        } else {
          r = await child('produce', client, o, topic, 0, logFile);
        }
        if (!r.error && client !== 'none') {
          const counted = kcatCount(broker, topic);
          if (counted !== r.records) r.error = `${topic} holds ${counted} committed records, ${r.records} were written`;
        }
        runs.push({ ...r, round, topic });
        say(`round ${round} produce ${client}: ${r.error ?? `${Math.round(r.linesPerSecond).toLocaleString('en-US')} lines/s, ${r.cpuSeconds?.toFixed(1)} s CPU`}`);
        if (client === 'kafkajs' && !r.error) source = { topic, records: r.records };
      }
      if (!source || o.consumers.length === 0) continue;
      for (const client of o.consumers) {
        let r: RunResult;
        if (client === 'kcat') {
          const k = await spawnTimed('kcat', ['-C', '-b', broker, '-t', source.topic, '-e', '-q', '-o', 'beginning', '-X', 'isolation.level=read_committed'], 'ignore', logFile);
          r = { client, mode: 'consume', lines: source.records, records: source.records, seconds: k.seconds, linesPerSecond: source.records / k.seconds, cpuSeconds: k.cpuSeconds, peakRssBytes: k.peakRssBytes, error: k.code === 0 ? undefined : `kcat exit ${k.code}` };
        } else {
          r = await child('consume', client, o, source.topic, source.records, logFile);
        }
        runs.push({ ...r, round, topic: source.topic });
        say(`round ${round} consume ${client}: ${r.error ?? `${Math.round(r.linesPerSecond).toLocaleString('en-US')} lines/s, ${r.cpuSeconds?.toFixed(1)} s CPU`}`);
      }
    }
  } finally {
    await admin.deleteTopics({ topics, timeout: 30_000 }).catch(() => undefined);
    await admin.disconnect();
  }
  const fmt = (x: number | undefined, d = 0): string => (x === undefined || Number.isNaN(x) ? '' : x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
  const rows: string[] = ['| mode | client | lines/s (median) | CPU s (median) | peak RSS | ÷ kcat | runs (lines/s) |', '|---|---|---:|---:|---:|---:|---|'];
  for (const mode of ['produce', 'consume'] as const) {
    const kcat = median(runs.filter((r) => r.mode === mode && r.client === 'kcat' && !r.error).map((r) => r.linesPerSecond));
    for (const client of mode === 'produce' ? o.producers : o.consumers) {
      const mine = runs.filter((r) => r.mode === mode && r.client === client);
      if (mine.length === 0) continue;
      const ok = mine.filter((r) => !r.error);
      const rate = median(ok.map((r) => r.linesPerSecond)) ?? NaN;
      const cpu = median(ok.map((r) => r.cpuSeconds ?? NaN)) ?? NaN;
      const rss = ok.length ? Math.max(...ok.map((r) => r.peakRssBytes ?? 0)) / 2 ** 20 : NaN;
      const ratio = client !== 'kcat' && kcat && ok.length ? `${(rate / kcat).toFixed(2)}×` : '';
      rows.push(`| ${mode} | ${client} | ${fmt(rate)} | ${fmt(cpu, 1)} | ${ok.length ? `${fmt(rss)} MiB` : ''} | ${ratio} | ${mine.map((r) => (r.error ? 'failed' : fmt(r.linesPerSecond))).join(', ')} |`);
    }
  }
  process.stdout.write(`${rows.join('\n')}\n`);
  for (const r of runs.filter((x) => x.error)) process.stdout.write(`failed: round ${r.round} ${r.mode} ${r.client}: ${r.error}\n`);
  if (o.json) fs.writeFileSync(o.json, `${JSON.stringify({ id, file: o.file, lines, bytes, options: o, runs }, null, 2)}\n`);
}

// ---------------------------------------------------------------------------------------------

function parse(argv: string[]): { o: Options; child?: { mode: 'produce' | 'consume'; client: string; topic: string; expected: number } } {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`--${name} needs a value`);
    return v;
  };
  const int = (name: string): number | undefined => {
    const v = get(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`--${name} must be a whole number > 0, got ${v}`);
    return n;
  };
  const list = (name: string, allowed: readonly string[], fallback: readonly string[]): ClientName[] => {
    const v = get(name);
    const names = v === undefined ? [...fallback] : v.split(',').filter(Boolean);
    for (const n of names) if (!allowed.includes(n)) throw new Error(`--${name}: unknown client ${n} (expected some of ${allowed.join(', ')})`);
    return names as ClientName[];
  };
  const platformaticDir = get('platformatic-dir') ?? process.env.LOGPIPE_BENCH_PLATFORMATIC_DIR;
  const confluentDir = get('confluent-dir') ?? process.env.LOGPIPE_BENCH_CONFLUENT_DIR;
  // By default, the alternative clients that were given a directory.
  const available = PRODUCERS.filter((c) => c !== 'none' && (c !== 'platformatic' || platformaticDir) && (!c.startsWith('confluent') || confluentDir));
  const file = path.resolve(get('file') ?? path.join(os.tmpdir(), 'logpipe-bench-data', 'seed-1-lines-450000.log'));
  if (!fs.existsSync(file)) throw new Error(`${file} does not exist (npm run bench -- --quick generates it, or pass --file)`);
  const o: Options = {
    file,
    rounds: int('rounds') ?? 3,
    producers: list('clients', PRODUCERS, available),
    consumers: list('consumers', CONSUMERS, available.filter((c) => (CONSUMERS as readonly string[]).includes(c))),
    batchRecords: int('batch-records'),
    chunkRecords: int('chunk-records'),
    stripHeaders: get('strip-headers')?.split(',').filter(Boolean),
    platformaticDir,
    confluentDir,
    json: get('json'),
  };
  const mode = get('child');
  if (mode === undefined) return { o };
  if (mode !== 'produce' && mode !== 'consume') throw new Error(`--child must be produce or consume, got ${mode}`);
  return { o, child: { mode, client: get('client') ?? '', topic: get('topic') ?? '', expected: Number(get('expected') ?? 0) } };
}

async function main(): Promise<void> {
  const { o, child: c } = parse(process.argv.slice(2));
  if (!c) return parent(o);
  const result = c.mode === 'produce' ? await produceChild(c.client, o, c.topic) : await consumeChild(c.client, o, c.topic, c.expected);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  // Some clients keep timers or native threads alive after closing: the measurement is done.
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`alt-client: ${(err as Error).stack ?? String(err)}\n`);
  process.stdout.write(`${JSON.stringify({ error: (err as Error).message })}\n`);
  process.exit(1);
});
