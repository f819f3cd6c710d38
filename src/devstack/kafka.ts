/**
 * The local Apache Kafka broker: a single-node KRaft broker + controller started from Maven Central
 * jars (infra/kafka/pom.xml), bound to 127.0.0.1, with replication factors of 1 so consumer groups
 * and transactions work on one node. Two client listeners: PLAINTEXT (stack.kafkaPort, what the
 * tests and the demo use) and SASL_SSL with SCRAM (stack.kafkaSaslPort, kafka-secure.ts).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { LogpipeConfig } from '../system/config/config';
import { packageRoot } from '../system/config/paths';
import { JAVA, MAVEN } from './prereqs';
import { ensureSecureMaterial, scramUserArgs, secureFiles, secureListenerProperties } from './kafka-secure';
import { portOpen, runLogged } from './process';
import type { StackService } from './service';

/** The Kafka release pinned in infra/kafka/pom.xml. */
export function pinnedKafkaVersion(): string {
  const pom = fs.readFileSync(path.join(packageRoot(), 'infra', 'kafka', 'pom.xml'), 'utf8');
  const m = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom);
  if (!m) throw new Error('infra/kafka/pom.xml has no <kafka.version> property');
  return m[1];
}

/**
 * server.properties for a combined broker + controller on 127.0.0.1; with `secure`, also a SASL_SSL
 * listener (SCRAM over TLS) on its own port. The controller and inter-broker traffic stay PLAINTEXT:
 * nothing of them leaves 127.0.0.1.
 */
export function serverProperties(opts: { port: number; controllerPort: number; dataDir: string; secure?: { port: number; keystore: string; storePassword: string } }): string {
  const broker = `127.0.0.1:${opts.port}`;
  const controller = `127.0.0.1:${opts.controllerPort}`;
  const sasl = opts.secure ? `,SASL_SSL://127.0.0.1:${opts.secure.port}` : '';
  return [
    '# Written by `logpipe dev up`; edits are overwritten.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.bootstrap.servers=${controller}`,
    `listeners=PLAINTEXT://${broker},CONTROLLER://${controller}${sasl}`,
    `advertised.listeners=PLAINTEXT://${broker},CONTROLLER://${controller}${sasl}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    `listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT${opts.secure ? ',SASL_SSL:SASL_SSL' : ''}`,
    ...(opts.secure ? secureListenerProperties(opts.secure) : []),
    `log.dirs=${opts.dataDir}`,
    'num.partitions=1',
    // One node: internal topics cannot have more replicas than brokers, or groups and transactions hang.
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    // Tests and the demo start consumers often; waiting for more members only slows them.
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    // No time-based retention: a record's timestamp is its line's event time, and Kafka deletes a
    // segment once its newest timestamp is older than the retention (7 days by default), so logs of
    // fixed past dates (test fixtures, a backfill) were deleted minutes after they were ingested.
    'log.retention.ms=-1',
    '',
  ].join('\n');
}

/** A cluster id as kafka-storage random-uuid makes it: 16 random bytes, base64url, not starting with '-'. */
export function newClusterId(): string {
  for (;;) {
    const id = crypto.randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export function kafkaService(config: LogpipeConfig, stackDir: string): StackService {
  const version = pinnedKafkaVersion();
  const home = path.join(stackDir, 'kafka');
  const libs = path.join(home, `libs-${version}`);
  const dataDir = path.join(home, 'data');
  const propsFile = path.join(home, 'server.properties');
  const logsDir = path.join(stackDir, 'logs');
  const installLog = path.join(logsDir, 'kafka-install.log');
  const log4j = path.join(packageRoot(), 'infra', 'kafka', 'log4j2.properties');
  const { kafkaPort: port, kafkaControllerPort: controllerPort, kafkaSaslPort: saslPort, kafkaHeapBytes } = config.stack;
  const secure = secureFiles(home);
  const javaArgs = (mainClass: string, ...args: string[]): string[] => [
    `-Xmx${Math.floor(kafkaHeapBytes / (1024 * 1024))}m`,
    '-XX:+UseG1GC',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${log4j}`,
    `-Dkafka.logs.dir=${logsDir}`,
    '-cp',
    path.join(libs, '*'),
    mainClass,
    ...args,
  ];
  const jarsReady = (): boolean => fs.existsSync(path.join(libs, '.complete'));
  const formatted = (): boolean => fs.existsSync(path.join(dataDir, 'meta.properties'));

  return {
    name: 'kafka',
    port,
    identity: propsFile,
    prerequisites: () => (jarsReady() ? [JAVA] : [JAVA, MAVEN]),
    async prepare(log) {
      if (!jarsReady()) {
        log(`downloading Apache Kafka ${version} jars with Maven into ${libs}`);
        fs.rmSync(libs, { recursive: true, force: true });
        await runLogged(installLog, 'mvn', [
          '-B', '-q', '-f', path.join(packageRoot(), 'infra', 'kafka', 'pom.xml'),
          'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${libs}`,
        ], 'Maven download of the Kafka jars');
        fs.writeFileSync(path.join(libs, '.complete'), `${version}\n`);
      }
      fs.mkdirSync(dataDir, { recursive: true });
      const { storePassword } = await ensureSecureMaterial(home, installLog, log);
      // It holds the keystore password: readable by this user only (also when written before).
      fs.writeFileSync(propsFile, serverProperties({ port, controllerPort, dataDir, secure: { port: saslPort, keystore: secure.brokerKeystore, storePassword } }), { mode: 0o600 });
      fs.chmodSync(propsFile, 0o600);
      if (!formatted()) {
        log(`formatting KRaft storage in ${dataDir}`);
        await runLogged(installLog, 'java', javaArgs('kafka.tools.StorageTool', 'format', '-t', newClusterId(), '-c', propsFile, '--standalone', '-g'), 'Kafka storage format');
      }
    },
    async afterReady(log) {
      // SCRAM users live in the cluster metadata, so they are created through the running broker
      // (kafka-configs); this also covers data directories formatted before the listener existed.
      // The marker ties the user to this cluster id and password: a re-formatted storage or new
      // credentials create it again.
      const credentials = await ensureSecureMaterial(home, installLog, log);
      const marker = path.join(secure.dir, 'scram-user.created');
      const stamp = crypto.createHash('sha256').update(`${clusterIdOf(dataDir) ?? ''}\n${credentials.username}\n${credentials.password}`).digest('hex');
      if (!(fs.existsSync(marker) && fs.readFileSync(marker, 'utf8').trim() === stamp)) {
        log(`creating SCRAM-SHA-512 user "${credentials.username}" for the SASL_SSL listener`);
        await runLogged(installLog, 'java', javaArgs('kafka.admin.ConfigCommand', ...scramUserArgs(`127.0.0.1:${port}`, credentials.username, credentials.password)), 'kafka-configs: the SCRAM user', undefined, [credentials.password]);
        fs.writeFileSync(marker, `${stamp}\n`);
      }
      if (!(await portOpen(saslPort))) {
        log(`warning: nothing listens on the SASL_SSL port 127.0.0.1:${saslPort}: this broker was started before logpipe had that listener; \`logpipe dev down kafka && logpipe dev up\` restarts it with it`);
      }
    },
    spawnSpec: () => ({ command: 'java', args: javaArgs('kafka.Kafka', propsFile), cwd: home }),
    async probe() {
      // Ready means what the issue says: a kafkajs admin client connects and lists topics.
      const admin = new Kafka({
        clientId: 'logpipe-dev-probe',
        brokers: [`127.0.0.1:${port}`],
        connectionTimeout: 1000,
        requestTimeout: 3000,
        retry: { retries: 0 },
        logLevel: logLevel.NOTHING,
      }).admin();
      try {
        await admin.connect();
        await admin.listTopics();
        return true;
      } catch {
        return false;
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    },
    async describe() {
      const started = brokerVersionFromLog(path.join(logsDir, 'kafka-server.log'));
      return `Apache Kafka ${started ?? version} (KRaft, 127.0.0.1:${port}; SASL_SSL 127.0.0.1:${saslPort})`;
    },
  };
}

/** cluster.id from a formatted log directory's meta.properties, if any. */
export function clusterIdOf(dataDir: string): string | undefined {
  try {
    return /^cluster\.id=(.+)$/m.exec(fs.readFileSync(path.join(dataDir, 'meta.properties'), 'utf8'))?.[1].trim();
  } catch {
    return undefined;
  }
}

/** The last "Kafka version: X" line the broker wrote to its log, if any. */
export function brokerVersionFromLog(file: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const all = [...text.matchAll(/Kafka version: (\S+)/g)];
  return all.length ? all[all.length - 1][1] : undefined;
}
