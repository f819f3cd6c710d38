/**
 * Fault suite R14 (issue 17 item 3): kill -9 of forked ingest workers. `logpipe start` runs two
 * forked ingest workers (ingest.workers 2) on four objects; at seeded random moments while they
 * ingest, one of the worker processes (picked by the seed) is SIGKILLed, four times. Each kill must
 * restart only that worker (the other keeps its process and its object), the killed worker's object
 * must resume from the ledger on whichever worker is idle, and the log topic must hold every line
 * once, in order per object. The service must keep running.
 *
 * LOGPIPE_FAULTS_SEED=<n> repeats the schedule (the moments are relative to committed lines, so a
 * repeat is close, not identical).
 */
import fs from 'node:fs';
import { checkLogTopic, describeCheck } from '../support/exactly-once';
import { faultScenario } from '../support/fault-scenario';
import { eventually, topicOffsets } from '../support/helpers';
import { childPids, faultsSeed, forkedWorkersEnv, generateLogs, seeded } from '../support/service';

const scenario = faultScenario('R14', { timeoutMs: 300_000 });
const { kafka, bucket, topic, dir } = scenario;

const WORKERS = 2;
const OBJECTS = 4;
const LINES = 100_000;
const KILLS = 4;


describe('R14 kill -9 of forked ingest workers', () => {
  it('four SIGKILLs of a worker process: only it restarts, its object resumes from the ledger, every line once, in order', async () => {
    const seed = faultsSeed();
    process.stdout.write(`[R14] seed ${seed} (LOGPIPE_FAULTS_SEED=${seed} repeats this kill schedule)\n`);
    const random = seeded(seed);
    const generated = generateLogs(dir, { seed: 14, instances: OBJECTS, linesPerHost: LINES, start: '2026-11-25T10:00:00Z' });
    const keys = generated.files.map((_, i) => `hosts/LogFileGenerator.2026-11-25.host-${i + 1}.log`);
    const expected = keys.map((key, i) => ({ key, lines: fs.readFileSync(generated.files[i]!, 'utf8').trimEnd().split('\n') }));
    for (const [i, key] of keys.entries()) await scenario.upload(key, fs.readFileSync(generated.files[i]!));
    const row = scenario.recorder({
      scenario: `kill -9 of a forked ingest worker (\`logpipe start\`, ingest.workers ${WORKERS}, ${OBJECTS} objects, ${(OBJECTS * LINES).toLocaleString('en-US')} lines)`,
      injected: `${KILLS} SIGKILLs of one worker process (picked and timed by the seed ${seed}: after the log topic's end offsets grew by 2,000–20,000); then SIGKILLs of both workers, of a replacement while it starts, and SIGTERM`,
      checked: 'log topic (read_committed): every line once, in order per object; one restart per kill, of the killed worker only (the other keeps its process); the service kept running; then both workers killed during a fifth object and the replacement killed while it started, and a stop right after ends cleanly (exit 0, not the shutdown timeout)',
    });
    const service = await scenario.start({
      ...forkedWorkersEnv(WORKERS),
      // Seven or eight crashes in all, up to six of one worker: none may escalate and stop the service.
      LOGPIPE_INGEST_WORKER_MAX_RESTARTS: '20',
      LOGPIPE_LOG_LEVEL: process.env.LOGPIPE_FAULTS_LOG_LEVEL ?? 'info',
    });
    await row.run(async () => {
      const pid = service.child.pid!;
      const workersUp = (): Promise<number[]> => eventually('both workers up', async () => (childPids(pid).length === WORKERS ? childPids(pid) : undefined), 60_000);
      await workersUp();
      for (const key of keys) expect(await service.trigger(bucket, key)).toBe(202);
      const kills: string[] = [];
      let survivorsKept = 0;
      for (let k = 0; k < KILLS; k++) {
        const before = await topicOffsets(kafka, topic);
        const more = 2000 + Math.round(random() * 18_000);
        const reached = await eventually(`${more} more committed lines`, async () => {
          const now = await topicOffsets(kafka, topic);
          return now >= before + more || now >= OBJECTS * LINES ? now : undefined;
        }, 120_000, 50);
        if (reached >= OBJECTS * LINES) break;
        const workers = await workersUp();
        const victim = workers[Math.floor(random() * workers.length)]!;
        process.kill(victim, 'SIGKILL');
        kills.push(String(reached));
        // A new worker replaces the victim; the other one keeps its process. (A victim killed while
        // it started is noticed when its start times out: CHILD_START_TIMEOUT_MS, 30 s.)
        const after = await eventually('the killed worker replaced', async () => {
          const now = childPids(pid);
          return now.length === WORKERS && !now.includes(victim) ? now : undefined;
        }, 120_000);
        if (workers.filter((p) => p !== victim).every((p) => after.includes(p))) survivorsKept++;
      }
      const check = await checkLogTopic(kafka, topic, expected, 3000, 15_000, 300_000);
      const logLines = service.log().split('\n');
      const restarts = logLines.filter((l) => l.includes('"child actor restarted"') && l.includes('"child":"FileFetcherActor"')).length;
      // A worker killed while it was starting is one failed start, not a restart of its own.
      const failedStarts = logLines.filter((l) => l.includes('"could not restart a child actor"') && l.includes('"child":"FileFetcherActor"')).length;
      expect(describeCheck(check, true)).toBe('');
      expect(check.ok).toBe(true);
      expect(kills.length).toBeGreaterThanOrEqual(2);
      expect(restarts + failedStarts).toBe(kills.length);
      expect(survivorsKept).toBe(kills.length);
      expect(service.child.exitCode).toBeNull();
      // Then a stop while a worker is being restarted and its new process was killed while it
      // started (comedy never settles such a start: CHILD_START_TIMEOUT_MS). The stop must not wait
      // for that worker: it did, and the shutdown ran out of its 30 s ("did not finish in time", exit 1).
      const again = 'hosts/again.log';
      await scenario.upload(again, fs.readFileSync(generated.files[0]!));
      const atStart = await topicOffsets(kafka, topic);
      expect(await service.trigger(bucket, again)).toBe(202);
      await eventually('the extra object ingesting', async () => ((await topicOffsets(kafka, topic)) > atStart ? true : undefined), 120_000, 50);
      const last = await workersUp();
      for (const p of last) process.kill(p, 'SIGKILL');
      const starting = await eventually('a replacement worker starting', async () => childPids(pid).find((p) => !last.includes(p)), 120_000, 10);
      process.kill(starting, 'SIGKILL');
      const stopStarted = Date.now();
      const code = await service.stop();
      expect(service.log()).not.toContain('shutdown did not finish in time');
      expect(code).toBe(0);
      row.record({ result: `pass (${kills.length} kills at log-topic offsets ${kills.join(', ')}; ${restarts} restarts${failedStarts ? ` and ${failedStarts} failed start${failedStarts === 1 ? '' : 's'} (killed while starting)` : ''}, each of the killed worker only; ${check.records} records; stopped in ${((Date.now() - stopStarted) / 1000).toFixed(1)} s)` });
    });
  });
});
