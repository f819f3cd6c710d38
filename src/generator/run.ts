/**
 * Runs the generator into files: daily `LogFileGenerator.YYYY-MM-DD.log` files in a folder (one
 * folder per host with several instances), or one named file; and the ground truth beside them.
 *
 * Simulated time (`fast`) writes as fast as the disk takes it, in large blocks; real time sleeps the
 * drawn delay between lines and appends each line as logback would, so a reader sees the file grow.
 */
import fs from 'node:fs';
import path from 'node:path';
import { emptyCounts, type LevelCounts } from '../model/levels';
import { dailyFileName, formatLine, LineGenerator } from './lines';
import type { GeneratorOptions } from './options';
import { type Truth, TruthBuilder } from './truth';

export interface Target {
  /** Folder for daily files (exclusive with outFile). */
  outDir?: string;
  /** One file for everything (exclusive with outDir). */
  outFile?: string;
  /** Where to write the ground truth JSON. */
  truthFile?: string;
}

export interface RunHooks {
  /** Called now and then with the lines written so far (all instances) and simulated ms covered by instance 0. */
  onProgress?(lines: number): void;
  /** Ends a real-time run early; what was written stays consistent with the truth. */
  signal?: AbortSignal;
}

export interface RunResult {
  files: string[];
  lines: number;
  counts: LevelCounts;
  truth: Truth;
  elapsedMs: number;
}

const BLOCK_CHARS = 1 << 20;

/** Appends lines to one file at a time; a new path flushes and closes the previous file. */
class FileSink {
  private fd: number | undefined;
  private file: string | undefined;
  private buffer = '';
  readonly files: string[] = [];

  constructor(private readonly buffered: boolean) {}

  write(file: string, line: string): void {
    if (file !== this.file) this.open(file);
    this.buffer += `${line}\n`;
    if (!this.buffered || this.buffer.length >= BLOCK_CHARS) this.flush();
  }

  close(): void {
    this.flush();
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    this.file = undefined;
  }

  private open(file: string): void {
    this.close();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // A file is started afresh the first time this run writes it: reruns give identical bytes.
    this.fd = fs.openSync(file, this.files.includes(file) ? 'a' : 'w');
    if (!this.files.includes(file)) this.files.push(file);
    this.file = file;
  }

  private flush(): void {
    if (this.buffer && this.fd !== undefined) fs.writeSync(this.fd, this.buffer);
    this.buffer = '';
  }
}

/** The file an instance writes a line of time `timeMs` to, and the source name the truth uses for it. */
export function fileFor(target: Target, instances: number, instance: number, timeMs: number): { file: string; source: string } {
  const host = `host-${instance + 1}`;
  if (target.outFile) {
    const ext = path.extname(target.outFile);
    const file = instances > 1 ? `${target.outFile.slice(0, target.outFile.length - ext.length)}.${host}${ext}` : target.outFile;
    return { file, source: path.basename(file) };
  }
  const relative = instances > 1 ? path.join(host, dailyFileName(timeMs)) : dailyFileName(timeMs);
  return { file: path.join(target.outDir ?? '.', relative), source: relative.split(path.sep).join('/') };
}

export async function runGenerator(o: GeneratorOptions, target: Target, hooks: RunHooks = {}): Promise<RunResult> {
  if (!target.outDir === !target.outFile) throw new Error('give exactly one of --out FILE or --out-dir DIR');
  const started = Date.now();
  const truth = new TruthBuilder(o.windowMs);
  const counts = emptyCounts();
  const files: string[] = [];
  let lines = 0;
  const progress = (): void => hooks.onProgress?.(lines);

  const runInstance = async (instance: number): Promise<void> => {
    const gen = new LineGenerator(o, instance);
    const sink = new FileSink(o.fast);
    const limitMs = o.durationMinutes * 60_000;
    const begin = o.fast ? o.startMs : Date.now();
    let t = begin;
    // The file changes at most once a day: resolve it per day, not per line.
    let day = NaN;
    let where = { file: '', source: '' };
    try {
      for (let n = 0; o.maxCount === 0 || n < o.maxCount; n++) {
        const draw = gen.next();
        if (o.fast) {
          t += draw.delayMs;
        } else {
          if (hooks.signal?.aborted) break;
          await sleep(draw.delayMs, hooks.signal);
          if (hooks.signal?.aborted) break;
          t = Date.now();
        }
        if (limitMs > 0 && t - begin > limitMs) break;
        if (Math.floor(t / 86_400_000) !== day) {
          day = Math.floor(t / 86_400_000);
          where = fileFor(target, o.instances, instance, t);
        }
        sink.write(where.file, formatLine(t, gen.thread, draw.level, draw.message));
        truth.add(where.source, t, draw.level);
        counts[draw.level]++;
        if ((++lines & 0xffff) === 0 || !o.fast) progress();
      }
    } finally {
      sink.close();
      files.push(...sink.files);
    }
  };

  if (o.fast) {
    for (let i = 0; i < o.instances; i++) await runInstance(i);
  } else {
    await Promise.all(Array.from({ length: o.instances }, (_, i) => runInstance(i)));
  }
  progress();
  const built = truth.build();
  if (target.truthFile) {
    fs.mkdirSync(path.dirname(path.resolve(target.truthFile)), { recursive: true });
    fs.writeFileSync(target.truthFile, `${JSON.stringify(built, null, 2)}\n`);
  }
  return { files: files.sort(), lines, counts, truth: built, elapsedMs: Date.now() - started };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
