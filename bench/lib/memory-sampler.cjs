/**
 * Preloaded (`node -r`) into a measured `logpipe ingest` by bench/ingest-memory.ts: samples
 * process.memoryUsage() every 100 ms and, at exit, appends to $MEMSAMPLE_OUT the peak of each field
 * and the sample of the highest RSS (MiB), where the memory was when the process was at its largest:
 * V8's heap (heapTotal, heapUsed), memory outside it that V8 knows of (external, arrayBuffers), and
 * by difference the rest (code, stacks, native allocations such as librdkafka's).
 */
'use strict';
const fs = require('node:fs');
const out = process.env.MEMSAMPLE_OUT;
const peak = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
let atPeak;
const timer = setInterval(() => {
  const m = process.memoryUsage();
  for (const k of Object.keys(peak)) if (m[k] > peak[k]) peak[k] = m[k];
  if (!atPeak || m.rss >= atPeak.rss) atPeak = m;
}, 100);
timer.unref();
process.on('exit', () => {
  if (!out) return;
  const mib = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(v / 1048576)]));
  // One line per process: a `logpipe ingest` started again with its V8 flags (src/cli/relaunch.ts)
  // is two processes, the launcher and the child that ingests, both preloading this file.
  fs.appendFileSync(out, `${JSON.stringify({ pid: process.pid, peak: mib(peak), atPeak: atPeak ? mib(atPeak) : null })}\n`);
});
