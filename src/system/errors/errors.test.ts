import { AccessDenied, NoSuchKey, S3ServiceException } from '@aws-sdk/client-s3';
import { MessageRejected } from '@aws-sdk/client-ses';
import { InternalServerError, InvalidInstanceId, SSMServiceException } from '@aws-sdk/client-ssm';
import { QueueDoesNotExist, RequestThrottled } from '@aws-sdk/client-sqs';
import fc from 'fast-check';
import * as kafkajs from 'kafkajs';
import { causeChain, isCertificateFailure, isRetriable, isRetriableFileError, LogpipeError, PermanentError, reasonOf } from './errors';

// kafkajs's type declarations leave out most constructor parameters; these are the JavaScript ones.
type Ctor = new (e: Error | string, meta?: Record<string, unknown>) => Error;
const KafkaJSConnectionError = kafkajs.KafkaJSConnectionError as unknown as Ctor;
const KafkaJSRequestTimeoutError = kafkajs.KafkaJSRequestTimeoutError as unknown as Ctor;
const KafkaJSLockTimeout = kafkajs.KafkaJSLockTimeout as unknown as Ctor;
const KafkaJSNonRetriableError = kafkajs.KafkaJSNonRetriableError as unknown as Ctor;
const KafkaJSNumberOfRetriesExceeded = kafkajs.KafkaJSNumberOfRetriesExceeded as unknown as Ctor;
const KafkaJSSASLAuthenticationError = kafkajs.KafkaJSSASLAuthenticationError as unknown as Ctor;
const KafkaJSProtocolError = kafkajs.KafkaJSProtocolError as unknown as new (e: { type: string; code: number; retriable: boolean; message: string }) => Error;

const $metadata = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });
/** An S3 error the SDK has no class for (it builds an S3ServiceException named after the code). */
const s3 = (name: string, httpStatusCode: number, $fault: 'client' | 'server') => new S3ServiceException({ name, $fault, ...$metadata(httpStatusCode), message: `${name} happened` });
/** Node's error for a failed socket, as net and dns build it. */
const sys = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:5000`), { code, errno: -1, syscall: 'connect' });
/** nodemailer's errors: an Error with its code, the SMTP reply code when the server sent one, and the socket's code. */
const smtp = (fields: { code: string; responseCode?: number; originalCode?: string }) => Object.assign(new Error('smtp failed'), fields);
/** kafkajs builds a protocol error from a Kafka error code's description. */
const protocol = (type: string, retriable: boolean) => new KafkaJSProtocolError({ type, code: 1, retriable, message: type });

describe('isRetriable', () => {
  it.each<[string, unknown, boolean]>([
    // AWS SDK: the SDK's own exception classes, as its deserialisers throw them.
    ['S3 503 SlowDown', s3('SlowDown', 503, 'server'), true],
    ['S3 500 InternalError', s3('InternalError', 500, 'server'), true],
    ['S3 throttling with 400', s3('Throttling', 400, 'client'), true],
    ['an unknown error with 429', s3('SomethingNew', 429, 'client'), true],
    ['a request timeout with 408', s3('SomethingSlow', 408, 'client'), true],
    ['an unknown 5xx', s3('SomethingElse', 599, 'server'), true],
    ['S3 NoSuchKey', new NoSuchKey({ ...$metadata(404), message: 'The specified key does not exist.' }), false],
    ['S3 AccessDenied', new AccessDenied({ ...$metadata(403), message: 'Access Denied' }), false],
    ['an SDK-marked retryable error', Object.assign(s3('Whatever', 400, 'client'), { $retryable: {} }), true],
    ['SQS RequestThrottled', new RequestThrottled({ ...$metadata(400), message: 'Rate exceeded' }), true],
    ['SQS QueueDoesNotExist', new QueueDoesNotExist({ ...$metadata(400), message: 'no queue' }), false],
    ['SSM InternalServerError', new InternalServerError({ ...$metadata(500), message: 'oops' }), true],
    ['SSM InvalidInstanceId', new InvalidInstanceId({ ...$metadata(400), message: 'no such instance' }), false],
    ['SSM ThrottlingException', new SSMServiceException({ name: 'ThrottlingException', $fault: 'client', ...$metadata(400), message: 'Rate exceeded' }), true],
    ['SSM AccessDeniedException', new SSMServiceException({ name: 'AccessDeniedException', $fault: 'client', ...$metadata(400), message: 'no' }), false],
    ['SES MessageRejected', new MessageRejected({ ...$metadata(400), message: 'Email address is not verified.' }), false],
    ['an SDK timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' }), true],
    ['a dropped S3 read (the simulation s3Outage)', Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET', $metadata: {} }), true],
    // Node's network errors.
    ['a connection reset', sys('ECONNRESET'), true],
    ['a connection refused (moto down)', sys('ECONNREFUSED'), true],
    ['a DNS hiccup', sys('EAI_AGAIN'), true],
    ['an aborted connection', sys('ECONNABORTED'), true],
    ['undici socket closed', Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) }), true],
    ['a stream that ended early', new Error('premature close'), true],
    ['a missing file', sys('ENOENT'), false],
    ['corrupt gzip', Object.assign(new Error('incorrect header check'), { code: 'Z_DATA_ERROR' }), false],
    // kafkajs: its own classes and their `retriable` flag.
    ['kafkajs connection error', new KafkaJSConnectionError('Connection error: connect ECONNREFUSED', { broker: '127.0.0.1:9092' }), true],
    ['kafkajs request timeout', new KafkaJSRequestTimeoutError('Request Produce(key: 0, version: 7) timed out', { broker: 'b', clientId: 'c', correlationId: 1, createdAt: 0, sentAt: 0, pendingDuration: 0 }), true],
    ['kafkajs retriable protocol error', protocol('LEADER_NOT_AVAILABLE', true), true],
    ['kafkajs permanent protocol error', protocol('TOPIC_AUTHORIZATION_FAILED', false), false],
    ['kafkajs SASL failure', new KafkaJSSASLAuthenticationError('SASL PLAIN authentication failed'), false],
    ['kafkajs gave up on a retriable error', new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('Connection error'), { retryCount: 5, retryTime: 100 }), true],
    ['kafkajs gave up on a permanent error', new KafkaJSNumberOfRetriesExceeded(protocol('TOPIC_AUTHORIZATION_FAILED', false), { retryCount: 5, retryTime: 100 }), false],
    ['kafkajs connection refused by certificate', new KafkaJSConnectionError('Connection error: self-signed certificate in certificate chain', { code: 'SELF_SIGNED_CERT_IN_CHAIN' }), false],
    ['kafkajs gave up on a certificate', new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('Connection error: certificate has expired', { code: 'CERT_HAS_EXPIRED' }), { retryCount: 5, retryTime: 100 }), false],
    ['an S3 endpoint whose name the certificate does not list', new Error('fetch failed', { cause: sys('ERR_TLS_CERT_ALTNAME_INVALID') }), false],
    ['kafkajs lock timeout', new KafkaJSLockTimeout('Timeout while acquiring lock'), true],
    ['kafkajs non-retriable', new KafkaJSNonRetriableError('Invalid message'), false],
    // nodemailer (the SMTP transport's table): the reply code decides, else the connection.
    ['a 4xx SMTP reply', smtp({ code: 'EENVELOPE', responseCode: 451 }), true],
    ['SMTP 421 service not available', smtp({ code: 'ECONNECTION', responseCode: 421 }), true],
    ['a 5xx SMTP reply', smtp({ code: 'EENVELOPE', responseCode: 550 }), false],
    ['an SMTP login refused', smtp({ code: 'EAUTH', responseCode: 535 }), false],
    ['an SMTP message too big', smtp({ code: 'EMESSAGE', responseCode: 552 }), false],
    ['an SMTP port refused', smtp({ code: 'ESOCKET', originalCode: 'ECONNREFUSED' }), true],
    ['an SMTP timeout', smtp({ code: 'ETIMEDOUT' }), true],
    ['an SMTP connection dropped', smtp({ code: 'ECONNECTION' }), true],
    ['an SMTP DNS failure', smtp({ code: 'EDNS', originalCode: 'ENOTFOUND' }), true],
    ['an SMTP bare ECONNRESET', smtp({ code: 'ECONNRESET' }), true],
    ['SMTP credentials missing', smtp({ code: 'EAUTH' }), false],
    ['an SMTP invalid recipient', smtp({ code: 'EENVELOPE' }), false],
    ['an SMTP relay without TLS', smtp({ code: 'ETLS' }), false],
    // Ours, and the rest.
    ['permanent by decision', new PermanentError('too big'), false],
    ['retriable by decision', new LogpipeError('not yet', { retriable: true }), true],
    ['a permanent error in the cause chain wins over a reset below it', new Error('wrapped', { cause: new PermanentError('bad', { cause: sys('ECONNRESET') }) }), false],
    ['wrapped reset', new Error('fetch failed', { cause: sys('ECONNRESET') }), true],
    ['a programming error', new TypeError('x is undefined'), false],
    ['a string', 'boom', false],
    ['undefined', undefined, false],
  ])('%s → %s', (_what, err, expected) => {
    expect(isRetriable(err)).toBe(expected);
  });
});

describe('isRetriable, for any wrapping', () => {
  // Wrappers (fetch's TypeError, a plain Error with a cause) do not change the answer: the innermost
  // error that says something decides, and our own flag is never overridden by a cause under it.
  it('follows our flag under any number of plain wrappers, whatever lies beneath it', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.nat(8), fc.constantFrom<unknown>(undefined, sys('ECONNRESET'), sys('ENOENT'), new TypeError('bug')), (retriable, depth, beneath) => {
        let err: unknown = new LogpipeError('ours', { retriable, cause: beneath });
        for (let i = 0; i < depth; i++) err = new Error(`wrapper ${i}`, { cause: err });
        return isRetriable(err) === retriable;
      }),
    );
  });
});

describe('isRetriableFileError', () => {
  it.each<[string, unknown, boolean]>([
    ['a full disk', Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' }), true],
    ['too many open files', Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE', errno: -24, syscall: 'open' }), true],
    ['a read-only file system', Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS', errno: -30, syscall: 'open' }), false],
    ['permission denied', Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES', errno: -13, syscall: 'open' }), false],
    ['ours, retriable', new LogpipeError('later', { retriable: true }), true],
    ['a bug', new TypeError('x'), false],
    ['nothing', null, false],
  ])('%s → %s', (_what, err, expected) => {
    expect(isRetriableFileError(err)).toBe(expected);
  });

  it('is a real file-system error of Node for a path under a file (ENOTDIR: permanent)', async () => {
    const fs = await import('node:fs/promises');
    const err = await fs.open('/dev/null/x', 'wx').catch((e: unknown) => e);
    expect([(err as { code?: string }).code, isRetriableFileError(err)]).toEqual(['ENOTDIR', false]);
  });
});

describe('LogpipeError', () => {
  it('carries its flag, its cause and a name that survives minification', () => {
    const cause = sys('ECONNRESET');
    const e = new PermanentError('NoSuchKey: gone', { cause });
    expect(e).toBeInstanceOf(LogpipeError);
    expect([e.name, e.retriable, e.reason, e.cause]).toEqual(['PermanentError', false, 'NoSuchKey: gone', cause]);
  });
});

describe('reasonOf', () => {
  it('names the error', () => {
    expect(reasonOf(new NoSuchKey({ ...$metadata(404), message: 'The specified key does not exist.' }))).toBe('NoSuchKey: The specified key does not exist.');
    expect(reasonOf(new PermanentError('decompressed size over 10 bytes'))).toBe('decompressed size over 10 bytes');
    expect(reasonOf(Object.assign(new Error('unexpected end of file'), { code: 'Z_BUF_ERROR' }))).toBe('Z_BUF_ERROR: unexpected end of file');
  });
});

describe('isCertificateFailure', () => {
  it('finds a TLS verification code anywhere in the cause chain', () => {
    const cert = new KafkaJSConnectionError('Connection error: unable to get local issuer certificate', { code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' });
    expect(isCertificateFailure(new KafkaJSNumberOfRetriesExceeded(cert, { retryCount: 1, retryTime: 1 }))).toBe(true);
    expect(isCertificateFailure(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED', { code: 'ECONNREFUSED' }))).toBe(false);
  });
});

describe('causeChain', () => {
  it('lists the error and its causes, and stops on a cycle', () => {
    const inner = sys('ECONNRESET');
    const outer = new KafkaJSNumberOfRetriesExceeded(inner, { retryCount: 1, retryTime: 1 });
    expect(causeChain(outer)).toEqual([outer, inner]);
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(causeChain(b)).toEqual([b, a]);
    expect(causeChain('x')).toEqual([]);
  });
});
