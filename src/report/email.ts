/**
 * The alert email of a window, and when to (re)send it. No transport here: the caller hands `raw` to
 * SES SendRawEmail, an SMTP relay or an outbox file.
 *
 * Delivery is at-least-once with a per-window idempotency key (DESIGN.md, "Delivery guarantees"):
 * the key is derived from the window, its log topic and the scope alone, so every attempt for a
 * window builds the same key and Message-ID, and a ledger of SendRecords keyed by it says whether
 * the window's email went out. A duplicate email needs a crash between the provider's acceptance and
 * the record of it; the shared Message-ID then lets mail clients and people recognise the resend.
 */
import addressparser from 'nodemailer/lib/addressparser';
import MailComposer from 'nodemailer/lib/mail-composer';
import { renderHtml, renderSubject, renderText, renderZip, reportFileNames, topicToken } from './render';
import type { AlertDecision } from './rules';
import type { WindowReport } from './window';

export interface AlertEmailInput {
  /** One address, plain or `Name <address>`. */
  from: string;
  /** At least one address. */
  to: string[];
  report: WindowReport;
  decision: AlertDecision;
  /** The Date header; pass the injected clock's time. */
  date: Date;
  /** Keeps keys of separate pipelines (e.g. consumer groups) apart; letters, digits, `_` and `-`. */
  scope: string;
  /** The log topic the window counts: one group may report several topics (see idempotencyKey). */
  topic: string;
}

export interface AlertEmail {
  /** The RFC 5322 message, ready for SendRawEmail or SMTP. */
  raw: Buffer;
  subject: string;
  /** `<key@sender-domain>`, the same for every attempt of the window. */
  messageId: string;
  idempotencyKey: string;
}

/** Header carrying the idempotency key, for transports and tests that look for it. */
export const IDEMPOTENCY_HEADER = 'X-Logpipe-Idempotency-Key';

const SCOPE = /^[A-Za-z0-9_-]+$/;

/**
 * The idempotency key of a window's email: `${scope}.${topicToken(topic)}.${sizeMs}.${startMs}`
 * (e.g. `logpipe-report.logpipe_2elines.60000.1795600800000`), also valid as the left-hand side of a
 * Message-ID and as a file name. None of its four parts holds a `.`, so distinct scopes, topics or
 * windows never share a key. Throws a RangeError for a scope outside
 * [A-Za-z0-9_-]+ or an empty topic.
 */
export function idempotencyKey(report: Pick<WindowReport, 'sizeMs' | 'startMs'>, scope: string, topic: string): string {
  if (!SCOPE.test(scope)) throw new RangeError(`email idempotency scope must match ${SCOPE.source}, got "${scope}"`);
  return `${scope}.${topicToken(topic)}.${report.sizeMs}.${report.startMs}`;
}

/**
 * The key the window had before keys named the topic (`${scope}.${sizeMs}.${startMs}`), or
 * undefined if `key` is not an idempotencyKey. A send record stored under it (a failed attempt
 * before an upgrade) belongs to the window still; see recordSend.
 */
export function previousKeyOf(key: string): string | undefined {
  const parts = key.split('.');
  return parts.length === 4 ? `${parts[0]}.${parts[2]}.${parts[3]}` : undefined;
}

/**
 * The bare addresses of an address list (`a@x, B <b@y>` or an array of such), in order. Throws a
 * RangeError naming the first entry that is not a single `local@domain` address; an empty list is an
 * error too.
 */
export function parseAddresses(list: string | string[]): string[] {
  const items = (Array.isArray(list) ? list : [list]).flatMap((item) => addressparser(item, { flatten: true }));
  if (items.length === 0) throw new RangeError('expected at least one email address');
  return items.map((a) => {
    if (!/^[^\s@<>()",;:]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(a.address)) {
      throw new RangeError(`"${a.address || a.name}" is not an email address (expected local@domain)`);
    }
    return a.address;
  });
}

/**
 * Builds the alert email: subject and bodies from render.ts, the zipped CSV and JSON report attached,
 * Message-ID and IDEMPOTENCY_HEADER from the window and its topic, so a resend is recognisable. Local
 * files and URLs are never read. Throws a RangeError for a bad address, scope or topic; rejects if
 * composing fails.
 */
export async function buildAlertEmail(input: AlertEmailInput): Promise<AlertEmail> {
  const [from] = parseAddresses(input.from);
  const to = parseAddresses(input.to);
  const key = idempotencyKey(input.report, input.scope, input.topic);
  const messageId = `<${key}@${from.slice(from.lastIndexOf('@') + 1)}>`;
  const subject = renderSubject(input.report);
  const zip = await renderZip(input.report, input.decision, input.topic);
  const raw = await new MailComposer({
    from: input.from,
    to,
    subject,
    date: input.date,
    messageId,
    headers: { [IDEMPOTENCY_HEADER]: key, 'X-Logpipe-Window': input.report.id },
    text: renderText(input.report, input.decision),
    html: renderHtml(input.report, input.decision),
    attachments: [{ filename: reportFileNames(input.report, input.topic).zip, content: zip, contentType: 'application/zip' }],
    disableFileAccess: true,
    disableUrlAccess: true,
  })
    .compile()
    .build();
  return { raw, subject, messageId, idempotencyKey: key };
}

/** What the ledger knows about one window's email; JSON-safe, stored under its key. */
export interface SendRecord {
  key: string;
  /** Failed attempts since the last success (0 once sent). */
  failures: number;
  lastAttemptMs: number | null;
  /** When the provider accepted the email; null until then. */
  sentMs: number | null;
  providerMessageId: string | null;
  lastError: string | null;
}

export interface RetryPolicy {
  /** Wait after the first failure; doubles per further failure. */
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = { initialDelayMs: 1_000, maxDelayMs: 60_000 };

export type SendDecision =
  | { action: 'send' }
  | { action: 'wait'; untilMs: number }
  | { action: 'skip'; reason: string };

/**
 * Whether to send a window's email now. Skips a window that did not alert or whose email the record
 * shows as sent; after failures waits initialDelayMs · 2^(failures − 1), at most maxDelayMs, from
 * the last attempt; otherwise sends. It never gives up: the email goes out once the provider is back.
 */
export function decideSend(decision: Pick<AlertDecision, 'alert'>, record: SendRecord | undefined, nowMs: number, policy: RetryPolicy = DEFAULT_RETRY_POLICY): SendDecision {
  if (!decision.alert) return { action: 'skip', reason: 'the window did not alert' };
  if (record?.sentMs != null) return { action: 'skip', reason: `already sent at ${new Date(record.sentMs).toISOString()}` };
  if (!record || record.failures === 0 || record.lastAttemptMs === null) return { action: 'send' };
  const delay = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (record.failures - 1));
  const untilMs = record.lastAttemptMs + delay;
  return nowMs >= untilMs ? { action: 'send' } : { action: 'wait', untilMs };
}

export type SendOutcome = { ok: true; providerMessageId: string | null } | { ok: false; error: string };

/**
 * The record after an attempt at `nowMs`. A success is final: a later failure report for the same key
 * (a stale retry) leaves a sent record as it is. A record under the window's key from before keys
 * named the topic (previousKeyOf) is carried on under the new key: a merge state written by an older
 * version must not stop its emails. Throws an Error if `previous` is another key's record.
 */
export function recordSend(previous: SendRecord | undefined, key: string, nowMs: number, outcome: SendOutcome): SendRecord {
  if (previous && previous.key !== key && previous.key !== previousKeyOf(key)) throw new Error(`send record of ${previous.key} given for ${key}`);
  const prev: SendRecord = !previous ? { key, failures: 0, lastAttemptMs: null, sentMs: null, providerMessageId: null, lastError: null } : previous.key === key ? previous : { ...previous, key };
  if (prev.sentMs !== null) return prev;
  if (outcome.ok) return { ...prev, failures: 0, lastAttemptMs: nowMs, sentMs: nowMs, providerMessageId: outcome.providerMessageId, lastError: null };
  return { ...prev, failures: prev.failures + 1, lastAttemptMs: nowMs, lastError: outcome.error };
}
