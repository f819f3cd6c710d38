/**
 * The conformance harness runs the CLI with the default settings but against the stack the caller
 * points at: it keeps the variables saying where the services are (scripts/conformance.ts).
 */
import { CONNECTION_ENV, defaultSettingsEnv } from '../../scripts/conformance';
import { schemaLeaves } from '../../src/system/config/config';

describe('the conformance harness environment', () => {
  it('keeps where the services are, drops every other setting and NODE_ENV', () => {
    const env = defaultSettingsEnv({
      PATH: '/usr/bin',
      NODE_ENV: 'production',
      LOGPIPE_KAFKA_BROKERS: '127.0.0.1:19092',
      LOGPIPE_AWS_ENDPOINT: 'http://127.0.0.1:15000',
      LOGPIPE_SES_ENDPOINT: 'http://127.0.0.1:18005',
      LOGPIPE_KAFKA_TOPIC: 'elsewhere',
      LOGPIPE_REPORT_TOPIC: 'other',
    });
    expect(env).toEqual({
      PATH: '/usr/bin',
      LOGPIPE_KAFKA_BROKERS: '127.0.0.1:19092',
      LOGPIPE_AWS_ENDPOINT: 'http://127.0.0.1:15000',
      LOGPIPE_SES_ENDPOINT: 'http://127.0.0.1:18005',
    });
  });

  it('names only variables the configuration reads', () => {
    const known = new Set(schemaLeaves().map((leaf) => leaf.env));
    expect([...CONNECTION_ENV].filter((name) => !known.has(name))).toEqual([]);
  });
});
