/**
 * Integration tests run the built CLI and the real local stack. This builds dist/ (incrementally),
 * brings up the stack if it is not running, and remembers what it started so that global-teardown
 * stops exactly that: a stack the developer started stays up.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { loadConfig } from '../src/system/config/config';
import { up } from '../src/devstack/stack';
import { packageRoot } from '../src/system/config/paths';

export default async function globalSetup(): Promise<void> {
  const root = packageRoot();
  execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  const { config } = loadConfig();
  const result = await up(config, (m) => process.stderr.write(`[local stack] ${m}\n`));
  (globalThis as { __logpipeStarted?: string[] }).__logpipeStarted = result.started;
}
