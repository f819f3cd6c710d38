import { heapGrowingFlag, limitHeapGrowth } from './heap';

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
