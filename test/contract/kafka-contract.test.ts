/**
 * The contract between the simulation's fake Kafka and the real broker: each scenario of
 * scenarios.ts runs against the local stack's broker (kafkajs, real time) and against the fake
 * (virtual time, three seeds of request ordering), and both must observe exactly the same. A
 * difference means the simulation tests code against a Kafka that does not exist: fix the fake.
 *
 * With LOGPIPE_KAFKA_CLIENT=librdkafka the real side's consumers are librdkafka's (rdkafka-port.ts),
 * its producers stay kafkajs's (backend.ts says why); KAFKAJS_ONLY lists the scenarios left out.
 *
 * Needs the local stack's broker (npm run dev:up; `npm test` has the integration project start it).
 */
import net from 'node:net';
import { kafkaClientOf, loadConfig } from '../../src/system/config/config';
import { runOnFake, runOnReal } from './backend';
import { SCENARIOS } from './scenarios';

const brokers = loadConfig().config.kafka.brokers;

async function reachable(address: string): Promise<boolean> {
  const [host, port] = address.split(':');
  return new Promise((resolve) => {
    const socket = net.connect({ host, port: Number(port), timeout: 2_000 }, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/**
 * Scenarios of kafkajs's own consumer behaviour, which the librdkafka port does differently on
 * purpose (docs/report.md, Kafka clients), with the reason; every other scenario runs on both.
 */
const KAFKAJS_ONLY: Record<string, string> = {
  'a failing handler is retried, then the consumer crashes and restarts from the committed offsets':
    'the librdkafka port never retries or restarts in place: a failed batch ends the instance, and SupervisedConsumer replaces it',
  'a member stuck past its session timeout loses its partitions and learns at its next heartbeat':
    'librdkafka heartbeats from its own thread, so a stuck handler keeps its membership until max.poll.interval.ms; eachBatch\'s heartbeat() does nothing',
};

const client = kafkaClientOf(loadConfig().config, 'report');

describe(`fake Kafka contract (the same observations as the real broker, consumers on ${client})`, () => {
  beforeAll(async () => {
    if (!(await reachable(brokers[0]))) throw new Error(`the contract suite needs the local broker at ${brokers[0]}: start it with \`npm run dev:up\``);
  });

  for (const [name, scenario] of Object.entries(SCENARIOS)) {
    if (client === 'librdkafka' && KAFKAJS_ONLY[name]) continue;
    it(name, async () => {
      const real = await runOnReal(scenario, brokers, client);
      for (const seed of [1, 2, 3]) expect({ seed, observed: await runOnFake(scenario, seed) }).toEqual({ seed, observed: real });
    }, 120_000);
  }
});
