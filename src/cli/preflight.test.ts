import { kafkaUnreachableMessage } from './preflight';

const plain = { ssl: { enabled: false, caFile: '', certFile: '', keyFile: '', keyPassword: '' }, sasl: { mechanism: 'none' as const, username: '', password: '', region: '' } };

describe('kafkaUnreachableMessage', () => {
  it('without TLS or SASL: the addresses, the reason and the fix, as before', () => {
    expect(kafkaUnreachableMessage(['b:9092'], 'ECONNREFUSED', plain)).toBe(
      'cannot reach Kafka at b:9092: ECONNREFUSED; check that the brokers are running and that kafka.brokers is right (--brokers or LOGPIPE_KAFKA_BROKERS); for the local stack run `npm run dev:up`',
    );
  });

  // A TLS client on a PLAINTEXT port (or the reverse) only sees the connection closed.
  it('with TLS or SASL: also says the brokers must be the matching listener', () => {
    const m = kafkaUnreachableMessage(['b:9092'], 'Closed connection', { ...plain, ssl: { ...plain.ssl, enabled: true }, sasl: { ...plain.sasl, mechanism: 'aws-msk-iam' } });
    expect(m).toContain('with kafka.ssl.enabled true and kafka.sasl.mechanism aws-msk-iam, the brokers must be those of the matching listener');
  });
});
