import { EventEmitter } from 'node:events';
import type { Consumer } from 'kafkajs';
import { createLogger } from '../observability/logging';
import { SupervisedConsumer } from './supervised-consumer';
import { PassThrough } from 'node:stream';

/** The parts of a kafkajs Consumer the wrapper uses: events, on(), disconnect(). */
class FakeConsumer extends EventEmitter {
  readonly events = { CRASH: 'consumer.crash' };
  disconnected = false;
  /** kafkajs's restart timer: armed right after the CRASH event returns, cleared by disconnect(). */
  restartArmed = false;
  constructor(readonly n: number) {
    super();
  }
  async disconnect(): Promise<void> {
    this.disconnected = true;
    this.restartArmed = false;
  }
  crash(restart: boolean): void {
    this.emit('consumer.crash', { payload: { error: new Error('Failed to find group coordinator'), restart } });
    if (restart) this.restartArmed = true;
  }
}

function harness(failSetups = 0) {
  const created: FakeConsumer[] = [];
  const setups: number[] = [];
  const stream = new PassThrough();
  let logged = '';
  stream.on('data', (c: Buffer) => (logged += c.toString()));
  let failures = failSetups;
  const sup = new SupervisedConsumer({
    name: 'test consumer',
    log: createLogger({ level: 'debug', format: 'json', stream }),
    initialDelayMs: 10,
    maxDelayMs: 40,
    create: () => {
      const c = new FakeConsumer(created.length + 1);
      created.push(c);
      return c as unknown as Consumer;
    },
    setup: async (c) => {
      setups.push((c as unknown as FakeConsumer).n);
      if (setups.length > 1 && failures-- > 0) throw new Error('broker still down');
    },
  });
  return { sup, created, setups, log: () => logged };
}

const until = async (cond: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!cond()) throw new Error('condition not reached');
};

describe('SupervisedConsumer', () => {
  // kafkajs arms its restart timer right after the CRASH event; a disconnect made before that (stop()
  // while kafkajs was deciding) left the timer, and a stopped stage's consumer rejoined the group
  // and held partitions nobody processed (the simulation: windows never reported).
  it('disconnects an instance that crashes after stop(), so kafkajs\'s restart timer is cleared', async () => {
    const h = harness();
    await h.sup.start();
    await h.sup.stop();
    h.created[0].disconnected = false;
    h.created[0].crash(true);
    await new Promise((r) => setImmediate(r));
    expect(h.created[0].disconnected).toBe(true);
    expect(h.created[0].restartArmed).toBe(false);
  });

  it('leaves a crash that kafkajs restarts itself alone', async () => {
    const h = harness();
    await h.sup.start();
    h.created[0].crash(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(h.created).toHaveLength(1);
    expect(h.log()).toContain('kafkajs restarts it');
    await h.sup.stop();
  });

  it('replaces an instance that kafkajs gave up, disconnecting the dead one', async () => {
    const h = harness();
    await h.sup.start();
    h.created[0].crash(false);
    await until(() => h.sup.replacements === 1);
    expect(h.created).toHaveLength(2);
    expect(h.created[0].disconnected).toBe(true);
    expect(h.sup.consumer).toBe(h.created[1]);
    // A late crash event of the dead instance changes nothing.
    h.created[0].crash(false);
    await new Promise((r) => setTimeout(r, 50));
    expect(h.created).toHaveLength(2);
    // The replacement is supervised too.
    h.created[1].crash(false);
    await until(() => h.sup.replacements === 2);
    expect(h.setups).toEqual([1, 2, 3]);
    await h.sup.stop();
    expect(h.created[2].disconnected).toBe(true);
  });

  it('keeps trying while the setup fails, with a growing delay', async () => {
    const h = harness(3);
    await h.sup.start();
    h.created[0].crash(false);
    await until(() => h.sup.replacements === 1);
    expect(h.setups).toEqual([1, 2, 3, 4, 5]);
    expect(h.created.slice(1, 4).every((c) => c.disconnected)).toBe(true);
    expect(h.log().match(/could not be replaced yet/g)).toHaveLength(3);
    expect([...h.log().matchAll(/"delayMs":(\d+)/g)].map((m) => Number(m[1]))).toEqual([10, 20, 40]);
    await h.sup.stop();
  });

  it('stop() during the backoff ends the supervision without a new instance', async () => {
    const h = harness();
    await h.sup.start();
    h.created[0].crash(false);
    await h.sup.stop();
    await new Promise((r) => setTimeout(r, 50));
    expect(h.created).toHaveLength(1);
    expect(h.sup.consumer).toBeUndefined();
  });

  it('stop() during a setup disconnects that instance once the setup has settled', async () => {
    let release: () => void = () => undefined;
    const created: FakeConsumer[] = [];
    const disconnects: number[] = [];
    const sup = new SupervisedConsumer({
      name: 'x',
      log: createLogger({ level: 'error', format: 'json', stream: new PassThrough() }),
      create: () => {
        const c = new FakeConsumer(created.length + 1);
        c.disconnect = async () => void disconnects.push(c.n);
        created.push(c);
        return c as unknown as Consumer;
      },
      // A group join still in progress; kafkajs may go on running the consumer after a disconnect.
      setup: () => new Promise<void>((resolve) => (release = resolve)),
    });
    const starting = sup.start();
    let stopped = false;
    const stopping = sup.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(disconnects).toEqual([1]);
    expect(stopped).toBe(false);
    release();
    await Promise.all([starting, stopping]);
    expect(disconnects).toEqual([1, 1]);
    expect(sup.consumer).toBeUndefined();
  });

  it('a first start that fails rejects (the caller decides)', async () => {
    const sup = new SupervisedConsumer({
      name: 'x',
      log: createLogger({ level: 'error', format: 'json', stream: new PassThrough() }),
      create: () => new FakeConsumer(1) as unknown as Consumer,
      setup: async () => {
        throw new Error('no broker');
      },
    });
    await expect(sup.start()).rejects.toThrow('no broker');
  });
});
