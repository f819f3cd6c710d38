import * as kafkajs from 'kafkajs';
import { isRetriable } from '../errors/errors';
import { explainKafkaFailure, kafkaFailureKind } from './kafka-failure';

// kafkajs's typings omit these constructors' arguments; they are the ones its own code passes.
type Ctor = new (message: string | Error, options?: Record<string, unknown>) => Error;
const KafkaJSSASLAuthenticationError = kafkajs.KafkaJSSASLAuthenticationError as unknown as Ctor;
const KafkaJSConnectionError = kafkajs.KafkaJSConnectionError as unknown as Ctor;
const KafkaJSNonRetriableError = kafkajs.KafkaJSNonRetriableError as unknown as Ctor;
const KafkaJSNumberOfRetriesExceeded = kafkajs.KafkaJSNumberOfRetriesExceeded as unknown as Ctor;
const KafkaJSProtocolError = kafkajs.KafkaJSProtocolError as unknown as new (e: { type: string; code: number; retriable: boolean; message: string }) => Error;
const unsupportedMechanism = (): Error => new KafkaJSProtocolError({ type: 'UNSUPPORTED_SASL_MECHANISM', code: 33, retriable: false, message: 'The broker does not support the requested SASL mechanism' });

const kafka = {
  brokers: ['b-1.example.test:9096'],
  ssl: { enabled: true, caFile: '', certFile: '', keyFile: '', keyPassword: '' },
  sasl: { mechanism: 'scram-sha-512' as const, username: 'logpipe', password: 'not-in-messages', region: '' },
};

// kafkajs wraps errors as it gives up (non-retriable, retries exceeded); the original stays the cause.
const wrapped = (e: Error): Error => new KafkaJSNonRetriableError(e, { cause: e });

describe('kafkaFailureKind', () => {
  const auth = new KafkaJSSASLAuthenticationError('SASL SCRAM SHA512 authentication failed: invalid credentials');
  const cert = new KafkaJSConnectionError('Connection error: self-signed certificate in certificate chain', { code: 'SELF_SIGNED_CERT_IN_CHAIN' });

  it.each<[string, Error, string | undefined, boolean]>([
    ['a SASL authentication error', auth, 'authentication', false],
    ['one wrapped by the retrier', wrapped(auth), 'authentication', false],
    ['a listener without the mechanism', wrapped(unsupportedMechanism()), 'mechanism', false],
    ['a certificate error', cert, 'certificate', false],
    ['one after the retries ran out', new KafkaJSNumberOfRetriesExceeded(cert, { retryCount: 5, retryTime: 1000, cause: cert }), 'certificate', false],
    ['a host name the certificate does not list', new KafkaJSConnectionError('Connection error: Hostname/IP does not match', { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }), 'certificate', false],
    ['a refused connection (a retry may help)', new KafkaJSConnectionError('Connection error: connect ECONNREFUSED', { code: 'ECONNREFUSED' }), undefined, true],
    ['anything else', new Error('boom'), undefined, false],
  ])('%s', (_what, err, kind, retriable) => {
    expect(kafkaFailureKind(err)).toBe(kind);
    // The one classification agrees: what waiting cannot fix is not retriable.
    expect(isRetriable(err)).toBe(retriable);
  });
});

describe('explainKafkaFailure', () => {
  it('authentication: names the user, the mechanism and the keys, never the password', () => {
    const m = explainKafkaFailure(new KafkaJSSASLAuthenticationError('SASL SCRAM SHA512 authentication failed'), kafka)!;
    expect(m).toMatch(/^Kafka authentication failed at b-1\.example\.test:9096 \(SASL scram-sha-512 user "logpipe"\)/);
    expect(m).toContain('kafka.sasl.password');
    expect(m).not.toContain('not-in-messages');
  });

  it('aws-msk-iam: points at the IAM policy', () => {
    const m = explainKafkaFailure(new KafkaJSSASLAuthenticationError('SASL OAUTHBEARER authentication failed'), { ...kafka, sasl: { ...kafka.sasl, mechanism: 'aws-msk-iam', username: '', password: '' } })!;
    expect(m).toContain('kafka-cluster:Connect');
  });

  it('certificate: names the CA file trusted and the key to set', () => {
    const err = new KafkaJSConnectionError('Connection error: unable to get local issuer certificate', { code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' });
    const m = explainKafkaFailure(err, { ...kafka, ssl: { ...kafka.ssl, caFile: '/etc/ca.pem' } })!;
    expect(m).toMatch(/^the TLS certificate of Kafka at b-1\.example\.test:9096 cannot be verified against kafka\.ssl\.caFile "\/etc\/ca\.pem": Connection error: unable to get local issuer certificate/);
    expect(explainKafkaFailure(err, kafka)).toContain('the system CAs');
  });

  it('mechanism: names the mechanism and the listeners', () => {
    const m = explainKafkaFailure(unsupportedMechanism(), { ...kafka, sasl: { ...kafka.sasl, mechanism: 'aws-msk-iam', username: '', password: '' } })!;
    expect(m).toMatch(/^the Kafka listener at b-1\.example\.test:9096 does not offer SASL aws-msk-iam: The broker does not support/);
    expect(m).toContain('9098 IAM');
  });

  it('anything else: undefined (the caller reports it as it is)', () => {
    expect(explainKafkaFailure(new Error('ECONNREFUSED'), kafka)).toBeUndefined();
  });
});
