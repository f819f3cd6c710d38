/**
 * Running the measured programs. Every measurement is a separate process started from here, timed
 * by wall clock from spawn to exit (start-up included, the same rule for every tool), with its peak
 * resident set size taken by GNU time (`/usr/bin/time -f %M`, the kernel's ru_maxrss of the child)
 * when that program exists.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** stdout goes to this file ('/dev/null' to discard); otherwise it is captured into `stdout`. */
  stdoutFile?: string;
  /** stderr is appended to this file (the run's log; kept for post-mortems). */
  stderrFile: string;
  /** The process group is killed with SIGKILL after this long; the result then has timedOut. */
  timeoutMs?: number;
  /** Wrap the command in GNU time to get its peak RSS. */
  measureRss?: boolean;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  wallSeconds: number;
  /** Peak RSS of the program (not of GNU time), when measured. */
  peakRssBytes?: number;
  stdout: string;
}

const GNU_TIME = '/usr/bin/time';
export const haveGnuTime = (): boolean => fs.existsSync(GNU_TIME);

/** Captured stdout is capped: the programs whose output is parsed print a few lines at most. */
const MAX_CAPTURE = 16 << 20;

export function run(command: string, args: string[], opts: RunOptions): Promise<RunResult> {
  const rssFile = opts.measureRss && haveGnuTime() ? `${opts.stderrFile}.rss-${process.hrtime.bigint()}` : undefined;
  const [cmd, argv] = rssFile ? [GNU_TIME, ['-f', '%M', '-o', rssFile, command, ...args]] : [command, args];
  const err = fs.openSync(opts.stderrFile, 'a');
  fs.writeSync(err, `\n$ ${[command, ...args].join(' ')}\n`);
  const out = opts.stdoutFile ? fs.openSync(opts.stdoutFile, 'w') : 'pipe';
  const t0 = process.hrtime.bigint();
  // detached: the child leads its own process group, so a timeout kills it and whatever it started.
  const child = spawn(cmd, argv, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', out, err], detached: true });
  if (child.pid) track(child.pid);
  fs.closeSync(err);
  if (typeof out === 'number') fs.closeSync(out);
  const chunks: Buffer[] = [];
  let captured = 0;
  child.stdout?.on('data', (c: Buffer) => {
    if (captured < MAX_CAPTURE) chunks.push(c);
    captured += c.length;
  });
  let timedOut = false;
  const timer = opts.timeoutMs
    ? setTimeout(() => {
        timedOut = true;
        if (child.pid) killGroup(child.pid);
      }, opts.timeoutMs)
    : undefined;
  return new Promise((resolve, reject) => {
    child.once('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (timer) clearTimeout(timer);
      if (child.pid) untrack(child.pid);
      let peakRssBytes: number | undefined;
      if (rssFile) {
        try {
          // GNU time writes "Command exited with non-zero status N" before the number on failures.
          const kb = Number(fs.readFileSync(rssFile, 'utf8').trim().split('\n').pop());
          if (Number.isFinite(kb) && kb > 0) peakRssBytes = kb * 1024;
        } catch {
          // No file: the wrapper was killed; the RSS stays unknown.
        }
        fs.rmSync(rssFile, { force: true });
      }
      resolve({ code, signal, timedOut, wallSeconds, peakRssBytes, stdout: Buffer.concat(chunks).toString('utf8') });
    });
  });
}

/** Process groups started by this benchmark and still running (for Ctrl-C). */
const tracked = new Set<number>();
export const track = (pid: number): void => void tracked.add(pid);
export const untrack = (pid: number): void => void tracked.delete(pid);

/** Kills every process group this benchmark started that is still running. */
export function killTracked(): void {
  for (const pid of tracked) killGroup(pid);
}

/** Kills a process group this benchmark started (its leader's pid is the group id). */
export function killGroup(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** The last line of `text` that parses as a JSON object, or undefined. */
export function lastJsonLine<T>(text: string): T | undefined {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  for (let i = lines.length - 1; i >= 0; i--) {
    if (!lines[i].startsWith('{')) continue;
    try {
      return JSON.parse(lines[i]) as T;
    } catch {
      // Not JSON after all; keep looking.
    }
  }
  return undefined;
}

/** A run that did not exit 0, as one line for the results and the log. */
export function failure(what: string, r: RunResult, stderrFile: string): string {
  const how = r.timedOut ? 'timed out' : r.signal ? `killed by ${r.signal}` : `exit code ${r.code}`;
  return `${what}: ${how} after ${r.wallSeconds.toFixed(1)} s (log: ${stderrFile})`;
}
