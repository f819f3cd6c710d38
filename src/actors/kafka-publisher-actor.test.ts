import { PassThrough } from 'node:stream';
import type { Ledger } from '../ingest/ledger';
import type { ObjectProgress } from '../ingest/progress';
import { createLogger } from '../system/observability/logging';
import { Metrics } from '../system/observability/metrics';
import { loadConfig } from '../system/config/config';
import KafkaPublisherActor, { publisherOpener } from './kafka-publisher-actor';

const log = createLogger({ level: 'error', format: 'json', stream: new PassThrough() });
const progress = (status: ObjectProgress['status']): ObjectProgress => ({ id: 'o', status, byteOffset: 10, lines: 1, entries: 1, records: 1, parser: { format: undefined, dayMs: 0, lastTodMs: -1, lastTimeMs: 0, lines: 1 }, updatedAt: '' });

const HORIZON_MS = 1_000_000;

/**
 * `failCommit`: every commit rejects with this error (a broker outage); `failBatches`: only commits
 * with records do. `beyond`: entries in the part of the progress topic the ledger did not read (older than its
 * horizon, HORIZON_MS here); the ledger holds all of a version modified at or after HORIZON_MS.
 */
function setup(committed?: ObjectProgress, metrics?: Metrics, failCommit?: Error, failFence?: Error, failBatches?: Error, beyond = new Map<string, ObjectProgress>()) {
  const events: string[] = [];
  const entries = new Map<string, ObjectProgress>(committed ? [['o', committed]] : []);
  const ledger = {
    get: (id: string) => entries.get(id),
    holdsAllOf: (ms: number | undefined) => ms !== undefined && ms >= HORIZON_MS,
    recall: async (id: string) => {
      events.push('recall');
      const found = beyond.get(id);
      if (found && !entries.has(id)) entries.set(id, found);
      return entries.get(id);
    },
    remember: (p: ObjectProgress) => void entries.set(p.id, p),
    syncThrough: async (write: (key: string) => Promise<void>) => {
      await write('barrier');
      events.push('read to the barrier');
    },
    release: () => undefined,
  } as unknown as Ledger;
  const actor = new KafkaPublisherActor();
  actor.init({
    kafka: {} as never,
    admin: {} as never,
    ledger,
    topics: { log: 'l', progress: 'p', deadLetter: 'd' },
    transactionalIdPrefix: 'tx',
    log,
    metrics,
    open: async (tid) => {
      events.push(`open ${tid.slice(0, 3)}`);
      return {
        fence: async (key) => {
          if (failFence) throw failFence;
          events.push(`fence ${key}`);
        },
        commit: async (records, p) => {
          if (failCommit) throw failCommit;
          if (failBatches && records.length > 0) throw failBatches;
          events.push(`commit ${records.length} ${p.status}`);
          // As LibrdkafkaObjectPublisher does once its records are queued (VersionPublisher.commit):
          // the actor must have read what it counts before.
          records.length = 0;
        },
        deadLetter: async (p) => void events.push(`dead-letter ${p.reason}`),
        close: async () => void events.push('close'),
      };
    },
  });
  return { actor, events, entries };
}

describe('KafkaPublisherActor', () => {
  // Fencing first, then reading the ledger: whatever a fenced writer committed is known before
  // resuming (issue 14 item 2: the ledger was read before kafkajs initialised the id).
  it('begin opens the producer, fences with a barrier, reads the ledger up to it, and returns the committed progress', async () => {
    const { actor, events, entries } = setup(progress('in-progress'));
    await expect(actor.begin('o')).resolves.toMatchObject({ byteOffset: 10 });
    // Resumed in progress: its progress again with the take-over's time, so the report stage holds its partition.
    expect(events).toEqual(['open tx-', 'fence barrier', 'read to the barrier', 'commit 0 in-progress']);
    expect(entries.get('o')).toMatchObject({ byteOffset: 10, lines: 1 });
    expect(entries.get('o')?.updatedAt).not.toBe('');
  });

  // The ledger horizon (docs/ingest.md): a version modified before it may be done in the part of the
  // ledger not read; the take-over looks it up there, after the fence, before writing anything.
  it('begin of a version older than the horizon looks it up in the part not read: done stays a no-op, unknown gets a start record', async () => {
    const done: ObjectProgress = { id: 'o', status: 'done', byteOffset: 9, lines: 3, entries: 3, records: 3, updatedAt: '2026-01-01T00:00:00.000Z' };
    const old = setup(undefined, undefined, undefined, undefined, undefined, new Map([['o', done]]));
    await expect(old.actor.begin('o', HORIZON_MS - 1)).resolves.toEqual(done);
    expect(old.events).toEqual(['open tx-', 'fence barrier', 'read to the barrier', 'recall']);
    const recent = setup(undefined, undefined, undefined, undefined, undefined, new Map([['o', done]]));
    await expect(recent.actor.begin('o', HORIZON_MS)).resolves.toBeUndefined();
    expect(recent.events).toEqual(['open tx-', 'fence barrier', 'read to the barrier', 'commit 0 in-progress']);
    const unknownAge = setup();
    await expect(unknownAge.actor.begin('o')).resolves.toBeUndefined();
    expect(unknownAge.events).toEqual(['open tx-', 'fence barrier', 'read to the barrier', 'recall', 'commit 0 in-progress']);
  });

  // R2: a version known to the ledger only from its first batch held no partition for the report
  // stage while that batch was held up by an outage; the other sources' windows closed without it.
  it('begin of a version with no progress commits a start record, which later begins take as no progress', async () => {
    const { actor, events, entries } = setup();
    await expect(actor.begin('o', HORIZON_MS)).resolves.toBeUndefined();
    expect(events).toEqual(['open tx-', 'fence barrier', 'read to the barrier', 'commit 0 in-progress']);
    expect(entries.get('o')).toMatchObject({ id: 'o', status: 'in-progress', byteOffset: 0, lines: 0, records: 0 });
    expect(entries.get('o')?.parser).toBeUndefined();
    await actor.finish('o');
    events.length = 0;
    await expect(actor.begin('o', HORIZON_MS)).resolves.toBeUndefined(); // resumed from its start: from the beginning
    expect(events).toEqual(['open tx-', 'fence barrier', 'read to the barrier', 'commit 0 in-progress']);
  });

  it('closes the producer when the start record cannot be committed, so the version can be begun again', async () => {
    const { actor, events } = setup(undefined, undefined, new Error('broker down'));
    await expect(actor.begin('o', HORIZON_MS)).rejects.toThrow('broker down');
    expect(events).toEqual(['open tx-', 'fence barrier', 'read to the barrier', 'close']);
  });

  // Issue 14 item 1: a second begin of a running version closed the first job's producer.
  it('refuses a second begin of a version it is ingesting, leaving the first job\'s producer open', async () => {
    const { actor, events } = setup();
    await actor.begin('o');
    await expect(actor.begin('o')).rejects.toThrow(/already being ingested/);
    expect(events).not.toContain('close');
    await actor.commit('o', [{ value: 'x' }], progress('done'));
    expect(events).toContain('commit 1 done');
  });

  it('closes the producer when fencing fails, so the version can be begun again', async () => {
    const { actor, events } = setup(undefined, undefined, undefined, new Error('broker down'));
    await expect(actor.begin('o', HORIZON_MS)).rejects.toThrow('broker down');
    expect(events).toEqual(['open tx-', 'close']);
    await expect(actor.commit('o', [], progress('done'))).rejects.toThrow(/not begun/);
  });

  it('commits through the object\'s producer and remembers the progress', async () => {
    const { actor, events, entries } = setup();
    await actor.begin('o');
    await actor.commit('o', [{ value: 'x' }], progress('done'));
    expect(events).toContain('commit 1 done');
    expect(entries.get('o')?.status).toBe('done');
    await expect(actor.known('o')).resolves.toMatchObject({ status: 'done' });
    await actor.finish('o');
    expect(events[events.length - 1]).toBe('close');
  });

  it('refuses a commit for an object it did not begin', async () => {
    const { actor } = setup();
    await expect(actor.commit('other', [], progress('done'))).rejects.toThrow('object other was not begun');
  });

  it('dead-letters with the reason', async () => {
    const { actor, events } = setup();
    await actor.begin('o');
    await actor.deadLetter('o', { ...progress('dead-letter'), reason: 'corrupt gzip' }, {});
    expect(events).toContain('dead-letter corrupt gzip');
  });

  // Progress is cumulative and a resumed object starts from its committed progress: each line and
  // byte is counted once, whatever was committed before the restart.
  it('counts the lines, bytes and records each commit adds, and flagged records', async () => {
    const metrics = new Metrics();
    const { actor } = setup({ ...progress('in-progress'), lines: 100, byteOffset: 5000 }, metrics);
    await actor.begin('o');
    const flagged = [{ value: 'a', headers: { flags: 'truncated' } }, { value: 'b', headers: { flags: 'unparsed' } }, { value: 'c', headers: { flags: 'truncated,unparsed' } }, { value: 'd' }];
    await actor.commit('o', flagged, { ...progress('in-progress'), lines: 150, byteOffset: 7000 });
    await actor.commit('o', [{ value: 'e' }], { ...progress('done'), lines: 151, byteOffset: 7010 });
    const json = Object.fromEntries((await metrics.registry.getMetricsAsJSON()).map((m) => [m.name, m.values]));
    expect(json.logpipe_ingest_lines_total).toEqual([{ value: 51, labels: {} }]);
    expect(json.logpipe_ingest_bytes_total).toEqual([{ value: 2010, labels: {} }]);
    expect(json.logpipe_ingest_records_total).toEqual([{ value: 5, labels: {} }]);
    expect(json.logpipe_ingest_flagged_records_total).toEqual(expect.arrayContaining([{ value: 2, labels: { flag: 'truncated' } }, { value: 2, labels: { flag: 'unparsed' } }]));
    expect(await metrics.registry.metrics()).toMatch(/^logpipe_ingest_commit_duration_seconds_count 2$/m);
  });

  it('counts a failed commit as a failure, not as lines', async () => {
    const metrics = new Metrics();
    const { actor } = setup(progress('in-progress'), metrics, undefined, undefined, new Error('broker down'));
    await actor.begin('o');
    await expect(actor.commit('o', [{ value: 'x' }], progress('in-progress'))).rejects.toThrow('broker down');
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^logpipe_ingest_commit_failures_total 1$/m);
    expect(text).toMatch(/^logpipe_ingest_lines_total 0$/m);
  });
});

describe('KafkaPublisherActor connecting', () => {
  /** An actor whose admin.connect fails `failures` times; its log lines, and what the ledger was asked. */
  function connecting(failures: number) {
    const lines: Array<Record<string, unknown>> = [];
    const stream = new PassThrough({ objectMode: true });
    stream.on('data', (line: Buffer | string | object) => lines.push(typeof line === 'object' && !Buffer.isBuffer(line) ? (line as Record<string, unknown>) : JSON.parse(String(line))));
    const calls: string[] = [];
    const actor = new KafkaPublisherActor();
    actor.init({
      kafka: {} as never,
      admin: {
        connect: async () => {
          calls.push('connect');
          if (failures-- > 0) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9092'), { name: 'KafkaJSConnectionError' });
        },
        disconnect: async () => undefined,
      } as never,
      ledger: { start: async () => void calls.push('ledger start'), stop: async () => void calls.push('ledger stop') } as unknown as Ledger,
      topics: { log: 'l', progress: 'p', deadLetter: 'd' },
      transactionalIdPrefix: 'tx',
      log: createLogger({ level: 'warn', format: 'json', stream }),
      open: async () => {
        throw new Error('not used');
      },
      brokers: ['127.0.0.1:9092'],
    });
    return { actor, lines, calls, connect: () => (actor as unknown as { connect(): Promise<void> }).connect() };
  }

  afterEach(() => {
    jest.useRealTimers();
    jest.spyOn(Math, 'random').mockRestore();
  });

  // The same waits and the same warning as the hand-written loop this replaced: up to 500 ms doubling to 30 s.
  it('retries with backoff from 500 ms, logging each failure and stopping the ledger between attempts', async () => {
    jest.useFakeTimers();
    jest.spyOn(Math, 'random').mockReturnValue(0.999999);
    const { lines, calls, connect } = connecting(2);
    const done = connect();
    await jest.advanceTimersByTimeAsync(499);
    expect(calls).toEqual(['connect', 'ledger stop']);
    await jest.advanceTimersByTimeAsync(1 + 1000);
    await done;
    expect(calls).toEqual(['connect', 'ledger stop', 'connect', 'ledger stop', 'connect', 'ledger start']);
    expect(lines.map((l) => [l.message, l.delayMs, l.error])).toEqual([
      ['Kafka not reachable or the ingest topics not created; retrying', 500, 'KafkaJSConnectionError: connect ECONNREFUSED 127.0.0.1:9092'],
      ['Kafka not reachable or the ingest topics not created; retrying', 1000, 'KafkaJSConnectionError: connect ECONNREFUSED 127.0.0.1:9092'],
    ]);
  });

  it('ends a 30 s wait at once on destroy, with the last failure', async () => {
    jest.useFakeTimers();
    jest.spyOn(Math, 'random').mockReturnValue(0.999999);
    const { actor, calls, connect } = connecting(Infinity);
    const done = connect();
    (actor as unknown as { ready: Promise<void> }).ready = done;
    done.catch(() => undefined);
    await jest.advanceTimersByTimeAsync(0.5e3 + 1e3 + 2e3 + 4e3 + 8e3 + 16e3 + 1);
    const attempts = calls.filter((c) => c === 'connect').length;
    expect(attempts).toBe(7);
    await actor.destroy();
    await expect(done).rejects.toThrow('ECONNREFUSED');
    expect(calls.filter((c) => c === 'connect')).toHaveLength(attempts);
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('publisherOpener', () => {
  const topics = { log: 'log', progress: 'progress', deadLetter: 'dead-letter' };
  const configWith = (env: NodeJS.ProcessEnv) => loadConfig({ env }).config;

  it('leaves kafkajs to the actor when the ingest stage runs on it, whatever kafka.client says', () => {
    expect(publisherOpener(configWith({ LOGPIPE_KAFKA_CLIENT: 'librdkafka', LOGPIPE_INGEST_KAFKA_CLIENT: 'kafkajs' }), log, topics)).toEqual({});
  });

  it('opens librdkafka publishers when ingest.kafkaClient says so (or names the package when it is missing)', () => {
    let opener: ReturnType<typeof publisherOpener> | undefined;
    try {
      opener = publisherOpener(configWith({ LOGPIPE_INGEST_KAFKA_CLIENT: 'librdkafka' }), log, topics);
    } catch (err) {
      expect(String(err)).toContain('@confluentinc/kafka-javascript');
      return;
    }
    expect(opener.open).toEqual(expect.any(Function));
  });
});
