/**
 * The report simulation in npm test (see test/sim/README.md): the whole pipeline with crashes,
 * pauses, outages and faults, and runs aimed at known holes. A failure prints the seed, the shrunk
 * commands and schedule, and the command that replays it. LOGPIPE_SIM_RUNS_SCALE scales the runs.
 *
 * Holes these runs found, and what closed them (each run below names the one it aims at):
 * - an ingest stall longer than report.idleCloseMs closed windows early: counts short, the late
 *   records in no report (R2's "all levels short, late 0"): closed by 167f556 (a partition is not
 *   idle while the ledger shows an object writing to it in progress);
 * - a process out of the group (paused past its session, or its consumer crashed by an outage) kept
 *   ticking over its old assignment and reopened tasks and the merge task, fencing their owners:
 *   closed by 167f556 (no partition acted on until membership is confirmed);
 * - a stopped stage's consumer that kafkajs was restarting joined the group anyway and held a
 *   partition nobody processed (`outage-while-a-reporter-starts`): closed by 3c0c8aa and 4426453
 *   (kafkajs never restarts these consumers; SupervisedConsumer replaces them);
 * - a process kept its task objects across a group join although another member owned the
 *   partition in between and moved its state on: the kept, fenced task never committed and the
 *   merger waited forever (`report` seed -1227312055, `paused-reporter-resumes-after-takeover` seed
 *   -1568906188): closed by 4426453 (every task dropped when the process leaves the group);
 * - the merge task changing hands, or a paused email loop resuming, repeated emails with no crash:
 *   closed by 3c0c8aa and 4426453 (checks before each send; an answered email whose settle failed is
 *   settled, not sent again, when the task comes back).
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
  // R2 in a clean run: an object started but its first batch held up while the other hosts' were counted. Fails on d6ef562.
  it('an object\'s first batch held up while the others are counted', () => check('first-batch-held-up-while-others-are-counted', 60), 600_000);
  // Fails on 2f9dfc1 and 1a9b1ad (see above).
  it('a process rejoins after a generation in which another owned its partitions', () => check('rejoin-after-a-missed-generation', 60), 600_000);
  // Fails on d4f85f2 and 74f6145 (a consumer that outlived its stopped stage fetched one batch forever).
  it('an outage outlasting the retries while a report process starts', () => check('outage-while-a-reporter-starts', 60), 600_000);
  // The counterexamples as they were found (deterministic replays; each fails on 74f6145).
  // An 18 s outage: a consumer outlived its stopped stage and fetched one batch forever ("gave up after 400000 steps").
  it('replay: a consumer restarting while its stage stops', () => replay('report', -1080812750, '28:0:0:0:0:0:6:4:1:3:2:7:2:7:3:3:3:3:3:3:3:3:3', 'j:B'), 600_000);
  // The merge task went to a joining process during an email's settle; the old owner sent the next email anyway (twice, no crash).
  it('replay: no email sent after the merge task went to another process', () => replay('rejoin-after-a-missed-generation', -1195749861, '56:23:3:7:12:10:8:10:9:10:11:9:9:14:17:18:17:17:17:17:17:17', ''), 600_000);
  // A process paused between its group join and its first tick woke up in the old assignment, took
  // the merge task back mid-settle and sent the email its replacement had just sent. Fails on 0ef06dc.
  it('replay: a reporter paused before its first tick does not resend its replacement\'s email', () => replay('report', -886584952, '223:0:2:11:11:14:17:16:25:32:2:20:7:3:23:3:4:3:3:1:3:5:19:20:19:17:18:19:18:18:18:18:18', 'A/U:G'), 600_000);
  // A rebalance moved the merge task while its owner was between an email's send and its settle:
  // the task was dropped at once, the settle failed, and the new owner sent it again. Fails on 0ef06dc.
  it('replay: a merge task handed over mid-send settles its email first', () => replay('rejoin-after-a-missed-generation', 1487398797, '298:18:27:26:26:24:24:25:29:29:30:29:29:29:29:30', ''), 600_000);
  // A partition task's commit failed after its last partial had said "idle": the merger went on
  // taking the partition as idle while it held records its owner had not counted yet, closed the
  // window without them, and they came late (the window never reported). Fails on d6ef562.
  // The same case counted a record twice with per-window task state (1a3dac6, reverted in d6ac9c9):
  // the task re-opened after its failed commit restored a window record of the aborted transaction
  // (the fake read_committed filter of then, like kafkajs unpatched, let it through) into a task
  // record with nextOffset -1 and counted the batch into it again (window 12:00 WARN 2, true 1).
  // Passes on 1a3dac6 with today's filter; the restore now takes only the window records its task
  // record lists (src/report/state.ts restoreTaskWindows; unit tests in state.test.ts and
  // partition-task.test.ts fail without that).
  it('replay: a partition idle by its last word but with records behind it holds the merger back', () => replay('report', -1619934976, '633:1:1:1:1:1:1:16:14:13:15:14:14:14:14:15:15:16:11:13:14:13:14:15:13:14:15:13:14', '//C:H'), 600_000);
  // A report process paused while taking the merge task over woke up after its replacement had
  // sent an email, and its take-over (begun before the pause) fenced the replacement mid-settle:
  // the email went out twice with no crash. Fails on d6ef562.
  it('replay: a reporter waking mid-take-over does not fence its replacement\'s settle', () => replay('paused-reporter-resumes-after-takeover', 794627684, '301:1:4:0:2:3:4:4:0:2:14:0:7:0:0:3:3:6:5:3:3:3:1:1:2:2:2:2:2:2:2:2:2:2:2:2:2:2:2:2:2:2:2:12:12:11:2:9:9:16:11:10:12:12', ''), 600_000);
  // The check's own hole: a SendEmail held by the provider, the sender crashed, the provider
  // accepted the request after the crash, and the replacement sent the email again (allowed: one
  // crash between the send and its settle). The check counted disruptions only from the delivery
  // on, so it saw none and failed the run (1 in about 2,000 random runs). Fails on 6d7545d.
  it('replay: a crash while a send is under way may repeat that email', () => replay('report', -1448305687, '1309:1:0:0:0:0:0:0:0:0:3:0:0:0:0:0:1:1:1:1:1:14:2:8:9:8:9:8:10:12:8:8:9:9:9', 'CAAA8:V'), 600_000);
  // Issue 14 item 2, report stage: fails on 2f9dfc1 (a window never reported), passes on ae23257.
  it('a paused report process resumes after another took its work over', () => check('paused-reporter-resumes-after-takeover', 60), 600_000);
  // R2's lost lines: fails on ddfb03a (before 2401594), passes since.
  it('a commit whose answer is lost', () => check('commit-outcome-unknown', 60), 600_000);
  // Issue 14 item 7: fails on 2f9dfc1 and ae23257 (two emails repeated for one crash), passes on 23d2554.
  it('a crash while alert emails go out repeats at most the email in flight', () => check('crash-while-emailing', 60), 600_000);
});
