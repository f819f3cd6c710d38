/**
 * The report simulation in npm test (see test/sim/README.md): the whole pipeline with crashes,
 * pauses, outages and faults, and runs aimed at known holes. A failure prints the seed, the shrunk
 * commands and schedule, and the command that replays it. LOGPIPE_SIM_RUNS_SCALE scales the runs.
 *
 * Known failures on 2070795 (reported to the lead, issue 14; not fixed here):
 * - ingest stalls longer than report.idleCloseMs close windows early: counts short, the late
 *   records in no report (`ingest-stall-longer-than-idle-close`; R2's "all levels short, late 0");
 * - a process that was out of the group (paused past its session, or its consumer crashed by an
 *   outage and restarting) keeps ticking over its old assignment and reopens tasks and the merge
 *   task, fencing their owners; a task whose state another member moved on never commits again,
 *   and a window is never reported; the merge task changing hands repeats emails with no crash
 *   (`rejoin-after-a-missed-generation`, and the random runs).
 *
 * Known failure on 3c0c8aa (not fixed yet): a report stage stopped while kafkajs restarts its
 * crashed log-topic consumer (the restart's group join in progress, e.g. an outage longer than the
 * retries while the process starts) leaves that consumer running: kafkajs's runner.stop() returns at
 * once for a runner that is not yet running, and consumer.stop() forgets it, so no API stops it. It
 * joins the group next to the next stage's consumer and holds a partition that nobody processes; if
 * that partition gets no record (which would crash it now), its windows are never reported
 * (`outage-while-a-reporter-starts`, e.g. seed 1786029462 path
 * "123:0:0:0:0:0:0:0:3:0:0:4:1:1:1:1:1:1:1:1:2").
 * Also failing on 7753fea as on 3c0c8aa with a window never reported: `report` seed -1227312055
 * path "172:0:0:0:0:0:0:2:6:2:2:2:4:3:6" replay "AR:C" (a failed ListOffsets, a second process),
 * `paused-reporter-resumes-after-takeover` seed -1568906188 path
 * "46:0:0:0:0:0:2:2:2:0:0:0:6:1:3:3:1:2" (the resumed zombie fenced; the partials consumer crashed).
 * One cause (analysed on eab0cf5): a process keeps its task objects across a group join although
 * another member owned the partition in between. In the first, r1's log-topic consumer crashes (the
 * failed ListOffsets) and leaves; r2 owns 0 and 1 in generation 2 and takes partition 0 over
 * (fencing r1's task, committing its state); r1's restarted consumer gets partition 0 back in
 * generation 3, and r1 still has its generation-1 task, fenced, with older state: it has nothing to
 * send, never commits, never learns, and the merger waits for partition 0 forever. In the second,
 * the resumed zombie's tick does the taking over (see report/targeted.ts) and r2 keeps the stale
 * task. kafkajs's GROUP_JOIN carries no generation id, so a member cannot tell it missed one.
 */
import { runSimulation } from './runner';
import { SIMULATIONS } from './simulations';

const scale = Number(process.env.LOGPIPE_SIM_RUNS_SCALE ?? 1);
const runs = (n: number): number => Math.max(1, Math.round(n * scale));

async function check(name: string, n: number): Promise<void> {
  const result = await runSimulation(SIMULATIONS[name], { runs: runs(n), timeLimitMs: 90_000 * scale });
  if (result.failed) throw new Error(result.report);
}

/** Replays one case exactly (a failure's seed, path and replay path): a counterexample kept as a test. */
async function replay(name: string, seed: number, path: string, replayPath: string): Promise<void> {
  const result = await runSimulation(SIMULATIONS[name], { runs: 1, seed, path, replayPath });
  if (result.failed) throw new Error(result.report);
}

describe('simulation: report', () => {
  // Every window once on the report topic with its true counts, nothing late; every alerting
  // window emailed, again at most once per crash between its send and its settling.
  it('random commands keep every window exactly once and every alert emailed', () => check('report', 250), 600_000);
  // Issue 14 item 0 (R2): fails on 2f9dfc1 and 1a9b1ad (see above).
  it('an ingest stall longer than idleCloseMs mid-object', () => check('ingest-stall-longer-than-idle-close', 60), 600_000);
  it('a broker restart mid-ingest that every client rides out', () => check('broker-restart-mid-ingest', 60), 600_000);
  // Fails on 2f9dfc1 and 1a9b1ad (see above).
  it('a process rejoins after a generation in which another owned its partitions', () => check('rejoin-after-a-missed-generation', 60), 600_000);
  // Fails on d4f85f2 and 74f6145 (a consumer that outlived its stopped stage fetched one batch forever).
  it('an outage outlasting the retries while a report process starts', () => check('outage-while-a-reporter-starts', 60), 600_000);
  // The counterexamples as they were found (deterministic replays; each fails on 74f6145).
  // An 18 s outage: a consumer outlived its stopped stage and fetched one batch forever ("gave up after 400000 steps").
  it('replay: a consumer restarting while its stage stops', () => replay('report', -1080812750, '28:0:0:0:0:0:6:4:1:3:2:7:2:7:3:3:3:3:3:3:3:3:3', 'j:B'), 600_000);
  // The merge task went to a joining process during an email's settle; the old owner sent the next email anyway (twice, no crash).
  it('replay: no email sent after the merge task went to another process', () => replay('rejoin-after-a-missed-generation', -1195749861, '56:23:3:7:12:10:8:10:9:10:11:9:9:14:17:18:17:17:17:17:17:17', ''), 600_000);
  // Issue 14 item 2, report stage: fails on 2f9dfc1 (a window never reported), passes on ae23257.
  it('a paused report process resumes after another took its work over', () => check('paused-reporter-resumes-after-takeover', 60), 600_000);
  // R2's lost lines: fails on ddfb03a (before 2401594), passes since.
  it('a commit whose answer is lost', () => check('commit-outcome-unknown', 60), 600_000);
  // Issue 14 item 7: fails on 2f9dfc1 and ae23257 (two emails repeated for one crash), passes on 23d2554.
  it('a crash while alert emails go out repeats at most the email in flight', () => check('crash-while-emailing', 60), 600_000);
});
