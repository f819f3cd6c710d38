import { KeyBuffers, nulSafe, toLibrdkafkaHeaders } from './records';

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
