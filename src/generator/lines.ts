/**
 * A port of LogFileGenerator's line generation: random messages of printable symbols, sometimes
 * carrying a string that matches a pattern, at levels drawn from likelihood ranges, written as
 * logback's `%d{HH:mm:ss.SSS} [%thread] %-5level %logger{36} - %msg`. Pure and deterministic: the
 * same options, seed and instance give the same draws.
 */
import prand from 'pure-rand';
import RandExp from 'randexp';
import type { Level } from '../model/levels';
import type { GeneratorOptions } from './options';

export type GeneratedLevel = Exclude<Level, 'UNPARSED' | 'TRACE'>;

export interface Draw {
  /** Delay since the previous line, ms. */
  delayMs: number;
  level: GeneratedLevel;
  message: string;
  /** Whether a pattern string was inserted. */
  patterned: boolean;
}

/** The logger name the original's lines carry. */
export const LOGGER = 'HelperUtils.Parameters$';

const PADDED: Record<GeneratedLevel, string> = { ERROR: 'ERROR', WARN: 'WARN ', INFO: 'INFO ', DEBUG: 'DEBUG' };

export class LineGenerator {
  private readonly rng: prand.RandomGenerator;
  private readonly randexp: RandExp;
  /** The thread name of this instance (a simulated host). */
  readonly thread: string;

  constructor(private readonly o: GeneratorOptions, instance = 0) {
    // Independent, reproducible streams per instance.
    this.rng = prand.xoroshiro128plus(o.seed * 1000 + instance);
    this.randexp = patternGenerator(o.pattern);
    this.randexp.randInt = (from: number, to: number) => this.int(from, to);
    this.randexp.max = 20;
    this.thread = `scala-execution-context-global-${120 + instance}`;
  }

  int(from: number, to: number): number {
    return prand.unsafeUniformIntDistribution(from, to, this.rng);
  }

  /** Uniform in [0, 1) with 31 bits of resolution. */
  unit(): number {
    return prand.unsafeUniformIntDistribution(0, 0x7fffffff, this.rng) / 0x80000000;
  }

  next(): Draw {
    const o = this.o;
    const delayMs = this.int(o.timePeriod.min, o.timePeriod.max);
    const r = this.unit();
    const level: GeneratedLevel =
      r >= o.error.min && r < o.error.max ? 'ERROR' : r >= o.warn.min && r < o.warn.max ? 'WARN' : r >= o.debug.min && r < o.debug.max ? 'DEBUG' : 'INFO';
    const length = this.int(o.minString, o.maxString);
    let message = '';
    for (let i = 0; i < length; i++) message += String.fromCharCode(this.int(o.minSymbol, o.maxSymbol));
    const patterned = this.unit() < o.frequency;
    if (patterned) {
      const at = this.int(0, message.length);
      message = message.slice(0, at) + this.randexp.gen() + message.slice(at);
    }
    return { delayMs, level, message, patterned };
  }
}

/**
 * A RandExp for `pattern` that expands each character class once instead of on every gen() call
 * (randexp 0.5 builds a new DRange per class per call: 5x slower on the default Pattern). The
 * strings drawn are the same for the same randInt sequence.
 */
function patternGenerator(pattern: string): RandExp {
  const re = new RandExp(pattern) as RandExp & { _expand(token: object): unknown };
  const expand = re._expand.bind(re);
  const cache = new WeakMap<object, unknown>();
  re._expand = (token: object) => {
    let set = cache.get(token);
    if (set === undefined) cache.set(token, (set = expand(token)));
    return set;
  };
  return re;
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));
const pad3 = (n: number): string => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : String(n));

/** `HH:mm:ss.SSS` of a UTC epoch ms. */
export function timeOfDay(ms: number): string {
  const d = ((ms % 86_400_000) + 86_400_000) % 86_400_000;
  const h = Math.floor(d / 3_600_000);
  const m = Math.floor(d / 60_000) % 60;
  const s = Math.floor(d / 1000) % 60;
  return `${pad2(h)}:${pad2(m)}:${pad2(s)}.${pad3(d % 1000)}`;
}

/** One line as logback writes it (without the newline). */
export function formatLine(timeMs: number, thread: string, level: GeneratedLevel, message: string): string {
  return `${timeOfDay(timeMs)} [${thread}] ${PADDED[level]} ${LOGGER} - ${message}`;
}

/** `LogFileGenerator.YYYY-MM-DD.log` for the UTC date of `timeMs`. */
export function dailyFileName(timeMs: number): string {
  return `LogFileGenerator.${new Date(timeMs).toISOString().slice(0, 10)}.log`;
}
