/**
 * Options of `logpipe generate`, named after LogFileGenerator's configuration keys, with its
 * defaults. validateOptions() is the only place they are checked.
 */

export interface Range {
  min: number;
  max: number;
}

export interface GeneratorOptions {
  /** Message length range (MinString..MaxString). */
  minString: number;
  maxString: number;
  /** Character code range of message symbols (MinSymbol..MaxSymbol). */
  minSymbol: number;
  maxSymbol: number;
  /** Level likelihood ranges over [0, 1): a uniform draw in a range picks that level, else INFO. */
  error: Range;
  warn: Range;
  debug: Range;
  info: Range;
  /** Strings matching Pattern are inserted into a message with probability Frequency. */
  pattern: string;
  frequency: number;
  /** Stop after MaxCount lines per instance (0: no limit). */
  maxCount: number;
  /** Stop after DurationMinutes of (simulated or real) time per instance (0: no limit). */
  durationMinutes: number;
  /** Delay between lines in ms, drawn uniformly (TimePeriod). */
  timePeriod: Range;
  seed: number;
  /** Simulated time (no sleeping) instead of real time. */
  fast: boolean;
  /** Start of simulated time, epoch ms. */
  startMs: number;
  /** Simulated hosts: distinct thread names, one file each. */
  instances: number;
  /** Window size of the ground truth. */
  windowMs: number;
}

/** The default simulated start: fixed, so that the same options give the same bytes. */
export const DEFAULT_FAST_START_MS = Date.UTC(2026, 0, 1);

export const DEFAULTS: GeneratorOptions = {
  minString: 10,
  maxString: 50,
  minSymbol: 33,
  maxSymbol: 126,
  error: { min: 0, max: 0.01 },
  warn: { min: 0.01, max: 0.2 },
  debug: { min: 0.2, max: 0.3 },
  info: { min: 0.3, max: 1 },
  pattern: '([a-c][e-g][0-3]|[A-Z][5-9][f-w]){5,15}',
  frequency: 0.07,
  maxCount: 1000,
  durationMinutes: 0,
  timePeriod: { min: 10, max: 100 },
  seed: 42,
  fast: false,
  startMs: DEFAULT_FAST_START_MS,
  instances: 1,
  windowMs: 60_000,
};

/** Thrown for options that make no sense; the message names the option and the value. */
export class GeneratorOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GeneratorOptionError';
  }
}

/** Checks every option; throws GeneratorOptionError naming the first bad one. */
export function validateOptions(o: GeneratorOptions): GeneratorOptions {
  const fail = (name: string, value: unknown, expected: string): never => {
    throw new GeneratorOptionError(`--${name} ${JSON.stringify(value)}: expected ${expected}`);
  };
  const int = (name: string, v: number, min: number, max = Number.MAX_SAFE_INTEGER): void => {
    if (!Number.isInteger(v) || v < min || v > max) fail(name, v, `a whole number from ${min} to ${max}`);
  };
  int('min-string', o.minString, 0, 1_000_000);
  int('max-string', o.maxString, o.minString, 1_000_000);
  int('min-symbol', o.minSymbol, 0, 0xffff);
  int('max-symbol', o.maxSymbol, o.minSymbol, 0xffff);
  for (const name of ['error', 'warn', 'debug', 'info'] as const) {
    const r = o[name];
    if (!(r.min >= 0 && r.max <= 1 && r.min <= r.max)) fail(name, `${r.min},${r.max}`, 'LO,HI with 0 <= LO <= HI <= 1');
  }
  if (!(o.frequency >= 0 && o.frequency <= 1)) fail('frequency', o.frequency, 'a probability from 0 to 1');
  try {
    new RegExp(o.pattern);
  } catch (err) {
    fail('pattern', o.pattern, `a valid regular expression (${(err as Error).message})`);
  }
  int('max-count', o.maxCount, 0);
  if (!(o.durationMinutes >= 0 && Number.isFinite(o.durationMinutes))) fail('duration-minutes', o.durationMinutes, 'a number of minutes >= 0');
  if (o.maxCount === 0 && o.durationMinutes === 0) fail('max-count', 0, 'a limit: --max-count or --duration-minutes above 0');
  int('time-period', o.timePeriod.min, 0, 86_400_000);
  if (o.timePeriod.max < o.timePeriod.min || !Number.isInteger(o.timePeriod.max)) fail('time-period', `${o.timePeriod.min},${o.timePeriod.max}`, 'MIN,MAX milliseconds with MIN <= MAX');
  int('seed', o.seed, 0, 2 ** 31 - 1);
  if (!Number.isFinite(o.startMs)) fail('start', o.startMs, 'an ISO-8601 date-time');
  int('instances', o.instances, 1, 1000);
  int('window-ms', o.windowMs, 1);
  return o;
}
