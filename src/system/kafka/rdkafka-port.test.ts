import { HeartbeatFromStats, toKafkaMessage } from './rdkafka-port';

describe('HeartbeatFromStats (the librdkafka port\'s HEARTBEAT: the stage clears its doubt about a membership on it)', () => {
  it('proves the membership only after the group was steady for more than a heartbeat interval of regular statistics', () => {
    const h = new HeartbeatFromStats(1_000, 3_000);
    const seen = [0, 1_000, 2_000, 3_000, 4_000].map((t) => h.observe(t, 'up', 'steady'));
    expect(seen).toEqual([false, false, false, false, true]);
  });

  it('after a gap in the statistics (the process was paused) starts over: a heartbeat must succeed after the pause', () => {
    const h = new HeartbeatFromStats(1_000, 3_000);
    for (const t of [0, 1_000, 2_000, 3_000, 4_000]) h.observe(t, 'up', 'steady');
    // Paused for 20 s: librdkafka still says steady, as it has not heartbeated since.
    expect(h.observe(24_000, 'up', 'steady')).toBe(false);
    expect([25_000, 26_000, 27_000].map((t) => h.observe(t, 'up', 'steady'))).toEqual([false, false, false]);
    expect(h.observe(28_000, 'up', 'steady')).toBe(true);
  });

  it('a group not steady (joining, or its heartbeat refused) proves nothing, and steadiness counts from when it came back', () => {
    const h = new HeartbeatFromStats(1_000, 3_000);
    expect([0, 1_000, 2_000].map((t) => h.observe(t, 'up', 'wait-join'))).toEqual([false, false, false]);
    expect([3_000, 4_000, 5_000, 6_000].map((t) => h.observe(t, 'up', 'steady'))).toEqual([false, false, false, false]);
    expect(h.observe(7_000, 'up', 'steady')).toBe(true);
    expect(h.observe(8_000, 'query-coord', 'init')).toBe(false);
    expect(h.observe(9_000, 'up', 'steady')).toBe(false);
  });
});

describe('toKafkaMessage (librdkafka\'s record in the shape the report stage reads)', () => {
  it('gives offsets and timestamps as strings, keys as Buffers and headers as an object of Buffers', () => {
    const m = toKafkaMessage({ topic: 't', partition: 3, offset: 41, value: Buffer.from('line'), size: 4, key: 'host-1', timestamp: 1_700_000_000_123, headers: [{ level: Buffer.from('ERROR') }, { message: 'boom' }] });
    expect(m.offset).toBe('41');
    expect(m.timestamp).toBe('1700000000123');
    expect(m.key).toEqual(Buffer.from('host-1'));
    expect(m.value).toEqual(Buffer.from('line'));
    expect(m.headers).toEqual({ level: Buffer.from('ERROR'), message: Buffer.from('boom') });
  });

  it('keeps a missing key and a tombstone as null', () => {
    const m = toKafkaMessage({ topic: 't', partition: 0, offset: 0, value: null, size: 0 });
    expect(m.key).toBeNull();
    expect(m.value).toBeNull();
    expect(m.headers).toBeUndefined();
  });
});
