/**
 * The report stage end to end on the real broker: generated logs with their ground truth → ingest →
 * `logpipe report` → window reports, report files and alert emails (SES emulator, SMTP server).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import type { CountsWithTotal } from '../../src/generator/truth';
import { idempotencyKey } from '../../src/report/email';
import { type ReportDocument, reportFileNames } from '../../src/report/render';
import { createKafka } from '../../src/system/kafka/clients';
import { packageRoot } from '../../src/system/config/paths';
import { eventually, freePort, quietLogger, readTopic, sesEmails, startSesEmulator, testConfig, uniqueName } from '../support/helpers';

const bin = path.join(packageRoot(), 'dist', 'cli', 'main.js');
const config = testConfig();
const kafka = createKafka(config, quietLogger().logger);

interface TruthWindow extends CountsWithTotal {
  startMs: number;
}

interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function start(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; done: Promise<Run>; stdout: () => string; stderr: () => string } {
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, NODE_ENV: 'test', LOGPIPE_LOG_FORMAT: 'json', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<Run>((resolve) => child.once('exit', (status, signal) => resolve({ status, signal, stdout, stderr })));
  return { child, done, stdout: () => stdout, stderr: () => stderr };
}

const run = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> => start(args, env).done;

const reportsOf = (stdout: string): ReportDocument[] => stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as ReportDocument);

/** Generated logs of three hosts, ingested into a fresh topic; returns the topic and the truth. */
async function ingested(linesPerHost: number, seed: number): Promise<{ topic: string; truth: TruthWindow[]; dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-report-'));
  const gen = await run(['generate', '--fast', '--seed', String(seed), '--instances', '3', '--max-count', String(linesPerHost), '--start', '2026-11-25T10:00:00Z', '--out', path.join(dir, 'LogFileGenerator.2026-11-25.log'), '--truth', path.join(dir, 'truth.json')]);
  expect(gen.status).toBe(0);
  const topic = uniqueName('it-report');
  for (const host of [1, 2, 3]) {
    const r = await run(['ingest', path.join(dir, `LogFileGenerator.2026-11-25.host-${host}.log`), '--topic', topic]);
    expect(r.status).toBe(0);
  }
  const truth = (JSON.parse(fs.readFileSync(path.join(dir, 'truth.json'), 'utf8')) as { windows: TruthWindow[] }).windows;
  return { topic, truth, dir };
}

/** The report-stage settings of one test: its own group, files, and fast idle closing. */
function reportEnv(dir: string, group: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    LOGPIPE_REPORT_GROUP_ID: group,
    LOGPIPE_REPORT_DIR: path.join(dir, 'reports'),
    LOGPIPE_REPORT_IDLE_CLOSE_MS: '1500',
    LOGPIPE_REPORT_EMAIL_TO: `${group}@example.test`,
    LOGPIPE_REPORT_EMAIL_RETRY_DELAY_MS: '200',
    LOGPIPE_REPORT_EMAIL_RETRY_MAX_DELAY_MS: '1000',
    LOGPIPE_LOG_LEVEL: 'info',
    ...extra,
  };
}

const countsOf = (w: CountsWithTotal): CountsWithTotal => ({ counts: w.counts, total: w.total });

function expectWindowsMatchTruth(reports: Array<Pick<ReportDocument, 'startMs' | 'counts' | 'total'>>, truth: TruthWindow[]): void {
  const byStart = [...reports].sort((a, b) => a.startMs - b.startMs);
  expect(byStart.map((r) => r.startMs)).toEqual(truth.map((w) => w.startMs));
  expect(byStart.map(countsOf)).toEqual(truth.map(countsOf));
}

/** The committed report records of one group, by window id (each id once, or the test fails). */
async function committedReports(group: string, topic: string, expected: number): Promise<Map<string, ReportDocument>> {
  const records = (await readTopic(kafka, config.report.topic, 0, 2000, 60_000)).filter((r) => r.headers.group === group && r.headers.topic === topic);
  const byId = new Map<string, ReportDocument>();
  for (const r of records) {
    expect(byId.has(r.key)).toBe(false);
    byId.set(r.key, JSON.parse(r.value.toString()) as ReportDocument);
  }
  expect(byId.size).toBe(expected);
  return byId;
}

describe('logpipe report', () => {
  it('reports every window with the ground-truth counts, writes the files, emails each alerting window once through SES; a rerun adds nothing', async () => {
    const { topic, truth, dir } = await ingested(8_000, 11);
    const group = uniqueName('g');
    const first = await run(['report', '--exit-when-idle', '--topic', topic], reportEnv(dir, group));
    expect(first.status).toBe(0);
    const reports = reportsOf(first.stdout);
    expectWindowsMatchTruth(reports, truth);
    // Three hosts, each a source of its own, in every window.
    expect(Object.keys(reports[0].sources)).toHaveLength(3);
    const alerting = reports.filter((r) => r.alert.alert);
    expect(alerting.length).toBeGreaterThan(0);
    expect(alerting.every((r) => r.counts.ERROR > 1)).toBe(true);
    expect(reports.filter((r) => !r.alert.alert).every((r) => r.counts.ERROR <= 1)).toBe(true);

    const files = fs.readdirSync(path.join(dir, 'reports'));
    expect(files.filter((f) => f.endsWith('.json'))).toHaveLength(truth.length);
    expect(files.filter((f) => f.endsWith('.csv'))).toHaveLength(truth.length);
    expect(files.filter((f) => f.endsWith('.txt'))).toHaveLength(truth.length);

    const emails = await eventually('the alert emails', async () => {
      const got = await sesEmails(config.ses.endpoint, `${group}@example.test`);
      return got.length >= alerting.length ? got : undefined;
    });
    expect(emails).toHaveLength(alerting.length);
    expect(emails.every((e) => /^ALERT \| \d+ ERROR messages? in /.test(e.subject))).toBe(true);
    expect(emails.every((e) => e.attachments.some((a) => a.filename.endsWith('.zip')))).toBe(true);

    // The state was committed: a second run with the same group has nothing to report or send.
    const second = await run(['report', '--exit-when-idle', '--topic', topic], reportEnv(dir, group));
    expect(second.status).toBe(0);
    expect(reportsOf(second.stdout)).toEqual([]);
    await committedReports(group, topic, truth.length);
    expect(await sesEmails(config.ses.endpoint, `${group}@example.test`)).toHaveLength(alerting.length);
  });

  // Exactly once: killed at random moments and restarted, the committed reports equal the truth, each window once.
  it('SIGKILL at random moments, then a restart: every window reported once with exact counts', async () => {
    const { topic, truth, dir } = await ingested(20_000, 12);
    const group = uniqueName('g-kill');
    const env = reportEnv(dir, group, { LOGPIPE_REPORT_EMAIL_TRANSPORT: 'file', LOGPIPE_REPORT_OUTBOX_DIR: path.join(dir, 'outbox') });
    let seed = 12345;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    process.stdout.write(`report SIGKILL test: seed 12345, ${truth.length} windows\n`);
    for (let i = 0; i < 6; i++) {
      const { child, done } = start(['report', '--exit-when-idle', '--topic', topic], env);
      await new Promise((r) => setTimeout(r, 800 + random() * 2500));
      child.kill('SIGKILL');
      await done;
    }
    const last = await run(['report', '--exit-when-idle', '--topic', topic], env);
    expect(last.status).toBe(0);
    const committed = await committedReports(group, topic, truth.length);
    expectWindowsMatchTruth([...committed.values()], truth);
    const alerting = [...committed.values()].filter((r) => r.alert.alert);
    const outbox = fs.readdirSync(path.join(dir, 'outbox')).filter((f) => f.endsWith('.eml'));
    expect(outbox.sort()).toEqual(alerting.map((r) => `${idempotencyKey(r, group, topic)}.eml`).sort());
  });

  it('two processes in one group report the same windows as one', async () => {
    const { topic, truth, dir } = await ingested(8_000, 13);
    const group = uniqueName('g-two');
    const env = reportEnv(dir, group, { LOGPIPE_REPORT_EMAIL_TRANSPORT: 'file', LOGPIPE_REPORT_OUTBOX_DIR: path.join(dir, 'outbox') });
    const a = start(['report', '--topic', topic], env);
    const b = start(['report', '--topic', topic], env);
    try {
      const committed = await eventually(
        'every window reported',
        async () => {
          const records = (await readTopic(kafka, config.report.topic, 0, 500, 30_000)).filter((r) => r.headers.group === group && r.headers.topic === topic);
          return records.length >= truth.length ? records : undefined;
        },
        90_000,
      );
      expect(new Set(committed.map((r) => r.key)).size).toBe(committed.length);
      expectWindowsMatchTruth(committed.map((r) => JSON.parse(r.value.toString()) as ReportDocument), truth);
      // Both take part: each process opens tasks for the partitions it is given. The second may
      // join after the first has reported every window (8,000 lines take seconds); the rebalance
      // that follows must still hand it partitions, and its tasks then take them over.
      const opened = (out: string): number => (out.match(/report partition task opened/g) ?? []).length;
      const assignments = (out: string): string[] => out.split('\n').filter((l) => l.includes('partitions assigned') || l.includes('report stage') || l.includes('"level":"warn"'));
      await eventually('both processes opened partition tasks', async () => (opened(a.stdout()) > 0 && opened(b.stdout()) > 0 ? true : undefined), 60_000).catch((err: Error) => {
        throw new Error(`${err.message}\nfirst process:\n${assignments(a.stdout()).join('\n')}\nsecond process:\n${assignments(b.stdout()).join('\n')}`);
      });
      // And nothing was reported twice by the take-over.
      const after = (await readTopic(kafka, config.report.topic, 0, 500, 30_000)).filter((r) => r.headers.group === group && r.headers.topic === topic);
      expect(after.map((r) => r.key).sort()).toEqual(committed.map((r) => r.key).sort());
      a.child.kill('SIGTERM');
      b.child.kill('SIGTERM');
      const [ra, rb] = await Promise.all([a.done, b.done]);
      expect([ra.status, rb.status]).toEqual([0, 0]);
    } finally {
      a.child.kill('SIGKILL');
      b.child.kill('SIGKILL');
    }
  });

  it('an SES outage while alerts fire: once the service is back, exactly one email per alerting window', async () => {
    const { topic, truth, dir } = await ingested(3_000, 14);
    const group = uniqueName('g-ses');
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const report = start(['report', '--exit-when-idle', '--topic', topic], reportEnv(dir, group, { LOGPIPE_SES_ENDPOINT: endpoint }));
    // Nothing listens there yet: sends fail as connection errors (transient) and are retried. SES
    // comes up once a send has failed (a fixed 6 s was over before the first send on a loaded
    // machine, and the outage was never seen).
    await eventually('a failed send', async () => (/alert email failed; will retry/.test(report.stderr()) ? true : undefined), 120_000);
    const ses = await startSesEmulator(port);
    try {
      const done = await report.done;
      expect(done.status).toBe(0);
      expect(done.stderr).toMatch(/alert email failed; will retry/);
      const reports = reportsOf(done.stdout);
      expectWindowsMatchTruth(reports, truth);
      const alerting = reports.filter((r) => r.alert.alert);
      expect(alerting.length).toBeGreaterThan(0);
      const emails = await sesEmails(endpoint, `${group}@example.test`);
      expect(emails.map((e) => e.subject).sort()).toEqual([...new Set(emails.map((e) => e.subject))].sort());
      expect(emails).toHaveLength(alerting.length);
    } finally {
      await ses.stop();
    }
  });

  // Issue 15 item 5: one line from a host with a wrong clock must not make the next upload late.
  it('a future-dated line does not poison the topic: the next upload\'s ERRORs are counted and alert, and the line is in a `future` figure', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-future-'));
    const topic = uniqueName('it-future');
    const group = uniqueName('g-future');
    const env = reportEnv(dir, group, { LOGPIPE_REPORT_EMAIL_TRANSPORT: 'file', LOGPIPE_REPORT_OUTBOX_DIR: path.join(dir, 'outbox') });
    const minute = (ms: number): number => Math.floor(ms / 60_000) * 60_000;
    const base = minute(Date.now()) - 20 * 60_000;
    const iso = (ms: number): string => new Date(ms).toISOString();
    // A first upload: a quiet minute of INFO lines, then one line dated four years ahead.
    const first = [...Array.from({ length: 30 }, (_, i) => `${iso(base + i * 1_000)} INFO app - request ${i} served`), `${iso(base + 4 * 365 * 86_400_000)} WARN app - clock says the future`];
    fs.writeFileSync(path.join(dir, 'first.log'), `${first.join('\n')}\n`);
    expect((await run(['ingest', path.join(dir, 'first.log'), '--topic', topic])).status).toBe(0);
    const one = await run(['report', '--exit-when-idle', '--topic', topic], env);
    expect(one.status).toBe(0);
    const firstReports = reportsOf(one.stdout);
    expect(firstReports.map((r) => [r.startMs - base, r.total, r.counts.WARN, r.future])).toEqual([[0, 31, 1, 1]]);
    // The next upload, five minutes of event time later: 40 ERRORs in one minute.
    const second = Array.from({ length: 40 }, (_, i) => `${iso(base + 5 * 60_000 + i * 500)} ERROR app - payment gateway timed out`);
    fs.writeFileSync(path.join(dir, 'second.log'), `${second.join('\n')}\n`);
    expect((await run(['ingest', path.join(dir, 'second.log'), '--topic', topic])).status).toBe(0);
    const two = await run(['report', '--exit-when-idle', '--topic', topic], env);
    expect(two.status).toBe(0);
    const secondReports = reportsOf(two.stdout);
    expect(secondReports.map((r) => [r.startMs - base, r.counts.ERROR, r.late, r.future, r.alert.alert])).toEqual([[5 * 60_000, 40, 0, 0, true]]);
    expect(fs.readdirSync(path.join(dir, 'outbox')).filter((f) => f.endsWith('.eml'))).toHaveLength(1);
    expect(fs.readFileSync(path.join(dir, 'reports', reportFileNames(firstReports[0], topic).txt), 'utf8')).toMatch(/Future-dated records .*: 1$/m);
  });

  it('sends alert emails through an SMTP server', async () => {
    const { topic, truth, dir } = await ingested(2_000, 15);
    const group = uniqueName('g-smtp');
    const received: Array<{ from: string; to: string[]; data: string }> = [];
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, session, callback) {
        let data = '';
        stream.on('data', (c: Buffer) => (data += c.toString()));
        stream.on('end', () => {
          received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), data });
          callback();
        });
      },
    });
    const port = await freePort();
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    try {
      const done = await run(['report', '--exit-when-idle', '--topic', topic], reportEnv(dir, group, { LOGPIPE_REPORT_EMAIL_TRANSPORT: 'smtp', LOGPIPE_REPORT_SMTP_URL: `smtp://127.0.0.1:${port}` }));
      expect(done.status).toBe(0);
      const alerting = reportsOf(done.stdout).filter((r) => r.alert.alert);
      expect(alerting.length).toBeGreaterThan(0);
      expect(received).toHaveLength(alerting.length);
      expect(received.every((m) => m.to.length === 1 && m.to[0] === `${group}@example.test`)).toBe(true);
      expect(received.every((m) => /^X-Logpipe-Idempotency-Key:\s/im.test(m.data) && /Content-Type: application\/zip/i.test(m.data))).toBe(true);
      expect(truth.length).toBeGreaterThan(0);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
