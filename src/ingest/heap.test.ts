import { heapGrowingFlag, limitHeapGrowth, newSpaceBytes, semiSpaceFlag, semiSpaceGiven } from './heap';

describe('heapGrowingFlag', () => {
  it('names V8 --heap-growing-percent, none for 0, and refuses what V8 would not take', () => {
    expect(heapGrowingFlag(100)).toBe('--heap-growing-percent=100');
    expect(heapGrowingFlag(0)).toBeUndefined();
    expect(() => heapGrowingFlag(-1)).toThrow(RangeError);
    expect(() => heapGrowingFlag(1.5)).toThrow(RangeError);
  });
});

describe('limitHeapGrowth', () => {
  it('sets the flag once per value; 0 sets nothing at first and gives V8 its own factor back later', () => {
    const set: string[] = [];
    const record = (f: string): void => {
      set.push(f);
    };
    expect(limitHeapGrowth(0, record)).toBeUndefined();
    expect(limitHeapGrowth(80, record)).toBe('--heap-growing-percent=80');
    expect(limitHeapGrowth(80, record)).toBe('--heap-growing-percent=80');
    expect(limitHeapGrowth(90, record)).toBe('--heap-growing-percent=90');
    expect(limitHeapGrowth(0, record)).toBeUndefined();
    expect(set).toEqual(['--heap-growing-percent=80', '--heap-growing-percent=90', '--heap-growing-percent=0']);
  });
});

describe('semiSpaceFlag', () => {
  it('names V8 --max-semi-space-size in MiB; 0 takes the measured size of the Kafka client', () => {
    expect(semiSpaceFlag(2, 'kafkajs')).toBe('--max-semi-space-size=2');
    expect(semiSpaceFlag(16, 'librdkafka')).toBe('--max-semi-space-size=16');
    expect(semiSpaceFlag(0, 'librdkafka')).toBe('--max-semi-space-size=2');
    expect(semiSpaceFlag(0, 'kafkajs')).toBe('--max-semi-space-size=8');
    expect(semiSpaceFlag(0, 'another')).toBeUndefined();
  });

  it('refuses what V8 would not take', () => {
    expect(() => semiSpaceFlag(-2, 'kafkajs')).toThrow(RangeError);
    expect(() => semiSpaceFlag(0.5, 'kafkajs')).toThrow(RangeError);
  });
});

describe('semiSpaceGiven', () => {
  it('finds the flag in node options or NODE_OPTIONS, in either spelling, with or without a value', () => {
    expect(semiSpaceGiven([], '')).toBe(false);
    expect(semiSpaceGiven(['--require', '/x/forked-preload.js', '--max-old-space-size=512'], '--trace-gc')).toBe(false);
    expect(semiSpaceGiven(['--max-semi-space-size=8'])).toBe(true);
    expect(semiSpaceGiven([], '--trace-gc --max_semi_space_size=4')).toBe(true);
    // A semi-space's lower bound is another flag: it does not size the upper one.
    expect(semiSpaceGiven(['--min-semi-space-size=1'])).toBe(false);
  });
});

describe('newSpaceBytes', () => {
  it('reads the size of V8 new space of this process', () => {
    expect(newSpaceBytes()).toBeGreaterThan(0);
  });
});
