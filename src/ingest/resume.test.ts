/**
 * Resuming an object from a committed batch, as ingest does after a crash: the progress of every
 * batch (byte offset, lines, entries, parser checkpoint, persisted as JSON in the progress topic) must
 * let a new LineStreamer continue so that the records of the resumed run equal those of one
 * uninterrupted run — values, levels, flags, line numbers and event times.
 */
import fc from 'fast-check';
import type { Message } from 'kafkajs';
import { type Batch, LineStreamer, type ObjectContext, type ResumePoint, type StreamerOptions } from './streamer';

const ctx = (name: string, lastModifiedMs: number): ObjectContext => ({
  source: 'logs/app.log',
  headers: { object: 's3://b/logs/app.log#v1' },
  name,
  lastModifiedMs,
});

interface Row {
  key: string;
  value: string;
  timestamp: string;
  headers: Record<string, string>;
}

const rows = (batches: Batch[]): Row[] =>
  batches.flatMap((b) =>
    b.records.map((r: Message) => ({
      key: String(r.key),
      value: (r.value as Buffer).toString('utf8'),
      timestamp: String(r.timestamp),
      headers: r.headers as Record<string, string>,
    })),
  );

async function stream(object: ObjectContext, bytes: Buffer, options: StreamerOptions, chunk: number, resume?: ResumePoint): Promise<Batch[]> {
  const batches: Batch[] = [];
  const s = new LineStreamer(object, options, async (b) => void batches.push(b), resume);
  const from = resume?.byteOffset ?? 0;
  for (let i = from; i < bytes.length; i += chunk) await s.push(bytes.subarray(i, Math.min(bytes.length, i + chunk)));
  await s.end();
  return batches;
}

const word = fc.string({ unit: fc.constantFrom(...'abcdefxyz0123 .:$'.split('')), maxLength: 24 });
const entry = fc.record({
  /** From the latest time so far: up to 10 minutes back (out of order), or on, past midnights. */
  stepMs: fc.integer({ min: -600_000, max: 3_600_000 }),
  level: fc.constantFrom('INFO', 'ERROR', 'WARN', 'DEBUG', 'NOISE'),
  message: word,
  /** Stack frames: a long trace is split into parts when it outgrows maxEntryBytes. */
  frames: fc.array(word, { maxLength: 40 }),
  /** A line without a time after the entry (UNPARSED with multiline off, else part of the entry). */
  untimed: fc.option(word, { freq: 4, nil: undefined }),
});

/**
 * An object of log entries (some with long stack traces), possibly after lines without a time (a
 * banner, held back until the first timed entry, or long enough to outgrow the bound), named for a
 * date or dated by LastModified, in a zone that may change its offset.
 */
const object = fc
  .record({
    zone: fc.constantFrom('UTC', 'Europe/Berlin', 'Australia/Lord_Howe', 'America/Santiago'),
    startMs: fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2027, 0, 1) }),
    /** The first line in the last 15 minutes of a day: a daily file's start held until a line passes midnight. */
    lateStart: fc.option(fc.integer({ min: 1, max: 900_000 }), { nil: undefined }),
    named: fc.boolean(),
    uploadDelayMs: fc.integer({ min: -3_600_000, max: 86_400_000 }),
    banner: fc.array(word, { maxLength: 12 }),
    entries: fc.array(entry, { minLength: 1, maxLength: 25 }),
    crlf: fc.boolean(),
  })
  .map(({ zone, startMs: start, lateStart, named, uploadDelayMs, banner, entries, crlf }) => {
    const lines = [...banner.map((w) => `banner ${w}`)];
    const startMs = lateStart === undefined ? start : start - (Date.parse(`1970-01-01T${wallClock(zone, start)}Z`) as number) + 86_400_000 - lateStart;
    let latest = startMs;
    for (const [i, e] of entries.entries()) {
      const t = i === 0 ? startMs : latest + e.stepMs;
      latest = Math.max(latest, t);
      lines.push(`${wallClock(zone, t)} [main] ${e.level} a.B - ${e.message}`, ...e.frames.map((f) => `\tat ${f}`));
      if (e.untimed !== undefined) lines.push(`no time ${e.untimed}`);
    }
    const name = named ? `logs/LogFileGenerator.${new Date(startMs).toISOString().slice(0, 10)}.log` : 'logs/app.log';
    return { zone, bytes: Buffer.from(lines.join(crlf ? '\r\n' : '\n') + '\n'), context: ctx(name, latest + uploadDelayMs) };
  });

const formats = new Map<string, Intl.DateTimeFormat>();
/** HH:mm:ss.SSS in `zone`. */
function wallClock(zone: string, utcMs: number): string {
  let f = formats.get(zone);
  if (!f) formats.set(zone, (f = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit', second: '2-digit' })));
  return `${f.format(new Date(utcMs))}.${String(((utcMs % 1000) + 1000) % 1000).padStart(3, '0')}`;
}

const settings = fc.record({
  multiline: fc.boolean(),
  maxEntryBytes: fc.integer({ min: 20, max: 300 }),
  batchMaxRecords: fc.integer({ min: 1, max: 5 }),
  batchMaxBytes: fc.integer({ min: 30, max: 4000 }),
  chunk: fc.integer({ min: 1, max: 200 }),
});

describe('resuming an object from any committed batch', () => {
  // Issue 14 item 4: a checkpoint cut inside an entry split into parts forgot the part in progress,
  // and the resumed run turned the rest of the stack trace into UNPARSED records that counted.
  // Issue 15: a resumed object must get the same event times (dates of time-of-day lines, times
  // inherited by entries without one, entries held back before the first timed entry).
  it('gives the records of one uninterrupted run (long entries split into parts, batch boundaries anywhere)', async () => {
    await fc.assert(
      fc.asyncProperty(object, settings, async ({ zone, bytes, context }, s) => {
        const options: StreamerOptions = {
          parser: { format: 'logback', zone, multiline: s.multiline, maxEntryBytes: s.maxEntryBytes },
          maxLineBytes: 1024,
          batchMaxRecords: s.batchMaxRecords,
          batchMaxBytes: s.batchMaxBytes,
          maxInFlight: 2,
        };
        const whole = await stream(context, bytes, options, s.chunk);
        const all = rows(whole);
        for (let i = 0; i < whole.length - 1; i++) {
          const b = whole[i];
          // The progress record holds the checkpoint as JSON.
          const resume: ResumePoint = JSON.parse(JSON.stringify({ byteOffset: b.byteOffset, lines: b.lines, entries: b.entries, parser: b.parser }));
          const rest = await stream(context, bytes, options, s.chunk, resume);
          expect([...rows(whole.slice(0, i + 1)), ...rows(rest)]).toEqual(all);
          expect(rest[rest.length - 1]).toMatchObject({ byteOffset: bytes.length, lines: whole[whole.length - 1].lines, entries: whole[whole.length - 1].entries });
        }
      }),
      // A failure's shrinking is cut short after 30 s; the seed is printed either way.
      { numRuns: 100, interruptAfterTimeLimit: 30_000 },
    );
  });
});
