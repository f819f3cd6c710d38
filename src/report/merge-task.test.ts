import type { KafkaMessage } from 'kafkajs';
import type { Level } from '../model/levels';
import { encodePartial, type PartialRecord, WindowMerger } from './merge';
import { MergeTask, type MergeTaskContext } from './merge-task';
import { resolveAlertRules } from './rules';
import { type SimKafkaEnv, withSimKafka } from './sim-kafka.fixture';
import { type EmailState, type MergeTaskState, ReportKeys } from './state';
import { resolveWindowOptions, WindowAggregator } from './window';

const LOG = 'log';
const PARTIALS = 'partials';
const STATE = 'state';
const REPORTS = 'reports';
const GROUP = 'g';
const keys = new ReportKeys(GROUP, LOG);
const MINUTE = 60_000;

async function setUp(env: SimKafkaEnv, name: string, over: Partial<MergeTaskContext> = {}): Promise<{ ctx: MergeTaskContext; failures: number[]; ends: jest.Mock }> {
  env.broker.createTopics([{ topic: LOG }, { topic: PARTIALS }, { topic: STATE }, { topic: REPORTS }]);
  const view = await env.stateView(STATE, `${name}-view`);
  const failures: number[] = [];
  const ends = jest.fn(async () => new Map([[0, 0]]));
  const ctx: MergeTaskContext = {
    kafka: env.kafka(name),
    transactionalIdPrefix: 'logpipe',
    groupId: GROUP,
    topic: LOG,
    partialsTopic: PARTIALS,
    stateTopic: STATE,
    reportTopic: REPORTS,
    keys,
    state: view,
    windowSizeMs: MINUTE,
    rules: resolveAlertRules({ thresholds: { ERROR: 1 } }),
    log: env.log,
    logEnds: ends,
    beforeFence: () => undefined,
    onFailure: () => failures.push(1),
    ...over,
  };
  return { ctx, failures, ends };
}

/** A partial of partition 0 of 1 that closes the window at `startMs` with `levels` in it. */
function partial(startMs: number, levels: Level[], over: Partial<PartialRecord> = {}): PartialRecord {
  const agg = new WindowAggregator(resolveWindowOptions({ mode: 'event', sizeMs: MINUTE, closeOnAdd: false }), () => startMs);
  levels.forEach((level, i) => agg.add({ timeMs: startMs + i, arrivalMs: startMs, level, source: 'host-a', message: level === 'ERROR' ? 'disk full' : '' }));
  return { version: 1, partition: 0, partitions: 1, windows: agg.flushOpen(), closedUntilMs: startMs + MINUTE, idle: false, ...over };
}

function message(offset: number, value: Buffer, key = keys.partial(0)): KafkaMessage {
  return { offset: String(offset), key: Buffer.from(key), value, timestamp: '0', attributes: 0, size: 0, headers: {} } as unknown as KafkaMessage;
}

const T0 = Date.UTC(2024, 2, 1, 11, 0, 0);

describe('MergeTask on the in-memory Kafka', () => {
  it('merges its own partials, commits the closed windows, its state and the consumer offset together', () =>
    withSimKafka(async (env) => {
      const { ctx, ends } = await setUp(env, 'm1');
      const task = await MergeTask.open(ctx);
      const published = await task.run(() =>
        task.mergeBatch([
          message(0, encodePartial(partial(T0, ['INFO', 'WARN']))),
          message(1, encodePartial(partial(T0 + MINUTE, ['INFO'])), 'other-group log 0'),
          message(2, Buffer.from('not a partial')),
        ]),
      );
      expect(published.map((p) => [p.report.startMs, p.report.total, p.decision.alert])).toEqual([[T0, 2, false]]);
      expect(ends).not.toHaveBeenCalled();
      const reports = await env.committed(REPORTS);
      expect(reports.map((r) => r.key)).toEqual([published[0].doc.id]);
      expect(JSON.parse(reports[0].value ?? '')).toMatchObject({ total: 2, alert: { alert: false } });
      expect(env.broker.partition(REPORTS, 0).committed()[0].headers).toMatchObject({ group: Buffer.from(GROUP), topic: Buffer.from(LOG) });
      const states = (await env.committed(STATE)).filter((r) => r.key === keys.merge()).map((r) => JSON.parse(r.value ?? '') as MergeTaskState);
      expect(states.at(-1)?.nextOffset).toBe(3);
      expect(env.broker.groups.committedOffset(`${GROUP}-merge`, PARTIALS, 0)).toBe(3);
      expect(env.logged().filter((l) => l.startsWith('error: skipping an unreadable partial record'))).toHaveLength(1);
      // Fetched again (the group's offset lagged): skipped.
      expect(await task.run(() => task.mergeBatch([message(0, encodePartial(partial(T0, ['INFO', 'WARN'])))]))).toEqual([]);
      await task.writer.dropNow();
    }));

  it('commits an alert email record with its report; a settle deletes it in a transaction of its own', () =>
    withSimKafka(async (env) => {
      const { ctx } = await setUp(env, 'm1');
      const task = await MergeTask.open(ctx);
      const [p] = await task.run(() => task.mergeBatch([message(0, encodePartial(partial(T0, ['ERROR', 'ERROR', 'INFO'])))]));
      expect(p.decision.alert).toBe(true);
      expect([...task.emails.keys()]).toEqual([p.report.id]);
      const email = (await env.committed(STATE)).find((r) => r.key === keys.email(p.report.id));
      expect((JSON.parse(email?.value ?? '') as EmailState).pending.report.id).toBe(p.report.id);

      await task.run(() => task.settle(p.report.id, undefined));
      expect(task.emails.size).toBe(0);
      expect((await env.committed(STATE)).filter((r) => r.key === keys.email(p.report.id)).at(-1)?.value).toBeUndefined();
      expect(ctx.state.get(keys.email(p.report.id))).toBeUndefined();
      await task.writer.dropNow();
    }));

  it('reads the log topic ends before merging once the merger holds an idle claim', () =>
    withSimKafka(async (env) => {
      const { ctx, ends } = await setUp(env, 'm1');
      const task = await MergeTask.open(ctx);
      await task.run(() => task.mergeBatch([message(0, encodePartial(partial(T0, [], { windows: [], closedUntilMs: null, idle: true, idleThrough: 5 })))]));
      expect(ends).not.toHaveBeenCalled();
      await task.run(() => task.mergeBatch([message(1, encodePartial(partial(T0, ['INFO'])))]));
      expect(ends).toHaveBeenCalledTimes(1);
      await task.writer.dropNow();
    }));

  it('re-opened elsewhere: fences the old owner and restores its state and pending emails', () =>
    withSimKafka(async (env) => {
      const first = await setUp(env, 'm1');
      const task = await MergeTask.open(first.ctx);
      const [p] = await task.run(() => task.mergeBatch([message(0, encodePartial(partial(T0, ['ERROR', 'ERROR'])))]));
      const second = await setUp(env, 'm2');
      const reopened = await MergeTask.open(second.ctx);
      expect(reopened.state.nextOffset).toBe(1);
      expect([...reopened.emails.keys()]).toEqual([p.report.id]);
      await expect(task.run(() => task.settle(p.report.id, undefined))).rejects.toThrow();
      expect(first.failures).toEqual([1]);
      await expect(task.run(() => task.settle(p.report.id, undefined))).rejects.toThrow('report merge task was dropped; it is re-opened from its committed state');
      await reopened.writer.dropNow();
    }));

  it('gives the pending emails of a state written before they had records of their own their records', () =>
    withSimKafka(async (env) => {
      const { ctx } = await setUp(env, 'm1');
      const pending = partial(T0, ['ERROR', 'ERROR']).windows[0];
      const legacy = { kind: 'merge', merger: new WindowMerger(MINUTE).snapshot(), nextOffset: 4, lastAlertStartMs: T0, emails: { [pending.id]: { report: pending, decision: { alert: true, reasons: ['ERROR > 1'], suppressed: undefined, lastAlertStartMs: T0 }, record: undefined } } };
      const writer = env.kafka('old-version').producer();
      await writer.connect();
      await writer.send({ topic: STATE, messages: [{ key: keys.merge(), value: JSON.stringify(legacy) }] });
      await writer.disconnect();
      const task = await MergeTask.open(ctx);
      expect([...task.emails.keys()]).toEqual([pending.id]);
      expect(task.state.emails).toBeUndefined();
      const state = await env.committed(STATE);
      expect(JSON.parse(state.filter((r) => r.key === keys.merge()).at(-1)?.value ?? '')).not.toHaveProperty('emails');
      expect(state.some((r) => r.key === keys.email(pending.id))).toBe(true);
      await task.writer.dropNow();
    }));
});
