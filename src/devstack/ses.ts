/**
 * The local SES emulator (npm aws-ses-v2-local, a dev dependency), run with this Node binary.
 * Its inbox is at http://127.0.0.1:<port>/ and as JSON at /store.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { LogpipeConfig } from '../system/config/config';
import { httpOk } from './moto';
import type { StackService } from './service';

export function sesService(config: LogpipeConfig, stackDir: string): StackService {
  const port = config.stack.sesPort;
  const pkg = (): string => {
    try {
      return require.resolve('aws-ses-v2-local/package.json');
    } catch {
      throw new Error('aws-ses-v2-local is not installed: it is a dev dependency, run `npm ci` (without --omit=dev)');
    }
  };
  const cli = (): string => path.join(path.dirname(pkg()), 'dist', 'cli.js');
  return {
    name: 'ses',
    port,
    identity: `aws-ses-v2-local/dist/cli.js --port ${port}`,
    prerequisites: () => [],
    async prepare() {
      cli();
    },
    spawnSpec: () => ({
      command: process.execPath,
      args: [cli(), '--port', String(port), '--host', '127.0.0.1'],
      cwd: stackDir,
    }),
    probe: () => httpOk(`http://127.0.0.1:${port}/health-check`),
    async describe() {
      const version = (JSON.parse(fs.readFileSync(pkg(), 'utf8')) as { version: string }).version;
      return `aws-ses-v2-local ${version} (inbox http://127.0.0.1:${port}/)`;
    },
  };
}
