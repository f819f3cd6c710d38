import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { renderCommandDocument } from '../devstack/ssm-document';
import { MAX_KEY_BYTES } from '../ingest/object-names';
import { triggerDocument, triggerParameters } from './trigger-document';

const TRIGGER = path.resolve(__dirname, '../../shell/trigger.sh');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs what the host runs for the Lambda's parameters: the trigger document's step with the
 * parameters checked and pasted in (as SSM and its agent do), in `sh`, against the given port.
 */
function runTrigger(bucket: string, key: string, port: number, versionId?: string): Promise<Run> {
  const [step] = renderCommandDocument(triggerDocument(TRIGGER, '60'), triggerParameters(bucket, key, versionId));
  const command = step.script;
  return new Promise((resolve) => {
    execFile('sh', ['-c', command], { env: { ...process.env, LOGPIPE_CONTROL_PORT: String(port) }, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** A stand-in for the control API: records each request and answers with `reply`. */
async function fakeApi(reply: { status: number; body: string }) {
  const requests: Array<{ method?: string; url?: string; contentType?: string; authorization?: string; body: string }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method, url: req.url, contentType: req.headers['content-type'], authorization: req.headers.authorization, body: Buffer.concat(chunks).toString('utf8') });
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
  // The key travels S3 event → document parameter (percent-encoded) → shell → trigger.sh → JSON → API, and must arrive unchanged.
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

  it('passes the version id on when the event has one', async () => {
    const api = await fakeApi({ status: 202, body: '{"id":"ingest-v","status":"queued"}' });
    try {
      expect((await runTrigger('logs', 'a b.log', api.port, '3sL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY_MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo')).code).toBe(0);
      expect(JSON.parse(api.requests[0].body)).toEqual({ bucket: 'logs', key: 'a b.log', versionId: '3sL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY_MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo' });
    } finally {
      await api.close();
    }
  });

  it('refuses a percent-encoded key that is not UTF-8, sending nothing', async () => {
    const api = await fakeApi({ status: 202, body: '{}' });
    try {
      const run = await new Promise<Run>((resolve) => {
        execFile(TRIGGER, ['--key-encoding', 'percent', '--', 'logs', 'a%FFb'], { env: { ...process.env, LOGPIPE_CONTROL_PORT: String(api.port) }, encoding: 'utf8' }, (error, stdout, stderr) =>
          resolve({ code: error ? Number((error as { code?: unknown }).code) : 0, stdout, stderr }),
        );
      });
      expect(run).toEqual({ code: 2, stdout: '', stderr: 'trigger.sh: the percent-encoded key is not UTF-8\n' });
      expect(api.requests).toHaveLength(0);
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

  it.each([[[] as string[]], [['only-bucket']], [['--', 'b']], [['b', 'k', 'extra']], [['b', '']], [['--key-encoding', 'base64', 'b', 'k']], [['--version-id']], [['-x', 'b', 'k']]])('exits 2 with usage for arguments %j', async (args) => {
    const run = await new Promise<Run>((resolve) => {
      execFile(TRIGGER, args, { encoding: 'utf8' }, (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: unknown }).code) : 0, stdout, stderr }));
    });
    expect(run).toEqual({ code: 2, stdout: '', stderr: 'trigger.sh: usage: trigger.sh [--key-encoding none|percent] [--version-id ID] [--] BUCKET KEY\n' });
  });

  describe('control token', () => {
    const TOKEN = 'c0ffee0123456789abcdef.~+/=-_';

    /** Runs trigger.sh with `env`, a `curl` first on PATH that records its arguments, then runs the real one. */
    async function runWithToken(env: NodeJS.ProcessEnv, port: number): Promise<Run & { curlArgs: string }> {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trigger-sh-'));
      const argsFile = path.join(dir, 'curl-args');
      const realCurl = await new Promise<string>((resolve) => execFile('sh', ['-c', 'command -v curl'], (_e, out) => resolve(String(out).trim())));
      fs.writeFileSync(path.join(dir, 'curl'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${argsFile}'\nexec '${realCurl}' "$@"\n`, { mode: 0o755 });
      const base: NodeJS.ProcessEnv = { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}`, LOGPIPE_CONTROL_PORT: String(port), LOGPIPE_ENV_FILE: path.join(dir, 'no-env-file') };
      delete base.LOGPIPE_CONTROL_TOKEN;
      const run = await new Promise<Run>((resolve) => {
        execFile(TRIGGER, ['--', 'logs', 'k.log'], { env: { ...base, ...env }, encoding: 'utf8' }, (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr }));
      });
      const curlArgs = fs.existsSync(argsFile) ? fs.readFileSync(argsFile, 'utf8') : '';
      fs.rmSync(dir, { recursive: true, force: true });
      return { ...run, curlArgs };
    }

    // A service bound beyond loopback requires the token (control.token); the Lambda's SSM command
    // cannot carry it, so the script sends it, and never on curl's command line (ps shows that).
    it('sends LOGPIPE_CONTROL_TOKEN as a bearer token, not on the command line', async () => {
      const api = await fakeApi({ status: 202, body: '{"id":"ingest-3","status":"queued"}' });
      try {
        const run = await runWithToken({ LOGPIPE_CONTROL_TOKEN: TOKEN }, api.port);
        expect(run.code).toBe(0);
        expect(api.requests[0].authorization).toBe(`Bearer ${TOKEN}`);
        expect(run.curlArgs).toContain('/v1/ingest');
        expect(run.curlArgs).not.toContain(TOKEN);
      } finally {
        await api.close();
      }
    });

    it.each([
      ['quoted, as install-ec2.sh writes it', `LOGPIPE_REGION='x'\nLOGPIPE_CONTROL_TOKEN='${TOKEN}'\n`],
      ['unquoted, the last line winning', `LOGPIPE_CONTROL_TOKEN=old-token-0123456789\nLOGPIPE_CONTROL_TOKEN=${TOKEN}\n`],
    ])('reads the token from LOGPIPE_ENV_FILE (%s) when the variable is unset', async (_what, content) => {
      const api = await fakeApi({ status: 202, body: '{"id":"ingest-4","status":"queued"}' });
      const envFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'trigger-env-')), 'env');
      fs.writeFileSync(envFile, content);
      try {
        const run = await runWithToken({ LOGPIPE_ENV_FILE: envFile }, api.port);
        expect(run.code).toBe(0);
        expect(api.requests[0].authorization).toBe(`Bearer ${TOKEN}`);
      } finally {
        await api.close();
      }
    });

    it('sends no Authorization header without a token', async () => {
      const api = await fakeApi({ status: 202, body: '{"id":"ingest-5","status":"queued"}' });
      try {
        expect((await runWithToken({}, api.port)).code).toBe(0);
        expect(api.requests[0].authorization).toBeUndefined();
      } finally {
        await api.close();
      }
    });

    // A newline in the variable would add header lines of the caller's choosing.
    it('refuses a token with characters that could forge headers, sending nothing', async () => {
      const api = await fakeApi({ status: 202, body: '{}' });
      try {
        const run = await runWithToken({ LOGPIPE_CONTROL_TOKEN: `${TOKEN}\nX-Forged: 1` }, api.port);
        expect(run.code).toBe(2);
        expect(run.stderr).toBe('trigger.sh: LOGPIPE_CONTROL_TOKEN holds characters a control token cannot have (A-Z a-z 0-9 . _ ~ + / = -)\n');
        expect(api.requests).toHaveLength(0);
      } finally {
        await api.close();
      }
    });
  });
});
