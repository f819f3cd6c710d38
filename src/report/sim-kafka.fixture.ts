/**
 * Test fixture (not built into dist): the simulation's in-memory Kafka (test/sim/kafka, kept honest
 * against the real broker by test/contract) for the report parts' unit tests. `withSimKafka` runs a
 * scenario as one simulated process on virtual time, the world stepped (requests in a seeded order)
 * until the scenario settles; the scenario reads what was committed straight from the fake broker.
 */
import fc from 'fast-check';
import type { Kafka } from 'kafkajs';
import { CompactedTopicView } from '../system/kafka/compacted-view';
import type { Logger } from '../system/observability/logging';
import { FakeBroker } from '../../test/sim/kafka/broker';
import { FakeKafka } from '../../test/sim/kafka/client';
import { simLogger } from '../../test/sim/runtime/logger';
import { SimProcess } from '../../test/sim/runtime/process';
import { World } from '../../test/sim/runtime/world';
import { decodeState, type StateValue } from './state';

export interface SimKafkaEnv {
  world: World;
  broker: FakeBroker;
  /** A client as a process of its own (its requests are that process's; crash it with `process(name).crash()`). */
  kafka(name: string): Kafka;
  process(name: string): SimProcess;
  log: Logger;
  /** Log lines at warn and above the scenario's processes wrote, as `<level>: <message> k=v ...`. */
  logged(): string[];
  /**
   * The committed (read_committed) records of a partition, keys and values as text, once the
   * transaction markers of commits already answered are written (the coordinator writes them after
   * it answers: a millisecond of virtual time later, every pending step has been taken).
   */
  committed(topic: string, partition?: number): Promise<Array<{ key: string | undefined; value: string | undefined }>>;
  /** Waits `ms` of virtual time as the scenario's process. */
  sleep(ms: number): Promise<void>;
  /** A started view of the state topic, as the stage reads it (every key kept). */
  stateView(topic: string, name?: string): Promise<CompactedTopicView<StateValue>>;
}

export async function withSimKafka<T>(scenario: (env: SimKafkaEnv) => Promise<T>, seed = 1): Promise<T> {
  const [scheduler] = fc.sample(fc.scheduler(), { seed, numRuns: 1 });
  const world = new World({ scheduler, seed });
  const broker = new FakeBroker(world);
  const processes = new Map<string, SimProcess>();
  const proc = (name: string): SimProcess => {
    let p = processes.get(name);
    if (!p) processes.set(name, (p = new SimProcess(name)));
    return p;
  };
  const cleanups: Array<() => Promise<unknown>> = [];
  const env: SimKafkaEnv = {
    world,
    broker,
    kafka: (name) => new FakeKafka({ broker, world, process: proc(name) }).asKafka(),
    process: proc,
    log: simLogger(world, 'test'),
    logged: () => world.traceTail().map((l) => l.replace(/^ *\d+ test /, '')).filter((l) => /^(warn|error): /.test(l)),
    committed: async (topic, partition = 0) => {
      await world.sleep(proc('main'), 1);
      return broker.partition(topic, partition).committed().map((r) => ({ key: r.key?.toString(), value: r.value?.toString() }));
    },
    sleep: (ms) => world.sleep(proc('main'), ms),
    stateView: async (topic, name = 'view') => {
      const view = new CompactedTopicView<StateValue>(env.kafka(name), topic, env.log, (_key, value) => decodeState(value), `${name}-group`, { keep: () => true, compactionAdvice: false });
      await view.start();
      cleanups.push(() => view.stop());
      return view;
    },
  };
  world.install();
  try {
    let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
    void proc('main')
      .run(() => scenario(env))
      .then(
        (value) => (outcome = { ok: true, value }),
        (error: unknown) => (outcome = { ok: false, error }),
      );
    await world.runUntil(() => outcome !== undefined, 30 * 60_000, 'the scenario');
    let cleaned = false;
    void proc('main')
      .run(async () => {
        for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
      })
      .finally(() => (cleaned = true));
    await world.runUntil(() => cleaned, 10 * 60_000, 'the cleanup');
    if (!outcome) throw new Error('scenario did not settle');
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  } catch (err) {
    throw Object.assign(err as Error, { message: `${(err as Error).message}\n-- fake broker trace (last lines):\n${world.traceTail().slice(-40).join('\n')}` });
  } finally {
    world.dispose();
  }
}
