/**
 * Prometheus metrics of logpipe (prom-client). One `Metrics` per process, on a registry of its own
 * (never prom-client's global one, so tests and several services in one process do not share
 * counters). The service creates it and hands it to its in-memory actors through their parameters;
 * a forked ingest worker creates its own, and the service merges the worker's values into its
 * answer to `GET /metrics` (serveMetrics). docs/metrics.md lists every metric.
 *
 * Labels have bounded cardinality: outcomes, reason categories, triggers, topics and partitions;
 * never object keys, window ids or free text.
 */
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Histogram, type MetricObjectWithValues, type MetricValue, Registry } from 'prom-client';
import { packageRoot } from '../config/paths';

/** What getMetricsAsJSON() returns: plain data, so it can cross a process boundary. */
export type MetricsSnapshot = MetricObjectWithValues<MetricValue<string>>[];

export type ObjectOutcome = 'ingested' | 'duplicate' | 'dead-letter';
export type EmailOutcome = 'sent' | 'failed-transient' | 'failed-permanent';

/**
 * Dead-letter reason categories (the `reason` label), from the reasons src/ingest/fetcher.ts,
 * src/system/errors/ (reasonOf, RetriesExhaustedError) and the S3WatcherActor write; `other` for
 * anything not recognised.
 */
export const DEAD_LETTER_CATEGORIES = ['corrupt-gzip', 'too-large', 'not-found', 'access-denied', 'changed', 'unreadable', 'retries-exhausted', 'other'] as const;
export type DeadLetterCategory = (typeof DEAD_LETTER_CATEGORIES)[number];

const CATEGORY_RULES: Array<[RegExp, DeadLetterCategory]> = [
  // The watcher's maxAttempts and the fetcher's retry budget: whatever the last error was.
  [/^gave up after \d+ attempts/, 'retries-exhausted'],
  [/^corrupt gzip\b/, 'corrupt-gzip'],
  [/^decompressed size over the limit/, 'too-large'],
  [/^(NoSuchKey|NoSuchBucket|NoSuchVersion|NotFound)\b/, 'not-found'],
  [/^(AccessDenied|Forbidden)\b/, 'access-denied'],
  [/^object changed while it was being ingested/, 'changed'],
  [/^(cannot read |InvalidObjectState\b|InvalidRange\b)|is not a regular file$/, 'unreadable'],
];

/** The category of a dead-letter reason; the reason text itself is too varied for a label. */
export function deadLetterCategory(reason: string | undefined): DeadLetterCategory {
  for (const [pattern, category] of CATEGORY_RULES) if (reason && pattern.test(reason)) return category;
  return 'other';
}

/** Seconds buckets for a Kafka transaction (send + commit), from a local broker to a slow cluster. */
const COMMIT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface MetricsOptions {
  /**
   * Also collect prom-client's process and Node.js metrics with this prefix (`logpipe_` in the
   * service, `logpipe_worker_` in a forked worker, so the two processes' values stay apart when
   * merged). Left out in tests: the collectors watch the event loop and GC.
   */
  defaultMetricsPrefix?: string;
}

/** Every metric of logpipe, registered on `registry`. */
export class Metrics {
  readonly registry = new Registry();

  // ---- ingest worker (FileFetcherActor, LineStreamerActor, KafkaPublisherActor) -------------
  readonly linesIngested: Counter;
  readonly bytesIngested: Counter;
  readonly recordsIngested: Counter;
  readonly flaggedRecords: Counter<'flag'>;
  readonly batchesInFlight: Gauge;
  readonly commitSeconds: Histogram;
  readonly commitFailures: Counter;
  readonly readRetries: Counter<'operation'>;

  // ---- ingest queue (S3WatcherActor, in the service process) ---------------------------------
  readonly requests: Counter<'trigger' | 'status'>;
  readonly objects: Counter<'outcome'>;
  readonly attemptFailures: Counter;
  readonly deadLetters: Counter<'reason'>;
  readonly objectsQueued: Gauge;
  readonly objectsRunning: Gauge;

  // ---- report stage (ReportStage, in the service process) ------------------------------------
  readonly consumerLag: Gauge<'topic' | 'partition'>;
  readonly windowsClosed: Counter;
  readonly lateRecords: Counter;
  readonly futureRecords: Counter;
  readonly alerts: Counter<'decision'>;
  readonly emails: Counter<'outcome'>;

  // ---- the service ----------------------------------------------------------------------------
  readonly workerUp: Gauge;
  readonly buildInfo: Gauge<'version' | 'node'>;

  constructor(options: MetricsOptions = {}) {
    const registers = [this.registry];
    this.linesIngested = new Counter({ name: 'logpipe_ingest_lines_total', help: 'Lines committed to the log topic (a multi-line entry counts each of its lines).', registers });
    this.bytesIngested = new Counter({ name: 'logpipe_ingest_bytes_total', help: 'Decompressed object bytes committed to the log topic.', registers });
    this.recordsIngested = new Counter({ name: 'logpipe_ingest_records_total', help: 'Kafka records (log entries) committed to the log topic.', registers });
    this.flaggedRecords = new Counter({ name: 'logpipe_ingest_flagged_records_total', help: 'Committed records carrying a flag: truncated (a line over ingest.maxLineBytes) or unparsed (no known format).', labelNames: ['flag'], registers });
    this.batchesInFlight = new Gauge({ name: 'logpipe_ingest_batches_in_flight', help: 'Record batches handed to the publisher and not yet committed (at most ingest.maxInFlightBatches per object).', registers });
    this.commitSeconds = new Histogram({ name: 'logpipe_ingest_commit_duration_seconds', help: 'Time to produce and commit one batch transaction (records and progress).', buckets: COMMIT_BUCKETS, registers });
    this.commitFailures = new Counter({ name: 'logpipe_ingest_commit_failures_total', help: 'Batch transactions that failed and were aborted (the object attempt fails and is retried).', registers });
    this.readRetries = new Counter({ name: 'logpipe_ingest_read_retries_total', help: 'Transient S3 failures retried inside one attempt, by operation (head, read).', labelNames: ['operation'], registers });

    this.requests = new Counter({ name: 'logpipe_ingest_requests_total', help: 'Ingest requests by trigger (api, sqs, listing, cli) and answer (queued, merged, busy).', labelNames: ['trigger', 'status'], registers });
    this.objects = new Counter({ name: 'logpipe_ingest_objects_total', help: 'Objects finished, by outcome: ingested, duplicate (already ingested), dead-letter.', labelNames: ['outcome'], registers });
    this.attemptFailures = new Counter({ name: 'logpipe_ingest_attempt_failures_total', help: 'Object attempts that failed with a retriable error and were scheduled again.', registers });
    this.deadLetters = new Counter({ name: 'logpipe_ingest_dead_letters_total', help: `Objects dead-lettered, by reason category (${DEAD_LETTER_CATEGORIES.join(', ')}).`, labelNames: ['reason'], registers });
    this.objectsQueued = new Gauge({ name: 'logpipe_ingest_objects_queued', help: 'Objects waiting for an ingest slot.', registers });
    this.objectsRunning = new Gauge({ name: 'logpipe_ingest_objects_running', help: 'Objects being ingested (at most ingest.parallelObjects).', registers });

    this.consumerLag = new Gauge({ name: 'logpipe_report_consumer_lag_records', help: 'Log-topic records not yet counted by the report stage, per assigned partition (updated every second).', labelNames: ['topic', 'partition'], registers });
    this.windowsClosed = new Counter({ name: 'logpipe_report_windows_closed_total', help: 'Windows closed and reported (report topic record and files).', registers });
    this.lateRecords = new Counter({ name: 'logpipe_report_late_records_total', help: 'Records that arrived after their window closed (reported in the late figure of a later window).', registers });
    this.futureRecords = new Counter({ name: 'logpipe_report_future_records_total', help: 'Records dated more than report.futureSkewMs beyond the time they were read, counted at their source\'s newest believable time instead (the future figure of reports).', registers });
    this.alerts = new Counter({ name: 'logpipe_report_alerts_total', help: 'Windows that breached the alert rules, by decision: alert (emailed) or suppressed (report.realertMs).', labelNames: ['decision'], registers });
    this.emails = new Counter({ name: 'logpipe_report_emails_total', help: 'Alert email attempts by outcome: sent, failed-transient (retried), failed-permanent (dropped).', labelNames: ['outcome'], registers });

    this.workerUp = new Gauge({ name: 'logpipe_ingest_worker_up', help: 'Whether the ingest worker answered this scrape (always 1 in-memory; 0 when a forked worker did not answer within 2 s, its metrics are then missing).', registers });
    this.workerUp.set(1);
    this.buildInfo = new Gauge({ name: 'logpipe_build_info', help: 'Always 1; the labels say which logpipe and Node.js run.', labelNames: ['version', 'node'], registers });
    this.buildInfo.set({ version: packageVersion(), node: process.version }, 1);

    if (options.defaultMetricsPrefix !== undefined) collectDefaultMetrics({ register: this.registry, prefix: options.defaultMetricsPrefix });
  }

  /** Counts a finished object; a dead-letter also by its reason's category. */
  objectFinished(outcome: ObjectOutcome, reason?: string): void {
    this.objects.inc({ outcome });
    if (outcome === 'dead-letter') this.deadLetters.inc({ reason: deadLetterCategory(reason) });
  }
}

/** The version in package.json; 'unknown' if it cannot be read (build info must not fail start-up). */
function packageVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** How long GET /metrics waits for a forked worker's values before answering without them. */
export const WORKER_METRICS_TIMEOUT_MS = 2_000;

/**
 * The text of GET /metrics: this process's metrics, merged (AggregatorRegistry.aggregate: counters,
 * gauges and histograms of the same name and labels summed) with a forked worker's snapshot when
 * `worker` is given. When the worker does not answer within `timeoutMs` or fails, the answer holds
 * this process's metrics only and logpipe_ingest_worker_up is 0. Never rejects for the worker's sake.
 */
export async function metricsText(metrics: Metrics, worker?: () => Promise<MetricsSnapshot>, timeoutMs = WORKER_METRICS_TIMEOUT_MS): Promise<{ contentType: string; text: string }> {
  const contentType = metrics.registry.contentType;
  if (!worker) return { contentType, text: await metrics.registry.metrics() };
  const theirs = await withTimeout(worker(), timeoutMs).catch(() => undefined);
  metrics.workerUp.set(theirs ? 1 : 0);
  if (!theirs) return { contentType, text: await metrics.registry.metrics() };
  const ours = await metrics.registry.getMetricsAsJSON();
  // Gauges that describe the process answering, not work done: the worker's copies would add up.
  const work = theirs.filter((m) => !SERVICE_ONLY.has(m.name));
  return { contentType, text: await AggregatorRegistry.aggregate([ours, work]).metrics() };
}

const SERVICE_ONLY = new Set(['logpipe_ingest_worker_up', 'logpipe_build_info']);

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The handler of `GET /metrics`: the Prometheus text format, with the registry's content type;
 * `worker` fetches a forked ingest worker's snapshot (left out when the worker runs in-memory and
 * counts into `metrics` directly).
 */
export function metricsHandler(metrics: Metrics, worker?: () => Promise<MetricsSnapshot>): (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> {
  return async (_req, res) => {
    const { contentType, text } = await metricsText(metrics, worker);
    res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
    res.end(text);
  };
}
