import { ValkeyQueueError } from './valkey-queue.error.js';

/** A data stream name (or `assign()` info) that stream ownership cannot store. Nothing was written. */
export class InvalidStreamNameError extends ValkeyQueueError {
  constructor(
    /** The name given. */
    readonly streamName: unknown,
    reason: string,
  ) {
    super('VQ_INVALID_STREAM_NAME', `Invalid data stream name ${describe(streamName)}: ${reason}`);
  }
}

const describe = (value: unknown): string => {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value);
  return typeof value;
};
