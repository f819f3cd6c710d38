/**
 * Fault suite R5: hostile and broken objects, triggered through the control API of a running
 * `logpipe start` while it ingests a good object beside them. Each bad object ends in a documented
 * outcome (ingested, truncated and flagged, or dead-lettered with a reason); the service keeps
 * running and the good object is on the log topic exactly once. The outcomes are written to
 * docs/reliability.md.
 */
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { faultScenario } from '../support/fault-scenario';
import { metricValue } from '../support/helpers';
import type { ServiceProcess } from '../support/service';

const scenario = faultScenario('R5');
const { config, bucket } = scenario;
const MAX_DECOMPRESSED = 20 * 1024 * 1024;
let service: ServiceProcess;

beforeAll(async () => {
  await scenario.createBucket();
  service = await scenario.start({
    LOGPIPE_REPORT_ENABLED: 'false',
    LOGPIPE_INGEST_MAX_DECOMPRESSED_BYTES: String(MAX_DECOMPRESSED),
    LOGPIPE_INGEST_MAX_ATTEMPTS: '3',
  });
});

async function trigger(key: string): Promise<void> {
  expect(await service.trigger(bucket, key)).toBe(202);
}

const lines = (n: number, f: (i: number) => string): string => Array.from({ length: n }, (_, i) => f(i)).join('\n') + '\n';
const good = lines(50_000, (i) => `10:${String(Math.floor(i / 1000) % 60).padStart(2, '0')}:00.000 [main] ${i % 50 === 0 ? 'ERROR' : 'INFO '} app.Good - line ${i}`);
const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), crypto.randomBytes(64 * 1024)]);
const gz = zlib.gzipSync(lines(20_000, (i) => `10:00:00.000 [main] INFO app - gz ${i}`));

interface Case {
  key: string;
  body: Buffer | string;
  injected: string;
  expect: { status: 'done' | 'dead-letter'; lines?: number; reason?: RegExp };
  outcome: string;
}

const cases: Case[] = [
  { key: 'bad/empty.log', body: Buffer.alloc(0), injected: 'an empty object', expect: { status: 'done', lines: 0 }, outcome: 'ingested: 0 lines' },
  { key: 'bad/random.bin', body: crypto.randomBytes(256 * 1024), injected: '256 KiB of random bytes', expect: { status: 'done' }, outcome: 'ingested as UNPARSED entries, raw bytes kept' },
  { key: 'bad/image.png', body: png, injected: 'a PNG (64 KiB)', expect: { status: 'done' }, outcome: 'ingested as UNPARSED entries' },
  { key: 'bad/latin1.log', body: Buffer.from('10:00:00.000 [main] ERROR app - caf\xe9 \xff\xfe\n', 'latin1'), injected: 'invalid UTF-8', expect: { status: 'done', lines: 1 }, outcome: 'ingested, value bytes unchanged' },
  { key: 'bad/crlf.log', body: '10:00:00.000 [main] INFO app - a\r\n10:00:01.000 [main] INFO app - b\r\n', injected: 'CRLF line ends', expect: { status: 'done', lines: 2 }, outcome: 'ingested, CR removed' },
  { key: 'bad/no-newline.log', body: '10:00:00.000 [main] INFO app - a\n10:00:01.000 [main] INFO app - last', injected: 'no trailing newline', expect: { status: 'done', lines: 2 }, outcome: 'ingested, last line included' },
  { key: 'bad/one-10mb-line.log', body: `10:00:00.000 [main] ERROR app - ${'x'.repeat(10 * 1024 * 1024)}\n`, injected: 'a single 10 MB line', expect: { status: 'done', lines: 1 }, outcome: 'ingested, truncated to ingest.maxLineBytes, flagged `truncated`' },
  { key: 'bad/unparseable.log', body: lines(1_000_000, (i) => `garbage ${i}`), injected: '1,000,000 lines of which none parse', expect: { status: 'done', lines: 1_000_000 }, outcome: 'ingested as UNPARSED entries, flagged `unparsed`' },
  { key: 'bad/truncated.log.gz', body: gz.subarray(0, Math.floor(gz.length / 2)), injected: 'a gzip cut in half', expect: { status: 'dead-letter', reason: /gzip|unexpected end|truncated/i }, outcome: 'dead-lettered with the reason; batches committed before the cut stay' },
  { key: 'bad/bomb.log.gz', body: zlib.gzipSync(Buffer.alloc(MAX_DECOMPRESSED * 2, 'a')), injected: `a gzip decompressing to ${(2 * MAX_DECOMPRESSED) / 2 ** 20} MiB (limit ${MAX_DECOMPRESSED / 2 ** 20} MiB)`, expect: { status: 'dead-letter', reason: /decompress|limit|maxDecompressedBytes/i }, outcome: 'dead-lettered: over ingest.maxDecompressedBytes' },
  { key: 'bad/missing.log', body: Buffer.alloc(0), injected: 'a key that does not exist', expect: { status: 'dead-letter', reason: /NoSuchKey|NotFound/ }, outcome: 'dead-lettered: NoSuchKey' },
];

describe('R5 bad inputs while the service ingests a good object', () => {
  it('gives every bad object its documented outcome, keeps running, and ingests the good object exactly once', async () => {
    await scenario.upload('good/LogFileGenerator.2026-11-25.log', good);
    for (const c of cases) if (c.key !== 'bad/missing.log') await scenario.upload(c.key, c.body);
    await trigger('good/LogFileGenerator.2026-11-25.log');
    for (const c of cases) await trigger(c.key);

    const got = await scenario.outcomes(['good/LogFileGenerator.2026-11-25.log', ...cases.map((c) => c.key)], 240_000);
    expect(service.child.exitCode).toBeNull();
    const records = await scenario.readLog(50_000, 2000, 120_000);
    const goodRecords = records.filter((r) => r.key === 'good/LogFileGenerator.2026-11-25.log');
    expect(goodRecords.map((r) => r.value.toString())).toEqual(good.trimEnd().split('\n'));
    expect(got.get('good/LogFileGenerator.2026-11-25.log')).toMatchObject({ status: 'done', lines: 50_000 });

    const failures: string[] = [];
    for (const c of cases) {
      const p = got.get(c.key)!;
      const ok = p.status === c.expect.status && (c.expect.lines === undefined || p.lines === c.expect.lines) && (c.expect.reason === undefined || c.expect.reason.test(p.reason ?? ''));
      if (!ok) failures.push(`${c.key}: expected ${JSON.stringify({ ...c.expect, reason: c.expect.reason?.source })}, got ${JSON.stringify({ status: p.status, lines: p.lines, reason: p.reason })}`);
      scenario.record({ scenario: c.injected, injected: `PutObject ${c.key} + POST /v1/ingest`, checked: c.outcome, result: ok ? `pass (${p.status}, ${p.lines} line${p.lines === 1 ? '' : 's'}${p.reason ? `, reason: ${p.reason.slice(0, 120)}` : ''})` : 'FAIL' });
    }
    expect(failures).toEqual([]);

    const long = records.find((r) => r.key === 'bad/one-10mb-line.log')!;
    expect(long.headers.flags).toContain('truncated');
    expect(long.value.length).toBeLessThanOrEqual(config.ingest.maxLineBytes);
    const crlf = records.filter((r) => r.key === 'bad/crlf.log').map((r) => r.value.toString());
    expect(crlf).toEqual(['10:00:00.000 [main] INFO app - a', '10:00:01.000 [main] INFO app - b']);
    const latin1 = records.find((r) => r.key === 'bad/latin1.log')!;
    expect(latin1.value).toEqual(Buffer.from('10:00:00.000 [main] ERROR app - caf\xe9 \xff\xfe', 'latin1'));

    // Every outcome shows in the service's metrics (docs/metrics.md).
    const metrics = await (await fetch(`http://127.0.0.1:${service.port}/metrics`)).text();
    const value = (series: string): number => metricValue(metrics, series) ?? NaN;
    const deadLettered = cases.filter((c) => c.expect.status === 'dead-letter').length;
    const shown = {
      ingested: value('logpipe_ingest_objects_total{outcome="ingested"}'),
      deadLetter: value('logpipe_ingest_objects_total{outcome="dead-letter"}'),
      corruptGzip: value('logpipe_ingest_dead_letters_total{reason="corrupt-gzip"}'),
      tooLarge: value('logpipe_ingest_dead_letters_total{reason="too-large"}'),
      notFound: value('logpipe_ingest_dead_letters_total{reason="not-found"}'),
      truncated: value('logpipe_ingest_flagged_records_total{flag="truncated"}'),
      unparsed: value('logpipe_ingest_flagged_records_total{flag="unparsed"}'),
    };
    expect(shown).toMatchObject({ ingested: cases.length - deadLettered + 1, deadLetter: deadLettered, corruptGzip: 1, tooLarge: 1, notFound: 1, truncated: 1 });
    expect(shown.unparsed).toBeGreaterThanOrEqual(1_000_000);
    scenario.record({ scenario: 'the outcomes in GET /metrics', injected: 'the objects above', checked: 'objects by outcome, dead letters by reason, flagged records', result: `pass (ingested ${shown.ingested}, dead-letter ${shown.deadLetter}: corrupt-gzip ${shown.corruptGzip}, too-large ${shown.tooLarge}, not-found ${shown.notFound}; truncated ${shown.truncated}, unparsed ${shown.unparsed})` });
    scenario.record({ scenario: 'the good object beside them (50,000 lines)', injected: 'ingested concurrently', checked: 'every line once, in order; the service still running', result: 'pass' });
  });
});
