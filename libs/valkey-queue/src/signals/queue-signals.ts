import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { ValkeyClient } from '../connection/create-client.js';
import { ValkeyConnection } from '../connection/valkey-connection.js';
import { errorMessage } from '../utils/with-timeout.util.js';

/** What a listener of one channel is told. */
export interface SignalHandler {
  /** A message arrived on the channel. */
  message(text: string): void;
  /**
   * Signals may have been missed (the subscription just started, or came back after a disconnect):
   * re-read the state the signals are about.
   */
  resync(): void;
}

/**
 * Wake-up signals between instances over Pub/Sub, so that idle instances sleep instead of polling:
 * a delayed message that becomes the earliest one, a new schedule, a paused queue. Scripts publish
 * on a channel named after the key that changed (e.g. the queue's delayed set).
 *
 * Pub/Sub delivers at most once, so a signal is only ever a hint: whoever listens still reads the
 * keys, and after every (re)subscription is told to resync. Until the subscription is live, or
 * when the server refuses it (an ACL without channel access), `live` is false and listeners poll
 * at their fallback interval instead. One subscriber connection per module, opened on first use.
 * @internal
 */
@Injectable()
export class QueueSignals implements OnApplicationShutdown {
  private readonly logger = new Logger(QueueSignals.name);
  private readonly handlers = new Map<string, Set<SignalHandler>>();
  private subscriber?: Promise<ValkeyClient | undefined>;
  private ready = false;
  private refused = false;
  private closed = false;

  constructor(private readonly connection: ValkeyConnection) {}

  /** True while signals arrive: listeners may sleep long. */
  get live(): boolean {
    return this.ready && !this.refused && !this.closed;
  }

  /** Calls `handler` for every message on `channel` and after every (re)subscription. */
  listen(channel: string, handler: SignalHandler): void {
    if (this.closed || this.refused) return;
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
      void this.subscribe(channel);
    }
    set.add(handler);
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    const client = await this.subscriber?.catch(() => undefined);
    if (client) await this.connection.release(client);
  }

  private async subscribe(channel: string): Promise<void> {
    try {
      const client = await this.open();
      if (!client || this.closed) return;
      await client.subscribe(channel);
      if (this.ready) this.resync([channel]);
    } catch (error) {
      this.refuse(error);
    }
  }

  private open(): Promise<ValkeyClient | undefined> {
    this.subscriber ??= this.connection.createBlockingConnection('signals').then(
      (client) => {
        client.on('message', (channel: string, text: string) => {
          for (const handler of this.handlers.get(channel) ?? []) handler.message(text);
        });
        client.on('close', () => {
          this.ready = false;
        });
        // ioredis re-subscribes on reconnect; a PING queued behind those SUBSCRIBEs answers once
        // they are in place, and only then can a resync not miss a signal.
        client.on('ready', () => void this.confirm(client));
        void this.confirm(client);
        return client;
      },
      (error: unknown) => {
        this.refuse(error);
        return undefined;
      },
    );
    return this.subscriber;
  }

  private async confirm(client: ValkeyClient): Promise<void> {
    try {
      await client.ping();
      if (this.closed || this.ready) return;
      this.ready = true;
      this.resync([...this.handlers.keys()]);
    } catch {
      // Not connected: the next 'ready' tries again.
    }
  }

  private resync(channels: readonly string[]): void {
    for (const channel of channels) {
      for (const handler of this.handlers.get(channel) ?? []) handler.resync();
    }
  }

  private refuse(error: unknown): void {
    if (this.refused || this.closed) return;
    this.refused = true;
    this.logger.warn(
      `Cannot subscribe to wake-up signals (${errorMessage(error)}): idle instances poll instead`,
    );
    this.resync([...this.handlers.keys()]);
  }
}
