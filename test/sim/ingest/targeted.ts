/**
 * Ingest runs aimed at one hole each: a fixed sequence of commands whose timing (how many pending
 * requests proceed before each one) and tuning are generated. Each names the behaviour it guards
 * and the issue item it reproduced before the fix (see test/sim/at-commit.sh to run one against an
 * older commit).
 */
import fc from 'fast-check';
import type { SimRun } from '../runner';
import { type Cmd, FaultCommand, ingestParams, type IngestParams, PauseCommand, ResumeCommand, runIngest, StartCommand, TriggerCommand, WaitCommand } from './ingest-sim';

const steps = fc.nat({ max: 120 });
const WEB = 0;
const API = 1;

function targeted(name: string, commands: fc.Arbitrary<Cmd[]>, params: fc.Arbitrary<IngestParams> = ingestParams): SimRun<IngestParams, Cmd> {
  return { name, params, commands: () => commands, run: (s, p, c) => runIngest(s, p, c) };
}

/** Both objects have a first version, the first one long enough to be mid-ingest for a while. */
const withBoth = ingestParams.map((p) => ({ ...p, tuning: { ...p.tuning, batchMaxRecords: Math.min(p.tuning.batchMaxRecords, 3) }, initial: [Math.max(p.initial[0], 12), Math.max(p.initial[1], 2), 0] }));

export const TARGETED_INGEST: Record<string, SimRun<IngestParams, Cmd>> = {
  /**
   * Issue 14 item 1: two requests for one version in one process, one naming the versionId and one
   * not (SQS and the Lambda path). Before 5fa8770/ae23257 both jobs fed one parser and the second
   * begin closed the first job's producer: records that were not whole entries, lines twice.
   */
  'one-version-twice-in-a-process': targeted(
    'one-version-twice-in-a-process',
    fc.tuple(steps, steps).map(([a, b]) => [new TriggerCommand(0, WEB, 'current', a), new TriggerCommand(0, WEB, 'version', b)]),
  ),
  /**
   * Issue 14 item 2: two processes ingest one version at once. Before ae23257 the second read the
   * ledger before its first transaction fenced the first, which committed another batch in
   * between: that batch was written twice.
   */
  'one-version-in-two-processes': targeted(
    'one-version-in-two-processes',
    fc.tuple(steps, steps, steps).map(([a, b, c]) => [new StartCommand(a), new TriggerCommand(0, WEB, 'version', b), new TriggerCommand(1, WEB, 'version', c)]),
  ),
  /**
   * Issue 14 item 2, the zombie: a process paused mid-ingest, a replacement takes the version over,
   * then the paused one resumes and must fail its next commit, never land it.
   */
  'paused-ingest-resumes-after-takeover': targeted(
    'paused-ingest-resumes-after-takeover',
    fc.tuple(steps, steps, steps, fc.integer({ min: 0, max: 20_000 }), steps).map(([a, b, c, w, d]) => [
      new TriggerCommand(0, WEB, 'version', a),
      new PauseCommand(0, b),
      new StartCommand(0),
      new TriggerCommand(0, WEB, 'current', c),
      new WaitCommand(w),
      new ResumeCommand(0, d),
    ]),
  ),
  /**
   * Issue 14 item 3: another writer's transaction is open on the progress topic (a third process
   * stuck before its commit), so its last stable offset lags. Before ae23257 a new owner read the
   * ledger only up to that offset: the previous owner's commits past it were not seen and their
   * batches were written again (seed 5 on 2f9dfc1: all of the first process's lines twice).
   */
  'takeover-while-another-transaction-is-open': targeted(
    'takeover-while-another-transaction-is-open',
    fc.tuple(steps, fc.integer({ min: 0, max: 400 }), steps, steps).map(([a, w, c, d]) => [
      new StartCommand(0),
      new StartCommand(0),
      new FaultCommand(2, 'EndTxn', 'hang', 0),
      new TriggerCommand(2, API, 'version', 0),
      // Once every pending request is through, the third process is stuck with its transaction open.
      new WaitCommand(1),
      new TriggerCommand(0, WEB, 'version', a),
      new WaitCommand(w),
      new PauseCommand(0, c),
      // The first running process is now the second one.
      new TriggerCommand(0, WEB, 'version', d),
      new WaitCommand(20_000),
    ]),
    withBoth,
  ),
};
