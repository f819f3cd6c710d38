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
const envDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trigger-env-'));
afterAll(() => fs.rmSync(envDir, { recursive: true, force: true }));
let envFiles = 0;

/** An env file as install-ec2.sh writes it, with `settings`; trigger.sh reads its settings from there only. */
function envFile(settings: Record<string, string>): string {
  const file = path.join(envDir, `env-${++envFiles}`);
  fs.writeFileSync(file, Object.entries(settings).map(([k, v]) => `${k}='${v}'\n`).join(''));
  return file;
}

/** The environment of a run against the fake API on `port`: settings in an env file, none in the environment. */
function envFor(port: number, settings: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOGPIPE_ENV_FILE: envFile({ LOGPIPE_CONTROL_PORT: String(port), ...settings }) };
  delete env.LOGPIPE_CONTROL_PORT;
  delete env.LOGPIPE_CONTROL_TOKEN;
  return env;
}

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
    execFile('sh', ['-c', command], { env: envFor(port), encoding: 'utf8' }, (error, stdout, stderr) => {
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
        execFile(TRIGGER, ['--key-encoding', 'percent', '--', 'logs', 'a%FFb'], { env: envFor(api.port), encoding: 'utf8' }, (error, stdout, stderr) =>
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
        execFile(TRIGGER, ['logs', '-k'], { env: envFor(api.port) }, (error) => resolve(error ? 1 : 0));
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

  describe('settings, token, socket and proxies', () => {
    const TOKEN = 'c0ffee0123456789abcdef.~+/=-_';

    /**
     * Runs trigger.sh with the env file `content` and the extra environment `env`, a `curl` first on
     * PATH that records its arguments, then runs the real one.
     */
    async function runWith(content: string, env: NodeJS.ProcessEnv = {}): Promise<Run & { curlArgs: string }> {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trigger-sh-'));
      const argsFile = path.join(dir, 'curl-args');
      const realCurl = await new Promise<string>((resolve) => execFile('sh', ['-c', 'command -v curl'], (_e, out) => resolve(String(out).trim())));
      fs.writeFileSync(path.join(dir, 'curl'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${argsFile}'\nexec '${realCurl}' "$@"\n`, { mode: 0o755 });
      fs.writeFileSync(path.join(dir, 'env'), content);
      const base: NodeJS.ProcessEnv = { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}`, LOGPIPE_ENV_FILE: path.join(dir, 'env') };
      delete base.LOGPIPE_CONTROL_TOKEN;
      delete base.LOGPIPE_CONTROL_PORT;
      const run = await new Promise<Run>((resolve) => {
        execFile(TRIGGER, ['--', 'logs', 'k.log'], { env: { ...base, ...env }, encoding: 'utf8' }, (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr }));
      });
      const curlArgs = fs.existsSync(argsFile) ? fs.readFileSync(argsFile, 'utf8') : '';
      fs.rmSync(dir, { recursive: true, force: true });
      return { ...run, curlArgs };
    }

    // A service bound beyond loopback requires the token (control.token); the SSM document cannot
    // carry it, so the script sends it, and never on curl's command line (ps shows that).
    it.each([
      ['quoted, as install-ec2.sh writes it', (port: number) => `LOGPIPE_REGION='x'\nLOGPIPE_CONTROL_PORT='${port}'\nLOGPIPE_CONTROL_TOKEN='${TOKEN}'\n`],
      ['unquoted, the last line winning', (port: number) => `LOGPIPE_CONTROL_PORT=${port}\nLOGPIPE_CONTROL_TOKEN=old-token-0123456789\nLOGPIPE_CONTROL_TOKEN=${TOKEN}\n`],
    ])('sends the env file\'s token (%s) as a bearer token, not on the command line', async (_what, content) => {
      const api = await fakeApi({ status: 202, body: '{"id":"ingest-4","status":"queued"}' });
      try {
        const run = await runWith(content(api.port));
        expect(run.code).toBe(0);
        expect(api.requests[0].authorization).toBe(`Bearer ${TOKEN}`);
        expect(run.curlArgs).toContain('/v1/ingest');
        expect(run.curlArgs).not.toContain(TOKEN);
      } finally {
        await api.close();
      }
    });

    // Issue 16: the port and token came from the caller's environment, so the request (and the
    // token) went wherever the environment said.
    it('ignores LOGPIPE_CONTROL_PORT and LOGPIPE_CONTROL_TOKEN of its environment', async () => {
      const api = await fakeApi({ status: 202, body: '{"id":"ingest-5","status":"queued"}' });
      const decoy = await fakeApi({ status: 202, body: '{"id":"decoy","status":"queued"}' });
      try {
        const run = await runWith(`LOGPIPE_CONTROL_PORT='${api.port}'\n`, { LOGPIPE_CONTROL_PORT: String(decoy.port), LOGPIPE_CONTROL_TOKEN: TOKEN });
        expect(run.code).toBe(0);
        expect(api.requests).toHaveLength(1);
        expect(api.requests[0].authorization).toBeUndefined();
        expect(decoy.requests).toHaveLength(0);
      } finally {
        await api.close();
        await decoy.close();
      }
    });

    // Issue 16: with the SSM agent's proxy set-up, curl sent the loopback request and the token to the proxy.
    it('never uses a proxy, whatever the environment or ~/.curlrc say', async () => {
      const api = await fakeApi({ status: 202, body: '{"id":"ingest-6","status":"queued"}' });
      const proxy = await fakeApi({ status: 202, body: '{"id":"from-the-proxy","status":"queued"}' });
      const home = fs.mkdtempSync(path.join(os.tmpdir(), 'trigger-home-'));
      fs.writeFileSync(path.join(home, '.curlrc'), `proxy = "http://127.0.0.1:${proxy.port}"\n`);
      const viaProxy = `http://127.0.0.1:${proxy.port}`;
      try {
        const run = await runWith(`LOGPIPE_CONTROL_PORT='${api.port}'\nLOGPIPE_CONTROL_TOKEN='${TOKEN}'\n`, { http_proxy: viaProxy, HTTP_PROXY: viaProxy, ALL_PROXY: viaProxy, all_proxy: viaProxy, NO_PROXY: '', HOME: home });
        expect(run).toMatchObject({ code: 0, stdout: '{"id":"ingest-6","status":"queued"}\n' });
        expect(proxy.requests).toHaveLength(0);
        expect(run.curlArgs.split('\n').slice(0, 3)).toEqual(['--disable', '--noproxy', '*']);
      } finally {
        await api.close();
        await proxy.close();
        fs.rmSync(home, { recursive: true, force: true });
      }
    });

    // Issue 16: the service listens on a Unix socket only root and its group can open; no token needed.
    it('uses the socket of LOGPIPE_CONTROL_SOCKET, sending no token', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trigger-sock-'));
      const socketPath = path.join(dir, 'control.sock');
      const requests: Array<{ url?: string; host?: string; authorization?: string; body: string }> = [];
      const server = http.createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          requests.push({ url: req.url, host: req.headers.host, authorization: req.headers.authorization, body });
          res.writeHead(202, { 'content-type': 'application/json' });
          res.end('{"id":"ingest-7","status":"queued"}');
        });
      });
      await new Promise<void>((resolve) => server.listen(socketPath, resolve));
      try {
        const run = await runWith(`LOGPIPE_CONTROL_SOCKET='${socketPath}'\nLOGPIPE_CONTROL_PORT='1'\nLOGPIPE_CONTROL_TOKEN='${TOKEN}'\n`);
        expect(run).toMatchObject({ code: 0, stdout: '{"id":"ingest-7","status":"queued"}\n' });
        expect(requests).toEqual([{ url: '/v1/ingest', host: 'localhost', authorization: undefined, body: '{"bucket": "logs", "key": "k.log"}' }]);
        await new Promise<void>((resolve) => server.close(() => resolve()));
        const down = await runWith(`LOGPIPE_CONTROL_SOCKET='${socketPath}'\n`);
        expect(down).toMatchObject({ code: 3, stderr: `trigger.sh: logpipe is not running: connection refused at unix:${socketPath}\n` });
      } finally {
        server.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('sends no Authorization header without a token', async () => {
      const api = await fakeApi({ status: 202, body: '{"id":"ingest-5","status":"queued"}' });
      try {
        expect((await runWith(`LOGPIPE_CONTROL_PORT='${api.port}'\n`)).code).toBe(0);
        expect(api.requests[0].authorization).toBeUndefined();
      } finally {
        await api.close();
      }
    });

    // A newline in the value would add header lines of the caller's choosing.
    it('refuses a token with characters that could forge headers, sending nothing', async () => {
      const api = await fakeApi({ status: 202, body: '{}' });
      try {
        const run = await runWith(`LOGPIPE_CONTROL_PORT='${api.port}'\nLOGPIPE_CONTROL_TOKEN='${TOKEN} X-Forged: 1'\n`);
        expect(run.code).toBe(2);
        expect(run.stderr).toBe('trigger.sh: LOGPIPE_CONTROL_TOKEN holds characters a control token cannot have (A-Z a-z 0-9 . _ ~ + / = -)\n');
        expect(api.requests).toHaveLength(0);
      } finally {
        await api.close();
      }
    });
  });
});
