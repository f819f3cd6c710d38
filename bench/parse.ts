/**
 * `npm run bench:parse`: parser throughput on one core for the default (logback) format, 117-byte
 * lines from the generator. Prints lines/s for the parser alone (lines already strings) and for
 * bytes → lines → entries (UTF-8 decoding and splitting included), the median of several rounds,
 * and writes the numbers with the machine's description to bench/results/. Each figure is given
 * per second of wall time and per second of this process's CPU time: on a shared, busy machine the
 * second is the one to compare (the wall time then counts other processes' turns).
 *
 * Options: --lines N (default 2000000), --rounds R (default 5).
 */
import fs from 'node:fs';
import path from 'node:path';
import { LineGenerator, formatLine } from '../src/generator/lines';
import { DEFAULTS } from '../src/generator/options';
import { ObjectParser } from '../src/model/parser';
import { describeMachine } from './machine';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const N = arg('lines', 2_000_000);
const ROUNDS = arg('rounds', 5);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Data: the generator's default lines, message lengths set so that lines average 117 bytes.
const gen = new LineGenerator({ ...DEFAULTS, fast: true, minString: 12, maxString: 52 });
const lines: string[] = [];
let t = DEFAULTS.startMs;
for (let i = 0; i < N; i++) {
  const d = gen.next();
  t += d.delayMs;
  lines.push(formatLine(t, gen.thread, d.level, d.message));
}
const bytes = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
const avgLineBytes = bytes.length / N;
const object = { name: 'LogFileGenerator.2026-01-01.log' };

function parseStrings(): number {
  let entries = 0;
  const parser = new ObjectParser(object, { format: 'logback' }, () => entries++);
  for (let i = 0; i < lines.length; i++) parser.push(lines[i]);
  parser.end();
  return entries;
}

function parseBytes(): number {
  let entries = 0;
  const parser = new ObjectParser(object, { format: 'auto' }, () => entries++);
  let start = 0;
  for (let nl = bytes.indexOf(10, start); nl >= 0; nl = bytes.indexOf(10, start)) {
    parser.push(bytes.toString('utf8', start, nl));
    start = nl + 1;
  }
  if (start < bytes.length) parser.push(bytes.toString('utf8', start));
  parser.end();
  return entries;
}

/** `auto` on many small objects: the cost of detection (once per object over DETECT_LINES lines) shows. */
function parseObjects(): number {
  let entries = 0;
  for (let start = 0; start < lines.length; start += OBJECT_LINES) {
    const parser = new ObjectParser(object, { format: 'auto' }, () => entries++);
    const end = Math.min(lines.length, start + OBJECT_LINES);
    for (let i = start; i < end; i++) parser.push(lines[i]);
    parser.end();
  }
  return entries;
}
const OBJECT_LINES = 2000;

function measure(name: string, fn: () => number): { name: string; linesPerSecond: number; linesPerCpuSecond: number; rounds: number[] } {
  const rounds: number[] = [];
  const cpuRounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    const entries = fn();
    const c = process.cpuUsage(c0);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (entries !== N) throw new Error(`${name}: ${entries} entries for ${N} lines`);
    rounds.push(Math.round(N / seconds));
    cpuRounds.push(Math.round(N / ((c.user + c.system) / 1e6)));
  }
  const result = { name, linesPerSecond: median(rounds), linesPerCpuSecond: median(cpuRounds), rounds };
  const fmt = (n: number): string => n.toLocaleString('en-US').padStart(12);
  process.stdout.write(`${name.padEnd(40)} ${fmt(result.linesPerSecond)} lines/s, ${fmt(result.linesPerCpuSecond)} lines/CPU-s (median of ${ROUNDS})\n`);
  return result;
}

process.stdout.write(`parser benchmark: ${N.toLocaleString('en-US')} lines, ${avgLineBytes.toFixed(1)} bytes/line average, one core\n`);
const results = [
  measure('parse (strings, logback)', parseStrings),
  measure('decode + split + parse (auto)', parseBytes),
  measure(`parse (strings, auto, ${OBJECT_LINES.toLocaleString('en-US')}-line objects)`, parseObjects),
];
const out = path.join(__dirname, 'results', `parse-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, `${JSON.stringify({ benchmark: 'parse', when: new Date().toISOString(), machine: describeMachine(), lines: N, avgLineBytes, results }, null, 2)}\n`);
process.stdout.write(`results: ${path.relative(process.cwd(), out)}\n`);
