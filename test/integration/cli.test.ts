/**
 * The `logpipe` binary as a user runs it: a separate Node process on the built dist/ (global setup
 * builds it), with its exit code, stdout and stderr.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { createS3 } from '../../src/system/kafka/clients';
import { packageRoot } from '../../src/system/config/paths';
import { eventually, freePort, testConfig, uniqueName } from '../support/helpers';

const bin = path.join(packageRoot(), 'dist', 'cli', 'main.js');

function logpipe(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, NODE_ENV: 'test', ...env }, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('logpipe --help', () => {
  it('lists the subcommands', () => {
    const r = logpipe(['--help']);
    expect(r.status).toBe(0);
    for (const cmd of ['start', 'config', 'dev']) expect(r.stdout).toMatch(new RegExp(`^  ${cmd}\\b`, 'm'));
    expect(logpipe(['dev', '--help']).stdout).toMatch(/up .*\n[\s\S]*down[\s\S]*status[\s\S]*check/);
  });

  it('exits 2 on an unknown command', () => {
    const r = logpipe(['frobnicate']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
  });
});

describe('logpipe config', () => {
  it('prints the effective configuration with LOGPIPE_ variables applied and secrets redacted', () => {
    const r = logpipe(['config'], { LOGPIPE_KAFKA_BROKERS: 'k1:9092,k2:9092', LOGPIPE_CONTROL_PORT: '9999', LOGPIPE_AWS_SECRET_ACCESS_KEY: 'hunter2-secret' });
    expect(r.status).toBe(0);
    const printed = JSON.parse(r.stdout);
    expect(printed.kafka.brokers).toEqual(['k1:9092', 'k2:9092']);
    expect(printed.control.port).toBe(9999);
    expect(r.stdout).not.toContain('hunter2-secret');
  });

  it('--brokers overrides the configuration', () => {
    expect(JSON.parse(logpipe(['--brokers', 'b1:1', 'config']).stdout).kafka.brokers).toEqual(['b1:1']);
  });

  it('a bad value exits 2 with one line naming key, value and expectation, and no stack trace', () => {
    const r = logpipe(['config'], { LOGPIPE_LOG_LEVEL: 'verbose' });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual(['logpipe: invalid configuration value for "log.level": "verbose" (from env LOGPIPE_LOG_LEVEL); expected one of error, warn, info, debug']);
  });

  it('--validate checks a file: 0 when valid, 2 naming the unknown key otherwise', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-cli-'));
    const good = path.join(dir, 'good.json');
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(good, JSON.stringify({ kafka: { brokers: ['a:1'] } }));
    fs.writeFileSync(bad, JSON.stringify({ kafka: { brokerz: ['a:1'] } }));
    expect(logpipe(['config', '--validate', good])).toMatchObject({ status: 0, stdout: `${good}: valid\n` });
    const r = logpipe(['config', '--validate', bad]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`unknown configuration key "kafka.brokerz" in ${bad}: not in the schema; did you mean "kafka.brokers"?`);
  });

  it('a bad --brokers is reported as coming from --brokers, not from the environment', () => {
    const r = logpipe(['--brokers', 'localhost', 'config']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('logpipe: invalid configuration value for "kafka.brokers": ["localhost"] (from --brokers); expected HOST:PORT[,HOST:PORT...], "localhost" is not HOST:PORT');
  });

  it('start refuses bad configuration before doing anything', () => {
    const r = logpipe(['start'], { LOGPIPE_CONTROL_PORT: '0' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('"control.port": 0');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('logpipe start', () => {
  it('runs until SIGTERM, serving /readyz, logging JSON lines, then exits 0', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [bin, 'start'], { env: { ...process.env, NODE_ENV: 'test', LOGPIPE_LOG_LEVEL: 'info', LOGPIPE_CONTROL_PORT: String(port) } });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await eventually('/readyz to answer 200', async () => {
        const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
        return res?.status === 200 ? true : undefined;
      });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    const events = stdout.trim().split('\n').map((l) => JSON.parse(l) as { message: string; component: string });
    expect(events).toEqual(expect.arrayContaining([expect.objectContaining({ component: 'service', message: 'logpipe started' }), expect.objectContaining({ message: 'logpipe stopped' })]));
  });
});

describe('logpipe dev (on a private stack folder and port)', () => {
  // The SES emulator alone keeps this fast; the machinery is the same for every service.
  it('up twice is harmless, status reports it, down leaves no process of ours', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-stack-'));
    const env = { LOGPIPE_STACK_DIR: dir, LOGPIPE_STACK_SES_PORT: String(await freePort()), LOGPIPE_LOG_FORMAT: 'json', LOGPIPE_LOG_LEVEL: 'info' };
    try {
      const first = logpipe(['dev', 'up', 'ses'], env);
      expect(first.status).toBe(0);
      const pid = Number(fs.readFileSync(path.join(dir, 'run', 'ses.pid'), 'utf8'));
      const second = logpipe(['dev', 'up', 'ses'], env);
      expect(second.status).toBe(0);
      expect(second.stdout).toContain(`ses: already running (pid ${pid})`);
      expect(Number(fs.readFileSync(path.join(dir, 'run', 'ses.pid'), 'utf8'))).toBe(pid);

      const status = JSON.parse(logpipe(['dev', 'status', '--json'], env).stdout) as Array<{ name: string; state: string; pid?: number }>;
      expect(status.find((s) => s.name === 'ses')).toMatchObject({ state: 'running', pid });

      expect(logpipe(['dev', 'down', 'ses'], env).status).toBe(0);
      expect(() => process.kill(pid, 0)).toThrow();
      expect(fs.existsSync(path.join(dir, 'run', 'ses.pid'))).toBe(false);
    } finally {
      logpipe(['dev', 'down', 'ses'], env);
    }
    expect(logpipe(['dev', 'down', 'ses'], env).stdout).toContain('nothing of ours was running');
  });

  it('refuses to start on a port another process holds, naming the port', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-stack-'));
      const r = logpipe(['dev', 'up', 'ses'], { LOGPIPE_STACK_DIR: dir, LOGPIPE_STACK_SES_PORT: String(port) });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`ses: port ${port} on 127.0.0.1 is in use by a process this stack did not start`);
      const status = JSON.parse(logpipe(['dev', 'status', '--json'], { LOGPIPE_STACK_DIR: dir, LOGPIPE_STACK_SES_PORT: String(port) }).stdout) as Array<{ name: string; state: string }>;
      expect(status.find((s) => s.name === 'ses')?.state).toBe('port-taken');
    } finally {
      server.close();
    }
  });
});

describe('logpipe dev check', () => {
  it('passes against the running stack', () => {
    const r = logpipe(['dev', 'check', '--topic', `it-check-${Date.now()}`]);
    expect(r.stdout).toMatch(/^ok {3}kafka .*read back exactly once/m);
    expect(r.stdout).toMatch(/^ok {3}s3 /m);
    expect(r.stdout).toMatch(/^ok {3}ses /m);
    expect(r.status).toBe(0);
  });
});

describe('logpipe generate', () => {
  it('writes daily files and the truth, byte-identical for the same seed', () => {
    const dirs = [0, 1].map(() => fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-generate-')));
    for (const dir of dirs) {
      const r = logpipe(['generate', '--fast', '--max-count', '3000', '--instances', '2', '--start', '2026-11-25T23:58:00Z', '--out-dir', dir, '--truth', path.join(dir, 'truth.json')], { LOGPIPE_LOG_LEVEL: 'info' });
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}')).toMatchObject({ message: 'generated', lines: 6000 });
    }
    const listing = (dir: string): string[] => fs.readdirSync(dir, { recursive: true }).map(String).sort();
    expect(listing(dirs[0])).toEqual([
      'host-1', 'host-1/LogFileGenerator.2026-11-25.log', 'host-1/LogFileGenerator.2026-11-26.log',
      'host-2', 'host-2/LogFileGenerator.2026-11-25.log', 'host-2/LogFileGenerator.2026-11-26.log', 'truth.json',
    ]);
    for (const f of listing(dirs[0]).filter((f) => f.includes('.'))) {
      expect(fs.readFileSync(path.join(dirs[1], f))).toEqual(fs.readFileSync(path.join(dirs[0], f)));
    }
  });

  it('exits 2 naming a bad option', () => {
    const r = logpipe(['generate', '--fast', '--out', '/tmp/x.log', '--warn', '0.5,0.1']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('logpipe: --warn "0.5,0.1": expected LO,HI with 0 <= LO <= HI <= 1');
  });
});

/**
 * Each user-facing failure says what happened (with the address or name tried) and what to do, on
 * one stderr line, without a stack trace, and ends the command instead of letting it wait.
 */
describe('user-facing errors', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-errors-')), 'one.log');
  fs.writeFileSync(file, '10:00:00.000 [main] ERROR a.B - boom\n');
  // Ingest topics of these tests, so nothing lands on the shared defaults.
  const topics = (): NodeJS.ProcessEnv => ({ LOGPIPE_KAFKA_PROGRESS_TOPIC: uniqueName('it-err-progress'), LOGPIPE_KAFKA_DEAD_LETTER_TOPIC: uniqueName('it-err-dlq') });
  const oneLine = (stderr: string): string => {
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    return lines[0];
  };

  it('java missing: dev up names the program and what to install', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-stack-'));
    const r = logpipe(['dev', 'up', 'kafka'], { PATH: fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-empty-path-')), LOGPIPE_STACK_DIR: dir, LOGPIPE_STACK_KAFKA_PORT: String(await freePort()) });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('logpipe: kafka: java was not found on PATH: install a Java 17+ JDK or JRE');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('broker unreachable: ingest names the address tried and gives up within kafkajs\'s retries', async () => {
    const broker = `127.0.0.1:${await freePort()}`;
    const r = logpipe(['ingest', file, '--topic', uniqueName('it-err')], { ...topics(), LOGPIPE_KAFKA_BROKERS: broker });
    expect(r.status).toBe(1);
    expect(oneLine(r.stderr)).toMatch(new RegExp(`^logpipe: cannot reach Kafka at ${broker}: .*ECONNREFUSED.*; check that the brokers are running and that kafka\\.brokers is right \\(--brokers or LOGPIPE_KAFKA_BROKERS\\); for the local stack run \`npm run dev:up\`$`));
  });

  it('replication factor above the broker count: ingest says so instead of retrying forever', () => {
    const topic = uniqueName('it-err-rf');
    const r = logpipe(['ingest', file, '--topic', topic], { ...topics(), LOGPIPE_KAFKA_REPLICATION_FACTOR: '3' });
    expect(r.status).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/^logpipe: cannot create topics .*"it-err-rf-.*" \(replication factor 3\): .*\(INVALID_REPLICATION_FACTOR\); kafka\.replicationFactor \(LOGPIPE_KAFKA_REPLICATION_FACTOR\) must not exceed the number of brokers$/);
  });

  it('bucket missing: ingest and upload name the bucket and the endpoint, and write nothing', () => {
    const bucket = uniqueName('it-err-none');
    const ingest = logpipe(['ingest', `s3://${bucket}/a.log`, '--topic', uniqueName('it-err')], topics());
    expect(ingest.status).toBe(1);
    expect(oneLine(ingest.stderr)).toBe(`logpipe: bucket "${bucket}" does not exist at ${testConfig().aws.endpoint} (aws.endpoint); check the bucket name in s3://${bucket}/a.log`);
    const upload = logpipe(['upload', file, '--bucket', bucket]);
    expect(upload.status).toBe(1);
    expect(oneLine(upload.stderr)).toBe(`logpipe: bucket "${bucket}" does not exist at ${testConfig().aws.endpoint} (aws.endpoint); create it first, or check the name given with --bucket`);
  });

  it('key missing: ingest dead-letters the object and says why on stderr', async () => {
    const bucket = uniqueName('it-err-bucket');
    const s3 = createS3(testConfig());
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    s3.destroy();
    const env = topics();
    const r = logpipe(['ingest', `s3://${bucket}/no/such.log`, '--topic', uniqueName('it-err')], env);
    expect(r.status).toBe(1);
    expect(oneLine(r.stderr)).toBe(`logpipe: s3://${bucket}/no/such.log was dead-lettered (recorded on ${env.LOGPIPE_KAFKA_DEAD_LETTER_TOPIC}): NoSuchKey: s3://${bucket}/no/such.log does not exist; check the key`);
  });

  it('S3 unreachable: upload and ingest name the endpoint tried', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    for (const args of [['upload', file, '--bucket', 'some-bucket'], ['ingest', 's3://some-bucket/a.log', '--topic', uniqueName('it-err')]]) {
      const r = logpipe(args, { ...topics(), LOGPIPE_AWS_ENDPOINT: endpoint });
      expect(r.status).toBe(1);
      expect(oneLine(r.stderr)).toMatch(new RegExp(`^logpipe: cannot reach S3 at ${endpoint} \\(aws\\.endpoint\\): .*ECONNREFUSED.*; check aws\\.endpoint`));
    }
  });

  it('port in use: start names the address and the setting to change', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const r = logpipe(['start'], { LOGPIPE_CONTROL_PORT: String(port), LOGPIPE_REPORT_ENABLED: 'false' });
      expect(r.status).toBe(1);
      expect(oneLine(r.stderr)).toBe(`logpipe: control server: 127.0.0.1:${port} is already in use; stop the other process or set LOGPIPE_CONTROL_PORT`);
    } finally {
      server.close();
    }
  });
});
