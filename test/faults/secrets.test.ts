/**
 * Fault suite R9: secrets never appear in logs or in `logpipe config` output. AWS credentials, the
 * control token and an SMTP URL with a password are set through environment variables and a
 * configuration file; every byte `logpipe config`, `logpipe trigger` and a real `logpipe start`
 * print is searched for them (as they are, URL-encoded and base64-encoded). The service runs at
 * debug level with a forked ingest worker (the configuration travels to a child process), ingests
 * an object, dead-letters a missing one, refuses requests with wrong tokens, takes a dashboard
 * login, and sends an alert through an SMTP server that demands AUTH and fails the first attempt.
 * Rows go to docs/reliability.md.
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { buildAlertEmail } from '../../src/report/email';
import { smtpTransport } from '../../src/report/transport';
import { createS3 } from '../../src/system/kafka/clients';
import { packageRoot } from '../../src/system/config/paths';
import { faultScenario } from '../support/fault-scenario';
import { eventually } from '../support/helpers';
import type { ServiceProcess } from '../support/service';
import { type SmtpServer, startSmtpServer, startSniffingProxy } from '../support/smtp';

const scenario = faultScenario('R9', { timeoutMs: 240_000 });
const { config, bucket, topic, group, dir } = scenario;
const bin = path.join(packageRoot(), 'dist', 'cli', 'main.js');

const random = (n: number): string => crypto.randomBytes(n).toString('base64url').replace(/[-_]/g, 'x');
/** moto accepts any credentials: these are used for real by the service's S3 and SES clients. */
const SECRETS = {
  accessKeyId: `AKIA${random(12).toUpperCase().slice(0, 16)}`,
  secretAccessKey: random(30),
  token: crypto.randomBytes(24).toString('hex'),
  smtpPassword: `pw${random(15)}`,
};
const SMTP_USER = 'r9-mailer';

let smtp: SmtpServer;
let service: ServiceProcess | undefined;

/** Every form in which a secret could show up: as is, URL-encoded, base64 (also as SMTP AUTH sends it). */
function forms(): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(SECRETS)) {
    out.push([name, value], [`${name} (URL-encoded)`, encodeURIComponent(value)], [`${name} (base64)`, Buffer.from(value).toString('base64')]);
  }
  out.push(['SMTP AUTH PLAIN', Buffer.from(`\0${SMTP_USER}\0${SECRETS.smtpPassword}`).toString('base64')]);
  return out;
}

/** The names of the secrets found in `text`. */
const leaksIn = (text: string): string[] => forms().filter(([, v]) => text.includes(v)).map(([n]) => n);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { ...process.env, NODE_ENV: 'test', LOGPIPE_LOG_FORMAT: 'json', ...env }, encoding: 'utf8' }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The secrets split between the environment and a configuration file, one way or the other. */
function layout(inFile: 'aws-secret+smtp' | 'all' | 'none'): { env: NodeJS.ProcessEnv; file: string } {
  const smtpUrl = `smtp://${SMTP_USER}:${SECRETS.smtpPassword}@127.0.0.1:${smtp.port}`;
  const fileData: Record<string, Record<string, unknown>> = { report: {}, aws: {}, control: {} };
  const env: NodeJS.ProcessEnv = {};
  const put = (toFile: boolean, section: string, key: string, envName: string, value: string): void => {
    if (toFile) fileData[section][key] = value;
    else env[envName] = value;
  };
  put(inFile === 'all', 'aws', 'accessKeyId', 'LOGPIPE_AWS_ACCESS_KEY_ID', SECRETS.accessKeyId);
  put(inFile !== 'none', 'aws', 'secretAccessKey', 'LOGPIPE_AWS_SECRET_ACCESS_KEY', SECRETS.secretAccessKey);
  put(inFile === 'all', 'control', 'token', 'LOGPIPE_CONTROL_TOKEN', SECRETS.token);
  put(inFile !== 'none', 'report', 'smtpUrl', 'LOGPIPE_REPORT_SMTP_URL', smtpUrl);
  const file = path.join(dir, `config.${inFile}.json`);
  fs.writeFileSync(file, JSON.stringify(fileData, null, 2));
  return { env, file };
}

beforeAll(async () => {
  let authAttempts = 0;
  smtp = await startSmtpServer({
    authOptional: false,
    // The first AUTH fails transiently (454): the failure is logged and the send retried.
    onAuth: (auth, _session, callback) => {
      authAttempts += 1;
      if (authAttempts === 1) return callback(Object.assign(new Error('4.7.0 Temporary authentication failure'), { responseCode: 454 }));
      return auth.username === SMTP_USER && auth.password === SECRETS.smtpPassword ? callback(null, { user: auth.username }) : callback(new Error('5.7.8 bad credentials'));
    },
  });
  scenario.cleanup(() => smtp.close());
  const s3 = createS3({ ...config, aws: { ...config.aws, accessKeyId: SECRETS.accessKeyId, secretAccessKey: SECRETS.secretAccessKey } });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const lines = Array.from({ length: 200 }, (_, i) => `10:00:${String(i % 60).padStart(2, '0')}.000 [main] ${i % 10 === 0 ? 'ERROR' : 'INFO '} app.Secret - line ${i}`);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'r9/LogFileGenerator.2026-11-25.log', Body: `${lines.join('\n')}\n` }));
  s3.destroy();
});

function record(what: string, injected: string, checked: string, leaks: string[], ok: boolean, detail: string): void {
  scenario.record({ scenario: what, injected, checked, result: ok && leaks.length === 0 ? `pass (${detail})` : `FAIL (${leaks.length ? `leaked: ${leaks.join(', ')}` : detail})` });
}

describe('R9 secrets never logged', () => {
  it('`logpipe config` shows every secret redacted, from the environment or a file', async () => {
    for (const where of ['none', 'aws-secret+smtp', 'all'] as const) {
      const { env, file } = layout(where);
      const run = await cli(['config', '--config', file], env);
      const printed = JSON.parse(run.stdout) as { aws: Record<string, unknown>; control: Record<string, unknown>; report: Record<string, unknown> };
      const redacted = [printed.aws.accessKeyId, printed.aws.secretAccessKey, printed.control.token, printed.report.smtpUrl];
      const ok = run.code === 0 && redacted.every((v) => v === '[Sensitive]');
      const leaks = leaksIn(run.stdout + run.stderr);
      record(
        '`logpipe config` with all 4 secrets set',
        { none: 'all in LOGPIPE_* variables', 'aws-secret+smtp': 'secret key and SMTP URL in a --config file, the others in variables', all: 'all in a --config file' }[where],
        'each shown as [Sensitive]; no secret in stdout or stderr',
        leaks,
        ok,
        `${run.stdout.length} bytes printed`,
      );
      expect(leaks).toEqual([]);
      expect(redacted).toEqual(['[Sensitive]', '[Sensitive]', '[Sensitive]', '[Sensitive]']);
    }
  });

  // An invalid secret must be named by its key, not repeated: a near-miss is as secret as the real one.
  it('refuses invalid secret values naming the key, without repeating them', async () => {
    const badToken = `${SECRETS.token.slice(0, 10)} x`;
    const badUrl = `smtp//${SMTP_USER}:${SECRETS.smtpPassword}@relay.example.com`;
    const file = path.join(dir, 'bad.json');
    fs.writeFileSync(file, JSON.stringify({ report: { smtpUrl: badUrl } }));
    const runs = [await cli(['config', '--config', file], { LOGPIPE_CONTROL_TOKEN: badToken }), await cli(['start', '--config', file], { LOGPIPE_CONTROL_TOKEN: badToken })];
    const output = runs.map((r) => r.stdout + r.stderr).join('\n');
    const leaks = [...leaksIn(output), ...(output.includes(badToken) ? ['the invalid token'] : [])];
    const ok = runs.every((r) => r.code === 2 && r.stderr.includes('"control.token": [redacted]') && r.stderr.includes('"report.smtpUrl": [redacted]'));
    record('invalid secret values (a token with a space, an SMTP URL without "://" holding the password)', '`logpipe config` and `logpipe start`, token in a variable, URL in a --config file', 'exit 2 naming both keys; the values shown as [redacted]', leaks, ok, 'exit 2 twice');
    expect(leaks).toEqual([]);
    expect(ok).toBe(true);
  });

  it('`logpipe start` at debug level logs no secret while it ingests, refuses wrong tokens, and emails through SMTP with AUTH', async () => {
    const { env, file } = layout('aws-secret+smtp');
    service = await scenario.start({
      ...env,
      LOGPIPE_CONTROL_TOKEN: SECRETS.token,
      LOGPIPE_LOG_LEVEL: 'debug',
      LOGPIPE_INGEST_WORKER_MODE: 'forked',
      LOGPIPE_REPORT_GROUP_ID: group,
      LOGPIPE_REPORT_DIR: path.join(dir, 'reports'),
      LOGPIPE_REPORT_IDLE_CLOSE_MS: '1500',
      LOGPIPE_REPORT_EMAIL_TRANSPORT: 'smtp',
      LOGPIPE_REPORT_EMAIL_TO: `${group}@example.test`,
      LOGPIPE_REPORT_EMAIL_RETRY_DELAY_MS: '200',
      LOGPIPE_REPORT_EMAIL_RETRY_MAX_DELAY_MS: '1000',
      // This test's relay has no TLS; the refusal without this opt-out is the next scenario.
      LOGPIPE_REPORT_SMTP_ALLOW_INSECURE_AUTH: 'true',
    }, ['--config', file]);
    // The forked ingest worker: the configuration, secrets included, went to another process.
    const workers = await eventually('the forked ingest worker', async () => {
      const ps = await new Promise<string>((resolve) => execFile('ps', ['--ppid', String(service!.child.pid), '-o', 'pid='], (_e, out) => resolve(String(out))));
      return ps.trim() ? ps.trim().split(/\s+/).length : undefined;
    }, 30_000);
    const base = `http://127.0.0.1:${service.port}`;
    const post = (key: string, token: string): Promise<number> =>
      fetch(`${base}/v1/ingest`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ bucket, key }) }).then((r) => r.status);

    expect(await post('r9/LogFileGenerator.2026-11-25.log', `${SECRETS.token.slice(0, -2)}00`)).toBe(401);
    expect((await fetch(`${base}/?token=${SECRETS.token}x`, { redirect: 'manual' })).status).toBe(401);
    expect((await fetch(`${base}/?token=${SECRETS.token}`, { redirect: 'manual' })).status).toBe(303);
    expect(await post('r9/LogFileGenerator.2026-11-25.log', SECRETS.token)).toBe(202);
    expect(await post('r9/missing.log', SECRETS.token)).toBe(202);
    const trigger = await cli(['trigger', bucket, 'r9/LogFileGenerator.2026-11-25.log'], { LOGPIPE_CONTROL_PORT: String(service.port), LOGPIPE_CONTROL_TOKEN: SECRETS.token });
    // A different token: the random hex token may itself end in 0.
    const refused = await cli(['trigger', bucket, 'r9/LogFileGenerator.2026-11-25.log'], { LOGPIPE_CONTROL_PORT: String(service.port), LOGPIPE_CONTROL_TOKEN: `${SECRETS.token.slice(0, -1)}${SECRETS.token.endsWith('0') ? '1' : '0'}` });
    expect([trigger.code, refused.code]).toEqual([0, 1]);

    const outcomes = await scenario.outcomes(['r9/LogFileGenerator.2026-11-25.log', 'r9/missing.log'], 120_000);
    expect(outcomes.get('r9/LogFileGenerator.2026-11-25.log')).toMatchObject({ status: 'done', lines: 200 });
    expect(outcomes.get('r9/missing.log')?.status).toBe('dead-letter');
    await eventually('the alert email, after one failed AUTH', async () => (smtp.received.length > 0 ? true : undefined), 120_000);
    expect(smtp.received[0].user).toBe(SMTP_USER);
    // The failure path (its message names the transport, where a URL's password could slip in) ran.
    const failedAuth = (): boolean => service!.log().split('\n').some((l) => l.includes('alert email failed; will retry') && l.includes('Invalid login: 454'));
    await eventually('the failed AUTH in the log', async () => (failedAuth() ? true : undefined), 10_000);
    expect(service.log()).toContain('"message":"alert email sent"');
    expect(await service.stop()).toBe(0);

    const log = service.log();
    const lines = log.trim().split('\n').length;
    fs.writeFileSync(path.join(dir, 'service.log'), log);
    // The search itself finds what it looks for.
    expect(leaksIn(`{"x":"${Buffer.from(SECRETS.smtpPassword).toString('base64')}"}`)).toEqual(['smtpPassword (base64)']);
    const leaks = leaksIn(log + trigger.stdout + trigger.stderr + refused.stdout + refused.stderr);
    record(
      '`logpipe start` at debug level, forked ingest worker, report stage, SMTP with AUTH',
      'AWS keys and token in variables, SMTP URL with password and the secret key in --config; an ingest, a dead letter, 2 wrong tokens, a dashboard login, `logpipe trigger` right and wrong, a failed SMTP AUTH (454) then a sent alert',
      `all stdout/stderr of the service (${lines} log lines) and of \`logpipe trigger\`: no secret as is, URL-encoded or base64`,
      leaks,
      workers > 0,
      `${lines} lines searched`,
    );
    expect(leaks).toEqual([]);
  });

  // Issue 16: a relay without STARTTLS (or a man in the middle who strips it) used to receive AUTH
  // in cleartext. The eavesdropper here is a proxy recording every byte logpipe sends.
  it('SMTP with credentials to a relay that offers no STARTTLS: not sent, the credentials never on the wire', async () => {
    const proxy = await startSniffingProxy(smtp.port);
    const before = smtp.received.length;
    try {
      const startMs = Date.UTC(2026, 10, 25, 10);
      const report = { id: `60000@${startMs}`, sizeMs: 60_000, startMs, endMs: startMs + 60_000, counts: { ERROR: 5, WARN: 0, INFO: 1, DEBUG: 0, TRACE: 0, UNPARSED: 0 }, total: 6, sources: {}, topErrors: [], firstEventMs: startMs, lastEventMs: startMs + 1000, late: 0, future: 0 };
      const email = await buildAlertEmail({ from: 'logpipe <logpipe@example.test>', to: ['oncall@example.test'], report, decision: { alert: true, reasons: ['5 ERROR entries'], suppressed: undefined, lastAlertStartMs: startMs }, date: new Date(startMs), scope: group, topic });
      const transport = smtpTransport({ url: `smtp://${SMTP_USER}:${SECRETS.smtpPassword}@127.0.0.1:${proxy.port}`, timeoutMs: 10_000 });
      const outcome = await transport.send(email, { from: 'logpipe@example.test', to: ['oncall@example.test'] });
      await transport.close();
      const wire = proxy.fromClients().toString('latin1');
      const leaks = leaksIn(wire);
      const error = outcome.ok ? '' : outcome.error;
      const ok = !outcome.ok && !outcome.transient && error.includes('did not start TLS (STARTTLS)') && !/AUTH/.test(wire) && smtp.received.length === before;
      record(
        'SMTP relay without STARTTLS, user and password in report.smtpUrl (report.smtpAllowInsecureAuth off, the default)',
        'the real smtp-server with STARTTLS disabled, behind a proxy recording every byte the client sends',
        'the send fails permanently saying why; no AUTH command, no password (as is, URL-encoded or base64) on the wire; nothing delivered',
        leaks,
        ok,
        ok ? `refused: ${error.slice(error.indexOf('failed: ') + 8, error.indexOf('failed: ') + 80)}...` : `outcome ${JSON.stringify(outcome).slice(0, 200)}`,
      );
      expect(leaks).toEqual([]);
      expect(ok).toBe(true);
    } finally {
      await proxy.close();
    }
  });
});
