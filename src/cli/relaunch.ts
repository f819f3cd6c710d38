/**
 * `logpipe ingest` with the young generation it is configured for (ingest.maxSemiSpaceMiB, see
 * src/ingest/heap.ts): V8 sizes its young generation only when the process starts, so a process
 * started without `--max-semi-space-size` starts the same command again as its child with the flag,
 * and waits for it. The parent loads only this module and the configuration (about 8 MiB over a bare
 * node), not the commands' modules, before it decides; the child does the work.
 *
 * The child is the command as far as callers can tell: the same stdin, stdout and stderr, its exit
 * code or signal passed on as the parent's own, SIGINT, SIGTERM and SIGHUP sent to the parent passed
 * on to it. If the parent dies without passing anything on (SIGKILL), the child kills itself with
 * SIGKILL at once (a pipe between them closes, see watchLifeline): a `kill -9` of the command's pid
 * stops the ingest as it did before, and the exactly-once tests that kill it rely on that.
 *
 * Not relaunched: other commands, `--help`, a process whose flags already size the young
 * generation (the operator's choice wins; the child is started with the flag), ingest.workerMode
 * "forked" (the worker process that ingests is forked with the flag, see
 * src/system/runtime/pipeline.ts), and a configuration that does not load (the command itself
 * reports why).
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { semiSpaceFlag, semiSpaceGiven } from '../ingest/heap';

/** Set in the child's environment: the fd of its lifeline (see watchLifeline). */
export const LIFELINE_ENV = 'LOGPIPE_LIFELINE_FD';

/** The global options that take a value (src/cli/program.ts), to find the command word after them. */
const VALUE_OPTIONS = new Set(['-c', '--config', '--brokers']);

/** What relaunchFlags needs of the configuration: ingest.maxSemiSpaceMiB, ingest.workerMode, the ingest stage's client (kafkaClientOf). */
export interface IngestSettings {
  maxSemiSpaceMiB: number;
  workerMode: string;
  client: string;
}

/** The command word of `args` (process.argv without node and the script) and the --config file given before it. */
export function commandOf(args: readonly string[]): { command?: string; configFile?: string; help: boolean } {
  let configFile: string | undefined;
  let command: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') break;
    if (command === undefined) {
      if (VALUE_OPTIONS.has(a)) {
        if (a !== '--brokers') configFile = args[i + 1];
        i++;
      } else if (a.startsWith('--config=')) configFile = a.slice('--config='.length);
      else if (!a.startsWith('-')) command = a;
    }
  }
  return { command, configFile, help: args.includes('--help') || args.includes('-h') };
}

/**
 * The V8 flags to start `args` again with, or undefined to run it in this process. Pure: the
 * process's flags and the configured values come in.
 */
export function relaunchFlags(
  args: readonly string[],
  process: { execArgv: readonly string[]; nodeOptions?: string },
  configured: (configFile: string | undefined) => IngestSettings | undefined,
): string[] | undefined {
  const { command, configFile, help } = commandOf(args);
  if (command !== 'ingest' || help) return undefined;
  if (semiSpaceGiven(process.execArgv, process.nodeOptions)) return undefined;
  const ingest = configured(configFile);
  if (!ingest || ingest.workerMode === 'forked') return undefined;
  const flag = semiSpaceFlag(ingest.maxSemiSpaceMiB, ingest.client);
  return flag ? [flag] : undefined;
}

/** The configured values relaunchFlags needs, or undefined when the configuration does not load. */
function loadIngestSettings(configFile: string | undefined): IngestSettings | undefined {
  try {
    // Loaded only for `ingest`: the other commands start without it here.
    const { kafkaClientOf, loadConfig } = require('../system/config/config') as typeof import('../system/config/config');
    const { config } = loadConfig({ file: configFile });
    return { maxSemiSpaceMiB: config.ingest.maxSemiSpaceMiB, workerMode: config.ingest.workerMode, client: kafkaClientOf(config, 'ingest') };
  } catch {
    return undefined;
  }
}

const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Runs the command in a child started with the flags it needs, when it needs any (relaunchFlags):
 * returns true when it did (the caller must then do nothing more; this process exits as the child
 * did), false when the command should run here.
 */
export function relaunchIfNeeded(argv: readonly string[] = process.argv): boolean {
  if (process.env[LIFELINE_ENV] !== undefined) return false;
  const flags = relaunchFlags(argv.slice(2), { execArgv: process.execArgv, nodeOptions: process.env.NODE_OPTIONS }, loadIngestSettings);
  if (!flags) return false;
  // fd 3: the lifeline, a pipe the child reads and never gets data on; it ends when this process does.
  const child = spawn(process.execPath, [...process.execArgv, ...flags, ...argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
    env: { ...process.env, [LIFELINE_ENV]: '3' },
  });
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  for (const s of FORWARDED_SIGNALS) process.on(s, forward);
  child.on('error', (err) => {
    process.stderr.write(`logpipe: could not start ${process.execPath} ${flags.join(' ')}: ${err.message}\n`);
    process.exitCode = 1;
  });
  child.on('exit', (code, signal) => {
    for (const s of FORWARDED_SIGNALS) process.off(s, forward);
    if (signal) process.kill(process.pid, signal);
    else process.exitCode = code ?? 1;
  });
  return true;
}

/**
 * In a relaunched child: kills this process with SIGKILL as soon as its parent is gone (the
 * lifeline pipe ends), as if it had been killed with it. Does nothing in a process not started by
 * relaunchIfNeeded. Does not keep the process alive.
 */
export function watchLifeline(env: NodeJS.ProcessEnv = process.env): void {
  const fd = Number(env[LIFELINE_ENV]);
  // Not handed on: a process this one starts has no such pipe at that fd.
  delete env[LIFELINE_ENV];
  if (!Number.isSafeInteger(fd) || fd < 3) return;
  const lifeline = new net.Socket({ fd, readable: true, writable: false });
  const die = (): void => {
    process.kill(process.pid, 'SIGKILL');
  };
  lifeline.on('end', die);
  lifeline.on('error', die);
  lifeline.resume();
  lifeline.unref();
}
