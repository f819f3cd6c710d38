/**
 * The conformance check against real logs (`npm run conformance -- --loghub DIR`): every
 * `<System>/<System>_2k.log` in DIR that has its `<System>_2k.log_structured.csv` beside it (the
 * layout of github.com/logpai/loghub) goes through the real pipeline as a user would send it, and
 * the per-minute level counts of the window reports are compared with the CSV's (the oracle).
 *
 * Per system: `logpipe upload` to a bucket on the configured S3 (`aws.endpoint`, the local moto by
 * default; the bucket is created when missing), `logpipe ingest s3://BUCKET/KEY --topic T` into a
 * topic of its own, then `logpipe report --exit-when-idle --topic T --group G` with a group of its
 * own. The built CLI (dist/cli/main.js: run `npm run build` first) runs with the default settings:
 * the harness removes every LOGPIPE_* variable and NODE_ENV from its environment, except those saying
 * where the services are and how to reach them (CONNECTION_ENV: a stack on other ports is checked
 * as it is), and sets only where logs and report files go (JSON logs at info, report files and alert emails into a temporary
 * directory, so a check sends no mail), plus SYSTEM_SETTINGS below. The comparison itself is
 * src/tools/conformance-compare.ts.
 *
 * Exit: 1 when a system whose lines carry a level is not exact (0 with --report-only), 2 for bad
 * usage. The loghub data is not part of this repository (its licence allows no redistribution):
 * docs/log-model.md, "Conformance against loghub", says where to get it.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BucketAlreadyExists, BucketAlreadyOwnedByYou, CreateBucketCommand } from '@aws-sdk/client-s3';
import { Command, InvalidArgumentError } from 'commander';
import { createS3 } from '../src/system/kafka/clients';
import { loadConfig } from '../src/system/config/config';
import { compareSystem, renderTable, type SystemResult, type WindowCounts } from '../src/tools/conformance-compare';

const ROOT = path.resolve(__dirname, '..');
// logpipe targets Node 20 (README); the AWS SDK's notice about Node 22 would print on every run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const BIN = path.join(ROOT, 'dist', 'cli', 'main.js');

/**
 * Settings per system, as environment variables of the configuration keys (docs/configuration.md).
 * Only what docs/log-model.md tells a user to set for such a log may go here (e.g. `parser.zone`
 * for a log that writes no zone, `parser.format` where detection is documented not to apply), each
 * with the section that says so. Empty: every system runs on `auto` and the default zone (UTC).
 */
export const SYSTEM_SETTINGS: Readonly<Record<string, Readonly<Record<string, string>>>> = {};

/** One loghub sample: the log and its oracle. */
export interface Sample {
  system: string;
  log: string;
  csv: string;
}

/** The samples under `dir` (`<System>/<System>_2k.log` with its `_structured.csv`), by name; `only` selects. */
export function findSamples(dir: string, only?: readonly string[]): Sample[] {
  const found = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => ({ system: d.name, log: path.join(dir, d.name, `${d.name}_2k.log`), csv: path.join(dir, d.name, `${d.name}_2k.log_structured.csv`) }))
    .filter((s) => fs.existsSync(s.log) && fs.existsSync(s.csv))
    .sort((a, b) => a.system.localeCompare(b.system));
  if (!only) return found;
  const missing = only.filter((name) => !found.some((s) => s.system === name));
  if (missing.length > 0) throw new InvalidArgumentError(`no sample for ${missing.join(', ')} in ${dir} (found: ${found.map((s) => s.system).join(', ') || 'none'})`);
  return found.filter((s) => only.includes(s.system));
}

export interface ConformanceOptions {
  samples: readonly Sample[];
  /** Bucket the samples are uploaded to; created when missing. */
  bucket?: string;
  /** A configuration file given to every command (`--config`), as a user's would be. */
  configFile?: string;
  /** Systems run at once (each has its own topic and group). */
  parallel?: number;
  /** Longest a command may run before it is killed and the system reported as failed. */
  commandTimeoutMs?: number;
  /** Progress lines (default: none). */
  progress?: (line: string) => void;
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The LOGPIPE_* variables a check keeps: where Kafka, S3 and SES are, how to reach them, and which
 * Kafka client talks to them. Every other setting is the default.
 */
export const CONNECTION_ENV: ReadonlySet<string> = new Set([
  'LOGPIPE_KAFKA_BROKERS',
  'LOGPIPE_KAFKA_CLIENT',
  'LOGPIPE_KAFKA_SSL_ENABLED',
  'LOGPIPE_KAFKA_SSL_CA_FILE',
  'LOGPIPE_KAFKA_SSL_CERT_FILE',
  'LOGPIPE_KAFKA_SSL_KEY_FILE',
  'LOGPIPE_KAFKA_SSL_KEY_PASSWORD',
  'LOGPIPE_KAFKA_SASL_MECHANISM',
  'LOGPIPE_KAFKA_SASL_USERNAME',
  'LOGPIPE_KAFKA_SASL_PASSWORD',
  'LOGPIPE_KAFKA_SASL_REGION',
  'LOGPIPE_AWS_REGION',
  'LOGPIPE_AWS_ENDPOINT',
  'LOGPIPE_AWS_ACCESS_KEY_ID',
  'LOGPIPE_AWS_SECRET_ACCESS_KEY',
  'LOGPIPE_AWS_FORCE_PATH_STYLE',
  'LOGPIPE_SES_ENDPOINT',
]);

/** `env` without NODE_ENV and the LOGPIPE_* settings, keeping CONNECTION_ENV. */
export function defaultSettingsEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const kept: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (k === 'NODE_ENV' || (k.startsWith('LOGPIPE_') && !CONNECTION_ENV.has(k))) continue;
    kept[k] = v;
  }
  return kept;
}

/** The environment of a CLI command: the default settings, plus where logs, reports and mail go. */
function cliEnv(workDir: string, settings: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  return {
    ...defaultSettingsEnv(process.env),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    LOGPIPE_LOG_FORMAT: 'json',
    LOGPIPE_LOG_LEVEL: 'info',
    LOGPIPE_REPORT_DIR: path.join(workDir, 'reports'),
    LOGPIPE_REPORT_EMAIL_TRANSPORT: 'file',
    LOGPIPE_REPORT_OUTBOX_DIR: path.join(workDir, 'outbox'),
    ...settings,
  };
}

/** Runs the built CLI; kills it (its own process only) after `timeoutMs`. */
function cli(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${timeoutMs} ms)`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

const jsonLines = (text: string): Array<Record<string, unknown>> =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });

/**
 * The format `auto` chose, as ingest told it: the summary's `format`, else a `format` field of the
 * "object ingested" log line (or of any log line that names one); undefined when none did.
 */
export function chosenFormat(ingestStdout: string, ingestStderr: string): string | undefined {
  const summary = jsonLines(ingestStdout).find((o) => 'status' in o);
  const fromSummary = summary?.format ?? (summary?.parser as { format?: unknown } | undefined)?.format;
  if (typeof fromSummary === 'string') return fromSummary;
  const logs = jsonLines(ingestStderr);
  const line = logs.find((o) => o.message === 'object ingested' && typeof o.format === 'string') ?? logs.find((o) => typeof o.format === 'string');
  return line ? (line.format as string) : undefined;
}

/** The line of a failed command's stderr that says why: its first error, else its last line. */
function failureLine(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const error = lines.find((l) => /error/i.test(l) && !l.startsWith('{')) ?? lines.find((l) => /"level":"error"/.test(l));
  return (error ?? lines[lines.length - 1] ?? '').slice(0, 200);
}

/**
 * cli() once more when the first attempt failed: another build rewriting dist/ or a broker
 * hiccup should not fail a system. Repeating is safe: ingest resumes from its ledger and exits
 * "duplicate" after a finished object (the harness then reads the format from the second run's
 * logs, which may lack it); report resumes from its group's committed state.
 */
async function cliWithRetry(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number, progress?: (line: string) => void): Promise<Run> {
  const first = await cli(args, env, timeoutMs);
  if (first.status === 0) return first;
  progress?.(`${args.find((a) => ['upload', 'ingest', 'report'].includes(a)) ?? 'command'} exited ${first.status} (${failureLine(first.stderr)}); trying once more`);
  const second = await cli(args, env, timeoutMs);
  return second.status === 0 ? { ...second, stdout: first.stdout + second.stdout, stderr: first.stderr + second.stderr } : second;
}

/** One system through upload, ingest and report, compared with its oracle. A failing command is a row; throws for an unreadable sample or malformed CSV. */
async function runSample(sample: Sample, ctx: { runId: string; bucket: string; workDir: string; configArgs: string[]; timeoutMs: number; progress?: (line: string) => void }): Promise<SystemResult> {
  const csv = fs.readFileSync(sample.csv, 'utf8');
  const id = `${ctx.runId}-${sample.system.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`;
  const topic = `conformance-${id}`;
  const key = `conformance/${ctx.runId}/${path.basename(sample.log)}`;
  const dir = path.join(ctx.workDir, sample.system);
  fs.mkdirSync(dir, { recursive: true });
  const env = cliEnv(dir, SYSTEM_SETTINGS[sample.system] ?? {});
  const failed = (what: string, r: Run, format?: string): SystemResult => {
    const base = compareSystem(sample.system, csv, [], { ranAtMs: Date.now(), format });
    return { ...base, format: format ?? '?', verdict: 'MISS', hints: [], error: `${what} exited ${r.status}: ${failureLine(r.stderr)}` };
  };
  const upload = await cliWithRetry([...ctx.configArgs, 'upload', sample.log, '--bucket', ctx.bucket, '--key', key], env, ctx.timeoutMs, ctx.progress);
  if (upload.status !== 0) return failed('upload', upload);
  const ranAtMs = Date.now();
  const ingest = await cliWithRetry([...ctx.configArgs, 'ingest', `s3://${ctx.bucket}/${key}`, '--topic', topic], env, ctx.timeoutMs, ctx.progress);
  const format = chosenFormat(ingest.stdout, ingest.stderr);
  if (ingest.status !== 0) return failed('ingest', ingest, format);
  const report = await cliWithRetry([...ctx.configArgs, 'report', '--exit-when-idle', '--topic', topic, '--group', `${topic}-g`], env, ctx.timeoutMs, ctx.progress);
  if (report.status !== 0) return failed('report', report, format);
  const windows = jsonLines(report.stdout) as unknown as WindowCounts[];
  return compareSystem(sample.system, csv, windows, { ranAtMs, format });
}

/** The row of a system the harness could not check (an unreadable sample, a malformed CSV). */
function failedRow(system: string, error: string): SystemResult {
  return { system, lines: 0, withLevel: 0, comparison: { minutes: 0, minutesExact: 0, matched: 0, differing: 0 }, format: '?', verdict: 'MISS', hints: [], error };
}

/** Creates the bucket unless it exists (a user would with `aws s3 mb`). */
async function ensureBucket(bucket: string, configFile: string | undefined): Promise<void> {
  const { config } = loadConfig({ file: configFile, env: defaultSettingsEnv(process.env) });
  const s3 = createS3(config);
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    if (!(err instanceof BucketAlreadyOwnedByYou || err instanceof BucketAlreadyExists)) throw err;
  } finally {
    s3.destroy();
  }
}

/**
 * Runs every sample through the pipeline and compares it with its oracle; results in the samples'
 * order. Needs the built CLI and a running Kafka and S3 (the local stack). Throws only when the
 * bucket cannot be created; a system whose commands fail is a row with `error`.
 */
export async function runConformance(options: ConformanceOptions): Promise<SystemResult[]> {
  if (!fs.existsSync(BIN)) throw new Error(`${path.relative(process.cwd(), BIN)} is missing: run npm run build first`);
  const bucket = options.bucket ?? 'logpipe-conformance';
  await ensureBucket(bucket, options.configFile);
  const runId = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-conformance-'));
  const ctx = { runId, bucket, workDir, configArgs: options.configFile ? ['--config', options.configFile] : [], timeoutMs: options.commandTimeoutMs ?? 180_000, progress: options.progress };
  const results: SystemResult[] = new Array(options.samples.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < options.samples.length) {
      const i = next++;
      const sample = options.samples[i];
      const started = Date.now();
      results[i] = await runSample(sample, ctx).catch((err: Error) => failedRow(sample.system, err.message));
      options.progress?.(`${sample.system}: ${results[i].error ? 'failed' : results[i].verdict} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.parallel ?? 4, options.samples.length)) }, worker));
  fs.rmSync(workDir, { recursive: true, force: true });
  return results;
}

/** Whether a run passes: every system with levels exact, and none failed. */
export const passed = (results: readonly SystemResult[]): boolean => results.every((r) => !r.error && r.verdict !== 'MISS');

const positive = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number of 1 or more');
  return n;
};

async function main(argv: string[]): Promise<void> {
  const program = new Command('conformance')
    .description('send loghub samples through the pipeline (S3, logpipe ingest, logpipe report) and compare per-minute level counts with their _structured.csv')
    .requiredOption('--loghub <dir>', 'a loghub checkout: <System>/<System>_2k.log with <System>_2k.log_structured.csv')
    .option('--systems <list>', 'only these systems, separated by commas (e.g. Android,HDFS)', (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .option('--report-only', 'always exit 0 (print the table only)')
    .option('--parallel <n>', 'systems run at once', positive, 4)
    .option('--bucket <name>', 'S3 bucket the samples are uploaded to (created when missing)', 'logpipe-conformance')
    .option('-c, --config <file>', 'configuration file given to every logpipe command')
    .showHelpAfterError()
    .exitOverride();
  let opts: { loghub: string; systems?: string[]; reportOnly?: boolean; parallel: number; bucket: string; config?: string };
  let samples: Sample[];
  try {
    opts = program.parse(argv, { from: 'user' }).opts();
    if (!fs.existsSync(opts.loghub)) throw new InvalidArgumentError(`--loghub ${opts.loghub} does not exist`);
    samples = findSamples(opts.loghub, opts.systems);
    if (samples.length === 0) throw new InvalidArgumentError(`no <System>/<System>_2k.log with its _structured.csv under ${opts.loghub}`);
  } catch (err) {
    if ((err as { code?: string }).code === 'commander.helpDisplayed') return;
    process.stderr.write(`conformance: ${(err as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const results = await runConformance({ samples, bucket: opts.bucket, configFile: opts.config, parallel: opts.parallel, progress: (l) => process.stderr.write(`${l}\n`) });
  process.stdout.write(renderTable(results));
  if (!passed(results) && !opts.reportOnly) process.exitCode = 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: Error) => {
    process.stderr.write(`conformance: ${err.stack ?? err.message}\n`);
    process.exitCode = 1;
  });
}
