import { decodeS3Key, KeyDecodeError, parseS3Event } from './s3-event';

/** An ObjectCreated record as S3 delivers it, with the key already encoded as in real events. */
function record(bucket: string, encodedKey: string, eventName = 'ObjectCreated:Put'): Record<string, unknown> {
  return { eventSource: 'aws:s3', eventName, s3: { bucket: { name: bucket }, object: { key: encodedKey, versionId: 'v1' } } };
}

describe('decodeS3Key', () => {
  // S3 form-encodes keys in events; decoding them as plain percent-encoding would keep `+` for spaces.
  it.each([
    ['logs/LogFileGenerator.2024-05-01.log', 'logs/LogFileGenerator.2024-05-01.log'],
    ['a+b', 'a b'],
    ['a%2Bb', 'a+b'],
    ['caf%C3%A9+%E2%9C%93', 'café ✓'],
    ['%27%3B%24%28touch+x%29', "';$(touch x)"],
    ['line%0Anext', 'line\nnext'],
    ['%25', '%'],
  ])('decodes %s', (raw, expected) => {
    expect(decodeS3Key(raw)).toBe(expected);
  });

  it.each([['%'], ['%E0%A4%A'], ['%ZZ'], ['%C3']])('throws KeyDecodeError for malformed %s', (raw) => {
    expect(() => decodeS3Key(raw)).toThrow(KeyDecodeError);
  });
});

describe('parseS3Event', () => {
  // The original Lambda read only Records[0]; every record must be handled.
  it('returns every record, in order, with decoded keys', () => {
    const parsed = parseS3Event({ Records: [record('bucket-a', 'one+1.log'), record('bucket-b', 'two%2F2.log', 'ObjectCreated:CompleteMultipartUpload')] });
    expect(parsed).toEqual([
      { index: 0, kind: 'object', eventName: 'ObjectCreated:Put', bucket: 'bucket-a', key: 'one 1.log', versionId: 'v1' },
      { index: 1, kind: 'object', eventName: 'ObjectCreated:CompleteMultipartUpload', bucket: 'bucket-b', key: 'two/2.log', versionId: 'v1' },
    ]);
  });

  it('skips the s3:TestEvent sent when a notification is configured', () => {
    const testEvent = { Service: 'Amazon S3', Event: 's3:TestEvent', Time: '2024-05-01T00:00:00.000Z', Bucket: 'bucket-a', RequestId: 'R', HostId: 'H' };
    expect(parseS3Event(testEvent)).toEqual([{ index: 0, kind: 'skipped', reason: 'S3 test event', eventName: 's3:TestEvent' }]);
  });

  it('skips records that are not ObjectCreated, with the reason, and keeps the others', () => {
    const parsed = parseS3Event({ Records: [record('bucket-a', 'gone.log', 'ObjectRemoved:Delete'), record('bucket-a', 'new.log')] });
    expect(parsed[0]).toEqual({ index: 0, kind: 'skipped', reason: 'not an ObjectCreated event', eventName: 'ObjectRemoved:Delete' });
    expect(parsed[1]).toMatchObject({ index: 1, kind: 'object', key: 'new.log' });
  });

  it('skips records from other sources', () => {
    expect(parseS3Event({ Records: [{ eventSource: 'aws:sqs', eventName: 'ObjectCreated:Put' }] })[0]).toMatchObject({ kind: 'skipped', reason: expect.stringContaining('not an S3 record') });
  });

  // A malformed key is that record's permanent error; the records beside it still go through.
  it('marks a record with a malformed key invalid without losing the others', () => {
    const parsed = parseS3Event({ Records: [record('bucket-a', 'bad%E0%A4%A'), record('bucket-a', 'good.log')] });
    expect(parsed[0]).toEqual({ index: 0, kind: 'invalid', bucket: 'bucket-a', rawKey: 'bad%E0%A4%A', reason: expect.stringContaining('not valid percent-encoded UTF-8') });
    expect(parsed[1]).toMatchObject({ kind: 'object', key: 'good.log' });
  });

  it.each([
    ['not an object', 'just text', 'event is not a JSON object'],
    ['no Records', {}, 'event has no Records array'],
    ['a record that is not an object', { Records: [null] }, 'record is not a JSON object'],
    ['no bucket', { Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { object: { key: 'k' } } }] }, 'record has no s3.bucket.name'],
    ['no key', { Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'b' } } }] }, 'record has no s3.object.key'],
  ])('reports %s as invalid', (_what, event, reason) => {
    expect(parseS3Event(event)).toEqual([expect.objectContaining({ index: 0, kind: 'invalid', reason })]);
  });
});
