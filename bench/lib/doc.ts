/**
 * docs/benchmarks.md: each `npm run bench` mode owns the text between its markers
 * `<!-- bench:full:begin -->` … `<!-- bench:full:end -->` (and `bench:quick:…`); a run replaces
 * its own block and leaves the rest of the file — the hand-written sections — untouched. A file
 * without the markers gets the block appended.
 */
import fs from 'node:fs';
import { coresGoal, renderCores } from './cores';
import type { BenchResults, Stage, ToolSummary } from './results';
import { median } from './stats';

const MB = 1e6;
const n0 = (x: number | undefined): string => (x === undefined ? '–' : Math.round(x).toLocaleString('en-US'));
const mib = (x: number | undefined): string => (x === undefined ? '–' : `${Math.round(x / 2 ** 20)} MiB`);
const mb = (bytes: number): string => (bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / MB).toFixed(bytes < 20 * MB ? 1 : 0)} MB`);
const x2 = (x: number | undefined): string => (x === undefined ? '–' : `${x.toFixed(x < 0.1 ? 3 : 2)}×`);
const s2 = (x: number | undefined): string => (x === undefined ? '–' : `${x.toFixed(2)} s`);

type LatencyProfile = NonNullable<NonNullable<BenchResults['latency']>['profiles']>[number];
const ms0 = (x: number | undefined): string => (x === undefined ? '–' : `${Math.round(x)} ms`);

/** The latency section: each profile's latencies, where the time went (p50 / p90 per hop), the goal. */
function latencySection(profiles: LatencyProfile[], load?: { before: number; after: number }): string[] {
  const [main, peer] = profiles;
  const out = [`#### Upload → email latency: ${main.measured} objects per settings profile (after 1 warm-up object each), through \`logpipe start\``, ''];
  out.push('| settings | p50 | p90 | p95 | min | max | service CPU (wall) | samples (s) |', '|---|---:|---:|---:|---:|---:|---:|---|');
  for (const p of profiles) {
    out.push(`| ${p.name} | ${s2(p.p50Seconds)} | ${s2(p.p90Seconds)} | ${s2(p.p95Seconds)} | ${s2(p.minSeconds)} | ${s2(p.maxSeconds)} | ${s2(p.cpuSeconds)} (${s2(p.wallSeconds)}) | ${p.samples.filter((s) => !s.warmUp).map((s) => (s.seconds === undefined ? 'timeout' : s.seconds.toFixed(2))).join(', ')} |`);
  }
  out.push('');
  out.push(`Where the time goes (p50 / p90 of each hop over the objects whose log shows every mark: ${profiles.map((p) => `${p.breakdown.objects} for ${p.name}`).join(', ')}; hops of one object add up to its latency, their p50s need not; bench/lib/latency-breakdown.ts says which log line ends each):`, '');
  out.push(`| hop | ${profiles.map((p) => `${p.name} p50 | p90`).join(' | ')} |`, `|---|${profiles.map(() => '---:|---:').join('|')}|`);
  for (const [i, h] of main.breakdown.hops.entries()) {
    out.push(`| ${h.hop} | ${profiles.map((p) => `${ms0(p.breakdown.hops[i]?.p50Ms)} | ${ms0(p.breakdown.hops[i]?.p90Ms)}`).join(' | ')} |`);
  }
  out.push('');
  for (const p of profiles) if (p.breakdown.unexplained.length) out.push(`Not explained (${p.name}): ${p.breakdown.unexplained.join('; ')}.`, '');
  const goal = main.p50Seconds === undefined ? 'not measured' : `${s2(main.p50Seconds)} against the goal of 1 s: ${main.p50Seconds <= 1 ? 'met' : 'not met'}`;
  const vs = peer?.p50Seconds && main.p50Seconds !== undefined ? `; ${x2(main.p50Seconds / peer.p50Seconds)} the p50 of ${peer.name} in this run` : '';
  out.push(`p50 with the alerting settings: ${goal}${vs} (reported, never asserted).`, '');
  for (const p of profiles) out.push(`Settings, ${p.name}: ${Object.entries(p.settings).map(([k, v]) => `\`${k}\` ${JSON.stringify(v)}`).join(', ')}.`, '');
  out.push(`Each object holds 60 lines (10 ERROR first) inside one minute of its own, so it is its own window and only the idle close can close it (its watermark stays inside the minute); the clock runs from just before PutObject to the poll of the SES emulator's \`GET /store\` that first shows the email for that window to the service's recipient (polled every 50 ms). The services run side by side, one per profile, and the uploads alternate between them, one at a time.${load ? ` Load average (1 min) ${load.before.toFixed(1)} before, ${load.after.toFixed(1)} after, on this machine's cores.` : ''}`, '');
  return out;
}

function toolTable(stage: Stage): string[] {
  const rows = [
    '| tool | lines/s (median) | MB/s | lines/s, wall clock | peak RSS | logpipe ÷ tool | runs (lines/s) |',
    '|---|---:|---:|---:|---:|---:|---|',
  ];
  const notes: string[] = [];
  stage.tools.forEach((t: ToolSummary, i) => {
    const mark = '¹²³⁴⁵'[i];
    notes.push(`${mark} ${t.basis}`);
    if (t.linesPerSecond === undefined) {
      rows.push(`| ${t.tool}${mark} | not measured: ${t.unavailable ?? 'no successful run (see the results file)'} | | | | | |`);
      return;
    }
    const each = stage.runs.filter((r) => r.tool === t.tool).map((r) => (r.ok ? n0(r.linesPerSecond) : 'failed')).join(', ');
    // The ratio is the first row's (logpipe on its configured client) to this tool; a second logpipe
    // row (on the other client) is compared in the goals instead.
    const ratioCell = i === 0 || t.tool.startsWith('logpipe') ? '' : x2(t.logpipeRatio);
    rows.push(`| ${t.tool}${mark} | ${n0(t.linesPerSecond)} | ${t.mbPerSecond?.toFixed(1) ?? '–'} | ${n0(t.wallLinesPerSecond)} | ${mib(t.peakRssBytes)} | ${ratioCell} | ${each} |`);
  });
  return [...rows, '', notes.join('  \n')];
}

/** The ingest times of this run's largest objects, so the scale-down reason carries measured numbers. */
function measuredScale(r: BenchResults): string {
  const big = (r.memory?.points ?? []).filter((p) => p.source === 'one run' && p.linesPerSecond);
  if (r.mode !== 'full' || !big.length) return '';
  return ` Measured in this run: ${big.map((p) => `logpipe ingested the ${mb(p.bytes)} object in ${Math.round(p.lines / (p.linesPerSecond ?? 1))} s`).join(', ')}.`;
}

export function renderBlock(r: BenchResults, resultsFile: string): string {
  const m = r.machine;
  const out: string[] = [];
  const title = r.mode === 'full' ? 'Full run (`npm run bench`)' : 'Quick run (`npm run bench -- --quick`)';
  out.push(`### ${title}: ${r.when.slice(0, 10)}, ${Math.round(r.totalSeconds)} s in total`, '');
  out.push(
    `Machine: ${m.cpu}, ${m.cores} cores, ${(m.memoryBytes / 2 ** 30).toFixed(0)} GiB, ${m.os}; Node ${m.node}; ${m.java ?? 'no Java'}; ` +
      `${m.kafka ?? 'Kafka ?'}; kcat ${m.kcat ?? 'not installed'}; kafkajs ${m.kafkajs ?? '?'}; ${m.moto ?? ''}. ` +
      `${r.git ? `Commit ${r.git.commit.slice(0, 7)}${r.git.dirty ? ' with uncommitted changes in the work tree' : ''}. ` : ''}Raw numbers of every run: \`${resultsFile}\`.`,
    '',
    `${r.scaleNote}${measuredScale(r)}`,
    '',
    `Data: \`${r.data.generateCommand}\` (seed ${r.data.seed}); ${r.data.files.map((f) => `${f.lines.toLocaleString('en-US')} lines = ${mb(f.bytes)}`).join(', ')}. ` +
      `Stack: ${r.stack.started.length ? `started ${r.stack.started.join(', ')}` : 'already running'}. Step times: ${Object.entries(r.stepSeconds).map(([k, v]) => `${k} ${Math.round(v)} s`).join(', ')}.`,
    '',
  );

  if (r.ingest) {
    out.push(`#### Ingest: ${r.ingest.lines.toLocaleString('en-US')} lines (${mb(r.ingest.bytes)}), one fresh topic per run, median of ${r.profile.rounds} rounds`, '');
    out.push('logpipe reads the object from moto S3 and writes it transactionally (acks=all, one record per line with its headers); the peers push the same local file (kcat, the naive loop) or the same count of 117-byte records (ProducerPerformance), acks=all, to topics created exactly like logpipe\'s.', '');
    out.push(...toolTable(r.ingest), '');
  }
  if (r.report) {
    out.push(`#### Report: the first round's logpipe topic (${r.report.lines.toLocaleString('en-US')} records), median of ${r.profile.rounds} rounds`, '');
    out.push(...toolTable(r.report), '');
    out.push(`logpipe report closed ${r.report.windows ?? '?'} windows counting ${n0(r.report.countedLines)} lines (${r.report.countedLines === r.report.lines ? 'all of them' : `expected ${n0(r.report.lines)}`}); report files and .eml alerts went to a temporary directory (file transport). The bare kafkajs consumer, kcat and ConsumerPerformance read with isolation.level=read_committed, as logpipe does; the bare consumer is the same client as logpipe report doing nothing but counting, so its row's ratio is what the report stage costs on top of reading.${r.report.loadAverages?.length ? ` Load average (1 min) before each round's logpipe report: ${r.report.loadAverages.map((x) => x.toFixed(1)).join(', ')} (${r.machine.cores} cores).` : ''}`, '');
  }
  if (r.latency) {
    const l = r.latency;
    if (l.profiles?.length) out.push(...latencySection(l.profiles, l.loadAverage));
    else {
      out.push(`#### Upload → email latency: ${l.measured} objects (after 1 warm-up object), through \`logpipe start\``, '');
      out.push('| p50 | p95 | min | max | samples (s) |', '|---:|---:|---:|---:|---|');
      out.push(`| ${s2(l.p50Seconds)} | ${s2(l.p95Seconds)} | ${s2(l.minSeconds)} | ${s2(l.maxSeconds)} | ${l.samples.filter((s) => !s.warmUp).map((s) => (s.seconds === undefined ? 'timeout' : s.seconds.toFixed(2))).join(', ')} |`, '');
      out.push(`Settings: ${Object.entries(l.settings).map(([k, v]) => `\`${k}\` ${JSON.stringify(v)}`).join(', ')}. Each object holds 60 lines (10 ERROR first) inside one minute of its own, so it is its own window; the clock runs from just before PutObject to the poll of the SES emulator's \`GET /store\` that first shows the email for that window to the run's unique recipient (polled every 50 ms).`, '');
    }
  }
  if (r.memory) {
    out.push('#### Memory: peak RSS of `logpipe ingest` by object size', '');
    out.push('| object | lines | peak RSS | logpipe lines/s | kcat -P lines/s | logpipe ÷ kcat | upload to moto | source |', '|---:|---:|---:|---:|---:|---:|---:|---|');
    for (const p of r.memory.points) {
      const ratio = p.linesPerSecond && p.kcatLinesPerSecond ? p.linesPerSecond / p.kcatLinesPerSecond : undefined;
      out.push(`| ${mb(p.bytes)} | ${p.lines.toLocaleString('en-US')} | ${p.error ? `failed: ${p.error}` : mib(p.peakRssBytes)} | ${n0(p.linesPerSecond)} | ${n0(p.kcatLinesPerSecond)} | ${x2(ratio)} | ${p.uploadSeconds === undefined ? '' : s2(p.uploadSeconds)} | ${p.source} |`);
    }
    out.push('');
  }
  if (r.parser) {
    out.push(`#### Parser: one core, ${r.parser.lines.toLocaleString('en-US')} lines, median of ${r.parser.rounds} rounds`, '');
    out.push(`| ${r.parser.results.map((p) => p.name).join(' | ')} |`, `|${r.parser.results.map(() => '---:').join('|')}|`, `| ${r.parser.results.map((p) => `${n0(p.linesPerSecond)} lines/s`).join(' | ')} |`, '');
  }

  if (r.startup) {
    const st = r.startup;
    out.push(`#### Start-up after N objects ingested and N windows closed, median of ${st.rounds} round${st.rounds === 1 ? '' : 's'}`, '');
    out.push(
      `History written straight to the progress and state topics, created by logpipe with ${Object.entries(st.topicSettings).map(([k, v]) => `\`${k}=${v}\``).join(', ')}: per object an in-progress and a done progress record (${st.recordBytes.progress} bytes each), per window a task- and a merge-state record (${st.recordBytes.task} and ${st.recordBytes.merge} bytes), then tombstones for the state keys. ` +
        'The progress records are stamped 30 days ago (objects ingested a month ago, before the default `ingest.ledgerHorizonMs` of 15 days). ' +
        'Measured: `logpipe ingest` of a ten-line file, `logpipe report --exit-when-idle` over its log topic, wall time from spawn to exit; "empty" is the same command on history topics without history, "whole ledger" the same ingest with `ingest.ledgerHorizonMs=0` and the same report with `report.ingestStallMs` beyond the history\'s age (their ledgers read the whole progress topic: every start before the horizons), all in the same round; peak RSS (MiB) from the ingest summary.',
      '',
    );
    out.push('| history | written (progress + state) | on the broker at start | ingest | whole ledger | empty | ratio | ingest peak RSS (whole, empty) | report | whole ledger | empty | ratio |', '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    const mib = (xs: number[] | undefined): string => (xs?.length ? String(Math.round((median(xs) ?? 0) / 2 ** 20)) : '-');
    for (const p of st.points) {
      out.push(
        `| ${p.history.toLocaleString('en-US')} | ${mb(p.progressWrittenBytes)} + ${mb(p.stateWrittenBytes)} | ${mb(p.progressBytes)} + ${mb(p.stateBytes)} | ${s2(p.ingestSeconds)} | ${s2(p.ingestWholeSeconds)} | ${s2(p.ingestEmptySeconds)} | ${x2(p.ingestSeconds !== undefined && p.ingestEmptySeconds ? p.ingestSeconds / p.ingestEmptySeconds : undefined)} | ` +
          `${mib(p.ingestPeakRss)} (${mib(p.ingestWholePeakRss)}, ${mib(p.ingestEmptyPeakRss)}) | ` +
          `${s2(p.reportSeconds)} | ${s2(p.reportWholeSeconds)} | ${s2(p.reportEmptySeconds)} | ${x2(p.reportSeconds !== undefined && p.reportEmptySeconds ? p.reportSeconds / p.reportEmptySeconds : undefined)} |${p.error ? ` failed: ${p.error}` : ''}`,
      );
    }
    out.push('');
  }

  if (r.cores) out.push(...renderCores(r.cores));

  // Goals of issue 17 (they replace issue 7's 1.0× ones), reported against this run's numbers.
  const goals: string[] = ['| goal | this run | met |', '|---|---|---|'];
  const peer = (s: Stage | undefined, tool: string): ToolSummary | undefined => s?.tools.find((t) => t.tool === tool);
  const atLeast = (ratio: number | undefined, goal: number): string => (ratio === undefined ? '–' : ratio >= goal ? 'yes' : 'no');
  const ik = peer(r.ingest, 'kcat -P');
  if (ik) goals.push(`| ingest ≥ 0.25× kcat -P lines/s (one object) | ${x2(ik.logpipeRatio)} | ${atLeast(ik.logpipeRatio, 0.25)} |`);
  const ir = peer(r.ingest, 'logpipe ingest (librdkafka)');
  const irRatio = ik && ir?.linesPerSecond !== undefined && ik.linesPerSecond ? ir.linesPerSecond / ik.linesPerSecond : undefined;
  if (ik && ir?.linesPerSecond !== undefined) goals.push(`| ingest on librdkafka ≥ 0.25× kcat -P lines/s (one object) | ${x2(irRatio)} | ${atLeast(irRatio, 0.25)} |`);
  const rk = peer(r.report, 'kcat -C');
  if (rk) goals.push(`| report ≥ 0.5× kcat -C lines/s | ${x2(rk.logpipeRatio)} | ${atLeast(rk.logpipeRatio, 0.5)} |`);
  // The report stage within 1.2× of its own client's bare consume rate (logpipe ÷ bare ≥ 1/1.2).
  const rb = peer(r.report, 'kafkajs consumer (bare)');
  if (rb) goals.push(`| report within 1.2× of the bare kafkajs consumer (≥ 0.83×) | ${x2(rb.logpipeRatio)} | ${atLeast(rb.logpipeRatio, 1 / 1.2)} |`);
  if (r.latency) goals.push(`| upload → email p50 ≤ 1 s (alerting settings) | ${s2(r.latency.p50Seconds)} | ${r.latency.p50Seconds === undefined ? '–' : r.latency.p50Seconds <= 1 ? 'yes' : 'no'} |`);
  if (r.memory) {
    const pts = r.memory.points.filter((p) => p.peakRssBytes !== undefined);
    const last = pts[pts.length - 1];
    if (last) {
      const spread = Math.max(...pts.map((p) => p.peakRssBytes ?? 0)) - Math.min(...pts.map((p) => p.peakRssBytes ?? 0));
      const peak = last.peakRssBytes ?? 0;
      goals.push(`| peak RSS ≤ 150 MiB at the largest object, flat in size | ${mib(peak)} at ${mb(last.bytes)}; largest − smallest ${mib(spread)} over ${pts.map((p) => mb(p.bytes)).join(', ')} | ${peak <= 150 * 2 ** 20 ? 'yes' : 'no'} |`);
    }
  }
  const cg = r.cores && coresGoal(r.cores);
  if (cg && cg.cores > 1) goals.push(`| ingest ≥ 0.45× kcat -P for ${cg.objects} objects on ${cg.cores} cores (issue 17) | ${x2(cg.ratio)} | ${cg.ratio === undefined ? '–' : cg.ratio >= 0.45 ? 'yes' : 'no'} |`);
  goals.push(`| whole run ≤ ${r.mode === 'quick' ? '3 minutes' : '20 minutes'} | ${Math.round(r.totalSeconds)} s | ${r.totalSeconds <= (r.mode === 'quick' ? 180 : 1200) ? 'yes' : 'no'} |`);
  out.push('#### Goals (reported, never asserted)', '', ...goals, '');

  const cmds: string[] = [];
  const add = (title: string, c: Record<string, string> | undefined): void => {
    if (!c) return;
    cmds.push(`# ${title}`);
    for (const v of Object.values(c)) cmds.push(v);
  };
  cmds.push('# data', r.data.generateCommand);
  add('ingest (round 1; each run writes to a fresh topic)', r.ingest?.commands);
  add('report', r.report?.commands);
  add('upload → email', r.latency?.commands);
  add('memory', r.memory?.commands);
  if (r.parser) cmds.push('# parser', r.parser.command);
  add('startup (largest history)', r.startup?.commands);
  add('cores', r.cores?.commands);
  out.push('#### Commands as run', '', '```sh', ...cmds, '```');
  if (Object.keys(r.skipped).length) out.push('', `Skipped: ${Object.entries(r.skipped).map(([k, v]) => `${k} (${v})`).join(', ')}.`);
  return out.join('\n');
}

export function writeDocs(file: string, r: BenchResults, resultsFile: string): void {
  const begin = `<!-- bench:${r.mode}:begin -->`;
  const end = `<!-- bench:${r.mode}:end -->`;
  const block = `${begin}\n<!-- Written by \`npm run bench${r.mode === 'quick' ? ' -- --quick' : ''}\`; edits inside these markers are overwritten. -->\n\n${renderBlock(r, resultsFile)}\n\n${end}`;
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n';
  const a = text.indexOf(begin);
  const b = text.indexOf(end);
  const next = a >= 0 && b > a ? text.slice(0, a) + block + text.slice(b + end.length) : `${text.replace(/\n*$/, '\n\n')}${block}\n`;
  fs.writeFileSync(file, next);
}
