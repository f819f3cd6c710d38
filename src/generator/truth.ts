/**
 * The ground truth of a generated data set: counts per level, total and per source for each
 * event-time window `[start, start + windowMs)`. Later stages are checked against it.
 */
import { emptyCounts, type Level, type LevelCounts } from '../model/levels';

export interface CountsWithTotal {
  counts: LevelCounts;
  total: number;
}

export interface TruthWindow extends CountsWithTotal {
  startMs: number;
  endMs: number;
  start: string;
  sources: Record<string, CountsWithTotal>;
}

export interface Truth {
  windowMs: number;
  totals: CountsWithTotal;
  sources: Record<string, CountsWithTotal>;
  windows: TruthWindow[];
}

const blank = (): CountsWithTotal => ({ counts: emptyCounts(), total: 0 });

export class TruthBuilder {
  private readonly windows = new Map<number, TruthWindow>();
  private readonly totals = blank();
  private readonly sources = new Map<string, CountsWithTotal>();

  constructor(readonly windowMs: number) {}

  add(source: string, timeMs: number, level: Level): void {
    const startMs = Math.floor(timeMs / this.windowMs) * this.windowMs;
    let w = this.windows.get(startMs);
    if (!w) {
      w = { startMs, endMs: startMs + this.windowMs, start: new Date(startMs).toISOString(), ...blank(), sources: {} };
      this.windows.set(startMs, w);
    }
    const ws = (w.sources[source] ??= blank());
    let s = this.sources.get(source);
    if (!s) this.sources.set(source, (s = blank()));
    for (const c of [w, ws, s, this.totals]) {
      c.counts[level]++;
      c.total++;
    }
  }

  /** Windows in time order, sources sorted by name: the same data always serialises the same way. */
  build(): Truth {
    const sortKeys = <T>(o: Record<string, T>): Record<string, T> => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return {
      windowMs: this.windowMs,
      totals: this.totals,
      sources: sortKeys(Object.fromEntries(this.sources)),
      windows: [...this.windows.values()].sort((a, b) => a.startMs - b.startMs).map((w) => ({ ...w, sources: sortKeys(w.sources) })),
    };
  }
}
