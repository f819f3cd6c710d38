import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import {
  GetCommandInvocationCommand,
  type GetCommandInvocationCommandOutput,
  InvocationDoesNotExist,
  SendCommandCommand,
  type SendCommandCommandInput,
  type SendCommandCommandOutput,
} from '@aws-sdk/client-ssm';
import { createLogger } from '../system/observability/logging';
import type { LambdaConfig } from './config';
import { createHandler, RetriableTriggerError, type HandlerDeps } from './handler';
import type { Clock, SsmClientLike } from './ssm-command';

const INSTANCE = 'i-0123456789abcdef0';
const CONFIG: LambdaConfig = {
  target: { kind: 'instances', instanceIds: [INSTANCE] },
  documentName: 'logpipe-trigger',
  region: 'eu-west-1',
  commandTimeoutSeconds: 60,
  waitForResult: false,
};

function record(bucket: string, encodedKey: string, eventName = 'ObjectCreated:Put'): Record<string, unknown> {
  return { eventSource: 'aws:s3', eventName, s3: { bucket: { name: bucket }, object: { key: encodedKey } } };
}

type Answer<T> = Partial<T> | Error;

/** Records every request and answers SendCommand and GetCommandInvocation from per-operation scripts. */
class FakeSsm implements SsmClientLike {
  readonly sent: SendCommandCommandInput[] = [];
  readonly polls: number[] = [];
  private commands = 0;

  constructor(
    private readonly sendAnswers: Array<Answer<SendCommandCommandOutput>> = [],
    private readonly pollAnswers: Array<Answer<GetCommandInvocationCommandOutput>> = [],
  ) {}

  send(command: SendCommandCommand): Promise<SendCommandCommandOutput>;
  send(command: GetCommandInvocationCommand): Promise<GetCommandInvocationCommandOutput>;
  async send(command: SendCommandCommand | GetCommandInvocationCommand): Promise<SendCommandCommandOutput | GetCommandInvocationCommandOutput> {
    if (command instanceof SendCommandCommand) {
      this.sent.push(command.input);
      const answer = this.sendAnswers.shift() ?? { Command: { CommandId: `cmd-${++this.commands}` } };
      if (answer instanceof Error) throw answer;
      return { $metadata: {}, ...answer };
    }
    this.polls.push(Date.now());
    const answer = this.pollAnswers.shift() ?? new Error('no scripted poll answer');
    if (answer instanceof Error) throw answer;
    return { $metadata: {}, ...answer };
  }
}

function fakeClock(): Clock {
  let now = 0;
  return { now: () => now, sleep: async (ms) => void (now += ms) };
}

/** A handler over `ssm` whose JSON log lines can be read back. */
function setup(ssm: FakeSsm, config: Partial<LambdaConfig> = {}, deps: Partial<HandlerDeps> = {}) {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.toString()));
  const logger = createLogger({ level: 'info', format: 'json', stream, isTTY: false });
  const handler = createHandler({ config: { ...CONFIG, ...config }, ssm, logger, clock: fakeClock(), ...deps });
  const logs = async (): Promise<Array<Record<string, unknown>>> => {
    await new Promise((r) => setImmediate(r));
    return chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  };
  return { handler, logs };
}

const awsError = (name: string, httpStatusCode: number): Error => Object.assign(new Error(`${name}!`), { name, $metadata: { httpStatusCode } });

describe('handler', () => {
  // The original read Records[0] only and pasted the key into the command unquoted; then it quoted
  // it for AWS-RunShellScript; now it sends the trigger document's parameters, the key encoded.
  it('sends one trigger-document command per record, with bucket, encoded key and version id', async () => {
    const ssm = new FakeSsm();
    const { handler } = setup(ssm);
    const versioned = { ...record('logs-b', "it%27s%3B+%24%28id%29"), s3: { bucket: { name: 'logs-b' }, object: { key: "it%27s%3B+%24%28id%29", versionId: 'v.2_x' } } };
    const result = await handler({ Records: [record('logs-a', 'one+1.log'), versioned] });
    expect(result.outcomes).toEqual([
      { index: 0, status: 'sent', bucket: 'logs-a', key: 'one 1.log', commandId: 'cmd-1' },
      { index: 1, status: 'sent', bucket: 'logs-b', key: "it's; $(id)", commandId: 'cmd-2' },
    ]);
    expect(ssm.sent.map((i) => [i.DocumentName, i.InstanceIds, i.Parameters, i.TimeoutSeconds])).toEqual([
      ['logpipe-trigger', [INSTANCE], { bucket: ['logs-a'], key: ['one%201.log'] }, 60],
      ['logpipe-trigger', [INSTANCE], { bucket: ['logs-b'], key: ['it%27s%3B%20%24%28id%29'], version: ['v.2_x'] }, 60],
    ]);
  });

  it('targets a tag when configured so', async () => {
    const ssm = new FakeSsm();
    await setup(ssm, { target: { kind: 'tag', key: 'Role', value: 'logpipe' } }).handler({ Records: [record('logs-a', 'k')] });
    expect(ssm.sent[0]).toMatchObject({ Targets: [{ Key: 'tag:Role', Values: ['logpipe'] }] });
    expect(ssm.sent[0]).not.toHaveProperty('InstanceIds');
  });

  it('skips the S3 test event without calling SSM', async () => {
    const ssm = new FakeSsm();
    const { handler, logs } = setup(ssm);
    const result = await handler({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'logs-a' });
    expect(result.outcomes).toEqual([{ index: 0, status: 'skipped', reason: 'S3 test event' }]);
    expect(ssm.sent).toEqual([]);
    expect(await logs()).toContainEqual(expect.objectContaining({ level: 'info', message: 'record skipped', reason: 'S3 test event' }));
  });

  // Permanent problems are reported, logged with the reason, and never block the other records.
  it('rejects undecodable and unsafe keys and skips deletions, with logged reasons, and sends the rest', async () => {
    const ssm = new FakeSsm();
    const { handler, logs } = setup(ssm);
    const longKey = 'k'.repeat(1025);
    const result = await handler({
      Records: [record('logs-a', 'gone.log', 'ObjectRemoved:Delete'), record('logs-a', 'bad%E0%A4%A'), record('logs-a', longKey), record('Bad_Bucket', 'k'), record('logs-a', 'good.log')],
    });
    expect(result.outcomes.map((o) => [o.index, o.status])).toEqual([
      [0, 'skipped'],
      [1, 'rejected'],
      [2, 'rejected'],
      [3, 'rejected'],
      [4, 'sent'],
    ]);
    expect(ssm.sent).toHaveLength(1);
    const lines = await logs();
    expect(lines).toContainEqual(expect.objectContaining({ message: 'record skipped', index: 0, reason: 'not an ObjectCreated event' }));
    expect(lines).toContainEqual(expect.objectContaining({ level: 'error', message: 'record rejected', index: 1, reason: expect.stringContaining('percent-encoded') }));
    expect(lines).toContainEqual(expect.objectContaining({ level: 'error', message: 'record rejected', index: 2, reason: expect.stringContaining('1025 bytes') }));
    expect(lines).toContainEqual(expect.objectContaining({ level: 'error', message: 'record rejected', index: 3, reason: expect.stringContaining('bucket name') }));
    expect(lines).toContainEqual(expect.objectContaining({ message: 'event processed', records: 5, skipped: 1, rejected: 3, sent: 1 }));
  });

  // Throwing on throttling lets Lambda retry the event; records already sent are sent again, which ingestion dedupes.
  it('tries every record, then throws when one failed retriably', async () => {
    const ssm = new FakeSsm([awsError('ThrottlingException', 400)]);
    const { handler } = setup(ssm);
    const error = await handler({ Records: [record('logs-a', 'first'), record('logs-a', 'second')] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetriableTriggerError);
    expect((error as RetriableTriggerError).message).toContain('1 of 2 records failed retriably');
    expect((error as RetriableTriggerError).outcomes.map((o) => o.status)).toEqual(['retriable', 'sent']);
    expect(ssm.sent).toHaveLength(2);
  });

  it('reports a permanent SendCommand failure without throwing', async () => {
    const ssm = new FakeSsm([awsError('InvalidInstanceId', 400)]);
    const result = await setup(ssm).handler({ Records: [record('logs-a', 'k')] });
    expect(result.outcomes).toEqual([{ index: 0, status: 'rejected', bucket: 'logs-a', key: 'k', reason: 'SendCommand failed: InvalidInstanceId: InvalidInstanceId!' }]);
  });

  it('rejects an answer without a CommandId', async () => {
    const result = await setup(new FakeSsm([{ Command: {} }])).handler({ Records: [record('logs-a', 'k')] });
    expect(result.outcomes[0]).toMatchObject({ status: 'rejected', reason: 'SendCommand answered without a CommandId' });
  });

  describe('waiting for the result', () => {
    const notYet = () => new InvocationDoesNotExist({ message: 'not yet', $metadata: { httpStatusCode: 400 } });

    it('reports success once the invocation succeeds', async () => {
      const ssm = new FakeSsm([], [notYet(), { Status: 'InProgress' }, { Status: 'Success', ResponseCode: 0 }]);
      const result = await setup(ssm, { waitForResult: true }).handler({ Records: [record('logs-a', 'k')] });
      expect(result.outcomes[0]).toMatchObject({ status: 'succeeded', commandId: 'cmd-1', invocations: [{ instanceId: INSTANCE, status: 'Success', terminal: true }] });
      expect(ssm.polls).toHaveLength(3);
    });

    // A failure on the host (service down, request refused) is permanent for this event: logged, not thrown.
    it('reports a failed invocation with the script stderr, without throwing', async () => {
      const ssm = new FakeSsm([], [{ Status: 'Failed', ResponseCode: 3, StandardErrorContent: 'trigger.sh: logpipe is not running' }]);
      const { handler, logs } = setup(ssm, { waitForResult: true });
      const result = await handler({ Records: [record('logs-a', 'k')] });
      expect(result.outcomes[0]).toMatchObject({ status: 'failed', invocations: [{ status: 'Failed', responseCode: 3, stderr: 'trigger.sh: logpipe is not running' }] });
      expect(await logs()).toContainEqual(expect.objectContaining({ level: 'warn', message: 'command failed on the host' }));
    });

    it('stops waiting before Lambda times out and reports pending', async () => {
      const ssm = new FakeSsm([], Array.from({ length: 20 }, () => ({ Status: 'InProgress' })));
      const clock = fakeClock();
      const result = await setup(ssm, { waitForResult: true }, { clock }).handler({ Records: [record('logs-a', 'k')] }, { awsRequestId: 'req-1', getRemainingTimeInMillis: () => 5000 });
      expect(result.outcomes[0]).toMatchObject({ status: 'pending', invocations: [{ status: 'InProgress', terminal: false }] });
      expect(clock.now()).toBe(3000);
    });

    it('keeps the sent outcome when the command cannot be followed', async () => {
      const ssm = new FakeSsm([], [awsError('AccessDeniedException', 400)]);
      const result = await setup(ssm, { waitForResult: true }).handler({ Records: [record('logs-a', 'k')] });
      expect(result.outcomes[0]).toMatchObject({ status: 'sent', commandId: 'cmd-1', reason: 'could not follow the command: AccessDeniedException: AccessDeniedException!' });
    });
  });
});

describe('handler entry point', () => {
  const saved = { ...process.env };
  let stdoutWrite: jest.SpiedFunction<typeof process.stdout.write>;
  beforeEach(() => {
    // The entry point logs JSON lines to stdout; capture them to read them back and keep the test output clean.
    stdoutWrite = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterEach(() => {
    stdoutWrite.mockRestore();
    process.env = { ...saved };
  });

  const loggedMessages = async (): Promise<string[]> => {
    await new Promise((r) => setImmediate(r));
    return stdoutWrite.mock.calls.map(([line]) => (JSON.parse(String(line)) as { message: string }).message);
  };

  function freshEntryPoint(): typeof import('./handler').handler {
    let entry: typeof import('./handler').handler | undefined;
    jest.isolateModules(() => {
      entry = (require('./handler') as typeof import('./handler')).handler;
    });
    return entry!;
  }

  // A misconfigured Lambda must say which variable is wrong, every time, without re-reading the environment.
  it('fails every call with the configuration error found at cold start', async () => {
    process.env = { ...saved, AWS_REGION: 'eu-west-1', LOGPIPE_TARGET_INSTANCE_IDS: 'web-1', LOGPIPE_TARGET_TAG: '' };
    const handler = freshEntryPoint();
    const first = await handler({ Records: [] }).catch((e: unknown) => e);
    expect(first).toMatchObject({ name: 'LambdaConfigError', message: expect.stringContaining('LOGPIPE_TARGET_INSTANCE_IDS="web-1"') });
    process.env.LOGPIPE_TARGET_INSTANCE_IDS = INSTANCE;
    await expect(handler({ Records: [] })).rejects.toBe(first);
    expect(await loggedMessages()).toEqual(['invalid configuration']);
  });

  // The real SSMClient, pointed at LOGPIPE_SSM_ENDPOINT as with moto, sends the expected request.
  it('sends SendCommand through the SSM endpoint from the environment', async () => {
    const requests: Array<{ target: string | undefined; body: Record<string, unknown> }> = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        requests.push({ target: req.headers['x-amz-target'] as string | undefined, body: JSON.parse(body) as Record<string, unknown> });
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ Command: { CommandId: 'cmd-from-endpoint' } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      process.env = {
        ...saved,
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
        LOGPIPE_TARGET_INSTANCE_IDS: INSTANCE,
        LOGPIPE_DOCUMENT_NAME: 'logpipe-trigger',
        LOGPIPE_TARGET_TAG: '',
        LOGPIPE_SSM_ENDPOINT: `http://127.0.0.1:${port}`,
      };
      const result = await freshEntryPoint()({ Records: [record('logs-a', 'a+b.log')] });
      expect(result.outcomes).toEqual([{ index: 0, status: 'sent', bucket: 'logs-a', key: 'a b.log', commandId: 'cmd-from-endpoint' }]);
      expect(await loggedMessages()).toEqual(['configured', 'command sent', 'event processed']);
      expect(requests).toEqual([
        {
          target: 'AmazonSSM.SendCommand',
          body: expect.objectContaining({ DocumentName: 'logpipe-trigger', InstanceIds: [INSTANCE], Parameters: { bucket: ['logs-a'], key: ['a%20b.log'] } }),
        },
      ]);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
