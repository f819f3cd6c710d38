import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { buildTriggerCommand, MAX_KEY_BYTES } from './shell-command';

const TRIGGER = path.resolve(__dirname, '../../shell/trigger.sh');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the command line the Lambda would send, in `sh` as AWS-RunShellScript does, against the given port. */
function runTrigger(bucket: string, key: string, port: number): Promise<Run> {
  const command = buildTriggerCommand(TRIGGER, bucket, key);
  return new Promise((resolve) => {
    execFile('sh', ['-c', command], { env: { ...process.env, LOGPIPE_CONTROL_PORT: String(port) }, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** A stand-in for the control API: records each request and answers with `reply`. */
async function fakeApi(reply: { status: number; body: string }) {
  const requests: Array<{ method?: string; url?: string; contentType?: string; body: string }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method, url: req.url, contentType: req.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return { port, requests, close };
}

const HOSTILE_KEYS: Array<[string, string]> = [
  ['a single quote', "it's.log"],
  ['double quotes and backslashes', 'a "b" \\c\\ \\"d\\"'],
  ['a command substitution', '$(touch /nonexistent/canary) `id`; rm -rf x'],
  ['newlines', 'first\nsecond\r\n'],
  ['a leading dash', '-X POST'],
  ['a double dash', '--'],
  ['braces', '{{ssm:db-password}}'],
  ['unicode', 'journaux/été/日本語/😀.log'],
  ['a JSON-looking key', '","key":"other'],
  ['1024 bytes of quotes', "'".repeat(MAX_KEY_BYTES)],
];

describe('shell/trigger.sh', () => {
  // The key travels S3 event → quoted SSM command → shell → trigger.sh → JSON → API, and must arrive unchanged.
  it.each(HOSTILE_KEYS)('posts a key with %s unchanged to /v1/ingest', async (_what, key) => {
    const api = await fakeApi({ status: 202, body: '{"id":"ingest-1","status":"queued"}' });
    try {
      const run = await runTrigger('logs-bucket.example', key, api.port);
      expect(run).toEqual({ code: 0, stdout: '{"id":"ingest-1","status":"queued"}\n', stderr: '' });
      expect(api.requests).toHaveLength(1);
      expect(api.requests[0]).toMatchObject({ method: 'POST', url: '/v1/ingest', contentType: 'application/json' });
      expect(JSON.parse(api.requests[0].body)).toEqual({ bucket: 'logs-bucket.example', key });
    } finally {
      await api.close();
    }
  });

  // Operators run it by hand without the -- the Lambda adds.
  it('accepts BUCKET KEY without a leading --', async () => {
    const api = await fakeApi({ status: 202, body: '{"id":"ingest-2","status":"duplicate"}' });
    try {
      const code = await new Promise<number>((resolve) => {
        execFile(TRIGGER, ['logs', '-k'], { env: { ...process.env, LOGPIPE_CONTROL_PORT: String(api.port) } }, (error) => resolve(error ? 1 : 0));
      });
      expect(code).toBe(0);
      expect(JSON.parse(api.requests[0].body)).toEqual({ bucket: 'logs', key: '-k' });
    } finally {
      await api.close();
    }
  });

  it('exits 3 naming the URL when the service is down', async () => {
    const api = await fakeApi({ status: 202, body: '{}' });
    await api.close();
    const run = await runTrigger('logs', 'k', api.port);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(`trigger.sh: logpipe is not running: connection refused at http://127.0.0.1:${api.port}/v1/ingest\n`);
  });

  it('exits 1 with the API error on one line when the request is refused', async () => {
    const api = await fakeApi({ status: 400, body: '{"error":"bucket \\"logs\\" is not\\nwatched"}' });
    try {
      const run = await runTrigger('logs', 'k', api.port);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(`trigger.sh: logpipe did not accept the request (HTTP 400 from http://127.0.0.1:${api.port}/v1/ingest): bucket "logs" is not watched\n`);
    } finally {
      await api.close();
    }
  });

  it('exits 1 with the raw answer when it is not the API error shape', async () => {
    const api = await fakeApi({ status: 404, body: 'no such route' });
    try {
      const run = await runTrigger('logs', 'k', api.port);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('(HTTP 404 from ');
      expect(run.stderr).toContain('): no such route\n');
    } finally {
      await api.close();
    }
  });

  it.each([[[] as string[]], [['only-bucket']], [['--', 'b']], [['b', 'k', 'extra']], [['b', '']]])('exits 2 with usage for arguments %j', async (args) => {
    const run = await new Promise<Run>((resolve) => {
      execFile(TRIGGER, args, { encoding: 'utf8' }, (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: unknown }).code) : 0, stdout, stderr }));
    });
    expect(run).toEqual({ code: 2, stdout: '', stderr: 'trigger.sh: usage: trigger.sh [--] BUCKET KEY\n' });
  });
});
