import { describeError, isRetriable } from './errors';

/** An error shaped like the AWS SDK's service exceptions. */
function awsError(name: string, httpStatusCode: number, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode }, $fault: httpStatusCode >= 500 ? 'server' : 'client', ...extra });
}

describe('isRetriable', () => {
  // Retriable errors make the handler throw (Lambda retries the event); the rest must not, or a bad record retries forever.
  it.each([
    ['throttling', awsError('ThrottlingException', 400), true],
    ['HTTP 429', awsError('SomethingNew', 429), true],
    ['an internal server error', awsError('InternalServerError', 500), true],
    ['any 5xx', awsError('SomethingElse', 503), true],
    ['an SDK-marked retryable error', awsError('Whatever', 400, { $retryable: {} }), true],
    ['a connection reset', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), true],
    ['a DNS hiccup', Object.assign(new Error('getaddrinfo'), { code: 'EAI_AGAIN' }), true],
    ['an SDK timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' }), true],
    ['an invalid instance', awsError('InvalidInstanceId', 400), false],
    ['access denied', awsError('AccessDeniedException', 400), false],
    ['invalid parameters', awsError('InvalidParameters', 400), false],
    ['a validation error', awsError('ValidationException', 400), false],
    ['a programming error', new TypeError('x is undefined'), false],
    ['a string', 'boom', false],
    ['undefined', undefined, false],
  ])('classifies %s', (_what, error, retriable) => {
    expect(isRetriable(error)).toBe(retriable);
  });
});

describe('describeError', () => {
  it('gives name and message, or the value as text', () => {
    expect(describeError(awsError('ThrottlingException', 400))).toBe('ThrottlingException: ThrottlingException happened');
    expect(describeError('boom')).toBe('boom');
  });
});
