/**
 * The local stack as a whole: Kafka, moto and the SES emulator on 127.0.0.1, cached in one folder
 * (`stack.dir`, git-ignored). up() is idempotent and starts only what is not running; down() stops only
 * processes recorded in this stack's pid files.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { LogpipeConfig } from '../system/config/config';
import { packageRoot } from '../system/config/paths';
import { kafkaService } from './kafka';
import { motoService } from './moto';
import { requirePrerequisite } from './prereqs';
import { isAlive, ownedPid, portOpen, serviceFiles, sleep, spawnService, stopService, tail } from './process';
import type { StackService } from './service';
import { sesService } from './ses';

export type ServiceName = StackService['name'];
export const SERVICE_NAMES: readonly ServiceName[] = ['kafka', 'moto', 'ses'];

export function stackDir(config: LogpipeConfig): string {
  return path.resolve(packageRoot(), config.stack.dir);
}

function services(config: LogpipeConfig, names: readonly ServiceName[]): StackService[] {
  const dir = stackDir(config);
  const all = { kafka: kafkaService, moto: motoService, ses: sesService };
  return names.map((n) => all[n](config, dir));
}

/** A failure to start or stop a service; the message names the service and what to do. */
export class StackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StackError';
  }
}

export interface UpResult {
  /** Services this call started (the others were already running). */
  started: ServiceName[];
  alreadyRunning: ServiceName[];
}

/**
 * Starts the named services that are not running and waits until each is ready.
 * Rejects with a StackError listing every service that failed, each with the tail of its log.
 */
export async function up(config: LogpipeConfig, log: (message: string) => void, names: readonly ServiceName[] = SERVICE_NAMES): Promise<UpResult> {
  const dir = stackDir(config);
  fs.mkdirSync(dir, { recursive: true });
  const result: UpResult = { started: [], alreadyRunning: [] };
  const outcomes = await Promise.allSettled(
    services(config, names).map(async (svc) => {
      const started = await upOne(svc, dir, config.stack.startTimeoutMs, (m) => log(`${svc.name}: ${m}`));
      (started ? result.started : result.alreadyRunning).push(svc.name);
    }),
  );
  const failures = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected').map((o) => (o.reason as Error).message);
  if (failures.length) throw new StackError(failures.join('\n\n'));
  return result;
}

async function upOne(svc: StackService, dir: string, timeoutMs: number, log: (m: string) => void): Promise<boolean> {
  const files = serviceFiles(dir, svc.name);
  const running = ownedPid(files, svc.identity);
  if (running !== undefined) {
    await waitReady(svc, running, files.logFile, timeoutMs);
    log(`already running (pid ${running})`);
    await afterReady(svc, log);
    return false;
  }
  if (await portOpen(svc.port)) {
    throw new StackError(
      `${svc.name}: port ${svc.port} on 127.0.0.1 is in use by a process this stack did not start; ` +
        `stop that process or choose another port (see \`logpipe config\`, stack.* keys)`,
    );
  }
  try {
    for (const p of svc.prerequisites()) requirePrerequisite(p);
    await svc.prepare(log);
  } catch (err) {
    throw new StackError(`${svc.name}: ${(err as Error).message}`);
  }
  const spec = svc.spawnSpec();
  const pid = spawnService(files, spec);
  log(`starting (pid ${pid}, log ${files.logFile})`);
  await waitReady(svc, pid, files.logFile, timeoutMs);
  log(`ready on 127.0.0.1:${svc.port}`);
  await afterReady(svc, log);
  return true;
}

async function afterReady(svc: StackService, log: (m: string) => void): Promise<void> {
  try {
    await svc.afterReady?.(log);
  } catch (err) {
    throw new StackError(`${svc.name}: ${(err as Error).message}`);
  }
}

async function waitReady(svc: StackService, pid: number, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await svc.probe()) return;
    if (!isAlive(pid)) {
      throw new StackError(`${svc.name}: the process exited during start-up; last lines of ${logFile}:\n${tail(logFile)}`);
    }
    await sleep(500);
  }
  throw new StackError(`${svc.name}: not ready after ${timeoutMs} ms (pid ${pid} still running); last lines of ${logFile}:\n${tail(logFile)}`);
}

/** Stops the named services if this stack started them; returns those it stopped. */
export async function down(config: LogpipeConfig, names: readonly ServiceName[] = SERVICE_NAMES): Promise<ServiceName[]> {
  const dir = stackDir(config);
  const stopped: ServiceName[] = [];
  // Kafka gets time for a controlled shutdown; the emulators hold nothing worth waiting for.
  await Promise.all(
    services(config, names).map(async (svc) => {
      if (await stopService(serviceFiles(dir, svc.name), svc.identity, svc.name === 'kafka' ? 20_000 : 5_000)) stopped.push(svc.name);
    }),
  );
  return stopped;
}

export interface ServiceStatus {
  name: ServiceName;
  state: 'running' | 'starting' | 'stopped' | 'port-taken';
  pid?: number;
  port: number;
  description?: string;
  logFile: string;
}

/** The state of each service: ours and ready, ours and not ready, not running, or its port held by another process. */
export async function status(config: LogpipeConfig): Promise<ServiceStatus[]> {
  const dir = stackDir(config);
  return Promise.all(
    services(config, SERVICE_NAMES).map(async (svc): Promise<ServiceStatus> => {
      const files = serviceFiles(dir, svc.name);
      const pid = ownedPid(files, svc.identity);
      const base = { name: svc.name, port: svc.port, logFile: files.logFile };
      if (pid === undefined) return { ...base, state: (await portOpen(svc.port)) ? 'port-taken' : 'stopped' };
      if (!(await svc.probe())) return { ...base, state: 'starting', pid };
      return { ...base, state: 'running', pid, description: await svc.describe().catch(() => undefined) };
    }),
  );
}
