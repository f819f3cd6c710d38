import { KeyBuffers, librdkafkaProducerConfig, nulSafe, toLibrdkafkaHeaders } from './publisher-librdkafka';

describe('librdkafkaProducerConfig', () => {
  const connection = { 'bootstrap.servers': 'b:9092', 'client.id': 'logpipe-publisher' };

  it('is transactional, idempotent, acks=all, with the Java client\'s partitioner and no delivery reports', () => {
    expect(librdkafkaProducerConfig(connection, 'logpipe-ingest-x', { transactionTimeoutMs: 30_000 })).toMatchObject({
      'bootstrap.servers': 'b:9092',
      'transactional.id': 'logpipe-ingest-x',
      'enable.idempotence': true,
      acks: -1,
      'transaction.timeout.ms': 30_000,
      partitioner: 'murmur2_random',
      dr_cb: false,
    });
  });

  it('bounds batches and requests by the log topic\'s budget, within librdkafka\'s range', () => {
    const at = (maxRequestBytes?: number) => {
      const c = librdkafkaProducerConfig(connection, 't', { maxRequestBytes });
      return [c['batch.size'], c['message.max.bytes']];
    };
    expect(at(8_388_000)).toEqual([8_388_000, 8_388_000]);
    expect(at(500)).toEqual([500, 1000]);
    expect(at(5e9)).toEqual([1e9, 1e9]);
    expect(at(undefined)).toEqual([64 << 20, 64 << 20]);
    expect(at(Number.POSITIVE_INFINITY)).toEqual([64 << 20, 64 << 20]);
    expect(() => at(0)).toThrow(RangeError);
  });
});

// The binding copies string keys and header values as C strings: a NUL would cut them short.
describe('NUL-safe keys and headers', () => {
  it('nulSafe leaves plain strings alone and turns strings with a NUL into their UTF-8 bytes', () => {
    expect(nulSafe('app/web-1.log')).toBe('app/web-1.log');
    expect(nulSafe('\u0000barrier x')).toEqual(Buffer.from('\u0000barrier x'));
  });

  it('headers become one single-entry object per value, in order, arrays expanded, undefined skipped', () => {
    expect(toLibrdkafkaHeaders({ object: 's3://b/k\u0000', flags: 'truncated', many: ['a', Buffer.from('b')], none: undefined })).toEqual([
      { object: Buffer.from('s3://b/k\u0000') },
      { flags: 'truncated' },
      { many: 'a' },
      { many: Buffer.from('b') },
    ]);
    expect(toLibrdkafkaHeaders(undefined)).toBeUndefined();
  });

  it('KeyBuffers gives every key whole as bytes, one Buffer for a run of the same key', () => {
    const keys = new KeyBuffers();
    const a = keys.of('app/web-1.log');
    expect(keys.of('app/web-1.log')).toBe(a);
    expect(keys.of('\u0000barrier y')).toEqual(Buffer.from('\u0000barrier y'));
    expect(keys.of(null)).toBeNull();
    const bytes = Buffer.from('raw');
    expect(keys.of(bytes)).toBe(bytes);
  });
});
