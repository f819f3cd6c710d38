/**
 * A report task's take-over on the real broker, on the Kafka client kafka.client names (run it with
 * LOGPIPE_KAFKA_CLIENT=librdkafka for the native client; the CI matrix runs both): the transaction
 * helper of the report stage (transaction.ts) over the client port (src/system/kafka/port.ts).
 *
 * - DESIGN.md: "A paused process that wakes up after its replacement started must fail its next
 *   commit, never land it": a zombie task's commit after its replacement's take-over is refused,
 *   the replacement resumed from the zombie's last commit, and the state topic never holds the
 *   zombie's late state.
 * - takeOver's `beforeFence` refuses before anything is fenced: librdkafka fences at
 *   initTransactions, so the port must not call it at connect, or a refused take-over (a process
 *   just woken from a stall) would still fence the task's owner.
 */
import { PassThrough } from 'node:stream';
import { ReportKeys, stateView, type StateValue, type TaskState } from '../../src/report/state';
import { takeOver, transactionalProducer, TransactionalWriter } from '../../src/report/transaction';
import { createKafka, createKafkaPort } from '../../src/system/kafka/clients';
import type { CompactedTopicView } from '../../src/system/kafka/compacted-view';
import type { KafkaPort } from '../../src/system/kafka/port';
import { createTopics } from '../../src/system/kafka/topics';
import { createLogger } from '../../src/system/observability/logging';
import { readTopicToEnd, testConfig, uniqueName } from '../support/helpers';
import { kafkaClientOf } from '../../src/system/config/config';

jest.setTimeout(180_000);

const config = testConfig();
const log = createLogger({ level: 'error', format: 'json', stream: new PassThrough() });
const admin = createKafka(config, log).admin();
const stateTopic = uniqueName('it-fencing-state');
const group = uniqueName('it-fencing-group');
const keys = new ReportKeys(group, 'log');
const cleanups: Array<() => Promise<unknown>> = [];

/** A process of its own: its clients and its view of the state topic. */
async function processClients(): Promise<{ port: KafkaPort; view: CompactedTopicView<StateValue> }> {
  const port = createKafkaPort(config, log);
  const view = stateView(port, stateTopic, keys, log, false);
  await view.start();
  cleanups.push(() => view.stop());
  return { port, view };
}

const taskState = (nextOffset: number): TaskState => ({ kind: 'task', window: {} as TaskState['window'], nextOffset, sentHorizon: null, sentIdle: false });

/** Opens the task `key` in a process (fencing its previous owner) and returns its writer and restored state. */
async function openTask(p: { port: KafkaPort; view: CompactedTopicView<StateValue> }, beforeFence?: () => void): Promise<{ writer: TransactionalWriter; restored: StateValue | undefined }> {
  const producer = transactionalProducer(p.port, `it-fencing-${group}-0`);
  const restored = await takeOver(producer, p.view, stateTopic, keys.task(0), { beforeFence });
  const writer = new TransactionalWriter(producer, () => new Error('dropped'), () => undefined);
  cleanups.push(() => writer.dropNow());
  return { writer, restored };
}

function commitState(writer: TransactionalWriter, state: TaskState): Promise<void> {
  return writer.commit(async (txn) => {
    await txn.send({ topic: stateTopic, messages: [{ key: keys.task(0), value: Buffer.from(JSON.stringify(state)) }] });
  });
}

beforeAll(async () => {
  await admin.connect();
  await createTopics(admin, [{ topic: stateTopic, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }]);
});

afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await admin.disconnect();
});

describe(`report task take-over on ${kafkaClientOf(config, 'report')}`, () => {
  it('a refused take-over fences nothing; a zombie task cannot commit after its replacement took over, and the replacement resumes from its last commit', async () => {
    const a = await processClients();
    const zombie = await openTask(a);
    expect(zombie.restored).toBeUndefined();
    await commitState(zombie.writer, taskState(10));

    const b = await processClients();
    // Refused before the fencing transaction: the owner keeps committing.
    await expect(openTask(b, () => { throw new Error('refused'); })).rejects.toThrow('refused');
    await commitState(zombie.writer, taskState(20));

    const replacement = await openTask(b);
    expect(replacement.restored).toMatchObject({ kind: 'task', nextOffset: 20 });
    await expect(commitState(zombie.writer, taskState(30))).rejects.toThrow(/fenced|epoch|PRODUCER_FENCED/i);
    await commitState(replacement.writer, taskState(40));

    const committed = (await readTopicToEnd(createKafka(config, log), stateTopic))
      .filter((r) => r.key === keys.task(0))
      .map((r) => (JSON.parse(r.value.toString()) as TaskState).nextOffset);
    expect(committed).toEqual([10, 20, 40]);
  });
});
