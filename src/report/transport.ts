/**
 * Transports that hand an AlertEmail's raw message to a provider: SES SendRawEmail, an SMTP relay, or
 * an outbox directory of `.eml` files.
 *
 * Contract of every transport:
 * - `send` never throws or rejects. A failure comes back as `{ ok: false, error, transient }`: `error`
 *   names the transport (its describe()), the email's idempotency key and the recipients; `transient`
 *   says whether a later attempt may succeed (network trouble, throttling, SMTP 4xx) or not (SMTP 5xx,
 *   SES MessageRejected or a bad parameter, an unwritable outbox).
 * - No message and no describe() ever shows credentials: user and password of an SMTP URL are left out.
 * - `send` after `close` fails, permanently.
 * - The envelope, not the message's headers, decides who receives the email (SES Destinations, SMTP
 *   RCPT TO); the file transport keeps only the message.
 *
 * An SMTP relay that accepts some recipients and rejects others has taken the email: that is a success
 * (retrying would send it again to those who got it).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { type SESClient, SendRawEmailCommand } from '@aws-sdk/client-ses';
import { createTransport } from 'nodemailer';
import { isRetriable, isRetriableFileError, reasonOf } from '../system/errors/errors';
import type { AlertEmail } from './email';

export type TransportKind = 'ses' | 'smtp' | 'file';

/** Bare addresses (`local@domain`), as parseAddresses returns them. */
export interface Envelope {
  from: string;
  to: string[];
}

export type TransportOutcome = { ok: true; providerMessageId: string | null } | { ok: false; error: string; transient: boolean };

export interface EmailTransport {
  readonly kind: TransportKind;
  send(email: AlertEmail, envelope: Envelope): Promise<TransportOutcome>;
  /** Releases what the transport holds; a client handed in by the caller stays open. */
  close(): Promise<void>;
  /** Where the email goes, e.g. `smtp smtp://relay.example:587`; never credentials. */
  describe(): string;
}

/** Drops the `user:pass@` part of every URL in `text`. */
function stripUserInfo(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*@/gi, '$1');
}

/** `value` with the password of a (possibly malformed) URL replaced by `***`, for error messages. */
function redactPassword(value: string): string {
  return value.replace(/^((?:[^:/?#\s]+:\/\/)?[^:@/\s]*):.*@/, '$1:***@');
}

/**
 * What a transport does on its own; guardedTransport adds what every transport shares. `deliver` hands
 * the email to the provider and resolves with the provider's message id, or rejects (or throws).
 */
interface TransportCore {
  kind: TransportKind;
  /** describe()'s text; never credentials. */
  name: string;
  deliver(email: AlertEmail, envelope: Envelope): Promise<string | null>;
  /** Releases what the core holds; called once, by the first close(), after which deliver is never called. */
  release?: () => void | Promise<void>;
  /** Whether a failure of deliver may succeed on a later attempt. Default: isRetriable. */
  retriable?: (err: unknown) => boolean;
  /** A failure's reason in the outcome. Default: reasonOf. */
  reason?: (err: unknown) => string;
  /** Removes secrets the error text may hold. */
  scrub?: (text: string) => string;
}

/**
 * The one base of the transports: the closed flag, the refusal of an envelope without recipients, the
 * never-throw guarantee and the wording of failures (see the contract at the top of this file).
 */
function guardedTransport(core: TransportCore): EmailTransport {
  const { kind, name, deliver, release, retriable = isRetriable, reason = reasonOf, scrub = (t: string) => t } = core;
  let closed = false;
  return {
    kind,
    describe: () => name,
    close: async () => {
      if (closed) return;
      closed = true;
      await release?.();
    },
    send: async (email, envelope) => {
      const fail = (why: string, transient: boolean): TransportOutcome => {
        const to = envelope?.to?.length ? envelope.to.join(', ') : '(no recipients)';
        return { ok: false, error: stripUserInfo(scrub(`${name}: sending ${email?.idempotencyKey} to ${to} failed: ${why}`)), transient };
      };
      if (closed) return fail('the transport is closed', false);
      if (!envelope?.to?.length) return fail('the envelope has no recipients', false);
      try {
        return { ok: true, providerMessageId: await deliver(email, envelope) };
      } catch (err) {
        return fail(reason(err), retriable(err));
      }
    },
  };
}

/**
 * Sends through SES SendRawEmail: Source and Destinations from the envelope, the message as is. The
 * client belongs to the caller: close() leaves it open. `describeEndpoint` is what describe() shows
 * (the endpoint URL, or "" for the AWS default).
 */
export function sesTransport(client: SESClient, describeEndpoint: string): EmailTransport {
  return guardedTransport({
    kind: 'ses',
    name: describeEndpoint ? `ses at ${stripUserInfo(describeEndpoint)}` : 'ses',
    deliver: async (email, envelope) => {
      const out = await client.send(new SendRawEmailCommand({ Source: envelope.from, Destinations: [...envelope.to], RawMessage: { Data: email.raw } }));
      return out.MessageId ?? null;
    },
    // MessageRejected, InvalidParameterValue and the like come with HTTP 400: permanent (isRetriable).
  });
}

/** A nodemailer error as `CODE (ORIGINAL): message`, e.g. `ESOCKET (ECONNREFUSED): connect ECONNREFUSED 127.0.0.1:2525`. */
function smtpReason(err: unknown): string {
  const e = err as { code?: string; originalCode?: string; message?: string } | null;
  if (!e?.code) return reasonOf(err);
  return `${e.code}${e.originalCode ? ` (${e.originalCode})` : ''}: ${e.message ?? String(err)}`;
}

/**
 * Sends through an SMTP relay with nodemailer: `smtp://` (STARTTLS when offered) or `smtps://` (TLS),
 * with `user:pass@` for AUTH. Each send opens its own connection; `timeoutMs` (default 30 s) bounds
 * connecting, the greeting and every wait for the server. providerMessageId is the relay's final
 * reply (e.g. `250 2.0.0 Ok: queued as 4F1B2C`): SMTP has no message id field, relays put theirs there.
 *
 * A URL with credentials requires TLS: `smtps://`, or `smtp://` whose relay accepts STARTTLS before
 * anything else is sent. A relay that does not (or someone on the path who strips STARTTLS from its
 * answer) gets no AUTH: the send fails permanently, saying so. `allowInsecureAuth`
 * (report.smtpAllowInsecureAuth) turns that off, for a relay on a trusted network that has no TLS.
 * Without credentials, `smtp://` still upgrades when the relay offers STARTTLS and goes on in plain
 * text when it does not (nothing secret travels; the message itself is as private as the relay).
 * Throws an Error, with the password redacted, for a URL that is not smtp: or smtps: with a host.
 */
export function smtpTransport(options: { url: string; timeoutMs?: number; allowInsecureAuth?: boolean }): EmailTransport {
  const { url, timeoutMs = 30_000, allowInsecureAuth = false } = options;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`smtp transport: "${redactPassword(String(url))}" is not a URL (expected smtp://[user:pass@]host[:port] or smtps://…)`);
  }
  if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') {
    throw new Error(`smtp transport: "${redactPassword(url)}" has protocol ${parsed.protocol}, expected smtp: or smtps:`);
  }
  if (!parsed.hostname) throw new Error(`smtp transport: "${redactPassword(url)}" names no host`);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new Error(`smtp transport: timeoutMs must be a positive number, got ${timeoutMs}`);

  const name = `smtp ${parsed.protocol}//${parsed.host}`;
  // Even a short password is masked wherever it occurs: a garbled message beats a leaked secret.
  const secrets = [parsed.password, safeDecode(parsed.password)].filter((s) => s.length > 0);
  const scrub = (text: string): string => secrets.reduce((t, s) => t.split(s).join('***'), text);
  const hasCredentials = parsed.username !== '' || parsed.password !== '';
  // requireTLS: nodemailer sends STARTTLS whether or not it is advertised and stops when it fails,
  // before AUTH. smtps: is TLS from the first byte and needs nothing more.
  const requireTls = hasCredentials && !allowInsecureAuth && parsed.protocol === 'smtp:';
  const transporter = createTransport({ url, connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs, ...(requireTls ? { requireTLS: true } : {}) });
  const reason = (err: unknown): string => {
    const code = (err as { code?: string } | null)?.code;
    if (requireTls && code === 'ETLS') {
      return (
        `the relay did not start TLS (STARTTLS) and report.smtpUrl carries credentials, which are never sent in cleartext: ` +
        `use a relay that offers STARTTLS, or smtps:// (TLS from the start), or set report.smtpAllowInsecureAuth=true for a trusted network without TLS (${smtpReason(err)})`
      );
    }
    return smtpReason(err);
  };
  return guardedTransport({
    kind: 'smtp',
    name,
    deliver: async (email, envelope) => {
      const info = await transporter.sendMail({ envelope: { from: envelope.from, to: [...envelope.to] }, raw: email.raw });
      return info.response?.trim() || null;
    },
    release: () => transporter.close(),
    // The SMTP reply code decides (4xx transient, 5xx permanent), else whether the connection failed
    // (isRetriable). A relay without TLS will not grow it by the next attempt: ETLS is permanent.
    reason,
    scrub,
  });
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

const FILE_KEY = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/;

/**
 * Writes each email to `<dir>/<idempotencyKey>.eml` (creating `dir` as needed): to a temporary file in
 * `dir`, flushed to disk, then renamed over the target, so a reader never sees a partial file. A resend
 * of the same key replaces the file. providerMessageId is the file's path. Unwritable paths (EACCES,
 * EROFS, ENOTDIR, …) fail permanently; a full disk or too many open files transiently. Throws an Error
 * for an empty `dir`.
 */
export function fileTransport(dir: string): EmailTransport {
  if (typeof dir !== 'string' || dir.trim() === '') throw new Error('file transport: the outbox directory must not be empty');
  const root = path.resolve(dir);
  const name = `file ${root}`;
  return guardedTransport({
    kind: 'file',
    name,
    deliver: async (email) => {
      // The key becomes a file name: nothing that could leave the directory.
      if (!FILE_KEY.test(email.idempotencyKey)) throw new Error(`idempotency key "${email.idempotencyKey}" is not a safe file name`);
      const target = path.join(root, `${email.idempotencyKey}.eml`);
      const temp = path.join(root, `.${email.idempotencyKey}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
      await mkdir(root, { recursive: true });
      try {
        const handle = await open(temp, 'wx');
        try {
          await handle.writeFile(email.raw);
          await handle.sync();
        } finally {
          await handle.close();
        }
        await rename(temp, target);
      } catch (err) {
        await unlink(temp).catch(() => undefined);
        throw err;
      }
      await syncDirectory(root);
      return target;
    },
    // A full disk or too many open files may clear; an unwritable path will not.
    retriable: isRetriableFileError,
  });
}

/**
 * Flushes the directory entry of the rename, so the file survives a power loss once send succeeded.
 * Best effort: some platforms cannot open a directory, and the file itself is already on disk.
 */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  if (!handle) return;
  await handle.sync().catch(() => undefined);
  await handle.close().catch(() => undefined);
}
