import { WindowAggregator } from '../../report/window';
import {
  ANY_TIME,
  checkLogTopic,
  checkReportTopic,
  logTopicMessageBytes,
  maxErrorMessagesFor,
  MSK_SERVERLESS_MAX_MESSAGE_BYTES,
  reportTopicMessageBytes,
  type SizingConfig,
  topicSettingsProblems,
  windowBytesBound,
  WINDOWS_PER_RECORD,
} from './topic-settings';

const MiB = 1024 * 1024;
/** The defaults of src/system/config/config.ts, with overrides. */
function sizing(over: { kafka?: Partial<SizingConfig['kafka']>; ingest?: Partial<SizingConfig['ingest']>; parser?: Partial<SizingConfig['parser']>; report?: Partial<SizingConfig['report']> } = {}): SizingConfig {
  return {
    kafka: { profile: 'standard', topicMaxMessageBytes: 0, ...over.kafka },
    ingest: { batchMaxBytes: 4 * MiB, maxLineBytes: MiB, ...over.ingest },
    parser: { maxEntryBytes: MiB, ...over.parser },
    report: { maxErrorMessages: 1000, ...over.report },
  };
}
const serverless = (over: Parameters<typeof sizing>[0] = {}): SizingConfig => sizing({ ...over, kafka: { profile: 'msk-serverless', ...over.kafka } });

describe('topic sizes', () => {
  it('standard: the log topic takes a whole batch plus an entry and 1 MiB, the report topics 16 MiB (as before profiles existed)', () => {
    expect(logTopicMessageBytes(sizing())).toBe(6 * MiB);
    expect(logTopicMessageBytes(sizing({ ingest: { batchMaxBytes: 64 * MiB } }))).toBe(66 * MiB);
    expect(reportTopicMessageBytes(sizing().kafka)).toBe(16 * MiB);
  });

  it('msk-serverless and kafka.topicMaxMessageBytes cap every max.message.bytes logpipe sets', () => {
    expect(logTopicMessageBytes(serverless())).toBe(6 * MiB);
    expect(logTopicMessageBytes(serverless({ ingest: { batchMaxBytes: 64 * MiB } }))).toBe(MSK_SERVERLESS_MAX_MESSAGE_BYTES);
    expect(reportTopicMessageBytes(serverless().kafka)).toBe(MSK_SERVERLESS_MAX_MESSAGE_BYTES);
    expect(reportTopicMessageBytes({ profile: 'standard', topicMaxMessageBytes: 5 * MiB })).toBe(5 * MiB);
    expect(logTopicMessageBytes(sizing({ kafka: { topicMaxMessageBytes: 2 * MiB } }))).toBe(2 * MiB);
  });
});

describe('topicSettingsProblems', () => {
  it('accepts the defaults under both profiles', () => {
    expect(topicSettingsProblems(sizing())).toEqual([]);
    expect(topicSettingsProblems(serverless())).toEqual([]);
    // A batch bigger than the cap is fine: the publisher splits it into requests that fit.
    expect(topicSettingsProblems(serverless({ ingest: { batchMaxBytes: 64 * MiB } }))).toEqual([]);
  });

  it.each([
    ['an entry larger than the 8 MiB Serverless cap', serverless({ parser: { maxEntryBytes: 8 * MiB } }), 'parser.maxEntryBytes'],
    ['a line larger than kafka.topicMaxMessageBytes', sizing({ kafka: { topicMaxMessageBytes: 2 * MiB }, ingest: { maxLineBytes: 2 * MiB }, report: { maxErrorMessages: 100 } }), 'ingest.maxLineBytes'],
    ['more error messages than 4 windows can hold in 8 MiB', serverless({ report: { maxErrorMessages: 2000 } }), 'report.maxErrorMessages'],
    ['more error messages than 4 windows can hold in 16 MiB', sizing({ report: { maxErrorMessages: 5000 } }), 'report.maxErrorMessages'],
    ['a cap above what Serverless accepts', serverless({ kafka: { topicMaxMessageBytes: 16 * MiB } }), 'kafka.topicMaxMessageBytes'],
  ])('refuses %s, naming the key', (_what, config, key) => {
    const problems = topicSettingsProblems(config);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^invalid configuration value for "${key.replace('.', '\\.')}"`));
  });

  it('names the largest report.maxErrorMessages that fits, and that value is accepted', () => {
    const most = maxErrorMessagesFor(MSK_SERVERLESS_MAX_MESSAGE_BYTES);
    expect(topicSettingsProblems(serverless({ report: { maxErrorMessages: most + 1 } }))[0]).toContain(`it must be at most ${most}`);
    expect(topicSettingsProblems(serverless({ report: { maxErrorMessages: most } }))).toEqual([]);
    expect(most).toBeGreaterThanOrEqual(1000);
  });
});

describe('windowBytesBound', () => {
  // The start-up check is only as good as this bound: a window's JSON with a full message table must stay under it.
  it.each([
    ['ASCII', 'x'],
    ['3-byte UTF-8', '日'],
    ['surrogate pairs', '😀'],
  ])('bounds a window with a full table of 500-character %s messages (sources apart)', (_what, ch) => {
    const maxErrorMessages = 200;
    const agg = new WindowAggregator({ maxErrorMessages, idleCloseMs: 1e12 }, () => 0);
    for (let i = 0; i < maxErrorMessages * 2; i++) {
      const message = `${i} ${ch.repeat(500)}`.slice(0, 500);
      agg.add({ timeMs: 1_000, arrivalMs: 0, level: 'ERROR', source: 's', message });
    }
    const [window] = agg.snapshot().open;
    expect(window.errorMessages).toHaveLength(maxErrorMessages);
    expect(Buffer.byteLength(JSON.stringify(window))).toBeLessThanOrEqual(windowBytesBound(maxErrorMessages));
  });
});

describe('checkLogTopic', () => {
  const values = (entries: Record<string, string>) => new Map(Object.entries({ 'max.message.bytes': String(8 * MiB), 'message.timestamp.type': 'CreateTime', ...entries }));

  // Kafka 4's default: record timestamps at most 1 h ahead. Event-time timestamps would be refused (INVALID_TIMESTAMP).
  it('standard: refuses a log topic that limits record timestamps, naming the setting and kafka.topicProfile', () => {
    const problems = checkLogTopic('lines', values({ 'message.timestamp.after.max.ms': '3600000', 'message.timestamp.before.max.ms': ANY_TIME }), sizing());
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('message.timestamp.after.max.ms=3600000');
    expect(problems[0]).toContain('kafka.topicProfile to msk-serverless');
    expect(checkLogTopic('lines', values({ 'message.timestamp.after.max.ms': ANY_TIME, 'message.timestamp.before.max.ms': ANY_TIME }), sizing())).toEqual([]);
    expect(checkLogTopic('lines', values({ 'message.timestamp.type': 'LogAppendTime', 'message.timestamp.after.max.ms': '3600000' }), sizing())).toEqual([]);
  });

  it('msk-serverless: the timestamp limits do not matter (records carry their ingest time)', () => {
    expect(checkLogTopic('lines', values({ 'message.timestamp.after.max.ms': '3600000', 'message.timestamp.before.max.ms': '3600000' }), serverless())).toEqual([]);
  });

  it('refuses a log topic too small for one maximal record', () => {
    const problems = checkLogTopic('lines', values({ 'max.message.bytes': '1048588' }), serverless());
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^topic "lines" has max\.message\.bytes 1048588: .*ingest\.maxLineBytes \/ parser\.maxEntryBytes 1048576/);
  });
});

describe('checkReportTopic', () => {
  it(`refuses a state topic that cannot hold ${WINDOWS_PER_RECORD} windows at report.maxErrorMessages, naming the largest that fits`, () => {
    const problems = checkReportTopic('state', new Map([['max.message.bytes', '1048588']]), { report: { maxErrorMessages: 1000 } });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`report.maxErrorMessages to at most ${maxErrorMessagesFor(1048588)}`);
    expect(checkReportTopic('state', new Map([['max.message.bytes', String(8 * MiB)]]), { report: { maxErrorMessages: 1000 } })).toEqual([]);
  });
});
