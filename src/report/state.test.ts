import { decodeState, ReportKeys } from './state';

describe('ReportKeys', () => {
  const keys = new ReportKeys('logpipe-report', 'logpipe.lines');

  it('spells the keys of the state and partials topics with the group and the log topic', () => {
    expect(keys.task(3)).toBe('task logpipe-report logpipe.lines 3');
    expect(keys.merge()).toBe('merge logpipe-report logpipe.lines');
    expect(keys.email('60000@1795600800000')).toBe('email logpipe-report logpipe.lines 60000@1795600800000');
    expect(keys.partial(3)).toBe('logpipe-report logpipe.lines 3');
    expect(keys.partial(3).startsWith(keys.partialPrefix())).toBe(true);
  });

  // The state topic holds the tasks of every group and log topic: a stage reads only its own.
  it('owns its own keys only, not those of another group or log topic that share a prefix', () => {
    expect([keys.task(0), keys.task(12), keys.merge(), keys.email('60000@0')].every((k) => keys.owns(k))).toBe(true);
    expect(keys.owns('task logpipe-report logpipe.lines2 0')).toBe(false);
    expect(keys.owns('merge logpipe-report logpipe.lines2')).toBe(false);
    expect(keys.owns('email logpipe-report-2 logpipe.lines 60000@0')).toBe(false);
    expect(keys.owns('barrier logpipe-report logpipe.lines')).toBe(false);
  });
});

describe('decodeState', () => {
  it('reads the three kinds and ignores what this version cannot read', () => {
    expect(decodeState(Buffer.from(JSON.stringify({ kind: 'task', nextOffset: 4 })))).toEqual({ kind: 'task', nextOffset: 4 });
    expect(decodeState(Buffer.from(JSON.stringify({ kind: 'email', pending: {} })))?.kind).toBe('email');
    expect(decodeState(Buffer.from(JSON.stringify({ kind: 'merge' })))?.kind).toBe('merge');
    expect(decodeState(Buffer.from(JSON.stringify({ kind: 'barrier' })))).toBeUndefined();
    expect(decodeState(Buffer.from('null'))).toBeUndefined();
    expect(decodeState(Buffer.from('{not json'))).toBeUndefined();
  });
});
