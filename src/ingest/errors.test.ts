import { backoffMs, isTransient, PermanentError, reasonOf } from './errors';

const aws = (name: string, status: number): Error => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

describe('isTransient', () => {
  it.each<[string, unknown, boolean]>([
    ['S3 503 SlowDown', aws('SlowDown', 503), true],
    ['S3 500', aws('InternalError', 500), true],
    ['throttling 400 with 429', aws('ThrottlingException', 429), true],
    ['NoSuchKey 404', aws('NoSuchKey', 404), false],
    ['AccessDenied 403', aws('AccessDenied', 403), false],
    ['connection reset', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), true],
    ['connection refused (moto down)', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5000'), { code: 'ECONNREFUSED' }), true],
    ['kafkajs retriable', Object.assign(new Error('x'), { retriable: true }), true],
    ['kafkajs connection error', Object.assign(new Error('x'), { name: 'KafkaJSConnectionError' }), true],
    ['corrupt gzip', Object.assign(new Error('incorrect header check'), { code: 'Z_DATA_ERROR' }), false],
    ['permanent by decision', new PermanentError('too big'), false],
    ['wrapped reset', new Error('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) }), true],
    ['plain bug', new TypeError('x is undefined'), false],
  ])('%s → %s', (_what, err, expected) => {
    expect(isTransient(err)).toBe(expected);
  });
});

describe('reasonOf', () => {
  it('names the error', () => {
    expect(reasonOf(aws('NoSuchKey', 404))).toBe('NoSuchKey: NoSuchKey');
    expect(reasonOf(new PermanentError('decompressed size over 10 bytes'))).toBe('decompressed size over 10 bytes');
    expect(reasonOf(Object.assign(new Error('unexpected end of file'), { code: 'Z_BUF_ERROR' }))).toBe('Z_BUF_ERROR: unexpected end of file');
  });
});

describe('backoffMs', () => {
  it('doubles up to the cap, with jitter below the bound', () => {
    expect([0, 1, 2, 3, 10].map((a) => backoffMs(a, 100, 1000, () => 0.999999))).toEqual([100, 200, 400, 800, 1000]);
    expect(backoffMs(5, 100, 1000, () => 0)).toBe(0);
  });
});
