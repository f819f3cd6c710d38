import { LINGER_MS, librdkafkaProducerConfig } from './publisher-librdkafka';

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

  // The commit flushes the queue at once, so a transaction's records may linger to fill batches.
  it('lingers to fill batches: the commit sends what is queued at once', () => {
    expect(librdkafkaProducerConfig(connection, 't')['linger.ms']).toBe(LINGER_MS);
    expect(LINGER_MS).toBeGreaterThan(5);
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
