/**
 * The ingest hierarchy under a comedy actor system: S3WatcherActor → FileFetcherActor →
 * LineStreamerActor → KafkaPublisherActor. Actors are created by module path (comedy's forked mode
 * loads them in a child process that way) and receive the configuration and their peers' references.
 * Set-up order is the reverse of the message flow, so every actor's peers exist when it starts;
 * stop() destroys them in flow order, so no actor receives a message after its peer is gone.
 */
import path from 'node:path';
import type { ActorRef, ActorSystem } from 'comedy';
import type { ActorParameters } from './actor-context';
import type { LogpipeConfig } from './config';
import type { Logger } from './logging';

/** comedy treats a path starting with "//" as absolute (one "/" means relative to the app root). */
const actorModule = (name: string): string => `/${path.join(__dirname, '..', 'actors', name)}`;

export interface IngestPipeline {
  watcher: ActorRef;
  fetcher: ActorRef;
  streamer: ActorRef;
  publisher: ActorRef;
  stop(): Promise<void>;
}

export interface PipelineOptions {
  /** Log topic (kafka.topic or --topic). */
  topic: string;
  /** Whether the SQS and listing triggers run (the long-running service); off for one-shot commands. */
  triggers: boolean;
}

export async function startIngestPipeline(system: ActorSystem, config: LogpipeConfig, logger: Logger, options: PipelineOptions): Promise<IngestPipeline> {
  const root = await system.rootActor();
  const effective: LogpipeConfig = options.triggers ? config : { ...config, ingest: { ...config.ingest, sqsQueueUrl: '', listings: [] } };
  const params = (refs: Record<string, ActorRef>): { mode: 'in-memory'; customParameters: ActorParameters } => ({
    mode: 'in-memory',
    customParameters: { config: effective, topic: options.topic, logger, refs },
  });
  const publisher = await root.createChild(actorModule('kafka-publisher-actor'), params({}));
  const streamer = await root.createChild(actorModule('line-streamer-actor'), params({ publisher }));
  const fetcher = await root.createChild(actorModule('file-fetcher-actor'), params({ streamer, publisher }));
  const watcher = await root.createChild(actorModule('s3-watcher-actor'), params({ fetcher, publisher }));
  return {
    watcher,
    fetcher,
    streamer,
    publisher,
    async stop() {
      for (const actor of [watcher, fetcher, streamer, publisher]) await actor.destroy();
    },
  };
}
