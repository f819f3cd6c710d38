import { buildAlertEmail, decideSend, idempotencyKey, parseAddresses, previousKeyOf, recordSend, type SendDecision, type SendRecord } from './email';
import { renderZip } from './render';
import type { AlertDecision } from './rules';
import { WindowAggregator, type WindowReport } from './window';

const START = Date.UTC(2026, 10, 26, 10, 41);
const DECISION: AlertDecision = { alert: true, reasons: ['3 ERROR entries, more than the threshold of 1'], suppressed: undefined, lastAlertStartMs: START };

function sample(startMs = START): WindowReport {
  const agg = new WindowAggregator({}, () => 0);
  for (let i = 0; i < 3; i++) agg.add({ timeMs: startMs + i, arrivalMs: startMs + i, level: 'ERROR', source: 'app.log', message: '<b>boom</b>' });
  return agg.closeAll()[0];
}

const input = (report = sample()) => ({
  from: 'logpipe <alerts@example.test>',
  to: ['oncall@example.test', 'Second <ops@example.test>'],
  report,
  decision: DECISION,
  date: new Date(START + 65_000),
  scope: 'logpipe-report',
  topic: 'logpipe.lines',
});

/** The headers and the decoded body of each leaf part of a multipart message. */
function leafParts(raw: string): Array<{ headers: string; body: Buffer }> {
  const parts: Array<{ headers: string; body: Buffer }> = [];
  const walk = (entity: string): void => {
    const split = entity.indexOf('\r\n\r\n');
    const headers = entity.slice(0, split);
    const body = entity.slice(split + 4);
    const boundary = /boundary="?([^";\r\n]+)"?/i.exec(headers);
    if (/^Content-Type: multipart\//im.test(headers) && boundary) {
      for (const part of body.split(`--${boundary[1]}`).slice(1, -1)) walk(part.replace(/^\r\n/, ''));
      return;
    }
    const encoding = /^Content-Transfer-Encoding: (\S+)/im.exec(headers)?.[1].toLowerCase();
    const decoded =
      encoding === 'base64'
        ? Buffer.from(body.replace(/\s+/g, ''), 'base64')
        : encoding === 'quoted-printable'
          ? Buffer.from(body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1')
          : Buffer.from(body);
    parts.push({ headers, body: decoded });
  };
  walk(raw);
  return parts;
}

describe('buildAlertEmail', () => {
  it('builds text, HTML and the zipped report, with the idempotency key and Message-ID', async () => {
    const email = await buildAlertEmail(input());
    const raw = email.raw.toString('utf8');
    const key = `logpipe-report.logpipe_2elines.60000.${START}`;
    expect(email.idempotencyKey).toBe(key);
    expect(email.messageId).toBe(`<${key}@example.test>`);
    expect(email.subject).toBe('ALERT | 3 ERROR messages in 10:41–10:42 UTC');
    // Long headers are folded (RFC 5322 2.2.3); a reader unfolds them.
    const unfolded = raw.replace(/\r\n[ \t]+/g, ' ');
    expect(unfolded).toMatch(new RegExp(`^Message-ID: <${key.replace(/\./g, '\\.')}@example\\.test>\\r$`, 'm'));
    expect(unfolded).toMatch(new RegExp(`^X-Logpipe-Idempotency-Key: ${key.replace(/\./g, '\\.')}\\r$`, 'm'));
    expect(raw).toMatch(/^To: oncall@example\.test, ops@example\.test\r$/m);
    expect(raw).toMatch(/^From: logpipe <alerts@example\.test>\r$/m);
    expect(raw).toMatch(/^Date: Thu, 26 Nov 2026 10:42:05 \+0000\r$/m);

    const parts = leafParts(raw);
    expect(parts.map((p) => /^Content-Type: ([^;\r]+)/im.exec(p.headers)?.[1])).toEqual(['text/plain', 'text/html', 'application/zip']);
    const zip = parts[2];
    expect(zip.headers).toMatch(/filename=logpipe_2elines\.2026-11-26T10-41-00Z\.zip/);
    expect(zip.body.equals(await renderZip(sample(), DECISION, 'logpipe.lines'))).toBe(true);
    expect(parts[0].body.toString()).toContain('logpipe report for 2026-11-26 10:41–10:42 UTC');
    expect(parts[1].body.toString()).toMatch(/<td[^>]*><code[^>]*>&#60;b&#62;boom&#60;\/b&#62;<\/code><\/td>/);
  });

  it('gives a resend the same key and Message-ID, another window another', async () => {
    const [a, again, other] = await Promise.all([buildAlertEmail(input()), buildAlertEmail(input()), buildAlertEmail(input(sample(START + 60_000)))]);
    expect([again.idempotencyKey, again.messageId]).toEqual([a.idempotencyKey, a.messageId]);
    expect(other.idempotencyKey).not.toBe(a.idempotencyKey);
    expect(other.messageId).not.toBe(a.messageId);
  });

  it.each<[string, Partial<ReturnType<typeof input>>, string]>([
    ['a sender without a domain', { from: 'alerts' }, 'not an email address'],
    ['no recipients', { to: [] }, 'at least one email address'],
    ['a bad recipient', { to: ['ok@example.test', 'not an address'] }, 'not an email address'],
    ['a scope with a dot', { scope: 'a.b' }, 'scope'],
    ['an empty topic', { topic: '' }, 'topic'],
  ])('refuses %s', async (_name, change, message) => {
    await expect(buildAlertEmail({ ...input(), ...change })).rejects.toThrow(message);
  });
});

describe('idempotencyKey and parseAddresses', () => {
  it('keys a window by scope, topic, size and start, also before 1970', () => {
    expect(idempotencyKey({ sizeMs: 60_000, startMs: -60_000 }, 'g1', 'logs')).toBe('g1.logs.60000.-60000');
  });

  // Issue 14 item 5: one group reporting several log topics gave their windows one key and Message-ID.
  it('keys the same window of different topics apart, however alike their names', () => {
    const window = { sizeMs: 60_000, startMs: START };
    const topics = ['logs', 'app.logs', 'app_logs', 'app-logs', 'app_2elogs', 'App.Logs', 'app..logs', '.logs', 'logs.', 'app.logs.60000', 'app.logs.60000.0', 'läufe'];
    const keys = topics.map((t) => idempotencyKey(window, 'g1', t));
    expect(new Set(keys).size).toBe(topics.length);
    // Case-insensitive file systems hold the file transport's outbox: no two keys may differ by case alone.
    expect(new Set(keys.map((k) => k.toLowerCase())).size).toBe(topics.length);
    // Each stays a dot-atom (RFC 5322): a valid Message-ID left-hand side, and a safe outbox file name.
    const dotAtom = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
    for (const key of keys) expect(key).toMatch(dotAtom);
    expect(keys.map((k) => k.split('.').length)).toEqual(topics.map(() => 4));
  });

  it('gives the same window of two topics distinct Message-IDs and attachment names', async () => {
    const [a, b] = await Promise.all([buildAlertEmail({ ...input(), topic: 'app.logs' }), buildAlertEmail({ ...input(), topic: 'app_logs' })]);
    expect(a.messageId).not.toBe(b.messageId);
    expect(a.idempotencyKey).not.toBe(b.idempotencyKey);
    const attachment = (raw: Buffer): string | undefined => /filename=([^\s;]+\.zip)/.exec(raw.toString('utf8'))?.[1];
    expect(attachment(a.raw)).not.toBe(attachment(b.raw));
  });

  it.each<[string | string[], string[]]>([
    ['a@example.test', ['a@example.test']],
    ['A <a@example.test>, b@example.test', ['a@example.test', 'b@example.test']],
    [['x@mail.example.test', 'Y <y@example.test>'], ['x@mail.example.test', 'y@example.test']],
  ])('parses %j', (list, addresses) => {
    expect(parseAddresses(list)).toEqual(addresses);
  });
});

describe('decideSend', () => {
  const key = 'g.60000.0';
  const policy = { initialDelayMs: 1_000, maxDelayMs: 8_000 };
  const failed = (failures: number, lastAttemptMs: number): SendRecord => ({ key, failures, lastAttemptMs, sentMs: null, providerMessageId: null, lastError: 'down' });
  const sent: SendRecord = { key, failures: 0, lastAttemptMs: 500, sentMs: 500, providerMessageId: 'ses-1', lastError: null };

  it.each<[string, boolean, SendRecord | undefined, number, SendDecision]>([
    ['not an alert', false, undefined, 0, { action: 'skip', reason: 'the window did not alert' }],
    ['never tried', true, undefined, 0, { action: 'send' }],
    ['already sent', true, sent, 10_000, { action: 'skip', reason: 'already sent at 1970-01-01T00:00:00.500Z' }],
    ['1 failure, too soon', true, failed(1, 10_000), 10_999, { action: 'wait', untilMs: 11_000 }],
    ['1 failure, due', true, failed(1, 10_000), 11_000, { action: 'send' }],
    ['3 failures wait 4 s', true, failed(3, 10_000), 13_000, { action: 'wait', untilMs: 14_000 }],
    ['10 failures wait at most 8 s', true, failed(10, 10_000), 17_999, { action: 'wait', untilMs: 18_000 }],
    ['10 failures, due', true, failed(10, 10_000), 18_000, { action: 'send' }],
  ])('%s', (_name, alert, record, now, decision) => {
    expect(decideSend({ alert }, record, now, policy)).toEqual(decision);
  });
});

describe('recordSend', () => {
  const key = 'g.60000.0';

  it('counts failures, then records the success, which later reports cannot undo', () => {
    const once = recordSend(undefined, key, 1_000, { ok: false, error: 'Throttling' });
    expect(once).toEqual({ key, failures: 1, lastAttemptMs: 1_000, sentMs: null, providerMessageId: null, lastError: 'Throttling' });
    const twice = recordSend(once, key, 3_000, { ok: false, error: 'timeout' });
    expect([twice.failures, twice.lastError]).toEqual([2, 'timeout']);
    const done = recordSend(twice, key, 7_000, { ok: true, providerMessageId: 'ses-42' });
    expect(done).toEqual({ key, failures: 0, lastAttemptMs: 7_000, sentMs: 7_000, providerMessageId: 'ses-42', lastError: null });
    expect(recordSend(done, key, 9_000, { ok: false, error: 'stale retry' })).toBe(done);
    expect(decideSend({ alert: true }, done, 9_000)).toMatchObject({ action: 'skip' });
  });

  it("refuses another key's record", () => {
    expect(() => recordSend(recordSend(undefined, 'a', 0, { ok: false, error: 'x' }), 'b', 1, { ok: false, error: 'x' })).toThrow('send record of a given for b');
    expect(() => recordSend(recordSend(undefined, 'g.60000.0', 0, { ok: false, error: 'x' }), 'g.logs.60000.60000', 1, { ok: false, error: 'x' })).toThrow('given for');
  });

  // A merge state written before keys named the topic holds failed attempts under the old key; they
  // must carry on (an Error here would stop every email of the stage on each retry).
  it('carries on a record stored under the key of the same window from before keys named the topic', () => {
    const key = idempotencyKey({ sizeMs: 60_000, startMs: 0 }, 'g', 'app.logs');
    expect(previousKeyOf(key)).toBe('g.60000.0');
    const old = recordSend(undefined, 'g.60000.0', 1_000, { ok: false, error: 'Throttling' });
    const next = recordSend(old, key, 3_000, { ok: false, error: 'timeout' });
    expect(next).toEqual({ key, failures: 2, lastAttemptMs: 3_000, sentMs: null, providerMessageId: null, lastError: 'timeout' });
    expect(recordSend(old, key, 4_000, { ok: true, providerMessageId: 'ses-1' })).toMatchObject({ key, sentMs: 4_000 });
  });
});
