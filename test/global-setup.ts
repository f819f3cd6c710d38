/**
 * Brings up the local stack for the integration tests if it is not running, and remembers what it
 * started so that global-teardown stops exactly that (a stack the developer started stays up).
 */
import { loadConfig } from '../src/system/config';
import { up } from '../src/devstack/stack';

export default async function globalSetup(): Promise<void> {
  const { config } = loadConfig();
  const result = await up(config, (m) => process.stderr.write(`[local stack] ${m}\n`));
  (globalThis as { __logpipeStarted?: string[] }).__logpipeStarted = result.started;
}
