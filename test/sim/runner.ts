/**
 * Runs a simulation property with fast-check and turns a failure into a report that says how to
 * replay it: the seed and path, the shrunk commands, the last steps of the shrunk schedule (which
 * request was let through when), and the end of the world's trace.
 */
import fc from 'fast-check';

export interface SimRun<P, C> {
  name: string;
  params: fc.Arbitrary<P>;
  /** The commands; `replayPath` (printed with a failure) makes fc.commands replay a shrunk case. */
  commands(replayPath?: string): fc.Arbitrary<Iterable<C>>;
  run(scheduler: fc.Scheduler, params: P, commands: Iterable<C>): Promise<void>;
}

export interface RunOptions {
  runs: number;
  seed?: number;
  /** Replays one case: the path printed with a failure (with its seed and replayPath). */
  path?: string;
  /** The commands' replay path printed with a failure (fc.commands needs it to replay a shrunk case). */
  replayPath?: string;
  /** Stops generating new cases after this long (ms of real time); 0: no limit. */
  timeLimitMs?: number;
  /** Called after each run (progress). */
  onRun?: (done: number) => void;
}

export interface RunResult {
  runs: number;
  seed: number;
  failed: boolean;
  report: string;
  ms: number;
}

/** Lines of the schedule shown in a report. */
const SCHEDULE_TAIL = 60;

export async function runSimulation<P, C>(sim: SimRun<P, C>, o: RunOptions): Promise<RunResult> {
  const started = Date.now();
  let done = 0;
  const property = fc.asyncProperty(fc.scheduler(), sim.params, sim.commands(o.replayPath), async (s, params, commands) => {
    await sim.run(s, params, commands);
    o.onRun?.(++done);
  });
  const details = await fc.check(property, {
    numRuns: o.runs,
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    ...(o.path ? { path: o.path, endOnFailure: true } : {}),
    ...(o.timeLimitMs ? { interruptAfterTimeLimit: o.timeLimitMs, markInterruptAsFailure: false } : {}),
  });
  const ms = Date.now() - started;
  if (!details.failed) return { runs: details.numRuns, seed: details.seed, failed: false, report: `${sim.name}: ${details.numRuns} runs passed in ${ms} ms (seed ${details.seed})`, ms };
  const [scheduler, params, commands] = details.counterexample ?? [];
  const schedule = scheduler ? (scheduler as fc.Scheduler).report() : [];
  // Idle polling (fetches, heartbeats) buries what happened: the tail shows the other steps.
  const busy = schedule.filter((t) => !/ (Fetch|Heartbeat|Metadata|ListOffsets|OffsetFetch)\b/.test(t.label) && !t.label.endsWith(' ✓'));
  const scheduleLines = busy.slice(-SCHEDULE_TAIL).map((t) => `  [${t.taskId}] ${t.label} ${t.status}`);
  const error = details.errorInstance as Error | undefined;
  const report = [
    `${sim.name}: FAILED after ${details.numRuns} runs (${details.numShrinks} shrinks) in ${ms} ms`,
    `replay: npm run test:sim -- --sim ${sim.name} --seed ${details.seed} --path "${details.counterexamplePath}" --replay "${/replayPath="([^"]*)"/.exec(String(commands))?.[1] ?? ''}" (add LOGPIPE_SIM_VERBOSE=1 for the whole trace)`,
    `params: ${fc.stringify(params)}`,
    `commands (shrunk): ${commands ? String(commands) : '(none)'}`,
    `schedule (the last ${scheduleLines.length} of ${schedule.length} steps, requests as they reach the broker or S3, polling left out):`,
    ...scheduleLines,
    `failure: ${error?.message ?? String(error)}`,
  ].join('\n');
  return { runs: details.numRuns, seed: details.seed, failed: true, report, ms };
}
