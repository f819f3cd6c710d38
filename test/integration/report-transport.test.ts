import type { SMTPServerOptions } from 'smtp-server';
import { buildAlertEmail, IDEMPOTENCY_HEADER, type AlertEmail } from '../../src/report/email';
import { renderZip, reportFileNames } from '../../src/report/render';
import type { AlertDecision } from '../../src/report/rules';
import { sesTransport, smtpTransport } from '../../src/report/transport';
import type { WindowReport } from '../../src/report/window';
import { createSes } from '../../src/system/kafka/clients';
import { eventually, freePort, testConfig, uniqueName } from '../support/helpers';
import { type SmtpServer, startSmtpServer, startSniffingProxy } from '../support/smtp';

const config = testConfig();
const ses = createSes(config);
afterAll(() => ses.destroy());

const FROM = 'alerts@example.test';
const TO = ['oncall@example.test', 'ops@example.test'];

/**
 * A window whose subject (ERROR count and time of day) and attachment name (date) no other run is
 * likely to repeat: the SES emulator's store is shared and only searchable by content.
 */
function sampleReport(): WindowReport {
  const errors = 1_000 + Math.floor(Math.random() * 1_000_000);
  const startMs = Date.UTC(2026, 0, 1) + Math.floor(Math.random() * 300 * 24 * 60) * 60_000;
  const counts = { ERROR: errors, WARN: 2, INFO: 40, DEBUG: 0, TRACE: 0, UNPARSED: 1 };
  const total = errors + 43;
  return {
    id: `60000@${startMs}`,
    sizeMs: 60_000,
    startMs,
    endMs: startMs + 60_000,
    counts,
    total,
    sources: { 'app.log': { counts, total } },
    topErrors: [{ message: 'database connection refused', count: errors }],
    firstEventMs: startMs + 150,
    lastEventMs: startMs + 59_870,
    late: 0,
    future: 0,
  };
}

async function sampleEmail(): Promise<{ email: AlertEmail; report: WindowReport; decision: AlertDecision }> {
  const report = sampleReport();
  const decision: AlertDecision = { alert: true, reasons: [`${report.counts.ERROR} ERROR entries, more than the threshold of 1`], suppressed: undefined, lastAlertStartMs: report.startMs };
  const email = await buildAlertEmail({ from: `logpipe <${FROM}>`, to: TO, report, decision, date: new Date(report.endMs + 5_000), scope: uniqueName('it-transport'), topic: 'logpipe.lines' });
  return { email, report, decision };
}

interface StoredEmail {
  subject: string;
  from: string;
  destination: { to: string[] };
  attachments: Array<{ filename: string; contentType: string; content: string }>;
}

describe('SES transport', () => {
  it('delivers the alert email to the SES emulator', async () => {
    const { email, report, decision } = await sampleEmail();
    const transport = sesTransport(ses, config.ses.endpoint);
    const outcome = await transport.send(email, { from: FROM, to: TO });
    expect(outcome).toEqual({ ok: true, providerMessageId: expect.any(String) });

    const zipName = reportFileNames(report, 'logpipe.lines').zip;
    const stored = await eventually('the email in the emulator store', async () => {
      const res = await fetch(`${config.ses.endpoint}/store`);
      const { emails } = (await res.json()) as { emails: StoredEmail[] };
      return emails.find((e) => e.subject === email.subject && e.attachments.some((a) => a.filename === zipName));
    });
    // The emulator records the To header (one entry per header), not the Destinations.
    expect(stored.destination.to).toEqual([TO.join(', ')]);
    expect(stored.from).toContain(FROM);
    expect(stored.attachments).toHaveLength(1);
    expect(stored.attachments[0]).toMatchObject({ filename: zipName, contentType: 'application/zip' });
    expect(Buffer.from(stored.attachments[0].content, 'base64').equals(await renderZip(report, decision, 'logpipe.lines'))).toBe(true);
    await transport.close();
  });

  it('fails transiently when the endpoint is unreachable', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const unreachable = createSes({ ...config, ses: { endpoint } });
    try {
      const { email } = await sampleEmail();
      const outcome = await sesTransport(unreachable, endpoint).send(email, { from: FROM, to: TO });
      expect(outcome).toEqual({ ok: false, transient: true, error: expect.stringContaining(`ses at ${endpoint}: sending ${email.idempotencyKey} to ${TO.join(', ')} failed: `) });
      expect((outcome as { error: string }).error).toContain('ECONNREFUSED');
    } finally {
      unreachable.destroy();
    }
  });
});

/** An SMTP server that accepts the credentials of the transport's URL (user:hunter2). */
const startSmtp = (options: Partial<SMTPServerOptions> = {}): Promise<SmtpServer> =>
  startSmtpServer({ onAuth: (auth, _session, callback) => (auth.password === 'hunter2' ? callback(null, { user: auth.username }) : callback(new Error('bad credentials'))), ...options });

/** SMTP turns line ends into CRLF and may add one at the end; dot-stuffing is undone by the server. */
const normalised = (b: Buffer): string => b.toString('latin1').replace(/\r?\n/g, '\r\n').replace(/(\r\n)+$/, '');

describe('SMTP transport', () => {
  // Issue 16: a relay (or someone on the path) that offers no STARTTLS used to receive AUTH in
  // cleartext. With credentials in the URL, TLS is required unless report.smtpAllowInsecureAuth.
  it('refuses to send credentials to a relay without STARTTLS: a clear permanent error, no AUTH on the wire', async () => {
    let authAttempts = 0;
    const smtp = await startSmtp({ onAuth: (_auth, _session, callback) => ((authAttempts += 1), callback(null, { user: 'alice' })) });
    const proxy = await startSniffingProxy(smtp.port);
    try {
      const { email } = await sampleEmail();
      const transport = smtpTransport({ url: `smtp://alice:hunter2@127.0.0.1:${proxy.port}`, timeoutMs: 10_000 });
      const outcome = await transport.send(email, { from: FROM, to: TO });
      await transport.close();
      expect(outcome).toEqual({ ok: false, transient: false, error: expect.stringContaining('did not start TLS (STARTTLS)') });
      const { error } = outcome as { error: string };
      expect(error).toContain('report.smtpUrl carries credentials');
      expect(error).toContain('report.smtpAllowInsecureAuth');
      expect(error).not.toMatch(/alice|hunter2/);
      expect(authAttempts).toBe(0);
      expect(smtp.received).toHaveLength(0);
      const wire = proxy.fromClients().toString('latin1');
      expect(wire).toMatch(/^EHLO /);
      expect(wire).not.toMatch(/AUTH|hunter2/);
      expect(wire).not.toContain(Buffer.from('\0alice\0hunter2').toString('base64'));
      expect(wire).not.toContain(Buffer.from('hunter2').toString('base64'));
    } finally {
      await proxy.close();
      await smtp.close();
    }
  });

  it('delivers the raw message with the envelope, logging in with the URL credentials (report.smtpAllowInsecureAuth)', async () => {
    const smtp = await startSmtp();
    try {
      const { email } = await sampleEmail();
      const transport = smtpTransport({ url: `smtp://alice:hunter2@127.0.0.1:${smtp.port}`, timeoutMs: 10_000, allowInsecureAuth: true });
      expect(transport.describe()).toBe(`smtp smtp://127.0.0.1:${smtp.port}`);
      const outcome = await transport.send(email, { from: FROM, to: TO });
      expect(outcome).toEqual({ ok: true, providerMessageId: expect.stringContaining('Ok: queued') });
      await transport.close();

      expect(smtp.received).toHaveLength(1);
      const [got] = smtp.received;
      expect(got).toMatchObject({ mailFrom: FROM, rcptTo: TO, user: 'alice' });
      expect(normalised(got.data)).toBe(normalised(email.raw));
      // Unfolded (RFC 5322 2.2.3): a long header may continue on the next line.
      expect(got.data.toString().replace(/\r\n[ \t]+/g, ' ')).toContain(`${IDEMPOTENCY_HEADER}: ${email.idempotencyKey}\r\n`);
    } finally {
      await smtp.close();
    }
  });

  it.each([
    [550, '5.1.1 mailbox unavailable', false],
    [451, '4.3.0 try again later', true],
  ])('reports a %d reply to RCPT TO with transient = %s', async (code, text, transient) => {
    const smtp = await startSmtp({ onRcptTo: (_address, _session, callback) => callback(Object.assign(new Error(text), { responseCode: code })) });
    try {
      const { email } = await sampleEmail();
      const transport = smtpTransport({ url: `smtp://127.0.0.1:${smtp.port}`, timeoutMs: 10_000 });
      const outcome = await transport.send(email, { from: FROM, to: TO });
      expect(outcome).toEqual({ ok: false, transient, error: expect.stringContaining(`smtp smtp://127.0.0.1:${smtp.port}: sending ${email.idempotencyKey} to ${TO.join(', ')} failed: `) });
      expect((outcome as { error: string }).error).toContain(`${code} ${text}`);
      expect(smtp.received).toHaveLength(0);
      await transport.close();
    } finally {
      await smtp.close();
    }
  });

  it('fails transiently on a closed port, naming ECONNREFUSED and no credentials', async () => {
    const port = await freePort();
    const { email } = await sampleEmail();
    const transport = smtpTransport({ url: `smtp://alice:hunter2@127.0.0.1:${port}`, timeoutMs: 10_000 });
    const outcome = await transport.send(email, { from: FROM, to: TO });
    expect(outcome).toEqual({ ok: false, transient: true, error: expect.stringContaining('ECONNREFUSED') });
    expect((outcome as { error: string }).error).toContain(`smtp smtp://127.0.0.1:${port}: `);
    expect((outcome as { error: string }).error).not.toMatch(/alice|hunter2/);
    await transport.close();
  });
});
