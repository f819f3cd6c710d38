import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type SESClient, SendRawEmailCommand } from '@aws-sdk/client-ses';
import type { AlertEmail } from './email';
import { type EmailTransport, fileTransport, sesTransport, smtpTransport } from './transport';

const KEY = 'logpipe-report.60000.1795689660000';
const email = (raw = 'Subject: ALERT\r\n\r\nbody\r\n', idempotencyKey = KEY): AlertEmail => ({
  raw: Buffer.from(raw),
  subject: 'ALERT',
  messageId: `<${idempotencyKey}@example.test>`,
  idempotencyKey,
});
const ENVELOPE = { from: 'alerts@example.test', to: ['oncall@example.test', 'ops@example.test'] };

/** An AWS SDK service error as the SDK builds it. */
function awsError(name: string, status: number, message = `${name} happened`): Error {
  return Object.assign(new Error(message), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

function fakeSes(respond: (command: SendRawEmailCommand) => Promise<unknown>) {
  const fake = { send: jest.fn(respond), destroy: jest.fn() };
  return { fake, client: fake as unknown as SESClient };
}

describe('sesTransport', () => {
  it('sends the raw message with the envelope as Source and Destinations', async () => {
    const { fake, client } = fakeSes(async () => ({ MessageId: 'ses-1' }));
    const transport = sesTransport(client, 'http://127.0.0.1:8005');
    const mail = email();
    expect(await transport.send(mail, ENVELOPE)).toEqual({ ok: true, providerMessageId: 'ses-1' });
    expect(fake.send).toHaveBeenCalledTimes(1);
    const command = fake.send.mock.calls[0][0];
    expect(command).toBeInstanceOf(SendRawEmailCommand);
    expect(command.input).toEqual({ Source: 'alerts@example.test', Destinations: ['oncall@example.test', 'ops@example.test'], RawMessage: { Data: mail.raw } });
    expect(transport.kind).toBe('ses');
    expect(transport.describe()).toBe('ses at http://127.0.0.1:8005');
  });

  it('reports a missing MessageId as null', async () => {
    const { client } = fakeSes(async () => ({}));
    expect(await sesTransport(client, '').send(email(), ENVELOPE)).toEqual({ ok: true, providerMessageId: null });
  });

  it.each<[string, unknown, boolean]>([
    ['throttling', awsError('Throttling', 400, 'Maximum sending rate exceeded.'), true],
    ['a 503', awsError('ServiceUnavailable', 503), true],
    ['an unnamed 500', awsError('UnknownError', 500), true],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8005'), { code: 'ECONNREFUSED' }), true],
    ['a socket timeout', Object.assign(new Error('socket timed out'), { name: 'TimeoutError' }), true],
    ['MessageRejected', awsError('MessageRejected', 400, 'Email address is not verified.'), false],
    ['an invalid parameter', awsError('InvalidParameterValue', 400, 'Missing final @domain'), false],
    ['AccessDenied', awsError('AccessDenied', 403), false],
  ])('classifies %s', async (_what, error, transient) => {
    const { client } = fakeSes(async () => {
      throw error;
    });
    const outcome = await sesTransport(client, 'http://127.0.0.1:8005').send(email(), ENVELOPE);
    expect(outcome).toEqual({ ok: false, transient, error: expect.any(String) });
    const message = (outcome as { error: string }).error;
    expect(message).toContain(`ses at http://127.0.0.1:8005: sending ${KEY} to oncall@example.test, ops@example.test failed: `);
    expect(message).toContain((error as Error).message);
  });

  it('never throws, not even when the client throws synchronously', async () => {
    const fake = {
      send: () => {
        throw new TypeError('not a client');
      },
    };
    const outcome = await sesTransport(fake as unknown as SESClient, '').send(email(), ENVELOPE);
    expect(outcome).toEqual({ ok: false, transient: false, error: `ses: sending ${KEY} to oncall@example.test, ops@example.test failed: TypeError: not a client` });
  });

  it('refuses an envelope without recipients, and sends nothing after close (which leaves the client open)', async () => {
    const { fake, client } = fakeSes(async () => ({ MessageId: 'x' }));
    const transport = sesTransport(client, 'https://email.eu-west-1.amazonaws.com');
    expect(await transport.send(email(), { from: 'alerts@example.test', to: [] })).toEqual({ ok: false, transient: false, error: expect.stringContaining('no recipients') });
    await transport.close();
    expect(await transport.send(email(), ENVELOPE)).toEqual({ ok: false, transient: false, error: expect.stringContaining('closed') });
    expect(fake.send).not.toHaveBeenCalled();
    expect(fake.destroy).not.toHaveBeenCalled();
  });

  it('keeps credentials of the endpoint out of describe()', () => {
    const { client } = fakeSes(async () => ({}));
    expect(sesTransport(client, 'http://key:secret@127.0.0.1:8005').describe()).toBe('ses at http://127.0.0.1:8005');
  });
});

describe('smtpTransport', () => {
  it.each([
    ['smtp://relay.example', 'smtp smtp://relay.example'],
    ['smtp://relay.example:2525', 'smtp smtp://relay.example:2525'],
    ['smtps://alice:hunter2@relay.example:465', 'smtp smtps://relay.example:465'],
    ['smtp://alice:hunter2@relay.example:587/?pool=true', 'smtp smtp://relay.example:587'],
  ])('describes %s without credentials', (url, described) => {
    const transport = smtpTransport({ url });
    expect(transport.kind).toBe('smtp');
    expect(transport.describe()).toBe(described);
  });

  it.each([
    ['http://alice:hunter2@relay.example', /"http:\/\/alice:\*\*\*@relay\.example" has protocol http:, expected smtp: or smtps:/],
    ['alice:hunter2@relay.example', /"alice:\*\*\*@relay\.example" has protocol alice:/],
    ['relay.example:25', /"relay\.example:25" has protocol relay\.example:/],
    ['not a url', /"not a url" is not a URL/],
    ['smtp://alice:hunter/2@', /"smtp:\/\/alice:\*\*\*@" /],
    ['smtp://', /"smtp:\/\/" names no host/],
    ['', /"" is not a URL/],
  ])('rejects %j, naming it with the password redacted', (url, message) => {
    let error: Error | undefined;
    try {
      smtpTransport({ url });
    } catch (err) {
      error = err as Error;
    }
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain('hunter');
  });

  it('rejects a timeout that is not positive', () => {
    expect(() => smtpTransport({ url: 'smtp://relay.example', timeoutMs: 0 })).toThrow('timeoutMs must be a positive number, got 0');
  });

  it('fails transiently on a closed port, without the password in the message', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((r) => server.close(() => r()));

    const transport = smtpTransport({ url: `smtp://alice:hunter2@127.0.0.1:${port}`, timeoutMs: 5_000 });
    const outcome = await transport.send(email(), ENVELOPE);
    expect(outcome).toEqual({ ok: false, transient: true, error: expect.stringContaining('ECONNREFUSED') });
    const message = (outcome as { error: string }).error;
    expect(message).toMatch(new RegExp(`^smtp smtp://127\\.0\\.0\\.1:${port}: sending ${KEY.replace(/\./g, '\\.')} to oncall@example\\.test, ops@example\\.test failed: `));
    expect(message).not.toMatch(/alice|hunter2/);
    await transport.close();
    expect(await transport.send(email(), ENVELOPE)).toEqual({ ok: false, transient: false, error: expect.stringContaining('closed') });
  });
});

describe('fileTransport', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'logpipe-transport-'));
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  const send = (transport: EmailTransport, mail = email()) => transport.send(mail, ENVELOPE);

  it('writes <key>.eml, creating the directory, and returns its path', async () => {
    const outbox = path.join(dir, 'a', 'outbox');
    const transport = fileTransport(outbox);
    expect(transport.kind).toBe('file');
    expect(transport.describe()).toBe(`file ${outbox}`);
    const target = path.join(outbox, `${KEY}.eml`);
    expect(await send(transport)).toEqual({ ok: true, providerMessageId: target });
    expect(await fsp.readFile(target)).toEqual(email().raw);
    expect(await fsp.readdir(outbox)).toEqual([`${KEY}.eml`]);
  });

  it('writes a temporary file in the directory and renames it over the target', async () => {
    const transport = fileTransport(dir);
    const target = path.join(dir, `${KEY}.eml`);
    await fsp.writeFile(target, 'previous attempt');
    const renames: Array<{ from: string; to: string; content: string; targetThen: string }> = [];
    const rename = fsp.rename;
    jest.spyOn(fsp, 'rename').mockImplementation(async (from, to) => {
      renames.push({ from: String(from), to: String(to), content: await fsp.readFile(from, 'utf8'), targetThen: await fsp.readFile(target, 'utf8') });
      return rename(from, to);
    });
    const mail = email('Subject: again\r\n\r\nsecond\r\n');
    expect(await send(transport, mail)).toEqual({ ok: true, providerMessageId: target });
    expect(renames).toHaveLength(1);
    expect(path.dirname(renames[0].from)).toBe(dir);
    expect(renames[0]).toMatchObject({ to: target, content: mail.raw.toString(), targetThen: 'previous attempt' });
  });

  it('overwrites on a resend of the same key', async () => {
    const transport = fileTransport(dir);
    await send(transport, email('first'));
    const outcome = await send(transport, email('second'));
    expect(outcome).toEqual({ ok: true, providerMessageId: path.join(dir, `${KEY}.eml`) });
    expect(await fsp.readFile(path.join(dir, `${KEY}.eml`), 'utf8')).toBe('second');
    expect(await fsp.readdir(dir)).toEqual([`${KEY}.eml`]);
  });

  it('resolves a relative directory', () => {
    expect(fileTransport('outbox').describe()).toBe(`file ${path.resolve('outbox')}`);
  });

  it('rejects an empty directory', () => {
    expect(() => fileTransport('')).toThrow('file transport: the outbox directory must not be empty');
    expect(() => fileTransport('  ')).toThrow('must not be empty');
  });

  it('fails permanently on a path it cannot create (a file in the way)', async () => {
    fs.writeFileSync(path.join(dir, 'plain'), 'x');
    const outcome = await send(fileTransport(path.join(dir, 'plain', 'outbox')));
    expect(outcome).toEqual({ ok: false, transient: false, error: expect.stringMatching(/^file .*plain\/outbox: sending .* failed: .*(ENOTDIR|EEXIST)/) });
  });

  it('fails permanently on a read-only path (EACCES)', async () => {
    jest.spyOn(fsp, 'mkdir').mockRejectedValue(Object.assign(new Error(`EACCES: permission denied, mkdir '${dir}'`), { code: 'EACCES' }));
    expect(await send(fileTransport(dir))).toEqual({ ok: false, transient: false, error: expect.stringContaining('EACCES: permission denied') });
  });

  it('fails transiently on a full disk, leaving the previous file and no temporary file', async () => {
    const target = path.join(dir, `${KEY}.eml`);
    await fsp.writeFile(target, 'previous attempt');
    jest.spyOn(fsp, 'rename').mockRejectedValue(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }));
    expect(await send(fileTransport(dir))).toEqual({ ok: false, transient: true, error: expect.stringContaining('ENOSPC') });
    expect(await fsp.readdir(dir)).toEqual([`${KEY}.eml`]);
    expect(await fsp.readFile(target, 'utf8')).toBe('previous attempt');
  });

  it('refuses a key that is not a plain file name', async () => {
    const outcome = await send(fileTransport(path.join(dir, 'outbox')), email('x', '../escape'));
    expect(outcome).toEqual({ ok: false, transient: false, error: expect.stringContaining('is not a safe file name') });
    expect(await fsp.readdir(dir)).toEqual([]);
  });

  it('sends nothing after close', async () => {
    const transport = fileTransport(dir);
    await transport.close();
    expect(await send(transport)).toEqual({ ok: false, transient: false, error: expect.stringContaining('closed') });
    expect(await fsp.readdir(dir)).toEqual([]);
  });
});

// The contract every transport shares comes from one base (guardedTransport): the same answers for
// a closed transport and an empty envelope, whatever the provider, and the provider is never reached.
describe('every transport', () => {
  type Made = { transport: EmailTransport; reached: () => Promise<number>; cleanup: () => Promise<void> };
  const makers: Array<[string, () => Promise<Made>]> = [
    [
      'ses',
      async () => {
        const { fake, client } = fakeSes(async () => ({ MessageId: 'x' }));
        return { transport: sesTransport(client, ''), reached: async () => fake.send.mock.calls.length, cleanup: async () => undefined };
      },
    ],
    [
      'smtp',
      async () => {
        let connections = 0;
        const server = net.createServer((socket) => {
          connections++;
          socket.destroy();
        });
        await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
        const { port } = server.address() as net.AddressInfo;
        return {
          transport: smtpTransport({ url: `smtp://127.0.0.1:${port}`, timeoutMs: 2_000 }),
          reached: async () => connections,
          cleanup: () => new Promise<void>((r) => server.close(() => r())),
        };
      },
    ],
    [
      'file',
      async () => {
        const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'logpipe-outbox-'));
        const outbox = path.join(dir, 'outbox');
        return { transport: fileTransport(outbox), reached: async () => (fs.existsSync(outbox) ? (await fsp.readdir(outbox)).length : 0), cleanup: () => fsp.rm(dir, { recursive: true, force: true }) };
      },
    ],
  ];

  it.each(makers)('%s: refuses an empty envelope and, once closed (twice is fine), every send, permanently and without reaching the provider', async (kind, make) => {
    const { transport, reached, cleanup } = await make();
    try {
      expect(transport.kind).toBe(kind);
      const to = transport.describe();
      expect(await transport.send(email(), { from: 'alerts@example.test', to: [] })).toEqual({ ok: false, transient: false, error: `${to}: sending ${KEY} to (no recipients) failed: the envelope has no recipients` });
      await transport.close();
      await transport.close();
      expect(await transport.send(email(), ENVELOPE)).toEqual({ ok: false, transient: false, error: `${to}: sending ${KEY} to oncall@example.test, ops@example.test failed: the transport is closed` });
      expect(await reached()).toBe(0);
    } finally {
      await cleanup();
    }
  });
});
