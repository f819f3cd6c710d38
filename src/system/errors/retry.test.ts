import fc from 'fast-check';
import { PermanentError } from './errors';
import { backoffMs, RetriesExhaustedError, retry, type RetryFailure, sleepMs } from './retry';

/** An fn that fails with the given errors in turn, then resolves with 'ok'. */
function failing(...errors: unknown[]): jest.Mock<Promise<string>, [number]> {
  return jest.fn(async (_attempt: number) => {
    if (errors.length) throw errors.shift();
    return 'ok';
  });
}

/** A sleep that only records, and a clock it advances. */
function virtual(): { sleep: (ms: number) => Promise<void>; now: () => number; waits: number[] } {
  let t = 1_000;
  const waits: number[] = [];
  return {
    waits,
    now: () => t,
    sleep: async (ms) => {
      waits.push(ms);
      t += ms;
    },
  };
}

describe('backoffMs', () => {
  it('doubles up to the cap, with jitter below the bound', () => {
    expect([0, 1, 2, 3, 10].map((a) => backoffMs(a, 100, 1000, () => 0.999999))).toEqual([100, 200, 400, 800, 1000]);
    expect(backoffMs(5, 100, 1000, () => 0)).toBe(0);
  });

  it('stays within [0, min(cap, base * 2^attempt)] for any draw', () => {
    fc.assert(
      fc.property(fc.nat(60), fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 120_000 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, base, cap, r) => {
        const d = backoffMs(attempt, base, cap, () => r);
        return Number.isInteger(d) && d >= 0 && d <= Math.min(cap, base * 2 ** attempt);
      }),
    );
  });
});

describe('retry', () => {
  it('resolves with the first success, waiting the backoff between failures and reporting each', async () => {
    const v = virtual();
    const seen: RetryFailure[] = [];
    const e1 = new Error('one');
    const e2 = new Error('two');
    const fn = failing(e1, e2);
    await expect(retry(fn, { baseMs: 500, capMs: 30_000, random: () => 0.5, sleep: v.sleep, now: v.now, onRetry: (f) => void seen.push(f) })).resolves.toBe('ok');
    expect(fn.mock.calls.map(([attempt]) => attempt)).toEqual([1, 2, 3]);
    expect(v.waits).toEqual([250, 500]);
    expect(seen).toEqual([
      { attempt: 1, delayMs: 250, error: e1, elapsedMs: 0 },
      { attempt: 2, delayMs: 500, error: e2, elapsedMs: 250 },
    ]);
  });

  it('defaults to the backoff ingest has always used: 200 ms doubling to 10 s', async () => {
    const v = virtual();
    const fn = failing(...Array.from({ length: 8 }, () => new Error('x')));
    await retry(fn, { random: () => 0.999999, sleep: v.sleep, now: v.now });
    expect(v.waits).toEqual([200, 400, 800, 1600, 3200, 6400, 10_000, 10_000]);
  });

  it('rethrows at once what `retriable` rejects', async () => {
    const v = virtual();
    const bad = new PermanentError('NoSuchKey');
    const fn = failing(new Error('transient'), bad);
    await expect(retry(fn, { retriable: (e) => !(e instanceof PermanentError), sleep: v.sleep, now: v.now })).rejects.toBe(bad);
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it('gives up after maxAttempts with the last failure as the cause', async () => {
    const v = virtual();
    const last = new Error('third');
    const err = await retry(failing(new Error('first'), new Error('second'), last), { maxAttempts: 3, random: () => 0, sleep: v.sleep, now: v.now }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetriesExhaustedError);
    expect(err).toMatchObject({ attempts: 3, cause: last, retriable: false, message: 'gave up after 3 attempts over 0 ms: third' });
    expect(v.waits).toHaveLength(2);
  });

  it('gives up once a failure comes budgetMs after the start, not before', async () => {
    const v = virtual();
    const fn = jest.fn(async () => {
      throw new Error('down');
    });
    const err = await retry(fn, { budgetMs: 1_000, baseMs: 400, capMs: 400, random: () => 0.999999, sleep: v.sleep, now: v.now }).catch((e: unknown) => e);
    // Failures at 0, 400 and 800 ms are retried; the one at 1200 ms is past the budget.
    expect(fn).toHaveBeenCalledTimes(4);
    expect(err).toMatchObject({ attempts: 4, elapsedMs: 1_200 });
  });

  it('makes no attempt once aborted, and rejects with the signal reason', async () => {
    const ac = new AbortController();
    ac.abort(new Error('stopping'));
    const fn = failing();
    await expect(retry(fn, { signal: ac.signal })).rejects.toThrow('stopping');
    expect(fn).not.toHaveBeenCalled();
  });

  it('rethrows a failure that comes after the abort, without onRetry', async () => {
    const ac = new AbortController();
    const onRetry = jest.fn();
    const err = new Error('connect failed');
    const fn = jest.fn(async () => {
      ac.abort();
      throw err;
    });
    await expect(retry(fn, { signal: ac.signal, onRetry })).rejects.toBe(err);
    expect(onRetry).not.toHaveBeenCalled();
  });

  it('ends a wait in progress when aborted (fake timers)', async () => {
    jest.useFakeTimers();
    try {
      const ac = new AbortController();
      const err = new Error('down');
      const fn = jest.fn(async () => {
        throw err;
      });
      const settled = jest.fn();
      const run = retry(fn, { baseMs: 30_000, capMs: 30_000, random: () => 0.999999, signal: ac.signal }).catch((e: unknown) => {
        settled(e);
      });
      await jest.advanceTimersByTimeAsync(10_000);
      expect(fn).toHaveBeenCalledTimes(1);
      expect(settled).not.toHaveBeenCalled();
      ac.abort();
      await run;
      expect(settled).toHaveBeenCalledWith(err);
      expect(fn).toHaveBeenCalledTimes(1);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('waits on real timers by default (fake timers): the next attempt comes after the delay, not before', async () => {
    jest.useFakeTimers();
    try {
      const fn = failing(new Error('once'));
      const done = jest.fn();
      const run = retry(fn, { baseMs: 1_000, capMs: 1_000, random: () => 0.999999 }).then(done);
      await jest.advanceTimersByTimeAsync(999);
      expect(fn).toHaveBeenCalledTimes(1);
      await jest.advanceTimersByTimeAsync(1);
      await run;
      expect(fn).toHaveBeenCalledTimes(2);
      expect(done).toHaveBeenCalledWith('ok');
    } finally {
      jest.useRealTimers();
    }
  });

  it('awaits an async onRetry before waiting, and stops on what it throws', async () => {
    const v = virtual();
    const order: string[] = [];
    await retry(failing(new Error('x')), {
      sleep: async (ms) => {
        order.push('sleep');
        await v.sleep(ms);
      },
      onRetry: async () => {
        await Promise.resolve();
        order.push('onRetry');
      },
    });
    expect(order).toEqual(['onRetry', 'sleep']);
    const hook = new Error('hook failed');
    await expect(retry(failing(new Error('x')), { sleep: v.sleep, onRetry: () => Promise.reject(hook) })).rejects.toBe(hook);
  });

  it('for any failure count and limits: calls fn once per allowed attempt and waits once between attempts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(12), fc.integer({ min: 1, max: 15 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), async (failures, maxAttempts, r) => {
        const v = virtual();
        const fn = failing(...Array.from({ length: failures }, (_, i) => new Error(`e${i}`)));
        const out = await retry(fn, { maxAttempts, baseMs: 100, capMs: 5_000, random: () => r, sleep: v.sleep, now: v.now }).catch((e: unknown) => e);
        const calls = Math.min(failures + 1, maxAttempts);
        expect(fn).toHaveBeenCalledTimes(calls);
        expect(v.waits).toEqual(Array.from({ length: calls - 1 }, (_, i) => backoffMs(i, 100, 5_000, () => r)));
        if (failures < maxAttempts) expect(out).toBe('ok');
        else expect(out).toBeInstanceOf(RetriesExhaustedError);
      }),
    );
  });
});

describe('sleepMs', () => {
  it('resolves at once on an aborted signal and leaves no timer or listener behind', async () => {
    jest.useFakeTimers();
    try {
      const ac = new AbortController();
      const p = sleepMs(60_000, ac.signal);
      expect(jest.getTimerCount()).toBe(1);
      ac.abort();
      await p;
      expect(jest.getTimerCount()).toBe(0);
      await sleepMs(60_000, ac.signal);
      const free = sleepMs(5);
      await jest.advanceTimersByTimeAsync(5);
      await free;
    } finally {
      jest.useRealTimers();
    }
  });
});
