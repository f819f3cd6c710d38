/**
 * The every-core measurement (bench section `cores`, issue 17 item 3).
 *
 * 1. **Cores**: `logpipe start` with ingest.workers n (forked) under `taskset -c 0..n-1` (the
 *    affinity holds for the whole process tree: comedy forks the workers from the service), for
 *    n = 1..N cores, ingesting 1 object and N objects (copies of one generated file under different
 *    keys), triggered together through POST /v1/ingest. Timed from the first trigger to the last
 *    "object ingested" log line; CPU seconds are the service's and its workers' (/proc) over the
 *    same span. The peer, in the same round right after: `kcat -P` of the same files, one process
 *    per object, under the same `taskset`. Every logpipe topic is read back (read_committed): every
 *    line once, in order per object; every kcat topic is counted.
 * 2. **Scale-out**: two `logpipe start` processes sharing one SQS queue of the bucket's
 *    notifications (moto), each one forked worker pinned to a core of its own (two one-core hosts),
 *    against one such process alone on the same objects in the same round: throughput from the
 *    first PutObject to the last object ingested (uploads included: that is when SQS hands them
 *    out), the objects each process took, and exactness as above.
 *
 * Reported, never asserted: the goal is ingest ≥ 0.45× kcat -P for N objects on N cores.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Admin, Kafka } from 'kafkajs';
import type { LogpipeConfig } from '../../src/system/config/config';
import { createBucket, notifyQueue } from '../../test/support/aws';
import { checkLogTopic, describeCheck } from '../../test/support/exactly-once';
import { eventually, freePort } from '../../test/support/helpers';
import type { DataFile } from './data';
import { killGroup, track, untrack } from './proc';
import { createLogTopics, deleteTopics } from './stack';
import { median } from './stats';

export interface CoresCtx {
  kafka: Kafka;
  admin: Admin;
  config: LogpipeConfig;
  s3: S3Client;
  sqs: SQSClient;
  /** argv prefix of the logpipe command. */
  cli: string[];
  env: NodeJS.ProcessEnv;
  id: string;
  work: string;
  logFile: string;
  topics: Set<string>;
  buckets: Set<string>;
  queues: Set<string>;
  kcat: boolean;
  log(line: string): void;
  interrupted(): boolean;
}

export interface CoresRun {
  tool: 'logpipe start' | 'kcat -P';
  objects: number;
  cores: number;
  round: number;
  ok: boolean;
  error?: string;
  lines: number;
  seconds: number;
  linesPerSecond: number;
  cpuSeconds?: number;
  /** Load average (1 min) when the run started. */
  load1: number;
  /** logpipe: the log topic read back held every line once, in order per object. */
  exact?: boolean;
}

export interface CoresCase {
  objects: number;
  cores: number;
  logpipeLinesPerSecond?: number;
  kcatLinesPerSecond?: number;
  /** logpipe ÷ kcat -P (medians). */
  ratio?: number;
  logpipeCpuSeconds?: number;
  kcatCpuSeconds?: number;
  /** Every logpipe run of the case exact. */
  exact: boolean;
}

export interface ScaleOutRun {
  processes: 1 | 2;
  round: number;
  ok: boolean;
  error?: string;
  seconds: number;
  linesPerSecond: number;
  /** Objects each process ingested (from its "object ingested" lines). */
  perProcess: number[];
  exact?: boolean;
  load1: number;
}

export interface CoresResults {
  objectLines: number;
  objectBytes: number;
  coresAvailable: number;
  rounds: number;
  runs: CoresRun[];
  cases: CoresCase[];
  scaleOut?: { objects: number; runs: ScaleOutRun[]; oneLinesPerSecond?: number; twoLinesPerSecond?: number; ratio?: number; exact: boolean };
  commands: Record<string, string>;
}

/** utime + stime of a process and its direct children (the forked workers), in seconds; 0 for one gone. */
function treeCpuSeconds(pid: number): number {
  const tick = 100; // USER_HZ on Linux
  const of = (p: number): number => {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(f[11]) + Number(f[12])) / tick;
    } catch {
      return 0;
    }
  };
  let children: number[] = [];
  try {
    children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    children = [];
  }
  return of(pid) + children.reduce((a, c) => a + of(c), 0);
}

const cpuList = (cores: number, first = 0): string => (cores === 1 ? String(first) : `${first}-${first + cores - 1}`);

interface Service {
  pid: number;
  port: number;
  logFile: string;
  ingested(): number;
  stop(): Promise<void>;
}

/** `logpipe start` pinned to `cpus` with `env` over the context's; resolves once /readyz answers 200 and `workers` workers are forked. */
async function startService(ctx: CoresCtx, name: string, cpus: string, workers: number, env: NodeJS.ProcessEnv): Promise<Service> {
  const port = await freePort();
  const logFile = path.join(ctx.work, `${name}.log`);
  const out = fs.openSync(logFile, 'w');
  const child = spawn('taskset', ['-c', cpus, ...ctx.cli, 'start'], {
    env: { ...ctx.env, LOGPIPE_CONTROL_PORT: String(port), LOGPIPE_REPORT_ENABLED: 'false', LOGPIPE_INGEST_WORKER_MODE: 'forked', LOGPIPE_INGEST_WORKERS: String(workers), LOGPIPE_LOG_LEVEL: 'info', LOGPIPE_LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', out, out],
    detached: true,
  });
  fs.closeSync(out);
  const pid = child.pid!;
  track(pid);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async (): Promise<void> => {
    killGroup(pid, 'SIGTERM');
    const t = await Promise.race([exited.then(() => 'exited'), new Promise<string>((r) => setTimeout(() => r('timeout'), 30_000).unref())]);
    if (t === 'timeout') killGroup(pid);
    untrack(pid);
  };
  try {
    // taskset execs node in place: the pid is the service's.
    await eventually(`${name} ready`, async () => ((await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200 ? true : undefined), 60_000, 100);
    await eventually(`${name}: ${workers} workers`, async () => (fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).length >= workers ? true : undefined), 60_000, 100);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    pid,
    port,
    logFile,
    ingested: () => fs.readFileSync(logFile, 'utf8').split('\n').filter((l) => l.includes('"message":"object ingested"')).length,
    stop,
  };
}

/**
 * Reads `topic` back and marks `run`: exact (and ok) when every line of `lines` is there once, in
 * order, under each key; otherwise an error saying what was wrong.
 */
async function checkExactlyOnce(ctx: CoresCtx, run: { exact?: boolean; ok: boolean; error?: string }, topic: string, keys: string[], lines: string[]): Promise<void> {
  const check = await checkLogTopic(ctx.kafka, topic, keys.map((key) => ({ key, lines })), 2000, 10_000, 300_000);
  run.exact = check.ok;
  run.ok = check.ok;
  if (!check.ok) run.error = `not exactly once: ${describeCheck(check, true)}`;
}

/** kcat -P of `files` (one process each) under taskset; wall and CPU seconds from GNU time. */
async function kcatRun(ctx: CoresCtx, files: string[], topic: string, cpus: string): Promise<{ seconds: number; cpuSeconds?: number; ok: boolean; error?: string; argv: string[] }> {
  const broker = ctx.config.kafka.brokers[0]!;
  const t0 = process.hrtime.bigint();
  const one = (file: string, i: number): Promise<{ code: number | null; cpu?: number }> =>
    new Promise((resolve) => {
      const timeFile = path.join(ctx.work, `kcat-time-${topic}-${i}`);
      const err = fs.openSync(ctx.logFile, 'a');
      const child = spawn('/usr/bin/time', ['-f', '%U %S', '-o', timeFile, 'taskset', '-c', cpus, 'kcat', '-P', '-b', broker, '-t', topic, '-l', file, '-X', 'acks=all'], { stdio: ['ignore', 'ignore', err], detached: true });
      fs.closeSync(err);
      if (child.pid) track(child.pid);
      child.once('exit', (code) => {
        if (child.pid) untrack(child.pid);
        const t = fs.existsSync(timeFile) ? fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number) : [];
        resolve({ code, ...(t.length === 2 ? { cpu: t[0]! + t[1]! } : {}) });
      });
    });
  const results = await Promise.all(files.map(one));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const argv = ['taskset', '-c', cpus, 'kcat', '-P', '-b', broker, '-t', topic, '-l', '<file>', '-X', 'acks=all'];
  const bad = results.find((r) => r.code !== 0);
  const cpus_ = results.map((r) => r.cpu);
  return { seconds, ok: !bad, ...(bad ? { error: `kcat -P exited ${bad.code}` } : {}), ...(cpus_.every((c) => c !== undefined) ? { cpuSeconds: cpus_.reduce((a, c) => a + c!, 0) } : {}), argv };
}

async function recordsIn(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((a, o) => a + Number(o.high) - Number(o.low), 0);
}

export async function measureCores(ctx: CoresCtx, data: DataFile, o: { rounds: number; scaleOutObjects: number }): Promise<CoresResults> {
  const cores = Math.max(1, os.availableParallelism());
  const lines = fs.readFileSync(data.file, 'utf8').trimEnd().split('\n');
  const body = fs.readFileSync(data.file);
  const bucket = `${ctx.id}-cores`;
  ctx.buckets.add(bucket);
  await createBucket(ctx.s3, bucket);
  const maxObjects = Math.max(cores, 1);
  const keys = Array.from({ length: Math.max(maxObjects, o.scaleOutObjects) }, (_, i) => `cores/obj-${i}/LogFileGenerator.2026-01-01.log`);
  for (const key of keys.slice(0, maxObjects)) await ctx.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  // kcat reads files: one path per object (the same content, as logpipe's objects are).
  const files = keys.slice(0, maxObjects).map(() => data.file);
  const runs: CoresRun[] = [];
  const commands: Record<string, string> = {};
  const objectCounts = [...new Set([1, maxObjects])];
  for (let round = 1; round <= o.rounds && !ctx.interrupted(); round++) {
    for (let n = 1; n <= cores && !ctx.interrupted(); n++) {
      for (const objects of objectCounts) {
        const cpus = cpuList(n);
        const topic = `${ctx.id}-cores-r${round}-c${n}-o${objects}`;
        ctx.topics.add(topic);
        await createLogTopics(ctx.admin, ctx.config, [topic]);
        const load1 = os.loadavg()[0]!;
        const run: CoresRun = { tool: 'logpipe start', objects, cores: n, round, ok: false, lines: 0, seconds: 0, linesPerSecond: 0, load1 };
        let service: Service | undefined;
        try {
          service = await startService(ctx, `cores-r${round}-c${n}-o${objects}`, cpus, n, { LOGPIPE_KAFKA_TOPIC: topic });
          commands['logpipe start'] ??= `LOGPIPE_INGEST_WORKER_MODE=forked LOGPIPE_INGEST_WORKERS=${n} LOGPIPE_REPORT_ENABLED=false taskset -c ${cpus} logpipe start; then POST /v1/ingest per object`;
          const cpu0 = treeCpuSeconds(service.pid);
          const t0 = process.hrtime.bigint();
          for (const key of keys.slice(0, objects)) {
            const res = await fetch(`http://127.0.0.1:${service.port}/v1/ingest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ bucket, key }) });
            if (res.status !== 202) throw new Error(`POST /v1/ingest answered ${res.status}`);
          }
          const s = service;
          await eventually(`${objects} objects ingested`, async () => (s.ingested() >= objects ? true : undefined), (objects * data.lines) / 2000 * 1000 + 120_000, 50);
          run.seconds = Number(process.hrtime.bigint() - t0) / 1e9;
          run.cpuSeconds = treeCpuSeconds(service.pid) - cpu0;
          run.lines = objects * data.lines;
          run.linesPerSecond = run.lines / run.seconds;
          await service.stop();
          service = undefined;
          await checkExactlyOnce(ctx, run, topic, keys.slice(0, objects), lines);
        } catch (err) {
          run.error = (err as Error).message;
        } finally {
          await service?.stop();
        }
        runs.push(run);
        ctx.log(`  round ${round}, ${objects} object(s) on ${n} core(s), logpipe start (${n} worker(s)): ${run.ok ? `${Math.round(run.linesPerSecond).toLocaleString('en-US')} lines/s, ${run.cpuSeconds?.toFixed(1)} CPU s, exact` : run.error}`);
        await deleteTopics(ctx.admin, [topic]);
        ctx.topics.delete(topic);
        if (!ctx.kcat) continue;
        const ktopic = `${topic}-kcat`;
        ctx.topics.add(ktopic);
        await createLogTopics(ctx.admin, ctx.config, [ktopic]);
        const k = await kcatRun(ctx, files.slice(0, objects), ktopic, cpus);
        commands['kcat -P'] ??= `${k.argv.join(' ')}  # one process per object, at once`;
        const found = k.ok ? await recordsIn(ctx.admin, ktopic) : 0;
        const kok = k.ok && found === objects * data.lines;
        const krun: CoresRun = {
          tool: 'kcat -P', objects, cores: n, round, ok: kok, lines: found, seconds: k.seconds, linesPerSecond: kok ? found / k.seconds : 0, load1: os.loadavg()[0]!,
          ...(k.cpuSeconds !== undefined ? { cpuSeconds: k.cpuSeconds } : {}),
          ...(kok ? {} : { error: k.error ?? `${found} records, expected ${objects * data.lines}` }),
        };
        runs.push(krun);
        ctx.log(`  round ${round}, ${objects} object(s) on ${n} core(s), kcat -P: ${kok ? `${Math.round(krun.linesPerSecond).toLocaleString('en-US')} lines/s, ${krun.cpuSeconds?.toFixed(1)} CPU s` : krun.error}`);
        await deleteTopics(ctx.admin, [ktopic]);
        ctx.topics.delete(ktopic);
      }
    }
  }
  const cases: CoresCase[] = [];
  for (let n = 1; n <= cores; n++)
    for (const objects of objectCounts) {
      const of = (tool: CoresRun['tool']): CoresRun[] => runs.filter((r) => r.tool === tool && r.cores === n && r.objects === objects);
      const lp = of('logpipe start').filter((r) => r.ok);
      const kc = of('kcat -P').filter((r) => r.ok);
      const l = median(lp.map((r) => r.linesPerSecond));
      const k = median(kc.map((r) => r.linesPerSecond));
      cases.push({
        objects, cores: n, logpipeLinesPerSecond: l, kcatLinesPerSecond: k, ...(l !== undefined && k !== undefined ? { ratio: l / k } : {}),
        logpipeCpuSeconds: median(lp.map((r) => r.cpuSeconds ?? 0)), kcatCpuSeconds: median(kc.map((r) => r.cpuSeconds ?? 0)),
        exact: of('logpipe start').length > 0 && of('logpipe start').every((r) => r.exact === true),
      });
    }
  const results: CoresResults = { objectLines: data.lines, objectBytes: data.bytes, coresAvailable: cores, rounds: o.rounds, runs, cases, commands };
  if (cores >= 2 && o.scaleOutObjects > 0 && !ctx.interrupted()) results.scaleOut = await scaleOut(ctx, data, lines, body, keys.slice(0, o.scaleOutObjects), o.rounds);
  return results;
}

/** Two `logpipe start` sharing one SQS queue vs one alone, interleaved per round (see the file comment). */
async function scaleOut(ctx: CoresCtx, data: DataFile, lines: string[], body: Buffer, keys: string[], rounds: number): Promise<NonNullable<CoresResults['scaleOut']>> {
  const runs: ScaleOutRun[] = [];
  for (let round = 1; round <= rounds && !ctx.interrupted(); round++) {
    for (const processes of [1, 2] as const) {
      const name = `${ctx.id}-so-r${round}-p${processes}`;
      ctx.buckets.add(name);
      await createBucket(ctx.s3, name);
      const queueUrl = await notifyQueue(ctx.s3, ctx.sqs, name, name);
      ctx.queues.add(queueUrl);
      const topic = `${name}-lines`;
      ctx.topics.add(topic);
      await createLogTopics(ctx.admin, ctx.config, [topic]);
      const run: ScaleOutRun = { processes, round, ok: false, seconds: 0, linesPerSecond: 0, perProcess: [], load1: os.loadavg()[0]! };
      const services: Service[] = [];
      try {
        for (let p = 0; p < processes; p++) {
          services.push(await startService(ctx, `${name}-${p}`, String(p), 1, { LOGPIPE_KAFKA_TOPIC: topic, LOGPIPE_INGEST_SQS_QUEUE_URL: queueUrl, LOGPIPE_INGEST_SQS_WAIT_SECONDS: '1', LOGPIPE_INGEST_PARALLEL_OBJECTS: '1' }));
        }
        const t0 = process.hrtime.bigint();
        for (const key of keys) await ctx.s3.send(new PutObjectCommand({ Bucket: name, Key: key, Body: body }));
        await eventually(`${keys.length} objects ingested`, async () => (services.reduce((a, s) => a + s.ingested(), 0) >= keys.length ? true : undefined), (keys.length * data.lines) / 2000 * 1000 + 120_000, 50);
        run.seconds = Number(process.hrtime.bigint() - t0) / 1e9;
        run.linesPerSecond = (keys.length * data.lines) / run.seconds;
        run.perProcess = services.map((s) => s.ingested());
        for (const s of services.splice(0)) await s.stop();
        await checkExactlyOnce(ctx, run, topic, keys, lines);
      } catch (err) {
        run.error = (err as Error).message;
      } finally {
        for (const s of services) await s.stop();
      }
      runs.push(run);
      ctx.log(`  scale-out round ${round}, ${processes} process(es) on SQS: ${run.ok ? `${Math.round(run.linesPerSecond).toLocaleString('en-US')} lines/s, objects per process ${run.perProcess.join('+')}, exact` : run.error}`);
      await deleteTopics(ctx.admin, [topic]);
      ctx.topics.delete(topic);
    }
  }
  const one = median(runs.filter((r) => r.ok && r.processes === 1).map((r) => r.linesPerSecond));
  const two = median(runs.filter((r) => r.ok && r.processes === 2).map((r) => r.linesPerSecond));
  return { objects: keys.length, runs, oneLinesPerSecond: one, twoLinesPerSecond: two, ...(one !== undefined && two !== undefined ? { ratio: two / one } : {}), exact: runs.length > 0 && runs.every((r) => r.exact === true) };
}

const rate = (x: number | undefined): string => (x === undefined ? '–' : Math.round(x).toLocaleString('en-US'));
const times = (x: number | undefined): string => (x === undefined ? '–' : `${x.toFixed(3)}×`);
const cpu = (x: number | undefined): string => (x === undefined ? '–' : x.toFixed(2));

/** The section's tables for docs/benchmarks.md (bench/lib/doc.ts puts them in the run's block). */
export function renderCores(c: CoresResults): string[] {
  const out: string[] = [];
  const loads = c.runs.map((r) => r.load1);
  out.push(
    `#### Every core: \`logpipe start\` with n forked workers on n cores vs \`kcat -P\` under the same \`taskset\`, median of ${c.rounds} round${c.rounds === 1 ? '' : 's'}`,
    '',
    `Objects of ${c.objectLines.toLocaleString('en-US')} lines (${(c.objectBytes / 1e6).toFixed(0)} MB) each, ${c.coresAvailable} cores available; load average (1 min) at the runs' starts ${loads.length ? `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}` : '–'}. ` +
      'logpipe: from the first POST /v1/ingest to the last "object ingested", CPU seconds of the service and its workers over that span; kcat: one process per object, wall clock until the last exits, CPU from GNU time. ' +
      'Every logpipe topic read back (read_committed): "exact" = every line once, in order per object; every kcat topic counted.',
    '',
    '| objects | cores = workers | logpipe lines/s | kcat -P lines/s | logpipe ÷ kcat | logpipe CPU s | kcat CPU s | logpipe ÷ kcat per CPU s | exact |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  );
  for (const k of c.cases) {
    // Lines per CPU second, logpipe's over kcat's (the same lines): the fairer ratio when other work shares the cores.
    const perCpu = k.logpipeCpuSeconds && k.kcatCpuSeconds ? k.kcatCpuSeconds / k.logpipeCpuSeconds : undefined;
    out.push(`| ${k.objects} | ${k.cores} | ${rate(k.logpipeLinesPerSecond)} | ${rate(k.kcatLinesPerSecond)} | ${times(k.ratio)} | ${cpu(k.logpipeCpuSeconds)} | ${cpu(k.kcatCpuSeconds)} | ${times(perCpu)} | ${k.exact ? 'yes' : 'NO'} |`);
  }
  const failed = c.runs.filter((r) => !r.ok);
  if (failed.length) out.push('', `Failed runs: ${failed.map((r) => `${r.tool} ${r.objects} object(s) on ${r.cores} core(s), round ${r.round}: ${r.error}`).join('; ')}.`);
  const so = c.scaleOut;
  if (so) {
    out.push(
      '',
      `Scale-out: ${so.objects} objects uploaded to a bucket notifying one SQS queue (moto), ingested by one \`logpipe start\` (one forked worker, \`taskset -c 0\`) or two sharing the queue (one worker each, \`taskset -c 0\` and \`-c 1\`: two one-core hosts), timed from the first PutObject to the last object ingested (uploads included).`,
      '',
      '| processes | lines/s (median) | ÷ one process | objects per process (each run) | exact |',
      '|---:|---:|---:|---|---|',
      `| 1 | ${rate(so.oneLinesPerSecond)} | 1.00× | ${so.runs.filter((r) => r.processes === 1).map((r) => r.perProcess.join('+') || r.error).join('; ')} | ${so.runs.filter((r) => r.processes === 1).every((r) => r.exact) ? 'yes' : 'NO'} |`,
      `| 2 | ${rate(so.twoLinesPerSecond)} | ${so.ratio === undefined ? '–' : `${so.ratio.toFixed(2)}×`} | ${so.runs.filter((r) => r.processes === 2).map((r) => r.perProcess.join('+') || r.error).join('; ')} | ${so.runs.filter((r) => r.processes === 2).every((r) => r.exact) ? 'yes' : 'NO'} |`,
    );
  }
  out.push('');
  return out;
}

/** The issue's goal for this section: N objects on N cores (the largest case), logpipe ÷ kcat -P. */
export function coresGoal(c: CoresResults): { objects: number; cores: number; ratio?: number } | undefined {
  const top = c.cases.filter((k) => k.objects === k.cores).sort((a, b) => b.cores - a.cores)[0];
  return top && { objects: top.objects, cores: top.cores, ...(top.ratio !== undefined ? { ratio: top.ratio } : {}) };
}
