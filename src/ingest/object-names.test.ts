import { bucketNameProblem, isAllowedSource, MAX_KEY_BYTES, objectKeyProblem, parseAllowedSource } from './object-names';

describe('objectKeyProblem', () => {
  // The Lambda and the control API share these words: one rule, whichever way a key arrives.
  it.each([
    ['', 'object key is empty'],
    ['a\0b', 'object key contains a NUL byte, which cannot be carried to the host'],
    ['a\ud800b', 'object key is not well-formed Unicode (lone surrogate)'],
    ['\udc00', 'object key is not well-formed Unicode (lone surrogate)'],
    ['k'.repeat(MAX_KEY_BYTES + 1), 'object key is 1025 bytes long; S3 allows at most 1024'],
    ['é'.repeat(MAX_KEY_BYTES / 2 + 1), 'object key is 1026 bytes long; S3 allows at most 1024'],
  ])('refuses %j', (key, problem) => {
    expect(objectKeyProblem(key)).toBe(problem);
  });

  it.each([["it's.log"], ['$(id)'], ['a\nb'], ['😀'], ['k'.repeat(MAX_KEY_BYTES)], ['{{ssm:x}}']])('accepts %j', (key) => {
    expect(objectKeyProblem(key)).toBeUndefined();
  });
});

describe('bucketNameProblem', () => {
  it.each([['ab'], ['Logs'], ['-logs'], ['logs-'], ['my_logs'], ['a..b'], ['a b'], ["x';id;'"], ['a'.repeat(64)]])('refuses %s', (bucket) => {
    expect(bucketNameProblem(bucket)).toMatch(/is not a valid S3 bucket name$/);
  });
  it.each([['abc'], ['logs-bucket.example'], ['a'.repeat(63)]])('accepts %s', (bucket) => {
    expect(bucketNameProblem(bucket)).toBeUndefined();
  });
});

describe('isAllowedSource', () => {
  const allowed = ['logs/app/', 'archive', 'other/x'].map(parseAllowedSource);
  it.each([
    ['logs', 'app/a.log', true],
    ['logs', 'app/', true],
    ['logs', 'app-old/a.log', false],
    ['logs', 'a.log', false],
    ['archive', 'anything/at/all', true],
    ['other', 'xy', true],
    ['other', 'y', false],
    ['secrets', 'app/a.log', false],
  ])('s3://%s/%s → %s', (bucket, key, ok) => {
    expect(isAllowedSource(allowed, bucket, key)).toBe(ok);
  });
  it('allows everything when the list is empty', () => {
    expect(isAllowedSource([], 'any-bucket', 'any/key')).toBe(true);
  });
});
