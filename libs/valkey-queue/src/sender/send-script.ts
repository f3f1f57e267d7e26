import { createHash } from 'node:crypto';
import { Cluster, Command, type Redis } from 'ioredis';
import type { ValkeyClient } from '../connection/create-client.js';
import { LUA_SCRIPTS, scriptTextFor } from '../lua/lua-scripts.js';
import { InsufficientReplicasError } from '../errors/insufficient-replicas.error.js';
import { isRetry, shareGroup, type SendCall, type ShareableSend } from './build-send-call.js';
import { ReplicaShortfall, writeThenWait } from './durable-write.js';
import { retryPlainSend, writePlainSend } from './plain-send.js';
import type { DurabilityOptions } from '../interfaces/sender-options.interface.js';

/** What send.lua answers: written `[0, count, due]`, deduplicated `[1, firstId]`, already written `[2]`. */
export type SendReply = [0, number, number] | [1, string] | [2];

/** The `vqSend` arguments: 5 keys, then the script's ARGV (message arrays are flattened by ioredis). */
export type SendScriptArgs = [string, string, string, string, string, ...(string | number | string[])[]];

const { numberOfKeys: SEND_KEYS } = LUA_SCRIPTS.vqSend;
const WRITTEN: SendReply = [0, 1, -1];
const ALREADY_WRITTEN: SendReply = [2];
/** Most messages in one shared call, so no script runs long. */
const MAX_SHARED = 500;

/** Concurrent single sends waiting to go out together in one send-many.lua call. */
interface SharedCall {
  first: ShareableSend;
  /** Set when the gathered sends are durable: the call is pipelined with a WAIT. */
  durability?: DurabilityOptions;
  markers: string[];
  data: (string | string[])[];
  waiters: {
    resolve: (reply: SendReply) => void;
    reject: (error: unknown) => void;
    queue: string;
    id: string;
  }[];
}

/** The typed error of a replica shortfall for the given messages; any other error as it is. */
function shortfallError(
  error: unknown,
  queue: string,
  ids: string[],
  durability: DurabilityOptions,
): unknown {
  if (!(error instanceof ReplicaShortfall)) return error;
  return new InsufficientReplicasError(queue, ids, durability.replicas, error.acknowledged);
}

/**
 * Runs the send scripts on the shared connection, picking the cheapest way per call:
 *
 * - while no other send is in flight, send.lua is written at once (EVALSHA, then EVAL on NOSCRIPT).
 *   A lone awaited send is latency-bound; ioredis auto-pipelining would add a `setImmediate` and a
 *   Pipeline object to it (measured: about 2x the client CPU per call);
 * - while sends are in flight, plain single sends (no delay, no dedup key) issued in the same turn of
 *   the event loop are gathered into one send-many.lua call: one command and one script run for
 *   many messages, each still with its own idempotency marker, so each stays retry-safe alone;
 * - other calls (delayed, dedup, batch chunks) go through the client's auto-pipelined `vqSend`.
 * - a sender with `durability` pipelines each call with a WAIT (durable-write.ts); its concurrent
 *   single sends are gathered too, and share one WAIT.
 *
 * Order is kept: a direct write happens only when every earlier send has been answered, gathered
 * sends go out in call order, and before any other call. One instance per client, shared by all senders.
 * @internal
 */
export class SendScript {
  private inFlight = 0;
  private readonly shared = new Map<string, SharedCall>();
  private flushScheduled = false;
  private readonly settle = (): void => {
    this.inFlight -= 1;
  };

  /** send.lua as this client runs it (with history events when the module records history). */
  private readonly sendLua: string;
  private readonly sendSha: string;
  /** A bare XADD records no history event: only without history, and on a standalone client (plain-send.ts). */
  private readonly plainSends: boolean;

  constructor(private readonly client: ValkeyClient) {
    this.sendLua = scriptTextFor(client, 'vqSend');
    this.sendSha = createHash('sha1').update(this.sendLua).digest('hex');
    this.plainSends = this.sendLua === LUA_SCRIPTS.vqSend.lua && !(client instanceof Cluster);
  }

  call(call: SendCall, durability?: DurabilityOptions | false): Promise<SendReply> {
    const { plain } = call;
    let reply: Promise<SendReply>;
    if (plain?.writtenAt !== undefined) {
      // The first attempt was a bare XADD: no marker to check, send-retry.lua looks for the entry.
      this.flush(); // gathered sends were called first: they must reach the socket first
      reply = retryPlainSend(this.client, plain, call.queue).then((appended) =>
        appended ? WRITTEN : ALREADY_WRITTEN,
      );
    } else if (plain && this.plainSends && !durability && this.inFlight === 0 && !isRetry(call)) {
      this.inFlight += 1;
      // The command itself resolves send.lua's reply shape and counts itself out: no `then` per send.
      return writePlainSend(this.client as Redis, plain, call.queue, this.settle);
    } else if (call.mode === 'ordered') {
      this.flush(); // gathered sends were called first: they must reach the socket first
      reply = durability
        ? writeThenWait<SendReply>(
            this.client,
            (pipeline) => pipeline.vqOrderedSend(...(call.args as SendScriptArgs)),
            durability,
          ).catch((error: unknown) => {
            throw shortfallError(
              error,
              call.queue,
              call.envelopes.map(({ id }) => id),
              durability,
            );
          })
        : (this.client.vqOrderedSend(...(call.args as SendScriptArgs)) as Promise<SendReply>);
    } else if (durability && !(this.inFlight > 0 && call.shareable)) {
      this.flush(); // gathered sends were called first: they must reach the socket first
      reply = this.durable(call, durability);
    } else if (this.inFlight === 0 && !durability) reply = this.direct(call.args as SendScriptArgs);
    else if (call.shareable) reply = this.share(call, durability || undefined);
    else {
      this.flush(); // gathered sends were called first: they must reach the socket first
      reply = this.client.vqSend(...(call.args as SendScriptArgs)) as Promise<SendReply>;
    }
    this.inFlight += 1;
    reply.then(this.settle, this.settle);
    return reply;
  }

  /** One call with its WAIT (see durable-write.ts); a shortfall becomes `InsufficientReplicasError`. */
  private durable(call: SendCall, durability: DurabilityOptions): Promise<SendReply> {
    const ids = call.envelopes.map(({ id }) => id);
    return writeThenWait<SendReply>(
      this.client,
      (pipeline) => pipeline.vqSend(...(call.args as SendScriptArgs)),
      durability,
    ).catch((error: unknown) => {
      throw shortfallError(error, call.queue, ids, durability);
    });
  }

  private direct(args: SendScriptArgs): Promise<SendReply> {
    // On Cluster vqSend is not auto-pipelined (connection/create-client.ts) and loads the script on
    // each node's socket by itself, without a NOSCRIPT round trip that would reorder sends.
    if (this.client instanceof Cluster) return this.client.vqSend(...args) as Promise<SendReply>;
    return this.write('evalsha', this.sendSha, args).catch((error: unknown) => {
      // A restarted or failed-over server has an empty script cache: load it by running EVAL once.
      if (error instanceof Error && error.message.startsWith('NOSCRIPT'))
        return this.write('eval', this.sendLua, args);
      throw error;
    });
  }

  private write(name: 'evalsha' | 'eval', script: string, args: SendScriptArgs): Promise<SendReply> {
    const { keyPrefix } = this.client.options as { keyPrefix?: string };
    // One array of the final size: no spread of the call's arguments per send.
    const argv = new Array<string | number | string[]>(args.length + 2);
    argv[0] = script;
    argv[1] = SEND_KEYS;
    for (let index = 0; index < args.length; index++) argv[index + 2] = args[index];
    const command = new Command(name, argv, { replyEncoding: 'utf8', keyPrefix });
    void this.client.sendCommand(command);
    return command.promise as Promise<SendReply>;
  }

  private share(sendCall: SendCall, durability?: DurabilityOptions): Promise<SendReply> {
    const send = sendCall.shareable!;
    // Durable sends share a call (and one WAIT) only with sends of the same durability.
    const group = durability
      ? `${shareGroup(send)}\n${durability.replicas}\n${durability.timeout}`
      : shareGroup(send);
    return new Promise<SendReply>((resolve, reject) => {
      let call = this.shared.get(group);
      if (!call) {
        call = { first: send, durability, markers: [], data: [], waiters: [] };
        this.shared.set(group, call);
        if (!this.flushScheduled) {
          this.flushScheduled = true;
          setImmediate(this.flush);
        }
      }
      call.markers.push(send.marker);
      call.data.push(send.data);
      call.waiters.push({ resolve, reject, queue: sendCall.queue, id: sendCall.envelopes[0].id });
      if (call.waiters.length >= MAX_SHARED) {
        this.shared.delete(group);
        this.run(call);
      }
    });
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.shared.size === 0) return;
    const calls = [...this.shared.values()];
    this.shared.clear();
    for (const call of calls) this.run(call);
  };

  private run({ first, durability, markers, data, waiters }: SharedCall): void {
    const args: [number, ...(string | number | string[])[]] = [
      1 + markers.length,
      first.target,
      ...markers,
      first.mode,
      first.markerTtl,
      first.trim,
      first.trimValue,
      first.width,
      ...data,
    ];
    const written = durability
      ? writeThenWait<number[]>(this.client, (pipeline) => pipeline.vqSendMany(...args), durability)
      : this.client.vqSendMany(...args);
    written.then(
      (statuses) => {
        for (let index = 0; index < waiters.length; index++) {
          waiters[index].resolve(statuses[index] === 2 ? ALREADY_WRITTEN : WRITTEN);
        }
      },
      (error: unknown) => {
        for (const waiter of waiters) {
          waiter.reject(durability ? shortfallError(error, waiter.queue, [waiter.id], durability) : error);
        }
      },
    );
  }
}
