/**
 * Fault suite R10 (issue 14 item 2): two `logpipe ingest` of one 400,000-line S3 object into one log
 * topic, the second started at the same moment as the first, or 2, 4, 6 or 8 s after it: what a
 * restart on another host or a duplicate trigger does. Each trial uses a fresh log topic (so a fresh
 * ledger entry for the version). Whoever takes over the object version's transactional id must fence
 * the other before it reads the ledger; otherwise the older process can commit a batch after the
 * newer one read the ledger, and that batch is written twice.
 *
 * Checked per trial: the log topic, read_committed, holds every line of the object exactly once, in
 * order, each record one whole line, and nothing else; both processes exit. The issue found 420,000
 * records in all four delayed trials on 2f9dfc1; this scenario there: 500,000, 430,000, 410,000,
 * 420,000 and 430,000 records (0, 2, 4, 6, 8 s; whole batches written twice), both processes exiting 0.
 */
import fs from 'node:fs';
import { ensureIngestTopics } from '../../src/ingest/topics';
import { checkLogTopic, type CliRun, describeCheck, recentStart, runCli, ScenarioRecorder, secondsSince, TopicCounter } from '../support/exactly-once';
import { faultScenario } from '../support/fault-scenario';
import { uniqueName } from '../support/helpers';
import { generateLogs } from '../support/service';

const scenario = faultScenario('R10');
const { config, kafka, dir } = scenario;
const start = recentStart();
const key = `hosts/LogFileGenerator.${start.slice(0, 10)}.log`;
const LINES = 400_000;
/** Seconds between the two starts; 0: both at once. */
const DELAYS_S = [0, 2, 4, 6, 8];
/** A process that has not exited this long after its start hangs. */
const EXIT_TIMEOUT_MS = 150_000;

const runs: CliRun[] = [];
let lines: string[] = [];

beforeAll(async () => {
  const [file] = generateLogs(dir, { seed: 10, instances: 1, linesPerHost: LINES, start }).files;
  const body = fs.readFileSync(file);
  lines = body.toString('utf8').trimEnd().split('\n');
  await scenario.upload(key, body);
});

scenario.cleanup(() => {
  for (const r of runs) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
});

/** Exit code and the summary's status, or why there is none. */
async function outcome(run: CliRun): Promise<{ code: number | null | 'hung'; summary: string; output: string }> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), EXIT_TIMEOUT_MS)));
  const done = await Promise.race([run.done, hung]);
  clearTimeout(timer);
  if (done === 'hung') {
    run.child.kill('SIGKILL');
    return { code: 'hung', summary: 'no summary', output: '' };
  }
  const line = done.stdout.trim().split('\n').pop() ?? '';
  let summary = 'no summary';
  try {
    const s = JSON.parse(line) as { status?: string; lines?: number; resumed?: boolean };
    summary = `${s.status}${s.lines !== undefined ? ` ${s.lines} lines` : ''}${s.resumed ? ', resumed' : ''}`;
  } catch {
    // keep "no summary"
  }
  return { code: done.code, summary, output: `${done.stderr}${done.stdout}` };
}

describe('R10 two logpipe ingest of one object at once', () => {
  it.each(DELAYS_S)('the second %i s after the first: every line once, in order, whole', async (delayS) => {
    const started = Date.now();
    const row = scenario.recorder({
      scenario: `two \`logpipe ingest\` of one ${LINES.toLocaleString('en-US')}-line S3 object into one topic, the second ${delayS === 0 ? 'at the same moment' : `${delayS} s after the first`}`,
      injected: 'a second process on the same object version (what a restart on another host or a duplicate trigger does)',
      checked: 'log topic (read_committed): every line once, in order, each record one whole line, nothing else; both processes exit',
    });
    await row.run(() => trial(row, delayS, started));
  });
});

async function trial(row: ScenarioRecorder, delayS: number, started: number): Promise<void> {
  expect(lines).toHaveLength(LINES);
  const topic = uniqueName(`faults-r10-${delayS}s`);
  const admin = kafka.admin();
  await admin.connect();
  await ensureIngestTopics(admin, config, topic);
  await admin.disconnect();
  const committed = await TopicCounter.start(kafka, topic, false);
  const args = ['ingest', `s3://${scenario.bucket}/${key}`, '--topic', topic];
  const env = { LOGPIPE_LOG_LEVEL: 'info' };
  const first = runCli(args, env);
  runs.push(first);
  if (delayS > 0) await new Promise((r) => setTimeout(r, delayS * 1000));
  const atSecondStart = committed.count;
  const second = runCli(args, env);
  runs.push(second);
  const [a, b] = await Promise.all([outcome(first), outcome(second)]);
  await committed.stop();

  const check = await checkLogTopic(kafka, topic, [{ key, lines }]);
  const exits = `first: exit ${a.code}, ${a.summary}; second: exit ${b.code}, ${b.summary}`;
  const ok = check.ok && a.code !== 'hung' && b.code !== 'hung';
  row.record({
    injected: `a second process on the same object version (what a restart on another host or a duplicate trigger does); the first had ${atSecondStart.toLocaleString('en-US')} lines committed when the second started`,
    result: `${ok ? 'pass' : 'FAIL'} (${describeCheck(check)}; ${exits}; ${secondsSince(started)} s)`,
  });
  if (!ok) process.stderr.write(`[R10 ${delayS} s] ${describeCheck(check)}; ${exits}\nfirst output tail:\n${a.output.slice(-3000)}\nsecond output tail:\n${b.output.slice(-3000)}\n`);
  expect([a.code, b.code]).not.toContain('hung');
  expect(check.unexpected).toBe(0);
  expect(check.sources).toEqual([{ key, expected: LINES, records: LINES, notWholeLines: 0, duplicates: 0, outOfOrder: 0, missing: 0 }]);
}
