import type { Message } from 'kafkajs';
import { recordBytesBound, requestEnds } from './publisher';

// kafkajs's own record encoder, to hold the bound against the bytes a record really takes.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (r: { key?: unknown; value: unknown; headers?: unknown; timestampDelta?: number; offsetDelta?: number }) => { buffer: Buffer };

const record = (valueBytes: number, extra: Partial<Message> = {}): Message => ({
  key: 'logs/app/host-1/LogFileGenerator.2026-11-26.log',
  value: Buffer.alloc(valueBytes, 'x'),
  headers: { bucket: 'b', key: 'logs/app/host-1/LogFileGenerator.2026-11-26.log', version: 'v1', line: '12345', level: 'ERROR', message: 'disk full', time: '1764151200000' },
  ...extra,
});

describe('recordBytesBound', () => {
  // The publisher cuts requests by this bound so that a record batch fits max.message.bytes (MSK Serverless: 8 MiB).
  it('is at least what kafkajs encodes, with multi-byte text, empty and array headers, a large offset and timestamp delta', () => {
    const cases: Message[] = [
      record(0),
      record(100),
      record(70_000),
      record(10, { key: 'ключ/日本語/😀'.repeat(40), headers: { message: 'Ошибка: диск полон 日本語 😀'.repeat(20), level: 'ERROR', flags: 'truncated,part=2' } }),
      record(10, { key: null, headers: { 'a-long-header-name': Array.from({ length: 100 }, () => ''), b: Buffer.from('xyz') } }),
      { value: 'plain string value é' },
    ];
    for (const m of cases) {
      const real = encodeRecord({ key: m.key, value: m.value, headers: m.headers, timestampDelta: 2 ** 40, offsetDelta: 99_999 }).buffer.length;
      expect(recordBytesBound(m)).toBeGreaterThanOrEqual(real);
    }
  });
});

describe('requestEnds', () => {
  it('cuts by record count alone when no byte budget is given', () => {
    const records = Array.from({ length: 2500 }, () => record(10));
    expect(requestEnds(records, 1000)).toEqual([1000, 2000, 2500]);
    expect(requestEnds([], 1000)).toEqual([]);
  });

  it('cuts by the byte budget too; a record over the budget goes alone; no request exceeds the budget otherwise', () => {
    const records = [record(400), record(400), record(400), record(5000), record(10), record(10)];
    const budget = recordBytesBound(record(400)) * 2;
    const ends = requestEnds(records, 1000, budget);
    expect(ends).toEqual([2, 3, 4, 6]);
    let from = 0;
    for (const end of ends) {
      const bytes = records.slice(from, end).reduce((n, m) => n + recordBytesBound(m), 0);
      if (end - from > 1) expect(bytes).toBeLessThanOrEqual(budget);
      from = end;
    }
  });

  it('applies the smaller of the two limits', () => {
    const records = Array.from({ length: 10 }, () => record(100));
    expect(requestEnds(records, 3, Number.MAX_SAFE_INTEGER)).toEqual([3, 6, 9, 10]);
    expect(requestEnds(records, 1000, recordBytesBound(records[0]) * 4)).toEqual([4, 8, 10]);
  });
});
