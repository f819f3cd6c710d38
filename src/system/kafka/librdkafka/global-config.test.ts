import type { KafkaSecurityDeps } from '../../config/kafka-security';
import { librdkafkaGlobalConfig, type LibrdkafkaConnectionConfig, type OauthbearerToken } from './global-config';

const BASE: LibrdkafkaConnectionConfig = {
  brokers: ['b1:9092', 'b2:9092'],
  clientId: 'logpipe',
  connectionTimeoutMs: 3000,
  requestTimeoutMs: 30_000,
  ssl: { enabled: false, caFile: '', certFile: '', keyFile: '', keyPassword: '' },
  sasl: { mechanism: 'none', username: '', password: '', region: '' },
};

function kafka(over: { ssl?: Partial<LibrdkafkaConnectionConfig['ssl']>; sasl?: Partial<LibrdkafkaConnectionConfig['sasl']>; rest?: Partial<LibrdkafkaConnectionConfig> }): LibrdkafkaConnectionConfig {
  return { ...BASE, ...over.rest, ssl: { ...BASE.ssl, ...over.ssl }, sasl: { ...BASE.sasl, ...over.sasl } };
}

const FILES: Record<string, string> = { '/ca.pem': 'CA PEM', '/c.pem': 'CERT', '/k.pem': 'KEY' };
const deps = (over: Partial<KafkaSecurityDeps> = {}): KafkaSecurityDeps => ({
  readFile: (file) => {
    if (!(file in FILES)) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${file}'`), { code: 'ENOENT' });
    return Buffer.from(FILES[file]);
  },
  awsRegion: 'us-east-1',
  mskIamToken: async () => ({ token: 'unused', expiryTime: 0 }),
  ...over,
});

// The config → librdkafka table: the same settings mean the same connection as kafkaSecurityOptions gives kafkajs.
describe('librdkafkaGlobalConfig', () => {
  it('plaintext: brokers, client id with its suffix, timeouts, log level', () => {
    expect(librdkafkaGlobalConfig(BASE, deps(), { clientIdSuffix: '-publisher', logLevel: 'info' })).toEqual({
      'bootstrap.servers': 'b1:9092,b2:9092',
      'client.id': 'logpipe-publisher',
      'socket.connection.setup.timeout.ms': 3000,
      'socket.timeout.ms': 30_000,
      log_level: 6,
      'security.protocol': 'plaintext',
    });
  });

  it('keeps timeouts inside librdkafka\'s ranges (it refuses a connection timeout under 1 s)', () => {
    const out = librdkafkaGlobalConfig(kafka({ rest: { connectionTimeoutMs: 200, requestTimeoutMs: 900_000 } }), deps());
    expect([out['socket.connection.setup.timeout.ms'], out['socket.timeout.ms']]).toEqual([1000, 300_000]);
  });

  it('TLS with the system roots: verified, host name checked, roots probed (a static binary has no default path)', () => {
    expect(librdkafkaGlobalConfig(kafka({ ssl: { enabled: true } }), deps())).toMatchObject({
      'security.protocol': 'ssl',
      'ssl.ca.location': 'probe',
      'enable.ssl.certificate.verification': true,
      'ssl.endpoint.identification.algorithm': 'https',
    });
  });

  it('TLS with a CA file, a client certificate and an encrypted key: PEM contents read now, only that CA trusted', () => {
    const out = librdkafkaGlobalConfig(kafka({ ssl: { enabled: true, caFile: '/ca.pem', certFile: '/c.pem', keyFile: '/k.pem', keyPassword: 'pass' } }), deps());
    expect(out).toMatchObject({ 'ssl.ca.pem': 'CA PEM', 'ssl.certificate.pem': 'CERT', 'ssl.key.pem': 'KEY', 'ssl.key.password': 'pass' });
    expect(out).not.toHaveProperty('ssl.ca.location');
  });

  it('an unreadable file fails with the key and the path named', () => {
    expect(() => librdkafkaGlobalConfig(kafka({ ssl: { enabled: true, certFile: '/missing.pem', keyFile: '/k.pem' } }), deps())).toThrow(/kafka\.ssl\.certFile.*\/missing\.pem.*ENOENT/);
  });

  it('never reads files when TLS is off', () => {
    const readFile = jest.fn();
    librdkafkaGlobalConfig(BASE, deps({ readFile }));
    expect(readFile).not.toHaveBeenCalled();
  });

  it.each([
    ['scram-sha-512', false, 'sasl_plaintext', 'SCRAM-SHA-512'],
    ['scram-sha-256', true, 'sasl_ssl', 'SCRAM-SHA-256'],
    ['plain', true, 'sasl_ssl', 'PLAIN'],
  ] as const)('SASL %s (TLS %s): %s with mechanism %s and the credentials', (mechanism, tls, protocol, name) => {
    const out = librdkafkaGlobalConfig(kafka({ ssl: { enabled: tls }, sasl: { mechanism, username: 'u', password: 'p' } }), deps());
    expect(out).toMatchObject({ 'security.protocol': protocol, 'sasl.mechanisms': name, 'sasl.username': 'u', 'sasl.password': 'p' });
  });

  describe('aws-msk-iam', () => {
    const msk = (region: string, sign: KafkaSecurityDeps['mskIamToken']) =>
      librdkafkaGlobalConfig(kafka({ ssl: { enabled: true }, sasl: { mechanism: 'aws-msk-iam', region } }), deps({ mskIamToken: sign, awsRegion: 'eu-west-1' }));
    const refresh = (out: ReturnType<typeof librdkafkaGlobalConfig>) => out.oauthbearer_token_refresh_cb as unknown as () => Promise<OauthbearerToken>;

    it('OAUTHBEARER over TLS, a fresh token per refresh, lifetime = the token\'s expiry (ms since the epoch)', async () => {
      const sign = jest.fn(async (region: string) => ({ token: `tok-${region}`, expiryTime: 1_700_000_900_000 }));
      const out = msk('', sign);
      expect(out).toMatchObject({ 'security.protocol': 'sasl_ssl', 'sasl.mechanisms': 'OAUTHBEARER' });
      expect(out).not.toHaveProperty('sasl.username');
      await expect(refresh(out)()).resolves.toEqual({ tokenValue: 'tok-eu-west-1', lifetime: 1_700_000_900_000, principal: '' });
      await refresh(out)();
      expect(sign).toHaveBeenCalledTimes(2);
    });

    it('kafka.sasl.region wins over aws.region', async () => {
      const out = msk('ap-south-1', async (region) => ({ token: region, expiryTime: 1 }));
      await expect(refresh(out)()).resolves.toMatchObject({ tokenValue: 'ap-south-1' });
    });

    it('a signing failure names the mechanism and the region', async () => {
      const out = msk('', async () => {
        throw new Error('Could not load credentials from any providers');
      });
      await expect(refresh(out)()).rejects.toThrow(/aws-msk-iam: cannot sign a token for eu-west-1.*Could not load credentials/);
    });
  });
});
