import http from 'node:http';
import { deadLetterCategory, Metrics, metricsHandler, metricsText, type MetricsSnapshot } from './metrics';

/** The value of one series in Prometheus text, e.g. value(text, 'logpipe_ingest_objects_total{outcome="ingested"}'). */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('deadLetterCategory', () => {
  // The reason label must stay a small set whatever the reason text: one per kind of failure.
  it.each<[string | undefined, string]>([
    ['corrupt gzip: unexpected end of file', 'corrupt-gzip'],
    ['decompressed size over the limit of 20971520 bytes (ingest.maxDecompressedBytes)', 'too-large'],
    ['NoSuchKey: The specified key does not exist.', 'not-found'],
    ['NotFound: UnknownError', 'not-found'],
    ['NoSuchBucket: The specified bucket does not exist', 'not-found'],
    ['AccessDenied: Access Denied', 'access-denied'],
    ['object changed while it was being ingested (ETag is no longer abc)', 'changed'],
    ['cannot read /tmp/x.log: ENOENT', 'unreadable'],
    ['/tmp is not a regular file', 'unreadable'],
    ['gave up after 3 attempts: KafkaJSConnectionError: Connection error', 'retries-exhausted'],
    ['gave up after 7 attempts over 120000 ms: corrupt gzip: x', 'retries-exhausted'],
    ['TypeError: something unexpected', 'other'],
    [undefined, 'other'],
  ])('%s → %s', (reason, category) => {
    expect(deadLetterCategory(reason)).toBe(category);
  });
});

describe('Metrics', () => {
  it('keeps each instance on a registry of its own (nothing on the global registry)', async () => {
    const a = new Metrics();
    const b = new Metrics();
    a.linesIngested.inc(5);
    expect(value(await a.registry.metrics(), 'logpipe_ingest_lines_total')).toBe(5);
    expect(value(await b.registry.metrics(), 'logpipe_ingest_lines_total')).toBe(0);
    expect(await (await import('prom-client')).register.getMetricsAsJSON()).toEqual([]);
  });

  it('counts finished objects by outcome and dead letters by reason category', async () => {
    const m = new Metrics();
    m.objectFinished('ingested');
    m.objectFinished('ingested');
    m.objectFinished('duplicate');
    m.objectFinished('dead-letter', 'corrupt gzip: unexpected end of file');
    const text = await m.registry.metrics();
    expect(value(text, 'logpipe_ingest_objects_total{outcome="ingested"}')).toBe(2);
    expect(value(text, 'logpipe_ingest_objects_total{outcome="duplicate"}')).toBe(1);
    expect(value(text, 'logpipe_ingest_objects_total{outcome="dead-letter"}')).toBe(1);
    expect(value(text, 'logpipe_ingest_dead_letters_total{reason="corrupt-gzip"}')).toBe(1);
  });

  it('names every metric logpipe_* and gives each a help text', async () => {
    const json = await new Metrics().registry.getMetricsAsJSON();
    expect(json.length).toBeGreaterThan(15);
    for (const metric of json) {
      expect(metric.name).toMatch(/^logpipe_[a-z_]+$/);
      expect(metric.help.length).toBeGreaterThan(10);
    }
  });
});

describe('metricsText', () => {
  /** A forked worker's registry: what FileFetcherActor.metrics() returns. */
  async function workerSnapshot(): Promise<MetricsSnapshot> {
    const worker = new Metrics();
    worker.linesIngested.inc(1000);
    worker.commitSeconds.observe(0.02);
    worker.flaggedRecords.inc({ flag: 'truncated' }, 2);
    return worker.registry.getMetricsAsJSON();
  }

  it('merges a forked worker\'s metrics into the service\'s, once per series', async () => {
    const service = new Metrics();
    service.objectFinished('ingested');
    service.commitSeconds.observe(0.02);
    const snapshot = await workerSnapshot();
    const { text, contentType } = await metricsText(service, async () => snapshot);
    expect(contentType).toMatch(/^text\/plain/);
    expect(value(text, 'logpipe_ingest_lines_total')).toBe(1000);
    expect(value(text, 'logpipe_ingest_flagged_records_total{flag="truncated"}')).toBe(2);
    expect(value(text, 'logpipe_ingest_objects_total{outcome="ingested"}')).toBe(1);
    // Histograms add up bucket by bucket.
    expect(value(text, 'logpipe_ingest_commit_duration_seconds_count')).toBe(2);
    expect(value(text, 'logpipe_ingest_commit_duration_seconds_bucket{le="0.025"}')).toBe(2);
    // Gauges about the answering process are the service's alone, not a sum over both processes.
    expect(value(text, 'logpipe_ingest_worker_up')).toBe(1);
    expect(text).toMatch(/^logpipe_build_info\{version="[^"]+",node="v\d+[^"]*"\} 1$/m);
    expect(text.match(/^# TYPE logpipe_ingest_lines_total counter$/gm)).toHaveLength(1);
  });

  it('answers with the service\'s own metrics and worker_up 0 when the worker does not answer in time', async () => {
    const service = new Metrics();
    service.objectFinished('ingested');
    const { text } = await metricsText(service, () => new Promise<MetricsSnapshot>(() => undefined), 50);
    expect(value(text, 'logpipe_ingest_worker_up')).toBe(0);
    expect(value(text, 'logpipe_ingest_objects_total{outcome="ingested"}')).toBe(1);
    expect(value(text, 'logpipe_ingest_lines_total')).toBe(0);
    // The next scrape that reaches the worker says so again.
    const again = await metricsText(service, workerSnapshot);
    expect(value(again.text, 'logpipe_ingest_worker_up')).toBe(1);
    expect(value(again.text, 'logpipe_ingest_lines_total')).toBe(1000);
  });

  it('treats a failing worker like one that does not answer', async () => {
    const { text } = await metricsText(new Metrics(), () => Promise.reject(new Error('Actor crashed.')));
    expect(value(text, 'logpipe_ingest_worker_up')).toBe(0);
  });

  it('serves GET /metrics with the registry\'s content type', async () => {
    const m = new Metrics();
    m.linesIngested.inc(3);
    const server = http.createServer((req, res) => void metricsHandler(m)(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const { port } = server.address() as { port: number };
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(m.registry.contentType);
      expect(value(await res.text(), 'logpipe_ingest_lines_total')).toBe(3);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
