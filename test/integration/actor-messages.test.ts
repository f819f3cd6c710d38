/**
 * Every actor through real comedy messages (issue 18 item 6): each is created by module path with
 * comedy createChild under the root of an in-memory actor system, builds its own clients and
 * children from the configuration (initialize), and is sent the messages its parent sends it
 * (sendAndReceive). The handler tests beside the actors (src/actors/*.test.ts) construct the classes
 * and call methods; these catch what they cannot: a message name or argument that does not reach
 * the handler, an initialize that creates the wrong children, answers that do not come back up.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ActorRef, ActorSystem } from 'comedy';
import type { IngestOutcome, RunningObject } from '../../src/actors/file-fetcher-actor';
import type { ObjectActivity, RequestAnswer } from '../../src/actors/s3-watcher-actor';
import { ledgerKey, type ObjectRef } from '../../src/ingest/object-ref';
import type { ObjectProgress } from '../../src/ingest/progress';
import type { ReportStageStatus } from '../../src/report/stage';
import { actorModes, actorModule, type ActorParameters } from '../../src/actors/actor-context';
import { createKafka } from '../../src/system/kafka/clients';
import type { LogpipeConfig } from '../../src/system/config/config';
import { createActorSystem } from '../../src/system/runtime/service';
import { recentStart } from '../support/exactly-once';
import { eventually, quietLogger, readTopic, testConfig, uniqueName } from '../support/helpers';

jest.setTimeout(180_000);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-actor-messages-'));
const day = recentStart().slice(0, 10);
const base = testConfig();
const config: LogpipeConfig = {
  ...base,
  kafka: { ...base.kafka, topic: uniqueName('it-actors'), progressTopic: uniqueName('it-actors-progress'), deadLetterTopic: uniqueName('it-actors-dlq') },
  ingest: { ...base.ingest, workerMode: 'in-memory', sqsQueueUrl: '', listings: [] },
  report: {
    ...base.report,
    groupId: uniqueName('it-actors-report'),
    topic: uniqueName('it-actors-reports'),
    partialsTopic: uniqueName('it-actors-partials'),
    stateTopic: uniqueName('it-actors-state'),
    dir: path.join(dir, 'reports'),
    emailTransport: 'file',
    outboxDir: path.join(dir, 'outbox'),
    idleCloseMs: 1000,
  },
};
const { logger } = quietLogger();
const kafka = createKafka(config, logger);
let system: ActorSystem;
let root: Awaited<ReturnType<ActorSystem['rootActor']>>;

const params = (topic: string, over: Partial<ActorParameters> = {}): ActorParameters => ({ config, topic, logger, ...over });
const child = (name: string, p: ActorParameters): Promise<ActorRef> => root.createChild(actorModule(name), { mode: 'in-memory', customParameters: p });

/** A log file of `n` lines dated yesterday (inside the broker's retention). */
function logFile(name: string, n: number): { ref: ObjectRef; lines: string[]; file: string } {
  const lines = Array.from({ length: n }, (_, i) => `10:00:${String(i % 60).padStart(2, '0')}.000 [main] ${i % 3 === 0 ? 'ERROR' : 'INFO'} com.example.App - ${name} ${i}`);
  const file = path.join(dir, name, `LogFileGenerator.${day}.log`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return { ref: { kind: 'file', path: file }, lines, file };
}

const values = async (topic: string, n: number): Promise<string[]> => (await readTopic(kafka, topic, n, 2000)).map((r) => r.value.toString('utf8'));

beforeAll(async () => {
  system = createActorSystem(logger, config.log, actorModes(config));
  root = await system.rootActor();
});

afterAll(async () => {
  await system.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('actors through real comedy messages (in-memory actor system, local broker)', () => {
  it('KafkaPublisherActor: known, begin, commit, finish; a second begin of a begun version is refused', async () => {
    const topic = uniqueName('it-actors-publisher');
    const publisher = await child('kafka-publisher-actor', params(topic));
    const id = ledgerKey(topic, 'file:///x.log#1');
    expect(await publisher.sendAndReceive('known', id)).toBeUndefined();
    expect(await publisher.sendAndReceive('begin', id)).toBeUndefined();
    await expect(publisher.sendAndReceive('begin', id)).rejects.toThrow('already being ingested');
    const progress: ObjectProgress = { id, status: 'done', byteOffset: 4, lines: 1, entries: 1, records: 1, parser: { format: 'logback', dayMs: 0, lastTodMs: -1, lastTimeMs: 0, lines: 1 }, updatedAt: new Date().toISOString() };
    await publisher.sendAndReceive('commit', id, [{ key: '/x.log', value: Buffer.from('one'), timestamp: String(Date.now()) }], progress);
    await publisher.sendAndReceive('finish', id);
    expect(await publisher.sendAndReceive('known', id)).toMatchObject({ status: 'done', lines: 1 });
    expect(await values(topic, 1)).toEqual(['one']);
    await publisher.destroy();
  });

  it('LineStreamerActor: claim, begin, chunk, end, finish, its own publisher child committing the batches', async () => {
    const topic = uniqueName('it-actors-streamer');
    const streamer = await child('line-streamer-actor', params(topic));
    const { lines, file } = logFile('streamer', 10);
    const id = ledgerKey(topic, `file://${file}#1`);
    expect(await streamer.sendAndReceive('claim', id)).toBeUndefined();
    await streamer.sendAndReceive('begin', { id, context: { source: file, headers: { object: `file://${file}#1` }, name: file, lastModifiedMs: Date.now() } });
    const bytes = fs.readFileSync(file);
    await streamer.sendAndReceive('chunk', id, bytes.subarray(0, 100));
    await streamer.sendAndReceive('chunk', id, bytes.subarray(100));
    const last = (await streamer.sendAndReceive('end', id)) as ObjectProgress;
    expect(last).toMatchObject({ status: 'done', lines: 10, byteOffset: bytes.length });
    await streamer.sendAndReceive('finish', id);
    expect(await streamer.sendAndReceive('known', id)).toMatchObject({ status: 'done', lines: 10 });
    expect(await values(topic, 10)).toEqual(lines);
    await streamer.destroy();
  });

  it('FileFetcherActor: ingest, known, a duplicate, usage, metrics, abandon', async () => {
    const topic = uniqueName('it-actors-fetcher');
    const fetcher = await child('file-fetcher-actor', params(topic));
    const { ref, lines } = logFile('fetcher', 25);
    const outcome = (await fetcher.sendAndReceive('ingest', ref)) as IngestOutcome;
    expect(outcome).toMatchObject({ status: 'ingested', lines: 25, resumed: false });
    expect(await fetcher.sendAndReceive('known', outcome.id)).toMatchObject({ status: 'done', lines: 25 });
    expect(await fetcher.sendAndReceive('ingest', ref)).toMatchObject({ status: 'duplicate', lines: 25 });
    expect(await fetcher.sendAndReceive('activity')).toEqual([] as RunningObject[]);
    expect(await fetcher.sendAndReceive('usage')).toMatchObject({ pid: process.pid });
    expect(Array.isArray(await fetcher.sendAndReceive('metrics'))).toBe(true);
    const gone: ObjectRef = { kind: 'file', path: path.join(dir, 'no-such.log') };
    expect(await fetcher.sendAndReceive('abandon', gone, 'given up in a test')).toMatchObject({ status: 'dead-letter', reason: 'given up in a test' });
    expect(await values(topic, 25)).toEqual(lines);
    await fetcher.destroy();
  });

  it('S3WatcherActor: ingest, request (merged into a running job, then a duplicate), activity, worker queries, stop', async () => {
    const topic = uniqueName('it-actors-watcher');
    const watcher = await child('s3-watcher-actor', params(topic));
    const { ref, lines, file } = logFile('watcher', 40);
    const running = watcher.sendAndReceive('ingest', ref) as Promise<IngestOutcome>;
    expect(((await watcher.sendAndReceive('request', { ref, via: 'api' })) as RequestAnswer).status).toBe('merged');
    const outcome = await running;
    expect(outcome).toMatchObject({ status: 'ingested', lines: 40 });
    const activity = (await watcher.sendAndReceive('activity')) as ObjectActivity[];
    expect(activity).toEqual([expect.objectContaining({ id: file, status: 'ingested', lines: 40 })]);
    expect(await watcher.sendAndReceive('worker', 'known', outcome.id)).toMatchObject({ status: 'done', lines: 40 });
    await expect(watcher.sendAndReceive('worker', 'ingest', ref)).rejects.toThrow('answers no query "ingest"');
    expect(await watcher.sendAndReceive('ingest', ref)).toMatchObject({ status: 'duplicate' });
    expect(await values(topic, 40)).toEqual(lines);
    await watcher.sendAndReceive('stop');
    expect(((await watcher.sendAndReceive('request', { ref, via: 'api' })) as RequestAnswer).status).toBe('busy');
    await watcher.destroy();
  });

  it('ReportActor: status, idle, takeReports and recentWindows over a topic with closed windows', async () => {
    const topic = uniqueName('it-actors-report');
    const watcher = await child('s3-watcher-actor', params(topic));
    const { ref } = logFile('report', 120);
    expect(await watcher.sendAndReceive('ingest', ref)).toMatchObject({ status: 'ingested', lines: 120 });
    await watcher.sendAndReceive('stop');
    await watcher.destroy();
    const report = await child('report-actor', params(topic, { keepReports: true }));
    const status = await eventually('the report stage to start', async () => (await report.sendAndReceive('status')) as ReportStageStatus | undefined, 120_000);
    expect(status).toBeDefined();
    await eventually('the report stage to be idle', async () => ((await report.sendAndReceive('idle')) ? true : undefined), 120_000);
    const docs = (await report.sendAndReceive('takeReports')) as Array<{ counts: Record<string, number> }>;
    // 120 lines in 10:00:00–10:00:59: one window, 40 ERROR lines.
    expect(docs).toHaveLength(1);
    expect(docs[0].counts).toMatchObject({ ERROR: 40, INFO: 80 });
    expect(await report.sendAndReceive('takeReports')).toEqual([]);
    expect(Array.isArray(await report.sendAndReceive('recentWindows'))).toBe(true);
    await report.destroy();
  });
});
