/**
 * Simulated application hosts for the demo: each writes log lines in real time with the original
 * generator's draws (levels, messages, 10–100 ms apart) and hands over what it wrote since the last
 * cut, as the cron job of a real host uploads its finished file. Pure apart from the clock passed in.
 */
import { type Draw, formatLine, LineGenerator } from '../generator/lines';
import { DEFAULTS, type GeneratorOptions } from '../generator/options';

export interface Cut {
  /** Object key: `host-N/LogFileGenerator.YYYY-MM-DD.<first-line-ms>.log` (the date dates the lines). */
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
    const date = new Date(this.firstMs).toISOString().slice(0, 10);
    const cut: Cut = { key: `host-${this.index + 1}/LogFileGenerator.${date}.${this.firstMs}.log`, text: `${this.pending.join('\n')}\n`, lines: this.pending.length, errors: this.errors };
    this.pending = [];
    this.firstMs = undefined;
    this.errors = 0;
    return cut;
  }
}
