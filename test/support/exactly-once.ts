/**
 * Shared pieces of the exactly-once scenarios R10–R13 (issue 14): a check of a log topic against
 * the lines of the object versions ingested into it, counters of committed and uncommitted records
 * (an open transaction shows as the difference), pausing a process tree (SIGSTOP/SIGCONT) and the
 * CLI as a child process.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import type { Consumer, Kafka } from 'kafkajs';
import { decodeProgress, type ObjectProgress } from '../../src/ingest/progress';
import { provenanceOf } from '../../src/ingest/object-ref';
import { packageRoot } from '../../src/system/config/paths';
import { readTopicToEnd, uniqueName } from './helpers';
import { recordScenario, type ScenarioRow } from './reliability';

/** The lines one object version must appear as on the log topic, once each, in order. */
export interface ExpectedSource {
  /** Object key (the `key` header; the record key for sources without one). */
  key: string;
  /** The `version` header (S3 version id or ETag); undefined matches any version of the key. */
  version?: string;
  lines: string[];
}

/** What the log topic holds for one expected source. */
export interface SourceCheck {
  key: string;
  version?: string;
  expected: number;
  records: number;
  /** Records whose value is no line of the source (part of a line, two lines, another object's line). */
  notWholeLines: number;
  /** Records repeating a line already seen. */
  duplicates: number;
  /** Records of a line that does not follow the line before it (after duplicates are set aside). */
  outOfOrder: number;
  /** Lines of the source never seen. */
  missing: number;
}

export interface LogTopicCheck {
  sources: SourceCheck[];
  /** Records of no expected source (another key or version). */
  unexpected: number;
  records: number;
  /** True when every source holds every line once, in order, whole, and nothing else is there. */
  ok: boolean;
}

/** True when the source holds its lines once each, in order, whole. */
export function exact(s: SourceCheck): boolean {
  return s.records === s.expected && s.notWholeLines === 0 && s.duplicates === 0 && s.outOfOrder === 0 && s.missing === 0;
}

/**
 * One part per source (with `onlyWrong`, per source that is not exact):
 * `key#version: 400000 records of 400000 lines, 0 not whole, 0 repeated, 0 out of order, 0 missing`.
 */
export function describeCheck(check: LogTopicCheck, onlyWrong = false): string {
  const parts = check.sources.filter((s) => !onlyWrong || !exact(s)).map(
    (s) => `${s.key}${s.version ? `#${s.version.slice(0, 12)}` : ''}: ${s.records} records of ${s.expected} lines, ${s.notWholeLines} not whole, ${s.duplicates} repeated, ${s.outOfOrder} out of order, ${s.missing} missing`,
  );
  if (check.unexpected) parts.push(`${check.unexpected} records of no expected version`);
  return parts.join('; ');
}

class SourceTracker {
  private readonly index = new Map<string, number[]>();
  private readonly seen: Uint8Array;
  private next = 0;
  readonly check: SourceCheck;

  constructor(source: ExpectedSource) {
    source.lines.forEach((line, i) => {
      const at = this.index.get(line);
      if (at) at.push(i);
      else this.index.set(line, [i]);
    });
    this.seen = new Uint8Array(source.lines.length);
    this.check = { key: source.key, ...(source.version ? { version: source.version } : {}), expected: source.lines.length, records: 0, notWholeLines: 0, duplicates: 0, outOfOrder: 0, missing: source.lines.length };
  }

  add(value: string): void {
    this.check.records++;
    const at = this.index.get(value);
    if (!at) {
      this.check.notWholeLines++;
      return;
    }
    // Identical lines: the expected one if it is among them, else the first not seen yet.
    const i = at.includes(this.next) && !this.seen[this.next] ? this.next : at.find((x) => !this.seen[x]);
    if (i === undefined) {
      this.check.duplicates++;
      return;
    }
    if (i !== this.next) this.check.outOfOrder++;
    this.seen[i] = 1;
    this.check.missing--;
    this.next = i + 1;
  }
}

/**
 * Reads `topic` from the beginning with read_committed (as every consumer of the log topic does) and
 * checks it against `expected`: each source's records, in partition order, are its lines once each,
 * in order, each a whole line, and no record belongs to no source. Call it once the writers are
 * done. Stops once the records reach the expected total and nothing more came for `idleMs` (so
 * surplus records are seen), once nothing came for `quietMs` after the first record (records are
 * missing: waiting longer shows nothing new), or after `timeoutMs`. Keeps counts, not records:
 * 400,000-line objects are checked in little memory.
 */
export async function checkLogTopic(kafka: Kafka, topic: string, expected: ExpectedSource[], idleMs = 3000, quietMs = 15_000, timeoutMs = 180_000): Promise<LogTopicCheck> {
  const trackers = expected.map((s) => new SourceTracker(s));
  const byKeyVersion = new Map<string, SourceTracker>();
  const byKey = new Map<string, SourceTracker>();
  expected.forEach((s, i) => (s.version === undefined ? byKey.set(s.key, trackers[i]) : byKeyVersion.set(`${s.key}\u0000${s.version}`, trackers[i])));
  const total = expected.reduce((n, s) => n + s.lines.length, 0);
  let records = 0;
  let unexpected = 0;
  const consumer = kafka.consumer({ groupId: uniqueName('faults-check'), readUncommitted: false, maxWaitTimeInMs: 200, maxBytes: 50 << 20 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let last = 0;
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          records++;
          const provenance = provenanceOf(m.headers as Record<string, Buffer | undefined> | undefined);
          const key = provenance?.key ?? m.key?.toString() ?? '';
          const version = provenance?.version ?? '';
          const tracker = byKeyVersion.get(`${key}\u0000${version}`) ?? byKey.get(key);
          if (tracker) tracker.add(m.value?.toString('utf8') ?? '');
          else unexpected++;
        }
        last = Date.now();
      },
    });
    const deadline = Date.now() + timeoutMs;
    const finished = (): boolean => last > 0 && ((records >= total && Date.now() - last > idleMs) || Date.now() - last > quietMs);
    while (Date.now() < deadline && !finished()) await new Promise((r) => setTimeout(r, 100));
  } finally {
    await consumer.disconnect();
  }
  const sources = trackers.map((t) => t.check);
  const ok = unexpected === 0 && sources.every(exact);
  return { sources, unexpected, records, ok };
}

/**
 * Counts a topic's records as they arrive, read_committed or read_uncommitted. With the topic
 * written by one process, the uncommitted count minus the committed one is the number of records
 * in its open transaction (plus aborted ones, once a transaction was aborted).
 */
export class TopicCounter {
  count = 0;
  private lastChangeMs = Date.now();

  private constructor(private readonly consumer: Consumer) {}

  static async start(kafka: Kafka, topic: string, readUncommitted: boolean): Promise<TopicCounter> {
    const consumer = kafka.consumer({ groupId: uniqueName(`faults-count-${readUncommitted ? 'uncommitted' : 'committed'}`), readUncommitted, maxWaitTimeInMs: 100, maxBytes: 50 << 20 });
    const counter = new TopicCounter(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        counter.count += batch.messages.length;
        counter.lastChangeMs = Date.now();
      },
    });
    return counter;
  }

  /** Resolves once the count has not changed for `quietMs`. */
  async settled(quietMs: number): Promise<number> {
    while (Date.now() - this.lastChangeMs < quietMs) await new Promise((r) => setTimeout(r, 50));
    return this.count;
  }

  stop(): Promise<void> {
    return this.consumer.disconnect();
  }
}

/** `pid` and its descendants, parents first. */
function processTree(pid: number): number[] {
  let children: number[] = [];
  try {
    children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n').map((s) => Number(s.trim())).filter((n) => n > 0);
  } catch {
    // ps exits 1 when there is no child.
  }
  return [pid, ...children.flatMap(processTree)];
}

/** SIGSTOP to a process and its descendants (a forked ingest worker stops with the service). */
export function pauseTree(pid: number): void {
  for (const p of processTree(pid)) process.kill(p, 'SIGSTOP');
}

/** SIGCONT to a process and its descendants. */
export function resumeTree(pid: number): void {
  for (const p of processTree(pid).reverse()) process.kill(p, 'SIGCONT');
}

export interface CliRun {
  child: ChildProcess;
  /** Exit code (null for a signal), stdout and stderr, once it exits. */
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Runs the built CLI with `args`; JSON logs on stderr. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): CliRun {
  const child = spawn(process.execPath, [path.join(packageRoot(), 'dist', 'cli', 'main.js'), ...args], {
    env: { ...process.env, NODE_ENV: 'test', LOGPIPE_LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

/** The JSON log lines of a process's output (others skipped). */
export function logLines(text: string): Array<Record<string, unknown>> {
  return text.split('\n').flatMap((l) => {
    if (!l.startsWith('{')) return [];
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

/** A failed commit of a fenced producer as kafkajs reports it (INVALID_PRODUCER_EPOCH), or as logpipe words it. */
export const FENCED = /old epoch|fenced|PRODUCER_FENCED|INVALID_PRODUCER_EPOCH/i;

/** Seconds since `startMs`, one decimal. */
export function secondsSince(startMs: number): string {
  return ((Date.now() - startMs) / 1000).toFixed(1);
}

/**
 * The latest committed ledger entry of each object version of `bucket` ingested into `logTopic`,
 * by `key#version` (the ledger key is `<topic> s3://<bucket>/<key>#<version>`).
 */
export async function versionEntries(kafka: Kafka, progressTopic: string, logTopic: string, bucket: string): Promise<Map<string, ObjectProgress>> {
  const latest = new Map<string, ObjectProgress>();
  const prefix = `${logTopic} s3://${bucket}/`;
  for (const r of await readTopicToEnd(kafka, progressTopic)) {
    const p = decodeProgress(r.value);
    if (p && r.key.startsWith(prefix)) latest.set(r.key.slice(prefix.length), p);
  }
  return latest;
}

/** How many times each process logged "object ingested" (the fetcher's line for a version it finished). */
export function ingestedLogCount(log: string): number {
  return logLines(log).filter((l) => l.message === 'object ingested').length;
}

/**
 * A start for generated logs: yesterday 00:00 UTC. Record timestamps are the lines' event times, and
 * the broker's time-based retention (7 days by default) deletes a segment whose newest timestamp is
 * older than that: logs dated more than a week back lose their first batches within minutes (the
 * log start offset moves past them). Yesterday is inside retention, a day of lines does not cross
 * midnight, and every line is older than the object's upload.
 */
export function recentStart(): string {
  const today = new Date();
  return new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - 1)).toISOString().replace('.000Z', 'Z');
}

/**
 * The row of one scenario run: record() writes it once the outcome is known; if the body throws
 * before that (a premise that never came true, a timeout), run() records a FAIL row with the error,
 * so docs/reliability.md shows every scenario that ran, then rethrows.
 */
export class ScenarioRecorder {
  private recorded = false;

  constructor(private readonly row: Omit<ScenarioRow, 'result'>) {}

  record(row: Partial<ScenarioRow> & Pick<ScenarioRow, 'result'>): void {
    this.recorded = true;
    recordScenario({ ...this.row, ...row });
  }

  async run(body: () => Promise<void>, onFailure?: () => void): Promise<void> {
    try {
      await body();
    } catch (err) {
      if (!this.recorded) this.record({ result: `FAIL (${(err instanceof Error ? err.message : String(err)).split('\n')[0].slice(0, 300)})` });
      onFailure?.();
      throw err;
    }
  }
}

/** `fn` until it returns a value, or `timeoutMs`; then undefined instead of a throw (the caller reports what it has). */
export async function waitFor<T>(fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn().catch(() => undefined);
    if (value !== undefined || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 500));
  }
}
