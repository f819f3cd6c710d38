import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { brokerVersionFromLog, newClusterId, pinnedKafkaVersion, serverProperties } from './kafka';
import { keytoolCommand, scramUserArgs } from './kafka-secure';

function props(text: string): Map<string, string> {
  return new Map(
    text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as [string, string]),
  );
}

describe('serverProperties', () => {
  const p = props(serverProperties({ port: 19092, controllerPort: 19093, dataDir: '/tmp/data' }));

  it('is a combined KRaft node bound to 127.0.0.1 only', () => {
    expect(p.get('process.roles')).toBe('broker,controller');
    expect(p.get('listeners')).toBe('PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093');
    expect(p.get('controller.quorum.bootstrap.servers')).toBe('127.0.0.1:19093');
    // --standalone formatting needs bootstrap servers, and must not be combined with static voters.
    expect(p.has('controller.quorum.voters')).toBe(false);
    expect(p.get('log.dirs')).toBe('/tmp/data');
  });

  // With more replicas than brokers, consumer groups loop on "coordinator not available" and
  // transactions never initialise.
  it('sets internal topic replication to 1 so groups and transactions work on one node', () => {
    expect(p.get('offsets.topic.replication.factor')).toBe('1');
    expect(p.get('transaction.state.log.replication.factor')).toBe('1');
    expect(p.get('transaction.state.log.min.isr')).toBe('1');
  });
});

describe('serverProperties with the SASL_SSL listener', () => {
  const p = props(serverProperties({ port: 19092, controllerPort: 19093, dataDir: '/tmp/data', secure: { port: 19094, keystore: '/s/broker.p12', storePassword: 'pw' } }));

  // The PLAINTEXT listener stays for the existing tests and the demo; SASL_SSL is added beside it.
  it('adds SASL_SSL on its own port and keeps PLAINTEXT for clients and between broker and controller', () => {
    expect(p.get('listeners')).toBe('PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093,SASL_SSL://127.0.0.1:19094');
    expect(p.get('advertised.listeners')).toBe('PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093,SASL_SSL://127.0.0.1:19094');
    expect(p.get('listener.security.protocol.map')).toBe('CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL');
    expect(p.get('inter.broker.listener.name')).toBe('PLAINTEXT');
  });

  it('offers SCRAM-SHA-512 with the generated keystore', () => {
    expect(p.get('sasl.enabled.mechanisms')).toBe('SCRAM-SHA-512');
    expect(p.get('listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config')).toMatch(/ScramLoginModule required;$/);
    expect(p.get('listener.name.sasl_ssl.ssl.keystore.location')).toBe('/s/broker.p12');
    expect(p.get('listener.name.sasl_ssl.ssl.keystore.type')).toBe('PKCS12');
  });
});

describe('scramUserArgs', () => {
  it('creates one SCRAM-SHA-512 credential through the PLAINTEXT listener', () => {
    expect(scramUserArgs('127.0.0.1:9092', 'logpipe', 'abc123')).toEqual([
      '--bootstrap-server', '127.0.0.1:9092', '--alter', '--entity-type', 'users', '--entity-name', 'logpipe',
      '--add-config', 'SCRAM-SHA-512=[iterations=4096,password=abc123]',
    ]);
  });
});

describe('keytoolCommand', () => {
  // Only java may be linked into PATH; keytool then lives beside the real java binary.
  it('finds keytool beside the java that PATH links to', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-jdk-'));
    fs.mkdirSync(path.join(root, 'jdk', 'bin'), { recursive: true });
    fs.mkdirSync(path.join(root, 'path'));
    for (const tool of ['java', 'keytool']) fs.writeFileSync(path.join(root, 'jdk', 'bin', tool), '');
    fs.symlinkSync(path.join(root, 'jdk', 'bin', 'java'), path.join(root, 'path', 'java'));
    expect(keytoolCommand({ PATH: path.join(root, 'path') })).toBe(path.join(fs.realpathSync(root), 'jdk', 'bin', 'keytool'));
    expect(keytoolCommand({ PATH: path.join(root, 'nothing') })).toBe('keytool');
  });
});

describe('newClusterId', () => {
  it('is 22 base64url characters not starting with a dash', () => {
    for (let i = 0; i < 200; i++) expect(newClusterId()).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  });
});

describe('pinnedKafkaVersion', () => {
  it('reads a 4.x release from infra/kafka/pom.xml', () => {
    expect(pinnedKafkaVersion()).toMatch(/^4\.\d+\.\d+$/);
  });
});

describe('brokerVersionFromLog', () => {
  it('returns the last version the broker announced', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-kafka-')), 'server.log');
    fs.writeFileSync(file, '[x] INFO Kafka version: 4.0.0 (a)\n[y] INFO Kafka version: 4.1.1 (a)\n');
    expect(brokerVersionFromLog(file)).toBe('4.1.1');
    expect(brokerVersionFromLog(`${file}.missing`)).toBeUndefined();
  });
});
