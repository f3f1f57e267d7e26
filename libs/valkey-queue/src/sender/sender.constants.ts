/** DI token of the sender registered with `registerSender({ name })`. */
export const getSenderToken = (name: string): string => `VALKEY_QUEUE_SENDER:${name}`;
