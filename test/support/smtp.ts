/**
 * A real SMTP server (the smtp-server package) on 127.0.0.1 for the email tests and fault scenarios, and a small
 * strict reader of what it receives: the raw header block and the decoded MIME parts.
 */
import type net from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface ReceivedMail {
  mailFrom: string | false;
  rcptTo: string[];
  user: string | undefined;
  /** The DATA as received (dot-stuffing undone by the server), CRLF line ends. */
  data: Buffer;
}

export interface SmtpServer {
  port: number;
  received: ReceivedMail[];
  close(): Promise<void>;
}

/**
 * Starts a plain SMTP server (no STARTTLS; AUTH optional unless `options` say otherwise) that
 * accepts every message and records it.
 */
export async function startSmtpServer(options: Partial<SMTPServerOptions> = {}): Promise<SmtpServer> {
  const received: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          mailFrom: session.envelope.mailFrom && session.envelope.mailFrom.address,
          rcptTo: session.envelope.rcptTo.map((a) => a.address),
          user: session.user,
          data: Buffer.concat(chunks),
        });
        callback(null, 'Ok: queued');
      });
    },
    ...options,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.server.address() as net.AddressInfo;
  return { port, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

export interface HeaderLine {
  name: string;
  /** Unfolded (continuation lines joined with their leading blank), as raw ASCII. */
  value: string;
}

export interface MimePart {
  headers: HeaderLine[];
  contentType: string;
  /** The decoded body (transfer encoding undone); for a multipart, its preamble. */
  body: Buffer;
  parts: MimePart[];
}

/** Splits a message or part into its header block (raw text) and body at the first empty line. */
export function splitHead(raw: Buffer): { head: string; body: Buffer } {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) throw new Error('no empty line between header and body');
  return { head: text.slice(0, end), body: raw.subarray(end + 4) };
}

/** The header lines of a header block, unfolded; throws on a line that is neither a field nor a continuation. */
export function parseHeaderBlock(head: string): HeaderLine[] {
  const out: HeaderLine[] = [];
  for (const line of head.split('\r\n')) {
    if (/^[ \t]/.test(line) && out.length) out[out.length - 1].value += `\r\n${line}`;
    else {
      const m = /^([!-9;-~]+):[ \t]?(.*)$/.exec(line);
      if (!m) throw new Error(`not a header line: ${JSON.stringify(line.slice(0, 200))}`);
      out.push({ name: m[1], value: m[2] });
    }
  }
  return out;
}

/** Decodes RFC 2047 encoded words (B and Q) of a header value; unfolds. */
export function decodeWords(value: string): string {
  return value
    .replace(/\r\n[ \t]/g, ' ')
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_m, _charset: string, enc: string, text: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'),
    );
}

function decodeQuotedPrintable(body: Buffer): Buffer {
  const text = body.toString('latin1').replace(/=\r\n/g, '');
  return Buffer.from(text.replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
}

/** Parses a MIME entity recursively (multipart by its boundary; base64 and quoted-printable decoded). */
export function parseMime(raw: Buffer): MimePart {
  const { head, body } = splitHead(raw);
  const headers = parseHeaderBlock(head);
  const get = (name: string): string => headers.find((h) => h.name.toLowerCase() === name)?.value.replace(/\r\n[ \t]/g, ' ') ?? '';
  const contentType = get('content-type');
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (/^multipart\//i.test(contentType) && boundary) {
    const text = body.toString('latin1');
    const pieces = text.split(`--${boundary}`);
    const parts = pieces
      .slice(1)
      .filter((p) => !p.startsWith('--'))
      .map((p) => parseMime(Buffer.from(p.replace(/^\r\n/, '').replace(/\r\n$/, ''), 'latin1')));
    return { headers, contentType, body: Buffer.from(pieces[0], 'latin1'), parts };
  }
  const encoding = get('content-transfer-encoding').toLowerCase();
  const decoded = encoding === 'base64' ? Buffer.from(body.toString('latin1').replace(/\s+/g, ''), 'base64') : encoding === 'quoted-printable' ? decodeQuotedPrintable(body) : body;
  return { headers, contentType, body: decoded, parts: [] };
}

/** Every leaf part of a MIME tree, depth first. */
export function leaves(part: MimePart): MimePart[] {
  return part.parts.length ? part.parts.flatMap(leaves) : [part];
}

export interface SniffingProxy {
  port: number;
  /** Every byte a client sent through the proxy, all connections concatenated. */
  fromClients(): Buffer;
  close(): Promise<void>;
}

/**
 * A TCP proxy on 127.0.0.1 in front of `targetPort` that records what clients send: what an
 * eavesdropper on the path between logpipe and a relay would see.
 */
export async function startSniffingProxy(targetPort: number): Promise<SniffingProxy> {
  const { default: netModule } = await import('node:net');
  const chunks: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = netModule.createServer((client) => {
    const upstream = netModule.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (c: Buffer) => chunks.push(Buffer.from(c)));
    client.pipe(upstream).pipe(client);
    const done = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', done).on('close', done);
    upstream.on('error', done).on('close', done);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    fromClients: () => Buffer.concat(chunks),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
