/**
 * The Lambda handler against moto's SSM: for every record of an S3 event, the SendCommand that SSM
 * records has the AWS-RunShellScript document, the configured targets and a command in which the
 * shell sees the bucket and the key as single literal words; waiting reads the invocation's status.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ListCommandsCommand } from '@aws-sdk/client-ssm';
import { loadLambdaConfig } from '../../src/lambda/config';
import { createHandler } from '../../src/lambda/handler';
import { buildTriggerCommand } from '../../src/lambda/shell-command';
import { createSsm } from '../../src/system/clients';
import { quietLogger, testConfig, uniqueName } from './helpers';

const ssm = createSsm(testConfig());
afterAll(() => ssm.destroy());

const hostile = ["logs/it's $(touch /tmp/logpipe-lambda-canary) `id`; \"q\"\nline2 ü.log", '-rf --no-preserve-root', 'a b/{{ssm:secret}}.log'];

function event(bucket: string, keys: string[]): unknown {
  return {
    Records: keys.map((key) => ({
      eventSource: 'aws:s3',
      eventName: 'ObjectCreated:Put',
      s3: { bucket: { name: bucket }, object: { key: encodeURIComponent(key).replace(/%20/g, '+') } },
    })),
  };
}

describe('Lambda handler with moto SSM', () => {
  it('records one safely quoted AWS-RunShellScript command per object and waits for its status', async () => {
    const instance = `i-${crypto.randomBytes(9).toString('hex').slice(0, 17)}`;
    const config = loadLambdaConfig({
      AWS_REGION: 'us-east-1',
      LOGPIPE_TARGET_INSTANCE_IDS: instance,
      LOGPIPE_SCRIPT_PATH: '/opt/logpipe/shell/trigger.sh',
      LOGPIPE_WAIT_FOR_RESULT: 'true',
      LOGPIPE_COMMAND_TIMEOUT_SECONDS: '60',
    });
    const bucket = uniqueName('it-lambda');
    const handler = createHandler({ config, ssm, logger: quietLogger().logger });
    const result = await handler(event(bucket, hostile));
    expect(result.outcomes.map((o) => o.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);

    const listed = await ssm.send(new ListCommandsCommand({ InstanceId: instance }));
    const commands = (listed.Commands ?? []).sort((a, b) => String(a.RequestedDateTime).localeCompare(String(b.RequestedDateTime)));
    expect(commands).toHaveLength(3);
    for (const [i, c] of commands.entries()) {
      expect(c).toMatchObject({ DocumentName: 'AWS-RunShellScript', InstanceIds: [instance] });
      const recorded = c.Parameters?.commands?.[0] ?? '';
      expect(recorded).toBe(buildTriggerCommand(config.scriptPath, bucket, hostile[i]));
      // What the host's shell would pass to trigger.sh: a printer stands in for the script.
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-lambda-'));
      const printer = path.join(dir, 'print.sh');
      fs.writeFileSync(printer, '#!/bin/sh\nprintf "%s\\0" "$@"\n', { mode: 0o755 });
      const argv = execFileSync('bash', ['-c', recorded.replace(`'${config.scriptPath}'`, `'${printer}'`)]).toString().split('\0').slice(0, -1);
      expect(argv).toEqual(['--', bucket, hostile[i]]);
    }
    expect(fs.existsSync('/tmp/logpipe-lambda-canary')).toBe(false);
  });
});
