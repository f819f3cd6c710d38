/**
 * Alert email after a crash (issue 14 item 7): email is at-least-once, and a repeat needs a crash
 * between a send and its record, so a crash repeats at most the one email in flight. Sent emails
 * used to be recorded 50 at a time (or once a second), so a crash repeated every email sent since
 * the last record: fault scenario R1 saw 27 of 83 alerting windows emailed twice.
 *
 * A report stage on the real broker works through a backlog in which every window alerts; its
 * transport accepts some emails and then hangs (the process is about to die); the stage is stopped
 * without that send ever settling, and a second stage of the same group takes over and sends what
 * is still pending. Across both, no Message-ID may be sent twice except the one in flight.
 */
import { PassThrough } from 'node:stream';
import { ReportStage } from '../../src/report/stage';
import type { AlertEmail } from '../../src/report/email';
import type { EmailTransport, TransportOutcome } from '../../src/report/transport';
import { createKafka } from '../../src/system/kafka/clients';
import { createLogger } from '../../src/system/observability/logging';
import { createTopics } from '../../src/system/kafka/topics';
import { eventually, quietLogger, testConfig, uniqueName } from '../support/helpers';

jest.setTimeout(240_000);

const base = testConfig();
const kafka = createKafka(base, quietLogger().logger);
const log = createLogger({ level: 'error', format: 'json', stream: new PassThrough() });
const WINDOWS = 40;

/** A transport that records what it accepted; after `acceptFirst` sends, every send hangs. */
function transport(acceptFirst: number): EmailTransport & { sent: string[]; hung: string[] } {
  const sent: string[] = [];
  const hung: string[] = [];
  return {
    kind: 'file',
    sent,
    hung,
    async send(email: AlertEmail): Promise<TransportOutcome> {
      if (sent.length >= acceptFirst) {
        hung.push(email.messageId);
        return new Promise<TransportOutcome>(() => undefined);
      }
      sent.push(email.messageId);
      return { ok: true, providerMessageId: null };
    },
    async close() {},
    describe: () => 'test transport',
  };
}

describe('alert emails across a crash', () => {
  it('a crash repeats at most the one email in flight', async () => {
    const topic = uniqueName('it-email-crash');
    const group = uniqueName('it-email-crash-group');
    const admin = kafka.admin();
    await admin.connect();
    await createTopics(admin, [{ topic, numPartitions: 1, replicationFactor: 1 }]);
    await admin.disconnect();
    // Two ERROR lines per minute for WINDOWS minutes: every window alerts (threshold: more than 1).
    const producer = kafka.producer();
    await producer.connect();
    const start = Date.UTC(2026, 10, 25, 10, 0, 0);
    const messages = Array.from({ length: WINDOWS * 2 }, (_, i) => ({
      key: 'host',
      value: `10:00:00.000 [main] ERROR app.X - failure ${i}`,
      timestamp: String(start + Math.floor(i / 2) * 60_000 + (i % 2) * 1000),
      headers: { level: 'ERROR', line: String(i + 1), message: `failure ${i}` },
    }));
    await producer.send({ topic, messages });
    await producer.disconnect();

    const config = {
      ...base,
      report: { ...base.report, groupId: group, dir: `/tmp/${group}`, emailTo: ['ops@example.test'], idleCloseMs: 1_000, realertMs: 0, emailRetryDelayMs: 100, emailRetryMaxDelayMs: 500 },
    };
    const first = transport(WINDOWS / 2);
    const crashed = new ReportStage({ kafka, config, topic, transport: first, log });
    await crashed.start();
    await eventually('the first stage to hang in a send', async () => (first.hung.length > 0 ? true : undefined), 120_000);
    // A little time for anything that would record sent emails later (the old batch settled on a timer).
    await new Promise((r) => setTimeout(r, 1_500));
    await crashed.stop();

    const second = transport(Number.MAX_SAFE_INTEGER);
    const replacement = new ReportStage({ kafka, config, topic, transport: second, log });
    await replacement.start();
    try {
      await eventually('every alert emailed', async () => (new Set([...first.sent, ...second.sent]).size >= WINDOWS - 1 ? true : undefined), 120_000);
      await new Promise((r) => setTimeout(r, 2_000));
      const repeated = second.sent.filter((id) => first.sent.includes(id));
      expect(repeated).toEqual([]);
      // The one in flight when the process died may go out again (the provider may have it): at most one.
      expect(second.sent.filter((id) => first.hung.includes(id)).length).toBeLessThanOrEqual(1);
      expect(new Set([...first.sent, ...second.sent, ...first.hung]).size).toBe(WINDOWS);
    } finally {
      await replacement.stop();
    }
  });
});
