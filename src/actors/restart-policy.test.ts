import { RestartPolicy } from './restart-policy';

describe('RestartPolicy', () => {
  it('doubles the delay for crashes close together and gives up past the budget', () => {
    const policy = new RestartPolicy({ initialDelayMs: 100, maxRestarts: 3, windowMs: 60_000 });
    expect(policy.onCrash(0)).toEqual({ restart: true, delayMs: 100, recent: 1 });
    expect(policy.onCrash(1_000)).toEqual({ restart: true, delayMs: 200, recent: 2 });
    expect(policy.onCrash(2_000)).toEqual({ restart: true, delayMs: 400, recent: 3 });
    const last = policy.onCrash(3_000);
    expect(last.restart).toBe(false);
    expect(last).toMatchObject({ reason: expect.stringContaining('crashed 4 times within 60000 ms; the budget is 3 restarts') });
  });

  it('forgets crashes that left the window, so a worker that stayed up gets the short delay again', () => {
    const policy = new RestartPolicy({ initialDelayMs: 100, maxRestarts: 2, windowMs: 10_000 });
    policy.onCrash(0);
    policy.onCrash(5_000);
    expect(policy.onCrash(10_000)).toEqual({ restart: true, delayMs: 200, recent: 2 });
    expect(policy.onCrash(30_000)).toEqual({ restart: true, delayMs: 100, recent: 1 });
  });

  it('caps the delay at 32 times the initial delay', () => {
    const policy = new RestartPolicy({ initialDelayMs: 10, maxRestarts: 100, windowMs: 1_000_000 });
    const delays = Array.from({ length: 8 }, (_, i) => policy.onCrash(i));
    expect(delays.map((d) => (d.restart ? d.delayMs : -1))).toEqual([10, 20, 40, 80, 160, 320, 320, 320]);
  });

  it('rejects a negative or fractional setting', () => {
    expect(() => new RestartPolicy({ initialDelayMs: -1, maxRestarts: 1, windowMs: 1 })).toThrow('initialDelayMs must be a whole number >= 0, got -1');
    expect(() => new RestartPolicy({ initialDelayMs: 1, maxRestarts: 1.5, windowMs: 1 })).toThrow('maxRestarts');
  });
});
