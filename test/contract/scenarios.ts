/**
 * The behaviours of Kafka (and of kafkajs 2.2.4 talking to it) that logpipe's exactly-once
 * guarantees rest on, each as a scenario that returns what a client observed. The contract test
 * runs every scenario on the real broker and on the simulation's fake broker and requires the same
 * observations: the fake is trusted exactly as far as these scenarios reach.
 */
import type { EachBatchPayload } from 'kafkajs';
import type { ConsumerPort as Consumer, KafkaPort as Kafka, ProducerPort as Producer } from '../../src/system/kafka/port';
import type { ContractEnv, Scenario } from './backend';

/** What a failed call threw, reduced to what code may look at: the protocol error type, or the message. */
export function failure(err: unknown): string {
  const e = err as { type?: string; name?: string; message?: string };
  return e.type ? `${e.name}: ${e.type}` : `${e.name}: ${e.message}`;
}

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return failure(err);
  }
}

async function topic(env: ContractEnv, prefix: string, partitions = 1, compacted = false): Promise<string> {
  const name = env.unique(prefix);
  const admin = await env.admin();
  await admin.createTopics({ topics: [{ topic: name, numPartitions: partitions, configEntries: compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : [] }], waitForLeaders: true });
  return name;
}

async function producer(env: ContractEnv, kafka: Kafka, transactionalId: string, transactionTimeout?: number): Promise<Producer> {
  const p = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, ...(transactionTimeout ? { transactionTimeout } : {}) });
  await p.connect();
  env.defer(() => p.disconnect());
  return p;
}

interface Reader {
  consumer: Consumer;
  messages: Array<{ partition: number; offset: string; key: string | null; value: string | null }>;
  /** END_BATCH_PROCESS payloads: [batchSize, lastOffset]. */
  batches: Array<[number, string]>;
  /** One past the highest lastOffset of END_BATCH_PROCESS per partition (how far it has read, markers included). */
  position: Map<number, number>;
}

/** A read_committed consumer of `name` from the beginning, recording messages and batch events. */
async function reader(env: ContractEnv, name: string, groupId = env.unique('reader')): Promise<Reader> {
  const consumer = env.kafka('reader').consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 100 });
  const r: Reader = { consumer, messages: [], batches: [], position: new Map() };
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    r.batches.push([payload.batchSize, payload.lastOffset]);
    r.position.set(payload.partition, Math.max(r.position.get(payload.partition) ?? 0, Number(payload.lastOffset) + 1));
  });
  await consumer.connect();
  env.defer(() => consumer.disconnect());
  await consumer.subscribe({ topic: name, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }: EachBatchPayload) => {
      for (const m of batch.messages) r.messages.push({ partition: batch.partition, offset: m.offset, key: m.key?.toString() ?? null, value: m.value?.toString() ?? null });
    },
  });
  return r;
}

const values = (r: Reader): Array<string | null> => r.messages.map((m) => m.value);

/** kafkajs sends InitProducerId at the first transaction(): connecting a second producer fences nothing; its first transaction fences the first producer. */
export const fencingAtFirstTransaction: Scenario<unknown> = async (env) => {
  const t = await topic(env, 'fence');
  const tid = env.unique('tid');
  const a = await producer(env, env.kafka('a'), tid);
  const txA = await a.transaction();
  await txA.send({ topic: t, messages: [{ key: 'k', value: 'a1' }] });
  const b = await producer(env, env.kafka('b'), tid);
  const afterConnect = await outcome(txA.send({ topic: t, messages: [{ key: 'k', value: 'a2' }] }));
  const txB = await b.transaction();
  const afterInit = await outcome(txA.send({ topic: t, messages: [{ key: 'k', value: 'a3' }] }));
  const zombieCommit = await outcome(txA.commit());
  const zombieAbort = await outcome(txA.abort());
  const zombieNext = await outcome(a.transaction());
  await txB.send({ topic: t, messages: [{ key: 'k', value: 'b1' }] });
  await txB.commit();
  const r = await reader(env, t);
  const seen = await env.eventually('b1 read', async () => (r.messages.length >= 1 ? values(r) : undefined));
  await env.sleep(500);
  return { afterConnect, afterInit, zombieCommit, zombieAbort, zombieNext, seen: [...seen], later: values(r) };
};

/** An owner that initialised and went idle is fenced by a new owner's first transaction: its next transaction fails at the first send. */
export const zombieAfterNewOwner: Scenario<unknown> = async (env) => {
  const t = await topic(env, 'zombie');
  const tid = env.unique('tid');
  const a = await producer(env, env.kafka('a'), tid);
  const tx1 = await a.transaction();
  await tx1.send({ topic: t, messages: [{ key: 'k', value: 'a1' }] });
  await tx1.commit();
  const b = await producer(env, env.kafka('b'), tid);
  const txB = await b.transaction();
  await txB.send({ topic: t, messages: [{ key: 'k', value: 'b1' }] });
  await txB.commit();
  let zombieSend = 'no transaction';
  let zombieCommit = 'no transaction';
  try {
    const tx2 = await a.transaction();
    zombieSend = await outcome(tx2.send({ topic: t, messages: [{ key: 'k', value: 'a2' }] }));
    zombieCommit = await outcome(tx2.commit());
  } catch (err) {
    zombieSend = failure(err);
  }
  const r = await reader(env, t);
  await env.eventually('b1 read', async () => (r.messages.length >= 2 ? true : undefined));
  await env.sleep(500);
  return { zombieSend, zombieCommit, seen: values(r) };
};

/** An open transaction holds back every later record of its partition from read_committed readers until it ends; aborted records never show. */
export const openTransactionBlocksReaders: Scenario<unknown> = async (env) => {
  const t = await topic(env, 'lso');
  const slow = await producer(env, env.kafka('slow'), env.unique('tid'));
  const fast = await producer(env, env.kafka('fast'), env.unique('tid'));
  const open = await slow.transaction();
  await open.send({ topic: t, messages: [{ key: 'k', value: 'x1' }] });
  const tx = await fast.transaction();
  await tx.send({ topic: t, messages: [{ key: 'k', value: 'y1' }] });
  await tx.commit();
  const r = await reader(env, t);
  await env.sleep(3_000);
  const whileOpen = values(r);
  await open.abort();
  const tx2 = await fast.transaction();
  await tx2.send({ topic: t, messages: [{ key: 'k', value: 'y2' }] });
  await tx2.commit();
  await env.eventually('y2 read', async () => (values(r).includes('y2') ? true : undefined));
  await env.sleep(500);
  return { whileOpen, afterAbort: r.messages.map((m) => `${m.value}@${m.offset}`) };
};

/** What kafkajs's admin.fetchTopicOffsets answers: the last stable offset (READ_COMMITTED), held back by an open transaction. */
export const listOffsetsWithOpenTransaction: Scenario<unknown> = async (env) => {
  const t = await topic(env, 'offsets');
  const admin = await env.admin();
  const p = await producer(env, env.kafka('p'), env.unique('tid'));
  const tx = await p.transaction();
  await tx.send({ topic: t, messages: [{ key: 'k', value: 'c1' }, { key: 'k', value: 'c2' }] });
  await tx.commit();
  const committed = await env.eventually('the commit marker', async () => {
    const [o] = await admin.fetchTopicOffsets(t);
    return o.offset === '3' ? o : undefined;
  });
  const q = await producer(env, env.kafka('q'), env.unique('tid'));
  const open = await q.transaction();
  await open.send({ topic: t, messages: [{ key: 'k', value: 'x' }] });
  await p.transaction().then(async (tx2) => {
    await tx2.send({ topic: t, messages: [{ key: 'k', value: 'c3' }] });
    await tx2.commit();
  });
  await env.sleep(1_000);
  const [whileOpen] = await admin.fetchTopicOffsets(t);
  await open.commit();
  const after = await env.eventually('the open transaction to end', async () => {
    const [o] = await admin.fetchTopicOffsets(t);
    return o.offset !== whileOpen.offset ? o : undefined;
  });
  return { committed, whileOpen, after };
};

/** sendOffsets commits the group's offset with the transaction: not at all when it aborts, atomically when it commits. */
export const sendOffsetsAtomic: Scenario<unknown> = async (env) => {
  const t = await topic(env, 'offsets-in', 2);
  const out = await topic(env, 'offsets-out');
  const group = env.unique('group');
  const admin = await env.admin();
  const p = await producer(env, env.kafka('p'), env.unique('tid'));
  const committedOffsets = async (): Promise<string[]> => (await admin.fetchOffsets({ groupId: group, topics: [t] }))[0].partitions.sort((a, b) => a.partition - b.partition).map((x) => x.offset);
  const aborted = await p.transaction();
  await aborted.send({ topic: out, messages: [{ value: 'a' }] });
  await aborted.sendOffsets({ consumerGroupId: group, topics: [{ topic: t, partitions: [{ partition: 0, offset: '5' }] }] });
  await aborted.abort();
  await env.sleep(1_000);
  const afterAbort = await committedOffsets();
  const tx = await p.transaction();
  await tx.send({ topic: out, messages: [{ value: 'b' }] });
  await tx.sendOffsets({ consumerGroupId: group, topics: [{ topic: t, partitions: [{ partition: 0, offset: '7' }, { partition: 1, offset: '3' }] }] });
  await tx.commit();
  const afterCommit = await env.eventually('the offsets', async () => {
    const o = await committedOffsets();
    return o[0] !== '-1' ? o : undefined;
  });
  const r = await reader(env, out);
  await env.eventually('b read', async () => (r.messages.length ? true : undefined));
  return { afterAbort, afterCommit, output: values(r) };
};

/**
 * sendOffsets carries no consumer generation (kafkajs sends TxnOffsetCommit v0/v1): a producer
 * commits a group's offsets whatever generation the group is in, and whoever is a member. Only
 * fencing the producer stops a zombie consumer's offsets, never the group's generation.
 */
export const sendOffsetsIgnoresGeneration: Scenario<unknown> = async (env) => {
  const t = await topic(env, 'gen');
  const group = env.unique('group');
  const admin = await env.admin();
  const joins: number[] = [];
  const member = env.kafka('member').consumer({ groupId: group, maxWaitTimeInMs: 100 });
  member.on(member.events.GROUP_JOIN, ({ payload }) => joins.push(Object.values(payload.memberAssignment).flat().length));
  await member.connect();
  env.defer(() => member.disconnect());
  await member.subscribe({ topic: t, fromBeginning: true });
  await member.run({ eachBatch: async () => undefined });
  await env.eventually('the member joined', async () => (joins.length ? true : undefined));
  const outsider = await producer(env, env.kafka('outsider'), env.unique('tid'));
  const tx = await outsider.transaction();
  await tx.sendOffsets({ consumerGroupId: group, topics: [{ topic: t, partitions: [{ partition: 0, offset: '42' }] }] });
  const commit = await outcome(tx.commit());
  const offset = await env.eventually('the offset', async () => {
    const [o] = (await admin.fetchOffsets({ groupId: group, topics: [t] }))[0].partitions;
    return o.offset !== '-1' ? o.offset : undefined;
  });
  return { joins, commit, offset };
};

/** A compacted topic read from the beginning: the latest value per key (a null value deletes), whether or not compaction ran. */
export const compactedLatestValue: Scenario<unknown> = async (env) => {
  const t = await topic(env, 'compact', 1, true);
  const p = await producer(env, env.kafka('p'), env.unique('tid'));
  const writes: Array<[string, string | null]> = [['k1', 'v1'], ['k2', 'v1'], ['k1', 'v2'], ['k3', 'v1'], ['k2', null], ['k1', 'v3']];
  for (const [key, value] of writes) {
    const tx = await p.transaction();
    await tx.send({ topic: t, messages: [{ key, value }] });
    await tx.commit();
  }
  const r = await reader(env, t);
  await env.eventually('the last write', async () => (r.messages.some((m) => m.key === 'k1' && m.value === 'v3') ? true : undefined));
  const latest = new Map<string, string>();
  for (const m of r.messages) {
    if (m.value === null) latest.delete(m.key ?? '');
    else latest.set(m.key ?? '', m.value);
  }
  return { latest: Object.fromEntries([...latest].sort()) };
};

/**
 * END_BATCH_PROCESS: lastOffset covers the commit marker of the transaction read; a batch of an
 * aborted transaction (its records and its marker) is not handed to eachBatch but still ends in an
 * END_BATCH_PROCESS with batchSize 0, so a reader that follows lastOffset reaches the end.
 */
export const endBatchAcrossMarkers: Scenario<unknown> = async (env) => {
  const t = await topic(env, 'markers');
  const p = await producer(env, env.kafka('p'), env.unique('tid'));
  const admin = await env.admin();
  const tx = await p.transaction();
  await tx.send({ topic: t, messages: [{ value: 'c0' }, { value: 'c1' }, { value: 'c2' }] });
  await tx.commit();
  const r = await reader(env, t);
  await env.eventually('the committed batch', async () => ((r.position.get(0) ?? 0) >= 4 ? true : undefined));
  const first = { position: r.position.get(0), last: r.batches[r.batches.length - 1] };
  const aborted = await p.transaction();
  await aborted.send({ topic: t, messages: [{ value: 'a0' }] });
  await aborted.abort();
  await env.eventually('the aborted batch', async () => ((r.position.get(0) ?? 0) >= 6 ? true : undefined));
  const [end] = await admin.fetchTopicOffsets(t);
  return { first, afterAbort: { position: r.position.get(0), last: r.batches[r.batches.length - 1] }, end: end.offset, messages: r.messages.map((m) => `${m.value}@${m.offset}`) };
};

/** A transaction left open past its timeout is aborted by the broker: readers move on, and its producer is fenced. */
export const transactionTimeout: Scenario<unknown> = async (env) => {
  const t = await topic(env, 'timeout');
  const stuck = await producer(env, env.kafka('stuck'), env.unique('tid'), 2_000);
  const other = await producer(env, env.kafka('other'), env.unique('tid'));
  const open = await stuck.transaction();
  await open.send({ topic: t, messages: [{ value: 'x' }] });
  const tx = await other.transaction();
  await tx.send({ topic: t, messages: [{ value: 'y' }] });
  await tx.commit();
  const r = await reader(env, t);
  await env.eventually('the timed-out transaction to be aborted', async () => (r.messages.length ? true : undefined), 60_000);
  const lateCommit = await outcome(open.commit());
  return { seen: values(r), lateCommit };
};

/** Group membership: a second member's join makes the first rejoin (noticed at its heartbeat); partitions are split, then all return to the one that stays. */
export const rebalance: Scenario<unknown> = async (env) => {
  const t = await topic(env, 'rebalance', 2);
  const group = env.unique('group');
  const assignments: Record<string, number[][]> = { c1: [], c2: [] };
  const start = async (name: 'c1' | 'c2'): Promise<Consumer> => {
    const c = env.kafka(name).consumer({ groupId: group, maxWaitTimeInMs: 100, heartbeatInterval: 500 });
    c.on(c.events.GROUP_JOIN, ({ payload }) => assignments[name].push([...(payload.memberAssignment[t] ?? [])].sort()));
    await c.connect();
    await c.subscribe({ topic: t, fromBeginning: true });
    await c.run({ eachBatch: async () => undefined });
    return c;
  };
  const c1 = await start('c1');
  env.defer(() => c1.disconnect());
  // c1 must be in the group before c2 asks to join: run() returns before the first assignment, and
  // librdkafka joins slowly enough that both could join in one generation (no rebalance to observe).
  await env.eventually('c1 to join alone', async () => (assignments.c1.length > 0 ? true : undefined));
  const c2 = await start('c2');
  await env.eventually('both to share the partitions', async () => (assignments.c1.at(-1)?.length === 1 && assignments.c2.at(-1)?.length === 1 ? true : undefined));
  const shared = { c1: assignments.c1.at(-1), c2: assignments.c2.at(-1) };
  await c2.disconnect();
  await env.eventually('c1 to take both back', async () => (assignments.c1.at(-1)?.length === 2 ? true : undefined));
  return { firstJoin: assignments.c1[0], sharedSizes: [shared.c1?.length, shared.c2?.length], union: [...(shared.c1 ?? []), ...(shared.c2 ?? [])].sort(), last: assignments.c1.at(-1) };
};

/** seek() moves the next fetch: the records from there are delivered again. */
export const seekRereads: Scenario<unknown> = async (env) => {
  const t = await topic(env, 'seek');
  const p = await producer(env, env.kafka('p'), env.unique('tid'));
  const tx = await p.transaction();
  await tx.send({ topic: t, messages: [{ value: 'm0' }, { value: 'm1' }, { value: 'm2' }] });
  await tx.commit();
  const r = await reader(env, t);
  await env.eventually('the first read', async () => (r.messages.length >= 3 ? true : undefined));
  r.consumer.seek({ topic: t, partition: 0, offset: '1' });
  await env.eventually('the read after the seek', async () => (r.messages.length >= 5 ? true : undefined));
  await env.sleep(500);
  return { messages: r.messages.map((m) => `${m.value}@${m.offset}`) };
};

/**
 * A read that begins inside two aborted transactions (a's from offset 0, b's from offset 1, the fetch
 * from offset 1) sees neither, only the committed record after them. kafkajs 2.2.4 as published let
 * b's record through (patches/kafkajs+2.2.4.patch).
 */
export const seekIntoAbortedTransactions: Scenario<unknown> = async (env) => {
  const t = await topic(env, 'aborted');
  const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((n) => producer(env, env.kafka(n), env.unique(`tid-${n}`))));
  const ta = await a.transaction();
  await ta.send({ topic: t, messages: [{ value: 'aborted a' }] });
  const tb = await b.transaction();
  await tb.send({ topic: t, messages: [{ value: 'aborted b' }] });
  await ta.abort();
  await tb.abort();
  const tc = await c.transaction();
  await tc.send({ topic: t, messages: [{ value: 'committed c' }] });
  await tc.commit();
  const r = await reader(env, t);
  await env.eventually('the first read', async () => (r.messages.length >= 1 ? true : undefined));
  r.consumer.seek({ topic: t, partition: 0, offset: '1' });
  await env.eventually('the read after the seek', async () => (r.messages.length >= 2 ? true : undefined));
  await env.sleep(500);
  return { messages: r.messages.map((m) => `${m.value}@${m.offset}`) };
};

/**
 * A handler that keeps failing: kafkajs retries the batch from the same offset, then the consumer
 * crashes (CRASH with restart as restartOnFailure decides) and a restarted consumer starts over
 * from the group's committed offsets (none here: the beginning), its seeks forgotten.
 */
export const failingHandlerCrashes: Scenario<unknown> = async (env) => {
  const t = await topic(env, 'crash');
  const p = await producer(env, env.kafka('p'), env.unique('tid'));
  const tx = await p.transaction();
  await tx.send({ topic: t, messages: [{ value: 'm0' }, { value: 'm1' }] });
  await tx.commit();
  const consumer = env.kafka('c').consumer({ groupId: env.unique('group'), maxWaitTimeInMs: 100, retry: { retries: 2, initialRetryTime: 100, restartOnFailure: async () => true } });
  const deliveries: string[] = [];
  const crashes: Array<{ name: string; restart: boolean }> = [];
  let failing = 3;
  consumer.on(consumer.events.CRASH, ({ payload }) => crashes.push({ name: payload.error.name, restart: payload.restart }));
  await consumer.connect();
  env.defer(() => consumer.disconnect());
  await consumer.subscribe({ topic: t, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch, resolveOffset }) => {
      deliveries.push(batch.messages.map((m) => m.offset).join(','));
      if (failing-- > 0) throw new Error('handler failed');
      for (const m of batch.messages) resolveOffset(m.offset);
    },
  });
  await env.eventually('a delivery that succeeds', async () => (failing < 0 ? true : undefined), 60_000);
  await env.sleep(500);
  return { deliveries, crashes };
};

/**
 * A member stuck in its handler longer than the session timeout loses its partitions to the other
 * member while it is stuck; it only learns so at its next heartbeat, then rejoins.
 */
export const stuckMemberLosesPartitions: Scenario<unknown> = async (env) => {
  const t = await topic(env, 'stuck', 2);
  const p = await producer(env, env.kafka('p'), env.unique('tid'));
  const group = env.unique('group');
  const joins: Record<string, number[][]> = { c1: [], c2: [] };
  const errors: string[] = [];
  let stuck = true;
  let unstick: () => void = () => undefined;
  const start = async (name: 'c1' | 'c2'): Promise<Consumer> => {
    const c = env.kafka(name).consumer({ groupId: group, maxWaitTimeInMs: 100, sessionTimeout: 6_000, heartbeatInterval: 500 });
    c.on(c.events.GROUP_JOIN, ({ payload }) => joins[name].push([...(payload.memberAssignment[t] ?? [])].sort()));
    await c.connect();
    env.defer(() => c.disconnect());
    await c.subscribe({ topic: t, fromBeginning: true });
    await c.run({
      eachBatch: async ({ heartbeat }) => {
        if (name === 'c1' && stuck) {
          await new Promise<void>((r) => (unstick = r));
          stuck = false;
          await heartbeat().catch((err: unknown) => {
            errors.push(failure(err));
            throw err;
          });
        }
      },
    });
    return c;
  };
  await start('c1');
  await env.eventually('c1 to own both partitions', async () => (joins.c1.at(-1)?.length === 2 ? true : undefined));
  const tx = await p.transaction();
  await tx.send({ topic: t, messages: [{ value: 'x', partition: 0 }] });
  await tx.commit();
  await env.sleep(1_000);
  await start('c2');
  await env.eventually('c2 to own both partitions', async () => (joins.c2.at(-1)?.length === 2 ? true : undefined), 60_000);
  const whileStuck = { c1: joins.c1.length, c2: joins.c2.at(-1) };
  unstick();
  await env.eventually('c1 to rejoin', async () => (joins.c1.length > whileStuck.c1 && joins.c1.at(-1)?.length === 1 ? true : undefined), 60_000);
  return { whileStuck, heartbeatError: errors, sizes: [joins.c1.at(-1)?.length, joins.c2.at(-1)?.length] };
};

/**
 * Offsets-for-times (kafkajs's admin.fetchTopicOffsetsByTimestamp, which the ledgers' horizons
 * read from, docs/ingest.md "Ledger horizon"): per partition the earliest offset whose record
 * timestamp is at or after the time asked, in offset order whatever the time order of the records
 * before it (one batch stamped out of order), transaction markers included (stamped by the broker
 * when written); only below the last stable offset (a later committed record past an open
 * transaction is not an answer); where there is none, the last stable offset (kafkajs's fallback:
 * the broker answers no offset). An empty partition answers its end, 0.
 */
export const offsetsForTimes: Scenario<unknown> = async (env) => {
  const t = await topic(env, 'times', 2);
  const admin = await env.admin();
  const lso = (n: number) => async () => ((await admin.fetchTopicOffsets(t)).find((o) => o.partition === 0)?.offset === String(n) ? true : undefined);
  // Ten days ago: well before now, and far from any limit a broker puts on timestamps.
  const base = Date.now() - 10 * 24 * 3_600_000;
  const at = (ms: number): string => String(base + ms);
  const p = await producer(env, env.kafka('p'), env.unique('tid'));
  const tx1 = await p.transaction();
  // Offsets 0, 1, 2 in one batch, out of time order; the commit marker at 3.
  await tx1.send({ topic: t, messages: [{ key: 'a', value: 'a', partition: 0, timestamp: at(1_000) }, { key: 'b', value: 'b', partition: 0, timestamp: at(3_000) }, { key: 'c', value: 'c', partition: 0, timestamp: at(2_000) }] });
  await tx1.commit();
  await env.eventually('the commit marker', lso(4));
  // Offset 4 aborted, its marker at 5.
  const tx2 = await p.transaction();
  await tx2.send({ topic: t, messages: [{ key: 'd', value: 'd', partition: 0, timestamp: at(5_000) }] });
  await tx2.abort();
  await env.eventually('the abort marker', lso(6));
  // Offset 6 in an open transaction (the last stable offset stays 6); offset 7 committed after it,
  // stamped half an hour ahead (Kafka 4 refuses more than an hour by default).
  const q = await producer(env, env.kafka('q'), env.unique('tid'));
  const open = await q.transaction();
  await open.send({ topic: t, messages: [{ key: 'g', value: 'g', partition: 0, timestamp: at(7_000) }] });
  const tx4 = await p.transaction();
  await tx4.send({ topic: t, messages: [{ key: 'h', value: 'h', partition: 0, timestamp: String(Date.now() + 30 * 60_000) }] });
  await tx4.commit();
  await env.sleep(1_000);
  const asked: Record<string, number> = {
    'before every record': base,
    'exactly the first record': base + 1_000,
    'between the first and the third (second in time)': base + 1_500,
    'after the third (second in time), before the second': base + 2_500,
    'after the batch, before the markers': base + 3_500,
    'after every data record below the open transaction': base + 8_000,
    'after every record below the last stable offset, before the one past it': Date.now() + 20 * 60_000,
    'after every record': Date.now() + 24 * 3_600_000,
  };
  const answers: Record<string, Array<[number, string]>> = {};
  for (const [label, ms] of Object.entries(asked)) {
    answers[label] = (await admin.fetchTopicOffsetsByTimestamp(t, ms)).map((o): [number, string] => [o.partition, o.offset]).sort((x, y) => x[0] - y[0]);
  }
  await open.abort();
  return answers;
};

/** Every scenario, by name. */
export const SCENARIOS: Record<string, Scenario<unknown>> = {
  'fencing happens at the first transaction(), not at connect()': fencingAtFirstTransaction,
  'an initialised owner is fenced by a new owner: its next send fails': zombieAfterNewOwner,
  'an open transaction blocks read_committed readers until it ends; aborted records never show': openTransactionBlocksReaders,
  'fetchTopicOffsets answers the last stable offset while a transaction is open': listOffsetsWithOpenTransaction,
  'sendOffsets commits the group offset atomically with the transaction': sendOffsetsAtomic,
  'sendOffsets is not checked against the consumer group generation': sendOffsetsIgnoresGeneration,
  'a compacted topic read from the beginning gives the latest value per key': compactedLatestValue,
  'END_BATCH_PROCESS lastOffset covers transaction markers': endBatchAcrossMarkers,
  'a transaction past its timeout is aborted and its producer fenced': transactionTimeout,
  'a joining member makes the group rebalance': rebalance,
  'seek() makes the next fetch start there': seekRereads,
  'a read that begins inside two aborted transactions sees neither': seekIntoAbortedTransactions,
  'offsets-for-times: the earliest offset stamped at or after the time, below the last stable offset, else that offset': offsetsForTimes,
  'a failing handler is retried, then the consumer crashes and restarts from the committed offsets': failingHandlerCrashes,
  'a member stuck past its session timeout loses its partitions and learns at its next heartbeat': stuckMemberLosesPartitions,
};
