/**
 * The ledger horizon (docs/ingest.md, "Ledger horizon") against the real broker: an ingest process
 * reads the progress topic from ingest.ledgerHorizonMs back only, and a version modified before
 * that is looked up in the part it skipped before anything is written. Guards exactly-once: a done
 * version stays a no-op across restarts, however old its ledger entry, and a version never ingested
 * is ingested once whatever its age; a tombstone written since (an operator's re-ingest) wins over
 * the old entry it deletes.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureIngestTopics } from '../../src/ingest/topics';
import { ledgerKey, objectId } from '../../src/ingest/object-ref';
import { encodeProgress } from '../../src/ingest/progress';
import { createKafka } from '../../src/system/kafka/clients';
import { packageRoot } from '../../src/system/config/paths';
import { countTopic, quietLogger, testConfig, topicOffsets, uniqueName } from '../support/helpers';

const config = testConfig();
const kafka = createKafka(config, quietLogger().logger);
const bin = path.join(packageRoot(), 'dist', 'cli', 'main.js');
const DAY = 24 * 60 * 60 * 1000;

/** Runs the CLI; its JSON log lines and summary go to stdout. */
function logpipe(args: string[], env: NodeJS.ProcessEnv): { status: number | null; stdout: string; stderr: string; summary: Record<string, unknown> } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, NODE_ENV: 'test', LOGPIPE_LOG_LEVEL: 'info', ...env }, timeout: 300_000 });
  let summary: Record<string, unknown> = {};
  try {
    summary = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as Record<string, unknown>;
  } catch {
    // Not a summary: the assertions on status show why.
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, summary };
}

/** A ten-line file last modified `ageMs` ago, with its ledger key under `topic`. */
function oldFile(dir: string, name: string, ageMs: number, topic: string): { file: string; id: string; size: number } {
  const file = path.join(dir, name);
  fs.writeFileSync(file, Array.from({ length: 10 }, (_, i) => `2026-01-01T00:00:0${i}.000Z INFO horizon line ${i}\n`).join(''));
  const when = new Date(Date.now() - ageMs);
  fs.utimesSync(file, when, when);
  const st = fs.statSync(file);
  return { file, size: st.size, id: ledgerKey(topic, objectId({ kind: 'file', path: path.resolve(file) }, `${Math.floor(st.mtimeMs)}-${st.size}`)) };
}

describe('ledger horizon', () => {
  it('a version done long ago (its entry before the horizon) stays a no-op; an old version never ingested is ingested once, then a no-op across restarts', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-horizon-'));
    const topic = uniqueName('it-horizon');
    const progress = uniqueName('it-horizon-progress');
    const env = { LOGPIPE_KAFKA_PROGRESS_TOPIC: progress, LOGPIPE_INGEST_LEDGER_HORIZON_MS: String(2 * DAY) };
    const done = oldFile(dir, 'done.log', 30 * DAY, topic);
    const fresh = oldFile(dir, 'never.log', 30 * DAY, topic);

    // The history: the done record of `done.log`, stamped when it was ingested 30 days ago, then
    // records of other versions since, so that the ledger's read begins after it.
    const admin = kafka.admin();
    await admin.connect();
    await ensureIngestTopics(admin, { ...config, kafka: { ...config.kafka, progressTopic: progress } }, topic);
    await admin.disconnect();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const at = Date.now() - 30 * DAY;
    const record = (id: string, ms: number) => ({
      key: id,
      timestamp: String(ms),
      value: encodeProgress({ id, status: 'done', byteOffset: done.size, lines: 10, entries: 10, records: 10, updatedAt: new Date(ms).toISOString() }),
    });
    await producer.send({ topic: progress, acks: -1, messages: [record(done.id, at)] });
    await producer.send({ topic: progress, acks: -1, messages: Array.from({ length: 20 }, (_, i) => record(`${topic} file:///elsewhere/${i}.log#1-1`, Date.now() - i * 1000)) });
    await producer.disconnect();

    // Read from the beginning (horizon 0) the ledger holds it at once; from 2 days back it is found
    // in the part skipped. Either way nothing is written to the log topic.
    for (const horizon of [String(2 * DAY), '0']) {
      const r = logpipe(['ingest', done.file, '--topic', topic], { ...env, LOGPIPE_INGEST_LEDGER_HORIZON_MS: horizon });
      expect({ status: r.status, stderr: r.stderr.slice(-2000) }).toEqual({ status: 0, stderr: expect.any(String) });
      expect(r.summary).toMatchObject({ status: 'duplicate', lines: 10 });
      if (horizon !== '0') expect(r.stdout).toContain('ledger recalled a version older than its horizon');
    }
    expect(await topicOffsets(kafka, topic)).toBe(0);

    // An operator's re-ingest (docs/operations.md): a tombstone for the old entry, written now. The
    // look-up must see it as newer than the record it deletes, which the ledger did not read.
    const deleter = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await deleter.connect();
    await deleter.send({ topic: progress, acks: -1, messages: [{ key: done.id, value: null }] });
    await deleter.disconnect();
    const again = logpipe(['ingest', done.file, '--topic', topic], env);
    expect({ status: again.status, stderr: again.stderr.slice(-2000) }).toEqual({ status: 0, stderr: expect.any(String) });
    expect(again.summary).toMatchObject({ status: 'ingested', lines: 10 });
    expect(await countTopic(kafka, topic, 10)).toBe(10);

    const first = logpipe(['ingest', fresh.file, '--topic', topic], env);
    expect({ status: first.status, stderr: first.stderr.slice(-2000) }).toEqual({ status: 0, stderr: expect.any(String) });
    expect(first.summary).toMatchObject({ status: 'ingested', lines: 10 });
    for (let restart = 0; restart < 2; restart++) {
      const again = logpipe(['ingest', fresh.file, '--topic', topic], env);
      expect(again.status).toBe(0);
      expect(again.summary).toMatchObject({ status: 'duplicate', lines: 10 });
    }
    expect(await countTopic(kafka, topic, 20)).toBe(20);
  });
});
