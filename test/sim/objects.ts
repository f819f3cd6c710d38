/**
 * Log objects for the simulation and the truth about them. An object is a run of entries in the
 * default (logback) format, dated by its name; ERROR entries may carry a stack trace (continuation
 * lines that join their entry). The generator knows each entry's lines, level and event time, so
 * the checks compare what the pipeline produced against what was uploaded, not against our own
 * parser.
 */
import { seededRandom } from './runtime/clock';

export type SimLevel = 'ERROR' | 'WARN' | 'INFO' | 'DEBUG' | 'TRACE';

export interface SimEntry {
  /** 0-based index of its first line in the object. */
  firstLine: number;
  lines: string[];
  level: SimLevel;
  timeMs: number;
}

export interface SimObject {
  body: Buffer;
  lines: string[];
  entries: SimEntry[];
}

export interface ObjectSpec {
  seed: number;
  entries: number;
  /** Event time of the first entry (UTC ms); must fall on `day`. */
  startMs: number;
  /** Largest gap between two entries, in ms. */
  maxGapMs: number;
  /** Whether ERROR entries may carry stack-trace lines. */
  stackTraces: boolean;
}

/** The object key for a source on a day: the date in the name dates the entries. */
export function objectKey(source: string, dayMs: number): string {
  return `${source}/LogFileGenerator.${new Date(dayMs).toISOString().slice(0, 10)}.log`;
}

const LEVEL_WEIGHTS: Array<[SimLevel, number]> = [['ERROR', 3], ['WARN', 2], ['INFO', 6], ['DEBUG', 3], ['TRACE', 1]];

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

function timeOfDay(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.${pad(d.getUTCMilliseconds(), 3)}`;
}

export function generateObject(spec: ObjectSpec): SimObject {
  const random = seededRandom(spec.seed);
  const pick = (): SimLevel => {
    const total = LEVEL_WEIGHTS.reduce((s, [, w]) => s + w, 0);
    let r = random() * total;
    for (const [level, w] of LEVEL_WEIGHTS) if ((r -= w) < 0) return level;
    return 'INFO';
  };
  const lines: string[] = [];
  const entries: SimEntry[] = [];
  let t = spec.startMs;
  for (let i = 0; i < spec.entries; i++) {
    const level = pick();
    const thread = `worker-${Math.floor(random() * 4)}`;
    const header = `${timeOfDay(t)} [${thread}] ${level.padEnd(5)} com.example.Service${Math.floor(random() * 3)} - ${level === 'ERROR' ? `request ${Math.floor(random() * 5)} failed` : `step ${i} of seed ${spec.seed}`}`;
    const entry: SimEntry = { firstLine: lines.length, lines: [header], level, timeMs: t };
    if (spec.stackTraces && level === 'ERROR') {
      const depth = Math.floor(random() * 3);
      for (let d = 0; d < depth; d++) entry.lines.push(`\tat com.example.Service${d}.handle(Service${d}.java:${10 + d})`);
    }
    lines.push(...entry.lines);
    entries.push(entry);
    t += Math.floor(random() * spec.maxGapMs);
  }
  return { body: Buffer.from(`${lines.join('\n')}\n`), lines, entries };
}
