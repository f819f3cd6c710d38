/**
 * The Lambda handler against moto's SSM: for every record of an S3 event, the SendCommand that SSM
 * records names the trigger document (created in moto from trigger-document.ts), the configured
 * targets and its parameters; rendered as SSM and its agent do, the host's shell passes the bucket
 * and the encoded key to trigger.sh as single words; waiting reads the invocation's status.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateDocumentCommand, GetDocumentCommand, ListCommandsCommand } from '@aws-sdk/client-ssm';
import { renderCommandDocument } from '../../src/devstack/ssm-document';
import { loadLambdaConfig } from '../../src/lambda/config';
import { createHandler } from '../../src/lambda/handler';
import { encodeKey, triggerDocument } from '../../src/lambda/trigger-document';
import { createSsm } from '../../src/system/kafka/clients';
import { quietLogger, testConfig, uniqueName } from '../support/helpers';

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
  it('records one trigger-document command per object and waits for its status', async () => {
    const instance = `i-${crypto.randomBytes(9).toString('hex').slice(0, 17)}`;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-lambda-'));
    const printer = path.join(dir, 'print.sh');
    fs.writeFileSync(printer, '#!/bin/sh\nprintf "%s\\0" "$@"\n', { mode: 0o755 });
    const documentName = uniqueName('it-lambda-doc');
    await ssm.send(new CreateDocumentCommand({ Name: documentName, DocumentType: 'Command', DocumentFormat: 'JSON', Content: JSON.stringify(triggerDocument(printer, '60')) }));
    const config = loadLambdaConfig({
      AWS_REGION: 'us-east-1',
      LOGPIPE_TARGET_INSTANCE_IDS: instance,
      LOGPIPE_DOCUMENT_NAME: documentName,
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
    const content = JSON.parse((await ssm.send(new GetDocumentCommand({ Name: documentName }))).Content ?? '{}');
    for (const [i, c] of commands.entries()) {
      expect(c).toMatchObject({ DocumentName: documentName, InstanceIds: [instance], Parameters: { bucket: [bucket], key: [encodeKey(hostile[i])] } });
      // What the host's shell passes to trigger.sh: a printer stands in for the script.
      const [step] = renderCommandDocument(content, c.Parameters ?? {});
      const argv = execFileSync('bash', ['-c', step.script]).toString().split('\0').slice(0, -1);
      expect(argv).toEqual(['--key-encoding', 'percent', '--version-id', '', '--', bucket, encodeKey(hostile[i])]);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    expect(fs.existsSync('/tmp/logpipe-lambda-canary')).toBe(false);
  });
});
