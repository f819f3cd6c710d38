import type { Command } from 'commander';
import type { IngestOutcome } from '../../actors/file-fetcher-actor';
import type { IngestPipeline } from '../../system/runtime/pipeline';
import { FileStore, S3Store } from '../../ingest/fetcher';
import { newSpaceBytes } from '../../ingest/heap';
import { describeRef, ledgerKey, type ObjectRef, parseObjectRef } from '../../ingest/object-ref';
import type { ObjectProgress } from '../../ingest/progress';
import { ensureIngestTopics } from '../../ingest/topics';
import type { LogpipeConfig } from '../../system/config/config';
import { createS3 } from '../../system/kafka/clients';
import { startIngestPipeline } from '../../system/runtime/pipeline';
import { createActorSystem } from '../../system/runtime/service';
import { actorModes } from '../../actors/actor-context';
import { contextFromCommand, UsageError } from '../context';
import { connectKafkaAdmin, requireBucket } from '../preflight';
import { progressBar } from '../progress';

/** `logpipe ingest s3://bucket/key | path`: one object through the actor pipeline, exactly once, then exit. */
export function registerIngestCommand(program: Command): void {
  program
    .command('ingest')
    .description('ingest one S3 object or local file into the log topic, exactly once (resumes an interrupted run); prints a JSON summary, exit 1 if dead-lettered')
    .argument('<object>', 's3://BUCKET/KEY or a file path (.gz or gzip content is decompressed)')
    .option('--topic <name>', 'log topic (default: kafka.topic)')
    .action(async (target: string, opts: { topic?: string }, command: Command) => {
      const { loaded, logger } = contextFromCommand(command);
      const { config } = loaded;
      let ref;
      try {
        ref = parseObjectRef(target);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      const topic = opts.topic ?? config.kafka.topic;
      // A one-shot command fails fast when S3 or Kafka cannot be used (the service instead waits for
      // Kafka and dead-letters what it cannot read). A missing bucket is a wrong address, not a bad
      // object: nothing is written for it. A missing key is dead-lettered like in the service.
      if (ref.kind === 's3') {
        const s3 = createS3(config);
        try {
          await requireBucket(s3, config, ref.bucket, `check the bucket name in ${target}`);
        } finally {
          s3.destroy();
        }
      }
      // Creating the topics here turns a broker's refusal (a replication factor above the number of
      // brokers) into an error now; the pipeline's publisher would retry it for as long as it runs.
      const admin = await connectKafkaAdmin(config, logger);
      try {
        await ensureIngestTopics(admin, config, topic, logger);
      } finally {
        await admin.disconnect();
      }
      const system = createActorSystem(logger, config.log, actorModes(config));
      let stopProgress = (): void => undefined;
      try {
        let giveUp: (reason: string) => void = () => undefined;
        const gaveUp = new Promise<never>((_resolve, reject) => (giveUp = (reason) => reject(new Error(reason))));
        gaveUp.catch(() => undefined);
        const pipeline = await startIngestPipeline(system, config, logger, { topic, triggers: false, onGiveUp: giveUp });
        if (process.stderr.isTTY) stopProgress = await showProgress(ref, topic, config, pipeline.worker);
        // An escalation to the root (the worker crashed past its restart budget) fails the command with the reason.
        const outcome = (await Promise.race([pipeline.watcher.sendAndReceive('ingest', ref), gaveUp])) as IngestOutcome;
        stopProgress();
        const worker = (await pipeline.worker.sendAndReceive('usage')) as { pid: number; peakRssBytes: number };
        await pipeline.stop();
        const linesPerSecond = outcome.status === 'ingested' ? Math.round(outcome.lines / Math.max(outcome.seconds, 0.001)) : 0;
        // With ingest.workerMode "forked" the worker's memory is its own process's, reported beside ours.
        const own = process.resourceUsage().maxRSS * 1024;
        // newSpaceBytes: the young generation of the process that ingested (ingest.maxSemiSpaceMiB, relaunch.ts).
        const memory = worker.pid === process.pid ? { peakRssBytes: own, newSpaceBytes: newSpaceBytes() } : { peakRssBytes: Math.max(own, worker.peakRssBytes), servicePeakRssBytes: own, workerPeakRssBytes: worker.peakRssBytes };
        const summary = { ...outcome, topic, linesPerSecond, ...memory, workerMode: config.ingest.workerMode, deadLettered: outcome.status === 'dead-letter' ? 1 : 0 };
        process.stdout.write(`${JSON.stringify(summary)}\n`);
        if (outcome.status === 'dead-letter') {
          process.stderr.write(`logpipe: ${describeRef(ref)} was dead-lettered (recorded on ${config.kafka.deadLetterTopic}): ${outcome.reason ?? 'no reason recorded'}\n`);
          process.exitCode = 1;
        }
      } finally {
        stopProgress();
        await system.destroy();
      }
    });
}

/**
 * A progress bar fed from the object's committed progress (polled from the worker's ledger).
 * Returns the function that stops it. For gzip objects the total is unknown (decompressed bytes).
 */
async function showProgress(ref: ObjectRef, topic: string, config: LogpipeConfig, worker: IngestPipeline['worker']): Promise<() => void> {
  const s3 = ref.kind === 's3' ? createS3(config) : undefined;
  const meta = await (s3 ? new S3Store(s3) : new FileStore()).head(ref).catch(() => undefined);
  s3?.destroy();
  if (!meta) return () => undefined;
  const bar = progressBar(`ingest ${describeRef(ref)}`, meta.gzipHint ? 0 : meta.size, 'bytes');
  const key = ledgerKey(topic, meta.id);
  const timer = setInterval(() => {
    void (worker.sendAndReceive('known', key) as Promise<ObjectProgress | undefined>).then((p) => p && bar.update(p.byteOffset)).catch(() => undefined);
  }, 500);
  return () => {
    clearInterval(timer);
    bar.stop();
  };
}
