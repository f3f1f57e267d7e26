/** Where a queue's messages live: a stream (default) or a list. */
export type QueueTransport = 'stream' | 'list';
