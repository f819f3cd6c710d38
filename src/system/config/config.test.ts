import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, envNameOf, kafkaClientOf, loadConfig, nearestKey, schemaLeaves } from './config';

/** A config folder with the given default.json / <env>.json contents. */
function configDir(files: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-config-'));
  for (const [name, data] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, name), typeof data === 'string' ? data : JSON.stringify(data));
  }
  return dir;
}

function errorLines(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).lines;
  }
  throw new Error('expected a ConfigError');
}

/** Loading with `env` fails with exactly one line, naming the key, the value, where it came from and what was expected. */
function expectOneProblem(env: NodeJS.ProcessEnv, key: string, value: string, origin: string, expected: string): void {
  const lines = errorLines(() => loadConfig({ env, configDir: configDir({}) }));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(`"${key}"`);
  expect(lines[0]).toContain(value);
  expect(lines[0]).toContain(origin);
  expect(lines[0]).toContain(expected);
}

describe('loadConfig', () => {
  it('defaults point at the local stack', () => {
    const { config } = loadConfig({ env: {}, configDir: configDir({}) });
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(config.kafka.client).toBe('kafkajs');
    expect(config.aws.endpoint).toBe('http://127.0.0.1:5000');
    expect(config.ses.endpoint).toBe('http://127.0.0.1:8005');
    expect(config.control).toEqual({ host: '127.0.0.1', port: 8787, token: '', socket: '', loginMaxAgeSeconds: 43200, secureCookie: false });
  });

  it.each([
    [{}, 'kafkajs', 'kafkajs'],
    [{ LOGPIPE_KAFKA_CLIENT: 'librdkafka' }, 'librdkafka', 'librdkafka'],
    // The combination docs/ingest.md suggests: the publisher on librdkafka, the report stage on kafkajs.
    [{ LOGPIPE_INGEST_KAFKA_CLIENT: 'librdkafka' }, 'librdkafka', 'kafkajs'],
    [{ LOGPIPE_KAFKA_CLIENT: 'librdkafka', LOGPIPE_REPORT_KAFKA_CLIENT: 'kafkajs' }, 'librdkafka', 'kafkajs'],
    [{ LOGPIPE_KAFKA_CLIENT: 'librdkafka', LOGPIPE_INGEST_KAFKA_CLIENT: 'kafkajs' }, 'kafkajs', 'librdkafka'],
  ])('each stage runs on its own kafkaClient, else kafka.client: %j', (env, ingest, report) => {
    const { config } = loadConfig({ env, configDir: configDir({}) });
    expect([kafkaClientOf(config, 'ingest'), kafkaClientOf(config, 'report')]).toEqual([ingest, report]);
  });

  it('the shipped config/default.json is valid', () => {
    expect(() => loadConfig({ env: {} })).not.toThrow();
  });

  it('layers default.json < <NODE_ENV>.json < --config file < env', () => {
    const dir = configDir({
      'default.json': { log: { level: 'debug' }, kafka: { clientId: 'from-default' }, control: { port: 1111 } },
      'staging.json': { kafka: { clientId: 'from-staging' }, control: { port: 2222 } },
      'extra.json': { control: { port: 3333 } },
    });
    const { config, files } = loadConfig({
      env: { NODE_ENV: 'staging', LOGPIPE_KAFKA_BROKERS: 'a:1, b:2' },
      configDir: dir,
      file: path.join(dir, 'extra.json'),
    });
    expect(config.log.level).toBe('debug');
    expect(config.kafka.clientId).toBe('from-staging');
    expect(config.control.port).toBe(3333);
    expect(config.kafka.brokers).toEqual(['a:1', 'b:2']);
    expect(files.map((f) => path.basename(f))).toEqual(['default.json', 'staging.json', 'extra.json']);
  });

  it('environment variables override files and are coerced to the key type', () => {
    const dir = configDir({ 'default.json': { control: { port: 1111 } } });
    const { config } = loadConfig({
      env: { LOGPIPE_CONTROL_PORT: '9999', LOGPIPE_AWS_FORCE_PATH_STYLE: 'false', LOGPIPE_STACK_START_TIMEOUT_MS: '5000' },
      configDir: dir,
    });
    expect(config.control.port).toBe(9999);
    expect(config.aws.forcePathStyle).toBe(false);
    expect(config.stack.startTimeoutMs).toBe(5000);
  });

  // Each bad input must name the key, show the value and its origin, and say what was expected.
  it.each([
    [{ LOGPIPE_LOG_LEVEL: 'loud' }, 'log.level', '"loud"', 'env LOGPIPE_LOG_LEVEL', 'expected one of error, warn, info, debug'],
    [{ LOGPIPE_KAFKA_BROKERS: 'localhost' }, 'kafka.brokers', '["localhost"]', 'env LOGPIPE_KAFKA_BROKERS', 'HOST:PORT'],
    [{ LOGPIPE_KAFKA_BROKERS: 'a:99999' }, 'kafka.brokers', '["a:99999"]', 'env LOGPIPE_KAFKA_BROKERS', 'HOST:PORT'],
    [{ LOGPIPE_CONTROL_PORT: 'eighty' }, 'control.port', '"eighty"', 'env LOGPIPE_CONTROL_PORT', 'TCP port'],
    [{ LOGPIPE_CONTROL_PORT: '70000' }, 'control.port', '70000', 'env LOGPIPE_CONTROL_PORT', 'TCP port'],
    [{ LOGPIPE_KAFKA_REQUEST_TIMEOUT_MS: '-5' }, 'kafka.requestTimeoutMs', '"-5"', 'env', 'greater than 0'],
    [{ LOGPIPE_AWS_ENDPOINT: 'ftp://x' }, 'aws.endpoint', '"ftp://x"', 'env', 'http(s) URL'],
    [{ LOGPIPE_KAFKA_CLIENT_ID: '  ' }, 'kafka.clientId', '"  "', 'env', 'non-empty'],
    [{ LOGPIPE_PARSER_FORMAT: 'xml' }, 'parser.format', '"xml"', 'env', 'expected one of auto, logback, log4j, iso8601, syslog, json, regex'],
    [{ LOGPIPE_PARSER_ZONE: 'Mars/Olympus' }, 'parser.zone', '"Mars/Olympus"', 'env', 'IANA time zone'],
    [{ LOGPIPE_KAFKA_CLIENT: 'rdkafka' }, 'kafka.client', '"rdkafka"', 'env LOGPIPE_KAFKA_CLIENT', 'expected one of kafkajs, librdkafka'],
    [{ LOGPIPE_INGEST_KAFKA_CLIENT: 'rdkafka' }, 'ingest.kafkaClient', '"rdkafka"', 'env LOGPIPE_INGEST_KAFKA_CLIENT', 'expected "" (kafka.client\'s) or one of kafkajs, librdkafka'],
    [{ LOGPIPE_REPORT_KAFKA_CLIENT: 'kafka-js' }, 'report.kafkaClient', '"kafka-js"', 'env LOGPIPE_REPORT_KAFKA_CLIENT', 'expected "" (kafka.client\'s) or one of kafkajs, librdkafka'],
    [{ LOGPIPE_KAFKA_TOPIC_PROFILE: 'serverless' }, 'kafka.topicProfile', '"serverless"', 'env LOGPIPE_KAFKA_TOPIC_PROFILE', 'expected one of standard, msk-serverless'],
    // Records that cannot fit the topics' max.message.bytes (MSK Serverless: 8 MiB) are refused at start-up, not at the first large record.
    [{ LOGPIPE_KAFKA_TOPIC_PROFILE: 'msk-serverless', LOGPIPE_PARSER_MAX_ENTRY_BYTES: String(8 << 20) }, 'parser.maxEntryBytes', '8388608', 'env LOGPIPE_PARSER_MAX_ENTRY_BYTES', 'must be at most'],
    [{ LOGPIPE_KAFKA_TOPIC_PROFILE: 'msk-serverless', LOGPIPE_REPORT_MAX_ERROR_MESSAGES: '5000' }, 'report.maxErrorMessages', '5000', 'env LOGPIPE_REPORT_MAX_ERROR_MESSAGES', 'it must be at most 1350'],
    [{ LOGPIPE_PARSER_FORMAT: 'regex', LOGPIPE_PARSER_REGEX: '(?<time>\\S+)' }, 'parser.regex', '"(?<time>\\\\S+)"', 'parser.format is regex', 'needs a named group (?<level>...)'],
  ])('rejects %j naming %s', (env, key, value, origin, expected) => {
    expectOneProblem(env, key, value, origin, expected);
  });

  it('rejects unknown keys, naming the key and the file', () => {
    const dir = configDir({ 'default.json': { kafka: { broker: ['a:1'] }, extra: true } });
    const lines = errorLines(() => loadConfig({ env: {}, configDir: dir }));
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/unknown configuration key "kafka\.broker" in .*default\.json/),
        expect.stringMatching(/unknown configuration key "extra" in .*default\.json/),
      ]),
    );
  });

  it('reports every problem at once, one line each', () => {
    const lines = errorLines(() => loadConfig({ env: { LOGPIPE_LOG_LEVEL: 'x', LOGPIPE_CONTROL_PORT: '0' }, configDir: configDir({}) }));
    expect(lines).toHaveLength(2);
  });

  it('names a value that came from a file', () => {
    const dir = configDir({ 'default.json': { control: { port: 0 } } });
    const [line] = errorLines(() => loadConfig({ env: {}, configDir: dir }));
    expect(line).toMatch(/"control.port": 0 \(from .*default\.json\)/);
  });

  it.each([
    ['missing', undefined, /does not exist/],
    ['not JSON', '{ nope', /is not valid JSON/],
    ['not an object', '[1,2]', /must hold a JSON object/],
  ])('rejects a --config file that is %s', (_what, content, message) => {
    const dir = configDir(content === undefined ? {} : { 'given.json': content });
    const lines = errorLines(() => loadConfig({ env: {}, configDir: configDir({}), file: path.join(dir, 'given.json') }));
    expect(lines[0]).toMatch(message);
  });

  // Issue 16: the control socket, the login lifetime, the Secure cookie, SMTP TLS and the ingest allow-list.
  it('reads the lockdown keys and refuses bad ones, naming the key', () => {
    const env = { LOGPIPE_CONTROL_SOCKET: '/run/logpipe/control.sock', LOGPIPE_CONTROL_LOGIN_MAX_AGE_SECONDS: '600', LOGPIPE_CONTROL_SECURE_COOKIE: 'true', LOGPIPE_REPORT_SMTP_ALLOW_INSECURE_AUTH: 'true', LOGPIPE_INGEST_ALLOWED_PREFIXES: 'logs-a/app/, logs-b' };
    const { config } = loadConfig({ env, configDir: configDir({}) });
    expect(config.control).toMatchObject({ socket: '/run/logpipe/control.sock', loginMaxAgeSeconds: 600, secureCookie: true });
    expect(config.report.smtpAllowInsecureAuth).toBe(true);
    expect(config.ingest.allowedPrefixes).toEqual(['logs-a/app/', 'logs-b']);
    expect(loadConfig({ env: {}, configDir: configDir({}) }).config.report.smtpAllowInsecureAuth).toBe(false);
    for (const [name, value, key] of [
      ['LOGPIPE_CONTROL_SOCKET', 'relative/control.sock', 'control.socket'],
      ['LOGPIPE_CONTROL_SOCKET', `/${'s'.repeat(120)}`, 'control.socket'],
      ['LOGPIPE_CONTROL_LOGIN_MAX_AGE_SECONDS', '0', 'control.loginMaxAgeSeconds'],
      ['LOGPIPE_INGEST_ALLOWED_PREFIXES', 'Not_A_Bucket/x', 'ingest.allowedPrefixes'],
    ]) {
      expect(errorLines(() => loadConfig({ env: { [name]: value }, configDir: configDir({}) }))[0]).toContain(`"${key}"`);
    }
  });

  // Issue 17: parallel forked ingest workers; several in one process would not use another core.
  it('ingest.workers: 0 (the cores) by default, several only with workerMode forked', () => {
    expect(loadConfig({ env: {}, configDir: configDir({}) }).config.ingest.workers).toBe(0);
    expect(loadConfig({ env: { LOGPIPE_INGEST_WORKER_MODE: 'forked', LOGPIPE_INGEST_WORKERS: '3' }, configDir: configDir({}) }).config.ingest.workers).toBe(3);
    expect(loadConfig({ env: { LOGPIPE_INGEST_WORKERS: '1' }, configDir: configDir({}) }).config.ingest.workers).toBe(1);
    expectOneProblem({ LOGPIPE_INGEST_WORKERS: '2' }, 'ingest.workers', '2', 'from env LOGPIPE_INGEST_WORKERS', 'set ingest.workerMode to forked');
    expectOneProblem({ LOGPIPE_INGEST_WORKERS: '-1' }, 'ingest.workers', '-1', 'LOGPIPE_INGEST_WORKERS', '');
  });

  it('parser settings pass straight to the parser', () => {
    const { config } = loadConfig({ env: { LOGPIPE_PARSER_FORMAT: 'regex', LOGPIPE_PARSER_REGEX: '^(?<time>\\S+) (?<level>\\S+)', LOGPIPE_PARSER_ZONE: 'Europe/Berlin' }, configDir: configDir({}) });
    expect(config.parser).toEqual({ format: 'regex', regex: '^(?<time>\\S+) (?<level>\\S+)', timeFormat: '', zone: 'Europe/Berlin', sources: [], multiline: true, maxEntryBytes: 1048576 });
  });

  // Formats per source (issue 15): parser.timeFormat and the parser.sources rules, from a file or as
  // JSON in the environment.
  it('parser.timeFormat and parser.sources come from files and from the environment (JSON)', () => {
    const rules = [{ match: 'spark/', format: 'log4j', zone: 'Asia/Shanghai' }, { match: 'logs/*/nginx-*.log', format: 'regex', regex: '^(?<time>\\S+ \\S+) \\[(?<level>\\w+)\\]' }];
    const fromFile = loadConfig({ env: {}, configDir: configDir({ 'default.json': { parser: { sources: rules } } }) }).config.parser;
    expect(fromFile.sources).toEqual(rules);
    expect(fromFile.timeFormat).toBe('');
    const fromEnv = loadConfig({ env: { LOGPIPE_PARSER_SOURCES: JSON.stringify(rules), LOGPIPE_PARSER_FORMAT: 'regex', LOGPIPE_PARSER_REGEX: '^(?<time>\\S+ \\S+) (?<level>\\w+)', LOGPIPE_PARSER_TIME_FORMAT: 'yyyy-MM-dd HH:mm:ss,SSS' }, configDir: configDir({}) }).config.parser;
    expect(fromEnv.sources).toEqual(rules);
    expect(fromEnv.timeFormat).toBe('yyyy-MM-dd HH:mm:ss,SSS');
  });

  // parser.timeFormat is checked by the parser with the format it goes with.
  it.each([
    [{ LOGPIPE_PARSER_TIME_FORMAT: 'yy/MM/dd HH:mm:ss' }, 'is for format "regex" only (format is "auto")'],
    [{ LOGPIPE_PARSER_FORMAT: 'regex', LOGPIPE_PARSER_REGEX: '^(?<time>\\S+ \\S+) (?<level>\\w+)', LOGPIPE_PARSER_TIME_FORMAT: 'yy/MM/dd HH:mm:ss q' }, 'parser timeFormat: invalid time pattern "yy/MM/dd HH:mm:ss q"'],
  ])('rejects parser.timeFormat in %j', (env, expected) => {
    const lines = errorLines(() => loadConfig({ env, configDir: configDir({}) }));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`"parser.timeFormat": ${JSON.stringify(env.LOGPIPE_PARSER_TIME_FORMAT)} (from env LOGPIPE_PARSER_TIME_FORMAT)`);
    expect(lines[0]).toContain(expected);
  });

  // A bad rule stops start-up with one line per bad field: the rule's index and field, the value,
  // where it came from and the parser's own reason.
  it.each([
    [{ LOGPIPE_PARSER_SOURCES: '[{"match": "a/", "zone": "Mars/Olympus"}]' }, 'parser.sources[0].zone', '"Mars/Olympus"', 'env LOGPIPE_PARSER_SOURCES', 'unknown time zone "Mars/Olympus"'],
    [{ LOGPIPE_PARSER_SOURCES: '[{"match": "a/"}, {"match": "b/", "format": "xml"}]' }, 'parser.sources[1].format', '"xml"', 'env LOGPIPE_PARSER_SOURCES', 'unknown parser format "xml": expected auto, logback, log4j'],
    [{ LOGPIPE_PARSER_SOURCES: '[{"match": "b/", "format": "regex", "regex": "(?<time>\\\\S+) (?<level>\\\\w+)", "timeFormat": "yy/MM/dd HH:mm:ss q"}]' }, 'parser.sources[0].timeFormat', '"yy/MM/dd HH:mm:ss q"', 'env', 'parser timeFormat: invalid time pattern "yy/MM/dd HH:mm:ss q"'],
    [{ LOGPIPE_PARSER_SOURCES: '[{"match": "b/", "format": "regex", "regex": "(?<time>\\\\S+)"}]' }, 'parser.sources[0].regex', '"(?<time>\\\\S+)"', 'env', 'needs a named group (?<level>...)'],
    [{ LOGPIPE_PARSER_SOURCES: '[{"format": "json"}]' }, 'parser.sources[0].match', 'not set', 'env', 'expected a key prefix'],
    [{ LOGPIPE_PARSER_SOURCES: '[{"match": "a/",}]' }, 'parser.sources', '"[{\\"match\\": \\"a/\\",}]"', 'env LOGPIPE_PARSER_SOURCES', 'expected a JSON list of rules'],
    [{ LOGPIPE_PARSER_SOURCES: '{"match": "a/"}' }, 'parser.sources', '"{\\"match\\": \\"a/\\"}"', 'env', 'expected a JSON list of rules {"match": ..., "format"?, "regex"?, "timeFormat"?, "zone"?}: it is not a list'],
  ])('rejects parser.sources %j naming %s', (env, key, value, origin, expected) => {
    expectOneProblem(env, key, value, origin, expected);
  });

  it('names a bad rule that came from a file, and reports every bad rule', () => {
    const dir = configDir({ 'default.json': { parser: { sources: [{ match: 'a/', zone: 'Nowhere/City' }, { match: 'b/' }, { match: 'c/', format: 'xml' }] } } });
    const lines = errorLines(() => loadConfig({ env: {}, configDir: dir }));
    expect(lines).toEqual([
      expect.stringMatching(/^invalid configuration value for "parser\.sources\[0\]\.zone": "Nowhere\/City" \(from .*default\.json\); unknown time zone/),
      expect.stringMatching(/^invalid configuration value for "parser\.sources\[2\]\.format": "xml" \(from .*default\.json\); unknown parser format "xml"/),
    ]);
  });

  it('never shows a secret, neither in the printed config nor in an error', () => {
    const secret = 'do-not-print-me';
    const loaded = loadConfig({ env: { LOGPIPE_AWS_SECRET_ACCESS_KEY: secret }, configDir: configDir({}) });
    expect(loaded.config.aws.secretAccessKey).toBe(secret);
    expect(JSON.stringify(loaded.redacted())).not.toContain(secret);
    expect(loaded.redacted()).toMatchObject({ kafka: { brokers: ['127.0.0.1:9092'] } });
  });

  // control.token is a secret like the AWS keys: redacted when printed, and a bad one is refused
  // without repeating it (a near-miss of the real token is a secret too).
  it('control.token: redacted when printed; a short or header-breaking token is refused without echoing it', () => {
    const token = 'a1b2c3d4e5f6a7b8c9d0e1f2';
    const loaded = loadConfig({ env: { LOGPIPE_CONTROL_TOKEN: token }, configDir: configDir({}) });
    expect(loaded.config.control.token).toBe(token);
    expect(JSON.stringify(loaded.redacted())).not.toContain(token);
    for (const bad of ['short-secret', 'has a space in it, sixteen+', 'line\r\nX-Injected: 1 long enough']) {
      const lines = errorLines(() => loadConfig({ env: { LOGPIPE_CONTROL_TOKEN: bad }, configDir: configDir({}) }));
      expect(lines).toEqual([expect.stringContaining('invalid configuration value for "control.token": [redacted] (from env LOGPIPE_CONTROL_TOKEN); expected "" (no token) or at least 16 characters')]);
      expect(lines.join('\n')).not.toContain(bad);
    }
  });
});

describe('schema', () => {
  it('every key has doc, format, default and a unique LOGPIPE_ env var', () => {
    const all = schemaLeaves();
    expect(all.length).toBeGreaterThan(10);
    const envs = new Set<string>();
    for (const { key, doc, env } of all) {
      expect([key, doc.length > 10]).toEqual([key, true]);
      expect([key, env]).toEqual([key, expect.stringMatching(/^LOGPIPE_[A-Z0-9_]+$/)]);
      envs.add(env);
      expect(envNameOf(key)).toBe(env);
    }
    expect(envs.size).toBe(all.length);
  });

  it('durations and sizes carry their unit in the name', () => {
    for (const { key } of schemaLeaves()) {
      if (/timeout|interval|delay|heap|size|wait/i.test(key)) expect(key).toMatch(/(Ms|Bytes|Seconds|Percent)$/);
    }
  });
});

describe('unknown keys', () => {
  // A misspelt key is the commonest configuration mistake: the message names the key it resembles.
  it.each([
    ['kafka.broker', 'kafka.brokers'],
    ['kafka.brokerz', 'kafka.brokers'],
    ['report.windowSize', 'report.windowSizeMs'],
    ['kafka.windowSizeMs', 'report.windowSizeMs'],
    ['report.alertThreshold', 'report.alertThresholds'],
  ])('%s → did you mean %s', (unknown, meant) => {
    expect(nearestKey(unknown)).toBe(meant);
  });

  it('suggests nothing when no key is close', () => {
    expect(nearestKey('extra')).toBeUndefined();
    expect(nearestKey('completely.different')).toBeUndefined();
  });

  it('puts the suggestion, or else what to do, in the error line', () => {
    const dir = configDir({ 'default.json': { kafka: { brokerz: ['a:1'] }, extra: true } });
    const lines = errorLines(() => loadConfig({ env: {}, configDir: dir }));
    expect(lines).toEqual(
      expect.arrayContaining([
        `unknown configuration key "kafka.brokerz" in ${path.join(dir, 'default.json')}: not in the schema; did you mean "kafka.brokers"?`,
        `unknown configuration key "extra" in ${path.join(dir, 'default.json')}: not in the schema; remove it; \`logpipe config\` prints every key (docs/configuration.md explains them)`,
      ]),
    );
  });
});

// kafka.ssl.* and kafka.sasl.*: each contradiction or omission names the key to change, never a secret.
describe('Kafka security settings', () => {
  const caFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-ca-')), 'ca.pem');
  fs.writeFileSync(caFile, 'not checked here');

  it('default: plaintext, no SASL', () => {
    const { config } = loadConfig({ env: {}, configDir: configDir({}) });
    expect(config.kafka.ssl).toEqual({ enabled: false, caFile: '', certFile: '', keyFile: '', keyPassword: '' });
    expect(config.kafka.sasl).toEqual({ mechanism: 'none', username: '', password: '', region: '' });
  });

  it('SCRAM over TLS with a CA file from env vars; the password is redacted when printed', () => {
    const loaded = loadConfig({
      env: { LOGPIPE_KAFKA_SSL_ENABLED: 'true', LOGPIPE_KAFKA_SSL_CA_FILE: caFile, LOGPIPE_KAFKA_SASL_MECHANISM: 'scram-sha-512', LOGPIPE_KAFKA_SASL_USERNAME: 'logpipe', LOGPIPE_KAFKA_SASL_PASSWORD: 'hunter2-secret' },
      configDir: configDir({}),
    });
    expect(loaded.config.kafka.ssl.enabled).toBe(true);
    expect(loaded.config.kafka.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'logpipe', password: 'hunter2-secret', region: '' });
    expect(JSON.stringify(loaded.redacted())).not.toContain('hunter2-secret');
  });

  it('aws-msk-iam over TLS needs no username or password', () => {
    const { config } = loadConfig({ env: { LOGPIPE_KAFKA_SSL_ENABLED: 'true', LOGPIPE_KAFKA_SASL_MECHANISM: 'aws-msk-iam', LOGPIPE_KAFKA_SASL_REGION: 'eu-west-1' }, configDir: configDir({}) });
    expect(config.kafka.sasl.mechanism).toBe('aws-msk-iam');
  });

  it.each([
    [{ LOGPIPE_KAFKA_SASL_MECHANISM: 'gssapi' }, 'kafka.sasl.mechanism', 'expected one of none, scram-sha-512, scram-sha-256, plain, aws-msk-iam'],
    [{ LOGPIPE_KAFKA_SASL_MECHANISM: 'scram-sha-512', LOGPIPE_KAFKA_SASL_PASSWORD: 'x' }, 'kafka.sasl.username', 'needs a username'],
    [{ LOGPIPE_KAFKA_SASL_MECHANISM: 'scram-sha-256', LOGPIPE_KAFKA_SASL_USERNAME: 'u' }, 'kafka.sasl.password', 'needs a password'],
    [{ LOGPIPE_KAFKA_SASL_MECHANISM: 'plain', LOGPIPE_KAFKA_SASL_USERNAME: 'u', LOGPIPE_KAFKA_SASL_PASSWORD: 'p' }, 'kafka.ssl.enabled', 'plain needs TLS'],
    [{ LOGPIPE_KAFKA_SASL_MECHANISM: 'aws-msk-iam' }, 'kafka.ssl.enabled', 'aws-msk-iam needs TLS'],
    [{ LOGPIPE_KAFKA_SASL_USERNAME: 'u' }, 'kafka.sasl.username', 'kafka.sasl.mechanism is none'],
    [{ LOGPIPE_KAFKA_SASL_REGION: 'eu-west-1' }, 'kafka.sasl.region', 'only by kafka.sasl.mechanism aws-msk-iam'],
    [{ LOGPIPE_KAFKA_SSL_CA_FILE: '/etc/ca.pem' }, 'kafka.ssl.caFile', 'kafka.ssl.enabled is false'],
    [{ LOGPIPE_KAFKA_SSL_ENABLED: 'true', LOGPIPE_KAFKA_SSL_CA_FILE: '/nonexistent/ca.pem' }, 'kafka.ssl.caFile', 'cannot be read (ENOENT)'],
    [{ LOGPIPE_KAFKA_SSL_ENABLED: 'true', LOGPIPE_KAFKA_SSL_CERT_FILE: '/x/c.pem' }, 'kafka.ssl.keyFile', 'needs both'],
  ])('rejects %j naming %s', (env, key, expected) => {
    const lines = errorLines(() => loadConfig({ env, configDir: configDir({}) }));
    expect(lines.some((l) => l.includes(`"${key}"`) && l.includes(expected))).toBe(true);
  });

  it('a password set without a mechanism is refused without echoing it', () => {
    const lines = errorLines(() => loadConfig({ env: { LOGPIPE_KAFKA_SASL_PASSWORD: 'very-secret-value' }, configDir: configDir({}) }));
    expect(lines).toEqual([expect.stringContaining('"kafka.sasl.password": [redacted]')]);
    expect(lines.join('\n')).not.toContain('very-secret-value');
  });
});
