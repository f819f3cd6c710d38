/**
 * Fault suite R7: the control API of a real `logpipe start` under hostile and broken requests.
 * Every refusal is a 4xx with a JSON reason, the service keeps running and still ingests a good
 * object afterwards. Binding beyond loopback without control.token refuses to start; with a token,
 * requests without it or with a wrong one get 401, `logpipe trigger`, shell/trigger.sh and the
 * dashboard login get through. Rows go to docs/reliability.md.
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../../src/system/config/paths';
import { runCli } from '../support/exactly-once';
import { faultScenario } from '../support/fault-scenario';
import { freePort } from '../support/helpers';

const scenario = faultScenario('R7', { timeoutMs: 240_000 });
const { bucket } = scenario;
const bin = path.join(packageRoot(), 'dist', 'cli', 'main.js');
const TOKEN = crypto.randomBytes(24).toString('hex');
const serviceEnv = { LOGPIPE_REPORT_ENABLED: 'false', LOGPIPE_LOG_LEVEL: 'info' };

const lines = (n: number, tag: string): string => Array.from({ length: n }, (_, i) => `10:00:${String(i % 60).padStart(2, '0')}.000 [main] INFO app.${tag} - line ${i}`).join('\n') + '\n';
const GOOD = { key: 'good/LogFileGenerator.2026-11-25.log', body: lines(2000, 'Good') };
const GOOD_WITH_TOKEN = { key: 'token/LogFileGenerator.2026-11-25.log', body: lines(1000, 'Token') };
const VIA_SOCKET = { key: 'socket/LogFileGenerator.2026-11-25.log', body: lines(500, 'Socket') };

beforeAll(async () => {
  for (const o of [GOOD, GOOD_WITH_TOKEN, VIA_SOCKET]) await scenario.upload(o.key, o.body);
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface RequestSpec {
  method?: string;
  path?: string;
  headers?: http.OutgoingHttpHeaders;
  /** Written in this order, `delayMs` apart (a slow sender); none for no body. */
  chunks?: Buffer[];
  delayMs?: number;
}

/** One request with Node's client (any method, header and chunking), resolving with the answer. */
function request(port: number, spec: RequestSpec): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: spec.method ?? 'POST', path: spec.path ?? '/v1/ingest', headers: spec.headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    void (async () => {
      for (const c of spec.chunks ?? []) {
        if (req.destroyed) return;
        req.write(c);
        if (spec.delayMs) await new Promise((r) => setTimeout(r, spec.delayMs));
      }
      req.end();
    })();
  });
}

/** Raw bytes on a socket, for what Node's client refuses to send; resolves with the answer once the server closes. */
function rawRequest(port: number, bytes: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes, 'latin1'));
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
    const done = (): void => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      const split = text.indexOf('\r\n\r\n');
      resolve({ status, headers: {}, body: split >= 0 ? text.slice(split + 4) : '' });
    };
    socket.on('end', done);
    socket.on('error', (err) => (text ? done() : reject(err)));
    socket.setTimeout(60_000, () => socket.destroy(new Error(`no answer within 60 s; got ${JSON.stringify(text.slice(0, 200))}`)));
  });
}

const json = { 'content-type': 'application/json' };
const body = (text: string): Buffer[] => [Buffer.from(text)];

interface Case {
  what: string;
  send: (port: number) => Promise<Answer>;
  status: number;
  /** The reason the JSON answer must give. */
  error: RegExp;
  extra?: (a: Answer) => void;
}

const CASES: Case[] = [
  { what: 'malformed JSON', send: (p) => request(p, { headers: json, chunks: body('{"bucket": "logs", ') }), status: 400, error: /^body is not JSON: / },
  { what: 'an empty body', send: (p) => request(p, { headers: json }), status: 400, error: /^body is not JSON: / },
  { what: 'a JSON array', send: (p) => request(p, { headers: json, chunks: body('[1,2]') }), status: 400, error: /^body must be a JSON object/ },
  { what: 'a missing field (bucket)', send: (p) => request(p, { headers: json, chunks: body(`{"key":"k"}`) }), status: 400, error: /^missing field "bucket"$/ },
  { what: 'a missing field (key)', send: (p) => request(p, { headers: json, chunks: body(`{"bucket":"${bucket}"}`) }), status: 400, error: /^missing field "key"$/ },
  { what: 'a wrong type (bucket: number)', send: (p) => request(p, { headers: json, chunks: body('{"bucket":42,"key":"k"}') }), status: 400, error: /^bucket must be a string, got a number$/ },
  { what: 'a wrong type (key: array)', send: (p) => request(p, { headers: json, chunks: body(`{"bucket":"${bucket}","key":["k"]}`) }), status: 400, error: /^key must be a string, got an array$/ },
  { what: 'a wrong type (versionId: object)', send: (p) => request(p, { headers: json, chunks: body(`{"bucket":"${bucket}","key":"k","versionId":{}}`) }), status: 400, error: /^versionId must be a non-empty string/ },
  { what: 'an unknown field', send: (p) => request(p, { headers: json, chunks: body(`{"bucket":"${bucket}","key":"k","priority":1}`) }), status: 400, error: /^unknown field "priority"/ },
  { what: 'a `__proto__` field', send: (p) => request(p, { headers: json, chunks: body(`{"bucket":"${bucket}","key":"k","__proto__":{"admin":true}}`) }), status: 400, error: /^unknown field "__proto__"/ },
  { what: 'JSON nested 30,000 deep (60 KB)', send: (p) => request(p, { headers: json, chunks: body(`${'['.repeat(30_000)}${']'.repeat(30_000)}`) }), status: 400, error: /^body (is not JSON|must be a JSON object)/ },
  { what: 'a key over 1024 bytes', send: (p) => request(p, { headers: json, chunks: body(JSON.stringify({ bucket, key: 'k'.repeat(2000) })) }), status: 400, error: /^object key is 2000 bytes long; S3 allows at most 1024$/ },
  // The keys the trigger Lambda refuses, refused by the API with the same words (src/ingest/object-names.ts).
  { what: 'a key with a NUL byte', send: (p) => request(p, { headers: json, chunks: body(`{"bucket":"${bucket}","key":"logs/nul\\u0000.log"}`) }), status: 400, error: /^object key contains a NUL byte, which cannot be carried to the host$/ },
  { what: 'a key with a lone surrogate', send: (p) => request(p, { headers: json, chunks: body(`{"bucket":"${bucket}","key":"logs/\\ud800.log"}`) }), status: 400, error: /^object key is not well-formed Unicode \(lone surrogate\)$/ },
  {
    what: 'a 100 KiB body with Content-Length',
    send: (p) => request(p, { headers: { ...json, 'content-length': String(100 * 1024) }, chunks: [Buffer.alloc(100 * 1024, ' ')] }),
    status: 413,
    error: /^body over 65536 bytes/,
  },
  {
    what: 'a 100 KiB chunked body sent slowly (1 KiB per 10 ms)',
    send: (p) => request(p, { headers: { ...json, 'transfer-encoding': 'chunked' }, chunks: Array.from({ length: 100 }, () => Buffer.alloc(1024, ' ')), delayMs: 10 }),
    status: 413,
    error: /^body over 65536 bytes/,
  },
  { what: 'content-type text/plain', send: (p) => request(p, { headers: { 'content-type': 'text/plain' }, chunks: body(JSON.stringify({ bucket, key: 'k' })) }), status: 415, error: /^content-type must be application\/json, got "text\/plain"$/ },
  { what: 'a form post (what a foreign web page can send)', send: (p) => request(p, { headers: { 'content-type': 'application/x-www-form-urlencoded' }, chunks: body('bucket=x&key=y') }), status: 415, error: /^content-type must be application\/json/ },
  { what: 'no content-type', send: (p) => request(p, { chunks: body(JSON.stringify({ bucket, key: 'k' })) }), status: 415, error: /^content-type must be application\/json, got none$/ },
  { what: 'an unknown path', send: (p) => request(p, { method: 'GET', path: '/v2/admin' }), status: 404, error: /^no such endpoint: GET \/v2\/admin$/ },
  { what: 'a path with ../ and encoded slashes', send: (p) => request(p, { method: 'GET', path: '/v1/ingest/../../etc/passwd%2f..' }), status: 404, error: /^no such endpoint: GET \/etc\/passwd%2f\.\.$/ },
  {
    what: 'a wrong method (GET /v1/ingest)',
    send: (p) => request(p, { method: 'GET' }),
    status: 405,
    error: /^method GET not allowed on \/v1\/ingest; allowed: POST$/,
    extra: (a) => expect(a.headers.allow).toBe('POST'),
  },
  { what: 'a wrong method (DELETE /healthz)', send: (p) => request(p, { method: 'DELETE', path: '/healthz' }), status: 405, error: /^method DELETE not allowed on \/healthz/ },
  { what: 'a 10 KB URL', send: (p) => request(p, { method: 'GET', path: `/${'a'.repeat(10_000)}` }), status: 404, error: /^no such endpoint: GET \/a{199}\.\.\. \(10001 characters\)$/ },
  { what: 'a 100 KB URL', send: (p) => rawRequest(p, `GET /${'a'.repeat(100_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`), status: 431, error: /^the request line and headers are over \d+ bytes$/ },
  // Before R7 this threw inside the router: an unhandled rejection that ended the service.
  { what: 'a request target that is not a URL (`GET http://[`)', send: (p) => rawRequest(p, 'GET http://[ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'), status: 400, error: /^the request target "http:\/\/\[" is not a valid URL path$/ },
  { what: 'bytes that are not HTTP', send: (p) => rawRequest(p, '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 TLS hello\r\n\r\n'), status: 400, error: /^malformed HTTP request \(HPE_/ },
  {
    what: 'a Host header naming another site (DNS rebinding)',
    send: (p) => request(p, { method: 'GET', path: '/', headers: { host: 'attacker.example' } }),
    status: 403,
    error: /^without control\.token this server answers only requests addressed to 127\.0\.0\.1/,
  },
];

describe('R7 control API', () => {
  it('answers every bad request with a 4xx and a JSON reason, keeps running, then ingests a good object', async () => {
    const service = await scenario.start(serviceEnv);
    // Headers, then a body that never comes: the request timeout (30 s) must free the connection.
    // Started first, it runs while the other cases do.
    const slowloris = rawRequest(service.port, `POST /v1/ingest HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{"bucket"`);

    const failures: string[] = [];
    const check = (what: string, a: Answer, status: number, error: RegExp): boolean => {
      let reason: unknown;
      try {
        reason = (JSON.parse(a.body) as { error?: unknown }).error;
      } catch {
        reason = undefined;
      }
      const ok = a.status === status && typeof reason === 'string' && error.test(reason);
      if (!ok) failures.push(`${what}: expected ${status} with an error matching ${error}, got ${a.status} ${JSON.stringify(a.body.slice(0, 300))}`);
      scenario.record({
        scenario: `control API: ${what}`,
        injected: 'one request to a running `logpipe start` (127.0.0.1, no token)',
        checked: `HTTP ${status} with a JSON reason; the service stays up`,
        result: ok ? `pass (${a.status}: ${String(reason).slice(0, 90)})` : `FAIL (${a.status}: ${a.body.slice(0, 90)})`,
      });
      return ok;
    };
    for (const c of CASES) {
      const a = await c.send(service.port);
      if (check(c.what, a, c.status, c.error)) c.extra?.(a);
    }
    check('headers, then a body that never comes (slowloris)', await slowloris, 408, /^the request was not received within 30000 ms$/);
    expect(failures).toEqual([]);

    expect(service.child.exitCode).toBeNull();
    expect((await fetch(`http://127.0.0.1:${service.port}/healthz`)).status).toBe(200);
    expect(await service.trigger(bucket, GOOD.key)).toBe(202);
    const outcome = (await scenario.outcomes([GOOD.key], 120_000)).get(GOOD.key);
    expect(outcome).toMatchObject({ status: 'done', lines: 2000 });
    const records = (await scenario.readLog(2000, 1500, 60_000)).filter((r) => r.key === GOOD.key);
    expect(records.map((r) => r.value.toString())).toEqual(GOOD.body.trimEnd().split('\n'));
    // No request reached the ingest queue but the good one: no ledger entry for the keys above.
    const refusedKeys = ['k', 'k'.repeat(2000), 'y', 'logs/nul\0.log', 'logs/\ud800.log'];
    const ledger = await scenario.outcomes([GOOD.key], 30_000);
    expect(refusedKeys.filter((k) => ledger.has(k))).toEqual([]);
    expect(service.child.exitCode).toBeNull();
    scenario.record({
      scenario: `control API: a good object after the ${CASES.length + 1} bad requests (2,000 lines)`,
      injected: 'POST /v1/ingest',
      checked: 'the service still running; 202; every line once, in order',
      result: 'pass',
    });
    await service.stop();
  });

  // Whoever reaches the API (a local user without a token, a leaked token) must not make the
  // service read other buckets with the host's role, or keys outside its prefix.
  it('with ingest.allowedPrefixes: 403 for another bucket or another prefix, 202 inside it', async () => {
    const service = await scenario.start({ ...serviceEnv, LOGPIPE_INGEST_ALLOWED_PREFIXES: `${bucket}/good/` });
    const rows: Array<[string, Answer, number]> = [
      ['another bucket', await request(service.port, { headers: json, chunks: body(JSON.stringify({ bucket: 'someone-elses-bucket', key: 'good/x.log' })) }), 403],
      ['a key outside the prefix', await request(service.port, { headers: json, chunks: body(JSON.stringify({ bucket, key: 'token/x.log' })) }), 403],
      ['a prefix look-alike (good-old/)', await request(service.port, { headers: json, chunks: body(JSON.stringify({ bucket, key: 'good-old/x.log' })) }), 403],
      ['a key under the prefix', await request(service.port, { headers: json, chunks: body(JSON.stringify({ bucket, key: GOOD.key })) }), 202],
    ];
    const failures: string[] = [];
    for (const [what, a, status] of rows) {
      const error = status === 403 ? ((JSON.parse(a.body) as { error?: string }).error ?? '') : '';
      const ok = a.status === status && (status !== 403 || /is outside ingest\.allowedPrefixes/.test(error));
      if (!ok) failures.push(`${what}: expected ${status}, got ${a.status} ${a.body.slice(0, 200)}`);
      scenario.record({
        scenario: `control API with ingest.allowedPrefixes=<bucket>/good/: ${what}`,
        injected: 'POST /v1/ingest to a running `logpipe start`',
        checked: status === 403 ? 'HTTP 403 naming ingest.allowedPrefixes; nothing queued' : 'HTTP 202',
        result: ok ? `pass (${a.status}${error ? `: ${error.slice(0, 90)}` : ''})` : `FAIL (${a.status}: ${a.body.slice(0, 90)})`,
      });
    }
    expect(failures).toEqual([]);
    expect(service.log()).toContain('ingest request refused');
    expect(service.child.exitCode).toBeNull();
    await service.stop();
  });

  // Issue 16: without a token any local user could use the API; trigger.sh sent the token to
  // whatever held the port (a user who bound it while logpipe restarted) or to a proxy from its
  // environment. Now the service listens on a socket only root and its group can open, trigger.sh
  // uses it, never a proxy, and TCP needs the token.
  it('with control.socket: trigger.sh goes through the 0660 socket, not to a port squatter or a proxy; TCP needs the token', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-r7-sock-'));
    const socketPath = path.join(dir, 'control.sock');
    const service = await scenario.start({ ...serviceEnv, LOGPIPE_CONTROL_SOCKET: socketPath, LOGPIPE_CONTROL_TOKEN: TOKEN });
    // Stand-ins for a port squatter and a proxy: they record what reaches them and answer 202.
    const heard: string[] = [];
    const listeners = await Promise.all(
      ['squatter', 'proxy'].map(async (who) => {
        const server = http.createServer((req, res) => {
          heard.push(`${who}: ${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
          res.writeHead(202, { 'content-type': 'application/json' });
          res.end('{"id":"fake","status":"queued"}');
        });
        await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
        return { server, port: (server.address() as net.AddressInfo).port };
      }),
    );
    const [squatter, proxy] = listeners;
    const results: Array<[string, string, string, boolean]> = [];
    try {
      const mode = (fs.statSync(socketPath).mode & 0o777).toString(8);
      results.push(['the socket file', 'mode 0660', mode, mode === '660']);
      const tcp = await request(service.port, { headers: json, chunks: body(JSON.stringify({ bucket, key: VIA_SOCKET.key })) });
      results.push(['another local user over TCP without the token', '401', String(tcp.status), tcp.status === 401]);

      const envFile = path.join(dir, 'env');
      fs.writeFileSync(envFile, `LOGPIPE_CONTROL_SOCKET='${socketPath}'\nLOGPIPE_CONTROL_PORT='${squatter.port}'\nLOGPIPE_CONTROL_TOKEN='${TOKEN}'\n`);
      const viaProxy = `http://127.0.0.1:${proxy.port}`;
      const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(
          path.join(packageRoot(), 'shell', 'trigger.sh'),
          ['--', bucket, VIA_SOCKET.key],
          { env: { ...process.env, LOGPIPE_ENV_FILE: envFile, http_proxy: viaProxy, HTTP_PROXY: viaProxy, ALL_PROXY: viaProxy, LOGPIPE_CONTROL_PORT: String(squatter.port) } },
          (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
      });
      const answer = run.stdout.trim();
      results.push([
        'shell/trigger.sh with the socket in its env file, the TCP port held by a squatter, http_proxy and ALL_PROXY set',
        'exit 0 with the service\'s answer; nothing reached the squatter or the proxy',
        `exit ${run.code} ${answer.slice(0, 80)}; heard: ${heard.length ? heard.join('; ') : 'nothing'}`,
        run.code === 0 && answer.includes(`s3://${bucket}/${VIA_SOCKET.key}`) && heard.length === 0,
      ]);
      const outcome = (await scenario.outcomes([VIA_SOCKET.key], 120_000)).get(VIA_SOCKET.key);
      results.push(['the object triggered through the socket', 'ingested: 500 lines', `${outcome?.status} ${outcome?.lines}`, outcome?.status === 'done' && outcome.lines === 500]);
    } finally {
      for (const l of listeners) l.server.close();
      await service.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    for (const [injected, checked, got, ok] of results) {
      scenario.record({ scenario: 'control API with control.socket and control.token (a running `logpipe start`)', injected, checked, result: ok ? `pass (${got})` : `FAIL (${got})` });
    }
    expect(results.filter(([, , , ok]) => !ok)).toEqual([]);
  });

  it('refuses to start on 0.0.0.0 without control.token, saying why and what to set', async () => {
    const { code, stderr } = await runCli(['start'], { ...serviceEnv, LOGPIPE_CONTROL_HOST: '0.0.0.0', LOGPIPE_CONTROL_PORT: String(await freePort()), LOGPIPE_CONTROL_TOKEN: '' }).done;
    const ok = code === 2 && stderr.includes('control.host is "0.0.0.0", which is not a loopback address, and control.token is empty') && stderr.includes('Set LOGPIPE_CONTROL_TOKEN');
    scenario.record({
      scenario: 'control API bound to 0.0.0.0 without control.token',
      injected: 'LOGPIPE_CONTROL_HOST=0.0.0.0, no token, `logpipe start`',
      checked: 'exit 2 before connecting anywhere; the message names control.host, control.token and LOGPIPE_CONTROL_TOKEN',
      result: ok ? 'pass (exit 2)' : `FAIL (exit ${code}: ${stderr.slice(0, 200)})`,
    });
    expect(code).toBe(2);
    expect(stderr).toContain('Set LOGPIPE_CONTROL_TOKEN (control.token) to a long random secret');
  });

  it('on 0.0.0.0 with control.token: 401 without or with a wrong token; the token works from the API, logpipe trigger, trigger.sh and the dashboard login', async () => {
    const service = await scenario.start({ ...serviceEnv, LOGPIPE_CONTROL_HOST: '0.0.0.0', LOGPIPE_CONTROL_TOKEN: TOKEN });
    const port = service.port;
    const ingestBody = body(JSON.stringify({ bucket, key: GOOD_WITH_TOKEN.key }));
    const results: Array<[string, string, boolean]> = [];
    const expectStatus = (what: string, got: number | string, want: number | string): void => {
      results.push([what, String(got), got === want]);
    };

    const none = await request(port, { headers: json, chunks: ingestBody });
    expectStatus('no token → 401 with WWW-Authenticate: Bearer', `${none.status} ${none.headers['www-authenticate']}`, '401 Bearer realm="logpipe"');
    // A different token: the random hex token may itself end in 0.
    const wrong = await request(port, { headers: { ...json, authorization: `Bearer ${TOKEN.slice(0, -1)}${TOKEN.endsWith('0') ? '1' : '0'}` }, chunks: ingestBody });
    expectStatus('a wrong token → 401', wrong.status, 401);
    const basic = await request(port, { headers: { ...json, authorization: `Basic ${Buffer.from(`logpipe:${TOKEN}`).toString('base64')}` }, chunks: ingestBody });
    expectStatus('the token as Basic auth → 401', basic.status, 401);
    expectStatus('an unknown path without a token → 401 (routes not revealed)', (await request(port, { method: 'GET', path: '/v2/admin' })).status, 401);
    expectStatus('GET /healthz without a token → 200', (await request(port, { method: 'GET', path: '/healthz' })).status, 200);

    const right = await request(port, { headers: { ...json, authorization: `Bearer ${TOKEN}` }, chunks: ingestBody });
    expectStatus('the right bearer token → 202', right.status, 202);

    const login = await request(port, { method: 'GET', path: `/?token=${TOKEN}` });
    const cookie = String(login.headers['set-cookie'] ?? '').split(';')[0];
    expectStatus('GET /?token= → 303 to / (no token in the URL) with an HttpOnly SameSite=Strict cookie that expires (Max-Age)', `${login.status} ${login.headers.location} ${/HttpOnly; SameSite=Strict; Path=\/; Max-Age=\d+$/.test(String(login.headers['set-cookie']))}`, '303 / true');
    expectStatus('the cookie, on an unknown path → accepted like the header: 404, not 401', (await request(port, { method: 'GET', path: '/v2/admin', headers: { cookie } })).status, 404);
    const logout = await request(port, { method: 'POST', path: '/logout', headers: { cookie } });
    expectStatus('POST /logout → 303 clearing the cookie (Max-Age=0)', `${logout.status} ${/^logpipe_token=; .*Max-Age=0$/.test(String(logout.headers['set-cookie']))}`, '303 true');

    const cli = (env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> =>
      new Promise((resolve) => {
        execFile(process.execPath, [bin, 'trigger', bucket, GOOD_WITH_TOKEN.key], { env: { ...process.env, NODE_ENV: 'test', LOGPIPE_CONTROL_HOST: '0.0.0.0', LOGPIPE_CONTROL_PORT: String(port), ...env } }, (err, stdout, stderr) =>
          resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
      });
    const cliWith = await cli({ LOGPIPE_CONTROL_TOKEN: TOKEN });
    expectStatus('`logpipe trigger` with LOGPIPE_CONTROL_TOKEN → exit 0', cliWith.code, 0);
    const cliWithout = await cli({ LOGPIPE_CONTROL_TOKEN: '' });
    expectStatus('`logpipe trigger` without the token → exit 1 naming HTTP 401', `${cliWithout.code} ${cliWithout.stderr.includes('(HTTP 401)')}`, '1 true');

    const sh = (env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> =>
      new Promise((resolve) => {
        // trigger.sh reads the port and token from the service's env file only.
        const envFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-r7-env-')), 'env');
        fs.writeFileSync(envFile, `LOGPIPE_CONTROL_PORT='${port}'\nLOGPIPE_CONTROL_TOKEN='${env.LOGPIPE_CONTROL_TOKEN ?? ''}'\n`, { mode: 0o600 });
        execFile(path.join(packageRoot(), 'shell', 'trigger.sh'), ['--', bucket, GOOD_WITH_TOKEN.key], { env: { ...process.env, LOGPIPE_ENV_FILE: envFile } }, (err, _stdout, stderr) =>
          resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr }),
        );
      });
    expectStatus('shell/trigger.sh with LOGPIPE_CONTROL_TOKEN in its env file → exit 0', (await sh({ LOGPIPE_CONTROL_TOKEN: TOKEN })).code, 0);
    const shWithout = await sh({ LOGPIPE_CONTROL_TOKEN: '' });
    expectStatus('shell/trigger.sh without the token → exit 1 naming HTTP 401', `${shWithout.code} ${shWithout.stderr.includes('HTTP 401')}`, '1 true');

    const outcome = (await scenario.outcomes([GOOD_WITH_TOKEN.key], 120_000)).get(GOOD_WITH_TOKEN.key);
    const records = (await scenario.readLog(3000, 1500, 60_000)).filter((r) => r.key === GOOD_WITH_TOKEN.key);
    // Accepted three times (API, CLI, trigger.sh): ingested once.
    expectStatus('the object accepted 3 times (API, CLI, trigger.sh) → on the log topic once, 1,000 lines', `${outcome?.status} ${records.length}`, 'done 1000');
    expectStatus('all of the above → the service still running', String(service.child.exitCode), 'null');
    expect(service.log()).not.toContain(TOKEN);

    for (const [what, got, ok] of results) {
      const [injected, checked] = what.split(' → ');
      scenario.record({
        scenario: 'control API on 0.0.0.0 with control.token (a running `logpipe start`)',
        injected,
        checked: checked ?? what,
        result: ok ? 'pass' : `FAIL (got ${got})`,
      });
    }
    expect(results.filter(([, , ok]) => !ok)).toEqual([]);
    await service.stop();
  });
});
