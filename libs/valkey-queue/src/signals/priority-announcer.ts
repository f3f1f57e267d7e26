import type { ValkeyClient } from '../connection/create-client.js';
import { priorityChannel } from '../envelope/priority.js';
import { announce } from './announce.js';

/** Least time between two announcements of the same queue key and priority by one sender. */
const ANNOUNCE_EVERY_MS = 1_000;
/** Announcements remembered; beyond this the memory starts over (queue names are caller-chosen). */
const MAX_REMEMBERED = 10_000;

/**
 * Tells idle workers that messages of a raised priority were sent to a queue key (a Pub/Sub hint on
 * `priorityChannel`), so they start reading its priority key without waiting for their periodic
 * look. At most once a second per queue key and priority, and never for priority 0: a queue that
 * does not use priorities sends nothing more. Best effort, like every signal. @internal
 */
export class PriorityAnnouncer {
  private readonly last = new Map<string, number>();

  announce(client: ValkeyClient, base: string, priority: number): void {
    const key = `${base}\n${priority}`;
    const now = Date.now();
    if (now - (this.last.get(key) ?? -Infinity) < ANNOUNCE_EVERY_MS) return;
    if (this.last.size >= MAX_REMEMBERED) this.last.clear();
    this.last.set(key, now);
    void announce(client, priorityChannel(base), String(priority));
  }
}
