/**
 * shell/upload-logs.sh (the app hosts' cron job) against moto S3, with the built logpipe CLI:
 * finished files go to PREFIX + their path under DIR with identical bytes and are deleted; a file
 * still being written stays; a failed upload keeps its file and exits 1; --generate uploads the
 * generator's run.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createS3 } from '../../src/system/kafka/clients';
import { packageRoot } from '../../src/system/config/paths';
import { testConfig, uniqueName } from '../support/helpers';

const config = testConfig();
const s3 = createS3(config);
const root = packageRoot();
const script = path.join(root, 'shell', 'upload-logs.sh');
// LOGPIPE_BIN is split into words on whitespace: the interpreter, then the CLI.
const node = /\s/.test(process.execPath) ? 'node' : process.execPath;
const logpipeBin = `${node} ${path.join(root, 'dist', 'cli', 'main.js')}`;
const bucket = uniqueName('it-upload-logs');

function uploadLogs(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('bash', [script, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NODE_ENV: 'test', LOGPIPE_BIN: logpipeBin },
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-upload-logs-'));
  tempDirs.push(dir);
  return dir;
}

/** Writes a file and makes it look last modified `ageSeconds` ago. */
function writeFile(file: string, body: Buffer | string, ageSeconds: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, body);
  const when = Date.now() / 1000 - ageSeconds;
  fs.utimesSync(file, when, when);
}

async function keysUnder(prefix: string): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key ?? '').sort();
}

async function objectBytes(key: string): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

/** Regular files under `dir`, relative, without the script's hidden lock file. */
function filesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => !path.basename(f).startsWith('.') && fs.statSync(path.join(dir, f)).isFile())
    .sort();
}

beforeAll(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(() => {
  s3.destroy();
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('shell/upload-logs.sh', () => {
  it('uploads the finished files under PREFIX/<relative path> with identical bytes and deletes them; the file being written stays', async () => {
    const dir = tempDir();
    const first = Buffer.from('10:00:00.000 [main] INFO  app - started\n10:00:01.000 [main] ERROR app - ünïcode, "quotes" and \\ backslashes\n');
    const second = zlib.gzipSync('11:00:00.000 [main] WARN  app - gzip\n');
    const current = '12:00:00.000 [main] INFO  app - still being written\n';
    writeFile(path.join(dir, 'app.2026-11-20.log'), first, 3600);
    writeFile(path.join(dir, 'nested', 'host b', 'app.2026-11-21.log.gz'), second, 3600);
    writeFile(path.join(dir, 'app.log'), current, 0);

    const r = uploadLogs(['--dir', dir, '--bucket', bucket, '--prefix', 'it/host-a']);
    expect({ status: r.status, stderr: r.stderr }).toMatchObject({ status: 0 });
    expect(r.stdout).toContain(`skipping ${path.join(dir, 'app.log')}`);
    expect(r.stdout).toContain('2 uploaded, 0 failed, 1 still being written');

    expect(await keysUnder('it/')).toEqual(['it/host-a/app.2026-11-20.log', 'it/host-a/nested/host b/app.2026-11-21.log.gz']);
    expect((await objectBytes('it/host-a/app.2026-11-20.log')).equals(first)).toBe(true);
    expect((await objectBytes('it/host-a/nested/host b/app.2026-11-21.log.gz')).equals(second)).toBe(true);

    expect(filesUnder(dir)).toEqual(['app.log']);
    expect(fs.readFileSync(path.join(dir, 'app.log'), 'utf8')).toBe(current);
  });

  it('keeps the file and exits 1 when its upload fails (no such bucket)', () => {
    const dir = tempDir();
    const file = path.join(dir, 'app.2026-11-22.log');
    writeFile(file, '13:00:00.000 [main] INFO  app - kept\n', 3600);

    const missing = uniqueName('it-no-such-bucket');
    const r = uploadLogs(['--dir', dir, '--bucket', missing, '--prefix', 'it/host-a/']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`upload of ${file} to s3://${missing}/it/host-a/app.2026-11-22.log failed`);
    expect(r.stderr).toContain('does not exist');
    expect(r.stdout).toContain('0 uploaded, 1 failed');
    expect(fs.readFileSync(file, 'utf8')).toBe('13:00:00.000 [main] INFO  app - kept\n');
  });

  it('--generate runs the generator into a run folder of its own and uploads what it wrote', async () => {
    const dir = tempDir();
    const r = uploadLogs(['--generate', '--dir', dir, '--bucket', bucket, '--prefix', 'gen/', '--', '--max-count', '25', '--time-period', '1,2', '--seed', '7']);
    expect({ status: r.status, stderr: r.stderr }).toMatchObject({ status: 0 });

    const keys = await keysUnder('gen/');
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^gen\/run-\d{8}T\d{6}Z-\d+\/LogFileGenerator\.\d{4}-\d{2}-\d{2}\.log$/);
    const text = (await objectBytes(keys[0])).toString('utf8');
    expect(text.trimEnd().split('\n')).toHaveLength(25);
    // Uploaded and deleted, and the emptied run folder removed.
    expect(filesUnder(dir)).toEqual([]);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('run-'))).toEqual([]);
  });

  it('exits 2 on a usage error, naming it', () => {
    const r = uploadLogs(['--dir', tempDir()]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--bucket BUCKET is required');
  });
});
