// Every benchmark scenario: add one with one line exporting its default (the report sorts by id).
export { default as sendSingle } from './send-single.js';
export { default as sendConcurrent } from './send-concurrent.js';
export { default as sendBatch } from './send-batch.js';
export { default as consumeC100, consumeC10, consumeC1 } from './consume.js';
