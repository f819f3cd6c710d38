/**
 * The report stage on each Kafka client (issue 17 item 2) next to bare consumers of the same topic:
 * `logpipe report --exit-when-idle` with kafka.client kafkajs and librdkafka, a bare kafkajs consumer
 * (eachBatch, read_committed, nothing done per record), a bare librdkafka consumer (the binding's
 * own consume(n), read_committed) and `kcat -C`, interleaved within each round, every run a process
 * of its own under /usr/bin/time (wall clock and CPU seconds, user + system). Every reader must see
 * every line: the report's window totals must add up to the topic's record count, the bare
 * consumers must count it. Prints one JSON line per run and a table of medians with ratios.
 *
 * Usage (the local stack up, the topic ingested, `npm run build` done):
 *   node -r ts-node/register/transpile-only bench/report-clients.ts --topic T --lines N [--rounds 3]
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { topic: { type: 'string' }, lines: { type: 'string' }, rounds: { type: 'string', default: '3' } } });
if (!args.topic || !args.lines) throw new Error('--topic and --lines are required');
const topic = args.topic;
const lines = Number(args.lines);
const rounds = Number(args.rounds);
const brokers = process.env.LOGPIPE_KAFKA_BROKERS ?? '127.0.0.1:9092';
const root = path.resolve(__dirname, '..');
const cli = path.join(root, 'dist', 'cli', 'main.js');

/** Bare consumers: read until `lines` records arrived, print the count. */
const BARE: Record<string, string> = {
  'kafkajs eachBatch': `
    const { Kafka, logLevel } = require('kafkajs');
    const [topic, lines, brokers, group] = process.argv.slice(1);
    const c = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING }).consumer({ groupId: group, readUncommitted: false, maxWaitTimeInMs: 250 });
    let n = 0;
    (async () => {
      await c.connect(); await c.subscribe({ topic, fromBeginning: true });
      await c.run({ autoCommit: false, eachBatch: async ({ batch }) => { n += batch.messages.length; if (n >= Number(lines)) { console.log(n); process.exit(0); } } });
    })();`,
  'librdkafka consume(n)': `
    const rd = require('@confluentinc/kafka-javascript');
    const [topic, lines, brokers, group] = process.argv.slice(1);
    const c = new rd.KafkaConsumer({ 'bootstrap.servers': brokers, 'group.id': group, 'enable.auto.commit': false, 'isolation.level': 'read_committed' }, { 'auto.offset.reset': 'earliest' });
    let n = 0;
    c.connect({}, () => {
      c.subscribe([topic]); c.setDefaultConsumeTimeout(250);
      const loop = () => c.consume(5000, (err, ms) => { if (err) throw err; n += ms.length; if (n >= Number(lines)) { console.log(n); process.exit(0); } setImmediate(loop); });
      loop();
    });`,
};

interface Run {
  tool: string;
  round: number;
  ok: boolean;
  wallSeconds: number;
  cpuSeconds: number;
  linesPerSecond: number;
  note?: string;
}

function timed(cmd: string, argv: string[], env: NodeJS.ProcessEnv, stdoutFile: string): { wall: number; cpu: number; code: number | null } {
  const timeFile = path.join(os.tmpdir(), `report-clients-${crypto.randomUUID()}.time`);
  const out = fs.openSync(stdoutFile, 'w');
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S', '-o', timeFile, cmd, ...argv], { env, stdio: ['ignore', out, 'ignore'], cwd: root, timeout: 900_000 });
  fs.closeSync(out);
  const [wall, user, sys] = fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  fs.rmSync(timeFile, { force: true });
  return { wall, cpu: user + sys, code: r.status };
}

const runs: Run[] = [];
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'report-clients-'));
for (let round = 1; round <= rounds; round++) {
  for (const client of ['kafkajs', 'librdkafka']) {
    const tool = `logpipe report (${client})`;
    const out = path.join(work, 'windows.jsonl');
    const env = {
      ...process.env,
      LOGPIPE_KAFKA_CLIENT: client,
      LOGPIPE_REPORT_EMAIL_TRANSPORT: 'file',
      LOGPIPE_REPORT_OUTBOX_DIR: path.join(work, 'outbox'),
      LOGPIPE_REPORT_DIR: path.join(work, 'reports'),
      LOGPIPE_REPORT_IDLE_CLOSE_MS: '1000',
      LOGPIPE_LOG_LEVEL: 'warn',
    };
    const t = timed(process.execPath, [cli, 'report', '--exit-when-idle', '--topic', topic, '--group', `report-clients-${crypto.randomUUID()}`], env, out);
    const total = fs.readFileSync(out, 'utf8').split('\n').filter((l) => l.startsWith('{')).reduce((s, l) => s + ((JSON.parse(l) as { total?: number }).total ?? 0), 0);
    const ok = t.code === 0 && total === lines;
    runs.push({ tool, round, ok, wallSeconds: t.wall, cpuSeconds: t.cpu, linesPerSecond: lines / t.wall, note: ok ? undefined : `exit ${t.code}, counted ${total}` });
    fs.rmSync(path.join(work, 'reports'), { recursive: true, force: true });
    console.log(JSON.stringify(runs.at(-1)));
  }
  for (const [tool, script] of Object.entries(BARE)) {
    const out = path.join(work, 'bare.txt');
    const t = timed(process.execPath, ['-e', script, topic, String(lines), brokers, `report-clients-${crypto.randomUUID()}`], { ...process.env, NODE_PATH: path.join(root, 'node_modules') }, out);
    const n = Number(fs.readFileSync(out, 'utf8').trim());
    runs.push({ tool, round, ok: t.code === 0 && n === lines, wallSeconds: t.wall, cpuSeconds: t.cpu, linesPerSecond: lines / t.wall, note: n === lines ? undefined : `read ${n}` });
    console.log(JSON.stringify(runs.at(-1)));
  }
  const out = path.join(work, 'kcat.txt');
  const t = timed('kcat', ['-C', '-b', brokers, '-t', topic, '-e', '-o', 'beginning', '-q', '-X', 'isolation.level=read_committed'], process.env, out);
  runs.push({ tool: 'kcat -C', round, ok: t.code === 0, wallSeconds: t.wall, cpuSeconds: t.cpu, linesPerSecond: lines / t.wall });
  console.log(JSON.stringify(runs.at(-1)));
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const tools = [...new Set(runs.map((r) => r.tool))];
const med = new Map(tools.map((tool) => {
  const rs = runs.filter((r) => r.tool === tool && r.ok);
  return [tool, { wall: median(rs.map((r) => r.wallSeconds)), cpu: median(rs.map((r) => r.cpuSeconds)), ok: rs.length }];
}));
const kcat = med.get('kcat -C')!;
console.log(`\n${os.cpus().length} cores (${os.cpus()[0]?.model}), load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; ${lines} lines, ${rounds} rounds, medians`);
console.log('| reader | ok runs | wall s | lines/s | × kcat -C (wall) | CPU s | CPU × kcat |');
console.log('|---|---|---|---|---|---|---|');
for (const tool of tools) {
  const m = med.get(tool)!;
  console.log(`| ${tool} | ${m.ok}/${rounds} | ${m.wall.toFixed(2)} | ${Math.round(lines / m.wall).toLocaleString('en-US')} | ${(kcat.wall / m.wall).toFixed(3)} | ${m.cpu.toFixed(2)} | ${(m.cpu / kcat.cpu).toFixed(1)} |`);
}
fs.rmSync(work, { recursive: true, force: true });
