import { PassThrough } from 'node:stream';
import { ControlServer, sendJson } from './control-server';
import { createLogger } from './logging';

const logger = createLogger({ level: 'error', format: 'json', stream: new PassThrough() });

async function withServer(readiness: Array<{ name: string; check(): Promise<boolean> }>, fn: (base: string, server: ControlServer) => Promise<void>): Promise<void> {
  const server = new ControlServer({ host: '127.0.0.1', port: 0, logger, readiness });
  const { port } = await server.listen();
  try {
    await fn(`http://127.0.0.1:${port}`, server);
  } finally {
    await server.close();
  }
}

describe('ControlServer', () => {
  it('answers /healthz while alive', async () => {
    await withServer([], async (base) => {
      const res = await fetch(`${base}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok' });
    });
  });

  it('/readyz is 503 naming the failing check, 200 once all pass', async () => {
    let kafkaUp = false;
    await withServer([{ name: 'kafka', check: async () => kafkaUp }, { name: 'other', check: () => Promise.reject(new Error('x')) }], async (base) => {
      let res = await fetch(`${base}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 'not ready', checks: { kafka: false, other: false } });
      kafkaUp = true;
      res = await fetch(`${base}/readyz`);
      expect(await res.json()).toMatchObject({ checks: { kafka: true, other: false } });
    });
    await withServer([{ name: 'kafka', check: async () => true }], async (base) => {
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
    });
  });

  it('404 for unknown paths, 405 with Allow for a wrong method, 500 with the message when a handler throws', async () => {
    await withServer([], async (base, server) => {
      server.route('POST', '/v1/thing', () => {
        throw new Error('handler broke');
      });
      expect((await fetch(`${base}/nope`)).status).toBe(404);
      const wrong = await fetch(`${base}/healthz`, { method: 'DELETE' });
      expect(wrong.status).toBe(405);
      expect(wrong.headers.get('allow')).toBe('GET');
      const broken = await fetch(`${base}/v1/thing`, { method: 'POST' });
      expect(broken.status).toBe(500);
      expect(await broken.json()).toEqual({ error: 'handler broke' });
    });
  });

  it('refuses a duplicate route', async () => {
    const server = new ControlServer({ host: '127.0.0.1', port: 0, logger, readiness: [] });
    server.route('GET', '/x', (_q, r) => sendJson(r, 200, {}));
    expect(() => server.route('GET', '/x', (_q, r) => sendJson(r, 200, {}))).toThrow('route GET /x is already registered');
  });

  it('names the address and the setting when the port is taken', async () => {
    await withServer([], async (base) => {
      const port = Number(new URL(base).port);
      const second = new ControlServer({ host: '127.0.0.1', port, logger, readiness: [] });
      await expect(second.listen()).rejects.toThrow(`control server: 127.0.0.1:${port} is already in use; stop the other process or set LOGPIPE_CONTROL_PORT`);
    });
  });
});

describe('ControlServer readiness timeout', () => {
  // A hung dependency must not hang the probe that reports it.
  it('counts a check that does not answer within 3 s as not ready', async () => {
    await withServer([{ name: 'stuck', check: () => new Promise<boolean>(() => undefined) }], async (base) => {
      const res = await fetch(`${base}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 'not ready', checks: { stuck: false } });
    });
  });
});
