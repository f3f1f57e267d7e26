import type { QueueSignals } from '../../signals/queue-signals.js';
import type { MessageSource } from '../message-source.interface.js';

/** A source that reads priorities: told when a sender announces one. @internal */
export interface PriorityAwareSource {
  /** The channel senders announce on (`priorityChannel` of the queue key it reads). */
  readonly priorityChannel: string;
  /** `priority`: the one announced (absent after a resubscription: any may have been missed). */
  priorityAnnounced(priority?: string): void;
}

const listening = new WeakSet<object>();

/** Subscribes `source` to its queue's priority announcements (once per source). @internal */
export function listenForPriorities(signals: QueueSignals, source: MessageSource): void {
  const aware = source as Partial<PriorityAwareSource>;
  if (aware.priorityChannel === undefined || listening.has(source)) return;
  listening.add(source);
  signals.listen(aware.priorityChannel, {
    message: (priority) => aware.priorityAnnounced!(priority),
    resync: () => aware.priorityAnnounced!(),
  });
}
