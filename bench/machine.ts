/** A description of the machine a benchmark ran on, stored with its results. */
import { spawnSync } from 'node:child_process';
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
  // `java -version` writes to stderr, also when it succeeds, and a JVM may print other lines before
  // the version ("Picked up JAVA_TOOL_OPTIONS: ..."): the line naming the version is taken.
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  const lines = `${r.stderr ?? ''}${r.stdout ?? ''}`.split('\n').map((l) => l.trim());
  const java = (lines.find((l) => / version "/.test(l)) ?? lines[0]) || undefined;
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryBytes: os.totalmem(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    java,
  };
}
