/**
 * Benchmark data: log files from `logpipe generate --fast --seed N` (byte-identical for the same
 * options and seed), lines of 117 bytes on average (--min-string 12 --max-string 52, as
 * bench/parse.ts). One base file is generated; other sizes are its first N lines, or copies of it
 * concatenated (then cut) when bigger, because generating 2 GB takes longer than copying it.
 * Files are cached in <tmp>/logpipe-bench-data/ under names that carry the seed and line count,
 * with a sidecar recording the finished size, so an interrupted write is never reused.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from './proc';

export const GENERATOR_ARGS = ['--fast', '--min-string', '12', '--max-string', '52'];

export interface DataFile {
  file: string;
  lines: number;
  bytes: number;
  /** How it was made: "generated in 12.3 s", "first N lines of ...", "cached". */
  origin: string;
}

export const dataDir = (): string => path.join(os.tmpdir(), 'logpipe-bench-data');

function cached(file: string, lines: number): DataFile | undefined {
  try {
    const side = JSON.parse(fs.readFileSync(`${file}.json`, 'utf8')) as { lines: number; bytes: number };
    if (side.lines === lines && fs.statSync(file).size === side.bytes) return { file, lines, bytes: side.bytes, origin: 'cached' };
  } catch {
    // Missing or stale: made again.
  }
  return undefined;
}

function seal(file: string, lines: number, origin: string): DataFile {
  const bytes = fs.statSync(file).size;
  fs.writeFileSync(`${file}.json`, JSON.stringify({ lines, bytes }));
  return { file, lines, bytes, origin };
}

/** The base file: `lines` generated lines with `seed`. `cli` is the argv prefix of the logpipe command. */
export async function generateBase(cli: string[], seed: number, lines: number, logFile: string): Promise<DataFile & { command: string[] }> {
  fs.mkdirSync(dataDir(), { recursive: true });
  const file = path.join(dataDir(), `seed-${seed}-lines-${lines}.log`);
  const command = [...cli, 'generate', ...GENERATOR_ARGS, '--seed', String(seed), '--max-count', String(lines), '--out', file];
  const hit = cached(file, lines);
  if (hit) return { ...hit, command };
  fs.rmSync(`${file}.json`, { force: true });
  const r = await run(command[0], command.slice(1), { stderrFile: logFile });
  if (r.code !== 0) throw new Error(`logpipe generate failed (exit ${r.code}; log: ${logFile})`);
  return { ...seal(file, lines, `generated in ${r.wallSeconds.toFixed(1)} s`), command };
}

/** A file of exactly `lines` lines cut from, or concatenated from copies of, `base`. */
export async function derive(base: DataFile, lines: number): Promise<DataFile> {
  if (lines === base.lines) return base;
  const file = base.file.replace(/-lines-\d+\.log$/, `-lines-${lines}.log`);
  const hit = cached(file, lines);
  if (hit) return hit;
  fs.rmSync(`${file}.json`, { force: true });
  const out = fs.createWriteStream(file);
  let left = lines;
  while (left > 0) {
    left -= await copyLines(base.file, out, left);
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  const how = lines < base.lines ? `first ${lines} lines of ${path.basename(base.file)}` : `${path.basename(base.file)} concatenated ${Math.ceil(lines / base.lines)} times, cut at ${lines} lines`;
  return seal(file, lines, how);
}

/** Copies up to `max` whole lines of `from` into `out`; returns how many it copied. */
async function copyLines(from: string, out: fs.WriteStream, max: number): Promise<number> {
  let copied = 0;
  for await (const chunk of fs.createReadStream(from, { highWaterMark: 4 << 20 }) as AsyncIterable<Buffer>) {
    let end = chunk.length;
    let nl = -1;
    let n = 0;
    // Count newlines in this chunk until the budget is met; the chunk is cut after the last one wanted.
    while (copied + n < max && (nl = chunk.indexOf(10, nl + 1)) >= 0) n++;
    if (copied + n >= max) end = nl + 1;
    copied += n;
    if (!out.write(end === chunk.length ? chunk : chunk.subarray(0, end))) await new Promise<void>((r) => out.once('drain', () => r()));
    if (copied >= max) break;
  }
  return copied;
}
