/**
 * Peak memory of `logpipe ingest` (issue 17 item 5), variants side by side: each variant is a build
 * (a dist/ directory, e.g. one of the commit before a change) with a Kafka client and extra
 * environment, the variants interleaved within each round, every run a process of its own ingesting
 * the same local file into a fresh topic under /usr/bin/time (peak RSS %M, CPU seconds user +
 * system, wall clock), with bench/lib/memory-sampler.cjs preloaded to tell where the memory was at
 * the peak (V8 heap, external/ArrayBuffers, the rest). Every run must ingest every line (the
 * summary's lines). A `logpipe ingest` that starts itself again with its V8 flags
 * (src/cli/relaunch.ts) is two processes: %M is the larger one's (the child that ingests), CPU
 * seconds are both, and the run's `launcherRssMiB` is the launcher's own peak. Prints one JSON line per run and a table of medians with ratios to the first
 * variant of the same client and to the 150 MiB goal. The full `npm run bench` memory section
 * ingests 0.9 M, 9 M and 18 M lines from moto once each on kafkajs alone (about 20 minutes here);
 * this script compares builds and clients on one file in less.
 *
 * Usage (the local stack up, `npm run build` done; files from `logpipe generate --fast --min-string
 * 12 --max-string 52 --seed 1 --max-count N --out FILE`, as bench/lib/data.ts makes them):
 *   node -r ts-node/register/transpile-only bench/ingest-memory.ts --file F [--rounds 2] \
 *     [--variant NAME=DIST:CLIENT[:ENV=V,...]]...   (default: this build on kafkajs and librdkafka)
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: { file: { type: 'string' }, rounds: { type: 'string', default: '2' }, variant: { type: 'string', multiple: true, default: [] } },
});
if (!args.file) throw new Error('--file is required');
const root = path.resolve(__dirname, '..');
const file = path.resolve(args.file);
const rounds = Number(args.rounds);
const GOAL_MIB = 150;

interface Variant {
  name: string;
  dist: string;
  client: string;
  env: Record<string, string>;
}

/** NAME=DIST:CLIENT[:K=V,K=V]; a value may hold '=' (NODE_OPTIONS=--max-semi-space-size=4). */
function parseVariant(spec: string): Variant {
  const [name, rest] = spec.split(/=(.*)/s);
  const [dist, client, env = ''] = rest.split(':');
  return { name, dist: path.resolve(dist), client, env: Object.fromEntries(env.split(',').filter(Boolean).map((kv) => kv.split(/=(.*)/s, 2) as [string, string])) };
}

const specs = args.variant;
const variants: Variant[] = specs.length
  ? specs.map(parseVariant)
  : ['kafkajs', 'librdkafka'].map((client) => ({ name: 'this build', dist: path.join(root, 'dist'), client, env: {} }));

interface Run {
  variant: string;
  client: string;
  round: number;
  code: number | null;
  peakRssMiB: number;
  cpuSeconds: number;
  wallSeconds: number;
  lines?: number;
  atPeak?: Record<string, number>;
  /** The launcher's peak RSS when the command started itself again (src/cli/relaunch.ts). */
  launcherRssMiB?: number;
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-ingest-memory-'));
const runs: Run[] = [];
for (let round = 1; round <= rounds; round++) {
  for (const v of variants) {
    const tag = crypto.randomBytes(4).toString('hex');
    const timeFile = path.join(work, `${tag}.time`);
    const memFile = path.join(work, `${tag}.mem`);
    const env = { ...process.env, ...v.env, LOGPIPE_KAFKA_CLIENT: v.client, LOGPIPE_LOG_LEVEL: 'warn', MEMSAMPLE_OUT: memFile };
    const cmd = ['-f', '%M %U %S %e', '-o', timeFile, process.execPath, '-r', path.join(__dirname, 'lib', 'memory-sampler.cjs'), path.join(v.dist, 'cli', 'main.js'), 'ingest', file, '--topic', `bench-memory-${tag}`];
    const r = spawnSync('/usr/bin/time', cmd, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
    const [kb, user, sys, wall] = fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
    const summary = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { lines?: number }).pop();
    // One line per process (the sampler's); with a relaunch (src/cli/relaunch.ts), the largest is
    // the child that ingested and the other the launcher that waited for it.
    type Sample = { pid: number; atPeak?: Record<string, number> };
    const samples = fs.existsSync(memFile) ? fs.readFileSync(memFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Sample) : [];
    samples.sort((a, b) => (b.atPeak?.rss ?? 0) - (a.atPeak?.rss ?? 0));
    const launcherRssMiB = samples.length > 1 ? samples[1].atPeak?.rss : undefined;
    const run: Run = { variant: v.name, client: v.client, round, code: r.status, peakRssMiB: Math.round(kb / 1024), cpuSeconds: +(user + sys).toFixed(2), wallSeconds: wall, lines: summary?.lines, atPeak: samples[0]?.atPeak, ...(launcherRssMiB !== undefined ? { launcherRssMiB } : {}) };
    if (r.status !== 0) process.stderr.write(r.stderr.slice(-2000));
    runs.push(run);
    process.stdout.write(`${JSON.stringify(run)}\n`);
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
process.stdout.write(`\n${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; ${path.basename(file)}, ${rounds} rounds\n`);
process.stdout.write('| variant | client | peak RSS MiB (median) | × goal 150 | × first of client | CPU s | × first of client | lines |\n|---|---|---:|---:|---:|---:|---:|---:|\n');
const first = new Map<string, { rss: number; cpu: number }>();
for (const v of variants) {
  const mine = runs.filter((r) => r.variant === v.name && r.client === v.client);
  const rss = median(mine.map((r) => r.peakRssMiB));
  const cpu = median(mine.map((r) => r.cpuSeconds));
  if (!first.has(v.client)) first.set(v.client, { rss, cpu });
  const f = first.get(v.client)!;
  process.stdout.write(`| ${v.name} | ${v.client} | ${rss} | ${(rss / GOAL_MIB).toFixed(2)} | ${(rss / f.rss).toFixed(2)} | ${cpu.toFixed(2)} | ${(cpu / f.cpu).toFixed(2)} | ${mine.map((r) => r.lines ?? '-').join(' ')} |\n`);
}
