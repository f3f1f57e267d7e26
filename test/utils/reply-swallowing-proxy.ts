import { createServer, Socket, type AddressInfo, type Server } from 'node:net';

/**
 * A TCP proxy that can lose traffic the way a failing network does: `swallowReplies` lets commands
 * reach the server and run while their replies never reach the client; `swallowRequests` drops
 * commands before they reach the server. `cut()` then resets every connection. While `hold` is
 * set, a new connection is accepted but its bytes wait, so the client stays unconnected (not ready)
 * until `release()`.
 */
export class ReplySwallowingProxy {
  swallowReplies = false;
  swallowRequests = false;
  hold = false;
  readonly #sockets = new Set<Socket>();
  readonly #held: (() => void)[] = [];

  private constructor(readonly server: Server) {}

  static async start(host: string, port: number): Promise<ReplySwallowingProxy> {
    const proxy = new ReplySwallowingProxy(createServer());
    proxy.server.on('connection', (client) => {
      const upstream = new Socket();
      for (const socket of [client, upstream]) {
        proxy.#sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => {
          proxy.#sockets.delete(socket);
          client.destroy();
          upstream.destroy();
        });
      }
      const pending: Buffer[] = [];
      let connected = false;
      client.on('data', (chunk: Buffer) => {
        if (proxy.swallowRequests) return;
        if (connected) upstream.write(chunk);
        else pending.push(chunk);
      });
      upstream.on('data', (chunk) => {
        if (!proxy.swallowReplies) client.write(chunk);
      });
      const connect = (): void => {
        upstream.connect(port, host, () => {
          connected = true;
          for (const chunk of pending.splice(0)) upstream.write(chunk);
        });
      };
      if (proxy.hold) proxy.#held.push(connect);
      else connect();
    });
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `redis://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Connections accepted while `hold` was set (not yet passed to the server). */
  get heldConnections(): number {
    return this.#held.length;
  }

  /** Passes the held connections on to the server, and holds no more. */
  release(): void {
    this.hold = false;
    for (const connect of this.#held.splice(0)) connect();
  }

  cut(): void {
    for (const socket of this.#sockets) socket.resetAndDestroy();
  }

  async close(): Promise<void> {
    this.release();
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
