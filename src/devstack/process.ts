/**
 * Process bookkeeping for the local stack: each service runs detached in its own process group,
 * its pid in `<stack>/run/<name>.pid`, its output in `<stack>/logs/<name>.log`. A pid counts as ours
 * only while its command line still contains the service's identity string, so a recycled pid is
 * never signalled. Nothing here looks processes up by name.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface ServiceFiles {
  pidFile: string;
  logFile: string;
}

export function serviceFiles(stackDir: string, name: string): ServiceFiles {
  return { pidFile: path.join(stackDir, 'run', `${name}.pid`), logFile: path.join(stackDir, 'logs', `${name}.log`) };
}

/** The pid recorded for a service if that process is alive and still runs `identity`. */
export function ownedPid(files: ServiceFiles, identity: string): number | undefined {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(files.pidFile, 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  let cmdline: string;
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return undefined;
  }
  return cmdline.includes(identity) ? pid : undefined;
}

export interface SpawnSpec {
  command: string;
  args: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
}

/** Starts a detached process with stdout and stderr appended to the service log; records its pid. */
export function spawnService(files: ServiceFiles, spec: SpawnSpec): number {
  fs.mkdirSync(path.dirname(files.pidFile), { recursive: true });
  fs.mkdirSync(path.dirname(files.logFile), { recursive: true });
  const out = fs.openSync(files.logFile, 'a');
  fs.writeSync(out, `\n--- ${new Date().toISOString()} starting: ${spec.command} ${spec.args.join(' ')}\n`);
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: spec.env ?? process.env,
    detached: true,
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  if (child.pid === undefined) throw new Error(`could not start ${spec.command} (see ${files.logFile})`);
  child.unref();
  fs.writeFileSync(files.pidFile, `${child.pid}\n`);
  return child.pid;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Stops the service's process group: SIGTERM, then SIGKILL after `graceMs`. Removes the pid file.
 * Returns false if no process of ours was running.
 */
export async function stopService(files: ServiceFiles, identity: string, graceMs: number): Promise<boolean> {
  const pid = ownedPid(files, identity);
  if (pid === undefined) {
    fs.rmSync(files.pidFile, { force: true });
    return false;
  }
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(200);
  if (isAlive(pid)) {
    signalGroup(pid, 'SIGKILL');
    while (isAlive(pid)) await sleep(100);
  }
  fs.rmSync(files.pidFile, { force: true });
  return true;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/** Whether something accepts TCP connections on host:port. */
export function portOpen(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The last `lines` lines of a file, or a note that it is missing. */
export function tail(file: string, lines = 30): string {
  try {
    const text = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    return text.slice(-lines).join('\n');
  } catch {
    return `(no log at ${file})`;
  }
}

/**
 * Runs a command to completion, appending its output to `logFile`; rejects with the log's tail on
 * failure. Asynchronous so that installs of different services proceed side by side.
 */
export async function runLogged(logFile: string, command: string, args: string[], what: string, cwd?: string, secrets: readonly string[] = []): Promise<void> {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const out = fs.openSync(logFile, 'a');
  // The log (and the error built from its tail) never holds a secret of the command line.
  const shown = args.map((a) => secrets.reduce((text, secret) => (secret ? text.split(secret).join('[redacted]') : text), a));
  fs.writeSync(out, `\n--- ${new Date().toISOString()} ${what}: ${command} ${shown.join(' ')}\n`);
  const outcome = await new Promise<string | undefined>((resolve) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', out, out] });
    child.once('error', (err) => resolve(err.message));
    child.once('close', (code, signal) => resolve(code === 0 ? undefined : `exit code ${code ?? signal}`));
  });
  fs.closeSync(out);
  if (outcome !== undefined) throw new Error(`${what} failed (${outcome}); last lines of ${logFile}:\n${tail(logFile)}`);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
