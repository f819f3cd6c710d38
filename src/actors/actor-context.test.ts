import { startedWithin } from './actor-context';

// Issue 17 (R14): comedy never settles createChild when a forked child's process dies while it
// starts; the supervisor must see a failed start (another crash) instead of waiting for ever.
describe('startedWithin', () => {
  it('rejects a start that does not settle in time, and destroys an instance that arrives late', async () => {
    jest.useFakeTimers();
    try {
      let arrive: (ref: { destroy(): Promise<void> }) => void = () => undefined;
      const destroyed: string[] = [];
      const creating = new Promise<{ destroy(): Promise<void> }>((r) => (arrive = r));
      const started = startedWithin(creating, 1_000, 'FileFetcherActor');
      const failed = expect(started).rejects.toThrow('FileFetcherActor did not start within 1000 ms');
      await jest.advanceTimersByTimeAsync(1_000);
      await failed;
      arrive({ destroy: async () => void destroyed.push('late instance') });
      await jest.advanceTimersByTimeAsync(0);
      expect(destroyed).toEqual(['late instance']);
    } finally {
      jest.useRealTimers();
    }
  });

  it('passes an instance that starts in time, and a failed start, through', async () => {
    const ref = { destroy: jest.fn(async () => undefined) };
    await expect(startedWithin(Promise.resolve(ref), 1_000, 'X')).resolves.toBe(ref);
    expect(ref.destroy).not.toHaveBeenCalled();
    await expect(startedWithin(Promise.reject(new Error('Failed to fork')), 1_000, 'X')).rejects.toThrow('Failed to fork');
  });
});
