/**
 * Dev only: a stand-in for the SSM agent of one EC2 instance, against moto. moto records
 * SendCommand but has no agent to run anything; this one lists the commands recorded for its
 * instance id and runs each AWS-RunShellScript command once, as the real agent does: the `commands`
 * parameter's lines written to a script file and run with `sh`, in the working directory and within
 * the execution timeout the command names. Output and exit code are logged (moto has no API to
 * report them back).
 *
 * Commands recorded before the agent started are not run (a restarted agent must not replay old
 * triggers); other documents are skipped with a log line.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Command, ListCommandsCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { Logger } from '../system/logging';

export interface SsmAgentOptions {
  ssm: Pick<SSMClient, 'send'>;
  instanceId: string;
  log: Logger;
  pollIntervalMs?: number;
  /** Extra environment for the scripts (e.g. LOGPIPE_* for trigger.sh). */
  env?: NodeJS.ProcessEnv;
}

export interface ScriptRun {
  commandId: string;
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

const DEFAULT_EXECUTION_TIMEOUT_SECONDS = 3600;

export class LocalSsmAgent {
  private readonly seen = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private readonly running = new Set<Promise<ScriptRun>>();
  private stopped = false;
  /** Every finished run, for tests and the demo's summary. */
  readonly runs: ScriptRun[] = [];

  constructor(private readonly o: SsmAgentOptions) {}

  /** Marks the commands already recorded as seen, then polls for new ones. */
  async start(): Promise<void> {
    for (const c of await this.list()) if (c.CommandId) this.seen.add(c.CommandId);
    const tick = (): void => {
      if (this.stopped) return;
      this.polling = this.poll()
        .catch((err: unknown) => {
          this.o.log.warn('listing SSM commands failed', { error: err instanceof Error ? err.message : String(err) });
        })
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.o.pollIntervalMs ?? 500);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.polling;
    await Promise.all(this.running);
  }

  private async list(): Promise<Command[]> {
    const out = await this.o.ssm.send(new ListCommandsCommand({ InstanceId: this.o.instanceId }));
    return out.Commands ?? [];
  }

  private async poll(): Promise<void> {
    for (const command of await this.list()) {
      const id = command.CommandId;
      if (!id || this.seen.has(id)) continue;
      this.seen.add(id);
      if (command.DocumentName !== 'AWS-RunShellScript') {
        this.o.log.warn('skipping a command of another document', { commandId: id, document: command.DocumentName });
        continue;
      }
      const run = this.run(id, command.Parameters ?? {});
      this.running.add(run);
      void run.finally(() => this.running.delete(run));
    }
  }

  /** Runs the command's lines as one `sh` script, like the agent's aws:runShellScript plugin. */
  private async run(commandId: string, parameters: Record<string, string[]>): Promise<ScriptRun> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-ssm-'));
    const script = path.join(dir, '_script.sh');
    fs.writeFileSync(script, `${(parameters.commands ?? []).join('\n')}\n`, { mode: 0o700 });
    const timeoutSeconds = Number(parameters.executionTimeout?.[0] ?? DEFAULT_EXECUTION_TIMEOUT_SECONDS);
    const cwd = parameters.workingDirectory?.[0] || dir;
    this.o.log.info('running command', { commandId, script });
    const result = await new Promise<ScriptRun>((resolve) => {
      const child = spawn('sh', [script], { cwd, env: { ...process.env, ...this.o.env }, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutSeconds * 1000 });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('error', (err) => resolve({ commandId, exitCode: null, stdout, stderr: `${stderr}${err.message}` }));
      child.on('close', (code) => resolve({ commandId, exitCode: code, stdout, stderr }));
    });
    fs.rmSync(dir, { recursive: true, force: true });
    this.runs.push(result);
    const level = result.exitCode === 0 ? 'info' : 'warn';
    this.o.log.log(level, 'command finished', { commandId, exitCode: result.exitCode, stdout: result.stdout.trim().slice(-2000), stderr: result.stderr.trim().slice(-2000) });
    return result;
  }
}
