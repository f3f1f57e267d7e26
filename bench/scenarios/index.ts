// Every benchmark scenario: add one with one line exporting its default (the report sorts by id).
export { default as sendSingle } from './send-single.js';
export { default as sendConcurrent } from './send-concurrent.js';
export { default as sendBatch } from './send-batch.js';
export { default as consumeC100, consumeC10, consumeC1 } from './consume.js';
export { default as latency } from './latency.js';
export { default as retry } from './retry.js';
export { default as memory } from './memory.js';
export { default as idleCost } from './idle.js';
export { default as nestConsume } from './nest-consume.js';
export { default as delayedLateness } from './delayed-lateness.js';
export { default as clusterScaling } from './cluster-scaling.js';
export { default as observabilityOverhead } from './observability-overhead.js';
export { default as priority } from './priority.js';
export {
  default as historyConsume,
  writerRate as historyWriter,
  searchLatency as historySearch,
} from './history.js';
export { default as ordered } from './ordered.js';
