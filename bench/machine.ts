/** A description of the machine a benchmark ran on, stored with its results. */
import { execFileSync } from 'node:child_process';
import os from 'node:os';

export interface Machine {
  cpu: string;
  cores: number;
  memoryBytes: number;
  os: string;
  node: string;
  java?: string;
}

export function describeMachine(): Machine {
  let java: string | undefined;
  try {
    java = execFileSync('java', ['-version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0] || undefined;
  } catch (err) {
    java = String((err as { stderr?: string }).stderr ?? '').split('\n')[0] || undefined;
  }
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryBytes: os.totalmem(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    java,
  };
}
