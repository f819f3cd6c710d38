/**
 * A raw Kafka ApiVersions (v0) request, for asking a broker which protocol versions it serves without
 * any client library in between. Request: size, api_key 18, version 0, correlation id, client id.
 * Response: size, correlation id, error code, [api_key, min_version, max_version].
 */
import net from 'node:net';

export interface ApiVersion {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

export function apiVersions(host: string, port: number): Promise<ApiVersion[]> {
  const clientId = Buffer.from('logpipe-test');
  const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length);
  body.writeInt16BE(18, 0);
  body.writeInt16BE(0, 2);
  body.writeInt32BE(7, 4);
  body.writeInt16BE(clientId.length, 8);
  clientId.copy(body, 10);
  const request = Buffer.concat([Buffer.alloc(4), body]);
  request.writeInt32BE(body.length, 0);

  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port }, () => socket.write(request));
    let data = Buffer.alloc(0);
    socket.setTimeout(5000, () => socket.destroy(new Error('ApiVersions timed out')));
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if (data.length < 4 || data.length < 4 + data.readInt32BE(0)) return;
      socket.end();
      const errorCode = data.readInt16BE(8);
      if (errorCode !== 0) return reject(new Error(`ApiVersions error code ${errorCode}`));
      const count = data.readInt32BE(10);
      const out: ApiVersion[] = [];
      for (let i = 0, at = 14; i < count; i++, at += 6) {
        out.push({ apiKey: data.readInt16BE(at), minVersion: data.readInt16BE(at + 2), maxVersion: data.readInt16BE(at + 4) });
      }
      resolve(out);
    });
  });
}
