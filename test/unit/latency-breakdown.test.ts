/**
 * The bench's upload → email breakdown (bench/lib/latency-breakdown.ts): hops are differences of
 * consecutive marks, they add up to the measured latency, and marks of another object or window
 * are not taken.
 */
import { breakdown, HOPS, parseLog, type UploadMark } from '../../bench/lib/latency-breakdown';

const T0 = Date.UTC(2026, 11, 5, 18, 0, 0);
const KEY = 'latency/3/LogFileGenerator.2026-02-01.log';
const WINDOW = '60000@1769904180000';

function line(offsetMs: number, message: string, fields: Record<string, unknown> = {}): string {
  return JSON.stringify({ level: 'debug', message, timestamp: new Date(T0 + offsetMs).toISOString(), ...fields });
}

/** The entries of one object's path, with another object's and another window's entries between. */
function serviceLog(): string {
  return [
    line(-500, 'object queued', { object: 's3://b/latency/2/LogFileGenerator.2026-02-01.log' }),
    line(-400, 'log batch counted', { partition: 1 }),
    line(40, 'object queued', { object: `s3://b/${KEY}`, via: 'sqs' }),
    line(90, 'object begun', { object: `s3://b/${KEY}`, id: `t/b/${KEY}@v1` }),
    line(100, 'object first bytes', { object: `s3://b/${KEY}` }),
    line(130, 'batch committed', { object: `t/b/${KEY}@v1`, status: 'in-progress', ms: 10 }),
    'not json: a stack trace line',
    line(200, 'batch committed', { object: `t/b/${KEY}@v1`, status: 'done', ms: 50 }),
    line(190, 'log batch counted', { partition: 4, ms: 30 }),
    line(205, 'object ingested', { object: `s3://b/${KEY}` }),
    line(700, 'partial committed', { partition: 9, windows: ['60000@1769904120000'], idle: true }),
    line(1210, 'partial committed', { partition: 4, windows: [WINDOW], idle: true }),
    line(1300, 'window reported', { window: WINDOW }),
    line(1310, 'alert email sending', { window: WINDOW }),
    line(1340, 'alert email sent', { window: WINDOW }),
  ].join('\n');
}

describe('upload → email breakdown', () => {
  const mark: UploadMark = { key: KEY, windowId: WINDOW, t0Ms: T0, seenMs: T0 + 1370 };

  it('splits the latency into hops that add up to it', () => {
    const b = breakdown(parseLog(serviceLog()), mark);
    if (!b.ok) throw new Error(b.missing);
    expect(b.hops).toEqual({
      'SQS wait': 40,
      'claim + start': 50,
      GetObject: 10,
      'parse + produce': 50,
      commit: 50,
      // Fetched before the publisher logged its commit's end: the hop is negative, the sum still exact.
      'consumer fetch': -40,
      'count transaction': 30,
      'window close': 1020,
      'report transaction': 90,
      'email outbox': 10,
      'SES call': 30,
      'bench poll': 30,
    });
    expect(HOPS.reduce((s, h) => s + b.hops[h], 0)).toBe(1370);
  });

  it('names the first mark it cannot find', () => {
    const text = serviceLog().split('\n').filter((l) => !l.includes('"window reported"')).join('\n');
    expect(breakdown(parseLog(text), mark)).toEqual({ ok: false, missing: 'window reported' });
  });
});
