/** A `logpipe start` child process for a fault scenario: its own topic and control port, its log kept. */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { packageRoot } from '../../src/system/paths';
import { eventually, freePort } from '../integration/helpers';

export interface ServiceProcess {
  child: ChildProcess;
  port: number;
  log(): string;
  trigger(bucket: string, key: string): Promise<number>;
  stop(): Promise<number | null>;
}

export async function startServiceProcess(env: NodeJS.ProcessEnv): Promise<ServiceProcess> {
  const port = await freePort();
  let log = '';
  const child = spawn(process.execPath, [path.join(packageRoot(), 'dist', 'cli', 'main.js'), 'start'], {
    env: { ...process.env, NODE_ENV: 'test', LOGPIPE_LOG_FORMAT: 'json', LOGPIPE_CONTROL_PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await eventually('the service to answer /healthz', async () => ((await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok ? true : undefined), 60_000);
  return {
    child,
    port,
    log: () => log,
    async trigger(bucket, key) {
      const res = await fetch(`http://127.0.0.1:${port}/v1/ingest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ bucket, key }) });
      return res.status;
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
