/** Shared set-up for integration tests: the configuration the local stack uses and a quiet logger. */
import net from 'node:net';
import { PassThrough } from 'node:stream';
import { loadConfig, type LogpipeConfig } from '../../src/system/config';
import { createLogger, type Logger } from '../../src/system/logging';

export function testConfig(): LogpipeConfig {
  return loadConfig().config;
}

/** A logger that keeps kafkajs's retry chatter out of the test output; returns what it wrote. */
export function quietLogger(): { logger: Logger; text: () => string } {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.toString()));
  return { logger: createLogger({ level: 'info', format: 'json', stream }), text: () => chunks.join('') };
}

/** A name no other test run uses, for topics, buckets, queues and groups. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Polls `fn` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
