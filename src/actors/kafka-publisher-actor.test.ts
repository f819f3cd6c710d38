import { PassThrough } from 'node:stream';
import type { Ledger } from '../ingest/ledger';
import type { ObjectProgress } from '../ingest/progress';
import { createLogger } from '../system/observability/logging';
import { Metrics } from '../system/observability/metrics';
import KafkaPublisherActor from './kafka-publisher-actor';

const log = createLogger({ level: 'error', format: 'json', stream: new PassThrough() });
const progress = (status: ObjectProgress['status']): ObjectProgress => ({ id: 'o', status, byteOffset: 10, lines: 1, entries: 1, records: 1, parser: { format: undefined, dayMs: 0, lastTodMs: -1, lastTimeMs: 0, lines: 1 }, updatedAt: '' });

/** `failCommit`: every commit rejects with this error (a broker outage); `failBatches`: only commits with records do. */
function setup(committed?: ObjectProgress, metrics?: Metrics, failCommit?: Error, failFence?: Error, failBatches?: Error) {
  const events: string[] = [];
  const entries = new Map<string, ObjectProgress>(committed ? [['o', committed]] : []);
  const ledger = {
    get: (id: string) => entries.get(id),
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

  // R2: a version known to the ledger only from its first batch held no partition for the report
  // stage while that batch was held up by an outage; the other sources' windows closed without it.
  it('begin of a version with no progress commits a start record, which later begins take as no progress', async () => {
    const { actor, events, entries } = setup();
    await expect(actor.begin('o')).resolves.toBeUndefined();
    expect(events).toEqual(['open tx-', 'fence barrier', 'read to the barrier', 'commit 0 in-progress']);
    expect(entries.get('o')).toMatchObject({ id: 'o', status: 'in-progress', byteOffset: 0, lines: 0, records: 0 });
    expect(entries.get('o')?.parser).toBeUndefined();
    await actor.finish('o');
    events.length = 0;
    await expect(actor.begin('o')).resolves.toBeUndefined(); // resumed from its start: from the beginning
    expect(events).toEqual(['open tx-', 'fence barrier', 'read to the barrier', 'commit 0 in-progress']);
  });

  it('closes the producer when the start record cannot be committed, so the version can be begun again', async () => {
    const { actor, events } = setup(undefined, undefined, new Error('broker down'));
    await expect(actor.begin('o')).rejects.toThrow('broker down');
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
    await expect(actor.begin('o')).rejects.toThrow('broker down');
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
