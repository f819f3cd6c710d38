import { kafkaSecurityOptions, type KafkaSecurityConfig } from './kafka-security';

const NONE: KafkaSecurityConfig = {
  ssl: { enabled: false, caFile: '', certFile: '', keyFile: '', keyPassword: '' },
  sasl: { mechanism: 'none', username: '', password: '', region: '' },
};

function security(over: { ssl?: Partial<KafkaSecurityConfig['ssl']>; sasl?: Partial<KafkaSecurityConfig['sasl']> }): KafkaSecurityConfig {
  return { ssl: { ...NONE.ssl, ...over.ssl }, sasl: { ...NONE.sasl, ...over.sasl } };
}

/** Files as the tests want them; every read is recorded so a test can check what was read. */
function files(contents: Record<string, string>): { read: (file: string) => Buffer; reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    read: (file: string) => {
      reads.push(file);
      if (!(file in contents)) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${file}'`), { code: 'ENOENT' });
      return Buffer.from(contents[file]);
    },
  };
}

const deps = (over: Partial<Parameters<typeof kafkaSecurityOptions>[1]> = {}): Parameters<typeof kafkaSecurityOptions>[1] => ({
  readFile: files({}).read,
  awsRegion: 'us-east-1',
  mskIamToken: async () => ({ token: 'unused', expiryTime: 0 }),
  ...over,
});

// The config → kafkajs options table: what each combination of kafka.ssl.* and kafka.sasl.* turns into.
describe('kafkaSecurityOptions', () => {
  it('plaintext: neither ssl nor sasl, so the local stack and existing setups behave as before', () => {
    expect(kafkaSecurityOptions(NONE, deps())).toEqual({});
  });

  it('TLS with the system CA: ssl true, which leaves Node\'s default trust store in place', () => {
    expect(kafkaSecurityOptions(security({ ssl: { enabled: true } }), deps())).toEqual({ ssl: true });
  });

  it('TLS with a CA file: only that CA is trusted (ca replaces the default roots)', () => {
    const f = files({ '/etc/logpipe/ca.pem': 'CA PEM' });
    const out = kafkaSecurityOptions(security({ ssl: { enabled: true, caFile: '/etc/logpipe/ca.pem' } }), deps({ readFile: f.read }));
    expect(out.ssl).toEqual({ ca: [Buffer.from('CA PEM')] });
    expect(f.reads).toEqual(['/etc/logpipe/ca.pem']);
  });

  it('TLS with a client certificate and an encrypted key', () => {
    const f = files({ '/c.pem': 'CERT', '/k.pem': 'KEY' });
    const out = kafkaSecurityOptions(security({ ssl: { enabled: true, certFile: '/c.pem', keyFile: '/k.pem', keyPassword: 'pass' } }), deps({ readFile: f.read }));
    expect(out.ssl).toEqual({ cert: Buffer.from('CERT'), key: Buffer.from('KEY'), passphrase: 'pass' });
  });

  it('an unreadable file fails with the key and the path named', () => {
    expect(() => kafkaSecurityOptions(security({ ssl: { enabled: true, caFile: '/missing.pem' } }), deps())).toThrow(/kafka\.ssl\.caFile.*\/missing\.pem.*ENOENT/);
  });

  it.each([
    ['scram-sha-512', 'scram-sha-512'],
    ['scram-sha-256', 'scram-sha-256'],
    ['plain', 'plain'],
  ] as const)('SASL %s carries the username and password', (mechanism, expected) => {
    const out = kafkaSecurityOptions(security({ ssl: { enabled: true }, sasl: { mechanism, username: 'u', password: 'p' } }), deps());
    expect(out).toEqual({ ssl: true, sasl: { mechanism: expected, username: 'u', password: 'p' } });
  });

  it('aws-msk-iam: oauthbearer with a token signed for kafka.sasl.region, fetched at each authentication', async () => {
    const regions: string[] = [];
    let n = 0;
    const out = kafkaSecurityOptions(
      security({ ssl: { enabled: true }, sasl: { mechanism: 'aws-msk-iam', region: 'eu-west-1' } }),
      deps({ mskIamToken: async (region) => (regions.push(region), { token: `token-${++n}`, expiryTime: 0 }) }),
    );
    expect(out.ssl).toBe(true);
    expect(out.sasl?.mechanism).toBe('oauthbearer');
    const provider = (out.sasl as { oauthBearerProvider: () => Promise<{ value: string }> }).oauthBearerProvider;
    expect(await provider()).toEqual({ value: 'token-1' });
    expect(await provider()).toEqual({ value: 'token-2' });
    expect(regions).toEqual(['eu-west-1', 'eu-west-1']);
  });

  it('aws-msk-iam with no region of its own signs for aws.region', async () => {
    const regions: string[] = [];
    const out = kafkaSecurityOptions(security({ ssl: { enabled: true }, sasl: { mechanism: 'aws-msk-iam' } }), deps({ awsRegion: 'ap-south-1', mskIamToken: async (r) => (regions.push(r), { token: 't', expiryTime: 0 }) }));
    await (out.sasl as { oauthBearerProvider: () => Promise<unknown> }).oauthBearerProvider();
    expect(regions).toEqual(['ap-south-1']);
  });

  it('aws-msk-iam: a failure to sign names the mechanism and the credential chain', async () => {
    const out = kafkaSecurityOptions(security({ ssl: { enabled: true }, sasl: { mechanism: 'aws-msk-iam' } }), deps({ mskIamToken: async () => Promise.reject(new Error('Could not load credentials from any providers')) }));
    await expect((out.sasl as { oauthBearerProvider: () => Promise<unknown> }).oauthBearerProvider()).rejects.toThrow(/aws-msk-iam.*credential.*Could not load credentials/);
  });
});
