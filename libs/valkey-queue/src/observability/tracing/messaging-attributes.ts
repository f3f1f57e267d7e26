/**
 * OpenTelemetry semantic-convention attribute names for messaging spans (semconv 1.27+), written
 * out here so the library does not depend on @opentelemetry/semantic-conventions. @internal
 */
export const MESSAGING_SYSTEM = 'messaging.system';
export const MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
export const MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
export const MESSAGING_OPERATION_NAME = 'messaging.operation.name';
export const MESSAGING_MESSAGE_ID = 'messaging.message.id';
export const MESSAGING_BATCH_MESSAGE_COUNT = 'messaging.batch.message_count';
export const MESSAGING_CONSUMER_GROUP_NAME = 'messaging.consumer.group.name';
export const MESSAGING_CLIENT_ID = 'messaging.client.id';
export const ERROR_TYPE = 'error.type';
/** Not in the conventions: the delivery attempt (1 on the first delivery), under the system's namespace. */
export const MESSAGING_VALKEY_ATTEMPT = 'messaging.valkey.message.attempt';

/** `messaging.system` of every span. */
export const MESSAGING_SYSTEM_VALKEY = 'valkey';
