/**
 * Fault suite R8: log content aimed at the alert email's headers. A log object whose ERROR messages
 * hold CR/LF, `Bcc:` and other header-looking text, SMTP commands, 10,000-character messages and
 * non-ASCII (emoji, bidirectional overrides, RTL scripts, NUL), under an object key holding
 * header-looking text too, is ingested by a real `logpipe start` with the report stage on; the alert goes through the
 * SMTP transport to a real SMTP server. The received message must have exactly the expected
 * headers, one recipient in the envelope and in To, a subject of numbers and times only, and the
 * hostile text only in the body (escaped in the HTML). Rows go to docs/reliability.md.
 *
 * How hostile text reaches the report (docs/log-model.md): lines split at LF and lose a final CR,
 * so a CR inside a message comes from a lone CR in the line; a CRLF ends the line, and what follows
 * becomes a continuation line of a multi-line entry, which counts but is not the message. Messages
 * are cut at 500 characters.
 */
import fs from 'node:fs';
import path from 'node:path';
import { faultScenario } from '../support/fault-scenario';
import { eventually } from '../support/helpers';
import { decodeWords, leaves, parseHeaderBlock, parseMime, type SmtpServer, splitHead, startSmtpServer } from '../support/smtp';

const scenario = faultScenario('R8', { timeoutMs: 240_000 });
const { bucket, group, dir } = scenario;
const FROM = 'logpipe-r8@example.com';
const TO = `${group}@example.test`;

const LONG = `${'A'.repeat(9_990)}\rBcc: long@example.com`;
/** ERROR messages as they stand in the log lines (after ` - `). */
const HOSTILE: Array<{ what: string; message: string }> = [
  { what: 'a lone CR then a Bcc header', message: 'boom\rBcc: victim@example.com' },
  { what: 'CR-separated To/Cc/Content-Type and a script', message: 'To: attacker@example.com\rCc: attacker2@example.com\r\rContent-Type: text/html\r\r<script>alert(1)</script>' },
  { what: 'SMTP commands after a lone-CR dot line', message: 'x\r.\rMAIL FROM:<evil@example.com>\rRCPT TO:<victim2@example.com>\rDATA\rSubject: injected' },
  { what: 'an RFC 2047 encoded word spelling a Bcc header', message: '=?UTF-8?B?QmNjOiB2aWN0aW0zQGV4YW1wbGUuY29t?= and Subject: =?UTF-8?Q?pwned?=' },
  { what: 'a 10,000-character message ending in a Bcc header', message: LONG },
  { what: 'emoji, a bidi override, RTL scripts, NUL, BEL, U+2028, U+0085', message: 'emoji 😀🔥 file \u202Egnp.exe\u202C Arabic مرحبا Hebrew שלום NUL\u0000 BEL\u0007 LS\u2028 NEL\u0085 end' },
  { what: 'a header line as the whole message', message: 'Subject: ALERT | 0 ERROR messages' },
];
const lines = [
  ...HOSTILE.map((h, i) => `10:00:${String(i + 1).padStart(2, '0')}.000 [main] ERROR app.Mail - ${h.message}`),
  // A CRLF ends the line: the header-looking lines after it are continuation lines of this entry.
  '10:00:20.000 [main] ERROR app.Mail - first line of a multi-line entry\r',
  'Bcc: victim4@example.com\r',
  'Subject: pwned\r',
  '10:00:30.000 [main] INFO app.Mail - fine',
];
const ERRORS = HOSTILE.length + 1;
/** moto refuses keys with CR or LF (an HTML error page), so the key carries header-looking text and a bidi override. */
const KEY = 'r8/To: key-victim@example.com, Bcc: key-victim2@example.com \u202Eevil/LogFileGenerator.2026-11-25.log';
/** Addresses and words that must never reach a header. */
const CANARIES = ['victim', 'attacker', 'evil@', 'long@', 'pwned', 'injected', 'script', 'Bcc', 'RCPT', 'Cc:'];

const EXPECTED_HEADERS = ['content-type', 'date', 'from', 'message-id', 'mime-version', 'subject', 'to', 'x-logpipe-idempotency-key', 'x-logpipe-window'];
const SUBJECT = /^ALERT \| \d+ ERROR messages? in \d{2}:\d{2}(:\d{2})?–\d{2}:\d{2}(:\d{2})? UTC$/;

let smtp: SmtpServer;

beforeAll(async () => {
  smtp = await startSmtpServer();
  scenario.cleanup(() => smtp.close());
});

describe('R8 email headers', () => {
  it('hostile log content changes no header of the alert email; it appears only in the body, escaped', async () => {
    await scenario.upload(KEY, `${lines.join('\n')}\n`);
    const service = await scenario.start({
      ...scenario.reportEnv(1500, { LOGPIPE_REPORT_EMAIL_TRANSPORT: 'smtp' }),
      LOGPIPE_REPORT_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      LOGPIPE_REPORT_EMAIL_FROM: FROM,
      LOGPIPE_REPORT_EMAIL_TO: TO,
      LOGPIPE_REPORT_EMAIL_RETRY_DELAY_MS: '200',
      LOGPIPE_REPORT_EMAIL_RETRY_MAX_DELAY_MS: '1000',
      LOGPIPE_LOG_LEVEL: 'info',
    });
    expect(await service.trigger(bucket, KEY)).toBe(202);

    const mail = await eventually('the alert email at the SMTP server', async () => smtp.received[0], 120_000);
    // The report record: proof the hostile text did reach the report, so the email had it to render.
    const report = await eventually('the window report', async () => (await scenario.reports()).docs[0], 60_000);
    expect(report.counts.ERROR).toBe(ERRORS);
    const reported = report.topErrors.map((e) => e.message);
    expect(reported).toEqual(expect.arrayContaining([HOSTILE[0].message, HOSTILE[1].message, HOSTILE[5].message, 'first line of a multi-line entry']));
    expect(reported).toContain(LONG.slice(0, 500));
    expect(Object.keys(report.sources).some((s) => s.includes('Bcc: key-victim2@example.com \u202Eevil'))).toBe(true);

    const rows: Array<{ checked: string; ok: boolean; detail: string }> = [];
    const check = (checked: string, ok: boolean, detail: string): void => {
      rows.push({ checked, ok, detail });
    };

    check('one recipient in the envelope: MAIL FROM and RCPT TO as configured', mail.mailFrom === FROM && JSON.stringify(mail.rcptTo) === JSON.stringify([TO]), `MAIL FROM ${mail.mailFrom}, RCPT TO ${mail.rcptTo.join(', ')}`);

    // Kept for a look after a failure: the message as the SMTP server received it.
    fs.writeFileSync(path.join(dir, 'received.eml'), mail.data);
    const { head } = splitHead(mail.data);
    const headers = parseHeaderBlock(head);
    const names = headers.map((h) => h.name.toLowerCase()).sort();
    check('exactly the expected header set, each once', JSON.stringify(names) === JSON.stringify(EXPECTED_HEADERS), names.join(', '));
    const value = (name: string): string => headers.find((h) => h.name.toLowerCase() === name)?.value ?? '';
    check('To is the one configured recipient; From the configured sender', value('to') === TO && value('from') === FROM, `To: ${value('to')}; From: ${value('from')}`);
    const subject = decodeWords(value('subject'));
    check('the subject is numbers and times only', SUBJECT.test(subject) && subject === `ALERT | ${ERRORS} ERROR messages in 10:00–10:01 UTC`, subject);
    const headLines = head.split('\r\n');
    check(
      'the header block is 7-bit ASCII without bare CR or LF, lines at most 998 characters',
      /^[\x20-\x7e\r\n\t]*$/.test(head) && headLines.every((l) => !/[\r\n]/.test(l) && l.length <= 998),
      `${headLines.length} lines, longest ${Math.max(...headLines.map((l) => l.length))}`,
    );
    const decodedHead = headers.map((h) => `${h.name}: ${decodeWords(h.value)}`).join('\n');
    const leaked = CANARIES.filter((c) => decodedHead.toLowerCase().includes(c.toLowerCase()));
    check('no hostile word in any header, raw or decoded', leaked.length === 0, leaked.length ? `found ${leaked.join(', ')}` : `none of ${CANARIES.length} canaries`);

    const parts = leaves(parseMime(mail.data));
    const text = parts.find((p) => /^text\/plain/i.test(p.contentType))?.body.toString('utf8') ?? '';
    const html = parts.find((p) => /^text\/html/i.test(p.contentType))?.body.toString('utf8') ?? '';
    check(
      'the text body shows the messages with CR, LF and other control or bidi characters as \\uXXXX',
      text.includes('boom\\u000dBcc: victim@example.com') && text.includes('\\u202egnp.exe\\u202c') && text.includes('NUL\\u0000') && text.includes('😀🔥') && text.includes('مرحبا') && text.includes('Bcc: key-victim2@example.com \\u202eevil') && !/\r(?!\n)/.test(text),
      `${text.length} characters`,
    );
    check(
      'the HTML body escapes markup: no script element, the tags of the message as character references',
      !/<script/i.test(html) && html.includes('&#60;script&#62;alert(1)&#60;/script&#62;') && html.includes('boom\\u000dBcc: victim@example.com'),
      `${html.length} characters`,
    );
    const aRuns = (text.match(/A+/g) ?? []).map((r) => r.length);
    check('the 10,000-character message is cut to 500 characters; its tail (a Bcc header) is gone', Math.max(...aRuns) === 500 && !text.includes('long@example.com') && !html.includes('long@example.com'), `longest run ${Math.max(...aRuns)}`);
    check('one email for the one alerting window', smtp.received.length === 1, `${smtp.received.length} received`);

    for (const r of rows) {
      scenario.record({
        scenario: 'hostile log content in an alert email (logpipe start, report stage, SMTP)',
        injected: `1 object, ${lines.length} lines, ${ERRORS} ERROR entries (CR, Bcc/To/Cc/Subject lines, SMTP commands, encoded words, 10,000 characters, emoji/bidi/RTL/NUL), key with To/Bcc text; via logpipe start and SMTP`,
        checked: r.checked,
        result: r.ok ? `pass (${r.detail.slice(0, 100)})` : `FAIL (${r.detail.slice(0, 200)})`,
      });
    }
    expect(rows.filter((r) => !r.ok)).toEqual([]);
  });
});
