import { PassThrough } from 'node:stream';
import { logLevel } from 'kafkajs';
import { createActorSystem } from '../runtime/service';
import ComedyLogBridge = require('../runtime/comedy-log-bridge');
import { createLogger, kafkaEntryLevel, kafkaLogCreator } from './logging';

/** A logger writing into memory; lines() returns what was written so far. */
function memoryLogger(format: 'json' | 'pretty' | 'auto' = 'json', level: 'debug' | 'info' = 'debug', isTTY = false) {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.toString()));
  const logger = createLogger({ level, format, stream, isTTY });
  const lines = async (): Promise<string[]> => {
    await new Promise((r) => setImmediate(r));
    return chunks.join('').split('\n').filter(Boolean);
  };
  return { logger, lines };
}

describe('createLogger', () => {
  it('writes one JSON object per line with component, fields and timestamp', async () => {
    const { logger, lines } = memoryLogger();
    logger.child({ component: 'fetcher' }).info('object fetched', { bucket: 'b', bytes: 12 });
    const [line] = await lines();
    expect(JSON.parse(line)).toMatchObject({ level: 'info', message: 'object fetched', component: 'fetcher', bucket: 'b', bytes: 12, timestamp: expect.any(String) });
  });

  it('keeps an error in a field named error, with message and stack', async () => {
    const { logger, lines } = memoryLogger();
    const err = Object.assign(new Error('boom'), { code: 'ECONNRESET' });
    logger.error('fetch failed', { error: err });
    const parsed = JSON.parse((await lines())[0]);
    expect(parsed.error).toMatchObject({ message: 'boom', code: 'ECONNRESET', stack: expect.stringContaining('boom') });
  });

  it('drops lines below the configured level', async () => {
    const { logger, lines } = memoryLogger('json', 'info');
    logger.debug('hidden');
    logger.info('shown');
    expect((await lines()).map((l) => JSON.parse(l).message)).toEqual(['shown']);
  });

  it('auto is JSON when not a TTY and readable text on a TTY', async () => {
    const plain = memoryLogger('auto', 'debug', false);
    plain.logger.info('hello');
    const plainLine = (await plain.lines())[0];
    expect(() => JSON.parse(plainLine)).not.toThrow();
    const tty = memoryLogger('auto', 'debug', true);
    tty.logger.child({ component: 'dev' }).info('hello', { port: 9092 });
    const line = (await tty.lines())[0];
    expect(line).toMatch(/info.*\[dev\] hello {2}port=9092/);
    expect(() => JSON.parse(line)).toThrow();
  });
});

describe('kafkaLogCreator', () => {
  it('routes kafkajs entries into winston with the kafkajs namespace', async () => {
    const { logger, lines } = memoryLogger();
    const log = kafkaLogCreator(logger)(logLevel.INFO);
    log({ namespace: 'Consumer', level: logLevel.WARN, label: 'WARN', log: { message: 'rebalancing', timestamp: 'x', groupId: 'g' } });
    expect(JSON.parse((await lines())[0])).toMatchObject({ component: 'kafkajs', level: 'warn', namespace: 'Consumer', message: 'rebalancing', groupId: 'g' });
  });
});

describe('kafkaEntryLevel', () => {
  // A fresh broker answers "coordinator loading" a few times; a newcomer should not read ERROR lines
  // for what kafkajs retries by itself.
  it.each([
    ['Connection', logLevel.ERROR, { message: 'Response InitProducerId(key: 22, version: 1)' }, 'debug'],
    ['Producer', logLevel.ERROR, { message: 'Failed to send messages', retryCount: 0 }, 'warn'],
    ['Producer', logLevel.ERROR, { message: 'Failed to send messages' }, 'error'],
    ['Producer', logLevel.ERROR, { message: 'Failed to send messages: The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing', retryCount: 0 }, 'debug'],
    ['Connection', logLevel.ERROR, { message: 'Connection error: ECONNREFUSED' }, 'error'],
    ['Consumer', logLevel.INFO, { message: 'Starting' }, 'info'],
  ])('%s level %s %j → %s', (namespace, level, log, expected) => {
    expect(kafkaEntryLevel(namespace as string, level as number, log as { message: string })).toBe(expected);
  });
});

describe('comedy log routing', () => {
  it('an actor system created by logpipe logs through winston, not on its own', async () => {
    const { logger, lines } = memoryLogger();
    const written: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const system = createActorSystem(logger, { level: 'debug', format: 'json' });
      class Echo {
        private log: { info(...args: unknown[]): void } | undefined;
        initialize(self: { getLog(): { info(...args: unknown[]): void } }): void {
          this.log = self.getLog();
        }
        ping(text: string): string {
          this.log?.info('ping received', text);
          return text;
        }
      }
      const root = await system.rootActor();
      const echo = await root.createChild(Echo, { mode: 'in-memory' });
      await expect(echo.sendAndReceive('ping', 'hello')).resolves.toBe('hello');
      await system.destroy();
    } finally {
      spy.mockRestore();
    }
    const entries = (await lines()).map((l) => JSON.parse(l));
    expect(entries).toEqual(expect.arrayContaining([expect.objectContaining({ component: 'comedy', message: expect.stringContaining('ping received hello') })]));
    expect(written.join('')).toBe('');
  });

  it('the bridge joins comedy arguments into one message', async () => {
    const { logger, lines } = memoryLogger();
    new ComedyLogBridge({ logger }).warn('Actor(x):', 'slow', { ms: 5 });
    expect(JSON.parse((await lines())[0])).toMatchObject({ component: 'comedy', level: 'warn', message: 'Actor(x): slow { ms: 5 }' });
  });
});
