/**
 * A long-running kafkajs consumer that always comes back. kafkajs restarts a crashed consumer only
 * when it deems the error retriable (NEVER_RESTART in clients.ts turns that off); some errors it
 * classifies as non-retriable are plain outages — "Failed to find group coordinator" while a broker
 * restarts — and then the consumer stays stopped for good, and whatever it feeds (the report stage,
 * the ingest ledger) silently stops with it. This wrapper notices such a crash (`restart: false` in
 * the CRASH event), throws the dead instance away, and sets up a new one after a backoff, again and
 * again until it runs or stop() is called.
 *
 * A consumer's offsets live in its group (or, for the report stage, in its transactional state), so
 * a replacement instance resumes where the group left off, like a process restart.
 */
import type { ConsumerPort as Consumer } from './port';
import type { Logger } from '../observability/logging';

export interface SupervisedConsumerOptions {
  /** Names the consumer in logs. */
  name: string;
  /** A new consumer instance (called for the first start and for each replacement). */
  create(): Consumer;
  /** Attaches listeners, connects, subscribes and runs the instance. */
  setup(consumer: Consumer): Promise<void>;
  log: Logger;
  /** First delay before a replacement, doubled per failed attempt up to maxDelayMs. */
  initialDelayMs?: number;
  maxDelayMs?: number;
}

export class SupervisedConsumer {
  private instance: Consumer | undefined;
  private stopped = false;
  private replacing: Promise<void> | undefined;
  private launching: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  /** Replacements made so far (for logs and tests). */
  replacements = 0;
  /** Set when the instance a replacement is launching crashes before the launch resolves. */
  private crashedDuringLaunch = false;

  constructor(private readonly o: SupervisedConsumerOptions) {}

  /** The current instance (changes after a replacement). */
  get consumer(): Consumer | undefined {
    return this.instance;
  }

  /** First start: rejects when the first setup fails (the caller decides whether to retry). */
  async start(): Promise<void> {
    await this.launch();
  }

  /**
   * Stops supervising and disconnects. May be called while an instance is still being set up (a
   * shutdown during start-up): that instance is disconnected at once, which ends a group join in
   * progress, and again once its setup has settled, so that nothing is left running after this
   * resolves (a consumer that kafkajs starts after its disconnect would run on unseen).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    const consumer = this.instance;
    await consumer?.disconnect().catch(() => undefined);
    await this.launching?.catch(() => undefined);
    await this.replacing?.catch(() => undefined);
    for (const c of new Set([consumer, this.instance])) await c?.disconnect().catch(() => undefined);
    this.instance = undefined;
  }

  private async launch(): Promise<void> {
    this.launching = this.setUp();
    try {
      await this.launching;
    } finally {
      this.launching = undefined;
    }
  }

  private async setUp(): Promise<void> {
    const consumer = this.o.create();
    this.instance = consumer;
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (this.stopped || consumer !== this.instance) {
        // kafkajs arms its restart timer right after this event returns, and a disconnect called
        // earlier (stop() while kafkajs was still deciding to restart) did not clear it: without
        // this, a stopped or replaced instance would rejoin the group and hold partitions nobody
        // processes. Deferred to a microtask, so that it runs once the timer is armed.
        queueMicrotask(() => void consumer.disconnect().catch(() => undefined));
        return;
      }
      if (payload.restart) {
        this.o.log.error(`${this.o.name} crashed; kafkajs restarts it after a backoff`, { error: payload.error?.message });
        return;
      }
      this.o.log.error(`${this.o.name} crashed; replacing it`, { error: payload.error?.message });
      // A crash of the instance a replacement is launching: that replacement tries again.
      this.crashedDuringLaunch = this.replacing !== undefined;
      this.replacing ??= this.replace(consumer).finally(() => (this.replacing = undefined));
    });
    await this.o.setup(consumer);
  }

  private async replace(dead: Consumer): Promise<void> {
    await dead.disconnect().catch(() => undefined);
    let delay = this.o.initialDelayMs ?? 1_000;
    const max = this.o.maxDelayMs ?? 5_000;
    for (;;) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, delay);
      });
      this.wake = undefined;
      if (this.stopped) return;
      try {
        this.crashedDuringLaunch = false;
        await this.launch();
        if (this.crashedDuringLaunch) throw new Error('the new instance crashed while it started');
        this.replacements++;
        this.o.log.info(`${this.o.name} replaced and running`, { replacements: this.replacements });
        return;
      } catch (err) {
        this.o.log.warn(`${this.o.name} could not be replaced yet; retrying`, { delayMs: delay, error: (err as Error).message });
        await this.instance?.disconnect().catch(() => undefined);
        delay = Math.min(max, delay * 2);
      }
    }
  }
}
