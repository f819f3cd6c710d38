import { loadConfig } from '../src/system/config/config';
import { down, type ServiceName } from '../src/devstack/stack';

export default async function globalTeardown(): Promise<void> {
  const started = (globalThis as { __logpipeStarted?: ServiceName[] }).__logpipeStarted ?? [];
  if (started.length === 0) return;
  const { config } = loadConfig();
  const stopped = await down(config, started);
  process.stderr.write(`[local stack] stopped what the tests started: ${stopped.join(', ')}\n`);
}
