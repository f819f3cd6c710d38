/**
 * Fault suite R1: kill -9. `logpipe start` runs ingest and report on three hosts' generated logs and
 * is killed with SIGKILL at seeded random moments, then started again, at least ten times: first
 * while the objects are being ingested (the listing trigger re-queues them on each start and ingest
 * resumes from the ledger), then while the report stage works: soon after it has its partitions
 * again (counting), and soon after windows were reported (reports written, alerts being sent).
 * After a last, undisturbed run the log topic read with read_committed holds every generated line
 * exactly once, the report topic holds each window once with the generator's counts, and every
 * alerting window was emailed (re-sends are counted: email is at least once by design).
 *
 * The kill schedule comes from a seed, printed at the start; LOGPIPE_FAULTS_SEED=<n> repeats it
 * (the moments are relative to observable events, so a repeat is close, not identical).
 */
import fs from 'node:fs';
import { reportFileNames } from '../../src/report/render';
import { faultScenario } from '../support/fault-scenario';
import { eventually, freePort, readTopic, sesEmails, startSesEmulator, type SesEmulator, uniqueName } from '../support/helpers';
import { faultsSeed, generateLogs, seeded } from '../support/service';

const scenario = faultScenario('R1');
const { kafka, bucket, topic, group, dir, partitionOf } = scenario;
const to = `${group}@example.test`;

const HOSTS = 3;
const LINES_PER_HOST = 90_000;
const MIN_KILLS = 10;
/** Kills anchored to the service's start while ingest is unfinished, at most. */
const MAX_INGEST_KILLS = 6;
/** Kills anchored to the report stage's work (partitions assigned, windows reported), at least. */
const MIN_REPORT_KILLS = 4;
/** Which report-phase kill (from 0) waits for windows being reported; the ones before land while counting. */
const WINDOWS_KILL_AT = 3;

const seed = faultsSeed();


interface Kill {
  run: number;
  anchor: 'start' | 'report partitions assigned' | 'windows reported';
  delayMs: number;
  /** What was committed (ledger) or logged as done (windows, emails) when the process died. */
  linesCommitted: number;
  objectsDone: number;
  windowsReported: number;
  emailsSent: number;
  /**
   * Emails the SES emulator held after the kill. A send the provider accepted just before the kill
   * has no "alert email sent" line (the process died before logging it), so the emulator, not the
   * log, says whether a kill came after the first email.
   */
  emailsDelivered: number;
}

let ses: SesEmulator | undefined;
scenario.cleanup(() => ses?.stop());

/**
 * When the log topic does not hold every line: which lines of which object are missing (by line
 * number, from the records' own values), at which offsets the gap lies, and whether a second
 * read_committed reader, and a read_uncommitted one, see them: lost, hidden, or a reader's fault.
 * (R1 once found one 2,000-line batch missing although the ledger counted it.)
 */
async function diagnoseLines(lines: Awaited<ReturnType<typeof readTopic>>, total: number, keys: string[], files: string[]): Promise<string> {
  const out: string[] = [`read ${lines.length} of ${total} lines`];
  for (const [i, key] of keys.entries()) {
    const expected = fs.readFileSync(files[i], 'utf8').trimEnd().split('\n');
    const mine = lines.filter((r) => r.key === key);
    const seen = new Set(mine.map((r) => r.value.toString()));
    const missing = expected.map((l, n) => (seen.has(l) ? -1 : n)).filter((n) => n >= 0);
    if (missing.length === 0) continue;
    const before = mine.filter((r) => r.value.toString() === expected[missing[0] - 1]).map((r) => `${r.partition}@${r.offset}`);
    const after = mine.filter((r) => r.value.toString() === expected[missing[missing.length - 1] + 1]).map((r) => `${r.partition}@${r.offset}`);
    out.push(`${key}: ${missing.length} lines missing, lines ${missing[0]}..${missing[missing.length - 1]} (the line before at ${before.join(',') || '-'}, the line after at ${after.join(',') || '-'})`);
  }
  const again = await readTopic(kafka, topic, total, 3000, 60_000);
  out.push(`a second read_committed reader: ${again.length} lines`);
  const raw = kafka.consumer({ groupId: uniqueName('r1-uncommitted'), readUncommitted: true, maxWaitTimeInMs: 200 });
  let uncommitted = 0;
  await raw.connect();
  try {
    await raw.subscribe({ topic, fromBeginning: true });
    let last = Date.now();
    await raw.run({ eachBatch: async ({ batch }) => void ((uncommitted += batch.messages.length), (last = Date.now())) });
    while (Date.now() - last < 5_000) await new Promise((r) => setTimeout(r, 200));
  } finally {
    await raw.disconnect();
  }
  out.push(`read_uncommitted (aborted records included): ${uncommitted} records`);
  const admin = kafka.admin();
  await admin.connect();
  out.push(`end offsets (read_committed): ${JSON.stringify(await admin.fetchTopicOffsets(topic))}`);
  await admin.disconnect();
  return out.join('; ');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The distinct values of `field` in the JSON log lines with message `message`, over all runs so far. */
function logged(message: string, field: string): Set<string> {
  const out = new Set<string>();
  for (const text of scenario.services.map((s) => s.log()))
    for (const line of text.split('\n')) {
      if (!line.includes(message)) continue;
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        if (entry.message === message && typeof entry[field] === 'string') out.add(entry[field] as string);
      } catch {
        // Not a JSON log line (a killed process may leave half a line).
      }
    }
  return out;
}

describe('R1 kill -9 while ingesting and reporting', () => {
  it('after ten or more SIGKILLs and restarts: every line once, every window once with the truth, every alert emailed', async () => {
    process.stdout.write(`[R1] seed ${seed} (LOGPIPE_FAULTS_SEED=${seed} repeats this kill schedule)\n`);
    const random = seeded(seed);
    const generated = generateLogs(dir, { seed: 41, instances: HOSTS, linesPerHost: LINES_PER_HOST, start: '2026-11-25T10:00:00Z' });
    const total = HOSTS * LINES_PER_HOST;
    // The default alert rule: more than one ERROR in a window.
    const expectedAlerts = generated.truth.filter((w) => w.counts.ERROR > 1).length;
    const keys = generated.files.map((_, i) => `hosts/LogFileGenerator.2026-11-25.host-${i + 1}.log`);
    // Each object in a partition of its own: objects sharing one are R1b's subject. Here, after a
    // kill they resume in any order, and an object with older lines resuming after its partition
    // closed windows past them would count them late (docs/report.md, Known limits).
    expect(new Set(keys.map(partitionOf)).size).toBe(keys.length);
    for (const [i, key] of keys.entries()) await scenario.upload(key, fs.readFileSync(generated.files[i]));
    ses = await startSesEmulator(await freePort());

    const env: NodeJS.ProcessEnv = {
      // Each start lists the prefix and queues what the ledger does not hold as done: the restart
      // needs no trigger from the test, as after a crash in production.
      LOGPIPE_INGEST_LISTINGS: `${bucket}/hosts/`,
      LOGPIPE_INGEST_LIST_INTERVAL_MS: '2000',
      LOGPIPE_INGEST_BATCH_MAX_RECORDS: '2000',
      LOGPIPE_INGEST_PARALLEL_OBJECTS: String(HOSTS),
      // Idle close longer than a restart takes to resume ingesting: a partition quiet for this long
      // counts as finished, and lines arriving for it afterwards would be late.
      ...scenario.reportEnv(10_000, { LOGPIPE_REPORT_EMAIL_TRANSPORT: 'ses' }),
      LOGPIPE_SES_ENDPOINT: ses.endpoint,
      LOGPIPE_REPORT_EMAIL_TO: to,
      LOGPIPE_REPORT_EMAIL_RETRY_DELAY_MS: '200',
      LOGPIPE_REPORT_EMAIL_RETRY_MAX_DELAY_MS: '1000',
      LOGPIPE_LOG_LEVEL: 'info',
    };

    const kills: Kill[] = [];
    let ingestDone = false;
    const assignedAfterMs: number[] = [];
    const ingestKills = (): number => kills.filter((k) => k.anchor === 'start').length;
    const reportKills = (): number => kills.length - ingestKills();
    while (kills.length < MIN_KILLS || reportKills() < MIN_REPORT_KILLS) {
      const run = kills.length + 1;
      const startedAt = Date.now();
      const current = await scenario.start(env);
      const seen = (message: string): Promise<true> =>
        eventually(`run ${run}: "${message}" in the service log`, async () => (current.log().includes(`"message":"${message}"`) ? true : undefined), 180_000);
      let anchor: Kill['anchor'];
      let delayMs: number;
      if (!ingestDone && ingestKills() < MAX_INGEST_KILLS) {
        anchor = 'start';
        delayMs = Math.round(500 + random() * 4500);
      } else {
        // A killed member keeps its partitions until its session times out; the report stage of
        // the new process works only once they are assigned to it again.
        await seen('log-topic partitions assigned');
        assignedAfterMs.push(Date.now() - startedAt);
        // Three kills while the restored partition tasks count, then one while windows are
        // reported and alerts sent: the windows close together once every partition is caught up,
        // and the emails follow within a second or two.
        if (reportKills() === WINDOWS_KILL_AT && logged('window reported', 'window').size < generated.truth.length) {
          anchor = 'windows reported';
          await seen('window reported');
          delayMs = Math.round(random() * 500);
        } else {
          anchor = 'report partitions assigned';
          delayMs = Math.round(200 + random() * 1800);
        }
      }
      await sleep(delayMs);
      const exited = new Promise((r) => current.child.once('exit', r));
      current.child.kill('SIGKILL');
      await exited;
      const ledger = await scenario.ledger();
      const objectsDone = keys.filter((k) => ledger.get(k)?.status === 'done').length;
      ingestDone = objectsDone === keys.length;
      const kill: Kill = {
        run,
        anchor,
        delayMs,
        linesCommitted: keys.reduce((n, k) => n + (ledger.get(k)?.lines ?? 0), 0),
        objectsDone,
        windowsReported: logged('window reported', 'window').size,
        emailsSent: logged('alert email sent', 'window').size,
        emailsDelivered: (await sesEmails(ses.endpoint, to)).length,
      };
      kills.push(kill);
      process.stdout.write(
        `[R1] kill ${run}: ${delayMs} ms after ${anchor}; ${kill.linesCommitted}/${total} lines, ${objectsDone}/${keys.length} objects, ${kill.windowsReported}/${generated.truth.length} windows, ${kill.emailsSent}/${expectedAlerts} alerts sent (${kill.emailsDelivered} emails at the emulator)\n`,
      );
    }

    // The last run is left alone until every window is reported and every alert sent.
    const last = await scenario.start(env);
    const reports = await eventually(
      'every window reported',
      async () => {
        const got = await scenario.reports();
        return got.docs.length >= generated.truth.length ? got : undefined;
      },
      300_000,
    );
    const alerting = reports.docs.filter((d) => d.alert.alert);
    const endpoint = ses.endpoint;
    await eventually('an email for every alerting window', async () => {
      const got = new Set((await sesEmails(endpoint, to)).flatMap((e) => e.attachments.map((a) => a.filename)));
      return alerting.every((d) => got.has(reportFileNames(d, topic).zip)) ? true : undefined;
    }, 120_000);

    const lines = await scenario.readLog(total, 3000, 300_000);
    if (lines.length !== total) process.stdout.write(`[R1] ${await diagnoseLines(lines, total, keys, generated.files)}\n`);
    expect(lines).toHaveLength(total);
    for (const [i, key] of keys.entries()) {
      const expected = fs.readFileSync(generated.files[i], 'utf8').trimEnd().split('\n');
      expect(lines.filter((r) => r.key === key).map((r) => r.value.toString())).toEqual(expected);
    }
    expect(reports.duplicates).toEqual([]);
    expect(reports.docs.map((d) => [d.startMs, d.counts, d.total])).toEqual(generated.truth.map((w) => [w.startMs, w.counts, w.total]));
    expect(alerting.length).toBeGreaterThan(0);

    // An email for every alerting window, none for another. Email is at least once: a window is
    // sent again only after a kill between its send and the record of it, so no window has more
    // copies than one plus the kills that came after the first email.
    const emails = await sesEmails(endpoint, to);
    const perWindow = new Map<string, number>();
    for (const e of emails) for (const a of e.attachments.filter((x) => x.filename.endsWith('.zip'))) perWindow.set(a.filename, (perWindow.get(a.filename) ?? 0) + 1);
    expect([...perWindow.keys()].sort()).toEqual(alerting.map((d) => reportFileNames(d, topic).zip).sort());
    const resent = [...perWindow.values()].reduce((n, c) => n + c - 1, 0);
    const maxCopies = Math.max(...perWindow.values());
    const killsAfterFirstEmail = kills.filter((k) => k.emailsDelivered > 0).length;
    expect(maxCopies).toBeLessThanOrEqual(1 + killsAfterFirstEmail);
    // A repeat needs a kill between a send and its record, and each send is recorded on its own
    // (issue 14 item 7): at most one repeated email per kill, over all windows.
    expect(resent).toBeLessThanOrEqual(killsAfterFirstEmail);

    // What was recorded as sent stays so: after a clean stop, the next process has no email
    // pending and sends none.
    expect(await last.stop()).toBe(0);
    const again = await scenario.start(env);
    const openedLine = await eventually('the merge task of a clean restart', async () => again.log().split('\n').find((l) => l.includes('"message":"report merge task opened"')), 120_000);
    await sleep(3000);
    const emailsAfterRestart = (await sesEmails(endpoint, to)).length;
    expect(await again.stop()).toBe(0);
    expect((JSON.parse(openedLine) as { pendingEmails: number }).pendingEmails).toBe(0);
    expect(emailsAfterRestart).toBe(emails.length);

    expect(alerting.length).toBe(expectedAlerts);
    const during = (k: Kill): string => (k.linesCommitted < total ? 'ingest' : k.windowsReported < generated.truth.length ? 'report' : k.emailsSent < expectedAlerts ? 'alerts' : 'idle');
    const phases = ['ingest', 'report', 'alerts', 'idle'].map((p) => `${kills.filter((k) => during(k) === p).length} ${p}`).join(', ');
    const waits = assignedAfterMs.length ? `; after a kill the report stage got its partitions back ${Math.round(Math.min(...assignedAfterMs) / 1000)}–${Math.round(Math.max(...assignedAfterMs) / 1000)} s after the restart` : '';
    const copies = [...new Set(perWindow.values())]
      .sort((a, b) => a - b)
      .map((c) => [[...perWindow.values()].filter((x) => x === c).length, c])
      .map(([n, c]) => `${n} window${n === 1 ? '' : 's'} ${c}×`)
      .join(', ');
    process.stdout.write(`[R1] kills by phase: ${phases}; emails per alerting window: ${copies}${waits}\n`);
    scenario.record({
      scenario: `kill -9 of \`logpipe start\` (ingest + report, ${HOSTS} objects, ${total.toLocaleString('en')} lines, ${generated.truth.length} windows)`,
      injected: `${kills.length} SIGKILLs at seeded random moments (seed ${seed}): ${ingestKills()} 0.5–5 s after a start while ingesting, ${kills.filter((k) => k.anchor === 'report partitions assigned').length} 0.2–2 s after the report stage got its partitions, ${kills.filter((k) => k.anchor === 'windows reported').length} 0–0.5 s after windows were reported; by what was done at the kill: ${phases}; restarted each time, the listing trigger re-queued unfinished objects`,
      checked: 'log topic (read_committed): every line once, in order per object; report topic: each window once with the generator\'s counts; an email for every alerting window, none for others, no window more often than 1 + the kills after the first email, at most one repeated email per kill in all; a clean restart afterwards has no email pending and sends none',
      result: `pass (${alerting.length} alerting windows, emailed ${copies}: ${resent} re-send${resent === 1 ? '' : 's'}, ${kills.filter((k) => during(k) === 'alerts').length} kill${kills.filter((k) => during(k) === 'alerts').length === 1 ? '' : 's'} landed while alerts were sent${waits})`,
    });
  });
});
