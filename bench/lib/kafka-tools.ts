/**
 * Kafka's own performance tools (kafka-tools: ProducerPerformance, ConsumerPerformance) as the Java
 * peers. Their jars are resolved by Maven from bench/pom.xml with the Kafka version pinned in
 * infra/kafka/pom.xml (the broker's), copied once into <stack dir>/bench/kafka-tools-<version>/ —
 * beside the broker's own jars, the stack's cache — and reused by later runs.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pinnedKafkaVersion } from '../../src/devstack/kafka';
import { packageRoot } from '../../src/system/config/paths';
import { run } from './proc';

export interface KafkaTools {
  version: string;
  /** The -cp argument: a directory wildcard. */
  classpath: string;
}

const has = (cmd: string, args: string[]): boolean => {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** The tools' class path, downloading the jars when missing; a reason string when impossible. */
export async function ensureKafkaTools(stackDir: string, logFile: string): Promise<KafkaTools | string> {
  const version = pinnedKafkaVersion();
  const dir = path.join(stackDir, 'bench', `kafka-tools-${version}`);
  const marker = path.join(dir, '.complete');
  if (!has('java', ['-version'])) return 'java is not installed (Java 17+ runs the broker and the tools)';
  if (!fs.existsSync(marker)) {
    if (!has('mvn', ['-v'])) return 'mvn is not installed (needed once to download kafka-tools)';
    fs.rmSync(dir, { recursive: true, force: true });
    const r = await run('mvn', ['-B', '-q', '-f', path.join(packageRoot(), 'bench', 'pom.xml'), 'dependency:copy-dependencies',
      '-DincludeScope=runtime', `-Dkafka.version=${version}`, `-DoutputDirectory=${dir}`], { stderrFile: logFile, stdoutFile: logFile + '.mvn' });
    if (r.code !== 0) return `Maven could not resolve org.apache.kafka:kafka-tools:${version} (see ${logFile}.mvn)`;
    fs.writeFileSync(marker, `${version}\n`);
  }
  return { version, classpath: path.join(dir, '*') };
}

/** ProducerPerformance's summary line: "N records sent, R records/sec (M MB/sec), ...". */
export function parseProducerPerformance(stdout: string): { records: number; recordsPerSecond: number; mbPerSecond: number } | undefined {
  const m = /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\)/.exec(stdout.split('\n').filter((l) => l.includes('records sent')).pop() ?? '');
  return m ? { records: Number(m[1]), recordsPerSecond: Number(m[2]), mbPerSecond: Number(m[3]) } : undefined;
}

/** ConsumerPerformance's CSV output: a header line and one line of values. */
export function parseConsumerPerformance(stdout: string): Record<string, string> | undefined {
  const lines = stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  const h = lines.findIndex((l) => l.startsWith('start.time'));
  if (h < 0 || h + 1 >= lines.length) return undefined;
  const keys = lines[h].split(',').map((s) => s.trim());
  const values = lines[h + 1].split(',').map((s) => s.trim());
  return Object.fromEntries(keys.map((k, i) => [k, values[i] ?? '']));
}
