/**
 * The supervision strategy (src/actors/supervisor.ts) through a real in-memory comedy actor system on
 * the local broker (issue 18 item 1): a child crashed at a chosen moment is restarted by its parent,
 * the object it was working on resumes from the progress ledger, and the log topic holds every line
 * once, in order; a child that crashes more often than its budget allows escalates to its parent,
 * and an escalation that reaches the root gives up (the service would exit 1), after which a new
 * pipeline (what systemd's restart starts) finishes the object exactly once.
 *
 * Crashes are injected through ActorParameters.faults, which throws an ActorCrashError inside the
 * actor's handler at the named moment, so the crash travels the same path a real one does.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ActorSystem } from 'comedy';
import type { IngestOutcome } from '../../src/actors/file-fetcher-actor';
import { ledgerKey, objectId, type ObjectRef } from '../../src/ingest/object-ref';
import { decodeProgress } from '../../src/ingest/progress';
import type { ActorParameters, FaultPoint } from '../../src/actors/actor-context';
import { actorModes } from '../../src/actors/actor-context';
import { createKafka } from '../../src/system/kafka/clients';
import type { LogpipeConfig } from '../../src/system/config/config';
import { startIngestPipeline } from '../../src/system/runtime/pipeline';
import { createActorSystem, startReportActor } from '../../src/system/runtime/service';
import type { ReportStageStatus } from '../../src/report/stage';
import type { ReportDocument } from '../../src/report/render';
import { ActorCrashError } from '../../src/actors/supervisor';
import { logLines, recentStart } from '../support/exactly-once';
import { eventually, quietLogger, readTopic, readTopicToEnd, testConfig, uniqueName } from '../support/helpers';

jest.setTimeout(240_000);

const LINES = 20_000;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-supervision-'));
const day = recentStart().slice(0, 10);

/** A log file of LINES lines (about 1.3 MB: two 1 MiB chunks and, at 500 records a batch, 40 commits). */
function logFile(name: string): { ref: ObjectRef; lines: string[] } {
  const lines = Array.from({ length: LINES }, (_, i) => {
    const ms = i * 50;
    const t = new Date(Date.UTC(2000, 0, 1) + ms).toISOString().slice(11, 23);
    return `${t} [main] ${i % 97 === 0 ? 'ERROR' : 'INFO'} com.example.App - line ${i} of ${name}`;
  });
  const file = path.join(dir, `${name}`, `LogFileGenerator.${day}.log`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return { ref: { kind: 'file', path: file }, lines };
}

function config(maxRestarts: number): LogpipeConfig {
  const base = testConfig();
  return {
    ...base,
    log: { ...base.log, level: 'info', format: 'json' },
    kafka: { ...base.kafka, topic: uniqueName('it-supervision'), progressTopic: uniqueName('it-supervision-progress'), deadLetterTopic: uniqueName('it-supervision-dlq') },
    ingest: { ...base.ingest, workerMode: 'in-memory', batchMaxRecords: 500, workerRestartDelayMs: 50, workerMaxRestarts: maxRestarts, workerRestartWindowMs: 120_000, sqsQueueUrl: '', listings: [] },
  };
}

/** Crashes (ActorCrashError) at the `n`th time `point` is reached, and at the `count - 1` times after it. */
function crashAt(point: FaultPoint, n: number, count = 1): { faults: NonNullable<ActorParameters['faults']>; crashes: () => number } {
  let seen = 0;
  let crashes = 0;
  return {
    faults: (p) => {
      if (p !== point) return;
      seen++;
      if (seen >= n && seen < n + count) {
        crashes++;
        throw new ActorCrashError(`injected at ${point} #${seen}`);
      }
    },
    crashes: () => crashes,
  };
}

interface Run {
  system: ActorSystem;
  outcome: Promise<IngestOutcome>;
  gaveUp: Promise<string>;
  log: () => Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

async function ingest(cfg: LogpipeConfig, ref: ObjectRef, faults?: ActorParameters['faults']): Promise<Run> {
  const { logger, text } = quietLogger();
  const system = createActorSystem(logger, cfg.log, actorModes(cfg));
  let giveUp: (reason: string) => void = () => undefined;
  const gaveUp = new Promise<string>((resolve) => (giveUp = resolve));
  const pipeline = await startIngestPipeline(system, cfg, logger, { topic: cfg.kafka.topic, triggers: false, onGiveUp: giveUp, ...(faults ? { faults } : {}) });
  const outcome = pipeline.watcher.sendAndReceive('ingest', ref) as Promise<IngestOutcome>;
  outcome.catch(() => undefined);
  return {
    system,
    outcome,
    gaveUp,
    log: () => logLines(text()),
    stop: async () => {
      await pipeline.stop();
      await system.destroy();
    },
  };
}

/** The log topic's values, in order (one source: one partition), and the ledger's last word on the file. */
async function check(cfg: LogpipeConfig, ref: ObjectRef, expected: string[]): Promise<{ values: string[]; ledger: ReturnType<typeof decodeProgress> }> {
  const kafka = createKafka(cfg, quietLogger().logger);
  const values = (await readTopic(kafka, cfg.kafka.topic, expected.length, 3000)).map((r) => r.value.toString('utf8'));
  const key = ledgerKey(cfg.kafka.topic, objectId(ref, ''));
  const entries = (await readTopicToEnd(kafka, cfg.kafka.progressTopic)).filter((r) => r.key.startsWith(key));
  return { values, ledger: entries.length ? decodeProgress(entries[entries.length - 1].value) : undefined };
}

const restarts = (log: Array<Record<string, unknown>>, child: string): number => log.filter((l) => l.message === 'child actor crashed; restarting it' && l.child === child).length;
const escalations = (log: Array<Record<string, unknown>>, child: string): number => log.filter((l) => l.message === 'child actor keeps crashing; escalating' && l.child === child).length;

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('one strategy: restart with backoff, one for one; escalate after the budget', () => {
  it('the publisher crashed between two batch commits: the streamer restarts it, the object resumes, every line once', async () => {
    const cfg = config(3);
    const { ref, lines } = logFile('publisher');
    const fault = crashAt('publisher.commit', 3);
    const run = await ingest(cfg, ref, fault.faults);
    const outcome = await run.outcome;
    await run.stop();
    expect(fault.crashes()).toBe(1);
    expect(outcome).toMatchObject({ status: 'ingested', lines: LINES, resumed: true });
    // One for one: only the publisher was restarted.
    expect(restarts(run.log(), 'KafkaPublisherActor')).toBe(1);
    expect(restarts(run.log(), 'LineStreamerActor') + restarts(run.log(), 'FileFetcherActor') + restarts(run.log(), 'S3WatcherActor')).toBe(0);
    const { values, ledger } = await check(cfg, ref, lines);
    expect(values).toEqual(lines);
    expect(ledger).toMatchObject({ status: 'done', lines: LINES });
  });

  it('the fetcher crashed mid-object: the watcher restarts it (and with it its streamer and publisher), every line once', async () => {
    const cfg = config(3);
    const { ref, lines } = logFile('fetcher');
    // Files are read in 1 MiB chunks: the second is mid-object, after the first one's batches.
    const fault = crashAt('fetcher.chunk', 2);
    const run = await ingest(cfg, ref, fault.faults);
    const outcome = await run.outcome;
    await run.stop();
    expect(fault.crashes()).toBe(1);
    expect(outcome).toMatchObject({ status: 'ingested', lines: LINES, resumed: true });
    expect(restarts(run.log(), 'FileFetcherActor')).toBe(1);
    expect(restarts(run.log(), 'KafkaPublisherActor') + restarts(run.log(), 'LineStreamerActor')).toBe(0);
    const { values, ledger } = await check(cfg, ref, lines);
    expect(values).toEqual(lines);
    expect(ledger).toMatchObject({ status: 'done', lines: LINES });
  });

  it('a publisher crashing more than workerMaxRestarts times escalates: the fetcher restarts the streamer with a new publisher', async () => {
    const cfg = config(1);
    const { ref, lines } = logFile('escalate');
    // Two crashes in a row: the first is restarted (budget 1), the second spends the budget.
    const fault = crashAt('publisher.commit', 3, 2);
    const run = await ingest(cfg, ref, fault.faults);
    const outcome = await run.outcome;
    await run.stop();
    expect(fault.crashes()).toBe(2);
    const log = run.log();
    expect(restarts(log, 'KafkaPublisherActor')).toBe(1);
    expect(escalations(log, 'KafkaPublisherActor')).toBe(1);
    expect(restarts(log, 'LineStreamerActor')).toBe(1);
    expect(escalations(log, 'LineStreamerActor')).toBe(0);
    expect(outcome).toMatchObject({ status: 'ingested', lines: LINES, resumed: true });
    const { values } = await check(cfg, ref, lines);
    expect(values).toEqual(lines);
  });

  it('an escalation that reaches the root gives up; a new pipeline finishes the object from the ledger, every line once', async () => {
    const cfg = config(0);
    const { ref, lines } = logFile('root');
    const fault = crashAt('publisher.commit', 4);
    const run = await ingest(cfg, ref, fault.faults);
    const reason = await run.gaveUp;
    await run.stop();
    expect(reason).toMatch(/^the ingest worker gave up: FileFetcherActor crashed 1 times within 120000 ms; the budget is 0 restarts/);
    const log = run.log();
    for (const child of ['KafkaPublisherActor', 'LineStreamerActor', 'FileFetcherActor']) expect(escalations(log, child)).toBe(1);
    expect(escalations(log, 'S3WatcherActor')).toBe(1);
    // What systemd does after exit 1: a new process, which resumes from the committed progress.
    const again = await ingest(cfg, ref);
    const outcome = await again.outcome;
    await again.stop();
    expect(outcome).toMatchObject({ status: 'ingested', lines: LINES, resumed: true });
    const { values, ledger } = await check(cfg, ref, lines);
    expect(values).toEqual(lines);
    expect(ledger).toMatchObject({ status: 'done', lines: LINES });
  });

  it('the ReportActor crashed while reporting: the root restarts it, and each window is reported once with its counts', async () => {
    const cfg = config(3);
    const report = { ...cfg.report, groupId: uniqueName('it-supervision-report'), topic: uniqueName('it-supervision-reports'), partialsTopic: uniqueName('it-supervision-partials'), stateTopic: uniqueName('it-supervision-state'), dir: path.join(dir, 'reports'), emailTransport: 'file' as const, outboxDir: path.join(dir, 'outbox'), idleCloseMs: 1000 };
    const withReport: LogpipeConfig = { ...cfg, report };
    const { ref, lines } = logFile('report');
    const ingested = await ingest(withReport, ref);
    expect(await ingested.outcome).toMatchObject({ status: 'ingested', lines: LINES });
    await ingested.stop();
    // The truth: counts per 60 s window of the lines' times (all on one day).
    const truth = new Map<string, { ERROR: number; INFO: number }>();
    for (const line of lines) {
      const [h, m] = line.slice(0, 5).split(':').map(Number);
      const start = Date.parse(`${day}T00:00:00Z`) + (h * 60 + m) * 60_000;
      const w = truth.get(`60000@${start}`) ?? { ERROR: 0, INFO: 0 };
      w[line.includes(' ERROR ') ? 'ERROR' : 'INFO']++;
      truth.set(`60000@${start}`, w);
    }

    const { logger, text } = quietLogger();
    const system = createActorSystem(logger, withReport.log, actorModes(withReport));
    let armed = false;
    let crashes = 0;
    const faults: NonNullable<ActorParameters['faults']> = (point) => {
      if (point !== 'report.message' || !armed || crashes > 0) return;
      crashes++;
      throw new ActorCrashError('injected in the report actor while it reports');
    };
    const actor = await startReportActor(system, withReport, logger, { onGiveUp: () => undefined, faults });
    try {
      // Armed once the stage has reported a window: the next message crashes it.
      await eventually('a first window reported', async () => (((await actor.sendAndReceive('status')) as ReportStageStatus | undefined)?.windowsReported ?? 0) > 0 || undefined, 120_000);
      armed = true;
      await expect(actor.sendAndReceive('status')).rejects.toThrow('ReportActor crashed');
      await eventually('the restarted report stage to be idle', async () => ((await actor.sendAndReceive('idle')) ? true : undefined), 180_000);
    } finally {
      await actor.destroy();
      await system.destroy();
    }
    expect(crashes).toBe(1);
    expect(restarts(logLines(text()), 'ReportActor')).toBe(1);
    const kafka = createKafka(withReport, quietLogger().logger);
    const docs = (await readTopic(kafka, report.topic, truth.size, 3000)).map((r) => JSON.parse(r.value.toString('utf8')) as ReportDocument);
    expect(docs.map((d) => d.id).sort()).toEqual([...truth.keys()].sort());
    for (const d of docs) expect(d.counts).toMatchObject(truth.get(d.id)!);
  });
});
