/**
 * The `logpipe` binary as a user runs it: a separate Node process on the built dist/ (global setup
 * builds it), with its exit code, stdout and stderr.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../../src/system/paths';
import { eventually, freePort } from './helpers';

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
    expect(r.stderr).toContain(`unknown configuration key "kafka.brokerz" in ${bad}`);
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
