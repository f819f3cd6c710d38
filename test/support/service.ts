/**
 * Shared pieces of the fault scenarios: a `logpipe start` child process (its own topic and control
 * port, its log kept), generated logs with their ground truth, and readers of what the service
 * committed (window reports, ledger outcomes).
 */
import { seededRandom } from '../sim/runtime/clock';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Kafka } from 'kafkajs';
import type { Truth, TruthWindow } from '../../src/generator/truth';
import { decodeProgress, type ObjectProgress } from '../../src/ingest/progress';
import type { ReportDocument } from '../../src/report/render';
import { packageRoot } from '../../src/system/config/paths';
import { eventually, freePort, readTopic, readTopicToEnd } from './helpers';

export interface ServiceProcess {
  child: ChildProcess;
  port: number;
  log(): string;
  /** Writes the whole log to $TMPDIR/<name>.service.log for a failure's post-mortem and says where (prefixed with `id`). */
  keepLog(id: string, name: string): void;
  trigger(bucket: string, key: string): Promise<number>;
  stop(): Promise<number | null>;
}

/** `args` go after `start` (e.g. `--config FILE`); `env` over this process's environment. */
export async function startServiceProcess(env: NodeJS.ProcessEnv, args: string[] = []): Promise<ServiceProcess> {
  const port = await freePort();
  let log = '';
  const child = spawn(process.execPath, [path.join(packageRoot(), 'dist', 'cli', 'main.js'), 'start', ...args], {
    env: { ...process.env, NODE_ENV: 'test', LOGPIPE_LOG_FORMAT: 'json', LOGPIPE_CONTROL_PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await eventually('the service to answer /healthz', async () => ((await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok ? true : undefined), 60_000);
  return {
    child,
    port,
    log: () => log,
    keepLog(id, name) {
      const file = path.join(os.tmpdir(), `${name}.service.log`);
      fs.writeFileSync(file, log);
      process.stderr.write(`[${id}] service log: ${file}\n`);
    },
    async trigger(bucket, key) {
      const res = await fetch(`http://127.0.0.1:${port}/v1/ingest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ bucket, key }) });
      return res.status;
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Generated logs of several hosts and the generator's ground truth per window. */
/**
 * The settings of a `logpipe start` that ingests in `workers` forked workers, one object each at a
 * time, in batches of 2,000 lines, restarting a killed worker after 200 ms, without the report stage:
 * what the kill-a-worker tests run.
 */
export function forkedWorkersEnv(workers: number): NodeJS.ProcessEnv {
  return {
    LOGPIPE_INGEST_WORKER_MODE: 'forked',
    LOGPIPE_INGEST_WORKERS: String(workers),
    LOGPIPE_INGEST_PARALLEL_OBJECTS: '1',
    LOGPIPE_INGEST_BATCH_MAX_RECORDS: '2000',
    LOGPIPE_INGEST_WORKER_RESTART_DELAY_MS: '200',
    LOGPIPE_REPORT_ENABLED: 'false',
  };
}

export interface GeneratedLogs {
  /** One file per host, host 1 first: `LogFileGenerator.<date>.host-N.log` (`LogFileGenerator.<date>.log` for one host). */
  files: string[];
  truth: TruthWindow[];
}

/**
 * Runs `logpipe generate --fast` for `instances` hosts of `linesPerHost` lines each, from `start`
 * (ISO time, which also names the files' date), into a folder of `dir` named after `start` (two
 * calls with other starts do not overwrite each other's files). Throws with the generator's stderr if it fails.
 */
export function generateLogs(dir: string, o: { seed: number; instances: number; linesPerHost: number; start: string }): GeneratedLogs {
  const out = path.join(dir, o.start.replace(/[^0-9]/g, ''));
  fs.mkdirSync(out, { recursive: true });
  const base = path.join(out, `LogFileGenerator.${o.start.slice(0, 10)}.log`);
  const truthFile = path.join(out, 'truth.json');
  const args = ['generate', '--fast', '--seed', String(o.seed), '--instances', String(o.instances), '--max-count', String(o.linesPerHost), '--start', o.start, '--out', base, '--truth', truthFile];
  const gen = spawnSync(process.execPath, [path.join(packageRoot(), 'dist', 'cli', 'main.js'), ...args], { encoding: 'utf8' });
  if (gen.status !== 0) throw new Error(`logpipe generate ${args.join(' ')} failed (exit ${gen.status}): ${gen.stderr}`);
  // One instance writes the file named; several write FILE.host-N.log.
  const files = o.instances === 1 ? [base] : Array.from({ length: o.instances }, (_, i) => base.replace(/\.log$/, `.host-${i + 1}.log`));
  return { files, truth: (JSON.parse(fs.readFileSync(truthFile, 'utf8')) as Truth).windows };
}

/** The report records one report group committed for one log topic. */
export interface CommittedReports {
  /** One per window id (the first committed), oldest window first. */
  docs: ReportDocument[];
  /** Window ids that were committed more than once (exactly-once reporting means none). */
  duplicates: string[];
}

/** Reads the report topic (read_committed) and keeps the records of `group` over `logTopic`. */
export async function committedReports(kafka: Kafka, reportTopic: string, group: string, logTopic: string): Promise<CommittedReports> {
  const records = (await readTopic(kafka, reportTopic, 0, 1500, 60_000)).filter((r) => r.headers.group === group && r.headers.topic === logTopic);
  const byId = new Map<string, ReportDocument>();
  const duplicates: string[] = [];
  for (const r of records) {
    if (byId.has(r.key)) duplicates.push(r.key);
    else byId.set(r.key, JSON.parse(r.value.toString()) as ReportDocument);
  }
  return { docs: [...byId.values()].sort((a, b) => a.startMs - b.startMs), duplicates };
}

/** The latest committed ledger entry (ingest progress) of each object of `bucket` ingested into `logTopic`, by key. */
export async function ledgerEntries(kafka: Kafka, progressTopic: string, logTopic: string, bucket: string): Promise<Map<string, ObjectProgress>> {
  const latest = new Map<string, ObjectProgress>();
  const prefix = `${logTopic} s3://${bucket}/`;
  for (const r of await readTopicToEnd(kafka, progressTopic)) {
    const p = decodeProgress(r.value);
    // The ledger key is `<topic> s3://<bucket>/<key>#<version>`; a key may itself hold a `#`.
    if (p && r.key.startsWith(prefix)) latest.set(r.key.slice(prefix.length).replace(/#[^#]*$/, ''), p);
  }
  return latest;
}

/** ledgerEntries once every key in `keys` has a final entry (`done` or `dead-letter`); throws after `timeoutMs`. */
export async function ledgerOutcomes(kafka: Kafka, progressTopic: string, logTopic: string, bucket: string, keys: string[], timeoutMs: number): Promise<Map<string, ObjectProgress>> {
  return eventually(
    'a final outcome for every object',
    async () => {
      const latest = await ledgerEntries(kafka, progressTopic, logTopic, bucket);
      return keys.every((k) => ['done', 'dead-letter'].includes(latest.get(k)?.status ?? '')) ? latest : undefined;
    },
    timeoutMs,
  );
}

/** mulberry32, the simulation's seeded generator of numbers in [0, 1). */
export const seeded = seededRandom;

/** The seed of a scenario's random moments: LOGPIPE_FAULTS_SEED, else a random one (scenarios print it). */
export function faultsSeed(): number {
  const seed = Number(process.env.LOGPIPE_FAULTS_SEED ?? Math.floor(Math.random() * 2 ** 31));
  if (!Number.isSafeInteger(seed)) throw new Error(`LOGPIPE_FAULTS_SEED must be an integer, got ${JSON.stringify(process.env.LOGPIPE_FAULTS_SEED)}`);
  return seed;
}

/** The child processes of `pid` (a service's forked ingest workers: comedy forks each from the service process). */
export function childPids(pid: number): number[] {
  return spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
    .stdout.trim()
    .split('\n')
    .filter(Boolean)
    .map(Number);
}
