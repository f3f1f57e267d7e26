/**
 * OpenTelemetry spans of the queue (`ValkeyQueueModule.forRoot({ tracing })`). The library starts
 * spans only while an OpenTelemetry SDK is registered; `enabled: false` keeps them off even then,
 * so an app can keep its own spans and drop the queue's (and the trace context in the headers).
 */
export interface TracingOptions {
  /**
   * Start `send <queue>` and `process <queue>` spans and carry the trace context in the message
   * headers, while an OpenTelemetry SDK is registered. @default true
   */
  enabled?: boolean;
}
