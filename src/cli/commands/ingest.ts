import type { Command } from 'commander';
import { Ledger } from '../../ingest/ledger';
import { FileStore, S3Store } from '../../ingest/fetcher';
import { ingestObject } from '../../ingest/ingest-object';
import { describeRef, parseObjectRef } from '../../ingest/object-ref';
import { ensureIngestTopics } from '../../ingest/topics';
import { createKafka, createS3 } from '../../system/clients';
import type { LogpipeConfig } from '../../system/config';
import { contextFromCommand, UsageError } from '../context';
import { progressBar } from '../progress';

/** The ingest settings of the configuration as the pipeline takes them. */
export function ingestSettings(config: LogpipeConfig, topic: string) {
  return {
    topics: { log: topic, progress: config.kafka.progressTopic, deadLetter: config.kafka.deadLetterTopic },
    transactionalIdPrefix: config.kafka.transactionalIdPrefix,
    streamer: {
      parser: config.parser,
      maxLineBytes: config.ingest.maxLineBytes,
      batchMaxRecords: config.ingest.batchMaxRecords,
      batchMaxBytes: config.ingest.batchMaxBytes,
      maxInFlight: config.ingest.maxInFlightBatches,
    },
    fetch: { maxDecompressedBytes: config.ingest.maxDecompressedBytes, retryBudgetMs: config.ingest.retryBudgetMs },
  };
}

/** `logpipe ingest s3://bucket/key | path`: one object, exactly once, then exit. */
export function registerIngestCommand(program: Command): void {
  program
    .command('ingest')
    .description('ingest one S3 object or local file into the log topic, exactly once (resumes an interrupted run); prints a JSON summary')
    .argument('<object>', 's3://BUCKET/KEY or a file path (.gz is decompressed)')
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
      const log = logger.child({ component: 'ingest' });
      const kafka = createKafka(config, logger);
      const admin = kafka.admin();
      const s3 = ref.kind === 's3' ? createS3(config) : undefined;
      const ledger = new Ledger(kafka, config.kafka.progressTopic, log);
      let bar: ReturnType<typeof progressBar> | undefined;
      try {
        await admin.connect().catch((err: Error) => {
          throw new Error(`cannot reach Kafka at ${config.kafka.brokers.join(',')}: ${err.message} (is it running? npm run dev:up)`);
        });
        await ensureIngestTopics(admin, config, topic);
        await ledger.start();
        const outcome = await ingestObject(
          ref,
          { kafka, admin, ledger, store: s3 ? new S3Store(s3) : new FileStore(), log, ...ingestSettings(config, topic) },
          {
            onStart: (meta) => (bar = progressBar(`ingest ${describeRef(ref)}`, meta.gzipHint ? 0 : meta.size, 'bytes')),
            onProgress: (p) => bar?.update(p.bytes),
          },
        );
        bar?.stop();
        const linesPerSecond = outcome.status === 'ingested' ? Math.round(outcome.lines / Math.max(outcome.seconds, 0.001)) : 0;
        const summary = { ...outcome, topic, linesPerSecond, deadLettered: outcome.status === 'dead-letter' ? 1 : 0 };
        process.stdout.write(`${JSON.stringify(summary)}\n`);
        if (outcome.status === 'dead-letter') process.exitCode = 1;
      } finally {
        bar?.stop();
        await ledger.stop().catch(() => undefined);
        await admin.disconnect().catch(() => undefined);
        s3?.destroy();
      }
    });
}
