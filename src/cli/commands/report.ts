import type { Command } from 'commander';
import type { Supervisor } from '../../actors/supervisor';
import { createLogger } from '../../system/observability/logging';
import { createActorSystem, startReportActor } from '../../system/runtime/service';
import type { ReportDocument } from '../../report/render';
import { ensureReportTopics } from '../../system/kafka/topics';
import { loadFromCommand } from '../context';
import { checkKafkaSecurity, connectKafkaAdmin } from '../preflight';

interface ReportOptions {
  topic?: string;
  group?: string;
  exitWhenIdle?: boolean;
}

/**
 * `logpipe report`: the report stage alone (ReportActor). With --exit-when-idle it reads what the
 * log topic holds, closes every window, prints each window report as one JSON line on stdout and
 * exits 0; its logs then go to stderr, so stdout carries reports only.
 */
export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('count log levels in windows over the log topic, write reports and email alerts (runs until SIGINT/SIGTERM)')
    .option('--topic <topic>', 'log topic to read (default: kafka.topic)')
    .option('--group <id>', 'consumer group (default: report.groupId); processes in one group share the work')
    .option('--exit-when-idle', 'read what is there, close every window, print each window report as a JSON line on stdout, exit 0')
    .action(async (opts: ReportOptions, command: Command) => {
      const loaded = loadFromCommand(command);
      const base = loaded.config;
      const config = { ...base, report: { ...base.report, groupId: opts.group ?? base.report.groupId } };
      const topic = opts.topic ?? base.kafka.topic;
      const logger = opts.exitWhenIdle ? createLogger({ ...config.log, stream: process.stderr, isTTY: process.stderr.isTTY }) : createLogger(config.log);
      if (opts.exitWhenIdle) {
        // A one-shot command fails fast when Kafka is down (the long-running one waits for it).
        const admin = await connectKafkaAdmin(config, logger);
        let topics: string[];
        try {
          topics = await admin.listTopics();
          // A broker's refusal to create the report topics ends the command here; the ReportActor
          // would retry it for as long as it runs, and this command would never become idle.
          if (topics.includes(topic)) await ensureReportTopics(admin, config, logger);
        } finally {
          await admin.disconnect();
        }
        if (!topics.includes(topic)) throw new Error(`the log topic "${topic}" does not exist; ingest something first (logpipe ingest FILE) or pass --topic`);
      } else {
        // It waits for a broker that is down, but not for one that refuses its credentials or certificate.
        await checkKafkaSecurity(config, logger);
      }
      const system = createActorSystem(logger, config.log);
      // Supervised as under `logpipe start`: a crash restarts the ReportActor from its state in
      // Kafka; a spent restart budget ends the command with exit code 1.
      let gaveUp: (reason: string) => void = () => undefined;
      const givenUp = new Promise<string>((resolve) => (gaveUp = resolve));
      let actor: Supervisor | undefined;
      try {
        actor = await startReportActor(system, config, logger, { topic, keepReports: opts.exitWhenIdle === true, onGiveUp: (reason) => gaveUp(reason) });
        if (opts.exitWhenIdle) {
          const print = (docs: ReportDocument[]): void => {
            for (const doc of docs) process.stdout.write(`${JSON.stringify(doc)}\n`);
          };
          // Idle twice in a row, a tick apart: nothing arrived in between.
          let idleTicks = 0;
          while (idleTicks < 2) {
            await new Promise((r) => setTimeout(r, 500));
            print((await actor.sendAndReceive('takeReports')) as ReportDocument[]);
            idleTicks = (await actor.sendAndReceive('idle')) ? idleTicks + 1 : 0;
          }
          print((await actor.sendAndReceive('takeReports')) as ReportDocument[]);
        } else {
          const failure = await new Promise<string | undefined>((resolve) => {
            const onSignal = (signal: NodeJS.Signals): void => {
              logger.info('signal received', { component: 'cli', signal });
              process.off('SIGINT', onSignal);
              process.off('SIGTERM', onSignal);
              resolve(undefined);
            };
            process.on('SIGINT', onSignal);
            process.on('SIGTERM', onSignal);
            void givenUp.then(resolve);
          });
          if (failure) throw new Error(`${failure}; stopping (a process supervisor such as systemd restarts it)`);
        }
      } finally {
        await actor?.destroy();
        await system.destroy();
      }
    });
}
