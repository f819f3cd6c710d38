import {
  GetCommandInvocationCommand,
  type GetCommandInvocationCommandOutput,
  InvocationDoesNotExist,
  type SendCommandCommand,
  type SendCommandCommandOutput,
} from '@aws-sdk/client-ssm';
import type { LambdaConfig } from './config';
import { sendCommandInput, waitForInvocation, type Clock, type SsmClientLike } from './ssm-command';

const CONFIG: LambdaConfig = {
  target: { kind: 'instances', instanceIds: ['i-0123456789abcdef0'] },
  documentName: 'logpipe-trigger',
  region: 'eu-west-1',
  commandTimeoutSeconds: 90,
  waitForResult: true,
};

/** A clock whose sleep advances time instantly and records each delay. */
function fakeClock(): Clock & { sleeps: number[] } {
  let now = 1_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

/** Answers GetCommandInvocation from a script: an output, or an error to throw. */
class ScriptedSsm implements SsmClientLike {
  readonly requests: unknown[] = [];

  constructor(private readonly answers: Array<Partial<GetCommandInvocationCommandOutput> | Error>) {}

  send(command: SendCommandCommand): Promise<SendCommandCommandOutput>;
  send(command: GetCommandInvocationCommand): Promise<GetCommandInvocationCommandOutput>;
  async send(command: SendCommandCommand | GetCommandInvocationCommand): Promise<SendCommandCommandOutput | GetCommandInvocationCommandOutput> {
    if (!(command instanceof GetCommandInvocationCommand)) throw new Error('unexpected SendCommand');
    this.requests.push(command.input);
    const answer = this.answers.shift() ?? new Error('script exhausted');
    if (answer instanceof Error) throw answer;
    return { $metadata: {}, ...answer };
  }
}

const notYet = () => new InvocationDoesNotExist({ message: 'not yet', $metadata: { httpStatusCode: 400 } });

describe('sendCommandInput', () => {
  // Issue 16: the trigger document, never AWS-RunShellScript (which runs whatever it is sent).
  it('runs the trigger document on the instances with its parameters and the delivery timeout', () => {
    expect(sendCommandInput(CONFIG, { bucket: ['b'], key: ['k'], version: ['v1'] })).toEqual({
      DocumentName: 'logpipe-trigger',
      InstanceIds: ['i-0123456789abcdef0'],
      Parameters: { bucket: ['b'], key: ['k'], version: ['v1'] },
      TimeoutSeconds: 90,
      Comment: expect.any(String),
    });
  });

  it('targets a tag with Targets and no InstanceIds', () => {
    const input = sendCommandInput({ ...CONFIG, target: { kind: 'tag', key: 'Role', value: 'logpipe' } }, { bucket: ['b'], key: ['k'] });
    expect(input.Targets).toEqual([{ Key: 'tag:Role', Values: ['logpipe'] }]);
    expect(input).not.toHaveProperty('InstanceIds');
  });

  // SendCommand's Comment is limited to 100 characters.
  it('keeps the comment within SSM limits', () => {
    expect(sendCommandInput(CONFIG, { bucket: ['b'], key: ['k'] }).Comment!.length).toBeLessThanOrEqual(100);
  });
});

describe('waitForInvocation', () => {
  // The original slept a fixed 3 s; polls must back off exponentially and treat InvocationDoesNotExist as "not yet".
  it('polls with exponential backoff through InvocationDoesNotExist until a terminal status', async () => {
    const ssm = new ScriptedSsm([notYet(), notYet(), { Status: 'InProgress', ResponseCode: -1 }, { Status: 'Pending' }, { Status: 'Success', ResponseCode: 0 }]);
    const clock = fakeClock();
    const result = await waitForInvocation(ssm, clock, { commandId: 'cmd-1', instanceId: 'i-0123456789abcdef0', deadlineMs: clock.now() + 60_000 });
    expect(result).toEqual({ instanceId: 'i-0123456789abcdef0', status: 'Success', terminal: true, responseCode: 0 });
    expect(clock.sleeps).toEqual([250, 500, 1000, 2000]);
    expect(ssm.requests[0]).toEqual({ CommandId: 'cmd-1', InstanceId: 'i-0123456789abcdef0' });
  });

  it('caps the delay', async () => {
    const ssm = new ScriptedSsm([notYet(), notYet(), notYet(), { Status: 'Success' }]);
    const clock = fakeClock();
    await waitForInvocation(ssm, clock, { commandId: 'c', instanceId: 'i-0123456789abcdef0', deadlineMs: clock.now() + 60_000, backoff: { initialDelayMs: 100, factor: 3, maxDelayMs: 500 } });
    expect(clock.sleeps).toEqual([100, 300, 500]);
  });

  it('returns a failure with the end of stderr', async () => {
    const ssm = new ScriptedSsm([{ Status: 'Failed', ResponseCode: 3, StandardErrorContent: 'trigger.sh: logpipe is not running\n' }]);
    const clock = fakeClock();
    expect(await waitForInvocation(ssm, clock, { commandId: 'c', instanceId: 'i-0123456789abcdef0', deadlineMs: clock.now() + 1000 })).toEqual({
      instanceId: 'i-0123456789abcdef0',
      status: 'Failed',
      terminal: true,
      responseCode: 3,
      stderr: 'trigger.sh: logpipe is not running',
    });
  });

  it('stops at the deadline with the last status seen, never sleeping past it', async () => {
    const ssm = new ScriptedSsm(Array.from({ length: 10 }, () => ({ Status: 'InProgress' })));
    const clock = fakeClock();
    const start = clock.now();
    const result = await waitForInvocation(ssm, clock, { commandId: 'c', instanceId: 'i-0123456789abcdef0', deadlineMs: start + 1000 });
    expect(result).toMatchObject({ status: 'InProgress', terminal: false });
    expect(clock.sleeps).toEqual([250, 500, 250]);
    expect(clock.now()).toBe(start + 1000);
  });

  it('reports NotYetVisible when SSM never knew the invocation before the deadline', async () => {
    const ssm = new ScriptedSsm([notYet(), notYet()]);
    const clock = fakeClock();
    expect(await waitForInvocation(ssm, clock, { commandId: 'c', instanceId: 'i-0123456789abcdef0', deadlineMs: clock.now() + 250 })).toEqual({
      instanceId: 'i-0123456789abcdef0',
      status: 'NotYetVisible',
      terminal: false,
    });
  });

  it('throws other SSM errors unchanged', async () => {
    const denied = Object.assign(new Error('no'), { name: 'AccessDeniedException' });
    const clock = fakeClock();
    await expect(waitForInvocation(new ScriptedSsm([denied]), clock, { commandId: 'c', instanceId: 'i-0123456789abcdef0', deadlineMs: clock.now() + 1000 })).rejects.toBe(denied);
  });
});
