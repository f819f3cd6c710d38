/**
 * Fault suite R4: the email provider goes away while alerts fire. `logpipe start` (ingest and report)
 * sends its alerts to an SES emulator of this test's own (the stack's is shared): the first object's
 * windows alert while it is up; then it is stopped, a second object (a later hour) is ingested
 * and its alerts fail; 20 s after the first failed send a new emulator starts on the same port.
 * Every alerting window's email arrives exactly once: the first object's at the first emulator, the
 * second's, retried with backoff, at the second; none twice, none lost.
 */
import fs from 'node:fs';
import { reportFileNames, type ReportDocument } from '../../src/report/render';
import { faultScenario } from '../support/fault-scenario';
import { eventually, freePort, sesEmails, startSesEmulator, type SesEmulator } from '../support/helpers';
import { generateLogs, type GeneratedLogs } from '../support/service';

const scenario = faultScenario('R4');
const { bucket, topic, group, dir } = scenario;
const to = `${group}@example.test`;
const OUTAGE_MS = 20_000;

let ses: SesEmulator | undefined;
scenario.cleanup(() => ses?.stop());

/** The report attachment names of the emails the emulator holds for this test: one per email. */
async function emailedWindows(endpoint: string): Promise<string[]> {
  return (await sesEmails(endpoint, to)).flatMap((e) => e.attachments.filter((a) => a.filename.endsWith('.zip')).map((a) => a.filename));
}

/** The report attachment names of the alerting windows among `docs` that belong to `batch`'s truth. */
const alertingZips = (docs: ReportDocument[], batch: GeneratedLogs): string[] =>
  docs.filter((d) => d.alert.alert && batch.truth.some((w) => w.startMs === d.startMs)).map((d) => reportFileNames(d, topic).zip).sort();

describe('R4 email outage while alerts fire', () => {
  it('delivers exactly one email per alerting window once the provider is back', async () => {
    // One object per batch, so that the alerting windows do not depend on the order in which two
    // objects sharing a partition reach it (R1b covers that).
    const first = generateLogs(dir, { seed: 43, instances: 1, linesPerHost: 8_000, start: '2026-11-25T10:00:00Z' });
    const second = generateLogs(dir, { seed: 44, instances: 1, linesPerHost: 8_000, start: '2026-11-25T11:00:00Z' });
    const upload = async (batch: GeneratedLogs, name: string): Promise<string[]> => {
      const keys = batch.files.map((_, i) => `${name}/LogFileGenerator.2026-11-25.host-${i + 1}.log`);
      for (const [i, key] of keys.entries()) await scenario.upload(key, fs.readFileSync(batch.files[i]));
      return keys;
    };
    const port = await freePort();
    ses = await startSesEmulator(port);
    const endpoint = ses.endpoint;
    const svc = await scenario.start({
      ...scenario.reportEnv(3000, { LOGPIPE_REPORT_EMAIL_TRANSPORT: 'ses' }),
      LOGPIPE_SES_ENDPOINT: endpoint,
      LOGPIPE_REPORT_EMAIL_TO: to,
      LOGPIPE_REPORT_EMAIL_RETRY_DELAY_MS: '500',
      LOGPIPE_REPORT_EMAIL_RETRY_MAX_DELAY_MS: '4000',
      LOGPIPE_LOG_LEVEL: 'info',
    });

    // The first object with the provider up: its alerts arrive, once each.
    for (const key of await upload(first, 'first')) expect(await svc.trigger(bucket, key)).toBe(202);
    const firstReports = await eventually('the first object\'s windows reported', async () => {
      const got = await scenario.reports();
      return got.docs.length >= first.truth.length ? got : undefined;
    }, 180_000);
    const firstExpected = alertingZips(firstReports.docs, first);
    expect(firstExpected.length).toBeGreaterThan(0);
    await eventually('the first object\'s emails', async () => ((await emailedWindows(endpoint)).length >= firstExpected.length ? true : undefined), 60_000);
    const firstGot = await emailedWindows(endpoint);

    // The provider goes away; the second object's alerts fire into the outage.
    await ses.stop();
    ses = undefined;
    const failuresBefore = (svc.log().match(/alert email failed; will retry/g) ?? []).length;
    for (const key of await upload(second, 'second')) expect(await svc.trigger(bucket, key)).toBe(202);
    await eventually('an alert email to fail', async () => ((svc.log().match(/alert email failed; will retry/g) ?? []).length > failuresBefore ? true : undefined), 180_000);
    const firstFailureAt = Date.now();
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    ses = await startSesEmulator(port);
    const outageMs = Date.now() - firstFailureAt;

    const all = await eventually('both objects\' windows reported', async () => {
      const got = await scenario.reports();
      return got.docs.length >= first.truth.length + second.truth.length ? got : undefined;
    }, 180_000);
    const secondExpected = alertingZips(all.docs, second);
    expect(secondExpected.length).toBeGreaterThan(0);
    await eventually('the second object\'s emails', async () => ((await emailedWindows(endpoint)).length >= secondExpected.length ? true : undefined), 120_000);
    // Longer than the longest retry delay: a duplicate would have arrived by now.
    await new Promise((r) => setTimeout(r, 6_000));
    const secondGot = await emailedWindows(endpoint);
    const failedSends = (svc.log().match(/alert email failed; will retry/g) ?? []).length - failuresBefore;

    expect(all.duplicates).toEqual([]);
    expect(all.docs.map((d) => [d.startMs, d.counts, d.total])).toEqual([...first.truth, ...second.truth].map((w) => [w.startMs, w.counts, w.total]));
    expect(firstGot.sort()).toEqual(firstExpected);
    expect(secondGot.sort()).toEqual(secondExpected);
    expect(svc.child.exitCode).toBeNull();
    scenario.record({
      scenario: `SES unreachable while alerts fire (\`logpipe start\`, ingest + report; 2 objects an hour apart, ${first.truth.length + second.truth.length} windows)`,
      injected: `the test's own SES emulator stopped after the first object's ${firstExpected.length} alerts arrived; the second object's ${secondExpected.length} alerting windows closed into the outage; a new emulator on the same port ${Math.round(outageMs / 1000)} s after the first failed send`,
      checked: 'each alerting window emailed exactly once (first emulator: the first object\'s windows; second: the second\'s), none for other windows; each window reported once with the generator\'s counts; the service kept running',
      result: `pass (${firstExpected.length} + ${secondExpected.length} emails, each once; ${failedSends} failed sends retried)`,
    });
  });
});
