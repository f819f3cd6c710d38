import { PassThrough } from 'node:stream';
import { createLogger } from '../observability/logging';
import { RestartPolicy } from './restart-policy';
import { isWorkerCrash, WorkerSupervisor, type WorkerRef } from './worker-supervisor';

const log = createLogger({ level: 'error', format: 'json', stream: new PassThrough() });

/** A worker whose next call can be made to fail like a crashed comedy forked actor. */
function fakeWorker(name: string, calls: string[]): WorkerRef & { crash(): void; destroyed: boolean } {
  let crashed = false;
  const w = {
    destroyed: false,
    crash: () => (crashed = true),
    sendAndReceive: async (topic: string, ...args: unknown[]) => {
      if (crashed) throw new Error('Actor crashed, no interaction possible.');
      if (topic === 'fail') throw new Error('NoSuchKey');
      calls.push(`${name}:${topic}:${args.join(',')}`);
      return name;
    },
    destroy: async () => {
      w.destroyed = true;
    },
  };
  return w;
}

function setup(maxRestarts: number) {
  const calls: string[] = [];
  const workers: Array<ReturnType<typeof fakeWorker>> = [];
  const delays: number[] = [];
  const gaveUp: string[] = [];
  let clock = 0;
  const supervisor = new WorkerSupervisor({
    create: async () => {
      const w = fakeWorker(`w${workers.length}`, calls);
      workers.push(w);
      return w;
    },
    policy: new RestartPolicy({ initialDelayMs: 100, maxRestarts, windowMs: 60_000 }),
    log,
    onGiveUp: (reason) => gaveUp.push(reason),
    now: () => (clock += 1_000),
    sleep: async (ms) => {
      delays.push(ms);
    },
  });
  return { supervisor, calls, workers, delays, gaveUp };
}

describe('WorkerSupervisor', () => {
  it('passes messages to the worker and its handler errors through without restarting', async () => {
    const { supervisor, calls, workers } = setup(3);
    await supervisor.start();
    await expect(supervisor.sendAndReceive('ingest', 'a')).resolves.toBe('w0');
    await expect(supervisor.sendAndReceive('fail')).rejects.toThrow('NoSuchKey');
    expect(calls).toEqual(['w0:ingest:a']);
    expect(workers).toHaveLength(1);
    expect(supervisor.restartCount).toBe(0);
  });

  it('fails the call that meets a crash, restarts once after the backoff, and sends later messages to the new worker', async () => {
    const { supervisor, calls, workers, delays } = setup(3);
    await supervisor.start();
    workers[0].crash();
    const failures = await Promise.allSettled([supervisor.sendAndReceive('ingest', 'a'), supervisor.sendAndReceive('ingest', 'b')]);
    expect(failures.map((f) => f.status)).toEqual(['rejected', 'rejected']);
    await expect(supervisor.sendAndReceive('ingest', 'c')).resolves.toBe('w1');
    expect(workers).toHaveLength(2);
    expect(workers[0].destroyed).toBe(true);
    expect(delays).toEqual([100]);
    expect(calls).toEqual(['w1:ingest:c']);
    expect(supervisor.restartCount).toBe(1);
  });

  it('backs off more for each crash and gives up once the budget is spent', async () => {
    const { supervisor, workers, delays, gaveUp } = setup(2);
    await supervisor.start();
    for (let i = 0; i < 2; i++) {
      workers[i].crash();
      await expect(supervisor.sendAndReceive('ingest', 'x')).rejects.toThrow('Actor crashed');
      await expect(supervisor.sendAndReceive('known', 'x')).resolves.toBe(`w${i + 1}`);
    }
    workers[2].crash();
    await expect(supervisor.sendAndReceive('ingest', 'x')).rejects.toThrow('Actor crashed');
    expect(delays).toEqual([100, 200]);
    expect(gaveUp).toEqual(['the ingest worker crashed 3 times within 60000 ms; the budget is 2 restarts']);
    await expect(supervisor.sendAndReceive('ingest', 'y')).rejects.toThrow('the budget is 2 restarts');
    expect(workers).toHaveLength(3);
  });

  it('recognises comedy crash errors only', () => {
    expect(isWorkerCrash(new Error('Actor crashed.'))).toBe(true);
    expect(isWorkerCrash(new Error('Actor crashed, no interaction possible.'))).toBe(true);
    expect(isWorkerCrash(new Error('KafkaJSConnectionError: Actor crashed'))).toBe(false);
    expect(isWorkerCrash('Actor crashed.')).toBe(false);
  });
});
