/**
 * Where a contract scenario runs: the real broker of the local stack (kafkajs or librdkafka, real time) or the
 * fake broker of the simulation (virtual time, driven by a World until the scenario settles). A
 * scenario only uses what this interface offers, so both backends run the very same code.
 */
import fc from 'fast-check';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import type { KafkaClientKind } from '../../src/system/config/config';
import { loadLibrdkafka } from '../../src/system/kafka/librdkafka';
import type { KafkaPort } from '../../src/system/kafka/port';
import { rdkafkaPort } from '../../src/system/kafka/rdkafka-port';
import { quietLogger } from '../support/helpers';
import { FakeBroker } from '../sim/kafka/broker';
import { FakeKafka } from '../sim/kafka/client';
import { SimProcess } from '../sim/runtime/process';
import { World } from '../sim/runtime/world';

export interface ContractEnv {
  readonly backend: 'fake' | 'real';
  /** A client of its own (on the fake: its own process); `name` is only for the broker's logs. */
  kafka(name: string): KafkaPort;
  /** A connected admin client. */
  admin(): Promise<Admin>;
  /** A topic or group name no other run uses. */
  unique(prefix: string): string;
  sleep(ms: number): Promise<void>;
  /** Polls `fn` every 100 ms until it returns something other than undefined; fails after `timeoutMs`. */
  eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs?: number): Promise<T>;
  /** Runs on teardown (disconnects), in reverse order. */
  defer(fn: () => Promise<unknown>): void;
}

export type Scenario<T> = (env: ContractEnv) => Promise<T>;

abstract class BaseEnv implements ContractEnv {
  abstract readonly backend: 'fake' | 'real';
  private readonly cleanups: Array<() => Promise<unknown>> = [];
  abstract kafka(name: string): KafkaPort;
  abstract unique(prefix: string): string;
  abstract sleep(ms: number): Promise<void>;

  async admin(): Promise<Admin> {
    const admin = this.kafka('admin').admin();
    await admin.connect();
    this.defer(() => admin.disconnect());
    return admin;
  }

  async eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
      try {
        const v = await fn();
        if (v !== undefined) return v;
      } catch (err) {
        last = err;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
      await this.sleep(100);
    }
  }

  defer(fn: () => Promise<unknown>): void {
    this.cleanups.push(fn);
  }

  async cleanup(): Promise<void> {
    for (const fn of this.cleanups.reverse()) await fn().catch(() => undefined);
  }
}

class RealEnv extends BaseEnv {
  readonly backend = 'real' as const;
  constructor(private readonly brokers: string[], private readonly client: KafkaClientKind) {
    super();
  }
  kafka(name: string): KafkaPort {
    const kafka = new Kafka({ clientId: `contract-${name}`, brokers: this.brokers, logLevel: logLevel.NOTHING });
    if (this.client === 'kafkajs') return kafka;
    // librdkafka's consumers with kafkajs's producers: the scenarios' observations of a consumer
    // depend on what the producers wrote, and the fake models kafkajs's producer (librdkafka's
    // queues records until the commit and drops them at an abort: an aborted transaction may leave
    // no record and no marker). Its producer is tested on its own (report-task-fencing.test.ts).
    const rd = rdkafkaPort(loadLibrdkafka(), { 'bootstrap.servers': this.brokers.join(','), 'client.id': `contract-${name}`, log_level: 0 }, () => kafka.admin(), quietLogger().logger);
    return { consumer: (config) => rd.consumer(config), producer: (config) => kafka.producer(config), admin: () => kafka.admin() };
  }
  unique(prefix: string): string {
    return `contract-${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  }
  sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
  }
}

class FakeEnv extends BaseEnv {
  readonly backend = 'fake' as const;
  private names = 0;
  constructor(readonly world: World, readonly broker: FakeBroker, private readonly main: SimProcess) {
    super();
  }
  kafka(name: string): Kafka {
    return new FakeKafka({ broker: this.broker, world: this.world, process: new SimProcess(name) }).asKafka();
  }
  unique(prefix: string): string {
    return `contract-${prefix}-${++this.names}`;
  }
  sleep(ms: number): Promise<void> {
    return this.world.sleep(this.main, ms);
  }
}

/** Runs a scenario against the real broker at `brokers`, its clients on the `client` library (rdkafka-port.ts for librdkafka). */
export async function runOnReal<T>(scenario: Scenario<T>, brokers: string[], client: KafkaClientKind = 'kafkajs'): Promise<T> {
  const env = new RealEnv(brokers, client);
  try {
    return await scenario(env);
  } finally {
    await env.cleanup();
  }
}

/**
 * Runs a scenario against a fresh fake broker: the world is stepped (requests in a seeded random
 * order, virtual time) until the scenario settles.
 */
export async function runOnFake<T>(scenario: Scenario<T>, seed = 1): Promise<T> {
  const [scheduler] = fc.sample(fc.scheduler(), { seed, numRuns: 1 });
  const world = new World({ scheduler, seed });
  const broker = new FakeBroker(world);
  const main = new SimProcess('scenario');
  const env = new FakeEnv(world, broker, main);
  world.install();
  try {
    let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
    void main.run(() => scenario(env)).then(
      (value) => (outcome = { ok: true, value }),
      (error: unknown) => (outcome = { ok: false, error }),
    );
    await world.runUntil(() => outcome !== undefined, 30 * 60_000, 'the scenario');
    let cleaned = false;
    void main.run(() => env.cleanup()).finally(() => (cleaned = true));
    await world.runUntil(() => cleaned, 10 * 60_000, 'the cleanup');
    if (!outcome) throw new Error('scenario did not settle');
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  } catch (err) {
    throw Object.assign(err as Error, { message: `${(err as Error).message}\n-- fake broker trace (last lines):\n${world.traceTail().slice(-60).join('\n')}` });
  } finally {
    world.dispose();
  }
}
