/**
 * The restart decision of a supervisor: after a child's crash, restart it after a delay, or give up
 * because the restart budget is spent. Pure: the caller passes the time of each crash.
 *
 * Budget: at most `maxRestarts` restarts within any `windowMs` (a sliding window over crash times).
 * Backoff: `initialDelayMs` for the first crash in the window, doubled for each further one, capped
 * at 32 × initialDelayMs; crashes that age out of the window stop counting, so a worker that stays
 * up long enough is back to the short delay.
 */
export interface RestartPolicyOptions {
  initialDelayMs: number;
  maxRestarts: number;
  windowMs: number;
}

export type RestartDecision = { restart: true; delayMs: number; recent: number } | { restart: false; reason: string };

const MAX_DOUBLINGS = 5;

export class RestartPolicy {
  private crashes: number[] = [];

  constructor(private readonly options: RestartPolicyOptions) {
    for (const key of ['initialDelayMs', 'maxRestarts', 'windowMs'] as const) {
      if (!Number.isSafeInteger(options[key]) || options[key] < 0) throw new RangeError(`restart policy ${key} must be a whole number >= 0, got ${String(options[key])}`);
    }
  }

  /** Records a crash at `nowMs` and decides what to do about it. */
  onCrash(nowMs: number): RestartDecision {
    const { initialDelayMs, maxRestarts, windowMs } = this.options;
    this.crashes = this.crashes.filter((t) => nowMs - t < windowMs);
    this.crashes.push(nowMs);
    const recent = this.crashes.length;
    if (recent > maxRestarts) {
      return { restart: false, reason: `crashed ${recent} times within ${windowMs} ms; the budget is ${maxRestarts} restarts` };
    }
    return { restart: true, delayMs: initialDelayMs * 2 ** Math.min(recent - 1, MAX_DOUBLINGS), recent };
  }
}
