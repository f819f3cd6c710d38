import { startService } from '../../src/system/runtime/service';
import { quietLogger, testConfig } from '../support/helpers';

const base = testConfig();

describe('logpipe service (in process)', () => {
  it('serves /healthz and reports ready once Kafka answers', async () => {
    const { logger, text } = quietLogger();
    const service = await startService({ ...base, control: { ...base.control, host: '127.0.0.1', port: 0 } }, logger);
    try {
      expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
      const ready = await fetch(`${service.url}/readyz`);
      expect(await ready.json()).toEqual({ status: 'ready', checks: { kafka: true } });
      expect(ready.status).toBe(200);
    } finally {
      await service.stop();
    }
    const events = text().trim().split('\n').map((l) => JSON.parse(l) as { message: string; component?: string });
    expect(events.map((e) => e.message)).toEqual(expect.arrayContaining(['logpipe started', 'logpipe stopped']));
  });

  it('stays alive but not ready while the brokers cannot be reached', async () => {
    const { logger, text } = quietLogger();
    const unreachable = { ...base, kafka: { ...base.kafka, brokers: ['127.0.0.1:1'], connectionTimeoutMs: 500 }, control: { ...base.control, host: '127.0.0.1', port: 0 } };
    const service = await startService(unreachable, logger);
    try {
      expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
      const ready = await fetch(`${service.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'not ready', checks: { kafka: false } });
    } finally {
      await service.stop();
    }
    // The operator learns which address was tried.
    expect(text()).toContain('127.0.0.1:1');
  });
});
