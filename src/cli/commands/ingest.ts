import type { Command } from 'commander';
import type { IngestOutcome } from '../../actors/file-fetcher-actor';
import { parseObjectRef } from '../../ingest/object-ref';
import { ensureIngestTopics } from '../../ingest/topics';
import { createKafka } from '../../system/clients';
import { startIngestPipeline } from '../../system/pipeline';
import { createActorSystem } from '../../system/service';
import { contextFromCommand, UsageError } from '../context';

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
      const admin = createKafka(config, logger).admin();
      await admin.connect().catch((err: Error) => {
        throw new Error(`cannot reach Kafka at ${config.kafka.brokers.join(',')}: ${err.message} (is it running? npm run dev:up)`);
      });
      try {
        await ensureIngestTopics(admin, config, topic);
      } finally {
        await admin.disconnect();
      }
      const system = createActorSystem(logger);
      try {
        const pipeline = await startIngestPipeline(system, config, logger, { topic, triggers: false });
        const outcome = (await pipeline.watcher.sendAndReceive('ingest', ref)) as IngestOutcome;
        await pipeline.stop();
        const linesPerSecond = outcome.status === 'ingested' ? Math.round(outcome.lines / Math.max(outcome.seconds, 0.001)) : 0;
        const peakRssBytes = process.resourceUsage().maxRSS * 1024;
        process.stdout.write(`${JSON.stringify({ ...outcome, topic, linesPerSecond, peakRssBytes, deadLettered: outcome.status === 'dead-letter' ? 1 : 0 })}\n`);
        if (outcome.status === 'dead-letter') process.exitCode = 1;
      } finally {
        await system.destroy();
      }
    });
}
