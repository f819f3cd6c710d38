/**
 * Fault suite R3: S3 becomes unreachable mid-fetch. moto keeps its objects in memory, so a restart
 * would lose the object; the outage is injected in front of it instead: a TCP proxy between the
 * service and moto that drops every connection and refuses new ones for 15 s. The fetch retries with
 * backoff and resumes with a Range request; the object's lines are on the log topic exactly once.
 */
import { faultScenario } from '../support/fault-scenario';
import { eventually, topicOffsets } from '../support/helpers';
import { MotoProxy } from '../support/moto-proxy';

const scenario = faultScenario('R3');
const { config, kafka, bucket, topic } = scenario;

describe('R3 S3 outage mid-fetch', () => {
  it('retries, resumes by Range, and commits every line exactly once', async () => {
    const n = 400_000;
    const text = Array.from({ length: n }, (_, i) => `10:${String(Math.floor(i / 10_000) % 60).padStart(2, '0')}:00.000 [main] INFO app.S3 - line ${i} ${'p'.repeat(60)}`).join('\n') + '\n';
    const key = 'outage/LogFileGenerator.2026-11-25.log';
    await scenario.upload(key, text);
    const proxy = await MotoProxy.start(config.aws.endpoint);
    scenario.cleanup(() => proxy.close());
    const service = await scenario.start({
      LOGPIPE_REPORT_ENABLED: 'false',
      LOGPIPE_AWS_ENDPOINT: `http://127.0.0.1:${proxy.port}`,
      LOGPIPE_INGEST_BATCH_MAX_RECORDS: '5000',
      LOGPIPE_LOG_LEVEL: 'info',
    });
    expect(await service.trigger(bucket, key)).toBe(202);
    // Cut once some batches are committed, well before the end.
    await eventually('some committed batches', async () => ((await topicOffsets(kafka, topic)) >= 20_000 ? true : undefined), 120_000);
    await proxy.cut();
    await new Promise((r) => setTimeout(r, 15_000));
    await proxy.open();
    const records = await scenario.readLog(n, 3000, 300_000);
    expect(records).toHaveLength(n);
    expect(new Set(records.map((r) => r.value.toString())).size).toBe(n);
    expect(records.map((r) => r.value.toString())).toEqual(text.trimEnd().split('\n'));
    expect(service.child.exitCode).toBeNull();
    const resumed = /resum|Range|retry/i.test(service.log());
    scenario.record({
      scenario: 'S3 unreachable mid-fetch (400,000-line object)',
      injected: 'every connection to moto dropped and new ones refused for 15 s (TCP proxy), once 20,000 lines were committed',
      checked: 'the log topic (read_committed) holds every line exactly once, in order; the service kept running',
      result: `pass${resumed ? ' (retried and resumed)' : ''}`,
    });
  });
});
