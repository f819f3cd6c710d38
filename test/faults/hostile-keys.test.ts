/**
 * Fault suite R6: hostile object keys end to end through the local AWS chain — PutObject (moto S3) →
 * S3 notification → SQS → the real Lambda handler → SSM SendCommand of the trigger document → the local SSM agent (allowedPattern, parameters pasted in) → `sh` →
 * shell/trigger.sh → the control API of a real `logpipe start` → ingest. Keys carry shell
 * metacharacters, quotes, command substitution, newlines and other control characters, a leading
 * dash, SSM parameter references, 1024 bytes and more, and unicode. Every payload would create the
 * same canary file if any part of the chain ran it; the canary never appears. Each key either is
 * ingested under exactly that key (record key and `key` header) or is rejected with a reason (by the
 * Lambda before anything runs, or dead-lettered by the service).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { SendCommandCommand } from '@aws-sdk/client-ssm';
import { type LocalChain, startLocalChain } from '../../src/devstack/chain';
import { provenanceOf } from '../../src/ingest/object-ref';
import type { HandlerResult, RecordOutcome } from '../../src/lambda/handler';
import { createSsm } from '../../src/system/kafka/clients';
import { faultScenario } from '../support/fault-scenario';
import { eventually, quietLogger } from '../support/helpers';

const scenario = faultScenario('R6', { timeoutMs: 300_000 });
const { config, s3, sqs, bucket } = scenario;
// An instance id of this test's own: agents of other chains on the shared moto must not run its commands.
const instanceId = `i-${crypto.randomBytes(9).toString('hex').slice(0, 17)}`;
const canaryDir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-r6-canary-'));
const C = path.join(canaryDir, 'pwned');
let chain: LocalChain | undefined;
scenario.cleanup(() => chain?.stop());

type Expected = { outcome: 'ingested' } | { outcome: 'rejected by the Lambda'; reason: RegExp } | { outcome: 'dead-lettered'; reason: RegExp; why: string };

interface KeyClass {
  name: string;
  keys: string[];
  expect: Expected;
}

/** Pads `prefix` with `unit` (whole repetitions, then single ASCII bytes) to exactly `bytes` UTF-8 bytes. */
function keyOfBytes(prefix: string, unit: string, bytes: number): string {
  let key = prefix;
  while (Buffer.byteLength(key + unit) <= bytes) key += unit;
  while (Buffer.byteLength(key) < bytes) key += 'x';
  return key;
}

const classes: KeyClass[] = [
  { name: 'a plain key (baseline)', keys: ['logs/LogFileGenerator.2026-11-25.log'], expect: { outcome: 'ingested' } },
  {
    name: 'command substitution',
    keys: [`logs/$(touch ${C}).log`, `logs/\`touch ${C}\`.log`, `logs/$(touch ${C})$((1+1))\${IFS}$HOME.log`],
    expect: { outcome: 'ingested' },
  },
  {
    name: 'shell metacharacters',
    keys: [`logs/a; touch ${C}; b.log`, `logs/a && touch ${C} || touch ${C} & wait.log`, `logs/a | tee ${C}.log`, `logs/x > ${C} < y.log`, 'logs/*?[a-z]{1,2}~!#.log'],
    expect: { outcome: 'ingested' },
  },
  {
    name: 'quotes and backslashes',
    keys: [`logs/'; touch ${C}; '.log`, `logs/"; touch ${C}; ".log`, `logs/'\\''$(touch ${C})'\\''.log`, 'logs/back\\slash\\\'"mixed".log'],
    expect: { outcome: 'ingested' },
  },
  { name: 'a leading dash', keys: ['-rf --help.log', '--version', '-', `-c touch ${C}`], expect: { outcome: 'ingested' } },
  {
    name: 'an SSM parameter reference',
    keys: ['logs/{{ssm:/aws/reference/secretsmanager/prod}}.log', 'logs/{{{{resolve:ssm:x}}}}.log'],
    expect: { outcome: 'ingested' },
  },
  {
    name: 'tab, CR, VT, FF, ESC and other control characters',
    keys: ['logs/tab\there.log', 'logs/cr\rhere.log', `logs/\x1b[31mred\x1b[0m\x07\x01\x0b\x0c.log`],
    expect: { outcome: 'ingested' },
  },
  {
    name: 'Unicode line separators (U+2028, U+2029, U+0085)',
    keys: [`logs/ls\u2028touch ${C}\u2029ps\u0085nel.log`],
    expect: { outcome: 'ingested' },
  },
  {
    name: 'a newline',
    keys: [`logs/line one\ntouch ${C}\n.log`, `\n-rf\n$(touch ${C})\n`],
    // Real S3 stores such keys; moto's server (Werkzeug) routes no URL path holding %0A, so the
    // PutObject fails and the test puts the event on the queue as S3 would send it.
    expect: { outcome: 'dead-lettered', reason: /NotFound|NoSuchKey|404/, why: 'moto refuses to store a key holding a newline (real S3 stores it), so the S3 event was put on the queue as S3 sends it; the key crossed Lambda → SSM → sh → trigger.sh unchanged and the service dead-lettered the missing object' },
  },
  {
    name: 'a NUL byte',
    keys: [`logs/nul\0$(touch ${C}).log`],
    expect: { outcome: 'rejected by the Lambda', reason: /NUL byte/ },
  },
  {
    name: 'unicode (non-Latin, emoji, RTL override, zero-width, NFC vs NFD)',
    keys: ['logs/ünïcödé 日本語 🚀.log', 'logs/\u202egol.exe\u200b.log', 'logs/caf\u00e9.log', 'logs/cafe\u0301.log'],
    expect: { outcome: 'ingested' },
  },
  {
    name: 'URL-encoding look-alikes and the ledger separator',
    keys: ['logs/plus+and%20percent%2F.log', 'logs/a#b#c.log', 'logs/../../../etc/passwd'],
    expect: { outcome: 'ingested' },
  },
  {
    name: 'S3\'s longest keys (1024 UTF-8 bytes)',
    keys: [keyOfBytes('logs/', 'long-', 1024), keyOfBytes('logs/', 'é日', 1024), keyOfBytes('logs/', `'$(touch ${C})'`, 1024)],
    expect: { outcome: 'ingested' },
  },
  {
    name: 'a key over S3\'s limit (1025 bytes; moto stores it, real S3 refuses it)',
    keys: [keyOfBytes('logs/', 'x', 1025)],
    expect: { outcome: 'rejected by the Lambda', reason: /1025 bytes long; S3 allows at most 1024/ },
  },
];

/** An ObjectCreated notification as S3 writes it: the key form-encoded (a space as `+`). */
function s3Event(key: string, size: number): unknown {
  const object = { key: encodeURIComponent(key).replace(/%20/g, '+'), size, sequencer: '0' };
  return { Records: [{ eventVersion: '2.1', eventSource: 'aws:s3', awsRegion: config.aws.region, eventTime: new Date().toISOString(), eventName: 'ObjectCreated:Put', s3: { s3SchemaVersion: '1.0', bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` }, object } }] };
}

const body = (i: number): string[] => [`10:00:00.000 [main] ERROR app.Hostile - key ${i} one`, `10:00:01.000 [main] INFO app.Hostile - key ${i} two`];
/**
 * A key as the report shows it: JSON-quoted, the canary's path as <canary>, invisible and
 * look-alike characters (C1 controls, zero-width and bidi marks, line separators, combining marks)
 * as \\uXXXX, long keys cut with their length in bytes.
 */
function show(key: string): string {
  const named = key.split(C).join('<canary>');
  const cut = named.length > 60 ? `${named.slice(0, 40)}…(${Buffer.byteLength(key)} bytes)` : named;
  return JSON.stringify(cut).replace(/[\u0080-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\p{M}]/gu, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

describe('R6 hostile keys through the local AWS chain', () => {
  it('runs nothing but the trigger, and ingests each object under its exact key or rejects it with a reason', async () => {
    const keys = classes.flatMap((c) => c.keys);
    expect(new Set(keys).size).toBe(keys.length);
    const service = await scenario.start({ LOGPIPE_REPORT_ENABLED: 'false', LOGPIPE_LOG_LEVEL: 'info' });
    chain = await startLocalChain({ ...config, control: { ...config.control, port: service.port } }, quietLogger().logger, { bucket, instanceId });
    // Keys moto cannot store reach the chain as the event S3 would send for them.
    const forged = new Map<string, string>();
    for (const [i, key] of keys.entries()) {
      const Body = `${body(i).join('\n')}\n`;
      // The chain created the bucket.
      const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body })).then(
        () => undefined,
        (err: { name?: string; $metadata?: { httpStatusCode?: number } }) => `PutObject refused by moto: ${err.name} HTTP ${err.$metadata?.httpStatusCode}`,
      );
      if (put === undefined) continue;
      forged.set(key, put);
      await sqs.send(new SendMessageCommand({ QueueUrl: chain.queueUrl, MessageBody: JSON.stringify(s3Event(key, Buffer.byteLength(Body))) }));
    }

    const lambdaOutcome = (key: string): RecordOutcome | undefined =>
      chain!.runner.invocations.flatMap((r) => ('outcomes' in r ? (r as HandlerResult).outcomes : [])).find((o) => o.key === key && o.status !== 'skipped');
    const rejected = classes.filter((c) => c.expect.outcome === 'rejected by the Lambda').flatMap((c) => c.keys);
    const passed = keys.filter((k) => !rejected.includes(k));
    await eventually('the Lambda to handle every object', async () => (keys.every((k) => lambdaOutcome(k)) ? true : undefined), 120_000);
    const ledger = await scenario.outcomes(passed, 120_000);
    const ingestedKeys = classes.filter((c) => c.expect.outcome === 'ingested').flatMap((c) => c.keys);
    // Within 60 s, until every ingested key has its records: a count alone could be met by another
    // key's duplicates while a partition was not read yet. (A transaction left open on the log topic
    // would hide records from read_committed readers for its whole timeout, 60 s: that fails here.)
    const readBy = Date.now() + 60_000;
    let records = await scenario.readLog(ingestedKeys.length * 2, 2000, 60_000);
    while (!ingestedKeys.every((k) => records.filter((r) => r.key === k).length >= 2) && Date.now() < readBy) {
      records = await scenario.readLog(ingestedKeys.length * 2, 2000, Math.max(1_000, readBy - Date.now()));
    }
    // The agent's scripts finish after their trigger was answered; wait for every one.
    await eventually('every trigger script to finish', async () => (chain!.agent.runs.length >= passed.length ? true : undefined), 60_000);

    const failures: string[] = [];
    for (const c of classes) {
      const got: string[] = [];
      for (const key of c.keys) {
        const i = keys.indexOf(key);
        const lambda = lambdaOutcome(key);
        const progress = ledger.get(key);
        const mine = records.filter((r) => r.key === key);
        let ok: boolean;
        let outcome: string;
        if (c.expect.outcome === 'rejected by the Lambda') {
          ok = lambda?.status === 'rejected' && c.expect.reason.test(lambda.reason ?? '') && progress === undefined && mine.length === 0;
          outcome = `rejected by the Lambda: ${lambda?.reason}`;
        } else if (c.expect.outcome === 'dead-lettered') {
          ok = lambda?.status === 'sent' && progress?.status === 'dead-letter' && c.expect.reason.test(progress.reason ?? '') && mine.length === 0;
          outcome = `dead-lettered: ${progress?.reason?.split(`s3://${bucket}/${key}`).join('<the object>')}`;
        } else {
          ok = lambda?.status === 'sent' && progress?.status === 'done' && progress.lines === 2 && mine.length === 2 && mine.every((r) => r.key === key && provenanceOf(r.headers)?.key === key && provenanceOf(r.headers)?.bucket === bucket) && JSON.stringify(mine.map((r) => r.value.toString())) === JSON.stringify(body(i));
          outcome = 'ingested under the exact key';
        }
        if (c.expect.outcome === 'ingested' && forged.has(key)) ok = false;
        if (!ok) failures.push(`${show(key)}: expected ${c.expect.outcome}; ${forged.get(key) ?? 'stored in S3'}; Lambda ${JSON.stringify(lambda)}, ledger ${JSON.stringify(progress && { status: progress.status, lines: progress.lines, reason: progress.reason })}, ${mine.length} records`);
        got.push(ok ? outcome : 'FAIL');
      }
      const distinct = [...new Set(got)];
      const pass = !got.includes('FAIL');
      scenario.record({
        scenario: `hostile keys: ${c.name}`,
        injected: `${c.keys.length} key${c.keys.length === 1 ? '' : 's'} through ${c.keys.some((k) => forged.has(k)) ? `(${[...new Set(c.keys.map((k) => forged.get(k)))].join('; ')}; the S3 event put on the queue) ` : 'S3 → '}SQS → Lambda${c.expect.outcome === 'rejected by the Lambda' ? '' : ' → SSM → sh → trigger.sh → service'}: ${c.keys.map(show).join(', ')}`,
        checked: c.expect.outcome === 'dead-lettered' ? `${c.expect.outcome} with the reason (${c.expect.why})` : c.expect.outcome === 'ingested' ? 'ingested under the exact key (record key and header), each line once' : `${c.expect.outcome} with the reason, nothing sent to the host`,
        result: pass ? `pass (${distinct.join('; ')})` : 'FAIL',
      });
    }

    // Nothing but the trigger ran: no canary, and each script's only output is the service's answer
    // naming its object, so every key reached the service as it was uploaded.
    const answered = chain.agent.runs.map((r) => {
      try {
        return (JSON.parse(r.stdout) as { id: string }).id;
      } catch {
        return `unexpected output (exit ${r.exitCode}): ${r.stdout}${r.stderr}`;
      }
    });
    const canaryAbsent = !fs.existsSync(C) && fs.readdirSync(canaryDir).length === 0;
    const allAnswered = new Set(answered).size === passed.length && passed.every((k) => answered.includes(`s3://${bucket}/${k}`)) && chain.agent.runs.every((r) => r.exitCode === 0 && r.stderr === '');
    scenario.record({
      scenario: `all ${keys.length} hostile keys: what ran`,
      injected: 'every payload creates one canary file if any shell evaluates it',
      checked: 'the canary never appears; each trigger script exits 0 and prints only the service\'s answer naming its exact object',
      result: canaryAbsent && allAnswered ? `pass (${chain.agent.runs.length} scripts, all answered with their exact key)` : 'FAIL',
    });
    expect(failures).toEqual([]);
    expect(canaryAbsent).toBe(true);
    expect([...new Set(answered)].sort()).toEqual(passed.map((k) => `s3://${bucket}/${k}`).sort());
    expect(allAnswered).toBe(true);
    expect(service.child.exitCode).toBeNull();
  });

  // Issue 16: with AWS-RunShellScript the Lambda's role could run anything as root on the hosts.
  // A caller holding the role now can only send TriggerDocument, and SSM refuses parameters outside
  // their allowedPattern (the local agent checks them as SSM does; the role cannot send another
  // document at all, which IAM enforces and moto does not, so the agent skips other documents).
  it('a forged SendCommand with the Lambda\'s permissions runs nothing', async () => {
    const ssm = createSsm(config);
    const forged: Array<[string, string, Record<string, string[]>]> = [
      ['a raw key breaking out of the quotes', chain!.documentName, { bucket: [bucket], key: [`x'; touch ${C}; '`] }],
      ['a bucket with a command', chain!.documentName, { bucket: [`${bucket}'$(touch ${C})'`], key: ['k'] }],
      ['a version id with a command', chain!.documentName, { bucket: [bucket], key: ['k'], version: [`'; touch ${C}; '`] }],
      ['an extra `commands` parameter', chain!.documentName, { bucket: [bucket], key: ['k'], commands: [`touch ${C}`] }],
      ['AWS-RunShellScript', 'AWS-RunShellScript', { commands: [`touch ${C}`] }],
    ];
    const before = chain!.agent.runs.length;
    const ids: string[] = [];
    for (const [, document, parameters] of forged) {
      const sent = await ssm.send(new SendCommandCommand({ DocumentName: document, InstanceIds: [instanceId], Parameters: parameters }));
      ids.push(sent.Command?.CommandId ?? '');
    }
    // Four refusals recorded by the agent; the other document is skipped without a run.
    await eventually('the agent to refuse the forged commands', async () => (chain!.agent.runs.length >= before + 4 ? true : undefined), 30_000);
    await new Promise((r) => setTimeout(r, 1500));
    ssm.destroy();
    const canaryAbsent = !fs.existsSync(C) && fs.readdirSync(canaryDir).length === 0;
    const failures: string[] = [];
    for (const [i, [what]] of forged.entries()) {
      const run = chain!.agent.runs.find((r) => r.commandId === ids[i]);
      const ok = canaryAbsent && (i < 4 ? run?.exitCode === null && /^InvalidParameters: /.test(run.stderr) : run === undefined);
      if (!ok) failures.push(`${what}: ${JSON.stringify(run)}`);
      scenario.record({
        scenario: `forged SendCommand with the Lambda's permissions: ${what}`,
        injected: i < 4 ? 'SendCommand of TriggerDocument straight to the host, parameters not made by the Lambda' : 'SendCommand of AWS-RunShellScript (IAM refuses it to the role; the local agent runs only TriggerDocument)',
        checked: i < 4 ? 'refused as SSM does (InvalidParameters, allowedPattern); nothing runs; no canary' : 'nothing runs; no canary',
        result: ok ? `pass (${run ? run.stderr.slice(0, 90) : 'not run'})` : `FAIL (${JSON.stringify(run).slice(0, 120)})`,
      });
    }
    expect(failures).toEqual([]);
    expect(canaryAbsent).toBe(true);
  });
});
