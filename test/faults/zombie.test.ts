/**
 * Fault suite R11 (issue 14 item 2; DESIGN.md: "A paused process that wakes up after its replacement
 * started must fail its next commit, never land it"): a `logpipe start` is paused with SIGSTOP in the
 * middle of its work (a GC pause, a slow disk, a VM stall), a replacement `logpipe start` is started
 * on the same object / report group and commits, then the first is resumed with SIGCONT.
 *
 * - Ingest: the first is stopped while its transaction is open on the log topic (read_uncommitted
 *   sees records that read_committed does not; the stop is retried at another moment until that
 *   holds), so the batch in flight is the one it tries to commit when it wakes up.
 * - Report: the first is stopped while it counts a backlog of 300,000 lines; the replacement gets
 *   the partitions once the first's group session has expired, opens every partition task and the
 *   merge task (each fencing the first) and commits before the first wakes up with a batch in hand.
 *
 * Checked: exactly once (ingest: every line once, in order, whole; report: each window once on the
 * report topic with the generator's counts) and the zombie's log after SIGCONT shows a commit that
 * failed because it was fenced. On 2f9dfc1 the ingest case left 440,000 records for 400,000 lines:
 * the zombie's own commit failed, but the two processes then took the version from each other and
 * resumed from ledger states read before fencing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ensureIngestTopics } from '../../src/ingest/topics';
import { checkLogTopic, describeCheck, FENCED, logLines, pauseTree, recentStart, resumeTree, runCli, secondsSince, TopicCounter, waitFor } from '../support/exactly-once';
import { faultScenario } from '../support/fault-scenario';
import { eventually, uniqueName } from '../support/helpers';
import { committedReports, faultsSeed, generateLogs, seeded, type ServiceProcess } from '../support/service';

const scenario = faultScenario('R11');
const { config, kafka, dir } = scenario;

const seed = faultsSeed();

/** The zombie's log lines written after `from` (a length of its log) that report a fenced commit. */
function fencedLines(service: ServiceProcess, from: number): string[] {
  return logLines(service.log().slice(from))
    .filter((l) => (l.level === 'warn' || l.level === 'error') && FENCED.test(JSON.stringify(l)))
    .map((l) => `${String(l.message).slice(0, 200)}${l.error ? `: ${String(l.error).slice(0, 160)}` : ''}`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('R11 a paused process wakes up after its replacement committed', () => {
  it('ingest: stopped mid-transaction, replaced, continued: every line once, and its next commit fails', async () => {
    const started = Date.now();
    const random = seeded(seed);
    process.stderr.write(`[R11] seed ${seed} (LOGPIPE_FAULTS_SEED repeats the stop moments)\n`);
    const lines = 400_000;
    const row = scenario.recorder({
      scenario: `ingest: \`logpipe start\` paused mid-batch, replaced, continued (one ${lines.toLocaleString('en-US')}-line S3 object)`,
      injected: 'SIGSTOP with records in its open transaction; a second `logpipe start` triggered on the object; SIGCONT once it had committed',
      checked: 'log topic (read_committed): every line once, in order, each record one whole line, nothing else; ledger done with every line; the paused process logs a fenced commit after SIGCONT',
    });
    const { bucket, topic } = scenario;
    const start = recentStart();
    const key = `hosts/LogFileGenerator.${start.slice(0, 10)}.log`;
    const [file] = generateLogs(path.join(dir, 'ingest'), { seed: 11, instances: 1, linesPerHost: lines, start }).files;
    const body = fs.readFileSync(file);
    const expected = body.toString('utf8').trimEnd().split('\n');
    await scenario.upload(key, body);
    const admin = kafka.admin();
    await admin.connect();
    await ensureIngestTopics(admin, config, topic);
    await admin.disconnect();
    const committed = await TopicCounter.start(kafka, topic, false);
    const uncommitted = await TopicCounter.start(kafka, topic, true);
    const env = { LOGPIPE_KAFKA_TOPIC: topic, LOGPIPE_REPORT_ENABLED: 'false', LOGPIPE_LOG_LEVEL: 'info' };
    await row
      .run(
        async () => {
          const first = await scenario.start(env);
          expect(await first.trigger(bucket, key)).toBe(202);
          await eventually('20,000 lines committed by the first process', async () => (committed.count >= 20_000 ? true : undefined), 120_000);

          // Stop it with a transaction open on the log topic; if it was between two, let it go on a little and stop it again.
          let open = 0;
          let tries = 0;
          while (open === 0 && tries < 40) {
            tries++;
            pauseTree(first.child.pid!);
            await sleep(300);
            await Promise.all([committed.settled(800), uncommitted.settled(800)]);
            open = uncommitted.count - committed.count;
            if (open > 0) break;
            resumeTree(first.child.pid!);
            await sleep(20 + random() * 300);
          }
          const atStop = committed.count;
          if (open <= 0) throw new Error(`could not stop the first process with a transaction open (${tries} stops)`);

          const second = await scenario.start(env);
          expect(await second.trigger(bucket, key)).toBe(202);
          await eventually('a commit by the replacement', async () => (committed.count > atStop ? true : undefined), 120_000);
          const mark = first.log().length;
          const atContinue = committed.count;
          resumeTree(first.child.pid!);

          const entry = await waitFor(async () => {
            const e = (await scenario.ledger()).get(key);
            return e && e.status !== 'in-progress' ? e : undefined;
          }, 180_000);
          const check = await checkLogTopic(kafka, topic, [{ key, lines: expected }]);
          // Give the zombie's log a moment to show what became of its commit.
          await waitFor(async () => (logLines(first.log().slice(mark)).length > 0 ? true : undefined), 30_000);
          const fenced = fencedLines(first, mark);
          const ok = check.ok && fenced.length > 0 && entry?.status === 'done' && entry.lines === lines;
          row.record({
            injected: `SIGSTOP with ${open.toLocaleString('en-US')} records in its open transaction (${atStop.toLocaleString('en-US')} lines committed; ${tries} stop${tries === 1 ? '' : 's'}, seed ${seed}); a second \`logpipe start\` triggered on the object; SIGCONT once it had committed (${atContinue.toLocaleString('en-US')} lines)`,
            result: `${ok ? 'pass' : 'FAIL'} (${describeCheck(check)}; ledger ${entry ? `${entry.status} ${entry.lines}` : 'not final within 180 s'}; zombie: ${fenced.length ? fenced[0] : 'no fenced commit logged'}; ${secondsSince(started)} s)`,
          });
          expect(check.unexpected).toBe(0);
          expect(check.sources).toEqual([{ key, expected: lines, records: lines, notWholeLines: 0, duplicates: 0, outOfOrder: 0, missing: 0 }]);
          expect([entry?.status, entry?.lines]).toEqual(['done', lines]);
          expect(fenced).not.toEqual([]);
        },
      )
      .finally(async () => {
        await committed.stop();
        await uncommitted.stop();
      });
  });

  it('report: stopped while counting, replaced, continued: each window once with the true counts, and its next commit fails', async () => {
    const started = Date.now();
    const perHost = 100_000;
    const row = scenario.recorder({
      scenario: `report: \`logpipe start\` paused while counting, replaced, continued (3 × ${perHost.toLocaleString('en-US')} lines)`,
      injected: 'SIGSTOP while counting; a second `logpipe start` in the same group took the partitions after the session timeout and opened every task; SIGCONT once it had committed',
      checked: 'report topic: each window once with the generator counts; the paused process logs a fenced commit after SIGCONT',
    });
    const topic = uniqueName('faults-r11-report-lines');
    const { group } = scenario;
    const generated = generateLogs(path.join(dir, 'report'), { seed: 111, instances: 3, linesPerHost: perHost, start: recentStart() });
    for (const file of generated.files) {
      const r = await runCli(['ingest', file, '--topic', topic], { LOGPIPE_LOG_LEVEL: 'warn' }).done;
      expect(r.code).toBe(0);
    }
    const admin = kafka.admin();
    await admin.connect();
    await row
      .run(
        async () => {
          const ends = await admin.fetchTopicOffsets(topic);
          const partitions = ends.length;
          // Offsets, not lines: the log topic's offsets count the transaction markers too.
          const end = ends.reduce((n, o) => n + Number(o.high), 0);
          const groupOffsets = async (): Promise<Map<number, number>> => {
            const [entry] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
            return new Map((entry?.partitions ?? []).map((p) => [p.partition, Math.max(0, Number(p.offset))]));
          };
          const sum = (m: Map<number, number>): number => [...m.values()].reduce((n, x) => n + x, 0);
          const env = { LOGPIPE_KAFKA_TOPIC: topic, ...scenario.reportEnv(3000), LOGPIPE_LOG_LEVEL: 'info' };
          const first = await scenario.start(env);
          await eventually('the first process counting', async () => (sum(await groupOffsets()) >= 0.15 * end ? true : undefined), 120_000);
          pauseTree(first.child.pid!);
          await sleep(500);
          const atStop = await groupOffsets();
          if (sum(atStop) >= 0.9 * end) throw new Error(`the first process had counted nearly everything when stopped (offsets ${sum(atStop)} of ${end})`);

          const second = await scenario.start(env);
          const opened = (): Set<number> => new Set(logLines(second.log()).filter((l) => l.message === 'report partition task opened').map((l) => Number(l.partition)));
          await eventually(
            'the replacement to open every partition task and the merge task, and commit',
            async () => {
              if (opened().size < partitions || !second.log().includes('report merge task opened')) return undefined;
              const now = await groupOffsets();
              return [...now].some(([p, o]) => o > (atStop.get(p) ?? 0)) ? true : undefined;
            },
            180_000,
          );
          const mark = first.log().length;
          const atContinue = sum(await groupOffsets());
          resumeTree(first.child.pid!);

          const firstRead = await waitFor(async () => {
            const got = await committedReports(kafka, config.report.topic, group, topic);
            return got.docs.length >= generated.truth.length ? got : undefined;
          }, 180_000);
          // Late duplicates would come from a commit that should have failed: let the processes settle and read again.
          await sleep(5_000);
          const final = await committedReports(kafka, config.report.topic, group, topic);
          const fenced = fencedLines(first, mark);
          // Or it noticed its own pause (the tick timer did not fire for half the session timeout)
          // and committed nothing until the group confirmed it: which one depends on whether a
          // commit was in flight at SIGSTOP.
          const doubted = logLines(first.log().slice(mark)).some((l) => l.level === 'warn' && String(l.message).startsWith('the process did not run for longer than the session timeout'));
          const counts = (d: { startMs: number; counts: Record<string, number>; total: number }): string => JSON.stringify([d.startMs, Object.entries(d.counts).sort(), d.total]);
          const wrong = final.docs.filter((d) => !generated.truth.some((w) => counts(w) === counts(d)));
          const missing = generated.truth.filter((w) => !final.docs.some((d) => d.startMs === w.startMs));
          const ok = final.duplicates.length === 0 && wrong.length === 0 && missing.length === 0 && final.docs.length === generated.truth.length && (fenced.length > 0 || doubted);
          const when = (ms: number): string => new Date(ms).toISOString().slice(11, 16);
          row.record({
            scenario: `report: \`logpipe start\` paused while counting, replaced, continued (3 × ${perHost.toLocaleString('en-US')} lines, ${generated.truth.length} windows, ${partitions} partitions)`,
            injected: `SIGSTOP at log-topic offsets ${sum(atStop).toLocaleString('en-US')} of ${end.toLocaleString('en-US')} committed by the group; a second \`logpipe start\` in the same group took the partitions after the session timeout and opened every task; SIGCONT once it had committed (offsets ${atContinue.toLocaleString('en-US')})`,
            result: `${ok ? 'pass' : 'FAIL'} (${final.docs.length} of ${generated.truth.length} windows reported${firstRead ? '' : ' (not all within 180 s)'}, ${final.duplicates.length} reported twice, ${wrong.length} with wrong counts, ${missing.length} missing${missing.length ? ` (${missing.slice(0, 3).map((w) => when(w.startMs)).join(', ')})` : ''}; zombie: ${fenced.length ? fenced[0] : doubted ? 'noticed its pause and waited for the group instead of committing' : 'no fenced commit logged'}; ${secondsSince(started)} s)`,
          });
          expect(final.duplicates).toEqual([]);
          expect(final.docs.map(counts)).toEqual(generated.truth.map(counts));
          expect({ fenced, doubted }).not.toEqual({ fenced: [], doubted: false });
        },
      )
      .finally(() => admin.disconnect());
  });
});
