import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { isAlive, ownedPid, portOpen, runLogged, serviceFiles, spawnService, stopService, tail } from './process';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-proc-'));

describe('runLogged', () => {
  // Review of issue 16: keytool's -storepass and the SCRAM password were written to the install log.
  it('logs the command line without its secrets, also in the error it builds from the log', async () => {
    const log = path.join(tmp(), 'install.log');
    await runLogged(log, 'sh', ['-c', 'exit 0', 'sh', '-storepass', 's3cr3t-value'], 'ok step', undefined, ['s3cr3t-value']);
    await expect(runLogged(log, 'sh', ['-c', 'exit 3', 'sh', 'password=[s3cr3t-value]'], 'failing step', undefined, ['s3cr3t-value'])).rejects.toThrow(/failing step failed \(exit code 3\)[^]*password=\[\[redacted\]\]/);
    expect(fs.readFileSync(log, 'utf8')).not.toContain('s3cr3t-value');
  });
});

describe('service processes', () => {
  it('records the pid, logs output to the service log, and stops the whole process group', async () => {
    const dir = tmp();
    const files = serviceFiles(dir, 'sleeper');
    const marker = `logpipe-test-${process.pid}-${Date.now()}`;
    // A shell that starts a grandchild: stopping must take both down.
    const pid = spawnService(files, { command: 'sh', args: ['-c', `echo started ${marker}; sleep 300 & wait`, marker], cwd: dir });
    expect(ownedPid(files, marker)).toBe(pid);
    await new Promise((r) => setTimeout(r, 300));
    expect(tail(files.logFile)).toContain(`started ${marker}`);
    expect(await stopService(files, marker, 5000)).toBe(true);
    expect(isAlive(pid)).toBe(false);
    expect(fs.existsSync(files.pidFile)).toBe(false);
    expect(await stopService(files, marker, 5000)).toBe(false);
  });

  // A pid file can outlive its process and the pid can be reused by an unrelated program.
  it('does not claim a pid whose command line lacks the identity', async () => {
    const dir = tmp();
    const files = serviceFiles(dir, 'other');
    fs.mkdirSync(path.dirname(files.pidFile), { recursive: true });
    fs.writeFileSync(files.pidFile, `${process.pid}\n`);
    expect(ownedPid(files, 'identity-that-jest-does-not-have')).toBeUndefined();
    expect(await stopService(files, 'identity-that-jest-does-not-have', 100)).toBe(false);
    expect(isAlive(process.pid)).toBe(true);
  });

  it('tail names a missing log', () => {
    expect(tail('/nonexistent/logpipe.log')).toMatch(/no log at/);
  });
});

describe('portOpen', () => {
  it('sees a listening port and a closed one', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    expect(await portOpen(port)).toBe(true);
    await new Promise<void>((r) => server.close(() => r()));
    expect(await portOpen(port)).toBe(false);
  });
});
