/**
 * The contract between the simulation's fake Kafka and the real broker: each scenario of
 * scenarios.ts runs against the local stack's broker (kafkajs, real time) and against the fake
 * (virtual time, three seeds of request ordering), and both must observe exactly the same. A
 * difference means the simulation tests code against a Kafka that does not exist: fix the fake.
 *
 * Needs the local stack's broker (npm run dev:up; `npm test` has the integration project start it).
 */
import net from 'node:net';
import { loadConfig } from '../../src/system/config/config';
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

describe('fake Kafka contract (the same observations as the real broker)', () => {
  beforeAll(async () => {
    if (!(await reachable(brokers[0]))) throw new Error(`the contract suite needs the local broker at ${brokers[0]}: start it with \`npm run dev:up\``);
  });

  for (const [name, scenario] of Object.entries(SCENARIOS)) {
    it(name, async () => {
      const real = await runOnReal(scenario, brokers);
      for (const seed of [1, 2, 3]) expect({ seed, observed: await runOnFake(scenario, seed) }).toEqual({ seed, observed: real });
    }, 120_000);
  }
});
