import { PassThrough } from 'node:stream';
import { createActorSystem } from '../system/runtime/service';
import { createLogger } from '../system/observability/logging';
import { forgetPendingChild, startedWithin } from './actor-context';

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

// R14's slow shutdowns: a stop while a worker was being restarted waited for a start that never came.
describe('giving up a start', () => {
  it('rejects at once when its signal aborts, calls onGiveUp once, and destroys an instance that arrives late', async () => {
    let arrive: (ref: { destroy(): Promise<void> }) => void = () => undefined;
    const destroyed: string[] = [];
    const gaveUp = jest.fn();
    const abort = new AbortController();
    const started = startedWithin(new Promise<{ destroy(): Promise<void> }>((r) => (arrive = r)), 60_000, 'FileFetcherActor', { signal: abort.signal, onGiveUp: gaveUp });
    abort.abort();
    await expect(started).rejects.toThrow('FileFetcherActor was being started when its supervisor was destroyed');
    expect(gaveUp).toHaveBeenCalledTimes(1);
    arrive({ destroy: async () => void destroyed.push('late instance') });
    await new Promise((r) => setImmediate(r));
    expect(destroyed).toEqual(['late instance']);
  });

  it('calls onGiveUp at the timeout too', async () => {
    const gaveUp = jest.fn();
    await expect(startedWithin(new Promise<never>(() => undefined), 5, 'X', { onGiveUp: gaveUp })).rejects.toThrow('X did not start within 5 ms');
    expect(gaveUp).toHaveBeenCalledTimes(1);
  });

  // Against comedy itself: its Actor.destroy() waits for every child being created first. A child
  // whose start never finishes (here: an initialize that never settles, as a forked child killed
  // while it starts) holds the parent's destroy, and the system's, until it is forgotten.
  it.each([false, true])('comedy destroys a parent with a child that never finished starting (forgotten: %s)', async (forget) => {
    const system = createActorSystem(createLogger({ level: 'error', format: 'json', stream: new PassThrough() }), { level: 'error', format: 'json' });
    type Self = { createChild(definition: unknown): Promise<unknown> };
    let self: Self | undefined;
    let creating: Promise<unknown> = Promise.resolve();
    let release: () => void = () => undefined;
    try {
      const root = await system.rootActor();
      const parent = await root.createChild({ initialize: (s: Self) => void (self = s), getName: () => 'Parent' } as never);
      creating = self!.createChild({ initialize: () => new Promise<void>((r) => (release = r)), getName: () => 'NeverStarts' });
      if (forget) forgetPendingChild(self, creating);
      const outcome = await Promise.race([parent.destroy().then(() => 'destroyed'), new Promise((r) => setTimeout(r, 500, 'still waiting'))]);
      expect(outcome).toBe(forget ? 'destroyed' : 'still waiting');
    } finally {
      release(); // lets a destroy already waiting for it go on
      await system.destroy();
    }
  });
});

