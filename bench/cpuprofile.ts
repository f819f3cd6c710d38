/**
 * Summarises V8 CPU profiles (`node --cpu-prof`) bottom-up by self time: where a process spent its
 * samples, grouped by package (kafkajs, comedy, winston, ...), by our own source folder
 * (src/ingest, src/report, ...), and by function. Used to find the top costs of `logpipe ingest`
 * and `logpipe report` (docs/benchmarks.md, "Where the time goes").
 *
 * Self time of a function is the time of the samples whose top frame it is (from `timeDeltas`, not
 * hit counts, so samples of different lengths weigh what they took). Several profiles (e.g. the
 * service process and a forked worker) are summed.
 *
 * Usage: ts-node --transpile-only bench/cpuprofile.ts FILE.cpuprofile... [--top N] [--json]
 *          [--group PACKAGE]   (only the functions of one group, e.g. --group kafkajs)
 */
import fs from 'node:fs';
import path from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Cost {
  name: string;
  selfMs: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Time in JavaScript and native code, i.e. not "(idle)". */
  busyMs: number;
  groups: Cost[];
  functions: Array<Cost & { group: string }>;
}

/**
 * The group a frame's time is charged to: the npm package of its file (scoped names kept whole),
 * our own source folder (`src/report`, `bench`), Node's own modules ("node:internal"), or V8's
 * pseudo-frames ("(garbage collector)", "(program)", "(idle)").
 */
export function groupOf(frame: CallFrame): string {
  const url = frame.url;
  if (!url) return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  if (url.startsWith('node:')) return 'node:internal';
  const file = url.replace(/^file:\/\//, '');
  const nm = file.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = file.slice(nm + '/node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  // Our code, compiled (dist/<folder>/x.js) or not (src/<folder>/x.ts): the folder under dist or src.
  const m = /\/(?:dist|src)\/([^/]+)\/[^/]+$/.exec(file);
  if (m) return `src/${m[1]}`;
  if (/\/bench\//.test(file)) return 'bench';
  return path.basename(path.dirname(file)) || file;
}

function frameName(frame: CallFrame): string {
  const fn = frame.functionName || '(anonymous)';
  if (!frame.url) return fn;
  const file = frame.url.replace(/^file:\/\//, '');
  const nm = file.lastIndexOf('/node_modules/');
  const short = nm >= 0 ? file.slice(nm + '/node_modules/'.length) : file.replace(/^.*\/(dist|src|bench)\//, '$1/');
  return `${fn} ${short}:${frame.lineNumber + 1}`;
}

/** Bottom-up self time of one or more profiles. */
export function summarise(profiles: CpuProfile[]): ProfileSummary {
  const groups = new Map<string, number>();
  const functions = new Map<string, { ms: number; group: string }>();
  let totalMs = 0;
  for (const p of profiles) {
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const selfUs = new Map<number, number>();
    // timeDeltas[i] is the time before sample i; the time of sample i is the gap to the next one.
    for (let i = 0; i < p.samples.length; i++) {
      const us = i + 1 < p.timeDeltas.length ? p.timeDeltas[i + 1] : 0;
      if (us > 0) selfUs.set(p.samples[i], (selfUs.get(p.samples[i]) ?? 0) + us);
    }
    for (const [id, us] of selfUs) {
      const node = byId.get(id);
      if (!node) continue;
      const ms = us / 1000;
      totalMs += ms;
      const group = groupOf(node.callFrame);
      groups.set(group, (groups.get(group) ?? 0) + ms);
      const name = frameName(node.callFrame);
      const f = functions.get(name) ?? { ms: 0, group };
      f.ms += ms;
      functions.set(name, f);
    }
  }
  const busyMs = totalMs - (groups.get('(idle)') ?? 0);
  const share = (ms: number): number => (busyMs > 0 ? ms / busyMs : 0);
  return {
    totalMs,
    busyMs,
    groups: [...groups].filter(([g]) => g !== '(idle)').map(([name, selfMs]) => ({ name, selfMs, share: share(selfMs) })).sort((a, b) => b.selfMs - a.selfMs),
    functions: [...functions]
      .filter(([, f]) => f.group !== '(idle)')
      .map(([name, f]) => ({ name, group: f.group, selfMs: f.ms, share: share(f.ms) }))
      .sort((a, b) => b.selfMs - a.selfMs),
  };
}

function table(rows: Array<[string, string, string]>): string {
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  return rows.map(([a, b, c]) => `${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`).join('\n');
}

function main(): void {
  const args = process.argv.slice(2);
  const files: string[] = [];
  let top = 25;
  let json = false;
  let only: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--top') top = Number(args[++i]);
    else if (a === '--json') json = true;
    else if (a === '--group') only = args[++i];
    else if (a.startsWith('--')) throw new Error(`unknown option ${a} (expected --top N, --json, --group NAME)`);
    else files.push(a);
  }
  if (files.length === 0 || !Number.isInteger(top) || top <= 0) {
    process.stderr.write('usage: bench/cpuprofile.ts FILE.cpuprofile... [--top N] [--json] [--group NAME]\n');
    process.exit(2);
  }
  const profiles = files.map((f) => {
    const p = JSON.parse(fs.readFileSync(f, 'utf8')) as CpuProfile;
    if (!Array.isArray(p.nodes) || !Array.isArray(p.samples) || !Array.isArray(p.timeDeltas)) throw new Error(`${f} is not a V8 CPU profile (no nodes/samples/timeDeltas)`);
    return p;
  });
  const s = summarise(profiles);
  const fns = only ? s.functions.filter((f) => f.group === only) : s.functions;
  if (json) {
    process.stdout.write(`${JSON.stringify({ ...s, functions: fns.slice(0, top) }, null, 2)}\n`);
    return;
  }
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
  const ms = (x: number): string => `${Math.round(x).toLocaleString('en-US')} ms`;
  process.stdout.write(`${files.length} profile(s): ${ms(s.totalMs)} sampled, ${ms(s.busyMs)} busy (not idle)\n\nSelf time by group (share of busy time):\n`);
  process.stdout.write(`${table(s.groups.map((g) => [g.name, ms(g.selfMs), pct(g.share)]))}\n\n`);
  process.stdout.write(`Top ${top} functions by self time${only ? ` in ${only}` : ''}:\n`);
  process.stdout.write(`${table(fns.slice(0, top).map((f) => [pct(f.share), ms(f.selfMs), `${f.name}  [${f.group}]`]))}\n`);
}

if (require.main === module) main();
