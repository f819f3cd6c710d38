/**
 * Progress of `npm run bench`: a bar on a terminal (cli-progress, on stderr), plain timestamped
 * log lines elsewhere (CI, files). Log lines go to stderr in both cases, so stdout carries only the
 * final summary.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /** A step of the plan begins; `weight` is its share of the bar (its expected seconds). */
  begin(step: string, weight: number): void;
  /** The current step ended (its whole weight is added to the bar). */
  end(): void;
  log(message: string): void;
  stop(): void;
}

const clock = (startedMs: number): string => {
  const s = Math.floor((Date.now() - startedMs) / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
};

/** `totalWeight`: the sum of the planned steps' weights (their expected seconds). */
export function createProgress(totalWeight: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  const started = Date.now();
  if (!stream.isTTY) {
    const line = (m: string): void => void stream.write(`[bench ${clock(started)}] ${m}\n`);
    return { begin: (step) => line(`${step} ...`), end: () => undefined, log: line, stop: () => undefined };
  }
  const multi = new cliProgress.MultiBar(
    { stream, hideCursor: true, clearOnComplete: false, format: 'bench [{bar}] {percentage}% | {clock} | {step}' },
    cliProgress.Presets.shades_classic,
  );
  const bar = multi.create(Math.max(1, totalWeight), 0, { step: 'starting', clock: clock(started) });
  let done = 0;
  let current = 0;
  let currentStart = Date.now();
  // Within a step the bar creeps forward by elapsed time, never past the step's weight.
  const tick = setInterval(() => {
    const inStep = Math.min(current * 0.95, (Date.now() - currentStart) / 1000);
    bar.update(done + inStep, { clock: clock(started) });
  }, 500);
  tick.unref();
  return {
    begin(step, weight) {
      current = weight;
      currentStart = Date.now();
      bar.update(done, { step, clock: clock(started) });
      multi.log(`[bench ${clock(started)}] ${step} ...\n`);
    },
    end() {
      done += current;
      current = 0;
      bar.update(done, { clock: clock(started) });
    },
    log(message) {
      multi.log(`[bench ${clock(started)}] ${message}\n`);
    },
    stop() {
      clearInterval(tick);
      bar.update(Math.max(1, totalWeight), { step: 'done', clock: clock(started) });
      multi.stop();
    },
  };
}
