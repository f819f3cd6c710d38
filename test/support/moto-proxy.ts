/**
 * A TCP proxy in front of moto, for S3 faults a scenario cannot inject into moto itself (moto keeps
 * its objects in memory: a restart would lose them). Point the service at it with
 * LOGPIPE_AWS_ENDPOINT=http://127.0.0.1:<port>.
 *
 * - cut() destroys every connection and refuses new ones until open() again (S3 unreachable).
 * - `bytesPerSecond` passes what moto sends at most at that rate per connection; requests go
 *   through unthrottled (S3 over a slow link).
 */
import net from 'node:net';
import { freePort } from './helpers';

export class MotoProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    readonly port: number,
    private readonly motoPort: number,
    private readonly bytesPerSecond: number | undefined,
  ) {}

  /** A proxy to moto at `awsEndpoint` (config.aws.endpoint), listening on a free port. */
  static async start(awsEndpoint: string, o: { bytesPerSecond?: number } = {}): Promise<MotoProxy> {
    const proxy = new MotoProxy(await freePort(), Number(new URL(awsEndpoint).port), o.bytesPerSecond);
    await proxy.open();
    return proxy;
  }

  /** Accepts connections (again). */
  async open(): Promise<void> {
    this.server = net.createServer((client) => this.connect(client));
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', () => r()));
  }

  /** Drops every connection and refuses new ones until open(). */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  }

  close(): Promise<void> {
    return this.cut();
  }

  private connect(client: net.Socket): void {
    const upstream = net.connect(this.motoPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream);
    const rate = this.bytesPerSecond;
    if (rate === undefined) upstream.pipe(client);
    else {
      upstream.on('data', (chunk: Buffer) => {
        client.write(chunk);
        // Paused for as long as the chunk takes at the rate: the next one leaves no sooner.
        upstream.pause();
        setTimeout(() => upstream.resume(), (chunk.length / rate) * 1000);
      });
      upstream.on('end', () => client.end());
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }
}
