import { PassThrough } from 'node:stream';
import type { Ledger } from '../ingest/ledger';
import type { ObjectProgress } from '../ingest/progress';
import { createLogger } from '../system/logging';
import KafkaPublisherActor from './kafka-publisher-actor';

const log = createLogger({ level: 'error', format: 'json', stream: new PassThrough() });
const progress = (status: ObjectProgress['status']): ObjectProgress => ({ id: 'o', status, byteOffset: 10, lines: 1, entries: 1, records: 1, parser: { format: undefined, dayMs: 0, lastTodMs: -1, lastTimeMs: 0, lines: 1 }, updatedAt: '' });

function setup(committed?: ObjectProgress) {
  const events: string[] = [];
  const entries = new Map<string, ObjectProgress>(committed ? [['o', committed]] : []);
  const ledger = {
    get: (id: string) => entries.get(id),
    remember: (p: ObjectProgress) => void entries.set(p.id, p),
    syncToEnd: async () => void events.push('sync'),
  } as unknown as Ledger;
  const actor = new KafkaPublisherActor();
  actor.init({
    kafka: {} as never,
    admin: {} as never,
    ledger,
    topics: { log: 'l', progress: 'p', deadLetter: 'd' },
    transactionalIdPrefix: 'tx',
    log,
    open: async (tid) => {
      events.push(`open ${tid.slice(0, 3)}`);
      return {
        commit: async (records, p) => void events.push(`commit ${records.length} ${p.status}`),
        deadLetter: async (p) => void events.push(`dead-letter ${p.reason}`),
        close: async () => void events.push('close'),
      };
    },
  });
  return { actor, events, entries };
}

describe('KafkaPublisherActor', () => {
  // Fencing first, then reading the ledger: whatever a fenced writer committed is known before resuming.
  it('begin opens the fenced producer, then reads the ledger to its end, and returns the committed progress', async () => {
    const { actor, events } = setup(progress('in-progress'));
    await expect(actor.begin('o')).resolves.toMatchObject({ byteOffset: 10 });
    expect(events).toEqual(['open tx-', 'sync']);
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
});
