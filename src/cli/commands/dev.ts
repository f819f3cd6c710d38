import type { Command } from 'commander';
import { createKafka, createS3 } from '../../system/kafka/clients';
import { runChecks } from '../../devstack/check';
import { LOCAL_INSTANCE_ID, startLocalChain } from '../../devstack/chain';
import { down, SERVICE_NAMES, status, up, type ServiceName } from '../../devstack/stack';
import { contextFromCommand, loadFromCommand } from '../context';

function parseNames(names: string[]): ServiceName[] {
  for (const n of names) {
    if (!SERVICE_NAMES.includes(n as ServiceName)) throw new Error(`unknown service "${n}": expected ${SERVICE_NAMES.join(', ')}`);
  }
  return names.length ? (names as ServiceName[]) : [...SERVICE_NAMES];
}

/** `logpipe dev up|down|status|check|chain`: the local stack (Kafka, moto, SES emulator) on 127.0.0.1. */
export function registerDevCommand(program: Command): void {
  const dev = program
    .command('dev')
    .description('manage the local stack: Apache Kafka (KRaft), moto (S3/SQS/SSM), SES emulator, all on 127.0.0.1');

  dev
    .command('up')
    .description('install what is missing and start the services that are not running; waits until each is ready')
    .argument('[services...]', `subset of ${SERVICE_NAMES.join(', ')}`)
    .action(async (names: string[], _opts: unknown, command: Command) => {
      const { loaded, logger } = contextFromCommand(command);
      const log = logger.child({ component: 'dev' });
      const result = await up(loaded.config, (m) => log.info(m), parseNames(names));
      log.info('local stack ready', { started: result.started, alreadyRunning: result.alreadyRunning });
    });

  dev
    .command('down')
    .description('stop the services this stack started (recorded in its pid files); nothing else is touched')
    .argument('[services...]', `subset of ${SERVICE_NAMES.join(', ')}`)
    .action(async (names: string[], _opts: unknown, command: Command) => {
      const { loaded, logger } = contextFromCommand(command);
      const stopped = await down(loaded.config, parseNames(names));
      logger.child({ component: 'dev' }).info(stopped.length ? 'stopped' : 'nothing of ours was running', { stopped });
    });

  dev
    .command('status')
    .description('show each service: running (with version), starting, stopped, or port taken by another process; exit 1 unless all run')
    .option('--json', 'print the status as JSON')
    .action(async (opts: { json?: boolean }, command: Command) => {
      const loaded = loadFromCommand(command);
      const states = await status(loaded.config);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(states, null, 2)}\n`);
      } else {
        for (const s of states) {
          const what = s.state === 'running' ? `running  pid ${s.pid}  ${s.description ?? ''}` : s.state === 'starting' ? `starting pid ${s.pid}` : s.state === 'port-taken' ? `port ${s.port} is held by a process this stack did not start` : 'stopped';
          process.stdout.write(`${s.name.padEnd(6)} ${what}\n`);
        }
      }
      if (states.some((s) => s.state !== 'running')) process.exitCode = 1;
    });

  dev
    .command('check')
    .description('prove the stack works: a transactional produce/consume round trip through Kafka, an S3 object round trip, the SES emulator')
    .option('--topic <name>', 'Kafka topic for the round trip', 'logpipe.check')
    .option('--bucket <name>', 'S3 bucket for the round trip', 'logpipe-check')
    .action(async (opts: { topic: string; bucket: string }, command: Command) => {
      const { loaded, logger } = contextFromCommand(command);
      const { config } = loaded;
      const s3 = createS3(config);
      const results = await runChecks({ kafka: createKafka(config, logger, { clientIdSuffix: '-check' }), topic: opts.topic, s3, bucket: opts.bucket, sesEndpoint: config.ses.endpoint });
      s3.destroy();
      for (const r of results) process.stdout.write(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name.padEnd(6)} ${r.detail}\n`);
      process.stdout.write(
        `\nKafka ${config.kafka.brokers.join(',')}  S3/SQS/SSM ${config.aws.endpoint}  SES inbox ${config.ses.endpoint}/\n` +
          'Status: npm run dev:status   Stop: npm run dev:down   Tests: npm test\n',
      );
      if (results.some((r) => !r.ok)) process.exitCode = 1;
    });
  dev
    .command('chain')
    .description(
      `run the AWS edge locally until SIGINT/SIGTERM: objects put into BUCKET (moto) notify an SQS queue, a local runner invokes the real Lambda handler, SSM SendCommand is recorded by moto, and a local SSM agent (instance ${LOCAL_INSTANCE_ID}) runs shell/trigger.sh, which asks the running \`logpipe start\` to ingest`,
    )
    .requiredOption('--bucket <name>', 'bucket to watch (created when missing)')
    .action(async (opts: { bucket: string }, command: Command) => {
      const { loaded, logger } = contextFromCommand(command);
      const chain = await startLocalChain(loaded.config, logger, { bucket: opts.bucket });
      await new Promise<void>((resolve) => {
        const onSignal = (): void => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          resolve();
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      });
      await chain.stop();
    });
}
