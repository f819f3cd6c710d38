import type { KafkaMessage } from 'kafkajs';
import type { CompactedTopicView } from '../system/kafka/compacted-view';
import { decodePartial, type PartialRecord } from './merge';
import { PartitionTask, type PartitionTaskContext } from './partition-task';
import { type SimKafkaEnv, withSimKafka } from './sim-kafka.fixture';
import { ReportKeys, type StateValue, type TaskState } from './state';
import { resolveWindowOptions } from './window';

const LOG = 'log';
const PARTIALS = 'partials';
const STATE = 'state';
const GROUP = 'g';
const keys = new ReportKeys(GROUP, LOG);

async function setUp(env: SimKafkaEnv, name: string, over: Partial<PartitionTaskContext> = {}): Promise<{ ctx: PartitionTaskContext; view: CompactedTopicView<StateValue>; failures: number[]; late: number[] }> {
  env.broker.createTopics([{ topic: LOG }, { topic: PARTIALS }, { topic: STATE }]);
  const view = await env.stateView(STATE, `${name}-view`);
  const failures: number[] = [];
  const late: number[] = [];
  const ctx: PartitionTaskContext = {
    kafka: env.kafka(name),
    transactionalIdPrefix: 'logpipe',
    groupId: GROUP,
    topic: LOG,
    partialsTopic: PARTIALS,
    stateTopic: STATE,
    keys,
    state: view,
    windowOptions: resolveWindowOptions({ mode: 'event', sizeMs: 60_000, allowedLatenessMs: 5_000, idleCloseMs: Number.MAX_SAFE_INTEGER, sourceIdleMs: 10_000, closeOnAdd: false }),
    log: env.log,
    now: () => env.world.now,
    partitionCount: () => 1,
    beforeFence: () => undefined,
    onFailure: (p) => failures.push(p),
    onLate: () => late.push(1),
    ...over,
  };
  return { ctx, view, failures, late };
}

/** Log-topic records at `offsets`, one INFO line each, event time `atMs` + offset seconds. */
function records(offsets: number[], atMs: number): KafkaMessage[] {
  return offsets.map((o) => ({ offset: String(o), key: Buffer.from('host-a'), value: Buffer.from(`line ${o}`), timestamp: String(atMs + o * 1000), headers: { level: 'INFO' }, attributes: 0, size: 0 }) as unknown as KafkaMessage);
}

function openTotal(task: PartitionTask): number {
  return task.aggregator.snapshot().open.reduce((sum, w) => sum + w.total, 0);
}

async function partials(env: SimKafkaEnv): Promise<PartialRecord[]> {
  return (await env.committed(PARTIALS)).map((r) => decodePartial(Buffer.from(r.value ?? '')));
}

describe('PartitionTask on the in-memory Kafka', () => {
  it('counts a batch and commits its state and the consumer offset in one transaction', () =>
    withSimKafka(async (env) => {
      const { ctx, view } = await setUp(env, 'p1');
      const task = await PartitionTask.open(ctx, 0);
      expect(task.state.nextOffset).toBe(-1);
      await task.run(() => task.countBatch(records([0, 1, 2], env.world.now)));
      expect(openTotal(task)).toBe(3);
      const state = (await env.committed(STATE)).filter((r) => r.key === keys.task(0)).map((r) => JSON.parse(r.value ?? '') as TaskState);
      expect(state.at(-1)?.nextOffset).toBe(3);
      expect(env.broker.groups.committedOffset(GROUP, LOG, 0)).toBe(3);
      expect((view.get(keys.task(0)) as TaskState).nextOffset).toBe(3);
      await task.writer.dropNow();
    }));

  it('skips records below its next offset (fetched again after the group offset lagged a commit)', () =>
    withSimKafka(async (env) => {
      const { ctx } = await setUp(env, 'p1');
      const task = await PartitionTask.open(ctx, 0);
      const t0 = env.world.now;
      await task.run(() => task.countBatch(records([0, 1, 2], t0)));
      await task.run(() => task.countBatch(records([1, 2, 3, 4], t0)));
      expect(openTotal(task)).toBe(5);
      expect(task.state.nextOffset).toBe(5);
      await task.writer.dropNow();
    }));

  it('a failed commit drops the task and leaves the committed state in the view as it was', () =>
    withSimKafka(async (env) => {
      const { ctx, view, failures } = await setUp(env, 'old');
      const task = await PartitionTask.open(ctx, 0);
      const t0 = env.world.now;
      await task.run(() => task.countBatch(records([0, 1], t0)));
      // Another process takes the partition over: this task's next commit is fenced.
      const successor = await setUp(env, 'new');
      const next = await PartitionTask.open(successor.ctx, 0);
      expect(next.state.nextOffset).toBe(2);
      await expect(task.run(() => task.countBatch(records([2, 3], t0)))).rejects.toThrow();
      expect(failures).toEqual([0]);
      expect(task.writer.dropped).toBe(true);
      // Counting worked on a copy: the view still holds what was committed (R2 lost lines when the
      // count moved the view's nextOffset in place and a re-opened task skipped the aborted records).
      expect((view.get(keys.task(0)) as TaskState).nextOffset).toBe(2);
      await expect(task.run(() => task.commit(false, {}))).rejects.toThrow('report task of partition 0 was dropped; it is re-opened from its committed state');
      await next.run(() => next.countBatch(records([2, 3], t0)));
      expect(openTotal(next)).toBe(4);
      await next.writer.dropNow();
    }));

  it('re-opened elsewhere, restores the windows and the next offset of its last commit', () =>
    withSimKafka(async (env) => {
      const first = await setUp(env, 'p1');
      const task = await PartitionTask.open(first.ctx, 0);
      await task.run(() => task.countBatch(records([0, 1, 2], env.world.now)));
      const second = await setUp(env, 'p2');
      const reopened = await PartitionTask.open(second.ctx, 0);
      expect(reopened.state.nextOffset).toBe(3);
      expect(openTotal(reopened)).toBe(3);
    }));

  it('tick: an idle partition hands its open windows out once, with how far it was read', () =>
    withSimKafka(async (env) => {
      const { ctx } = await setUp(env, 'p1');
      const task = await PartitionTask.open(ctx, 0);
      await task.run(() => task.countBatch(records([0, 1, 2], env.world.now - 60_000)));
      const before = (await partials(env)).length;
      // Caught up but not quiet yet: no idle partial.
      await task.run(() => task.tick({ next: 3, high: 3, ingesting: new Set(), idleCloseMs: 10_000 }));
      expect((await partials(env)).filter((p) => p.idle)).toEqual([]);
      await env.sleep(10_000);
      // Quiet, but an object in progress writes to it, or the ledger view is behind: not idle.
      await task.run(() => task.tick({ next: 3, high: 3, ingesting: new Set([0]), idleCloseMs: 10_000 }));
      await task.run(() => task.tick({ next: 3, high: 3, ingesting: undefined, idleCloseMs: 10_000 }));
      expect((await partials(env)).filter((p) => p.idle)).toEqual([]);
      await task.run(() => task.tick({ next: 3, high: 3, ingesting: new Set(), idleCloseMs: 10_000 }));
      const idle = (await partials(env)).slice(before).filter((p) => p.idle);
      expect(idle).toHaveLength(1);
      expect(idle[0]).toMatchObject({ partition: 0, partitions: 1, idle: true, idleThrough: 3 });
      expect(idle[0].windows.reduce((sum, w) => sum + w.total, 0)).toBe(3);
      expect(task.state).toMatchObject({ sentIdle: true, sentIdleThrough: 3 });
      // Nothing changed: no new partial. Read further (a marker): it says so again.
      await task.run(() => task.tick({ next: 3, high: 3, ingesting: new Set(), idleCloseMs: 10_000 }));
      expect((await partials(env)).slice(before).filter((p) => p.idle)).toHaveLength(1);
      await task.run(() => task.tick({ next: 4, high: 4, ingesting: new Set(), idleCloseMs: 10_000 }));
      expect((await partials(env)).slice(before).filter((p) => p.idle).map((p) => p.idleThrough)).toEqual([3, 4]);
      await task.writer.dropNow();
    }));

  it('counts late records and warns once per batch about future-dated ones', () =>
    withSimKafka(async (env) => {
      const { ctx, late } = await setUp(env, 'p1', { windowOptions: resolveWindowOptions({ mode: 'event', sizeMs: 60_000, allowedLatenessMs: 0, futureSkewMs: 60_000, idleCloseMs: Number.MAX_SAFE_INTEGER, sourceIdleMs: 10_000, closeOnAdd: false }) });
      const task = await PartitionTask.open(ctx, 0);
      const now = env.world.now;
      await task.run(() => task.countBatch(records([0], now - 5 * 60_000)));
      await task.run(() => task.tick({ next: 1, high: 1, ingesting: new Set([0]), idleCloseMs: 10_000 }));
      await task.run(() => task.countBatch([...records([1], now), ...records([2, 3], now + 3_600_000)]));
      await task.run(() => task.countBatch(records([4], now - 10 * 60_000)));
      expect(late).toEqual([1]);
      const warnings = env.logged().filter((l) => l.startsWith('warn: future-dated records'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('records=2');
      await task.writer.dropNow();
    }));
});
