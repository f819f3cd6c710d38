/**
 * Kafka over TLS with SASL/SCRAM, end to end on the local broker's SASL_SSL listener
 * (stack.kafkaSaslPort; `logpipe dev up` makes its CA, certificate and SCRAM user): the real
 * `logpipe ingest` and `logpipe report --exit-when-idle` configured only by LOGPIPE_KAFKA_* variables,
 * and the failures a user meets first — a wrong password, a CA that did not sign the broker's
 * certificate — which end the command with exit 1 and a message naming the setting, not a retry loop.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CountsWithTotal } from '../../src/generator/truth';
import type { ReportDocument } from '../../src/report/render';
import { generateCa, localSecureListener } from '../../src/devstack/kafka-secure';
import { portOpen } from '../../src/devstack/process';
import { stackDir } from '../../src/devstack/stack';
import { packageRoot } from '../../src/system/config/paths';
import { freePort, testConfig, uniqueName } from '../support/helpers';

const bin = path.join(packageRoot(), 'dist', 'cli', 'main.js');
const config = testConfig();
const saslPort = config.stack.kafkaSaslPort;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function start(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; done: Promise<Run> } {
  const began = Date.now();
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, NODE_ENV: 'test', LOGPIPE_LOG_FORMAT: 'json', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<Run>((resolve) => child.once('exit', (status) => resolve({ status, stdout, stderr, ms: Date.now() - began })));
  return { child, done };
}

const run = (args: string[], env: NodeJS.ProcessEnv): Promise<Run> => start(args, env).done;

/** The last line logpipe wrote to stderr about the failure (`logpipe: ...`). */
const failureLine = (r: Run): string => r.stderr.split('\n').filter((l) => l.startsWith('logpipe: ')).pop() ?? `(no "logpipe:" line in stderr)\n${r.stderr.slice(-2000)}`;

let secure: NonNullable<ReturnType<typeof localSecureListener>>;
/** Settings of a client of the SASL_SSL listener, as a user sets them: environment variables only. */
let secureEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  const found = localSecureListener(path.join(stackDir(config), 'kafka'));
  if (!found || !(await portOpen(saslPort))) {
    throw new Error(`no SASL_SSL listener on 127.0.0.1:${saslPort}: the local broker predates it; run \`logpipe dev down kafka && logpipe dev up\``);
  }
  secure = found;
  secureEnv = {
    LOGPIPE_KAFKA_BROKERS: `127.0.0.1:${saslPort}`,
    LOGPIPE_KAFKA_SSL_ENABLED: 'true',
    LOGPIPE_KAFKA_SSL_CA_FILE: secure.caFile,
    LOGPIPE_KAFKA_SASL_MECHANISM: 'scram-sha-512',
    LOGPIPE_KAFKA_SASL_USERNAME: secure.username,
    LOGPIPE_KAFKA_SASL_PASSWORD: secure.password,
  };
});

describe('Kafka over SASL_SSL (SCRAM-SHA-512)', () => {
  it('ingests and reports with the ground-truth counts, configured by LOGPIPE_KAFKA_SSL_* and LOGPIPE_KAFKA_SASL_* alone', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-secure-'));
    const gen = await run(['generate', '--fast', '--seed', '21', '--instances', '2', '--max-count', '3000', '--start', '2026-11-25T10:00:00Z', '--out', path.join(dir, 'LogFileGenerator.2026-11-25.log'), '--truth', path.join(dir, 'truth.json')], {});
    expect(gen.status).toBe(0);
    const topic = uniqueName('it-secure');
    for (const host of [1, 2]) {
      const r = await run(['ingest', path.join(dir, `LogFileGenerator.2026-11-25.host-${host}.log`), '--topic', topic], secureEnv);
      expect({ status: r.status, stderr: r.status === 0 ? '' : r.stderr.slice(-2000) }).toEqual({ status: 0, stderr: '' });
    }
    const group = uniqueName('g-secure');
    const report = await run(['report', '--exit-when-idle', '--topic', topic], {
      ...secureEnv,
      LOGPIPE_REPORT_GROUP_ID: group,
      LOGPIPE_REPORT_DIR: path.join(dir, 'reports'),
      LOGPIPE_REPORT_IDLE_CLOSE_MS: '1500',
      LOGPIPE_REPORT_EMAIL_TRANSPORT: 'file',
      LOGPIPE_REPORT_OUTBOX_DIR: path.join(dir, 'outbox'),
    });
    expect({ status: report.status, stderr: report.status === 0 ? '' : report.stderr.slice(-2000) }).toEqual({ status: 0, stderr: '' });
    const reports = report.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as ReportDocument);
    const truth = (JSON.parse(fs.readFileSync(path.join(dir, 'truth.json'), 'utf8')) as { windows: Array<CountsWithTotal & { startMs: number }> }).windows;
    const counts = (w: CountsWithTotal & { startMs: number }): unknown => ({ startMs: w.startMs, counts: w.counts, total: w.total });
    expect([...reports].sort((a, b) => a.startMs - b.startMs).map(counts)).toEqual(truth.map(counts));
  });

  // A wrong password cannot start working by itself: exit 1 at once, naming authentication and the keys.
  it.each([
    ['ingest', (file: string) => ['ingest', file, '--topic', uniqueName('it-secure-auth')]],
    ['report --exit-when-idle', () => ['report', '--exit-when-idle', '--topic', 'logpipe.lines']],
  ])('a wrong password: %s exits 1 with "Kafka authentication failed", not retrying', async (_what, args) => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-secure-')), 'one.log');
    fs.writeFileSync(file, '2026-11-25 10:00:00,000 ERROR [main] a.B - boom\n');
    const r = await run(args(file), { ...secureEnv, LOGPIPE_KAFKA_SASL_PASSWORD: 'wrong-password-for-the-test' });
    expect(r.status).toBe(1);
    const line = failureLine(r);
    expect(line).toMatch(/^logpipe: Kafka authentication failed at 127\.0\.0\.1:\d+ \(SASL scram-sha-512 user "logpipe"\)/);
    expect(line).toContain('kafka.sasl.password');
    expect(line).not.toContain('wrong-password-for-the-test');
    expect(r.ms).toBeLessThan(20_000);
  });

  // A CA that did not sign the broker's certificate: exit 1 naming the certificate and kafka.ssl.caFile.
  it('an untrusted certificate: ingest exits 1 with "TLS certificate ... cannot be verified"', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-other-ca-'));
    const otherCa = await generateCa(dir, 'other-ca', 'test-store-password', path.join(dir, 'keytool.log'));
    const file = path.join(dir, 'one.log');
    fs.writeFileSync(file, '2026-11-25 10:00:00,000 ERROR [main] a.B - boom\n');
    const r = await run(['ingest', file, '--topic', uniqueName('it-secure-ca')], { ...secureEnv, LOGPIPE_KAFKA_SSL_CA_FILE: otherCa });
    expect(r.status).toBe(1);
    const line = failureLine(r);
    expect(line).toMatch(/^logpipe: the TLS certificate of Kafka at 127\.0\.0\.1:\d+ cannot be verified against kafka\.ssl\.caFile ".*other-ca\.pem": .*certificate/);
    expect(r.ms).toBeLessThan(30_000);
  });

  // The commonest slip: TLS settings with the PLAINTEXT listener's address. The broker just closes
  // the connection, so the message says which kind of listener the settings need.
  it('TLS settings against the PLAINTEXT listener: exit 1 naming kafka.ssl.enabled and the listener', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-secure-')), 'one.log');
    fs.writeFileSync(file, '2026-11-25 10:00:00,000 ERROR [main] a.B - boom\n');
    const r = await run(['ingest', file, '--topic', uniqueName('it-secure-port')], { ...secureEnv, LOGPIPE_KAFKA_BROKERS: `127.0.0.1:${config.stack.kafkaPort}` });
    expect(r.status).toBe(1);
    expect(failureLine(r)).toMatch(/^logpipe: cannot reach Kafka at .*with kafka\.ssl\.enabled true and kafka\.sasl\.mechanism scram-sha-512, the brokers must be those of the matching listener/);
  });

  // aws-msk-iam configured against a listener that offers SCRAM only (a wrong port on MSK): the
  // handshake refuses the mechanism, which no retry changes.
  it('aws-msk-iam against the SCRAM-only listener: exit 1 naming the mechanism', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-secure-')), 'one.log');
    fs.writeFileSync(file, '2026-11-25 10:00:00,000 ERROR [main] a.B - boom\n');
    const env = { ...secureEnv, LOGPIPE_KAFKA_SASL_MECHANISM: 'aws-msk-iam', LOGPIPE_KAFKA_SASL_USERNAME: '', LOGPIPE_KAFKA_SASL_PASSWORD: '', AWS_ACCESS_KEY_ID: 'AKIDFAKEFORTESTS', AWS_SECRET_ACCESS_KEY: 'fake-secret-for-tests' };
    const r = await run(['ingest', file, '--topic', uniqueName('it-secure-iam')], env);
    expect(r.status).toBe(1);
    expect(failureLine(r)).toMatch(/^logpipe: the Kafka listener at 127\.0\.0\.1:\d+ does not offer SASL aws-msk-iam/);
  });

  it('a wrong password: the long-running logpipe report exits 1 at start-up instead of retrying', async () => {
    const r = await run(['report', '--topic', 'logpipe.lines', '--group', uniqueName('g-secure-auth')], { ...secureEnv, LOGPIPE_KAFKA_SASL_PASSWORD: 'wrong-password-for-the-test' });
    expect(r.status).toBe(1);
    expect(failureLine(r)).toMatch(/^logpipe: Kafka authentication failed/);
  });

  // The long-running service: a wrong password stops it (exit 1) so that a supervisor and an
  // operator see it, instead of a service that runs and never becomes ready.
  it('a wrong password: logpipe start stops with exit 1 and says why', async () => {
    const { child, done } = start(['start'], {
      ...secureEnv,
      LOGPIPE_KAFKA_SASL_PASSWORD: 'wrong-password-for-the-test',
      LOGPIPE_CONTROL_PORT: String(await freePort()),
      LOGPIPE_REPORT_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-secure-reports-')),
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const r = await done;
    clearTimeout(timer);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Kafka authentication failed');
  });
});
