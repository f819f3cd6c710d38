/**
 * The report simulation: the whole pipeline. A feeder process (the real ingest actors) ingests a
 * series of objects, one after the other, each later in event time than the one before (so no
 * record is late by design and the true counts of every window follow from the objects alone),
 * while report processes (the real ReportStage) count, merge, report and email. fast-check commands
 * start report processes, crash and pause them (zombies resume after a rebalance gave their
 * partitions and the merge task away), make the broker go away for a while (requests in flight
 * lose their answers: commit outcomes unknown), and make single requests fail, lose their answer
 * or hang. Every command lands after a random number of pending requests.
 *
 * Recovery: faults end, paused processes resume, a fresh report process starts if none runs, and
 * the world runs until the feeder is done and every window is reported; then checks.ts decides.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import type { IngestOutcome } from '../../../src/actors/file-fetcher-actor';
import type { LogpipeConfig } from '../../../src/system/config/config';
import { Metrics } from '../../../src/system/observability/metrics';
import { SimulationFailure, simConfig } from '../ingest/ingest-sim';
import { IngestNode } from '../ingest/node';
import { FakeBroker } from '../kafka/broker';
import { generateObject, objectKey, type SimEntry } from '../objects';
import type { FaultKind } from '../runtime/world';
import { VERBOSE, World } from '../runtime/world';
import { currentOwner } from '../runtime/clock';
import { MemoryS3 } from '../s3/store';
import { checkEmails, checkReports, committedReports, type Disruption, truthWindows } from './checks';
import { Mailbox, ReportNode } from './node';

const BUCKET = 'logs';
const DAY = Date.UTC(2024, 2, 1);
const MAX_REPORTERS = 3;
/** Event time between the starts of two consecutive objects: each ends before the next begins. */
const OBJECT_SPACING_MS = 4 * 60_000;

export interface ReportParams {
  seed: number;
  /** Entries per object, in ingest order. */
  objects: number[];
  /** Largest gap between two entries of an object (ms). */
  maxGapMs: number;
  /** Virtual ms the feeder waits between two objects. */
  pauseBetweenMs: number;
  fetchMaxBatches: number;
  batchMaxRecords: number;
  /**
   * Every object covers the same event time (from 12:00) and the feeder ingests them all at once,
   * as `logpipe start` does with several hosts' files; absent: one after the other, each later.
   */
  concurrent?: boolean;
  /** The first read of this object (by index) waits this long before S3 answers. */
  slowFirstRead?: { object: number; ms: number };
}

export interface ReportModel {
  reporters: Array<'running' | 'paused' | 'crashed'>;
}

export class ReportSim {
  readonly world: World;
  readonly broker: FakeBroker;
  readonly s3: MemoryS3;
  readonly config: LogpipeConfig;
  readonly mailbox: Mailbox;
  readonly reporters: ReportNode[] = [];
  readonly entries: SimEntry[] = [];
  readonly disruptions: Disruption[] = [];
  private readonly metrics = new Metrics();
  private feederDone = false;
  private crashOnDelivery: number | undefined;
  private feeder: IngestNode | undefined;
  private feederFailures: string[] = [];
  private readonly refs: Array<{ key: string; versionId: string }> = [];

  constructor(scheduler: fc.Scheduler, readonly params: ReportParams) {
    this.world = new World({ scheduler, seed: params.seed, startMs: DAY + 13 * 3_600_000 });
    this.world.install();
    this.broker = new FakeBroker(this.world);
    this.s3 = new MemoryS3(this.world);
    this.s3.createBucket(BUCKET, true);
    this.mailbox = new Mailbox(this.world);
    const config = simConfig();
    // Short windows and idleness keep a run's virtual time, and so its steps, small.
    config.report = { ...config.report, windowSizeMs: 10_000, allowedLatenessMs: 1_000, idleCloseMs: 3_000, emailRetryDelayMs: 500, emailRetryMaxDelayMs: 5_000 };
    this.config = config;
    const k = config.kafka;
    const r = config.report;
    this.broker.createTopics([
      { topic: k.topic, numPartitions: 2 },
      { topic: k.progressTopic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
      { topic: k.deadLetterTopic, numPartitions: 1 },
      { topic: r.partialsTopic, numPartitions: 1 },
      { topic: r.stateTopic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
      { topic: r.topic, numPartitions: 1 },
    ]);
    params.objects.forEach((entries, i) => {
      const startMs = DAY + 12 * 3_600_000 + (params.concurrent ? 0 : i * OBJECT_SPACING_MS);
      const object = generateObject({ seed: params.seed + i, entries, startMs, maxGapMs: params.maxGapMs, stackTraces: true });
      const key = objectKey(`source${i}`, DAY);
      if (params.slowFirstRead?.object === i) this.s3.firstReadDelayMs.set(key, params.slowFirstRead.ms);
      const v = this.s3.put(BUCKET, key, object.body);
      this.refs.push({ key, versionId: v.versionId! });
      this.entries.push(...object.entries);
    });
    this.startFeeder();
    this.startReporter();
    this.mailbox.onDelivery = (d) => {
      if (this.crashOnDelivery === undefined || this.mailbox.deliveries.length < this.crashOnDelivery) return;
      this.crashOnDelivery = undefined;
      const node = this.reporters.find((n) => n.name === d.process);
      if (node && node.status === 'running') this.disrupt(node, 'crash');
    };
  }

  /** The process that makes the n-th email delivery (counting from now) crashes as it makes it. */
  crashOnEmail(n: number): void {
    this.crashOnDelivery = this.mailbox.deliveries.length + n;
    this.world.trace(`the sender of email #${this.crashOnDelivery} will crash as it sends`);
  }

  model(): ReportModel {
    return { reporters: this.reporters.map((n) => n.status) };
  }

  dispose(): void {
    this.world.releaseAll();
    this.world.dispose();
    fs.rmSync(path.join(os.tmpdir(), `logpipe-sim-${process.pid}`), { recursive: true, force: true });
  }

  startReporter(): ReportNode {
    const node = new ReportNode(`r${this.reporters.length + 1}`, this.world, this.broker, this.config, this.mailbox, this.metrics, this.params.fetchMaxBatches);
    this.reporters.push(node);
    this.world.trace(`${node.name} started`);
    return node;
  }

  disrupt(node: ReportNode, what: 'crash' | 'pause'): void {
    this.disruptions.push({ atMs: this.world.now, process: node.name, what });
    this.world.trace(`${node.name} ${what === 'crash' ? 'CRASHED' : 'PAUSED'}`);
    if (what === 'crash') node.proc.crash();
    else node.proc.pause();
  }

  /** The ingest process stops for `ms` (a GC pause, a stuck S3 read) and goes on where it was. */
  stallFeeder(ms: number): void {
    const feeder = this.feeder;
    if (!feeder || feeder.status !== 'running') return;
    this.world.trace(`feeder stalled for ${ms} ms`);
    feeder.proc.pause();
    currentOwner.exit(() =>
      this.world.clock.setTimeout(() => {
        this.world.trace('feeder goes on');
        feeder.proc.resume();
      }, ms),
    );
  }

  async steps(n: number): Promise<void> {
    for (let i = 0; i < n; i++) if (!(await this.world.step(this.world.now))) return;
  }

  /** Recovery: every fault ends, paused processes resume, one runs; then until all is reported. */
  async recover(): Promise<void> {
    this.world.releaseAll();
    this.crashOnDelivery = undefined;
    for (const n of this.reporters) {
      if (n.status !== 'paused') continue;
      this.world.trace(`${n.name} resumed (recovery)`);
      n.proc.resume();
    }
    if (!this.reporters.some((n) => n.status === 'running')) this.startReporter();
    await this.world.runUntil(() => this.feederDone, 10 * 60_000, 'the feeder to ingest every object');
    const truth = truthWindows(this.entries, this.config.report.windowSizeMs);
    // Done when every window is reported and every alerting one emailed, whatever the stage keeps
    // of its pending emails (older commits keep them inside the merge state).
    const emailed = (): boolean => committedReports(this.broker, this.config.report.topic).every((d) => !d.alert.alert || this.mailbox.deliveries.some((x) => x.window === d.id));
    const reported = (): boolean => checkReports(this.broker, this.config.report.topic, truth).length === 0 && emailed() && this.pendingEmails() === 0;
    await this.world.runUntil(reported, 6 * 60_000, 'every window reported and every alert emailed').catch((err: Error) => this.feederFailures.push(err.message));
    // Long enough for every session to expire and every repeated email to show.
    await this.world.runFor(45_000);
  }

  /** The report topics as the broker holds them (for a verbose failure report). */
  dump(): string[] {
    const r = this.config.report;
    const out: string[] = ['-- partials (committed):'];
    for (const rec of this.broker.partition(r.partialsTopic, 0).committed()) out.push(`  @${rec.offset} ${rec.key?.toString()} ${rec.value?.toString().slice(0, 300)}`);
    out.push('-- state (committed, in order):');
    for (const rec of this.broker.partition(r.stateTopic, 0).committed()) out.push(`  @${rec.offset} ${rec.key?.toString()} ${rec.value?.toString().slice(0, 300) ?? 'null'}`);
    out.push('-- log topic:');
    for (let p = 0; p < 2; p++) out.push(`  partition ${p}: high ${this.broker.partition(this.config.kafka.topic, p).highWatermark}, lso ${this.broker.partition(this.config.kafka.topic, p).lastStableOffset}, group offset ${this.broker.groups.committedOffset(r.groupId, this.config.kafka.topic, p)}`);
    out.push(`  partials: high ${this.broker.partition(r.partialsTopic, 0).highWatermark}, merge group offset ${this.broker.groups.committedOffset(`${r.groupId}-merge`, r.partialsTopic, 0)}`);
    out.push(`-- open transactions: ${this.broker.txns.openTransactions().join(', ') || 'none'}`);
    return out;
  }

  violations(): string[] {
    const r = this.config.report;
    const truth = truthWindows(this.entries, r.windowSizeMs);
    return [...this.feederFailures, ...checkReports(this.broker, r.topic, truth), ...checkEmails(this.broker, this.world, r.topic, r.stateTopic, this.mailbox.deliveries, this.disruptions)];
  }

  /** Pending-email records committed and not deleted (what is still to be sent). */
  private pendingEmails(): number {
    const latest = new Map<string, boolean>();
    for (const rec of this.broker.partition(this.config.report.stateTopic, 0).committed()) {
      const key = rec.key?.toString() ?? '';
      if (key.startsWith('email ')) latest.set(key, rec.value !== null);
    }
    return [...latest.values()].filter(Boolean).length;
  }

  /**
   * The feeder: ingests the objects one after the other, or all at once (params.concurrent),
   * retrying failures as the watcher does.
   */
  private startFeeder(): void {
    const feeder = new IngestNode('feeder', this.world, this.broker, this.s3, this.config, { batchMaxRecords: this.params.batchMaxRecords, maxInFlight: 2, fetchMaxBatches: 4 }, this.metrics);
    this.feeder = feeder;
    const ingest = async (ref: { key: string; versionId: string }): Promise<void> => {
      for (let attempt = 0; ; attempt++) {
        try {
          const outcome: IngestOutcome = await feeder.ingest({ kind: 's3', bucket: BUCKET, ...ref });
          this.world.trace(`feeder ingested ${ref.key}: ${outcome.status}`);
          return;
        } catch (err) {
          if (attempt >= 20) {
            this.feederFailures.push(`feeder could not ingest ${ref.key}: ${(err as Error).message}`);
            return;
          }
          await this.world.sleep(feeder.proc, 5_000);
        }
      }
    };
    void feeder.proc.run(async () => {
      if (this.params.concurrent) await Promise.all(this.refs.map(ingest));
      else {
        for (const ref of this.refs) {
          await ingest(ref);
          await this.world.sleep(feeder.proc, this.params.pauseBetweenMs);
        }
      }
      this.feederDone = true;
    });
  }
}

export type Cmd = fc.AsyncCommand<ReportModel, ReportSim>;

/** The model follows the real processes (a crash can also come from CrashOnEmail). */
function sync(m: ReportModel, r: ReportSim): void {
  m.reporters.splice(0, m.reporters.length, ...r.model().reporters);
}

const pick = (m: ReportModel, i: number, want: (s: ReportModel['reporters'][number]) => boolean): number | undefined => {
  const c = m.reporters.map((s, idx) => [s, idx] as const).filter(([s]) => want(s));
  return c.length ? c[i % c.length][1] : undefined;
};

export class StartReporter implements Cmd {
  constructor(readonly steps: number) {}
  check = (m: Readonly<ReportModel>): boolean => m.reporters.filter((s) => s !== 'crashed').length < MAX_REPORTERS && m.reporters.length < 6;
  async run(m: ReportModel, r: ReportSim): Promise<void> {
    await r.steps(this.steps);
    r.startReporter();
    sync(m, r);
  }
  toString = (): string => `startReporter(steps=${this.steps})`;
}

export class Disrupt implements Cmd {
  constructor(readonly what: 'crash' | 'pause', readonly process: number, readonly steps: number) {}
  check = (m: Readonly<ReportModel>): boolean => pick(m, 0, (s) => s === 'running') !== undefined;
  async run(m: ReportModel, r: ReportSim): Promise<void> {
    await r.steps(this.steps);
    sync(m, r);
    const i = pick(m, this.process, (s) => s === 'running');
    if (i === undefined) return;
    r.disrupt(r.reporters[i], this.what);
    m.reporters[i] = this.what === 'crash' ? 'crashed' : 'paused';
  }
  toString = (): string => `${this.what}(reporter#${this.process}, steps=${this.steps})`;
}

export class Resume implements Cmd {
  constructor(readonly process: number, readonly steps: number) {}
  check = (m: Readonly<ReportModel>): boolean => pick(m, 0, (s) => s === 'paused') !== undefined;
  async run(m: ReportModel, r: ReportSim): Promise<void> {
    await r.steps(this.steps);
    sync(m, r);
    const i = pick(m, this.process, (s) => s === 'paused');
    if (i === undefined) return;
    r.world.trace(`${r.reporters[i].name} RESUMED`);
    r.reporters[i].proc.resume();
    m.reporters[i] = 'running';
  }
  toString = (): string => `resume(reporter#${this.process}, steps=${this.steps})`;
}

export class Wait implements Cmd {
  constructor(readonly ms: number) {}
  check = (): boolean => true;
  async run(_m: ReportModel, r: ReportSim): Promise<void> {
    await r.world.runFor(this.ms);
  }
  toString = (): string => `wait(${this.ms} ms)`;
}

export class Outage implements Cmd {
  constructor(readonly ms: number, readonly steps: number) {}
  check = (): boolean => true;
  async run(_m: ReportModel, r: ReportSim): Promise<void> {
    await r.steps(this.steps);
    r.world.outage(this.ms);
  }
  toString = (): string => `brokerOutage(${this.ms} ms, steps=${this.steps})`;
}

export class CrashOnEmail implements Cmd {
  constructor(readonly n: number) {}
  check = (): boolean => true;
  async run(_m: ReportModel, r: ReportSim): Promise<void> {
    r.crashOnEmail(this.n);
  }
  toString = (): string => `crashOnEmail(#${this.n})`;
}

export class FeederStall implements Cmd {
  constructor(readonly ms: number, readonly steps: number) {}
  check = (): boolean => true;
  async run(_m: ReportModel, r: ReportSim): Promise<void> {
    await r.steps(this.steps);
    r.stallFeeder(this.ms);
  }
  toString = (): string => `stallFeeder(${this.ms} ms, steps=${this.steps})`;
}

const REPORT_APIS = ['InitProducerId', 'AddPartitionsToTxn', 'Produce', 'AddOffsetsToTxn', 'TxnOffsetCommit', 'EndTxn', 'JoinGroup', 'Heartbeat', 'Fetch', 'ListOffsets', 'OffsetFetch', 'SendEmail'] as const;

export class Fault implements Cmd {
  constructor(readonly process: number, readonly api: (typeof REPORT_APIS)[number], readonly kind: FaultKind, readonly steps: number) {}
  check = (m: Readonly<ReportModel>): boolean => pick(m, 0, (s) => s !== 'crashed') !== undefined;
  async run(m: ReportModel, r: ReportSim): Promise<void> {
    await r.steps(this.steps);
    sync(m, r);
    const i = pick(m, this.process, (s) => s !== 'crashed');
    if (i === undefined) return;
    r.world.trace(`fault armed: ${this.kind} ${this.api} of ${r.reporters[i].name}`);
    r.world.inject({ kind: this.kind, api: this.api, process: r.reporters[i].name });
  }
  toString = (): string => `fault(reporter#${this.process}, ${this.api}, ${this.kind}, steps=${this.steps})`;
}

const steps = fc.nat({ max: 150 });
const proc = fc.nat({ max: 5 });

export function reportCommands(maxCommands: number, replayPath?: string): fc.Arbitrary<Iterable<Cmd>> {
  return fc.commands(
    [
      steps.map((s) => new StartReporter(s)),
      fc.tuple(proc, steps).map(([p, s]) => new Disrupt('crash', p, s)),
      fc.tuple(proc, steps).map(([p, s]) => new Disrupt('pause', p, s)),
      fc.tuple(proc, steps).map(([p, s]) => new Resume(p, s)),
      fc.integer({ min: 100, max: 60_000 }).map((ms) => new Wait(ms)),
      fc.tuple(fc.integer({ min: 500, max: 20_000 }), steps).map(([ms, s]) => new Outage(ms, s)),
      fc.tuple(fc.integer({ min: 500, max: 15_000 }), steps).map(([ms, s]) => new FeederStall(ms, s)),
      fc.integer({ min: 1, max: 4 }).map((n) => new CrashOnEmail(n)),
      fc.tuple(proc, fc.constantFrom(...REPORT_APIS), fc.constantFrom<FaultKind>('fail', 'lost', 'hang'), steps).map(([p, a, k, s]) => new Fault(p, a, k, s)),
    ],
    { maxCommands, ...(replayPath ? { replayPath } : {}) },
  );
}

export const reportParams: fc.Arbitrary<ReportParams> = fc.record({
  seed: fc.nat({ max: 1_000_000 }),
  objects: fc.array(fc.integer({ min: 3, max: 40 }), { minLength: 1, maxLength: 3 }),
  maxGapMs: fc.integer({ min: 200, max: 6_000 }),
  pauseBetweenMs: fc.integer({ min: 0, max: 20_000 }),
  fetchMaxBatches: fc.integer({ min: 1, max: 4 }),
  batchMaxRecords: fc.integer({ min: 1, max: 8 }),
});

export async function runReport(scheduler: fc.Scheduler, params: ReportParams, commands: Iterable<Cmd>): Promise<void> {
  const sim = new ReportSim(scheduler, params);
  try {
    await fc.asyncModelRun(() => ({ model: sim.model(), real: sim }), commands);
    await sim.recover();
    const problems = sim.violations();
    if (problems.length) throw new SimulationFailure(problems, VERBOSE ? [...sim.world.traceTail(), ...sim.dump()] : sim.world.traceTail());
  } finally {
    sim.dispose();
  }
}
