/**
 * Two log topics reported by one consumer group into one report directory and one outbox (issue 14,
 * item 5): alert ids / Message-IDs and report file names used to be `<group>.<size>.<start>` and
 * `<window-start>.*`, so the second topic's windows overwrote the first's files and reused its
 * Message-IDs (and its outbox files). The topics differ only in a `_` and a `-`, characters a lossy
 * encoding could fold together (Kafka itself refuses two topics that differ only in `.` and `_`).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ReportDocument } from '../../src/report/render';
import { REPORT_NAME } from '../../src/system/control/dashboard/dashboard';
import { packageRoot } from '../../src/system/config/paths';
import { uniqueName } from '../support/helpers';

const bin = path.join(packageRoot(), 'dist', 'cli', 'main.js');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, NODE_ENV: 'test', LOGPIPE_LOG_FORMAT: 'json', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.once('exit', (status) => resolve({ status, stdout, stderr })));
}

const reportsOf = (stdout: string): ReportDocument[] => stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as ReportDocument);

describe('one report group on two log topics', () => {
  it('gives each topic its own Message-IDs, outbox files and report files in one report directory', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-report-topics-'));
    const base = uniqueName('it-topics');
    // Yesterday: the broker deletes records whose timestamp (the event time) is older than its
    // retention (7 days), so fixed dates from the past would lose lines once the clock moves on.
    const now = new Date();
    const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - 1)).toISOString().slice(0, 10);
    // Same start, different seeds: the same windows with different counts on the two topics.
    const topics = [`${base}.app_logs`, `${base}.app-logs`];
    for (const [i, topic] of topics.entries()) {
      const file = path.join(dir, `${i}`, `LogFileGenerator.${day}.log`);
      fs.mkdirSync(path.dirname(file));
      const gen = await run(['generate', '--fast', '--seed', String(40 + i), '--instances', '1', '--max-count', '3000', '--start', `${day}T10:00:00Z`, '--out', file]);
      expect(gen.status).toBe(0);
      const ingest = await run(['ingest', file, '--topic', topic]);
      expect(ingest.status).toBe(0);
    }
    const group = uniqueName('g-topics');
    const env: NodeJS.ProcessEnv = {
      LOGPIPE_REPORT_GROUP_ID: group,
      LOGPIPE_REPORT_DIR: path.join(dir, 'reports'),
      LOGPIPE_REPORT_IDLE_CLOSE_MS: '1500',
      LOGPIPE_REPORT_EMAIL_TO: `${group}@example.test`,
      LOGPIPE_REPORT_EMAIL_TRANSPORT: 'file',
      LOGPIPE_REPORT_OUTBOX_DIR: path.join(dir, 'outbox'),
      LOGPIPE_LOG_LEVEL: 'info',
    };
    const reports: ReportDocument[][] = [];
    for (const topic of topics) {
      const r = await run(['report', '--exit-when-idle', '--topic', topic], env);
      expect(r.status).toBe(0);
      reports.push(reportsOf(r.stdout));
    }
    const [a, b] = reports;
    // The premise: both topics have alerting windows that start at the same moments.
    const alerting = [...a, ...b].filter((r) => r.alert.alert);
    expect(a.filter((r) => r.alert.alert).some((r) => b.some((s) => s.alert.alert && s.startMs === r.startMs))).toBe(true);

    // Report files: one .json, .csv and .txt per window of each topic, holding that topic's report,
    // all with names the dashboard's GET /reports/<name> serves.
    const files = fs.readdirSync(path.join(dir, 'reports'));
    expect(files.filter((f) => !REPORT_NAME.test(f))).toEqual([]);
    for (const ext of ['.json', '.csv', '.txt']) expect(files.filter((f) => f.endsWith(ext))).toHaveLength(a.length + b.length);
    const written = files.filter((f) => f.endsWith('.json')).map((f) => JSON.parse(fs.readFileSync(path.join(dir, 'reports', f), 'utf8')) as ReportDocument);
    const summary = (r: ReportDocument): string => `${r.startMs} ${r.total} ${r.counts.ERROR}`;
    expect(written.map(summary).sort()).toEqual([...a, ...b].map(summary).sort());

    // Emails: one outbox file per alerting window of each topic, each with a Message-ID of its own.
    const outbox = fs.readdirSync(path.join(dir, 'outbox')).filter((f) => f.endsWith('.eml'));
    expect(outbox).toHaveLength(alerting.length);
    const headerOf = (f: string): string | undefined => /^Message-ID: *(<[^>\r\n]+>)\r?$/im.exec(fs.readFileSync(path.join(dir, 'outbox', f), 'utf8').replace(/\r?\n[ \t]+/g, ' '))?.[1];
    const messageIds = outbox.map(headerOf);
    expect(messageIds.every((id) => id !== undefined)).toBe(true);
    expect(new Set(messageIds).size).toBe(alerting.length);
  });
});
