/**
 * A kafkajs-shaped client of the fake broker for one simulated process: `new FakeKafka(...)` stands
 * in for kafkajs's `Kafka` wherever the code takes one (`asKafka()`). Every broker request goes
 * over the world's network as that process (World.request): it waits out pauses, dies with a
 * crash, and can be hit by injected faults.
 */
import type { Kafka } from 'kafkajs';
import type { SimProcess } from '../runtime/process';
import type { World } from '../runtime/world';
import type { FakeBroker } from './broker';
import { FakeAdmin } from './admin';
import { FakeConsumer, type FakeConsumerConfig } from './consumer';
import { FakeProducer, type FakeProducerConfig } from './producer';

/** What every fake client needs: the broker, the network, and whose requests these are. */
export interface ClientContext {
  broker: FakeBroker;
  world: World;
  process: SimProcess;
  clientId: string;
  /** Most record batches a Fetch returns per partition (a real broker's maxBytes, scaled down). */
  fetchMaxBatches: number;
  /** How long an idle fetch waits for records at least (see FakeConsumerConfig.idleFetchMs). */
  idleFetchMs: number;
  /** Sends a request to the broker as this process (see World.request). */
  request<T>(label: string, apply: () => T | Promise<T>): Promise<T>;
  /** Sleeps as this process. */
  sleep(ms: number): Promise<void>;
}

export interface FakeKafkaOptions {
  broker: FakeBroker;
  world: World;
  process: SimProcess;
  clientId?: string;
  fetchMaxBatches?: number;
  /** Default idleFetchMs of this client's consumers (3 s, kafkajs's heartbeat interval). */
  idleFetchMs?: number;
}

export class FakeKafka {
  private readonly ctx: ClientContext;
  private clients = 0;

  constructor(o: FakeKafkaOptions) {
    const { world, process } = o;
    this.ctx = {
      broker: o.broker,
      world,
      process,
      clientId: o.clientId ?? process.name,
      fetchMaxBatches: o.fetchMaxBatches ?? Infinity,
      idleFetchMs: o.idleFetchMs ?? 3_000,
      request: (label, apply) => world.request(process, label, apply),
      sleep: (ms) => world.sleep(process, ms),
    };
  }

  producer(config: FakeProducerConfig = {}): FakeProducer {
    return new FakeProducer(this.ctx, config);
  }

  consumer(config: FakeConsumerConfig): FakeConsumer {
    return new FakeConsumer({ ...this.ctx, clientId: `${this.ctx.clientId}.c${++this.clients}` }, config);
  }

  admin(): FakeAdmin {
    return new FakeAdmin(this.ctx);
  }

  /** This client typed as kafkajs's Kafka, for code that takes one (only the subset above exists). */
  asKafka(): Kafka {
    return this as unknown as Kafka;
  }
}
