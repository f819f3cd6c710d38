import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { ControlAuth, isLoopbackHost } from './control-auth';
import { ControlServer, type ControlServerOptions, sendJson } from './control-server';
import { createLogger } from '../observability/logging';

const logger = createLogger({ level: 'error', format: 'json', stream: new PassThrough() });

async function withServer(readiness: Array<{ name: string; check(): Promise<boolean> }>, fn: (base: string, server: ControlServer) => Promise<void>): Promise<void> {
  const server = new ControlServer({ host: '127.0.0.1', port: 0, logger, readiness });
  const { port } = await server.listen();
  try {
    await fn(`http://127.0.0.1:${port}`, server);
  } finally {
    await server.close();
  }
}

describe('ControlServer', () => {
  it('answers /healthz while alive', async () => {
    await withServer([], async (base) => {
      const res = await fetch(`${base}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok' });
    });
  });

  it('/readyz is 503 naming the failing check, 200 once all pass', async () => {
    let kafkaUp = false;
    await withServer([{ name: 'kafka', check: async () => kafkaUp }, { name: 'other', check: () => Promise.reject(new Error('x')) }], async (base) => {
      let res = await fetch(`${base}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 'not ready', checks: { kafka: false, other: false } });
      kafkaUp = true;
      res = await fetch(`${base}/readyz`);
      expect(await res.json()).toMatchObject({ checks: { kafka: true, other: false } });
    });
    await withServer([{ name: 'kafka', check: async () => true }], async (base) => {
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
    });
  });

  it('404 for unknown paths, 405 with Allow for a wrong method, 500 with the message when a handler throws', async () => {
    await withServer([], async (base, server) => {
      server.route('POST', '/v1/thing', () => {
        throw new Error('handler broke');
      });
      expect((await fetch(`${base}/nope`)).status).toBe(404);
      const wrong = await fetch(`${base}/healthz`, { method: 'DELETE' });
      expect(wrong.status).toBe(405);
      expect(wrong.headers.get('allow')).toBe('GET');
      const broken = await fetch(`${base}/v1/thing`, { method: 'POST' });
      expect(broken.status).toBe(500);
      expect(await broken.json()).toEqual({ error: 'handler broke' });
    });
  });

  // The dashboard serves /reports/<name> through a prefix route; exact routes must keep priority.
  it('prefix routes: longest prefix wins, exact routes first, 405 names the prefix method, duplicates refused', async () => {
    await withServer([], async (base, server) => {
      server.routePrefix('GET', '/files/', (req, res) => sendJson(res, 200, { via: 'files', url: req.url }));
      server.routePrefix('GET', '/files/deep/', (_req, res) => sendJson(res, 200, { via: 'deep' }));
      server.route('GET', '/files/exact', (_req, res) => sendJson(res, 200, { via: 'exact' }));
      expect(await (await fetch(`${base}/files/a.txt?x=1`)).json()).toEqual({ via: 'files', url: '/files/a.txt?x=1' });
      expect(await (await fetch(`${base}/files/deep/b`)).json()).toEqual({ via: 'deep' });
      expect(await (await fetch(`${base}/files/exact`)).json()).toEqual({ via: 'exact' });
      expect((await fetch(`${base}/files`)).status).toBe(404);
      const wrong = await fetch(`${base}/files/deep/b`, { method: 'POST' });
      expect(wrong.status).toBe(405);
      expect(wrong.headers.get('allow')).toBe('GET');
      expect(() => server.routePrefix('GET', '/files/', (_q, r) => sendJson(r, 200, {}))).toThrow('route GET /files/* is already registered');
      expect(() => server.routePrefix('GET', '/nodash', (_q, r) => sendJson(r, 200, {}))).toThrow('route prefix must start and end with "/"');
    });
  });

  it('refuses a duplicate route', async () => {
    const server = new ControlServer({ host: '127.0.0.1', port: 0, logger, readiness: [] });
    server.route('GET', '/x', (_q, r) => sendJson(r, 200, {}));
    expect(() => server.route('GET', '/x', (_q, r) => sendJson(r, 200, {}))).toThrow('route GET /x is already registered');
  });

  it('names the address and the setting when the port is taken', async () => {
    await withServer([], async (base) => {
      const port = Number(new URL(base).port);
      const second = new ControlServer({ host: '127.0.0.1', port, logger, readiness: [] });
      await expect(second.listen()).rejects.toThrow(`control server: 127.0.0.1:${port} is already in use; stop the other process or set LOGPIPE_CONTROL_PORT`);
    });
  });
});

describe('ControlServer readiness timeout', () => {
  // A hung dependency must not hang the probe that reports it.
  it('counts a check that does not answer within 3 s as not ready', async () => {
    await withServer([{ name: 'stuck', check: () => new Promise<boolean>(() => undefined) }], async (base) => {
      const res = await fetch(`${base}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 'not ready', checks: { stuck: false } });
    });
  });
});

describe('ControlServer access control (control.token)', () => {
  const TOKEN = 'test-token-0123456789abcdef';

  /** A server with `token` ('' for none) and a logger whose output the test reads; POST /v1/thing and GET / answer. */
  async function withTokenServer(fn: (base: string, logText: () => string) => Promise<void>, token = TOKEN, extra: Partial<ControlServerOptions> = {}): Promise<void> {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (c: Buffer) => (text += c.toString()));
    const server = new ControlServer({ host: '127.0.0.1', port: 0, logger: createLogger({ level: 'debug', format: 'json', stream }), readiness: [], token, ...extra });
    server.route('POST', '/v1/thing', (_q, r) => sendJson(r, 202, { ok: true }));
    server.route('GET', '/', (_q, r) => sendJson(r, 200, { page: true }));
    const { port } = await server.listen();
    try {
      await fn(`http://127.0.0.1:${port}`, () => text);
    } finally {
      await server.close();
    }
  }

  // Off loopback, a token-less server would let anyone on the network trigger ingests.
  it.each(['0.0.0.0', '::', '10.1.2.3', 'logpipe.example.com', '128.0.0.1'])('refuses to be created on %s without a token, saying what to set', (host) => {
    expect(() => new ControlServer({ host, port: 0, logger, readiness: [] })).toThrow(
      `control.host is ${JSON.stringify(host)}, which is not a loopback address, and control.token is empty: anyone who can reach that address could ask for ingests and read the dashboard. Set LOGPIPE_CONTROL_TOKEN (control.token) to a long random secret, e.g. \`openssl rand -hex 32\`, or bind to 127.0.0.1 (LOGPIPE_CONTROL_HOST).`,
    );
    expect(() => new ControlServer({ host, port: 0, logger, readiness: [], token: TOKEN })).not.toThrow();
  });

  it.each(['127.0.0.1', '127.9.8.7', '::1', '[::1]', 'localhost', 'LOCALHOST', '::ffff:127.0.0.1'])('needs no token on loopback address %s', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
    expect(() => new ControlServer({ host, port: 0, logger, readiness: [] })).not.toThrow();
  });

  it('probes are public; every other route, known or not, needs the bearer token (401 with WWW-Authenticate and a reason)', async () => {
    await withTokenServer(async (base) => {
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);

      const none = await fetch(`${base}/v1/thing`, { method: 'POST' });
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer realm="logpipe"');
      expect(await none.json()).toEqual({ error: 'this control server requires a token: send "Authorization: Bearer <control.token>" (in a browser, open /?token=<control.token> once)' });

      const wrong = await fetch(`${base}/v1/thing`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}x` } });
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get('www-authenticate')).toBe('Bearer realm="logpipe", error="invalid_token"');
      expect(await wrong.json()).toEqual({ error: 'wrong bearer token' });

      const basic = await fetch(`${base}/v1/thing`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}` } });
      expect(basic.status).toBe(401);
      expect(await basic.json()).toEqual({ error: 'the Authorization header must be "Bearer <control.token>"' });

      // Unknown paths and wrong methods say nothing about the routes before authentication.
      expect((await fetch(`${base}/nope`)).status).toBe(401);
      expect((await fetch(`${base}/healthz`, { method: 'DELETE' })).status).toBe(401);

      const ok = await fetch(`${base}/v1/thing`, { method: 'POST', headers: { authorization: `bearer ${TOKEN}` } });
      expect(ok.status).toBe(202);
      expect((await fetch(`${base}/nope`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    });
  });

  // A browser cannot send a header when a person opens the dashboard: /?token= once, then a cookie.
  it('GET /?token= sets an HttpOnly SameSite=Strict cookie with Max-Age (not the token) and redirects to / without it; the cookie then works like the header', async () => {
    await withTokenServer(async (base) => {
      const login = await fetch(`${base}/?token=${TOKEN}`, { redirect: 'manual' });
      expect(login.status).toBe(303);
      expect(login.headers.get('location')).toBe('/');
      const setCookie = login.headers.get('set-cookie') ?? '';
      expect(setCookie).toMatch(/^logpipe_token=\d+\.[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=43200$/);
      expect(login.headers.get('referrer-policy')).toBe('no-referrer');
      expect(setCookie).not.toContain(TOKEN);
      const cookie = setCookie.split(';')[0];

      const page = await fetch(`${base}/`, { headers: { cookie: `other=1; ${cookie}` } });
      expect(page.status).toBe(200);
      expect(await page.json()).toEqual({ page: true });
      expect((await fetch(`${base}/v1/thing`, { method: 'POST', headers: { cookie } })).status).toBe(202);

      const badLogin = await fetch(`${base}/?token=${TOKEN.slice(0, -1)}`, { redirect: 'manual' });
      expect(badLogin.status).toBe(401);
      expect(badLogin.headers.get('set-cookie')).toBeNull();
      // The query is accepted on GET / only: elsewhere it would end up in logs and histories for nothing.
      expect((await fetch(`${base}/v1/thing?token=${TOKEN}`, { method: 'POST' })).status).toBe(401);

      const stale = await fetch(`${base}/`, { headers: { cookie: 'logpipe_token=from-an-old-token' } });
      expect(stale.status).toBe(401);
      expect(stale.headers.get('set-cookie')).toBe('logpipe_token=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0');
    });
  });

  // Issue 16: the cookie never expired, so a copied cookie was a login for good.
  it('refuses a login cookie once it has expired, or with its expiry changed, and drops it', async () => {
    let now = Date.UTC(2026, 11, 1);
    const auth = new ControlAuth(TOKEN, { loginMaxAgeSeconds: 60, now: () => now });
    const cookie = auth.loginCookie().split(';')[0];
    const req = (c: string) => ({ method: 'GET', headers: { cookie: c, host: '127.0.0.1' } }) as unknown as http.IncomingMessage;
    const url = new URL('http://control/');
    expect(auth.decide(req(cookie), url)).toEqual({ kind: 'allow' });
    const [name, value] = cookie.split('=');
    const [expires, mac] = value.split('.');
    expect(auth.decide(req(`${name}=${Number(expires) + 3600}.${mac}`), url)).toMatchObject({ kind: 'deny', status: 401, reason: 'stale login cookie' });
    now += 61_000;
    const expired = auth.decide(req(cookie), url);
    expect(expired).toMatchObject({ kind: 'deny', status: 401, reason: 'stale login cookie', headers: { 'set-cookie': 'logpipe_token=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0' } });
    // Another token's cookie, however fresh, is not this server's.
    expect(new ControlAuth(`${TOKEN}x`, { now: () => now }).decide(req(new ControlAuth(TOKEN, { now: () => now }).loginCookie().split(';')[0]), url)).toMatchObject({ kind: 'deny' });
  });

  it('marks the cookie Secure with control.secureCookie, and POST /logout clears it', async () => {
    await withTokenServer(
      async (base) => {
        const login = await fetch(`${base}/?token=${TOKEN}`, { redirect: 'manual' });
        expect(login.headers.get('set-cookie')).toMatch(/; HttpOnly; SameSite=Strict; Path=\/; Secure; Max-Age=600$/);
        const logout = await fetch(`${base}/logout`, { method: 'POST', redirect: 'manual' });
        expect(logout.status).toBe(303);
        expect(logout.headers.get('location')).toBe('/');
        expect(logout.headers.get('set-cookie')).toBe('logpipe_token=; HttpOnly; SameSite=Strict; Path=/; Secure; Max-Age=0');
      },
      TOKEN,
      { secureCookie: true, loginMaxAgeSeconds: 600 },
    );
  });

  // Issue 16: the host's other users reached the API over TCP without a token. The socket is
  // guarded by its file mode instead; TCP keeps needing the token.
  it('serves control.socket with mode 0660, where requests need no token, while TCP still does', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-sock-'));
    const socketPath = path.join(dir, 'control.sock');
    // A socket already at the path, left by a killed run (bound, nobody listening), is replaced.
    execFileSync('python3', ['-c', 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', socketPath]);
    expect(fs.lstatSync(socketPath).isSocket()).toBe(true);
    try {
      await withTokenServer(
        async (base) => {
          expect(fs.statSync(socketPath).mode & 0o777).toBe(0o660);
          const viaSocket = await new Promise<number>((resolve, reject) => {
            const req = http.request({ socketPath, method: 'POST', path: '/v1/thing', headers: { host: 'localhost' } }, (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            });
            req.on('error', reject);
            req.end();
          });
          expect(viaSocket).toBe(202);
          expect((await fetch(`${base}/v1/thing`, { method: 'POST' })).status).toBe(401);
        },
        TOKEN,
        { socketPath },
      );
      fs.writeFileSync(path.join(dir, 'plain-file'), 'x');
      const server = new ControlServer({ host: '127.0.0.1', port: 0, logger, readiness: [], socketPath: path.join(dir, 'plain-file') });
      await expect(server.listen()).rejects.toThrow(`control server: ${path.join(dir, 'plain-file')} exists and is not a socket`);
      expect(fs.readFileSync(path.join(dir, 'plain-file'), 'utf8')).toBe('x');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  // Review of issue 16: a second instance deleted the socket of the one running and took it over.
  it('leaves a socket that a running process answers on alone', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-sock-'));
    const socketPath = path.join(dir, 'control.sock');
    const running = net.createServer((c) => c.on('error', () => undefined).end('mine'));
    await new Promise<void>((r) => running.listen(socketPath, () => r()));
    try {
      const second = new ControlServer({ host: '127.0.0.1', port: 0, logger, readiness: [], socketPath });
      await expect(second.listen()).rejects.toThrow(`control server: ${socketPath} is in use by another running process`);
      const answer = await new Promise<string>((resolve, reject) => {
        let text = '';
        net.connect(socketPath).on('data', (b: Buffer) => (text += b.toString())).on('end', () => resolve(text)).on('error', reject);
      });
      expect(answer).toBe('mine');
    } finally {
      await new Promise<void>((r) => running.close(() => r()));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('logs each refusal with a reason, never a token', async () => {
    await withTokenServer(async (base, logText) => {
      await fetch(`${base}/v1/thing`, { method: 'POST', headers: { authorization: 'Bearer near-miss-0123456789abcdef' } });
      await fetch(`${base}/?token=another-near-miss-0123456789`, { redirect: 'manual' });
      await fetch(`${base}/?token=${TOKEN}`, { redirect: 'manual' });
      const refusals = logText().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.message === 'control request refused');
      expect(refusals.map((e) => [e.method, e.path, e.reason])).toEqual([
        ['POST', '/v1/thing', 'wrong bearer token'],
        ['GET', '/', 'wrong token in ?token='],
      ]);
      expect(logText()).not.toMatch(/near-miss|test-token/);
    });
  });

  // DNS rebinding: a page whose domain now resolves to 127.0.0.1 is same-origin with the API.
  it('without a token, answers only requests addressed to a loopback name', async () => {
    await withTokenServer(async (base) => {
      const port = new URL(base).port;
      const status = (host: string | undefined): Promise<number> => rawStatus(Number(port), `GET / HTTP/1.1\r\n${host === undefined ? '' : `Host: ${host}\r\n`}Connection: close\r\n\r\n`);
      expect(await status(`127.0.0.1:${port}`)).toBe(200);
      expect(await status(`localhost:${port}`)).toBe(200);
      expect(await status(`[::1]:${port}`)).toBe(200);
      expect(await status(`attacker.example:${port}`)).toBe(403);
      expect(await status('attacker.example')).toBe(403);
      // The probes stay reachable whatever the name.
      expect(await rawStatus(Number(port), 'GET /healthz HTTP/1.1\r\nHost: lb.internal\r\nConnection: close\r\n\r\n')).toBe(200);
    }, '');
  });
});

describe('ControlServer: requests Node or the router refuse', () => {
  // `GET http://[` made new URL() throw inside dispatch: an unhandled rejection that ended the process.
  it('answers 400 with a JSON reason for a request target that is not a URL, and keeps serving', async () => {
    await withServer([], async (base) => {
      const port = Number(new URL(base).port);
      const answer = await rawAnswer(port, 'GET http://[ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({ error: 'the request target "http://[" is not a valid URL path' });
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    });
  });

  it('answers 431 with a JSON reason for a request line over the header limit, 400 for malformed HTTP', async () => {
    await withServer([], async (base) => {
      const port = Number(new URL(base).port);
      const huge = await rawAnswer(port, `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      expect(huge).toMatch(/^HTTP\/1\.1 431 /);
      expect(huge).toContain(`{"error":"the request line and headers are over ${http.maxHeaderSize} bytes"}`);
      const garbage = await rawAnswer(port, 'HELLO\x00 WORLD\r\n\r\n');
      expect(garbage).toMatch(/^HTTP\/1\.1 400 /);
      expect(garbage).toMatch(/\{"error":"malformed HTTP request \(HPE_[A-Z_]+\)"\}$/);
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    });
  });

  it('cuts long paths in 404 answers', async () => {
    await withServer([], async (base) => {
      const res = await fetch(`${base}/${'x'.repeat(5000)}`);
      expect(res.status).toBe(404);
      const { error } = (await res.json()) as { error: string };
      expect(error).toBe(`no such endpoint: GET /${'x'.repeat(199)}... (5001 characters)`);
    });
  });

  // A client that sends headers and then trickles (or never sends) its body must not hold a connection forever.
  it('answers 408 when a request is not complete within the request timeout', async () => {
    const server = new ControlServer({ host: '127.0.0.1', port: 0, logger, readiness: [], requestTimeoutMs: 500 });
    server.route('POST', '/v1/thing', async (req, res) => {
      for await (const _chunk of req) void _chunk;
      sendJson(res, 202, {});
    });
    const { port } = await server.listen();
    try {
      const answer = await rawAnswer(port, 'POST /v1/thing HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"bu');
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(answer).toContain('{"error":"the request was not received within 500 ms"}');
    } finally {
      await server.close();
    }
  });
});

/** Sends `request` as raw bytes and resolves with everything the server answers until it closes. */
function rawAnswer(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
    socket.on('end', () => resolve(text));
    socket.on('error', (err) => (text ? resolve(text) : reject(err)));
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no answer within 10 s; got ${JSON.stringify(text)}`)));
  });
}

async function rawStatus(port: number, request: string): Promise<number> {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(await rawAnswer(port, request))?.[1]);
}
