/**
 * Simulated application hosts for the demo: each writes log lines in real time with the original
 * generator's draws (levels, messages, 10–100 ms apart) and hands over what it wrote since the last
 * cut, as the cron job of a real host uploads its finished file. Pure apart from the clock passed in.
 */
import { type Draw, formatLine, LineGenerator } from '../generator/lines';
import { DEFAULTS, type GeneratorOptions } from '../generator/options';

export interface Cut {
  /**
   * Object key: `host-N/LogFileGenerator.YYYY-MM-DD.<first-line-ms>.log`. The date dates the lines:
   * as logback's time-based rolling names a file cut by the wall clock, the date of the period it
   * was cut in, its last line's. An object spanning midnight opens with the day before's last lines,
   * which the parser reads as a rolled daily file's start while they are within its last 10 minutes
   * and 1,000 lines (docs/log-model.md): the demo's upload cycles of seconds keep them so.
   */
  key: string;
  text: string;
  lines: number;
  /** Per level, for the demo's summary. */
  errors: number;
}

export class SimulatedHost {
  private readonly gen: LineGenerator;
  private nextMs: number;
  private pending: string[] = [];
  private firstMs: number | undefined;
  private errors = 0;
  private due: Draw | undefined;

  constructor(
    readonly index: number,
    startMs: number,
    options: Partial<GeneratorOptions> = {},
  ) {
    this.gen = new LineGenerator({ ...DEFAULTS, ...options }, index);
    this.nextMs = startMs;
  }

  /** Writes every line due by `nowMs` (a drawn line not yet due waits for a later call). */
  advance(nowMs: number): void {
    for (;;) {
      this.due ??= this.gen.next();
      const t = this.nextMs + this.due.delayMs;
      if (t > nowMs) return;
      const draw = this.due;
      this.due = undefined;
      this.nextMs = t;
      this.firstMs ??= t;
      this.pending.push(formatLine(t, this.gen.thread, draw.level, draw.message));
      if (draw.level === 'ERROR') this.errors++;
    }
  }

  /** What was written since the last cut, as one object; undefined if nothing was. */
  cut(): Cut | undefined {
    if (this.pending.length === 0 || this.firstMs === undefined) return undefined;
    // The last line written is the one at nextMs.
    const date = new Date(this.nextMs).toISOString().slice(0, 10);
    const cut: Cut = { key: `host-${this.index + 1}/LogFileGenerator.${date}.${this.firstMs}.log`, text: `${this.pending.join('\n')}\n`, lines: this.pending.length, errors: this.errors };
    this.pending = [];
    this.firstMs = undefined;
    this.errors = 0;
    return cut;
  }
}
