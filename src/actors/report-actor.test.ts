import { PassThrough } from 'node:stream';
import { LogTopicMissingError } from '../report/stage';
import { createLogger } from '../system/observability/logging';
import { logStartRetry } from './report-actor';

function capture(): { logger: ReturnType<typeof createLogger>; lines: () => Array<Record<string, unknown>> } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  const logger = createLogger({ level: 'debug', format: 'json', stream });
  return { logger, lines: () => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('logStartRetry', () => {
  it('a log topic that does not exist yet is waited for at info once, naming the topic, then at debug', async () => {
    const { logger, lines } = capture();
    const missing = new LogTopicMissingError('logs');
    const waiting = logStartRetry(logger, { brokers: ['b:9092'], topic: 'logs', delayMs: 500, error: missing, waiting: false });
    expect(logStartRetry(logger, { brokers: ['b:9092'], topic: 'logs', delayMs: 900, error: missing, waiting })).toBe(true);
    await new Promise((r) => setImmediate(r));
    expect(waiting).toBe(true);
    expect(lines()).toEqual([
      expect.objectContaining({ level: 'info', message: 'report stage waiting for the log topic to be created', topic: 'logs', delayMs: 500 }),
      expect.objectContaining({ level: 'debug', message: 'report stage waiting for the log topic to be created', topic: 'logs', delayMs: 900 }),
    ]);
  });

  it('any other failure is a warning with its reason', async () => {
    const { logger, lines } = capture();
    expect(logStartRetry(logger, { brokers: ['b:9092'], topic: 'logs', delayMs: 500, error: new Error('Connection error: connect ECONNREFUSED'), waiting: true })).toBe(false);
    await new Promise((r) => setImmediate(r));
    expect(lines()).toEqual([expect.objectContaining({ level: 'warn', message: 'report stage could not start; retrying', brokers: ['b:9092'], error: expect.stringContaining('ECONNREFUSED') })]);
  });
});
