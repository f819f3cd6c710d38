/**
 * Where the time between an upload and its alert email goes, from the structured log of the
 * `logpipe start` that handled it (log level debug, JSON lines). Pure: the bench reads the log file
 * and hands the entries here.
 *
 * One object's path, each mark the first matching log entry after the previous one:
 *
 *   PutObject (the bench's clock, t0)
 *   → `object queued`       (the SQS source received the notification)          hop: SQS wait
 *   → `object begun`        (HEAD, the ledger's claim, the start record)          hop: claim + start
 *   → `object first bytes`  (GetObject answered)                                  hop: GetObject
 *   → the last `batch committed` minus its `ms` (the lines parsed, records built)  hop: parse + produce
 *   → that `batch committed` (its transaction)                                    hop: commit
 *   → `log batch counted` minus its `ms` (the report stage fetched the lines)      hop: consumer fetch
 *   → that `log batch counted` (counted, in the partition's transaction)          hop: count transaction
 *   → `partial committed`   (idle or closed, naming the window)                   hop: window close
 *   → `window reported`     (the merge task's report transaction)                 hop: report transaction
 *   → `alert email sending` (the outbox took the email)                           hop: email outbox
 *   → `alert email sent`    (the provider answered)                               hop: SES call
 *   → the bench saw the email at the SES emulator (its own clock, polled)         hop: bench poll
 *
 * The hops add up to the measured latency exactly (each is a difference of consecutive marks). The
 * objects are uploaded one at a time, so "after the previous mark" cannot pick another object's entry
 * for the marks that do not name the object (`log batch counted`). Log timestamps have millisecond
 * resolution and come from the same machine's clock as the bench's.
 */

/** One parsed JSON log line of the service (the fields used here). */
export interface LogEntry {
  timeMs: number;
  message: string;
  fields: Record<string, unknown>;
}

/** What the bench knows of one uploaded object. */
export interface UploadMark {
  /** The object key (matched inside the entries' `object` / `id` fields). */
  key: string;
  /** The window id of its lines (`<size>@<start>`), named by the report stage's entries. */
  windowId: string;
  /** Just before PutObject. */
  t0Ms: number;
  /** When the bench first saw the email. */
  seenMs: number;
}

export const HOPS = ['SQS wait', 'claim + start', 'GetObject', 'parse + produce', 'commit', 'consumer fetch', 'count transaction', 'window close', 'report transaction', 'email outbox', 'SES call', 'bench poll'] as const;
export type Hop = (typeof HOPS)[number];

/** One object's hops in ms, or the first mark that was not found. */
export type Breakdown = { ok: true; hops: Record<Hop, number> } | { ok: false; missing: string };

/** Parses the service's JSON log lines; other lines (a crash's stack trace) are skipped. */
export function parseLog(text: string): LogEntry[] {
  const out: LogEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    const timeMs = typeof o.timestamp === 'string' ? Date.parse(o.timestamp) : NaN;
    if (typeof o.message !== 'string' || Number.isNaN(timeMs)) continue;
    out.push({ timeMs, message: o.message, fields: o });
  }
  return out;
}

const names = (e: LogEntry, key: string): boolean => [e.fields.object, e.fields.id].some((v) => typeof v === 'string' && v.includes(key));
const windows = (e: LogEntry): string[] => (Array.isArray(e.fields.windows) ? (e.fields.windows as unknown[]).map(String) : typeof e.fields.window === 'string' ? [e.fields.window] : []);

/** The hops of one object; entries in log order. */
export function breakdown(entries: LogEntry[], u: UploadMark): Breakdown {
  let at = u.t0Ms;
  // The first entry at or after the previous mark that matches; entries of one millisecond may be
  // logged in either order by different actors, hence "at or after".
  const next = (what: string, match: (e: LogEntry) => boolean): LogEntry | string => {
    const e = entries.find((x) => x.timeMs >= at && match(x));
    if (!e) return what;
    at = e.timeMs;
    return e;
  };
  const marks: number[] = [u.t0Ms];
  const queued = next('object queued', (e) => e.message === 'object queued' && names(e, u.key));
  if (typeof queued === 'string') return { ok: false, missing: queued };
  marks.push(queued.timeMs);
  const begun = next('object begun', (e) => e.message === 'object begun' && names(e, u.key));
  if (typeof begun === 'string') return { ok: false, missing: begun };
  marks.push(begun.timeMs);
  const first = next('object first bytes', (e) => e.message === 'object first bytes' && names(e, u.key));
  if (typeof first === 'string') return { ok: false, missing: first };
  marks.push(first.timeMs);
  // The object's last transaction: the one that marked it done.
  const done = entries.find((e) => e.timeMs >= at && e.message === 'batch committed' && names(e, u.key) && e.fields.status !== 'in-progress');
  if (!done) return { ok: false, missing: 'batch committed (done)' };
  const commitMs = typeof done.fields.ms === 'number' ? done.fields.ms : 0;
  marks.push(Math.max(at, done.timeMs - commitMs), done.timeMs);
  at = done.timeMs - commitMs;
  const counted = next('log batch counted', (e) => e.message === 'log batch counted');
  if (typeof counted === 'string') return { ok: false, missing: counted };
  const countMs = typeof counted.fields.ms === 'number' ? counted.fields.ms : 0;
  marks.push(counted.timeMs - countMs, counted.timeMs);
  for (const [what, match] of [
    ['partial committed', (e: LogEntry) => e.message === 'partial committed' && windows(e).includes(u.windowId)],
    ['window reported', (e: LogEntry) => e.message === 'window reported' && windows(e).includes(u.windowId)],
    ['alert email sending', (e: LogEntry) => e.message === 'alert email sending' && windows(e).includes(u.windowId)],
    ['alert email sent', (e: LogEntry) => e.message === 'alert email sent' && windows(e).includes(u.windowId)],
  ] as const) {
    const e = next(what, match);
    if (typeof e === 'string') return { ok: false, missing: e };
    marks.push(e.timeMs);
  }
  marks.push(u.seenMs);
  const hops = {} as Record<Hop, number>;
  HOPS.forEach((h, i) => (hops[h] = marks[i + 1] - marks[i]));
  return { ok: true, hops };
}
