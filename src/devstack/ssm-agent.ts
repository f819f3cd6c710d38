/**
 * Dev only: a stand-in for the SSM agent of one EC2 instance, against moto. moto records
 * SendCommand but has no agent to run anything; this one lists the commands recorded for its
 * instance id and runs each once, as Systems Manager and the real agent do: the document is read
 * from SSM (GetDocument), the parameters are checked against it (allowedPattern: moto does not,
 * the real service refuses them at SendCommand) and pasted into its aws:runShellScript steps
 * (ssm-document.ts), and each step's lines are written to a script file and run with `sh` within
 * the step's timeoutSeconds. Output and exit code are logged (moto has no API to report them back).
 *
 * Commands recorded before the agent started are not run (a restarted agent must not replay old
 * triggers); commands of a document other than `documentName` are skipped with a log line.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Command, GetDocumentCommand, ListCommandsCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { Logger } from '../system/observability/logging';
import { renderCommandDocument, type RenderedStep } from './ssm-document';

export interface SsmAgentOptions {
  ssm: Pick<SSMClient, 'send'>;
  instanceId: string;
  log: Logger;
  pollIntervalMs?: number;
  /** The only document this host runs (the trigger document); others are skipped. */
  documentName: string;
  /** Extra environment for the scripts (e.g. LOGPIPE_* for trigger.sh). */
  env?: NodeJS.ProcessEnv;
}

export interface ScriptRun {
  commandId: string;
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

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
      if (command.DocumentName !== this.o.documentName) {
        this.o.log.warn('skipping a command of another document', { commandId: id, document: command.DocumentName });
        continue;
      }
      const run = this.render(id, command).then((steps) => (Array.isArray(steps) ? this.run(id, steps) : steps));
      this.running.add(run);
      void run.finally(() => this.running.delete(run));
    }
  }

  /**
   * The command's steps with its parameters in place, or, when SSM would have refused them, a
   * finished run without an exit code whose stderr says why.
   */
  private async render(commandId: string, command: Command): Promise<RenderedStep[] | ScriptRun> {
    try {
      const out = await this.o.ssm.send(new GetDocumentCommand({ Name: command.DocumentName, DocumentVersion: command.DocumentVersion }));
      return renderCommandDocument(JSON.parse(out.Content ?? '{}'), command.Parameters ?? {});
    } catch (err) {
      const result: ScriptRun = { commandId, exitCode: null, stdout: '', stderr: `${(err as Error).name}: ${(err as Error).message}` };
      this.runs.push(result);
      this.o.log.warn('command refused', { commandId, document: command.DocumentName, error: result.stderr });
      return result;
    }
  }

  /** Runs the steps one after the other, each as one `sh` script, like the agent's aws:runShellScript plugin. */
  private async run(commandId: string, steps: RenderedStep[]): Promise<ScriptRun> {
    let last: ScriptRun = { commandId, exitCode: 0, stdout: '', stderr: '' };
    for (const step of steps) {
      last = await this.runStep(commandId, step);
      if (last.exitCode !== 0) break;
    }
    this.runs.push(last);
    const level = last.exitCode === 0 ? 'info' : 'warn';
    this.o.log.log(level, 'command finished', { commandId, exitCode: last.exitCode, stdout: last.stdout.trim().slice(-2000), stderr: last.stderr.trim().slice(-2000) });
    return last;
  }

  private async runStep(commandId: string, step: RenderedStep): Promise<ScriptRun> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-ssm-'));
    const script = path.join(dir, '_script.sh');
    fs.writeFileSync(script, step.script, { mode: 0o700 });
    const timeoutSeconds = step.timeoutSeconds;
    const cwd = dir;
    this.o.log.info('running command', { commandId, step: step.name, script });
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
    return result;
  }
}
