import { createServer, Socket, type AddressInfo, type Server } from 'node:net';

/** What the proxy does to traffic right now. */
export type ProxyMode = { kind: 'pass' } | { kind: 'latency'; ms: number } | { kind: 'stall' };

/**
 * A TCP proxy between the clients and one Valkey server, for network faults: added latency, stalls
 * (bytes held until the stall ends), dropped connections (FIN) and resets (RST).
 * One proxy per server: a restarted server keeps its port, so the proxy stays valid.
 */
export class FaultProxy {
  readonly #server: Server;
  readonly #pairs = new Set<{ client: Socket; upstream: Socket }>();
  #mode: ProxyMode = { kind: 'pass' };
  readonly #queues = new Map<Socket, { releaseAt: number; chunk: Buffer }[]>();

  private constructor(
    server: Server,
    private readonly upstreamHost: string,
    private readonly upstreamPort: number,
  ) {
    this.#server = server;
  }

  static async start(upstreamHost: string, upstreamPort: number): Promise<FaultProxy> {
    const server = createServer();
    const proxy = new FaultProxy(server, upstreamHost, upstreamPort);
    server.on('connection', (client) => proxy.#accept(client));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  setMode(mode: ProxyMode): void {
    this.#mode = mode;
    if (mode.kind !== 'stall') for (const socket of this.#queues.keys()) this.#pump(socket);
  }

  /** Closes every connection with a FIN (the clients see the peer hang up). */
  dropAll(): void {
    for (const { client, upstream } of this.#pairs) {
      client.end();
      upstream.end();
    }
  }

  /** Resets every connection (the clients see ECONNRESET). */
  resetAll(): void {
    for (const { client, upstream } of this.#pairs) {
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    }
  }

  async close(): Promise<void> {
    this.setMode({ kind: 'pass' });
    this.resetAll();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    const upstream = new Socket();
    const pair = { client, upstream };
    this.#pairs.add(pair);
    const forget = (): void => {
      this.#pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', forget).on('close', forget);
    upstream.on('error', forget).on('close', forget);
    upstream.connect(this.upstreamPort, this.upstreamHost);
    client.on('data', (chunk) => this.#forward(chunk, upstream));
    upstream.on('data', (chunk) => this.#forward(chunk, client));
  }

  /** Queues a chunk for `to`, released in order after the latency and never during a stall. */
  #forward(chunk: Buffer, to: Socket): void {
    const latency = this.#mode.kind === 'latency' ? this.#mode.ms : 0;
    let queue = this.#queues.get(to);
    if (!queue) {
      queue = [];
      this.#queues.set(to, queue);
      to.once('close', () => this.#queues.delete(to));
    }
    queue.push({ releaseAt: Date.now() + latency, chunk });
    if (queue.length === 1) this.#pump(to);
  }

  #pump(to: Socket): void {
    const queue = this.#queues.get(to);
    if (!queue || this.#mode.kind === 'stall') return;
    while (queue.length > 0 && queue[0].releaseAt <= Date.now()) {
      const { chunk } = queue.shift()!;
      if (!to.destroyed) to.write(chunk);
    }
    if (queue.length > 0) setTimeout(() => this.#pump(to), queue[0].releaseAt - Date.now());
  }
}
